//! Plans through the API: a small CDMO short of capacity, request validation, accepting suggestions.

use crate::both_backends;
use crate::helpers::*;
use serde_json::{json, Value};
use solver_models::plan::{Plan, SolverStatus, Suggestion};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Polls the plan until it is done (or fails the test when it fails or takes too long).
pub async fn wait_done(app: &TestApp, id: &str) -> Value {
    let started = Instant::now();
    loop {
        let plan = app
            .get(&format!("/v1/plans/{id}"), &app.admin_key)
            .await
            .expect(200);
        match plan["status"].as_str() {
            Some("done") => return plan,
            Some("failed") => panic!("plan failed: {plan}"),
            _ => {}
        }
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "plan not done after 180 s: {plan}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub struct Cdmo {
    suite_a: String,
    suite_v: String,
    client1: String,
    client2: String,
    p1: String,
    p2: String,
    p3: String,
}

/// One autologous suite (1 line) with a closure, one viral-vector suite; P1 needs 3 batches of
/// 16 line-days in January (only 2 fit), P2 one in February, P3 needs a capability no suite has.
pub async fn cdmo(app: &TestApp) -> Cdmo {
    let k = app.admin_key.clone();
    let site = app.site("Leiden").await;
    let a = app.suite(&site["id"], "A1", &["autologous"], 1).await;
    let v = app.suite(&site["id"], "V1", &["viral_vector"], 1).await;
    app.post(
        &format!("/v1/suites/{}/closures", a["id"].as_str().unwrap()),
        &k,
        json!({"start": "2029-02-20", "end": "2029-03-01", "reason": "shutdown", "lines": null}),
    )
    .await
    .expect(201);
    let c1 = app.client("Acme").await;
    let c2 = app.client("Beta").await;
    let p1 = app.program(&c1["id"], "CAR-1").await;
    let p2 = app.program(&c2["id"], "CAR-2").await;
    let mut body = TestApp::program_body(&c2["id"], "FF-3");
    body["required_capabilities"] = json!(["fill_finish"]);
    let p3 = app.post("/v1/programs", &k, body).await.expect(201);
    for (p, month, n) in [
        (&p1, "2029-01", 3),
        (&p2, "2029-02", 1),
        (&p3, "2029-02", 1),
    ] {
        app.put(
            &format!("/v1/programs/{}/forecast", p["id"].as_str().unwrap()),
            &k,
            json!({"entries": [{"month": month, "phase": "phase1", "batches": n}]}),
        )
        .await
        .expect(200);
    }
    let s = |v: &Value| v["id"].as_str().unwrap().to_string();
    Cdmo {
        suite_a: s(&a),
        suite_v: s(&v),
        client1: s(&c1),
        client2: s(&c2),
        p1: s(&p1),
        p2: s(&p2),
        p3: s(&p3),
    }
}

/// The same CDMO as a solver instance, written from the test's own knowledge of it.
fn instance(c: &Cdmo) -> solver_models::Instance {
    let program = |id: &str, caps: &[&str], month: &str, n: u32| {
        json!({"id": id, "name": id, "phase": "phase1", "required_capabilities": caps,
               "min_grade": "B", "batch_days": 14, "changeover_days": 2,
               "forecast": [{"month": month, "phase": "phase1", "batches": n}]})
    };
    serde_json::from_value(json!({
        "from": "2029-01-01", "to": "2029-03-01", "scenario": "maximum",
        "suites": [
            {"id": c.suite_a, "name": "A1", "grade": "B", "capabilities": ["autologous"], "lines": 1,
             "available_from": "2026-01-01",
             "closures": [{"start": "2029-02-20", "end": "2029-03-01", "lines": null}]},
            {"id": c.suite_v, "name": "V1", "grade": "B", "capabilities": ["viral_vector"], "lines": 1,
             "available_from": "2026-01-01"}
        ],
        "programs": [
            program(&c.p1, &["autologous"], "2029-01", 3),
            program(&c.p2, &["autologous"], "2029-02", 1),
            program(&c.p3, &["fill_finish"], "2029-02", 1)
        ]
    }))
    .expect("instance")
}

pub fn suggestions(plan: &Value) -> Vec<Suggestion> {
    plan["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| Suggestion {
            program: s["program_id"].as_str().unwrap().into(),
            suite: s["suite_id"].as_str().unwrap().into(),
            line: s["line"].as_u64().unwrap() as u32,
            start: s["start"].as_str().unwrap().parse().unwrap(),
            end: s["end"].as_str().unwrap().parse().unwrap(),
            month: solver_models::Month::parse(s["month"].as_str().unwrap()).unwrap(),
            kind: serde_json::from_value(s["kind"].clone()).unwrap(),
        })
        .collect()
}

