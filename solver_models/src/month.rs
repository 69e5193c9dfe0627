//! Calendar months (`YYYY-MM`).

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A calendar month. Orders chronologically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i32,
    /// 1..=12
    month: u32,
}

impl Month {
    pub fn new(year: i32, month: u32) -> Option<Month> {
        ((1..=12).contains(&month) && (1..=9999).contains(&year)).then_some(Month { year, month })
    }
    pub fn of(date: NaiveDate) -> Month {
        Month {
            year: date.year(),
            month: date.month(),
        }
    }
    pub fn year(self) -> i32 {
        self.year
    }
    pub fn month(self) -> u32 {
        self.month
    }
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("valid month")
    }
    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }
    pub fn prev(self) -> Month {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                year: self.year,
                month: self.month - 1,
            }
        }
    }
    /// First day of the following month (exclusive end of this month).
    pub fn end(self) -> NaiveDate {
        self.next().first_day()
    }
    pub fn days(self) -> i64 {
        (self.end() - self.first_day()).num_days()
    }
    /// Months from `self` (inclusive) to `to` (exclusive).
    pub fn until(self, to: Month) -> impl Iterator<Item = Month> {
        std::iter::successors(Some(self), |m| Some(m.next())).take_while(move |m| *m < to)
    }
    /// Parses exactly `YYYY-MM`.
    pub fn parse(s: &str) -> Option<Month> {
        let b = s.as_bytes();
        if b.len() != 7
            || b[4] != b'-'
            || !b
                .iter()
                .enumerate()
                .all(|(i, c)| i == 4 || c.is_ascii_digit())
        {
            return None;
        }
        let year: i32 = s[..4].parse().ok()?;
        let month: u32 = s[5..].parse().ok()?;
        Month::new(year, month)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl Serialize for Month {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Month {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Month::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("`{s}` is not a month (YYYY-MM)")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        assert_eq!(Month::parse("2027-03").unwrap().to_string(), "2027-03");
        assert!(Month::parse("2027-13").is_none());
        assert!(Month::parse("2027-3").is_none());
        assert!(Month::parse("2027-00").is_none());
        assert_eq!(
            Month::parse("2027-12").unwrap().next().to_string(),
            "2028-01"
        );
        assert_eq!(Month::parse("2028-02").unwrap().days(), 29);
    }
}
