//! Booking kinds: only GMP and PPQ batches serve a program's demand; engineering runs, tech
//! transfers, media fills and maintenance occupy the line without making product.

use crate::both_backends;
use crate::helpers::*;
use crate::plans::wait_done;
use serde_json::{json, Value};

/// One autologous suite with two lines; a program needing 2 batches in 2029-03 (maximum
/// scenario, so exactly 2).
async fn setup(app: &TestApp) -> (String, String, String) {
    let site = app.site("Leiden").await;
    let suite = app.suite(&site["id"], "A1", &["autologous"], 2).await;
    let client = app.client("Lumen").await;
    let program = app.program(&client["id"], "TIL-1").await;
    let id = |v: &Value| v["id"].as_str().unwrap().to_string();
    app.put(
        &format!("/v1/programs/{}/forecast", id(&program)),
        &app.admin_key,
        json!({"entries": [{"month": "2029-03", "phase": "phase1", "batches": 2}]}),
    )
    .await
    .expect(200);
    (id(&suite), id(&program), id(&client))
}

fn booking(program: &str, suite: &str, kind: &str) -> Value {
    json!({"program_id": program, "suite_id": suite, "line": 1, "start": "2029-03-01",
           "end": "2029-03-17", "status": "confirmed", "kind": kind, "hold_expires_at": null,
           "note": null})
}

/// Plans March 2029 for the program; returns (demand, served, suggestions).
async fn plan(app: &TestApp, program: &str) -> (i64, i64, Vec<Value>) {
    let queued = app
        .post(
            "/v1/plans",
            &app.admin_key,
            json!({"from": "2029-03-01", "to": "2029-04-01", "scenario": "maximum",
                   "program_ids": [program], "time_limit_s": 10}),
        )
        .await
        .expect(202);
    let plan = wait_done(app, queued["id"].as_str().unwrap()).await;
    let o = &plan["objective"];
    (
        o["demand_batches"].as_i64().unwrap(),
        o["served_batches"].as_i64().unwrap(),
        plan["suggestions"].as_array().unwrap().clone(),
    )
}

both_backends!(
    an_engineering_run_does_not_reduce_demand_and_a_ppq_batch_does,
    |app: TestApp| async move {
        let (suite, program, _) = setup(&app).await;
        let run = app
            .post(
                "/v1/bookings",
                &app.admin_key,
                booking(&program, &suite, "engineering_run"),
            )
            .await
            .expect(201);
        assert_eq!(run["kind"], "engineering_run");
        // The run occupies line 1 but serves nothing: both batches are still to be made, and
        // the plan suggests two, neither over the run.
        let (demand, served, suggestions) = plan(&app, &program).await;
        assert_eq!((demand, served), (2, 2));
        assert_eq!(suggestions.len(), 2, "{suggestions:?}");
        for s in &suggestions {
            assert_eq!(s["kind"], "gmp_batch", "{s}");
            let over_run = s["line"] == 1 && s["start"].as_str().unwrap() < "2029-03-17";
            assert!(!over_run, "{s}");
        }
        // A PPQ batch in March serves one of the two: one suggestion is left.
        app.post(
            &format!("/v1/bookings/{}/cancel", run["id"].as_str().unwrap()),
            &app.admin_key,
            json!({}),
        )
        .await
        .expect(200);
        app.post(
            "/v1/bookings",
            &app.admin_key,
            booking(&program, &suite, "ppq"),
        )
        .await
        .expect(201);
        let (demand, served, suggestions) = plan(&app, &program).await;
        assert_eq!((demand, served), (2, 2));
        assert_eq!(suggestions.len(), 1, "{suggestions:?}");
    }
);

both_backends!(kinds_are_validated_and_shown, |app: TestApp| async move {
    let (suite, program, client) = setup(&app).await;
    // Not given: a GMP batch.
    let mut body = booking(&program, &suite, "x");
    body.as_object_mut().unwrap().remove("kind");
    let b = app
        .post("/v1/bookings", &app.admin_key, body)
        .await
        .expect(201);
    assert_eq!(b["kind"], "gmp_batch");
    // Unknown kinds are 422 naming the field.
    let mut body = booking(&program, &suite, "rental_of_the_moon");
    body["line"] = json!(2);
    app.post("/v1/bookings", &app.admin_key, body)
        .await
        .invalid("/kind");
    // Clients may hold a tech transfer, but not book the CDMO's maintenance.
    let key = app.key("client", Some(&client)).await;
    let mut body = booking(&program, &suite, "maintenance");
    body["status"] = json!("held");
    body["line"] = json!(2);
    let p = app
        .post("/v1/bookings", &key, body.clone())
        .await
        .problem(403);
    assert!(p["detail"].as_str().unwrap().contains("/kind"), "{p}");
    body["kind"] = json!("tech_transfer");
    let tt = app.post("/v1/bookings", &key, body).await.expect(201);
    assert_eq!(tt["kind"], "tech_transfer");
    // Lists filter by kind.
    let listed = app
        .get("/v1/bookings?kind=tech_transfer", &app.admin_key)
        .await
        .expect(200);
    let ids: Vec<&Value> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| &b["id"])
        .collect();
    assert_eq!(ids, vec![&tt["id"]], "{listed}");
    app.get("/v1/bookings?kind=lease", &app.admin_key)
        .await
        .invalid("kind");
    // The calendar says what each booking is.
    let r = app
        .http
        .get(format!("{}/v1/bookings.ics", app.base))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    let cal: icalendar::Calendar = r.text().await.unwrap().parse().expect("iCalendar");
    use icalendar::Component;
    let summaries: Vec<String> = cal
        .components
        .iter()
        .filter_map(|c| c.as_event())
        .filter_map(|e| e.get_summary().map(str::to_string))
        .collect();
    assert!(
        summaries.contains(&"TIL-1 · tech transfer — A1 line 2".to_string()),
        "{summaries:?}"
    );
    assert!(
        summaries.contains(&"TIL-1 — A1 line 1".to_string()),
        "{summaries:?}"
    );
});
