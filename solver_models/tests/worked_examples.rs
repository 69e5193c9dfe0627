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
