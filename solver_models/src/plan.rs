//! The planner's public face: options, the plan format (field names as API.md's plan object)
//! and [`solve`], which runs greedy → rough-cut bound → exact or large-neighbourhood MILP and
//! derives shortfalls, utilisation, shadow prices and expansion advice.

use crate::greedy::greedy_batches;
use crate::milp::Limits;
pub use crate::model::PlanError;
use crate::model::{Batch, Blocker, Occupancy, Prepared};
use crate::types::{Grade, Instance, Phase};
use crate::{bound, expansion, lagrange, lns, roughcut, timeidx, Month};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlanOptions {
    pub time_limit_s: f64,
    pub mip_rel_gap: f64,
    /// "Today", for the expansion lead time.
    pub today: NaiveDate,
    pub expansion_lead_months: u32,
    /// Compute expansion advice (costs extra solves).
    pub expansion: bool,
    pub threads: Option<u32>,
    /// A plan to start from (a what-if starts from the live plan, so that what it shows is the
    /// change's effect, not the search's luck): each batch is kept where it still fits, then
    /// greedy fills what is left. Empty: no hint.
    pub hint: Vec<Hint>,
}

/// One planned batch of a plan to start from ([`PlanOptions::hint`]): the program and suite by
/// key (id, else name), the line (from 1), the first day and the demand month it serves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hint {
    pub program: String,
    pub suite: String,
    pub line: u32,
    pub start: NaiveDate,
    pub month: Month,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            time_limit_s: 30.0,
            mip_rel_gap: 0.005,
            today: chrono::Local::now().date_naive(),
            // A new suite takes 18–24 months to build and qualify (DESIGN.md).
            expansion_lead_months: 18,
            expansion: true,
            threads: None,
            hint: Vec::new(),
        }
    }
}

/// A progress report: the CLI prints it, the service stores it as the plan's status.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub stage: &'static str,
    pub message: String,
    /// Weighted value of the best plan so far, when this report knows it.
    pub incumbent: Option<f64>,
    /// The best proven bound so far, when this report knows it.
    pub bound: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SolverStatus {
    /// Proven optimal (gap 0).
    Optimal,
    /// Within the requested gap of the bound.
    Feasible,
    /// The time limit stopped the search above the requested gap.
    TimeLimit,
    /// Nothing better than the greedy baseline was found.
    Greedy,
}

impl SolverStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SolverStatus::Optimal => "optimal",
            SolverStatus::Feasible => "feasible",
            SolverStatus::TimeLimit => "time_limit",
            SolverStatus::Greedy => "greedy",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    pub program: String,
    pub suite: String,
    pub line: u32,
    pub start: NaiveDate,
    /// `start + batch_days + changeover_days`: the whole occupancy.
    pub end: NaiveDate,
    /// The demand month it serves.
    pub month: Month,
    /// What the booking would be: the planner suggests batches that serve demand.
    #[serde(default)]
    pub kind: crate::BookingKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShortfallReason {
    Capacity,
    NoUsableSuite,
    EarliestStart,
    /// A suite had room, but a staff pool did not.
    Staff,
    /// A suite had room, but the QC lab did not.
    Qc,
    /// A suite had room, but a shared-equipment pool did not.
    Equipment,
    /// A suite had room, but the program's road to first batch at its site (tech transfer,
    /// engineering runs) was not done.
    TechTransfer,
}

