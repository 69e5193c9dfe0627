//! SQLite's booking writes, committed in groups. SQLite has one writer, and a booking's write is
//! short; what costs is the transaction around it (taking the write lock, appending the WAL
//! frames of every page touched, committing) and the round trips to the connection's worker
//! thread. So one task owns booking writes: it takes every write waiting when it is free, runs
//! them one after another in one `BEGIN IMMEDIATE` transaction — each checked against the
//! bookings written before it in the same transaction — and commits them together, then answers
//! each caller. A caller is answered only after the commit that holds its booking. If the group's
//! transaction fails, each write of the group is tried again alone, so one bad write cannot fail
//! the others.

use crate::store::StoreError;
use sqlx::types::Json;
use sqlx::SqlitePool;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::booking_path::BookingWrite;

/// One booking's write as one batch of statements, run by SQLite's worker in one call under
/// `BEGIN IMMEDIATE` (the one writer): the booking is inserted only if the suite's calendar is as
/// it was read (same version, no longer booking since), no live booking overlaps on its line
/// — SQLite has no exclusion constraint, so this check under the only write lock is what keeps
/// two bookings apart — nor, in a segregated suite, a live booking of another party on any line
/// (the `bookings_segregation` trigger refuses it too), and a client's hold keeps within its
/// quota; and the event, audit row, idempotent answer and scan bound follow only
/// if it was. One call instead of five: on SQLite each statement is a round trip to the
/// connection's worker thread, and those hand-offs, not SQL, were most of a booking's cost.
static BOOK: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "INSERT INTO bookings (id, program_id, suite_id, line, starts_on, ends_on, \
     status, hold_expires_at, note, at_risk, created_at, updated_at, kind, price) \
     SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $29, $30 \
     WHERE EXISTS (SELECT 1 FROM suites WHERE id = $3 AND calendar_version = $12 \
                   AND max_booking_days <= $13) \
     AND NOT EXISTS (SELECT 1 FROM bookings WHERE suite_id = $3 AND line = $4 \
         AND starts_on >= $14 AND starts_on < $6 AND ends_on > $5 \
         AND {live}) \
     AND NOT EXISTS (SELECT 1 FROM bookings o, suites s2, programs p2 \
         WHERE s2.id = $3 AND p2.id = $2 AND s2.segregation <> 'any' AND o.suite_id = $3 \
         AND o.starts_on >= $14 AND o.starts_on < $6 AND o.ends_on > $5 AND {live_o} \
         AND o.seg_key IS NOT NULL AND o.seg_key <> CASE s2.segregation \
             WHEN 'same_client' THEN p2.client_id ELSE p2.id END) \
     AND ($28 IS NULL OR {held} + $27 <= $28); \
     INSERT INTO events (id, type, client_id, payload, created_at) \
     SELECT $16, $17, $18, $19, $11 WHERE EXISTS (SELECT 1 FROM bookings WHERE id = $1); \
     INSERT INTO audit_log (id, at, api_key_id, role, action, entity, entity_id, request_id, \
         detail) \
     SELECT $20, $11, $21, $22, 'create', 'booking', $1, $23, $24 \
     WHERE EXISTS (SELECT 1 FROM bookings WHERE id = $1); \
     UPDATE idempotency_keys SET status_code = 201, response = $24 \
     WHERE api_key_id = $25 AND key = $26 AND EXISTS (SELECT 1 FROM bookings WHERE id = $1); \
     UPDATE suites SET max_booking_days = $27 \
     WHERE id = $3 AND max_booking_days < $27 AND EXISTS (SELECT 1 FROM bookings WHERE id = $1)",
        live = crate::store::live_at("$15"),
        live_o = crate::store::live_of("o.", "$15"),
        held = super::booking_path::client_held_sql("$18", "$15"),
    )
});

/// Most writes in one group: a group holds the write lock while it runs.
const GROUP: usize = 64;

/// A booking write's bind values, owned (it crosses to the writer task).
pub(super) struct Book {
    id: Uuid,
    program_id: Uuid,
    suite_id: Uuid,
    line: i32,
    start: chrono::NaiveDate,
    end: chrono::NaiveDate,
    status: &'static str,
    kind: &'static str,
    hold_expires_at: Option<chrono::DateTime<chrono::Utc>>,
    note: Option<String>,
    at_risk: bool,
    created_at: chrono::DateTime<chrono::Utc>,
    calendar_version: i64,
    longest: i32,
    scan_from: chrono::NaiveDate,
    event_type: &'static str,
    client_id: Uuid,
    event_payload: serde_json::Value,
    api_key_id: Option<Uuid>,
    role: &'static str,
    request_id: Option<String>,
    detail: serde_json::Value,
    idem: Option<(Uuid, String)>,
    days: i32,
    hold_quota: Option<i64>,
    price: Option<serde_json::Value>,
}

