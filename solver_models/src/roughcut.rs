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
//! each batch charged to the buckets its need days really fall in. The two-extremes shortcut
//! holds for line-days alone, not for uses at arbitrary offsets, and one column per distinct
//! joint pattern was measured 20 times slower on the medium instance (and did not finish the
//! large one in ten minutes). So uses get their own columns: per (unit, site), one per distinct
//! use pattern (pool uses per bucket) of the starts feasible on the site's suites, and a row ties
//! the unit's batches on the site's suites to as many use columns. A real batch maps to its
//! line-days column mix and to the use column of its start: the bound stays valid (it only lets
//! a batch's line-days and uses come from different starts). Uses depend on the suite only
//! through its site, which keeps the use columns few. The pool rows' duals, times the pool's
//! working days in the month, are the pool shadow prices (weighted batches per extra unit of
//! capacity on each working day of the month).

use crate::milp::{solve_mip, Limits};
use crate::model::{Occupancy, PoolUse, Prepared};
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

/// (unit, site).
type SiteKey<'s> = (usize, Option<&'s String>);
/// A unit's line-days columns on a site's suites, the starts feasible there, a batch's uses.
type SiteUses<'p> = (Vec<Variable>, Vec<usize>, &'p [PoolUse]);

/// One column: a batch shape of unit `unit` on suite `suite`.
struct Col {
    unit: usize,
    suite: usize,
    pattern: Vec<(usize, usize)>,
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

/// The model; with `pools`, the use columns and pool rows too (else the pools only filter the
/// starts, which keeps it a relaxation).
fn build(p: &Prepared, buckets: &Buckets, pools: bool) -> Built {
    let occ = Occupancy::new(p);
    let mut vars = ProblemVariables::new();
    let mut cols = Vec::new();
    let mut objective = Expression::default();
    let mut rows = Vec::new();
    let mut groups: HashMap<(usize, usize), Vec<Variable>> = HashMap::new();
    let mut per_unit: Vec<Vec<Variable>> = vec![Vec::new(); p.units.len()];
    // Pools: per (unit, site) drawing on pools, the line-days columns, the starts feasible on
    // the site's suites and what a batch takes.
    let mut by_site: HashMap<SiteKey<'_>, SiteUses<'_>> = HashMap::new();
    let mut site_order: Vec<SiteKey<'_>> = Vec::new();
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
                .suite_starts(u, s)
                .filter(|d| lines.iter().any(|l| occ.fits(*l, *d, len)) && occ.pools_fit(uses, *d))
                .collect();
            if starts.is_empty() {
                continue;
            }
            let mut patterns: Vec<Pattern> =
                starts.iter().map(|d| buckets.pattern(*d, len)).collect();
            patterns.sort();
            patterns.dedup();
            if len <= 28 && patterns.len() > 2 {
                // Spill in the following month; the two extremes span all the others.
                let spill = |pt: &Pattern| pt.get(1).map(|x| x.1).unwrap_or(0);
                let lo = patterns.iter().min_by_key(|pt| spill(pt)).cloned();
                let hi = patterns.iter().max_by_key(|pt| spill(pt)).cloned();
                patterns = lo.into_iter().chain(hi).collect();
            }
            let fit: u32 = lines.iter().map(|l| max_disjoint(p, &occ, u, *l)).sum();
            let mut group = Vec::new();
            for pattern in patterns {
                let v = vars.add(variable().min(0.0));
                objective += unit.weight * v;
                group.push(v);
                per_unit[u].push(v);
                cols.push((
                    Col {
                        unit: u,
                        suite: s,
                        pattern,
                    },
                    v,
                ));
            }
            if pools && !uses.is_empty() {
                let key = (u, p.inst.suites[s].site.as_ref());
                let entry = by_site.entry(key).or_insert_with(|| {
                    site_order.push(key);
                    (Vec::new(), Vec::new(), uses)
                });
                entry.0.extend(group.iter().copied());
                entry.1.extend(starts);
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
    // Use columns per (unit, site), tied to the unit's batches there; pool rows per (pool,
    // bucket) over them.
    let mut pool_charges: HashMap<(usize, usize), Expression> = HashMap::new();
    for key in &site_order {
        let Some((batches, mut starts, uses)) = by_site.remove(key) else {
            continue;
        };
        starts.sort_unstable();
        starts.dedup();
        let mut patterns: Vec<Uses> = starts
            .iter()
            .map(|d| uses_by_bucket(buckets, uses, *d))
            .collect();
        patterns.sort();
        patterns.dedup();
        let mut tie: Expression = batches.iter().copied().sum();
        for pattern in patterns {
            let y = vars.add(variable().min(0.0));
            tie -= y;
            for (pool, b, amount) in pattern {
                *pool_charges.entry((pool, b)).or_default() += f64::from(amount) * y;
            }
        }
        rows.push(tie.leq(0.0));
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
fn uses_by_bucket(buckets: &Buckets, uses: &[PoolUse], start: usize) -> Uses {
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

/// LP relaxation: bound and shadow prices, with the pool rows when the instance has pools.
pub fn lp(p: &Prepared) -> RoughCut {
    lp_with(p, p.has_pools(), None)
}

/// LP relaxation with or without the pool rows (`pools: false` drops constraints: a weaker
/// bound, no pool prices, but as fast as without pools), stopped after `time_limit_s` on one
/// thread when given (a stopped LP proves nothing: infinite bound). With pool rows the LP is
/// solved by interior point (with crossover, for the duals): on the generated large instance
/// with pools, dual simplex took 290 s, primal simplex 71 s, interior point 24 s (6 s without
/// the pool rows).
pub fn lp_with(p: &Prepared, pools: bool, time_limit_s: Option<f64>) -> RoughCut {
    let buckets = Buckets::new(p);
    let pools = pools && p.has_pools();
    let built = build(p, &buckets, pools);
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
    if pools {
        problem = problem.set_option("solver", "ipm");
    }
    if let Some(limit) = time_limit_s {
        problem = problem
            .set_time_limit(limit.max(0.01))
            .set_option("threads", 1);
    }
    let mut refs = Vec::with_capacity(n_rows);
    for r in built.rows {
        refs.push(problem.add_constraint(r));
    }
    let ts = std::time::Instant::now();
    let solved = problem.solve();
    let stopped = time_limit_s.is_some_and(|l| ts.elapsed().as_secs_f64() >= 0.99 * l);
    match solved {
        Ok(mut sol) if matches!(sol.status(), good_lp::SolutionStatus::Optimal) => {
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
        // A failed or stopped LP proves nothing: the caller falls back to the trivial bound.
        failed => RoughCut {
            bound: f64::INFINITY,
            shadow: Vec::new(),
            status: match failed {
                _ if stopped => format!(
                    "LP stopped at its time limit ({:.0} s)",
                    time_limit_s.unwrap_or(0.0)
                ),
                Ok(sol) => format!("LP stopped: {:?}", sol.status()),
                Err(e) => format!("LP failed: {e}"),
            },
            per_suite: vec![f64::INFINITY; p.suite_lines.len()],
            pool_shadow: Vec::new(),
        },
    }
}

/// Integer rough-cut (whole batches per unit and suite); its MIP dual bound is valid even when
/// the time limit stops it, and is tighter than the LP's.
pub fn mip_bound(p: &Prepared, limits: Limits) -> f64 {
    let buckets = Buckets::new(p);
    let mut built = build(p, &buckets, true);
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
