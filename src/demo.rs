//! `serve --demo`: a believable CDMO with two sites, ten suites and five clients whose forecasts
//! outgrow the autologous capacity within a few years. Seeding twice does not duplicate: the data
//! is created only when the demo site is missing; the demo keys are replaced on every run (a key
//! is shown only once, so old ones cannot be printed again).

use crate::domain::*;
use crate::store::{DynStore, Page, StoreError};
use chrono::{NaiveDate, Utc};

pub struct DemoKeys {
    pub admin: String,
    pub planner: String,
    pub client: String,
    pub client_name: String,
}

const DEMO_SITE: &str = "Leiden";

fn month_start(offset: i32) -> Month {
    let today = Utc::now().date_naive();
    let mut m = Month::of(today);
    for _ in 0..offset {
        m = m.next();
    }
    m
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// (site, name, grade, capabilities, lines, available_from, available_to)
type SuiteSpec = (
    uuid::Uuid,
    &'static str,
    Grade,
    &'static [&'static str],
    i64,
    NaiveDate,
    Option<NaiveDate>,
);

struct ProgramSpec {
    client: usize,
    name: &'static str,
    modality: &'static str,
    phase: Phase,
    caps: &'static [&'static str],
    grade: Grade,
    batch_days: i64,
    changeover: i64,
    priority: i64,
    /// (months from now, phase, batches per month) steps: each holds until the next.
    ramp: &'static [(i32, Phase, i64)],
}

pub async fn seed(
    store: &DynStore,
    bookings: &crate::config::BookingSettings,
) -> Result<DemoKeys, StoreError> {
    let actor = Actor::system();
    let existing = store
        .list_sites(Page {
            limit: 1000,
            after: None,
        })
        .await?;
    let clients = if existing.items.iter().any(|s| s.name == DEMO_SITE) {
        store
            .list_clients(
                None,
                Page {
                    limit: 1000,
                    after: None,
                },
            )
            .await?
            .items
    } else {
        seed_data(store, &actor, bookings).await?
    };
    // Replace the demo keys.
    let keys = store
        .list_api_keys(Page {
            limit: 1000,
            after: None,
        })
        .await?;
    for k in keys.items.iter().filter(|k| k.name.starts_with("demo ")) {
        store.revoke_api_key(&actor, k.id).await?;
    }
    let client = clients
        .iter()
        .find(|c| c.name == "Helix Bio")
        .or(clients.first())
        .cloned()
        .ok_or(StoreError::NotFound)?;
    let make = async |name: &str,
                      role: Role,
                      client_id: Option<uuid::Uuid>|
           -> Result<String, StoreError> {
        let key = generate_api_key();
        let input = NewApiKey {
            name: name.into(),
            role,
            client_id,
        };
        store
            .create_api_key(&actor, &input, &hash_key(&key), &key_prefix(&key))
            .await?;
        Ok(key)
    };
    Ok(DemoKeys {
        admin: make("demo admin", Role::Admin, None).await?,
        planner: make("demo planner", Role::Planner, None).await?,
        client: make("demo client", Role::Client, Some(client.id)).await?,
        client_name: client.name,
    })
}

