//! The time-indexed MILP at day resolution: one binary per feasible (demand unit, line, start
//! day). Solved whole it is the exact model (the reference for small instances); restricted to
//! a window (some units, some lines, everything else fixed) it is the large-neighbourhood step
//! of the planner.
//!
//! Pools: a column exists only where its line is free and every pool it draws on has room on
//! each of its days (after the bookings and the fixed batches outside the window); for each pool
//! and day that the window's columns could together overload, a cumulative row
//! `Σ amount · x ≤ capacity left` keeps them within it.
//!
//! Dedicated lines filter columns: a column exists only where the line is open to the program's
//! client on every day of the batch. Segregated suites filter too (no column shares a day with
//! a booking, road step or fixed batch of another party), and where columns of several parties
//! cover a day of a segregated suite, binaries `z[q]` per party with
//! `Σ_{q's columns covering the day} x ≤ lines · z[q]` (lines: those the party's columns there
//! use) and `Σ_q z[q] ≤ 1` keep one party on the day. Rows are needed only at days where some
//! column ends: every column covering a day also covers the first such day after it.

use crate::milp::{solve_mip_from, Limits, Outcome};
use crate::model::{Batch, Occupancy, Prepared};
use good_lp::{highs, variable, Expression, ProblemVariables, SolverModel, Variable};
use std::collections::HashMap;

/// Which batches may move: those of `units[u]` on `lines[l]`. Everything else stays put.
pub struct Window {
    pub units: Vec<bool>,
    pub lines: Vec<bool>,
}

impl Window {
    pub fn everything(p: &Prepared) -> Window {
        Window {
            units: vec![true; p.units.len()],
            lines: vec![true; p.lines.len()],
        }
    }
}

pub struct WindowResult {
    /// The whole plan (fixed part + re-optimised part).
    pub batches: Vec<Batch>,
    /// Weighted value gained inside the window by the new plan over the old one.
    pub gain: f64,
    /// Proven bound on the window's value; with an all-covering window, on the whole plan
    /// minus the bookings' value.
    pub window_bound: f64,
    pub window_value: f64,
    pub outcome: Outcome,
    pub n_vars: usize,
}

/// Number of binaries the window would have (to decide whether it is worth building).
pub fn count_vars(p: &Prepared, current: &[Batch], w: &Window) -> usize {
    let occ = fixed_occupancy(p, current, w);
    let mut n = 0;
    for (u, unit) in p.units.iter().enumerate() {
        if !w.units[u] || unit.remaining == 0 {
            continue;
        }
        let prog = &p.progs[unit.prog];
        for &l in prog.lines.iter().filter(|l| w.lines[**l]) {
            n += p
                .start_range(u)
                .filter(|s| occ.fits_batch(p, unit.prog, l, *s))
                .count();
        }
    }
    n
}

fn movable(w: &Window, b: &Batch) -> bool {
    w.units[b.unit] && w.lines[b.line]
}

fn fixed_occupancy(p: &Prepared, current: &[Batch], w: &Window) -> Occupancy {
    let mut occ = Occupancy::new(p);
    for b in current.iter().filter(|b| !movable(w, b)) {
        occ.place(p, b);
    }
    occ
}

/// Re-optimises the window exactly (up to the limits), starting from `current`. The result is
/// never worse than `current`.
pub fn solve_window(p: &Prepared, current: &[Batch], w: &Window, limits: Limits) -> WindowResult {
    solve_window_as(p, current, w, limits, false, false)
}

/// [`solve_window`] with the advisory earlier-start tie-break, for LNS: the value is the same,
/// the batches pack left. Its dual bound includes the tie-break and is not reported.
pub fn solve_window_packed(
    p: &Prepared,
    current: &[Batch],
    w: &Window,
    limits: Limits,
) -> WindowResult {
    solve_window_as(p, current, w, limits, false, true)
}

/// Bound from the LP relaxation of the window (everything window: of the whole problem, minus
/// the bookings' value). Strong (DESIGN.md measured 0.8%) but large.
pub fn lp_bound(p: &Prepared, w: &Window, limits: Limits) -> f64 {
    let r = solve_window_as(p, &[], w, limits, true, false);
    if r.outcome.status == "Optimal" {
        r.outcome.objective
    } else {
        f64::INFINITY
    }
}

