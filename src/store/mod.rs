//! Storage: the [`Store`] trait of use cases, made of one sub-trait per aggregate, with one
//! implementation per database.
//!
//! The SQL is written once, in one file per aggregate under `sql/`, and compiled once per
//! backend: `sqlite.rs` and `postgres.rs` each include those files as their own modules with
//! their own `Db`, `Backend` and [`Dialect`] in scope. What differs between the backends is
//! named: the dialect's SQL fragments (`FOR UPDATE`, `SKIP LOCKED`), the write transaction's
//! start (`BEGIN IMMEDIATE` on SQLite), the calendar-write strategy (`BookingWrite`) and the
//! migrations. Stores depend on the domain only.

mod dialect;
mod error;
mod postgres;
mod rows;
mod sqlite;
mod types;

pub use dialect::Dialect;
pub use error::StoreError;
pub use postgres::PgStore;
pub use sqlite::SqliteStore;
pub use types::*;

use crate::domain::*;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use std::sync::Arc;
use uuid::Uuid;

pub type DynStore = Arc<dyn Store>;

/// SQL for "this booking is live": confirmed, or held and not expired at `now` (a placeholder
/// such as `$3`) — `Booking::effective`'s rule, stated once for every query that needs it. A
/// CASE, so that no planner answers it from the status index (SQLite without statistics did,
/// reading every confirmed booking).
pub(crate) fn live_at(now: &str) -> String {
    live_of("", now)
}

/// [`live_at`] for the bookings table under an alias (`b.`).
pub(crate) fn live_of(alias: &str, now: &str) -> String {
    format!(
        "(CASE WHEN {alias}status = 'confirmed' THEN 1 \
         WHEN {alias}status = 'held' AND {alias}hold_expires_at > {now} THEN 1 ELSE 0 END) = 1"
    )
}

/// Use cases of the service, each one transaction. `actor` is who asked (for scoping and the
/// audit row written in the same transaction).
#[async_trait]
pub trait Store:
    KeyStore
    + CatalogStore
    + PoolStore
    + ProgramStore
    + BookingStore
    + IdempotencyStore
    + FeedStore
    + AuditStore
    + PlanStore
    + WebhookStore
    + SellingStore
    + Send
    + Sync
    + 'static
{
    fn backend(&self) -> &'static str;
    async fn ping(&self) -> Result<(), StoreError>;
}

/// API keys and page sessions.
#[async_trait]
pub trait KeyStore: Send + Sync + 'static {
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
    /// Leaves `flash` (JSON text) for the session's next page, replacing any earlier one.
    async fn set_session_flash(&self, token_hash: &str, flash: &str) -> Result<(), StoreError>;
    /// The session's flash, cleared as it is read (shown once).
    async fn take_session_flash(&self, token_hash: &str) -> Result<Option<String>, StoreError>;
}

/// The catalog: sites, suites and their closures.
#[async_trait]
pub trait CatalogStore: Send + Sync + 'static {
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
    /// Dedicates a line to a client. Live bookings of other clients on it over the period, or
    /// another dedication of the line over any of its days → `Conflict`.
    async fn create_dedication(
        &self,
        actor: &Actor,
        suite_id: Uuid,
        input: &NewDedication,
    ) -> Result<Dedication, StoreError>;
    /// Dedications of one suite (`Some`) or of every suite, in id order.
    async fn list_dedications(&self, suite_id: Option<Uuid>)
        -> Result<Vec<Dedication>, StoreError>;
    async fn delete_dedication(&self, actor: &Actor, id: Uuid) -> Result<(), StoreError>;
}

