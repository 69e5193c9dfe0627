//! The prepared planning problem: an [`Instance`] resolved to day indices, flat line numbers,
//! free calendars and demand units. Every solver stage (greedy, rough-cut, time-indexed MILP,
//! expansion) works on this; the feasibility checker deliberately does not (it re-reads the
//! instance on its own so that a bug here cannot hide behind itself).

use crate::calendar::{
    may_use, may_use_line, needs_of, party_of, pool_capacity, pool_serves, profile_reach,
    Dedicated, Occupant, Party, PoolCalendar, PoolRules, ProgramNeeds, SuiteCalendar, SuiteRules,
};
use crate::demand;
use crate::road::{self, RoadStep};
use crate::types::{
    phase_override_index, Instance, Phase, PhaseSuccess, PoolException, PoolKind, Process,
    ResourceNeed, Segregation,
};
use crate::Month;
use chrono::{Datelike, NaiveDate};
use std::collections::HashMap;

/// Invalid instances; capacity problems are never errors.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    #[error("`from` and `to` must be first days of months with from < to (got {from} .. {to})")]
    Horizon { from: NaiveDate, to: NaiveDate },
    #[error("suite `{0}` has no lines")]
    NoLines(String),
    #[error("program `{0}` has batch_days = 0")]
    ZeroBatchDays(String),
    #[error("duplicate {kind} key `{key}`")]
    Duplicate { kind: &'static str, key: String },
    #[error("booking refers to unknown suite `{0}`")]
    UnknownSuite(String),
    #[error("booking refers to unknown program `{0}`")]
    UnknownProgram(String),
    #[error("booking on suite `{suite}` uses line {line}, which does not exist")]
    UnknownLine { suite: String, line: u32 },
    #[error("booking on suite `{suite}` ends on or before its start ({start})")]
    EmptyBooking { suite: String, start: NaiveDate },
    #[error("the horizon is too long ({0} days)")]
    TooLong(i64),
    #[error("too many lines ({0}) for the horizon")]
    TooLarge(u64),
    /// Two pools would serve the same need of a suite: same tag, and the same site or one of
    /// them site-less. Which one a batch draws on would be a guess.
    #[error("pools `{first}` and `{second}` both serve tag `{tag}` (same site, or one serves every site)")]
    AmbiguousPool {
        tag: String,
        first: String,
        second: String,
    },
    /// A dedication names a line its suite does not have (a typo would silently dedicate
    /// nothing).
    #[error("dedication on suite `{suite}` names line {line}, which does not exist")]
    UnknownDedicatedLine { suite: String, line: u32 },
    #[error("dedication on suite `{suite}` ends on or before its start ({start})")]
    EmptyDedication { suite: String, start: NaiveDate },
    /// A resource need falls more than ten years after its batch's start (a typo, not a process).
    #[error("{owner}: resource need `{tag}` on day {offset} after the start (at most {MAX_NEED_OFFSET})")]
    NeedTooLate {
        owner: String,
        tag: String,
        offset: u32,
    },
}

/// Latest day offset a resource need may have (the horizon's own limit).
pub const MAX_NEED_OFFSET: u32 = 3700;

/// One physical line (suite, 1-based line number).
#[derive(Debug, Clone)]
pub struct LineInfo {
    pub suite: usize,
    pub number: u32,
}

#[derive(Debug, Clone)]
/// A program made with one process: the program itself, or, where its process changes by phase
/// ([`crate::types::Program::process`]), one entry per process its demand months use. Units
/// point at the entry of their phase's process.
pub struct ProgInfo {
    /// The program (index into the instance's programs).
    pub program: usize,
    pub key: String,
    pub name: String,
    /// Line-days a batch occupies (batch + changeover).
    pub len: usize,
    /// First day index a planned batch may start (0 when unrestricted).
    pub earliest: usize,
    pub priority: i32,
    pub usable_suites: Vec<usize>,
    /// Usable lines, sorted by (suite name, line number): greedy's tie-break order.
    pub lines: Vec<usize>,
    pub required_capabilities: Vec<String>,
    pub min_grade: crate::types::Grade,
    /// What one batch takes from the pools.
    pub profile: Vec<ResourceNeed>,
    /// Per suite, the first day a batch may start there: where the program's road to first
    /// batch at the suite's site is open, the day its last step ends ([`crate::road`]); empty
    /// when no road restricts the program.
    pub ready: Vec<usize>,
}

/// A capacity pool (staff crew, QC lab, shared equipment) on the prepared calendar.
#[derive(Debug, Clone)]
pub struct PoolInfo {
    /// Id if given, else name (as suites).
    pub key: String,
    pub kind: PoolKind,
    pub tag: String,
    /// Capacity per day index over `[0, ext_days)` ([`pool_capacity`]).
    pub capacity: Vec<u32>,
    /// Taken by held and confirmed bookings per day.
    pub booked: Vec<u32>,
    /// `capacity − booked`, 0 where the bookings alone already exceed the capacity: what planned
    /// batches may take.
    pub left: Vec<u32>,
    /// Working days: the pool's weekdays, minus days an exception closes (capacity 0). Expansion
    /// adds staff on these; shadow prices are per unit on each of them.
    pub working: Vec<bool>,
}

/// What one batch takes from one pool: `amount` on day `start + offset`. A batch's uses are
/// sorted by (offset, pool) with one entry per (pool, offset).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PoolUse {
    pub offset: usize,
    pub pool: usize,
    pub amount: u32,
}

/// Demand of one program in one horizon month.
#[derive(Debug, Clone)]
pub struct Unit {
    pub prog: usize,
    pub month: usize,
    pub phase: Phase,
    pub weight: f64,
    pub demand: u32,
    pub booked: u32,
    /// `max(0, demand − booked)`: the batches the planner may place.
    pub remaining: u32,
}

/// A planned batch: unit, line, start day index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Batch {
    pub unit: usize,
    pub line: usize,
    pub start: usize,
}

