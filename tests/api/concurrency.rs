//! Under any concurrency: no two live bookings overlap on a line, every 201 is stored, and every
//! answer is 201, 409 or 503 — never a 500.

use crate::bookings::{booking, world};
use crate::both_backends;
use crate::helpers::*;
use chrono::NaiveDate;
use std::collections::HashSet;

both_backends!(
    sixty_four_racing_clients_never_double_book,
    |app: TestApp| async move {
        let w = world(&app, 3).await;
        let app = std::sync::Arc::new(app);
        let w = std::sync::Arc::new(w);
        let base: NaiveDate = "2031-01-01".parse().unwrap();
        let mut tasks = Vec::new();
        for i in 0..64u64 {
            let app = app.clone();
            let w = w.clone();
            tasks.push(tokio::spawn(async move {
                // Overlapping requests: 8-day bookings starting every 2 days across 3 lines, half
                // with a fixed line and half with `line: null`.
                let start = base + chrono::Days::new((i % 16) * 2);
                let end = start + chrono::Days::new(8);
                let line = if i % 2 == 0 {
                    Some(((i / 2) % 3 + 1) as i64)
                } else {
                    None
                };
                let status = if i % 3 == 0 { "confirmed" } else { "held" };
                let r = app
                    .post(
                        "/v1/bookings",
                        &w.planner_key,
                        booking(&w, line, &start.to_string(), &end.to_string(), status),
                    )
                    .await;
                (r.status.as_u16(), r.body)
            }));
        }
        let mut created = HashSet::new();
        let mut statuses = std::collections::BTreeMap::new();
        for t in tasks {
            let (status, body) = t.await.unwrap();
            *statuses.entry(status).or_insert(0) += 1;
            assert!(matches!(status, 201 | 409 | 503), "status {status}: {body}");
            if status == 201 {
                created.insert(body["id"].as_str().unwrap().to_string());
            }
        }
        assert!(
            statuses.get(&201).copied().unwrap_or(0) >= 3,
            "some requests must win: {statuses:?}"
        );
        assert!(
            statuses.get(&409).copied().unwrap_or(0) >= 1,
            "overlapping requests must lose: {statuses:?}"
        );

        let listed = app
            .get("/v1/bookings?limit=1000", &w.planner_key)
            .await
            .expect(200);
        let items = listed["items"].as_array().unwrap();
        let stored: HashSet<String> = items
            .iter()
            .map(|b| b["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            stored, created,
            "every acknowledged booking is stored, and nothing else"
        );
        for (i, a) in items.iter().enumerate() {
            for b in &items[i + 1..] {
                if a["line"] == b["line"] {
                    let overlap = a["start"].as_str().unwrap() < b["end"].as_str().unwrap()
                        && b["start"].as_str().unwrap() < a["end"].as_str().unwrap();
                    assert!(!overlap, "overlap on line {}: {a} and {b}", a["line"]);
                }
            }
        }
    }
);
