//! Plan jobs: a dead worker's plan picked up again, auto-replan after a change, the `plan` CLI.

use crate::both_backends;
use crate::helpers::*;
use crate::plans::{cdmo, wait_done};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use uuid::Uuid;

#[test]
fn cli_plans_an_instance_file_as_json() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_suiteplan"))
        .args(["plan", "--instance"])
        .arg(format!(
            "{root}/solver_models/instances/example-bookings-serve-demand.json"
        ))
        .args(["--json", "--time-limit", "30"])
        .output()
        .expect("suiteplan runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(plan["served_weighted"], json!(96.0));
    assert!(
        !String::from_utf8_lossy(&out.stderr).is_empty(),
        "progress on stderr"
    );

    let human = std::process::Command::new(env!("CARGO_BIN_EXE_suiteplan"))
        .args(["plan", "--instance"])
        .arg(format!(
            "{root}/solver_models/instances/example-bookings-serve-demand.json"
        ))
        .output()
        .expect("suiteplan runs");
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(text.contains("served   96.0"), "{text}");
}

#[test]
fn cli_refuses_a_missing_instance_file() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_suiteplan"))
        .args(["plan", "--instance", "/nonexistent/instance.json"])
        .output()
        .expect("suiteplan runs");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
}

both_backends!(
    a_plan_left_running_by_a_dead_worker_is_picked_up_again,
    |app: TestApp| async move {
        let _ = cdmo(&app).await;
        // What a killed worker leaves behind: `running`, a partial row, and a lease that runs
        // out (3 s from now, so that the partial row is surely in place before the live worker
        // may claim the plan: a claim between the two inserts would find nothing to clear).
        let id = Uuid::now_v7();
        let past = chrono::Utc::now() - chrono::Duration::minutes(5);
        let lease_end = chrono::Utc::now() + chrono::Duration::seconds(3);
        let from = chrono::NaiveDate::from_ymd_opt(2029, 1, 1).unwrap();
        let to = chrono::NaiveDate::from_ymd_opt(2029, 3, 1).unwrap();
        let insert = "INSERT INTO plans (id, status, scenario, horizon_from, horizon_to, created_at, \
                      started_at, lease_owner, lease_expires_at, attempts, progress) \
                      VALUES ($1, 'running', 'maximum', $2, $3, $4, $4, 'dead-worker', $5, 1, 'mip: …')";
        let partial =
            "INSERT INTO plan_utilization (plan_id, seq, suite_id, month, open_line_days, \
                       booked_line_days, planned_line_days) VALUES ($1, 0, $2, '2029-01', 1, 1, 1)";
        let inserted = app
            .db
            .execute(
                insert,
                &[
                    id.into(),
                    from.into(),
                    to.into(),
                    past.into(),
                    lease_end.into(),
                ],
            )
            .await;
        assert_eq!(inserted, 1);
        let inserted = app
            .db
            .execute(partial, &[id.into(), Uuid::now_v7().into()])
            .await;
        assert_eq!(inserted, 1);
        let plan = wait_done(&app, &id.to_string()).await;
        assert_eq!(plan["objective"]["served_weighted"], json!(6.0));
        // The dead attempt's partial row is gone; every row is this run's.
        let util = plan["utilization"].as_array().unwrap();
        assert!(
            util.iter().all(|u| u["open_line_days"].as_i64() > Some(1)),
            "{plan}"
        );
        // The plan API is in the OpenAPI document.
        let spec = app
            .request(reqwest::Method::GET, "/openapi.json", None, None)
            .await
            .expect(200);
        for path in [
            "/v1/plans",
            "/v1/plans/{id}",
            "/v1/plans/{id}/suggestions/{sid}/accept",
        ] {
            assert!(
                spec["paths"][path].is_object(),
                "{path} missing from the OpenAPI document"
            );
        }
    }
);

/// One outcome's count of `suiteplan_replan_checks_total` on the app's `/metrics`.
async fn replan_checks(app: &TestApp, outcome: &str) -> u64 {
    let metrics = app
        .request(reqwest::Method::GET, "/metrics", None, None)
        .await;
    let line = format!("suiteplan_replan_checks_total{{outcome=\"{outcome}\"}} ");
    metrics
        .text
        .lines()
        .find_map(|l| l.strip_prefix(&line)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no `{line}` in /metrics: {}", metrics.text))
}

/// The replanner's counters are per process, so the app is the real binary.
async fn auto_replan(backend: Backend) {
    let app = TestApp::spawn_binary_with(backend, |cmd| {
        cmd.env("SUITEPLAN__PLANNING__AUTO_REPLAN", "true")
            .env("SUITEPLAN__PLANNING__REPLAN_DEBOUNCE_S", "1")
            .env("SUITEPLAN__PLANNING__HORIZON_MONTHS", "3");
    })
    .await;
    let k = app.admin_key.clone();
    let site = app.site("S").await;
    app.suite(&site["id"], "CT", &["autologous"], 1).await;
    let client = app.client("C").await;
    let program = app.program(&client["id"], "P").await;
    let month = chrono::Utc::now().format("%Y-%m").to_string();
    app.put(
        &format!("/v1/programs/{}/forecast", program["id"].as_str().unwrap()),
        &k,
        json!({"entries": [{"month": month, "phase": "phase1", "batches": 1}]}),
    )
    .await
    .expect(200);
    // Bounded wait for the debounced plan (debounce 1 s; at most 15 s).
    let mut plans = Value::Null;
    for _ in 0..150 {
        plans = app.get("/v1/plans", &k).await.expect(200);
        if !plans["items"].as_array().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let items = plans["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "one plan for one change: {plans}");
    assert_eq!(items[0]["scenario"], "expected");
    assert_eq!(items[0]["from"], format!("{month}-01"));

    // No change, no new plan. Once the plan is done (its worker is the only other writer), the
    // replanner, past its debounce, looks at the change feed again and finds nothing to plan.
    wait_done(&app, items[0]["id"].as_str().unwrap()).await;
    // Two more looks: the first may have read the feed before the plan was done.
    let wanted = replan_checks(&app, "unchanged").await + 2;
    let started = Instant::now();
    loop {
        let unchanged = replan_checks(&app, "unchanged").await;
        assert_eq!(
            replan_checks(&app, "planned").await,
            1,
            "planned again without a change"
        );
        if unchanged >= wanted {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the replanner did not find the change feed unchanged again within 15 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let again = app.get("/v1/plans", &k).await.expect(200);
    assert_eq!(again["items"].as_array().unwrap().len(), 1, "{again}");
}

mod auto_replan_plans_the_expected_scenario_after_a_change {
    use super::*;

    #[tokio::test]
    async fn sqlite() {
        auto_replan(Backend::Sqlite).await;
    }

    #[tokio::test]
    async fn postgres() {
        auto_replan(Backend::Postgres).await;
    }
}