async fn seed_data(
    store: &DynStore,
    actor: &Actor,
    booking_settings: &crate::config::BookingSettings,
) -> Result<Vec<Client>, StoreError> {
    let invalid = |e: ValidationErrors| StoreError::Validation(e);
    let leiden = store
        .create_site(
            actor,
            &NewSite {
                name: DEMO_SITE.into(),
                timezone: "Europe/Amsterdam".into(),
            },
        )
        .await?;
    let boston = store
        .create_site(
            actor,
            &NewSite {
                name: "Boston".into(),
                timezone: "America/New_York".into(),
            },
        )
        .await?;
    let qualifying = month_start(8).first_day();
    let lease_end = month_start(48).first_day();
    let suites: Vec<SuiteSpec> = vec![
        (
            leiden.id,
            "L-AUTO-1",
            Grade::B,
            &["autologous", "closed_system", "grade_a_bsc"],
            4,
            date(2023, 3, 1),
            None,
        ),
        (
            leiden.id,
            "L-AUTO-2",
            Grade::B,
            &["autologous", "closed_system"],
            3,
            date(2024, 9, 1),
            None,
        ),
        (
            leiden.id,
            "L-ALLO-1",
            Grade::B,
            &["allogeneic", "closed_system"],
            2,
            date(2024, 1, 1),
            None,
        ),
        (
            leiden.id,
            "L-VV-1",
            Grade::B,
            &["viral_vector", "bsl2", "closed_system"],
            2,
            date(2022, 6, 1),
            None,
        ),
        (
            leiden.id,
            "L-VV-2",
            Grade::C,
            &["viral_vector", "bsl2"],
            1,
            qualifying,
            None,
        ),
        (
            leiden.id,
            "L-FF-1",
            Grade::A,
            &["fill_finish", "isolator"],
            1,
            date(2023, 1, 1),
            None,
        ),
        (
            leiden.id,
            "L-PD-1",
            Grade::C,
            &["pd_lab", "autologous", "allogeneic"],
            2,
            date(2021, 1, 1),
            None,
        ),
        (
            boston.id,
            "B-AUTO-1",
            Grade::B,
            &["autologous", "closed_system"],
            3,
            date(2025, 2, 1),
            None,
        ),
        (
            boston.id,
            "B-ALLO-1",
            Grade::B,
            &["allogeneic", "closed_system"],
            2,
            date(2025, 2, 1),
            None,
        ),
        (
            boston.id,
            "B-VV-1",
            Grade::B,
            &["viral_vector", "bsl2"],
            2,
            date(2024, 5, 1),
            Some(lease_end),
        ),
    ];
    let mut suite_ids = Vec::new();
    for (site_id, name, grade, caps, lines, from, to) in suites {
        let input = NewSuite {
            site_id,
            name: name.into(),
            grade,
            capabilities: caps.iter().map(|c| c.to_string()).collect(),
            lines,
            available_from: from,
            available_to: to,
            // The viral-vector suite L-VV-1 makes one vector at a time.
            segregation: if name == "L-VV-1" {
                Segregation::SameProgram
            } else {
                Segregation::Any
            },
        }
        .validate()
        .map_err(invalid)?;
        suite_ids.push(store.create_suite(actor, &input).await?.id);
    }
    // Planned shutdowns: the yearly requalification of L-AUTO-2 (all lines, 3 days) and a media
    // fill on one line of L-AUTO-1.
    for (suite, months, days, lines, reason) in [
        (1usize, 5, 3, None, "annual shutdown and requalification"),
        (
            0usize,
            2,
            2,
            Some(vec![2]),
            "aseptic process simulation (media fill)",
        ),
        (1usize, 17, 3, None, "annual shutdown and requalification"),
    ] {
        let start = month_start(months).first_day() + chrono::Days::new(9);
        let closure = NewClosure {
            start,
            end: start + chrono::Days::new(days),
            reason: reason.into(),
            lines,
            force: true,
        };
        store
            .create_closure(actor, suite_ids[suite], &closure)
            .await?;
    }

    let client_names = [
        "Helix Bio",
        "Northwind Therapeutics",
        "Aurora Cell",
        "Veritas Gene",
        "Lumen Oncology",
    ];
    let mut clients = Vec::new();
    for name in client_names {
        clients.push(
            store
                .create_client(actor, &NewClient { name: name.into() })
                .await?,
        );
    }
    use Phase::*;
    let programs = [
        ProgramSpec {
            client: 0,
            name: "HLX-19 (CD19 CAR-T)",
            modality: "autologous",
            phase: Commercial,
            caps: &["autologous", "closed_system"],
            grade: Grade::B,
            batch_days: 14,
            changeover: 2,
            priority: 5,
            ramp: &[
                (0, Commercial, 6),
                (12, Commercial, 9),
                (24, Commercial, 12),
                (36, Commercial, 14),
            ],
        },
        ProgramSpec {
            client: 0,
            name: "HLX-BCMA",
            modality: "autologous",
            phase: Phase1,
            caps: &["autologous", "closed_system"],
            grade: Grade::B,
            batch_days: 12,
            changeover: 2,
            priority: 0,
            ramp: &[(2, Phase1, 1), (14, Phase2, 3), (32, Commercial, 6)],
        },
        ProgramSpec {
            client: 1,
            name: "NW-CAR22",
            modality: "autologous",
            phase: Phase2,
            caps: &["autologous", "closed_system"],
            grade: Grade::B,
            batch_days: 16,
            changeover: 2,
            priority: 0,
            ramp: &[(0, Phase2, 3), (10, Phase3, 6), (30, Commercial, 12)],
        },
        ProgramSpec {
            client: 2,
            name: "AUR-NK7 (allogeneic NK)",
            modality: "allogeneic",
            phase: Phase1,
            caps: &["allogeneic"],
            grade: Grade::B,
            batch_days: 21,
            changeover: 3,
            priority: 0,
            ramp: &[(1, Phase1, 1), (9, Phase2, 2), (27, Phase3, 3)],
        },
        ProgramSpec {
            client: 3,
            name: "VG-AAV9 (vector)",
            modality: "viral_vector",
            phase: Phase3,
            caps: &["viral_vector", "bsl2"],
            grade: Grade::B,
            batch_days: 18,
            changeover: 4,
            priority: 0,
            ramp: &[(0, Phase3, 2), (14, Commercial, 4), (30, Commercial, 6)],
        },
        ProgramSpec {
            client: 3,
            name: "VG-AAV9 fill/finish",
            modality: "other",
            phase: Phase3,
            caps: &["fill_finish"],
            grade: Grade::A,
            batch_days: 3,
            changeover: 1,
            priority: 0,
            ramp: &[(1, Phase3, 2), (15, Commercial, 4), (31, Commercial, 6)],
        },
        ProgramSpec {
            client: 4,
            name: "LUM-TIL1",
            modality: "autologous",
            phase: Preclinical,
            caps: &["autologous"],
            grade: Grade::B,
            batch_days: 22,
            changeover: 2,
            priority: 0,
            ramp: &[(0, Preclinical, 1), (6, Phase1, 2), (24, Phase2, 4)],
        },
    ];
    let mut program_ids = Vec::new();
    for spec in programs {
        let input = NewProgram {
            client_id: Some(clients[spec.client].id),
            name: spec.name.into(),
            modality: spec.modality.into(),
            storage: if spec.modality == "autologous" {
                "fresh".into()
            } else {
                "frozen".into()
            },
            atmp: true,
            phase: spec.phase,
            required_capabilities: spec.caps.iter().map(|c| c.to_string()).collect(),
            min_grade: spec.grade,
            batch_days: spec.batch_days,
            changeover_days: spec.changeover,
            earliest_start: None,
            phase_success: None,
            priority: spec.priority,
            // Lumen's process is being transferred to Leiden's autologous suites only.
            allowed_suite_ids: (spec.name == "LUM-TIL1").then(|| suite_ids[..2].to_vec()),
            resource_profile: profile(spec.modality, spec.batch_days),
            phase_processes: Vec::new(),
            tech_transfers: road(spec.name, leiden.id),
        }
        .validate()
        .map_err(invalid)?;
        let program = store.create_program(actor, &input).await?;
        program_ids.push(program.id);
        let mut entries = Vec::new();
        for (i, step) in spec.ramp.iter().enumerate() {
            let until = spec.ramp.get(i + 1).map(|s| s.0).unwrap_or(60);
            for offset in step.0..until {
                let month = month_start(offset);
                // A little seasonality so charts are not flat: fewer batches in August.
                let batches = if month.month() == 8 {
                    (step.2 - 1).max(0)
                } else {
                    step.2
                };
                entries.push(ForecastEntry {
                    month,
                    phase: step.1,
                    batches,
                });
            }
        }
        store.put_forecast(actor, program.id, &entries).await?;
    }
    seed_pools(store, actor, leiden.id, boston.id).await?;
    seed_bookings(
        store,
        actor,
        &booking_settings.rules(),
        &suite_ids,
        &program_ids,
    )
    .await?;
    seed_selling(
        store,
        actor,
        (leiden.id, boston.id),
        &suite_ids,
        &clients,
        &program_ids,
    )
    .await?;
    // A plan of the next 30 months if every program succeeds (the planner's question "when do
    // we run out?"): made by the plan worker as soon as the service runs, it finds the
    // autologous shortfall and advises lines.
    let plan = NewPlan {
        from: month_start(0).first_day(),
        to: month_start(30).first_day(),
        scenario: Scenario::Maximum,
        program_ids: None,
        time_limit_s: Some(20.0),
        sandbox_id: None,
    };
    store.create_plan(actor, &plan).await?;
    Ok(clients)
}

