//! Expansion advice: per class (required capabilities, minimum grade, site), the fewest extra
//! lines, open from `from_month` to the end of the calendar, that remove the class's `capacity`
//! shortfalls from `from_month` on.
//!
//! Method (sound, deliberately simple): the plan stays as it is; the class's short batches are
//! placed earliest-first on k identical virtual lines of the class (grade = the class's minimum
//! grade, capabilities = its required ones, no closures), for k = 1, 2, … until all fit. Each
//! reported k is therefore achievable as stated (the placement is a witness); it can overstate
//! the true minimum only when re-planning the existing suites together with the new lines would
//! pack better, which a later plan run with the new suite will show. Shortfalls in months before
//! `from_month` cannot be removed by building and are not counted.

use crate::model::Prepared;
use crate::plan::{Expansion, PlanOptions, Shortfall, ShortfallReason};
use crate::types::Grade;
use crate::Month;
use std::collections::BTreeMap;

type ClassKey = (Vec<String>, Grade, Option<String>);

pub fn advise(
    p: &Prepared,
    _batches: &[crate::model::Batch],
    shortfalls: &[Shortfall],
    opts: &PlanOptions,
) -> Vec<Expansion> {
    let Some(first) = p.months.first().copied() else {
        return Vec::new();
    };
    let mut from_month = Month::of(opts.today);
    for _ in 0..opts.expansion_lead_months {
        from_month = from_month.next();
    }
    let from_month = from_month.max(first);
    let Some(from_idx) = p.months.iter().position(|m| *m == from_month) else {
        return Vec::new();
    };
    let from_day = p.month_start[from_idx];
    // Class of each program; short batches per class as (unit, count).
    let mut classes: BTreeMap<ClassKey, Vec<(usize, u32)>> = BTreeMap::new();
    for sf in shortfalls {
        if sf.reason != ShortfallReason::Capacity || sf.month < from_month {
            continue;
        }
        let Some(pi) = p.progs.iter().position(|q| q.key == sf.program) else {
            continue;
        };
        let Some(mi) = p.months.iter().position(|m| *m == sf.month) else {
            continue;
        };
        let Some(u) = p.unit_of[pi][mi] else { continue };
        let prog = &p.progs[pi];
        let mut caps = prog.required_capabilities.clone();
        caps.sort();
        caps.dedup();
        let sites: Vec<Option<String>> = prog
            .usable_suites
            .iter()
            .map(|s| p.inst.suites[*s].site.clone())
            .collect();
        let site = match sites.first() {
            Some(first) if sites.iter().all(|s| s == first) => first.clone(),
            _ => None,
        };
        classes
            .entry((caps, prog.min_grade, site))
            .or_default()
            .push((u, sf.shortfall));
    }
    let mut out = Vec::new();
    for ((caps, grade, site), mut short) in classes {
        let total: u32 = short.iter().map(|x| x.1).sum();
        // Most valuable first, as a planner would fill a new suite.
        short.sort_by(|a, b| {
            let (ua, ub) = (&p.units[a.0], &p.units[b.0]);
            ua.month
                .cmp(&ub.month)
                .then(ub.weight.total_cmp(&ua.weight))
        });
        let mut best = None;
        for k in 1..=total.max(1) {
            let placed = place_on_virtual(p, &short, k as usize, from_day);
            if placed >= total {
                best = Some((k, placed));
                break;
            }
        }
        if let Some((k, placed)) = best {
            out.push(Expansion {
                capabilities: caps,
                min_grade: grade,
                site,
                from_month,
                extra_lines: k,
                serves_batches: placed,
            });
        }
    }
    out
}

/// Earliest-fit of the short batches on `k` virtual lines open from `from_day`.
fn place_on_virtual(p: &Prepared, short: &[(usize, u32)], k: usize, from_day: usize) -> u32 {
    let mut busy = vec![vec![false; p.ext_days]; k];
    let mut placed = 0;
    for &(u, n) in short {
        let len = p.progs[p.units[u].prog].len;
        for _ in 0..n {
            let mut slot = None;
            'search: for s in p.start_range(u).filter(|s| *s >= from_day) {
                for (l, cal) in busy.iter().enumerate() {
                    if s + len <= cal.len() && cal[s..s + len].iter().all(|b| !*b) {
                        slot = Some((l, s));
                        break 'search;
                    }
                }
            }
            match slot {
                Some((l, s)) => {
                    for b in &mut busy[l][s..s + len] {
                        *b = true;
                    }
                    placed += 1;
                }
                None => break,
            }
        }
    }
    placed
}
