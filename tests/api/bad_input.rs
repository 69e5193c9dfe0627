//! Bad input gets a clear problem+json answer naming the field, and changes nothing.

use crate::both_backends;
use crate::helpers::*;
use reqwest::Method;
use serde_json::json;

both_backends!(
    malformed_and_invalid_bodies_are_named,
    |app: TestApp| async move {
        let k = app.admin_key.clone();
        let site = app.site("S").await;
        let suite_body = |patch: serde_json::Value| {
            let mut b = json!({"site_id": site["id"], "name": "CT", "grade": "B", "capabilities": [],
            "lines": 2, "available_from": "2026-01-01", "available_to": null});
            for (key, value) in patch.as_object().unwrap() {
                b[key] = value.clone();
            }
            b
        };
        app.raw(Method::POST, "/v1/suites", &k, b"{\"name\": ".to_vec())
            .await
            .problem(400);
        app.raw(Method::POST, "/v1/suites", &k, b"not json at all".to_vec())
            .await
            .problem(400);
        app.post("/v1/suites", &k, suite_body(json!({"lines": -1})))
            .await
            .invalid("/lines");
        app.post("/v1/suites", &k, suite_body(json!({"lines": "three"})))
            .await
            .invalid("/lines");
        app.post("/v1/suites", &k, suite_body(json!({"grade": "E"})))
            .await
            .invalid("/grade");
        app.post("/v1/suites", &k, suite_body(json!({"colour": "blue"})))
            .await
            .invalid("/colour");
        app.post(
            "/v1/suites",
            &k,
            suite_body(json!({"available_from": "2026-02-30"})),
        )
        .await
        .invalid("/available_from");
        app.post(
            "/v1/suites",
            &k,
            suite_body(json!({"available_to": "2025-01-01"})),
        )
        .await
        .invalid("/available_to");
        app.post(
            "/v1/suites",
            &k,
            suite_body(json!({"site_id": uuid::Uuid::new_v4()})),
        )
        .await
        .invalid("/site_id");
        app.post(
            "/v1/suites",
            &k,
            suite_body(json!({"capabilities": ["ok", "not ok!"]})),
        )
        .await
        .invalid("/capabilities/1");
        let mut missing = suite_body(json!({}));
        missing.as_object_mut().unwrap().remove("name");
        app.post("/v1/suites", &k, missing).await.invalid("/name");
        app.post(
            "/v1/sites",
            &k,
            json!({"name": "X", "timezone": "Mars/Olympus"}),
        )
        .await
        .invalid("/timezone");

        let suite = app.suite(&site["id"], "CT", &[], 2).await;
        let sid = suite["id"].as_str().unwrap();
        app.post(
            &format!("/v1/suites/{sid}/closures"),
            &k,
            json!({"start": "2027-02-01", "end": "2027-01-01", "reason": "r", "lines": null}),
        )
        .await
        .invalid("/end");
        app.post(
            &format!("/v1/suites/{sid}/closures"),
            &k,
            json!({"start": "2027-01-01", "end": "2027-01-02", "reason": "r", "lines": [3]}),
        )
        .await
        .invalid("/lines/0");
        app.patch(
            &format!("/v1/suites/{sid}"),
            &k,
            json!({"site_id": uuid::Uuid::new_v4()}),
        )
        .await
        .invalid("/site_id");
        app.patch(&format!("/v1/suites/{sid}"), &k, json!({"lines": 0}))
            .await
            .invalid("/lines");

        let client = app.client("C").await;
        let program = app.program(&client["id"], "P").await;
        let pid = program["id"].as_str().unwrap();
        app.put(
            &format!("/v1/programs/{pid}/forecast"),
            &k,
            json!({"entries": [{"month": "2027-13", "phase": "phase1", "batches": 1}]}),
        )
        .await
        .invalid("/entries/0/month");
        app.put(
            &format!("/v1/programs/{pid}/forecast"),
            &k,
            json!({"entries": [
        {"month": "2027-01", "phase": "phase1", "batches": 1},
        {"month": "2027-01", "phase": "phase1", "batches": 2}]}),
        )
        .await
        .invalid("/entries/1/month");
        app.put(
            &format!("/v1/programs/{pid}/forecast"),
            &k,
            json!({"entries": [{"month": "2027-01", "phase": "phase9", "batches": 1}]}),
        )
        .await
        .invalid("/entries/0/phase");
        app.put(
            &format!("/v1/programs/{pid}/forecast"),
            &k,
            json!({"entries": [{"month": "2027-01", "phase": "phase1", "batches": -2}]}),
        )
        .await
        .invalid("/entries/0/batches");
        let mut body = TestApp::program_body(&client["id"], "Q");
        body["phase_success"] = json!({"phase1": 1.5});
        app.post("/v1/programs", &k, body.clone())
            .await
            .invalid("/phase_success/phase1");
        body["phase_success"] = json!({"phase7": 0.5});
        app.post("/v1/programs", &k, body.clone())
            .await
            .invalid("/phase_success/phase7");
        body["phase_success"] = json!(null);
        body["batch_days"] = json!(0);
        app.post("/v1/programs", &k, body.clone())
            .await
            .invalid("/batch_days");
        body["batch_days"] = json!(10);
        body["allowed_suite_ids"] = json!([uuid::Uuid::new_v4()]);
        app.post("/v1/programs", &k, body.clone())
            .await
            .invalid("/allowed_suite_ids/0");

        // Query parameters are named too.
        app.get(
            &format!("/v1/programs/{pid}/demand?scenario=optimistic"),
            &k,
        )
        .await
        .invalid("scenario");
        app.get("/v1/sites?limit=0", &k).await.invalid("limit");
        app.get("/v1/sites?limit=abc", &k).await.invalid("limit");
        app.get("/v1/sites?cursor=zzz", &k).await.invalid("cursor");

        // Path ids that are not UUIDs, unknown routes and wrong methods.
        app.get("/v1/programs/not-a-uuid", &k).await.problem(404);
        app.get(&format!("/v1/programs/{}", uuid::Uuid::new_v4()), &k)
            .await
            .problem(404);
        app.get("/v1/nowhere", &k).await.problem(404);
        app.request(Method::DELETE, "/v1/sites", Some(&k), None)
            .await
            .problem(405);

        // None of that left anything behind.
        let suites = app.get("/v1/suites", &k).await.expect(200);
        assert_eq!(suites["items"].as_array().unwrap().len(), 1);
        let forecast = app
            .get(&format!("/v1/programs/{pid}/forecast"), &k)
            .await
            .expect(200);
        assert_eq!(forecast["version"], 0);
        let programs = app.get("/v1/programs", &k).await.expect(200);
        assert_eq!(programs["items"].as_array().unwrap().len(), 1);
    }
);

