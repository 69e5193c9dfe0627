//! Dedicated lines (client-owned equipment hosted at the CDMO) and segregated suites: small
//! hand-made instances whose exact optimum each rule changes, computed by hand below, solved
//! exactly and certified by the independent checker; greedy alone keeping both rules; road steps
//! kept off a line dedicated to another client; the checker catching plans that break either
//! rule; instances without the new fields reading as before.
//!
//! All instances plan February 2027 (28 days, day 0 = 1 February) with 14-day batches and no
//! changeover, in the `maximum` scenario (demand = the forecast's batches). A batch serves the
//! month it starts in, so a line holds at most two batches: starts on days 0..=27, and a third
//! would start on day 28 or later. Weights: commercial 16, phase3 8, phase2 4.

mod common;
use common::*;
use serde_json::json;
use solver_models::check::check_plan;
use solver_models::plan::{greedy, solve, solve_with_exact_limit, Plan, PlanOptions, Suggestion};
use solver_models::{BookingKind, Dedication, Instance, Segregation};

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

/// A suite of `lines` lines open all month, with no capabilities.
fn suite(name: &str, lines: u32) -> serde_json::Value {
    json!({"name": name, "site": "Leiden", "grade": "C", "lines": lines,
           "available_from": "2026-01-01"})
}

/// A program of 14-day batches with `batches` in February 2027 at `phase`.
fn program(name: &str, client: Option<&str>, phase: &str, batches: u32) -> serde_json::Value {
    let mut p = json!({"name": name, "phase": phase, "min_grade": "C", "batch_days": 14,
        "forecast": [{"month": "2027-02", "phase": phase, "batches": batches}]});
    if let Some(c) = client {
        p["client"] = json!(c);
    }
    p
}

fn instance(suites: Vec<serde_json::Value>, programs: Vec<serde_json::Value>) -> Instance {
    serde_json::from_value(json!({
        "from": "2027-02-01", "to": "2027-03-01", "suites": suites, "programs": programs
    }))
    .expect("valid instance")
}

/// (program, suite, line, start) of each suggestion, sorted.
fn placed(plan: &Plan) -> Vec<(String, String, u32, chrono::NaiveDate)> {
    let mut out: Vec<_> = plan
        .suggestions
        .iter()
        .map(|s| (s.program.clone(), s.suite.clone(), s.line, s.start))
        .collect();
    out.sort();
    out
}

fn count(plan: &Plan, program: &str) -> usize {
    plan.suggestions
        .iter()
        .filter(|s| s.program == program && s.kind.serves_demand())
        .count()
}

// ---- Dedicated lines ----

/// Suite S (2 lines); PHARMA (client Beta, commercial, weight 16) wants 4 batches, ACME-1
/// (client Acme, phase2, weight 4) 2. With `dedicate`, line 2 is Acme's from 1 to 15 February.
fn dedication_instance(dedicate: bool) -> Instance {
    let mut inst = instance(
        vec![suite("S", 2)],
        vec![
            program("PHARMA", Some("Beta"), "commercial", 4),
            program("ACME-1", Some("Acme"), "phase2", 2),
        ],
    );
    if dedicate {
        inst.suites[0].dedications.push(Dedication {
            line: 2,
            client: "Acme".into(),
            start: d("2027-02-01"),
            end: Some(d("2027-02-15")),
        });
    }
    inst
}

