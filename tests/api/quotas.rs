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
