//! Rate limits: per API key, and per client address for failed authentications.

use crate::helpers::*;
use reqwest::Method;

// Sixty wrong logins in a row from one address meet a 429 (with Retry-After) well before the
// end; so do unknown bearer keys, answered as problem+json `/problems/rate-limited`.
#[tokio::test]
async fn repeated_wrong_logins_and_unknown_keys_meet_429() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut statuses = Vec::new();
    for i in 0..60 {
        let (form_cookie, token) = crate::pages::login_form(&app).await;
        let r = app
            .http
            .post(format!("{}/login", app.base))
            .header("cookie", form_cookie)
            .header("origin", &app.base)
            .form(&[("key", format!("sp_wrong_{i}")), ("csrf_token", token)])
            .send()
            .await
            .unwrap();
        if r.status() == 429 {
            assert!(r.headers().contains_key("retry-after"), "{:?}", r.headers());
        }
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses[0], 401);
    assert!(statuses.contains(&429), "{statuses:?}");
    // The same address with unknown keys: still limited (the failures are counted together).
    let r = app
        .request(Method::GET, "/v1/sites", Some("sp_not_a_key"), None)
        .await;
    assert_eq!(r.status, 429, "{:?}", r.body);
    assert_eq!(r.body["type"], "/problems/rate-limited");
    // A valid key is not refused for its address's failures.
    app.get("/v1/sites", &app.admin_key).await.expect(200);
}

// One key past its budget gets 429 with Retry-After; another key is unaffected.
#[tokio::test]
async fn a_key_past_its_budget_gets_429_and_others_do_not() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.ratelimit.per_key_per_second = 1;
        s.ratelimit.per_key_burst = 3;
    })
    .await;
    let busy = app.key("planner", None).await;
    let quiet = app.key("planner", None).await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(
            app.request(Method::GET, "/v1/sites", Some(&busy), None)
                .await
                .status
                .as_u16(),
        );
    }
    assert_eq!(&statuses[..3], &[200, 200, 200], "{statuses:?}");
    assert!(statuses.contains(&429), "{statuses:?}");
    let r = app
        .http
        .get(format!("{}/v1/sites", app.base))
        .bearer_auth(&busy)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    assert_eq!(
        app.request(Method::GET, "/v1/sites", Some(&quiet), None)
            .await
            .status,
        200
    );
}

// A request that does not finish within `server.request_timeout_s` (here a body that never
// arrives) is answered 503 with a body saying so: problem+json with Retry-After on the API, an
// HTML page on the pages.
#[tokio::test]
async fn a_request_past_the_timeout_gets_a_503_that_says_so() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.server.request_timeout_s = 1).await;
    let addr = app.base.trim_start_matches("http://").to_string();
    for (path, auth, sent, expect) in [
        (
            "/v1/sites",
            format!("authorization: Bearer {}\r\n", app.admin_key),
            "application/json",
            "application/problem+json",
        ),
        (
            "/login",
            String::new(),
            "application/x-www-form-urlencoded",
            "text/html",
        ),
    ] {
        let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nhost: {addr}\r\n{auth}content-type: {sent}\r\n\
             content-length: 100\r\nconnection: close\r\n\r\n{{\"name\":"
        );
        conn.write_all(head.as_bytes()).await.unwrap();
        let mut answer = String::new();
        tokio::time::timeout(
            std::time::Duration::from_secs(20),
            conn.read_to_string(&mut answer),
        )
        .await
        .expect("answered within 20 s")
        .unwrap();
        let lower = answer.to_ascii_lowercase();
        assert!(answer.starts_with("HTTP/1.1 503"), "{path}: {answer}");
        assert!(
            lower.contains(&format!("content-type: {expect}")),
            "{path}: {answer}"
        );
        if path == "/v1/sites" {
            assert!(lower.contains("retry-after:"), "{answer}");
            assert!(
                answer.contains("/problems/unavailable") && answer.contains("request_timeout_s"),
                "{answer}"
            );
        } else {
            assert!(answer.contains("Service Unavailable"), "{answer}");
        }
    }
    // Nothing was created by the half-sent body.
    let sites = app.get("/v1/sites", &app.admin_key).await.expect(200);
    assert_eq!(sites["items"].as_array().unwrap().len(), 0, "{sites}");
}
