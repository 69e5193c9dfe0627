//! The road to a first GMP batch (tech transfer, engineering runs): a hand-made instance whose
//! exact optimum the road changes, solved exactly and certified by the independent checker; the
//! road's steps booked, completed, or competing for pools; the checker catching a batch before
//! its road.

mod common;
use common::*;
use solver_models::check::check_plan;
use solver_models::plan::{
    solve, solve_with_exact_limit, Plan, PlanOptions, ShortfallReason, Suggestion,
};
use solver_models::{
    Booking, BookingKind, BookingStatus, Instance, Month, Pool, PoolException, PoolKind,
    ResourceNeed,
};

fn opts() -> PlanOptions {
    PlanOptions {
        mip_rel_gap: 0.0,
        time_limit_s: 60.0,
        today: d("2027-01-01"),
        ..PlanOptions::default()
    }
}

fn exact(inst: &Instance) -> Plan {
    solve(inst, &opts(), &mut |_| {}).expect("valid instance")
}

/// The plan's road steps as (kind, start, end).
fn steps(plan: &Plan) -> Vec<(BookingKind, chrono::NaiveDate, chrono::NaiveDate)> {
    plan.suggestions
        .iter()
        .filter(|s| !s.kind.serves_demand())
        .map(|s| (s.kind, s.start, s.end))
        .collect()
}

fn batches(plan: &Plan) -> Vec<&Suggestion> {
    plan.suggestions
        .iter()
        .filter(|s| s.kind.serves_demand())
        .collect()
}

fn booking(kind: BookingKind, start: &str, end: &str) -> Booking {
    Booking {
        suite: "L1".into(),
        line: 1,
        start: d(start),
        end: d(end),
        status: BookingStatus::Confirmed,
        program: Some("NEWCO".into()),
        kind,
        resource_profile: None,
    }
}

#[test]
fn a_tech_transfer_and_an_engineering_run_delay_the_first_batch() {
    let inst = load("road-tech-transfer-first");
    let plan = exact(&inst);
    assert_exact_optimum(&inst, &plan, 4.0);
    assert_eq!(
        steps(&plan),
        vec![
            (BookingKind::TechTransfer, d("2028-01-01"), d("2028-01-16")),
            (
                BookingKind::EngineeringRun,
                d("2028-01-16"),
                d("2028-02-05")
            ),
        ]
    );
    let served = batches(&plan);
    assert_eq!(served.len(), 2);
    assert!(served.iter().all(|s| s.start >= d("2028-02-05")));
    let months: Vec<Month> = served.iter().map(|s| s.month).collect();
    assert_eq!(months, vec![month("2028-02"), month("2028-03")]);
    let short: Vec<_> = plan
        .shortfalls
        .iter()
        .map(|s| (s.program.as_str(), s.month, s.shortfall, s.reason))
        .collect();
    assert_eq!(
        short,
        vec![("NEWCO", month("2028-01"), 1, ShortfallReason::TechTransfer)]
    );
    // The steps occupy the line: January's planned line-days are the transfer's 15 and the
    // run's 16.
    let jan = plan
        .utilization
        .iter()
        .find(|u| u.month == month("2028-01"))
        .unwrap();
    assert_eq!(jan.planned_line_days, 31);
    // The large path (LNS and the day-level bound) keeps the road too.
    let large = solve_with_exact_limit(&inst, &opts(), 0, &mut |_| {}).unwrap();
    assert_eq!(large.served_weighted, 4.0);
    assert_eq!(check_plan(&inst, &large), vec![]);
    // No line advice for a shortfall the road causes: a new line would wait for it too.
    assert!(plan.expansion.is_empty(), "{:?}", plan.expansion);
}

