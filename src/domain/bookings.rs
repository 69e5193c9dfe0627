//! Bookings: one line of one suite reserved for a program over `[start, end)`.

use super::{check_interval, ValidationErrors};
use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum BookingStatus {
    Held,
    Confirmed,
    Cancelled,
    Expired,
}

impl BookingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BookingStatus::Held => "held",
            BookingStatus::Confirmed => "confirmed",
            BookingStatus::Cancelled => "cancelled",
            BookingStatus::Expired => "expired",
        }
    }
    pub fn parse(s: &str) -> Option<BookingStatus> {
        match s {
            "held" => Some(BookingStatus::Held),
            "confirmed" => Some(BookingStatus::Confirmed),
            "cancelled" => Some(BookingStatus::Cancelled),
            "expired" => Some(BookingStatus::Expired),
            _ => None,
        }
    }
}

pub use solver_models::BookingKind;

/// [`BookingKind`] as the OpenAPI document shows it (the solver crate knows no OpenAPI); a test
/// keeps the two lists equal.
#[derive(ToSchema, Serialize)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum BookingKindName {
    GmpBatch,
    EngineeringRun,
    TechTransfer,
    Ppq,
    MediaFill,
    Maintenance,
    Rental,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Booking {
    pub id: Uuid,
    pub program_id: Uuid,
    pub suite_id: Uuid,
    pub line: i32,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub status: BookingStatus,
    /// What the booking does: only `gmp_batch` and `ppq` serve the program's demand.
    #[schema(value_type = BookingKindName)]
    pub kind: BookingKind,
    pub hold_expires_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
    pub at_risk: bool,
    pub created_at: DateTime<Utc>,
    /// What it costs under its site's rate card when it was made (null without one): suite
    /// time, consumables, other, total.
    #[serde(default)]
    pub price: Option<super::Price>,
}

impl Booking {
    /// How calendars and pages name the booking: the program, and the kind unless it is a GMP
    /// batch ("HLX-Alpha · engineering run").
    pub fn title(&self, program: &str) -> String {
        match self.kind {
            BookingKind::GmpBatch => program.to_string(),
            kind => format!("{program} · {}", kind.label()),
        }
    }

    /// Held bookings past their expiry count as expired for every read and write, swept or not.
    pub fn effective(mut self, now: DateTime<Utc>) -> Booking {
        if self.status == BookingStatus::Held && self.hold_expires_at.is_some_and(|t| t <= now) {
            self.status = BookingStatus::Expired;
        }
        self
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBooking {
    pub program_id: Uuid,
    pub suite_id: Uuid,
    /// A line number; null picks the lowest free line.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 1000)]
    pub line: Option<i64>,
    #[serde(deserialize_with = "super::dates::date")]
    #[schema(value_type = super::schema::Day)]
    pub start: NaiveDate,
    /// After `start`, at most 10 years later.
    #[serde(deserialize_with = "super::dates::date")]
    #[schema(value_type = super::schema::Day)]
    pub end: NaiveDate,
    #[schema(value_type = super::schema::RequestedStatus)]
    pub status: BookingStatus,
    /// `gmp_batch` when not given; only `gmp_batch` and `ppq` serve the program's demand.
    #[serde(default)]
    #[schema(value_type = BookingKindName, required = false)]
    pub kind: BookingKind,
    /// Held bookings only; in the future.
    #[serde(default, deserialize_with = "super::dates::opt_instant")]
    #[schema(value_type = Option<super::schema::Instant>)]
    pub hold_expires_at: Option<DateTime<Utc>>,
    #[serde(default)]
    #[schema(value_type = Option<super::schema::Note>)]
    pub note: Option<String>,
}

/// The rules that depend on configuration and the clock.
#[derive(Debug, Clone, Copy)]
pub struct BookingRules {
    pub hold_ttl_days: i64,
    /// The longest hold a client may make, in days.
    pub client_hold_max_span_days: i64,
    /// A client's live holds together, in line-days (one line for one day).
    pub client_hold_quota_line_days: i64,
    pub today: NaiveDate,
    pub now: DateTime<Utc>,
}

impl NewBooking {
    /// Shape and range checks; `client` applies the rules for client keys. Fills in the default
    /// hold expiry.
    pub fn validate(
        mut self,
        rules: &BookingRules,
        client: bool,
    ) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        check_interval(self.start, self.end, "/end", &mut e);
        if (self.end - self.start).num_days() > 3650 {
            e.push("/end", "a booking may last at most 10 years");
        } else if client && (self.end - self.start).num_days() > rules.client_hold_max_span_days {
            e.push(
                "/end",
                format!(
                    "a client's hold spans at most {} days (bookings.client_hold_max_span_days)",
                    rules.client_hold_max_span_days
                ),
            );
        }
        if let Some(line) = self.line {
            if line < 1 {
                e.push("/line", "lines are numbered from 1");
            }
        }
        if let Some(note) = &self.note {
            if note.chars().count() > 2000 {
                e.push("/note", "must be at most 2000 characters");
            }
            super::inputs::check_text(note, "/note", true, &mut e);
        }
        let latest = rules.now + chrono::Duration::days(rules.hold_ttl_days);
        match self.status {
            BookingStatus::Held => match self.hold_expires_at {
                None => self.hold_expires_at = Some(latest),
                Some(t) if t <= rules.now => e.push("/hold_expires_at", "must be in the future"),
                Some(t) if client && t > latest => e.push(
                    "/hold_expires_at",
                    format!("a hold lasts at most {} days", rules.hold_ttl_days),
                ),
                Some(_) => {}
            },
            BookingStatus::Confirmed => {
                if self.hold_expires_at.is_some() {
                    e.push("/hold_expires_at", "only held bookings expire");
                }
            }
            _ => e.push("/status", "must be held or confirmed"),
        }
        if client && self.start < rules.today {
            e.push("/start", "must be today or later");
        }
        e.into_result(self)
    }
}

/// `POST /v1/bookings/{id}/extend`: a live hold's new expiry (staff).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldExtension {
    /// In the future.
    #[serde(deserialize_with = "super::dates::opt_instant")]
    #[schema(value_type = super::schema::Instant)]
    pub hold_expires_at: Option<DateTime<Utc>>,
}

impl HoldExtension {
    /// The new expiry: present and in the future.
    pub fn validate(self, rules: &BookingRules) -> Result<DateTime<Utc>, ValidationErrors> {
        match self.hold_expires_at {
            Some(t) if t > rules.now => Ok(t),
            Some(_) => Err(ValidationErrors::single(
                "/hold_expires_at",
                "must be in the future",
            )),
            None => Err(ValidationErrors::single(
                "/hold_expires_at",
                "the new expiry is required",
            )),
        }
    }
}

/// A maximal free window of one line.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct Window {
    pub suite_id: Uuid,
    pub line: i32,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

/// The day after `d` (saturating).
pub fn next_day(d: NaiveDate) -> NaiveDate {
    d.checked_add_days(Days::new(1)).unwrap_or(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_kinds_are_the_kinds() {
        use utoipa::PartialSchema;
        let documented = serde_json::to_value(BookingKindName::schema()).unwrap();
        let names: Vec<String> = BookingKind::ALL
            .iter()
            .map(|k| {
                serde_json::to_value(k)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(documented["enum"], serde_json::json!(names), "{documented}");
        for k in BookingKind::ALL {
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
    }
}
