//! The rough-cut capacity model: batches per (demand unit, suite) against free line-days per
//! (suite, month). Its LP relaxation (or its MIP dual bound) is a proven upper bound on the
//! day-level problem because every batch's line-days are charged to the months it really
//! occupies:
//!
//! a batch of length L starting on day d of month m occupies `L − j` days of m and `j` days of
//! m + 1, where j is its spill. When `L ≤ 28` every such pattern lies on the segment between the
//! smallest and the largest spill among the unit's feasible starts on that suite, so two columns
//! per (unit, suite) — mixed continuously — represent every real batch. Longer batches get one
//! column per distinct pattern. Any day-level plan therefore maps to a feasible point of this
//! model with the same objective.
//!
//! The capacity rows' duals are the shadow prices (weighted batches per extra line-day; times the
//! days of the month = per extra line in that suite-month).
//!
//! Pools: columns exist only at starts where the pools have room after the bookings, and a row
//! per (pool, bucket) keeps the batches' uses within the capacity left over the bucket's days,
//! each batch charged to the buckets its need days really fall in. A column is then a joint
//! pattern (line-days per bucket, pool uses per bucket): for programs drawing on pools every
//! distinct joint pattern of the unit's feasible starts gets its own column (the two-extremes
//! shortcut above holds for line-days alone, not for uses at arbitrary offsets), so every real
//! batch is still exactly a column and the bound stays valid. The pool rows' duals, times the
//! pool's working days in the month, are the pool shadow prices (weighted batches per extra unit
//! of capacity on each working day of the month).

use crate::milp::{solve_mip, Limits};
use crate::model::{Occupancy, Prepared};
use crate::Month;
use good_lp::{
    highs, variable, Constraint, Expression, ProblemVariables, Solution, SolutionWithDual,
    SolverModel, Variable,
};
use std::collections::HashMap;

/// Month buckets covering the whole calendar (horizon plus spill after `to`).
pub struct Buckets {
    /// Day index of each bucket's first day, plus a final entry = `ext_days`.
    pub start: Vec<usize>,
}

impl Buckets {
    pub fn new(p: &Prepared) -> Buckets {
        let mut start = p.month_start[..p.months.len()].to_vec();
        let mut m = p
            .months
            .last()
            .map(|m| m.next())
            .unwrap_or(Month::of(p.from));
        let mut d = p.n_days;
        while d < p.ext_days {
            start.push(d);
            d += m.days() as usize;
            m = m.next();
        }
        start.push(p.ext_days);
        Buckets { start }
    }
    pub fn len(&self) -> usize {
        self.start.len() - 1
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn of(&self, day: usize) -> usize {
        self.start.partition_point(|s| *s <= day).saturating_sub(1)
    }
    /// Days of `[s, s + len)` falling in each bucket, as (bucket, days).
    pub fn pattern(&self, s: usize, len: usize) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let end = s + len;
        let mut b = self.of(s);
        while b < self.len() && self.start[b] < end {
            let lo = self.start[b].max(s);
            let hi = self.start[b + 1].min(end);
            if hi > lo {
                out.push((b, hi - lo));
            }
            b += 1;
        }
        out
    }
}

/// Line-days per bucket, as (bucket, days).
type Pattern = Vec<(usize, usize)>;
/// Pool uses per bucket, as (pool, bucket, amount).
type Uses = Vec<(usize, usize, u32)>;

/// One column: a batch shape of unit `unit` on suite `suite`.
struct Col {
    unit: usize,
    suite: usize,
    pattern: Vec<(usize, usize)>,
    /// (pool, bucket, amount) summed over the need days in the bucket.
    uses: Vec<(usize, usize, u32)>,
}

pub struct RoughCut {
    /// Upper bound on the planned weighted value (bookings excluded).
    pub bound: f64,
    /// (suite, horizon month index, weighted batches per extra line).
    pub shadow: Vec<(usize, usize, f64)>,
    pub status: String,
    /// The bound's share per suite: the LP is block-diagonal by compatibility component (pools
    /// merge the components they couple, see [`crate::bound::components`]), so summing a
    /// component's suites gives that component's own bound.
    pub per_suite: Vec<f64>,
    /// (pool, horizon month index, weighted batches per extra unit of capacity on each of the
    /// pool's working days in the month).
    pub pool_shadow: Vec<(usize, usize, f64)>,
}

struct Built {
    vars: ProblemVariables,
    cols: Vec<(Col, Variable)>,
    objective: Expression,
    rows: Vec<Constraint>,
    /// (row index, suite, bucket) of the line-day capacity rows.
    cap_rows: Vec<(usize, usize, usize)>,
    /// (row index, pool, bucket) of the pool rows.
    pool_rows: Vec<(usize, usize, usize)>,
    /// Per (unit, suite): its columns, for the integer count.
    groups: HashMap<(usize, usize), Vec<Variable>>,
}