// Without the dedication: 2 lines x 2 starts (days 0 and 14) = 4 batch slots, and PHARMA's 4
// batches take them all: 4 x 16 = 64, the most the month can hold (every slot at the highest
// weight).
//
// With line 2 Acme's over days 0..=13: a PHARMA batch on line 2 must start on day 14 or later
// (a batch from day s covers days s..s+13), so line 2 holds one PHARMA batch (day 14) and, before
// it, at most one batch of Acme's (day 0). Line 1 holds two batches. PHARMA gets at most
// 2 (line 1) + 1 (line 2) = 3 batches, and the one slot left (line 2, day 0) only ACME-1 may
// take: 3 x 16 + 1 x 4 = 52. (Giving line 1 to ACME-1 instead only swaps 16s for 4s.)
#[test]
fn a_dedicated_line_changes_the_optimum() {
    let open = dedication_instance(false);
    let free_plan = exact(&open);
    assert_exact_optimum(&open, &free_plan, 64.0);
    assert_eq!(count(&free_plan, "PHARMA"), 4);

    let inst = dedication_instance(true);
    let plan = exact(&inst);
    assert_exact_optimum(&inst, &plan, 3.0 * 16.0 + 4.0);
    assert_eq!(count(&plan, "PHARMA"), 3);
    assert_eq!(count(&plan, "ACME-1"), 1);
    assert_ne!(placed(&plan), placed(&free_plan));
    // Nothing of Beta's on line 2 before 15 February; Acme's batch is there.
    for s in &plan.suggestions {
        if s.line == 2 && s.start < d("2027-02-15") {
            assert_eq!(s.program, "ACME-1", "{s:?}");
        }
    }
    // The optimum without the rule breaks it: the checker says so.
    let broken = check_plan(&inst, &free_plan);
    assert!(
        broken.iter().any(|v| v.message
            == "line 2 of suite S is dedicated to client Acme from 2027-02-01 until 2027-02-15; \
                program PHARMA (client Beta) is planned on it"),
        "{broken:?}"
    );
}

// A program without a client never may use a dedicated line: an open-ended dedication of line 2
// to Acme leaves NOCLIENT (commercial, 4 batches) line 1 only: 2 x 16 = 32, against 64 with
// both lines.
#[test]
fn a_program_without_a_client_never_uses_a_dedicated_line() {
    let mut inst = instance(
        vec![suite("S", 2)],
        vec![program("NOCLIENT", None, "commercial", 4)],
    );
    assert_exact_optimum(&inst, &exact(&inst), 64.0);
    inst.suites[0].dedications.push(Dedication {
        line: 2,
        client: "Acme".into(),
        start: d("2026-06-01"),
        end: None,
    });
    let plan = exact(&inst);
    assert_exact_optimum(&inst, &plan, 32.0);
    assert!(plan.suggestions.iter().all(|s| s.line == 1));
}

// A tech transfer is a step on a line like a batch: with line 1 dedicated to Acme, NEWCO's
// (client Beta) 7-day transfer goes to line 2 (without the dedication: line 1, the first in
// greedy's order), and its batch (14 days, phase2) follows it there or on line 2 later.
#[test]
fn road_steps_keep_off_a_line_dedicated_to_another_client() {
    let mut inst = instance(
        vec![suite("S", 2)],
        vec![program("NEWCO", Some("Beta"), "phase2", 1)],
    );
    inst.programs[0].tech_transfers = serde_json::from_value(json!([
        {"site": "Leiden", "days": 7}
    ]))
    .unwrap();
    let transfer_line = |plan: &Plan| {
        plan.suggestions
            .iter()
            .find(|s| s.kind == BookingKind::TechTransfer)
            .map(|s| (s.line, s.start))
    };
    let before = exact(&inst);
    assert_eq!(transfer_line(&before), Some((1, d("2027-02-01"))));
    inst.suites[0].dedications.push(Dedication {
        line: 1,
        client: "Acme".into(),
        start: d("2027-01-01"),
        end: None,
    });
    let plan = exact(&inst);
    assert_exact_optimum(&inst, &plan, 4.0);
    assert_eq!(transfer_line(&plan), Some((2, d("2027-02-01"))));
    assert!(plan.suggestions.iter().all(|s| s.line == 2));
}

// ---- Segregation ----

/// Suites A (2 lines, `segregation`) and B (1 line, any); PHARMA (commercial, 16) wants 3
/// batches anywhere, GENE (phase2, 4) 4 batches in A only.
fn segregation_instance(segregation: Segregation) -> Instance {
    let mut gene = program("GENE", Some("Delta"), "phase2", 4);
    gene["allowed_suites"] = json!(["A"]);
    let mut inst = instance(
        vec![suite("A", 2), suite("B", 1)],
        vec![program("PHARMA", Some("Beta"), "commercial", 3), gene],
    );
    inst.suites[0].segregation = segregation;
    inst
}

