//! Slot booking: holds, confirmations, cancellations, conflicts, idempotency, isolation.

use crate::both_backends;
use crate::helpers::*;
use serde_json::{json, Value};

/// A suite with `lines` lines for autologous work, a client, a program and keys.
pub struct World {
    pub suite: String,
    pub program: String,
    pub client: String,
    pub client_key: String,
    pub planner_key: String,
}

pub async fn world(app: &TestApp, lines: i64) -> World {
    let site = app.site("Leiden").await;
    let suite = app
        .suite(&site["id"], "CT-1", &["autologous", "closed_system"], lines)
        .await;
    let client = app.client("Helix").await;
    let program = app.program(&client["id"], "HLX").await;
    World {
        suite: suite["id"].as_str().unwrap().into(),
        program: program["id"].as_str().unwrap().into(),
        client: client["id"].as_str().unwrap().into(),
        client_key: app.key("client", client["id"].as_str()).await,
        planner_key: app.key("planner", None).await,
    }
}

pub fn booking(w: &World, line: Option<i64>, start: &str, end: &str, status: &str) -> Value {
    json!({"program_id": w.program, "suite_id": w.suite, "line": line, "start": start, "end": end,
           "status": status, "hold_expires_at": null, "note": null})
}

both_backends!(holds_confirm_and_cancel, |app: TestApp| async move {
    let w = world(&app, 2).await;
    let hold = app
        .post(
            "/v1/bookings",
            &w.client_key,
            booking(&w, None, "2030-03-01", "2030-03-15", "held"),
        )
        .await
        .expect(201);
    assert_eq!(hold["status"], "held");
    assert_eq!(hold["line"], 1);
    assert_eq!(hold["at_risk"], false);
    let expires: chrono::DateTime<chrono::Utc> =
        hold["hold_expires_at"].as_str().unwrap().parse().unwrap();
    let days = (expires - chrono::Utc::now()).num_hours() as f64 / 24.0;
    assert!(
        (13.9..=14.1).contains(&days),
        "default hold lasts bookings.hold_ttl_days: {days}"
    );
    let id = hold["id"].as_str().unwrap();

    // A client may not confirm; the planner does, twice with the same answer.
    app.post(
        &format!("/v1/bookings/{id}/confirm"),
        &w.client_key,
        json!({}),
    )
    .await
    .problem(403);
    let confirmed = app
        .post(
            &format!("/v1/bookings/{id}/confirm"),
            &w.planner_key,
            json!({}),
        )
        .await
        .expect(200);
    assert_eq!(confirmed["status"], "confirmed");
    assert_eq!(confirmed["hold_expires_at"], Value::Null);
    assert_eq!(
        app.post(
            &format!("/v1/bookings/{id}/confirm"),
            &w.planner_key,
            json!({})
        )
        .await
        .expect(200),
        confirmed
    );
    // A client cannot cancel a confirmed booking.
    app.post(
        &format!("/v1/bookings/{id}/cancel"),
        &w.client_key,
        json!({}),
    )
    .await
    .problem(403);
    let cancelled = app
        .post(
            &format!("/v1/bookings/{id}/cancel"),
            &w.planner_key,
            json!({}),
        )
        .await
        .expect(200);
    assert_eq!(cancelled["status"], "cancelled");
    app.post(
        &format!("/v1/bookings/{id}/cancel"),
        &w.planner_key,
        json!({}),
    )
    .await
    .expect(200);
    let p = app
        .post(
            &format!("/v1/bookings/{id}/confirm"),
            &w.planner_key,
            json!({}),
        )
        .await
        .problem(409);
    assert_eq!(p["type"], "/problems/state");

    // The cancelled slot is free again.
    let again = app
        .post(
            "/v1/bookings",
            &w.client_key,
            booking(&w, Some(1), "2030-03-01", "2030-03-15", "held"),
        )
        .await
        .expect(201);
    let mine = app
        .get(
            &format!("/v1/bookings?program_id={}&status=held", w.program),
            &w.client_key,
        )
        .await
        .expect(200);
    let ids: Vec<&str> = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![again["id"].as_str().unwrap()]);
    let audit = app
        .get(&format!("/v1/audit?entity_id={id}"), &app.admin_key)
        .await
        .expect(200);
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        vec!["create", "confirm", "cancel"],
        "repeats that change nothing are not audited"
    );
});