/// Selling capacity: rate cards per site and earliest-date quotes.
#[async_trait]
pub trait SellingStore: Send + Sync + 'static {
    /// The site's rate card, if it has one (unknown site → `NotFound`).
    async fn get_rate_card(&self, site_id: Uuid) -> Result<Option<SiteRateCard>, StoreError>;
    /// Replaces the site's rate card (the version goes up by one). Quotes made before keep the
    /// prices they were made with.
    async fn put_rate_card(
        &self,
        actor: &Actor,
        site_id: Uuid,
        card: &RateCard,
    ) -> Result<SiteRateCard, StoreError>;
    async fn create_quote(&self, actor: &Actor, quote: &Quote) -> Result<(), StoreError>;
    /// A quote in the caller's scope (a client's own only).
    async fn get_quote(&self, id: Uuid, scope: Option<Uuid>) -> Result<Quote, StoreError>;
    async fn list_quotes(
        &self,
        scope: Option<Uuid>,
        page: Page,
    ) -> Result<Listed<Quote>, StoreError>;
    /// Books the quote's `rows` as one, all or none, each at the price the quote gave it
    /// (`prices`, by row: a rate card changed since does not reprice an accepted quote), and
    /// marks the quote accepted in the same transaction: `Ok(Err(_))` names the row refused and
    /// why (nothing is written); a quote accepted or expired meanwhile is `State`.
    async fn accept_quote(
        &self,
        actor: &Actor,
        id: Uuid,
        rows: &[NewBooking],
        prices: &[Option<Price>],
        rules: &BookingRules,
    ) -> Result<Result<Vec<Booking>, RowRefused>, StoreError>;
    /// A suite rented whole: one booking per line over the same days, all or none.
    async fn book_all(
        &self,
        actor: &Actor,
        rows: &[NewBooking],
        rules: &BookingRules,
    ) -> Result<Result<Vec<Booking>, RowRefused>, StoreError>;
}

/// Capacity pools (staff, QC, equipment) of sites, and the live bookings that draw on them.
#[async_trait]
pub trait PoolStore: Send + Sync + 'static {
    async fn create_pool(&self, actor: &Actor, input: &NewPool) -> Result<Pool, StoreError>;
    async fn list_pools(
        &self,
        site_id: Option<Uuid>,
        page: Page,
    ) -> Result<Listed<Pool>, StoreError>;
    async fn get_pool(&self, id: Uuid) -> Result<Pool, StoreError>;
    /// Replaces every field; `site_id` must stay the pool's.
    async fn update_pool(
        &self,
        actor: &Actor,
        id: Uuid,
        input: &NewPool,
    ) -> Result<Pool, StoreError>;
    async fn delete_pool(&self, actor: &Actor, id: Uuid) -> Result<(), StoreError>;
    /// Live bookings at the site that may take something from its pools on `[from, to)`: those
    /// starting from `from` minus the longest profile reach, before `to`.
    async fn pool_users(
        &self,
        site_id: Uuid,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<PoolUser>, StoreError>;
}

/// Clients, their programs and the programs' forecasts.
#[async_trait]
pub trait ProgramStore: Send + Sync + 'static {
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
    /// Replaces the forecasts of several programs in one transaction, each as `put_forecast`
    /// does (audit row included), except that a program whose entries equal its latest version
    /// keeps that version (`changed: false`; version 0 for no forecast and no entries). All or
    /// nothing: a program not in the actor's scope → `NotFound`, and nothing is written.
    async fn put_forecasts(
        &self,
        actor: &Actor,
        forecasts: &[(Uuid, Vec<ForecastEntry>)],
    ) -> Result<Vec<ForecastPut>, StoreError>;
}

/// One program's outcome in [`ProgramStore::put_forecasts`].
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastPut {
    pub forecast: Forecast,
    /// `false`: the entries equalled the latest version, which stays.
    pub changed: bool,
}

/// One row's outcome in [`BookingStore::import_bookings`].
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedBooking {
    pub booking: Booking,
    /// `false`: a live booking of the same program, suite, line, days, status and kind was
    /// there already (it is the one reported).
    pub created: bool,
}

/// Why an import of bookings wrote nothing: the row (index into the input) that was refused,
/// and why, as `create_booking` would refuse it.
#[derive(Debug)]
pub struct RowRefused {
    pub index: usize,
    pub error: StoreError,
    /// The bookings the rows before it came to (not written: the ids a conflict names, so that
    /// it can be told which earlier row it is with).
    pub earlier: Vec<Uuid>,
}

