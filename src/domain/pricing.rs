//! Prices: a site's rate card and what a slot costs under it. Money is exact decimal
//! (`rust_decimal`), never a float: JSON carries amounts as strings (`"4200.00"`), and a float in
//! the input is refused rather than rounded.

use super::{BookingKind, Grade, Suite, ValidationErrors};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// An amount of money: a decimal string with at most 2 decimals, 0 or more.
#[derive(ToSchema)]
#[schema(value_type = String, example = "4200.00", pattern = r"^[0-9]{1,12}(\.[0-9]{1,2})?$")]
#[allow(dead_code)]
pub struct Money(String);

/// Reads an amount from a string (`"4200.50"`); a JSON number is refused: a float may already
/// have lost cents, and the document says amounts are strings.
pub fn money<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Text(String),
        Other(serde::de::IgnoredAny),
    }
    match Raw::deserialize(d)? {
        Raw::Text(s) => s
            .trim()
            .parse::<Decimal>()
            .map_err(|_| serde::de::Error::custom("must be an amount such as \"4200.00\"")),
        Raw::Other(_) => Err(serde::de::Error::custom(
            "give amounts as strings (\"4200.50\"), not as JSON numbers",
        )),
    }
}

/// The price of one line-day in the suites a rate matches: by `suite_id`, or by capability
/// class (`capabilities` the suite offers all of) and `grade`; for one booking `kind` or all.
/// The most specific matching rate applies: a suite's own over its class's over the site's
/// default (no criteria), and one for the kind over one for every kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineDayRate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suite_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<super::schema::Tag>>)]
    pub capabilities: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<super::schema::GradeName>)]
    pub grade: Option<Grade>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<super::BookingKindName>)]
    pub kind: Option<BookingKind>,
    /// Per line-day.
    #[serde(
        deserialize_with = "money",
        serialize_with = "rust_decimal::serde::str::serialize"
    )]
    #[schema(value_type = Money)]
    pub price: Decimal,
}

impl LineDayRate {
    /// How specifically the rate names `suite` and `kind`; `None` when it does not match.
    fn specificity(&self, suite: &Suite, kind: BookingKind) -> Option<u8> {
        let mut score = 0;
        if let Some(id) = self.suite_id {
            if id != suite.id {
                return None;
            }
            // A suite's own rate beats any class's (capabilities and grade together: 4).
            score += 8;
        }
        if let Some(caps) = &self.capabilities {
            if !caps.iter().all(|c| suite.capabilities.contains(c)) {
                return None;
            }
            score += 2;
        }
        if let Some(grade) = self.grade {
            if grade != suite.grade {
                return None;
            }
            score += 2;
        }
        if let Some(k) = self.kind {
            if k != kind {
                return None;
            }
            score += 1;
        }
        Some(score)
    }
}

/// Pass-through consumables (vectors, media, single-use kits) charged per batch of a program.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Consumables {
    pub program_id: Uuid,
    #[serde(
        deserialize_with = "money",
        serialize_with = "rust_decimal::serde::str::serialize"
    )]
    #[schema(value_type = Money)]
    pub per_batch: Decimal,
}

/// A site's prices (`PUT /v1/sites/{id}/rate-card`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RateCard {
    /// ISO 4217 code: three capital letters (`EUR`, `USD`, `GBP`).
    #[schema(example = "EUR", pattern = "^[A-Z]{3}$")]
    pub currency: String,
    /// Line-day rates; the most specific matching one applies.
    #[serde(default)]
    pub line_day: Vec<LineDayRate>,
    /// Consumables per batch, by program.
    #[serde(default)]
    pub consumables: Vec<Consumables>,
}

/// A site's rate card as stored: the card and its version (each change adds one).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SiteRateCard {
    pub site_id: Uuid,
    pub version: i64,
    /// The card as `PUT` took it.
    pub card: RateCard,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// The most money one amount may be (a rate or consumables per batch).
const MAX_AMOUNT: i64 = 1_000_000_000_000;

