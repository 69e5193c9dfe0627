//! An independent feasibility checker for plans. It re-reads the [`Instance`] with plain dates
//! and interval lists and shares nothing with the solver's prepared model or occupancy
//! calendars, so that a bug in those cannot certify itself. Only the scenario demand rule
//! (`demand::integer_demand`, the spec's own arithmetic) is shared.
//!
//! Pools are checked the same way, from the instance as written: a pool's capacity on a date
//! (0 off its weekdays; else the last exception covering the date; else its default), what the
//! bookings take (their own profile, else their program's when their kind runs the process) and
//! what the suggestions add. A pool-day where the bookings alone exceed the capacity is not the
//! plan's fault; a suggestion taking anything on such a day, or pushing a day over, is.
//!
//! Dedicated lines and segregation too, from the suites as written: a suggestion on a line over
//! a day a dedication to another client covers (a program without a client has none), and a day
//! of a segregated suite on which a suggestion shares the suite with an occupant (another
//! suggestion or a booking, on any line) of another party: under `same_client` another client
//! (a program without a client is its own), under `same_program` another program, and a booking
//! without a program is nobody's, so every program is another party to it. Bookings sharing a
//! day among themselves are not the plan's fault.

use crate::demand::integer_demand;
use crate::plan::Plan;
use crate::types::{
    BookingKind, Instance, PhaseSuccess, Pool, Process, Program, ResourceNeed, Segregation, Suite,
    TechTransfer, WeekDay,
};
use crate::Month;
use chrono::{Datelike, Days, NaiveDate, Weekday};
use std::collections::{BTreeMap, HashMap};

/// Occupied intervals of one (suite index, line): (start, end exclusive, what occupies it).
type Intervals = HashMap<(usize, u32), Vec<(NaiveDate, NaiveDate, String)>>;

#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// Index of the suggestion concerned, when there is one.
    pub suggestion: Option<usize>,
    pub message: String,
}

fn find<'a, T>(
    items: &'a [T],
    key: &str,
    id: impl Fn(&T) -> Option<&str>,
    name: impl Fn(&T) -> &str,
) -> Option<(usize, &'a T)> {
    items
        .iter()
        .enumerate()
        .find(|(_, x)| id(x) == Some(key))
        .or_else(|| items.iter().enumerate().find(|(_, x)| name(x) == key))
}

fn suite_by<'a>(inst: &'a Instance, key: &str) -> Option<(usize, &'a Suite)> {
    find(&inst.suites, key, |s| s.id.as_deref(), |s| s.name.as_str())
}

fn program_by<'a>(inst: &'a Instance, key: &str) -> Option<(usize, &'a Program)> {
    find(
        &inst.programs,
        key,
        |p| p.id.as_deref(),
        |p| p.name.as_str(),
    )
}

fn line_open(s: &Suite, line: u32, d: NaiveDate) -> bool {
    s.available_from <= d
        && s.available_to.map(|t| d < t).unwrap_or(true)
        && !s.closures.iter().any(|c| {
            c.start <= d
                && d < c.end
                && c.lines
                    .as_ref()
                    .map(|ls| ls.contains(&line))
                    .unwrap_or(true)
        })
}

fn usable(inst: &Instance, p: &Process<'_>, si: usize) -> bool {
    let s = &inst.suites[si];
    let caps = p
        .required_capabilities
        .iter()
        .all(|c| s.capabilities.contains(c));
    let grade = s.grade <= p.min_grade;
    let allowed = match p.allowed_suites {
        None => true,
        Some(list) => list.iter().any(|r| {
            // A reference names this suite when it resolves to it (id first, then name).
            suite_by(inst, r).map(|(i, _)| i == si).unwrap_or(false)
        }),
    };
    caps && grade && allowed
}

/// A pool's capacity on `d`, read from the instance as written.
fn pool_capacity_on(pool: &Pool, d: NaiveDate) -> u32 {
    let today = match d.weekday() {
        Weekday::Mon => WeekDay::Mon,
        Weekday::Tue => WeekDay::Tue,
        Weekday::Wed => WeekDay::Wed,
        Weekday::Thu => WeekDay::Thu,
        Weekday::Fri => WeekDay::Fri,
        Weekday::Sat => WeekDay::Sat,
        Weekday::Sun => WeekDay::Sun,
    };
    if !pool.weekdays.contains(&today) {
        return 0;
    }
    let mut capacity = pool.capacity;
    for e in &pool.exceptions {
        let covers = e.start <= d && e.end.map(|end| d < end).unwrap_or(true);
        if covers {
            capacity = e.capacity;
        }
    }
    capacity
}

