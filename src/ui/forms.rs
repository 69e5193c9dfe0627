//! What every page form shares: the form's fields as the API's JSON (so a page is validated by
//! the very rules and messages of the API), a refusal shown next to the fields it names, and the
//! session's flash (the notice and per-item results a POST leaves for the page it redirects to).

use super::error::PageError;
use super::PageUser;
use crate::app::AppState;
use crate::domain::{ConflictItem, PoolConflict};
use crate::http::ApiError;
use axum::http::{HeaderMap, StatusCode};
use maud::{html, Markup};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::collections::HashMap;
use uuid::Uuid;

/// A posted form: its fields in order (a field may repeat: checkboxes, multi-selects).
pub type Fields = Vec<(String, String)>;

/// The first value of `name`, trimmed; `None` when absent or empty.
pub fn one<'a>(fields: &'a Fields, name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// Every non-empty value of `name`.
pub fn all<'a>(fields: &'a Fields, name: &str) -> Vec<&'a str> {
    fields
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
        .collect()
}

/// `name` as a JSON string, or null when empty (the API's "not given").
pub fn text(fields: &Fields, name: &str) -> serde_json::Value {
    one(fields, name).map_or(serde_json::Value::Null, |v| v.into())
}

/// `name` as a JSON integer when it is one; otherwise the text as typed, so that the API's own
/// check names the field ("invalid type: string …, expected i64"); null when empty.
pub fn integer(fields: &Fields, name: &str) -> serde_json::Value {
    match one(fields, name) {
        None => serde_json::Value::Null,
        Some(v) => v.parse::<i64>().map_or_else(|_| v.into(), Into::into),
    }
}

/// A date field (`YYYY-MM-DD`) as the end of that day in UTC, the instant the API takes.
pub fn end_of_day(fields: &Fields, name: &str) -> serde_json::Value {
    match one(fields, name) {
        None => serde_json::Value::Null,
        Some(v) if crate::domain::dates::parse_date(v).is_some() => format!("{v}T23:59:59Z").into(),
        Some(v) => v.into(),
    }
}

/// Checks the session's write (origin and CSRF token, [`super::check_page_write`]) and the key's
/// rate limit for a posted form.
pub fn check_post(
    state: &AppState,
    user: &PageUser,
    headers: &HeaderMap,
    fields: &Fields,
) -> Result<(), PageError> {
    super::check_page_write(state, headers, one(fields, crate::session::CSRF_FIELD))?;
    if let Err(wait) = state.limits.key(user.identity.id) {
        return Err(
            PageError::new(StatusCode::TOO_MANY_REQUESTS).with_message(format!(
                "Too many requests from this key; try again in {wait} s. Nothing changed."
            )),
        );
    }
    Ok(())
}

/// Why the API refused a form: its problem's detail, each field's message under the JSON
/// Pointer the API names, and what the change collided with.
#[derive(Debug, Default)]
pub struct Refusal {
    pub status: u16,
    pub detail: String,
    pub fields: BTreeMap<String, String>,
    pub conflicts: Vec<ConflictItem>,
    pub pool_days: Vec<PoolConflict>,
}

impl Refusal {
    /// A refusal for the person to read next to the form; a 5xx stays a page error (logged,
    /// never shown).
    pub fn of(e: ApiError) -> Result<Refusal, PageError> {
        if e.status().is_server_error() {
            return Err(match e {
                ApiError::Unavailable(_) => PageError::new(StatusCode::SERVICE_UNAVAILABLE),
                other => PageError::from_cause(other.to_string()),
            });
        }
        let p = e.problem();
        let mut fields = BTreeMap::new();
        for f in p.errors.unwrap_or_default() {
            fields
                .entry(f.field)
                .and_modify(|m: &mut String| {
                    m.push_str("; ");
                    m.push_str(&f.message)
                })
                .or_insert(f.message);
        }
        Ok(Refusal {
            status: p.status,
            detail: p.detail,
            fields,
            conflicts: p.conflicts.unwrap_or_default(),
            pool_days: p.pool_conflicts.unwrap_or_default(),
        })
    }

