//! Hand-made instances where the greedy baseline is provably wrong, with their known optimum.

mod common;
use common::*;
use solver_models::check::check_plan;
use solver_models::plan::{greedy, solve, PlanOptions, SolverStatus};

#[track_caller]
fn assert_optimum(name: &str, optimum: f64, greedy_value: f64) {
    let inst = load(name);
    let opts = PlanOptions {
        mip_rel_gap: 0.0,
        today: inst.from,
        ..PlanOptions::default()
    };
    let plan = solve(&inst, &opts, &mut |_| {}).expect("valid instance");
    assert_eq!(plan.greedy_served_weighted, greedy_value, "{name}: greedy");
    assert_eq!(plan.served_weighted, optimum, "{name}: optimum");
    assert!(
        (plan.bound_weighted - optimum).abs() < 1e-6,
        "{name}: bound"
    );
    assert_eq!(plan.status, SolverStatus::Optimal);
    assert_eq!(check_plan(&inst, &plan), vec![], "{name}");
    let g = greedy(&inst).expect("valid instance");
    assert_eq!(g.served_weighted, greedy_value);
    assert_eq!(check_plan(&inst, &g), vec![], "{name}: greedy plan");
}

#[test]
fn a_flexible_program_no_longer_takes_the_only_line_a_restricted_one_can_use() {
    assert_optimum("flexible-takes-restricted-line", 12.0, 8.0);
}

#[test]
fn two_short_batches_beat_one_long_batch_of_the_same_phase() {
    assert_optimum("long-batch-blocks-two-short", 8.0, 4.0);
}

#[test]
fn commercial_batches_displace_a_preclinical_batch_spilling_into_their_month() {
    assert_optimum("commercial-displaces-preclinical", 32.0, 17.0);
}

#[test]
fn shortfalls_carry_their_reason() {
    let mut inst = load("long-batch-blocks-two-short");
    // A program no suite may take, one that may only start after the horizon.
    let mut nobody = inst.programs[1].clone();
    nobody.name = "NOBODY".into();
    nobody.required_capabilities = vec!["fill_finish".into()];
    let mut late = inst.programs[1].clone();
    late.name = "LATE".into();
    late.earliest_start = chrono::NaiveDate::from_ymd_opt(2028, 5, 3);
    inst.programs.push(nobody);
    inst.programs.push(late);
    let opts = PlanOptions {
        today: inst.from,
        ..PlanOptions::default()
    };
    let plan = solve(&inst, &opts, &mut |_| {}).unwrap();
    let reason = |p: &str| {
        plan.shortfalls
            .iter()
            .find(|s| s.program == p)
            .map(|s| serde_json::to_value(s.reason).unwrap())
    };
    assert_eq!(reason("NOBODY"), Some(serde_json::json!("no_usable_suite")));
    assert_eq!(reason("LATE"), Some(serde_json::json!("earliest_start")));
    assert_eq!(reason("LONG"), Some(serde_json::json!("capacity")));
    assert_eq!(check_plan(&inst, &plan), vec![]);
}

#[test]
fn invalid_horizons_and_unknown_booking_suites_are_errors() {
    let mut inst = load("long-batch-blocks-two-short");
    inst.from = chrono::NaiveDate::from_ymd_opt(2028, 4, 2).unwrap();
    assert!(solve(&inst, &PlanOptions::default(), &mut |_| {}).is_err());
    let mut inst = load("example-bookings-serve-demand");
    inst.bookings[0].suite = "NOPE".into();
    assert!(solve(&inst, &PlanOptions::default(), &mut |_| {}).is_err());
    let mut inst = load("long-batch-blocks-two-short");
    inst.suites[0].lines = 0;
    assert!(solve(&inst, &PlanOptions::default(), &mut |_| {}).is_err());
}

#[test]
fn expansion_advises_the_fewest_lines_that_remove_capacity_shortfalls() {
    let inst = load("long-batch-blocks-two-short");
    let opts = PlanOptions {
        today: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        ..PlanOptions::default()
    };
    let plan = solve(&inst, &opts, &mut |_| {}).unwrap();
    assert_eq!(plan.expansion.len(), 1, "{:?}", plan.expansion);
    let e = &plan.expansion[0];
    assert_eq!(e.capabilities, vec!["allogeneic".to_string()]);
    assert_eq!(e.from_month.to_string(), "2028-04");
    assert_eq!((e.extra_lines, e.serves_batches), (1, 1));
    // The only suite is full in April: its capacity has a price.
    assert!(plan
        .binding
        .iter()
        .any(|b| b.suite == "S1" && b.shadow_price > 0.0));
    // Built too late: no advice when the lead time ends after the horizon.
    let late = PlanOptions {
        today: inst.from,
        ..PlanOptions::default()
    };
    assert!(solve(&inst, &late, &mut |_| {})
        .unwrap()
        .expansion
        .is_empty());
}