fn pool_key(pool: &Pool) -> &str {
    pool.id.as_deref().unwrap_or(&pool.name)
}

/// Pools that serve need `tag` in `suite`: same tag, and no site or the suite's.
fn serving(inst: &Instance, suite: &Suite, tag: &str) -> Vec<usize> {
    (0..inst.pools.len())
        .filter(|i| {
            let pool = &inst.pools[*i];
            pool.tag == tag
                && match &pool.site {
                    None => true,
                    Some(site) => suite.site.as_ref() == Some(site),
                }
        })
        .collect()
}

/// What bookings and suggestions take from one pool on one date.
#[derive(Default)]
struct PoolDay {
    booked: u64,
    planned: u64,
    suggestions: Vec<usize>,
}

/// Adds what a batch of `profile` in `suite` from `start` takes to `days`; `who` is `None` for a
/// booking, the suggestion's index for a suggestion. Returns the tags more than one pool serves.
fn charge(
    inst: &Instance,
    suite: &Suite,
    profile: &[ResourceNeed],
    start: NaiveDate,
    who: Option<usize>,
    days: &mut BTreeMap<(usize, NaiveDate), PoolDay>,
) -> Vec<String> {
    let mut ambiguous = Vec::new();
    for need in profile {
        if need.amount == 0 {
            continue;
        }
        let pools = serving(inst, suite, &need.tag);
        if pools.len() > 1 {
            ambiguous.push(need.tag.clone());
            continue;
        }
        let Some(&pool) = pools.first() else {
            continue;
        };
        for offset in &need.days {
            let Some(day) = start.checked_add_days(Days::new(u64::from(*offset))) else {
                continue;
            };
            let slot = days.entry((pool, day)).or_default();
            match who {
                None => slot.booked += u64::from(need.amount),
                Some(i) => {
                    slot.planned += u64::from(need.amount);
                    if !slot.suggestions.contains(&i) {
                        slot.suggestions.push(i);
                    }
                }
            }
        }
    }
    ambiguous
}

/// Pool violations: every pool-day the suggestions take something on beyond the capacity.
fn check_pools(inst: &Instance, plan: &Plan, out: &mut Vec<Violation>) {
    if inst.pools.is_empty() {
        return;
    }
    let mut days: BTreeMap<(usize, NaiveDate), PoolDay> = BTreeMap::new();
    for b in &inst.bookings {
        let Some((_, suite)) = suite_by(inst, &b.suite) else {
            continue;
        };
        let program = b.program.as_deref().and_then(|r| program_by(inst, r));
        let profile: &[ResourceNeed] = match (&b.resource_profile, program) {
            (Some(profile), _) => profile,
            (None, Some((_, p))) => {
                p.booking_profile(b.kind, Month::of(b.start), suite.site.as_deref())
            }
            _ => &[],
        };
        charge(inst, suite, profile, b.start, None, &mut days);
    }
    for (i, s) in plan.suggestions.iter().enumerate() {
        let (Some((_, p)), Some((_, suite))) =
            (program_by(inst, &s.program), suite_by(inst, &s.suite))
        else {
            continue; // already reported
        };
        let profile = match s.kind {
            BookingKind::TechTransfer => match open_road(p, suite) {
                Some(road) => road.resource_profile.as_slice(),
                None => continue, // already reported
            },
            kind if kind.runs_process() => p.process(p.phase_in(s.month)).resource_profile,
            _ => continue,
        };
        for tag in charge(inst, suite, profile, s.start, Some(i), &mut days) {
            out.push(Violation {
                suggestion: Some(i),
                message: format!(
                    "need `{tag}` in suite {} is served by several pools",
                    s.suite
                ),
            });
        }
    }
    for ((pool, day), use_) in days {
        if use_.planned == 0 {
            continue;
        }
        let capacity = u64::from(pool_capacity_on(&inst.pools[pool], day));
        if use_.booked + use_.planned > capacity {
            let who: Vec<String> = use_.suggestions.iter().map(|i| format!("#{i}")).collect();
            out.push(Violation {
                suggestion: use_.suggestions.first().copied(),
                message: format!(
                    "pool {} on {day}: capacity {capacity}, bookings take {}, suggestions {} add {}",
                    pool_key(&inst.pools[pool]),
                    use_.booked,
                    who.join(", "),
                    use_.planned
                ),
            });
        }
    }
}

