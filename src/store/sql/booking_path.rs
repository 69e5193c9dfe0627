//! The booking path, shared by both backends: read the suite's calendar without taking the write
//! lock, decide with the calendar rules (`domain::calendar`, i.e. `solver_models::calendar`),
//! then let the backend write the booking only if nothing it was decided on has changed
//! (`write_booking` in `sqlite.rs` / `postgres.rs`). The database keeps only what it must
//! guarantee: the calendar version check and, against concurrent bookings, the exclusion
//! constraint (PostgreSQL) or the overlap check under the single write lock (SQLite).
//!
//! Compiled once per backend: `Backend`, `Db` and `DIALECT` are that backend's.

use super::common::*;
use crate::domain::calendar::{self as cal, PlaceError, Taken};

/// A decided booking that a backend writes, with its event and audit row, in one transaction.
pub(in super::super) struct BookingWrite<'a> {
    pub booking: &'a Booking,
    pub client_id: Uuid,
    pub actor: &'a Actor,
    pub idem: Option<&'a IdemKey>,
    /// The suite's calendar version the decision was made on.
    pub calendar_version: i64,
    /// The suite's longest booking when read: the overlap scan starts that far back.
    #[allow(dead_code)] // SQLite's locked overlap check only; PostgreSQL has its constraint
    pub longest: i32,
}

impl BookingWrite<'_> {
    pub fn days(&self) -> i32 {
        i32::try_from((self.booking.end - self.booking.start).num_days()).unwrap_or(i32::MAX)
    }
    /// Where an overlap scan of the new booking's line starts.
    #[allow(dead_code)] // SQLite's locked overlap check only
    pub fn scan_from(&self) -> chrono::NaiveDate {
        scan_from(self.booking.start, self.longest)
    }
    pub fn event_type(&self) -> &'static str {
        booking_event(self.booking.status)
    }
    pub fn event_payload(&self) -> serde_json::Value {
        serde_json::json!({ "booking": self.booking })
    }
    pub fn audit_detail(&self) -> serde_json::Value {
        serde_json::to_value(self.booking).unwrap_or_default()
    }
}

pub(super) fn booking_event(status: BookingStatus) -> &'static str {
    match status {
        BookingStatus::Held => "booking.held",
        BookingStatus::Confirmed => "booking.confirmed",
        BookingStatus::Cancelled => "booking.cancelled",
        BookingStatus::Expired => "booking.expired",
    }
}

const SCENE_SQL: &str = "SELECT s.id, s.site_id, s.name, s.grade, s.capabilities, s.lines, \
     s.available_from, s.available_to, s.max_booking_days, s.calendar_version, \
     p.id AS program_id, p.client_id, p.name AS program_name, p.modality, p.storage, p.atmp, \
     p.phase, p.required_capabilities, p.min_grade, p.batch_days, p.changeover_days, \
     p.earliest_start, p.phase_success, p.priority, p.allowed_suite_ids, p.created_at, \
     p.updated_at \
     FROM suites s LEFT JOIN programs p ON p.id = $2 AND ($3 IS NULL OR p.client_id = $3) \
     WHERE s.id = $1";

/// Closures and held or confirmed bookings of one suite overlapping `[$2, $3)`; bookings are
/// scanned from `$4` (see `scan_from`). The liveness test is a CASE so that no planner answers
/// it from the status index.
const OCCUPANCY_SQL: &str = "SELECT 'closure' AS kind, id, CAST(NULL AS uuid) AS program_id, \
     CAST(NULL AS integer) AS line, lines, starts_on, ends_on, CAST(NULL AS text) AS status, \
     CAST(NULL AS timestamptz) AS hold_expires_at \
     FROM closures WHERE suite_id = $1 AND starts_on < $3 AND ends_on > $2 \
     UNION ALL \
     SELECT 'booking', id, program_id, line, NULL, starts_on, ends_on, status, hold_expires_at \
     FROM bookings WHERE suite_id = $1 AND starts_on >= $4 AND starts_on < $3 AND ends_on > $2 \
     AND (CASE WHEN status = 'confirmed' THEN 1 WHEN status = 'held' THEN 1 ELSE 0 END) = 1 \
     ORDER BY starts_on, id";

/// What a booking decision reads.
struct Scene {
    suite: Suite,
    program: Program,
    calendar_version: i64,
    longest: i32,
    closures: Vec<Closure>,
    taken: Vec<Taken>,
    /// Holds past their expiry that are still marked held: expired first, then read again.
    due_holds: bool,
}

