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
    /// A client's hold: the line-days its live holds may take with this one (the write refuses
    /// to go past it).
    pub hold_quota: Option<i64>,
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

/// Everything a booking decision reads, in one query: the suite (with its calendar version and
/// scan bound) joined with the program if it is in the caller's scope, and — aggregated into one
/// text column each, so that they cost no extra rows or round trips — the suite's closures over
/// `[$4, $5)` (`start|end|lines`) and its held or confirmed bookings overlapping it
/// (`id|program|line|start|end|due`, `due` for a hold past its expiry at `$6`). Bookings are
/// scanned from the new start minus the suite's longest booking, on the `(suite_id, starts_on)`
/// index; the liveness test is a CASE so that no planner answers it from the status index.
static SCENE_SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let (uuid_open, uuid_close) = DIALECT.uuid_text;
    let uuid = |col: &str| format!("{uuid_open}{col}{uuid_close}");
    format!(
        "SELECT s.id, s.site_id, s.name, s.grade, s.capabilities, s.lines, \
         s.available_from, s.available_to, s.segregation, s.max_booking_days, \
         s.calendar_version, \
         p.id AS program_id, p.client_id, p.name AS program_name, p.modality, p.storage, \
         p.atmp, p.phase, p.required_capabilities, p.min_grade, p.batch_days, \
         p.changeover_days, p.earliest_start, p.phase_success, p.priority, \
         p.allowed_suite_ids, p.resource_profile, p.phase_processes, p.tech_transfers, \
         p.created_at, p.updated_at, \
         (SELECT string_agg(c.starts_on || '|' || c.ends_on || '|' \
                            || COALESCE(CAST(c.lines AS text), ''), ';') \
          FROM closures c WHERE c.suite_id = s.id AND c.starts_on < $5 AND c.ends_on > $4) \
         AS closed, \
         (SELECT string_agg({b_id} || '|' || {b_program} || '|' || b.line || '|' \
                            || b.starts_on || '|' || b.ends_on || '|' \
                            || (CASE WHEN b.status = 'held' AND b.hold_expires_at <= $6 \
                                THEN 'due' ELSE 'live' END) || '|' \
                            || COALESCE({b_party}, ''), ';') \
          FROM bookings b WHERE b.suite_id = s.id AND b.starts_on >= {scan} \
          AND b.starts_on < $5 AND b.ends_on > $4 \
          AND (CASE WHEN b.status = 'confirmed' THEN 1 WHEN b.status = 'held' THEN 1 \
               ELSE 0 END) = 1) \
         AS taken, \
         (SELECT string_agg(pl.tag, ';') FROM pools pl WHERE pl.site_id = s.site_id) \
         AS pool_tags, \
         (SELECT string_agg({d_id} || '|' || d.line || '|' || {d_client} || '|' \
                            || d.starts_on || '|' || COALESCE(CAST(d.ends_on AS text), ''), ';') \
          FROM dedications d WHERE d.suite_id = s.id AND d.starts_on < $5 \
          AND (d.ends_on IS NULL OR d.ends_on > $4)) \
         AS dedicated, \
         (SELECT rc.card FROM rate_cards rc WHERE rc.site_id = s.site_id) AS rate_card \
         FROM suites s LEFT JOIN programs p ON p.id = $2 AND ($3 IS NULL OR p.client_id = $3) \
         WHERE s.id = $1",
        b_id = uuid("b.id"),
        b_program = uuid("b.program_id"),
        b_party = uuid("b.seg_key"),
        d_id = uuid("d.id"),
        d_client = uuid("d.client_id"),
        scan = DIALECT.scan_from,
    )
});

/// What a booking decision reads.
pub(super) struct Scene {
    pub(super) suite: Suite,
    pub(super) program: Program,
    pub(super) calendar_version: i64,
    pub(super) longest: i32,
    pub(super) closures: Vec<Closure>,
    pub(super) taken: Vec<Taken>,
    /// Holds past their expiry that are still marked held: expired first, then read again.
    pub(super) due_holds: bool,
    /// Tags of the pools of the suite's site.
    pub(super) pool_tags: Vec<String>,
    /// Dedications of the suite's lines over the booking's days.
    pub(super) dedications: Vec<Dedication>,
    /// The rate card of the suite's site: the booking's price.
    pub(super) rate_card: Option<RateCard>,
}

