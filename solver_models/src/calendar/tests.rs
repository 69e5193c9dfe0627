//! Unit tests of the calendar rules; the properties are in `tests/calendar_rules.rs`.

use super::*;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}
fn caps(c: &[&str]) -> Vec<String> {
    c.iter().map(|c| c.to_string()).collect()
}
fn suite(caps: &[String]) -> SuiteRules<'_> {
    SuiteRules {
        capabilities: caps,
        grade: Grade::B,
        lines: 3,
        available_from: d("2027-01-01"),
        available_to: Some(d("2028-01-01")),
    }
}
fn closure(start: &str, end: &str, lines: Option<Vec<u32>>) -> Closure {
    Closure {
        start: d(start),
        end: d(end),
        lines,
    }
}
fn occupant(line: u32, start: &str, end: &str, tag: char) -> Occupant<char> {
    Occupant {
        line,
        start: d(start),
        end: d(end),
        tag,
    }
}

#[test]
fn unusable_suites_say_why_in_the_apis_words() {
    let has = caps(&["autologous"]);
    let needs = caps(&["autologous", "bsl2", "isolator"]);
    let mut p = ProgramNeeds {
        required_capabilities: &needs,
        min_grade: Grade::A,
        allowed_suites: Some(&[2]),
    };
    let why = may_use(&p, &1, &suite(&has)).unwrap_err();
    assert_eq!(
        why.to_string(),
        "the suite lacks capabilities the program requires: bsl2, isolator"
    );
    p.required_capabilities = &has;
    let why = may_use(&p, &1, &suite(&has)).unwrap_err();
    assert_eq!(
        why.to_string(),
        "the program needs grade A or cleaner; the suite is grade B"
    );
    p.min_grade = Grade::C;
    let why = may_use(&p, &1, &suite(&has)).unwrap_err();
    assert_eq!(
        why.to_string(),
        "the program's process is not filed for this suite"
    );
    assert_eq!(may_use(&p, &2, &suite(&has)), Ok(()));
    p.allowed_suites = None;
    assert_eq!(may_use(&p, &1, &suite(&has)), Ok(()));
}

#[test]
fn a_line_is_open_when_qualified_and_no_closure_applies_to_it() {
    let s = suite(&[]);
    assert!(!qualified(&s, d("2026-12-31")) && qualified(&s, d("2027-01-01")));
    assert!(qualified(&s, d("2027-12-31")) && !qualified(&s, d("2028-01-01")));
    let closures = [
        closure("2027-03-01", "2027-03-05", Some(vec![2])),
        closure("2027-04-01", "2027-04-02", None),
    ];
    assert!(
        !line_open(&s, &closures, 2, d("2027-03-04"))
            && line_open(&s, &closures, 1, d("2027-03-04"))
    );
    assert!(line_open(&s, &closures, 2, d("2027-03-05")));
    assert!((1..=3).all(|l| !line_open(&s, &closures, l, d("2027-04-01"))));
    assert!(
        !line_open(&s, &closures, 4, d("2027-05-01"))
            && !line_open(&s, &closures, 0, d("2027-05-01"))
    );
}

