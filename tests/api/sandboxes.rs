//! What-if sandboxes on the demo CDMO: "what if we add a suite for the program shortest of
//! capacity?" planned beside the live data, compared, and nothing live touched.

use crate::helpers::*;
use chrono::Utc;
use serde_json::{json, Value};

fn first_of_month(offset: u32) -> String {
    let today = Utc::now().date_naive();
    let m0 = today.format("%Y").to_string().parse::<u32>().unwrap() * 12
        + today.format("%m").to_string().parse::<u32>().unwrap()
        - 1
        + offset;
    format!("{:04}-{:02}-01", m0 / 12, m0 % 12 + 1)
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    app.db.fetch_all::<(i64,)>(sql, &[]).await[0].0
}

/// Bookings, their audit rows and every outbox event: what a what-if must not add to.
async fn live_counts(app: &TestApp) -> (i64, i64, i64) {
    (
        count(app, "SELECT COUNT(*) FROM bookings").await,
        count(
            app,
            "SELECT COUNT(*) FROM audit_log WHERE entity = 'booking'",
        )
        .await,
        count(app, "SELECT COUNT(*) FROM events").await,
    )
}

async fn plan(app: &TestApp, body: Value) -> Value {
    let queued = app
        .post("/v1/plans", &app.admin_key, body)
        .await
        .expect(202);
    crate::plans::wait_done(app, queued["id"].as_str().unwrap()).await
}

#[tokio::test]
async fn a_sandbox_with_a_new_suite_serves_more_and_touches_nothing_live_sqlite() {
    sandbox_scenario(demo_app(Backend::Sqlite).await).await;
}

#[tokio::test]
async fn a_sandbox_with_a_new_suite_serves_more_and_touches_nothing_live_postgres() {
    sandbox_scenario(demo_app(Backend::Postgres).await).await;
}

async fn demo_app(backend: Backend) -> TestApp {
    TestApp::spawn_binary_with(backend, |cmd| {
        cmd.arg("--demo");
    })
    .await
}

