//! What a person does from the pages: forms that post here, each checked like every write made
//! with the session cookie ([`super::check_page_write`]: our own origin and the session's CSRF
//! token) and counted against the key's rate limit, done through the same store calls as the API (so the same rules, audit rows and
//! events), then redirected (POST-redirect-GET) to the page it came from. A refused action
//! answers an HTML page with the reason and changes nothing.

use super::error::PageError;
use super::forms::{all, check_post, end_of_day, one, Fields, Flash, FlashRow, Refusal};
use super::PageUser;
use crate::app::AppState;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use uuid::Uuid;

/// `POST /ui/bookings/{id}/confirm` (staff), `…/extend` (staff, with `hold_expires`, a date:
/// the hold then lasts to the end of that day, UTC) and `…/cancel` (staff, or a client its own
/// holds): the booking changes as through `POST /v1/bookings/{id}/…`, then back to the page's
/// holds with the outcome.
pub async fn booking_action(
    State(state): State<AppState>,
    user: PageUser,
    headers: HeaderMap,
    Path((id, action)): Path<(Uuid, String)>,
    form: Result<Form<Fields>, FormRejection>,
) -> Result<Response, PageError> {
    let fields = form.map(|f| f.0).unwrap_or_default();
    check_post(&state, &user, &headers, &fields)?;
    let actor = user.identity.actor(None);
    let done = match action.as_str() {
        "confirm" if user.is_staff() => {
            state
                .write(|store| store.confirm_booking(&actor, id))
                .await?;
            "The hold is confirmed.".to_string()
        }
        "extend" if user.is_staff() => {
            let input = crate::http::from_json_value::<crate::domain::HoldExtension>(
                serde_json::json!({ "hold_expires_at": end_of_day(&fields, "hold_expires") }),
            )?;
            let b = crate::http::extend(&state, &actor, id, input).await?;
            format!(
                "The hold now expires at {}.",
                b.hold_expires_at
                    .map_or("-".into(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string())
            )
        }
        "confirm" | "extend" => {
            return Err(PageError::new(StatusCode::FORBIDDEN).with_message(
                "Clients reserve slots as holds; the CDMO confirms and extends them.",
            ))
        }
        "cancel" => {
            state
                .write(|store| store.cancel_booking(&actor, id))
                .await?;
            "The booking is cancelled.".to_string()
        }
        _ => return Err(PageError::not_found()),
    };
    Flash::notice(done).leave(&state, &user).await?;
    let page = if user.is_staff() {
        "/ui/"
    } else {
        "/ui/client"
    };
    Ok(Redirect::to(&format!("{page}#holds")).into_response())
}

/// `POST /ui/feeds` (a client): a calendar feed URL of its own bookings, shown once on its home
/// page (the URL is the credential).
pub async fn new_feed(
    State(state): State<AppState>,
    user: PageUser,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    check_post(&state, &user, &headers, &fields)?;
    let actor = user.identity.actor(None);
    let input = crate::http::NewFeed {
        suite_id: None,
        program_id: None,
    };
    let feed = crate::http::new_feed(&state, &actor, &headers, input).await?;
    Flash::notice(format!(
        "Your calendar feed (add it to your calendar program; it is shown only now, and anyone with it sees your bookings): {}",
        feed.url
    ))
    .leave(&state, &user)
    .await?;
    Ok(Redirect::to(&home(&user, "#feeds")).into_response())
}

/// `POST /ui/webhooks`: a subscription of the caller's (`url`, `events`), its secret shown once.
pub async fn new_webhook(
    State(state): State<AppState>,
    user: PageUser,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    check_post(&state, &user, &headers, &fields)?;
    let actor = user.identity.actor(None);
    let events: Vec<&str> = all(&fields, "events");
    let input = crate::http::from_json_value::<crate::http::WebhookInput>(serde_json::json!({
        "url": one(&fields, "url").unwrap_or(""),
        "events": events,
    }));
    let outcome = match input {
        Ok(input) => crate::http::subscribe(&state, &actor, input).await,
        Err(e) => Err(e),
    };
    let flash = match outcome {
        Ok(hook) => Flash::notice(format!(
            "Subscribed {}. Its signing secret (shown only now; verify each delivery's webhook-signature with it): {}",
            hook.url, hook.secret
        )),
        Err(e) => {
            let r = Refusal::of(e)?;
            Flash {
                notice: None,
                results: vec![FlashRow {
                    item: "new subscription".into(),
                    ok: false,
                    outcome: format!(
                        "{}: {}",
                        r.status,
                        r.fields
                            .iter()
                            .map(|(k, m)| format!("{k} {m}"))
                            .chain(r.fields.is_empty().then(|| r.detail.clone()))
                            .collect::<Vec<_>>()
                            .join("; ")
                    ),
                }],
            }
        }
    };
    flash.leave(&state, &user).await?;
    Ok(Redirect::to(&home(&user, "#webhooks")).into_response())
}

/// `POST /ui/webhooks/{id}/delete`.
pub async fn delete_webhook(
    State(state): State<AppState>,
    user: PageUser,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    check_post(&state, &user, &headers, &fields)?;
    let actor = user.identity.actor(None);
    let scope = actor.scope();
    state
        .write(|store| store.delete_webhook(&actor, id, scope))
        .await?;
    Flash::notice("The subscription is deleted.")
        .leave(&state, &user)
        .await?;
    Ok(Redirect::to(&home(&user, "#webhooks")).into_response())
}

fn home(user: &PageUser, anchor: &str) -> String {
    let page = if user.is_staff() {
        "/ui/"
    } else {
        "/ui/client"
    };
    format!("{page}{anchor}")
}