pub struct Prepared<'a> {
    pub inst: &'a Instance,
    pub from: NaiveDate,
    /// Days in the horizon `[from, to)`.
    pub n_days: usize,
    /// Calendar length: horizon plus the longest batch, so spills after `to` are checked.
    pub ext_days: usize,
    pub months: Vec<Month>,
    /// Day index of each month's first day; one extra entry = `n_days`.
    pub month_start: Vec<usize>,
    pub lines: Vec<LineInfo>,
    /// Per suite, its flat line indices.
    pub suite_lines: Vec<Vec<usize>>,
    pub suite_keys: Vec<String>,
    /// Per line and day: open (qualified and not closed).
    pub open: Vec<Vec<bool>>,
    /// Per line and day: open and not covered by a held/confirmed booking.
    pub free: Vec<Vec<bool>>,
    /// Per line and day: covered by a booking.
    pub booked: Vec<Vec<bool>>,
    pub progs: Vec<ProgInfo>,
    pub units: Vec<Unit>,
    /// `unit_of[prog][month]`, when that program has demand or bookings in the month.
    pub unit_of: Vec<Vec<Option<usize>>>,
    /// Capacity pools, in instance order; empty when the instance has none.
    pub pools: Vec<PoolInfo>,
    /// `pool_uses[prog][suite]`: what a batch of the program takes from the pools when run in
    /// the suite (needs no pool serves are unconstrained and left out). Empty when there are no
    /// pools.
    pub pool_uses: Vec<Vec<Vec<PoolUse>>>,
    /// Per booking, in instance order: its suite and, when it names one, its program (indices
    /// into the instance's lists).
    pub booking_at: Vec<(usize, Option<usize>)>,
    /// Road-to-first-batch steps (tech transfers, engineering runs) the planner scheduled
    /// before any batch; they stand in `free` and the pools' `left` like bookings.
    pub road_steps: Vec<RoadStep>,
    /// Dedicated lines: per line and day, who may occupy it ([`ANYONE`], [`NOBODY`] or a
    /// client's index, as [`client_of`](Self::client_of) numbers them), from
    /// [`may_use_line`]. An empty list for a line without dedications; empty when no suite
    /// has any, so that such instances pay nothing.
    pub line_clients: Vec<Vec<u32>>,
    /// Per program (instance index): its client's index among the clients dedications name;
    /// `None` when it has no client or one no dedication names (it may use only days open to
    /// anyone).
    pub client_of: Vec<Option<u32>>,
    /// Per suite: its segregation ([`Segregation`]).
    pub segregation: Vec<Segregation>,
    /// Per program (instance index): its party ([`party_of`]) under `same_client` and under
    /// `same_program`, as party indices.
    pub parties: Vec<[u32; 2]>,
    /// Per suite and day (over `ext_days`), for segregated suites: the parties the bookings and
    /// road steps occupy it for, with how many line-occupants each has there (an empty list
    /// per day for a suite without segregation; empty when no suite is segregated).
    pub seg_booked: Vec<SegDays>,
}

/// Anyone may occupy the line that day (no dedication covers it).
pub const ANYONE: u32 = u32::MAX;
/// Nobody may: dedications to different clients cover the day.
pub const NOBODY: u32 = u32::MAX - 1;

/// A segregated suite's days: per day, the parties occupying it and their occupant counts.
pub type SegDays = Vec<Vec<(u32, u32)>>;

/// Does a suite-day's list of parties leave room for `party`: nobody there, or only `party`?
fn seg_room(day: &[(u32, u32)], party: u32) -> bool {
    day.iter().all(|(q, _)| *q == party)
}

/// Counts one more (`add`) or one fewer occupant of `party` on a suite-day.
fn seg_count(day: &mut Vec<(u32, u32)>, party: u32, add: bool) {
    match day.iter().position(|(q, _)| *q == party) {
        Some(i) if add => day[i].1 += 1,
        Some(i) => {
            day[i].1 = day[i].1.saturating_sub(1);
            if day[i].1 == 0 {
                day.swap_remove(i);
            }
        }
        None if add => day.push((party, 1)),
        None => {}
    }
}

fn key_of(id: &Option<String>, name: &str) -> String {
    id.clone().unwrap_or_else(|| name.to_string())
}

/// Resolves a reference by id first, then by name.
fn resolve(reference: &str, ids: &[Option<String>], names: &[String]) -> Option<usize> {
    ids.iter()
        .position(|i| i.as_deref() == Some(reference))
        .or_else(|| names.iter().position(|n| n == reference))
}

pub fn day_index(from: NaiveDate, d: NaiveDate) -> i64 {
    (d - from).num_days()
}

