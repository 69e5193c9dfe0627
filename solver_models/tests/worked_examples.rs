use solver_models::check::check_plan;
mod common;
use common::*;
use solver_models::plan::{solve, PlanOptions, ShortfallReason, SolverStatus};
use solver_models::Phase;

fn opts() -> PlanOptions {
    PlanOptions {
        time_limit_s: 60.0,
        mip_rel_gap: 0.0,
        today: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        ..PlanOptions::default()
    }
}

#[test]
fn example_generated_reaches_its_exact_optimum_above_greedy() {
    let inst = load("example-generated");
    let plan = solve(&inst, &opts(), &mut |p| {
        eprintln!("{}: {}", p.stage, p.message)
    })
    .unwrap();
    assert_eq!(plan.greedy_served_weighted, 196.0);
    assert_eq!(plan.served_weighted, 212.0);
    assert!(plan.bound_weighted >= 212.0 - 1e-6 && plan.bound_weighted < 212.5);
    assert_eq!(plan.status, SolverStatus::Optimal);
    assert_eq!(check_plan(&inst, &plan), vec![]);
}

#[test]
fn bookings_serve_demand_example_reaches_96() {
    let inst = load("example-bookings-serve-demand");
    let plan = solve(&inst, &opts(), &mut |p| {
        eprintln!("{}: {}", p.stage, p.message)
    })
    .unwrap();
    assert_eq!(plan.served_weighted, 96.0);
    assert_eq!(plan.greedy_served_weighted, 96.0);
    assert_eq!(check_plan(&inst, &plan), vec![]);
}

// The same CDMO, but the two bookings are engineering runs: they still occupy their lines and
// serve nothing, so every batch served is a planned one, and the plan can do no better than
// when the bookings served demand (any plan here is one there too, with less credit).
#[test]
fn engineering_runs_occupy_lines_without_serving_demand() {
    let mut inst = load("example-bookings-serve-demand");
    inst.expected = None;
    for b in &mut inst.bookings {
        b.kind = solver_models::BookingKind::EngineeringRun;
    }
    let plan = solve(&inst, &opts(), &mut |_| {}).unwrap();
    assert_eq!(plan.status, SolverStatus::Optimal);
    assert_eq!(check_plan(&inst, &plan), vec![]);
    assert_eq!(plan.served_batches as usize, plan.suggestions.len());
    assert!(plan.served_weighted <= 96.0, "{}", plan.served_weighted);
    for s in &plan.suggestions {
        for b in &inst.bookings {
            let same_line = s.suite == b.suite && s.line == b.line;
            assert!(
                !(same_line && s.start < b.end && b.start < s.end),
                "{s:?} over {b:?}"
            );
        }
    }
}

#[test]
fn a_short_program_sees_who_took_the_capacity() {
    // Two commercial batches fill February; the preclinical batch of January (from the 20th,
    // 20 line-days) would run into February: the plan names COM as what occupies it.
    let inst = load("commercial-displaces-preclinical");
    let opts = PlanOptions {
        mip_rel_gap: 0.0,
        today: inst.from,
        ..PlanOptions::default()
    };
    let plan = solve(&inst, &opts, &mut |_| {}).unwrap();
    assert_eq!(plan.served_weighted, 32.0);
    let short = &plan.shortfalls[0];
    assert_eq!(
        (short.program.as_str(), short.reason),
        ("PRE", ShortfallReason::Capacity)
    );
    let c = &short.competition;
    assert_eq!(c.len(), 1, "{c:?}");
    let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
    // Starts 20-31 January, each batch 20 days: 20 January to 20 February.
    assert_eq!(
        (c[0].suite.as_str(), c[0].from, c[0].to),
        ("S1", d("2028-01-20"), d("2028-02-20"))
    );
    assert_eq!(c[0].open_line_days, 31);
    let com = &c[0].occupants[0];
    assert_eq!(com.program.as_deref(), Some("COM"));
    assert_eq!(
        (com.phase, com.weight, com.batches),
        (Some(Phase::Commercial), 16.0, 2)
    );
    assert_eq!(com.status, solver_models::explain::Occupancy::Planned);
    assert_eq!(com.line_days + c[0].free_line_days, 31);
    assert!(com.line_days >= 18, "{com:?}");
    assert_eq!(c[0].occupants.len(), 1);
}
