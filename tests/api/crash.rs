//! kill -9 during a stream of bookings: after a restart on the same database, every acknowledged
//! booking is there and nothing overlaps.

use crate::helpers::*;
use serde_json::json;
use std::sync::{Arc, Mutex};

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