/// Greatest number of disjoint batches of `unit` that fit on one line (earliest-end greedy is
/// optimal for equal-length intervals).
fn max_disjoint(p: &Prepared, occ: &Occupancy, u: usize, line: usize) -> u32 {
    let prog = p.units[u].prog;
    let len = p.progs[prog].len;
    let mut n = 0;
    let mut next_free = 0;
    for s in p.start_range(u) {
        if s >= next_free && occ.fits_batch(p, prog, line, s) {
            n += 1;
            next_free = s + len;
        }
    }
    n
}

fn build(p: &Prepared, buckets: &Buckets) -> Built {
    let occ = Occupancy::new(p);
    let mut vars = ProblemVariables::new();
    let mut cols = Vec::new();
    let mut objective = Expression::default();
    let mut rows = Vec::new();
    let mut groups: HashMap<(usize, usize), Vec<Variable>> = HashMap::new();
    let mut per_unit: Vec<Vec<Variable>> = vec![Vec::new(); p.units.len()];
    for (u, unit) in p.units.iter().enumerate() {
        if unit.remaining == 0 {
            continue;
        }
        let prog = &p.progs[unit.prog];
        let len = prog.len;
        for &s in &prog.usable_suites {
            let lines = &p.suite_lines[s];
            let uses = p.suite_uses(unit.prog, s);
            let starts: Vec<usize> = p
                .start_range(u)
                .filter(|d| lines.iter().any(|l| occ.fits(*l, *d, len)) && occ.pools_fit(uses, *d))
                .collect();
            if starts.is_empty() {
                continue;
            }
            let mut patterns: Vec<(Pattern, Uses)> = starts
                .iter()
                .map(|d| (buckets.pattern(*d, len), charges(buckets, uses, *d)))
                .collect();
            patterns.sort();
            patterns.dedup();
            if uses.is_empty() && len <= 28 && patterns.len() > 2 {
                // Spill in the following month; the two extremes span all the others.
                let spill = |pt: &(Vec<(usize, usize)>, _)| pt.0.get(1).map(|x| x.1).unwrap_or(0);
                let lo = patterns.iter().min_by_key(|pt| spill(pt)).cloned();
                let hi = patterns.iter().max_by_key(|pt| spill(pt)).cloned();
                patterns = lo.into_iter().chain(hi).collect();
            }
            let fit: u32 = lines.iter().map(|l| max_disjoint(p, &occ, u, *l)).sum();
            let mut group = Vec::new();
            for (pattern, uses) in patterns {
                let v = vars.add(variable().min(0.0));
                objective += unit.weight * v;
                group.push(v);
                per_unit[u].push(v);
                cols.push((
                    Col {
                        unit: u,
                        suite: s,
                        pattern,
                        uses,
                    },
                    v,
                ));
            }
            let sum: Expression = group.iter().copied().sum();
            rows.push(sum.leq(fit as f64));
            groups.insert((u, s), group);
        }
    }
    for (u, vs) in per_unit.iter().enumerate() {
        if !vs.is_empty() {
            let sum: Expression = vs.iter().copied().sum();
            rows.push(sum.leq(p.units[u].remaining as f64));
        }
    }
    // Capacity rows per (suite, bucket).
    let mut charges: HashMap<(usize, usize), Expression> = HashMap::new();
    for (c, v) in &cols {
        for (b, days) in &c.pattern {
            *charges.entry((c.suite, *b)).or_default() += *days as f64 * *v;
        }
    }
    let mut keys: Vec<(usize, usize)> = charges.keys().copied().collect();
    keys.sort_unstable();
    let mut cap_rows = Vec::new();
    for key in keys {
        let (s, b) = key;
        let cap: usize = p.suite_lines[s]
            .iter()
            .map(|l| {
                p.free[*l][buckets.start[b]..buckets.start[b + 1]]
                    .iter()
                    .filter(|f| **f)
                    .count()
            })
            .sum();
        if let Some(expr) = charges.remove(&key) {
            cap_rows.push((rows.len(), s, b));
            rows.push(expr.leq(cap as f64));
        }
    }
    // Pool rows per (pool, bucket).
    let mut pool_charges: HashMap<(usize, usize), Expression> = HashMap::new();
    for (c, v) in &cols {
        for (pool, b, amount) in &c.uses {
            *pool_charges.entry((*pool, *b)).or_default() += f64::from(*amount) * *v;
        }
    }
    let mut keys: Vec<(usize, usize)> = pool_charges.keys().copied().collect();
    keys.sort_unstable();
    let mut pool_rows = Vec::new();
    for key in keys {
        let (pool, b) = key;
        let cap: u64 = occ.pool_left[pool][buckets.start[b]..buckets.start[b + 1]]
            .iter()
            .map(|x| u64::from(*x))
            .sum();
        if let Some(expr) = pool_charges.remove(&key) {
            pool_rows.push((rows.len(), pool, b));
            rows.push(expr.leq(cap as f64));
        }
    }
    Built {
        vars,
        cols,
        objective,
        rows,
        cap_rows,
        pool_rows,
        groups,
    }
}

