//! The road to a program's first GMP batch at a site ([`TechTransfer`]): a tech transfer, then
//! engineering runs, one after the other, all finished before the first batch that serves demand
//! there starts.
//!
//! The rules live here once, for the planner, the service's booking path and its reads:
//! - which bookings are steps of a road ([`is_step`]) and what is left of a road once the
//!   program's bookings at the site are counted ([`road_state`]);
//! - how the planner schedules what is left ([`schedule`]): before any batch is planned, roads
//!   in order of program priority (highest first), then program key; each step at its earliest
//!   start on the site's lines (suite name, line number), after the step before it, after the
//!   road's booked steps and not before the program's earliest start, with its line free and
//!   every pool it draws on having room, the line not dedicated to another client and its suite
//!   not segregated for another party on those days (`Prepared::step_fits`). A tech transfer takes a line of a suite at the site with
//!   its capabilities (the process's when not given) and the process's grade, for `days`; an
//!   engineering run is a batch of the process of its month's phase in a suite the process may
//!   use at the site. The steps then stand in the calendar like bookings, and batches that serve
//!   demand at the site start on or after the day the last step ends (never, within the horizon,
//!   when a step finds no room).
//!
//! Scheduling roads first and earliest is a rule, not an optimisation: the plan's bound is the
//! bound of the batches given the roads so placed. A road is the start of a client's programme
//! at a site, so it goes before any batch the planner might suggest instead.

use crate::calendar::{may_use, ProgramNeeds, SuiteRules};
use crate::model::{uses_at, PoolUse, Prepared};
use crate::types::{BookingKind, Phase, TechTransfer};
use chrono::NaiveDate;

/// Is a booking of `kind` a step on a road to first batch (a tech transfer, an engineering run)?
pub fn is_step(kind: BookingKind) -> bool {
    matches!(
        kind,
        BookingKind::TechTransfer | BookingKind::EngineeringRun
    )
}

/// What is left of a road once the program's bookings of its steps at the site are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoadState {
    /// The tech transfer still needs a line (it has suite days and none is booked).
    pub tech_transfer_left: bool,
    /// Engineering runs still to run.
    pub runs_left: u32,
    /// When the booked steps end (the latest), if any is booked.
    pub booked_end: Option<NaiveDate>,
}

impl RoadState {
    /// Nothing left to schedule: batches may start from [`booked_end`](Self::booked_end) on.
    pub fn done(&self) -> bool {
        !self.tech_transfer_left && self.runs_left == 0
    }
}

/// The state of `road` given the program's bookings at the site as `(kind, end)`; bookings of
/// other kinds are ignored. A completed road has nothing left and nothing to wait for.
pub fn road_state(
    road: &TechTransfer,
    bookings: impl IntoIterator<Item = (BookingKind, NaiveDate)>,
) -> RoadState {
    let (mut transfer, mut runs, mut end) = (false, 0u32, None::<NaiveDate>);
    if !road.completed {
        for (kind, e) in bookings {
            match kind {
                BookingKind::TechTransfer => transfer = true,
                BookingKind::EngineeringRun => runs += 1,
                _ => continue,
            }
            end = Some(end.map_or(e, |x| x.max(e)));
        }
    }
    RoadState {
        tech_transfer_left: !road.completed && road.days > 0 && !transfer,
        runs_left: if road.completed {
            0
        } else {
            road.engineering_runs.saturating_sub(runs)
        },
        booked_end: end,
    }
}

/// A road step the planner scheduled: it occupies `line` over `[start, start + len)` and takes
/// `uses` from the pools, like a booking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoadStep {
    /// The program (index into the instance's programs).
    pub program: usize,
    pub kind: BookingKind,
    pub line: usize,
    pub start: usize,
    pub len: usize,
    pub uses: Vec<PoolUse>,
}

