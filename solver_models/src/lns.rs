//! Large-neighbourhood search for instances too big for one exact MILP: windows of whole months
//! (all batches of those months' demand units may move) restricted to a group of suites, each
//! re-optimised exactly by the time-indexed MILP with the rest of the plan fixed, starting from
//! the best plan so far. Whole-month windows make every window's demand rows exact (a unit's
//! batches all start in its month), so a window never trades one month against another blindly.
//! Pools: the fixed batches (other months, other suite groups) keep what they take from the
//! pools, and the window's pool rows use what is left; suites sharing a pool are ordered next to
//! each other (they form one component of [`crate::bound::components`]) so that they tend to
//! fall in the same group.

use crate::milp::Limits;
use crate::model::Occupancy;
use crate::model::{Batch, Prepared};
use crate::plan::{PlanOptions, Progress};
use crate::timeidx::{solve_window_packed, Window};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Binaries per window: big enough to untangle a month of one capability class, small enough
/// for HiGHS to prove in well under a second.
const WINDOW_VARS: usize = 6_000;

pub struct LnsOut {
    pub batches: Vec<Batch>,
    pub timed_out: bool,
}

/// Suite groups for the window `months`: suites ordered by capability class and packed so each
/// group stays under [`WINDOW_VARS`]. `rotate` shifts the packing between passes so that
/// neighbouring suites also get re-optimised together.
fn suite_groups(p: &Prepared, current: &[Batch], units: &[bool], rotate: usize) -> Vec<Vec<bool>> {
    let comp = crate::bound::component_of(p);
    let n_s = p.suite_lines.len();
    let mut order: Vec<usize> = (0..n_s).collect();
    let sig = |s: usize| {
        let su = &p.inst.suites[s];
        let mut caps = su.capabilities.clone();
        caps.sort();
        // Suites sharing programs first, so that a group is one sub-problem; with pools, a
        // site's suites together (its crew and lab are shared by all of them).
        let site = if p.has_pools() { su.site.clone() } else { None };
        (
            comp[s],
            site,
            caps,
            su.grade,
            su.site.clone(),
            su.name.clone(),
        )
    };
    order.sort_by_key(|s| sig(*s));
    if n_s > 0 {
        order.rotate_left(rotate % n_s);
    }
    // Binaries per suite, estimated once with every window batch lifted (an upper estimate).
    let mut occ = Occupancy::new(p);
    let mut planned = vec![0u32; p.units.len()];
    for b in current {
        planned[b.unit] += 1;
        if !units[b.unit] {
            occ.place(p, b);
        }
    }
    let mut per_suite = vec![0usize; n_s];
    let mut wanted = vec![false; n_s];
    for (u, unit) in p.units.iter().enumerate() {
        if !units[u] || unit.remaining == 0 {
            continue;
        }
        let prog = &p.progs[unit.prog];
        for &l in &prog.lines {
            let s = p.lines[l].suite;
            per_suite[s] += p
                .start_range(u)
                .filter(|d| occ.fits_batch(p, unit.prog, l, *d))
                .count();
            if planned[u] < unit.remaining {
                wanted[s] = true;
            }
        }
    }
    let mut groups = Vec::new();
    let mut cur = vec![false; p.lines.len()];
    let mut cur_n = 0;
    let mut cur_wanted = false;
    for s in order {
        if per_suite[s] == 0 {
            continue;
        }
        if cur_n > 0 && cur_n + per_suite[s] > WINDOW_VARS {
            if cur_wanted {
                groups.push(std::mem::replace(&mut cur, vec![false; p.lines.len()]));
            } else {
                cur = vec![false; p.lines.len()];
            }
            cur_n = 0;
            cur_wanted = false;
        }
        for l in &p.suite_lines[s] {
            cur[*l] = true;
        }
        cur_n += per_suite[s];
        cur_wanted |= wanted[s];
    }
    // A group no short unit may use cannot gain.
    if cur_n > 0 && cur_wanted {
        groups.push(cur);
    }
    groups
}