/// The columns of a window's MILP and the rows over them, by column index: what
/// [`solve_window`] optimises and what expansion advice re-plans with new lines
/// ([`crate::expansion`]).
pub(crate) struct Columns {
    /// Per unit, its batches outside the window.
    pub fixed_count: Vec<u32>,
    /// One column per feasible (unit, line, start) inside the window.
    pub cols: Vec<Batch>,
    /// Per unit with columns: their indices.
    pub by_unit: Vec<(usize, Vec<usize>)>,
    /// Per line with columns: its clique rows (the columns covering one day, at each day where
    /// some batch ends; such a row dominates those of the days before it).
    pub cliques: Vec<(usize, Vec<Vec<usize>>)>,
    /// Pool-day rows, only where the columns could together take more than is left:
    /// (column, amount) and what is left.
    pub pool_rows: Vec<(Vec<(usize, f64)>, f64)>,
    /// Segregation rows, one per (segregated suite, day) that columns of several parties cover:
    /// per party, its covering columns and the lines they use. Each party gets a binary `z`
    /// (in this order, see [`n_party_vars`](Self::n_party_vars)).
    pub seg_rows: Vec<Vec<(Vec<usize>, f64)>>,
}

impl Columns {
    /// The window's columns: where a unit's line is free for the whole batch, its start serves
    /// its month (and follows its road), and every pool it draws on has room.
    pub fn of(p: &Prepared, current: &[Batch], w: &Window) -> Columns {
        let occ = fixed_occupancy(p, current, w);
        let mut fixed_count = vec![0u32; p.units.len()];
        for b in current.iter().filter(|b| !movable(w, b)) {
            fixed_count[b.unit] += 1;
        }
        let mut cols: Vec<Batch> = Vec::new();
        let mut by_unit: Vec<(usize, Vec<usize>)> = Vec::new();
        let mut by_line: HashMap<usize, Vec<(usize, usize, usize)>> = HashMap::new();
        let mut by_pool_day: HashMap<(usize, usize), Vec<(usize, u32)>> = HashMap::new();
        let mut by_suite: HashMap<usize, Vec<SegCol>> = HashMap::new();
        for (u, unit) in p.units.iter().enumerate() {
            if !w.units[u] || unit.remaining.saturating_sub(fixed_count[u]) == 0 {
                continue;
            }
            let prog = &p.progs[unit.prog];
            let mut mine = Vec::new();
            for &l in prog.lines.iter().filter(|l| w.lines[**l]) {
                let uses = p.batch_uses(unit.prog, l);
                let suite = p.lines[l].suite;
                let party = p.party_in(prog.program, suite);
                for s in p.suite_starts(u, suite) {
                    if !occ.room(p, unit.prog, l, s) || !occ.pools_fit(uses, s) {
                        continue;
                    }
                    let c = cols.len();
                    for pu in uses {
                        by_pool_day
                            .entry((pu.pool, s + pu.offset))
                            .or_default()
                            .push((c, pu.amount));
                    }
                    cols.push(Batch {
                        unit: u,
                        line: l,
                        start: s,
                    });
                    mine.push(c);
                    by_line.entry(l).or_default().push((s, s + prog.len, c));
                    if let Some(q) = party {
                        by_suite
                            .entry(suite)
                            .or_default()
                            .push((s, s + prog.len, q, l, c));
                    }
                }
            }
            if !mine.is_empty() {
                by_unit.push((u, mine));
            }
        }
        let mut cliques: Vec<(usize, Vec<Vec<usize>>)> = by_line
            .into_iter()
            .map(|(l, items)| {
                let mut ends: Vec<usize> = items.iter().map(|(_, e, _)| e - 1).collect();
                ends.sort_unstable();
                ends.dedup();
                let rows = ends
                    .into_iter()
                    .map(|t| {
                        items
                            .iter()
                            .filter(|(s, e, _)| *s <= t && t < *e)
                            .map(|(_, _, c)| *c)
                            .collect()
                    })
                    .collect();
                (l, rows)
            })
            .collect();
        cliques.sort_unstable_by_key(|(l, _)| *l);
        let mut pool_rows = Vec::new();
        let mut keys: Vec<(usize, usize)> = by_pool_day.keys().copied().collect();
        keys.sort_unstable();
        for key in keys {
            let items = &by_pool_day[&key];
            let left = occ.pool_left[key.0][key.1];
            let most: u64 = items.iter().map(|(_, a)| u64::from(*a)).sum();
            if most > u64::from(left) {
                let row = items.iter().map(|(c, a)| (*c, f64::from(*a))).collect();
                pool_rows.push((row, f64::from(left)));
            }
        }
        Columns {
            fixed_count,
            cols,
            by_unit,
            cliques,
            pool_rows,
            seg_rows: seg_rows(by_suite),
        }
    }