impl ShortfallReason {
    pub const ALL: [ShortfallReason; 7] = [
        ShortfallReason::Capacity,
        ShortfallReason::NoUsableSuite,
        ShortfallReason::EarliestStart,
        ShortfallReason::Staff,
        ShortfallReason::Qc,
        ShortfallReason::Equipment,
        ShortfallReason::TechTransfer,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ShortfallReason::Capacity => "capacity",
            ShortfallReason::NoUsableSuite => "no_usable_suite",
            ShortfallReason::EarliestStart => "earliest_start",
            ShortfallReason::Staff => "staff",
            ShortfallReason::Qc => "qc",
            ShortfallReason::Equipment => "equipment",
            ShortfallReason::TechTransfer => "tech_transfer",
        }
    }
    /// The reason a pool of `kind` gives.
    pub fn of_pool(kind: crate::PoolKind) -> ShortfallReason {
        match kind {
            crate::PoolKind::Staff => ShortfallReason::Staff,
            crate::PoolKind::Qc => ShortfallReason::Qc,
            crate::PoolKind::Equipment => ShortfallReason::Equipment,
        }
    }
    pub fn parse(s: &str) -> Option<ShortfallReason> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shortfall {
    pub program: String,
    pub month: Month,
    pub phase: Phase,
    pub demand: u32,
    pub booked: u32,
    pub planned: u32,
    pub shortfall: u32,
    pub reason: ShortfallReason,
    /// For a `capacity` shortfall: the suite-months it competed for and what occupies them
    /// ([`crate::explain`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub competition: Vec<crate::explain::Competition>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Utilization {
    pub suite: String,
    pub month: Month,
    pub open_line_days: u32,
    pub booked_line_days: u32,
    pub planned_line_days: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Expansion {
    pub capabilities: Vec<String>,
    pub min_grade: Grade,
    pub site: Option<String>,
    pub from_month: Month,
    pub extra_lines: u32,
    pub serves_batches: u32,
}

/// A suite-month whose lines limit the plan: `shadow_price` is what one more line open on every
/// day of the month would be worth at most (weighted batches), from the day-level model's duals
/// (the Lagrangian's day potentials, [`crate::lagrange::LagrangeResult::prices`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Binding {
    pub suite: String,
    pub month: Month,
    pub shadow_price: f64,
}

/// A pool's days in a month: what it could give, what bookings take and what the plan adds
/// (sums over the month's days of people, analyst-days or units).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoolUtilization {
    pub pool: String,
    pub month: Month,
    pub capacity: u32,
    pub booked: u32,
    pub planned: u32,
}

/// A pool-month whose capacity limits the plan: `shadow_price` is the weighted batches one more
/// unit of capacity on each working day of the month would be worth (rough-cut LP dual).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoolBinding {
    pub pool: String,
    pub month: Month,
    pub shadow_price: f64,
}

/// Advice to add `extra` capacity (people, analysts, units per working day) to a pool from
/// `from_month`, and the batches of shortfall it would serve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoolExpansion {
    pub pool: String,
    pub tag: String,
    pub from_month: Month,
    pub extra: u32,
    pub serves_batches: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub status: SolverStatus,
    pub seconds: f64,
    pub gap: f64,
    pub served_weighted: f64,
    pub demand_weighted: f64,
    pub bound_weighted: f64,
    pub served_batches: u32,
    pub demand_batches: u32,
    pub greedy_served_weighted: f64,
    pub suggestions: Vec<Suggestion>,
    pub shortfalls: Vec<Shortfall>,
    pub utilization: Vec<Utilization>,
    pub expansion: Vec<Expansion>,
    pub binding: Vec<Binding>,
    #[serde(default)]
    pub pool_utilization: Vec<PoolUtilization>,
    #[serde(default)]
    pub pool_binding: Vec<PoolBinding>,
    #[serde(default)]
    pub pool_expansion: Vec<PoolExpansion>,
}

/// Variables below this count are solved by the exact time-indexed MILP in one piece.
const EXACT_VARS: usize = 15_000;

/// On the large path, the Lagrangian bound's share of the bound thread's time, and its most
/// seconds: it converges in seconds (BENCHMARKS.md), the pooled LP and the pool-aware rough-cut
/// get the rest. Half (not a quarter) measured better at 5 s (medium: gap 1.94% against 2.10%)
/// and 30 s (large: 2.00% against 2.22%), where the pooled LP does not finish anyway.
const LAGRANGE_SHARE: f64 = 0.5;
const LAGRANGE_MAX_S: f64 = 10.0;

/// On the large path, the rough-cut LP's most share of the bound thread's time, and its most
/// seconds: 3–4 s on the 40-suite instance, 90–125 s on the 80-suite one, where the Lagrangian
/// from nothing gets the time instead (with no rough-cut it is the bound).
const ROUGH_SHARE: f64 = 0.5;
const ROUGH_MAX_S: f64 = 15.0;

/// At most this long for the Lagrangian's shadow prices when the search did not run it.
const PRICES_MAX_S: f64 = 1.0;

/// The share of a plan's time kept for expansion advice's joint optimisation (the fewest new
/// lines with the existing suites re-planned, [`expansion`]); the witness stands when it finds
/// nothing better in that time.
const EXPANSION_SHARE: f64 = 0.1;

