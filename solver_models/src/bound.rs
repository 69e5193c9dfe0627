//! The day-level bound: the LP relaxation of the time-indexed model with the lines of each suite
//! pooled (one column per unit, suite and start day; per suite and day, the columns covering the
//! day use at most the number of lines free that day). Any day-level plan maps to a feasible
//! point with the same value (count its batches per suite and start day), so the LP optimum is a
//! proven upper bound. Measured on generated instances it is as tight as the per-line LP (which
//! DESIGN.md found within 0.8% of the optimum) and several times tighter than the monthly
//! rough-cut, while pooling lines and splitting by compatibility component keeps it fast.
//!
//! Pools: a column exists only at starts where the pools have room for its batch after the
//! bookings, and for each pool and day the columns could together overload there is a row
//! `Σ amount · x ≤ capacity left` (still a relaxation: a real batch is a column with the same
//! uses). Pools couple the suites they serve, so suites sharing a pool belong to one component.
//! A merged component too large for its LP is split back into its program-only components,
//! solved without the pool rows: dropping constraints keeps the bound valid, only weaker.

use crate::milp::{solve_mip, Limits};
use crate::model::{Occupancy, Prepared};
use good_lp::{highs, variable, Expression, ProblemVariables, SolverModel, Variable};
use std::collections::HashMap;
use std::time::Instant;

fn find(parent: &mut [usize], x: usize) -> usize {
    let mut r = x;
    while parent[r] != r {
        r = parent[r];
    }
    let mut y = x;
    while parent[y] != r {
        let next = parent[y];
        parent[y] = r;
        y = next;
    }
    r
}

/// Suites grouped into components that share no program and no pool a program draws on there
/// (independent sub-problems).
pub fn components(p: &Prepared) -> Vec<Vec<usize>> {
    components_by(p, true)
}

/// Suites grouped by shared programs only (pools ignored).
pub fn program_components(p: &Prepared) -> Vec<Vec<usize>> {
    components_by(p, false)
}

fn components_by(p: &Prepared, pools: bool) -> Vec<Vec<usize>> {
    let n = p.suite_lines.len();
    let mut parent: Vec<usize> = (0..n).collect();
    for prog in &p.progs {
        for w in prog.usable_suites.windows(2) {
            let (a, b) = (find(&mut parent, w[0]), find(&mut parent, w[1]));
            parent[a] = b;
        }
    }
    if pools && p.has_pools() {
        // A suite whose batches draw on a pool joins the pool's first such suite.
        let mut first: Vec<Option<usize>> = vec![None; p.pools.len()];
        for (pi, prog) in p.progs.iter().enumerate() {
            for &s in &prog.usable_suites {
                for u in p.suite_uses(pi, s) {
                    match first[u.pool] {
                        None => first[u.pool] = Some(s),
                        Some(f) => {
                            let (a, b) = (find(&mut parent, f), find(&mut parent, s));
                            parent[a] = b;
                        }
                    }
                }
            }
        }
    }
    let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
    for s in 0..n {
        let r = find(&mut parent, s);
        groups.entry(r).or_default().push(s);
    }
    let mut out: Vec<Vec<usize>> = groups.into_values().collect();
    out.sort();
    out
}

/// Estimated columns above which a component's LP is not attempted: such a component would not
/// finish within a plan's time and would only take the core LNS needs; it keeps its rough-cut
/// share. (The estimate counts every start day, so it overstates; medium's components fit.)
const MAX_COLUMNS: usize = 200_000;

/// Component index of each suite.
pub fn component_of(p: &Prepared) -> Vec<usize> {
    let mut out = vec![0; p.suite_lines.len()];
    for (c, suites) in components(p).iter().enumerate() {
        for s in suites {
            out[*s] = c;
        }
    }
    out
}

/// Upper bound on the planned weighted value (bookings excluded), or `None` when a component's
/// LP did not finish within the time limit.
pub fn pooled_lp(p: &Prepared, limits: Limits) -> Option<f64> {
    pooled_lp_parts(p, limits, &mut |_| {})
        .iter()
        .map(|x| x.1)
        .sum()
}

/// One component's suites and its pooled LP bound (`None`: not finished in time).
pub type Part = (Vec<usize>, Option<f64>);

/// The pooled LP bound per component, smallest components first: (suites of the component,
/// bound or `None` when its LP did not finish in time). `done` sees each part as it finishes.
pub fn pooled_lp_parts(p: &Prepared, limits: Limits, done: &mut dyn FnMut(&Part)) -> Vec<Part> {
    let mut parts = Vec::new();
    let t0 = Instant::now();
    let occ = Occupancy::new(p);
    let mut comps = components(p);
    comps.sort_by_key(|c| c.iter().map(|s| p.suite_lines[*s].len()).sum::<usize>());
    let sub = if p.has_pools() {
        program_components(p)
    } else {
        Vec::new()
    };
    for suites in &comps {
        let left = |t0: &Instant| limits.time_limit_s - t0.elapsed().as_secs_f64();
        let mut bound = None;
        if left(&t0) > 0.0 {
            if estimate(p, suites) <= MAX_COLUMNS {
                bound = component_lp(p, &occ, suites, true, limits, left(&t0));
            } else if p.has_pools() {
                // Too large with its pool rows: its program-only parts without them.
                let mut total = Some(0.0);
                for part in sub.iter().filter(|c| c.iter().all(|s| suites.contains(s))) {
                    let b = if estimate(p, part) <= MAX_COLUMNS && left(&t0) > 0.0 {
                        component_lp(p, &occ, part, false, limits, left(&t0))
                    } else {
                        None
                    };
                    total = total.zip(b).map(|(t, b)| t + b);
                    if total.is_none() {
                        break;
                    }
                }
                bound = total;
            }
        }
        let part = (suites.clone(), bound);
        done(&part);
        parts.push(part);
    }
    parts
}

