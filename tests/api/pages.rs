//! The server-rendered pages: login and logout, sessions, the planner's and a client's homes,
//! and one real browser (headless Chromium) rendering them.

use crate::both_backends;
use crate::helpers::*;
use chrono::{Duration, Utc};
use serde_json::{json, Value};

/// The login form as a browser gets it: the `suiteplan_login` cookie pair and the form's token.
pub async fn login_form(app: &TestApp) -> (String, String) {
    let r = app
        .http
        .get(format!("{}/login", app.base))
        .send()
        .await
        .expect("login form");
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("suiteplan_login="))
        .map(cookie_pair)
        .expect("the login form sets its token cookie");
    let html = r.text().await.unwrap_or_default();
    (cookie, hidden_csrf(&html))
}

/// The attribute value that follows `marker` (which ends with its opening quote) in `html`.
fn value_after(html: &str, marker: &str) -> String {
    let at = html
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} in {html}"))
        + marker.len();
    html[at..].split('"').next().unwrap_or("").to_string()
}

/// The value of the form's hidden `csrf_token` field in `html`.
pub fn hidden_csrf(html: &str) -> String {
    value_after(html, r#"name="csrf_token" value=""#)
}

/// Posts the login form with `key`, as the browser would from the page (its token cookie and
/// field, and this service's Origin); returns the status, the Location, the session's Set-Cookie
/// header and the body.
pub async fn login(app: &TestApp, key: &str) -> (u16, String, String, String) {
    let (form_cookie, token) = login_form(app).await;
    let r = app
        .http
        .post(format!("{}/login", app.base))
        .header("cookie", form_cookie)
        .header("origin", &app.base)
        .form(&[("key", key), ("csrf_token", &token)])
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
    let location = header("location");
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("suiteplan_session="))
        .unwrap_or("")
        .to_string();
    let status = r.status().as_u16();
    let body = r.text().await.unwrap_or_default();
    (status, location, cookie, body)
}

