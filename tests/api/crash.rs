//! kill -9 of the only replica: during a stream of bookings (after a restart on the same
//! database, every acknowledged booking is there and nothing overlaps), before a webhook is
//! delivered (it goes out after the restart), mid-solve (the plan is finished after it).

use crate::bookings::{booking, world};
use crate::helpers::*;
use crate::plans::wait_done;
use crate::replicas::{assert_feasible, load_instance, wait_lease, Lease};
use crate::webhooks::{deliveries, receiver, signed_by, subscribe, HANG};
use serde_json::{json, Value};
use solver_models::generate::{generate, GenSpec};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The real binary on `app`'s database, with its admin key.
async fn start(app: &TestApp) -> Binary {
    spawn_binary(|cmd| {
        cmd.args(["--database-url", app.db.url()])
            .env("SUITEPLAN__AUTH__BOOTSTRAP_ADMIN_KEY", &app.admin_key);
    })
    .await
}

async fn crash_keeps_acknowledged_bookings(backend: Backend) {
    // The fixtures are made through an in-process server on the same database, then the real
    // binary takes over.
    let app = TestApp::spawn(backend).await;
    let site = app.site("S").await;
    let suite = app.suite(&site["id"], "CT", &["autologous"], 4).await;
    let client = app.client("C").await;
    let program = app.program(&client["id"], "P").await;
    let key = app.admin_key.clone();
    let http = reqwest::Client::new();

    let mut server = start(&app).await;
    let addr = server.addr.clone();
    // Eight concurrent streams of bookings; the server is killed while they are running.
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut streams = Vec::new();
    for s in 0..8u64 {
        let (http, addr, key, acked) = (http.clone(), addr.clone(), key.clone(), acked.clone());
        let (program, suite) = (program["id"].clone(), suite["id"].clone());
        streams.push(tokio::spawn(async move {
            let base: chrono::NaiveDate = "2032-01-01".parse().unwrap();
            for i in 0..1000u64 {
                let start = base + chrono::Days::new((i * 8 + s) * 2);
                let body = json!({"program_id": program, "suite_id": suite, "line": null,
                    "start": start.to_string(), "end": (start + chrono::Days::new(3)).to_string(),
                    "status": "confirmed", "hold_expires_at": null, "note": null});
                match http
                    .post(format!("http://{addr}/v1/bookings"))
                    .bearer_auth(&key)
                    .json(&body)
                    .send()
                    .await
                {
                    Ok(r) if r.status() == 201 => {
                        let b: serde_json::Value = match r.json().await {
                            Ok(b) => b,
                            Err(_) => break, // killed while answering: not acknowledged
                        };
                        acked
                            .lock()
                            .unwrap()
                            .push(b["id"].as_str().unwrap().to_string());
                    }
                    Ok(r) => assert!(
                        matches!(r.status().as_u16(), 409 | 503),
                        "status {}",
                        r.status()
                    ),
                    Err(_) => break, // the server is gone
                }
            }
        }));
    }
    for _ in 0..600 {
        if acked.lock().unwrap().len() >= 150 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    server.kill().expect("kill -9");
    for s in streams {
        s.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 100,
        "bookings were acknowledged before the kill: {}",
        acked.len()
    );

    let server = start(&app).await;
    let addr = server.addr.clone();
    let listed: serde_json::Value = http
        .get(format!("http://{addr}/v1/bookings?limit=1000"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    drop(server);
    let items = listed["items"].as_array().unwrap();
    let stored: std::collections::HashSet<&str> =
        items.iter().map(|b| b["id"].as_str().unwrap()).collect();
    for id in &acked {
        assert!(
            stored.contains(id.as_str()),
            "acknowledged booking {id} lost"
        );
    }
    for (i, a) in items.iter().enumerate() {
        for b in &items[i + 1..] {
            if a["line"] == b["line"] {
                assert!(
                    !(a["start"].as_str() < b["end"].as_str()
                        && b["start"].as_str() < a["end"].as_str()),
                    "overlap {a} {b}"
                );
            }
        }
    }
}

#[tokio::test]
async fn kill_9_loses_no_acknowledged_booking_sqlite() {
    crash_keeps_acknowledged_bookings(Backend::Sqlite).await;
}

#[tokio::test]
async fn kill_9_loses_no_acknowledged_booking_postgres() {
    crash_keeps_acknowledged_bookings(Backend::Postgres).await;
}

// ---------------------------------------------------------------------------------------------
// Webhooks: an acknowledged change's event goes out even if the only replica dies before it is
// delivered.

/// Loopback receivers; a receiver has 3 s to answer, and a claimed delivery is reserved for
/// 3 + 1 s, so that a restarted replica takes over a dead one's delivery quickly.
fn webhook_settings(retries: &'static str) -> impl Fn(&mut std::process::Command) {
    move |cmd| {
        cmd.env("SUITEPLAN__WEBHOOKS__ALLOW_PRIVATE_TARGETS", "true")
            .env("SUITEPLAN__WEBHOOKS__RETRY_SCHEDULE", retries)
            .env("SUITEPLAN__WEBHOOKS__TIMEOUT_S", "3")
            .env("SUITEPLAN__WEBHOOKS__LEASE_MARGIN_S", "1");
    }
}

/// Waits (bounded) until the subscription's only delivery has `status`.
async fn delivery_becomes(app: &TestApp, hook: &Value, status: &str) -> Value {
    let started = std::time::Instant::now();
    loop {
        let items = deliveries(app, hook).await;
        if items.len() == 1 && items[0]["status"] == status {
            return items[0].clone();
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the delivery became {status} within 20 s: {items:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The only replica commits a hold (201) and sends its event; the receiver holds the request
/// open, so the kill -9 that follows lands, deterministically, after the commit and before any
/// answer: the attempt is neither delivered nor recorded. The restarted replica, on the same
/// database, sends the event again once the dead process's claim has run out; the receiver
/// gets it, with the same `webhook-id` and a valid signature, and the delivery says delivered
/// on attempt 2 (the interrupted attempt counts).
async fn webhook_survives_sigkill_before_delivery(backend: Backend) {
    let settings = webhook_settings("1,1");
    let mut app = TestApp::spawn_binary_with(backend, &settings).await;
    let w = world(&app, 2).await;
    let rx = receiver(&[HANG], 200).await;
    let hook = subscribe(&app, &w.planner_key, &rx.url, json!(["booking.held"])).await;
    let secret = hook["secret"].as_str().unwrap().to_string();
    let held = app
        .post(
            "/v1/bookings",
            &w.planner_key,
            booking(&w, None, "2030-03-01", "2030-03-15", "held"),
        )
        .await
        .expect(201);
    let first = rx.wait_for(1).await[0].clone();
    app.server().kill().expect("kill -9");
    assert_eq!(rx.hits().len(), 1, "nothing more while the replica is down");

    let restarted = std::time::Instant::now();
    app.restart_binary(&settings).await;
    let hits = rx.wait_for(2).await;
    let again = &hits[1];
    assert_eq!(again.id, first.id, "the same event, the same webhook-id");
    assert!(signed_by(again, &secret), "signature verifies: {again:?}");
    assert_eq!(again.json()["type"], "booking.held");
    assert_eq!(again.json()["data"]["booking"]["id"], held["id"]);
    assert!(
        restarted.elapsed() < Duration::from_secs(12),
        "sent again within the claim's 4 s (and start-up): {:?}",
        restarted.elapsed()
    );
    let d = delivery_becomes(&app, &hook, "delivered").await;
    assert_eq!(d["event_id"].as_str().unwrap(), first.id);
    assert_eq!(
        (d["attempt"].as_i64(), d["response_status"].as_i64()),
        (Some(2), Some(200))
    );
    assert_eq!(rx.hits().len(), 2);
}

#[tokio::test]
async fn a_webhook_cut_short_by_kill_9_is_delivered_after_restart_sqlite() {
    webhook_survives_sigkill_before_delivery(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_webhook_cut_short_by_kill_9_is_delivered_after_restart_postgres() {
    webhook_survives_sigkill_before_delivery(Backend::Postgres).await;
}

// The bound holds across crashes: with no retries (one attempt), a delivery whose only attempt
// was cut short by kill -9 is not sent again by the restarted replica — it is dead, attempt 1 —
// and a redelivery on request sends it.
#[tokio::test]
async fn an_interrupted_last_attempt_counts_and_leaves_the_delivery_dead() {
    let settings = webhook_settings("");
    let mut app = TestApp::spawn_binary_with(Backend::Sqlite, &settings).await;
    let w = world(&app, 2).await;
    let rx = receiver(&[HANG], 200).await;
    let hook = subscribe(&app, &w.planner_key, &rx.url, json!(["booking.held"])).await;
    app.post(
        "/v1/bookings",
        &w.planner_key,
        booking(&w, None, "2030-03-01", "2030-03-15", "held"),
    )
    .await
    .expect(201);
    rx.wait_for(1).await;
    app.server().kill().expect("kill -9");
    app.restart_binary(&settings).await;
    let d = delivery_becomes(&app, &hook, "dead").await;
    assert_eq!(d["attempt"], 1, "{d}");
    assert_eq!(rx.hits().len(), 1, "not sent a second time");
    let path = format!(
        "/v1/webhooks/{}/deliveries/{}/redeliver",
        hook["id"].as_str().unwrap(),
        d["id"].as_str().unwrap()
    );
    let r = app.post(&path, &w.planner_key, json!({})).await;
    assert_eq!(r.status.as_u16(), 202, "{:?}", r.body);
    let d = delivery_becomes(&app, &hook, "delivered").await;
    assert_eq!(d["attempt"], 2);
    assert_eq!(rx.hits().len(), 2);
}

// ---------------------------------------------------------------------------------------------
// Plans: the only replica killed mid-solve finishes the plan after a restart (SQLite; two
// replicas on PostgreSQL are in `replicas.rs`).

#[tokio::test]
async fn a_plan_cut_short_by_kill_9_is_finished_after_restart_sqlite() {
    let settings = |cmd: &mut std::process::Command| {
        cmd.env("SUITEPLAN__PLANNING__LEASE_S", "3");
    };
    let mut app = TestApp::spawn_binary_with(Backend::Sqlite, settings).await;
    let inst = load_instance(&app, generate(&GenSpec::scaled(2, 1))).await;
    let queued = app
        .post(
            "/v1/plans",
            &app.admin_key,
            json!({"from": inst.from, "to": inst.to, "scenario": "maximum",
                   "program_ids": null, "time_limit_s": 8}),
        )
        .await
        .expect(202);
    let id = queued["id"].as_str().unwrap().to_string();
    let pid = app.server().pid();
    let first = wait_lease(
        &app,
        &id,
        Duration::from_secs(20),
        "solving",
        Lease::solving,
    )
    .await;
    assert_eq!((first.pid(), first.attempts), (Some(pid), 1), "{first:?}");
    app.server().kill().expect("kill -9");
    app.restart_binary(settings).await;
    let pid = app.server().pid();
    let taken = wait_lease(
        &app,
        &id,
        Duration::from_secs(10),
        "the restarted replica claims the plan",
        |l| l.pid() == Some(pid) || l.status != "running",
    )
    .await;
    assert_eq!(taken.attempts, 2, "{taken:?}");
    let plan = wait_done(&app, &id).await;
    assert_feasible(&inst, &plan);
    assert_eq!(app.events("plan.completed").await.len(), 1);
}