/// Bookings (with idempotency records and calendar feeds), the calendar availability reads.
#[async_trait]
pub trait BookingStore: Send + Sync + 'static {
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
    /// Moves a live hold's expiry to `until` (staff; `booking.held` again with the new expiry, an
    /// `extend` audit row, and a fresh `hold.expiring` warning before the new expiry). A booking
    /// that is not a live hold → `State`.
    async fn extend_hold(
        &self,
        actor: &Actor,
        id: Uuid,
        until: DateTime<Utc>,
    ) -> Result<Booking, StoreError>;
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
    /// Books every row in one transaction, each decided as `create_booking` decides it (the
    /// same rules, conflicts, pools and hold quota, with its event and audit row) against the
    /// calendar as the rows before it left it. A row equal to a live booking (same program,
    /// suite, line — any line when `None` —, start, end, status and kind) is that booking,
    /// not a new one. The first refused row → `Ok(Err(..))` and nothing is written; with
    /// `dry_run` nothing is written either way.
    async fn import_bookings(
        &self,
        actor: &Actor,
        rows: &[NewBooking],
        rules: &BookingRules,
        dry_run: bool,
    ) -> Result<Result<Vec<ImportedBooking>, RowRefused>, StoreError>;
    /// Suites, closures and live bookings overlapping `[from, to)`, for the pages.
    async fn calendar(&self, from: NaiveDate, to: NaiveDate) -> Result<Calendar, StoreError>;
    /// Suites, closures and the lines live bookings take over `[from, to)`, for availability.
    async fn occupancy(&self, from: NaiveDate, to: NaiveDate) -> Result<Occupancy, StoreError>;
}

/// `Idempotency-Key` records (part of the bookings aggregate: a booking's 201 is recorded in
/// its own transaction).
#[async_trait]
pub trait IdempotencyStore: Send + Sync + 'static {
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
}

/// Calendar feed tokens (read-only ICS URLs scoped like their creator).
#[async_trait]
pub trait FeedStore: Send + Sync + 'static {
    async fn create_feed(
        &self,
        actor: &Actor,
        suite_id: Option<Uuid>,
        program_id: Option<Uuid>,
        token_hash: &str,
    ) -> Result<Uuid, StoreError>;
    async fn feed_scope(&self, token_hash: &str) -> Result<Option<FeedScope>, StoreError>;
    async fn revoke_feed(&self, actor: &Actor, id: Uuid) -> Result<(), StoreError>;
}

/// The append-only audit log and the change feed read from it.
#[async_trait]
pub trait AuditStore: Send + Sync + 'static {
    /// When an audit row of one of `entities` was last written (the change feed of auto-replan).
    async fn last_change_at(&self, entities: &[&str]) -> Result<Option<DateTime<Utc>>, StoreError>;

    // Audit
    async fn list_audit(
        &self,
        filter: &AuditFilter,
        page: Page,
    ) -> Result<Listed<AuditEntry>, StoreError>;
}

/// Plan jobs: queueing, claiming with a lease, recording results and reading them back.
#[async_trait]
pub trait PlanStore: Send + Sync + 'static {
    /// Queues a plan. Unknown `program_ids` → `Validation` naming `/program_ids/i`.
    async fn create_plan(&self, actor: &Actor, input: &NewPlan) -> Result<PlanRecord, StoreError>;
    /// Queues an automatic re-plan (by the system) for the changes up to `changed_at`, unless an
    /// automatic plan of the same scenario was queued after them already — by another replica's
    /// replanner — in which case `None`: one plan per change, however many replicas watch.
    async fn queue_replan(
        &self,
        input: &NewPlan,
        changed_at: DateTime<Utc>,
    ) -> Result<Option<PlanRecord>, StoreError>;
    /// Newest first.
    async fn list_plans(&self, page: Page) -> Result<Listed<PlanRecord>, StoreError>;
    /// The plan and, when done, its rows; `scope` (a client) keeps only its own programs' rows
    /// and no suite-level rows.
    async fn get_plan(&self, id: Uuid, scope: Option<Uuid>) -> Result<PlanDetail, StoreError>;
    /// Claims the oldest queued plan, or a running one whose lease expired, for `owner` until
    /// `lease_until`; deletes result rows a previous attempt left behind.
    async fn claim_plan(
        &self,
        owner: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<PlanRecord>, StoreError>;
    /// Extends the lease (and records progress). `false` when `owner` no longer holds it.
    async fn renew_plan_lease(
        &self,
        id: Uuid,
        owner: &str,
        lease_until: DateTime<Utc>,
        progress: Option<&str>,
    ) -> Result<bool, StoreError>;
    /// Everything the plan needs from the store, read consistently.
    async fn plan_snapshot(&self, from: NaiveDate) -> Result<PlanSnapshot, StoreError>;
    /// One transaction of result rows (renewing the lease); `State` if the lease was lost.
    async fn write_plan_rows(
        &self,
        id: Uuid,
        owner: &str,
        lease_until: DateTime<Utc>,
        chunk: &PlanRowsChunk,
    ) -> Result<(), StoreError>;
    /// The final transaction: compares with the previous done plan of the same scenario, writes
    /// the alerts to the outbox, stores the summary and flips the plan to `done`.
    async fn finish_plan(
        &self,
        id: Uuid,
        owner: &str,
        summary: &PlanSummary,
        utilization_threshold: f64,
    ) -> Result<(), StoreError>;
    /// Marks the plan failed with `error` (if `owner` still holds it) and drops partial rows.
    /// What-if sandboxes (staff): shared by every planner, never booked.
    async fn create_sandbox(
        &self,
        actor: &Actor,
        input: &SandboxInput,
    ) -> Result<Sandbox, StoreError>;
    async fn list_sandboxes(&self, page: Page) -> Result<Listed<Sandbox>, StoreError>;
    async fn get_sandbox(&self, id: Uuid) -> Result<Sandbox, StoreError>;
    async fn update_sandbox(
        &self,
        actor: &Actor,
        id: Uuid,
        input: &SandboxInput,
    ) -> Result<Sandbox, StoreError>;
    async fn delete_sandbox(&self, actor: &Actor, id: Uuid) -> Result<(), StoreError>;
    async fn fail_plan(&self, id: Uuid, owner: &str, error: &str) -> Result<(), StoreError>;
    /// One suggestion of a done plan; `scope` (a client) finds only its own programs' ones.
    async fn get_plan_suggestion(
        &self,
        plan_id: Uuid,
        suggestion_id: Uuid,
        scope: Option<Uuid>,
    ) -> Result<PlanSuggestion, StoreError>;
}

