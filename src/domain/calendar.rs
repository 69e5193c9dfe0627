//! The service's side of the calendar rules. The rules themselves — may a program use a suite,
//! is a line open on a day, what occupies it, which line a booking takes — live in one place,
//! `solver_models::calendar`, shared with the planner; this module only translates the
//! service's records (UUIDs, `i32` lines) into it and its answers back into API terms.

use super::{Closure, Program, Suite};
use chrono::NaiveDate;
use serde::Serialize;
use solver_models::calendar::{self as rules, Obstacle, Occupant, Refusal};
pub use solver_models::calendar::{free_windows, SuiteCalendar, SuiteRules, Unusable};
use utoipa::ToSchema;
use uuid::Uuid;

/// Something already on a line's calendar that a write would collide with.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ConflictItem {
    /// `booking`, `closure`, `qualification`, `segregation` (another party's booking in a
    /// segregated suite, on any line) or `dedication` (a line dedicated to another client).
    pub kind: String,
    pub line: i32,
    pub start: NaiveDate,
    pub end: NaiveDate,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub booking_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub program_id: Option<Uuid>,
}

/// A live booking as the calendar sees it: a line taken over `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Taken {
    pub booking_id: Uuid,
    pub program_id: Uuid,
    pub line: i32,
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// Its party under the suite's segregation (`bookings.seg_key`): `None` in an unsegregated
    /// suite.
    pub party: Option<Uuid>,
}

impl Taken {
    pub fn conflict(&self) -> ConflictItem {
        ConflictItem {
            kind: "booking".into(),
            line: self.line,
            start: self.start,
            end: self.end,
            booking_id: Some(self.booking_id),
            program_id: Some(self.program_id),
        }
    }
}

fn line_number(line: i32) -> u32 {
    u32::try_from(line).unwrap_or(0)
}

pub fn suite_rules(suite: &Suite) -> SuiteRules<'_> {
    SuiteRules {
        capabilities: &suite.capabilities,
        grade: suite.grade,
        lines: line_number(suite.lines),
        available_from: suite.available_from,
        available_to: suite.available_to,
    }
}

/// Whether `program` may be made in `suite` (capabilities, grade, the filed suites).
pub fn may_use(program: &Program, suite: &Suite) -> Result<(), Unusable> {
    let needs = rules::ProgramNeeds {
        required_capabilities: &program.required_capabilities,
        min_grade: program.min_grade,
        allowed_suites: program.allowed_suite_ids.as_deref(),
    };
    rules::may_use(&needs, &suite.id, &suite_rules(suite))
}

fn closure(c: &Closure) -> solver_models::Closure {
    solver_models::Closure {
        start: c.start,
        end: c.end,
        lines: c
            .lines
            .as_ref()
            .map(|ls| ls.iter().copied().map(line_number).collect()),
    }
}

/// One suite's calendar: its qualification dates, its closures and the live bookings given
/// (each tagged with its booking and program, so that conflicts can name them).
pub fn suite_calendar<'a>(
    suite: &Suite,
    closures: impl IntoIterator<Item = &'a Closure>,
    taken: impl IntoIterator<Item = Taken>,
) -> SuiteCalendar<Taken> {
    let closures: Vec<solver_models::Closure> = closures.into_iter().map(closure).collect();
    SuiteCalendar::new(
        &suite_rules(suite),
        &closures,
        taken.into_iter().map(|t| Occupant {
            line: line_number(t.line),
            start: t.start,
            end: t.end,
            tag: t,
        }),
    )
}

/// Why a booking cannot go where it was asked.
#[derive(Debug, Clone, PartialEq)]
pub enum PlaceError {
    /// The requested line is not one of the suite's.
    NoSuchLine { lines: u32 },
    /// What stands in the way, on every candidate line.
    Conflicts(Vec<ConflictItem>),
}

/// The line a booking of `[start, end)` takes: `requested`, or the lowest free one.
pub fn place(
    calendar: &SuiteCalendar<Taken>,
    requested: Option<i32>,
    start: NaiveDate,
    end: NaiveDate,
) -> Result<i32, PlaceError> {
    match calendar.place(requested.map(line_number), start, end) {
        Ok(line) => Ok(i32::try_from(line).unwrap_or(i32::MAX)),
        Err(Refusal::NoSuchLine { lines, .. }) => Err(PlaceError::NoSuchLine { lines }),
        Err(Refusal::Conflicts(obstacles)) => Err(PlaceError::Conflicts(
            obstacles.into_iter().map(conflict).collect(),
        )),
    }
}

fn conflict(o: Obstacle<Taken>) -> ConflictItem {
    let line = i32::try_from(o.line()).unwrap_or(i32::MAX);
    match o {
        Obstacle::Qualification { start, end, .. } => ConflictItem {
            kind: "qualification".into(),
            line,
            start,
            end,
            booking_id: None,
            program_id: None,
        },
        Obstacle::Closure { start, end, .. } => ConflictItem {
            kind: "closure".into(),
            line,
            start,
            end,
            booking_id: None,
            program_id: None,
        },
        Obstacle::Booking { tag, .. } => tag.conflict(),
    }
}

/// A line taken over `[start, end)` by a live booking, as availability reads it (who holds it
/// is not read: availability reveals nothing about it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineSpan {
    pub suite_id: Uuid,
    pub line: i32,
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// Its party under the suite's segregation (never shown: only compared).
    pub party: Option<Uuid>,
}