/// What the CDMO sells and how: rate cards for both sites (Leiden in euros, Boston in dollars:
/// a line-day by suite class, activities at their own rate, consumables passed through per
/// batch), and line 3 of B-AUTO-1 dedicated to Helix Bio from month 6 (its own isolator, hosted
/// in Boston). (L-VV-1 is made `same_program` with the suites.)
async fn seed_selling(
    store: &DynStore,
    actor: &Actor,
    (leiden, boston): (uuid::Uuid, uuid::Uuid),
    suites: &[uuid::Uuid],
    clients: &[Client],
    programs: &[uuid::Uuid],
) -> Result<(), StoreError> {
    let card = |json: serde_json::Value| -> Result<RateCard, StoreError> {
        serde_json::from_value::<RateCard>(json)
            .map_err(|e| StoreError::invalid("/rate_card", &e.to_string()))?
            .validate()
            .map_err(StoreError::Validation)
    };
    let leiden_card = card(serde_json::json!({
        "currency": "EUR",
        "line_day": [
            {"price": "3200.00"},
            {"capabilities": ["viral_vector"], "grade": "B", "price": "4100.00"},
            {"capabilities": ["fill_finish"], "price": "5200.00"},
            {"kind": "tech_transfer", "price": "2500.00"},
            {"kind": "engineering_run", "price": "2800.00"},
        ],
        "consumables": [
            {"program_id": programs[0], "per_batch": "18500.00"},
            {"program_id": programs[1], "per_batch": "21000.00"},
            {"program_id": programs[2], "per_batch": "16400.00"},
            {"program_id": programs[4], "per_batch": "62000.00"},
            {"program_id": programs[6], "per_batch": "14800.00"},
        ],
    }))?;
    store.put_rate_card(actor, leiden, &leiden_card).await?;
    let boston_card = card(serde_json::json!({
        "currency": "USD",
        "line_day": [
            {"price": "3650.00"},
            {"capabilities": ["viral_vector"], "price": "4700.00"},
        ],
        "consumables": [
            {"program_id": programs[0], "per_batch": "21000.00"},
            {"program_id": programs[3], "per_batch": "9800.00"},
        ],
    }))?;
    store.put_rate_card(actor, boston, &boston_card).await?;
    // Helix Bio's own isolator on B-AUTO-1 (index 6) line 3.
    let dedication = NewDedication {
        line: 3,
        client_id: clients[0].id,
        start: month_start(6).first_day(),
        end: None,
        note: Some("Helix Bio's own closed-system isolator, hosted in Boston".into()),
    };
    store
        .create_dedication(actor, suites[6], &dedication)
        .await?;
    Ok(())
}

