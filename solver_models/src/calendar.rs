//! The calendar rules, in one place: which suites a program may use, when a line is open, what
//! occupies it, where a booking fits and which windows of a line are free.
//!
//! This module is the single home of these rules (DESIGN.md, "The planning problem": days and
//! lines, usable suites), so that what the API accepts and what the solver plans cannot drift
//! apart. Its callers: the planner's [`Prepared`](crate::model::Prepared) (usable suites, the
//! open and booked day calendars of every line) and, in the service, the booking path
//! (`store::sql::insert_booking`: [`may_use`] and [`SuiteCalendar::place`] with its conflicts)
//! and availability (`GET /v1/availability`: [`SuiteCalendar::free_windows`]). The feasibility
//! checker ([`check`](crate::check)) deliberately does not call it: it is the independent oracle
//! for plans.
//!
//! Pure: no I/O, no clock (the caller decides which bookings are live). Days are half-open
//! `[start, end)` intervals of [`NaiveDate`]s and lines are numbered `1..=lines`. Suite ids and
//! booking tags are type parameters: `Uuid`s in the service, indices in the planner.
//!
//! Pools (staff crews, the QC lab, shared equipment) are one more rule here: which pool serves a
//! batch's need ([`pool_serves`]), a pool's capacity on a day ([`pool_capacity`]), what a batch
//! takes on which days ([`needs_of`]) and whether a batch still fits a pool's day calendar
//! ([`PoolCalendar::short_days`]). The planner's model, the booking path and availability use
//! them; the checker again does not.
//!
//! Dedicated lines and segregation are two more: who may occupy a line that hosts a client's
//! own equipment ([`dedication_conflicts`], [`may_use_line`]) and who may share a segregated
//! suite on a day ([`party_of`], [`may_share`], [`segregation_conflicts`]). Programs and clients
//! are type parameters here too.

use crate::types::{
    Closure, Dedication, Grade, Pool, PoolException, ResourceNeed, Segregation, Suite, WeekDay,
};
use chrono::{Days, NaiveDate};

/// What the rules need to know about a suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SuiteRules<'a> {
    pub capabilities: &'a [String],
    pub grade: Grade,
    pub lines: u32,
    pub available_from: NaiveDate,
    /// Exclusive; `None` = qualified indefinitely.
    pub available_to: Option<NaiveDate>,
}

impl<'a> From<&'a Suite> for SuiteRules<'a> {
    fn from(s: &'a Suite) -> Self {
        SuiteRules {
            capabilities: &s.capabilities,
            grade: s.grade,
            lines: s.lines,
            available_from: s.available_from,
            available_to: s.available_to,
        }
    }
}

/// What a program asks of a suite.
#[derive(Debug, PartialEq, Eq)]
pub struct ProgramNeeds<'a, Id> {
    pub required_capabilities: &'a [String],
    pub min_grade: Grade,
    /// The suites its process is validated and filed for; `None` = any suite.
    pub allowed_suites: Option<&'a [Id]>,
}

// By hand: derived impls would needlessly require `Id: Clone`.
impl<Id> Clone for ProgramNeeds<'_, Id> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<Id> Copy for ProgramNeeds<'_, Id> {}

/// Why a program may not use a suite; the messages are the API's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unusable {
    /// In the order the program lists them.
    #[error("the suite lacks capabilities the program requires: {}", .0.join(", "))]
    MissingCapabilities(Vec<String>),
    #[error("the program needs grade {} or cleaner; the suite is grade {}", .needs.as_str(), .has.as_str())]
    Grade { needs: Grade, has: Grade },
    #[error("the program's process is not filed for this suite")]
    NotAllowed,
}

