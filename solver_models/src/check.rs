//! An independent feasibility checker for plans. It re-reads the [`Instance`] with plain dates
//! and interval lists and shares nothing with the solver's prepared model or occupancy
//! calendars, so that a bug in those cannot certify itself. Only the scenario demand rule
//! (`demand::integer_demand`, the spec's own arithmetic) is shared.

use crate::demand::integer_demand;
use crate::plan::Plan;
use crate::types::{Instance, PhaseSuccess, Program, Suite};
use crate::Month;
use chrono::{Days, NaiveDate};
use std::collections::HashMap;

/// Occupied intervals of one (suite index, line): (start, end exclusive, what occupies it).
type Intervals = HashMap<(usize, u32), Vec<(NaiveDate, NaiveDate, String)>>;

#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// Index of the suggestion concerned, when there is one.
    pub suggestion: Option<usize>,
    pub message: String,
}

fn find<'a, T>(
    items: &'a [T],
    key: &str,
    id: impl Fn(&T) -> Option<&str>,
    name: impl Fn(&T) -> &str,
) -> Option<(usize, &'a T)> {
    items
        .iter()
        .enumerate()
        .find(|(_, x)| id(x) == Some(key))
        .or_else(|| items.iter().enumerate().find(|(_, x)| name(x) == key))
}

fn suite_by<'a>(inst: &'a Instance, key: &str) -> Option<(usize, &'a Suite)> {
    find(&inst.suites, key, |s| s.id.as_deref(), |s| s.name.as_str())
}

fn program_by<'a>(inst: &'a Instance, key: &str) -> Option<(usize, &'a Program)> {
    find(
        &inst.programs,
        key,
        |p| p.id.as_deref(),
        |p| p.name.as_str(),
    )
}

fn line_open(s: &Suite, line: u32, d: NaiveDate) -> bool {
    s.available_from <= d
        && s.available_to.map(|t| d < t).unwrap_or(true)
        && !s.closures.iter().any(|c| {
            c.start <= d
                && d < c.end
                && c.lines
                    .as_ref()
                    .map(|ls| ls.contains(&line))
                    .unwrap_or(true)
        })
}

fn usable(inst: &Instance, p: &Program, si: usize) -> bool {
    let s = &inst.suites[si];
    let caps = p
        .required_capabilities
        .iter()
        .all(|c| s.capabilities.contains(c));
    let grade = s.grade <= p.min_grade;
    let allowed = match &p.allowed_suites {
        None => true,
        Some(list) => list.iter().any(|r| {
            // A reference names this suite when it resolves to it (id first, then name).
            suite_by(inst, r).map(|(i, _)| i == si).unwrap_or(false)
        }),
    };
    caps && grade && allowed
}