impl RateCard {
    pub fn validate(mut self) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        self.currency = self.currency.trim().to_string();
        if !(self.currency.len() == 3 && self.currency.bytes().all(|b| b.is_ascii_uppercase())) {
            e.push(
                "/currency",
                "must be an ISO 4217 code of three capital letters",
            );
        }
        let amount_ok =
            |d: &Decimal| !d.is_sign_negative() && d.scale() <= 2 && *d < Decimal::from(MAX_AMOUNT);
        const AMOUNT: &str = "must be 0 or more, below 10^12, with at most 2 decimals";
        for (i, r) in self.line_day.iter_mut().enumerate() {
            if !amount_ok(&r.price) {
                e.push(format!("/line_day/{i}/price"), AMOUNT);
            }
            if let Some(caps) = &mut r.capabilities {
                super::inputs::normalise_tags(caps, &format!("/line_day/{i}/capabilities"), &mut e);
            }
        }
        for (i, c) in self.consumables.iter().enumerate() {
            if !amount_ok(&c.per_batch) {
                e.push(format!("/consumables/{i}/per_batch"), AMOUNT);
            }
            if self.consumables[..i]
                .iter()
                .any(|o| o.program_id == c.program_id)
            {
                e.push(
                    format!("/consumables/{i}/program_id"),
                    "one entry per program",
                );
            }
        }
        e.into_result(self)
    }

    /// The line-day rate for a booking of `kind` in `suite`, if one matches.
    pub fn line_day_rate(&self, suite: &Suite, kind: BookingKind) -> Option<Decimal> {
        let mut best: Option<(u8, Decimal)> = None;
        for r in &self.line_day {
            if let Some(score) = r.specificity(suite, kind) {
                // Ties go to the first listed.
                if best.is_none_or(|(s, _)| score > s) {
                    best = Some((score, r.price));
                }
            }
        }
        best.map(|(_, price)| price)
    }

    /// What one booking of `program` (None: a prospective program, no consumables on file)
    /// of `kind` over `days` line-days in `suite` costs, or why it has no price.
    pub fn price(
        &self,
        suite: &Suite,
        program: Option<Uuid>,
        kind: BookingKind,
        days: i64,
    ) -> Result<Price, String> {
        let rate = self.line_day_rate(suite, kind).ok_or_else(|| {
            format!(
                "the rate card of the site has no line-day rate for a {} in suite {}",
                kind.label(),
                suite.name
            )
        })?;
        let time = rate * Decimal::from(days);
        let consumables = if kind.runs_process() {
            program
                .and_then(|p| self.consumables.iter().find(|c| c.program_id == p))
                .map_or(Decimal::ZERO, |c| c.per_batch)
        } else {
            Decimal::ZERO
        };
        // Suite time is what batches and rentals pay for; activities (tech transfer, engineering
        // runs, media fills) are "other".
        let (suite_time, other) = match kind {
            BookingKind::GmpBatch | BookingKind::Ppq | BookingKind::Rental => (time, Decimal::ZERO),
            _ => (Decimal::ZERO, time),
        };
        Ok(Price::new(&self.currency, suite_time, consumables, other))
    }
}

/// A price broken down: suite time, pass-through consumables, other (activities), total.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Price {
    pub currency: String,
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = Money)]
    pub suite_time: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = Money)]
    pub consumables: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = Money)]
    pub other: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = Money)]
    pub total: Decimal,
}

/// An amount rounded to the cent and always shown with cents: "0.00", "19752.96".
pub fn cents(d: Decimal) -> Decimal {
    let mut c = d.round_dp(2);
    c.rescale(2);
    c
}

impl Price {
    pub fn new(currency: &str, suite_time: Decimal, consumables: Decimal, other: Decimal) -> Price {
        let (suite_time, consumables, other) =
            (cents(suite_time), cents(consumables), cents(other));
        Price {
            currency: currency.to_string(),
            suite_time,
            consumables,
            other,
            total: cents(suite_time + consumables + other),
        }
    }

