//! Calendar reads over every suite: the pages' calendar (bookings with their programs) and
//! availability's occupancy (lines only, aggregated in SQL).
//!
//! Compiled once per backend: `Backend`, `Db` and `DIALECT` are that backend's.

use super::common::*;
use crate::domain::calendar::LineSpan;
use chrono::NaiveDate;

/// Every suite (with its longest booking) and the closures overlapping `[from, to)`; the
/// longest booking of all bounds the booking scans that follow.
async fn suites_and_closures(
    pool: &sqlx::Pool<Db>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<(Vec<Suite>, Vec<Closure>, i32), StoreError> {
    let sql = format!("SELECT {SUITE_COLS}, max_booking_days FROM suites ORDER BY name, id");
    let rows = sqlx::query_as::<_, LockedSuiteRow>(&sql)
        .fetch_all(pool)
        .await?;
    let longest = rows.iter().map(|r| r.max_booking_days).max().unwrap_or(0);
    let suites = decode_all(rows.into_iter().map(|r| r.suite).collect())?;
    let sql = format!("SELECT {CLOSURE_COLS} FROM closures WHERE starts_on < $2 AND ends_on > $1");
    let closures = sqlx::query_as::<_, ClosureRow>(&sql)
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(Closure::from)
        .collect();
    Ok((suites, closures, longest))
}

pub(super) async fn calendar(
    pool: &sqlx::Pool<Db>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Calendar, StoreError> {
    let (suites, closures, longest) = suites_and_closures(pool, from, to).await?;
    let sql = format!(
        "SELECT id, program_id, suite_id, line, starts_on, ends_on FROM bookings \
         WHERE starts_on >= $4 AND starts_on < $2 AND ends_on > $1 AND {live}",
        live = live_at("$3")
    );
    let bookings = sqlx::query_as::<_, CalendarBookingRow>(&sql)
        .bind(from)
        .bind(to)
        .bind(now())
        .bind(scan_from(from, longest))
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|r| LiveBooking {
            id: r.id,
            program_id: r.program_id,
            suite_id: r.suite_id,
            line: r.line,
            start: r.starts_on,
            end: r.ends_on,
        })
        .collect();
    Ok(Calendar {
        suites,
        closures,
        bookings,
    })
}

/// Live bookings' lines and dates only, one text row per suite (`line start end,…`): a busy
/// two-year window is a thousand bookings, and on SQLite every row costs a hand-off from its
/// worker thread, far more than the text costs to split.
pub(super) async fn occupancy(
    pool: &sqlx::Pool<Db>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Occupancy, StoreError> {
    let (suites, closures, longest) = suites_and_closures(pool, from, to).await?;
    let sql = format!(
        "SELECT suite_id, string_agg(line || ' ' || starts_on || ' ' || ends_on || ' ' \
         || COALESCE({party}, '-'), ',') \
         FROM bookings WHERE starts_on >= $4 AND starts_on < $2 AND ends_on > $1 AND {live} \
         GROUP BY suite_id",
        live = live_at("$3"),
        party = {
            let (open, close) = DIALECT.uuid_text;
            format!("{open}seg_key{close}")
        },
    );
    let rows = sqlx::query_as::<_, (Uuid, String)>(&sql)
        .bind(from)
        .bind(to)
        .bind(now())
        .bind(scan_from(from, longest))
        .fetch_all(pool)
        .await?;
    let mut taken = Vec::new();
    for (suite_id, spans) in rows {
        for span in spans.split(',') {
            taken.push(parse_span(suite_id, span)?);
        }
    }
    let sql = format!(
        "SELECT {DEDICATION_COLS} FROM dedications WHERE starts_on < $2 \
         AND (ends_on IS NULL OR ends_on > $1) ORDER BY id"
    );
    let dedications = sqlx::query_as::<_, DedicationRow>(&sql)
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(Dedication::from)
        .collect();
    Ok(Occupancy {
        suites,
        closures,
        taken,
        dedications,
    })
}

fn parse_span(suite_id: Uuid, span: &str) -> Result<LineSpan, StoreError> {
    let bad = || StoreError::unknown_value("bookings (line start end)", span);
    let mut parts = span.split(' ');
    let mut next = || parts.next().ok_or_else(bad);
    let line = next()?.parse().map_err(|_| bad())?;
    let start = next()?.parse().map_err(|_| bad())?;
    let end = next()?.parse().map_err(|_| bad())?;
    let party = match next()? {
        // SQLite's hex() of NULL is '', not NULL.
        "-" | "" => None,
        p => Some(Uuid::parse_str(p).map_err(|_| bad())?),
    };
    Ok(LineSpan {
        suite_id,
        line,
        start,
        end,
        party,
    })
}