impl<'a> Prepared<'a> {
    pub fn new(inst: &'a Instance) -> Result<Prepared<'a>, PlanError> {
        let (from, to) = (inst.from, inst.to);
        if from.day() != 1 || to.day() != 1 || to <= from {
            return Err(PlanError::Horizon { from, to });
        }
        let n_days_i = day_index(from, to);
        // Ten years is far beyond any plan; refusing protects memory from a typo'd year.
        if n_days_i > 3700 {
            return Err(PlanError::TooLong(n_days_i));
        }
        let n_days = n_days_i as usize;
        let mut seen = HashMap::new();
        for s in &inst.suites {
            if s.lines == 0 {
                return Err(PlanError::NoLines(s.name.clone()));
            }
            if seen.insert(key_of(&s.id, &s.name), ()).is_some() {
                return Err(PlanError::Duplicate {
                    kind: "suite",
                    key: key_of(&s.id, &s.name),
                });
            }
            for d in &s.dedications {
                if d.line == 0 || d.line > s.lines {
                    return Err(PlanError::UnknownDedicatedLine {
                        suite: s.name.clone(),
                        line: d.line,
                    });
                }
                if d.end.is_some_and(|e| e <= d.start) {
                    return Err(PlanError::EmptyDedication {
                        suite: s.name.clone(),
                        start: d.start,
                    });
                }
            }
        }
        let mut seen = HashMap::new();
        // Every process a program may be made with (its own and its phases').
        let processes =
            |p: &'a crate::types::Program| Phase::ALL.into_iter().map(|ph| p.process(ph));
        for p in &inst.programs {
            if processes(p).any(|pr| pr.batch_days == 0) {
                return Err(PlanError::ZeroBatchDays(p.name.clone()));
            }
            if seen.insert(key_of(&p.id, &p.name), ()).is_some() {
                return Err(PlanError::Duplicate {
                    kind: "program",
                    key: key_of(&p.id, &p.name),
                });
            }
        }
        // Open tech transfers' suite days count as the batches' do.
        let transfers = || {
            inst.programs
                .iter()
                .flat_map(|p| p.tech_transfers.iter().filter(|t| !t.completed))
        };
        let max_len = inst
            .programs
            .iter()
            .flat_map(processes)
            .map(|pr| pr.line_days() as usize)
            .chain(transfers().map(|t| t.days as usize))
            .max()
            .unwrap_or(1)
            .min(3700);
        // Pools: keys unique, no need served by two pools, needs within reach.
        let mut seen = HashMap::new();
        for (i, pool) in inst.pools.iter().enumerate() {
            let key = key_of(&pool.id, &pool.name);
            if seen.insert(key.clone(), ()).is_some() {
                return Err(PlanError::Duplicate { kind: "pool", key });
            }
            for other in &inst.pools[..i] {
                let overlap = match (&pool.site, &other.site) {
                    (Some(a), Some(b)) => a == b,
                    _ => true,
                };
                if other.tag == pool.tag && overlap {
                    return Err(PlanError::AmbiguousPool {
                        tag: pool.tag.clone(),
                        first: key_of(&other.id, &other.name),
                        second: key,
                    });
                }
            }
        }
        let too_late = |owner: String, profile: &[ResourceNeed]| {
            profile.iter().find_map(|n| {
                n.days
                    .iter()
                    .find(|d| **d > MAX_NEED_OFFSET)
                    .map(|d| PlanError::NeedTooLate {
                        owner: owner.clone(),
                        tag: n.tag.clone(),
                        offset: *d,
                    })
            })
        };
        for p in &inst.programs {
            for pr in processes(p) {
                if let Some(e) = too_late(format!("program `{}`", p.name), pr.resource_profile) {
                    return Err(e);
                }
            }
            for t in &p.tech_transfers {
                let owner = format!("program `{}`'s tech transfer at `{}`", p.name, t.site);
                if let Some(e) = too_late(owner, &t.resource_profile) {
                    return Err(e);
                }
            }
        }
        for b in &inst.bookings {
            if let Some(profile) = &b.resource_profile {
                let owner = format!("booking on `{}` from {}", b.suite, b.start);
                if let Some(e) = too_late(owner, profile) {
                    return Err(e);
                }
            }
        }
        // Days after a batch's start that it still takes something from a pool (QC release
        // runs past the suite occupancy): the calendar covers them so that they are checked.
        let max_reach = if inst.pools.is_empty() {
            0
        } else {
            inst.programs
                .iter()
                .flat_map(processes)
                .map(|pr| profile_reach(pr.resource_profile) as usize)
                .chain(transfers().map(|t| profile_reach(&t.resource_profile) as usize))
                .max()
                .unwrap_or(0)
        };
        let ext_days = n_days + max_len.max(max_reach) + 1;
        let total_lines: u64 = inst.suites.iter().map(|s| u64::from(s.lines)).sum();
        // Day calendars per line: refuse sizes no real CDMO has rather than exhaust memory.
        if total_lines > 5_000 || total_lines * ext_days as u64 > 20_000_000 {
            return Err(PlanError::TooLarge(total_lines));
        }

        let months: Vec<Month> = Month::of(from).until(Month::of(to)).collect();
        let mut month_start: Vec<usize> = months
            .iter()
            .map(|m| day_index(from, m.first_day()) as usize)
            .collect();
        month_start.push(n_days);

        let suite_ids: Vec<Option<String>> = inst.suites.iter().map(|s| s.id.clone()).collect();
        let suite_names: Vec<String> = inst.suites.iter().map(|s| s.name.clone()).collect();
        let prog_ids: Vec<Option<String>> = inst.programs.iter().map(|p| p.id.clone()).collect();
        let prog_names: Vec<String> = inst.programs.iter().map(|p| p.name.clone()).collect();

        // Bookings first, in order, so that the first invalid one is the error; they become
        // their suite's occupants.
        let n_months = months.len();
        let mut booked_count: Vec<Vec<u32>> = vec![vec![0; n_months]; inst.programs.len()];
        let mut occupants: Vec<Vec<Occupant<()>>> = vec![Vec::new(); inst.suites.len()];
        // Per booking: its suite and, when it runs a known program's process, that program.
        let mut booking_at: Vec<(usize, Option<usize>)> = Vec::with_capacity(inst.bookings.len());
        for b in &inst.bookings {
            let si = resolve(&b.suite, &suite_ids, &suite_names)
                .ok_or_else(|| PlanError::UnknownSuite(b.suite.clone()))?;
            if b.line == 0 || b.line > inst.suites[si].lines {
                return Err(PlanError::UnknownLine {
                    suite: b.suite.clone(),
                    line: b.line,
                });
            }
            if b.end <= b.start {
                return Err(PlanError::EmptyBooking {
                    suite: b.suite.clone(),
                    start: b.start,
                });
            }
            occupants[si].push(Occupant {
                line: b.line,
                start: b.start,
                end: b.end,
                tag: (),
            });
            let mut program = None;
            if let Some(pref) = &b.program {
                let pi = resolve(pref, &prog_ids, &prog_names)
                    .ok_or_else(|| PlanError::UnknownProgram(pref.clone()))?;
                program = Some(pi);
                if b.kind.serves_demand() && b.start >= from && b.start < to {
                    let mi = months
                        .iter()
                        .position(|m| *m == Month::of(b.start))
                        .unwrap_or(0);
                    booked_count[pi][mi] += 1;
                }
            }
            booking_at.push((si, program));
        }

        // Lines and their calendars (calendar::line_open and the bookings' occupancy).
        let mut lines = Vec::new();
        let mut suite_lines = Vec::new();
        let mut open = Vec::new();
        let mut booked = Vec::new();
        for ((si, s), occupants) in inst.suites.iter().enumerate().zip(occupants) {
            let cal = SuiteCalendar::new(&SuiteRules::from(s), &s.closures, occupants);
            let mut mine = Vec::new();
            for number in 1..=s.lines {
                mine.push(lines.len());
                lines.push(LineInfo { suite: si, number });
                open.push(cal.open_days(number, from, ext_days));
                booked.push(cal.occupied_days(number, from, ext_days));
            }
            suite_lines.push(mine);
        }
        let free: Vec<Vec<bool>> = open
            .iter()
            .zip(&booked)
            .map(|(o, b)| o.iter().zip(b).map(|(o, b)| *o && !*b).collect())
            .collect();

        // Programs.
        let defaults = inst.phase_success.or(&PhaseSuccess::published_defaults());
        let mut progs = Vec::new();
        let mut units = Vec::new();
        let mut unit_of = vec![vec![None; n_months]; inst.programs.len()];
        // Per program with an open road: its entry for each phase (the road's engineering runs
        // run the process of their month's phase).
        let mut variants: Vec<Option<[usize; 5]>> = vec![None; inst.programs.len()];
        for (pi, p) in inst.programs.iter().enumerate() {
            // One entry per distinct process (the program's, or an override's), made when a
            // demand month first needs it.
            let mut variant: Vec<(Option<usize>, usize)> = Vec::new();
            let mut variant_of = |phase: Phase, progs: &mut Vec<ProgInfo>| -> usize {
                let which = phase_override_index(&p.phase_processes, phase, |o| o.from_phase);
                if let Some((_, v)) = variant.iter().find(|(w, _)| *w == which) {
                    return *v;
                }
                let process = p.process(phase);
                progs.push(prog_info(
                    inst,
                    pi,
                    &process,
                    &suite_ids,
                    &suite_names,
                    &suite_lines,
                    &lines,
                    from,
                    ext_days,
                ));
                variant.push((which, progs.len() - 1));
                progs.len() - 1
            };
            let success = p.phase_success.unwrap_or_default().or(&defaults);
            let md = demand::integer_demand(&p.forecast, p.phase, inst.scenario, &success);
            // Several entries for one month add up; the latest phase names the month.
            let mut per_month: Vec<Option<(Phase, u32)>> = vec![None; n_months];
            for e in &md {
                if let Some(mi) = months.iter().position(|m| *m == e.month) {
                    let slot = per_month[mi].get_or_insert((e.phase, 0));
                    slot.0 = slot.0.max(e.phase);
                    slot.1 += e.batches;
                }
            }
            // The program's own process first, so that a program without overrides keeps its
            // index.
            variant_of(p.phase, &mut progs);
            for mi in 0..n_months {
                let bk = booked_count[pi][mi];
                let (phase, demand) = per_month[mi].unwrap_or((p.phase_in(months[mi]), 0));
                if demand == 0 && bk == 0 {
                    continue;
                }
                unit_of[pi][mi] = Some(units.len());
                units.push(Unit {
                    prog: variant_of(phase, &mut progs),
                    month: mi,
                    phase,
                    weight: inst.weights.of(phase),
                    demand,
                    booked: bk,
                    remaining: demand.saturating_sub(bk),
                });
            }
            if p.tech_transfers.iter().any(|t| !t.completed) {
                variants[pi] = Some(Phase::ALL.map(|ph| variant_of(ph, &mut progs)));
            }
        }
        let suite_keys = inst.suites.iter().map(|s| key_of(&s.id, &s.name)).collect();
        let (pools, pool_uses) = if inst.pools.is_empty() {
            (Vec::new(), vec![Vec::new(); progs.len()])
        } else {
            prepare_pools(inst, from, ext_days, &booking_at, &progs)
        };
        let (line_clients, client_of) = dedicated_days(inst, from, ext_days);
        let (segregation, parties, seg_booked) = segregated_days(inst, from, ext_days, &booking_at);
        let mut prepared = Prepared {
            inst,
            from,
            n_days,
            ext_days,
            months,
            month_start,
            lines,
            suite_lines,
            suite_keys,
            open,
            free,
            booked,
            progs,
            units,
            unit_of,
            pools,
            pool_uses,
            booking_at,
            road_steps: Vec::new(),
            line_clients,
            client_of,
            segregation,
            parties,
            seg_booked,
        };
        road::schedule(&mut prepared, &variants);
        Ok(prepared)
    }

    /// The horizon month (index) of day index `day` (the last month for days past it).
    pub fn month_of_day(&self, day: usize) -> usize {
        self.month_start[1..]
            .partition_point(|s| *s <= day)
            .min(self.months.len() - 1)
    }

    /// First day a batch of program entry `prog` may start in `suite` because of its roads.
    pub fn ready_in(&self, prog: usize, suite: usize) -> usize {
        self.progs[prog].ready.get(suite).copied().unwrap_or(0)
    }

    /// The earliest [`ready_in`](Self::ready_in) over the program's usable suites of `site`
    /// (every site when `None`).
    pub fn ready_at_site(&self, prog: usize, site: Option<&String>) -> usize {
        let info = &self.progs[prog];
        info.usable_suites
            .iter()
            .filter(|s| site.is_none() || self.inst.suites[**s].site.as_ref() == site)
            .map(|s| self.ready_in(prog, *s))
            .min()
            .unwrap_or(0)
    }

    /// Start days a planned batch of unit `u` may use in `suite`: [`start_range`]
    /// (Self::start_range) from the day the program's road there is done.
    pub fn suite_starts(&self, u: usize, suite: usize) -> std::ops::Range<usize> {
        let r = self.start_range(u);
        let lo = r.start.max(self.ready_in(self.units[u].prog, suite));
        lo..r.end.max(lo)
    }

    /// Is `line` free over `[start, start + len)` for a step of `program` (instance index): open,
    /// unoccupied, not dedicated to another client, its suite not segregated for another party
    /// on those days, and have the pools room for `uses` there, on the calendar as bookings
    /// and road steps leave it?
    pub(crate) fn step_fits(
        &self,
        program: usize,
        line: usize,
        start: usize,
        len: usize,
        uses: &[PoolUse],
    ) -> bool {
        let cal = &self.free[line];
        start + len <= cal.len()
            && cal[start..start + len].iter().all(|f| *f)
            && self.dedication_allows(program, line, start, len)
            && self
                .party_in(program, self.lines[line].suite)
                .is_none_or(|q| {
                    self.seg_booked[self.lines[line].suite][start..start + len]
                        .iter()
                        .all(|day| seg_room(day, q))
                })
            && uses.iter().all(|u| {
                self.pools[u.pool]
                    .left
                    .get(start + u.offset)
                    .is_some_and(|l| *l >= u.amount)
            })
    }

    /// Takes a road step's line and pools and lists it.
    pub(crate) fn take_step(&mut self, step: RoadStep) {
        let end = (step.start + step.len).min(self.ext_days);
        for f in &mut self.free[step.line][step.start..end] {
            *f = false;
        }
        if let Some(q) = self.party_in(step.program, self.lines[step.line].suite) {
            let suite = self.lines[step.line].suite;
            for day in &mut self.seg_booked[suite][step.start..end] {
                seg_count(day, q, true);
            }
        }
        for u in &step.uses {
            if let Some(left) = self.pools[u.pool].left.get_mut(step.start + u.offset) {
                *left = left.saturating_sub(u.amount);
            }
        }
        self.road_steps.push(step);
    }

    /// Does the instance dedicate no line at all (then no dedication check runs)?
    pub fn no_dedications(&self) -> bool {
        self.line_clients.is_empty()
    }

    /// May `program` (instance index) occupy `line` on every day of `[start, start + len)`
    /// under the dedications ([`line_clients`](Self::line_clients))? Days past the calendar
    /// are not the dedications' to refuse.
    pub fn dedication_allows(&self, program: usize, line: usize, start: usize, len: usize) -> bool {
        let Some(days) = self.line_clients.get(line).filter(|d| !d.is_empty()) else {
            return true;
        };
        let mine = self.client_of[program];
        let end = (start + len).min(days.len());
        days[start.min(end)..end]
            .iter()
            .all(|c| *c == ANYONE || Some(*c) == mine)
    }

    /// The party `program` (instance index) occupies `suite` for ([`party_of`]); `None` when
    /// the suite is not segregated.
    pub fn party_in(&self, program: usize, suite: usize) -> Option<u32> {
        match self.segregation[suite] {
            Segregation::Any => None,
            Segregation::SameClient => Some(self.parties[program][0]),
            Segregation::SameProgram => Some(self.parties[program][1]),
        }
    }

    /// Is some suite segregated (else no segregation check runs)?
    pub fn has_segregation(&self) -> bool {
        !self.seg_booked.is_empty()
    }

    /// A program's key (id if given, else name), as plans name it.
    pub fn program_key(&self, program: usize) -> String {
        let q = &self.inst.programs[program];
        key_of(&q.id, &q.name)
    }

    /// Does some program wait for a road to first batch at some suite?
    pub fn has_roads(&self) -> bool {
        self.progs.iter().any(|i| !i.ready.is_empty())
    }

    /// Does the instance have pools at all (else every pool check is skipped)?
    pub fn has_pools(&self) -> bool {
        !self.pools.is_empty()
    }

    /// What a batch of program `prog` on `line` takes from the pools (empty without pools).
    pub fn batch_uses(&self, prog: usize, line: usize) -> &[PoolUse] {
        self.suite_uses(prog, self.lines[line].suite)
    }

    /// What a batch of program `prog` in suite `suite` takes from the pools.
    pub fn suite_uses(&self, prog: usize, suite: usize) -> &[PoolUse] {
        self.pool_uses
            .get(prog)
            .and_then(|v| v.get(suite))
            .map_or(&[], |v| v.as_slice())
    }

    pub fn date(&self, day: usize) -> NaiveDate {
        self.from + chrono::Days::new(day as u64)
    }

    /// Start days a planned batch of unit `u` may use (month of the unit, ≥ earliest start).
    pub fn start_range(&self, u: usize) -> std::ops::Range<usize> {
        let unit = &self.units[u];
        let p = &self.progs[unit.prog];
        let lo = self.month_start[unit.month].max(p.earliest);
        let hi = self.month_start[unit.month + 1];
        lo..hi.max(lo)
    }

    /// Weighted value served by the bookings alone (counted at most demand per unit).
    pub fn booked_weighted(&self) -> f64 {
        self.units
            .iter()
            .map(|u| u.weight * u.booked.min(u.demand) as f64)
            .sum()
    }

    pub fn demand_weighted(&self) -> f64 {
        self.units.iter().map(|u| u.weight * u.demand as f64).sum()
    }

    /// Weighted objective of a set of planned batches (bookings included).
    pub fn served_weighted(&self, batches: &[Batch]) -> f64 {
        let mut count = vec![0u32; self.units.len()];
        for b in batches {
            count[b.unit] += 1;
        }
        self.booked_weighted()
            + self
                .units
                .iter()
                .zip(&count)
                .map(|(u, c)| u.weight * (*c).min(u.remaining) as f64)
                .sum::<f64>()
    }
}

/// Dedicated lines' day calendars ([`Prepared::line_clients`]) and each program's client index
/// ([`Prepared::client_of`]); both empty when no suite dedicates a line.
fn dedicated_days(
    inst: &Instance,
    from: NaiveDate,
    ext_days: usize,
) -> (Vec<Vec<u32>>, Vec<Option<u32>>) {
    if inst.suites.iter().all(|s| s.dedications.is_empty()) {
        return (Vec::new(), Vec::new());
    }
    // Clients in order of first mention; the programs' indices point into them.
    let mut clients: Vec<&str> = Vec::new();
    for d in inst.suites.iter().flat_map(|s| &s.dedications) {
        if !clients.contains(&d.client.as_str()) {
            clients.push(&d.client);
        }
    }
    let index = |c: &str| clients.iter().position(|x| *x == c).map(|i| i as u32);
    let client_of = inst
        .programs
        .iter()
        .map(|p| p.client.as_deref().and_then(index))
        .collect();
    let mut line_clients = Vec::new();
    for s in &inst.suites {
        let rules: Vec<Dedicated<&str>> = s.dedications.iter().map(Dedicated::from).collect();
        for number in 1..=s.lines {
            let mine: Vec<Dedicated<&str>> =
                rules.iter().copied().filter(|d| d.line == number).collect();
            if mine.is_empty() {
                line_clients.push(Vec::new());
                continue;
            }
            // Per day, the rule's answer: open to anyone, to the one client whose programs
            // may use it, or to nobody.
            let days = (0..ext_days)
                .map(|t| {
                    let day = from + chrono::Days::new(t as u64);
                    if may_use_line(&mine, number, None, day) {
                        return ANYONE;
                    }
                    mine.iter()
                        .find(|d| may_use_line(&mine, number, Some(&d.client), day))
                        .and_then(|d| index(d.client))
                        .unwrap_or(NOBODY)
                })
                .collect();
            line_clients.push(days);
        }
    }
    (line_clients, client_of)
}

/// Per suite its segregation, per program its parties under `same_client` and `same_program`
/// ([`party_of`], interned), and per segregated suite and day the parties its bookings occupy it
/// for ([`Prepared::seg_booked`]; empty when no suite is segregated).
fn segregated_days(
    inst: &Instance,
    from: NaiveDate,
    ext_days: usize,
    booking_at: &[(usize, Option<usize>)],
) -> (Vec<Segregation>, Vec<[u32; 2]>, Vec<SegDays>) {
    let segregation: Vec<Segregation> = inst.suites.iter().map(|s| s.segregation).collect();
    if segregation.iter().all(|g| *g == Segregation::Any) {
        return (segregation, vec![[0, 0]; inst.programs.len()], Vec::new());
    }
    let mut interned: HashMap<Party<String, String>, u32> = HashMap::new();
    let mut intern = |party: Option<Party<String, String>>| {
        // Never `None`: the segregations asked for are not `any`.
        let party = party.unwrap_or(Party::Nobody);
        let next = interned.len() as u32;
        *interned.entry(party).or_insert(next)
    };
    let party = |g: Segregation, program: Option<usize>| {
        let p = program.map(|pi| &inst.programs[pi]);
        party_of(
            g,
            p.map(|p| key_of(&p.id, &p.name)),
            p.and_then(|p| p.client.clone()),
        )
    };
    let parties: Vec<[u32; 2]> = (0..inst.programs.len())
        .map(|pi| {
            [
                intern(party(Segregation::SameClient, Some(pi))),
                intern(party(Segregation::SameProgram, Some(pi))),
            ]
        })
        .collect();
    let mut days: Vec<SegDays> = segregation
        .iter()
        .map(|g| match g {
            Segregation::Any => Vec::new(),
            _ => vec![Vec::new(); ext_days],
        })
        .collect();
    for (b, (si, program)) in inst.bookings.iter().zip(booking_at) {
        let g = segregation[*si];
        if g == Segregation::Any {
            continue;
        }
        let q = intern(party(g, *program));
        let lo = day_index(from, b.start).clamp(0, ext_days as i64) as usize;
        let hi = day_index(from, b.end).clamp(0, ext_days as i64) as usize;
        for day in &mut days[*si][lo..hi.max(lo)] {
            seg_count(day, q, true);
        }
    }
    (segregation, parties, days)
}

/// The pool serving need `tag` in a suite of `site` ([`pool_serves`]); validation made it unique.
fn serving_pool(inst: &Instance, site: Option<&String>, tag: &str) -> Option<usize> {
    inst.pools
        .iter()
        .position(|pool| pool_serves(pool.site.as_ref(), &pool.tag, site, tag))
}

/// A profile's uses of the pools serving a suite of `site`, sorted by (offset, pool), one entry
/// per (pool, offset) (a day listed twice counts twice).
pub fn uses_at(inst: &Instance, site: Option<&String>, profile: &[ResourceNeed]) -> Vec<PoolUse> {
    let mut out: Vec<PoolUse> = Vec::new();
    for n in profile.iter().filter(|n| n.amount > 0) {
        let Some(pool) = serving_pool(inst, site, &n.tag) else {
            continue;
        };
        for d in &n.days {
            out.push(PoolUse {
                offset: *d as usize,
                pool,
                amount: n.amount,
            });
        }
    }
    out.sort_unstable();
    let mut merged: Vec<PoolUse> = Vec::with_capacity(out.len());
    for u in out {
        match merged.last_mut() {
            Some(last) if last.offset == u.offset && last.pool == u.pool => {
                last.amount = last.amount.saturating_add(u.amount);
            }
            _ => merged.push(u),
        }
    }
    merged
}

/// Pools' day calendars (capacity, bookings' use, what is left) and programs' uses per suite.
fn prepare_pools(
    inst: &Instance,
    from: NaiveDate,
    ext_days: usize,
    booking_at: &[(usize, Option<usize>)],
    progs: &[ProgInfo],
) -> (Vec<PoolInfo>, Vec<Vec<Vec<PoolUse>>>) {
    let to = from + chrono::Days::new(ext_days as u64);
    let mut calendars: Vec<PoolCalendar<usize>> = inst
        .pools
        .iter()
        .map(|pool| PoolCalendar::new(&PoolRules::from(pool), from, to))
        .collect();
    for (bi, (b, (si, program))) in inst.bookings.iter().zip(booking_at).enumerate() {
        // Explicit profile, else its program's for the kind ([`Program::booking_profile`]).
        let site = inst.suites[*si].site.as_ref();
        let profile: &[ResourceNeed] = match (&b.resource_profile, program) {
            (Some(profile), _) => profile,
            (None, Some(pi)) => inst.programs[*pi].booking_profile(
                b.kind,
                Month::of(b.start),
                site.map(String::as_str),
            ),
            _ => &[],
        };
        for (ni, day, amount) in needs_of(profile, b.start) {
            if let Some(pool) = serving_pool(inst, site, &profile[ni].tag) {
                calendars[pool].take(day, amount, bi);
            }
        }
    }
    let pools = inst
        .pools
        .iter()
        .zip(&calendars)
        .map(|(pool, cal)| {
            let (mut capacity, mut booked) = (Vec::new(), Vec::new());
            for (_, c, u) in cal.days() {
                capacity.push(c);
                booked.push(u);
            }
            let left = capacity
                .iter()
                .zip(&booked)
                .map(|(c, b)| c.saturating_sub(*b))
                .collect();
            // A working day is one the rules give capacity to when every positive capacity is 1.
            let exceptions: Vec<PoolException> = pool
                .exceptions
                .iter()
                .map(|e| PoolException {
                    capacity: e.capacity.min(1),
                    ..e.clone()
                })
                .collect();
            let unit = PoolRules {
                capacity: 1,
                weekdays: &pool.weekdays,
                exceptions: &exceptions,
            };
            let working = (0..ext_days)
                .map(|d| pool_capacity(&unit, from + chrono::Days::new(d as u64)) > 0)
                .collect();
            PoolInfo {
                key: key_of(&pool.id, &pool.name),
                kind: pool.kind,
                tag: pool.tag.clone(),
                capacity,
                booked,
                left,
                working,
            }
        })
        .collect();
    let uses = progs
        .iter()
        .map(|info| {
            let mut per_suite = vec![Vec::new(); inst.suites.len()];
            for &si in &info.usable_suites {
                per_suite[si] = uses_at(inst, inst.suites[si].site.as_ref(), &info.profile);
            }
            per_suite
        })
        .collect();
    (pools, uses)
}

/// What keeps one more batch of a unit out of a plan, scanning its slots in greedy order
/// (start day, suite name, line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blocker {
    /// No usable line is free for a whole batch at any start of the month.
    Lines,
    /// A line was free but this pool was short (the first short pool of the first such slot).
    Pool(usize),
    /// A line was free, but before the program's road to first batch at its site was done.
    Road,
    /// The batch fits somewhere: nothing blocks it.
    None,
}

