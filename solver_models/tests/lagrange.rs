//! The Lagrangian bound: its interval-packing subproblem against brute force, and the bound
//! against exact optima and the other bounds (real HiGHS, no mocks).

mod common;
use common::*;
use proptest::prelude::*;
use solver_models::generate::{generate, GenSpec};
use solver_models::lagrange::{bound, pack_intervals, Interval};
use solver_models::model::Prepared;
use solver_models::plan::{solve_with_exact_limit, PlanOptions, SolverStatus};

/// The best packing by enumeration: every interval taken 0..=max(cap) times.
fn brute_force(cap: &[u32], intervals: &[Interval]) -> f64 {
    let most = cap.iter().copied().max().unwrap_or(0);
    let mut counts = vec![0u32; intervals.len()];
    let mut best = 0.0f64;
    loop {
        let fits = (0..cap.len()).all(|t| {
            let covering: u32 = intervals
                .iter()
                .zip(&counts)
                .filter(|(iv, _)| iv.start <= t && t < iv.end)
                .map(|(_, c)| *c)
                .sum();
            covering <= cap[t]
        });
        if fits {
            let value: f64 = intervals
                .iter()
                .zip(&counts)
                .map(|(iv, c)| iv.value * f64::from(*c))
                .sum();
            best = best.max(value);
        }
        // Next combination.
        let mut i = 0;
        loop {
            if i == counts.len() {
                return best;
            }
            if counts[i] < most {
                counts[i] += 1;
                break;
            }
            counts[i] = 0;
            i += 1;
        }
    }
}