both_backends!(
    a_short_cdmo_is_planned_checked_and_alerted_once,
    |app: TestApp| async move {
        let c = cdmo(&app).await;
        let k = app.admin_key.clone();
        let body = json!({"from": "2029-01-01", "to": "2029-03-01", "scenario": "maximum",
                          "program_ids": null, "time_limit_s": 20});
        let queued = app.post("/v1/plans", &k, body.clone()).await.expect(202);
        assert_eq!(queued["status"], "queued");
        let id = queued["id"].as_str().unwrap().to_string();
        let plan = wait_done(&app, &id).await;

        // Served: P1 2 of 3, P2 1 of 1 (phase1 weight 2): 6 of 10 weighted with P3.
        let obj = &plan["objective"];
        assert_eq!(obj["served_weighted"], json!(6.0), "{plan}");
        assert_eq!(obj["demand_weighted"], json!(10.0));
        assert_eq!(obj["served_batches"], json!(3));
        assert_eq!(obj["demand_batches"], json!(5));
        assert!(obj["bound_weighted"].as_f64().unwrap() >= 6.0);
        assert!(["optimal", "feasible"].contains(&plan["solver"]["status"].as_str().unwrap()));
        assert!(plan["solver"]["name"].is_string() && plan["solver"]["seconds"].is_number());

        // The suggestions are feasible to the day, by the independent checker.
        let inst = instance(&c);
        let checked = Plan {
            status: SolverStatus::Optimal,
            seconds: 0.0,
            gap: 0.0,
            served_weighted: obj["served_weighted"].as_f64().unwrap(),
            demand_weighted: obj["demand_weighted"].as_f64().unwrap(),
            bound_weighted: obj["bound_weighted"].as_f64().unwrap(),
            served_batches: 3,
            demand_batches: 5,
            greedy_served_weighted: 0.0,
            suggestions: suggestions(&plan),
            shortfalls: vec![],
            utilization: vec![],
            expansion: vec![],
            binding: vec![],
            pool_utilization: vec![],
            pool_binding: vec![],
            pool_expansion: vec![],
        };
        assert_eq!(checked.suggestions.len(), 3);
        let violations = solver_models::check::check_plan(&inst, &checked);
        assert!(violations.is_empty(), "{violations:?}");
        for s in plan["suggestions"].as_array().unwrap() {
            assert!(s["id"].is_string());
            assert_eq!(s["suite_id"], json!(c.suite_a));
            let (start, end): (chrono::NaiveDate, chrono::NaiveDate) = (
                s["start"].as_str().unwrap().parse().unwrap(),
                s["end"].as_str().unwrap().parse().unwrap(),
            );
            assert_eq!(
                (end - start).num_days(),
                16,
                "end = start + batch + changeover"
            );
        }

        // Shortfalls: P1 January for capacity, P3 for want of a usable suite.
        let shortfalls = plan["shortfalls"].as_array().unwrap();
        let find = |p: &str| {
            shortfalls
                .iter()
                .find(|s| s["program_id"] == json!(p))
                .cloned()
        };
        let s1 = find(&c.p1).expect("P1 short");
        assert_eq!(
            (
                s1["month"].as_str(),
                s1["shortfall"].as_i64(),
                s1["reason"].as_str()
            ),
            (Some("2029-01"), Some(1), Some("capacity"))
        );
        assert_eq!(s1["demand"], json!(3));
        assert_eq!(s1["planned"], json!(2));
        assert_eq!(find(&c.p3).expect("P3 short")["reason"], "no_usable_suite");
        assert!(find(&c.p2).is_none());
        assert!(!plan["utilization"].as_array().unwrap().is_empty());
        let expansion = plan["expansion"].as_array().unwrap();
        assert!(
            expansion
                .iter()
                .any(|e| e["capabilities"] == json!(["autologous"])
                    && e["extra_lines"].as_i64() >= Some(1)),
            "expansion advice for the autologous class: {plan}"
        );

        // Alerts: one shortfall event per client (scoped) plus one for staff.
        let short_events = app.scoped_events("capacity.shortfall").await;
        assert_eq!(short_events.len(), 3, "{short_events:?}");
        let acme: Uuid = c.client1.parse().unwrap();
        let (_, data) = short_events
            .iter()
            .find(|(cl, _)| *cl == Some(acme))
            .expect("Acme's event");
        assert_eq!(data["plan_id"], json!(id));
        assert_eq!(data["first_short_month"], "2029-01");
        assert_eq!(data["shortfalls"].as_array().unwrap().len(), 1);
        let (_, all) = short_events
            .iter()
            .find(|(cl, _)| cl.is_none())
            .expect("staff event");
        assert_eq!(all["shortfalls"].as_array().unwrap().len(), 2);
        assert_eq!(app.events("plan.completed").await.len(), 1);
        let high = app.events("capacity.utilization_high").await.len();
        assert!(high >= 1, "suite A is full in January");

        // Nothing changed: a second plan raises no new shortfall or utilisation alert.
        let again = app.post("/v1/plans", &k, body).await.expect(202);
        wait_done(&app, again["id"].as_str().unwrap()).await;
        assert_eq!(app.events("capacity.shortfall").await.len(), 3);
        assert_eq!(app.events("capacity.utilization_high").await.len(), high);
        assert_eq!(app.events("plan.completed").await.len(), 2);

        // Newest first.
        let list = app.get("/v1/plans?limit=1", &k).await.expect(200);
        assert_eq!(list["items"][0]["id"], again["id"]);
        let next = list["next_cursor"].as_str().expect("a second page");
        let page2 = app
            .get(&format!("/v1/plans?limit=1&cursor={next}"), &k)
            .await
            .expect(200);
        assert_eq!(page2["items"][0]["id"], json!(id));

        // A client sees only its own rows, and no suite-level figures.
        let key = app.key("client", Some(&c.client2)).await;
        let mine = app.get(&format!("/v1/plans/{id}"), &key).await.expect(200);
        for row in mine["suggestions"]
            .as_array()
            .unwrap()
            .iter()
            .chain(mine["shortfalls"].as_array().unwrap())
        {
            assert!(
                row["program_id"] == json!(c.p2) || row["program_id"] == json!(c.p3),
                "{mine}"
            );
        }
        assert_eq!(mine["suggestions"].as_array().unwrap().len(), 1);
        assert_eq!(mine["shortfalls"].as_array().unwrap().len(), 1);
        assert_eq!(mine["utilization"], json!([]));
        assert_eq!(mine["binding"], json!([]));
        assert_eq!(mine["expansion"], json!([]));
        assert_eq!(mine["objective"]["bound_weighted"], Value::Null);
        assert_eq!(mine["objective"]["demand_batches"], json!(2));
        assert_eq!(mine["objective"]["served_batches"], json!(1));
        assert!(!mine.to_string().contains(&c.p1));
        assert!(!mine.to_string().contains(&c.client1));
        // Clients read plans but cannot start them.
        app.post(
            "/v1/plans",
            &key,
            json!({"from": "2029-01-01", "to": "2029-03-01"}),
        )
        .await
        .problem(403);
    }
);

