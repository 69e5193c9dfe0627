//! Storage: one [`Store`] trait of use cases, one implementation per database.
//!
//! The SQL is written once (`sql.rs`, a macro instantiated per backend) because both databases
//! speak the same dialect for everything suiteplan needs; what differs — transaction start
//! (`BEGIN IMMEDIATE` on SQLite), row locks (`FOR UPDATE` on PostgreSQL), migrations, error codes
//! — lives in `sqlite.rs` and `postgres.rs`.

mod plans;
mod postgres;
mod rows;
mod sql;
mod sqlite;
mod webhooks;

pub use plans::*;
pub use postgres::PgStore;
pub use sqlite::SqliteStore;
pub use webhooks::*;

use crate::domain::*;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("invalid: {0}")]
    Validation(ValidationErrors),
    #[error("already exists: {field}")]
    Duplicate { field: String, message: String },
    #[error("conflicts with existing bookings or closures")]
    Conflict(Vec<ConflictItem>),
    #[error("state: {0}")]
    State(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("database busy")]
    Busy,
    #[error("database: {0}")]
    Database(#[source] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    pub fn invalid(field: &str, message: &str) -> StoreError {
        StoreError::Validation(ValidationErrors::single(field, message))
    }
}

/// Something already on a line's calendar that a write would collide with.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ConflictItem {
    /// `booking`, `closure` or `qualification`.
    pub kind: String,
    pub line: i32,
    pub start: NaiveDate,
    pub end: NaiveDate,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub booking_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub program_id: Option<Uuid>,
}

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

pub type DynStore = Arc<dyn Store>;

#[derive(Debug, Clone, Default)]
pub struct BookingFilter {
    pub suite_id: Option<Uuid>,
    pub program_id: Option<Uuid>,
    pub client_id: Option<Uuid>,
    pub status: Option<BookingStatus>,
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

/// Use cases of the service, each one transaction. `actor` is who asked (for scoping and the
/// audit row written in the same transaction).
#[async_trait]
pub trait Store: PlanStore + WebhookStore + Send + Sync + 'static {
    fn backend(&self) -> &'static str;
    async fn ping(&self) -> Result<(), StoreError>;

