//! Quotas that keep one tenant from taking the calendar or the dispatcher: a client's hold span,
//! its live holds in line-days, and its webhook subscriptions. Planners are not limited.

use crate::bookings::{booking, world};
use crate::both_backends;
use crate::helpers::*;
use serde_json::json;

both_backends!(
    client_holds_are_limited_in_span_and_in_line_days,
    |app: TestApp| async move {
        let w = world(&app, 4).await;
        let c = w.client_key.clone();
        // Span: 180 days is the most a client may hold at once (2030-01-01 + 180 = 2030-06-30).
        app.post(
            "/v1/bookings",
            &c,
            booking(&w, Some(1), "2030-01-01", "2030-06-30", "held"),
        )
        .await
        .expect(201);
        let p = app
            .post(
                "/v1/bookings",
                &c,
                booking(&w, Some(2), "2030-01-01", "2030-07-01", "held"),
            )
            .await
            .invalid("/end");
        assert!(p.to_string().contains("client_hold_max_span_days"), "{p}");
        // Line-days: 180 + 180 + 180 + 180 = 720 held; 10 more reach 730 exactly; 1 more is over.
        for line in 2..=4 {
            app.post(
                "/v1/bookings",
                &c,
                booking(&w, Some(line), "2030-01-01", "2030-06-30", "held"),
            )
            .await
            .expect(201);
        }
        app.post(
            "/v1/bookings",
            &c,
            booking(&w, Some(1), "2030-07-01", "2030-07-11", "held"),
        )
        .await
        .expect(201);
        let p = app
            .post(
                "/v1/bookings",
                &c,
                booking(&w, Some(1), "2030-08-01", "2030-08-02", "held"),
            )
            .await
            .invalid("/end");
        assert!(p.to_string().contains("client_hold_quota_line_days"), "{p}");
        let held = app
            .get("/v1/bookings?status=held&limit=100", &c)
            .await
            .expect(200);
        assert_eq!(held["items"].as_array().unwrap().len(), 5, "{held}");
        // Cancelling one frees its line-days.
        let first = held["items"][0]["id"].as_str().unwrap().to_string();
        app.post(&format!("/v1/bookings/{first}/cancel"), &c, json!({}))
            .await
            .expect(200);
        app.post(
            "/v1/bookings",
            &c,
            booking(&w, Some(1), "2030-08-01", "2030-08-02", "held"),
        )
        .await
        .expect(201);
        // Planners are not limited.
        app.post(
            "/v1/bookings",
            &w.planner_key,
            booking(&w, Some(1), "2031-01-01", "2031-12-01", "held"),
        )
        .await
        .expect(201);
    }
);

both_backends!(
    a_client_has_at_most_ten_webhook_subscriptions,
    |app: TestApp| async move {
        let w = world(&app, 2).await;
        for i in 0..10 {
            app.post(
                "/v1/webhooks",
                &w.client_key,
                json!({"url": format!("https://hooks.example.com/{i}"), "events": ["*"]}),
            )
            .await
            .expect(201);
        }
        let p = app
            .post(
                "/v1/webhooks",
                &w.client_key,
                json!({"url": "https://hooks.example.com/11", "events": ["*"]}),
            )
            .await
            .invalid("/url");
        assert!(
            p.to_string().contains("max_subscriptions_per_client"),
            "{p}"
        );
        // Staff subscriptions are not the client's.
        app.post(
            "/v1/webhooks",
            &w.planner_key,
            json!({"url": "https://hooks.example.com/staff", "events": ["*"]}),
        )
        .await
        .expect(201);
    }
);

/// Sends every body at once (one task each) with `key`; returns the statuses.
pub async fn all_at_once(
    app: &TestApp,
    path: &str,
    key: &str,
    bodies: Vec<serde_json::Value>,
) -> Vec<u16> {
    let tasks: Vec<_> = bodies
        .into_iter()
        .map(|body| {
            let (http, url, key) = (
                app.http.clone(),
                format!("{}{path}", app.base),
                key.to_string(),
            );
            tokio::spawn(async move {
                let r = http
                    .post(url)
                    .bearer_auth(key)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                r.status().as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    statuses
}

// Forty holds of 30 days sent at once by one client (no two on the same line at once): the quota
// (730 line-days) lets exactly 24 through, however they interleave, and the rest are 422.
both_backends!(
    concurrent_client_holds_cannot_pass_the_quota_together,
    |app: TestApp| async move {
        let w = world(&app, 4).await;
        let base: chrono::NaiveDate = "2031-01-01".parse().unwrap();
        let bodies = (0..40u64)
            .map(|i| {
                let start = base + chrono::Days::new((i / 4) * 31);
                let end = start + chrono::Days::new(30);
                booking(
                    &w,
                    Some((i % 4 + 1) as i64),
                    &start.to_string(),
                    &end.to_string(),
                    "held",
                )
            })
            .collect();
        let statuses = all_at_once(&app, "/v1/bookings", &w.client_key, bodies).await;
        let ok = statuses.iter().filter(|s| **s == 201).count();
        assert_eq!(ok, 24, "{statuses:?}");
        assert!(
            statuses.iter().all(|s| *s == 201 || *s == 422),
            "{statuses:?}"
        );
        let held = app
            .get("/v1/bookings?status=held&limit=100", &w.client_key)
            .await
            .expect(200);
        let days: i64 = held["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| {
                let d = |k: &str| b[k].as_str().unwrap().parse::<chrono::NaiveDate>().unwrap();
                (d("end") - d("start")).num_days()
            })
            .sum();
        assert_eq!(days, 720, "{held}");
    }
);

// Twenty-five subscriptions sent at once by one client: exactly ten (the cap) are made.
both_backends!(
    concurrent_subscriptions_cannot_pass_the_cap_together,
    |app: TestApp| async move {
        let w = world(&app, 1).await;
        let bodies = (0..25)
            .map(|i| json!({"url": format!("https://hooks.example.com/h{i}"), "events": ["*"]}))
            .collect();
        let statuses = all_at_once(&app, "/v1/webhooks", &w.client_key, bodies).await;
        assert_eq!(
            statuses.iter().filter(|s| **s == 201).count(),
            10,
            "{statuses:?}"
        );
        assert!(
            statuses.iter().all(|s| *s == 201 || *s == 422),
            "{statuses:?}"
        );
        let listed = app
            .get("/v1/webhooks?limit=100", &w.client_key)
            .await
            .expect(200);
        assert_eq!(listed["items"].as_array().unwrap().len(), 10, "{listed}");
    }
);