/// May the program use the suite? Capabilities are checked first, then the grade, then the
/// program's allow-list, and the first failure is the answer.
pub fn may_use<Id: PartialEq>(
    needs: &ProgramNeeds<'_, Id>,
    suite_id: &Id,
    suite: &SuiteRules<'_>,
) -> Result<(), Unusable> {
    let missing: Vec<String> = needs
        .required_capabilities
        .iter()
        .filter(|c| !suite.capabilities.contains(c))
        .cloned()
        .collect();
    if !missing.is_empty() {
        return Err(Unusable::MissingCapabilities(missing));
    }
    if !suite.grade.satisfies(needs.min_grade) {
        return Err(Unusable::Grade {
            needs: needs.min_grade,
            has: suite.grade,
        });
    }
    if needs
        .allowed_suites
        .is_some_and(|ids| !ids.contains(suite_id))
    {
        return Err(Unusable::NotAllowed);
    }
    Ok(())
}

/// The suite is qualified on `day`: `available_from <= day < available_to`.
pub fn qualified(suite: &SuiteRules<'_>, day: NaiveDate) -> bool {
    suite.available_from <= day && suite.available_to.is_none_or(|t| day < t)
}

/// The closure applies to `line` (whatever its dates): `lines: None` closes every line.
pub fn closes(closure: &Closure, line: u32) -> bool {
    closure.lines.as_ref().is_none_or(|ls| ls.contains(&line))
}

/// Line `line` of the suite is open on `day`: the line exists, the suite is qualified that day
/// and no closure covering the day applies to the line.
pub fn line_open(suite: &SuiteRules<'_>, closures: &[Closure], line: u32, day: NaiveDate) -> bool {
    (1..=suite.lines).contains(&line)
        && qualified(suite, day)
        && !closures
            .iter()
            .any(|c| c.start <= day && day < c.end && closes(c, line))
}

// ---- Dedicated lines and segregation ----

/// A line's dedication to a client as the rules see it ([`crate::types::Dedication`]): the
/// client is a type parameter, a `Uuid` in the service, a `&str` key in the planner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dedicated<C> {
    /// The line (1-based).
    pub line: u32,
    /// The client whose programs alone may occupy the line over the dates.
    pub client: C,
    /// First day dedicated.
    pub start: NaiveDate,
    /// Exclusive; `None` = open-ended.
    pub end: Option<NaiveDate>,
}

impl<'a> From<&'a Dedication> for Dedicated<&'a str> {
    fn from(d: &'a Dedication) -> Self {
        Dedicated {
            line: d.line,
            client: d.client.as_str(),
            start: d.start,
            end: d.end,
        }
    }
}

impl<C> Dedicated<C> {
    /// Does the dedication cover some day of `[from, to)`?
    pub fn overlaps(&self, from: NaiveDate, to: NaiveDate) -> bool {
        self.start < to && self.end.is_none_or(|e| from < e)
    }
}

/// The dedications that keep a program of `client` (`None`: a program without a client) off
/// `line` over `[from, to)`: those of the line covering some day of it and naming another
/// client, in the order given. Empty when the program may occupy the line on every day of the
/// interval. The one home of the rule "over a dedication's dates only its client's programs may
/// use the line": the planner's calendars, its road steps and the service's booking path all
/// ask it (a day is `[day, day + 1)`).
pub fn dedication_conflicts<'d, C: PartialEq>(
    dedications: &'d [Dedicated<C>],
    line: u32,
    client: Option<&C>,
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<&'d Dedicated<C>> {
    dedications
        .iter()
        .filter(|d| d.line == line && d.overlaps(from, to) && client != Some(&d.client))
        .collect()
}

/// May a program of `client` occupy `line` on `day` under the suite's dedications?
pub fn may_use_line<C: PartialEq>(
    dedications: &[Dedicated<C>],
    line: u32,
    client: Option<&C>,
    day: NaiveDate,
) -> bool {
    let next = plus_days(day, 1);
    dedication_conflicts(dedications, line, client, day, next).is_empty()
}

