//! The `POST /v1/plans` body and its validation.

use super::{Scenario, ValidationErrors};
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// Longest horizon a plan may cover (the solver refuses more than about ten years).
pub const MAX_HORIZON_MONTHS: i64 = 120;
/// Longest time limit a request may ask for.
pub const MAX_TIME_LIMIT_S: f64 = 3600.0;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    /// First day of the first month planned.
    #[serde(deserialize_with = "super::dates::date")]
    #[schema(value_type = super::schema::FirstOfMonth)]
    pub from: NaiveDate,
    /// First day of the month after the last one planned (exclusive); after `from`, at most
    /// 120 months later.
    #[serde(deserialize_with = "super::dates::date")]
    #[schema(value_type = super::schema::FirstOfMonth)]
    pub to: NaiveDate,
    /// `expected` when null or absent.
    #[serde(default)]
    #[schema(value_type = Option<super::schema::ScenarioName>)]
    pub scenario: Option<String>,
    /// Programs to plan; null = every program. Bookings of the others still block lines.
    #[serde(default)]
    #[schema(min_items = 1)]
    pub program_ids: Option<Vec<Uuid>>,
    /// Overrides `planning.time_limit_s` for this plan.
    #[serde(default)]
    #[schema(exclusive_minimum = 0, maximum = 3600)]
    pub time_limit_s: Option<f64>,
    /// Plan a what-if sandbox's changes over the live data (staff); null: the live data.
    #[serde(default)]
    pub sandbox_id: Option<Uuid>,
}

/// A validated plan request.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPlan {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub scenario: Scenario,
    pub program_ids: Option<Vec<Uuid>>,
    pub time_limit_s: Option<f64>,
    pub sandbox_id: Option<Uuid>,
}

fn months_between(from: NaiveDate, to: NaiveDate) -> i64 {
    i64::from(to.year() - from.year()) * 12 + i64::from(to.month()) - i64::from(from.month())
}

impl PlanInput {
    pub fn validate(self) -> Result<NewPlan, ValidationErrors> {
        let mut e = ValidationErrors::new();
        if self.from.day() != 1 {
            e.push("/from", "must be the first day of a month");
        }
        if self.to.day() != 1 {
            e.push("/to", "must be the first day of a month");
        } else if self.to <= self.from {
            e.push("/to", "must be after from");
        } else if months_between(self.from, self.to) > MAX_HORIZON_MONTHS {
            e.push(
                "/to",
                format!("a plan covers at most {MAX_HORIZON_MONTHS} months"),
            );
        }
        let scenario = match self.scenario.as_deref() {
            None => Scenario::Expected,
            Some(s) => Scenario::parse(s).unwrap_or_else(|| {
                e.push("/scenario", "must be committed, expected or maximum");
                Scenario::Expected
            }),
        };
        if let Some(t) = self.time_limit_s {
            if !(t.is_finite() && t > 0.0 && t <= MAX_TIME_LIMIT_S) {
                e.push(
                    "/time_limit_s",
                    format!("must be more than 0 and at most {MAX_TIME_LIMIT_S} seconds"),
                );
            }
        }
        let program_ids = self.program_ids.map(|ids| {
            let mut seen = std::collections::HashSet::new();
            ids.into_iter()
                .filter(|id| seen.insert(*id))
                .collect::<Vec<_>>()
        });
        if program_ids.as_ref().is_some_and(|ids| ids.is_empty()) {
            e.push(
                "/program_ids",
                "must name at least one program (null plans every program)",
            );
        }
        e.into_result(NewPlan {
            from: self.from,
            to: self.to,
            scenario,
            program_ids,
            time_limit_s: self.time_limit_s,
            sandbox_id: self.sandbox_id,
        })
    }
}
