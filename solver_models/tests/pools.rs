//! Capacity pools (staff crews, the QC lab, shared equipment): hand-made instances whose exact
//! optimum a pool changes, solved exactly and certified by the independent checker; the checker
//! catching overuse; invalid pools; reasons and advice.

mod common;
use common::*;
use solver_models::check::check_plan;
use solver_models::plan::{
    greedy, solve, solve_with_exact_limit, Plan, PlanOptions, ShortfallReason, Suggestion,
};
use solver_models::{Instance, Month, Pool, PoolException, ResourceNeed};

/// Exact solve (gap 0), with "today" far enough back for every lead time.
fn exact(inst: &Instance) -> Plan {
    let opts = PlanOptions {
        mip_rel_gap: 0.0,
        time_limit_s: 60.0,
        today: d("2027-06-01"),
        ..PlanOptions::default()
    };
    solve(inst, &opts, &mut |_| {}).expect("valid instance")
}

/// The one shortfall row of the plan, as (program, month, shortfall, reason).
fn shortfalls(plan: &Plan) -> Vec<(String, Month, u32, ShortfallReason)> {
    plan.shortfalls
        .iter()
        .map(|s| (s.program.clone(), s.month, s.shortfall, s.reason))
        .collect()
}

#[test]
fn one_crew_runs_one_batch_though_two_suites_are_free() {
    let inst = load("pools-one-crew-two-suites");
    let plan = exact(&inst);
    assert_exact_optimum(&inst, &plan, 4.0);
    assert_eq!(plan.greedy_served_weighted, 4.0);
    assert_eq!(
        shortfalls(&plan),
        vec![("CART".into(), month("2028-04"), 1, ShortfallReason::Staff)]
    );
    assert_eq!(plan.suggestions.len(), 1);
    assert_eq!(plan.suggestions[0].start, d("2028-04-03"));
    // The crew's April: 2 people on 30 days; the batch takes 2 on 12 of them.
    let april: Vec<_> = plan
        .pool_utilization
        .iter()
        .filter(|u| u.pool == "crew")
        .map(|u| (u.month, u.capacity, u.booked, u.planned))
        .collect();
    assert_eq!(april, vec![(month("2028-04"), 60, 0, 24)]);
    // Advice: two more operators from April (hiring takes 3 months, the lead is long past)
    // serve the missing batch.
    let advice: Vec<_> = plan
        .pool_expansion
        .iter()
        .map(|e| {
            (
                e.pool.as_str(),
                e.tag.as_str(),
                e.from_month,
                e.extra,
                e.serves_batches,
            )
        })
        .collect();
    assert_eq!(advice, vec![("crew", "operator", month("2028-04"), 2, 1)]);
    // No line advice: no shortfall is for lines.
    assert!(plan.expansion.is_empty(), "{:?}", plan.expansion);
    let g = greedy(&inst).unwrap();
    assert_eq!(check_plan(&inst, &g), vec![]);
    assert_eq!(g.shortfalls[0].reason, ShortfallReason::Staff);

    // A crew at another site serves neither suite: both batches run.
    let mut elsewhere = inst.clone();
    elsewhere.pools[0].site = Some("Boston".into());
    let plan = exact(&elsewhere);
    assert_exact_optimum(&elsewhere, &plan, 8.0);
    assert!(plan.shortfalls.is_empty());
    // So does a crew of four.
    let mut four = inst.clone();
    four.pools[0].capacity = 4;
    assert_exact_optimum(&four, &exact(&four), 8.0);
}

#[test]
fn hiring_advice_waits_for_the_lead_time() {
    let inst = load("pools-one-crew-two-suites");
    let opts = PlanOptions {
        mip_rel_gap: 0.0,
        // Three months from March 2028 is June: after the horizon.
        today: d("2028-03-01"),
        ..PlanOptions::default()
    };
    let plan = solve(&inst, &opts, &mut |_| {}).unwrap();
    assert!(plan.pool_expansion.is_empty(), "{:?}", plan.pool_expansion);
    let opts = PlanOptions {
        today: d("2028-01-15"),
        ..opts
    };
    let plan = solve(&inst, &opts, &mut |_| {}).unwrap();
    assert_eq!(plan.pool_expansion.len(), 1);
    assert_eq!(plan.pool_expansion[0].from_month, month("2028-04"));
}