/// Whom an occupant of a segregated suite occupies it for; under the suite's [`Segregation`]
/// two occupants may share a day of it only when they are the same party ([`may_share`]).
/// `P` identifies programs and `C` clients (`Uuid`s in the service, string keys in the planner).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Party<P, C> {
    /// Under `same_client`: the programs of this client.
    Client(C),
    /// Under `same_program`: this program; under `same_client`, a program without a client
    /// (its own client).
    Program(P),
    /// An occupant without a program (a booking of a program outside the instance, a CDMO
    /// activity): nobody in particular, so no program may share the suite with it. Two such
    /// occupants are the same party: the rule is about programs' material, and neither has a
    /// program to keep apart.
    Nobody,
}

/// The party an occupant of a suite with `segregation` counts as: `program` with its `client`
/// (`program: None` for an occupant without a program). `None` under `any`: no rule applies.
pub fn party_of<P, C>(
    segregation: Segregation,
    program: Option<P>,
    client: Option<C>,
) -> Option<Party<P, C>> {
    Some(match (segregation, program) {
        (Segregation::Any, _) => return None,
        (_, None) => Party::Nobody,
        (Segregation::SameProgram, Some(p)) => Party::Program(p),
        (Segregation::SameClient, Some(p)) => match client {
            Some(c) => Party::Client(c),
            None => Party::Program(p),
        },
    })
}

/// May occupants of parties `a` and `b` share a segregated suite on a day? Only one party
/// occupies a segregated suite on a day: they may when they are the same party.
pub fn may_share<P: PartialEq, C: PartialEq>(a: &Party<P, C>, b: &Party<P, C>) -> bool {
    a == b
}

/// The occupants of a segregated suite (any line) that keep an occupant of `party` out of it
/// over `[from, to)`: those overlapping the interval whose party it may not share a day with
/// ([`may_share`]), in the order given. Empty when it may join.
pub fn segregation_conflicts<'o, T, P: PartialEq, C: PartialEq>(
    party: &Party<P, C>,
    occupants: &'o [(Occupant<T>, Party<P, C>)],
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<&'o (Occupant<T>, Party<P, C>)> {
    occupants
        .iter()
        .filter(|(o, q)| o.start < to && from < o.end && !may_share(party, q))
        .collect()
}

/// A held or confirmed booking (or anything else) occupying a line over `[start, end)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occupant<T> {
    pub line: u32,
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// The caller's handle on it (booking and program ids, an index).
    pub tag: T,
}

/// Something that keeps a booking of `[start, end)` off a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Obstacle<T> {
    /// The interval is not within the suite's qualification; `end` is `NaiveDate::MAX` when the
    /// suite is qualified indefinitely.
    Qualification {
        line: u32,
        start: NaiveDate,
        end: NaiveDate,
    },
    /// A closure of the line (its full dates, not clipped).
    Closure {
        line: u32,
        start: NaiveDate,
        end: NaiveDate,
    },
    /// An occupant of the line.
    Booking {
        line: u32,
        start: NaiveDate,
        end: NaiveDate,
        tag: T,
    },
}

impl<T> Obstacle<T> {
    pub fn line(&self) -> u32 {
        match self {
            Obstacle::Qualification { line, .. }
            | Obstacle::Closure { line, .. }
            | Obstacle::Booking { line, .. } => *line,
        }
    }
    /// `qualification`, `closure` or `booking`: the API's conflict kinds.
    pub fn kind(&self) -> &'static str {
        match self {
            Obstacle::Qualification { .. } => "qualification",
            Obstacle::Closure { .. } => "closure",
            Obstacle::Booking { .. } => "booking",
        }
    }
}

/// Why [`SuiteCalendar::place`] found no line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal<T> {
    /// The requested line is not one of the suite's `1..=lines`.
    NoSuchLine { line: u32, lines: u32 },
    /// Every candidate line is blocked: all their obstacles, line by line.
    Conflicts(Vec<Obstacle<T>>),
}

trait Span {
    fn span(&self) -> (NaiveDate, NaiveDate);
}
impl Span for (NaiveDate, NaiveDate) {
    fn span(&self) -> (NaiveDate, NaiveDate) {
        *self
    }
}
impl<T> Span for Occupant<T> {
    fn span(&self) -> (NaiveDate, NaiveDate) {
        (self.start, self.end)
    }
}

