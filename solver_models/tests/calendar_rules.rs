//! Properties of the calendar rules on random suites, closures and bookings: free windows are
//! exactly the free days, a booking is placed exactly where every day is free, and both agree
//! with what the service's availability and booking path computed before they moved here.

use chrono::{Days, NaiveDate};
use proptest::prelude::*;
use solver_models::calendar::{line_open, Obstacle, Occupant, Refusal, SuiteCalendar, SuiteRules};
use solver_models::{Closure, Grade};

fn day(offset: i64) -> NaiveDate {
    let base = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
    if offset >= 0 {
        base + Days::new(offset as u64)
    } else {
        base - Days::new(offset.unsigned_abs())
    }
}

fn days(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    from.iter_days().take_while(move |d| *d < to)
}

#[derive(Debug, Clone)]
struct World {
    lines: u32,
    available_from: NaiveDate,
    available_to: Option<NaiveDate>,
    closures: Vec<Closure>,
    /// Tag = index, so that (start, tag) is the service's (starts_on, id) order.
    bookings: Vec<Occupant<usize>>,
}

impl World {
    fn rules(&self) -> SuiteRules<'static> {
        SuiteRules {
            capabilities: &[],
            grade: Grade::C,
            lines: self.lines,
            available_from: self.available_from,
            available_to: self.available_to,
        }
    }
    fn calendar(&self) -> SuiteCalendar<usize> {
        SuiteCalendar::new(&self.rules(), &self.closures, self.bookings.iter().cloned())
    }
    /// DESIGN.md's "free", day by day.
    fn free(&self, line: u32, d: NaiveDate) -> bool {
        line_open(&self.rules(), &self.closures, line, d)
            && !self
                .bookings
                .iter()
                .any(|b| b.line == line && b.start <= d && d < b.end)
    }
}

fn world() -> impl Strategy<Value = World> {
    // Coarse starts so that ties in start (whose order must be kept) are common.
    let closure = (
        (0i64..30).prop_map(|s| s * 4),
        1i64..25,
        prop::option::of(prop::collection::vec(1u32..=5, 1..3)),
    )
        .prop_map(|(s, len, lines)| Closure {
            start: day(s),
            end: day(s + len),
            lines,
        });
    let booking = (1u32..=5, (0i64..40).prop_map(|s| s * 3), 1i64..20);
    (
        1u32..=4,
        0i64..30,
        prop::option::of(40i64..120),
        prop::collection::vec(closure, 0..5),
        prop::collection::vec(booking, 0..12),
    )
        .prop_map(|(lines, from, to, closures, bookings)| World {
            lines,
            available_from: day(from),
            available_to: to.map(day),
            closures,
            bookings: bookings
                .into_iter()
                .enumerate()
                .map(|(tag, (line, s, len))| Occupant {
                    line,
                    start: day(s),
                    end: day(s + len),
                    tag,
                })
                .collect(),
        })
}

/// `domain::free_windows` as it was before it moved into the calendar module.
fn legacy_free_windows(
    from: NaiveDate,
    to: NaiveDate,
    mut busy: Vec<(NaiveDate, NaiveDate)>,
    min_days: i64,
) -> Vec<(NaiveDate, NaiveDate)> {
    busy.sort();
    let mut out = Vec::new();
    let mut cursor = from;
    for (s, e) in busy {
        if e <= cursor {
            continue;
        }
        if s >= to {
            break;
        }
        if s > cursor {
            out.push((cursor, s));
        }
        cursor = cursor.max(e);
        if cursor >= to {
            break;
        }
    }
    if cursor < to {
        out.push((cursor, to));
    }
    out.retain(|(s, e)| (*e - *s).num_days() >= min_days.max(1));
    out
}

