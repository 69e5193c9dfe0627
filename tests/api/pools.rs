//! Capacity pools: a site's operators, QC lab and shared equipment. Staff manage them; bookings
//! that would take more than a pool has left on a day are 409 (naming the pool for staff, only
//! the days for a client), also when they race on different lines; availability for a program
//! skips days its pools cannot staff; plans respect pools and report them.

use crate::both_backends;
use crate::helpers::*;
use crate::plans::wait_done;
use crate::quotas::all_at_once;
use serde_json::{json, Value};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

/// One site "Leiden" with an autologous suite of `lines` lines, an operator pool of `capacity`
/// people every day, and a client's program whose batch takes 2 operators on days 0–2.
struct World {
    site: String,
    suite: String,
    pool: String,
    program: String,
    client_key: String,
}

async fn world(app: &TestApp, lines: i64, capacity: i64, amount: i64) -> World {
    let site = app.site("Leiden").await;
    let suite = app.suite(&site["id"], "A1", &["autologous"], lines).await;
    let pool = app
        .post(
            "/v1/pools",
            &app.admin_key,
            json!({"site_id": site["id"], "name": "Leiden operators", "kind": "staff",
                   "tag": "autologous-operator", "capacity": capacity}),
        )
        .await
        .expect(201);
    let client = app.client("Lumen").await;
    let mut body = TestApp::program_body(&client["id"], "TIL-1");
    body["resource_profile"] =
        json!([{"tag": "autologous-operator", "amount": amount, "days": [0, 1, 2]}]);
    let program = app
        .post("/v1/programs", &app.admin_key, body)
        .await
        .expect(201);
    let client_key = app
        .key("client", Some(client["id"].as_str().unwrap()))
        .await;
    World {
        site: id(&site),
        suite: id(&suite),
        pool: id(&pool),
        program: id(&program),
        client_key,
    }
}