/// Intervals sorted by start (stably: ties keep the caller's order), with the running maximum of
/// their ends so that those overlapping a window are found by two binary searches.
#[derive(Debug, Clone)]
struct Track<X> {
    items: Vec<X>,
    reach: Vec<NaiveDate>,
}

impl<X: Span> Track<X> {
    fn new(mut items: Vec<X>) -> Self {
        items.sort_by_key(|x| x.span().0);
        let mut reach = NaiveDate::MIN;
        let reach = items
            .iter()
            .map(|x| {
                reach = reach.max(x.span().1);
                reach
            })
            .collect();
        Track { items, reach }
    }

    /// Items with `start < to` and `end > from`, in order.
    fn overlapping(&self, from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = &X> + '_ {
        let hi = self.items.partition_point(|x| x.span().0 < to);
        let lo = self.reach.partition_point(|r| *r <= from).min(hi);
        self.items[lo..hi].iter().filter(move |x| x.span().1 > from)
    }
}

#[derive(Debug, Clone)]
struct LineTrack<T> {
    closures: Track<(NaiveDate, NaiveDate)>,
    occupants: Track<Occupant<T>>,
}

/// One suite's calendar: closures and occupants indexed per line once, then queried per line
/// and interval without rescanning the others.
#[derive(Debug, Clone)]
pub struct SuiteCalendar<T> {
    lines: u32,
    available_from: NaiveDate,
    available_to: Option<NaiveDate>,
    /// Index `line - 1`.
    per_line: Vec<LineTrack<T>>,
}

