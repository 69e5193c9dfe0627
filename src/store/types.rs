//! Values the store's use cases take and return that are about storage rather than the domain:
//! paging, filters, identities, idempotency records, calendar reads.

use crate::domain::*;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// Keyset pagination: items after `after` (by id), at most `limit`.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub limit: u32,
    pub after: Option<Uuid>,
}

impl Default for Page {
    fn default() -> Self {
        Page {
            limit: 100,
            after: None,
        }
    }
}

/// One page of a list and the id to continue after, if more remain.
#[derive(Debug, Clone)]
pub struct Listed<T> {
    pub items: Vec<T>,
    pub next: Option<Uuid>,
}

impl<T> Listed<T> {
    /// `rows` holds up to `limit + 1` rows: the extra one only says that more exist.
    pub fn from_rows(mut rows: Vec<T>, limit: u32, id: impl Fn(&T) -> Uuid) -> Listed<T> {
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next = if more { rows.last().map(id) } else { None };
        Listed { items: rows, next }
    }
}

/// A key that authenticated: what it may do.
#[derive(Debug, Clone)]
pub struct KeyIdentity {
    pub id: Uuid,
    pub role: Role,
    pub client_id: Option<Uuid>,
}

impl KeyIdentity {
    /// The key as the actor of a request (audit rows, authorisation).
    pub fn actor(&self, request_id: Option<String>) -> Actor {
        Actor {
            api_key_id: Some(self.id),
            role: self.role,
            client_id: self.client_id,
            request_id,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub api_key_id: Option<Uuid>,
    pub role: String,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<Uuid>,
    pub request_id: Option<String>,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub entity_id: Option<Uuid>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default)]
pub struct BookingFilter {
    pub suite_id: Option<Uuid>,
    pub program_id: Option<Uuid>,
    pub client_id: Option<Uuid>,
    pub status: Option<BookingStatus>,
    pub kind: Option<crate::domain::BookingKind>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// An `Idempotency-Key`, scoped per API key.
#[derive(Debug, Clone)]
pub struct IdemKey {
    pub api_key_id: Uuid,
    pub key: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum IdemBegin {
    /// First use: go ahead (the key is now in flight).
    Fresh,
    /// Seen with the same body: answer this again.
    Replay {
        status: u16,
        body: serde_json::Value,
    },
    /// The first request with this key is still running.
    InFlight,
    /// Seen with another body.
    Mismatch,
}

/// What a calendar feed may show.
#[derive(Debug, Clone)]
pub struct FeedScope {
    pub id: Uuid,
    pub client_id: Option<Uuid>,
    pub suite_id: Option<Uuid>,
    pub program_id: Option<Uuid>,
}

/// A live (held and unexpired, or confirmed) booking as a calendar entry.
#[derive(Debug, Clone)]
pub struct LiveBooking {
    pub id: Uuid,
    pub program_id: Uuid,
    pub suite_id: Uuid,
    pub line: i32,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

#[derive(Debug, Clone, Default)]
pub struct Calendar {
    pub suites: Vec<Suite>,
    pub closures: Vec<Closure>,
    pub bookings: Vec<LiveBooking>,
}

/// What availability reads: suites, closures, and the lines live bookings take (no ids).
#[derive(Debug, Clone, Default)]
pub struct Occupancy {
    pub suites: Vec<Suite>,
    pub closures: Vec<Closure>,
    pub taken: Vec<crate::domain::calendar::LineSpan>,
    /// Dedicated lines over the window.
    pub dedications: Vec<crate::domain::Dedication>,
}

impl Occupancy {
    pub fn view(&self) -> crate::domain::calendar::CalendarView<'_> {
        crate::domain::calendar::CalendarView {
            suites: &self.suites,
            closures: &self.closures,
            taken: &self.taken,
            dedications: &self.dedications,
        }
    }
}
