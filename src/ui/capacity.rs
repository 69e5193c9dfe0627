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

/// The programs that may use the same suites, and what they ask of them: expected demand and the
/// suites' open capacity per month, in line-days.
#[derive(Debug, Clone, PartialEq)]
pub struct DemandClass {
    /// The suites' names, with their sites ("Leiden: CT-North, CT-South"); empty when the
    /// programs may use no suite at all.
    pub suites: String,
    /// The programs' names, sorted.
    pub programs: Vec<String>,
    pub demand: Vec<f64>,
    pub capacity: Vec<f64>,
    /// The month where demand is the largest share of capacity, and that share (demand over
    /// capacity; infinite where there is demand and no capacity).
    pub peak: Option<(Month, f64)>,
}

/// Demand vs capacity per class of programs that may use the same suites (their capabilities,
/// grade and allowed suites, `may_use`): each class's demand in line-days per month (`demand`,
/// per program) against the open line-days of its suites, the classes most over capacity
/// first. Summed over every suite, a shortage of one kind of suite hides behind the spare
/// capacity of another; per class it shows.
pub fn demand_classes(
    programs: &[crate::domain::Program],
    suites: &[Suite],
    site_names: &std::collections::HashMap<Uuid, String>,
    demand: &[(Uuid, Vec<DemandLine>)],
    closures: &[Closure],
    months: &[Month],
) -> Vec<DemandClass> {
    let mut groups: BTreeMap<Vec<Uuid>, Vec<&crate::domain::Program>> = BTreeMap::new();
    for p in programs {
        let mut usable: Vec<Uuid> = suites
            .iter()
            .filter(|s| crate::domain::calendar::may_use(p, s).is_ok())
            .map(|s| s.id)
            .collect();
        usable.sort_unstable();
        groups.entry(usable).or_default().push(p);
    }
    let mut out: Vec<DemandClass> = groups
        .into_iter()
        .map(|(usable, progs)| {
            let ids: Vec<Uuid> = progs.iter().map(|p| p.id).collect();
            let lines: Vec<DemandLine> = demand
                .iter()
                .filter(|(id, _)| ids.contains(id))
                .flat_map(|(_, d)| d.iter().copied())
                .collect();
            let by_month = demand_line_days(&lines);
            let demand: Vec<f64> = months
                .iter()
                .map(|m| by_month.get(m).copied().unwrap_or(0) as f64)
                .collect();
            let members: Vec<&Suite> = suites.iter().filter(|s| usable.contains(&s.id)).collect();
            let capacity: Vec<f64> = months
                .iter()
                .map(|m| {
                    members
                        .iter()
                        .map(|s| open_line_days(s, closures, *m))
                        .sum::<i64>() as f64
                })
                .collect();
            let mut by_site: BTreeMap<String, Vec<&str>> = BTreeMap::new();
            for s in &members {
                let site = site_names.get(&s.site_id).cloned().unwrap_or_default();
                by_site.entry(site).or_default().push(s.name.as_str());
            }
            let suites = by_site
                .into_iter()
                .map(|(site, mut names)| {
                    names.sort_unstable();
                    format!("{site}: {}", names.join(", "))
                })
                .collect::<Vec<_>>()
                .join("; ");
            let peak = months
                .iter()
                .zip(demand.iter().zip(&capacity))
                .filter(|(_, (d, _))| **d > 0.0)
                .map(|(m, (d, c))| (*m, if *c > 0.0 { d / c } else { f64::INFINITY }))
                .max_by(|a, b| a.1.total_cmp(&b.1));
            let mut programs: Vec<String> = progs.iter().map(|p| p.name.clone()).collect();
            programs.sort();
            DemandClass {
                suites,
                programs,
                demand,
                capacity,
                peak,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        let share = |c: &DemandClass| c.peak.map_or(0.0, |p| p.1);
        share(b)
            .total_cmp(&share(a))
            .then_with(|| a.suites.cmp(&b.suites))
    });
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
            segregation: Default::default(),
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