fn arb_packing() -> impl Strategy<Value = (Vec<u32>, Vec<Interval>)> {
    (2usize..9).prop_flat_map(|days| {
        let cap = proptest::collection::vec(0u32..3, days);
        let interval = (0..days, 1..=days, -3i32..10).prop_map(move |(s, len, v)| {
            let start = s.min(days - 1);
            Interval {
                start,
                end: (start + len).min(days),
                value: f64::from(v) * 0.75,
            }
        });
        (cap, proptest::collection::vec(interval, 0..5))
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// The min-cost flow finds the best packing under a capacity that changes from day to day,
    /// its counts are a feasible packing worth that much, and its bound is the optimum.
    #[test]
    fn interval_packing_matches_brute_force((cap, intervals) in arb_packing()) {
        let best = brute_force(&cap, &intervals);
        let packing = pack_intervals(&cap, &intervals);
        prop_assert!((packing.value - best).abs() < 1e-9, "flow {} vs brute {}", packing.value, best);
        prop_assert!(packing.bound >= best - 1e-9, "bound {} below optimum {}", packing.bound, best);
        prop_assert!(packing.bound <= best + 1e-6, "bound {} above optimum {}", packing.bound, best);
        for (t, most) in cap.iter().enumerate() {
            let covering: u32 = intervals
                .iter()
                .zip(&packing.counts)
                .filter(|(iv, _)| iv.start <= t && t < iv.end)
                .map(|(_, c)| *c)
                .sum();
            prop_assert!(covering <= *most);
        }
        let value: f64 = intervals
            .iter()
            .zip(&packing.counts)
            .map(|(iv, c)| iv.value * f64::from(*c))
            .sum();
        prop_assert!((value - packing.value).abs() < 1e-9);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    /// On tiny instances solved to proven optimality by the whole MILP, the Lagrangian bound is
    /// never below the optimum (with or without pools and roads to first batch), and it stays
    /// within the trivial bound (all demand served).
    #[test]
    fn lagrangian_bound_is_never_below_the_exact_optimum(
        seed in 0u64..10_000,
        suites in 2usize..6,
        programs in 2usize..8,
        months in 1u32..4,
        tightness in 0.6f64..2.0,
        sites in 1usize..3,
        pools in proptest::bool::ANY,
        roads in proptest::bool::ANY,
    ) {
        let mut inst = generate(&GenSpec { pools, sites, ..tiny(seed, suites, programs, months, tightness) });
        if roads {
            add_roads(&mut inst, seed);
        }
        let opts = PlanOptions { time_limit_s: 30.0, mip_rel_gap: 0.0, today: inst.from, ..PlanOptions::default() };
        let plan = solve_with_exact_limit(&inst, &opts, usize::MAX, &mut |_| {}).unwrap();
        prop_assume!(plan.status == SolverStatus::Optimal);
        let p = Prepared::new(&inst).unwrap();
        let greedy = solver_models::greedy::greedy_batches(&p);
        let prices = solver_models::roughcut::lp(&p).shadow;
        // From nothing and from the rough-cut's prices and greedy's plan.
        let cold = bound(&p, 5.0, &[], &[], 1);
        let lag = bound(&p, 5.0, &greedy, &prices, 1);
        prop_assert!(
            cold.bound >= plan.served_weighted - 1e-6,
            "Lagrangian bound {} (cold) below the optimum {}", cold.bound, plan.served_weighted
        );
        prop_assert!(
            lag.bound >= plan.served_weighted - 1e-6,
            "Lagrangian bound {} below the optimum {}", lag.bound, plan.served_weighted
        );
        prop_assert!(lag.bound <= p.demand_weighted() + 1e-6, "bound {} above demand {}", lag.bound, p.demand_weighted());
        // The per-suite shares add up to the planned part.
        let shares: f64 = lag.per_suite.iter().sum();
        prop_assert!((p.booked_weighted() + shares - lag.bound).abs() < 1e-6 * (1.0 + lag.bound));
        prop_assert!(lag.lambda.iter().all(|l| *l >= 0.0));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// The day-level shadow price of a suite-month is what one more line there is worth at
    /// most: the dual solution behind the bound stays feasible when a line of the suite is open
    /// on the month's days, and its value rises by the price. Checked on the exact optimum
    /// with a one-line copy of the most expensive suite qualified for that month only.
    #[test]
    fn one_more_line_month_is_worth_at_most_its_shadow_price(
        seed in 0u64..10_000,
        suites in 2usize..5,
        programs in 3usize..8,
        months in 1u32..4,
        tightness in 1.2f64..2.5,
        pools in proptest::bool::ANY,
    ) {
        // No bookings: the copy's free days are then the suite's (its closures kept).
        let inst = generate(&GenSpec { pools, bookings: 0, ..tiny(seed, suites, programs, months, tightness) });
        let p = Prepared::new(&inst).unwrap();
        let greedy = solver_models::greedy::greedy_batches(&p);
        let lag = bound(&p, 5.0, &greedy, &[], 1);
        prop_assert!(lag.prices.iter().all(|(_, _, v)| *v > 0.0 && v.is_finite()));
        let Some(&(s, m, price)) = lag.prices.iter().max_by(|a, b| a.2.total_cmp(&b.2)) else {
            return Ok(());
        };
        let mut more = inst.clone();
        let mut extra = inst.suites[s].clone();
        extra.id = None;
        extra.name = format!("{} (one more line)", extra.name);
        // The copy is line 1 of the suite: its closures, on its one line.
        extra.lines = 1;
        extra.closures.retain(|c| c.lines.as_ref().is_none_or(|l| l.contains(&1)));
        for c in &mut extra.closures {
            c.lines = None;
        }
        let to = p.months[m].next().first_day();
        extra.available_from = extra.available_from.max(p.months[m].first_day());
        extra.available_to = Some(extra.available_to.map_or(to, |t| t.min(to)));
        more.suites.push(extra);
        let opts = PlanOptions { time_limit_s: 30.0, mip_rel_gap: 0.0, today: inst.from, expansion: false, ..PlanOptions::default() };
        let plan = solve_with_exact_limit(&more, &opts, usize::MAX, &mut |_| {}).unwrap();
        prop_assume!(plan.status == SolverStatus::Optimal);
        prop_assert!(
            plan.served_weighted <= lag.bound + price + 1e-6,
            "one more line in suite {s}, month {m}: optimum {} above bound {} + price {price}",
            plan.served_weighted, lag.bound
        );
    }
}

/// `scale-1` is solved to proven optimality (852 in BENCHMARKS.md): the Lagrangian bound is
/// above the optimum, below the rough-cut bound, and close to the pooled LP's value (which is
/// the optimum there).
#[test]
fn lagrangian_bound_on_scale_1_lies_between_the_optimum_and_the_rough_cut() {
    let inst = generate(&GenSpec::scaled(1, 1));
    let opts = PlanOptions {
        time_limit_s: 120.0,
        mip_rel_gap: 0.0,
        expansion: false,
        today: inst.from,
        ..PlanOptions::default()
    };
    let plan = solve_with_exact_limit(&inst, &opts, usize::MAX, &mut |_| {}).unwrap();
    assert_eq!(plan.status, SolverStatus::Optimal);
    let p = Prepared::new(&inst).unwrap();
    let rough = solver_models::roughcut::lp(&p);
    let greedy = solver_models::greedy::greedy_batches(&p);
    let lag = bound(&p, 30.0, &greedy, &rough.shadow, 2);
    let rough = p.booked_weighted() + rough.bound;
    assert!(
        lag.bound >= plan.served_weighted - 1e-6,
        "Lagrangian {} below the optimum {}",
        lag.bound,
        plan.served_weighted
    );
    assert!(
        lag.bound <= rough + 1e-6,
        "Lagrangian {} above the rough-cut {rough}",
        lag.bound
    );
    let limits = solver_models::milp::Limits {
        time_limit_s: 120.0,
        mip_rel_gap: 0.0,
        threads: None,
        solver: None,
    };
    let lp = p.booked_weighted()
        + solver_models::bound::pooled_lp(&p, limits).expect("the pooled LP of scale-1 finishes");
    // Without the pooled LP's per-(unit, suite) rows it may lie a little above it, not below.
    assert!(
        lag.bound >= lp - 1e-6 * lp,
        "Lagrangian {} below the pooled LP {lp}",
        lag.bound
    );
    assert!(
        lag.bound <= lp * 1.01,
        "Lagrangian {} more than 1% above the pooled LP {lp}",
        lag.bound
    );
}