both_backends!(
    overlaps_closures_and_qualification_are_409,
    |app: TestApp| async move {
        let w = world(&app, 2).await;
        let k = w.planner_key.clone();
        let first = app
            .post(
                "/v1/bookings",
                &k,
                booking(&w, Some(1), "2030-05-01", "2030-05-15", "confirmed"),
            )
            .await
            .expect(201);
        // Same line, overlapping: 409 naming the booking to a planner.
        let p = app
            .post(
                "/v1/bookings",
                &k,
                booking(&w, Some(1), "2030-05-14", "2030-05-20", "held"),
            )
            .await
            .problem(409);
        assert_eq!(p["type"], "/problems/overlap");
        assert_eq!(p["conflicts"][0]["kind"], "booking");
        assert_eq!(p["conflicts"][0]["booking_id"], first["id"]);
        // Half-open: ending the day the other starts is fine.
        app.post(
            "/v1/bookings",
            &k,
            booking(&w, Some(1), "2030-04-20", "2030-05-01", "held"),
        )
        .await
        .expect(201);
        // A client sees the interval, not whose it is.
        let p = app
            .post(
                "/v1/bookings",
                &w.client_key,
                booking(&w, Some(1), "2030-05-10", "2030-05-12", "held"),
            )
            .await
            .problem(409);
        assert_eq!(p["conflicts"][0]["start"], "2030-05-01");
        assert!(
            p["conflicts"][0].get("booking_id").is_none()
                && p["conflicts"][0].get("program_id").is_none(),
            "{p}"
        );
        // line: null takes the next free line.
        let second = app
            .post(
                "/v1/bookings",
                &k,
                booking(&w, None, "2030-05-10", "2030-05-12", "held"),
            )
            .await
            .expect(201);
        assert_eq!(second["line"], 2);
        // A closure on line 2 in June.
        app.post(&format!("/v1/suites/{}/closures", w.suite), &k,
        json!({"start": "2030-06-01", "end": "2030-06-05", "reason": "media fill", "lines": [2]})).await.expect(201);
        let p = app
            .post(
                "/v1/bookings",
                &k,
                booking(&w, Some(2), "2030-06-03", "2030-06-10", "held"),
            )
            .await
            .problem(409);
        assert_eq!(p["conflicts"][0]["kind"], "closure");
        // Before qualification.
        let p = app
            .post(
                "/v1/bookings",
                &k,
                booking(&w, Some(1), "2025-12-20", "2026-01-10", "held"),
            )
            .await
            .problem(409);
        assert_eq!(p["conflicts"][0]["kind"], "qualification");
        // A closure over a live booking → 409 unless forced; forcing flags it at risk.
        let p = app.post(&format!("/v1/suites/{}/closures", w.suite), &k,
        json!({"start": "2030-05-05", "end": "2030-05-07", "reason": "EM excursion", "lines": [1]})).await.problem(409);
        assert_eq!(p["conflicts"][0]["booking_id"], first["id"]);
        app.post(&format!("/v1/suites/{}/closures", w.suite), &k,
        json!({"start": "2030-05-05", "end": "2030-05-07", "reason": "EM excursion", "lines": [1], "force": true})).await.expect(201);
        let flagged = app
            .get(
                &format!("/v1/bookings/{}", first["id"].as_str().unwrap()),
                &k,
            )
            .await
            .expect(200);
        assert_eq!(flagged["at_risk"], true);
        // Fewer lines under a live booking → 409 unless forced.
        app.patch(&format!("/v1/suites/{}", w.suite), &k, json!({"lines": 1}))
            .await
            .problem(409);
    }
);

both_backends!(
    incompatible_suites_and_bad_bookings_are_422,
    |app: TestApp| async move {
        let w = world(&app, 2).await;
        let k = w.planner_key.clone();
        let site = app.site("Boston").await;
        let vv = app.suite(&site["id"], "VV", &["viral_vector"], 1).await;
        let mut b = booking(&w, None, "2030-01-01", "2030-01-10", "held");
        b["suite_id"] = vv["id"].clone();
        app.post("/v1/bookings", &k, b).await.invalid("/suite_id");
        app.post(
            "/v1/bookings",
            &k,
            booking(&w, Some(3), "2030-01-01", "2030-01-10", "held"),
        )
        .await
        .invalid("/line");
        app.post(
            "/v1/bookings",
            &k,
            booking(&w, None, "2030-01-10", "2030-01-01", "held"),
        )
        .await
        .invalid("/end");
        app.post(
            "/v1/bookings",
            &k,
            booking(&w, None, "2030-01-01", "2030-01-10", "pending"),
        )
        .await
        .invalid("/status");
        let mut b = booking(&w, None, "2030-01-01", "2030-01-10", "held");
        b["program_id"] = json!(uuid::Uuid::new_v4());
        app.post("/v1/bookings", &k, b).await.invalid("/program_id");
        // Client rules: only holds, from today, expiring within the TTL.
        app.post(
            "/v1/bookings",
            &w.client_key,
            booking(&w, None, "2030-01-01", "2030-01-10", "confirmed"),
        )
        .await
        .problem(403);
        app.post(
            "/v1/bookings",
            &w.client_key,
            booking(&w, None, "2020-01-01", "2020-01-10", "held"),
        )
        .await
        .invalid("/start");
        let mut b = booking(&w, None, "2030-01-01", "2030-01-10", "held");
        b["hold_expires_at"] =
            json!((chrono::Utc::now() + chrono::Duration::days(60)).to_rfc3339());
        app.post("/v1/bookings", &w.client_key, b)
            .await
            .invalid("/hold_expires_at");
        let listed = app.get("/v1/bookings", &k).await.expect(200);
        assert!(
            listed["items"].as_array().unwrap().is_empty(),
            "nothing was written"
        );
    }
);