/// Lumen's road to its first GMP batch at Leiden, a new client in tech transfer: 30 days of
/// transfer (an operator learning the process in its first week), then two engineering runs.
/// The transfer and the first run are booked (`seed_bookings`); the planner schedules the second,
/// and Lumen's demand before it has ended is short with reason `tech_transfer`.
fn road(program: &str, leiden: uuid::Uuid) -> Vec<TechTransfer> {
    if program != "LUM-TIL1" {
        return Vec::new();
    }
    vec![TechTransfer {
        site_id: leiden,
        days: 30,
        engineering_runs: 2,
        required_capabilities: None,
        resource_profile: vec![ResourceNeed {
            tag: "autologous-operator".into(),
            amount: 1,
            days: (0..5).collect(),
        }],
        completed: false,
    }]
}

/// What one batch takes from the pools: autologous processes need two operators to receive and
/// activate the cells and transduce (days 0–2), one to feed (day 7) and one to harvest (last
/// day); every product needs QC release testing after the batch (three analyst-days).
fn profile(modality: &str, batch_days: i64) -> Vec<ResourceNeed> {
    let day = |d: i64| u16::try_from(d).unwrap_or(MAX_OFFSET).min(MAX_OFFSET);
    let need = |tag: &str, amount: i64, days: Vec<u16>| ResourceNeed {
        tag: tag.into(),
        amount,
        days,
    };
    let mut needs = Vec::new();
    if modality == "autologous" {
        needs.push(need("autologous-operator", 2, vec![0, 1, 2]));
        needs.push(need("autologous-operator", 1, vec![7, day(batch_days - 1)]));
    }
    needs.push(need(
        "qc-release",
        1,
        vec![
            day(batch_days + 1),
            day(batch_days + 4),
            day(batch_days + 8),
        ],
    ));
    needs
}