#[async_trait]
pub trait WebhookStore: Send + Sync + 'static {
    /// Unknown `client_id` → `Validation` naming `/client_id`. A client's subscription is
    /// refused (`Validation` naming `/url`) when the client already has `max_per_client` live
    /// ones; the count and the insert are one transaction under the client's row lock, so
    /// concurrent requests cannot pass the cap together.
    async fn create_webhook(
        &self,
        actor: &Actor,
        input: &NewWebhook,
        secret: &str,
        max_per_client: usize,
    ) -> Result<Webhook, StoreError>;
    /// `scope` (a client) lists only its own subscriptions.
    async fn list_webhooks(
        &self,
        scope: Option<Uuid>,
        page: Page,
    ) -> Result<Listed<Webhook>, StoreError>;
    async fn get_webhook(&self, id: Uuid, scope: Option<Uuid>) -> Result<Webhook, StoreError>;
    async fn delete_webhook(
        &self,
        actor: &Actor,
        id: Uuid,
        scope: Option<Uuid>,
    ) -> Result<(), StoreError>;
    /// Makes `secret` current; the old one keeps signing until `overlap_until`.
    async fn rotate_webhook_secret(
        &self,
        actor: &Actor,
        id: Uuid,
        scope: Option<Uuid>,
        secret: &str,
        overlap_until: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Creates pending deliveries for up to `limit` events after the cursor; the cursor moves
    /// only past events created before `settled_before`. Returns the deliveries created.
    async fn fan_out_events(
        &self,
        settled_before: DateTime<Utc>,
        limit: u32,
    ) -> Result<u64, StoreError>;
    /// Leases up to `limit` due deliveries (pending or failed, due, lease free, subscription
    /// enabled) until `lease_until`, counting the attempt each is claimed for. A delivery whose
    /// previous claim ran out unrecorded (its dispatcher died mid-send) has had that attempt:
    /// once it has had `max_attempts`, it is marked dead instead of being sent again.
    async fn claim_deliveries(
        &self,
        lease_until: DateTime<Utc>,
        limit: u32,
        max_attempts: i32,
    ) -> Result<Vec<DueDelivery>, StoreError>;
    /// Records the outcome of the attempt the delivery was last claimed for: delivered, dead
    /// (410, disabling the subscription, or after the last of `retry_delays`), or failed with
    /// the next attempt `retry_delays[attempt - 1]` seconds on.
    async fn record_delivery_attempt(
        &self,
        id: Uuid,
        outcome: AttemptOutcome,
        retry_delays: &[u64],
    ) -> Result<(), StoreError>;
    async fn list_deliveries(
        &self,
        webhook_id: Uuid,
        scope: Option<Uuid>,
        page: Page,
    ) -> Result<Listed<Delivery>, StoreError>;
    /// Makes a delivery pending again, due now.
    async fn redeliver(
        &self,
        actor: &Actor,
        webhook_id: Uuid,
        delivery_id: Uuid,
        scope: Option<Uuid>,
    ) -> Result<(), StoreError>;
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
