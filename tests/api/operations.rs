//! Operations: health, readiness, metrics, OpenAPI, and the real CLI binary.

use crate::both_backends;
use crate::helpers::*;
use reqwest::Method;

both_backends!(
    health_readiness_and_metrics_answer,
    |app: TestApp| async move {
        assert_eq!(
            app.request(Method::GET, "/healthz", None, None)
                .await
                .status,
            200
        );
        assert_eq!(
            app.request(Method::GET, "/readyz", None, None).await.status,
            200
        );
        app.get("/v1/sites", &app.admin_key).await.expect(200);
        let metrics = app.request(Method::GET, "/metrics", None, None).await;
        assert_eq!(metrics.status, 200);
        assert!(
        metrics.text.contains("suiteplan_http_requests_total{method=\"GET\",route=\"/v1/sites\",status=\"200\"} 1"),
        "{}",
        metrics.text
    );
        assert!(metrics
            .text
            .contains("suiteplan_http_request_duration_seconds_bucket"));
    }
);

#[tokio::test]
async fn openapi_document_lists_the_contract_paths() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let spec = app
        .request(Method::GET, "/openapi.json", None, None)
        .await
        .expect(200);
    assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = spec["paths"].as_object().unwrap();
    for (path, method) in [
        ("/v1/sites", "post"),
        ("/v1/sites/{id}", "get"),
        ("/v1/suites", "post"),
        ("/v1/suites/{id}", "patch"),
        ("/v1/suites/{id}/closures", "post"),
        ("/v1/closures/{id}", "delete"),
        ("/v1/clients", "get"),
        ("/v1/api-keys", "post"),
        ("/v1/api-keys/{id}", "delete"),
        ("/v1/programs", "post"),
        ("/v1/programs/{id}", "patch"),
        ("/v1/programs/{id}/forecast", "put"),
        ("/v1/programs/{id}/demand", "get"),
        ("/v1/audit", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing from /openapi.json"
        );
    }
    let site = &spec["components"]["schemas"]["Site"]["properties"];
    for field in ["id", "name", "timezone"] {
        assert!(site.get(field).is_some(), "Site.{field}");
    }
}

/// The real binary with `serve --demo`, in `dir` (where its default SQLite database goes), and
/// the five lines the demo prints.
async fn start_demo(dir: &std::path::Path) -> (Binary, Vec<String>) {
    let server = spawn_binary(|cmd| {
        cmd.current_dir(dir)
            .arg("--demo")
            .env("SUITEPLAN__LOG__FORMAT", "json");
    })
    .await;
    let lines = server.stdout_lines(5);
    (server, lines)
}

fn printed_key(lines: &[String], role: &str) -> String {
    lines
        .iter()
        .find_map(|l| {
            l.trim()
                .strip_prefix(role)
                .map(|r| r.split_whitespace().next().unwrap().to_string())
        })
        .unwrap_or_else(|| panic!("no {role} key in {lines:?}"))
}

#[tokio::test]
async fn demo_serves_with_printed_keys_and_seeding_twice_does_not_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();
    let mut seen = Vec::new();
    for _ in 0..2 {
        let (server, lines) = start_demo(dir.path()).await;
        let addr = server.addr.clone();
        assert!(
            addr.starts_with("127.0.0.1:") && !addr.ends_with(":0"),
            "real port: {addr}"
        );
        let admin = printed_key(&lines, "admin");
        let client = printed_key(&lines, "client");
        let count = |path: &str, key: &str| {
            let req = http.get(format!("http://{addr}{path}")).bearer_auth(key);
            async move {
                let list: serde_json::Value = req.send().await.unwrap().json().await.unwrap();
                list["items"].as_array().unwrap().len()
            }
        };
        seen.push((
            count("/v1/suites", &admin).await,
            count("/v1/programs", &admin).await,
            count("/v1/programs", &client).await,
            count("/v1/bookings?limit=200", &admin).await,
        ));
        drop(server);
    }
    let (suites, programs, mine, bookings) = seen[0];
    assert!(bookings >= 10, "a calendar of bookings, got {bookings}");
    assert!(suites >= 8, "about ten suites, got {suites}");
    assert!(
        programs >= 5,
        "programs from preclinical to commercial, got {programs}"
    );
    assert!(
        mine >= 1 && mine < programs,
        "the client key sees only its own programs"
    );
    assert_eq!(seen[0], seen[1], "seeding twice does not duplicate");
    assert!(
        dir.path().join("suiteplan.db").exists(),
        "default database is sqlite://suiteplan.db"
    );
}

