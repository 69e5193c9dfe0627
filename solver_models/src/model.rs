//! The prepared planning problem: an [`Instance`] resolved to day indices, flat line numbers,
//! free calendars and demand units. Every solver stage (greedy, rough-cut, time-indexed MILP,
//! expansion) works on this; the feasibility checker deliberately does not (it re-reads the
//! instance on its own so that a bug here cannot hide behind itself).

use crate::calendar::{may_use, Occupant, ProgramNeeds, SuiteCalendar, SuiteRules};
use crate::demand;
use crate::types::{Instance, Phase, PhaseSuccess};
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
}

/// One physical line (suite, 1-based line number).
#[derive(Debug, Clone)]
pub struct LineInfo {
    pub suite: usize,
    pub number: u32,
}

#[derive(Debug, Clone)]
pub struct ProgInfo {
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
        }
        let mut seen = HashMap::new();
        for p in &inst.programs {
            if p.batch_days == 0 {
                return Err(PlanError::ZeroBatchDays(p.name.clone()));
            }
            if seen.insert(key_of(&p.id, &p.name), ()).is_some() {
                return Err(PlanError::Duplicate {
                    kind: "program",
                    key: key_of(&p.id, &p.name),
                });
            }
        }
        let max_len = inst
            .programs
            .iter()
            .map(|p| (p.batch_days + p.changeover_days) as usize)
            .max()
            .unwrap_or(1)
            .min(3700);
        let ext_days = n_days + max_len + 1;
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
            if let Some(pref) = &b.program {
                let pi = resolve(pref, &prog_ids, &prog_names)
                    .ok_or_else(|| PlanError::UnknownProgram(pref.clone()))?;
                if b.kind.serves_demand() && b.start >= from && b.start < to {
                    let mi = months
                        .iter()
                        .position(|m| *m == Month::of(b.start))
                        .unwrap_or(0);
                    booked_count[pi][mi] += 1;
                }
            }
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
        for (pi, p) in inst.programs.iter().enumerate() {
            let allowed: Option<Vec<usize>> = p.allowed_suites.as_ref().map(|refs| {
                // Unknown references (a retired suite) simply match nothing.
                refs.iter()
                    .filter_map(|r| resolve(r, &suite_ids, &suite_names))
                    .collect()
            });
            let needs = ProgramNeeds {
                required_capabilities: &p.required_capabilities,
                min_grade: p.min_grade,
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
            progs.push(ProgInfo {
                key: key_of(&p.id, &p.name),
                name: p.name.clone(),
                len: (p.batch_days + p.changeover_days) as usize,
                earliest,
                priority: p.priority,
                usable_suites,
                lines: plines,
                required_capabilities: p.required_capabilities.clone(),
                min_grade: p.min_grade,
            });
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
            for mi in 0..n_months {
                let bk = booked_count[pi][mi];
                let (phase, demand) = per_month[mi].unwrap_or((p.phase, 0));
                if demand == 0 && bk == 0 {
                    continue;
                }
                unit_of[pi][mi] = Some(units.len());
                units.push(Unit {
                    prog: pi,
                    month: mi,
                    phase,
                    weight: inst.weights.of(phase),
                    demand,
                    booked: bk,
                    remaining: demand.saturating_sub(bk),
                });
            }
        }
        let suite_keys = inst.suites.iter().map(|s| key_of(&s.id, &s.name)).collect();
        Ok(Prepared {
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
        })
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

/// Line occupancy during a search: the free calendar minus placed batches.
#[derive(Clone)]
pub struct Occupancy {
    pub busy: Vec<Vec<bool>>,
}

impl Occupancy {
    /// Busy = not free (closed, booked) initially.
    pub fn new(p: &Prepared) -> Occupancy {
        Occupancy {
            busy: p
                .free
                .iter()
                .map(|l| l.iter().map(|f| !*f).collect())
                .collect(),
        }
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
