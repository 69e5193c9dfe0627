//! Dates and instants as the API takes them, exactly as the OpenAPI document's `date` and
//! `date-time` formats (RFC 3339) have them, and for years 0001 to 9999 only.
//!
//! chrono's own parsers are more forgiving than the formats: `2027-5-3` and `2027-05-03 ` pass
//! as dates, `2027-05-03 09:00:00Z` (a space for the `T`) and a leap second at any minute as
//! instants; a client that sends those would be told by the document they are wrong and by the
//! server they are right. And chrono reads `+10000-01-01` happily, but such a date sorts wrongly
//! where SQLite keeps dates as text, and no plan reaches it; refusing it at the door (422
//! naming the field) keeps every layer behind it on four-digit years. Used as
//! `#[serde(deserialize_with = …)]` on every date and instant an API body or query takes.

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use serde::{Deserialize, Deserializer};

const RANGE: &str = "a date between 0001-01-01 and 9999-12-31";

fn in_range<E: serde::de::Error>(year: i32) -> Result<(), E> {
    if (1..=9999).contains(&year) {
        Ok(())
    } else {
        Err(E::custom(format!("must be {RANGE}")))
    }
}

/// `YYYY-MM-DD` and nothing else (RFC 3339 `full-date`).
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    if !shape {
        return None;
    }
    let number = |r: std::ops::Range<usize>| s[r].parse::<u32>().ok();
    NaiveDate::from_ymd_opt(number(0..4)? as i32, number(5..7)?, number(8..10)?)
}

/// RFC 3339 `date-time`: a `T` (or `t`) between date and time, a `Z` or `±hh:mm` offset, and a
/// leap second only where one can fall (23:59:60 in UTC).
pub fn parse_instant(s: &str) -> Option<DateTime<Utc>> {
    if !s.is_ascii() || s.as_bytes().get(10) == Some(&b' ') {
        return None;
    }
    let at = DateTime::parse_from_rfc3339(s).ok()?.with_timezone(&Utc);
    let leap = at.nanosecond() >= 1_000_000_000;
    if leap && !(at.hour() == 23 && at.minute() == 59) {
        return None;
    }
    Some(at)
}

fn to_date<E: serde::de::Error>(s: &str) -> Result<NaiveDate, E> {
    let date = parse_date(s).ok_or_else(|| E::custom("must be a date, YYYY-MM-DD"))?;
    in_range(date.year())?;
    Ok(date)
}

pub fn date<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
    to_date(&String::deserialize(d)?)
}

pub fn opt_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    Option::<String>::deserialize(d)?
        .map(|s| to_date(&s))
        .transpose()
}

pub fn opt_instant<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    let Some(s) = Option::<String>::deserialize(d)? else {
        return Ok(None);
    };
    let at = parse_instant(&s).ok_or_else(|| {
        serde::de::Error::custom("must be an RFC 3339 instant, e.g. 2027-05-03T09:00:00Z")
    })?;
    // The year as written and in UTC: both are kept and compared as text.
    in_range(s[..4].parse::<i32>().unwrap_or(0))?;
    in_range(at.year())?;
    Ok(Some(at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Probe {
        #[serde(deserialize_with = "date")]
        d: NaiveDate,
    }

    #[test]
    fn four_digit_years_only() {
        let ok: Probe = serde_json::from_str(r#"{"d": "9999-12-31"}"#).unwrap();
        assert_eq!(ok.d.year(), 9999);
        assert!(serde_json::from_str::<Probe>(r#"{"d": "+10000-01-01"}"#).is_err());
        assert!(serde_json::from_str::<Probe>(r#"{"d": "-0001-01-01"}"#).is_err());
    }

    #[test]
    fn dates_are_exactly_yyyy_mm_dd() {
        assert_eq!(
            parse_date("2027-05-03"),
            NaiveDate::from_ymd_opt(2027, 5, 3)
        );
        for bad in [
            "2027-5-03",
            "2027-05-3",
            " 2027-05-03",
            "2027-05-03 ",
            "2027 -05-03",
            "2027-02-30",
            "20270503",
            "+2027-05-03",
        ] {
            assert_eq!(parse_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn instants_are_rfc_3339_date_times() {
        for good in [
            "2027-05-03T09:00:00Z",
            "2027-05-03t09:00:00z",
            "2027-05-03T09:00:00.123456789012Z",
            "2027-05-03T11:00:00+02:00",
            "2027-05-03T09:00:00-00:00",
            "2016-12-31T23:59:60Z",
            "2016-12-31T15:59:60-08:00",
        ] {
            assert!(parse_instant(good).is_some(), "{good:?}");
        }
        for bad in [
            "2027-05-03 09:00:00Z",
            "2027-05-03T09:00Z",
            "2027-05-03T09:00:00+0200",
            "2027-05-03T09:00:00\u{2212}02:00",
            "2027-05-03T09:00:60Z",
            "2027-05-03T09:00:00",
            "2027-05-03",
        ] {
            assert!(parse_instant(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn instants_keep_four_digit_years_as_written_and_in_utc() {
        #[derive(Deserialize)]
        struct Probe {
            #[serde(deserialize_with = "opt_instant")]
            #[allow(dead_code)]
            at: Option<DateTime<Utc>>,
        }
        let read = |at: &str| serde_json::from_value::<Probe>(serde_json::json!({ "at": at }));
        assert!(read("0001-01-01T05:00:00Z").is_ok());
        assert!(read("0000-12-31T23:00:00-02:00").is_err());
        assert!(read("0001-01-01T00:30:00+01:00").is_err());
        assert!(read("9999-12-31T23:00:00-02:00").is_err());
    }
}