/// Reads the scene through `db`: the pool, or a transaction (which sees its own bookings).
pub(super) async fn read_scene<'e, E: sqlx::Executor<'e, Database = Db>>(
    db: E,
    input: &NewBooking,
    scope: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Scene, StoreError> {
    let mut row = sqlx::query_as::<_, SceneRow>(&SCENE_SQL)
        .bind(input.suite_id)
        .bind(input.program_id)
        .bind(scope)
        .bind(input.start)
        .bind(input.end)
        .bind(now)
        .fetch_optional(db)
        .await?
        .ok_or_else(|| StoreError::invalid("/suite_id", "unknown suite"))?;
    let calendar_version = row.calendar_version;
    let longest = row.max_booking_days;
    let closed = row.closed.take().unwrap_or_default();
    let taken = row.taken.take().unwrap_or_default();
    let pool_tags = row.pool_tags.take().unwrap_or_default();
    let dedicated = row.dedicated.take().unwrap_or_default();
    let rate_card = row.rate_card.take().map(|c| c.0);
    let (suite, program) = row.split()?;
    let program = program.ok_or_else(|| StoreError::invalid("/program_id", "unknown program"))?;
    let mut scene = Scene {
        suite,
        program,
        calendar_version,
        longest,
        closures: Vec::new(),
        taken: Vec::new(),
        due_holds: false,
        pool_tags: pool_tags
            .split(';')
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
        dedications: Vec::new(),
        rate_card,
    };
    let bad = |what: &str| StoreError::unknown_value("the suite's calendar", what);
    for c in closed.split(';').filter(|c| !c.is_empty()) {
        let mut f = c.splitn(3, '|');
        let (Some(start), Some(end), Some(lines)) = (f.next(), f.next(), f.next()) else {
            return Err(bad(c));
        };
        scene.closures.push(Closure {
            id: Uuid::nil(),
            suite_id: input.suite_id,
            start: start.parse().map_err(|_| bad(c))?,
            end: end.parse().map_err(|_| bad(c))?,
            reason: None,
            lines: match lines {
                "" => None,
                json => Some(serde_json::from_str(json).map_err(|_| bad(c))?),
            },
        });
    }
    for b in taken.split(';').filter(|b| !b.is_empty()) {
        let f: Vec<&str> = b.split('|').collect();
        let [id, program_id, line, start, end, due, party] = f[..] else {
            return Err(bad(b));
        };
        if due == "due" {
            scene.due_holds = true;
            continue;
        }
        scene.taken.push(Taken {
            booking_id: Uuid::parse_str(id).map_err(|_| bad(b))?,
            program_id: Uuid::parse_str(program_id).map_err(|_| bad(b))?,
            line: line.parse().map_err(|_| bad(b))?,
            start: start.parse().map_err(|_| bad(b))?,
            end: end.parse().map_err(|_| bad(b))?,
            party: match party {
                "" => None,
                p => Some(Uuid::parse_str(p).map_err(|_| bad(b))?),
            },
        });
    }
    for d in dedicated.split(';').filter(|d| !d.is_empty()) {
        let f: Vec<&str> = d.split('|').collect();
        let [id, line, client, start, end] = f[..] else {
            return Err(bad(d));
        };
        scene.dedications.push(Dedication {
            id: Uuid::parse_str(id).map_err(|_| bad(d))?,
            suite_id: input.suite_id,
            line: line.parse().map_err(|_| bad(d))?,
            client_id: Uuid::parse_str(client).map_err(|_| bad(d))?,
            start: start.parse().map_err(|_| bad(d))?,
            end: match end {
                "" => None,
                e => Some(e.parse().map_err(|_| bad(d))?),
            },
            note: None,
            created_at: DateTime::<Utc>::UNIX_EPOCH,
        });
    }
    // Conflicts list bookings by start, then id (both databases order UUIDs bytewise too).
    scene.taken.sort_by_key(|t| (t.start, t.booking_id));
    Ok(scene)
}

/// The booking as it will be written, or why it cannot be.
pub(super) fn decide(
    scene: &Scene,
    input: &NewBooking,
    rules: &BookingRules,
) -> Result<Booking, StoreError> {
    // A tech transfer on its road needs the transfer's suite, not the filed process's.
    let transfer = match input.kind {
        BookingKind::TechTransfer => scene.program.for_transfer(scene.suite.site_id),
        _ => None,
    };
    cal::may_use(transfer.as_ref().unwrap_or(&scene.program), &scene.suite)
        .map_err(|why| StoreError::invalid("/suite_id", &why.to_string()))?;
    // Another party in a segregated suite keeps every line.
    let segregated = segregated_from(
        scene.suite.segregation,
        scene.program.id,
        scene.program.client_id,
        input.start,
        input.end,
        &scene.taken,
    );
    if !segregated.is_empty() {
        return Err(StoreError::Conflict(segregated));
    }
    // Lines dedicated to another client are closed to this one.
    let dedicated = closed_to(
        Some(scene.program.client_id),
        &scene.dedications,
        input.start,
        input.end,
    );
    let calendar = cal::suite_calendar(
        &scene.suite,
        scene.closures.iter().chain(&dedicated),
        scene.taken.iter().copied(),
    );
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
        PlaceError::Conflicts(mut items) => {
            for item in &mut items {
                let by_dedication = item.kind == "closure"
                    && dedicated.iter().any(|d| {
                        d.lines.as_deref() == Some(&[item.line][..])
                            && d.start == item.start
                            && d.end == item.end
                    });
                if by_dedication {
                    item.kind = "dedication".into();
                }
            }
            StoreError::Conflict(items)
        }
    })?;
    Ok(Booking {
        id: Uuid::now_v7(),
        program_id: scene.program.id,
        suite_id: scene.suite.id,
        line,
        start: input.start,
        end: input.end,
        status: input.status,
        kind: input.kind,
        hold_expires_at: if input.status == BookingStatus::Held {
            input.hold_expires_at
        } else {
            None
        },
        note: input.note.clone(),
        at_risk: false,
        created_at: rules.now,
        price: scene.rate_card.as_ref().and_then(|card| {
            let days = (input.end - input.start).num_days();
            card.price(&scene.suite, Some(scene.program.id), input.kind, days)
                .ok()
        }),
    })
}