both_backends!(
    input_is_read_exactly_as_the_openapi_document_describes_it,
    |app: TestApp| async move {
        let k = app.admin_key.clone();
        let site = app.site("S").await;
        let client = app.client("C").await;

        // A body is an object, and so is an object inside it.
        for body in [&b"[]"[..], b"[\"x\", \"UTC\"]", b"7", b"\"x\""] {
            app.raw(Method::POST, "/v1/sites", &k, body.to_vec())
                .await
                .invalid("/");
        }
        let mut body = TestApp::program_body(&client["id"], "P");
        body["phase_success"] = json!([0.5, 0.5]);
        app.post("/v1/programs", &k, body.clone())
            .await
            .invalid("/phase_success");
        body["phase_success"] = json!({"phase1": 0.5});
        let program = app.post("/v1/programs", &k, body).await.expect(201);
        app.put(
            &format!("/v1/programs/{}/forecast", program["id"].as_str().unwrap()),
            &k,
            json!({"entries": [["2027-01", "phase1", 2]]}),
        )
        .await
        .invalid("/entries/0");

        // A whole number is an integer however it is written.
        let suite = app
            .post(
                "/v1/suites",
                &k,
                json!({"site_id": site["id"], "name": "CT", "grade": "B", "lines": 2.0,
                       "available_from": "2026-01-01"}),
            )
            .await
            .expect(201);
        assert_eq!(suite["lines"], 2);

        // Dates are YYYY-MM-DD and instants RFC 3339 date-times, nothing looser.
        for day in ["2026-1-01", "2026-01-01 ", "2026 -01-01"] {
            app.post(
                "/v1/suites",
                &k,
                json!({"site_id": site["id"], "name": "CT2", "grade": "B", "lines": 1,
                       "available_from": day}),
            )
            .await
            .invalid("/available_from");
        }
        app.get("/v1/bookings?from=2026-1-1", &k)
            .await
            .invalid("from");
        for at in [
            "2026-01-01 00:00:00Z",
            "2026-01-01T00:00Z",
            "2026-01-01T10:00:60Z",
        ] {
            app.get(&format!("/v1/audit?from={at}"), &k)
                .await
                .invalid("from");
        }
        app.get("/v1/audit?from=2026-01-01t00:00:00%2B01:00", &k)
            .await
            .expect(200);

        // Ids are 8-4-4-4-12; an empty cursor is the first page.
        let id = suite["id"].as_str().unwrap();
        app.get(&format!("/v1/suites/{id}"), &k).await.expect(200);
        let simple = id.replace('-', "");
        for other in [
            simple.clone(),
            format!("{{{id}}}"),
            format!("urn:uuid:{id}"),
        ] {
            app.get(&format!("/v1/suites/{other}"), &k)
                .await
                .problem(404);
        }
        app.get(&format!("/v1/suites?cursor={simple}"), &k)
            .await
            .invalid("cursor");
        let all = app.get("/v1/suites?cursor=", &k).await.expect(200);
        assert_eq!(all["items"].as_array().unwrap().len(), 1);

        // An Idempotency-Key is 1 to 255 visible characters.
        let long = "k".repeat(256);
        let r = app
            .http
            .post(format!("{}/v1/bookings/{id}/cancel", app.base))
            .bearer_auth(&k)
            .header("Idempotency-Key", long)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
    }
);

