//! What differs between the two backends' SQL, named. Everything else in `store/sql/` is the same
//! text on both (`$n` placeholders, `RETURNING`, `ON CONFLICT`, the column types in `rows.rs`).

/// The backend-specific pieces of SQL text.
#[derive(Debug, Clone, Copy)]
pub struct Dialect {
    pub name: &'static str,
    /// Appended to a `SELECT` of one row that a write depends on, to hold it until commit.
    /// PostgreSQL: `FOR UPDATE`. SQLite: nothing — every write transaction starts with
    /// `BEGIN IMMEDIATE` and so already holds the database's only write lock.
    pub for_update: &'static str,
    /// Appended to a `SELECT` of a parent row (a client) to serialise the writes that count its
    /// children (holds, subscriptions) without blocking inserts that merely reference it.
    /// PostgreSQL: `FOR NO KEY UPDATE`. SQLite: nothing (its write lock serialises already).
    pub lock_parent: &'static str,
    /// The same, for a booking read joined with its program (lock only the booking row).
    pub for_update_of_booking: &'static str,
    /// Appended to a queue read so that replicas share the work instead of waiting on each
    /// other (plan jobs, webhook deliveries). SQLite has one writer: nothing to skip.
    pub claim: &'static str,
    /// A UUID column as text (prefix, suffix around the column): PostgreSQL casts, SQLite stores
    /// UUIDs as 16-byte blobs and shows them in hex.
    pub uuid_text: (&'static str, &'static str),
    /// `$4` (a date) minus `s.max_booking_days` days, in SQL: where a booking scan starts.
    pub scan_from: &'static str,
    /// The days a booking row aliased `h` spans (`ends_on` - `starts_on`, an integer).
    pub held_days: &'static str,
    /// A statement that makes replicas' auto-replan decisions wait for each other until commit
    /// (PostgreSQL: a transaction-scoped advisory lock). SQLite: none needed — `BEGIN
    /// IMMEDIATE` already holds the only write lock.
    pub replan_lock: &'static str,
}

impl Dialect {
    pub const SQLITE: Dialect = Dialect {
        name: "sqlite",
        for_update: "",
        lock_parent: "",
        for_update_of_booking: "",
        claim: "",
        uuid_text: ("hex(", ")"),
        scan_from: "date($4, '-' || s.max_booking_days || ' days')",
        held_days: "CAST(julianday(h.ends_on) - julianday(h.starts_on) AS INTEGER)",
        replan_lock: "",
    };
    pub const POSTGRES: Dialect = Dialect {
        name: "postgres",
        for_update: " FOR UPDATE",
        lock_parent: " FOR NO KEY UPDATE",
        for_update_of_booking: " FOR UPDATE OF b",
        claim: " FOR UPDATE SKIP LOCKED",
        uuid_text: ("CAST(", " AS text)"),
        scan_from: "(CAST($4 AS date) - s.max_booking_days)",
        held_days: "(h.ends_on - h.starts_on)",
        // Any fixed key: only auto-replan takes it.
        replan_lock: "SELECT pg_advisory_xact_lock(736570)",
    };
}