// Without segregation: 3 lines x 2 slots = 6 slots; PHARMA's 3 batches at 16 and GENE's in the
// 3 slots left (GENE may use A's 4): 3 x 16 + 3 x 4 = 60, the most 6 slots can hold (PHARMA
// wants only 3).
//
// With A `same_program`: if PHARMA runs a batch in A over days a..a+13, GENE may not be in A on
// those days on either line. A GENE batch on a line then starts before it (s <= a - 14) or after
// it (s >= a + 14, with s <= 27 so a <= 13), never both, and two GENE batches on one line besides
// PHARMA's window would need three disjoint 14-day spans starting before day 28: so GENE gets at
// most 1 per line, 2 in A. Either
//   (a) PHARMA stays out of A: B's 2 slots (32) and GENE's 4 in A (16): 48; or
//   (b) PHARMA in A too: at most 3 (PHARMA's demand) x 16 + GENE 2 x 4 = 56, reached with
//       PHARMA on A-1 and A-2 on day 0 and B on day 0, GENE on A-1 and A-2 on day 14.
// The optimum is 56.
#[test]
fn a_same_program_suite_changes_the_optimum() {
    let open = segregation_instance(Segregation::Any);
    let free_plan = exact(&open);
    assert_exact_optimum(&open, &free_plan, 60.0);

    let inst = segregation_instance(Segregation::SameProgram);
    let plan = exact(&inst);
    assert_exact_optimum(&inst, &plan, 3.0 * 16.0 + 2.0 * 4.0);
    assert_eq!((count(&plan, "PHARMA"), count(&plan, "GENE")), (3, 2));
    assert_ne!(placed(&plan), placed(&free_plan));
    let broken = check_plan(&inst, &free_plan);
    assert!(
        broken.iter().any(|v| v
            .message
            .starts_with("suite A is segregated same_program: programs ")),
        "{broken:?}"
    );
    // Under `same_client` PHARMA (Beta) and GENE (Delta) are still kept apart: the same 56.
    let inst = segregation_instance(Segregation::SameClient);
    assert_exact_optimum(&inst, &exact(&inst), 56.0);
}

// Where greedy's first choice is wrong, the MILP's segregation rows must repair it. Suites A (2
// lines, same_program) and B (1 line); PHARMA (commercial, 16) wants 1 batch anywhere, GENE
// (phase3, 8) 4 in A only.
// Greedy (PHARMA first, earliest start, suite name order) puts PHARMA on A-1 on day 0, which
// keeps GENE out of A until day 14: GENE gets A-1 and A-2 on day 14, 16 + 2 x 8 = 32.
// The optimum puts PHARMA in B and GENE's 4 in A (2 lines x 2 slots): 16 + 4 x 8 = 48, everything
// demanded.
#[test]
fn the_milp_keeps_a_segregated_suite_to_one_program_where_greedy_does_not_pack() {
    let mut gene = program("GENE", Some("Delta"), "phase3", 4);
    gene["allowed_suites"] = json!(["A"]);
    let mut inst = instance(
        vec![suite("A", 2), suite("B", 1)],
        vec![program("PHARMA", Some("Beta"), "commercial", 1), gene],
    );
    inst.suites[0].segregation = Segregation::SameProgram;
    let plan = exact(&inst);
    assert_eq!(plan.greedy_served_weighted, 32.0);
    assert_exact_optimum(&inst, &plan, 48.0);
    assert!(plan
        .suggestions
        .iter()
        .all(|s| (s.program == "PHARMA") == (s.suite == "B")));
}

// Under `same_client` two programs of one client share the suite; another client's waits.
// Suite A (2 lines, same_client): ONE and TWO (client Beta, commercial, 16) want 1 batch each,
// OTHER (client Delta, phase3, 8) 2. Without the rule: 4 slots, 16 + 16 + 2 x 8 = 48. With it
// also 48 (ONE and TWO on both lines from day 0, OTHER on both from day 14), and every plan of
// 48 has ONE and TWO share days: were their batches apart, Beta would hold A on 28 days or more
// from day 0 on, and every OTHER batch (from a day <= 27) would meet one of them.
#[test]
fn same_client_lets_one_clients_programs_share() {
    let mut inst = instance(
        vec![suite("A", 2)],
        vec![
            program("ONE", Some("Beta"), "commercial", 1),
            program("TWO", Some("Beta"), "commercial", 1),
            program("OTHER", Some("Delta"), "phase3", 2),
        ],
    );
    inst.suites[0].segregation = Segregation::SameClient;
    let plan = exact(&inst);
    assert_exact_optimum(&inst, &plan, 48.0);
    let span = |p: &str| {
        let s = plan.suggestions.iter().find(|s| s.program == p).unwrap();
        (s.start, s.end)
    };
    let (one, two) = (span("ONE"), span("TWO"));
    assert!(one.0 < two.1 && two.0 < one.1, "{one:?} {two:?}");
    // Under same_program ONE and TWO may not share: the checker says so.
    inst.suites[0].segregation = Segregation::SameProgram;
    let broken = check_plan(&inst, &plan);
    assert!(
        broken.iter().any(|v| v
            .message
            .starts_with("suite A is segregated same_program: programs ONE and TWO share it on ")),
        "{broken:?}"
    );
}