both_backends!(plan_requests_are_validated, |app: TestApp| async move {
    let k = app.admin_key.clone();
    let mid = json!({"from": "2029-01-15", "to": "2029-03-01", "scenario": "expected"});
    app.post("/v1/plans", &k, mid).await.invalid("/from");
    let backwards = json!({"from": "2029-03-01", "to": "2029-03-01", "scenario": "expected"});
    app.post("/v1/plans", &k, backwards).await.invalid("/to");
    let mid_to = json!({"from": "2029-01-01", "to": "2029-02-10", "scenario": "expected"});
    app.post("/v1/plans", &k, mid_to).await.invalid("/to");
    let scenario = json!({"from": "2029-01-01", "to": "2029-02-01", "scenario": "hopeful"});
    app.post("/v1/plans", &k, scenario)
        .await
        .invalid("/scenario");
    let unknown = json!({"from": "2029-01-01", "to": "2029-02-01", "scenario": "expected",
                         "program_ids": [Uuid::now_v7()]});
    app.post("/v1/plans", &k, unknown)
        .await
        .invalid("/program_ids/0");
    let limit = json!({"from": "2029-01-01", "to": "2029-02-01", "time_limit_s": -1});
    app.post("/v1/plans", &k, limit)
        .await
        .invalid("/time_limit_s");
    let not_a_date = json!({"from": "soon", "to": "2029-02-01"});
    app.post("/v1/plans", &k, not_a_date).await.invalid("/from");
    app.get(&format!("/v1/plans/{}", Uuid::now_v7()), &k)
        .await
        .problem(404);
    app.get("/v1/plans/not-a-uuid", &k).await.problem(404);
});