/// A batch's pool uses from `start`, summed per (pool, bucket) and sorted.
fn charges(
    buckets: &Buckets,
    uses: &[crate::model::PoolUse],
    start: usize,
) -> Vec<(usize, usize, u32)> {
    let mut out: Vec<(usize, usize, u32)> = Vec::new();
    for u in uses {
        let key = (u.pool, buckets.of(start + u.offset));
        match out.iter_mut().find(|x| (x.0, x.1) == key) {
            Some(x) => x.2 = x.2.saturating_add(u.amount),
            None => out.push((key.0, key.1, u.amount)),
        }
    }
    out.sort_unstable();
    out
}

/// LP relaxation: bound and shadow prices.
pub fn lp(p: &Prepared) -> RoughCut {
    let buckets = Buckets::new(p);
    let built = build(p, &buckets);
    if built.cols.is_empty() {
        return RoughCut {
            bound: 0.0,
            shadow: Vec::new(),
            status: "empty".into(),
            per_suite: vec![0.0; p.suite_lines.len()],
            pool_shadow: Vec::new(),
        };
    }
    let n_rows = built.rows.len();
    let mut problem = built.vars.maximise(built.objective).using(highs);
    let mut refs = Vec::with_capacity(n_rows);
    for r in built.rows {
        refs.push(problem.add_constraint(r));
    }
    match problem.solve() {
        Ok(mut sol) => {
            let bound: f64 = built
                .cols
                .iter()
                .map(|(c, v)| p.units[c.unit].weight * sol.value(*v))
                .sum();
            let mut per_suite = vec![0.0; p.suite_lines.len()];
            for (c, v) in &built.cols {
                per_suite[c.suite] += p.units[c.unit].weight * sol.value(*v);
            }
            let duals = sol.compute_dual();
            let mut shadow = Vec::new();
            for (r, s, b) in &built.cap_rows {
                let d = good_lp::solvers::DualValues::dual(&duals, refs[*r].clone()).abs();
                if *b < p.months.len() && d > 1e-7 {
                    let days = p.months[*b].days() as f64;
                    shadow.push((*s, *b, d * days));
                }
            }
            let mut pool_shadow = Vec::new();
            for (r, pool, b) in &built.pool_rows {
                let d = good_lp::solvers::DualValues::dual(&duals, refs[*r].clone()).abs();
                if *b < p.months.len() && d > 1e-7 {
                    let range = buckets.start[*b]..buckets.start[*b + 1];
                    let working = p.pools[*pool].working[range].iter().filter(|w| **w).count();
                    pool_shadow.push((*pool, *b, d * working as f64));
                }
            }
            RoughCut {
                bound,
                shadow,
                status: "optimal".into(),
                per_suite,
                pool_shadow,
            }
        }
        // A failed LP proves nothing: the caller falls back to the trivial bound.
        Err(e) => RoughCut {
            bound: f64::INFINITY,
            shadow: Vec::new(),
            status: format!("LP failed: {e}"),
            per_suite: vec![f64::INFINITY; p.suite_lines.len()],
            pool_shadow: Vec::new(),
        },
    }
}

/// Integer rough-cut (whole batches per unit and suite); its MIP dual bound is valid even when
/// the time limit stops it, and is tighter than the LP's.
pub fn mip_bound(p: &Prepared, limits: Limits) -> f64 {
    let buckets = Buckets::new(p);
    let mut built = build(p, &buckets);
    if built.cols.is_empty() {
        return 0.0;
    }
    let mut extra = Vec::new();
    for vs in built.groups.values() {
        let n = built.vars.add(variable().integer().min(0.0));
        let sum: Expression = vs.iter().copied().sum();
        extra.push(sum.eq(n));
    }
    let mut problem = built.vars.maximise(built.objective).using(highs);
    for r in built.rows.into_iter().chain(extra) {
        problem.add_constraint(r);
    }
    solve_mip(problem, None, limits).dual_bound
}