/// Every way in which `plan` breaks the rules of DESIGN.md's planning problem for `inst`.
pub fn check_plan(inst: &Instance, plan: &Plan) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut bad = |i: Option<usize>, m: String| {
        out.push(Violation {
            suggestion: i,
            message: m,
        })
    };
    // Intervals per (suite index, line): (start, end, what).
    let mut intervals: Intervals = HashMap::new();
    for b in &inst.bookings {
        if let Some((si, _)) = suite_by(inst, &b.suite) {
            intervals.entry((si, b.line)).or_default().push((
                b.start,
                b.end,
                format!("booking {}..{}", b.start, b.end),
            ));
        }
    }
    let mut planned: HashMap<(usize, Month), u32> = HashMap::new();
    for (i, s) in plan.suggestions.iter().enumerate() {
        let Some((pi, p)) = program_by(inst, &s.program) else {
            bad(Some(i), format!("unknown program {}", s.program));
            continue;
        };
        let Some((si, suite)) = suite_by(inst, &s.suite) else {
            bad(Some(i), format!("unknown suite {}", s.suite));
            continue;
        };
        if s.line == 0 || s.line > suite.lines {
            bad(Some(i), format!("suite {} has no line {}", s.suite, s.line));
            continue;
        }
        // The process of the phase the month's forecast names; a tech transfer takes its own
        // days in a suite with its own capabilities (else the current process's).
        let process = p.process(p.phase_in(s.month));
        let len = match s.kind {
            BookingKind::TechTransfer => match open_road(p, suite) {
                Some(road) => u64::from(road.days),
                None => {
                    bad(
                        Some(i),
                        format!(
                            "{} has no open tech transfer at suite {}'s site",
                            s.program, s.suite
                        ),
                    );
                    continue;
                }
            },
            BookingKind::EngineeringRun if open_road(p, suite).is_none() => {
                bad(
                    Some(i),
                    format!(
                        "{} has no open road to first batch at suite {}'s site",
                        s.program, s.suite
                    ),
                );
                continue;
            }
            kind if !kind.serves_demand() && kind != BookingKind::EngineeringRun => {
                bad(
                    Some(i),
                    format!("the planner does not suggest {}s", kind.label()),
                );
                continue;
            }
            _ => u64::from(process.line_days()),
        };
        if s.start.checked_add_days(Days::new(len)) != Some(s.end) {
            bad(
                Some(i),
                format!("end {} is not start + batch + changeover", s.end),
            );
        }
        if Month::of(s.start) != s.month {
            bad(
                Some(i),
                format!("start {} is not in its month {}", s.start, s.month),
            );
        }
        if s.start < inst.from || s.start >= inst.to {
            bad(Some(i), format!("start {} outside the horizon", s.start));
        }
        if let Some(e) = p.earliest_start {
            if s.start < e {
                bad(
                    Some(i),
                    format!("start {} before earliest start {e}", s.start),
                );
            }
        }
        let usable_here = match (s.kind, open_road(p, suite)) {
            (BookingKind::TechTransfer, Some(road)) => {
                let own = p.process(p.phase);
                let needs = Process {
                    required_capabilities: road
                        .required_capabilities
                        .as_deref()
                        .unwrap_or(own.required_capabilities),
                    allowed_suites: None,
                    ..own
                };
                usable(inst, &needs, si)
            }
            _ => usable(inst, &process, si),
        };
        if !usable_here {
            bad(
                Some(i),
                format!("{} may not use suite {}", s.program, s.suite),
            );
        }
        let mut d = s.start;
        while d < s.end {
            if !line_open(suite, s.line, d) {
                bad(
                    Some(i),
                    format!("{} line {} not open on {d}", s.suite, s.line),
                );
                break;
            }
            match d.succ_opt() {
                Some(n) => d = n,
                None => break,
            }
        }
        intervals.entry((si, s.line)).or_default().push((
            s.start,
            s.end,
            format!("suggestion #{i}"),
        ));
        // A suggestion of a kind that makes no product occupies its line and serves nothing.
        if s.kind.serves_demand() {
            *planned.entry((pi, s.month)).or_default() += 1;
        }
    }
    for ((si, line), mut list) in intervals {
        list.sort();
        for pair in list.windows(2) {
            if pair[1].0 < pair[0].1 {
                bad(
                    None,
                    format!(
                        "{} line {line}: {} overlaps {}",
                        inst.suites[si].name, pair[0].2, pair[1].2
                    ),
                );
            }
        }
    }
    // Demand, bookings and the objective.
    let defaults = inst.phase_success.or(&PhaseSuccess::published_defaults());
    let mut served = 0.0;
    for (pi, p) in inst.programs.iter().enumerate() {
        let success = p.phase_success.unwrap_or_default().or(&defaults);
        let mut per_month: HashMap<Month, (u32, f64)> = HashMap::new();
        let mut phase_of: HashMap<Month, crate::types::Phase> = HashMap::new();
        for md in integer_demand(&p.forecast, p.phase, inst.scenario, &success) {
            let first = md.month.first_day();
            if first < inst.from || first >= inst.to {
                continue;
            }
            let ph = phase_of.entry(md.month).or_insert(md.phase);
            *ph = (*ph).max(md.phase);
            per_month.entry(md.month).or_default().0 += md.batches;
        }
        for (m, ph) in &phase_of {
            if let Some(e) = per_month.get_mut(m) {
                e.1 = inst.weights.of(*ph);
            }
        }
        let mut booked: HashMap<Month, u32> = HashMap::new();
        for b in &inst.bookings {
            let mine = b
                .serves()
                .and_then(|r| program_by(inst, r))
                .map(|(i, _)| i == pi)
                .unwrap_or(false);
            if mine && b.start >= inst.from && b.start < inst.to {
                *booked.entry(Month::of(b.start)).or_default() += 1;
            }
        }
        let mut months: Vec<Month> = per_month.keys().chain(booked.keys()).copied().collect();
        months.sort();
        months.dedup();
        for m in months
            .iter()
            .chain(planned.keys().filter(|k| k.0 == pi).map(|k| &k.1))
        {
            let (demand, _) = per_month.get(m).copied().unwrap_or((0, 0.0));
            let bk = booked.get(m).copied().unwrap_or(0);
            let pl = planned.get(&(pi, *m)).copied().unwrap_or(0);
            if pl > 0 && bk + pl > demand {
                bad(
                    None,
                    format!(
                        "{} {m}: booked {bk} + planned {pl} exceed demand {demand}",
                        p.name
                    ),
                );
            }
        }
        for m in months {
            let (demand, w) = per_month.get(&m).copied().unwrap_or((0, 0.0));
            let bk = booked.get(&m).copied().unwrap_or(0);
            let pl = planned.get(&(pi, m)).copied().unwrap_or(0);
            served += w * f64::from((bk + pl).min(demand));
        }
    }
    if (served - plan.served_weighted).abs() > 1e-6 {
        bad(
            None,
            format!(
                "served_weighted {} but the suggestions and bookings serve {served}",
                plan.served_weighted
            ),
        );
    }
    check_pools(inst, plan, &mut out);
    check_roads(inst, plan, &mut out);
    check_dedications(inst, plan, &mut out);
    check_segregation(inst, plan, &mut out);
    out
}

