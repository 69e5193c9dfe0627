//! Errors on pages answer an HTML page a person can read — the status, a short message and a
//! way back — never problem+json, and for 5xx never the cause (it is logged instead).

use super::layout;
use crate::app::InternalCause;
use crate::store::StoreError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::html;

#[derive(Debug)]
pub struct PageError {
    status: StatusCode,
    message: std::borrow::Cow<'static, str>,
    /// Logged, never shown.
    cause: Option<String>,
}

impl PageError {
    pub fn new(status: StatusCode) -> PageError {
        let message = match status {
            StatusCode::NOT_FOUND => "There is no such page, or it is not yours to see.",
            StatusCode::FORBIDDEN => "Your key may not see this page.",
            StatusCode::METHOD_NOT_ALLOWED => "This page cannot be used that way.",
            StatusCode::PAYLOAD_TOO_LARGE => "What you sent is too large.",
            StatusCode::SERVICE_UNAVAILABLE => {
                "The service is busy or cannot reach its database. Try again in a moment."
            }
            s if s.is_server_error() => "Something went wrong on our side. It has been logged.",
            _ => "The request could not be handled.",
        };
        PageError {
            status,
            message: message.into(),
            cause: None,
        }
    }

    /// A message of its own instead of the status's usual one.
    pub fn with_message(self, message: impl Into<std::borrow::Cow<'static, str>>) -> PageError {
        PageError {
            message: message.into(),
            ..self
        }
    }

    pub fn not_found() -> PageError {
        PageError::new(StatusCode::NOT_FOUND)
    }

    /// A 5xx whose cause is logged, never shown.
    pub fn from_cause(cause: String) -> PageError {
        PageError {
            cause: Some(cause),
            ..PageError::new(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => PageError::not_found(),
            StoreError::Forbidden(why) => PageError::new(StatusCode::FORBIDDEN)
                .with_message(format!("Not allowed: {why}. Nothing changed.")),
            StoreError::State(why) => PageError::new(StatusCode::CONFLICT)
                .with_message(format!("Nothing changed: {why}.")),
            StoreError::Busy => PageError::new(StatusCode::SERVICE_UNAVAILABLE),
            // The pages' actions change a booking's state only: anything else is our fault.
            other => PageError::from_cause(other.to_string()),
        }
    }
}

impl From<crate::http::ApiError> for PageError {
    fn from(e: crate::http::ApiError) -> Self {
        use crate::http::ApiError;
        match e {
            ApiError::NotFound => PageError::not_found(),
            ApiError::Unavailable(_) => PageError::new(StatusCode::SERVICE_UNAVAILABLE),
            e if e.status().is_server_error() => PageError::from_cause(e.to_string()),
            e => {
                let status = e.status();
                PageError::new(status)
                    .with_message(format!("Nothing changed: {}.", e.problem().detail))
            }
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let reason = self.status.canonical_reason().unwrap_or("Error");
        let page = layout(
            reason,
            None,
            html! {
                h2 { (self.status.as_u16()) " · " (reason) }
                p { (&*self.message) }
                p { a href="/ui/" { "Back to the start page" } }
            },
        );
        let mut response = (self.status, page).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if let Some(cause) = self.cause {
            response.extensions_mut().insert(InternalCause(cause));
        }
        response
    }
}

/// Errors produced outside page handlers (405 from the router, rejections with a plain-text
/// body) become the same HTML page.
pub async fn html_for_bare_errors(response: Response) -> Response {
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if response.status().as_u16() < 400 || is_html {
        return response;
    }
    let mut page = PageError::new(response.status()).into_response();
    if let Some(allow) = response.headers().get(header::ALLOW) {
        page.headers_mut().insert(header::ALLOW, allow.clone());
    }
    page
}
