//! What a person does from the pages: forms that post here, each checked like every write made
//! with the session cookie ([`session::check_write`]: our own origin and the session's CSRF
//! token), done through the same store calls as the API (so the same rules, audit rows and
//! events), then redirected (POST-redirect-GET) to the page it came from. A refused action
//! answers an HTML page with the reason and changes nothing.

use super::error::PageError;
use super::PageUser;
use crate::app::AppState;
use crate::domain::Actor;
use crate::session;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use uuid::Uuid;

/// A form with nothing but the session's CSRF token (a button).
#[derive(Debug, Deserialize)]
pub struct ButtonForm {
    csrf_token: Option<String>,
}

/// The page user as the API's actor (its API key, role and client).
fn actor_of(user: &PageUser) -> Actor {
    Actor {
        api_key_id: Some(user.identity.id),
        role: user.identity.role,
        client_id: user.identity.client_id,
        request_id: None,
    }
}

/// The session's write check for a page form.
fn check(
    state: &AppState,
    headers: &HeaderMap,
    form: &Result<Form<ButtonForm>, FormRejection>,
) -> Result<(), PageError> {
    let presented = form.as_ref().ok().and_then(|f| f.csrf_token.as_deref());
    session::check_write(headers, &state.settings.server.public_url, presented).map_err(|e| {
        tracing::info!(reason = %e, "page form refused");
        PageError::new(StatusCode::FORBIDDEN).with_message(
            "This request came from another site or without the page's token; nothing changed.",
        )
    })
}

/// `POST /ui/bookings/{id}/confirm` (staff) and `POST /ui/bookings/{id}/cancel` (staff, or a
/// client its own holds): the booking's state changes as through `POST /v1/bookings/{id}/…`,
/// then back to the page's holds with the outcome (`?done=confirmed|cancelled`).
pub async fn booking_action(
    State(state): State<AppState>,
    user: PageUser,
    headers: HeaderMap,
    Path((id, action)): Path<(Uuid, String)>,
    form: Result<Form<ButtonForm>, FormRejection>,
) -> Result<Response, PageError> {
    check(&state, &headers, &form)?;
    let actor = actor_of(&user);
    let done = match action.as_str() {
        "confirm" if user.is_staff() => {
            state
                .write(|store| store.confirm_booking(&actor, id))
                .await?;
            "confirmed"
        }
        "confirm" => {
            return Err(PageError::new(StatusCode::FORBIDDEN)
                .with_message("Clients reserve slots as holds; the CDMO confirms them."))
        }
        "cancel" => {
            state
                .write(|store| store.cancel_booking(&actor, id))
                .await?;
            "cancelled"
        }
        _ => return Err(PageError::not_found()),
    };
    let page = if user.is_staff() {
        "/ui/"
    } else {
        "/ui/client"
    };
    Ok(Redirect::to(&format!("{page}?done={done}#holds")).into_response())
}
