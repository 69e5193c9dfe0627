use solver_models::check::check_plan;
use solver_models::plan::{solve, PlanOptions, SolverStatus};
use solver_models::Instance;

#[track_caller]
fn load(name: &str) -> Instance {
    let path = format!("{}/instances/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("instance file");
    serde_json::from_str(&text).expect("valid instance")
}

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
