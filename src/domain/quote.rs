//! Earliest-date quotes: "when can you make my N batches, and at what price?" The slots are
//! found with the calendar rules availability uses (qualification, closures, live bookings and
//! holds, dedications, segregation, the site's pools), one batch after another, each taking the
//! earliest start any allowed line offers once the batches before it are placed.

use super::calendar::{availability, AvailabilityQuery, CalendarView, LineSpan};
use super::{BookingKind, Grade, Price, ValidationErrors};
use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Most batches one quote may ask for.
pub const MAX_QUOTE_BATCHES: i64 = 50;
/// How far ahead of `from` a quote looks (availability's own limit).
pub const QUOTE_HORIZON_DAYS: u64 = 3 * 366;

/// A program not yet in the store, described for a quote (staff only): what a batch needs.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProspectiveProgram {
    #[schema(value_type = super::schema::Name)]
    pub name: String,
    #[serde(default)]
    #[schema(value_type = Vec<super::schema::Tag>)]
    pub required_capabilities: Vec<String>,
    #[schema(value_type = super::schema::GradeName)]
    pub min_grade: Grade,
    #[schema(minimum = 1, maximum = 365)]
    pub batch_days: i64,
    #[serde(default)]
    #[schema(minimum = 0, maximum = 365)]
    pub changeover_days: i64,
    /// Only these suites (null: any that qualifies).
    #[serde(default)]
    pub allowed_suite_ids: Option<Vec<Uuid>>,
}

/// The body of `POST /v1/quotes`: `program_id` (a client: one of its own) or `program` (staff:
/// a prospective program), the number of batches, from when, and optionally by when.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewQuote {
    #[serde(default)]
    pub program_id: Option<Uuid>,
    #[serde(default)]
    pub program: Option<ProspectiveProgram>,
    #[schema(minimum = 1, maximum = 50)]
    pub batches: i64,
    /// No slot starts before this day.
    #[serde(deserialize_with = "super::dates::date")]
    #[schema(value_type = super::schema::Day)]
    pub from: NaiveDate,
    /// The day the last batch should be finished by (exclusive end); the quote says whether
    /// it is (`meets_by`).
    #[serde(default, deserialize_with = "super::dates::opt_date")]
    #[schema(value_type = Option<super::schema::Day>)]
    pub by: Option<NaiveDate>,
    /// `gmp_batch` (default), `ppq` or `engineering_run`.
    #[serde(default)]
    #[schema(value_type = Option<super::BookingKindName>)]
    pub kind: Option<BookingKind>,
}

impl NewQuote {
    pub fn validate(mut self, staff: bool) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        match (&self.program_id, &mut self.program) {
            (Some(_), Some(_)) => e.push("/program", "give program_id or program, not both"),
            (None, None) => e.push("/program_id", "name a program (or, staff, describe one)"),
            (None, Some(_)) if !staff => e.push(
                "/program",
                "a client quotes for its own programs (program_id)",
            ),
            (None, Some(p)) => {
                p.name = p.name.trim().to_string();
                super::inputs::check_name(&p.name, "/program/name", &mut e);
                super::inputs::normalise_tags(
                    &mut p.required_capabilities,
                    "/program/required_capabilities",
                    &mut e,
                );
                if !(1..=365).contains(&p.batch_days) {
                    e.push("/program/batch_days", "must be between 1 and 365");
                }
                if !(0..=365).contains(&p.changeover_days) {
                    e.push("/program/changeover_days", "must be between 0 and 365");
                }
            }
            (Some(_), None) => {}
        }
        if !(1..=MAX_QUOTE_BATCHES).contains(&self.batches) {
            e.push("/batches", "must be between 1 and 50");
        }
        if let Some(by) = self.by {
            if by <= self.from {
                e.push("/by", "must be after from");
            }
        }
        match self.kind {
            None | Some(BookingKind::GmpBatch | BookingKind::Ppq | BookingKind::EngineeringRun) => {
            }
            Some(_) => e.push("/kind", "a quote is for gmp_batch, ppq or engineering_run"),
        }
        e.into_result(self)
    }
}

/// One quoted batch: where and when, and what it costs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct QuoteSlot {
    pub suite_id: Uuid,
    pub suite_name: String,
    pub line: i32,
    pub start: NaiveDate,
    /// Exclusive: the batch and its changeover.
    pub end: NaiveDate,
    /// Null when the suite's site has no rate card that prices it.
    pub price: Option<Price>,
}

