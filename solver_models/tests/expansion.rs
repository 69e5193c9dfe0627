//! Expansion advice holds when built: adding the advised lines (a new suite of the class at its
//! site from the advised month) and planning again serves at least the batches the advice
//! says it serves; and on a hand-made instance the advice is the known minimum.

mod common;

use common::{load, month};
use solver_models::check::check_plan;
use solver_models::generate::{generate, GenSpec};
use solver_models::plan::{solve, Plan, PlanOptions};
use solver_models::{Instance, Suite};

fn exact(inst: &Instance) -> Plan {
    let opts = PlanOptions {
        mip_rel_gap: 0.0,
        time_limit_s: 120.0,
        today: inst.from - chrono::Days::new(3 * 366),
        ..PlanOptions::default()
    };
    solve(inst, &opts, &mut |_| {}).expect("valid instance")
}

/// `inst` with one new suite per advice row: the class's capabilities and grade, at its site,
/// `extra_lines` lines qualified from the advised month.
fn built(inst: &Instance, plan: &Plan) -> Instance {
    let mut out = inst.clone();
    for (i, e) in plan.expansion.iter().enumerate() {
        out.suites.push(Suite {
            id: None,
            name: format!("NEW-{i}"),
            site: e.site.clone(),
            grade: e.min_grade,
            capabilities: e.capabilities.clone(),
            lines: e.extra_lines,
            available_from: e.from_month.first_day(),
            available_to: None,
            closures: Vec::new(),
            segregation: Default::default(),
            dedications: Vec::new(),
        });
    }
    out
}

#[test]
fn the_advised_lines_serve_what_the_advice_says_when_built() {
    let mut advised = 0;
    for seed in 1..=10 {
        let inst = generate(&GenSpec {
            tightness: 1.6,
            months: 4,
            ..GenSpec::small(seed)
        });
        let plan = exact(&inst);
        assert_eq!(check_plan(&inst, &plan), vec![]);
        if plan.expansion.is_empty() {
            continue;
        }
        advised += 1;
        let promised: u32 = plan.expansion.iter().map(|e| e.serves_batches).sum();
        let expanded = built(&inst, &plan);
        let again = exact(&expanded);
        assert_eq!(check_plan(&expanded, &again), vec![]);
        assert!(
            again.served_batches >= plan.served_batches + promised,
            "seed {seed}: {} served before, {promised} promised by {:?}, {} after building",
            plan.served_batches,
            plan.expansion,
            again.served_batches
        );
    }
    assert!(advised >= 3, "only {advised} instances had advice");
}

/// The hand-made instance's known minimum: one line with both capabilities serves both classes'
/// short batches (the per-class placement alone advises two lines), from January; built and
/// re-planned, it serves both.
#[test]
fn one_new_line_serving_two_classes_is_the_advice() {
    let inst = load("expansion-one-line-serves-two-classes");
    let plan = exact(&inst);
    assert_eq!(check_plan(&inst, &plan), vec![]);
    assert_eq!(plan.served_weighted, 4.0);
    assert_eq!(plan.expansion.len(), 1, "{:?}", plan.expansion);
    let e = &plan.expansion[0];
    assert_eq!(e.capabilities, vec!["autologous", "closed-system"]);
    assert_eq!(e.site.as_deref(), Some("Boston"));
    assert_eq!(e.from_month, month("2028-01"));
    assert_eq!((e.extra_lines, e.serves_batches), (1, 2));
    let expanded = built(&inst, &plan);
    let again = exact(&expanded);
    assert_eq!(check_plan(&expanded, &again), vec![]);
    assert_eq!(again.served_batches, plan.served_batches + 2);
    assert!(again.shortfalls.is_empty(), "{:?}", again.shortfalls);
}

/// A line is advised from the month it is first needed: with AUTO fully served, the one new
/// line is needed from March (CLOSED's second batch), not from the lead month.
#[test]
fn a_new_line_is_advised_from_the_month_it_is_first_needed() {
    let mut inst = load("expansion-one-line-serves-two-classes");
    inst.programs[0].forecast[0].batches = 1;
    let plan = exact(&inst);
    assert_eq!(plan.expansion.len(), 1, "{:?}", plan.expansion);
    let e = &plan.expansion[0];
    assert_eq!(e.from_month, month("2028-03"));
    assert_eq!((e.extra_lines, e.serves_batches), (1, 1));
    let expanded = built(&inst, &plan);
    let again = exact(&expanded);
    assert_eq!(check_plan(&expanded, &again), vec![]);
    assert!(again.shortfalls.is_empty(), "{:?}", again.shortfalls);
}