#[tokio::test]
async fn demo_forecasts_outgrow_autologous_capacity() {
    // The demo is meant to show a capacity cliff: maximum-scenario autologous demand must exceed
    // what the autologous grade-B lines can make in some month of the five years.
    let dir = tempfile::tempdir().unwrap();
    let (server, lines) = start_demo(dir.path()).await;
    let addr = server.addr.clone();
    let admin = printed_key(&lines, "admin");
    let http = reqwest::Client::new();
    let get = |path: String| {
        let http = http.clone();
        let admin = admin.clone();
        async move {
            http.get(path)
                .bearer_auth(admin)
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    let suites = get(format!("http://{addr}/v1/suites")).await;
    let auto_lines: i64 = suites["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| {
            s["grade"].as_str().unwrap() <= "B"
                && s["capabilities"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|c| c == "autologous")
        })
        .map(|s| s["lines"].as_i64().unwrap())
        .sum();
    let programs = get(format!("http://{addr}/v1/programs")).await;
    let mut by_month: std::collections::BTreeMap<String, f64> = Default::default();
    for p in programs["items"].as_array().unwrap() {
        if !p["required_capabilities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "autologous")
        {
            continue;
        }
        let occupancy =
            (p["batch_days"].as_i64().unwrap() + p["changeover_days"].as_i64().unwrap()) as f64;
        let demand = get(format!(
            "http://{addr}/v1/programs/{}/demand?scenario=maximum",
            p["id"].as_str().unwrap()
        ))
        .await;
        for item in demand["items"].as_array().unwrap() {
            *by_month
                .entry(item["month"].as_str().unwrap().to_string())
                .or_default() += item["batches"].as_f64().unwrap() * occupancy;
        }
    }
    drop(server);
    let capacity = auto_lines as f64 * 31.0;
    let over = by_month.values().filter(|d| **d > capacity).count();
    assert!(
        over > 0,
        "some month needs more autologous line-days ({:?}) than {capacity}",
        by_month.values().cloned().fold(0.0, f64::max)
    );
}

/// Lines of the request counter: one per series.
fn request_series(text: &str) -> usize {
    text.lines()
        .filter(|l| l.starts_with("suiteplan_http_requests_total{"))
        .count()
}

// An anonymous caller cannot grow the metrics: made-up methods count as `other` and unknown
// paths as `unmatched`, so 300 of each add at most those two labels, not 600 series.
#[tokio::test]
async fn made_up_methods_and_paths_do_not_make_new_metric_series() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let m = Method::from_bytes(b"WARMUP").unwrap();
    app.request(m, "/v1/sites", None, None).await;
    app.request(Method::GET, "/no/such/path", None, None).await;
    // The first scrape is counted after it answers: scrape once so that /metrics has its line.
    app.request(Method::GET, "/metrics", None, None).await;
    let before = request_series(&app.request(Method::GET, "/metrics", None, None).await.text);
    for i in 0..300 {
        let m = Method::from_bytes(format!("FROB{i}").as_bytes()).unwrap();
        app.request(m, "/v1/sites", None, None).await;
        app.request(Method::GET, &format!("/no/such/path/{i}"), None, None)
            .await;
    }
    let text = app.request(Method::GET, "/metrics", None, None).await.text;
    assert_eq!(request_series(&text), before, "{text}");
    assert!(text.contains("method=\"other\""), "{text}");
    assert!(!text.contains("FROB"), "{text}");
    assert!(!text.contains("/no/such/path/"), "{text}");
}

// With `metrics.bearer_token` set, /metrics answers only that token (problem+json 401 else).
#[tokio::test]
async fn metrics_behind_a_bearer_token_when_one_is_set() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.metrics.bearer_token = "scrape-me".into();
    })
    .await;
    let open = app.request(Method::GET, "/metrics", None, None).await;
    assert_eq!(open.status, 401);
    assert!(open.content_type.starts_with("application/problem+json"));
    assert_eq!(
        app.request(Method::GET, "/metrics", Some("wrong"), None)
            .await
            .status,
        401
    );
    let scraped = app
        .request(Method::GET, "/metrics", Some("scrape-me"), None)
        .await;
    assert_eq!(scraped.status, 200);
    assert!(scraped.text.contains("suiteplan_http_requests_total"));
}