/// Dedicated lines: every suggestion on a line over a day that a dedication to a client other
/// than its program's covers.
fn check_dedications(inst: &Instance, plan: &Plan, out: &mut Vec<Violation>) {
    for (i, s) in plan.suggestions.iter().enumerate() {
        let (Some((_, p)), Some((_, suite))) =
            (program_by(inst, &s.program), suite_by(inst, &s.suite))
        else {
            continue; // already reported
        };
        for d in &suite.dedications {
            let overlaps = d.line == s.line && d.start < s.end && d.end.is_none_or(|e| s.start < e);
            if !overlaps || p.client.as_deref() == Some(d.client.as_str()) {
                continue;
            }
            let until = d.end.map(|e| format!(" until {e}")).unwrap_or_default();
            let whose = match &p.client {
                Some(c) => format!("client {c}"),
                None => "no client".to_string(),
            };
            out.push(Violation {
                suggestion: Some(i),
                message: format!(
                    "line {} of suite {} is dedicated to client {} from {}{until}; program {} ({whose}) is planned on it",
                    d.line, suite.name, d.client, d.start, p.name
                ),
            });
        }
    }
}

/// Whom an occupant of a segregated suite is there for, as the checker reads it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Side {
    /// A booking without a program: shares a suite with no program.
    Nobody,
    /// Under `same_program` every program, under `same_client` one without a client.
    Program(usize),
    Client(String),
}