#[test]
fn a_road_done_or_booked_lets_every_batch_run() {
    let inst = load("road-tech-transfer-first");
    // Completed: nothing to schedule, nothing to wait for.
    let mut done = inst.clone();
    done.programs[0].tech_transfers[0].completed = true;
    let plan = exact(&done);
    assert_exact_optimum(&done, &plan, 6.0);
    assert!(steps(&plan).is_empty());

    // Booked before the horizon (last year's transfer and run): the same.
    let mut booked = inst.clone();
    booked.bookings = vec![
        booking(BookingKind::TechTransfer, "2027-11-01", "2027-11-16"),
        booking(BookingKind::EngineeringRun, "2027-12-01", "2027-12-21"),
    ];
    let plan = exact(&booked);
    assert_exact_optimum(&booked, &plan, 6.0);
    assert!(steps(&plan).is_empty());

    // The transfer booked, the run not: the planner schedules the run after it.
    let mut half = inst.clone();
    half.bookings = vec![booking(
        BookingKind::TechTransfer,
        "2027-12-10",
        "2027-12-25",
    )];
    let plan = exact(&half);
    assert_exact_optimum(&half, &plan, 6.0);
    assert_eq!(
        steps(&plan),
        vec![(
            BookingKind::EngineeringRun,
            d("2028-01-01"),
            d("2028-01-21")
        )]
    );
    assert!(batches(&plan).iter().all(|s| s.start >= d("2028-01-21")));

    // A road at another site changes nothing here.
    let mut elsewhere = inst.clone();
    elsewhere.programs[0].tech_transfers[0].site = "Boston".into();
    let plan = exact(&elsewhere);
    assert_exact_optimum(&elsewhere, &plan, 6.0);
    assert!(steps(&plan).is_empty());
}

#[test]
fn a_tech_transfer_waits_for_its_pool() {
    // The transfer needs the site's one MSAT engineer on each of its days; the engineer is on
    // leave until 8 January.
    let mut inst = load("road-tech-transfer-first");
    inst.pools = vec![Pool {
        id: None,
        name: "msat".into(),
        site: Some("Leiden".into()),
        kind: PoolKind::Staff,
        tag: "msat-engineer".into(),
        capacity: 1,
        weekdays: solver_models::WeekDay::ALL.to_vec(),
        exceptions: vec![PoolException {
            start: d("2028-01-01"),
            end: Some(d("2028-01-08")),
            capacity: 0,
            reason: Some("leave".into()),
        }],
    }];
    inst.programs[0].tech_transfers[0].resource_profile = vec![ResourceNeed {
        tag: "msat-engineer".into(),
        amount: 1,
        days: (0..15).collect(),
    }];
    let plan = exact(&inst);
    assert_exact_optimum(&inst, &plan, 4.0);
    assert_eq!(
        steps(&plan),
        vec![
            (BookingKind::TechTransfer, d("2028-01-08"), d("2028-01-23")),
            (
                BookingKind::EngineeringRun,
                d("2028-01-23"),
                d("2028-02-12")
            ),
        ]
    );
    // The transfer's use shows in the pool's January: 15 engineer-days planned.
    let jan = plan
        .pool_utilization
        .iter()
        .find(|u| u.month == month("2028-01"))
        .unwrap();
    assert_eq!((jan.capacity, jan.planned), (24, 15));
    // A booked transfer without a profile of its own takes the road's from the engineer.
    let mut booked = inst.clone();
    booked.bookings = vec![booking(
        BookingKind::TechTransfer,
        "2028-01-08",
        "2028-01-23",
    )];
    let plan = exact(&booked);
    let jan = plan
        .pool_utilization
        .iter()
        .find(|u| u.month == month("2028-01"))
        .unwrap();
    assert_eq!((jan.booked, jan.planned), (15, 0));
    assert_eq!(check_plan(&booked, &plan), vec![]);
}

#[test]
fn the_checker_catches_a_batch_before_its_road() {
    let inst = load("road-tech-transfer-first");
    let plan = exact(&inst);
    // Without the engineering run the road is incomplete.
    let mut no_run = plan.clone();
    no_run
        .suggestions
        .retain(|s| s.kind != BookingKind::EngineeringRun);
    let v = check_plan(&inst, &no_run);
    assert!(
        v.iter().any(|v| v
            .message
            .contains("before its road to first batch is complete")),
        "{v:?}"
    );
    // A batch moved before the run ends.
    let mut early = plan.clone();
    let i = early
        .suggestions
        .iter()
        .position(|s| s.kind.serves_demand())
        .unwrap();
    early.suggestions[i].start = d("2028-02-01");
    early.suggestions[i].end = d("2028-02-21");
    let v = check_plan(&inst, &early);
    assert!(
        v.iter().any(|v| v.message.contains("before its road ends")),
        "{v:?}"
    );
    // A transfer of the wrong length.
    let mut short = plan.clone();
    short.suggestions[0].end = d("2028-01-10");
    assert!(!check_plan(&inst, &short).is_empty());
}