#[test]
fn qc_release_moves_an_april_batch_into_may() {
    let inst = load("pools-qc-release-spreads-batches");
    let plan = exact(&inst);
    assert_exact_optimum(&inst, &plan, 32.0);
    assert_eq!(plan.greedy_served_weighted, 28.0);
    assert_eq!(
        shortfalls(&plan),
        vec![("ALLO".into(), month("2028-04"), 1, ShortfallReason::Qc)]
    );
    // Two April and three May batches, starts at least 14 days apart (the lab's analyst
    // releases one batch at a time); the last May one starts on or after 29 May.
    let mut starts: Vec<_> = plan.suggestions.iter().map(|s| s.start).collect();
    starts.sort();
    let in_month = |m: &str| {
        plan.suggestions
            .iter()
            .filter(|s| s.month == month(m))
            .count()
    };
    assert_eq!((in_month("2028-04"), in_month("2028-05")), (2, 3));
    for w in starts.windows(2) {
        assert!((w[1] - w[0]).num_days() >= 14, "{starts:?}");
    }
    assert!(starts[4] >= d("2028-05-29"), "{starts:?}");
    // QC of the last May batch runs into June and July: it was checked on the extended
    // calendar; each month's row counts the analyst-days that fall in it.
    let qc_days_in = |m: &str| {
        let m = month(m);
        plan.suggestions
            .iter()
            .flat_map(|s| (14..28).map(move |o| s.start + chrono::Days::new(o)))
            .filter(|day| Month::of(*day) == m)
            .count() as u32
    };
    let used: Vec<_> = plan
        .pool_utilization
        .iter()
        .map(|u| (u.month, u.capacity, u.booked, u.planned))
        .collect();
    assert_eq!(
        used,
        vec![
            (month("2028-04"), 30, 0, qc_days_in("2028-04")),
            (month("2028-05"), 31, 0, qc_days_in("2028-05"))
        ]
    );
    // Greedy's plan, and the large-instance path (LNS + pooled LP bound), are feasible; the
    // latter's bound is a bound.
    let g = greedy(&inst).unwrap();
    assert_eq!(g.served_weighted, 28.0);
    assert_eq!(check_plan(&inst, &g), vec![]);
    let opts = PlanOptions {
        mip_rel_gap: 0.0,
        today: d("2027-06-01"),
        ..PlanOptions::default()
    };
    let lns = solve_with_exact_limit(&inst, &opts, 0, &mut |_| {}).unwrap();
    assert_eq!(check_plan(&inst, &lns), vec![]);
    assert!(lns.served_weighted <= 32.0 && lns.served_weighted >= 28.0);
    assert!(lns.bound_weighted >= 32.0 - 1e-6, "{}", lns.bound_weighted);
    // Without the lab's limit both months are served in full.
    let mut free = inst.clone();
    free.pools.clear();
    assert_exact_optimum(&free, &exact(&free), 36.0);
}

#[test]
fn a_crew_short_all_month_has_a_shadow_price_and_hiring_advice() {
    let inst = load("pools-crew-binds-the-month");
    let plan = exact(&inst);
    assert_exact_optimum(&inst, &plan, 160.0);
    assert_eq!(plan.greedy_served_weighted, 160.0);
    assert_eq!(
        shortfalls(&plan),
        vec![("FILL".into(), month("2028-04"), 5, ShortfallReason::Staff)]
    );
    let binding: Vec<_> = plan
        .pool_binding
        .iter()
        .map(|b| (b.pool.as_str(), b.month, b.shadow_price))
        .collect();
    assert_eq!(binding, vec![("fill-crew", month("2028-04"), 80.0)]);
    // The suite is not what binds.
    assert!(plan.binding.is_empty(), "{:?}", plan.binding);
    let advice: Vec<_> = plan
        .pool_expansion
        .iter()
        .map(|e| (e.pool.as_str(), e.from_month, e.extra, e.serves_batches))
        .collect();
    assert_eq!(advice, vec![("fill-crew", month("2028-04"), 2, 5)]);
    // Every fill starts on a working day.
    use chrono::Datelike;
    assert!(plan
        .suggestions
        .iter()
        .all(|s| s.start.weekday().number_from_monday() <= 5));
}

#[test]
fn a_new_hire_lets_two_batches_run_at_once() {
    let inst = load("pools-new-hire-adds-a-batch");
    let plan = exact(&inst);
    assert_exact_optimum(&inst, &plan, 20.0);
    assert!(plan.shortfalls.is_empty(), "{:?}", plan.shortfalls);

    let mut without = inst.clone();
    without.pools[0].exceptions.clear();
    let plan = exact(&without);
    assert_exact_optimum(&without, &plan, 12.0);
    assert_eq!(
        shortfalls(&plan),
        vec![("AUTO".into(), month("2028-04"), 2, ShortfallReason::Staff)]
    );
    // Two more operators from April run both missing batches.
    assert_eq!(plan.pool_expansion.len(), 1);
    let e = &plan.pool_expansion[0];
    assert_eq!((e.extra, e.serves_batches), (2, 2));

    // A holiday closing the crew from 11 to 20 April (the last exception listed wins over the
    // hire): one batch fits before it (1-10 April, the crew of two), two at once after it (from
    // the 21st the crew is four): 3 batches.
    let mut holiday = inst.clone();
    holiday.pools[0].exceptions.push(PoolException {
        start: d("2028-04-11"),
        end: Some(d("2028-04-21")),
        capacity: 0,
        reason: Some("Easter".into()),
    });
    let plan = exact(&holiday);
    assert_exact_optimum(&holiday, &plan, 12.0);
    let mut starts: Vec<_> = plan.suggestions.iter().map(|s| s.start).collect();
    starts.sort();
    assert_eq!(starts[0], d("2028-04-01"), "{starts:?}");
    assert!(starts[1] >= d("2028-04-21"), "{starts:?}");
}