/// Leiden's autologous operators (five, on every day; three while new hires qualify in months
/// 3–8, six once they have), Leiden's QC release lab (three analysts, every day) and Boston's
/// operators (three, on weekdays): the operators, not the suites, bind in the months of training.
async fn seed_pools(
    store: &DynStore,
    actor: &Actor,
    leiden: uuid::Uuid,
    boston: uuid::Uuid,
) -> Result<(), StoreError> {
    let training = month_start(3).first_day();
    let qualified = month_start(9).first_day();
    let pools = [
        NewPool {
            site_id: leiden,
            name: "Leiden autologous operators".into(),
            kind: PoolKind::Staff,
            tag: "autologous-operator".into(),
            capacity: 5,
            weekdays: None,
            exceptions: vec![
                PoolException {
                    start: training,
                    end: Some(qualified),
                    capacity: 3,
                    reason: Some("two operators in GMP training (new hires qualifying)".into()),
                },
                PoolException {
                    start: qualified,
                    end: None,
                    capacity: 6,
                    reason: Some("new hires qualified".into()),
                },
            ],
        },
        NewPool {
            site_id: leiden,
            name: "Leiden QC release".into(),
            kind: PoolKind::Qc,
            tag: "qc-release".into(),
            capacity: 3,
            weekdays: None,
            exceptions: Vec::new(),
        },
        NewPool {
            site_id: boston,
            name: "Boston autologous operators".into(),
            kind: PoolKind::Staff,
            tag: "autologous-operator".into(),
            capacity: 3,
            weekdays: Some(vec![
                WeekDay::Mon,
                WeekDay::Tue,
                WeekDay::Wed,
                WeekDay::Thu,
                WeekDay::Fri,
            ]),
            exceptions: Vec::new(),
        },
    ];
    for pool in pools {
        let pool = pool.validate().map_err(StoreError::Validation)?;
        store.create_pool(actor, &pool).await?;
    }
    Ok(())
}

/// The calendar of the next months: confirmed batches running, holds waiting for confirmation,
/// and Lumen's road to its first batch (a tech transfer, then an engineering run).
async fn seed_bookings(
    store: &DynStore,
    actor: &Actor,
    rules: &BookingRules,
    suites: &[uuid::Uuid],
    programs: &[uuid::Uuid],
) -> Result<(), StoreError> {
    use BookingKind::*;
    use BookingStatus::{Confirmed, Held};
    let (now, today) = (rules.now, rules.today);
    // (program, suite, line, first day from today, days, status, kind); programs and suites
    // are indices into seed_data's lists. Each lasts its batch plus changeover.
    let plan: [(usize, usize, i64, u64, u64, BookingStatus, BookingKind); 17] = [
        (0, 0, 1, 3, 16, Confirmed, GmpBatch),
        (0, 0, 1, 19, 16, Confirmed, GmpBatch),
        (0, 0, 1, 35, 16, Held, GmpBatch),
        (0, 0, 2, 5, 16, Confirmed, GmpBatch),
        (0, 0, 3, 8, 16, Confirmed, GmpBatch),
        (0, 0, 3, 24, 16, Held, GmpBatch),
        (1, 0, 4, 60, 14, Held, GmpBatch),
        (2, 1, 1, 2, 18, Confirmed, GmpBatch),
        (2, 1, 1, 20, 18, Confirmed, GmpBatch),
        (2, 1, 1, 38, 18, Held, GmpBatch),
        (2, 1, 2, 280, 18, Held, Ppq),
        (6, 1, 3, 10, 30, Confirmed, TechTransfer),
        (6, 1, 3, 45, 24, Held, EngineeringRun),
        (3, 2, 1, 35, 24, Held, GmpBatch),
        (4, 3, 1, 1, 22, Confirmed, GmpBatch),
        (4, 3, 2, 12, 22, Confirmed, GmpBatch),
        (5, 5, 1, 30, 4, Confirmed, GmpBatch),
    ];
    for (program, suite, line, from, days, status, kind) in plan {
        let start = today + chrono::Days::new(from);
        let input = NewBooking {
            program_id: programs[program],
            suite_id: suites[suite],
            line: Some(line),
            start,
            end: start + chrono::Days::new(days),
            status,
            kind,
            // Demo holds outlast the default fortnight, so that the picture keeps them a while.
            hold_expires_at: (status == Held).then(|| now + chrono::Duration::days(60)),
            note: None,
        }
        .validate(rules, false)
        .map_err(StoreError::Validation)?;
        store.create_booking(actor, &input, rules, None).await?;
    }
    Ok(())
}
