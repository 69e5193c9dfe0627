//! Several bookings in one transaction ([`BookingStore::import_bookings`]): the booking path of
//! `booking_path.rs`, row after row, inside one locking transaction.
//!
//! The transaction is the one a pooled booking writes in (`locking_tx`: on SQLite it holds the
//! only write lock from its start, so no other write — the grouped booking writer included —
//! comes between its reads and its writes; on PostgreSQL it is READ COMMITTED, each booking's
//! statement share-locks its suite and checks the calendar version, and the exclusion constraint
//! refuses an overlap). Each row's scene is read through the transaction, so it sees the rows
//! booked before it, and is decided with the same rules; the write is the backend's own
//! (`write_booking_in`), with its event, audit row and hold quota. If a write finds the calendar
//! changed under it (a concurrent closure or booking), the whole transaction is dropped and the
//! file decided again from the start, as a single booking would be.
//!
//! Compiled once per backend: `Backend`, `Db` and `DIALECT` are that backend's.

use super::booking_path::{
    check_pools, client_held_line_days, decide, expire_due, read_scene, BookingWrite, ATTEMPTS,
};
use super::common::*;
use std::collections::HashSet;

type Outcome = Result<Vec<ImportedBooking>, RowRefused>;

/// Errors that refuse a row (answered to the caller, naming it); anything else is the store's.
fn refusal(e: &StoreError) -> bool {
    matches!(
        e,
        StoreError::Validation(_)
            | StoreError::Conflict(_)
            | StoreError::PoolShort(_)
            | StoreError::NotFound
    )
}

/// A live booking equal to the row, not yet claimed by an earlier row, in the actor's scope.
async fn same_live(
    tx: &mut Tx,
    scope: Option<Uuid>,
    input: &NewBooking,
    claimed: &HashSet<Uuid>,
) -> Result<Option<Booking>, StoreError> {
    let sql = format!(
        "SELECT {} FROM bookings b JOIN programs p ON p.id = b.program_id \
         WHERE b.program_id = $1 AND b.suite_id = $2 AND b.starts_on = $3 AND b.ends_on = $4 \
         AND b.status = $5 AND b.kind = $6 AND ($7 IS NULL OR b.line = $7) \
         AND ($8 IS NULL OR p.client_id = $8) AND {} ORDER BY b.line",
        *BOOKING_COLS_OF_B,
        live_of("b.", "$9"),
    );
    let rows = sqlx::query_as::<_, BookingRow>(&sql)
        .bind(input.program_id)
        .bind(input.suite_id)
        .bind(input.start)
        .bind(input.end)
        .bind(input.status.as_str())
        .bind(input.kind.as_str())
        .bind(input.line.map(|l| i32::try_from(l).unwrap_or(i32::MAX)))
        .bind(scope)
        .bind(now())
        .fetch_all(&mut **tx)
        .await?;
    for row in rows {
        let b = Booking::try_from(row)?;
        if !claimed.contains(&b.id) {
            return Ok(Some(b));
        }
    }
    Ok(None)
}

impl Backend {
    pub(super) async fn import_rows(
        &self,
        actor: &Actor,
        rows: &[NewBooking],
        rules: &BookingRules,
        dry_run: bool,
    ) -> Result<Outcome, StoreError> {
        for _ in 0..ATTEMPTS {
            if let Some(outcome) = self.import_once(actor, rows, rules, dry_run).await? {
                return Ok(outcome);
            }
        }
        Err(StoreError::Busy)
    }

    /// One attempt; `None` when a write found the calendar changed since its read (try again).
    async fn import_once(
        &self,
        actor: &Actor,
        rows: &[NewBooking],
        rules: &BookingRules,
        dry_run: bool,
    ) -> Result<Option<Outcome>, StoreError> {
        let mut tx = self.locking_tx().await?;
        let outcome = self.book_rows_in(&mut tx, actor, rows, rules, true).await?;
        if dry_run || !matches!(outcome, Some(Ok(_))) {
            tx.rollback().await?;
        } else {
            tx.commit().await?;
        }
        Ok(outcome)
    }

