//! The Lagrangian bound: the day-level pooled relaxation of [`crate::bound`] with its demand rows
//! (per unit, batches ≤ remaining) moved into the objective with multipliers `λ_u ≥ 0`. What is
//! left decouples by suite: pack intervals (unit, start day) of value `w_u − λ_u` under the
//! suite's free-line count of each day, an interval-scheduling problem solved exactly as a
//! min-cost flow on the day line ([`pack_intervals`]). For any `λ ≥ 0`,
//!
//! `L(λ) = Σ_u λ_u · remaining_u + Σ_suites (best packing)`
//!
//! is a proven upper bound on the planned value; its minimum over `λ` is the value of the pooled
//! LP without its per-(unit, suite) "disjoint batches" rows and pool rows (interval matrices are
//! totally unimodular, so the packing's LP and integer optima coincide).
//!
//! How `λ` is searched, per compatibility component (components are independent, so each keeps
//! the multipliers of its own best iteration):
//! - start: the trivial bound (`λ = w`, all demand), then `λ` from the rough-cut's suite-month
//!   shadow prices spread over their days (about the rough-cut's value at the first iteration);
//! - step: Polyak's, towards the best known plan's value (or a feasible solution of the
//!   relaxation built from the packings, when higher), along `remaining − smoothed batches
//!   taken` (the volume algorithm's averaged packing, which zig-zags less than the plain
//!   subgradient), halved when the bound stalls;
//! - with the time left after the run from the prices, a second run from `λ = 0` (slower to
//!   start, but it converged lower on the medium instance: 19 719 against 19 808);
//! - each iteration also prices the units from the packings' day potentials alone
//!   (`λ'_u = max(0, w_u − cheapest cover of a column of u)`, never above `λ`), a second valid
//!   point that is often lower.
//!
//! The bound is certified, not trusted: each packing's value is the objective of a dual solution
//! (day potentials) that is checked and repaired to be exactly feasible, so an inexact flow costs
//! tightness, never validity; a relative margin of 1e-9 covers the arithmetic.
//!
//! Dropped, which keeps the bound valid and only weaker: the pool rows (pool-day capacities), and
//! the per-(unit, suite) rows of [`crate::bound`]. The pools still filter the columns (a start
//! exists only where the pools have room for the batch after the bookings), as do the programs'
//! roads ([`Prepared::suite_starts`]) and each line's free calendar (some line of the suite free
//! for the whole batch).

use crate::bound::program_components;
use crate::model::{Batch, Occupancy, Prepared};
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::time::Instant;

/// What [`bound`] proved.
#[derive(Debug, Clone)]
pub struct LagrangeResult {
    /// Proven upper bound on a plan's weighted value, bookings' served value included (the units
    /// of [`crate::plan::Plan::bound_weighted`]).
    pub bound: f64,
    /// Per suite, its share of the planned part (bookings excluded). A compatibility component's
    /// suites (by programs, [`program_components`], or any union of them such as
    /// [`crate::bound::components`]) sum to that component's own bound.
    pub per_suite: Vec<f64>,
    /// Per unit, multipliers whose Lagrangian value is at most `bound` (components may come
    /// from different iterations: they are independent).
    pub lambda: Vec<f64>,
    /// Day-level shadow prices of suite-months, `(suite, month, value)` where positive: the
    /// sum over the month's days of the dual of each day's line count (the packing's day
    /// potentials, `p[t] − p[t + 1]`) at each component's best iteration. One more line open on
    /// every day of the month raises the bound by at most this much (weighted batches).
    pub prices: Vec<(usize, usize, f64)>,
    pub iterations: usize,
    pub seconds: f64,
}

/// An interval `[start, end)` of days worth `value` per copy taken.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub start: usize,
    pub end: usize,
    pub value: f64,
}