// A booking without a program occupies its line for nobody in particular: under segregation no
// program may be in the suite on its days. Suite A (2 lines); PHARMA (commercial, 16) wants 4;
// a maintenance booking takes A-2 over days 0..=13.
// Without segregation: A-1 on days 0 and 14, A-2 on day 14: 3 x 16 = 48.
// With `same_program`: nothing in A before day 14, so A-1 and A-2 on day 14: 2 x 16 = 32.
#[test]
fn a_booking_without_a_program_keeps_every_program_out_of_a_segregated_suite() {
    let mut inst = instance(
        vec![suite("A", 2)],
        vec![program("PHARMA", Some("Beta"), "commercial", 4)],
    );
    inst.bookings = serde_json::from_value(json!([
        {"suite": "A", "line": 2, "start": "2027-02-01", "end": "2027-02-15",
         "kind": "maintenance"}
    ]))
    .unwrap();
    let free_plan = exact(&inst);
    assert_exact_optimum(&inst, &free_plan, 48.0);
    inst.suites[0].segregation = Segregation::SameProgram;
    let plan = exact(&inst);
    assert_exact_optimum(&inst, &plan, 32.0);
    assert!(plan.suggestions.iter().all(|s| s.start >= d("2027-02-15")));
    let broken = check_plan(&inst, &free_plan);
    assert!(
        broken.iter().any(|v| v.message.contains(
            "program PHARMA and a booking without a program (2027-02-01..2027-02-15) share it"
        )),
        "{broken:?}"
    );
}

// ---- Greedy alone ----

#[test]
fn greedy_alone_respects_both_rules() {
    // Dedication: PHARMA on line 1 (days 0, 14) and line 2 (day 14), ACME-1 on line 2 (day 0):
    // greedy finds the optimum 52.
    let inst = dedication_instance(true);
    let plan = greedy(&inst).unwrap();
    assert_eq!(check_plan(&inst, &plan), vec![]);
    assert_eq!(plan.served_weighted, 52.0);
    // Segregation: PHARMA on A-1, A-2 and B on day 0, GENE on A-1 and A-2 on day 14: 56.
    for g in [Segregation::SameProgram, Segregation::SameClient] {
        let inst = segregation_instance(g);
        let plan = greedy(&inst).unwrap();
        assert_eq!(check_plan(&inst, &plan), vec![], "{g:?}");
        assert_eq!(plan.served_weighted, 56.0, "{g:?}");
    }
    // Both rules on generated CDMOs ([`ruled`]).
    for seed in 0..6 {
        let inst = ruled(seed);
        let plan = greedy(&inst).unwrap();
        assert_eq!(check_plan(&inst, &plan), vec![], "seed {seed}");
        let best = exact(&inst);
        assert_eq!(check_plan(&inst, &best), vec![], "seed {seed}");
        assert!(best.served_weighted >= plan.served_weighted - 1e-9);
    }
}

/// A generated CDMO with both rules everywhere: suites alternately `same_client` and
/// `same_program`, the last line of each multi-line suite dedicated to a client of the instance.
/// Demand is tight: on seeds 0..4 the rules cost the exact optimum 829 -> 581, 1110 -> 1000,
/// 955 -> 895 and nothing (746) (measured when the rules were added).
fn ruled(seed: u64) -> Instance {
    let mut inst = solver_models::generate::generate(&tiny(seed, 5, 12, 4, 2.5));
    let clients: Vec<String> = inst
        .programs
        .iter()
        .filter_map(|p| p.client.clone())
        .collect();
    for (i, s) in inst.suites.iter_mut().enumerate() {
        s.segregation = if i % 2 == 0 {
            Segregation::SameClient
        } else {
            Segregation::SameProgram
        };
        if s.lines >= 2 {
            if let Some(c) = clients.get(i % clients.len().max(1)) {
                s.dedications.push(Dedication {
                    line: s.lines,
                    client: c.clone(),
                    start: inst.from,
                    end: None,
                });
            }
        }
    }
    inst
}