    /// Party binaries the segregation rows need (callers add them after their own variables).
    pub fn n_party_vars(&self) -> usize {
        self.seg_rows.iter().map(Vec::len).sum()
    }

    /// The party binaries' values for column values `x` (a party is on where one of its
    /// covering columns is).
    pub fn party_start(&self, x: &[f64]) -> Vec<f64> {
        self.seg_rows
            .iter()
            .flatten()
            .map(|(ix, _)| {
                let on = ix.iter().any(|i| x.get(*i).is_some_and(|v| *v > 0.5));
                if on {
                    1.0
                } else {
                    0.0
                }
            })
            .collect()
    }

    /// The window's rows over the columns `xs` (in `cols` order): each unit at most what it
    /// may still take, each line's clique rows (but for the lines `own` says the caller rows
    /// itself), the pool-day rows and the segregation rows over the party binaries `zs`
    /// ([`n_party_vars`](Self::n_party_vars) of them, in `seg_rows` order).
    pub fn add_rows(
        &self,
        p: &Prepared,
        problem: &mut good_lp::solvers::highs::HighsProblem,
        xs: &[Variable],
        zs: &[Variable],
        own: &dyn Fn(usize) -> bool,
    ) {
        for (u, ix) in &self.by_unit {
            let cap = self.cap(p, *u);
            if ix.len() as u32 > cap {
                let sum: Expression = ix.iter().map(|i| xs[*i]).sum();
                problem.add_constraint(sum.leq(f64::from(cap)));
            }
        }
        for (_, rows) in self.cliques.iter().filter(|(l, _)| !own(*l)) {
            for covering in rows.iter().filter(|c| c.len() >= 2) {
                let sum: Expression = covering.iter().map(|i| xs[*i]).sum();
                problem.add_constraint(sum.leq(1.0));
            }
        }
        for (ix, ub) in &self.pool_rows {
            let sum: Expression = ix.iter().map(|(i, a)| *a * xs[*i]).sum();
            problem.add_constraint(sum.leq(*ub));
        }
        let mut z = zs.iter();
        for row in &self.seg_rows {
            let mut one = Expression::default();
            for (ix, lines) in row {
                let Some(zq) = z.next() else { return };
                let sum: Expression = ix.iter().map(|i| xs[*i]).sum();
                problem.add_constraint((sum - *lines * *zq).leq(0.0));
                one += *zq;
            }
            problem.add_constraint(one.leq(1.0));
        }
    }

    /// What unit `u` may still take inside the window.
    pub fn cap(&self, p: &Prepared, u: usize) -> u32 {
        p.units[u].remaining.saturating_sub(self.fixed_count[u])
    }
}

/// A column in a segregated suite: (start, end, party, line, column index).
type SegCol = (usize, usize, u32, usize, usize);

/// The segregation rows of [`Columns`] from each segregated suite's columns
/// `(start, end, party, line, column)`: at each day where some column ends, the covering
/// columns by party, when there are several parties. Suites in index order, days ascending.
fn seg_rows(by_suite: HashMap<usize, Vec<SegCol>>) -> Vec<Vec<(Vec<usize>, f64)>> {
    let mut suites: Vec<_> = by_suite.into_iter().collect();
    suites.sort_unstable_by_key(|(s, _)| *s);
    let mut rows = Vec::new();
    for (_, items) in suites {
        let mut ends: Vec<usize> = items.iter().map(|(_, e, ..)| e - 1).collect();
        ends.sort_unstable();
        ends.dedup();
        for t in ends {
            // Party → (columns, lines), parties in first-seen order.
            let mut parties: Vec<(u32, Vec<usize>, Vec<usize>)> = Vec::new();
            for &(s, e, q, l, c) in &items {
                if s <= t && t < e {
                    let i = match parties.iter().position(|x| x.0 == q) {
                        Some(i) => i,
                        None => {
                            parties.push((q, Vec::new(), Vec::new()));
                            parties.len() - 1
                        }
                    };
                    parties[i].1.push(c);
                    if !parties[i].2.contains(&l) {
                        parties[i].2.push(l);
                    }
                }
            }
            if parties.len() >= 2 {
                rows.push(
                    parties
                        .into_iter()
                        .map(|(_, cols, lines)| (cols, lines.len() as f64))
                        .collect(),
                );
            }
        }
    }
    rows
}