/// The best packing of intervals under a day capacity ([`pack_intervals`]).
#[derive(Debug, Clone)]
pub struct Packing {
    /// Proven upper bound on the best packing's value: the objective of a dual solution checked
    /// feasible (equal to the optimum up to rounding).
    pub bound: f64,
    /// Value of `counts` (a feasible packing; equal to `bound` up to rounding).
    pub value: f64,
    /// Copies taken of each interval.
    pub counts: Vec<u32>,
    /// Day potentials `p` (length `cap.len() + 1`, non-increasing): `p[start] − p[end] ≥ value`
    /// for every interval, and `bound = Σ_t cap[t] · (p[t] − p[t + 1])`.
    pub potential: Vec<f64>,
}

/// Maximises `Σ value · copies` over intervals (any number of copies of each) such that on
/// every day `t` at most `cap[t]` copies cover `t`. Intervals must satisfy
/// `start < end ≤ cap.len()`; those of value ≤ 0 are never taken.
///
/// Solved as a min-cost flow on the day line: node `t` is the cut between days `t − 1` and `t`;
/// `cap[t] − cap[t − 1]` units enter (or leave) at node `t`, so that exactly `cap[t]` units cross
/// day `t`, either idle (chain arc `t → t + 1`, cost 0) or inside an interval (arc
/// `start → end`, cost `−value`). Every arc is uncapacitated, so successive shortest paths need
/// about as many augmentations as the capacity has steps. Potentials start from the acyclic
/// shortest paths and Dijkstra runs on reduced costs.
pub fn pack_intervals(cap: &[u32], intervals: &[Interval]) -> Packing {
    let days = cap.len();
    let mut net = Net::new(days + 3);
    let (source, sink) = (days + 1, days + 2);
    let mut supply = 0i64;
    let mut balance = vec![0i64; days + 1];
    for t in 0..=days {
        let here = cap.get(t).map_or(0, |c| i64::from(*c));
        let before = if t == 0 { 0 } else { i64::from(cap[t - 1]) };
        balance[t] = here - before;
        supply += balance[t].max(0);
    }
    let unbounded = supply + 1;
    for t in 0..days {
        net.add(t, t + 1, unbounded, 0.0);
    }
    let mut arc_of = vec![usize::MAX; intervals.len()];
    for (i, iv) in intervals.iter().enumerate() {
        debug_assert!(iv.start < iv.end && iv.end <= days);
        if iv.value > 0.0 && iv.start < iv.end && iv.end <= days {
            arc_of[i] = net.add(iv.start, iv.end, unbounded, -iv.value);
        }
    }
    for (t, b) in balance.iter().enumerate() {
        match b.cmp(&0) {
            Ordering::Greater => {
                net.add(source, t, *b, 0.0);
            }
            Ordering::Less => {
                net.add(t, sink, -b, 0.0);
            }
            Ordering::Equal => {}
        }
    }
    net.finish();
    // Acyclic shortest paths from the source (node order source, 0..=days, sink is
    // topological).
    let mut pi = vec![f64::INFINITY; days + 3];
    pi[source] = 0.0;
    let order = std::iter::once(source).chain(0..=days).chain([sink]);
    for u in order {
        if !pi[u].is_finite() {
            continue;
        }
        for &e in net.out(u) {
            let e = e as usize;
            if net.cap[e] > 0 {
                let v = net.to[e] as usize;
                pi[v] = pi[v].min(pi[u] + net.cost[e]);
            }
        }
    }
    // Nodes before the first unit of capacity are never reached; any value keeps them out.
    let reached: Vec<bool> = pi.iter().map(|x| x.is_finite()).collect();
    for x in pi.iter_mut().filter(|x| !x.is_finite()) {
        *x = 0.0;
    }
    net.successive_shortest_paths(source, sink, supply, &mut pi);

    let mut counts = vec![0u32; intervals.len()];
    let mut value = 0.0;
    for (i, a) in arc_of.iter().enumerate() {
        if *a != usize::MAX {
            // The reverse arc's residual is the flow.
            let flow = net.cap[*a ^ 1];
            counts[i] = u32::try_from(flow).unwrap_or(u32::MAX);
            value += intervals[i].value * flow as f64;
        }
    }
    // The dual: p[t] = pi[t] satisfies p[start] − p[end] ≥ value and p[t] ≥ p[t + 1] up to
    // rounding; repaired backwards so that it holds exactly.
    let mut p: Vec<f64> = (0..=days)
        .map(|t| if reached[t] { pi[t] } else { f64::NEG_INFINITY })
        .collect();
    let mut by_start: Vec<Vec<usize>> = vec![Vec::new(); days + 1];
    for (i, iv) in intervals.iter().enumerate() {
        if arc_of[i] != usize::MAX {
            by_start[iv.start].push(i);
        }
    }
    if !p[days].is_finite() {
        p[days] = 0.0;
    }
    for t in (0..days).rev() {
        let mut need = p[t + 1];
        for &i in &by_start[t] {
            need = need.max(p[intervals[i].end] + intervals[i].value);
        }
        p[t] = p[t].max(need);
    }
    let bound: f64 = (0..days)
        .map(|t| f64::from(cap[t]) * (p[t] - p[t + 1]))
        .sum();
    Packing {
        bound,
        value,
        counts,
        potential: p,
    }
}

