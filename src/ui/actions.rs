//! What a person does from the pages: forms that post here, each checked like every write made
//! with the session cookie ([`super::check_page_write`]: our own origin and the session's CSRF
//! token) and counted against the key's rate limit, done through the same store calls as the API (so the same rules, audit rows and
//! events), then redirected (POST-redirect-GET) to the page it came from. A refused action
//! answers an HTML page with the reason and changes nothing.

use super::error::PageError;
use super::PageUser;
use crate::app::AppState;
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
    let presented = form.as_ref().ok().and_then(|f| f.csrf_token.as_deref());
    super::check_page_write(&state, &headers, presented)?;
    // Page actions count against the key's rate limit as its API calls do.
    if let Err(wait) = state.limits.key(user.identity.id) {
        return Err(
            PageError::new(StatusCode::TOO_MANY_REQUESTS).with_message(format!(
                "Too many requests from this key; try again in {wait} s. Nothing changed."
            )),
        );
    }
    let actor = user.identity.actor(None);
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