/// The session's CSRF token, as the pages give it (`<meta name="csrf-token">`).
pub async fn csrf_of(app: &TestApp, cookie: &str) -> String {
    let (status, location, _, html) = page(app, "/ui/", cookie).await;
    let html = if status == 303 && location == "/ui/client" {
        page(app, "/ui/client", cookie).await.3
    } else {
        html
    };
    value_after(&html, r#"<meta name="csrf-token" content=""#)
}

/// The `name=value` part of a Set-Cookie header.
pub fn cookie_pair(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_string()
}

/// GET `path` with a cookie: status, Location, content type and body.
pub async fn page(app: &TestApp, path: &str, cookie: &str) -> (u16, String, String, String) {
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

    // A forged logout (no token, or from another origin) changes nothing.
    let token = csrf_of(&app, &cookie).await;
    for (origin, field) in [
        (app.base.clone(), None),
        ("http://127.0.0.1:1".to_string(), Some(token.as_str())),
    ] {
        let r = app
            .http
            .post(format!("{}/logout", app.base))
            .header("cookie", &cookie)
            .header("origin", origin)
            .form(&[("csrf_token", field.unwrap_or(""))])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 403);
        assert_eq!(page(&app, "/ui/", &cookie).await.0, 200);
    }
    // Logging out ends the session server-side: the old cookie no longer opens pages.
    let r = app
        .http
        .post(format!("{}/logout", app.base))
        .header("cookie", &cookie)
        .header("origin", &app.base)
        .form(&[("csrf_token", &token)])
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
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A real headless Chromium driven through chromedriver (WebDriver). Both are killed on drop.
pub(crate) struct Browser {
    pub(crate) client: fantoccini::Client,
    _driver: tokio::process::Child,
}

impl Browser {
    pub(crate) async fn start() -> Browser {
        for tool in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                std::path::Path::new(tool).exists(),
                "{tool} is missing: this test needs a real browser (scripts/setup.sh --test \
                 installs chromium and chromium-driver)"
            );
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let driver = tokio::process::Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver starts");
        let caps: serde_json::Map<String, Value> = serde_json::from_value(json!({
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                         "--no-first-run", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                         "--window-size=1400,1000"]
            }
        }))
        .unwrap();
        let started = std::time::Instant::now();
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match fantoccini::ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(client) => break client,
                Err(e) if started.elapsed().as_secs() < 30 => {
                    let _ = e;
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
                Err(e) => panic!("chromedriver gave no browser in 30 s: {e}"),
            }
        };
        Browser {
            client,
            _driver: driver,
        }
    }

    /// Opens `url` and returns the DOM once loaded.
    pub(crate) async fn open(&self, url: &str) -> String {
        self.client.goto(url).await.expect("page loads");
        self.client.source().await.expect("page source")
    }

    /// Types `key` into the login form on screen and submits it, as a person would; returns
    /// the path the browser lands on and its DOM.
    pub(crate) async fn log_in(&self, base: &str, key: &str) -> (String, String) {
        use fantoccini::Locator;
        self.open(&format!("{base}/login")).await;
        let field = self
            .client
            .find(Locator::Css("input[name=key]"))
            .await
            .expect("key field");
        field.send_keys(key).await.expect("typing");
        let button = self
            .client
            .find(Locator::Css("form.login button[type=submit]"))
            .await
            .expect("login button");
        button.clone().click().await.expect("click");
        // The login page has a `main` too: wait until it has been replaced (the button goes
        // stale) before reading where the browser landed.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        while button.attr("type").await.is_ok() && std::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        self.landed().await
    }

    /// The path and DOM of the page on screen, once it has loaded.
    pub(crate) async fn landed(&self) -> (String, String) {
        let _ = self
            .client
            .wait()
            .for_element(fantoccini::Locator::Css("main"))
            .await;
        let url = self.client.current_url().await.expect("url");
        let dom = self.client.source().await.expect("source");
        (url.path().to_string(), dom)
    }

    /// A PNG of the page on screen, `height` pixels tall.
    pub(crate) async fn screenshot(&self, path: &std::path::Path, height: u32) -> u64 {
        self.client
            .set_window_size(1400, height)
            .await
            .expect("resize");
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(path, &png).expect("screenshot written");
        png.len() as u64
    }
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
        monthly_forecast(app, p, batches).await;
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
    let id = plan_next_months(app, 10).await;
    (helix, id)
}

/// `batches` phase-1 batches a month for the program over the next four months.
async fn monthly_forecast(app: &TestApp, program: &Value, batches: i64) {
    let entries: Vec<Value> = (1..5)
        .map(|i| json!({"month": day(30 * i)[..7], "phase": "phase1", "batches": batches}))
        .collect();
    app.put(
        &format!("/v1/programs/{}/forecast", program["id"].as_str().unwrap()),
        &app.admin_key,
        json!({"entries": entries}),
    )
    .await
    .expect(200);
}

/// Plans the expected scenario from this month for about six months, within `secs`, and waits
/// until it is done: its id.
async fn plan_next_months(app: &TestApp, secs: u32) -> String {
    let month = |offset: i64| format!("{}-01", &day(offset)[..7]);
    let queued = app
        .post(
            "/v1/plans",
            &app.admin_key,
            json!({"from": month(0), "to": month(190), "scenario": "expected", "program_ids": null, "time_limit_s": secs}),
        )
        .await
        .expect(202);
    let id = queued["id"].as_str().unwrap().to_string();
    crate::plans::wait_done(app, &id).await;
    id
}

