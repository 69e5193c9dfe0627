//! Row shapes shared by both backends (every column type decodes the same way on each).

use crate::domain::*;
use crate::store::{KeyIdentity, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::types::Json;
use uuid::Uuid;

#[derive(sqlx::FromRow)]
pub struct SiteRow {
    pub id: Uuid,
    pub name: String,
    pub timezone: String,
}

impl From<SiteRow> for Site {
    fn from(r: SiteRow) -> Site {
        Site {
            id: r.id,
            name: r.name,
            timezone: r.timezone,
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct SuiteRow {
    pub id: Uuid,
    pub site_id: Uuid,
    pub name: String,
    pub grade: String,
    pub capabilities: Json<Vec<String>>,
    pub lines: i32,
    pub available_from: NaiveDate,
    pub available_to: Option<NaiveDate>,
    pub segregation: String,
}

impl TryFrom<SuiteRow> for Suite {
    type Error = StoreError;
    fn try_from(r: SuiteRow) -> Result<Suite, StoreError> {
        Ok(Suite {
            id: r.id,
            site_id: r.site_id,
            name: r.name,
            grade: Grade::parse(&r.grade)
                .ok_or_else(|| StoreError::unknown_value("suites.grade", &r.grade))?,
            capabilities: r.capabilities.0,
            lines: r.lines,
            available_from: r.available_from,
            available_to: r.available_to,
            segregation: Segregation::parse(&r.segregation)
                .ok_or_else(|| StoreError::unknown_value("suites.segregation", &r.segregation))?,
        })
    }
}

/// A suite locked for a calendar write, with its longest booking in days.
pub struct LockedSuite {
    pub suite: Suite,
    pub longest: i32,
}

#[derive(sqlx::FromRow)]
pub struct LockedSuiteRow {
    #[sqlx(flatten)]
    pub suite: SuiteRow,
    pub max_booking_days: i32,
}

#[derive(sqlx::FromRow)]
pub struct ClosureRow {
    pub id: Uuid,
    pub suite_id: Uuid,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub reason: String,
    pub lines: Option<Json<Vec<i32>>>,
}

impl From<ClosureRow> for Closure {
    fn from(r: ClosureRow) -> Closure {
        Closure {
            id: r.id,
            suite_id: r.suite_id,
            start: r.starts_on,
            end: r.ends_on,
            reason: Some(r.reason),
            lines: r.lines.map(|l| l.0),
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct ClientRow {
    pub id: Uuid,
    pub name: String,
}

impl From<ClientRow> for Client {
    fn from(r: ClientRow) -> Client {
        Client {
            id: r.id,
            name: r.name,
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct ApiKeyRow {
    pub id: Uuid,
    pub name: String,
    pub role: String,
    pub client_id: Option<Uuid>,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<ApiKeyRow> for ApiKey {
    type Error = StoreError;
    fn try_from(r: ApiKeyRow) -> Result<ApiKey, StoreError> {
        Ok(ApiKey {
            id: r.id,
            name: r.name,
            role: Role::parse(&r.role)
                .ok_or_else(|| StoreError::unknown_value("api_keys.role", &r.role))?,
            client_id: r.client_id,
            prefix: r.prefix,
            created_at: r.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct IdentityRow {
    pub id: Uuid,
    pub role: String,
    pub client_id: Option<Uuid>,
}

impl TryFrom<IdentityRow> for KeyIdentity {
    type Error = StoreError;
    fn try_from(r: IdentityRow) -> Result<KeyIdentity, StoreError> {
        Ok(KeyIdentity {
            id: r.id,
            role: Role::parse(&r.role)
                .ok_or_else(|| StoreError::unknown_value("api_keys.role", &r.role))?,
            client_id: r.client_id,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct ProgramRow {
    pub id: Uuid,
    pub client_id: Uuid,
    pub name: String,
    pub modality: String,
    pub storage: String,
    pub atmp: bool,
    pub phase: String,
    pub required_capabilities: Json<Vec<String>>,
    pub min_grade: String,
    pub batch_days: i32,
    pub changeover_days: i32,
    pub earliest_start: Option<NaiveDate>,
    pub phase_success: Option<Json<PhaseSuccess>>,
    pub priority: i32,
    pub allowed_suite_ids: Option<Json<Vec<Uuid>>>,
    pub resource_profile: Json<Vec<ResourceNeed>>,
    pub phase_processes: Json<Vec<PhaseProcess>>,
    pub tech_transfers: Json<Vec<TechTransfer>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<ProgramRow> for Program {
    type Error = StoreError;
    fn try_from(r: ProgramRow) -> Result<Program, StoreError> {
        Ok(Program {
            id: r.id,
            client_id: r.client_id,
            name: r.name,
            modality: r.modality,
            storage: r.storage,
            atmp: r.atmp,
            phase: Phase::parse(&r.phase)
                .ok_or_else(|| StoreError::unknown_value("programs.phase", &r.phase))?,
            required_capabilities: r.required_capabilities.0,
            min_grade: Grade::parse(&r.min_grade)
                .ok_or_else(|| StoreError::unknown_value("programs.min_grade", &r.min_grade))?,
            batch_days: r.batch_days,
            changeover_days: r.changeover_days,
            earliest_start: r.earliest_start,
            phase_success: r.phase_success.map(|p| p.0),
            priority: r.priority,
            allowed_suite_ids: r.allowed_suite_ids.map(|a| a.0),
            resource_profile: r.resource_profile.0,
            phase_processes: r.phase_processes.0,
            tech_transfers: r.tech_transfers.0,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct ForecastRow {
    pub program_id: Uuid,
    pub version: i32,
    pub entries: Json<Vec<ForecastEntry>>,
    pub created_at: DateTime<Utc>,
}

impl From<ForecastRow> for Forecast {
    fn from(r: ForecastRow) -> Forecast {
        Forecast {
            program_id: r.program_id,
            version: r.version,
            entries: r.entries.0,
            created_at: r.created_at,
        }
    }
}

/// A held or confirmed booking found in the way of a calendar change.
#[derive(sqlx::FromRow)]
pub struct LiveBookingRow {
    pub id: Uuid,
    pub program_id: Uuid,
    pub line: i32,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub seg_key: Option<Uuid>,
}

impl From<LiveBookingRow> for Taken {
    fn from(r: LiveBookingRow) -> Taken {
        Taken {
            booking_id: r.id,
            program_id: r.program_id,
            line: r.line,
            start: r.starts_on,
            end: r.ends_on,
            party: r.seg_key,
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct AuditRow {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub api_key_id: Option<Uuid>,
    pub role: String,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<Uuid>,
    pub request_id: Option<String>,
    pub detail: Json<serde_json::Value>,
}

pub const SUITE_COLS: &str =
    "id, site_id, name, grade, capabilities, lines, available_from, available_to, segregation";
pub const DEDICATION_COLS: &str =
    "id, suite_id, line, client_id, starts_on, ends_on, note, created_at";

#[derive(sqlx::FromRow)]
pub struct DedicationRow {
    pub id: Uuid,
    pub suite_id: Uuid,
    pub line: i32,
    pub client_id: Uuid,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<DedicationRow> for Dedication {
    fn from(r: DedicationRow) -> Dedication {
        Dedication {
            id: r.id,
            suite_id: r.suite_id,
            line: r.line,
            client_id: r.client_id,
            start: r.starts_on,
            end: r.ends_on,
            note: r.note,
            created_at: r.created_at,
        }
    }
}

pub const CLOSURE_COLS: &str = "id, suite_id, starts_on, ends_on, reason, lines";
pub const PROGRAM_COLS: &str = "id, client_id, name, modality, storage, atmp, phase, \
    required_capabilities, min_grade, batch_days, changeover_days, earliest_start, phase_success, \
    priority, allowed_suite_ids, resource_profile, phase_processes, tech_transfers, created_at, \
    updated_at";

pub const BOOKING_COLS: &str =
    "id, program_id, suite_id, line, starts_on, ends_on, status, kind, hold_expires_at, note, \
     at_risk, created_at, price";

/// A stored booking kind (`bookings.kind`, `plan_suggestions.kind`); the schema's CHECK keeps
/// them valid, so an unknown one is a decoding error naming the column.
pub fn kind_of(column: &str, stored: &str) -> Result<BookingKind, StoreError> {
    BookingKind::parse(stored).ok_or_else(|| StoreError::unknown_value(column, stored))
}

/// [`BOOKING_COLS`] of the table aliased `b` (for reads that join the program).
pub static BOOKING_COLS_OF_B: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    BOOKING_COLS
        .split(',')
        .map(|c| format!("b.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
});

#[derive(sqlx::FromRow)]
pub struct BookingRow {
    pub id: Uuid,
    pub program_id: Uuid,
    pub suite_id: Uuid,
    pub line: i32,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub status: String,
    pub kind: String,
    pub hold_expires_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
    pub at_risk: bool,
    pub created_at: DateTime<Utc>,
    pub price: Option<Json<Price>>,
}

impl TryFrom<BookingRow> for Booking {
    type Error = StoreError;
    fn try_from(r: BookingRow) -> Result<Booking, StoreError> {
        Ok(Booking {
            id: r.id,
            program_id: r.program_id,
            suite_id: r.suite_id,
            line: r.line,
            start: r.starts_on,
            end: r.ends_on,
            status: BookingStatus::parse(&r.status)
                .ok_or_else(|| StoreError::unknown_value("bookings.status", &r.status))?,
            kind: kind_of("bookings.kind", &r.kind)?,
            hold_expires_at: r.hold_expires_at,
            note: r.note,
            at_risk: r.at_risk,
            created_at: r.created_at,
            price: r.price.map(|p| p.0),
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct IdemRow {
    pub request_hash: String,
    pub status_code: Option<i32>,
    pub response: Option<Json<serde_json::Value>>,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
pub struct FeedRow {
    pub id: Uuid,
    pub client_id: Option<Uuid>,
    pub suite_id: Option<Uuid>,
    pub program_id: Option<Uuid>,
}

mod plans;
mod webhooks;
pub use plans::*;
pub use webhooks::*;

/// Every row as its domain value; the first that no domain type admits is an error.
pub fn decode_all<R, T: TryFrom<R, Error = StoreError>>(
    rows: Vec<R>,
) -> Result<Vec<T>, StoreError> {
    rows.into_iter().map(T::try_from).collect()
}

/// A suite with its calendar version, and the program asked about (if it exists and is in the
/// caller's scope): what a booking decision reads first.
#[derive(sqlx::FromRow)]
pub struct SceneRow {
    #[sqlx(flatten)]
    pub suite: SuiteRow,
    pub max_booking_days: i32,
    pub calendar_version: i64,
    pub program_id: Option<Uuid>,
    pub client_id: Option<Uuid>,
    pub program_name: Option<String>,
    pub modality: Option<String>,
    pub storage: Option<String>,
    pub atmp: Option<bool>,
    pub phase: Option<String>,
    pub required_capabilities: Option<Json<Vec<String>>>,
    pub min_grade: Option<String>,
    pub batch_days: Option<i32>,
    pub changeover_days: Option<i32>,
    pub earliest_start: Option<NaiveDate>,
    pub phase_success: Option<Json<PhaseSuccess>>,
    pub priority: Option<i32>,
    pub allowed_suite_ids: Option<Json<Vec<Uuid>>>,
    pub resource_profile: Option<Json<Vec<ResourceNeed>>>,
    pub phase_processes: Option<Json<Vec<PhaseProcess>>>,
    pub tech_transfers: Option<Json<Vec<TechTransfer>>>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    /// The suite's closures in the window, aggregated (see `booking_path.rs`).
    pub closed: Option<String>,
    /// The suite's held and confirmed bookings in the window, aggregated.
    pub taken: Option<String>,
    /// The tags of the pools of the suite's site, `;`-separated.
    pub pool_tags: Option<String>,
    /// The suite's dedications in the window, aggregated.
    pub dedicated: Option<String>,
    /// The rate card of the suite's site.
    pub rate_card: Option<Json<RateCard>>,
}

impl SceneRow {
    /// The suite, and the program when the join found one.
    pub fn split(self) -> Result<(Suite, Option<Program>), StoreError> {
        let suite = Suite::try_from(self.suite)?;
        let program = match (
            self.program_id,
            self.client_id,
            self.program_name,
            self.modality,
            self.storage,
            self.atmp,
            self.phase,
            self.required_capabilities,
            self.min_grade,
            self.batch_days,
            self.changeover_days,
            self.priority,
            self.resource_profile,
            self.phase_processes,
            self.tech_transfers,
            self.created_at,
            self.updated_at,
        ) {
            (
                Some(id),
                Some(client_id),
                Some(name),
                Some(modality),
                Some(storage),
                Some(atmp),
                Some(phase),
                Some(required_capabilities),
                Some(min_grade),
                Some(batch_days),
                Some(changeover_days),
                Some(priority),
                Some(resource_profile),
                Some(phase_processes),
                Some(tech_transfers),
                Some(created_at),
                Some(updated_at),
            ) => Some(Program::try_from(ProgramRow {
                id,
                client_id,
                name,
                modality,
                storage,
                atmp,
                phase,
                required_capabilities,
                min_grade,
                batch_days,
                changeover_days,
                earliest_start: self.earliest_start,
                phase_success: self.phase_success,
                priority,
                allowed_suite_ids: self.allowed_suite_ids,
                resource_profile,
                phase_processes,
                tech_transfers,
                created_at,
                updated_at,
            })?),
            _ => None,
        };
        Ok((suite, program))
    }
}

/// A live booking on the pages' calendar.
#[derive(sqlx::FromRow)]
pub struct CalendarBookingRow {
    pub id: Uuid,
    pub program_id: Uuid,
    pub suite_id: Uuid,
    pub line: i32,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

pub const POOL_COLS: &str =
    "id, site_id, name, kind, tag, capacity, weekdays, exceptions, created_at, updated_at";

#[derive(sqlx::FromRow)]
pub struct PoolRow {
    pub id: Uuid,
    pub site_id: Uuid,
    pub name: String,
    pub kind: String,
    pub tag: String,
    pub capacity: i32,
    pub weekdays: Json<Vec<WeekDay>>,
    pub exceptions: Json<Vec<PoolException>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<PoolRow> for Pool {
    type Error = StoreError;
    fn try_from(r: PoolRow) -> Result<Pool, StoreError> {
        Ok(Pool {
            id: r.id,
            site_id: r.site_id,
            name: r.name,
            kind: PoolKind::parse(&r.kind)
                .ok_or_else(|| StoreError::unknown_value("pools.kind", &r.kind))?,
            tag: r.tag,
            capacity: r.capacity,
            weekdays: r.weekdays.0,
            exceptions: r.exceptions.0,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// A live booking at a site with its kind and its program's resource profile: a pool user.
#[derive(sqlx::FromRow)]
pub struct PoolUserRow {
    pub id: Uuid,
    pub starts_on: NaiveDate,
    pub kind: String,
    pub site_id: Uuid,
    pub resource_profile: Json<Vec<ResourceNeed>>,
    pub tech_transfers: Json<Vec<TechTransfer>>,
}

impl TryFrom<PoolUserRow> for PoolUser {
    type Error = StoreError;
    fn try_from(r: PoolUserRow) -> Result<PoolUser, StoreError> {
        let kind = kind_of("bookings.kind", &r.kind)?;
        let profile = booking_profile(kind, &r.resource_profile, &r.tech_transfers, r.site_id);
        Ok(PoolUser {
            booking_id: r.id,
            start: r.starts_on,
            profile: profile.to_vec(),
        })
    }
}