both_backends!(
    bodies_over_one_mebibyte_are_413,
    |app: TestApp| async move {
        let big = format!(
            "{{\"name\": \"{}\", \"timezone\": \"UTC\"}}",
            "x".repeat(1024 * 1024 + 10)
        );
        app.raw(Method::POST, "/v1/sites", &app.admin_key, big.into_bytes())
            .await
            .problem(413);
        let sites = app.get("/v1/sites", &app.admin_key).await.expect(200);
        assert!(sites["items"].as_array().unwrap().is_empty());
    }
);

// Dates past year 9999 (which chrono reads as `+10000-…`, and SQLite would sort as text before
// year 2000) are refused at the door with 422 naming the field, in bodies and in queries alike,
// and nothing is created.
both_backends!(year_10000_dates_are_422, |app: TestApp| async move {
    let k = app.admin_key.clone();
    let far = "+10000-01-01";
    let site = app.site("S").await;
    let mut suite = json!({"site_id": site["id"], "name": "CT", "grade": "B",
        "capabilities": ["autologous"], "lines": 2, "available_from": far, "available_to": null});
    app.post("/v1/suites", &k, suite.clone())
        .await
        .invalid("/available_from");
    suite["available_from"] = json!("2026-01-01");
    suite["available_to"] = json!(far);
    app.post("/v1/suites", &k, suite.clone())
        .await
        .invalid("/available_to");
    let listed = app.get("/v1/suites", &k).await.expect(200);
    assert_eq!(listed["items"].as_array().unwrap().len(), 0, "{listed}");
    suite["available_to"] = json!(null);
    let suite = app.post("/v1/suites", &k, suite).await.expect(201);
    let sid = suite["id"].as_str().unwrap();
    app.post(
        &format!("/v1/suites/{sid}/closures"),
        &k,
        json!({"start": "2030-01-01", "end": far, "reason": "r"}),
    )
    .await
    .invalid("/end");
    let client = app.client("C").await;
    let mut program = TestApp::program_body(&client["id"], "P");
    program["earliest_start"] = json!(far);
    app.post("/v1/programs", &k, program)
        .await
        .invalid("/earliest_start");
    let program = app.program(&client["id"], "Q").await;
    app.post(
        "/v1/bookings",
        &k,
        json!({"program_id": program["id"], "suite_id": sid, "line": null, "start": far,
               "end": "2030-01-05", "status": "confirmed", "hold_expires_at": null,
               "note": null}),
    )
    .await
    .invalid("/start");
    app.post(
        "/v1/bookings",
        &k,
        json!({"program_id": program["id"], "suite_id": sid, "line": null,
               "start": "2030-01-01", "end": "2030-01-05", "status": "held",
               "hold_expires_at": "+10000-01-01T00:00:00Z", "note": null}),
    )
    .await
    .invalid("/hold_expires_at");
    let listed = app.get("/v1/bookings", &k).await.expect(200);
    assert_eq!(listed["items"].as_array().unwrap().len(), 0, "{listed}");
    app.post(
        "/v1/plans",
        &k,
        json!({"from": "2030-01-01", "to": "+10000-01-01"}),
    )
    .await
    .invalid("/to");
    // In queries (`+` travels as %2B).
    app.get("/v1/availability?from=2030-01-01&to=%2B10000-01-01", &k)
        .await
        .invalid("to");
    app.get("/v1/bookings?from=%2B10000-01-01", &k)
        .await
        .invalid("from");
    app.get("/v1/audit?from=%2B10000-01-01T00:00:00Z", &k)
        .await
        .invalid("from");
});