#[test]
fn the_checker_names_an_overloaded_pool() {
    let inst = load("pools-one-crew-two-suites");
    let mut plan = exact(&inst);
    assert_eq!(check_plan(&inst, &plan), vec![]);
    // The second batch on S2, whose line is free: only the crew is overloaded.
    let mut extra: Suggestion = plan.suggestions[0].clone();
    extra.suite = if extra.suite == "S1" { "S2" } else { "S1" }.into();
    plan.suggestions.push(extra);
    plan.served_weighted = 8.0;
    let violations = check_plan(&inst, &plan);
    assert_eq!(violations.len(), 12, "{violations:?}");
    for v in &violations {
        assert!(
            v.message.starts_with("pool crew on 2028-04-"),
            "{}",
            v.message
        );
        assert!(v.message.contains("capacity 2"), "{}", v.message);
    }
    assert!(violations[0].message.contains("2028-04-03"));
}

#[test]
fn bookings_over_a_pool_block_the_plan_there_but_are_not_its_fault() {
    let mut inst = load("pools-one-crew-two-suites");
    // A third Leiden suite with a booking of another client's process taking three operators
    // on 5 April: more than the crew has, before the plan adds anything.
    let mut s3 = inst.suites[0].clone();
    s3.name = "S3".into();
    s3.closures.clear();
    inst.suites.push(s3);
    inst.bookings.push(solver_models::Booking {
        suite: "S3".into(),
        line: 1,
        start: d("2028-04-05"),
        end: d("2028-04-06"),
        status: solver_models::BookingStatus::Confirmed,
        program: None,
        kind: solver_models::BookingKind::EngineeringRun,
        resource_profile: Some(vec![ResourceNeed {
            tag: "operator".into(),
            amount: 3,
            days: vec![0],
        }]),
    });
    inst.programs[0].required_capabilities = vec!["autologous".into()];
    inst.programs[0].allowed_suites = Some(vec!["S1".into(), "S2".into()]);
    let plan = exact(&inst);
    // Every batch needs the crew on 5 April: nothing can run, and it is the crew's doing.
    assert_exact_optimum(&inst, &plan, 0.0);
    assert_eq!(
        shortfalls(&plan),
        vec![("CART".into(), month("2028-04"), 2, ShortfallReason::Staff)]
    );
    // A batch over 5 April is the plan's fault; the booking's own overuse is not.
    let mut bad = plan.clone();
    bad.suggestions.push(Suggestion {
        program: "CART".into(),
        suite: "S1".into(),
        line: 1,
        start: d("2028-04-03"),
        end: d("2028-04-17"),
        month: month("2028-04"),
        kind: solver_models::BookingKind::GmpBatch,
    });
    bad.served_weighted = 4.0;
    let violations = check_plan(&inst, &bad);
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert!(
        violations[0]
            .message
            .starts_with("pool crew on 2028-04-05: capacity 2, bookings take 3"),
        "{}",
        violations[0].message
    );
    assert_eq!(violations[0].suggestion, Some(0));
}

#[test]
fn invalid_pools_are_errors() {
    let inst = load("pools-one-crew-two-suites");
    let opts = PlanOptions::default();
    let err = |inst: &Instance| solve(inst, &opts, &mut |_| {}).unwrap_err().to_string();

    let mut twice = inst.clone();
    twice.pools.push(twice.pools[0].clone());
    twice.pools[1].site = Some("Boston".into());
    assert_eq!(err(&twice), "duplicate pool key `crew`");

    // A site-less pool and a Leiden pool with the same tag would both serve Leiden's suites.
    let mut ambiguous = inst.clone();
    ambiguous.pools.push(Pool {
        name: "network-crew".into(),
        site: None,
        ..inst.pools[0].clone()
    });
    assert!(err(&ambiguous).contains("both serve tag `operator`"));
    // Different tags, or different sites, are fine.
    let mut fine = ambiguous.clone();
    fine.pools[1].tag = "qc-release".into();
    assert!(solve(&fine, &opts, &mut |_| {}).is_ok());
    let mut fine = ambiguous.clone();
    fine.pools[1].site = Some("Boston".into());
    assert!(solve(&fine, &opts, &mut |_| {}).is_ok());

    let mut far = inst.clone();
    far.programs[0].resource_profile[0].days.push(3701);
    assert!(err(&far).contains("day 3701"), "{}", err(&far));
}