    /// The message for the field at `pointer` (e.g. `/start`).
    pub fn field(&self, pointer: &str) -> Option<&str> {
        self.fields.get(pointer).map(String::as_str)
    }

    /// The status code to answer the re-shown form with.
    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY)
    }

    /// One line: the detail, then what it collided with.
    pub fn summary(&self, programs: &HashMap<Uuid, &str>) -> String {
        let mut out = self.detail.clone();
        let conflicts = self.conflicts.iter().map(|c| {
            let whose = c
                .program_id
                .and_then(|p| programs.get(&p).copied())
                .map(|n| format!(" of {n}"))
                .unwrap_or_default();
            format!(
                "{}{whose} on line {}, {} to {}",
                c.kind, c.line, c.start, c.end
            )
        });
        let list: Vec<String> = conflicts.collect();
        if !list.is_empty() {
            out.push_str(" — ");
            out.push_str(&list.join("; "));
        }
        if let Some(first) = self.pool_days.first() {
            out.push_str(&format!(
                " — {} day(s) short from {}",
                self.pool_days.len(),
                first.day
            ));
        }
        out
    }

    /// The form's alert: what was refused, with the conflicts listed and the fields named by a
    /// pointer that no field of the form shows.
    pub fn alert(&self, shown: &[&str], programs: &HashMap<Uuid, &str>) -> Markup {
        let other: Vec<(&String, &String)> = self
            .fields
            .iter()
            .filter(|(k, _)| !shown.contains(&k.as_str()))
            .collect();
        html! {
            div.error role="alert" {
                strong { "Not done (" (self.status) "): " }
                (self.summary(programs))
                @if !other.is_empty() {
                    ul { @for (k, m) in other { li { code { (k) } " " (m) } } }
                }
            }
        }
    }
}

/// A labelled field: `label`, the input (its `id` must be `id`), and the API's message for
/// `pointer` under it, tied to the input by `aria-describedby` on the wrapper's message.
pub fn field(label: &str, id: &str, input: Markup, error: Option<&str>) -> Markup {
    html! {
        div.field {
            label for=(id) { (label) }
            (input)
            @if let Some(e) = error { span.field-error id=(format!("{id}-error")) role="alert" { (e) } }
        }
    }
}

/// What a POST leaves for the page it redirects to (POST-redirect-GET): a notice and, for bulk
/// actions, the result per item.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Flash {
    pub notice: Option<String>,
    #[serde(default)]
    pub results: Vec<FlashRow>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct FlashRow {
    pub item: String,
    pub ok: bool,
    pub outcome: String,
}

impl Flash {
    pub fn notice(text: impl Into<String>) -> Flash {
        Flash {
            notice: Some(text.into()),
            results: Vec::new(),
        }
    }

    /// Leaves this flash in the caller's session.
    pub async fn leave(&self, state: &AppState, user: &PageUser) -> Result<(), PageError> {
        let text = serde_json::to_string(self).map_err(|e| PageError::from_cause(e.to_string()))?;
        let hash = user.token_hash.clone();
        state
            .write(|store| store.set_session_flash(&hash, &text))
            .await?;
        Ok(())
    }

    /// The session's flash, if one was left (shown once).
    pub async fn take(state: &AppState, user: &PageUser) -> Result<Option<Flash>, PageError> {
        let hash = user.token_hash.clone();
        let text = state.write(|store| store.take_session_flash(&hash)).await?;
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
    }

    /// The notice (`role="status"`) and the results table; results say "done"/"refused" in
    /// words, not by colour only.
    pub fn show(flash: Option<&Flash>) -> Markup {
        let Some(f) = flash else { return html! {} };
        html! {
            @if let Some(n) = &f.notice { p.notice role="status" { (n) } }
            @if !f.results.is_empty() {
                table.results {
                    thead { tr { th { "item" } th { "result" } th { "detail" } } }
                    tbody {
                        @for r in &f.results {
                            tr class=(if r.ok { "ok" } else { "refused" }) {
                                td { (r.item) }
                                td { @if r.ok { "done" } @else { strong { "refused" } } }
                                td { (r.outcome) }
                            }
                        }
                    }
                }
            }
        }
    }
}
