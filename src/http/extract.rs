//! Extractors whose rejections speak problem+json and name the field at fault.

use super::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use uuid::Uuid;

/// A JSON body. Not JSON → 400; wrong type, missing or unknown field → 422 with a JSON Pointer.
pub struct ApiJson<T>(pub T);

/// `a.b[1].c` (serde_path_to_error) → `/a/b/1/c`, plus the field an error message names.
fn pointer(path: &serde_path_to_error::Path, message: &str) -> String {
    let mut out = String::new();
    for seg in path.iter() {
        use serde_path_to_error::Segment;
        match seg {
            Segment::Seq { index } => out.push_str(&format!("/{index}")),
            Segment::Map { key } => {
                out.push_str(&format!("/{}", key.replace('~', "~0").replace('/', "~1")))
            }
            Segment::Enum { variant } => out.push_str(&format!("/{variant}")),
            Segment::Unknown => {}
        }
    }
    // A missing field is reported at its parent; point at the field itself. (Unknown fields
    // already carry their own name in the path.)
    if let Some(name) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
    {
        out.push('/');
        out.push_str(name);
    }
    out
}

/// Deserialises a JSON value, reporting the failing field as a JSON Pointer.
pub fn from_json_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let message = e.inner().to_string();
        let field = pointer(e.path(), &message);
        // serde's messages end with " at line 1 column 2" only for text input; values have none.
        ApiError::invalid(
            if field.is_empty() {
                "/".to_string()
            } else {
                field
            },
            message,
        )
    })
}

fn parse_json_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::BadRequest(format!("the body is not valid JSON: {e}")))?;
    // Every body this API takes is an object; serde would also read a struct from an array of
    // its fields in order, which the document does not allow.
    if !value.is_object() {
        return Err(ApiError::invalid("/", "the body must be a JSON object"));
    }
    integral_floats_to_integers(&mut value);
    from_json_value(value)
}

/// JSON Schema counts `3.0` as an integer; serde reads it into an `f64` but not into an `i64`.
/// Written as integers, such numbers are taken wherever an integer is (and still wherever a
/// float is).
fn integral_floats_to_integers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|_| n.is_f64()) {
                // Inside i64 (`i64::MAX as f64` is 2^63, itself outside).
                if f.fract() == 0.0 && f.abs() < i64::MAX as f64 {
                    *n = serde_json::Number::from(f as i64);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_floats_to_integers),
        Value::Object(map) => map.values_mut().for_each(integral_floats_to_integers),
        _ => {}
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        // A body in another format is refused whatever it holds: a page on another site can
        // post `text/plain` or a form without asking the browser's permission, JSON it cannot.
        let json = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(is_json);
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::BadRequest(rejection.body_text())
            }
        })?;
        if !json && !bytes.is_empty() {
            return Err(ApiError::UnsupportedMediaType);
        }
        parse_json_body(&bytes).map(ApiJson)
    }
}

/// `application/json`, or an `application/…+json` type, with any parameters.
fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// A UUID as the document's `uuid` format has it: `8-4-4-4-12` hex digits. (`Uuid::parse_str`
/// also takes the braced, URN and hyphen-less forms.)
pub fn hyphenated_uuid(s: &str) -> Option<Uuid> {
    if s.len() == 36 {
        Uuid::try_parse(s).ok()
    } else {
        None
    }
}

/// A UUID path parameter: anything else is simply not found.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync> FromRequestParts<S> for ApiPath<Uuid> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|_| ApiError::NotFound)?;
        hyphenated_uuid(&raw).map(ApiPath).ok_or(ApiError::NotFound)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ApiPath<(Uuid, Uuid)> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path((a, b)) =
            axum::extract::Path::<(String, String)>::from_request_parts(parts, state)
                .await
                .map_err(|_| ApiError::NotFound)?;
        match (hyphenated_uuid(&a), hyphenated_uuid(&b)) {
            (Some(a), Some(b)) => Ok(ApiPath((a, b))),
            _ => Err(ApiError::NotFound),
        }
    }
}

/// Query parameters; a bad or unknown one → 422 with `field` = its name.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded_parse(query));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| {
                let message = e.inner().to_string();
                let field = pointer(e.path(), &message);
                ApiError::invalid(field.trim_start_matches('/').to_string(), message)
            })
    }
}

fn form_urlencoded_parse(query: &str) -> form_urlencoded::Parse<'_> {
    form_urlencoded::parse(query.as_bytes())
}

/// `?limit=&cursor=` of every list.
#[derive(Debug, Clone, Copy)]
pub struct Paging;

impl Paging {
    pub fn parse(limit: Option<i64>, cursor: Option<&str>) -> Result<crate::store::Page, ApiError> {
        let limit = limit.unwrap_or(100);
        if !(1..=1000).contains(&limit) {
            return Err(ApiError::invalid("limit", "must be between 1 and 1000"));
        }
        let after = match cursor {
            None | Some("") => None,
            Some(c) => Some(hyphenated_uuid(c).ok_or_else(|| {
                ApiError::invalid("cursor", "not a cursor returned by this list")
            })?),
        };
        Ok(crate::store::Page {
            limit: limit as u32,
            after,
        })
    }
}