/// A rate card a quote was priced with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RateCardUsed {
    pub site_id: Uuid,
    pub version: i64,
}

/// `open` until it expires or is accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum QuoteStatus {
    Open,
    Accepted,
    Expired,
}

/// An earliest-date quote (`POST /v1/quotes`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Quote {
    pub id: Uuid,
    /// Null for a prospective program (staff only; cannot be held).
    pub program_id: Option<Uuid>,
    pub program_name: String,
    pub client_id: Option<Uuid>,
    #[schema(value_type = super::BookingKindName)]
    pub kind: BookingKind,
    pub batches: i64,
    pub from: NaiveDate,
    pub by: Option<NaiveDate>,
    /// In start order.
    pub slots: Vec<QuoteSlot>,
    /// The day the last batch is finished (its slot's exclusive end).
    pub finishes_on: NaiveDate,
    /// Whether the last batch finishes by `by` (null when no `by` was asked).
    pub meets_by: Option<bool>,
    /// The whole quote, when every slot is priced in one currency.
    pub price: Option<Price>,
    /// Why `price` is null.
    pub unpriced: Option<String>,
    pub rate_cards: Vec<RateCardUsed>,
    pub status: QuoteStatus,
    pub created_at: DateTime<Utc>,
    /// Until then it can be accepted as holds (`quotes.valid_hours` after it was made).
    pub expires_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    /// The holds it became.
    pub booking_ids: Vec<Uuid>,
}

impl Quote {
    /// The status as of `now` (an open quote past its expiry is expired).
    pub fn status_at(&self, now: DateTime<Utc>) -> QuoteStatus {
        if self.accepted_at.is_some() {
            QuoteStatus::Accepted
        } else if now >= self.expires_at {
            QuoteStatus::Expired
        } else {
            QuoteStatus::Open
        }
    }
}

/// A slot found by [`earliest_slots`]: before names and prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    pub suite_id: Uuid,
    pub line: i32,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

/// Places `n` slots of `len` days each at the earliest starts `q` allows (`q.from` on, within
/// [`QUOTE_HORIZON_DAYS`]), one after another: each slot found stands in the calendar for the
/// next (as a booking of the asker's party), so two never share a line, and ties go to the
/// suite listed first, then the lower line. `blocked(slot)` adds the days on which a site's
/// pools leave no room once the slots before are counted; called after each slot. Returns the
/// slots found, fewer than `n` when the horizon runs out.
pub fn earliest_slots(
    q: &AvailabilityQuery,
    len: i64,
    n: usize,
    calendar: &CalendarView<'_>,
    mut blocked: impl FnMut(&[Found]) -> std::collections::HashMap<Uuid, Vec<(NaiveDate, NaiveDate)>>,
) -> Vec<Found> {
    let mut q = q.clone();
    q.min_days = len;
    q.to = q
        .from
        .checked_add_days(Days::new(QUOTE_HORIZON_DAYS))
        .unwrap_or(q.from);
    let suites = calendar.suites;
    let order = |id: Uuid| suites.iter().position(|s| s.id == id).unwrap_or(usize::MAX);
    let mut taken = calendar.taken.to_vec();
    let mut found: Vec<Found> = Vec::with_capacity(n);
    while found.len() < n {
        let windows = availability(
            &q,
            &CalendarView {
                taken: &taken,
                ..*calendar
            },
        );
        let Some(best) = windows
            .iter()
            .filter(|w| (w.end - w.start).num_days() >= len)
            .min_by_key(|w| (w.start, order(w.suite_id), w.line))
        else {
            break;
        };
        let Some(end) = best.start.checked_add_days(Days::new(len.unsigned_abs())) else {
            break;
        };
        let slot = Found {
            suite_id: best.suite_id,
            line: best.line,
            start: best.start,
            end,
        };
        let party = suites
            .iter()
            .find(|s| s.id == slot.suite_id)
            .and_then(|s| q.party_in(s.segregation));
        taken.push(LineSpan {
            suite_id: slot.suite_id,
            line: slot.line,
            start: slot.start,
            end: slot.end,
            party,
        });
        found.push(slot);
        q.pool_blocked = blocked(&found);
    }
    found
}
