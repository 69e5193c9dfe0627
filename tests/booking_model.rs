//! Property test: random sequences of create / confirm / cancel / expire / closure against the
//! real store, on SQLite and on PostgreSQL, give the same outcomes and the same final state as a
//! simple in-memory model.

mod common;

use chrono::{Days, NaiveDate};
use common::{Backend, TestDb};
use proptest::prelude::*;
use suiteplan::config::Settings;
use suiteplan::domain::*;
use suiteplan::store::{self, BookingFilter, DynStore, Page, StoreError};

const LINES: i32 = 2;

#[derive(Debug, Clone)]
enum Op {
    Create {
        line: Option<i32>,
        start: u64,
        len: u64,
        confirmed: bool,
    },
    Confirm(usize),
    Cancel(usize),
    Expire(usize),
    Closure {
        line: Option<i32>,
        start: u64,
        len: u64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (prop::option::of(1..=LINES), 0..40u64, 1..10u64, any::<bool>())
            .prop_map(|(line, start, len, confirmed)| Op::Create { line, start, len, confirmed }),
        2 => (0..20usize).prop_map(Op::Confirm),
        2 => (0..20usize).prop_map(Op::Cancel),
        1 => (0..20usize).prop_map(Op::Expire),
        1 => (prop::option::of(1..=LINES), 0..40u64, 1..6u64)
            .prop_map(|(line, start, len)| Op::Closure { line, start, len }),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Outcome {
    Ok(BookingStatus, i32),
    Conflict,
    State,
    Skipped,
}

#[derive(Debug, Clone)]
struct ModelBooking {
    line: i32,
    start: u64,
    end: u64,
    status: BookingStatus,
}

#[derive(Default)]
struct Model {
    bookings: Vec<ModelBooking>,
    closures: Vec<(Option<i32>, u64, u64)>,
}

impl Model {
    fn live(&self, line: i32, start: u64, end: u64) -> bool {
        self.bookings.iter().any(|b| {
            b.line == line
                && matches!(b.status, BookingStatus::Held | BookingStatus::Confirmed)
                && b.start < end
                && start < b.end
        })
    }
    fn closed(&self, line: i32, start: u64, end: u64) -> bool {
        self.closures
            .iter()
            .any(|(l, s, e)| l.is_none_or(|l| l == line) && *s < end && start < *e)
    }
    fn apply(&mut self, op: &Op) -> Outcome {
        match *op {
            Op::Create {
                line,
                start,
                len,
                confirmed,
            } => {
                let end = start + len;
                let candidates: Vec<i32> = match line {
                    Some(l) => vec![l],
                    None => (1..=LINES).collect(),
                };
                for l in candidates {
                    if !self.live(l, start, end) && !self.closed(l, start, end) {
                        let status = if confirmed {
                            BookingStatus::Confirmed
                        } else {
                            BookingStatus::Held
                        };
                        self.bookings.push(ModelBooking {
                            line: l,
                            start,
                            end,
                            status,
                        });
                        return Outcome::Ok(status, l);
                    }
                }
                Outcome::Conflict
            }
            Op::Confirm(i) => match self.bookings.get_mut(i) {
                None => Outcome::Skipped,
                Some(b) => match b.status {
                    BookingStatus::Held | BookingStatus::Confirmed => {
                        b.status = BookingStatus::Confirmed;
                        Outcome::Ok(b.status, b.line)
                    }
                    _ => Outcome::State,
                },
            },
            Op::Cancel(i) => match self.bookings.get_mut(i) {
                None => Outcome::Skipped,
                Some(b) => match b.status {
                    BookingStatus::Expired => Outcome::State,
                    _ => {
                        b.status = BookingStatus::Cancelled;
                        Outcome::Ok(b.status, b.line)
                    }
                },
            },
            Op::Expire(i) => match self.bookings.get_mut(i) {
                Some(b) if b.status == BookingStatus::Held => {
                    b.status = BookingStatus::Expired;
                    Outcome::Ok(b.status, b.line)
                }
                _ => Outcome::Skipped,
            },
            Op::Closure { line, start, len } => {
                let end = start + len;
                let lines: Vec<i32> = line
                    .map(|l| vec![l])
                    .unwrap_or_else(|| (1..=LINES).collect());
                if lines.iter().any(|l| self.live(*l, start, end)) {
                    Outcome::Conflict
                } else {
                    self.closures.push((line, start, end));
                    Outcome::Ok(BookingStatus::Confirmed, 0)
                }
            }
        }
    }
}

fn day(n: u64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2030, 1, 1).unwrap() + Days::new(n)
}

async fn run(backend: Backend, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let db = TestDb::new(backend).await;
    let mut settings = Settings::load(None).unwrap();
    settings.database.url = db.url().to_string();
    let store: DynStore = store::connect(&settings.database).await.unwrap();
    let actor = Actor::system();
    let site = store
        .create_site(
            &actor,
            &NewSite {
                name: "S".into(),
                timezone: "UTC".into(),
            },
        )
        .await
        .unwrap();
    let suite = store
        .create_suite(
            &actor,
            &NewSuite {
                site_id: site.id,
                name: "CT".into(),
                grade: Grade::B,
                capabilities: vec!["autologous".into()],
                lines: LINES as i64,
                available_from: day(0) - Days::new(30),
                available_to: None,
                segregation: Default::default(),
            },
        )
        .await
        .unwrap();
    let client = store
        .create_client(&actor, &NewClient { name: "C".into() })
        .await
        .unwrap();
    let program = store
        .create_program(
            &actor,
            &NewProgram {
                client_id: Some(client.id),
                name: "P".into(),
                modality: "autologous".into(),
                storage: "fresh".into(),
                atmp: true,
                phase: Phase::Phase1,
                required_capabilities: vec!["autologous".into()],
                min_grade: Grade::B,
                batch_days: 5,
                changeover_days: 1,
                earliest_start: None,
                phase_success: None,
                priority: 0,
                allowed_suite_ids: None,
                resource_profile: Vec::new(),
                phase_processes: Vec::new(),
                tech_transfers: Vec::new(),
            },
        )
        .await
        .unwrap();
    let mut model = Model::default();
    let mut ids = Vec::new();
    for op in &ops {
        let expected = model.clone_apply(op);
        let got = match *op {
            Op::Create {
                line,
                start,
                len,
                confirmed,
            } => {
                let now = store::now();
                let input = NewBooking {
                    program_id: program.id,
                    suite_id: suite.id,
                    line: line.map(i64::from),
                    start: day(start),
                    end: day(start + len),
                    status: if confirmed {
                        BookingStatus::Confirmed
                    } else {
                        BookingStatus::Held
                    },
                    kind: Default::default(),
                    hold_expires_at: None,
                    note: None,
                }
                .validate(
                    &BookingRules {
                        hold_ttl_days: 14,
                        client_hold_max_span_days: 180,
                        client_hold_quota_line_days: 730,
                        today: now.date_naive(),
                        now,
                    },
                    false,
                )
                .unwrap();
                let rules = BookingRules {
                    hold_ttl_days: 14,
                    client_hold_max_span_days: 180,
                    client_hold_quota_line_days: 730,
                    today: now.date_naive(),
                    now,
                };
                outcome(
                    store.create_booking(&actor, &input, &rules, None).await,
                    &mut ids,
                )
            }
            Op::Confirm(i) | Op::Cancel(i) | Op::Expire(i) if i >= ids.len() => Outcome::Skipped,
            Op::Confirm(i) => outcome(store.confirm_booking(&actor, ids[i]).await, &mut Vec::new()),
            Op::Cancel(i) => outcome(store.cancel_booking(&actor, ids[i]).await, &mut Vec::new()),
            Op::Expire(i) => {
                let b = store.get_booking(ids[i], None).await.unwrap();
                if b.status != BookingStatus::Held {
                    Outcome::Skipped
                } else {
                    // The hold's expiry instant passes; the sweeper runs.
                    db.execute(
                        "UPDATE bookings SET hold_expires_at = '2000-01-01T00:00:00+00:00' WHERE id = $1",
                        &[ids[i].into()],
                    )
                    .await;
                    store.sweep_holds(3).await.unwrap();
                    let b = store.get_booking(ids[i], None).await.unwrap();
                    Outcome::Ok(b.status, b.line)
                }
            }
            Op::Closure { line, start, len } => {
                let closure = NewClosure {
                    start: day(start),
                    end: day(start + len),
                    reason: "r".into(),
                    lines: line.map(|l| vec![i64::from(l)]),
                    force: false,
                };
                match store.create_closure(&actor, suite.id, &closure).await {
                    Ok(_) => Outcome::Ok(BookingStatus::Confirmed, 0),
                    Err(StoreError::Conflict(_)) => Outcome::Conflict,
                    Err(e) => panic!("unexpected {e}"),
                }
            }
        };
        prop_assert_eq!(got, expected, "op {:?}", op);
    }
    let listed = store
        .list_bookings(
            &BookingFilter::default(),
            None,
            Page {
                limit: 1000,
                after: None,
            },
        )
        .await
        .unwrap();
    let mut by_id: std::collections::HashMap<_, _> =
        listed.items.iter().map(|b| (b.id, b)).collect();
    prop_assert_eq!(by_id.len(), model.bookings.len());
    for (id, m) in ids.iter().zip(&model.bookings) {
        let b = by_id.remove(id).unwrap();
        prop_assert_eq!(
            (b.status, b.line, b.start, b.end),
            (m.status, m.line, day(m.start), day(m.end))
        );
    }
    Ok(())
}

impl Model {
    fn clone_apply(&mut self, op: &Op) -> Outcome {
        // Ops on bookings that do not exist yet are skipped by both sides.
        match op {
            Op::Confirm(i) | Op::Cancel(i) | Op::Expire(i) if *i >= self.bookings.len() => {
                Outcome::Skipped
            }
            _ => self.apply(op),
        }
    }
}

fn outcome(r: Result<Booking, StoreError>, ids: &mut Vec<uuid::Uuid>) -> Outcome {
    match r {
        Ok(b) => {
            ids.push(b.id);
            Outcome::Ok(b.status, b.line)
        }
        Err(StoreError::Conflict(_)) => Outcome::Conflict,
        Err(StoreError::State(_)) => Outcome::State,
        Err(e) => panic!("unexpected store error {e}"),
    }
}

/// The same strategy on both backends, each case on a database of its own. PostgreSQL runs a third
/// of the cases: creating, migrating and dropping its database makes a case take about 0.3 s there
/// on a quiet machine and 0.8 s on a busy one, against about 0.04 s on SQLite.
mod the_store_behaves_like_the_model {
    use super::*;

    const SQLITE_CASES: u32 = 48;
    const PG_CASES: u32 = 16;

    fn check(backend: Backend, ops: Vec<Op>) -> Result<(), TestCaseError> {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(run(backend, ops))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: SQLITE_CASES, ..ProptestConfig::default() })]
        #[test]
        fn sqlite(ops in prop::collection::vec(op(), 1..40)) {
            check(Backend::Sqlite, ops)?;
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: PG_CASES, ..ProptestConfig::default() })]
        #[test]
        fn postgres(ops in prop::collection::vec(op(), 1..40)) {
            check(Backend::Postgres, ops)?;
        }
    }
}