both_backends!(
    idempotency_keys_replay_and_refuse_reuse,
    |app: TestApp| async move {
        let w = world(&app, 1).await;
        let body = booking(&w, None, "2030-02-01", "2030-02-10", "held");
        let post = |key: &'static str, body: Value, api_key: String| {
            let app = &app;
            async move {
                let r = app
                    .http
                    .post(format!("{}/v1/bookings", app.base))
                    .bearer_auth(api_key)
                    .header("Idempotency-Key", key)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                TestApp::read(r).await
            }
        };
        let first = post("k-1", body.clone(), w.planner_key.clone())
            .await
            .expect(201);
        let replay = post("k-1", body.clone(), w.planner_key.clone())
            .await
            .expect(201);
        assert_eq!(first, replay, "the same response, not a second booking");
        // Same key, another body → 422.
        let mut other = body.clone();
        other["note"] = json!("changed");
        let p = post("k-1", other, w.planner_key.clone()).await.problem(422);
        assert_eq!(p["type"], "/problems/idempotency-mismatch");
        // A 409 is replayed as a 409, even after the slot frees up.
        let conflict = post("k-2", body.clone(), w.planner_key.clone())
            .await
            .problem(409);
        app.post(
            &format!("/v1/bookings/{}/cancel", first["id"].as_str().unwrap()),
            &w.planner_key,
            json!({}),
        )
        .await
        .expect(200);
        assert_eq!(
            post("k-2", body.clone(), w.planner_key.clone())
                .await
                .problem(409),
            conflict
        );
        // Keys are per API key: the client's k-1 is its own.
        let mine = post("k-1", body.clone(), w.client_key.clone())
            .await
            .expect(201);
        assert_ne!(mine["id"], first["id"]);
        let all = app.get("/v1/bookings", &w.planner_key).await.expect(200);
        assert_eq!(all["items"].as_array().unwrap().len(), 2);
    }
);

both_backends!(
    clients_cannot_touch_other_clients_bookings,
    |app: TestApp| async move {
        let w = world(&app, 2).await;
        let other = app.client("Other").await;
        let other_program = app.program(&other["id"], "OTH").await;
        let other_key = app.key("client", other["id"].as_str()).await;
        let hold = app
            .post(
                "/v1/bookings",
                &w.client_key,
                booking(&w, None, "2030-03-01", "2030-03-15", "held"),
            )
            .await
            .expect(201);
        let id = hold["id"].as_str().unwrap();
        app.get(&format!("/v1/bookings/{id}"), &other_key)
            .await
            .problem(404);
        app.post(&format!("/v1/bookings/{id}/cancel"), &other_key, json!({}))
            .await
            .problem(404);
        let listed = app.get("/v1/bookings", &other_key).await.expect(200);
        assert!(listed["items"].as_array().unwrap().is_empty());
        let listed = app
            .get(&format!("/v1/bookings?client_id={}", w.client), &other_key)
            .await
            .expect(200);
        assert!(listed["items"].as_array().unwrap().is_empty());
        // Booking for another client's program: that program is unknown to this key.
        let mut b = booking(&w, None, "2030-06-01", "2030-06-05", "held");
        b["program_id"] = other_program["id"].clone();
        app.post("/v1/bookings", &w.client_key, b)
            .await
            .invalid("/program_id");
        let still = app
            .get(&format!("/v1/bookings/{id}"), &w.client_key)
            .await
            .expect(200);
        assert_eq!(still["status"], "held");
    }
);

both_backends!(
    a_long_booking_still_blocks_days_deep_inside_it,
    |app: TestApp| async move {
        // Overlap queries scan a bounded window before the requested interval; that window must
        // grow with the longest booking on the suite.
        let w = world(&app, 1).await;
        let k = w.planner_key.clone();
        for i in 0..5 {
            let start = format!("2030-0{}-01", i + 1);
            let end = format!("2030-0{}-05", i + 1);
            app.post(
                "/v1/bookings",
                &k,
                booking(&w, Some(1), &start, &end, "confirmed"),
            )
            .await
            .expect(201);
        }
        let rental = app
            .post(
                "/v1/bookings",
                &k,
                booking(&w, Some(1), "2031-01-01", "2032-06-01", "confirmed"),
            )
            .await
            .expect(201);
        let p = app
            .post(
                "/v1/bookings",
                &k,
                booking(&w, Some(1), "2032-03-10", "2032-03-12", "held"),
            )
            .await
            .problem(409);
        assert_eq!(p["conflicts"][0]["booking_id"], rental["id"]);
        let av = app
            .get(
                "/v1/availability?from=2032-01-01&to=2032-12-01&capabilities=autologous",
                &k,
            )
            .await
            .expect(200);
        assert_eq!(av["items"][0]["start"], "2032-06-01", "{av}");
    }
);