both_backends!(
    accepting_a_suggestion_books_exactly_that_slot_once,
    |app: TestApp| async move {
        let c = cdmo(&app).await;
        let k = app.admin_key.clone();
        let body = json!({"from": "2029-01-01", "to": "2029-03-01", "scenario": "maximum"});
        let id = app.post("/v1/plans", &k, body).await.expect(202)["id"]
            .as_str()
            .unwrap()
            .to_string();
        let plan = wait_done(&app, &id).await;
        let pick = |p: &str| {
            plan["suggestions"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["program_id"] == json!(p))
                .cloned()
                .expect("a suggestion")
        };
        let s1 = pick(&c.p1);
        let accept = |s: &Value| {
            format!(
                "/v1/plans/{id}/suggestions/{}/accept",
                s["id"].as_str().unwrap()
            )
        };

        let booking = app
            .post(&accept(&s1), &k, json!({"status": "confirmed"}))
            .await
            .expect(201);
        for f in ["program_id", "suite_id", "line", "start", "end"] {
            assert_eq!(booking[f], s1[f], "{f}");
        }
        assert_eq!(booking["status"], "confirmed");
        // The slot is taken now.
        app.post(&accept(&s1), &k, json!({"status": "held"}))
            .await
            .problem(409);

        // A client accepts its own suggestions, as holds only, and cannot see others'.
        let key = app.key("client", Some(&c.client2)).await;
        let s2 = pick(&c.p2);
        app.post(&accept(&s2), &key, json!({"status": "confirmed"}))
            .await
            .problem(403);
        let held = app
            .post(&accept(&s2), &key, json!({"status": "held"}))
            .await
            .expect(201);
        assert_eq!(held["status"], "held");
        assert!(held["hold_expires_at"].is_string());
        // With an Idempotency-Key, a retried accept replays the booking instead of a 409.
        let s3 = plan["suggestions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] != s1["id"] && s["id"] != s2["id"])
            .cloned()
            .expect("a third suggestion");
        let retry = || async {
            let r = app
                .http
                .post(format!("{}{}", app.base, accept(&s3)))
                .bearer_auth(&k)
                .header("Idempotency-Key", "accept-s3")
                .json(&json!({"status": "held"}))
                .send()
                .await
                .unwrap();
            TestApp::read(r).await
        };
        let first = retry().await.expect(201);
        assert_eq!(retry().await.expect(201), first);
        app.post(&accept(&pick(&c.p1)), &key, json!({"status": "held"}))
            .await
            .problem(404);
        app.post(&accept(&s2), &k, json!({"status": "maybe"}))
            .await
            .invalid("/status");
        let _ = (&c.client1, &c.p3);
    }
);

both_backends!(
    a_shortfall_names_who_took_the_capacity_and_clients_see_only_their_own,
    |app: TestApp| async move {
        // One line; Aurora's commercial batches fill February; Lumen's preclinical batch of
        // January (from the 20th, 20 line-days) would run into February (March is closed).
        let site = app.site("Leiden").await;
        let suite = app.suite(&site["id"], "A1", &["autologous"], 1).await;
        app.post(
            &format!("/v1/suites/{}/closures", suite["id"].as_str().unwrap()),
            &app.admin_key,
            json!({"start": "2031-03-01", "end": "2031-04-01", "reason": "shutdown", "lines": null}),
        )
        .await
        .expect(201);
        let (aurora, lumen) = (app.client("Aurora").await, app.client("Lumen").await);
        let mut com = TestApp::program_body(&aurora["id"], "COM");
        com["phase"] = json!("commercial");
        com["batch_days"] = json!(12);
        let com = app
            .post("/v1/programs", &app.admin_key, com)
            .await
            .expect(201);
        let mut pre = TestApp::program_body(&lumen["id"], "PRE");
        pre["phase"] = json!("preclinical");
        pre["batch_days"] = json!(18);
        pre["earliest_start"] = json!("2031-01-20");
        let pre = app
            .post("/v1/programs", &app.admin_key, pre)
            .await
            .expect(201);
        for (program, month, phase, batches) in [
            (&com, "2031-02", "commercial", 2),
            (&pre, "2031-01", "preclinical", 1),
        ] {
            app.put(
                &format!("/v1/programs/{}/forecast", program["id"].as_str().unwrap()),
                &app.admin_key,
                json!({"entries": [{"month": month, "phase": phase, "batches": batches}]}),
            )
            .await
            .expect(200);
        }
        let queued = app
            .post(
                "/v1/plans",
                &app.admin_key,
                json!({"from": "2031-01-01", "to": "2031-03-01", "scenario": "maximum"}),
            )
            .await
            .expect(202);
        let id = queued["id"].as_str().unwrap().to_string();
        let plan = wait_done(&app, &id).await;
        // How it converged stays with the plan: the incumbent only rises, the bound only falls,
        // and they end at the plan's figures.
        let progress = &plan["progress"];
        assert_eq!(progress["stage"], "done", "{progress}");
        assert_eq!(progress["incumbent"], plan["objective"]["served_weighted"]);
        assert_eq!(progress["bound"], plan["objective"]["bound_weighted"]);
        let trace = progress["trace"].as_array().unwrap();
        assert!(!trace.is_empty(), "{progress}");
        for pair in trace.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            assert!(a["seconds"].as_f64() <= b["seconds"].as_f64(), "{progress}");
            if let (Some(x), Some(y)) = (a["incumbent"].as_f64(), b["incumbent"].as_f64()) {
                assert!(x <= y, "{progress}");
            }
            if let (Some(x), Some(y)) = (a["bound"].as_f64(), b["bound"].as_f64()) {
                assert!(x >= y, "{progress}");
            }
        }
        let short = &plan["shortfalls"][0];
        assert_eq!(short["program_id"], pre["id"], "{plan}");
        assert_eq!(short["reason"], "capacity");
        let c = &short["competition"][0];
        assert_eq!(c["suite_id"], suite["id"]);
        assert_eq!(
            (c["from"].as_str(), c["to"].as_str()),
            (Some("2031-01-20"), Some("2031-02-20"))
        );
        let rival = &c["occupants"][0];
        assert_eq!(rival["program_id"], com["id"], "{c}");
        assert_eq!(rival["client_id"], aurora["id"]);
        assert_eq!(
            (
                rival["phase"].as_str(),
                rival["weight"].as_f64(),
                rival["status"].as_str()
            ),
            (Some("commercial"), Some(16.0), Some("planned"))
        );
        assert_eq!(rival["batches"], 2);
        assert_eq!(rival["kind"], "gmp_batch");

        // Lumen sees its shortfall, and Aurora's batches only as "other programs".
        let lumen_key = app.key("client", Some(lumen["id"].as_str().unwrap())).await;
        let mine = app
            .get(&format!("/v1/plans/{id}"), &lumen_key)
            .await
            .expect(200);
        let other = &mine["shortfalls"][0]["competition"][0]["occupants"][0];
        assert_eq!(other["program_id"], Value::Null, "{mine}");
        for hidden in ["client_id", "phase", "weight", "kind"] {
            assert!(
                other.get(hidden).is_none_or(Value::is_null),
                "{hidden}: {other}"
            );
        }
        assert_eq!(other["line_days"], rival["line_days"]);
        // Nor the network's figures while it solves or after.
        assert_eq!(mine["progress"]["stage"], "done");
        assert_eq!(mine["progress"]["incumbent"], Value::Null, "{mine}");
        assert_eq!(mine["progress"]["trace"], json!([]));
        assert!(
            !mine.to_string().contains(com["id"].as_str().unwrap()),
            "{mine}"
        );
        assert!(
            !mine.to_string().contains(aurora["id"].as_str().unwrap()),
            "{mine}"
        );
        // Aurora is not short: it sees no shortfall of Lumen's.
        let aurora_key = app
            .key("client", Some(aurora["id"].as_str().unwrap()))
            .await;
        let theirs = app
            .get(&format!("/v1/plans/{id}"), &aurora_key)
            .await
            .expect(200);
        assert_eq!(theirs["shortfalls"], json!([]), "{theirs}");
    }
);
