//! Several replicas on one PostgreSQL: the service keeps no state of its own, so two servers on
//! one database must behave as one.

use crate::bookings::{booking, world};
use crate::helpers::*;
use chrono::NaiveDate;
use std::collections::HashSet;

// 64 overlapping bookings raced across two servers (the real binary, twice, on one database)
// never overlap on a line: every answer is 201, 409 or 503, every 201 is stored, and no two
// live bookings on a line share a day.
#[tokio::test]
async fn sixty_four_bookings_raced_across_two_replicas_never_overlap() {
    // Replica one (its TestApp owns the database); replica two on the same database and key.
    let app = TestApp::spawn_binary_with(Backend::Postgres, |_| {}).await;
    let two = spawn_binary(|cmd| {
        cmd.args(["--database-url", app.db.url()])
            .env("SUITEPLAN__AUTH__BOOTSTRAP_ADMIN_KEY", &app.admin_key);
    })
    .await;
    let w = world(&app, 3).await;
    let bases = [app.base.clone(), two.base()];
    let http = reqwest::Client::new();
    let day0: NaiveDate = "2031-01-01".parse().unwrap();
    let mut tasks = Vec::new();
    for i in 0..64u64 {
        let http = http.clone();
        let base = bases[(i % 2) as usize].clone();
        let key = w.planner_key.clone();
        let s = day0 + chrono::Days::new((i % 16) * 2);
        let e = s + chrono::Days::new(8);
        let line = if i % 2 == 0 {
            Some(((i / 2) % 3 + 1) as i64)
        } else {
            None
        };
        let body = booking(&w, line, &s.to_string(), &e.to_string(), "confirmed");
        tasks.push(tokio::spawn(async move {
            let r = http
                .post(format!("{base}/v1/bookings"))
                .bearer_auth(key)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let body: serde_json::Value = r.json().await.unwrap();
            (status, body)
        }));
    }
    let mut created = HashSet::new();
    for t in tasks {
        let (status, body) = t.await.unwrap();
        assert!(matches!(status, 201 | 409 | 503), "status {status}: {body}");
        if status == 201 {
            created.insert(body["id"].as_str().unwrap().to_string());
        }
    }
    assert!(created.len() >= 3, "some requests must win: {created:?}");
    for base in &bases {
        let listed: serde_json::Value = http
            .get(format!("{base}/v1/bookings?limit=1000"))
            .bearer_auth(&w.planner_key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let items = listed["items"].as_array().unwrap();
        let stored: HashSet<String> = items
            .iter()
            .map(|b| b["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(stored, created, "every 201, and only those, from {base}");
        for (i, a) in items.iter().enumerate() {
            for b in &items[i + 1..] {
                let overlap = a["line"] == b["line"]
                    && a["start"].as_str() < b["end"].as_str()
                    && b["start"].as_str() < a["end"].as_str();
                assert!(!overlap, "{a} overlaps {b}");
            }
        }
    }
    drop(two);
}