/// Line occupancy and what the pools have left during a search: the free calendar and the
/// pools' capacity after bookings, minus placed batches.
#[derive(Clone)]
pub struct Occupancy {
    pub busy: Vec<Vec<bool>>,
    /// Per pool and day: capacity left for planned batches (empty without pools).
    pub pool_left: Vec<Vec<u32>>,
    /// Per segregated suite and day: the parties occupying it (bookings, road steps and placed
    /// batches) with their counts ([`Prepared::seg_booked`] plus the batches; empty when no
    /// suite is segregated).
    pub seg: Vec<SegDays>,
}

impl Occupancy {
    /// Busy = not free (closed, booked) initially; pools as the bookings leave them.
    pub fn new(p: &Prepared) -> Occupancy {
        Occupancy {
            busy: p
                .free
                .iter()
                .map(|l| l.iter().map(|f| !*f).collect())
                .collect(),
            pool_left: p.pools.iter().map(|pool| pool.left.clone()).collect(),
            seg: p.seg_booked.clone(),
        }
    }

    /// The occupancy of a plan: bookings, then `batches`.
    pub fn of_plan(p: &Prepared, batches: &[Batch]) -> Occupancy {
        let mut occ = Occupancy::new(p);
        for b in batches {
            occ.place(p, b);
        }
        occ
    }