async fn sandbox_scenario(app: TestApp) {
    let sites = app.get("/v1/sites", &app.admin_key).await.expect(200);
    let leiden = sites["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Leiden")
        .expect("the demo's Leiden site")
        .clone();
    // The demo's own plan first (it runs at start), so that its events are in before counting.
    let plans = app.get("/v1/plans", &app.admin_key).await.expect(200);
    for p in plans["items"].as_array().unwrap() {
        crate::plans::wait_done(&app, p["id"].as_str().unwrap()).await;
    }
    let horizon = json!({"from": first_of_month(0), "to": first_of_month(24), "scenario": "maximum",
                         "program_ids": null, "time_limit_s": 10});
    let live = plan(&app, horizon.clone()).await;
    let before = live_counts(&app).await;

    // The planner's what-if: a 3-line suite in Leiden from this month, fit for the program that
    // is shortest of capacity in the live plan (one that may use any suite). (In Boston it would
    // buy next to nothing: Boston's three autologous operators are the limit there, not lines —
    // the maximum scenario's bound rises by under 10 weighted batches.)
    let mut short: std::collections::BTreeMap<String, i64> = Default::default();
    for sf in live["shortfalls"].as_array().unwrap() {
        if sf["reason"] == "capacity" {
            *short
                .entry(sf["program_id"].as_str().unwrap().to_string())
                .or_default() += sf["shortfall"].as_i64().unwrap();
        }
    }
    let mut candidates: Vec<(i64, String)> = short.into_iter().map(|(p, n)| (n, p)).collect();
    candidates.sort();
    let mut target = None;
    for (_, id) in candidates.iter().rev() {
        let p = app
            .get(&format!("/v1/programs/{id}"), &app.admin_key)
            .await
            .expect(200);
        if p["allowed_suite_ids"].is_null() {
            target = Some(p);
            break;
        }
    }
    let target = target.expect("a program short of capacity in the demo's live plan");
    let changes = vec![
        json!({"type": "add_suite", "suite": {"site_id": leiden["id"], "name": "L-AUTO-NEW",
        "grade": target["min_grade"], "capabilities": target["required_capabilities"], "lines": 3,
        "available_from": first_of_month(0)}}),
    ];
    let sandbox = app
        .post(
            "/v1/sandboxes",
            &app.admin_key,
            json!({"name": "A new suite in Leiden", "description": "for the program shortest of capacity",
                   "changes": changes}),
        )
        .await
        .expect(201);
    let new_suites: Vec<String> = sandbox["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().expect("an added suite's id").to_string())
        .collect();
    let is_new = |v: &Value| {
        v.as_str()
            .is_some_and(|id| new_suites.iter().any(|n| n == id))
    };
    let mut body = horizon.clone();
    body["sandbox_id"] = sandbox["id"].clone();
    let what_if = plan(&app, body).await;
    assert_eq!(what_if["sandbox_id"], sandbox["id"]);

    // It serves more, and the new suite carries work.
    let served = |p: &Value| p["objective"]["served_batches"].as_i64().unwrap();
    let weighted = |p: &Value| p["objective"]["served_weighted"].as_f64().unwrap();
    assert!(
        weighted(&what_if) > weighted(&live) && served(&what_if) >= served(&live),
        "the sandbox serves {} against {} live: {} / {}; {} on the new suite; {} {}",
        served(&what_if),
        served(&live),
        what_if["objective"],
        live["objective"],
        what_if["suggestions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| is_new(&s["suite_id"]))
            .count(),
        what_if["solver"],
        live["solver"]
    );
    let on_new: Vec<&Value> = what_if["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| is_new(&s["suite_id"]))
        .collect();
    assert!(
        !on_new.is_empty(),
        "batches planned on the added suites: {} {:?}",
        sandbox["changes"],
        what_if["utilization"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|u| is_new(&u["suite_id"]))
            .collect::<Vec<_>>()
    );
    // Nothing live happened: no booking, no booking audit row, no event (no plan.completed,
    // no shortfall alert) for the what-if.
    assert_eq!(live_counts(&app).await, before);
    // Its suggestions are not bookable, and clients never see it.
    let sid = what_if["suggestions"][0]["id"].as_str().unwrap();
    let refused = app
        .post(
            &format!(
                "/v1/plans/{}/suggestions/{sid}/accept",
                what_if["id"].as_str().unwrap()
            ),
            &app.admin_key,
            json!({"status": "held"}),
        )
        .await
        .expect(409);
    assert!(
        refused["detail"].as_str().unwrap().contains("what-if"),
        "{refused}"
    );
    assert_eq!(live_counts(&app).await, before);
    let clients = app.get("/v1/clients", &app.admin_key).await.expect(200);
    let client = app.key("client", clients["items"][0]["id"].as_str()).await;
    app.get(
        &format!("/v1/plans/{}", what_if["id"].as_str().unwrap()),
        &client,
    )
    .await
    .expect(404);
    let listed = app.get("/v1/plans", &client).await.expect(200);
    assert!(listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["id"] != what_if["id"]));
    app.get("/v1/sandboxes", &client).await.expect(403);

    // The comparison's numbers are the two plans'.
    let c = app
        .get(
            &format!(
                "/v1/comparisons?base={}&other={}",
                live["id"].as_str().unwrap(),
                what_if["id"].as_str().unwrap()
            ),
            &app.admin_key,
        )
        .await
        .expect(200);
    assert_eq!(c["base"]["served_batches"].as_i64(), Some(served(&live)));
    assert_eq!(
        c["other"]["served_batches"].as_i64(),
        Some(served(&what_if))
    );
    let sum = |rows: &Value, field: &str| -> i64 {
        rows.as_array()
            .unwrap()
            .iter()
            .map(|r| r[field].as_i64().unwrap_or(0))
            .sum()
    };
    assert_eq!(sum(&c["months"], "base_served"), served(&live));
    assert_eq!(sum(&c["months"], "other_served"), served(&what_if));
    assert_eq!(sum(&c["programs"], "base_served"), served(&live));
    assert_eq!(sum(&c["programs"], "other_served"), served(&what_if));
    assert_eq!(
        sum(&c["months"], "base_demand"),
        live["objective"]["demand_batches"].as_i64().unwrap()
    );
    // Per program: each program's shortfall in a plan is its demand minus served there.
    for p in c["programs"].as_array().unwrap() {
        let short: i64 = live["shortfalls"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["program_id"] == p["program_id"])
            .map(|s| s["shortfall"].as_i64().unwrap())
            .sum();
        assert_eq!(
            p["base_demand"].as_i64().unwrap() - p["base_served"].as_i64().unwrap(),
            short,
            "{p}"
        );
    }
    // Utilisation: each side's share is that plan's (booked + planned) / open.
    let share = |plan: &Value, suite: &Value, month: &Value| -> Option<f64> {
        plan["utilization"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| &u["suite_id"] == suite && &u["month"] == month)
            .and_then(|u| {
                let open = u["open_line_days"].as_f64().unwrap();
                (open > 0.0).then(|| {
                    (u["booked_line_days"].as_f64().unwrap()
                        + u["planned_line_days"].as_f64().unwrap())
                        / open
                })
            })
    };
    let rows = c["utilization"].as_array().unwrap();
    assert!(rows.iter().any(|u| is_new(&u["suite_id"])
        && u["base"].is_null()
        && u["other"].as_f64().is_some_and(|v| v > 0.0)));
    for u in rows {
        let (b, o) = (
            share(&live, &u["suite_id"], &u["month"]),
            share(&what_if, &u["suite_id"], &u["month"]),
        );
        let same = |x: Option<f64>, y: Option<f64>| match (x, y) {
            (Some(x), Some(y)) => (x - y).abs() < 1e-9,
            (x, y) => x.is_none() && y.is_none(),
        };
        assert!(same(u["base"].as_f64(), b), "{u} against {b:?}");
        assert!(same(u["other"].as_f64(), o), "{u} against {o:?}");
        if let (Some(b), Some(o)) = (b, o) {
            assert!((u["difference"].as_f64().unwrap() - (o - b)).abs() < 1e-9);
        }
    }
    // What the changes bought: 3 lines for the 24 months.
    let added = 72i64;
    let bought = &c["changes_bought"];
    assert_eq!(bought["added_line_months"].as_i64(), Some(added));
    assert_eq!(bought["removed_line_months"], 0);
    let dw = what_if["objective"]["served_weighted"].as_f64().unwrap()
        - live["objective"]["served_weighted"].as_f64().unwrap();
    assert!((bought["served_weighted_difference"].as_f64().unwrap() - dw).abs() < 1e-6);
    assert!(
        (bought["weighted_per_added_line_month"].as_f64().unwrap() - dw / added as f64).abs()
            < 1e-6
    );
    assert_eq!(
        c["other"]["expansion"].as_array().map(Vec::len),
        what_if["expansion"].as_array().map(Vec::len)
    );
    assert_eq!(
        live_counts(&app).await,
        before,
        "comparing touches nothing either"
    );

    // A sandbox edited later: its plan keeps the changes it was made with.
    let replaced = app
        .put(
            &format!("/v1/sandboxes/{}", sandbox["id"].as_str().unwrap()),
            &app.admin_key,
            json!({"name": "Boston, shifted", "changes": [{"type": "shift_forecast",
                   "program_id": live["shortfalls"][0]["program_id"], "months": 6}]}),
        )
        .await
        .expect(200);
    assert_eq!(replaced["changes"][0]["type"], "shift_forecast");
    let again = app
        .get(
            &format!(
                "/v1/comparisons?base={}&other={}",
                live["id"].as_str().unwrap(),
                what_if["id"].as_str().unwrap()
            ),
            &app.admin_key,
        )
        .await
        .expect(200);
    assert_eq!(
        again["changes_bought"]["added_line_months"].as_i64(),
        Some(added)
    );
    app.delete(
        &format!("/v1/sandboxes/{}", sandbox["id"].as_str().unwrap()),
        &app.admin_key,
    )
    .await
    .expect(204);
    app.get(
        &format!("/v1/plans/{}", what_if["id"].as_str().unwrap()),
        &app.admin_key,
    )
    .await
    .expect(200);
}
