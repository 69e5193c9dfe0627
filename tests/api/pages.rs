//! The server-rendered pages: login and logout, sessions, the planner's and a client's homes,
//! and one real browser (headless Chromium) rendering them.

use crate::both_backends;
use crate::helpers::*;
use chrono::{Duration, Utc};
use serde_json::{json, Value};

/// Logs in with `key`; returns the status, the Location and the Set-Cookie header.
pub async fn login(app: &TestApp, key: &str) -> (u16, String, String, String) {
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
    let r = app
        .http
        .get(format!("{}/login", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert!(r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
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

const CHROMIUM: &str = "/usr/bin/chromium";

/// Runs headless Chromium on `url` with `extra` arguments; returns its stdout.
async fn chromium(profile: &std::path::Path, extra: &[String], url: &str) -> String {
    let out = tokio::process::Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--virtual-time-budget=5000",
            "--window-size=1400,1000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(std::time::Duration::from_secs(90), out)
        .await
        .expect("chromium finished within 90 s")
        .expect("chromium runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A page on another port of 127.0.0.1 (so the same site) that logs in with `key` as soon as it
/// loads: the browser then holds a real session, exactly as after typing the key.
async fn serve_login_page(base: &str, key: &str) -> String {
    let html = format!(
        r#"<!doctype html><body onload="document.forms[0].submit()">
<form method="post" action="{base}/login"><input type="hidden" name="key" value="{key}"></form>"#
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let router = axum::Router::new().route(
        "/",
        axum::routing::get(move || {
            let html = html.clone();
            async move { axum::response::Html(html) }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}/")
}

/// Fills a small CDMO: two suites, two clients, bookings next month, forecasts and a done plan.
async fn seed(app: &TestApp) -> (Value, String) {
    let site = app.site("Leiden").await;
    let north = app.suite(&site["id"], "CT-North", &["autologous"], 2).await;
    let south = app.suite(&site["id"], "CT-South", &["autologous"], 1).await;
    app.post(
        &format!("/v1/suites/{}/closures", south["id"].as_str().unwrap()),
        &app.admin_key,
        json!({"start": day(60), "end": day(74), "reason": "requalification", "lines": null, "force": false}),
    )
    .await
    .expect(201);
    let helix = app.client("Helix").await;
    let rival = app.client("Rival").await;
    let hlx = app.program(&helix["id"], "HLX-Alpha").await;
    let rvl = app.program(&rival["id"], "RVL-Beta").await;
    for (p, batches) in [(&hlx, 3), (&rvl, 4)] {
        let entries: Vec<Value> = (1..5)
            .map(|i| json!({"month": day(30 * i)[..7], "phase": "phase1", "batches": batches}))
            .collect();
        app.put(
            &format!("/v1/programs/{}/forecast", p["id"].as_str().unwrap()),
            &app.admin_key,
            json!({"entries": entries}),
        )
        .await
        .expect(200);
    }
    for (p, s, line, from, to, status) in [
        (&hlx, &north, 1, 5, 21, "confirmed"),
        (&hlx, &north, 1, 40, 56, "held"),
        (&rvl, &north, 2, 10, 26, "confirmed"),
        (&rvl, &south, 1, 20, 36, "held"),
    ] {
        app.post(
            "/v1/bookings",
            &app.admin_key,
            booking(p, s, line, from, to, status),
        )
        .await
        .expect(201);
    }
    let month = |offset: i64| format!("{}-01", &day(offset)[..7]);
    let queued = app
        .post(
            "/v1/plans",
            &app.admin_key,
            json!({"from": month(0), "to": month(190), "scenario": "expected", "program_ids": null, "time_limit_s": 10}),
        )
        .await
        .expect(202);
    let id = queued["id"].as_str().unwrap().to_string();
    let started = std::time::Instant::now();
    loop {
        let plan = app
            .get(&format!("/v1/plans/{id}"), &app.admin_key)
            .await
            .expect(200);
        match plan["status"].as_str() {
            Some("done") => break,
            Some("failed") => panic!("plan failed: {plan}"),
            _ => assert!(started.elapsed().as_secs() < 120, "plan not done: {plan}"),
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    (helix, id)
}

#[tokio::test]
async fn a_browser_logs_in_and_sees_the_capacity_picture() {
    assert!(
        std::path::Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: this test needs a real browser (scripts/setup.sh --test installs \
         chromium)"
    );
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (helix, _) = seed(&app).await;
    let dir = tempfile::tempdir().expect("temp dir");
    // Screenshots land in SUITEPLAN_SCREENSHOTS when set (to look at them), else a temp dir.
    let shots = std::env::var("SUITEPLAN_SCREENSHOTS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| dir.path().to_path_buf());
    std::fs::create_dir_all(&shots).expect("screenshot dir");

    // The login form, rendered.
    let login_png = shots.join("login.png");
    chromium(
        &dir.path().join("p1"),
        &[format!("--screenshot={}", login_png.display())],
        &format!("{}/login", app.base),
    )
    .await;
    let size = std::fs::metadata(&login_png).map(|m| m.len()).unwrap_or(0);
    assert!(size > 1000, "login screenshot is {size} bytes");
    let dom = chromium(
        &dir.path().join("p1"),
        &["--dump-dom".into()],
        &format!("{}/login", app.base),
    )
    .await;
    assert!(dom.contains(r#"name="key""#), "{dom}");

    // A planner logs in through the form; the browser follows the redirect with its cookie.
    let planner = app.key("planner", None).await;
    let entry = serve_login_page(&app.base, &planner).await;
    let dom = chromium(&dir.path().join("p2"), &["--dump-dom".into()], &entry).await;
    assert!(
        dom.contains("Capacity picture"),
        "not on the planner home: {dom}"
    );
    assert!(dom.contains("<svg") && dom.contains("CT-North") && dom.contains("RVL-Beta"));
    let ui_png = shots.join("planner.png");
    chromium(
        &dir.path().join("p3"),
        &[
            format!("--screenshot={}", ui_png.display()),
            "--window-size=1400,2600".into(),
        ],
        &entry,
    )
    .await;
    assert!(std::fs::metadata(&ui_png).map(|m| m.len()).unwrap_or(0) > 10_000);

    // A client's browser lands on its own page, without the other client's work.
    let client = app.key("client", helix["id"].as_str()).await;
    let entry = serve_login_page(&app.base, &client).await;
    let dom = chromium(&dir.path().join("p4"), &["--dump-dom".into()], &entry).await;
    assert!(dom.contains("HLX-Alpha"), "not on the client home: {dom}");
    assert!(!dom.contains("RVL-Beta") && !dom.contains("Rival"));
    let client_png = shots.join("client.png");
    chromium(
        &dir.path().join("p5"),
        &[
            format!("--screenshot={}", client_png.display()),
            "--window-size=1400,2000".into(),
        ],
        &entry,
    )
    .await;
    assert!(std::fs::metadata(&client_png).map(|m| m.len()).unwrap_or(0) > 10_000);
}

#[tokio::test]
async fn secure_cookies_setting_marks_the_session_cookie_secure() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.auth.secure_cookies = true).await;
    let planner = app.key("planner", None).await;
    let (status, _, cookie, _) = login(&app, &planner).await;
    assert_eq!(status, 303);
    assert!(cookie.contains("Secure"), "{cookie}");
    let plain = TestApp::spawn(Backend::Sqlite).await;
    let planner = plain.key("planner", None).await;
    let (_, _, cookie, _) = login(&plain, &planner).await;
    assert!(
        !cookie.contains("Secure"),
        "off by default so that http://127.0.0.1 works: {cookie}"
    );
}

both_backends!(
    errors_on_pages_are_html_pages_while_the_api_keeps_problems,
    |app: TestApp| async move {
        let planner = app.key("planner", None).await;
        let cookie = cookie_pair(&login(&app, &planner).await.2);

        // A page that does not exist: a 404 page, not a problem.
        let (status, _, ct, html) = page(&app, "/ui/no-such-page", &cookie).await;
        assert_eq!(status, 404, "{html}");
        assert!(ct.starts_with("text/html"), "{ct}: {html}");
        assert!(
            html.contains("404") && html.contains(r#"href="/ui/""#),
            "{html}"
        );
        // A method the page does not take: the same kind of page.
        let r = app
            .http
            .delete(format!("{}/ui/", app.base))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 405);
        let ct = r.headers()["content-type"].to_str().unwrap().to_string();
        assert!(ct.starts_with("text/html"), "{ct}");

        // The store fails under the planner's page (its suites table is gone): a 500 page that
        // says nothing of the cause; the API answers the same failure with a problem.
        let sql = "ALTER TABLE suites RENAME TO suites_gone";
        app.db.execute(sql, &[]).await;
        let (status, _, ct, html) = page(&app, "/ui/", &cookie).await;
        assert_eq!(status, 500, "{html}");
        assert!(ct.starts_with("text/html"), "{ct}: {html}");
        assert!(html.contains(r#"href="/ui/""#), "a way back: {html}");
        for internal in ["no such table", "does not exist", "database", "sqlx"] {
            assert!(!html.contains(internal), "{internal} leaked: {html}");
        }
        let problem = app.get("/v1/suites", &planner).await.problem(500);
        assert!(!problem.to_string().contains("suites_gone"), "{problem}");
    }
);