/// Every way in which `plan` breaks the rules of DESIGN.md's planning problem for `inst`.
pub fn check_plan(inst: &Instance, plan: &Plan) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut bad = |i: Option<usize>, m: String| {
        out.push(Violation {
            suggestion: i,
            message: m,
        })
    };
    // Intervals per (suite index, line): (start, end, what).
    let mut intervals: Intervals = HashMap::new();
    for b in &inst.bookings {
        if let Some((si, _)) = suite_by(inst, &b.suite) {
            intervals.entry((si, b.line)).or_default().push((
                b.start,
                b.end,
                format!("booking {}..{}", b.start, b.end),
            ));
        }
    }
    let mut planned: HashMap<(usize, Month), u32> = HashMap::new();
    for (i, s) in plan.suggestions.iter().enumerate() {
        let Some((pi, p)) = program_by(inst, &s.program) else {
            bad(Some(i), format!("unknown program {}", s.program));
            continue;
        };
        let Some((si, suite)) = suite_by(inst, &s.suite) else {
            bad(Some(i), format!("unknown suite {}", s.suite));
            continue;
        };
        if s.line == 0 || s.line > suite.lines {
            bad(Some(i), format!("suite {} has no line {}", s.suite, s.line));
            continue;
        }
        let len = u64::from(p.batch_days + p.changeover_days);
        if s.start.checked_add_days(Days::new(len)) != Some(s.end) {
            bad(
                Some(i),
                format!("end {} is not start + batch + changeover", s.end),
            );
        }
        if Month::of(s.start) != s.month {
            bad(
                Some(i),
                format!("start {} is not in its month {}", s.start, s.month),
            );
        }
        if s.start < inst.from || s.start >= inst.to {
            bad(Some(i), format!("start {} outside the horizon", s.start));
        }
        if let Some(e) = p.earliest_start {
            if s.start < e {
                bad(
                    Some(i),
                    format!("start {} before earliest start {e}", s.start),
                );
            }
        }
        if !usable(inst, p, si) {
            bad(
                Some(i),
                format!("{} may not use suite {}", s.program, s.suite),
            );
        }
        let mut d = s.start;
        while d < s.end {
            if !line_open(suite, s.line, d) {
                bad(
                    Some(i),
                    format!("{} line {} not open on {d}", s.suite, s.line),
                );
                break;
            }
            match d.succ_opt() {
                Some(n) => d = n,
                None => break,
            }
        }
        intervals.entry((si, s.line)).or_default().push((
            s.start,
            s.end,
            format!("suggestion #{i}"),
        ));
        // A suggestion of a kind that makes no product occupies its line and serves nothing.
        if s.kind.serves_demand() {
            *planned.entry((pi, s.month)).or_default() += 1;
        }
    }
    for ((si, line), mut list) in intervals {
        list.sort();
        for pair in list.windows(2) {
            if pair[1].0 < pair[0].1 {
                bad(
                    None,
                    format!(
                        "{} line {line}: {} overlaps {}",
                        inst.suites[si].name, pair[0].2, pair[1].2
                    ),
                );
            }
        }
    }
    // Demand, bookings and the objective.
    let defaults = inst.phase_success.or(&PhaseSuccess::published_defaults());
    let mut served = 0.0;
    for (pi, p) in inst.programs.iter().enumerate() {
        let success = p.phase_success.unwrap_or_default().or(&defaults);
        let mut per_month: HashMap<Month, (u32, f64)> = HashMap::new();
        let mut phase_of: HashMap<Month, crate::types::Phase> = HashMap::new();
        for md in integer_demand(&p.forecast, p.phase, inst.scenario, &success) {
            let first = md.month.first_day();
            if first < inst.from || first >= inst.to {
                continue;
            }
            let ph = phase_of.entry(md.month).or_insert(md.phase);
            *ph = (*ph).max(md.phase);
            per_month.entry(md.month).or_default().0 += md.batches;
        }
        for (m, ph) in &phase_of {
            if let Some(e) = per_month.get_mut(m) {
                e.1 = inst.weights.of(*ph);
            }
        }
        let mut booked: HashMap<Month, u32> = HashMap::new();
        for b in &inst.bookings {
            let mine = b
                .serves()
                .and_then(|r| program_by(inst, r))
                .map(|(i, _)| i == pi)
                .unwrap_or(false);
            if mine && b.start >= inst.from && b.start < inst.to {
                *booked.entry(Month::of(b.start)).or_default() += 1;
            }
        }
        let mut months: Vec<Month> = per_month.keys().chain(booked.keys()).copied().collect();
        months.sort();
        months.dedup();
        for m in months
            .iter()
            .chain(planned.keys().filter(|k| k.0 == pi).map(|k| &k.1))
        {
            let (demand, _) = per_month.get(m).copied().unwrap_or((0, 0.0));
            let bk = booked.get(m).copied().unwrap_or(0);
            let pl = planned.get(&(pi, *m)).copied().unwrap_or(0);
            if pl > 0 && bk + pl > demand {
                bad(
                    None,
                    format!(
                        "{} {m}: booked {bk} + planned {pl} exceed demand {demand}",
                        p.name
                    ),
                );
            }
        }
        for m in months {
            let (demand, w) = per_month.get(&m).copied().unwrap_or((0, 0.0));
            let bk = booked.get(&m).copied().unwrap_or(0);
            let pl = planned.get(&(pi, m)).copied().unwrap_or(0);
            served += w * f64::from((bk + pl).min(demand));
        }
    }
    if (served - plan.served_weighted).abs() > 1e-6 {
        bad(
            None,
            format!(
                "served_weighted {} but the suggestions and bookings serve {served}",
                plan.served_weighted
            ),
        );
    }
    out
}