impl<T> SuiteCalendar<T> {
    /// `closures` are the suite's (any dates); `occupants` its live bookings, ideally ordered by
    /// (start, id) as the service reads them: ties in start keep this order. Occupants of lines
    /// the suite does not have are ignored.
    pub fn new<'c>(
        suite: &SuiteRules<'_>,
        closures: impl IntoIterator<Item = &'c Closure>,
        occupants: impl IntoIterator<Item = Occupant<T>>,
    ) -> Self {
        let n = suite.lines as usize;
        let mut closed: Vec<Vec<(NaiveDate, NaiveDate)>> = vec![Vec::new(); n];
        for c in closures {
            for (line, spans) in (1..).zip(closed.iter_mut()) {
                if closes(c, line) {
                    spans.push((c.start, c.end));
                }
            }
        }
        let mut occupied: Vec<Vec<Occupant<T>>> = (0..n).map(|_| Vec::new()).collect();
        for o in occupants {
            let slot = (o.line as usize)
                .checked_sub(1)
                .and_then(|i| occupied.get_mut(i));
            if let Some(slot) = slot {
                slot.push(o);
            }
        }
        SuiteCalendar {
            lines: suite.lines,
            available_from: suite.available_from,
            available_to: suite.available_to,
            per_line: closed
                .into_iter()
                .zip(occupied)
                .map(|(c, o)| LineTrack {
                    closures: Track::new(c),
                    occupants: Track::new(o),
                })
                .collect(),
        }
    }

    pub fn lines(&self) -> u32 {
        self.lines
    }

    fn track(&self, line: u32) -> Option<&LineTrack<T>> {
        (line as usize)
            .checked_sub(1)
            .and_then(|i| self.per_line.get(i))
    }

    /// What keeps a booking of `[from, to)` off `line`, as the booking path reports it: if the
    /// interval is not within the suite's qualification, that alone; else the line's closures
    /// overlapping it by start, then its occupants overlapping it by start (ties in the order
    /// given). Empty when the booking fits. A line the suite does not have is never qualified
    /// (one `Qualification` obstacle over the empty span `MAX..MAX`).
    pub fn obstacles(&self, line: u32, from: NaiveDate, to: NaiveDate) -> Vec<Obstacle<T>>
    where
        T: Clone,
    {
        let Some(track) = self.track(line) else {
            let (start, end) = (NaiveDate::MAX, NaiveDate::MAX);
            return vec![Obstacle::Qualification { line, start, end }];
        };
        // Every day of the interval must be qualified.
        if from < self.available_from || self.available_to.is_some_and(|t| to > t) {
            return vec![Obstacle::Qualification {
                line,
                start: self.available_from,
                end: self.available_to.unwrap_or(NaiveDate::MAX),
            }];
        }
        let closures = track.closures.overlapping(from, to);
        let mut out: Vec<Obstacle<T>> = closures
            .map(|&(start, end)| Obstacle::Closure { line, start, end })
            .collect();
        out.extend(
            track
                .occupants
                .overlapping(from, to)
                .map(|o| Obstacle::Booking {
                    line,
                    start: o.start,
                    end: o.end,
                    tag: o.tag.clone(),
                }),
        );
        out
    }

    /// The booking path's choice of line for `[start, end)`: the requested one, or else the
    /// lowest line without obstacles. When none fits, the obstacles of every candidate line.
    pub fn place(
        &self,
        requested_line: Option<u32>,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<u32, Refusal<T>>
    where
        T: Clone,
    {
        let candidates = match requested_line {
            Some(line) if line == 0 || line > self.lines => {
                return Err(Refusal::NoSuchLine {
                    line,
                    lines: self.lines,
                })
            }
            Some(line) => line..=line,
            None => 1..=self.lines,
        };
        let mut all = Vec::new();
        for line in candidates {
            let here = self.obstacles(line, start, end);
            if here.is_empty() {
                return Ok(line);
            }
            all.extend(here);
        }
        Err(Refusal::Conflicts(all))
    }

    /// Maximal free windows (open and unoccupied) of `line` within `[from, to)`, keeping those
    /// of at least `min_days` days (at least 1). None for a line the suite does not have.
    pub fn free_windows(
        &self,
        line: u32,
        from: NaiveDate,
        to: NaiveDate,
        min_days: i64,
    ) -> Vec<(NaiveDate, NaiveDate)> {
        let mut out = Vec::new();
        let Some(track) = self.track(line) else {
            return out;
        };
        // Outside qualification is busy: clip the window to it instead.
        let lo = from.max(self.available_from);
        let hi = self.available_to.map_or(to, |t| to.min(t));
        if lo < hi {
            let closed = track.closures.overlapping(lo, hi).copied();
            let occupied = track.occupants.overlapping(lo, hi).map(Span::span);
            sweep(lo, hi, merge_by_start(closed, occupied), min_days, &mut out);
        }
        out
    }

    /// Per day of `[from, from + days)`: is `line` open (see [`line_open`]).
    pub fn open_days(&self, line: u32, from: NaiveDate, days: usize) -> Vec<bool> {
        let mut out = vec![false; days];
        let Some(track) = self.track(line) else {
            return out;
        };
        let to = plus_days(from, days);
        let qualified_to = self.available_to.unwrap_or(NaiveDate::MAX);
        mark(&mut out, from, self.available_from, qualified_to, true);
        for &(s, e) in track.closures.overlapping(from, to) {
            mark(&mut out, from, s, e, false);
        }
        out
    }

    /// Per day of `[from, from + days)`: does an occupant cover it on `line`.
    pub fn occupied_days(&self, line: u32, from: NaiveDate, days: usize) -> Vec<bool> {
        let mut out = vec![false; days];
        let Some(track) = self.track(line) else {
            return out;
        };
        let to = plus_days(from, days);
        for o in track.occupants.overlapping(from, to) {
            mark(&mut out, from, o.start, o.end, true);
        }
        out
    }
}

fn plus_days(from: NaiveDate, days: usize) -> NaiveDate {
    from.checked_add_days(Days::new(days as u64))
        .unwrap_or(NaiveDate::MAX)
}

/// Sets the days of `[start, end)` that fall in `days` (day 0 = `from`).
fn mark(days: &mut [bool], from: NaiveDate, start: NaiveDate, end: NaiveDate, value: bool) {
    let n = days.len() as i64;
    let s = (start - from).num_days().clamp(0, n) as usize;
    let e = (end - from).num_days().clamp(0, n) as usize;
    if s < e {
        days[s..e].fill(value);
    }
}