/// Segregated suites: per suite, every pair of parties that a suggestion makes share it on some
/// day, reported once with its first day.
fn check_segregation(inst: &Instance, plan: &Plan, out: &mut Vec<Violation>) {
    for (si, suite) in inst.suites.iter().enumerate() {
        if suite.segregation == Segregation::Any {
            continue;
        }
        let side = |program: Option<usize>| match (program, suite.segregation) {
            (None, _) => Side::Nobody,
            (Some(pi), Segregation::SameClient) => match &inst.programs[pi].client {
                Some(c) => Side::Client(c.clone()),
                None => Side::Program(pi),
            },
            (Some(pi), _) => Side::Program(pi),
        };
        // Occupants: (start, end, side, program, suggestion index).
        type Occ = (NaiveDate, NaiveDate, Side, Option<usize>, Option<usize>);
        let mut occupants: Vec<Occ> = Vec::new();
        for (i, s) in plan.suggestions.iter().enumerate() {
            let Some((pi, _)) = program_by(inst, &s.program) else {
                continue;
            };
            if suite_by(inst, &s.suite).is_some_and(|(x, _)| x == si) {
                occupants.push((s.start, s.end, side(Some(pi)), Some(pi), Some(i)));
            }
        }
        if occupants.is_empty() {
            continue;
        }
        for b in &inst.bookings {
            if suite_by(inst, &b.suite).is_some_and(|(x, _)| x == si) {
                let pi = b
                    .program
                    .as_deref()
                    .and_then(|r| program_by(inst, r))
                    .map(|(i, _)| i);
                occupants.push((b.start, b.end, side(pi), pi, None));
            }
        }
        // The days suggestions occupy, and who is there on each.
        let mut days: BTreeMap<NaiveDate, Vec<usize>> = BTreeMap::new();
        for (k, o) in occupants.iter().enumerate().filter(|(_, o)| o.4.is_some()) {
            let mut d = o.0;
            while d < o.1 {
                days.entry(d).or_default().push(k);
                match d.succ_opt() {
                    Some(n) => d = n,
                    None => break,
                }
            }
        }
        for (k, o) in occupants.iter().enumerate().filter(|(_, o)| o.4.is_none()) {
            if o.0 < o.1 {
                for (_, here) in days.range_mut(o.0..o.1) {
                    here.push(k);
                }
            }
        }
        // Per pair of sides a suggestion is part of: its first day, the days it shares, the two
        // occupants seen first and the last day counted.
        type Seen = (NaiveDate, usize, usize, usize, NaiveDate);
        let mut pairs: BTreeMap<(Side, Side), Seen> = BTreeMap::new();
        for (day, here) in &days {
            for (x, a) in here.iter().enumerate() {
                for b in &here[x + 1..] {
                    let (oa, ob) = (&occupants[*a], &occupants[*b]);
                    if oa.2 == ob.2 || (oa.4.is_none() && ob.4.is_none()) {
                        continue;
                    }
                    let (a, b) = if oa.2 <= ob.2 { (*a, *b) } else { (*b, *a) };
                    let key = (occupants[a].2.clone(), occupants[b].2.clone());
                    let entry = pairs.entry(key).or_insert((*day, 0, a, b, *day));
                    if entry.1 == 0 || entry.4 != *day {
                        entry.1 += 1;
                        entry.4 = *day;
                    }
                }
            }
        }
        for (first, n, a, b, _) in pairs.into_values() {
            let (oa, ob) = (&occupants[a], &occupants[b]);
            let label = |o: &Occ| match o.3 {
                None => format!("a booking without a program ({}..{})", o.0, o.1),
                Some(pi) => {
                    let p = &inst.programs[pi];
                    match (suite.segregation, &p.client) {
                        (Segregation::SameClient, Some(c)) => format!("{} (client {c})", p.name),
                        (Segregation::SameClient, None) => format!("{} (no client)", p.name),
                        _ => p.name.clone(),
                    }
                }
            };
            let who = match (oa.3, ob.3) {
                (Some(_), Some(_)) => format!("programs {} and {}", label(oa), label(ob)),
                (Some(_), None) => format!("program {} and {}", label(oa), label(ob)),
                (None, _) => format!("program {} and {}", label(ob), label(oa)),
            };
            let more = if n > 1 {
                format!(" (and {} more days)", n - 1)
            } else {
                String::new()
            };
            out.push(Violation {
                suggestion: oa.4.or(ob.4),
                message: format!(
                    "suite {} is segregated {}: {who} share it on {first}{more}",
                    suite.name,
                    suite.segregation.as_str()
                ),
            });
        }
    }
}