/// Plans `instance`. Errors only for invalid instances; capacity problems show as shortfalls.
pub fn solve(
    instance: &Instance,
    opts: &PlanOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Plan, PlanError> {
    solve_with_exact_limit(instance, opts, EXACT_VARS, progress)
}

/// [`solve`] with the size (binaries) up to which the whole time-indexed MILP is solved in one
/// piece; above it, LNS with the pooled LP bound. Tests use 0 to exercise the large path.
pub fn solve_with_exact_limit(
    instance: &Instance,
    opts: &PlanOptions,
    exact_vars: usize,
    progress: &mut dyn FnMut(Progress),
) -> Result<Plan, PlanError> {
    let t0 = Instant::now();
    let full_limit = opts.time_limit_s;
    let p = Prepared::new(instance)?;
    // With expansion advice, its joint optimisation keeps the last share of the time.
    let search = PlanOptions {
        time_limit_s: if opts.expansion {
            opts.time_limit_s * (1.0 - EXPANSION_SHARE)
        } else {
            opts.time_limit_s
        },
        ..opts.clone()
    };
    let opts = &search;
    let left = |t0: &Instant| (opts.time_limit_s - t0.elapsed().as_secs_f64()).max(0.0);
    let booked = p.booked_weighted();

    let greedy = greedy_batches(&p);
    let greedy_value = p.served_weighted(&greedy);
    progress(Progress {
        stage: "greedy",
        message: format!("greedy done: {greedy_value:.1}"),
        incumbent: Some(greedy_value),
        bound: None,
    });

    let gap_of = |served: f64, bound: f64| ((bound - served) / bound.max(1.0)).max(0.0);
    // The search starts from the best of several greedy orders, the baseline among them.
    let mut best = crate::greedy::start_batches(&p);
    let mut best_value = p.served_weighted(&best);
    if !opts.hint.is_empty() {
        let hinted = crate::greedy::from_hint(&p, &opts.hint);
        let value = p.served_weighted(&hinted);
        progress(Progress {
            stage: "greedy",
            message: format!(
                "start from the given plan: {value:.1} (greedy starts {best_value:.1})"
            ),
            incumbent: Some(value.max(best_value)),
            bound: None,
        });
        if value > best_value {
            (best, best_value) = (hinted, value);
        }
    }
    let mut timed_out = false;
    let target = opts.mip_rel_gap.max(0.0);
    // Day-level suite-month shadow prices (the Lagrangian's day duals), when its bound ran.
    let mut prices: Option<Vec<(usize, usize, f64)>> = None;
    // The final plan described and its expansion advice, when made beside the bound thread
    // (status, gap, bound and prices are set once the bound thread is done).
    let mut described: Option<Plan> = None;

    // Small enough for the exact MILP in one piece, or the large path (LNS beside the bounds)?
    let everything = timeidx::Window::everything(&p);
    let n_full = timeidx::count_vars(&p, &best, &everything);
    let large = n_full > exact_vars;
    // On the large path the rough-cut runs on the bound thread (on the 80-suite instance it
    // takes 90–125 s, longer than a plan's time; the search must not wait for it), first
    // without the pool rows (several times faster: interior point 25 s against 6 s on the large
    // generated instance with pools), then with them. On the exact path it runs here.
    let mut rough = if large {
        roughcut::RoughCut {
            bound: f64::INFINITY,
            shadow: Vec::new(),
            status: "on the bound thread".into(),
            per_suite: vec![f64::INFINITY; p.suite_lines.len()],
            pool_shadow: Vec::new(),
        }
    } else {
        roughcut::lp(&p)
    };
    let mut bound = (booked + rough.bound).min(p.demand_weighted());
    if !large {
        progress(Progress {
            stage: "bound",
            message: format!("rough-cut LP bound {bound:.1} ({})", rough.status),
            incumbent: Some(greedy_value),
            bound: Some(bound),
        });
    }
    let pools_later = large && p.has_pools();

    if gap_of(best_value, bound) > 1e-9 {
        let limits = |secs: f64| Limits {
            time_limit_s: secs,
            mip_rel_gap: target,
            threads: opts.threads,
            solver: None,
        };
        if !large {
            let r = timeidx::solve_window(&p, &best, &everything, limits(left(&t0)));
            if r.gain > 0.0 {
                best = r.batches;
                best_value = p.served_weighted(&best);
            }
            bound = bound.min(booked + r.window_bound);
            timed_out = r.outcome.status.contains("TimeLimit");
            progress(Progress {
                stage: "mip",
                message: format!(
                    "exact MILP ({n_full} binaries, {}): incumbent {best_value:.1}, bound {bound:.1}",
                    r.outcome.status
                ),
                incumbent: Some(best_value),
                bound: Some(bound),
            });
        } else {
            // The day-level bounds (Lagrangian, then pooled LP) run on the second core while LNS
            // improves the plan; LNS reads the bound as soon as it is known, to stop at the
            // requested gap.
            let shared = AtomicU64::new(bound.to_bits());
            // The bound thread works on through expansion advice's share (on the other core).
            let lim = Limits {
                time_limit_s: (full_limit - t0.elapsed().as_secs_f64()).max(0.0) * 0.8,
                mip_rel_gap: 0.0,
                threads: Some(1),
                solver: Some("simplex"),
            };
            // The Lagrangian steps towards greedy's value: towards the (better) search start it
            // ended higher within its time (medium 5 s 19 765 against 19 751; large 30 s
            // 142 429 against 142 124), the Polyak steps being shorter.
            let (out, lp) = std::thread::scope(|scope| {
                let pref = &p;
                let shared_ref = &shared;
                let greedy_ref = &greedy;
                let handle = scope.spawn(move || {
                    let tb = Instant::now();
                    // Per component, the tightest of the rough-cut, the Lagrangian bound and the
                    // pooled LP (when it finishes); the bound improves as each one finishes.
                    let comps = bound::components(pref);
                    let publish = |per_comp: &[f64]| {
                        let total = booked + per_comp.iter().sum::<f64>();
                        let cur = f64::from_bits(shared_ref.load(Ordering::SeqCst));
                        shared_ref.store(cur.min(total).to_bits(), Ordering::SeqCst);
                    };
                    // The rough-cut without pool rows, for at most ROUGH_MAX_S (stopped, it proves
                    // nothing and prices nothing, and the Lagrangian gets the time instead).
                    let rough = roughcut::lp_with(
                        pref,
                        false,
                        Some((lim.time_limit_s * ROUGH_SHARE).min(ROUGH_MAX_S)),
                    );
                    let mut per_comp: Vec<f64> = comps
                        .iter()
                        .map(|c| c.iter().map(|s| rough.per_suite[*s]).sum())
                        .collect();
                    publish(&per_comp);
                    let lim = Limits {
                        time_limit_s: lim.time_limit_s - tb.elapsed().as_secs_f64(),
                        ..lim
                    };
                    let tb = Instant::now();
                    // First the Lagrangian bound (seconds, one core): near the pooled LP's value
                    // without its pool rows, on every component.
                    let lag_s = if rough.bound.is_finite() {
                        (lim.time_limit_s * LAGRANGE_SHARE).min(LAGRANGE_MAX_S)
                    } else {
                        lim.time_limit_s
                    };
                    let lag = lagrange::bound(pref, lag_s, greedy_ref, &rough.shadow, 1);
                    for (share, c) in per_comp.iter_mut().zip(&comps) {
                        *share = share.min(c.iter().map(|s| lag.per_suite[*s]).sum());
                    }
                    publish(&per_comp);
                    // Then the rough-cut with its pool rows: a tighter bound and the prices.
                    let mut with_pools = None;
                    if pools_later {
                        let secs = lim.time_limit_s - tb.elapsed().as_secs_f64();
                        let r = roughcut::lp_with(pref, true, Some(secs));
                        if r.bound.is_finite() {
                            for (share, c) in per_comp.iter_mut().zip(&comps) {
                                *share = share.min(c.iter().map(|s| r.per_suite[*s]).sum());
                            }
                            publish(&per_comp);
                        }
                        with_pools = Some(r);
                    }
                    let lim = Limits {
                        time_limit_s: lim.time_limit_s - tb.elapsed().as_secs_f64(),
                        ..lim
                    };
                    let mut finished = 0usize;
                    bound::pooled_lp_parts(pref, lim, &mut |(suites, b)| {
                        if let (Some(b), Some(i)) = (b, comps.iter().position(|c| c == suites)) {
                            per_comp[i] = per_comp[i].min(*b);
                            finished += 1;
                            publish(&per_comp);
                        }
                    });
                    (finished, comps.len(), with_pools, Some(lag), Some(rough))
                });
                let out = lns::improve(&p, best, &shared, opts, &t0, progress);
                // Expansion's joint step on this core while the bound thread finishes (the
                // shortfalls depend on the batches only).
                if opts.expansion {
                    let mut plan = describe(
                        pref,
                        &out.batches,
                        SolverStatus::Greedy,
                        0.0,
                        0.0,
                        greedy_value,
                        &[],
                        &[],
                    );
                    let budget = (full_limit - t0.elapsed().as_secs_f64()).max(0.0);
                    plan.expansion =
                        expansion::advise(pref, &out.batches, &plan.shortfalls, opts, budget);
                    described = Some(plan);
                }
                (out, handle.join().unwrap_or((0, 0, None, None, None)))
            });
            if let Some(r) = lp.4 {
                progress(Progress {
                    stage: "bound",
                    message: format!("rough-cut LP: {}", r.status),
                    incumbent: None,
                    bound: None,
                });
                rough = r;
            }
            if let Some(r) = lp.2 {
                progress(Progress {
                    stage: "bound",
                    message: format!("rough-cut LP with pool rows: {}", r.status),
                    incumbent: None,
                    bound: None,
                });
                // Its prices replace the pool-free ones when it finished.
                if r.bound.is_finite() {
                    rough = r;
                }
            }
            if let Some(lag) = &lp.3 {
                if lag.iterations > 0 {
                    prices = Some(lag.prices.clone());
                }
                progress(Progress {
                    stage: "bound",
                    message: format!(
                        "Lagrangian bound {:.1} ({} iterations, {:.1} s)",
                        lag.bound, lag.iterations, lag.seconds
                    ),
                    incumbent: None,
                    bound: Some(lag.bound),
                });
            }
            progress(Progress {
                stage: "bound",
                message: format!(
                    "day-level pooled LP finished for {} of {} components",
                    lp.0, lp.1
                ),
                incumbent: None,
                bound: Some(f64::from_bits(shared.load(Ordering::SeqCst))),
            });
            bound = f64::from_bits(shared.load(Ordering::SeqCst));
            best = out.batches;
            best_value = p.served_weighted(&best);
            timed_out = out.timed_out;
        }
    }
    bound = bound.max(best_value);
    let gap = gap_of(best_value, bound);
    let status = if gap <= 1e-9 {
        SolverStatus::Optimal
    } else if best_value <= greedy_value + 1e-9 && (timed_out || gap > target) {
        SolverStatus::Greedy
    } else if gap <= target + 1e-9 {
        SolverStatus::Feasible
    } else {
        SolverStatus::TimeLimit
    };
    progress(Progress {
        stage: "done",
        message: format!(
            "{status:?}: served {best_value:.1}, bound {bound:.1}, gap {:.3}%",
            gap * 100.0
        ),
        incumbent: Some(best_value),
        bound: Some(bound),
    });

    // The shadow prices of suite-months come from the day-level model: the Lagrangian's day
    // duals at its best multipliers (on the exact path, or when the search ended at once, a
    // short run of it now: milliseconds per iteration there).
    let prices = prices.unwrap_or_else(|| {
        let secs = left(&t0).clamp(0.05, PRICES_MAX_S);
        lagrange::bound(&p, secs, &best, &rough.shadow, 1).prices
    });
    let mut plan = match described {
        Some(plan) => Plan {
            status,
            gap,
            bound_weighted: bound,
            binding: binding_of(&p, &prices),
            pool_binding: pool_binding_of(&p, &rough.pool_shadow),
            ..plan
        },
        None => {
            let mut plan = describe(
                &p,
                &best,
                status,
                gap,
                bound,
                greedy_value,
                &prices,
                &rough.pool_shadow,
            );
            if opts.expansion {
                let budget = (full_limit - t0.elapsed().as_secs_f64()).max(0.0);
                plan.expansion = expansion::advise(&p, &best, &plan.shortfalls, opts, budget);
            }
            plan
        }
    };
    if opts.expansion {
        plan.pool_expansion = expansion::advise_pools(&p, &best, &plan.shortfalls, opts);
    }
    plan.seconds = t0.elapsed().as_secs_f64();
    Ok(plan)
}

/// The plan object for a set of planned batches.
///
/// A short unit's reason, beyond `no_usable_suite` and `earliest_start`: with the final plan in
/// place, its slots are scanned in greedy order (start day, suite name, line); if some usable line
/// is free for a whole batch at a start of its month but a pool has no room, the reason is that
/// pool's kind (`staff`, `qc`, `equipment`; the first short pool of the first such slot), else
/// `capacity`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn describe(
    p: &Prepared,
    batches: &[Batch],
    status: SolverStatus,
    gap: f64,
    bound: f64,
    greedy_value: f64,
    shadow: &[(usize, usize, f64)],
    pool_shadow: &[(usize, usize, f64)],
) -> Plan {
    let inst = p.inst;
    // The road steps the planner scheduled (tech transfers, engineering runs) and the batches,
    // by (start, line).
    let steps = p.road_steps.iter().map(|st| {
        let line = &p.lines[st.line];
        let s = Suggestion {
            program: p.program_key(st.program),
            suite: p.suite_keys[line.suite].clone(),
            line: line.number,
            start: p.date(st.start),
            end: p.date(st.start + st.len),
            month: p.months[p.month_of_day(st.start)],
            kind: st.kind,
        };
        ((st.start, st.line, 0), s)
    });
    let planned_batches = batches.iter().map(|b| {
        let unit = &p.units[b.unit];
        let prog = &p.progs[unit.prog];
        let line = &p.lines[b.line];
        let s = Suggestion {
            program: prog.key.clone(),
            suite: p.suite_keys[line.suite].clone(),
            line: line.number,
            start: p.date(b.start),
            end: p.date(b.start + prog.len),
            month: p.months[unit.month],
            kind: crate::BookingKind::GmpBatch,
        };
        ((b.start, b.line, b.unit + 1), s)
    });
    let mut keyed: Vec<_> = steps.chain(planned_batches).collect();
    keyed.sort_by_key(|(k, _)| *k);
    let suggestions: Vec<Suggestion> = keyed.into_iter().map(|(_, s)| s).collect();
    let mut planned = vec![0u32; p.units.len()];
    for b in batches {
        planned[b.unit] += 1;
    }
    let mut shortfalls = Vec::new();
    // The final plan's occupancy, lines and pools, for the pool and road reasons.
    let occ = (p.has_pools() || p.has_roads()).then(|| Occupancy::of_plan(p, batches));
    let (mut served_batches, mut demand_batches) = (0u32, 0u32);
    let mut explainer = None;
    for (u, unit) in p.units.iter().enumerate() {
        let got = (unit.booked + planned[u]).min(unit.demand);
        served_batches += got;
        demand_batches += unit.demand;
        if got >= unit.demand {
            continue;
        }
        let prog = &p.progs[unit.prog];
        let reason = if prog.usable_suites.is_empty() {
            ShortfallReason::NoUsableSuite
        } else if prog.earliest >= p.month_start[unit.month + 1] {
            ShortfallReason::EarliestStart
        } else if prog
            .usable_suites
            .iter()
            .all(|s| p.ready_in(unit.prog, *s) >= p.month_start[unit.month + 1])
        {
            ShortfallReason::TechTransfer
        } else {
            match occ.as_ref().map(|o| o.blocker(p, u)) {
                Some(Blocker::Pool(pool)) => ShortfallReason::of_pool(p.pools[pool].kind),
                Some(Blocker::Road) => ShortfallReason::TechTransfer,
                _ => ShortfallReason::Capacity,
            }
        };
        let competition = if reason == ShortfallReason::Capacity {
            explainer
                .get_or_insert_with(|| crate::explain::Explainer::new(p, batches))
                .competition(u)
        } else {
            Vec::new()
        };
        shortfalls.push(Shortfall {
            program: prog.key.clone(),
            month: p.months[unit.month],
            phase: unit.phase,
            demand: unit.demand,
            booked: unit.booked,
            planned: planned[u],
            shortfall: unit.demand - got,
            reason,
            competition,
        });
    }
    // Planned occupancy per line and day, to count each line-day in its own month.
    let mut planned_day = vec![vec![false; p.ext_days]; p.lines.len()];
    let spans = batches
        .iter()
        .map(|b| (b.line, b.start, p.progs[p.units[b.unit].prog].len))
        .chain(p.road_steps.iter().map(|st| (st.line, st.start, st.len)));
    for (line, start, len) in spans {
        for slot in &mut planned_day[line][start..(start + len).min(p.ext_days)] {
            *slot = true;
        }
    }
    let mut utilization = Vec::new();
    for (s, lines) in p.suite_lines.iter().enumerate() {
        for (mi, month) in p.months.iter().enumerate() {
            let range = p.month_start[mi]..p.month_start[mi + 1];
            let (mut open, mut bk, mut pl) = (0u32, 0u32, 0u32);
            for &l in lines {
                for d in range.clone() {
                    if p.open[l][d] {
                        open += 1;
                        bk += p.booked[l][d] as u32;
                        pl += planned_day[l][d] as u32;
                    }
                }
            }
            if open > 0 {
                utilization.push(Utilization {
                    suite: p.suite_keys[s].clone(),
                    month: *month,
                    open_line_days: open,
                    booked_line_days: bk,
                    planned_line_days: pl,
                });
            }
        }
    }
    let binding = binding_of(p, shadow);
    // Pools: capacity, bookings' and the plan's use per horizon month.
    let mut pool_utilization = Vec::new();
    if p.has_pools() {
        let mut planned_use = vec![vec![0u64; p.ext_days]; p.pools.len()];
        let uses = batches
            .iter()
            .map(|b| (b.start, p.batch_uses(p.units[b.unit].prog, b.line)))
            .chain(p.road_steps.iter().map(|st| (st.start, st.uses.as_slice())));
        for (start, list) in uses {
            for u in list {
                if let Some(x) = planned_use[u.pool].get_mut(start + u.offset) {
                    *x += u64::from(u.amount);
                }
            }
        }
        for (pi, pool) in p.pools.iter().enumerate() {
            for (mi, month) in p.months.iter().enumerate() {
                let range = p.month_start[mi]..p.month_start[mi + 1];
                let sum = |v: &[u32]| v[range.clone()].iter().map(|x| u64::from(*x)).sum::<u64>();
                let capacity = sum(&pool.capacity);
                let booked = sum(&pool.booked);
                let planned: u64 = planned_use[pi][range.clone()].iter().sum();
                if capacity + booked + planned > 0 {
                    let clip = |x: u64| u32::try_from(x).unwrap_or(u32::MAX);
                    pool_utilization.push(PoolUtilization {
                        pool: pool.key.clone(),
                        month: *month,
                        capacity: clip(capacity),
                        booked: clip(booked),
                        planned: clip(planned),
                    });
                }
            }
        }
    }
    let pool_binding = pool_binding_of(p, pool_shadow);
    let served = p.served_weighted(batches);
    let _ = inst;
    Plan {
        status,
        seconds: 0.0,
        gap,
        served_weighted: served,
        demand_weighted: p.demand_weighted(),
        bound_weighted: bound,
        served_batches,
        demand_batches,
        greedy_served_weighted: greedy_value,
        suggestions,
        shortfalls,
        utilization,
        expansion: Vec::new(),
        binding,
        pool_utilization,
        pool_binding,
        pool_expansion: Vec::new(),
    }
}