impl From<&BookingWrite<'_>> for Book {
    fn from(w: &BookingWrite<'_>) -> Book {
        let b = w.booking;
        Book {
            id: b.id,
            program_id: b.program_id,
            suite_id: b.suite_id,
            line: b.line,
            start: b.start,
            end: b.end,
            status: b.status.as_str(),
            kind: b.kind.as_str(),
            hold_expires_at: b.hold_expires_at,
            note: b.note.clone(),
            at_risk: b.at_risk,
            created_at: b.created_at,
            calendar_version: w.calendar_version,
            longest: w.longest,
            scan_from: w.scan_from(),
            event_type: w.event_type(),
            client_id: w.client_id,
            event_payload: w.event_payload(),
            api_key_id: w.actor.api_key_id,
            role: w.actor.role.as_str(),
            request_id: w.actor.request_id.clone(),
            detail: w.audit_detail(),
            idem: w.idem.map(|k| (k.api_key_id, k.key.clone())),
            days: w.days(),
            hold_quota: w.hold_quota,
            price: b.price.as_ref().and_then(|p| serde_json::to_value(p).ok()),
        }
    }
}

struct Pending {
    book: Book,
    answer: oneshot::Sender<Result<bool, StoreError>>,
}

/// The handle the store keeps; the task ends when it is dropped.
pub(super) struct BookingWriter {
    queue: mpsc::Sender<Pending>,
}

impl BookingWriter {
    pub(super) fn start(write_pool: SqlitePool) -> BookingWriter {
        let (queue, rx) = mpsc::channel(1024);
        tokio::spawn(run(write_pool, rx));
        BookingWriter { queue }
    }

    /// `true` once committed; `false` when the calendar changed since it was read.
    pub(super) async fn write(&self, book: Book) -> Result<bool, StoreError> {
        let (answer, answered) = oneshot::channel();
        let gone = || StoreError::Busy;
        self.queue
            .send(Pending { book, answer })
            .await
            .map_err(|_| gone())?;
        answered.await.map_err(|_| gone())?
    }
}

async fn run(pool: SqlitePool, mut rx: mpsc::Receiver<Pending>) {
    while let Some(first) = rx.recv().await {
        let mut group = vec![first];
        while group.len() < GROUP {
            match rx.try_recv() {
                Ok(next) => group.push(next),
                Err(_) => break,
            }
        }
        let books: Vec<&Book> = group.iter().map(|p| &p.book).collect();
        match write_group(&pool, &books).await {
            Ok(written) => {
                for (p, w) in group.into_iter().zip(written) {
                    let _ = p.answer.send(Ok(w));
                }
            }
            Err(_) if group.len() > 1 => {
                for p in group {
                    let alone = write_group(&pool, &[&p.book]).await.map(|w| w[0]);
                    let _ = p.answer.send(alone);
                }
            }
            Err(e) => {
                for p in group {
                    let _ = p.answer.send(Err(StoreError::Busy));
                }
                tracing::warn!(error = %e, "a booking write failed");
            }
        }
    }
}

async fn write_group(pool: &SqlitePool, books: &[&Book]) -> Result<Vec<bool>, StoreError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let mut written = Vec::with_capacity(books.len());
    for b in books {
        written.push(write_one(&mut tx, b).await?);
    }
    tx.commit().await?;
    Ok(written)
}

/// One booking's write in the caller's transaction (which holds the write lock): `true` when
/// the booking was written.
pub(super) async fn write_one(
    tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
    b: &Book,
) -> Result<bool, StoreError> {
    let n = sqlx::query(&BOOK)
        .bind(b.id)
        .bind(b.program_id)
        .bind(b.suite_id)
        .bind(b.line)
        .bind(b.start)
        .bind(b.end)
        .bind(b.status)
        .bind(b.hold_expires_at)
        .bind(b.note.as_deref())
        .bind(b.at_risk)
        .bind(b.created_at)
        .bind(b.calendar_version)
        .bind(b.longest)
        .bind(b.scan_from)
        .bind(crate::store::now())
        .bind(Uuid::now_v7())
        .bind(b.event_type)
        .bind(b.client_id)
        .bind(Json(&b.event_payload))
        .bind(Uuid::now_v7())
        .bind(b.api_key_id)
        .bind(b.role)
        .bind(b.request_id.as_deref())
        .bind(Json(&b.detail))
        .bind(b.idem.as_ref().map(|(k, _)| *k))
        .bind(b.idem.as_ref().map(|(_, key)| key.as_str()))
        .bind(b.days)
        .bind(b.hold_quota)
        .bind(b.kind)
        .bind(b.price.as_ref().map(Json))
        .execute(&mut **tx)
        .await?
        .rows_affected();
    Ok(n > 0)
}
