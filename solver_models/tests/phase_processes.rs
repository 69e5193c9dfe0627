//! Process facts by phase: demand of a month is planned with the process of the phase its
//! forecast names, and the independent checker holds suggestions to that process.

use solver_models::check::check_plan;
use solver_models::plan::{solve, PlanOptions, SolverStatus};
use solver_models::Instance;

/// TIL-1 runs 14 + 2 days in any suite until phase 3; from phase 3 a closed automated process
/// of 20 + 2 days, filed only for suite B1. One batch in March (phase 2), one in April (phase 3).
fn instance() -> Instance {
    serde_json::from_value(serde_json::json!({
        "from": "2031-03-01", "to": "2031-05-01", "scenario": "maximum",
        "suites": [
            {"name": "A1", "grade": "B", "capabilities": ["autologous"], "lines": 1,
             "available_from": "2030-01-01"},
            {"name": "B1", "grade": "B", "capabilities": ["autologous"], "lines": 1,
             "available_from": "2030-01-01"}
        ],
        "programs": [
            {"name": "TIL-1", "phase": "phase2", "required_capabilities": ["autologous"],
             "min_grade": "B", "batch_days": 14, "changeover_days": 2,
             "phase_processes": [{"from_phase": "phase3", "batch_days": 20,
                                  "allowed_suites": ["B1"]}],
             "forecast": [{"month": "2031-03", "phase": "phase2", "batches": 1},
                          {"month": "2031-04", "phase": "phase3", "batches": 1}]}
        ]
    }))
    .unwrap()
}

fn opts() -> PlanOptions {
    PlanOptions {
        time_limit_s: 30.0,
        mip_rel_gap: 0.0,
        today: chrono::NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(),
        ..PlanOptions::default()
    }
}

#[test]
fn each_month_is_planned_with_its_phases_process() {
    let inst = instance();
    let plan = solve(&inst, &opts(), &mut |_| {}).unwrap();
    assert_eq!(plan.status, SolverStatus::Optimal);
    assert_eq!(plan.served_batches, 2);
    // Weights: phase 2 = 4, phase 3 = 8.
    assert_eq!(plan.served_weighted, 12.0);
    assert_eq!(check_plan(&inst, &plan), vec![]);
    for s in &plan.suggestions {
        let days = (s.end - s.start).num_days();
        match s.month.to_string().as_str() {
            "2031-03" => assert_eq!(days, 16, "{s:?}"),
            "2031-04" => {
                assert_eq!(days, 22, "{s:?}");
                assert_eq!(s.suite, "B1", "{s:?}");
            }
            other => panic!("unexpected month {other}"),
        }
    }
}

#[test]
fn the_checker_holds_a_phase_three_batch_to_the_phase_three_process() {
    let inst = instance();
    let mut plan = solve(&inst, &opts(), &mut |_| {}).unwrap();
    let april = plan
        .suggestions
        .iter_mut()
        .find(|s| s.month.to_string() == "2031-04")
        .unwrap();
    // The old process's length in the old suite: both wrong for phase 3.
    april.suite = "A1".into();
    april.end = april.start + chrono::Days::new(16);
    let found = check_plan(&inst, &plan);
    assert!(
        found
            .iter()
            .any(|v| v.message.contains("not start + batch + changeover")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|v| v.message.contains("may not use suite A1")),
        "{found:?}"
    );
}

#[test]
fn without_overrides_nothing_changes() {
    let mut inst = instance();
    inst.programs[0].phase_processes.clear();
    let plan = solve(&inst, &opts(), &mut |_| {}).unwrap();
    assert_eq!(plan.served_batches, 2);
    assert_eq!(check_plan(&inst, &plan), vec![]);
    assert!(plan
        .suggestions
        .iter()
        .all(|s| (s.end - s.start).num_days() == 16));
}
