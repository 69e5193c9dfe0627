//! The numbers behind the pages: open and booked line-days per suite and month, demand in
//! line-days. Plain functions over domain values, no I/O.

use crate::domain::{Closure, Month, Suite};
use chrono::NaiveDate;
use std::collections::BTreeMap;
use uuid::Uuid;

/// `n` consecutive months starting at `first`.
pub fn months_from(first: Month, n: usize) -> Vec<Month> {
    std::iter::successors(Some(first), |m| Some(m.next()))
        .take(n)
        .collect()
}

/// Days shared by the half-open intervals `[a0, a1)` and `[b0, b1)`.
pub fn overlap_days(a0: NaiveDate, a1: NaiveDate, b0: NaiveDate, b1: NaiveDate) -> i64 {
    let start = a0.max(b0);
    let end = a1.min(b1);
    (end - start).num_days().max(0)
}

/// How many of the suite's lines a closure takes out (`lines: None` is the whole suite).
fn closed_lines(suite: &Suite, closure: &Closure) -> i64 {
    match &closure.lines {
        None => i64::from(suite.lines.max(0)),
        Some(lines) => {
            let mut ls: Vec<i32> = lines
                .iter()
                .copied()
                .filter(|l| (1..=suite.lines).contains(l))
                .collect();
            ls.sort_unstable();
            ls.dedup();
            ls.len() as i64
        }
    }
}

/// Line-days a suite can work in `month`: its lines over the days it is qualified
/// (`[available_from, available_to)`), minus its closures. Never negative.
pub fn open_line_days(suite: &Suite, closures: &[Closure], month: Month) -> i64 {
    let (m0, m1) = (month.first_day(), month.end());
    let to = suite.available_to.unwrap_or(NaiveDate::MAX);
    let days = overlap_days(m0, m1, suite.available_from, to);
    let lines = i64::from(suite.lines.max(0));
    let closed: i64 = closures
        .iter()
        .filter(|c| c.suite_id == suite.id)
        .map(|c| {
            // Only the part of a closure inside both the month and the qualified window counts.
            let start = c.start.max(suite.available_from);
            let end = c.end.min(to);
            overlap_days(m0, m1, start, end) * closed_lines(suite, c)
        })
        .sum();
    (days * lines - closed).max(0)
}

/// A booking's footprint on a line: suite and days `[start, end)`.
#[derive(Debug, Clone, Copy)]
pub struct Occupancy {
    pub suite_id: Uuid,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

/// Line-days of `suite_id` taken by `bookings` in `month`.
pub fn booked_line_days(suite_id: Uuid, bookings: &[Occupancy], month: Month) -> i64 {
    bookings
        .iter()
        .filter(|b| b.suite_id == suite_id)
        .map(|b| overlap_days(month.first_day(), month.end(), b.start, b.end))
        .sum()
}

/// Used share of open capacity; `None` when nothing is open.
pub fn utilisation(used: i64, open: i64) -> Option<f64> {
    (open > 0).then(|| used as f64 / open as f64)
}

/// One month of one program's demand: batches, each taking `days_per_batch` line-days.
#[derive(Debug, Clone, Copy)]
pub struct DemandLine {
    pub month: Month,
    pub batches: u32,
    pub days_per_batch: i64,
}

/// Total demand in line-days per month.
pub fn demand_line_days(items: &[DemandLine]) -> BTreeMap<Month, i64> {
    let mut out = BTreeMap::new();
    for d in items {
        *out.entry(d.month).or_insert(0) += i64::from(d.batches) * d.days_per_batch.max(0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Grade;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }
    fn m(s: &str) -> Month {
        Month::parse(s).expect("month")
    }
    fn suite(lines: i32, from: &str, to: Option<&str>) -> Suite {
        Suite {
            id: Uuid::from_u128(1),
            site_id: Uuid::from_u128(2),
            name: "S".into(),
            grade: Grade::B,
            capabilities: vec![],
            lines,
            available_from: d(from),
            available_to: to.map(d),
        }
    }
    fn closure(start: &str, end: &str, lines: Option<Vec<i32>>) -> Closure {
        Closure {
            id: Uuid::from_u128(3),
            suite_id: Uuid::from_u128(1),
            start: d(start),
            end: d(end),
            reason: None,
            lines,
        }
    }

    #[test]
    fn open_days_are_lines_times_days() {
        assert_eq!(
            open_line_days(&suite(2, "2026-01-01", None), &[], m("2026-02")),
            56
        );
    }

    #[test]
    fn qualification_window_limits_open_days() {
        let s = suite(1, "2026-03-11", Some("2026-03-21"));
        assert_eq!(open_line_days(&s, &[], m("2026-03")), 10);
        assert_eq!(open_line_days(&s, &[], m("2026-02")), 0);
        assert_eq!(open_line_days(&s, &[], m("2026-04")), 0);
    }

    #[test]
    fn closures_take_their_lines_out() {
        let s = suite(3, "2026-01-01", None);
        let whole = closure("2026-04-01", "2026-04-11", None);
        let one = closure("2026-04-20", "2026-05-10", Some(vec![2, 2, 9]));
        assert_eq!(
            open_line_days(&s, &[whole, one], m("2026-04")),
            90 - 30 - 11
        );
        // A closure over more than the suite never goes negative.
        let s1 = suite(1, "2026-01-01", None);
        let a = closure("2026-04-01", "2026-05-01", None);
        assert_eq!(open_line_days(&s1, &[a.clone(), a], m("2026-04")), 0);
    }

    #[test]
    fn booked_days_count_only_the_month_and_suite() {
        let b = [
            Occupancy {
                suite_id: Uuid::from_u128(1),
                start: d("2026-03-25"),
                end: d("2026-04-05"),
            },
            Occupancy {
                suite_id: Uuid::from_u128(9),
                start: d("2026-04-01"),
                end: d("2026-04-30"),
            },
        ];
        assert_eq!(booked_line_days(Uuid::from_u128(1), &b, m("2026-04")), 4);
        assert_eq!(booked_line_days(Uuid::from_u128(1), &b, m("2026-03")), 7);
        assert_eq!(utilisation(15, 30), Some(0.5));
        assert_eq!(utilisation(1, 0), None);
    }

    #[test]
    fn demand_is_batches_times_days() {
        let items = [
            DemandLine {
                month: m("2026-05"),
                batches: 2,
                days_per_batch: 16,
            },
            DemandLine {
                month: m("2026-05"),
                batches: 1,
                days_per_batch: 30,
            },
            DemandLine {
                month: m("2026-06"),
                batches: 0,
                days_per_batch: 16,
            },
        ];
        let out = demand_line_days(&items);
        assert_eq!(out.get(&m("2026-05")), Some(&62));
        assert_eq!(out.get(&m("2026-06")), Some(&0));
        assert_eq!(
            months_from(m("2026-11"), 3),
            vec![m("2026-11"), m("2026-12"), m("2027-01")]
        );
    }
}