#[test]
fn obstacles_are_closures_by_start_then_bookings_by_start() {
    let closures = [
        closure("2027-03-10", "2027-03-20", None),
        closure("2027-03-01", "2027-03-12", Some(vec![1])),
    ];
    let occupants = [
        occupant(1, "2027-03-15", "2027-03-16", 'b'),
        occupant(1, "2027-03-02", "2027-03-04", 'a'),
        occupant(2, "2027-03-02", "2027-03-30", 'x'),
    ];
    let cal = SuiteCalendar::new(&suite(&[]), &closures, occupants);
    let found = cal.obstacles(1, d("2027-03-03"), d("2027-03-16"));
    assert_eq!(
        found,
        vec![
            Obstacle::Closure {
                line: 1,
                start: d("2027-03-01"),
                end: d("2027-03-12")
            },
            Obstacle::Closure {
                line: 1,
                start: d("2027-03-10"),
                end: d("2027-03-20")
            },
            Obstacle::Booking {
                line: 1,
                start: d("2027-03-02"),
                end: d("2027-03-04"),
                tag: 'a'
            },
            Obstacle::Booking {
                line: 1,
                start: d("2027-03-15"),
                end: d("2027-03-16"),
                tag: 'b'
            },
        ]
    );
    assert!(cal
        .obstacles(1, d("2027-03-20"), d("2027-04-01"))
        .is_empty());
    assert_eq!(cal.place(None, d("2027-03-01"), d("2027-03-05")), Ok(3));
    assert_eq!(cal.place(None, d("2027-03-20"), d("2027-03-25")), Ok(1));
    assert_eq!(
        cal.place(Some(4), d("2027-03-20"), d("2027-03-25")),
        Err(Refusal::NoSuchLine { line: 4, lines: 3 })
    );
}

#[test]
fn a_booking_outside_qualification_meets_only_qualification_on_every_line() {
    let cal = SuiteCalendar::new(
        &suite(&[]),
        &[closure("2027-12-01", "2028-02-01", None)],
        [],
    );
    let refusal = cal
        .place(None, d("2027-12-20"), d("2028-01-02"))
        .unwrap_err();
    let quals: Vec<Obstacle<()>> = (1..=3)
        .map(|line| Obstacle::Qualification {
            line,
            start: d("2027-01-01"),
            end: d("2028-01-01"),
        })
        .collect();
    assert_eq!(refusal, Refusal::Conflicts(quals));
    let open_ended = SuiteRules {
        available_to: None,
        ..suite(&[])
    };
    let cal = SuiteCalendar::<()>::new(&open_ended, &[], []);
    assert_eq!(
        cal.obstacles(2, d("2026-12-31"), d("2027-01-02")),
        vec![Obstacle::Qualification {
            line: 2,
            start: d("2027-01-01"),
            end: NaiveDate::MAX
        }]
    );
}

#[test]
fn free_windows_are_the_maximal_gaps() {
    let busy = vec![
        (d("2027-01-05"), d("2027-01-10")),
        (d("2027-01-08"), d("2027-01-12")),
        (d("2026-12-01"), d("2027-01-02")),
    ];
    let w = free_windows(d("2027-01-01"), d("2027-02-01"), busy, 2);
    assert_eq!(
        w,
        vec![
            (d("2027-01-02"), d("2027-01-05")),
            (d("2027-01-12"), d("2027-02-01"))
        ]
    );
    assert!(free_windows(d("2027-01-01"), d("2027-02-01"), vec![], 40).is_empty());
}

#[test]
fn a_lines_free_windows_skip_closures_bookings_and_unqualified_days() {
    let closures = [closure("2027-01-05", "2027-01-08", Some(vec![1]))];
    let cal = SuiteCalendar::new(
        &suite(&[]),
        &closures,
        [occupant(1, "2027-01-07", "2027-01-10", 'a')],
    );
    let w = cal.free_windows(1, d("2026-12-01"), d("2027-02-01"), 1);
    assert_eq!(
        w,
        vec![
            (d("2027-01-01"), d("2027-01-05")),
            (d("2027-01-10"), d("2027-02-01"))
        ]
    );
    assert_eq!(
        cal.free_windows(1, d("2027-01-01"), d("2027-02-01"), 5),
        vec![(d("2027-01-10"), d("2027-02-01"))]
    );
    assert_eq!(
        cal.free_windows(2, d("2027-12-20"), d("2028-02-01"), 1),
        vec![(d("2027-12-20"), d("2028-01-01"))]
    );
    assert!(cal
        .free_windows(4, d("2027-01-01"), d("2027-02-01"), 1)
        .is_empty());
}