#[tokio::test]
async fn a_browser_logs_in_and_sees_the_capacity_picture() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (helix, _) = seed(&app).await;
    let dir = tempfile::tempdir().expect("temp dir");
    // Screenshots land in SUITEPLAN_SCREENSHOTS when set (to look at them), else a temp dir.
    let shots = std::env::var("SUITEPLAN_SCREENSHOTS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| dir.path().to_path_buf());
    std::fs::create_dir_all(&shots).expect("screenshot dir");
    let browser = Browser::start().await;

    // The login form, rendered.
    let dom = browser.open(&format!("{}/login", app.base)).await;
    assert!(
        dom.contains(r#"name="key""#) && dom.contains(r#"name="csrf_token""#),
        "{dom}"
    );
    let size = browser.screenshot(&shots.join("login.png"), 1000).await;
    assert!(size > 1000, "login screenshot is {size} bytes");

    // A page on another port that posts a login form as soon as it loads (login CSRF): the
    // browser is refused and holds no session afterwards.
    let planner = app.key("planner", None).await;
    let forged = serve_login_page(&app.base, &planner).await;
    browser.client.goto(&forged).await.expect("forged page");
    let (path, dom) = browser.landed().await;
    assert_eq!(path, "/login", "{dom}");
    assert!(dom.contains("came from elsewhere"), "{dom}");
    let (path, _) = {
        browser
            .client
            .goto(&format!("{}/ui/", app.base))
            .await
            .unwrap();
        browser.landed().await
    };
    assert_eq!(path, "/login", "the forged login made a session");

    // A planner types the key into the form; the browser follows the redirect with its cookie.
    let (path, dom) = browser.log_in(&app.base, &planner).await;
    assert_eq!(path, "/ui/", "{dom}");
    assert!(
        dom.contains("Capacity picture"),
        "not on the planner home: {dom}"
    );
    assert!(dom.contains("<svg") && dom.contains("CT-North") && dom.contains("RVL-Beta"));
    assert!(browser.screenshot(&shots.join("planner.png"), 2600).await > 10_000);
    // The planner confirms the first hold with its button: back on the holds, told so, and
    // the booking confirmed in the store.
    let holds_before = dom.matches(r#"action="/ui/bookings/"#).count();
    browser
        .client
        .find(fantoccini::Locator::Css(
            "#holds + p.note + table form button",
        ))
        .await
        .expect("a Confirm button")
        .click()
        .await
        .expect("click");
    browser
        .client
        .wait()
        .for_element(fantoccini::Locator::Css("p.notice"))
        .await
        .expect("the outcome shown");
    let (path, dom) = browser.landed().await;
    assert_eq!(path, "/ui/", "{dom}");
    assert!(dom.contains("The hold is confirmed."), "{dom}");
    assert!(
        dom.matches(r#"action="/ui/bookings/"#).count() < holds_before,
        "one hold fewer"
    );
    let confirmed = app
        .get("/v1/bookings?status=confirmed", &app.admin_key)
        .await
        .expect(200);
    assert_eq!(
        confirmed["items"].as_array().map(Vec::len),
        Some(3),
        "{confirmed}"
    );
    assert!(
        browser
            .screenshot(&shots.join("planner-confirmed.png"), 1200)
            .await
            > 10_000
    );
    // The logout button (a form with the session's CSRF token) ends the session.
    browser
        .client
        .find(fantoccini::Locator::Css("header form button"))
        .await
        .expect("logout button")
        .click()
        .await
        .expect("click");
    let (path, _) = browser.landed().await;
    assert_eq!(path, "/login");
    browser
        .client
        .goto(&format!("{}/ui/", app.base))
        .await
        .unwrap();
    assert_eq!(browser.landed().await.0, "/login", "logged out");

    // A client's browser lands on its own page, without the other client's work.
    let client = app.key("client", helix["id"].as_str()).await;
    let (path, dom) = browser.log_in(&app.base, &client).await;
    assert_eq!(path, "/ui/client", "{dom}");
    assert!(dom.contains("HLX-Alpha"), "not on the client home: {dom}");
    assert!(!dom.contains("RVL-Beta") && !dom.contains("Rival"));
    assert!(browser.screenshot(&shots.join("client.png"), 2000).await > 10_000);
    browser
        .client
        .clone()
        .close()
        .await
        .expect("browser closes");
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

// Login CSRF: a form posted from elsewhere would log the victim's browser in as the attacker (and
// the victim's work would land in the attacker's account). A login needs the login form's own
// token, in its cookie and its field, and this service's origin; otherwise 403 and no session.
both_backends!(
    a_login_from_another_site_is_refused,
    |app: TestApp| async move {
        let planner = app.key("planner", None).await;
        let (form_cookie, token) = login_form(&app).await;
        let other_form = login_form(&app).await;
        type Case<'a> = (&'a str, Option<&'a str>, Vec<(&'a str, String)>);
        let cases: Vec<Case> = vec![
            ("no token at all", None, vec![("origin", app.base.clone())]),
            (
                "the field without its cookie",
                None,
                vec![("origin", app.base.clone())],
            ),
            (
                "another form's cookie",
                Some(&other_form.0),
                vec![("origin", app.base.clone())],
            ),
            (
                "another port",
                Some(&form_cookie),
                vec![("origin", "http://127.0.0.1:1".into())],
            ),
            (
                "cross-site fetch",
                Some(&form_cookie),
                vec![("sec-fetch-site", "cross-site".into())],
            ),
            (
                "same-site fetch",
                Some(&form_cookie),
                vec![("sec-fetch-site", "same-site".into())],
            ),
            ("no origin", Some(&form_cookie), vec![]),
        ];
        for (i, (what, cookie, headers)) in cases.into_iter().enumerate() {
            let mut req = app.http.post(format!("{}/login", app.base));
            if let Some(cookie) = cookie {
                req = req.header("cookie", cookie);
            }
            for (name, value) in headers {
                req = req.header(name, value);
            }
            let field = if i == 0 { String::new() } else { token.clone() };
            let r = req
                .form(&[("key", planner.as_str()), ("csrf_token", &field)])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 403, "{what}");
            let session = r
                .headers()
                .get_all("set-cookie")
                .iter()
                .any(|c| c.to_str().unwrap_or("").starts_with("suiteplan_session="));
            assert!(!session, "{what}: a session was made");
            let html = r.text().await.unwrap();
            assert!(
                html.contains("came from elsewhere") && html.contains(r#"name="key""#),
                "{html}"
            );
        }
        // A second login tab keeps the browser's token, so the first tab's form still works.
        let again = app
            .http
            .get(format!("{}/login", app.base))
            .header("cookie", &form_cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(hidden_csrf(&again.text().await.unwrap()), token);
        let r = app
            .http
            .post(format!("{}/login", app.base))
            .header("cookie", &form_cookie)
            .header("origin", &app.base)
            .form(&[("key", planner.as_str()), ("csrf_token", &token)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 303, "the first tab's form");
        // The real form, from this service, logs in.
        let (status, location, cookie, _) = login(&app, &planner).await;
        assert_eq!((status, location.as_str()), (303, "/ui/"), "{cookie}");
    }
);

/// The planner's demand-vs-capacity picture is per class of programs that may use the same
/// suites: an autologous shortage on one small suite shows although the allogeneic suites have
/// room to spare (summed over all suites it would not); and the newest plan's shortfalls come
/// one row per program, with the months as a strip and every program-month folded below.
#[tokio::test]
async fn demand_vs_capacity_shows_a_shortage_per_class_and_shortfalls_per_program() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let site = app.site("Leiden").await;
    app.suite(&site["id"], "AUTO-1", &["autologous"], 1).await;
    app.suite(&site["id"], "ALLO-1", &["allogeneic"], 6).await;
    let client = app.client("Helix").await;
    let auto = app.program(&client["id"], "HLX-Auto").await;
    let mut body = TestApp::program_body(&client["id"], "HLX-Allo");
    body["required_capabilities"] = json!(["allogeneic"]);
    let allo = app
        .post("/v1/programs", &app.admin_key, body)
        .await
        .expect(201);
    // 16-day batches: three a month ask 48 line-days of AUTO-1's ~30; one a month asks 16 of
    // ALLO-1's ~180. Together 64 of ~210: no shortage in the sum.
    for (p, batches) in [(&auto, 3), (&allo, 1)] {
        monthly_forecast(&app, p, batches).await;
    }
    plan_next_months(&app, 5).await;
    let planner = app.key("planner", None).await;
    let (_, _, set_cookie, _) = login(&app, &planner).await;
    let (status, _, _, html) = page(&app, "/ui/", &cookie_pair(&set_cookie)).await;
    assert_eq!(status, 200, "{html}");

    // The autologous class first, over capacity, with its peak share printed (not by colour).
    let auto_class = html
        .find("Leiden: AUTO-1 — 1 program")
        .expect("autologous class");
    let allo_class = html
        .find("Leiden: ALLO-1 — 1 program")
        .expect("allogeneic class");
    assert!(
        auto_class < allo_class,
        "the class over capacity comes first"
    );
    let auto_note = &html[auto_class..allo_class];
    assert!(auto_note.contains("Over capacity"), "{auto_note}");
    let share: f64 = auto_note
        .split("peak demand ")
        .nth(1)
        .and_then(|t| t.split('%').next())
        .and_then(|n| n.parse().ok())
        .expect("peak share printed");
    assert!(share > 140.0, "48 line-days a month on ~30: {share}%");
    let allo_note = &html[allo_class..];
    assert!(!allo_note[..allo_note.find("</p>").unwrap()].contains("Over capacity"));

    // Shortfalls: one strip row for HLX-Auto (short every month), none for HLX-Allo, and the
    // program-months folded into a details element.
    let strip = &html[html.find(r#"<table class="strip">"#).expect("strip table")..];
    let strip = &strip[..strip.find("</table>").unwrap()];
    assert!(
        strip.contains("HLX-Auto") && !strip.contains("HLX-Allo"),
        "{strip}"
    );
    assert!(strip.contains("capacity "), "{strip}");
    let cells = strip.matches(r#"class="m short""#).count();
    assert!(cells >= 4, "a short cell per month: {strip}");
    assert!(html.contains("<details><summary>Every program-month ("));
}

/// POSTs a page form (a button) with the session cookie: status and Location.
async fn press(
    app: &TestApp,
    path: &str,
    cookie: &str,
    origin: &str,
    token: &str,
) -> (u16, String) {
    let r = app
        .http
        .post(format!("{}{}", app.base, path))
        .header("cookie", cookie)
        .header("origin", origin)
        .form(&[("csrf_token", token)])
        .send()
        .await
        .expect("form sent");
    let location = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (r.status().as_u16(), location)
}

async fn status_of(app: &TestApp, id: &str) -> String {
    app.get(&format!("/v1/bookings/{id}"), &app.admin_key)
        .await
        .expect(200)["status"]
        .as_str()
        .unwrap()
        .to_string()
}

// A planner confirms a hold and a client cancels its own from the pages: the same rules as the
// API (a client cannot confirm, nor touch another client's hold), forged posts change nothing,
// and each action comes back to the page's holds with its outcome.
both_backends!(
    holds_are_confirmed_and_cancelled_from_the_pages,
    |app: TestApp| async move {
        let site = app.site("Leiden").await;
        let suite = app.suite(&site["id"], "CT-North", &["autologous"], 2).await;
        let helix = app.client("Helix").await;
        let rival = app.client("Rival").await;
        let hlx = app.program(&helix["id"], "HLX-Alpha").await;
        let rvl = app.program(&rival["id"], "RVL-Beta").await;
        let mut ids = Vec::new();
        for (p, line, from) in [(&hlx, 1, 10), (&hlx, 2, 10), (&rvl, 1, 40)] {
            let b = app
                .post(
                    "/v1/bookings",
                    &app.admin_key,
                    booking(p, &suite, line, from, from + 16, "held"),
                )
                .await
                .expect(201);
            ids.push(b["id"].as_str().unwrap().to_string());
        }
        let planner = app.key("planner", None).await;
        let (_, _, set_cookie, _) = login(&app, &planner).await;
        let cookie = cookie_pair(&set_cookie);
        let (_, _, _, html) = page(&app, "/ui/", &cookie).await;
        let holds = &html[html.find(r#"<h2 id="holds">"#).expect("holds section")..];
        for id in &ids {
            assert!(
                holds.contains(&format!(r#"action="/ui/bookings/{id}/confirm""#)),
                "{holds}"
            );
        }
        let token = csrf_of(&app, &cookie).await;
        let confirm = format!("/ui/bookings/{}/confirm", ids[0]);

        // Forged: no token, a wrong token, another origin. Refused, nothing changed.
        for (origin, t) in [
            (app.base.clone(), ""),
            (app.base.clone(), "not-the-token"),
            ("http://127.0.0.1:1".to_string(), token.as_str()),
        ] {
            let (status, _) = press(&app, &confirm, &cookie, &origin, t).await;
            assert_eq!(status, 403, "forged confirm from {origin} with {t:?}");
        }
        assert_eq!(status_of(&app, &ids[0]).await, "held");

        // The planner confirms: back to the holds with the outcome, the booking confirmed.
        let (status, location) = press(&app, &confirm, &cookie, &app.base, &token).await;
        assert_eq!((status, location.as_str()), (303, "/ui/#holds"));
        assert_eq!(status_of(&app, &ids[0]).await, "confirmed");
        let (_, _, _, html) = page(&app, "/ui/", &cookie).await;
        assert!(html.contains("The hold is confirmed."));
        let (_, _, _, again) = page(&app, "/ui/", &cookie).await;
        assert!(
            !again.contains("The hold is confirmed."),
            "the outcome is shown once"
        );
        assert!(
            !html.contains(&format!("/ui/bookings/{}/confirm", ids[0])),
            "no longer a hold"
        );

        // A client: cannot confirm, cannot touch Rival's hold, cancels its own.
        let client = app.key("client", helix["id"].as_str()).await;
        let (_, _, set_cookie, _) = login(&app, &client).await;
        let ccookie = cookie_pair(&set_cookie);
        let ctoken = csrf_of(&app, &ccookie).await;
        let (_, _, _, chtml) = page(&app, "/ui/client", &ccookie).await;
        assert!(chtml.contains(&format!("/ui/bookings/{}/cancel", ids[1])));
        assert!(
            !chtml.contains(&format!("/ui/bookings/{}/confirm", ids[1])),
            "clients do not confirm"
        );
        assert!(
            !chtml.contains(&ids[2]),
            "another client's hold is not shown"
        );
        let (status, _) = press(
            &app,
            &format!("/ui/bookings/{}/confirm", ids[1]),
            &ccookie,
            &app.base,
            &ctoken,
        )
        .await;
        assert_eq!(status, 403);
        let (status, _) = press(
            &app,
            &format!("/ui/bookings/{}/cancel", ids[2]),
            &ccookie,
            &app.base,
            &ctoken,
        )
        .await;
        assert_eq!(status, 404, "another client's hold is not there for it");
        assert_eq!(status_of(&app, &ids[2]).await, "held");
        let (status, location) = press(
            &app,
            &format!("/ui/bookings/{}/cancel", ids[1]),
            &ccookie,
            &app.base,
            &ctoken,
        )
        .await;
        assert_eq!((status, location.as_str()), (303, "/ui/client#holds"));
        assert_eq!(status_of(&app, &ids[1]).await, "cancelled");
        // Confirming what is cancelled is refused with the reason, as the API's 409.
        let (status, _) = press(
            &app,
            &format!("/ui/bookings/{}/confirm", ids[1]),
            &cookie,
            &app.base,
            &token,
        )
        .await;
        assert_eq!(status, 409);
        assert_eq!(status_of(&app, &ids[1]).await, "cancelled");
    }
);