/// Line-days a client's live holds take (one line for one day each), as a SQL scalar of the
/// client and the time given as placeholders: the one home of the hold quota's count, read
/// before a booking is decided and checked again by the write itself.
pub(in super::super) fn client_held_sql(client: &str, now: &str) -> String {
    format!(
        "(SELECT COALESCE(SUM({days}), 0) FROM bookings h JOIN programs hp ON hp.id = h.program_id \
         WHERE hp.client_id = {client} AND h.status = 'held' AND h.hold_expires_at > {now})",
        days = DIALECT.held_days
    )
}

pub(super) async fn client_held_line_days<'e, E: sqlx::Executor<'e, Database = Db>>(
    db: E,
    client: Uuid,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let sql = format!("SELECT {}", client_held_sql("$1", "$2"));
    Ok(sqlx::query_scalar::<_, i64>(&sql)
        .bind(client)
        .bind(now)
        .fetch_one(db)
        .await?)
}

/// How many times a booking is decided again after its calendar changed under it (a closure,
/// or a concurrent booking on the chosen line) before the caller is told to retry later.
pub(super) const ATTEMPTS: usize = 8;

impl Backend {
    /// Decide, write if unchanged, else decide again on the new calendar.
    pub(super) async fn book(
        &self,
        actor: &Actor,
        input: &NewBooking,
        rules: &BookingRules,
        idem: Option<&IdemKey>,
    ) -> Result<Booking, StoreError> {
        // A client's hold counts against its quota: checked here for a clear answer, and again
        // by the write (under the client's lock), so that concurrent holds cannot pass together.
        let quota = match (actor.role, actor.scope(), input.status) {
            (Role::Client, Some(client), BookingStatus::Held) => {
                Some((client, rules.client_hold_quota_line_days))
            }
            _ => None,
        };
        for _ in 0..ATTEMPTS {
            if let Some((client, quota)) = quota {
                let held = client_held_line_days(&self.pool, client, now()).await?;
                let asked = (input.end - input.start).num_days();
                if held + asked > quota {
                    return Err(StoreError::invalid(
                        "/end",
                        &format!(
                            "a client's live holds take at most {quota} line-days together \
                             (bookings.client_hold_quota_line_days); {held} are held, this asks \
                             {asked}"
                        ),
                    ));
                }
            }
            let mut scene = read_scene(&self.pool, input, actor.scope(), now()).await?;
            if scene.due_holds {
                let mut tx = self.write_tx().await?;
                expire_due(&mut tx, Some(input.suite_id)).await?;
                tx.commit().await?;
                continue;
            }
            if !scene.program.phase_processes.is_empty() {
                let phase = self.phase_of(&scene.program, input.start).await?;
                scene.program = scene.program.in_phase(phase);
            }
            let booking = decide(&scene, input, rules)?;
            let write = BookingWrite {
                booking: &booking,
                client_id: scene.program.client_id,
                actor,
                idem,
                calendar_version: scene.calendar_version,
                longest: scene.longest,
                hold_quota: quota.map(|(_, q)| q),
            };
            let profile = scene
                .program
                .booking_profile(input.kind, scene.suite.site_id);
            // Read with the scene: whether a pool of the site serves a need of the profile.
            let pooled = scene
                .pool_tags
                .iter()
                .any(|tag| crate::domain::site_pool_serves(tag, profile));
            let written = if pooled {
                self.write_within_pools(&write, &scene.suite, profile)
                    .await?
            } else {
                self.write_booking(&write).await?
            };
            if written {
                return Ok(booking);
            }
        }
        Err(StoreError::Busy)
    }

