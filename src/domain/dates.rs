//! Dates as the API takes them: years 1 to 9999 only. chrono reads `+10000-01-01` happily, but
//! such a date sorts wrongly where SQLite keeps dates as text, and no plan reaches it; refusing
//! it at the door (422 naming the field) keeps every layer behind it on four-digit years. Used as
//! `#[serde(deserialize_with = …)]` on every date an API body or query takes.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Deserializer};

const RANGE: &str = "a date between 0001-01-01 and 9999-12-31";

fn in_range<E: serde::de::Error>(year: i32) -> Result<(), E> {
    if (1..=9999).contains(&year) {
        Ok(())
    } else {
        Err(E::custom(format!("must be {RANGE}")))
    }
}

pub fn date<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
    let date = NaiveDate::deserialize(d)?;
    in_range(date.year())?;
    Ok(date)
}

pub fn opt_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    let date = Option::<NaiveDate>::deserialize(d)?;
    if let Some(date) = date {
        in_range(date.year())?;
    }
    Ok(date)
}

pub fn opt_instant<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    let at = Option::<DateTime<Utc>>::deserialize(d)?;
    if let Some(at) = at {
        in_range(at.year())?;
    }
    Ok(at)
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
}