/// Schedules every open road of the instance (see the module's rules) into `p`'s calendars: the
/// steps take their lines and pools, `p.road_steps` lists them and each program entry's `ready`
/// gets, per suite of a road's site, the first day a batch serving demand may start there.
/// `variants[program][phase]` is the entry of the program's process in that phase (filled for
/// programs with roads).
pub(crate) fn schedule(p: &mut Prepared, variants: &[Option<[usize; 5]>]) {
    let inst = p.inst;
    let mut order: Vec<usize> = (0..inst.programs.len())
        .filter(|pi| variants[*pi].is_some())
        .collect();
    order.sort_by(|a, b| {
        let (pa, pb) = (&inst.programs[*a], &inst.programs[*b]);
        pb.priority
            .cmp(&pa.priority)
            .then(p.program_key(*a).cmp(&p.program_key(*b)))
    });
    let n_suites = inst.suites.len();
    for pi in order {
        let Some(variant) = variants[pi] else {
            continue;
        };
        let program = &inst.programs[pi];
        let own = variant[phase_index(program.phase)];
        let mut ready = vec![0usize; n_suites];
        for road in &program.tech_transfers {
            let at_site: Vec<usize> = (0..n_suites)
                .filter(|s| inst.suites[*s].site.as_deref() == Some(road.site.as_str()))
                .collect();
            let state = road_state(
                road,
                inst.bookings
                    .iter()
                    .zip(&p.booking_at)
                    .filter(|(_, (s, prog))| *prog == Some(pi) && at_site.contains(s))
                    .map(|(b, _)| (b.kind, b.end)),
            );
            let booked_end = state
                .booked_end
                .map(|e| crate::model::day_index(p.from, e).max(0) as usize)
                .unwrap_or(0);
            let day = if state.done() {
                Some(booked_end)
            } else {
                schedule_road(p, pi, road, &state, &at_site, own, &variant, booked_end)
            };
            for &s in &at_site {
                ready[s] = day.unwrap_or(usize::MAX);
            }
        }
        for info in p.progs.iter_mut().filter(|i| i.program == pi) {
            info.ready = ready.clone();
        }
    }
}

/// Places the steps left of one road from day `from` on; the day the last ends, or `None` when
/// a step finds no room within the horizon.
#[allow(clippy::too_many_arguments)]
fn schedule_road(
    p: &mut Prepared,
    pi: usize,
    road: &TechTransfer,
    state: &RoadState,
    at_site: &[usize],
    own: usize,
    variant: &[usize; 5],
    from: usize,
) -> Option<usize> {
    let inst = p.inst;
    let mut at = from.max(p.progs[own].earliest);
    if state.tech_transfer_left {
        let info = &p.progs[own];
        let needs = ProgramNeeds::<usize> {
            required_capabilities: road
                .required_capabilities
                .as_deref()
                .unwrap_or(&info.required_capabilities),
            min_grade: info.min_grade,
            allowed_suites: None,
        };
        let suites: Vec<usize> = at_site
            .iter()
            .copied()
            .filter(|s| may_use(&needs, s, &SuiteRules::from(&inst.suites[*s])).is_ok())
            .collect();
        let mut lines: Vec<(usize, Vec<PoolUse>)> = Vec::new();
        for &s in &suites {
            let uses = if p.has_pools() {
                uses_at(inst, inst.suites[s].site.as_ref(), &road.resource_profile)
            } else {
                Vec::new()
            };
            for &l in &p.suite_lines[s] {
                lines.push((l, uses.clone()));
            }
        }
        sort_lines(p, &mut lines);
        let len = road.days as usize;
        let (line, start) = (at..p.n_days).find_map(|start| {
            lines
                .iter()
                .find(|(l, uses)| p.step_fits(pi, *l, start, len, uses))
                .map(|(l, _)| (*l, start))
        })?;
        let uses = lines.iter().find(|(l, _)| *l == line)?.1.clone();
        p.take_step(RoadStep {
            program: pi,
            kind: BookingKind::TechTransfer,
            line,
            start,
            len,
            uses,
        });
        at = start + len;
    }
    for _ in 0..state.runs_left {
        let (line, start, v) = (at..p.n_days).find_map(|start| {
            let phase = inst.programs[pi].phase_in(p.months[p.month_of_day(start)]);
            let v = variant[phase_index(phase)];
            let info = &p.progs[v];
            // `info.lines` is in greedy's order (suite name, line number) already.
            info.lines
                .iter()
                .copied()
                .filter(|l| at_site.contains(&p.lines[*l].suite))
                .find(|l| p.step_fits(pi, *l, start, info.len, p.batch_uses(v, *l)))
                .map(|l| (l, start, v))
        })?;
        let len = p.progs[v].len;
        let uses = p.batch_uses(v, line).to_vec();
        p.take_step(RoadStep {
            program: pi,
            kind: BookingKind::EngineeringRun,
            line,
            start,
            len,
            uses,
        });
        at = start + len;
    }
    Some(at)
}

/// Lines in greedy's tie-break order: suite name, line number.
fn sort_lines(p: &Prepared, lines: &mut [(usize, Vec<PoolUse>)]) {
    lines.sort_by(|(a, _), (b, _)| {
        let (la, lb) = (&p.lines[*a], &p.lines[*b]);
        p.inst.suites[la.suite]
            .name
            .cmp(&p.inst.suites[lb.suite].name)
            .then(la.number.cmp(&lb.number))
    });
}

pub(crate) fn phase_index(phase: Phase) -> usize {
    Phase::ALL.iter().position(|p| *p == phase).unwrap_or(0)
}
