//! # solver_models
//!
//! suiteplan's planning models as a pure library: an [`Instance`](types::Instance) in, a plan
//! out. No I/O, no database, no async: the service, the CLI and the benchmarks all call the same
//! functions.
//!
//! ## Layout
//! - [`types`]: the instance format (serde JSON), shared with the service and the CLI.
//! - [`month`]: calendar months.
//! - [`demand`]: integer demand by scenario, with the exact cumulative rounding rule.
//! - [`calendar`]: the calendar rules (usable suites, open lines, occupancy, free windows), shared
//!   with the service.
//! - [`model`]: the instance resolved to day indices, lines, free calendars and demand units.
//! - [`greedy`]: DESIGN.md's greedy baseline (also the MIP start and the fallback).
//! - [`milp`]: good_lp + HiGHS with the MIP dual bound kept.
//! - [`timeidx`]: the exact time-indexed MILP, whole or on a window of the plan.
//! - [`bound`]: the day-level LP bound with each suite's lines pooled.
//! - [`roughcut`]: the monthly rough-cut model: proven bound and shadow prices.
//! - [`lagrange`]: the Lagrangian bound (demand rows relaxed, each suite a min-cost flow on days).
//! - [`lns`]: large-neighbourhood search over month × suite-group windows.
//! - [`expansion`]: extra lines per capability class that remove capacity shortfalls.
//! - [`explain`]: what occupies the suite-months a short program competed for.
//! - [`plan`]: options, the plan format and [`plan::solve`].
//! - [`check`]: an independent feasibility checker for plans.
//! - [`generate`]: seeded generator of believable CDMO instances.

//!
//! ## How a plan is made ([`plan::solve`])
//! 1. [`greedy`]: DESIGN.md's baseline (reported as `greedy_served_weighted`); the search starts
//!    from the best of it and four other greedy orders ([`greedy::start_batches`]).
//! 2. [`roughcut`]: monthly rough-cut LP (every batch charged to the months it really occupies):
//!    a fast proven bound and the shadow prices of suite-months.
//! 3. Up to 15 000 binaries: the whole time-indexed MILP ([`timeidx`]) from the greedy start,
//!    with HiGHS's dual bound. Beyond: large-neighbourhood search ([`lns`]: month × suite-group
//!    windows re-optimised exactly, the rest fixed) on one core while the other proves bounds:
//!    first the Lagrangian bound ([`lagrange`], seconds), then the day-level pooled LP
//!    ([`bound`]) per compatibility component; each replaces the shares it improves.
//! 4. Shortfalls with reasons, utilisation, binding suite-months and [`expansion`] advice.
//!
//! Pools (staff crews, the QC lab, shared equipment; [`calendar`]'s pool rules) are cumulative
//! constraints in every stage: greedy's and the MILPs' slots need room in each pool on each need
//! day; the day-level bound puts suites sharing a pool in one component with pool-day rows; the
//! rough-cut has pool-month rows whose duals are the pools' shadow prices; shortfalls a pool
//! causes have reason `staff`, `qc` or `equipment`, and [`expansion`] may advise staff. A program
//! whose process changes by phase ([`types::Program::process`]) is planned as one entry per
//! process, each demand month with its phase's.
//!
//! Dedicated lines (a client's own equipment: over a [`types::Dedication`]'s dates only that
//! client's programs may use the line) and segregated suites ([`types::Segregation`]: one client,
//! or one program, in the suite on a day) hold in every stage too, their rules in [`calendar`]:
//! greedy, LNS and every heuristic placement test them in [`model::Occupancy::fits_batch`], road
//! steps when they are scheduled; the time-indexed MILP drops columns on lines dedicated to
//! another client or sharing a day with another party's booking, and keeps one party per day of a
//! segregated suite with a binary per (day, party); expansion advice adds unsegregated,
//! undedicated suites. The bounds (rough-cut, Lagrangian, pooled LP) relax both rules and stay
//! valid; a unit the rules keep out is short for `capacity`.
//!
//! Every returned plan is feasible to the day (checked independently by [`check`] in the tests
//! and benchmarks) and never worse than greedy; capacity problems are shortfalls, never errors.

pub mod bound;
pub mod calendar;
pub mod check;
pub mod demand;
pub mod expansion;
pub mod explain;
pub mod generate;
pub mod greedy;
pub mod lagrange;
pub mod lns;
pub mod milp;
pub mod model;
pub mod month;
pub mod plan;
pub mod road;
pub mod roughcut;
pub mod timeidx;
pub mod types;

pub use month::Month;
pub use types::*;