// The large path (LNS windows re-optimised by the MILP with the rest fixed, beside the bounds)
// and expansion advice keep both rules too; the advice's new lines, built as the unsegregated,
// undedicated suites it describes, carry a plan the checker accepts.
#[test]
fn the_large_path_and_expansion_keep_both_rules() {
    let mut advised = 0;
    for seed in 0..4 {
        let inst = ruled(seed);
        // Expansion advice from the horizon's first month on.
        let options = PlanOptions {
            time_limit_s: 5.0,
            today: d("2020-01-01"),
            expansion_lead_months: 0,
            ..opts()
        };
        let plan = solve_with_exact_limit(&inst, &options, 0, &mut |_| {}).unwrap();
        assert_eq!(check_plan(&inst, &plan), vec![], "seed {seed}");
        assert!(plan.served_weighted >= plan.greedy_served_weighted - 1e-9);
        let mut built = inst.clone();
        advised += plan.expansion.len();
        for (i, e) in plan.expansion.iter().enumerate() {
            built.suites.push(
                serde_json::from_value(json!({
                    "name": format!("NEW-{i}"), "site": e.site, "grade": e.min_grade,
                    "capabilities": e.capabilities, "lines": e.extra_lines,
                    "available_from": e.from_month.first_day()
                }))
                .unwrap(),
            );
        }
        let again = exact(&built);
        assert_eq!(check_plan(&built, &again), vec![], "seed {seed}");
    }
    assert!(advised > 0, "the rules leave shortfalls to advise on");
}

// ---- The checker on hand-made plans ----

fn suggestion(program: &str, suite: &str, line: u32, start: &str) -> Suggestion {
    let start = d(start);
    Suggestion {
        program: program.into(),
        suite: suite.into(),
        line,
        start,
        end: start + chrono::Days::new(14),
        month: month("2027-02"),
        kind: BookingKind::GmpBatch,
    }
}

/// A plan of `suggestions` as the planner would describe it (its value as served).
fn hand_plan(inst: &Instance, suggestions: Vec<Suggestion>) -> Plan {
    let mut plan = greedy(inst).unwrap();
    plan.suggestions = suggestions;
    let check = check_plan(inst, &plan);
    // Take the value the checker computes, so that only the rules under test are flagged.
    if let Some(v) = check
        .iter()
        .find(|v| v.message.starts_with("served_weighted"))
    {
        let served: f64 = v.message.rsplit(' ').next().unwrap().parse().unwrap();
        plan.served_weighted = served;
    }
    plan
}

#[test]
fn the_checker_flags_a_plan_on_a_line_dedicated_to_another_client() {
    let mut inst = dedication_instance(true);
    inst.programs
        .push(serde_json::from_value(program("NOCLIENT", None, "phase2", 1)).unwrap());
    let plan = hand_plan(
        &inst,
        vec![
            suggestion("PHARMA", "S", 1, "2027-02-01"),
            // Ends on the dedication's last day: flagged.
            suggestion("PHARMA", "S", 2, "2027-02-01"),
            // From its end: fine.
            suggestion("PHARMA", "S", 2, "2027-02-15"),
            suggestion("NOCLIENT", "S", 1, "2027-02-15"),
        ],
    );
    let messages: Vec<String> = check_plan(&inst, &plan)
        .into_iter()
        .map(|v| v.message)
        .collect();
    assert_eq!(
        messages,
        vec![
            "line 2 of suite S is dedicated to client Acme from 2027-02-01 until 2027-02-15; \
              program PHARMA (client Beta) is planned on it"
                .to_string()
        ]
    );
    // A program without a client on the dedicated line.
    let plan = hand_plan(&inst, vec![suggestion("NOCLIENT", "S", 2, "2027-02-10")]);
    let messages: Vec<String> = check_plan(&inst, &plan)
        .into_iter()
        .map(|v| v.message)
        .collect();
    assert_eq!(
        messages,
        vec![
            "line 2 of suite S is dedicated to client Acme from 2027-02-01 until 2027-02-15; \
              program NOCLIENT (no client) is planned on it"
                .to_string()
        ]
    );
    // Acme's own program may use it.
    let plan = hand_plan(&inst, vec![suggestion("ACME-1", "S", 2, "2027-02-01")]);
    assert_eq!(check_plan(&inst, &plan), vec![]);
}