    /// Do the pools have room for `uses` from `start`?
    pub fn pools_fit(&self, uses: &[PoolUse], start: usize) -> bool {
        self.first_short(uses, start).is_none()
    }

    /// The first pool (in day order) without room for `uses` from `start`.
    pub fn first_short(&self, uses: &[PoolUse], start: usize) -> Option<usize> {
        uses.iter()
            .find(|u| {
                self.pool_left[u.pool]
                    .get(start + u.offset)
                    .is_none_or(|left| *left < u.amount)
            })
            .map(|u| u.pool)
    }

    /// Does a batch of `prog` fit `line` from `start`: the program's road to the suite's site
    /// done, the line free for its whole length, open to the program under its dedications,
    /// its suite shared with nobody the segregation keeps apart from the program, and every
    /// pool with room on its days? The one place heuristics test a placement.
    pub fn fits_batch(&self, p: &Prepared, prog: usize, line: usize, start: usize) -> bool {
        start >= p.ready_in(prog, p.lines[line].suite)
            && self.room(p, prog, line, start)
            && self.pools_fit(p.batch_uses(prog, line), start)
    }

    /// The line part of [`fits_batch`](Self::fits_batch): free for the whole batch, open to
    /// the program under the dedications and the suite's segregation.
    pub fn room(&self, p: &Prepared, prog: usize, line: usize, start: usize) -> bool {
        let len = p.progs[prog].len;
        self.fits(line, start, len)
            && p.dedication_allows(p.progs[prog].program, line, start, len)
            && self.segregation_allows(p, prog, line, start)
    }