    /// The sum of prices, if they are all in one currency.
    pub fn sum<'a>(prices: impl IntoIterator<Item = &'a Price>) -> Option<Price> {
        let mut it = prices.into_iter();
        let first = it.next()?.clone();
        it.try_fold(first, |acc, p| {
            (p.currency == acc.currency).then(|| {
                Price::new(
                    &acc.currency,
                    acc.suite_time + p.suite_time,
                    acc.consumables + p.consumables,
                    acc.other + p.other,
                )
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn suite(id: u128, caps: &[&str], grade: Grade) -> Suite {
        Suite {
            id: Uuid::from_u128(id),
            site_id: Uuid::from_u128(100),
            name: format!("S{id}"),
            grade,
            capabilities: caps.iter().map(|c| c.to_string()).collect(),
            lines: 2,
            available_from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            available_to: None,
            segregation: Default::default(),
        }
    }

    fn card(json: &str) -> RateCard {
        serde_json::from_str::<RateCard>(json)
            .unwrap()
            .validate()
            .unwrap()
    }

    #[test]
    fn the_most_specific_rate_applies() {
        let c = card(
            r#"{"currency": "EUR", "line_day": [
                {"price": "1000"},
                {"capabilities": ["viral_vector"], "grade": "B", "price": "3000.50"},
                {"suite_id": "00000000-0000-0000-0000-000000000001", "price": "4200"},
                {"kind": "tech_transfer", "price": "1500"}
            ]}"#,
        );
        let own = suite(1, &["viral_vector"], Grade::B);
        let class = suite(2, &["viral_vector", "aav"], Grade::B);
        let other = suite(3, &["autologous"], Grade::C);
        let k = BookingKind::GmpBatch;
        assert_eq!(c.line_day_rate(&own, k), Some(Decimal::from(4200)));
        assert_eq!(c.line_day_rate(&class, k), Some("3000.50".parse().unwrap()));
        assert_eq!(c.line_day_rate(&other, k), Some(Decimal::from(1000)));
        // The suite's own rate beats a kind rate of the site default (8 > 1).
        assert_eq!(
            c.line_day_rate(&own, BookingKind::TechTransfer),
            Some(Decimal::from(4200))
        );
        assert_eq!(
            c.line_day_rate(&other, BookingKind::TechTransfer),
            Some(Decimal::from(1500))
        );
    }

    #[test]
    fn a_batch_costs_its_line_days_and_its_consumables_to_the_cent() {
        let program = Uuid::from_u128(7);
        let c = card(&format!(
            r#"{{"currency": "EUR", "line_day": [{{"price": "3999.99"}}],
                "consumables": [{{"program_id": "{program}", "per_batch": "12500.10"}}]}}"#
        ));
        let s = suite(1, &[], Grade::B);
        let p = c
            .price(&s, Some(program), BookingKind::GmpBatch, 17)
            .unwrap();
        // 17 × 3999.99 = 67999.83; + 12500.10 = 80499.93
        assert_eq!(p.suite_time.to_string(), "67999.83");
        assert_eq!(p.consumables.to_string(), "12500.10");
        assert_eq!(p.total.to_string(), "80499.93");
        // A media fill is "other" and carries no consumables.
        let m = c
            .price(&s, Some(program), BookingKind::MediaFill, 2)
            .unwrap();
        assert_eq!(
            (m.other.to_string(), m.total.to_string()),
            ("7999.98".into(), "7999.98".into())
        );
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["total"], "80499.93");
    }

    #[test]
    fn floats_and_bad_amounts_are_refused() {
        for number in ["4200.5", "4200"] {
            assert!(serde_json::from_str::<RateCard>(&format!(
                r#"{{"currency": "EUR", "line_day": [{{"price": {number}}}]}}"#
            ))
            .is_err());
        }
        let e = serde_json::from_str::<RateCard>(
            r#"{"currency": "eur", "line_day": [{"price": "-1"}, {"price": "1.005"}]}"#,
        )
        .unwrap()
        .validate()
        .unwrap_err();
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            ["/currency", "/line_day/0/price", "/line_day/1/price"]
        );
    }
}