/// The suite-months with a non-zero shadow price, `(suite, month, price)`.
fn binding_of(p: &Prepared, shadow: &[(usize, usize, f64)]) -> Vec<Binding> {
    shadow
        .iter()
        .map(|(s, m, v)| Binding {
            suite: p.suite_keys[*s].clone(),
            month: p.months[*m],
            shadow_price: (v * 1000.0).round() / 1000.0,
        })
        .filter(|b| b.shadow_price != 0.0)
        .collect()
}

/// The pool-months with a non-zero shadow price, `(pool, month, price)`.
fn pool_binding_of(p: &Prepared, pool_shadow: &[(usize, usize, f64)]) -> Vec<PoolBinding> {
    pool_shadow
        .iter()
        .map(|(pool, m, v)| PoolBinding {
            pool: p.pools[*pool].key.clone(),
            month: p.months[*m],
            shadow_price: (v * 1000.0).round() / 1000.0,
        })
        .filter(|b| b.shadow_price != 0.0)
        .collect()
}

/// The greedy baseline as a plan (no MILP), e.g. for comparisons and as the fallback.
pub fn greedy(instance: &Instance) -> Result<Plan, PlanError> {
    let p = Prepared::new(instance)?;
    let g = greedy_batches(&p);
    let v = p.served_weighted(&g);
    let bound = p.demand_weighted().max(v);
    let gap = ((bound - v) / bound.max(1.0)).max(0.0);
    Ok(describe(
        &p,
        &g,
        SolverStatus::Greedy,
        gap,
        bound,
        v,
        &[],
        &[],
    ))
}