/// `GET /v1/availability` for one line, as it was.
fn legacy_availability(
    w: &World,
    line: u32,
    from: NaiveDate,
    to: NaiveDate,
    min_days: i64,
) -> Vec<(NaiveDate, NaiveDate)> {
    let mut busy = vec![(NaiveDate::MIN, w.available_from)];
    if let Some(t) = w.available_to {
        busy.push((t, NaiveDate::MAX));
    }
    busy.extend(
        w.closures
            .iter()
            .filter(|c| c.lines.as_ref().is_none_or(|ls| ls.contains(&line)))
            .map(|c| (c.start, c.end)),
    );
    busy.extend(
        w.bookings
            .iter()
            .filter(|b| b.line == line)
            .map(|b| (b.start, b.end)),
    );
    legacy_free_windows(from, to, busy, min_days)
}

/// `insert_booking`'s choice of line and conflicts, as it was (its SQL reads made explicit).
fn legacy_place(
    w: &World,
    requested: Option<u32>,
    start: NaiveDate,
    end: NaiveDate,
) -> Result<u32, Vec<Obstacle<usize>>> {
    let candidates: Vec<u32> = match requested {
        Some(l) => vec![l],
        None => (1..=w.lines).collect(),
    };
    let mut conflicts = Vec::new();
    if start < w.available_from || w.available_to.is_some_and(|to| end > to) {
        for &line in &candidates {
            let (start, end) = (w.available_from, w.available_to.unwrap_or(NaiveDate::MAX));
            conflicts.push(Obstacle::Qualification { line, start, end });
        }
        return Err(conflicts);
    }
    let mut closures: Vec<&Closure> = w
        .closures
        .iter()
        .filter(|c| c.start < end && c.end > start)
        .collect();
    closures.sort_by_key(|c| c.start);
    let mut bookings: Vec<&Occupant<usize>> = w
        .bookings
        .iter()
        .filter(|b| b.start < end && b.end > start)
        .collect();
    bookings.sort_by_key(|b| (b.start, b.tag));
    for line in candidates {
        let mut here: Vec<Obstacle<usize>> = closures
            .iter()
            .filter(|c| c.lines.as_ref().is_none_or(|ls| ls.contains(&line)))
            .map(|c| Obstacle::Closure {
                line,
                start: c.start,
                end: c.end,
            })
            .collect();
        here.extend(
            bookings
                .iter()
                .filter(|b| b.line == line)
                .map(|b| Obstacle::Booking {
                    line,
                    start: b.start,
                    end: b.end,
                    tag: b.tag,
                }),
        );
        if here.is_empty() {
            return Ok(line);
        }
        conflicts.extend(here);
    }
    Err(conflicts)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn free_windows_cover_exactly_the_free_days_and_are_maximal(
        w in world(),
        from in -10i64..130,
        len in 1i64..80,
        min_days in 1i64..8,
    ) {
        let cal = w.calendar();
        let (from, to) = (day(from), day(from + len));
        for line in 1..=w.lines {
            let windows = cal.free_windows(line, from, to, 1);
            for d in days(from, to) {
                let inside = windows.iter().any(|(s, e)| *s <= d && d < *e);
                prop_assert_eq!(w.free(line, d), inside, "line {} day {}", line, d);
            }
            for (i, (s, e)) in windows.iter().enumerate() {
                prop_assert!(from <= *s && s < e && *e <= to);
                prop_assert!(*s == from || !w.free(line, s.pred_opt().unwrap()));
                prop_assert!(*e == to || !w.free(line, *e));
                if let Some((next, _)) = windows.get(i + 1) {
                    prop_assert!(e < next);
                }
            }
            prop_assert_eq!(
                cal.free_windows(line, from, to, min_days),
                legacy_availability(&w, line, from, to, min_days)
            );
        }
        prop_assert!(cal.free_windows(w.lines + 1, from, to, 1).is_empty());
    }

    #[test]
    fn a_booking_is_placed_exactly_where_every_day_is_free(
        w in world(),
        start in -10i64..130,
        len in 1i64..20,
    ) {
        let cal = w.calendar();
        let (start, end) = (day(start), day(start + len));
        for line in 1..=w.lines {
            let all_free = days(start, end).all(|d| w.free(line, d));
            let placed = cal.place(Some(line), start, end);
            prop_assert_eq!(placed.is_ok(), all_free, "line {}", line);
            match placed {
                Ok(l) => prop_assert_eq!(l, line),
                Err(Refusal::Conflicts(obs)) => {
                    prop_assert!(!obs.is_empty() && obs.iter().all(|o| o.line() == line));
                }
                Err(other) => prop_assert!(false, "unexpected {:?}", other),
            }
            prop_assert_eq!(cal.place(Some(line), start, end).map_err(conflicts), legacy_place(&w, Some(line), start, end));
        }
        let lowest = (1..=w.lines).find(|l| days(start, end).all(|d| w.free(*l, d)));
        prop_assert_eq!(cal.place(None, start, end).ok(), lowest);
        prop_assert_eq!(cal.place(None, start, end).map_err(conflicts), legacy_place(&w, None, start, end));
        prop_assert_eq!(
            cal.place(Some(w.lines + 1), start, end),
            Err(Refusal::NoSuchLine { line: w.lines + 1, lines: w.lines })
        );
    }

    #[test]
    fn day_calendars_follow_line_open_and_the_bookings(w in world(), from in -10i64..60) {
        let cal = w.calendar();
        let from = day(from);
        for line in 1..=w.lines + 1 {
            let open = cal.open_days(line, from, 150);
            let occupied = cal.occupied_days(line, from, 150);
            for (i, d) in days(from, from + Days::new(150)).enumerate() {
                prop_assert_eq!(open[i], line_open(&w.rules(), &w.closures, line, d));
                let covered = line <= w.lines
                    && w.bookings.iter().any(|b| b.line == line && b.start <= d && d < b.end);
                prop_assert_eq!(occupied[i], covered);
                prop_assert_eq!(open[i] && !occupied[i], w.free(line, d));
            }
        }
    }
}