/// The program's road to first batch at `suite`'s site, when it has one not completed.
fn open_road<'a>(p: &'a Program, suite: &Suite) -> Option<&'a TechTransfer> {
    p.tech_transfers
        .iter()
        .find(|t| !t.completed && suite.site.as_deref() == Some(t.site.as_str()))
}

/// Roads to first batch: at each site where a program's road is open, the tech transfer (when it
/// has suite days) and every engineering run come before any batch serving demand the plan
/// suggests there; the runs follow the tech transfer one after another; the plan suggests no
/// more steps than the road asks.
fn check_roads(inst: &Instance, plan: &Plan, out: &mut Vec<Violation>) {
    for (pi, p) in inst.programs.iter().enumerate() {
        for road in p.tech_transfers.iter().filter(|t| !t.completed) {
            let at_site = |suite: &str| {
                suite_by(inst, suite)
                    .is_some_and(|(_, s)| s.site.as_deref() == Some(road.site.as_str()))
            };
            let mine = |program: &str| program_by(inst, program).is_some_and(|(i, _)| i == pi);
            // Steps: (kind, start, end, suggestion index or None for a booking).
            let mut steps: Vec<(BookingKind, NaiveDate, NaiveDate, Option<usize>)> = inst
                .bookings
                .iter()
                .filter(|b| {
                    b.program.as_deref().is_some_and(mine)
                        && at_site(&b.suite)
                        && matches!(
                            b.kind,
                            BookingKind::TechTransfer | BookingKind::EngineeringRun
                        )
                })
                .map(|b| (b.kind, b.start, b.end, None))
                .collect();
            let mut served = Vec::new();
            for (i, s) in plan.suggestions.iter().enumerate() {
                if !mine(&s.program) || !at_site(&s.suite) {
                    continue;
                }
                match s.kind {
                    BookingKind::TechTransfer | BookingKind::EngineeringRun => {
                        steps.push((s.kind, s.start, s.end, Some(i)))
                    }
                    kind if kind.serves_demand() => served.push(i),
                    _ => {}
                }
            }
            let count = |k: BookingKind| steps.iter().filter(|s| s.0 == k).count() as u32;
            let suggested = |k: BookingKind| steps.iter().any(|s| s.0 == k && s.3.is_some());
            let mut bad = |i: Option<usize>, message: String| {
                out.push(Violation {
                    suggestion: i,
                    message,
                })
            };
            if suggested(BookingKind::TechTransfer) && count(BookingKind::TechTransfer) > 1 {
                bad(
                    None,
                    format!("{}: more than one tech transfer at {}", p.name, road.site),
                );
            }
            if suggested(BookingKind::EngineeringRun)
                && count(BookingKind::EngineeringRun) > road.engineering_runs
            {
                bad(
                    None,
                    format!(
                        "{}: {} engineering runs at {}, the road asks {}",
                        p.name,
                        count(BookingKind::EngineeringRun),
                        road.site,
                        road.engineering_runs
                    ),
                );
            }
            let transfer_end = steps
                .iter()
                .filter(|s| s.0 == BookingKind::TechTransfer)
                .map(|s| s.2)
                .max();
            let mut runs: Vec<_> = steps
                .iter()
                .filter(|s| s.0 == BookingKind::EngineeringRun)
                .collect();
            runs.sort_by_key(|s| s.1);
            for (k, run) in runs.iter().enumerate() {
                let after = transfer_end
                    .into_iter()
                    .chain(runs[..k].iter().map(|r| r.2))
                    .max();
                let suggestion = run.3.or(runs[..k].iter().find_map(|r| r.3));
                if suggestion.is_some() && after.is_some_and(|a| run.1 < a) {
                    bad(
                        run.3,
                        format!(
                            "{}: engineering run from {} at {} before the step before it ends",
                            p.name, run.1, road.site
                        ),
                    );
                }
            }
            let complete = (road.days == 0 || count(BookingKind::TechTransfer) > 0)
                && count(BookingKind::EngineeringRun) >= road.engineering_runs;
            let end = steps.iter().map(|s| s.2).max();
            for i in served {
                let s = &plan.suggestions[i];
                if !complete {
                    bad(
                        Some(i),
                        format!(
                            "{} batch from {} at {} before its road to first batch is complete",
                            p.name, s.start, road.site
                        ),
                    );
                } else if end.is_some_and(|e| s.start < e) {
                    bad(
                        Some(i),
                        format!(
                            "{} batch from {} at {} before its road ends ({})",
                            p.name,
                            s.start,
                            road.site,
                            end.unwrap_or(s.start)
                        ),
                    );
                }
            }
        }
    }
}
