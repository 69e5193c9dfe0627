//! The finishing pass over the generated OpenAPI document: every error an operation can answer,
//! declared once here rather than on each handler.
//!
//! The errors most operations share come from the extractors, not the handlers: a key is checked
//! by [`super::auth`] (401, 429), a body by [`super::ApiJson`] (400, 413, 415, 422), a path id by
//! [`super::ApiPath`] (404), a query by [`super::ApiQuery`] (422), an `Idempotency-Key` by
//! [`super::idempotency`] (400, 409, 422); any write may meet a busy database or the request
//! timeout (503), and a write authenticated by the page cookie from another origin is 403. So
//! the pass reads each operation's shape (its method, body and parameters) and adds what those
//! parts can answer; the handlers' own annotations add the rest (a role's 403, a conflict's
//! 409). Every error is `application/problem+json` with the `Problem` schema.

use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{Object, Type};
use utoipa::openapi::{Content, OpenApi, Ref, RefOr, Response};

use super::error::PROBLEM_JSON;

/// What each error status means when a handler's annotation says nothing more specific.
fn default_description(status: &str) -> &'static str {
    match status {
        "400" => "The body is not JSON, or a header is malformed (`/problems/malformed`).",
        "401" => "Missing, unknown or revoked API key (`/problems/unauthorized`).",
        "403" => {
            "The caller's role may not do this, or a write made with the page session cookie \
             came from another origin (`/problems/forbidden`)."
        }
        "404" => {
            "No such resource, or not the caller's; a path id that is not a UUID \
             (`/problems/not-found`)."
        }
        "409" => "Conflict with the current state (`/problems/…`).",
        "413" => "The body is over `server.max_body_bytes` (1 MiB) (`/problems/too-large`).",
        "415" => {
            "A body sent with a content type other than `application/json` \
             (`/problems/unsupported-media-type`)."
        }
        "422" => {
            "Invalid input; `errors` names each field at fault, as a JSON Pointer into the \
             body or as the query parameter's name (`/problems/validation`)."
        }
        "429" => {
            "Too many requests from this key, or too many failed authentications from this \
             address; `Retry-After` says when to try again (`/problems/rate-limited`)."
        }
        "503" => {
            "The database stayed busy after the server's own retries, or the request took \
             longer than `server.request_timeout_s`; `Retry-After` says when to try again \
             (`/problems/unavailable`)."
        }
        _ => "Error.",
    }
}

/// The statuses an operation of this shape can answer whatever its handler does.
fn shared_statuses(method: &str, op: &Operation) -> Vec<&'static str> {
    let params = op.parameters.as_deref().unwrap_or_default();
    let has = |place: ParameterIn| params.iter().any(|p| p.parameter_in == place);
    let idempotent = params.iter().any(|p| {
        p.parameter_in == ParameterIn::Header && p.name.eq_ignore_ascii_case("idempotency-key")
    });
    let mut out = vec!["401", "429", "503"];
    if method != "get" {
        out.push("403");
    }
    if op.request_body.is_some() {
        out.extend(["400", "413", "415", "422"]);
    }
    if has(ParameterIn::Path) {
        out.push("404");
    }
    if has(ParameterIn::Query) {
        out.push("422");
    }
    if idempotent {
        out.extend(["400", "409", "422"]);
    }
    out
}

fn problem_content() -> Content {
    Content::new(Some(RefOr::Ref(Ref::from_schema_name("Problem"))))
}

fn retry_after() -> utoipa::openapi::header::Header {
    HeaderBuilder::new()
        .schema(Object::with_type(Type::Integer))
        .description(Some("Seconds to wait before trying again."))
        .build()
}

fn complete_operation(method: &str, op: &mut Operation) {
    for status in shared_statuses(method, op) {
        op.responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| RefOr::T(Response::new(default_description(status))));
    }
    for (status, response) in op.responses.responses.iter_mut() {
        let RefOr::T(response) = response else {
            continue;
        };
        if !status.starts_with('4') && !status.starts_with('5') {
            continue;
        }
        if response.description.is_empty() {
            response.description = default_description(status).to_string();
        }
        response.content.clear();
        response
            .content
            .insert(PROBLEM_JSON.to_string(), problem_content());
        if status == "429" || status == "503" {
            response
                .headers
                .insert("Retry-After".to_string(), retry_after());
        }
    }
}

/// Declares on every operation of `doc` the errors it can answer (see the module documentation).
pub fn complete(doc: &mut OpenApi) {
    for item in doc.paths.paths.values_mut() {
        for (method, op) in [
            ("get", &mut item.get),
            ("put", &mut item.put),
            ("post", &mut item.post),
            ("delete", &mut item.delete),
            ("patch", &mut item.patch),
        ] {
            if let Some(op) = op {
                complete_operation(method, op);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    fn document() -> Value {
        serde_json::to_value(super::super::api().1).expect("the document serialises")
    }

    fn refs<'v>(v: &'v Value, out: &mut Vec<&'v str>) {
        match v {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    out.push(r);
                }
                map.values().for_each(|v| refs(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }

    fn operations(doc: &Value) -> Vec<(String, &Value)> {
        let mut out = Vec::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (method, op) in item.as_object().expect("path item") {
                out.push((format!("{} {path}", method.to_uppercase()), op));
            }
        }
        out
    }

    #[test]
    fn every_reference_resolves() {
        let doc = document();
        let mut found = Vec::new();
        refs(&doc, &mut found);
        let schemas = &doc["components"]["schemas"];
        for r in found {
            let name = r
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("unexpected reference {r}"));
            assert!(schemas.get(name).is_some(), "{r} is not in components");
        }
    }

    #[test]
    fn every_error_is_problem_json_and_the_shared_ones_are_declared() {
        let doc = document();
        for (label, op) in operations(&doc) {
            let responses = op["responses"].as_object().expect("responses");
            for status in ["401", "429", "503"] {
                assert!(responses.contains_key(status), "{label} lacks {status}");
            }
            if op.get("requestBody").is_some() {
                for status in ["400", "413", "415", "422"] {
                    assert!(responses.contains_key(status), "{label} lacks {status}");
                }
            }
            for (status, response) in responses {
                let content = response.get("content").and_then(Value::as_object);
                if status.starts_with('4') || status.starts_with('5') {
                    let content = content.unwrap_or_else(|| panic!("{label} {status}: no body"));
                    assert_eq!(
                        content.keys().collect::<Vec<_>>(),
                        ["application/problem+json"],
                        "{label} {status}"
                    );
                }
            }
        }
    }

    #[test]
    fn parameters_are_where_the_server_reads_them_and_lists_state_the_limit() {
        let doc = document();
        for (label, op) in operations(&doc) {
            let Some(params) = op.get("parameters").and_then(Value::as_array) else {
                continue;
            };
            for p in params {
                if p["in"] == "path" {
                    let name = p["name"].as_str().unwrap_or_default();
                    assert!(label.contains(&format!("{{{name}}}")), "{label}: {name}");
                }
                if p["name"] == "limit" {
                    assert_eq!(p["in"], "query", "{label}");
                    assert_eq!(p["schema"]["minimum"], 1, "{label}");
                    assert_eq!(p["schema"]["maximum"], 1000, "{label}");
                }
            }
        }
    }
}
