//! Properties on random small instances: the plan passes the independent checker, is never
//! below greedy nor above its bound, and on tiny instances equals the exact MILP optimum.

mod common;
use common::*;
use proptest::prelude::*;
use solver_models::check::check_plan;
use solver_models::generate::{generate, GenSpec};
use solver_models::model::Prepared;
use solver_models::plan::{solve, Plan, PlanOptions};
use solver_models::Instance;

/// Both planning paths on a tiny instance: greedy and the plan pass the checker, the plan is at
/// least greedy and equals its bound (tiny instances are solved exactly), and the large path (LNS
/// with the Lagrangian, rough-cut and pooled LP bounds) is checker-valid, at least its greedy, no
/// better than the optimum and its bound never below it. Returns the exact plan.
fn both_paths_agree(inst: &Instance) -> Result<Plan, TestCaseError> {
    let opts = PlanOptions {
        time_limit_s: 20.0,
        mip_rel_gap: 0.0,
        today: inst.from,
        ..PlanOptions::default()
    };
    let g = solver_models::plan::greedy(inst).unwrap();
    prop_assert_eq!(check_plan(inst, &g), vec![]);
    let plan = solve(inst, &opts, &mut |_| {}).unwrap();
    prop_assert_eq!(check_plan(inst, &plan), vec![]);
    prop_assert!(plan.served_weighted >= plan.greedy_served_weighted - 1e-9);
    prop_assert!(plan.served_weighted <= plan.bound_weighted + 1e-6);
    prop_assert!((plan.bound_weighted - plan.served_weighted).abs() < 1e-6);
    let lns = solver_models::plan::solve_with_exact_limit(inst, &opts, 0, &mut |_| {}).unwrap();
    prop_assert_eq!(check_plan(inst, &lns), vec![]);
    prop_assert!(lns.served_weighted <= plan.served_weighted + 1e-6);
    prop_assert!(
        lns.bound_weighted >= plan.served_weighted - 1e-6,
        "bound {} below optimum {}",
        lns.bound_weighted,
        plan.served_weighted
    );
    prop_assert!(lns.served_weighted >= lns.greedy_served_weighted - 1e-9);
    Ok(plan)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn random_plans_are_feasible_at_least_greedy_and_within_their_bound(
        seed in 0u64..10_000,
        suites in 2usize..6,
        programs in 2usize..8,
        months in 1u32..3,
        tightness in 0.8f64..2.0,
    ) {
        let inst = generate(&tiny(seed, suites, programs, months, tightness));
        both_paths_agree(&inst)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// The same with per-site operator crews and QC labs (one or two sites): pools bind, some
    /// starts are off (weekends), QC runs past the horizon; the plans still pass the checker,
    /// beat greedy, stay within their bound, and the large path's bounds (rough-cut and pooled
    /// LP with their pool rows) are never below the exact optimum.
    #[test]
    fn random_plans_with_pools_are_feasible_at_least_greedy_and_within_their_bound(
        seed in 0u64..10_000,
        suites in 2usize..6,
        programs in 2usize..8,
        months in 1u32..3,
        tightness in 0.8f64..2.0,
        sites in 1usize..3,
    ) {
        let inst = generate(&GenSpec { pools: true, sites, ..tiny(seed, suites, programs, months, tightness) });
        prop_assert!(!inst.pools.is_empty());
        let plan = both_paths_agree(&inst)?;
        // Pool reasons only where a pool exists, and every pool row is within its capacity
        // whenever the bookings leave room.
        for u in &plan.pool_utilization {
            prop_assert!(u.booked > u.capacity || u.booked + u.planned <= u.capacity, "{:?}", u);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// The same with roads to first batch: some programs must first transfer their process to
    /// a site (0–20 days, drawing on its crew) and run 0–2 engineering runs there; some roads
    /// are done already. The plans keep the roads (checked independently), beat greedy and stay
    /// within their bound, on both paths.
    #[test]
    fn random_plans_with_roads_to_first_batch_keep_them(
        seed in 0u64..10_000,
        suites in 2usize..6,
        programs in 2usize..8,
        months in 1u32..4,
        tightness in 0.6f64..1.6,
        sites in 1usize..3,
        pools in proptest::bool::ANY,
    ) {
        let mut inst = generate(&GenSpec { pools, sites, ..tiny(seed, suites, programs, months, tightness) });
        add_roads(&mut inst, seed);
        both_paths_agree(&inst)?;
    }
}

#[test]
fn pools_leave_instances_without_them_unchanged() {
    // The generator draws pools from their own stream: the rest of the instance is identical.
    for spec in [GenSpec::small(3), GenSpec::medium(1), GenSpec::large(1)] {
        let plain = generate(&spec);
        let mut pooled = generate(&GenSpec {
            pools: true,
            ..spec
        });
        assert!(!pooled.pools.is_empty());
        pooled.pools.clear();
        for p in &mut pooled.programs {
            p.resource_profile.clear();
        }
        pooled.name = plain.name.clone();
        assert_eq!(plain, pooled);
    }
}

#[test]
fn the_generator_is_deterministic_and_believable() {
    let a = generate(&GenSpec::medium(7));
    let b = generate(&GenSpec::medium(7));
    assert_eq!(a, b);
    assert_eq!(a.suites.len(), 12);
    assert_eq!(a.programs.len(), 30);
    assert!(Prepared::new(&a).is_ok());
    let large = generate(&GenSpec::large(1));
    let lines: u32 = large.suites.iter().map(|s| s.lines).sum();
    assert!((100..=140).contains(&lines), "{lines} lines");
    let huge = generate(&GenSpec::huge(1));
    let lines: u32 = huge.suites.iter().map(|s| s.lines).sum();
    assert!((200..=280).contains(&lines), "{lines} lines");
    assert_eq!((huge.programs.len(), huge.suites.len()), (300, 80));
    assert!(Prepared::new(&huge).is_ok());
    let caps: Vec<&str> = ["autologous", "allogeneic", "viral_vector", "fill_finish"].to_vec();
    for c in caps {
        assert!(large
            .suites
            .iter()
            .any(|s| s.capabilities.iter().any(|x| x == c)));
    }
    assert!(large.programs.iter().any(|p| p
        .forecast
        .iter()
        .any(|f| f.phase == solver_models::Phase::Commercial)));
}