    /// May a batch of `prog` on `line` from `start` share its suite with what occupies it on
    /// those days (true where the suite is not segregated)?
    pub fn segregation_allows(&self, p: &Prepared, prog: usize, line: usize, start: usize) -> bool {
        if self.seg.is_empty() {
            return true;
        }
        let suite = p.lines[line].suite;
        let Some(q) = p.party_in(p.progs[prog].program, suite) else {
            return true;
        };
        let days = &self.seg[suite];
        let end = (start + p.progs[prog].len).min(days.len());
        days[start.min(end)..end].iter().all(|day| seg_room(day, q))
    }

    /// Counts batch `b`'s party on its suite's days (`add`), or takes it off.
    fn count_party(&mut self, p: &Prepared, b: &Batch, add: bool) {
        if self.seg.is_empty() {
            return;
        }
        let prog = p.units[b.unit].prog;
        let suite = p.lines[b.line].suite;
        if let Some(q) = p.party_in(p.progs[prog].program, suite) {
            let days = &mut self.seg[suite];
            let end = (b.start + p.progs[prog].len).min(days.len());
            for day in &mut days[b.start.min(end)..end] {
                seg_count(day, q, add);
            }
        }
    }

    /// Takes the line and the pools for batch `b` (which must fit).
    pub fn place(&mut self, p: &Prepared, b: &Batch) {
        let prog = p.units[b.unit].prog;
        self.set(b.line, b.start, p.progs[prog].len, true);
        self.count_party(p, b, true);
        for u in p.batch_uses(prog, b.line) {
            if let Some(left) = self.pool_left[u.pool].get_mut(b.start + u.offset) {
                *left = left.saturating_sub(u.amount);
            }
        }
    }