/// One figure (`capacity` or `used`) of a pool's days over `[from, to)`.
async fn pool_days(app: &TestApp, pool: &str, from: &str, to: &str, figure: &str) -> Vec<i64> {
    let days = app
        .get(
            &format!("/v1/pools/{pool}/calendar?from={from}&to={to}"),
            &app.admin_key,
        )
        .await
        .expect(200);
    days["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d[figure].as_i64().unwrap())
        .collect()
}

/// A plan of `[from, to)` (maximum scenario, every program), once done.
async fn plan_of(app: &TestApp, from: &str, to: &str) -> Value {
    let queued = app
        .post(
            "/v1/plans",
            &app.admin_key,
            json!({"from": from, "to": to, "scenario": "maximum", "time_limit_s": 20}),
        )
        .await
        .expect(202);
    wait_done(app, queued["id"].as_str().unwrap()).await
}

fn booking(w: &World, line: i64, start: &str, end: &str, status: &str, kind: &str) -> Value {
    json!({"program_id": w.program, "suite_id": w.suite, "line": line, "start": start,
           "end": end, "status": status, "kind": kind})
}

both_backends!(
    pools_are_the_staffs_and_are_validated,
    |app: TestApp| async move {
        let w = world(&app, 2, 2, 2).await;
        let pool = app
            .get(&format!("/v1/pools/{}", w.pool), &app.admin_key)
            .await
            .expect(200);
        assert_eq!(pool["weekdays"].as_array().unwrap().len(), 7, "{pool}");
        assert_eq!(pool["exceptions"], json!([]));
        // A client sees no pool: not the list, not one, not its calendar, and cannot make one.
        for path in [
            "/v1/pools".to_string(),
            format!("/v1/pools/{}", w.pool),
            format!(
                "/v1/pools/{}/calendar?from=2030-01-01&to=2030-02-01",
                w.pool
            ),
        ] {
            app.get(&path, &w.client_key).await.problem(403);
        }
        app.post(
            "/v1/pools",
            &w.client_key,
            json!({"site_id": w.site, "name": "x", "kind": "qc", "tag": "qc", "capacity": 1}),
        )
        .await
        .problem(403);
        // One pool per site and tag; fields are checked.
        let dup = app
            .post(
                "/v1/pools",
                &app.admin_key,
                json!({"site_id": w.site, "name": "Other", "kind": "staff",
                       "tag": "autologous-operator", "capacity": 1}),
            )
            .await
            .problem(409);
        assert_eq!(dup["errors"][0]["field"], "/tag", "{dup}");
        app.post(
            "/v1/pools",
            &app.admin_key,
            json!({"site_id": w.site, "name": "QC", "kind": "qc", "tag": "qc-release",
                   "capacity": 3, "weekdays": ["mon", "funday"]}),
        )
        .await
        .invalid("/weekdays/1");
        app.post(
            "/v1/pools",
            &app.admin_key,
            json!({"site_id": w.site, "name": "QC", "kind": "qc", "tag": "qc-release",
                   "capacity": 3, "exceptions": [{"start": "2030-02-01", "end": "2030-01-01",
                   "capacity": 0}]}),
        )
        .await
        .invalid("/exceptions/0/end");
        app.post(
            "/v1/pools",
            &app.admin_key,
            json!({"site_id": w.site, "name": "QC", "kind": "lab", "tag": "qc-release",
                   "capacity": -1}),
        )
        .await
        .problem(422);
        // A QC lab six days a week with a holiday: its calendar says so.
        let qc = app
            .post(
                "/v1/pools",
                &app.admin_key,
                json!({"site_id": w.site, "name": "QC", "kind": "qc", "tag": "qc-release",
                       "capacity": 3, "weekdays": ["sat", "mon", "tue", "wed", "thu", "fri"],
                       "exceptions": [{"start": "2030-01-01", "end": "2030-01-02",
                                       "capacity": 0, "reason": "New Year"}]}),
            )
            .await
            .expect(201);
        assert_eq!(
            qc["weekdays"],
            json!(["mon", "tue", "wed", "thu", "fri", "sat"])
        );
        let capacity = pool_days(&app, &id(&qc), "2029-12-31", "2030-01-07", "capacity").await;
        // Mon 31 Dec, Tue 1 Jan (holiday), Wed–Sat, Sun 6 Jan.
        assert_eq!(capacity, vec![3, 0, 3, 3, 3, 3, 0]);
        // Edit and delete.
        let patched = app
            .patch(
                &format!("/v1/pools/{}", id(&qc)),
                &app.admin_key,
                json!({"capacity": 4}),
            )
            .await
            .expect(200);
        assert_eq!(patched["capacity"], 4);
        assert_eq!(patched["exceptions"][0]["reason"], "New Year");
        app.patch(
            &format!("/v1/pools/{}", id(&qc)),
            &app.admin_key,
            json!({"site_id": "00000000-0000-0000-0000-000000000000"}),
        )
        .await
        .invalid("/site_id");
        app.delete(&format!("/v1/pools/{}", id(&qc)), &app.admin_key)
            .await
            .expect(204);
        app.get(&format!("/v1/pools/{}", id(&qc)), &app.admin_key)
            .await
            .problem(404);
        // A client may read its program's profile but not set it.
        let program = app
            .get(&format!("/v1/programs/{}", w.program), &w.client_key)
            .await
            .expect(200);
        assert_eq!(program["resource_profile"][0]["days"], json!([0, 1, 2]));
        app.patch(
            &format!("/v1/programs/{}", w.program),
            &w.client_key,
            json!({"resource_profile": []}),
        )
        .await
        .problem(403);
        let mut bad = TestApp::program_body(&json!(null), "x");
        bad["resource_profile"] = json!([{"tag": "op", "amount": 0, "days": [400]}]);
        let p = app
            .post("/v1/programs", &app.admin_key, bad)
            .await
            .problem(422);
        let fields: Vec<&str> = p["errors"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["field"].as_str())
            .collect();
        assert!(
            fields.contains(&"/resource_profile/0/amount")
                && fields.contains(&"/resource_profile/0/days/0"),
            "{p}"
        );
    }
);

both_backends!(
    a_booking_beyond_a_pool_is_409_naming_the_pool_for_staff_only,
    |app: TestApp| async move {
        // Two operators; a batch takes both on its first three days.
        let w = world(&app, 3, 2, 2).await;
        let first = app
            .post(
                "/v1/bookings",
                &app.admin_key,
                booking(&w, 1, "2030-01-07", "2030-01-23", "confirmed", "gmp_batch"),
            )
            .await
            .expect(201);
        // A free line, but no operators on 7–9 January.
        let p = app
            .post(
                "/v1/bookings",
                &app.admin_key,
                booking(&w, 2, "2030-01-08", "2030-01-24", "confirmed", "gmp_batch"),
            )
            .await
            .problem(409);
        assert_eq!(p["type"], "/problems/pool-capacity", "{p}");
        let days = p["pool_conflicts"].as_array().unwrap();
        let dates: Vec<&str> = days.iter().map(|d| d["day"].as_str().unwrap()).collect();
        assert_eq!(dates, vec!["2030-01-08", "2030-01-09"], "{p}");
        for d in days {
            assert_eq!(d["pool"], "Leiden operators", "{p}");
            assert_eq!(d["pool_id"], w.pool.as_str(), "{p}");
            assert_eq!(d["kind"], "staff");
            assert_eq!(
                (d["capacity"].as_i64(), d["used"].as_i64()),
                (Some(2), Some(2))
            );
            assert_eq!(d["asked"], 2);
            assert_eq!(d["booking_ids"], json!([first["id"]]), "{p}");
        }
        assert!(
            p["detail"].as_str().unwrap().contains("Leiden operators"),
            "{p}"
        );
        // The client asking the same as a hold sees the days, and nothing about the pool.
        let p = app
            .post(
                "/v1/bookings",
                &w.client_key,
                booking(&w, 2, "2030-01-08", "2030-01-24", "held", "gmp_batch"),
            )
            .await
            .problem(409);
        assert_eq!(p["type"], "/problems/pool-capacity");
        assert_eq!(
            p["pool_conflicts"],
            json!([{"day": "2030-01-08"}, {"day": "2030-01-09"}]),
            "{p}"
        );
        assert!(!p.to_string().contains("Leiden operators"), "{p}");
        assert!(!p.to_string().contains(&w.pool), "{p}");
        // Nothing was written.
        let all = app.get("/v1/bookings", &app.admin_key).await.expect(200);
        assert_eq!(all["items"].as_array().unwrap().len(), 1);
        // A start after the operators are free is fine; so is a tech transfer on the same
        // days (it does not run the process).
        app.post(
            "/v1/bookings",
            &app.admin_key,
            booking(&w, 2, "2030-01-10", "2030-01-26", "confirmed", "gmp_batch"),
        )
        .await
        .expect(201);
        app.post(
            "/v1/bookings",
            &app.admin_key,
            booking(
                &w,
                3,
                "2030-01-07",
                "2030-01-23",
                "confirmed",
                "tech_transfer",
            ),
        )
        .await
        .expect(201);
        let used = pool_days(&app, &w.pool, "2030-01-06", "2030-01-14", "used").await;
        assert_eq!(used, vec![0, 2, 2, 2, 2, 2, 2, 0]);
        // A temporary crew (an exception) makes room: the refused booking now fits.
        app.patch(
            &format!("/v1/pools/{}", w.pool),
            &app.admin_key,
            json!({"exceptions": [{"start": "2030-01-01", "end": "2030-02-01", "capacity": 4}]}),
        )
        .await
        .expect(200);
        app.post(
            "/v1/bookings",
            &app.admin_key,
            booking(&w, 3, "2030-01-27", "2030-02-12", "confirmed", "gmp_batch"),
        )
        .await
        .expect(201);
        app.post(
            "/v1/bookings",
            &w.client_key,
            booking(&w, 2, "2030-01-27", "2030-02-12", "held", "gmp_batch"),
        )
        .await
        .expect(201);
    }
);

both_backends!(
    racing_holds_on_different_lines_never_exceed_a_pool,
    |app: TestApp| async move {
        // 64 lines, 5 operators, one operator per batch on its first day: of 64 holds sent at
        // once for the same day, each on its own line, exactly 5 get through.
        let w = world(&app, 64, 5, 1).await;
        let bodies = (1..=64i64)
            .map(|line| booking(&w, line, "2030-03-04", "2030-03-06", "held", "gmp_batch"))
            .collect();
        let statuses = all_at_once(&app, "/v1/bookings", &w.client_key, bodies).await;
        assert_eq!(
            statuses.iter().filter(|s| **s == 201).count(),
            5,
            "{statuses:?}"
        );
        assert!(
            statuses.iter().all(|s| *s == 201 || *s == 409),
            "{statuses:?}"
        );
        let used = pool_days(&app, &w.pool, "2030-03-04", "2030-03-05", "used").await;
        assert_eq!(used, vec![5]);
        let held = app
            .get("/v1/bookings?status=held&limit=100", &app.admin_key)
            .await
            .expect(200);
        assert_eq!(held["items"].as_array().unwrap().len(), 5);
    }
);

both_backends!(
    availability_for_a_program_skips_days_its_pools_cannot_staff,
    |app: TestApp| async move {
        let w = world(&app, 2, 2, 2).await;
        app.post(
            "/v1/bookings",
            &app.admin_key,
            booking(&w, 1, "2030-05-06", "2030-05-22", "confirmed", "gmp_batch"),
        )
        .await
        .expect(201);
        let windows = |v: Value| -> Vec<(i64, String, String)> {
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| {
                    (
                        x["line"].as_i64().unwrap(),
                        x["start"].as_str().unwrap().to_string(),
                        x["end"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        };
        let q = "/v1/availability?from=2030-05-01&to=2030-05-31";
        // Without a program: line 2 is free all month.
        let free = windows(app.get(q, &w.client_key).await.expect(200));
        assert!(
            free.contains(&(2, "2030-05-01".into(), "2030-05-31".into())),
            "{free:?}"
        );
        // For the program: nobody is left to staff 6–8 May, on any line.
        let path = format!("{q}&program_id={}", w.program);
        let free = windows(app.get(&path, &w.client_key).await.expect(200));
        assert_eq!(
            free,
            vec![
                (1, "2030-05-01".into(), "2030-05-06".into()),
                (1, "2030-05-22".into(), "2030-05-31".into()),
                (2, "2030-05-01".into(), "2030-05-06".into()),
                (2, "2030-05-09".into(), "2030-05-31".into()),
            ]
        );
        // Another client's program is unknown to this key.
        let other = app.client("Other").await;
        let theirs = app.program(&other["id"], "X-1").await;
        app.get(&format!("{q}&program_id={}", id(&theirs)), &w.client_key)
            .await
            .invalid("program_id");
    }
);

both_backends!(
    a_plan_is_limited_by_operators_and_says_so,
    |app: TestApp| async move {
        // Two lines, but operators for one batch at a time (2 operators on each of a batch's
        // 17 process days, a pool of 2): three batches are asked in March 2031; two fit one
        // after the other, the third has a free line but no operators.
        let site = app.site("Leiden").await;
        app.suite(&site["id"], "A1", &["autologous"], 2).await;
        let pool = app
            .post(
                "/v1/pools",
                &app.admin_key,
                json!({"site_id": site["id"], "name": "Leiden operators", "kind": "staff",
                       "tag": "op", "capacity": 2}),
            )
            .await
            .expect(201);
        let client = app.client("Lumen").await;
        let mut body = TestApp::program_body(&client["id"], "TIL-1");
        body["resource_profile"] =
            json!([{"tag": "op", "amount": 2, "days": (0..17).collect::<Vec<i64>>()}]);
        let program = app
            .post("/v1/programs", &app.admin_key, body)
            .await
            .expect(201);
        app.put(
            &format!("/v1/programs/{}/forecast", id(&program)),
            &app.admin_key,
            json!({"entries": [{"month": "2031-03", "phase": "phase3", "batches": 3}]}),
        )
        .await
        .expect(200);
        let plan = plan_of(&app, "2031-03-01", "2031-04-01").await;
        let suggestions = plan["suggestions"].as_array().unwrap();
        assert_eq!(suggestions.len(), 2, "{plan}");
        // Never two batches' process days at once: the operator pool is respected.
        let starts: Vec<chrono::NaiveDate> = suggestions
            .iter()
            .map(|s| s["start"].as_str().unwrap().parse().unwrap())
            .collect();
        assert!((starts[1] - starts[0]).num_days().abs() >= 17, "{starts:?}");
        let short = &plan["shortfalls"][0];
        assert_eq!(
            (short["shortfall"].as_i64(), short["reason"].as_str()),
            (Some(1), Some("staff")),
            "{plan}"
        );
        let months: Vec<&Value> = plan["pools"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["pool_id"] == pool["id"])
            .collect();
        assert_eq!(months.len(), 1, "{plan}");
        assert_eq!(months[0]["month"], "2031-03");
        assert_eq!(months[0]["capacity"], 62);
        let planned = months[0]["planned"].as_i64().unwrap();
        assert!(planned > 0 && planned <= 62, "{plan}");
        // Accepting both suggestions works: the booking path agrees with the plan.
        for s in suggestions {
            app.post(
                &format!(
                    "/v1/plans/{}/suggestions/{}/accept",
                    plan["id"].as_str().unwrap(),
                    s["id"].as_str().unwrap()
                ),
                &app.admin_key,
                json!({"status": "confirmed"}),
            )
            .await
            .expect(201);
        }
    }
);

both_backends!(
    a_phase_three_process_changes_batches_and_suites_of_phase_three_months,
    |app: TestApp| async move {
        // TIL-1 is made in A1 with 14 + 2 days until phase 3, then with a closed automated
        // process of 20 + 2 days filed only for suite B1.
        let site = app.site("Leiden").await;
        let a1 = app.suite(&site["id"], "A1", &["autologous"], 1).await;
        let b1 = app.suite(&site["id"], "B1", &["autologous"], 1).await;
        let client = app.client("Lumen").await;
        let mut body = TestApp::program_body(&client["id"], "TIL-1");
        body["phase"] = json!("phase2");
        body["phase_processes"] = json!([{"from_phase": "phase3", "batch_days": 20,
                                          "allowed_suite_ids": [b1["id"]]}]);
        let program = app
            .post("/v1/programs", &app.admin_key, body)
            .await
            .expect(201);
        assert_eq!(program["phase_processes"][0]["batch_days"], 20, "{program}");
        app.put(
            &format!("/v1/programs/{}/forecast", id(&program)),
            &app.admin_key,
            json!({"entries": [{"month": "2031-03", "phase": "phase2", "batches": 1},
                               {"month": "2031-04", "phase": "phase3", "batches": 1}]}),
        )
        .await
        .expect(200);
        let plan = plan_of(&app, "2031-03-01", "2031-05-01").await;
        assert_eq!(plan["objective"]["served_batches"], 2, "{plan}");
        for s in plan["suggestions"].as_array().unwrap() {
            let d = |k: &str| s[k].as_str().unwrap().parse::<chrono::NaiveDate>().unwrap();
            let days = (d("end") - d("start")).num_days();
            match s["month"].as_str().unwrap() {
                "2031-03" => assert_eq!(days, 16, "{s}"),
                "2031-04" => {
                    assert_eq!(days, 22, "{s}");
                    assert_eq!(s["suite_id"], b1["id"], "{s}");
                }
                other => panic!("unexpected month {other}: {plan}"),
            }
        }
        // The booking path applies the same process: in April only B1 is filed.
        let book = |suite: &Value, start: &str, end: &str| {
            json!({"program_id": program["id"], "suite_id": suite["id"], "line": 1,
                   "start": start, "end": end, "status": "confirmed"})
        };
        app.post(
            "/v1/bookings",
            &app.admin_key,
            book(&a1, "2031-04-02", "2031-04-24"),
        )
        .await
        .invalid("/suite_id");
        app.post(
            "/v1/bookings",
            &app.admin_key,
            book(&b1, "2031-04-02", "2031-04-24"),
        )
        .await
        .expect(201);
        app.post(
            "/v1/bookings",
            &app.admin_key,
            book(&a1, "2031-03-02", "2031-03-18"),
        )
        .await
        .expect(201);
        // Planners set it; a client reads it and may not change it; bad values are named.
        let client_key = app
            .key("client", Some(client["id"].as_str().unwrap()))
            .await;
        app.patch(
            &format!("/v1/programs/{}", id(&program)),
            &client_key,
            json!({"phase_processes": []}),
        )
        .await
        .problem(403);
        app.patch(
            &format!("/v1/programs/{}", id(&program)),
            &app.admin_key,
            json!({"phase_processes": [{"from_phase": "phase3", "batch_days": 0}]}),
        )
        .await
        .invalid("/phase_processes/0/batch_days");
        app.patch(
            &format!("/v1/programs/{}", id(&program)),
            &app.admin_key,
            json!({"phase_processes": [{"from_phase": "phase3",
                   "allowed_suite_ids": ["00000000-0000-0000-0000-000000000000"]}]}),
        )
        .await
        .invalid("/phase_processes/0/allowed_suite_ids/0");
    }
);

both_backends!(
    a_road_to_first_batch_is_planned_before_the_first_batch_and_counts_when_booked,
    |app: TestApp| async move {
        // TIL-1 (14 + 2 days, one operator on its days 0-2) comes to Leiden: a 15-day tech
        // transfer with the one operator on its first five days, then one engineering run.
        let w = world(&app, 1, 1, 1).await;
        let program_path = format!("/v1/programs/{}", w.program);
        let road = json!([{"site_id": w.site, "days": 15, "engineering_runs": 1,
            "resource_profile": [{"tag": "autologous-operator", "amount": 1, "days": [0, 1, 2, 3, 4]}]}]);
        let program = app
            .patch(
                &program_path,
                &app.admin_key,
                json!({"tech_transfers": road}),
            )
            .await
            .expect(200);
        assert_eq!(program["tech_transfers"][0]["days"], 15, "{program}");
        assert_eq!(
            program["tech_transfers"][0]["completed"], false,
            "{program}"
        );
        app.put(
            &format!("{program_path}/forecast"),
            &app.admin_key,
            json!({"entries": [{"month": "2031-03", "phase": "phase1", "batches": 1},
                               {"month": "2031-04", "phase": "phase1", "batches": 1}]}),
        )
        .await
        .expect(200);
        let plan = plan_of(&app, "2031-03-01", "2031-05-01").await;
        let steps: Vec<(&str, &str, &str)> = plan["suggestions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["kind"].as_str().unwrap(),
                    s["start"].as_str().unwrap(),
                    s["end"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            steps[..2],
            [
                ("tech_transfer", "2031-03-01", "2031-03-16"),
                ("engineering_run", "2031-03-16", "2031-04-01"),
            ],
            "{plan}"
        );
        // March's batch cannot start after the road in March; April's runs.
        assert_eq!(steps.len(), 3, "{plan}");
        assert_eq!(steps[2].0, "gmp_batch");
        assert_eq!(plan["objective"]["served_batches"], 1, "{plan}");
        let short = &plan["shortfalls"][0];
        assert_eq!(
            (short["month"].as_str(), short["reason"].as_str()),
            (Some("2031-03"), Some("tech_transfer")),
            "{plan}"
        );
        // The transfer's operator days show in the pool's figures for March: 5 + the run's 3.
        let march = plan["pools"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["month"] == "2031-03")
            .cloned()
            .unwrap();
        assert_eq!(march["planned"], 8, "{plan}");

        // Completed: nothing to schedule, both batches run.
        app.patch(
            &program_path,
            &app.admin_key,
            json!({"tech_transfers": [{"site_id": w.site, "days": 15, "engineering_runs": 1,
                                       "completed": true}]}),
        )
        .await
        .expect(200);
        let done = plan_of(&app, "2031-03-01", "2031-05-01").await;
        assert_eq!(done["objective"]["served_batches"], 2, "{done}");
        assert!(
            done["suggestions"]
                .as_array()
                .unwrap()
                .iter()
                .all(|s| s["kind"] == "gmp_batch"),
            "{done}"
        );

        // Not completed again; the steps accepted from the first plan become bookings of their
        // kind, the transfer taking its operator; a new plan schedules no step again.
        app.patch(
            &program_path,
            &app.admin_key,
            json!({"tech_transfers": road}),
        )
        .await
        .expect(200);
        let plan_id = plan["id"].as_str().unwrap();
        for s in &plan["suggestions"].as_array().unwrap()[..2] {
            let booking = app
                .post(
                    &format!(
                        "/v1/plans/{plan_id}/suggestions/{}/accept",
                        s["id"].as_str().unwrap()
                    ),
                    &app.admin_key,
                    json!({"status": "confirmed"}),
                )
                .await
                .expect(201);
            assert_eq!(booking["kind"], s["kind"], "{booking}");
        }
        let used = pool_days(&app, &w.pool, "2031-03-01", "2031-03-07", "used").await;
        assert_eq!(used, vec![1, 1, 1, 1, 1, 0]);
        let again = plan_of(&app, "2031-03-01", "2031-05-01").await;
        let kinds: Vec<&str> = again["suggestions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, vec!["gmp_batch"], "{again}");
        assert_eq!(again["shortfalls"][0]["reason"], "tech_transfer", "{again}");

        // Planners set it; the client reads it and may not change it; bad values are named.
        let mine = app.get(&program_path, &w.client_key).await.expect(200);
        assert_eq!(mine["tech_transfers"][0]["engineering_runs"], 1, "{mine}");
        app.patch(&program_path, &w.client_key, json!({"tech_transfers": []}))
            .await
            .problem(403);
        app.patch(
            &program_path,
            &app.admin_key,
            json!({"tech_transfers": [{"site_id": "00000000-0000-0000-0000-000000000000",
                                       "days": 5}]}),
        )
        .await
        .invalid("/tech_transfers/0/site_id");
        app.patch(
            &program_path,
            &app.admin_key,
            json!({"tech_transfers": [{"site_id": w.site, "days": -1}]}),
        )
        .await
        .invalid("/tech_transfers/0/days");
        app.patch(
            &program_path,
            &app.admin_key,
            json!({"tech_transfers": [{"site_id": w.site, "days": 5},
                                      {"site_id": w.site, "days": 6}]}),
        )
        .await
        .invalid("/tech_transfers/1/site_id");
    }
);
