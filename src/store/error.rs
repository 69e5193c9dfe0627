//! What a store call can come to, and how database errors of either backend map onto it.

use super::ConflictItem;
use crate::domain::ValidationErrors;

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
    /// A pool (staff, QC, equipment) has not enough left on these days.
    #[error("a pool is short on {} days", .0.len())]
    PoolShort(Vec<crate::domain::PoolConflict>),
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

    /// A stored value that no domain type admits (a status, role or grade the code does not
    /// know): an error, never a silent default.
    pub fn unknown_value(column: &str, value: &str) -> StoreError {
        StoreError::Database(sqlx::Error::Decode(
            format!("unknown value `{value}` in {column}").into(),
        ))
    }
}

/// SQLite's busy and locked result codes (with their extended codes): the writer is taken.
const SQLITE_BUSY: [&str; 6] = ["5", "6", "261", "262", "517", "773"];
/// PostgreSQL's serialization_failure, deadlock_detected and lock_not_available: retry.
const PG_RETRY: [&str; 3] = ["40001", "40P01", "55P03"];
/// PostgreSQL's exclusion_violation (the bookings' no-overlap constraint).
const PG_EXCLUSION: &str = "23P01";

/// Database errors of either backend → store errors. The two backends' codes do not collide
/// (SQLite's are numbers, PostgreSQL's five-character SQLSTATEs), so one mapping serves both.
impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> StoreError {
        if let sqlx::Error::Database(d) = &e {
            let code = d.code().unwrap_or_default();
            if SQLITE_BUSY.contains(&code.as_ref()) || PG_RETRY.contains(&code.as_ref()) {
                return StoreError::Busy;
            }
            if d.is_unique_violation() {
                // PostgreSQL names the constraint; SQLite only lists the columns in its message.
                return duplicate(d.constraint().unwrap_or(d.message()));
            }
            // The database refused an overlap that the application's own check did not see
            // (a concurrent booking on PostgreSQL): still a clean 409.
            // SQLite's `bookings_segregation` trigger (migration 0016) refused another party
            // in a segregated suite.
            if code.as_ref() == PG_EXCLUSION || d.message().contains("bookings_segregation") {
                return StoreError::Conflict(Vec::new());
            }
        }
        if matches!(e, sqlx::Error::PoolTimedOut) {
            return StoreError::Busy;
        }
        StoreError::Database(e)
    }
}

/// Unique constraints by name (PostgreSQL) and by columns (SQLite's message), with the field at
/// fault and what to tell the caller.
const UNIQUE: [(&str, &str, &str, &str); 6] = [
    (
        "pools_site_name_key",
        "pools.site_id, pools.name",
        "/name",
        "this site has a pool with this name",
    ),
    (
        "pools_site_tag_key",
        "pools.site_id, pools.tag",
        "/tag",
        "this site has a pool with this tag",
    ),
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

fn duplicate(what: &str) -> StoreError {
    for (constraint, columns, field, message) in UNIQUE {
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