pub fn improve(
    p: &Prepared,
    start: Vec<Batch>,
    bound: &AtomicU64,
    opts: &PlanOptions,
    t0: &Instant,
    progress: &mut dyn FnMut(Progress),
) -> LnsOut {
    let mut best = start;
    let mut value = p.served_weighted(&best);
    let target = opts.mip_rel_gap.max(0.0);
    let left = || opts.time_limit_s - t0.elapsed().as_secs_f64();
    let done = |v: f64| {
        let b = f64::from_bits(bound.load(Ordering::SeqCst));
        (b - v) / b.max(1.0) <= target
    };
    let n_m = p.months.len();
    let mut pass = 0usize;
    let mut timed_out = false;
    // Spans grow when a pass finds nothing: 1 month, then 2, then 3.
    let mut span = 1usize;
    let mut last_report = Instant::now();
    while !done(value) {
        let mut gained = 0.0;
        // Windows with the most weighted unmet demand first: within a time limit that allows
        // less than a pass (large instances), the gain comes where most is missing.
        let mut missing = vec![0.0f64; n_m];
        {
            let mut planned = vec![0u32; p.units.len()];
            for b in &best {
                planned[b.unit] += 1;
            }
            for (u, unit) in p.units.iter().enumerate() {
                let short = unit.remaining.saturating_sub(planned[u]);
                let first = unit.month + 1 - span.min(unit.month + 1);
                for m in &mut missing[first..=unit.month] {
                    *m += unit.weight * f64::from(short);
                }
            }
        }
        let mut order: Vec<usize> = (0..n_m).collect();
        order.sort_by(|a, b| missing[*b].total_cmp(&missing[*a]).then(a.cmp(b)));
        for m0 in order {
            if left() <= 0.05 {
                timed_out = true;
                break;
            }
            let months = m0..(m0 + span).min(n_m);
            let units: Vec<bool> = p.units.iter().map(|u| months.contains(&u.month)).collect();
            // Only windows with unmet demand can gain.
            let mut planned = vec![0u32; p.units.len()];
            for b in &best {
                planned[b.unit] += 1;
            }
            let short = p
                .units
                .iter()
                .enumerate()
                .any(|(u, unit)| units[u] && planned[u] < unit.remaining);
            if !short {
                continue;
            }
            for lines in suite_groups(p, &best, &units, pass) {
                if left() <= 0.05 {
                    timed_out = true;
                    break;
                }
                let w = Window {
                    units: units.clone(),
                    lines,
                };
                let limits = Limits {
                    time_limit_s: left().min(5.0),
                    mip_rel_gap: 1e-4,
                    threads: opts.threads,
                    solver: None,
                };
                let tw = Instant::now();
                let r = solve_window_packed(p, &best, &w, limits);
                if std::env::var("SP_DEBUG").is_ok() {
                    eprintln!(
                        "    window months {months:?}: {} vars, {:.2}s, gain {}, {}",
                        r.n_vars,
                        tw.elapsed().as_secs_f64(),
                        r.gain,
                        r.outcome.status
                    );
                }
                // Never worse; with no gain it may still pack earlier.
                best = r.batches;
                value += r.gain;
                gained += r.gain;
                // A gain is reported at most once a second, so that a long pass shows progress.
                if r.gain > 0.0 && last_report.elapsed().as_secs_f64() >= 1.0 {
                    last_report = Instant::now();
                    progress(Progress {
                        stage: "lns",
                        message: format!("pass {pass}, months {months:?}: incumbent {value:.1}"),
                        incumbent: Some(value),
                        bound: Some(f64::from_bits(bound.load(Ordering::SeqCst))),
                    });
                }
            }
            if done(value) {
                break;
            }
        }
        progress(Progress {
            stage: "lns",
            message: format!("pass {pass} (windows of {span} month(s)): incumbent {value:.1}"),
            incumbent: Some(value),
            bound: Some(f64::from_bits(bound.load(Ordering::SeqCst))),
        });
        if timed_out || done(value) {
            break;
        }
        pass += 1;
        if gained <= 0.0 {
            if span >= 3 || span >= n_m {
                break;
            }
            span += 1;
        }
    }
    LnsOut {
        batches: best,
        timed_out,
    }
}