/// Free windows of one line within `[from, to)`: the complement of `busy` (half-open
/// intervals, in any order, possibly overlapping; empty ones ignored), as maximal windows of at
/// least `min_days` days (at least 1).
pub fn free_windows(
    from: NaiveDate,
    to: NaiveDate,
    mut busy: Vec<(NaiveDate, NaiveDate)>,
    min_days: i64,
) -> Vec<(NaiveDate, NaiveDate)> {
    busy.sort_unstable();
    let mut out = Vec::new();
    sweep(from, to, busy.into_iter(), min_days, &mut out);
    out
}

/// The gaps of `[lo, hi)` left by `busy` (sorted by start).
fn sweep(
    lo: NaiveDate,
    hi: NaiveDate,
    busy: impl Iterator<Item = (NaiveDate, NaiveDate)>,
    min_days: i64,
    out: &mut Vec<(NaiveDate, NaiveDate)>,
) {
    let min_days = min_days.max(1);
    let mut keep = |s: NaiveDate, e: NaiveDate| {
        if (e - s).num_days() >= min_days {
            out.push((s, e));
        }
    };
    let mut cursor = lo;
    for (s, e) in busy {
        if s >= e || e <= cursor {
            continue;
        }
        if s >= hi {
            break;
        }
        if s > cursor {
            keep(cursor, s);
        }
        cursor = e;
        if cursor >= hi {
            return;
        }
    }
    if cursor < hi {
        keep(cursor, hi);
    }
}

/// Two iterators of intervals sorted by start, merged into one sorted by start.
fn merge_by_start(
    a: impl Iterator<Item = (NaiveDate, NaiveDate)>,
    b: impl Iterator<Item = (NaiveDate, NaiveDate)>,
) -> impl Iterator<Item = (NaiveDate, NaiveDate)> {
    let (mut a, mut b) = (a.peekable(), b.peekable());
    std::iter::from_fn(move || match (a.peek(), b.peek()) {
        (Some(x), Some(y)) if y.0 < x.0 => b.next(),
        (Some(_), _) => a.next(),
        (None, _) => b.next(),
    })
}

// ---- Pools ----

/// What the rules need to know about a pool's calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolRules<'a> {
    /// Capacity on a working day.
    pub capacity: u32,
    pub weekdays: &'a [WeekDay],
    /// Dated capacities on working days; the last one covering a day counts.
    pub exceptions: &'a [PoolException],
}

impl<'a> From<&'a Pool> for PoolRules<'a> {
    fn from(p: &'a Pool) -> Self {
        PoolRules {
            capacity: p.capacity,
            weekdays: &p.weekdays,
            exceptions: &p.exceptions,
        }
    }
}

/// Does a pool of `pool_site` (every site when `None`) with `pool_tag` serve the need `tag` of a
/// batch in a suite of `suite_site`?
pub fn pool_serves<S: PartialEq>(
    pool_site: Option<&S>,
    pool_tag: &str,
    suite_site: Option<&S>,
    tag: &str,
) -> bool {
    pool_tag == tag && pool_site.is_none_or(|p| suite_site == Some(p))
}

/// A pool's capacity on `day`: 0 on a day that is not a working day; else the last exception
/// covering the day, else the default.
pub fn pool_capacity(pool: &PoolRules<'_>, day: NaiveDate) -> u32 {
    if !pool.weekdays.contains(&WeekDay::of(day)) {
        return 0;
    }
    pool.exceptions
        .iter()
        .rev()
        .find(|e| e.start <= day && e.end.is_none_or(|end| day < end))
        .map_or(pool.capacity, |e| e.capacity)
}

