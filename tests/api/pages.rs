//! The server-rendered pages: login and logout, sessions, the planner's and a client's homes,
//! and one real browser (headless Chromium) rendering them.

use crate::both_backends;
use crate::helpers::*;
use chrono::{Duration, Utc};
use serde_json::{json, Value};

/// Logs in with `key`; returns the status, the Location and the Set-Cookie header.
async fn login(app: &TestApp, key: &str) -> (u16, String, String, String) {
    let r = app
        .http
        .post(format!("{}/login", app.base))
        .form(&[("key", key)])
        .send()
        .await
        .expect("login sent");
    let header = |name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let (location, cookie) = (header("location"), header("set-cookie"));
    let status = r.status().as_u16();
    let body = r.text().await.unwrap_or_default();
    (status, location, cookie, body)
}

/// The `name=value` part of a Set-Cookie header.
fn cookie_pair(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_string()
}

/// GET `path` with a cookie: status, Location, content type and body.
async fn page(app: &TestApp, path: &str, cookie: &str) -> (u16, String, String, String) {
    let r = app
        .http
        .get(format!("{}{}", app.base, path))
        .header("cookie", cookie)
        .send()
        .await
        .expect("page sent");
    let header = |name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let (location, ct) = (header("location"), header("content-type"));
    let status = r.status().as_u16();
    (status, location, ct, r.text().await.unwrap_or_default())
}

fn day(offset: i64) -> String {
    (Utc::now().date_naive() + Duration::days(offset)).to_string()
}

fn booking(program: &Value, suite: &Value, line: i64, from: i64, to: i64, status: &str) -> Value {
    json!({"program_id": program["id"], "suite_id": suite["id"], "line": line, "start": day(from),
           "end": day(to), "status": status, "hold_expires_at": null, "note": null})
}