#[test]
fn the_checker_flags_programs_sharing_a_segregated_suite() {
    let inst = segregation_instance(Segregation::SameProgram);
    // PHARMA on A-1 from 1 February, GENE on A-2 from 10 February: they share 10-14 February.
    let plan = hand_plan(
        &inst,
        vec![
            suggestion("PHARMA", "A", 1, "2027-02-01"),
            suggestion("GENE", "A", 2, "2027-02-10"),
            suggestion("PHARMA", "B", 1, "2027-02-01"),
        ],
    );
    let messages: Vec<String> = check_plan(&inst, &plan)
        .into_iter()
        .map(|v| v.message)
        .collect();
    assert_eq!(
        messages,
        vec![
            "suite A is segregated same_program: programs PHARMA and GENE share it on \
              2027-02-10 (and 4 more days)"
                .to_string()
        ]
    );
    // Under same_client the clients are named.
    let inst = segregation_instance(Segregation::SameClient);
    let messages: Vec<String> = check_plan(&inst, &plan)
        .into_iter()
        .map(|v| v.message)
        .collect();
    assert_eq!(
        messages,
        vec![
            "suite A is segregated same_client: programs PHARMA (client Beta) and GENE \
              (client Delta) share it on 2027-02-10 (and 4 more days)"
                .to_string()
        ]
    );
    // Back to back is fine.
    let plan = hand_plan(
        &inst,
        vec![
            suggestion("PHARMA", "A", 1, "2027-02-01"),
            suggestion("GENE", "A", 2, "2027-02-15"),
        ],
    );
    assert_eq!(check_plan(&inst, &plan), vec![]);
}

// ---- The format ----

#[test]
fn an_instance_without_the_new_fields_reads_and_writes_as_before() {
    let text = r#"{"from": "2027-02-01", "to": "2027-03-01",
        "suites": [{"name": "S", "grade": "C", "lines": 1, "available_from": "2026-01-01"}],
        "programs": []}"#;
    let inst: Instance = serde_json::from_str(text).unwrap();
    assert_eq!(inst.suites[0].segregation, Segregation::Any);
    assert!(inst.suites[0].dedications.is_empty());
    let written = serde_json::to_value(&inst.suites[0]).unwrap();
    assert!(written.get("segregation").is_none() && written.get("dedications").is_none());
    // Every reference instance reads the same as before and writes back without the new keys.
    for name in [
        "example-generated",
        "road-tech-transfer-first",
        "pools-one-crew-two-suites",
    ] {
        let inst = load(name);
        let text = serde_json::to_string(&inst).unwrap();
        assert!(!text.contains("segregation") && !text.contains("dedications"));
        assert_eq!(serde_json::from_str::<Instance>(&text).unwrap(), inst);
    }
    // The new fields as written.
    let inst: Instance = serde_json::from_value(json!({
        "from": "2027-02-01", "to": "2027-03-01", "programs": [],
        "suites": [{"name": "S", "grade": "C", "lines": 2, "available_from": "2026-01-01",
                    "segregation": "same_client",
                    "dedications": [{"line": 2, "client": "Acme", "start": "2027-01-01"}]}]
    }))
    .unwrap();
    assert_eq!(inst.suites[0].segregation, Segregation::SameClient);
    assert_eq!(inst.suites[0].dedications[0].end, None);
    for g in Segregation::ALL {
        assert_eq!(Segregation::parse(g.as_str()), Some(g));
        assert_eq!(serde_json::to_value(g).unwrap(), json!(g.as_str()));
    }
    // A dedication of a line the suite does not have is refused.
    let mut bad = inst.clone();
    bad.suites[0].dedications[0].line = 3;
    assert!(solve(&bad, &opts(), &mut |_| {}).is_err());
}

// ---- The rules themselves, as the service's booking path calls them ----