    /// Books `rows` in the caller's locking transaction, all or none: a refused row answers
    /// which and why (the caller rolls back); `None` when a write found the calendar changed
    /// since its read (roll back and try again). With `reuse`, a row equal to a live booking
    /// already there is that booking (re-importing a file books nothing twice); without it,
    /// every row is a new booking (accepting a quote).
    pub(super) async fn book_rows_in(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        rows: &[NewBooking],
        rules: &BookingRules,
        reuse: bool,
    ) -> Result<Option<Outcome>, StoreError> {
        expire_due(tx, None).await?;
        let mut claimed = HashSet::new();
        let mut out = Vec::with_capacity(rows.len());
        for (index, input) in rows.iter().enumerate() {
            let refused = |error: StoreError| -> Result<Option<Outcome>, StoreError> {
                if refusal(&error) {
                    Ok(Some(Err(RowRefused {
                        index,
                        error,
                        earlier: out.iter().map(|b: &ImportedBooking| b.booking.id).collect(),
                    })))
                } else {
                    Err(error)
                }
            };
            let existing = if reuse {
                same_live(tx, actor.scope(), input, &claimed).await?
            } else {
                None
            };
            if let Some(existing) = existing {
                claimed.insert(existing.id);
                out.push(ImportedBooking {
                    booking: existing,
                    created: false,
                });
                continue;
            }
            let quota = match (actor.role, actor.scope(), input.status) {
                (Role::Client, Some(client), BookingStatus::Held) => {
                    Some((client, rules.client_hold_quota_line_days))
                }
                _ => None,
            };
            if let Some((client, quota)) = quota {
                let held = client_held_line_days(&mut **tx, client, now()).await?;
                let asked = (input.end - input.start).num_days();
                if held + asked > quota {
                    return refused(StoreError::invalid(
                        "/end",
                        &format!(
                            "a client's live holds take at most {quota} line-days together \
                             (bookings.client_hold_quota_line_days); {held} are held with the \
                             rows before, this asks {asked}"
                        ),
                    ));
                }
            }
            let mut scene = match read_scene(&mut **tx, input, actor.scope(), now()).await {
                Ok(scene) => scene,
                Err(e) => return refused(e),
            };
            if scene.due_holds {
                // A hold expired since the transaction began.
                expire_due(tx, Some(input.suite_id)).await?;
                scene = match read_scene(&mut **tx, input, actor.scope(), now()).await {
                    Ok(scene) => scene,
                    Err(e) => return refused(e),
                };
            }
            if !scene.program.phase_processes.is_empty() {
                let phase = self.phase_of(&scene.program, input.start).await?;
                scene.program = scene.program.in_phase(phase);
            }
            let booking = match decide(&scene, input, rules) {
                Ok(b) => b,
                Err(e) => return refused(e),
            };
            let profile = scene
                .program
                .booking_profile(input.kind, scene.suite.site_id);
            let pooled = scene
                .pool_tags
                .iter()
                .any(|tag| crate::domain::site_pool_serves(tag, profile));
            if pooled {
                if let Err(e) = check_pools(tx, &booking, &scene.suite, profile).await {
                    return refused(e);
                }
            }
            let write = BookingWrite {
                booking: &booking,
                client_id: scene.program.client_id,
                actor,
                idem: None,
                calendar_version: scene.calendar_version,
                longest: scene.longest,
                hold_quota: quota.map(|(_, q)| q),
            };
            if !self.write_booking_in(tx, &write).await? {
                // Dropped: the transaction rolls back, and the file is decided again.
                return Ok(None);
            }
            out.push(ImportedBooking {
                booking,
                created: true,
            });
        }
        Ok(Some(Ok(out)))
    }
}