/// What one batch of `profile` starting on `start` takes: `(need index, day, amount)` for every
/// day offset of every need with a positive amount (a day listed twice counts twice).
pub fn needs_of(
    profile: &[ResourceNeed],
    start: NaiveDate,
) -> impl Iterator<Item = (usize, NaiveDate, u32)> + '_ {
    profile
        .iter()
        .enumerate()
        .filter(|(_, n)| n.amount > 0)
        .flat_map(move |(i, n)| {
            n.days
                .iter()
                .map(move |d| (i, plus_days(start, *d as usize), n.amount))
        })
}

/// Days after its start that a batch of `profile` still takes something from a pool (the last
/// offset + 1; 0 for an empty profile).
pub fn profile_reach(profile: &[ResourceNeed]) -> u32 {
    profile
        .iter()
        .filter(|n| n.amount > 0)
        .flat_map(|n| n.days.iter().map(|d| d + 1))
        .max()
        .unwrap_or(0)
}

/// A day on which a pool cannot give what is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShortDay<T> {
    pub day: NaiveDate,
    pub capacity: u32,
    /// Taken by the users already on the calendar.
    pub used: u32,
    pub asked: u32,
    /// Those users (their tags, in the order they were added).
    pub users: Vec<T>,
}

/// One pool's days over `[from, from + capacity.len())`: capacity and what its users take.
#[derive(Debug, Clone)]
pub struct PoolCalendar<T> {
    from: NaiveDate,
    capacity: Vec<u32>,
    used: Vec<u32>,
    /// `(day index, user)` for every day a user takes something.
    users: Vec<(usize, T)>,
}

impl<T: Clone + PartialEq> PoolCalendar<T> {
    /// The pool's capacity on each day of `[from, to)`, nothing used yet.
    pub fn new(pool: &PoolRules<'_>, from: NaiveDate, to: NaiveDate) -> Self {
        let n = (to - from).num_days().max(0) as usize;
        PoolCalendar {
            from,
            capacity: (0..n)
                .map(|i| pool_capacity(pool, plus_days(from, i)))
                .collect(),
            used: vec![0; n],
            users: Vec::new(),
        }
    }

    fn index(&self, day: NaiveDate) -> Option<usize> {
        usize::try_from((day - self.from).num_days())
            .ok()
            .filter(|i| *i < self.capacity.len())
    }

    /// `user` takes `amount` on `day` (ignored outside the calendar's days).
    pub fn take(&mut self, day: NaiveDate, amount: u32, user: T) {
        if let Some(i) = self.index(day) {
            self.used[i] = self.used[i].saturating_add(amount);
            self.users.push((i, user));
        }
    }

    /// The days on which `asks` (day, amount; a day may repeat) do not fit what is left, in day
    /// order. A day outside the calendar's days has no capacity.
    pub fn short_days(&self, asks: impl IntoIterator<Item = (NaiveDate, u32)>) -> Vec<ShortDay<T>> {
        let mut asked: std::collections::BTreeMap<NaiveDate, u32> = Default::default();
        for (day, amount) in asks {
            *asked.entry(day).or_default() += amount;
        }
        asked
            .into_iter()
            .filter_map(|(day, asked)| {
                let (capacity, used, users) = match self.index(day) {
                    Some(i) => {
                        let mut users: Vec<T> = Vec::new();
                        for (_, u) in self.users.iter().filter(|(d, _)| *d == i) {
                            if !users.contains(u) {
                                users.push(u.clone());
                            }
                        }
                        (self.capacity[i], self.used[i], users)
                    }
                    None => (0, 0, Vec::new()),
                };
                (used.saturating_add(asked) > capacity).then_some(ShortDay {
                    day,
                    capacity,
                    used,
                    asked,
                    users,
                })
            })
            .collect()
    }

    /// Capacity and use per day, from the calendar's first day.
    pub fn days(&self) -> impl Iterator<Item = (NaiveDate, u32, u32)> + '_ {
        self.capacity
            .iter()
            .zip(&self.used)
            .enumerate()
            .map(|(i, (c, u))| (plus_days(self.from, i), *c, *u))
    }
}

#[cfg(test)]
mod tests;