both_backends!(login_sessions_and_logout, |app: TestApp| async move {
    // No session: every page sends the browser to the login form.
    for path in ["/ui/", "/ui/client"] {
        let (status, location, _, _) = page(&app, path, "").await;
        assert_eq!((status, location.as_str()), (303, "/login"), "{path}");
    }
    let (status, _, _, _) = page(&app, "/ui/", "suiteplan_session=forged").await;
    assert_eq!(status, 303);
    let (status, location, _, _) = page(&app, "/", "").await;
    assert_eq!((status, location.as_str()), (303, "/ui/"));
    let (status, _, ct, form) = page(&app, "/login", "").await;
    assert_eq!(status, 200);
    assert!(ct.starts_with("text/html"), "{ct}");
    assert!(form.contains(r#"name="key""#) && form.contains(r#"type="password""#));

    // A bad key: the form again, with an error, as HTML.
    let (status, _, cookie, body) = login(&app, "sp_not-a-key").await;
    assert_eq!(status, 401);
    assert!(cookie.is_empty());
    assert!(
        body.contains("not valid") && body.contains(r#"name="key""#),
        "{body}"
    );
    let (status, _, _, _) = login(&app, "").await;
    assert_eq!(status, 401);
    // A form without the field is a 400 page, not a 500.
    let r = app
        .http
        .post(format!("{}/login", app.base))
        .form(&[("other", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);

    let site = app.site("Leiden").await;
    app.suite(&site["id"], "CT-North", &["autologous"], 2).await;
    app.suite(&site["id"], "CT-<South>", &["autologous"], 1)
        .await;
    let planner = app.key("planner", None).await;
    let (status, location, set_cookie, _) = login(&app, &planner).await;
    assert_eq!((status, location.as_str()), (303, "/ui/"));
    let lower = set_cookie.to_ascii_lowercase();
    assert!(set_cookie.starts_with("suiteplan_session="), "{set_cookie}");
    assert!(lower.contains("httponly"), "{set_cookie}");
    assert!(lower.contains("samesite=strict"), "{set_cookie}");
    assert!(lower.contains("path=/"), "{set_cookie}");
    let cookie = cookie_pair(&set_cookie);

    let (status, _, ct, html) = page(&app, "/ui/", &cookie).await;
    assert_eq!(status, 200, "{html}");
    assert!(ct.starts_with("text/html"), "{ct}");
    assert!(html.contains("<svg"));
    assert!(html.contains("CT-North"));
    assert!(html.contains("CT-&lt;South&gt;") && !html.contains("CT-<South>"));
    assert!(html.contains("No plan yet"));
    // Staff on the client page go home.
    let (status, location, _, _) = page(&app, "/ui/client", &cookie).await;
    assert_eq!((status, location.as_str()), (303, "/ui/"));

    // Logging out ends the session server-side: the old cookie no longer opens pages.
    let r = app
        .http
        .post(format!("{}/logout", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(r.headers()["location"], "/login");
    let cleared = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cleared.starts_with("suiteplan_session="), "{cleared}");
    let (status, location, _, _) = page(&app, "/ui/", &cookie).await;
    assert_eq!((status, location.as_str()), (303, "/login"));

    // Revoking the key ends its sessions too.
    let (_, _, set_cookie, _) = login(&app, &planner).await;
    let cookie = cookie_pair(&set_cookie);
    assert_eq!(page(&app, "/ui/", &cookie).await.0, 200);
    let keys = app.get("/v1/api-keys", &app.admin_key).await.expect(200);
    let id = keys["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["role"] == "planner")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.delete(&format!("/v1/api-keys/{id}"), &app.admin_key)
        .await
        .expect(204);
    assert_eq!(page(&app, "/ui/", &cookie).await.0, 303);
});

both_backends!(a_client_sees_only_its_own, |app: TestApp| async move {
    let site = app.site("Leiden").await;
    let suite = app.suite(&site["id"], "CT-1", &["autologous"], 2).await;
    let mine = app.client("Helix").await;
    let theirs = app.client("Rival").await;
    let my_program = app.program(&mine["id"], "HLX-Alpha").await;
    let their_program = app.program(&theirs["id"], "RVL-Secret").await;
    app.put(
        &format!(
            "/v1/programs/{}/forecast",
            my_program["id"].as_str().unwrap()
        ),
        &app.admin_key,
        json!({"entries": [{"month": day(40)[..7], "phase": "phase1", "batches": 2}]}),
    )
    .await
    .expect(200);
    let b1 = app
        .post(
            "/v1/bookings",
            &app.admin_key,
            booking(&my_program, &suite, 1, 10, 24, "confirmed"),
        )
        .await
        .expect(201);
    let b2 = app
        .post(
            "/v1/bookings",
            &app.admin_key,
            booking(&their_program, &suite, 2, 12, 30, "held"),
        )
        .await
        .expect(201);

    let key = app.key("client", mine["id"].as_str()).await;
    let (status, location, set_cookie, _) = login(&app, &key).await;
    assert_eq!((status, location.as_str()), (303, "/ui/client"));
    let cookie = cookie_pair(&set_cookie);
    // A client on the planner home is sent to its own.
    let (status, location, _, _) = page(&app, "/ui/", &cookie).await;
    assert_eq!((status, location.as_str()), (303, "/ui/client"));

    let (status, _, ct, html) = page(&app, "/ui/client", &cookie).await;
    assert_eq!(status, 200, "{html}");
    assert!(ct.starts_with("text/html"));
    assert!(html.contains("<svg"));
    assert!(html.contains("HLX-Alpha"));
    assert!(
        html.contains("unavailable"),
        "others' work shows as unavailable"
    );
    for secret in [
        "RVL-Secret",
        "Rival",
        their_program["id"].as_str().unwrap(),
        theirs["id"].as_str().unwrap(),
        b2["id"].as_str().unwrap(),
    ] {
        assert!(
            !html.contains(secret),
            "{secret} leaked into the client page"
        );
    }
    assert!(
        !html.contains(b1["id"].as_str().unwrap()),
        "ids are not shown at all"
    );

    // The planner sees both programs' bookings by name.
    let planner = app.key("planner", None).await;
    let cookie = cookie_pair(&login(&app, &planner).await.2);
    let (status, _, _, html) = page(&app, "/ui/", &cookie).await;
    assert_eq!(status, 200);
    assert!(html.contains("HLX-Alpha") && html.contains("RVL-Secret"));
});