// Every answer says `nosniff`; answers that carry a tenant's data (the API and the feeds) are
// `no-store`, problems included.
both_backends!(
    tenant_answers_are_not_stored_and_nothing_is_sniffed,
    |app: TestApp| async move {
        let k = app.admin_key.clone();
        let get = |path: &'static str, key: Option<String>| {
            let app = &app;
            async move {
                let mut req = app.http.get(format!("{}{path}", app.base));
                if let Some(key) = key {
                    req = req.bearer_auth(key);
                }
                req.send().await.unwrap()
            }
        };
        for (path, key, store) in [
            ("/v1/sites", Some(k.clone()), true),
            ("/v1/bookings", Some(k.clone()), true),
            ("/v1/sites/not-a-uuid", Some(k.clone()), true),
            ("/v1/sites", None, true),
            ("/healthz", None, false),
            ("/no/such/page", None, false),
            ("/login", None, true),
        ] {
            let r = get(path, key).await;
            let h = r.headers();
            assert_eq!(
                h.get("x-content-type-options").map(|v| v.to_str().unwrap()),
                Some("nosniff"),
                "{path}"
            );
            if store {
                assert_eq!(
                    h.get("cache-control").map(|v| v.to_str().unwrap()),
                    Some("no-store"),
                    "{path}"
                );
            }
        }
    }
);

// With `server.public_url` set, feed URLs are built from it, whatever Host a client sends.
#[tokio::test]
async fn feed_urls_come_from_the_public_url_not_the_host_header() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.server.public_url = "https://plan.example-cdmo.com/".into();
    })
    .await;
    let r = app
        .http
        .post(format!("{}/v1/calendar-feeds", app.base))
        .bearer_auth(&app.admin_key)
        .header("host", "attacker.example")
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let body: serde_json::Value = r.json().await.unwrap();
    let url = body["url"].as_str().unwrap();
    assert!(
        url.starts_with("https://plan.example-cdmo.com/feeds/") && url.ends_with(".ics"),
        "{url}"
    );
    assert!(!url.contains("attacker"), "{url}");
}