fn conflicts(r: Refusal<usize>) -> Vec<Obstacle<usize>> {
    match r {
        Refusal::Conflicts(obs) => obs,
        Refusal::NoSuchLine { .. } => panic!("no such line"),
    }
}

/// `Prepared`'s calendars and usable suites equal what its own loops computed before it used the
/// calendar module (kept here verbatim as the reference).
#[test]
fn prepared_calendars_and_usable_suites_are_unchanged() {
    use solver_models::generate::{generate, GenSpec};
    use solver_models::model::Prepared;
    for seed in 0..12 {
        let spec = if seed % 3 == 0 {
            GenSpec::medium(seed)
        } else {
            GenSpec::small(seed)
        };
        let inst = generate(&spec);
        let p = Prepared::new(&inst).unwrap();
        for (li, line) in p.lines.iter().enumerate() {
            let s = &inst.suites[line.suite];
            let number = line.number;
            for d in 0..p.ext_days {
                let date = p.date(d);
                let qualified = s.available_from <= date && s.available_to.is_none_or(|t| date < t);
                let closed = s.closures.iter().any(|c| {
                    c.start <= date
                        && date < c.end
                        && c.lines.as_ref().is_none_or(|ls| ls.contains(&number))
                });
                assert_eq!(
                    p.open[li][d],
                    qualified && !closed,
                    "seed {seed} line {li} day {d}"
                );
                let booked = inst.bookings.iter().any(|b| {
                    (b.suite == s.name || s.id.as_deref() == Some(b.suite.as_str()))
                        && b.line == number
                        && b.start <= date
                        && date < b.end
                });
                assert_eq!(p.booked[li][d], booked, "seed {seed} line {li} day {d}");
            }
        }
        for (prog, info) in inst.programs.iter().zip(&p.progs) {
            let usable: Vec<usize> = inst
                .suites
                .iter()
                .enumerate()
                .filter(|(_, s)| {
                    prog.required_capabilities
                        .iter()
                        .all(|c| s.capabilities.contains(c))
                        && s.grade.satisfies(prog.min_grade)
                        && prog
                            .allowed_suites
                            .as_ref()
                            .is_none_or(|a| a.contains(&s.name))
                })
                .map(|(si, _)| si)
                .collect();
            assert_eq!(
                info.usable_suites, usable,
                "seed {seed} program {}",
                prog.name
            );
        }
    }
}