    /// Gives back what [`place`](Self::place) took.
    pub fn remove(&mut self, p: &Prepared, b: &Batch) {
        let prog = p.units[b.unit].prog;
        self.set(b.line, b.start, p.progs[prog].len, false);
        self.count_party(p, b, false);
        for u in p.batch_uses(prog, b.line) {
            if let Some(left) = self.pool_left[u.pool].get_mut(b.start + u.offset) {
                *left = left.saturating_add(u.amount);
            }
        }
    }

    /// What keeps one more batch of unit `u` out (see [`Blocker`]).
    pub fn blocker(&self, p: &Prepared, u: usize) -> Blocker {
        let prog = p.units[u].prog;
        let mut first = Blocker::Lines;
        for start in p.start_range(u) {
            for &line in &p.progs[prog].lines {
                if !self.room(p, prog, line, start) {
                    continue;
                }
                if start < p.ready_in(prog, p.lines[line].suite) {
                    if first == Blocker::Lines {
                        first = Blocker::Road;
                    }
                    continue;
                }
                match self.first_short(p.batch_uses(prog, line), start) {
                    None => return Blocker::None,
                    Some(pool) if first == Blocker::Lines => first = Blocker::Pool(pool),
                    Some(_) => {}
                }
            }
        }
        first
    }
    pub fn fits(&self, line: usize, start: usize, len: usize) -> bool {
        let cal = &self.busy[line];
        start + len <= cal.len() && cal[start..start + len].iter().all(|b| !*b)
    }
    pub fn set(&mut self, line: usize, start: usize, len: usize, value: bool) {
        let cal = &mut self.busy[line];
        let end = (start + len).min(cal.len());
        for slot in &mut cal[start..end] {
            *slot = value;
        }
    }
}