    /// The phase a booking starting on `start` is made in: the latest phase the program's
    /// forecast names for that month, else the program's current phase.
    pub(super) async fn phase_of(
        &self,
        program: &Program,
        start: chrono::NaiveDate,
    ) -> Result<Phase, StoreError> {
        let month = Month::of(start);
        let forecast = self.get_forecast(program.id, None).await?;
        Ok(forecast
            .into_iter()
            .flat_map(|f| f.entries)
            .filter(|e| e.month == month)
            .map(|e| e.phase)
            .max()
            .unwrap_or(program.phase))
    }

    /// A booking that draws on pools: the site's pool rows are locked and read, their users read
    /// under the lock, the days checked with the calendar rules, and the booking written in the
    /// same transaction — so that no pool is overbooked by bookings racing on different lines.
    async fn write_within_pools(
        &self,
        write: &BookingWrite<'_>,
        suite: &Suite,
        profile: &[ResourceNeed],
    ) -> Result<bool, StoreError> {
        let mut tx = self.locking_tx().await?;
        check_pools(&mut tx, write.booking, suite, profile).await?;
        let written = self.write_booking_in(&mut tx, write).await?;
        if written {
            tx.commit().await?;
        }
        Ok(written)
    }
}

/// Locks the pools of the suite's site (all of them, in one statement: a site has a handful —
/// a crew per skill, a QC lab), reads their users under the lock and checks that `booking`
/// fits, in the caller's transaction. `PoolShort` names the days that do not.
pub(super) async fn check_pools(
    tx: &mut Tx,
    booking: &Booking,
    suite: &Suite,
    profile: &[ResourceNeed],
) -> Result<(), StoreError> {
    // A site has a handful of pools (a crew per skill, a QC lab): all are locked, which keeps
    // this to one statement.
    let pools = super::pools::lock_site_pools(&mut **tx, suite.site_id).await?;
    let start = booking.start;
    let to = process_end(profile, start);
    let users = super::pools::site_pool_users(&mut **tx, suite.site_id, start, to).await?;
    let short = pool_shortfalls(&pools, profile, start, &users);
    if !short.is_empty() {
        return Err(StoreError::PoolShort(short));
    }
    Ok(())
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
    let mut expired_now = 0;
    for b in &due {
        // Only if still held: another transaction (a booking on the suite, another replica's
        // sweep) may have expired it since the read, and a hold expires — and is announced —
        // once. On PostgreSQL this update waits for that transaction and then re-checks.
        let n = sqlx::query(
            "UPDATE bookings SET status = 'expired', updated_at = $2 \
             WHERE id = $1 AND status = 'held'",
        )
        .bind(b.id)
        .bind(t)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if n == 0 {
            continue;
        }
        expired_now += 1;
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
    Ok(expired_now)
}