/// A residual network in compressed adjacency form; arc `e` and `e ^ 1` are each other's
/// reverse.
struct Net {
    n: usize,
    from: Vec<u32>,
    to: Vec<u32>,
    cap: Vec<i64>,
    cost: Vec<f64>,
    first: Vec<usize>,
    adj: Vec<u32>,
}

/// A distance in Dijkstra's heap (costs are finite: total order by `total_cmp`).
#[derive(PartialEq)]
struct Dist(f64);
impl Eq for Dist {}
impl PartialOrd for Dist {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Dist {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

impl Net {
    fn new(n: usize) -> Net {
        Net {
            n,
            from: Vec::new(),
            to: Vec::new(),
            cap: Vec::new(),
            cost: Vec::new(),
            first: Vec::new(),
            adj: Vec::new(),
        }
    }

    /// Adds arc `u → v` and its reverse; returns the arc's index.
    fn add(&mut self, u: usize, v: usize, cap: i64, cost: f64) -> usize {
        let e = self.to.len();
        for (a, b, c, w) in [(u, v, cap, cost), (v, u, 0, -cost)] {
            self.from.push(a as u32);
            self.to.push(b as u32);
            self.cap.push(c);
            self.cost.push(w);
        }
        e
    }

    fn finish(&mut self) {
        let mut first = vec![0usize; self.n + 1];
        for f in &self.from {
            first[*f as usize + 1] += 1;
        }
        for i in 0..self.n {
            first[i + 1] += first[i];
        }
        let mut fill = first.clone();
        let mut adj = vec![0u32; self.from.len()];
        for (e, f) in self.from.iter().enumerate() {
            adj[fill[*f as usize]] = e as u32;
            fill[*f as usize] += 1;
        }
        self.first = first;
        self.adj = adj;
    }

    fn out(&self, u: usize) -> &[u32] {
        &self.adj[self.first[u]..self.first[u + 1]]
    }