/// What availability is asked for: suites that offer `capabilities` at `min_grade` or cleaner,
/// windows within `[from, to)` of at least `min_days` days.
#[derive(Debug, Clone)]
pub struct AvailabilityQuery {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub min_days: i64,
    pub capabilities: Vec<String>,
    pub min_grade: Option<super::Grade>,
    /// A program's filed suites (asked for one program): only these.
    pub allowed_suites: Option<Vec<Uuid>>,
    /// Per site: days on which the program's pools have too little left for its process; no
    /// line of the site is free on them (a free line with no operators is not free).
    pub pool_blocked: std::collections::HashMap<Uuid, Vec<(NaiveDate, NaiveDate)>>,
    /// Whose availability it is: lines dedicated to other clients are closed to a client, and
    /// a segregated suite is closed on the days another party occupies it. `None` (staff, no
    /// program): every line as the bookings leave it.
    pub client: Option<Uuid>,
    /// The program asked for: its party in `same_program` suites. A client asking without a
    /// program sees a `same_program` suite free only on days no booking occupies it.
    pub program: Option<Uuid>,
}

impl AvailabilityQuery {
    /// The party the asker is in a suite segregated `seg` (see [`super::Segregation::party`]).
    pub fn party_in(&self, seg: super::Segregation) -> Option<Uuid> {
        let client = self.client?;
        super::party_key(seg, self.program.unwrap_or(Uuid::nil()), client)
    }
}

/// What the calendar holds over a window, as availability reads it.
#[derive(Debug, Clone, Copy)]
pub struct CalendarView<'a> {
    pub suites: &'a [Suite],
    pub closures: &'a [Closure],
    pub taken: &'a [LineSpan],
    pub dedications: &'a [super::Dedication],
}

/// Maximal free windows per line of every matching suite, in suite order then line order.
pub fn availability(q: &AvailabilityQuery, calendar: &CalendarView<'_>) -> Vec<super::Window> {
    let CalendarView {
        suites,
        closures,
        taken,
        dedications,
    } = *calendar;
    use std::collections::HashMap;
    let needs = rules::ProgramNeeds::<Uuid> {
        required_capabilities: &q.capabilities,
        // Grade D is the least clean: every suite satisfies it.
        min_grade: q.min_grade.unwrap_or(super::Grade::D),
        allowed_suites: q.allowed_suites.as_deref(),
    };
    let mut closures_of: HashMap<Uuid, Vec<&Closure>> = HashMap::new();
    for c in closures {
        closures_of.entry(c.suite_id).or_default().push(c);
    }
    let mut taken_of: HashMap<Uuid, Vec<&LineSpan>> = HashMap::new();
    for t in taken {
        taken_of.entry(t.suite_id).or_default().push(t);
    }
    let mut out = Vec::new();
    for suite in suites {
        if rules::may_use(&needs, &suite.id, &suite_rules(suite)).is_err() {
            continue;
        }
        let blocked = q.pool_blocked.get(&suite.site_id).into_iter().flatten();
        let dedicated = match q.client {
            Some(client) => super::closed_to(
                Some(client),
                &dedications
                    .iter()
                    .filter(|d| d.suite_id == suite.id)
                    .cloned()
                    .collect::<Vec<_>>(),
                q.from,
                q.to,
            ),
            None => Vec::new(),
        };
        let spans = taken_of.get(&suite.id).map(Vec::as_slice).unwrap_or(&[]);
        // Another party's booking in a segregated suite takes every line over its days.
        let party = q.party_in(suite.segregation);
        let segregated = spans
            .iter()
            .filter(|t| party.is_some() && t.party != party)
            .flat_map(|t| (1..=suite.lines).map(move |line| (line, t.start, t.end)));
        let calendar = suite_calendar(
            suite,
            closures_of
                .get(&suite.id)
                .into_iter()
                .flatten()
                .copied()
                .chain(&dedicated),
            spans
                .iter()
                .map(|t| (t.line, t.start, t.end))
                .chain(segregated)
                .chain(blocked.flat_map(|&(start, end)| {
                    (1..=suite.lines).map(move |line| (line, start, end))
                }))
                .map(|(line, start, end)| Taken {
                    booking_id: Uuid::nil(),
                    program_id: Uuid::nil(),
                    line,
                    start,
                    end,
                    party: None,
                }),
        );
        for line in 1..=calendar.lines() {
            let number = i32::try_from(line).unwrap_or(i32::MAX);
            out.extend(
                calendar
                    .free_windows(line, q.from, q.to, q.min_days)
                    .into_iter()
                    .map(|(start, end)| super::Window {
                        suite_id: suite.id,
                        line: number,
                        start,
                        end,
                    }),
            );
        }
    }
    out
}

/// Live bookings a suite edit would strand: on a line the edited suite no longer has, or on days
/// outside its new qualification dates.
pub fn stranded_by(edited: &SuiteRules<'_>, taken: impl IntoIterator<Item = Taken>) -> Vec<Taken> {
    let bare: SuiteCalendar<()> = SuiteCalendar::new(edited, &[], []);
    taken
        .into_iter()
        .filter(|t| {
            !bare
                .obstacles(line_number(t.line), t.start, t.end)
                .is_empty()
        })
        .collect()
}

/// Live bookings a new closure of `[start, end)` on `lines` (all when `None`) falls on.
pub fn closed_by(
    start: NaiveDate,
    end: NaiveDate,
    lines: Option<&[i32]>,
    taken: impl IntoIterator<Item = Taken>,
) -> Vec<Taken> {
    let closure = solver_models::Closure {
        start,
        end,
        lines: lines.map(|ls| ls.iter().copied().map(line_number).collect()),
    };
    taken
        .into_iter()
        .filter(|t| t.start < end && start < t.end && rules::closes(&closure, line_number(t.line)))
        .collect()
}
