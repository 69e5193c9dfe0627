//! Helpers the solver tests share: the reference instances and dates.
#![allow(dead_code)] // each test file uses its own subset

use solver_models::check::check_plan;
use solver_models::generate::GenSpec;
use solver_models::plan::{Plan, SolverStatus};
use solver_models::{Instance, Month, ResourceNeed, TechTransfer};

/// A reference instance from `instances/NAME.json`.
#[track_caller]
pub fn load(name: &str) -> Instance {
    let path = format!("{}/instances/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("instance file");
    serde_json::from_str(&text).expect("valid instance")
}

pub fn d(s: &str) -> chrono::NaiveDate {
    s.parse().unwrap()
}

/// `YYYY-MM`.
pub fn month(s: &str) -> Month {
    Month::of(d(&format!("{s}-01")))
}

/// A tiny generated CDMO (solved exactly in well under a second).
pub fn tiny(seed: u64, suites: usize, programs: usize, months: u32, tightness: f64) -> GenSpec {
    GenSpec {
        suites,
        lines_per_suite: 1.5,
        programs,
        months,
        tightness,
        bookings: 2,
        ..GenSpec::small(seed)
    }
}

/// Gives about two programs in three a road to first batch at one suite's site: a 0–20-day
/// transfer drawing on the first pool's tag on its first days (when there are pools) and 0–2
/// engineering runs; one road in five is completed already.
pub fn add_roads(inst: &mut Instance, seed: u64) {
    let tag = inst.pools.first().map(|p| p.tag.clone());
    let n = inst.suites.len();
    for (i, p) in inst.programs.iter_mut().enumerate() {
        let r = seed.wrapping_add(i as u64 * 7919);
        if r % 3 == 2 {
            continue;
        }
        let Some(site) = inst.suites[(r as usize) % n].site.clone() else {
            continue;
        };
        let days = (r % 21) as u32;
        p.tech_transfers.push(TechTransfer {
            site,
            days,
            engineering_runs: ((r / 21) % 3) as u32,
            required_capabilities: None,
            resource_profile: tag
                .iter()
                .map(|t| ResourceNeed {
                    tag: t.clone(),
                    amount: 1,
                    days: (0..days.min(3)).collect(),
                })
                .collect(),
            completed: r % 5 == 0,
        });
    }
}

/// The plan is the proven optimum `optimum`, certified by the checker.
#[track_caller]
pub fn assert_exact_optimum(inst: &Instance, plan: &Plan, optimum: f64) {
    assert_eq!(plan.served_weighted, optimum, "optimum");
    assert!(
        (plan.bound_weighted - optimum).abs() < 1e-6,
        "bound {}",
        plan.bound_weighted
    );
    assert_eq!(plan.status, SolverStatus::Optimal);
    assert_eq!(check_plan(inst, plan), vec![]);
}