    // Keys and sessions
    async fn authenticate(&self, key_hash: &str) -> Result<Option<KeyIdentity>, StoreError>;
    async fn ensure_admin_key(&self, key_hash: &str, prefix: &str) -> Result<(), StoreError>;
    async fn create_api_key(
        &self,
        actor: &Actor,
        input: &NewApiKey,
        key_hash: &str,
        prefix: &str,
    ) -> Result<ApiKey, StoreError>;
    async fn list_api_keys(&self, page: Page) -> Result<Listed<ApiKey>, StoreError>;
    async fn revoke_api_key(&self, actor: &Actor, id: Uuid) -> Result<(), StoreError>;
    async fn create_session(
        &self,
        api_key_id: Uuid,
        token_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    async fn session_identity(&self, token_hash: &str) -> Result<Option<KeyIdentity>, StoreError>;
    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError>;

    // Sites, suites, closures
    async fn create_site(&self, actor: &Actor, input: &NewSite) -> Result<Site, StoreError>;
    async fn list_sites(&self, page: Page) -> Result<Listed<Site>, StoreError>;
    async fn get_site(&self, id: Uuid) -> Result<Site, StoreError>;
    async fn create_suite(&self, actor: &Actor, input: &NewSuite) -> Result<Suite, StoreError>;
    async fn list_suites(&self, page: Page) -> Result<Listed<Suite>, StoreError>;
    async fn get_suite(&self, id: Uuid) -> Result<Suite, StoreError>;
    /// Replaces every field but `site_id`. Fewer lines or narrower qualification dates under
    /// live bookings → `Conflict`, unless `force`, which flags those bookings `at_risk`.
    async fn update_suite(
        &self,
        actor: &Actor,
        id: Uuid,
        input: &NewSuite,
        force: bool,
    ) -> Result<Suite, StoreError>;
    async fn create_closure(
        &self,
        actor: &Actor,
        suite_id: Uuid,
        input: &NewClosure,
    ) -> Result<Closure, StoreError>;
    async fn list_closures(
        &self,
        suite_id: Uuid,
        page: Page,
    ) -> Result<Listed<Closure>, StoreError>;
    async fn delete_closure(&self, actor: &Actor, id: Uuid) -> Result<(), StoreError>;

    // Clients, programs, forecasts
    async fn create_client(&self, actor: &Actor, input: &NewClient) -> Result<Client, StoreError>;
    async fn list_clients(
        &self,
        scope: Option<Uuid>,
        page: Page,
    ) -> Result<Listed<Client>, StoreError>;
    async fn get_client(&self, id: Uuid, scope: Option<Uuid>) -> Result<Client, StoreError>;
    /// `input.client_id` must be set (the handler fills in a client key's own).
    async fn create_program(
        &self,
        actor: &Actor,
        input: &NewProgram,
    ) -> Result<Program, StoreError>;
    async fn list_programs(
        &self,
        scope: Option<Uuid>,
        page: Page,
    ) -> Result<Listed<Program>, StoreError>;
    async fn get_program(&self, id: Uuid, scope: Option<Uuid>) -> Result<Program, StoreError>;
    async fn update_program(
        &self,
        actor: &Actor,
        id: Uuid,
        input: &NewProgram,
    ) -> Result<Program, StoreError>;
    async fn put_forecast(
        &self,
        actor: &Actor,
        program_id: Uuid,
        entries: &[ForecastEntry],
    ) -> Result<Forecast, StoreError>;
    /// The latest version, or `version`; `None` when the program has no forecast (yet).
    async fn get_forecast(
        &self,
        program_id: Uuid,
        version: Option<i32>,
    ) -> Result<Option<Forecast>, StoreError>;

    // Bookings (DESIGN.md "Calendar writes")
    /// Books one line (`input.line`, or the lowest free one) for `[start, end)`. Overlap with a
    /// live booking, a closure or the qualification dates → `Conflict`; an incompatible suite or
    /// another client's program → `Validation`. With `idem`, the 201 response is recorded under
    /// that idempotency key in the same transaction, so that a retry after a crash between commit
    /// and response replays it.
    async fn create_booking(
        &self,
        actor: &Actor,
        input: &NewBooking,
        rules: &BookingRules,
        idem: Option<&IdemKey>,
    ) -> Result<Booking, StoreError>;
    async fn confirm_booking(&self, actor: &Actor, id: Uuid) -> Result<Booking, StoreError>;
    async fn cancel_booking(&self, actor: &Actor, id: Uuid) -> Result<Booking, StoreError>;
    async fn get_booking(&self, id: Uuid, scope: Option<Uuid>) -> Result<Booking, StoreError>;
    async fn list_bookings(
        &self,
        filter: &BookingFilter,
        scope: Option<Uuid>,
        page: Page,
    ) -> Result<Listed<Booking>, StoreError>;
    /// Marks holds past their expiry `expired` (with `booking.expired` events) and raises
    /// `hold.expiring` once for holds expiring within `warning_days`. Returns (expired, warned).
    async fn sweep_holds(&self, warning_days: i64) -> Result<(u64, u64), StoreError>;
    /// Suites, closures and live bookings overlapping `[from, to)`, for availability.
    async fn calendar(&self, from: NaiveDate, to: NaiveDate) -> Result<Calendar, StoreError>;

    // Idempotency keys
    async fn idempotency_begin(
        &self,
        key: &IdemKey,
        request_hash: &str,
    ) -> Result<IdemBegin, StoreError>;
    async fn idempotency_finish(
        &self,
        key: &IdemKey,
        status: u16,
        body: &serde_json::Value,
    ) -> Result<(), StoreError>;
    async fn idempotency_forget(&self, key: &IdemKey) -> Result<(), StoreError>;

    // Calendar feeds
    async fn create_feed(
        &self,
        actor: &Actor,
        suite_id: Option<Uuid>,
        program_id: Option<Uuid>,
        token_hash: &str,
    ) -> Result<Uuid, StoreError>;
    async fn feed_scope(&self, token_hash: &str) -> Result<Option<FeedScope>, StoreError>;
    async fn revoke_feed(&self, actor: &Actor, id: Uuid) -> Result<(), StoreError>;

    /// When an audit row of one of `entities` was last written (the change feed of auto-replan).
    async fn last_change_at(&self, entities: &[&str]) -> Result<Option<DateTime<Utc>>, StoreError>;

    // Audit
    async fn list_audit(
        &self,
        filter: &AuditFilter,
        page: Page,
    ) -> Result<Listed<AuditEntry>, StoreError>;
}

/// Opens the store named by `url` (`sqlite://PATH` or `postgres://…`) and runs its migrations.
pub async fn connect(settings: &crate::config::DatabaseSettings) -> Result<DynStore, StoreError> {
    let url = settings.url.as_str();
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(settings).await?))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Arc::new(PgStore::connect(settings).await?))
    } else {
        Err(StoreError::invalid(
            "database.url",
            "must start with sqlite:// or postgres://",
        ))
    }
}

/// Now, truncated to microseconds so that stored instants compare exactly (and as text on SQLite).
pub fn now() -> DateTime<Utc> {
    let t = Utc::now();
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

/// Maps a unique violation (PostgreSQL: the constraint name; SQLite: the message naming the
/// columns) to the field at fault.
fn duplicate(what: &str) -> StoreError {
    const NAMED: [(&str, &str, &str, &str); 4] = [
        (
            "sites_name_key",
            "sites.name",
            "/name",
            "a site with this name exists",
        ),
        (
            "suites_site_name_key",
            "suites.site_id, suites.name",
            "/name",
            "this site has a suite with this name",
        ),
        (
            "clients_name_key",
            "clients.name",
            "/name",
            "a client with this name exists",
        ),
        (
            "programs_client_name_key",
            "programs.client_id, programs.name",
            "/name",
            "this client has a program with this name",
        ),
    ];
    for (constraint, columns, field, message) in NAMED {
        if what == constraint || what.contains(columns) {
            return StoreError::Duplicate {
                field: field.into(),
                message: message.into(),
            };
        }
    }
    StoreError::Duplicate {
        field: String::new(),
        message: "already exists".into(),
    }
}

/// Every item of a keyset-paginated list: calls `list` page after page until it says no more.
pub async fn all_pages<T, F, Fut>(mut list: F) -> Result<Vec<T>, StoreError>
where
    F: FnMut(Page) -> Fut,
    Fut: std::future::Future<Output = Result<Listed<T>, StoreError>>,
{
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let listed = list(Page { limit: 1000, after }).await?;
        out.extend(listed.items);
        match listed.next {
            Some(next) => after = Some(next),
            None => return Ok(out),
        }
    }
}