async fn read_scene(
    pool: &sqlx::Pool<Db>,
    input: &NewBooking,
    scope: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Scene, StoreError> {
    let row = sqlx::query_as::<_, SceneRow>(SCENE_SQL)
        .bind(input.suite_id)
        .bind(input.program_id)
        .bind(scope)
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| StoreError::invalid("/suite_id", "unknown suite"))?;
    let calendar_version = row.calendar_version;
    let longest = row.max_booking_days;
    let (suite, program) = row.split()?;
    let program = program.ok_or_else(|| StoreError::invalid("/program_id", "unknown program"))?;
    let rows = sqlx::query_as::<_, OccupancyRow>(OCCUPANCY_SQL)
        .bind(input.suite_id)
        .bind(input.start)
        .bind(input.end)
        .bind(scan_from(input.start, longest))
        .fetch_all(pool)
        .await?;
    let mut scene = Scene {
        suite,
        program,
        calendar_version,
        longest,
        closures: Vec::new(),
        taken: Vec::new(),
        due_holds: false,
    };
    for r in rows {
        match (r.kind.as_str(), r.program_id, r.line) {
            ("closure", _, _) => scene.closures.push(Closure {
                id: r.id,
                suite_id: input.suite_id,
                start: r.starts_on,
                end: r.ends_on,
                reason: None,
                lines: r.lines.map(|l| l.0),
            }),
            ("booking", Some(program_id), Some(line)) => {
                if r.status.as_deref() == Some("held") && r.hold_expires_at.is_none_or(|t| t <= now)
                {
                    scene.due_holds = true;
                } else {
                    scene.taken.push(Taken {
                        booking_id: r.id,
                        program_id,
                        line,
                        start: r.starts_on,
                        end: r.ends_on,
                    });
                }
            }
            (kind, _, _) => return Err(StoreError::unknown_value("occupancy kind", kind)),
        }
    }
    Ok(scene)
}

/// The booking as it will be written, or why it cannot be.
fn decide(scene: &Scene, input: &NewBooking, rules: &BookingRules) -> Result<Booking, StoreError> {
    cal::may_use(&scene.program, &scene.suite)
        .map_err(|why| StoreError::invalid("/suite_id", &why.to_string()))?;
    let calendar = cal::suite_calendar(&scene.suite, &scene.closures, scene.taken.iter().copied());
    let line = cal::place(
        &calendar,
        input.line.map(|l| i32::try_from(l).unwrap_or(i32::MAX)),
        input.start,
        input.end,
    )
    .map_err(|e| match e {
        PlaceError::NoSuchLine { lines } => {
            StoreError::invalid("/line", &format!("the suite has lines 1..={lines}"))
        }
        PlaceError::Conflicts(items) => StoreError::Conflict(items),
    })?;
    Ok(Booking {
        id: Uuid::now_v7(),
        program_id: scene.program.id,
        suite_id: scene.suite.id,
        line,
        start: input.start,
        end: input.end,
        status: input.status,
        hold_expires_at: if input.status == BookingStatus::Held {
            input.hold_expires_at
        } else {
            None
        },
        note: input.note.clone(),
        at_risk: false,
        created_at: rules.now,
    })
}

/// How many times a booking is decided again after its calendar changed under it (a closure,
/// or a concurrent booking on the chosen line) before the caller is told to retry later.
const ATTEMPTS: usize = 8;

impl Backend {
    /// Decide, write if unchanged, else decide again on the new calendar.
    pub(super) async fn book(
        &self,
        actor: &Actor,
        input: &NewBooking,
        rules: &BookingRules,
        idem: Option<&IdemKey>,
    ) -> Result<Booking, StoreError> {
        for _ in 0..ATTEMPTS {
            let scene = read_scene(&self.pool, input, actor.scope(), now()).await?;
            if scene.due_holds {
                let mut tx = self.write_tx().await?;
                expire_due(&mut tx, Some(input.suite_id)).await?;
                tx.commit().await?;
                continue;
            }
            let booking = decide(&scene, input, rules)?;
            let write = BookingWrite {
                booking: &booking,
                client_id: scene.program.client_id,
                actor,
                idem,
                calendar_version: scene.calendar_version,
                longest: scene.longest,
            };
            if self.write_booking(&write).await? {
                return Ok(booking);
            }
        }
        Err(StoreError::Busy)
    }
}

/// Marks due holds of `suite_id` (or of every suite) expired, with their events.
pub(super) async fn expire_due(tx: &mut Tx, suite_id: Option<Uuid>) -> Result<u64, StoreError> {
    let t = now();
    let sql = format!(
        "SELECT {BOOKING_COLS} FROM bookings WHERE status = 'held' AND hold_expires_at <= $1 \
         AND ($2 IS NULL OR suite_id = $2) ORDER BY id"
    );
    let due: Vec<Booking> = decode_all(
        sqlx::query_as::<_, BookingRow>(&sql)
            .bind(t)
            .bind(suite_id)
            .fetch_all(&mut **tx)
            .await?,
    )?;
    for b in &due {
        sqlx::query("UPDATE bookings SET status = 'expired', updated_at = $2 WHERE id = $1")
            .bind(b.id)
            .bind(t)
            .execute(&mut **tx)
            .await?;
        let client = program_client(tx, b.program_id).await?;
        let mut expired = b.clone();
        expired.status = BookingStatus::Expired;
        emit(
            tx,
            "booking.expired",
            client,
            serde_json::json!({"booking": expired}),
        )
        .await?;
        audit(
            tx,
            &Actor::system(),
            "expire",
            "booking",
            Some(b.id),
            serde_json::json!({}),
        )
        .await?;
    }
    Ok(due.len() as u64)
}