/// A program's entry for one process: usable suites and lines (greedy's tie-break order: suite
/// name, line number), batch length and profile.
#[allow(clippy::too_many_arguments)]
fn prog_info(
    inst: &Instance,
    pi: usize,
    process: &Process<'_>,
    suite_ids: &[Option<String>],
    suite_names: &[String],
    suite_lines: &[Vec<usize>],
    lines: &[LineInfo],
    from: NaiveDate,
    ext_days: usize,
) -> ProgInfo {
    let p = &inst.programs[pi];
    let allowed: Option<Vec<usize>> = process.allowed_suites.map(|refs| {
        // Unknown references (a retired suite) simply match nothing.
        refs.iter()
            .filter_map(|r| resolve(r, suite_ids, suite_names))
            .collect()
    });
    let needs = ProgramNeeds {
        required_capabilities: process.required_capabilities,
        min_grade: process.min_grade,
        allowed_suites: allowed.as_deref(),
    };
    let usable_suites: Vec<usize> = inst
        .suites
        .iter()
        .enumerate()
        .filter(|(si, s)| may_use(&needs, si, &SuiteRules::from(*s)).is_ok())
        .map(|(si, _)| si)
        .collect();
    let mut plines: Vec<usize> = usable_suites
        .iter()
        .flat_map(|si| suite_lines[*si].iter().copied())
        .collect();
    plines.sort_by(|a, b| {
        let (la, lb) = (&lines[*a], &lines[*b]);
        inst.suites[la.suite]
            .name
            .cmp(&inst.suites[lb.suite].name)
            .then(la.number.cmp(&lb.number))
    });
    let earliest = p
        .earliest_start
        .map(|e| day_index(from, e).clamp(0, ext_days as i64) as usize)
        .unwrap_or(0);
    ProgInfo {
        program: pi,
        key: key_of(&p.id, &p.name),
        name: p.name.clone(),
        len: process.line_days() as usize,
        earliest,
        priority: p.priority,
        usable_suites,
        lines: plines,
        required_capabilities: process.required_capabilities.to_vec(),
        min_grade: process.min_grade,
        profile: process.resource_profile.to_vec(),
        ready: Vec::new(),
    }
}