/// Columns the component's LP would have (every start day counted: an overstatement).
fn estimate(p: &Prepared, suites: &[usize]) -> usize {
    p.units
        .iter()
        .enumerate()
        .filter(|(_, u)| u.remaining > 0)
        .map(|(i, u)| {
            let n = p.progs[u.prog]
                .usable_suites
                .iter()
                .filter(|s| suites.contains(s))
                .count();
            n * p.start_range(i).len()
        })
        .sum()
}

/// A column's term in a pool-day row: (column, amount, most the column can be).
type PoolTerm = (Variable, f64, f64);

/// The pooled LP of one component (with its pool rows when `pools`), `None` when it did not
/// finish within `left` seconds.
fn component_lp(
    p: &Prepared,
    occ: &Occupancy,
    suites: &[usize],
    pools: bool,
    limits: Limits,
    left: f64,
) -> Option<f64> {
    let mut vars = ProblemVariables::new();
    let mut objective = Expression::default();
    let mut per_unit: HashMap<usize, Vec<Variable>> = HashMap::new();
    let mut per_unit_suite: Vec<(f64, Vec<Variable>)> = Vec::new();
    // Per suite: (start, end, var).
    let mut per_suite: HashMap<usize, Vec<(usize, usize, Variable)>> = HashMap::new();
    // Per (pool, day): (var, amount, most the var can be).
    let mut per_pool_day: HashMap<(usize, usize), Vec<PoolTerm>> = HashMap::new();
    for (u, unit) in p.units.iter().enumerate() {
        if unit.remaining == 0 {
            continue;
        }
        let prog = &p.progs[unit.prog];
        for &s in prog.usable_suites.iter().filter(|s| suites.contains(s)) {
            let lines = &p.suite_lines[s];
            let uses = if pools {
                p.suite_uses(unit.prog, s)
            } else {
                &[]
            };
            let mut group = Vec::new();
            let mut fit = 0u32;
            let mut next_free = vec![0usize; lines.len()];
            for d in p.suite_starts(u, s) {
                if !occ.pools_fit(uses, d) {
                    continue;
                }
                let mut any = false;
                for (i, l) in lines.iter().enumerate() {
                    if occ.fits(*l, d, prog.len) {
                        any = true;
                        if d >= next_free[i] {
                            // Earliest-start packing per line: the most disjoint batches.
                            fit += 1;
                            next_free[i] = d + prog.len;
                        }
                    }
                }
                if any {
                    let v = vars.add(variable().min(0.0));
                    objective += unit.weight * v;
                    group.push(v);
                    per_suite.entry(s).or_default().push((d, d + prog.len, v));
                    for pu in uses {
                        per_pool_day
                            .entry((pu.pool, d + pu.offset))
                            .or_default()
                            .push((v, f64::from(pu.amount), lines.len() as f64));
                    }
                }
            }
            if !group.is_empty() {
                per_unit.entry(u).or_default().extend(group.iter().copied());
                per_unit_suite.push((fit as f64, group));
            }
        }
    }
    if per_unit.is_empty() {
        return Some(0.0);
    }
    let mut problem = vars.maximise(objective).using(highs);
    for (u, vs) in &per_unit {
        let sum: Expression = vs.iter().copied().sum();
        problem = problem.with(sum.leq(p.units[*u].remaining as f64));
    }
    for (fit, vs) in &per_unit_suite {
        let sum: Expression = vs.iter().copied().sum();
        problem = problem.with(sum.leq(*fit));
    }
    for (s, items) in &per_suite {
        let cap: Vec<usize> = (0..p.ext_days)
            .map(|t| p.suite_lines[*s].iter().filter(|l| p.free[**l][t]).count())
            .collect();
        let mut ends = vec![false; p.ext_days + 1];
        for (_, e, _) in items {
            ends[e - 1] = true;
        }
        let mut covering: Vec<Vec<Variable>> = vec![Vec::new(); p.ext_days];
        for (st, e, v) in items {
            for row in covering.iter_mut().take(*e).skip(*st) {
                row.push(*v);
            }
        }
        for t in 0..p.ext_days {
            // Row t is implied by row t+1 unless a column ends at t or capacity rises.
            let rises = t + 1 < p.ext_days && cap[t + 1] > cap[t];
            if !(ends[t] || rises) || covering[t].is_empty() {
                continue;
            }
            let sum: Expression = covering[t].iter().copied().sum();
            problem = problem.with(sum.leq(cap[t] as f64));
        }
    }
    // Pool rows where the columns could together take more than is left.
    let mut keys: Vec<(usize, usize)> = per_pool_day.keys().copied().collect();
    keys.sort_unstable();
    for key in keys {
        let items = &per_pool_day[&key];
        let left = f64::from(occ.pool_left[key.0][key.1]);
        if items.iter().map(|(_, a, most)| a * most).sum::<f64>() > left {
            let sum: Expression = items.iter().map(|(v, a, _)| *a * *v).sum();
            problem = problem.with(sum.leq(left));
        }
    }
    let out = solve_mip(
        problem,
        None,
        Limits {
            time_limit_s: left,
            solver: Some(
                std::env::var("SP_LP")
                    .ok()
                    .map(|s| if s == "ipm" { "ipm" } else { "simplex" })
                    .unwrap_or("ipm"),
            ),
            ..limits
        },
    );
    (out.status == "Optimal").then_some(out.objective)
}