// A feed's URL is its secret: the request log shows `/feeds/[token]`, never the token.
#[tokio::test]
async fn feed_tokens_never_reach_the_log() {
    let db = TestDb::new(Backend::Sqlite).await;
    let key = format!("ops-admin-{}", uuid::Uuid::new_v4().simple());
    let server = spawn_binary(|cmd| {
        cmd.args(["--database-url", db.url()])
            .env("SUITEPLAN__AUTH__BOOTSTRAP_ADMIN_KEY", &key)
            .env(
                "SUITEPLAN__LOG__FILTER",
                "debug,sqlx=warn,hyper=warn,reqwest=warn",
            );
    })
    .await;
    let http = reqwest::Client::new();
    let feed: serde_json::Value = http
        .post(format!("{}/v1/calendar-feeds", server.base()))
        .bearer_auth(&key)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let url = feed["url"].as_str().unwrap();
    let token = url
        .rsplit('/')
        .next()
        .unwrap()
        .trim_end_matches(".ics")
        .to_string();
    let path = format!("/feeds/{token}.ics");
    let r = http
        .get(format!("{}{path}", server.base()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // The request was logged (so the check below means something), without its token.
    let mut log = Vec::new();
    for _ in 0..50 {
        log = server.stderr_tail();
        if log.iter().any(|l| l.contains("/feeds/[token]")) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        log.iter().any(|l| l.contains("/feeds/[token]")),
        "{}",
        log.join("\n")
    );
    assert!(
        !log.iter().any(|l| l.contains(&token)),
        "{}",
        log.join("\n")
    );
}

// The demo opens on a real picture: confirmed and held bookings of several kinds, and a plan
// made at start that finds the autologous shortfall, advises lines, and whose suggestions fit
// the calendar (no two on one line at once, none over a booking).
#[tokio::test]
async fn demo_opens_with_bookings_and_a_made_plan() {
    let dir = tempfile::tempdir().unwrap();
    let (server, lines) = start_demo(dir.path()).await;
    let addr = server.addr.clone();
    let planner = printed_key(&lines, "planner");
    let http = reqwest::Client::new();
    let get = |path: String| {
        let (http, key, addr) = (http.clone(), planner.clone(), addr.clone());
        async move {
            let r = http
                .get(format!("http://{addr}{path}"))
                .bearer_auth(key)
                .send()
                .await;
            r.unwrap().json::<serde_json::Value>().await.unwrap()
        }
    };
    let bookings = get("/v1/bookings?limit=200".into()).await;
    let bookings = bookings["items"].as_array().unwrap().clone();
    let has = |status: &str, kind: &str| {
        bookings
            .iter()
            .any(|b| b["status"] == status && b["kind"] == kind)
    };
    assert!(
        has("confirmed", "gmp_batch") && has("held", "gmp_batch"),
        "{bookings:?}"
    );
    assert!(has("confirmed", "tech_transfer") && has("held", "engineering_run"));
    let plans = get("/v1/plans".into()).await;
    let id = plans["items"][0]["id"]
        .as_str()
        .expect("a plan was queued")
        .to_string();
    let started = std::time::Instant::now();
    let plan = loop {
        let plan = get(format!("/v1/plans/{id}")).await;
        match plan["status"].as_str() {
            Some("done") => break plan,
            Some("failed") => panic!("the demo plan failed: {plan}"),
            _ => assert!(started.elapsed().as_secs() < 120, "not done: {plan}"),
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    };
    assert!(
        !plan["shortfalls"].as_array().unwrap().is_empty(),
        "{}",
        plan["objective"]
    );
    assert!(!plan["expansion"].as_array().unwrap().is_empty());
    // Every suggestion fits: its line is free of bookings and of the other suggestions.
    let day = |v: &serde_json::Value| v.as_str().unwrap().parse::<chrono::NaiveDate>().unwrap();
    let mut taken: Vec<(String, i64, chrono::NaiveDate, chrono::NaiveDate)> = bookings
        .iter()
        .map(|b| {
            (
                b["suite_id"].to_string(),
                b["line"].as_i64().unwrap(),
                day(&b["start"]),
                day(&b["end"]),
            )
        })
        .collect();
    let suggestions = plan["suggestions"].as_array().unwrap();
    assert!(suggestions.len() > 100, "{}", suggestions.len());
    for s in suggestions {
        let me = (
            s["suite_id"].to_string(),
            s["line"].as_i64().unwrap(),
            day(&s["start"]),
            day(&s["end"]),
        );
        let clash = taken
            .iter()
            .find(|t| t.0 == me.0 && t.1 == me.1 && t.2 < me.3 && me.2 < t.3);
        assert!(clash.is_none(), "{s} overlaps {clash:?}");
        taken.push(me);
    }
    drop(server);
}