#[test]
fn the_dedication_rule_opens_a_line_to_its_client_only() {
    use solver_models::calendar::{dedication_conflicts, may_use_line, Dedicated};
    // The service's way: clients by id (here integers), a dedication with an end and one
    // without, on different lines.
    let rules = [
        Dedicated {
            line: 2,
            client: 7u32,
            start: d("2027-01-01"),
            end: Some(d("2027-02-01")),
        },
        Dedicated {
            line: 3,
            client: 8u32,
            start: d("2027-01-15"),
            end: None,
        },
    ];
    // Line 1 is nobody's; line 2 is client 7's in January only; line 3 client 8's from the 15th.
    assert!(may_use_line(&rules, 1, None, d("2027-01-10")));
    assert!(may_use_line(&rules, 2, Some(&7), d("2027-01-10")));
    assert!(!may_use_line(&rules, 2, Some(&8), d("2027-01-10")));
    assert!(!may_use_line(&rules, 2, None, d("2027-01-31")));
    assert!(may_use_line(&rules, 2, Some(&8), d("2027-02-01")));
    assert!(may_use_line(&rules, 3, None, d("2027-01-14")));
    assert!(!may_use_line(&rules, 3, Some(&7), d("2099-01-01")));
    // A booking over [10 Jan, 20 Jan) on line 3 by client 7 meets the second dedication only.
    let hit = dedication_conflicts(&rules, 3, Some(&7), d("2027-01-10"), d("2027-01-20"));
    assert_eq!(hit, vec![&rules[1]]);
    assert!(dedication_conflicts(&rules, 3, Some(&7), d("2027-01-10"), d("2027-01-15")).is_empty());
    // Two dedications of one line to different clients over one day: nobody may use it.
    let both = [
        rules[0],
        Dedicated {
            client: 9,
            ..rules[0]
        },
    ];
    for c in [None, Some(&7), Some(&9)] {
        assert!(!may_use_line(&both, 2, c, d("2027-01-10")));
    }
}

#[test]
fn the_segregation_rule_keeps_one_party_per_day() {
    use solver_models::calendar::{may_share, party_of, segregation_conflicts, Occupant, Party};
    // Programs by name, clients by name (the service: both by id).
    let p =
        |g, program: &'static str, client: Option<&'static str>| party_of(g, Some(program), client);
    let (same_client, same_program) = (Segregation::SameClient, Segregation::SameProgram);
    assert_eq!(p(Segregation::Any, "P", Some("C")), None);
    assert_eq!(p(same_client, "P", Some("C")), Some(Party::Client("C")));
    assert_eq!(p(same_client, "P", None), Some(Party::Program("P")));
    assert_eq!(p(same_program, "P", Some("C")), Some(Party::Program("P")));
    assert_eq!(
        party_of::<&str, &str>(same_program, None, None),
        Some(Party::Nobody)
    );
    let share = |a: Option<Party<&str, &str>>, b: Option<Party<&str, &str>>| {
        may_share(&a.unwrap(), &b.unwrap())
    };
    // One client's two programs share under same_client, not under same_program.
    assert!(share(
        p(same_client, "P", Some("C")),
        p(same_client, "Q", Some("C"))
    ));
    assert!(!share(
        p(same_program, "P", Some("C")),
        p(same_program, "Q", Some("C"))
    ));
    // A program without a client is a client of its own.
    assert!(!share(p(same_client, "P", None), p(same_client, "Q", None)));
    assert!(!share(
        p(same_client, "P", None),
        p(same_client, "Q", Some("P"))
    ));
    // Nobody's occupant keeps every program out.
    assert!(!share(Some(Party::Nobody), p(same_client, "P", Some("C"))));
    // The booking path: who keeps a booking of P (client C) out of the suite over 10-20 Jan.
    let occ = |line, start: &str, end: &str| Occupant {
        line,
        start: d(start),
        end: d(end),
        tag: (),
    };
    // Another client's, overlapping on the 10th; the same client's; nobody's from the 20th (no
    // overlap).
    let occupants: Vec<(Occupant<()>, Party<&str, &str>)> = vec![
        (occ(1, "2027-01-01", "2027-01-11"), Party::Client("D")),
        (occ(2, "2027-01-05", "2027-01-25"), Party::Client("C")),
        (occ(3, "2027-01-20", "2027-01-30"), Party::Nobody),
    ];
    let hit = segregation_conflicts(
        &Party::Client("C"),
        &occupants,
        d("2027-01-10"),
        d("2027-01-20"),
    );
    assert_eq!(hit, vec![&occupants[0]]);
}
