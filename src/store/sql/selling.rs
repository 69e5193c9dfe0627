//! Selling capacity in SQL ([`SellingStore`]): rate cards, quotes, and the all-or-none bookings
//! a quote's acceptance and a suite rental make (the booking path of `booking_path.rs`, row
//! after row, in one locking transaction: see `booking_import.rs`).
//!
//! Compiled once per backend: `Backend`, `Db` and `DIALECT` are that backend's.

use super::booking_path::ATTEMPTS;
use super::common::*;

#[derive(sqlx::FromRow)]
struct RateCardRow {
    site_id: Uuid,
    card: sqlx::types::Json<RateCard>,
    version: i64,
    updated_at: DateTime<Utc>,
}

impl From<RateCardRow> for SiteRateCard {
    fn from(r: RateCardRow) -> SiteRateCard {
        SiteRateCard {
            site_id: r.site_id,
            version: r.version,
            card: r.card.0,
            updated_at: r.updated_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct QuoteRow {
    body: sqlx::types::Json<Quote>,
    accepted_at: Option<DateTime<Utc>>,
    booking_ids: Option<sqlx::types::Json<Vec<Uuid>>>,
}

impl QuoteRow {
    fn quote(self) -> Quote {
        let mut q = self.body.0;
        q.accepted_at = self.accepted_at;
        q.booking_ids = self.booking_ids.map(|j| j.0).unwrap_or_default();
        q.status = q.status_at(now());
        q
    }
}

#[async_trait]
impl SellingStore for Backend {
    #[tracing::instrument(skip_all)]
    async fn get_rate_card(&self, site_id: Uuid) -> Result<Option<SiteRateCard>, StoreError> {
        let site = sqlx::query_scalar::<_, Uuid>("SELECT id FROM sites WHERE id = $1")
            .bind(site_id)
            .fetch_optional(&self.pool)
            .await?;
        if site.is_none() {
            return Err(StoreError::NotFound);
        }
        Ok(sqlx::query_as::<_, RateCardRow>(
            "SELECT site_id, card, version, updated_at FROM rate_cards WHERE site_id = $1",
        )
        .bind(site_id)
        .fetch_optional(&self.pool)
        .await?
        .map(SiteRateCard::from))
    }

    #[tracing::instrument(skip_all)]
    async fn put_rate_card(
        &self,
        actor: &Actor,
        site_id: Uuid,
        card: &RateCard,
    ) -> Result<SiteRateCard, StoreError> {
        let mut tx = self.write_tx().await?;
        let site = sqlx::query_scalar::<_, Uuid>("SELECT id FROM sites WHERE id = $1")
            .bind(site_id)
            .fetch_optional(&mut *tx)
            .await?;
        if site.is_none() {
            return Err(StoreError::NotFound);
        }
        let t = now();
        let row = sqlx::query_as::<_, RateCardRow>(
            "INSERT INTO rate_cards (site_id, currency, card, version, updated_at) \
             VALUES ($1, $2, $3, 1, $4) \
             ON CONFLICT (site_id) DO UPDATE SET currency = excluded.currency, \
             card = excluded.card, version = rate_cards.version + 1, \
             updated_at = excluded.updated_at \
             RETURNING site_id, card, version, updated_at",
        )
        .bind(site_id)
        .bind(&card.currency)
        .bind(sqlx::types::Json(card))
        .bind(t)
        .fetch_one(&mut *tx)
        .await?;
        let stored = SiteRateCard::from(row);
        audit(
            &mut tx,
            actor,
            "update",
            "rate_card",
            Some(site_id),
            serde_json::to_value(&stored).unwrap_or_default(),
        )
        .await?;
        tx.commit().await?;
        Ok(stored)
    }

    #[tracing::instrument(skip_all)]
    async fn create_quote(&self, actor: &Actor, quote: &Quote) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO quotes (id, client_id, program_id, body, created_by, created_at, \
             expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(quote.id)
        .bind(quote.client_id)
        .bind(quote.program_id)
        .bind(sqlx::types::Json(quote))
        .bind(actor.api_key_id)
        .bind(quote.created_at)
        .bind(quote.expires_at)
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            actor,
            "create",
            "quote",
            Some(quote.id),
            serde_json::json!({
                "program_id": quote.program_id, "batches": quote.batches,
                "finishes_on": quote.finishes_on, "price": quote.price,
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn get_quote(&self, id: Uuid, scope: Option<Uuid>) -> Result<Quote, StoreError> {
        sqlx::query_as::<_, QuoteRow>(
            "SELECT body, accepted_at, booking_ids FROM quotes \
             WHERE id = $1 AND ($2 IS NULL OR client_id = $2)",
        )
        .bind(id)
        .bind(scope)
        .fetch_optional(&self.pool)
        .await?
        .map(QuoteRow::quote)
        .ok_or(StoreError::NotFound)
    }

    #[tracing::instrument(skip_all)]
    async fn list_quotes(
        &self,
        scope: Option<Uuid>,
        page: Page,
    ) -> Result<Listed<Quote>, StoreError> {
        // Newest first: ids are UUIDv7, so descending ids are descending creation.
        let rows = sqlx::query_as::<_, QuoteRow>(
            "SELECT body, accepted_at, booking_ids FROM quotes \
             WHERE ($1 IS NULL OR client_id = $1) AND ($2 IS NULL OR id < $2) \
             ORDER BY id DESC LIMIT $3",
        )
        .bind(scope)
        .bind(page.after)
        .bind(fetch_limit(page))
        .fetch_all(&self.pool)
        .await?;
        Ok(Listed::from_rows(
            rows.into_iter().map(QuoteRow::quote).collect(),
            page.limit,
            |q| q.id,
        ))
    }

    #[tracing::instrument(skip_all)]
    async fn accept_quote(
        &self,
        actor: &Actor,
        id: Uuid,
        rows: &[NewBooking],
        prices: &[Option<Price>],
        rules: &BookingRules,
    ) -> Result<Result<Vec<Booking>, RowRefused>, StoreError> {
        self.book_together(actor, rows, rules, Some((id, prices)))
            .await
    }

    #[tracing::instrument(skip_all)]
    async fn book_all(
        &self,
        actor: &Actor,
        rows: &[NewBooking],
        rules: &BookingRules,
    ) -> Result<Result<Vec<Booking>, RowRefused>, StoreError> {
        self.book_together(actor, rows, rules, None).await
    }
}

impl Backend {
    /// Books `rows` in one locking transaction, all or none (`Ok(Err(_))` names the row refused;
    /// nothing is written), decided again from the start when a write finds its calendar
    /// changed. With a quote (its id and each row's quoted price), the quote is claimed first in
    /// the same transaction — a second acceptance waits for this one and then finds it accepted
    /// (PostgreSQL's row lock; SQLite's one writer) — and the bookings keep the quoted prices.
    async fn book_together(
        &self,
        actor: &Actor,
        rows: &[NewBooking],
        rules: &BookingRules,
        quote: Option<(Uuid, &[Option<Price>])>,
    ) -> Result<Result<Vec<Booking>, RowRefused>, StoreError> {
        for _ in 0..ATTEMPTS {
            let mut tx = self.locking_tx().await?;
            if let Some((id, _)) = quote {
                let claimed = sqlx::query(
                    "UPDATE quotes SET accepted_at = $2 WHERE id = $1 AND accepted_at IS NULL \
                     AND expires_at > $2",
                )
                .bind(id)
                .bind(now())
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if claimed == 0 {
                    return Err(StoreError::State(
                        "the quote was accepted already or has expired".into(),
                    ));
                }
            }
            let booked = match self
                .book_rows_in(&mut tx, actor, rows, rules, false)
                .await?
            {
                None => continue,
                Some(Err(refused)) => {
                    tx.rollback().await?;
                    return Ok(Err(refused));
                }
                Some(Ok(booked)) => booked,
            };
            let mut booked: Vec<Booking> = booked.into_iter().map(|b| b.booking).collect();
            if let Some((id, prices)) = quote {
                for (b, price) in booked.iter_mut().zip(prices) {
                    sqlx::query("UPDATE bookings SET price = $2 WHERE id = $1")
                        .bind(b.id)
                        .bind(price.as_ref().map(sqlx::types::Json))
                        .execute(&mut *tx)
                        .await?;
                    b.price = price.clone();
                }
                let ids: Vec<Uuid> = booked.iter().map(|b| b.id).collect();
                sqlx::query("UPDATE quotes SET booking_ids = $2 WHERE id = $1")
                    .bind(id)
                    .bind(sqlx::types::Json(&ids))
                    .execute(&mut *tx)
                    .await?;
                audit(
                    &mut tx,
                    actor,
                    "accept",
                    "quote",
                    Some(id),
                    serde_json::json!({ "booking_ids": ids }),
                )
                .await?;
            }
            tx.commit().await?;
            return Ok(Ok(booked));
        }
        Err(StoreError::Busy)
    }
}