fn solve_window_as(
    p: &Prepared,
    current: &[Batch],
    w: &Window,
    limits: Limits,
    relax: bool,
    pack: bool,
) -> WindowResult {
    let cs = Columns::of(p, current, w);
    // Advisory tie-break (DESIGN.md: earlier starts): a penalty per day after the month's first
    // day, scaled so that all of them together stay below half the smallest weight and never
    // trade a served batch for an earlier start. Packing left also leaves the later months'
    // windows more room.
    let slots: u32 = p
        .units
        .iter()
        .enumerate()
        .filter(|(u, _)| w.units[*u])
        .map(|(u, _)| cs.cap(p, u))
        .sum();
    let min_weight = p
        .units
        .iter()
        .map(|u| u.weight)
        .filter(|w| *w > 0.0)
        .fold(f64::INFINITY, f64::min);
    let tiebreak = if relax || !pack || !min_weight.is_finite() {
        0.0
    } else {
        0.5 * min_weight / (32.0 * f64::from(slots.max(1)))
    };
    let cols = &cs.cols;
    let n_vars = cols.len();
    let n_z = cs.n_party_vars();
    // The party binaries follow the columns and carry no objective.
    let coef: Vec<f64> = cols
        .iter()
        .map(|b| {
            let unit = &p.units[b.unit];
            unit.weight - tiebreak * (b.start - p.month_start[unit.month]) as f64
        })
        .chain(std::iter::repeat_n(0.0, n_z))
        .collect();
    let old_window: Vec<Batch> = current.iter().filter(|b| movable(w, b)).copied().collect();
    let window_value: f64 = old_window.iter().map(|b| p.units[b.unit].weight).sum();
    let fixed: Vec<Batch> = current.iter().filter(|b| !movable(w, b)).copied().collect();
    if n_vars == 0 {
        return WindowResult {
            batches: current.to_vec(),
            gain: 0.0,
            window_bound: window_value,
            window_value,
            outcome: Outcome {
                values: None,
                objective: 0.0,
                dual_bound: 0.0,
                status: "empty".into(),
            },
            n_vars,
        };
    }
    let make = || {
        let mut vars = ProblemVariables::new();
        let xs: Vec<Variable> = (0..n_vars)
            .map(|_| {
                if relax {
                    vars.add(variable().clamp(0.0, 1.0))
                } else {
                    vars.add(variable().binary())
                }
            })
            .collect();
        let zs: Vec<Variable> = (0..n_z)
            .map(|_| {
                if relax {
                    vars.add(variable().clamp(0.0, 1.0))
                } else {
                    vars.add(variable().binary())
                }
            })
            .collect();
        let objective: Expression = xs.iter().zip(&coef).map(|(x, c)| *c * *x).sum();
        let mut problem: good_lp::solvers::highs::HighsProblem =
            vars.maximise(objective).using(highs);
        cs.add_rows(p, &mut problem, &xs, &zs, &|_| false);
        problem
    };
    let index: HashMap<Batch, usize> = cols.iter().enumerate().map(|(i, b)| (*b, i)).collect();
    let mut start = vec![0.0; n_vars];
    for b in &old_window {
        if let Some(i) = index.get(b) {
            start[*i] = 1.0;
        }
    }
    let parties_on = cs.party_start(&start);
    start.extend(parties_on);
    let outcome = solve_mip_from(make, &start, &coef, limits);
    let mut batches = current.to_vec();
    let mut gain = 0.0;
    if relax {
        return WindowResult {
            batches,
            gain,
            window_bound: outcome.objective,
            window_value,
            outcome,
            n_vars,
        };
    }
    if let Some(values) = &outcome.values {
        let new_window: Vec<Batch> = cols
            .iter()
            .zip(values)
            .filter(|(_, x)| **x > 0.5)
            .map(|(b, _)| *b)
            .collect();
        let new_value: f64 = new_window.iter().map(|b| p.units[b.unit].weight).sum();
        let starts = |bs: &[Batch]| bs.iter().map(|b| b.start).sum::<usize>();
        let earlier = new_value >= window_value - 1e-9 && starts(&new_window) < starts(&old_window);
        if new_value > window_value + 1e-9 || earlier {
            gain = (new_value - window_value).max(0.0);
            batches = fixed;
            batches.extend(new_window);
        }
    }
    WindowResult {
        batches,
        gain,
        window_bound: outcome.dual_bound.max(window_value + gain),
        window_value,
        outcome,
        n_vars,
    }
}