    /// Sends `amount` from `source` to `sink` along successive shortest paths; `pi` holds
    /// potentials that make every residual arc's reduced cost non-negative, and still does after.
    fn successive_shortest_paths(
        &mut self,
        source: usize,
        sink: usize,
        amount: i64,
        pi: &mut [f64],
    ) {
        let n = self.n;
        let mut dist = vec![f64::INFINITY; n];
        let mut prev = vec![u32::MAX; n];
        let mut done = vec![false; n];
        let mut heap = BinaryHeap::new();
        let mut sent = 0i64;
        while sent < amount {
            dist.fill(f64::INFINITY);
            prev.fill(u32::MAX);
            done.fill(false);
            heap.clear();
            dist[source] = 0.0;
            heap.push((Reverse(Dist(0.0)), source as u32));
            while let Some((Reverse(Dist(d)), u)) = heap.pop() {
                let u = u as usize;
                if done[u] {
                    continue;
                }
                done[u] = true;
                if u == sink {
                    break;
                }
                for &e in self.out(u) {
                    let e = e as usize;
                    let v = self.to[e] as usize;
                    if self.cap[e] <= 0 || done[v] {
                        continue;
                    }
                    let nd = d + (self.cost[e] + pi[u] - pi[v]).max(0.0);
                    if nd < dist[v] {
                        dist[v] = nd;
                        prev[v] = e as u32;
                        heap.push((Reverse(Dist(nd)), v as u32));
                    }
                }
            }
            let dz = dist[sink];
            if !dz.is_finite() {
                // Cannot happen (the chain carries everything); stop rather than loop.
                break;
            }
            for (x, d) in pi.iter_mut().zip(&dist) {
                *x += d.min(dz);
            }
            let mut push = amount - sent;
            let mut v = sink;
            while v != source {
                let e = prev[v] as usize;
                push = push.min(self.cap[e]);
                v = self.from[e] as usize;
            }
            let mut v = sink;
            while v != source {
                let e = prev[v] as usize;
                self.cap[e] -= push;
                self.cap[e ^ 1] += push;
                v = self.from[e] as usize;
            }
            sent += push;
        }
    }
}

/// One suite's subproblem: its free-line count per day and its columns grouped by
/// (start, end), each group listing the units that may use it (heaviest first).
struct SuiteCols {
    suite: usize,
    cap: Vec<u32>,
    arcs: Vec<(usize, usize)>,
    /// `units[first[a]..first[a + 1]]`: arc `a`'s units.
    first: Vec<usize>,
    /// Arcs by end, latest start first within an end.
    by_end: Vec<usize>,
    units: Vec<usize>,
}

/// Columns per suite (as [`crate::bound`] builds them, pools only filtering starts).
fn columns(p: &Prepared) -> Vec<SuiteCols> {
    let occ = Occupancy::new(p);
    // Per line and day: consecutive free days from it (a batch fits iff ≥ its length).
    let run: Vec<Vec<usize>> = p
        .free
        .iter()
        .map(|cal| {
            let mut r = vec![0usize; cal.len() + 1];
            for t in (0..cal.len()).rev() {
                r[t] = if cal[t] { r[t + 1] + 1 } else { 0 };
            }
            r
        })
        .collect();
    let mut per_suite: Vec<Vec<(usize, usize, usize)>> = vec![Vec::new(); p.suite_lines.len()];
    for (u, unit) in p.units.iter().enumerate() {
        if unit.remaining == 0 {
            continue;
        }
        let len = p.progs[unit.prog].len;
        for &s in &p.progs[unit.prog].usable_suites {
            let uses = p.suite_uses(unit.prog, s);
            for d in p.suite_starts(u, s) {
                if d + len <= p.ext_days
                    && p.suite_lines[s].iter().any(|l| run[*l][d] >= len)
                    && occ.pools_fit(uses, d)
                {
                    per_suite[s].push((d, d + len, u));
                }
            }
        }
    }
    per_suite
        .into_iter()
        .enumerate()
        .map(|(s, mut cols)| {
            cols.sort_by(|a, b| {
                (a.0, a.1)
                    .cmp(&(b.0, b.1))
                    .then(p.units[b.2].weight.total_cmp(&p.units[a.2].weight))
                    .then(a.2.cmp(&b.2))
            });
            let mut arcs = Vec::new();
            let mut first = Vec::new();
            let mut units = Vec::with_capacity(cols.len());
            for (i, (d, e, u)) in cols.iter().enumerate() {
                if i == 0 || (cols[i - 1].0, cols[i - 1].1) != (*d, *e) {
                    arcs.push((*d, *e));
                    first.push(units.len());
                }
                units.push(*u);
            }
            first.push(units.len());
            let cap = (0..p.ext_days)
                .map(|t| p.suite_lines[s].iter().filter(|l| p.free[**l][t]).count() as u32)
                .collect();
            let mut by_end: Vec<usize> = (0..arcs.len()).collect();
            by_end.sort_by_key(|a| (arcs[*a].1, Reverse(arcs[*a].0)));
            SuiteCols {
                suite: s,
                cap,
                arcs,
                first,
                by_end,
                units,
            }
        })
        .collect()
}

/// One suite's packing at the current multipliers: its bound, its potentials, and per arc
/// the copies taken with the unit they were priced for.
struct Solved {
    bound: f64,
    potential: Vec<f64>,
    /// (arc, copies, unit of the best value).
    taken: Vec<(usize, u32, usize)>,
}

fn solve_suite(p: &Prepared, sc: &SuiteCols, lambda: &[f64]) -> Solved {
    // Per arc, its best value and unit.
    let best: Vec<(f64, usize)> = (0..sc.arcs.len())
        .map(|a| {
            let mut best = (0.0, usize::MAX);
            for &u in &sc.units[sc.first[a]..sc.first[a + 1]] {
                let v = p.units[u].weight - lambda[u];
                if v > best.0 {
                    best = (v, u);
                }
            }
            best
        })
        .collect();
    // An arc containing another of at least its value is never needed (the inner one and the
    // chain do as well, the arcs being uncapacitated): drop it when the inner one shares its
    // start or its end. The potentials still price it right (`p` is non-increasing).
    let mut keep: Vec<bool> = best.iter().map(|b| b.1 != usize::MAX).collect();
    let mut run = (usize::MAX, 0.0);
    for (a, (d, _)) in sc.arcs.iter().enumerate() {
        if run.0 != *d {
            run = (*d, 0.0);
        }
        if keep[a] {
            if best[a].0 <= run.1 {
                keep[a] = false;
            } else {
                run.1 = best[a].0;
            }
        }
    }
    let mut run = (usize::MAX, 0.0);
    for &a in &sc.by_end {
        let e = sc.arcs[a].1;
        if run.0 != e {
            run = (e, 0.0);
        }
        if keep[a] {
            if best[a].0 <= run.1 {
                keep[a] = false;
            } else {
                run.1 = best[a].0;
            }
        }
    }
    let mut intervals = Vec::new();
    let mut best_unit = Vec::new();
    for (a, (d, e)) in sc.arcs.iter().enumerate() {
        if keep[a] {
            intervals.push(Interval {
                start: *d,
                end: *e,
                value: best[a].0,
            });
            best_unit.push((a, best[a].1));
        }
    }
    let packing = pack_intervals(&sc.cap, &intervals);
    let taken = packing
        .counts
        .iter()
        .zip(&best_unit)
        .filter(|(c, _)| **c > 0)
        .map(|(c, (a, u))| (*a, *c, *u))
        .collect();
    Solved {
        bound: packing.bound,
        potential: packing.potential,
        taken,
    }
}

/// Solves the suites at `lambda`, on up to `threads` threads.
fn solve_all(p: &Prepared, suites: &[&SuiteCols], lambda: &[f64], threads: usize) -> Vec<Solved> {
    if threads <= 1 || suites.len() < 2 {
        return suites.iter().map(|sc| solve_suite(p, sc, lambda)).collect();
    }
    // Contiguous shares of about equal columns, results in order.
    let total: usize = suites.iter().map(|s| s.units.len() + s.cap.len()).sum();
    let per = total.div_ceil(threads).max(1);
    let mut chunks: Vec<&[&SuiteCols]> = Vec::new();
    let (mut begin, mut acc) = (0, 0);
    for (i, s) in suites.iter().enumerate() {
        acc += s.units.len() + s.cap.len();
        if acc >= per && chunks.len() + 1 < threads {
            chunks.push(&suites[begin..=i]);
            begin = i + 1;
            acc = 0;
        }
    }
    chunks.push(&suites[begin..]);
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .iter()
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|sc| solve_suite(p, sc, lambda))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// The planned part of the bound: the components' best values.
fn proved(comps: &[Comp]) -> f64 {
    comps.iter().map(|c| c.best).sum()
}

/// Multipliers from suite-month prices: each price spread evenly over its month's days, each
/// unit's multiplier the most any of its columns is worth above what its days cost.
fn start(p: &Prepared, cols: &[SuiteCols], prices: &[(usize, usize, f64)]) -> Vec<f64> {
    let mut lambda = vec![0.0f64; p.units.len()];
    if prices.is_empty() {
        return lambda;
    }
    let mut per_day = vec![vec![0.0; p.ext_days]; p.suite_lines.len()];
    for &(s, m, price) in prices {
        let days = p.month_start[m]..p.month_start[m + 1];
        let each = price / days.len().max(1) as f64;
        for y in &mut per_day[s][days] {
            *y += each;
        }
    }
    for sc in cols {
        // prefix[t] = Σ of the suite's day prices before t.
        let mut prefix = vec![0.0; p.ext_days + 1];
        for t in 0..p.ext_days {
            prefix[t + 1] = prefix[t] + per_day[sc.suite][t];
        }
        for (a, (d, e)) in sc.arcs.iter().enumerate() {
            let cover = prefix[*e] - prefix[*d];
            for &u in &sc.units[sc.first[a]..sc.first[a + 1]] {
                lambda[u] = lambda[u].max(p.units[u].weight - cover);
            }
        }
    }
    lambda
}

/// A compatibility component's subgradient state.
struct Comp {
    suites: Vec<usize>,
    units: Vec<usize>,
    /// Lowest Lagrangian value proved (planned part).
    best: f64,
    /// Best feasible value of the relaxation seen (the Polyak target).
    target: f64,
    /// Lowest value of the current run.
    run_best: f64,
    step: f64,
    stall: usize,
    active: bool,
}

/// Relative safety margin on every certified value (floating-point arithmetic).
const MARGIN: f64 = 1e-9;
/// Step sizes: Polyak's `step · (L(λ) − target) / ‖direction‖²`, `step` halved after `STALL`
/// iterations without a better value in the run, the run done below `LAST_STEP`; the smoothing
/// weight of the newest packing in the direction. Tuned on the large generated instance
/// (BENCHMARKS.md); the bound is valid whatever they are.
const FIRST_STEP: f64 = 0.5;
const STALL: usize = 20;
const LAST_STEP: f64 = 1e-3;
const SMOOTHING: f64 = 0.05;

/// The Lagrangian bound within `time_limit_s` seconds on up to `threads` threads. `plan` is a
/// known feasible plan (greedy's, say; may be empty): its value per component is the step
/// sizes' target, and the search stops when it is proved optimal or every component has
/// converged. `prices` are the rough-cut's suite-month shadow prices
/// ([`crate::roughcut::RoughCut::shadow`]; may be empty): spread over their months' days they
/// give the starting multipliers, which makes the first bound about the rough-cut's.
pub fn bound(
    p: &Prepared,
    time_limit_s: f64,
    plan: &[Batch],
    prices: &[(usize, usize, f64)],
    threads: usize,
) -> LagrangeResult {
    let t0 = Instant::now();
    let booked = p.booked_weighted();
    let cols = columns(p);
    let n_units = p.units.len();
    let mut comp_of_suite = vec![usize::MAX; p.suite_lines.len()];
    let mut comps: Vec<Comp> = program_components(p)
        .into_iter()
        .enumerate()
        .map(|(c, suites)| {
            for s in &suites {
                comp_of_suite[*s] = c;
            }
            Comp {
                suites,
                units: Vec::new(),
                best: 0.0,
                target: 0.0,
                run_best: f64::INFINITY,
                step: FIRST_STEP,
                stall: 0,
                active: true,
            }
        })
        .collect();
    // A unit belongs to the component of its suites; one with no column has λ = 0 forever.
    let mut has_col = vec![false; n_units];
    for sc in &cols {
        for u in &sc.units {
            has_col[*u] = true;
        }
    }
    for (u, unit) in p.units.iter().enumerate() {
        if has_col[u] {
            let s = p.progs[unit.prog].usable_suites[0];
            comps[comp_of_suite[s]].units.push(u);
        }
    }
    // The plan's value per component (at most the remaining batches per unit).
    let mut planned = vec![0u32; n_units];
    for b in plan {
        planned[b.unit] += 1;
    }
    for comp in &mut comps {
        comp.target = comp
            .units
            .iter()
            .map(|u| p.units[*u].weight * f64::from(planned[*u].min(p.units[*u].remaining)))
            .sum();
    }
    let plan_value: f64 = comps.iter().map(|c| c.target).sum();
    let remaining: Vec<f64> = p.units.iter().map(|u| f64::from(u.remaining)).collect();
    let weight: Vec<f64> = p.units.iter().map(|u| u.weight).collect();
    // The trivial bound first (λ = w: no column is worth anything, all demand served).
    let mut best_lambda = weight.clone();
    let mut per_suite = vec![0.0; p.suite_lines.len()];
    for comp in &mut comps {
        comp.best = comp.units.iter().map(|u| weight[*u] * remaining[*u]).sum();
        for u in &comp.units {
            per_suite[p.progs[p.units[*u].prog].usable_suites[0]] += weight[*u] * remaining[*u];
        }
    }
    // Per suite, the day duals summed per month, at its component's best iteration.
    let mut month_price = vec![vec![0.0f64; p.months.len()]; p.suite_lines.len()];
    let mut iterations = 0;
    // With prices, two runs: from them (far ahead within 10 s on the large instance), then,
    // with the time left, from λ = 0 (which converged lower on the medium instance).
    let runs: Vec<&[(usize, usize, f64)]> = if prices.is_empty() {
        vec![&[]]
    } else {
        vec![prices, &[]]
    };
    'runs: for from in runs {
        let mut lambda = start(p, &cols, from);
        for comp in &mut comps {
            comp.step = FIRST_STEP;
            comp.stall = 0;
            comp.active = true;
            comp.run_best = f64::INFINITY;
        }
        // Batches taken per unit, smoothed over the iterations (the volume algorithm's primal
        // estimate): its residual is the step direction, which zig-zags far less than the plain
        // subgradient (measured on the large instance: 142 000 against 144 000 after 10 s).
        let mut smooth = vec![0.0f64; n_units];
        loop {
            let active: Vec<&SuiteCols> = cols
                .iter()
                .filter(|sc| comps[comp_of_suite[sc.suite]].active)
                .collect();
            if iterations > 0 && t0.elapsed().as_secs_f64() >= time_limit_s {
                break 'runs;
            }
            if active.is_empty() {
                break;
            }
            iterations += 1;
            let solved = solve_all(p, &active, &lambda, threads);
            let mut count = vec![0u32; n_units];
            let mut comp_dual = vec![0.0; comps.len()];
            // λ' = the best multipliers for these potentials: max(0, w − cover) over the unit's
            // columns (never above λ, so its value is never worse).
            let mut tight = vec![0.0f64; n_units];
            let mut spare: Vec<u32> = p.units.iter().map(|u| u.remaining).collect();
            let mut comp_primal = vec![0.0; comps.len()];
            for (sc, sol) in active.iter().zip(&solved) {
                let c = comp_of_suite[sc.suite];
                comp_dual[c] += sol.bound;
                for (a, (d, e)) in sc.arcs.iter().enumerate() {
                    let cover = sol.potential[*d] - sol.potential[*e];
                    for &u in &sc.units[sc.first[a]..sc.first[a + 1]] {
                        tight[u] = tight[u].max(weight[u] - cover);
                    }
                }
                for (a, copies, u) in &sol.taken {
                    count[*u] += copies;
                    // A feasible solution of the relaxation: each copy to the heaviest unit with
                    // demand left (dropped when none).
                    for _ in 0..*copies {
                        if let Some(&v) = sc.units[sc.first[*a]..sc.first[*a + 1]]
                            .iter()
                            .find(|v| spare[**v] > 0)
                        {
                            spare[v] -= 1;
                            comp_primal[c] += weight[v];
                        }
                    }
                }
            }
            for (c, comp) in comps.iter_mut().enumerate() {
                if !comp.active {
                    continue;
                }
                let suites_part = comp_dual[c];
                let at = |l: &[f64]| {
                    comp.units
                        .iter()
                        .map(|u| l[*u] * remaining[*u])
                        .sum::<f64>()
                };
                let value = at(&lambda) + suites_part;
                let polished = at(&tight) + suites_part;
                let (this, from) = if polished < value {
                    (polished, &tight)
                } else {
                    (value, &lambda)
                };
                let this = this + MARGIN * (1.0 + this.abs());
                comp.target = comp.target.max(comp_primal[c]);
                // Steps shrink when this run stalls (a run from far away is not judged by the
                // best value of an earlier one).
                if !comp.run_best.is_finite()
                    || this < comp.run_best - 1e-6 * (1.0 + comp.run_best.abs())
                {
                    comp.run_best = this;
                    comp.stall = 0;
                } else {
                    comp.stall += 1;
                }
                if this < comp.best - 1e-9 * (1.0 + comp.best.abs()) {
                    // Keep the whole-component state of its best iteration.
                    comp.best = this;
                    for u in &comp.units {
                        best_lambda[*u] = from[*u];
                    }
                    for s in &comp.suites {
                        per_suite[*s] = 0.0;
                    }
                    for (sc, sol) in active.iter().zip(&solved) {
                        if comp_of_suite[sc.suite] == c {
                            per_suite[sc.suite] = sol.bound;
                            for (m, price) in month_price[sc.suite].iter_mut().enumerate() {
                                *price = (p.month_start[m]..p.month_start[m + 1])
                                    .map(|t| sol.potential[t] - sol.potential[t + 1])
                                    .sum();
                            }
                        }
                    }
                    for u in &comp.units {
                        let s = p.progs[p.units[*u].prog].usable_suites[0];
                        per_suite[s] += from[*u] * remaining[*u];
                    }
                    let first = comp.suites[0];
                    per_suite[first] += MARGIN * (1.0 + this.abs());
                }
                // Direction: remaining − smoothed batches taken (the subgradient of L at λ is
                // remaining − batches taken).
                for u in &comp.units {
                    smooth[*u] = SMOOTHING * f64::from(count[*u]) + (1.0 - SMOOTHING) * smooth[*u];
                }
                let g: Vec<f64> = comp
                    .units
                    .iter()
                    .map(|u| remaining[*u] - smooth[*u])
                    .collect();
                let norm2: f64 = g.iter().map(|x| x * x).sum();
                let gap = value - comp.target;
                if norm2 == 0.0 || comp.best - comp.target <= 1e-7 * (1.0 + comp.best.abs()) {
                    comp.active = false;
                    continue;
                }
                if comp.stall >= STALL {
                    comp.step /= 2.0;
                    comp.stall = 0;
                    if comp.step < LAST_STEP {
                        comp.active = false;
                        continue;
                    }
                }
                let t = comp.step * gap.max(0.0) / norm2;
                for (u, gu) in comp.units.iter().zip(&g) {
                    lambda[*u] = (lambda[*u] - t * gu).clamp(0.0, weight[*u]);
                }
            }
            if proved(&comps) <= plan_value + 1e-9 * (1.0 + plan_value) {
                break 'runs;
            }
        }
    }
    let proved = proved(&comps);
    let prices = month_price
        .iter()
        .enumerate()
        .flat_map(|(s, months)| {
            months
                .iter()
                .enumerate()
                .filter(|(_, v)| **v > 1e-9)
                .map(move |(m, v)| (s, m, *v))
        })
        .collect();
    LagrangeResult {
        bound: booked + proved,
        per_suite,
        lambda: best_lambda,
        prices,
        iterations,
        seconds: t0.elapsed().as_secs_f64(),
    }
}
