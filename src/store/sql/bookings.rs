//! Bookings ([`BookingStore`]) in SQL: the booking path itself is `booking_path.rs`.
//!
//! Compiled once per backend (`sqlite.rs`, `postgres.rs` include this file as a module of their
//! own): `Backend`, `Db` and `DIALECT` are that backend's.

use super::booking_path::expire_due;
use super::calendar_reads;
use super::common::*;

/// Loads a booking (scoped to a client's programs when `scope` is set), locked on PostgreSQL.
async fn booking_for_update(
    tx: &mut Tx,
    id: Uuid,
    scope: Option<Uuid>,
) -> Result<(Booking, Uuid), StoreError> {
    let sql = format!(
        "SELECT {} FROM bookings b JOIN programs p ON p.id = b.program_id \
         WHERE b.id = $1 AND ($2 IS NULL OR p.client_id = $2){}",
        *BOOKING_COLS_OF_B, DIALECT.for_update_of_booking
    );
    let booking: Booking = sqlx::query_as::<_, BookingRow>(&sql)
        .bind(id)
        .bind(scope)
        .fetch_optional(&mut **tx)
        .await?
        .map(Booking::try_from)
        .transpose()?
        .ok_or(StoreError::NotFound)?;
    let client = program_client(tx, booking.program_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok((booking, client))
}

/// Moves a locked booking to `status` (a confirmed booking has no hold expiry any more).
async fn move_booking(tx: &mut Tx, id: Uuid, status: BookingStatus) -> Result<Booking, StoreError> {
    let sql = format!(
        "UPDATE bookings SET status = $2, updated_at = $3, \
         hold_expires_at = CASE WHEN $2 = 'confirmed' THEN NULL ELSE hold_expires_at END \
         WHERE id = $1 RETURNING {BOOKING_COLS}"
    );
    sqlx::query_as::<_, BookingRow>(&sql)
        .bind(id)
        .bind(status.as_str())
        .bind(now())
        .fetch_one(&mut **tx)
        .await?
        .try_into()
}

/// The booking's event (for its client's subscriptions) and audit row, in the caller's
/// transaction.
async fn announce(
    tx: &mut Tx,
    actor: &Actor,
    booking: &Booking,
    client: Uuid,
    action: &str,
) -> Result<(), StoreError> {
    let event = super::booking_path::booking_event(booking.status);
    emit(
        tx,
        event,
        Some(client),
        serde_json::json!({"booking": booking}),
    )
    .await?;
    audit(
        tx,
        actor,
        action,
        "booking",
        Some(booking.id),
        serde_json::json!({}),
    )
    .await
}

#[async_trait]
impl BookingStore for Backend {
    #[tracing::instrument(skip_all)]
    async fn create_booking(
        &self,
        actor: &Actor,
        input: &NewBooking,
        rules: &BookingRules,
        idem: Option<&IdemKey>,
    ) -> Result<Booking, StoreError> {
        self.book(actor, input, rules, idem).await
    }

    #[tracing::instrument(skip_all)]
    async fn import_bookings(
        &self,
        actor: &Actor,
        rows: &[NewBooking],
        rules: &BookingRules,
        dry_run: bool,
    ) -> Result<Result<Vec<ImportedBooking>, RowRefused>, StoreError> {
        self.import_rows(actor, rows, rules, dry_run).await
    }

    #[tracing::instrument(skip_all)]
    async fn confirm_booking(&self, actor: &Actor, id: Uuid) -> Result<Booking, StoreError> {
        let mut tx = self.write_tx().await?;
        let (booking, client) = booking_for_update(&mut tx, id, actor.scope()).await?;
        let booking = booking.effective(now());
        match booking.status {
            BookingStatus::Confirmed => return Ok(booking),
            BookingStatus::Cancelled | BookingStatus::Expired => {
                return Err(StoreError::State(format!(
                    "the booking is {}; it cannot be confirmed",
                    booking.status.as_str()
                )))
            }
            BookingStatus::Held => {}
        }
        let booking = move_booking(&mut tx, id, BookingStatus::Confirmed).await?;
        announce(&mut tx, actor, &booking, client, "confirm").await?;
        tx.commit().await?;
        Ok(booking)
    }

    #[tracing::instrument(skip_all)]
    async fn cancel_booking(&self, actor: &Actor, id: Uuid) -> Result<Booking, StoreError> {
        let mut tx = self.write_tx().await?;
        let (booking, client) = booking_for_update(&mut tx, id, actor.scope()).await?;
        let booking = booking.effective(now());
        match booking.status {
            BookingStatus::Cancelled => return Ok(booking),
            BookingStatus::Expired => {
                return Err(StoreError::State(
                    "the hold has expired; there is nothing to cancel".into(),
                ))
            }
            BookingStatus::Confirmed if !actor.is_staff() => {
                return Err(StoreError::Forbidden(
                    "confirmed bookings are cancelled by the CDMO's planners".into(),
                ))
            }
            _ => {}
        }
        let booking = move_booking(&mut tx, id, BookingStatus::Cancelled).await?;
        announce(&mut tx, actor, &booking, client, "cancel").await?;
        tx.commit().await?;
        Ok(booking)
    }

    #[tracing::instrument(skip_all)]
    async fn extend_hold(
        &self,
        actor: &Actor,
        id: Uuid,
        until: DateTime<Utc>,
    ) -> Result<Booking, StoreError> {
        let mut tx = self.write_tx().await?;
        let (booking, client) = booking_for_update(&mut tx, id, actor.scope()).await?;
        let booking = booking.effective(now());
        if booking.status != BookingStatus::Held {
            return Err(StoreError::State(format!(
                "the booking is {}; only a live hold can be extended",
                booking.status.as_str()
            )));
        }
        let sql = format!(
            "UPDATE bookings SET hold_expires_at = $2, hold_warned_at = NULL, updated_at = $3 \
             WHERE id = $1 RETURNING {BOOKING_COLS}"
        );
        let booking: Booking = sqlx::query_as::<_, BookingRow>(&sql)
            .bind(id)
            .bind(until)
            .bind(now())
            .fetch_one(&mut *tx)
            .await?
            .try_into()?;
        announce(&mut tx, actor, &booking, client, "extend").await?;
        tx.commit().await?;
        Ok(booking)
    }

    #[tracing::instrument(skip_all)]
    async fn get_booking(&self, id: Uuid, scope: Option<Uuid>) -> Result<Booking, StoreError> {
        sqlx::query_as::<_, BookingRow>(&format!(
            "SELECT {} FROM bookings b JOIN programs p ON p.id = b.program_id \
             WHERE b.id = $1 AND ($2 IS NULL OR p.client_id = $2)",
            *BOOKING_COLS_OF_B
        ))
        .bind(id)
        .bind(scope)
        .fetch_optional(&self.pool)
        .await?
        .map(|r| Booking::try_from(r).map(|b| b.effective(now())))
        .unwrap_or(Err(StoreError::NotFound))
    }

    #[tracing::instrument(skip_all)]
    async fn list_bookings(
        &self,
        filter: &BookingFilter,
        scope: Option<Uuid>,
        page: Page,
    ) -> Result<Listed<Booking>, StoreError> {
        // Statuses as every reader sees them: a hold past its expiry is expired.
        let status_sql = match filter.status {
            None => "",
            Some(BookingStatus::Held) => " AND b.status = 'held' AND b.hold_expires_at > $9",
            Some(BookingStatus::Expired) => {
                " AND (b.status = 'expired' OR (b.status = 'held' AND b.hold_expires_at <= $9))"
            }
            Some(BookingStatus::Confirmed) => " AND b.status = 'confirmed' AND $9 IS NOT NULL",
            Some(BookingStatus::Cancelled) => " AND b.status = 'cancelled' AND $9 IS NOT NULL",
        };
        // The kind is one of the enum's own names, never the caller's text.
        let kind_sql = filter
            .kind
            .map(|k| format!(" AND b.kind = '{}'", k.as_str()))
            .unwrap_or_default();
        let sql = format!(
            "SELECT {cols} FROM bookings b JOIN programs p ON p.id = \
             b.program_id \
             WHERE ($1 IS NULL OR p.client_id = $1) AND ($2 IS NULL OR b.suite_id = $2) \
             AND ($3 IS NULL OR b.program_id = $3) AND ($4 IS NULL OR p.client_id = $4) \
             AND ($5 IS NULL OR b.ends_on > $5) AND ($6 IS NULL OR b.starts_on < $6) \
             AND ($7 IS NULL OR b.starts_on > (SELECT starts_on FROM bookings WHERE id = $7) \
                  OR (b.starts_on = (SELECT starts_on FROM bookings WHERE id = $7) AND b.id > \
                  $7)){status_sql}{kind_sql} \
             ORDER BY b.starts_on, b.id LIMIT $8",
            cols = *BOOKING_COLS_OF_B
        );
        let mut q = sqlx::query_as::<_, BookingRow>(&sql)
            .bind(scope)
            .bind(filter.suite_id)
            .bind(filter.program_id)
            .bind(filter.client_id)
            .bind(filter.from)
            .bind(filter.to)
            .bind(page.after)
            .bind(fetch_limit(page));
        if !status_sql.is_empty() {
            q = q.bind(now());
        }
        let rows = q.fetch_all(&self.pool).await?;
        let t = now();
        Ok(Listed::from_rows(
            rows.into_iter()
                .map(|r| Booking::try_from(r).map(|b| b.effective(t)))
                .collect::<Result<_, StoreError>>()?,
            page.limit,
            |b| b.id,
        ))
    }

    #[tracing::instrument(skip_all)]
    async fn sweep_holds(&self, warning_days: i64) -> Result<(u64, u64), StoreError> {
        let mut tx = self.write_tx().await?;
        let expired = expire_due(&mut tx, None).await?;
        let t = now();
        let sql = format!(
            "SELECT {BOOKING_COLS} FROM bookings WHERE status = 'held' AND hold_warned_at IS NULL \
             AND hold_expires_at > $1 AND hold_expires_at <= $2 ORDER BY id"
        );
        let soon: Vec<Booking> = sqlx::query_as::<_, BookingRow>(&sql)
            .bind(t)
            .bind(t + chrono::Duration::days(warning_days))
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .map(Booking::try_from)
            .collect::<Result<_, StoreError>>()?;
        let mut warned = 0;
        for b in &soon {
            // Once per hold, however many replicas sweep at the same moment.
            let n = sqlx::query(
                "UPDATE bookings SET hold_warned_at = $2 \
                 WHERE id = $1 AND status = 'held' AND hold_warned_at IS NULL",
            )
            .bind(b.id)
            .bind(t)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                continue;
            }
            warned += 1;
            let client = program_client(&mut tx, b.program_id).await?;
            emit(
                &mut tx,
                "hold.expiring",
                client,
                serde_json::json!({"booking": b}),
            )
            .await?;
        }
        tx.commit().await?;
        Ok((expired, warned))
    }

    #[tracing::instrument(skip_all)]
    async fn calendar(
        &self,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<Calendar, StoreError> {
        calendar_reads::calendar(&self.pool, from, to).await
    }

    #[tracing::instrument(skip_all)]
    async fn occupancy(
        &self,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<Occupancy, StoreError> {
        calendar_reads::occupancy(&self.pool, from, to).await
    }
}
