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
        let r = app
            .http
            .post(format!("{}/login", app.base))
            .form(&[("key", format!("sp_wrong_{i}"))])
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
