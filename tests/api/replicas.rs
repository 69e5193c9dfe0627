//! Several replicas on one PostgreSQL: the service keeps no state of its own, so two servers on
//! one database must behave as one.

use crate::bookings::{booking, world};
use crate::helpers::*;
use crate::plans::{suggestions, wait_done};
use crate::webhooks::{receiver, signed_by, subscribe, Hit, FAIL_FIRST};
use chrono::NaiveDate;
use serde_json::{json, Value};
use solver_models::generate::{generate, GenSpec};
use solver_models::plan::{Plan, SolverStatus};
use solver_models::Instance;
use std::collections::{HashMap, HashSet};
use std::process::Command;
use std::time::{Duration, Instant};

// 64 overlapping bookings raced across two servers (the real binary, twice, on one database)
// never overlap on a line: every answer is 201, 409 or 503, every 201 is stored, and no two
// live bookings on a line share a day.
#[tokio::test]
async fn sixty_four_bookings_raced_across_two_replicas_never_overlap() {
    // Replica one (its TestApp owns the database); replica two on the same database and key.
    let app = TestApp::spawn_binary_with(Backend::Postgres, |_| {}).await;
    let two = spawn_binary(|cmd| {
        cmd.args(["--database-url", app.db.url()])
            .env("SUITEPLAN__AUTH__BOOTSTRAP_ADMIN_KEY", &app.admin_key);
    })
    .await;
    let w = world(&app, 3).await;
    let bases = [app.base.clone(), two.base()];
    let http = reqwest::Client::new();
    let day0: NaiveDate = "2031-01-01".parse().unwrap();
    let mut tasks = Vec::new();
    for i in 0..64u64 {
        let http = http.clone();
        let base = bases[(i % 2) as usize].clone();
        let key = w.planner_key.clone();
        let s = day0 + chrono::Days::new((i % 16) * 2);
        let e = s + chrono::Days::new(8);
        let line = if i % 2 == 0 {
            Some(((i / 2) % 3 + 1) as i64)
        } else {
            None
        };
        let body = booking(&w, line, &s.to_string(), &e.to_string(), "confirmed");
        tasks.push(tokio::spawn(async move {
            let r = http
                .post(format!("{base}/v1/bookings"))
                .bearer_auth(key)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let body: serde_json::Value = r.json().await.unwrap();
            (status, body)
        }));
    }
    let mut created = HashSet::new();
    for t in tasks {
        let (status, body) = t.await.unwrap();
        assert!(matches!(status, 201 | 409 | 503), "status {status}: {body}");
        if status == 201 {
            created.insert(body["id"].as_str().unwrap().to_string());
        }
    }
    assert!(created.len() >= 3, "some requests must win: {created:?}");
    for base in &bases {
        let listed: serde_json::Value = http
            .get(format!("{base}/v1/bookings?limit=1000"))
            .bearer_auth(&w.planner_key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let items = listed["items"].as_array().unwrap();
        let stored: HashSet<String> = items
            .iter()
            .map(|b| b["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(stored, created, "every 201, and only those, from {base}");
        for (i, a) in items.iter().enumerate() {
            for b in &items[i + 1..] {
                let overlap = a["line"] == b["line"]
                    && a["start"].as_str() < b["end"].as_str()
                    && b["start"].as_str() < a["end"].as_str();
                assert!(!overlap, "{a} overlaps {b}");
            }
        }
    }
    drop(two);
}

// ---------------------------------------------------------------------------------------------
// Plans: one worker at a time, and a plan outlives the replica solving it.

/// Both replicas in the plan tests: 3 s leases on plans, renewed every second.
fn short_plan_lease(cmd: &mut Command) {
    cmd.env("SUITEPLAN__PLANNING__LEASE_S", "3");
}

/// Another replica (the real binary) on `app`'s database, with its admin key.
pub async fn replica(app: &TestApp, tweak: impl FnOnce(&mut Command)) -> Binary {
    spawn_binary(|cmd| {
        cmd.args(["--database-url", app.db.url()])
            .env("SUITEPLAN__AUTH__BOOTSTRAP_ADMIN_KEY", &app.admin_key);
        tweak(cmd);
    })
    .await
}

/// Enters a generated instance through the API — sites, suites, closures, one client, programs
/// with their forecasts, bookings (all confirmed) — and returns it keyed by the service's ids,
/// for the independent feasibility checker.
pub async fn load_instance(app: &TestApp, mut inst: Instance) -> Instance {
    let k = app.admin_key.clone();
    let mut sites: HashMap<String, Value> = HashMap::new();
    let mut suite_ids: HashMap<String, String> = HashMap::new();
    for s in &mut inst.suites {
        let site = s.site.clone().unwrap_or_else(|| "Leiden".into());
        if !sites.contains_key(&site) {
            let created = app.site(&site).await;
            sites.insert(site.clone(), created["id"].clone());
        }
        let created = app
            .post(
                "/v1/suites",
                &k,
                json!({"site_id": sites[&site], "name": s.name, "grade": s.grade,
                       "capabilities": s.capabilities, "lines": s.lines,
                       "available_from": s.available_from, "available_to": s.available_to}),
            )
            .await
            .expect(201);
        let id = created["id"].as_str().unwrap().to_string();
        for c in &s.closures {
            app.post(
                &format!("/v1/suites/{id}/closures"),
                &k,
                json!({"start": c.start, "end": c.end, "reason": "requalification", "lines": c.lines}),
            )
            .await
            .expect(201);
        }
        suite_ids.insert(s.name.clone(), id.clone());
        s.id = Some(id);
    }
    let client = app.client("Generated Bio").await;
    let mut program_ids: HashMap<String, String> = HashMap::new();
    for p in &mut inst.programs {
        let allowed: Option<Vec<&String>> = p
            .allowed_suites
            .as_ref()
            .map(|names| names.iter().map(|n| &suite_ids[n]).collect());
        let created = app
            .post(
                "/v1/programs",
                &k,
                json!({"client_id": client["id"], "name": p.name, "modality": "other",
                       "storage": "fresh", "atmp": true, "phase": p.phase,
                       "required_capabilities": p.required_capabilities, "min_grade": p.min_grade,
                       "batch_days": p.batch_days, "changeover_days": p.changeover_days,
                       "earliest_start": p.earliest_start, "priority": p.priority,
                       "allowed_suite_ids": allowed}),
            )
            .await
            .expect(201);
        let id = created["id"].as_str().unwrap().to_string();
        app.put(
            &format!("/v1/programs/{id}/forecast"),
            &k,
            json!({"entries": p.forecast}),
        )
        .await
        .expect(200);
        program_ids.insert(p.name.clone(), id.clone());
        p.id = Some(id);
    }
    for b in &inst.bookings {
        let program = b.program.as_ref().map(|n| program_ids[n].clone());
        app.post(
            "/v1/bookings",
            &k,
            json!({"program_id": program, "suite_id": suite_ids[&b.suite], "line": b.line,
                   "start": b.start, "end": b.end, "status": "confirmed",
                   "hold_expires_at": null, "note": null}),
        )
        .await
        .expect(201);
    }
    inst
}

/// A plan of the generated instance that keeps the solver busy for `seconds` (the MILP of
/// `scale-2` does not close its gap within them).
async fn start_plan(app: &TestApp, inst: &Instance, seconds: u32) -> String {
    let queued = app
        .post(
            "/v1/plans",
            &app.admin_key,
            json!({"from": inst.from, "to": inst.to, "scenario": "maximum",
                   "program_ids": null, "time_limit_s": seconds}),
        )
        .await
        .expect(202);
    queued["id"].as_str().unwrap().to_string()
}

/// A plan's row as the workers see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Lease {
    pub status: String,
    pub owner: Option<String>,
    pub attempts: i64,
    pub progress: Option<String>,
}

impl Lease {
    /// The process id in a worker's owner name (`worker-PID-UUID`).
    pub fn pid(&self) -> Option<u32> {
        self.owner.as_deref()?.split('-').nth(1)?.parse().ok()
    }
    /// Claimed and past the start: the solver has reported progress.
    pub fn solving(&self) -> bool {
        self.status == "running"
            && self
                .progress
                .as_deref()
                .is_some_and(|p| p != "starting" && p != "writing results")
    }
}

pub async fn lease(app: &TestApp, plan: &str) -> Lease {
    type Row = (String, Option<String>, i64, Option<String>);
    let id: uuid::Uuid = plan.parse().unwrap();
    let rows: Vec<Row> = app
        .db
        .fetch_all(
            "SELECT status, lease_owner, CAST(attempts AS BIGINT), progress FROM plans WHERE id = $1",
            &[id.into()],
        )
        .await;
    let (status, owner, attempts, progress) = rows.into_iter().next().expect("the plan exists");
    Lease {
        status,
        owner,
        attempts,
        progress,
    }
}

/// Waits (at most `within`) until the plan's row satisfies `ok`.
pub async fn wait_lease(
    app: &TestApp,
    plan: &str,
    within: Duration,
    what: &str,
    ok: impl Fn(&Lease) -> bool,
) -> Lease {
    let started = Instant::now();
    loop {
        let l = lease(app, plan).await;
        if ok(&l) {
            return l;
        }
        assert!(
            started.elapsed() < within,
            "{what} within {within:?}: {l:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The finished plan against the instance it was made from: the independent checker finds no
/// suggestion off an open line, over a booking, a closure or another suggestion, nor more
/// served than demanded; and the plan serves at least what greedy would.
pub fn assert_feasible(inst: &Instance, plan: &Value) {
    let obj = &plan["objective"];
    let suggestions = suggestions(plan);
    assert!(
        !suggestions.is_empty(),
        "the plan suggests something: {plan}"
    );
    let checked = Plan {
        status: SolverStatus::Feasible,
        seconds: 0.0,
        gap: 0.0,
        served_weighted: obj["served_weighted"].as_f64().unwrap(),
        demand_weighted: obj["demand_weighted"].as_f64().unwrap(),
        bound_weighted: obj["bound_weighted"].as_f64().unwrap(),
        served_batches: obj["served_batches"].as_u64().unwrap() as u32,
        demand_batches: obj["demand_batches"].as_u64().unwrap() as u32,
        greedy_served_weighted: 0.0,
        suggestions,
        shortfalls: vec![],
        utilization: vec![],
        expansion: vec![],
        binding: vec![],
        pool_utilization: vec![],
        pool_binding: vec![],
        pool_expansion: vec![],
    };
    let violations = solver_models::check::check_plan(inst, &checked);
    assert!(violations.is_empty(), "{violations:#?}");
}

/// Reads the row until the plan is solving, then watches it for longer than a lease: one
/// replica holds it all along (renewing), the other never takes it. Returns the owner.
async fn claimed_by_one(app: &TestApp, plan: &str, pids: [u32; 2]) -> Lease {
    let claimed = wait_lease(
        app,
        plan,
        Duration::from_secs(20),
        "solving",
        Lease::solving,
    )
    .await;
    assert_eq!(claimed.attempts, 1, "{claimed:?}");
    let owner = claimed.pid().expect("a worker-PID-UUID owner");
    assert!(pids.contains(&owner), "owner {owner} is one of {pids:?}");
    let watched = Instant::now();
    while watched.elapsed() < Duration::from_secs(4) {
        let now = lease(app, plan).await;
        assert_eq!(
            (now.status.as_str(), &now.owner, now.attempts),
            ("running", &claimed.owner, 1),
            "the plan stays with the replica solving it: {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    claimed
}

// Two replicas on one database, a plan that keeps the solver busy for 8 s: exactly one replica
// claims it and keeps it (its lease renewed, the other replica never taking it, for longer than
// a lease); SIGKILLed mid-solve, it leaves the plan to the other replica, which claims it once
// the lease has run out (attempt 2) and finishes it: done, one `plan.completed`, and
// suggestions the independent checker finds feasible against the bookings, closures and each
// other.
#[tokio::test]
async fn a_plan_whose_replica_is_killed_mid_solve_is_finished_by_the_other() {
    let mut app = TestApp::spawn_binary_with(Backend::Postgres, short_plan_lease).await;
    let mut two = replica(&app, short_plan_lease).await;
    let inst = load_instance(&app, generate(&GenSpec::scaled(2, 1))).await;
    let id = start_plan(&app, &inst, 8).await;
    let pids = [app.server().pid(), two.pid()];
    let first = claimed_by_one(&app, &id, pids).await;

    let killed = first.pid().unwrap();
    if killed == pids[0] {
        app.server().kill().expect("kill -9");
        app.base = two.base();
    } else {
        two.kill().expect("kill -9");
    }
    let survivor = pids.into_iter().find(|p| *p != killed).unwrap();
    let taken = wait_lease(
        &app,
        &id,
        Duration::from_secs(10),
        "the survivor claims the plan",
        |l| l.pid() == Some(survivor) || l.status != "running",
    )
    .await;
    assert_eq!(taken.attempts, 2, "claimed again, once: {taken:?}");
    let plan = wait_done(&app, &id).await;
    assert_eq!(lease(&app, &id).await.attempts, 2);
    assert_feasible(&inst, &plan);
    assert_eq!(app.events("plan.completed").await.len(), 1);
}

// A replica frozen mid-solve (SIGSTOP: a long GC-like stall, a paused VM) loses its plan to the
// other replica once its lease runs out. When it wakes (SIGCONT), still solving, it finds the
// lease gone and drops its work: it writes no row and does not finish the plan; the plan is the
// other replica's, feasible, finished once.
#[tokio::test]
async fn a_replica_that_lost_its_plan_while_frozen_writes_nothing_when_it_wakes() {
    let mut app = TestApp::spawn_binary_with(Backend::Postgres, short_plan_lease).await;
    let two = replica(&app, short_plan_lease).await;
    let inst = load_instance(&app, generate(&GenSpec::scaled(2, 1))).await;
    let id = start_plan(&app, &inst, 8).await;
    let pids = [app.server().pid(), two.pid()];
    let first = claimed_by_one(&app, &id, pids).await;

    let frozen_pid = first.pid().unwrap();
    let frozen: &Binary = if frozen_pid == pids[0] {
        app.server()
    } else {
        &two
    };
    frozen.signal("STOP");
    let survivor = pids.into_iter().find(|p| *p != frozen_pid).unwrap();
    let survivor_base = if frozen_pid == pids[0] {
        two.base()
    } else {
        app.base.clone()
    };
    let taken = wait_lease(
        &app,
        &id,
        Duration::from_secs(10),
        "the other replica takes the plan over",
        |l| l.pid() == Some(survivor),
    )
    .await;
    assert_eq!(taken.attempts, 2, "{taken:?}");
    // Wake the frozen one while the other is solving.
    let frozen: &Binary = if frozen_pid == pids[0] {
        app.server()
    } else {
        &two
    };
    frozen.signal("CONT");
    let noticed = Instant::now();
    loop {
        let tail = frozen.stderr_tail().join("\n");
        if tail.contains("plan lease lost") {
            break;
        }
        assert!(
            noticed.elapsed() < Duration::from_secs(15),
            "the woken replica notices it lost the plan; its log ends:\n{tail}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.base = survivor_base;
    let plan = wait_done(&app, &id).await;
    let row = lease(&app, &id).await;
    assert_eq!((row.status.as_str(), row.attempts), ("done", 2), "{row:?}");
    assert_feasible(&inst, &plan);
    assert_eq!(app.events("plan.completed").await.len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Webhooks: two dispatchers on one outbox.

/// Loopback receivers allowed; "1,1": three attempts at most.
fn loopback_webhooks(cmd: &mut Command) {
    cmd.env("SUITEPLAN__WEBHOOKS__ALLOW_PRIVATE_TARGETS", "true")
        .env("SUITEPLAN__WEBHOOKS__RETRY_SCHEDULE", "1,1");
}

/// One outcome's count of `suiteplan_webhook_attempts_total` on a replica's `/metrics`.
async fn attempts_made(http: &reqwest::Client, base: &str, outcome: &str) -> u64 {
    let text = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line = format!("suiteplan_webhook_attempts_total{{outcome=\"{outcome}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&line)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no `{line}` in {base}/metrics"))
}

/// Waits (bounded) until every delivery of the subscription is `delivered`; returns them.
async fn all_delivered(app: &TestApp, hook: &Value, n: usize) -> Vec<Value> {
    let path = format!(
        "/v1/webhooks/{}/deliveries?limit=1000",
        hook["id"].as_str().unwrap()
    );
    let started = Instant::now();
    loop {
        let listed = app.get(&path, &app.admin_key).await.expect(200);
        let items = listed["items"].as_array().unwrap().clone();
        if items.len() == n && items.iter().all(|d| d["status"] == "delivered") {
            return items;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{n} deliveries delivered within 20 s: {items:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Requests per `webhook-id`, each with a valid signature.
fn per_event(hits: &[Hit], secret: &str) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for hit in hits {
        assert!(signed_by(hit, secret), "signature verifies: {hit:?}");
        *counts.entry(hit.id.clone()).or_default() += 1;
    }
    counts
}

// Two replicas, so two dispatchers, on one outbox; 40 bookings made through both; two
// subscriptions with real receivers: a healthy one, and one that fails the first attempt of
// every event ("1,1": three attempts allowed). Every event reaches each receiver, signed: the
// healthy one exactly once, the other exactly twice (the failure and the retry), never more;
// the deliveries say attempt 1 and 2; and the attempts the two processes counted add up to
// exactly what the receivers saw — no event was sent by both dispatchers.
#[tokio::test]
async fn two_dispatchers_deliver_each_event_to_each_subscription_once() {
    let app = TestApp::spawn_binary_with(Backend::Postgres, loopback_webhooks).await;
    let two = replica(&app, loopback_webhooks).await;
    let w = world(&app, 4).await;
    let healthy = receiver(&[], 200).await;
    let flaky = receiver(&[], FAIL_FIRST).await;
    let events = json!(["booking.held"]);
    let h_healthy = subscribe(&app, &w.planner_key, &healthy.url, events.clone()).await;
    let h_flaky = subscribe(&app, &w.planner_key, &flaky.url, events).await;

    let bases = [app.base.clone(), two.base()];
    let http = reqwest::Client::new();
    let day0: NaiveDate = "2031-01-01".parse().unwrap();
    let mut tasks = Vec::new();
    for i in 0..40u64 {
        let (http, key) = (http.clone(), w.planner_key.clone());
        let base = bases[(i % 2) as usize].clone();
        let start = day0 + chrono::Days::new(i * 3);
        let end = start + chrono::Days::new(2);
        let body = booking(&w, None, &start.to_string(), &end.to_string(), "held");
        tasks.push(tokio::spawn(async move {
            // Spread over about two seconds, so that both dispatchers see events arrive.
            tokio::time::sleep(Duration::from_millis(i * 50)).await;
            let r = http
                .post(format!("{base}/v1/bookings"))
                .bearer_auth(key)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 201);
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let ids: HashSet<String> = app
        .db
        .fetch_all::<(uuid::Uuid,)>("SELECT id FROM events WHERE type = 'booking.held'", &[])
        .await
        .into_iter()
        .map(|(id,)| id.to_string())
        .collect();
    assert_eq!(ids.len(), 40);

    let healthy_deliveries = all_delivered(&app, &h_healthy, 40).await;
    let flaky_deliveries = all_delivered(&app, &h_flaky, 40).await;
    // Every delivery is recorded as delivered, so no dispatcher will claim one again; a
    // duplicate already claimed would still be on its way: give it a moment to land.
    tokio::time::sleep(Duration::from_secs(1)).await;

    let healthy_hits = per_event(&healthy.hits(), h_healthy["secret"].as_str().unwrap());
    let flaky_hits = per_event(&flaky.hits(), h_flaky["secret"].as_str().unwrap());
    assert_eq!(healthy_hits.keys().cloned().collect::<HashSet<_>>(), ids);
    assert_eq!(flaky_hits.keys().cloned().collect::<HashSet<_>>(), ids);
    let twice: Vec<_> = healthy_hits.iter().filter(|(_, n)| **n != 1).collect();
    assert!(
        twice.is_empty(),
        "the healthy receiver got these more than once: {twice:?}"
    );
    let odd: Vec<_> = flaky_hits.iter().filter(|(_, n)| **n != 2).collect();
    assert!(
        odd.is_empty(),
        "fail-first receiver: one failure and one retry each: {odd:?}"
    );
    assert!(
        healthy_deliveries.iter().all(|d| d["attempt"] == 1),
        "{healthy_deliveries:?}"
    );
    assert!(
        flaky_deliveries.iter().all(|d| d["attempt"] == 2),
        "{flaky_deliveries:?}"
    );

    let mut delivered = 0;
    let mut failed = 0;
    let mut by_replica = Vec::new();
    for base in &bases {
        let d = attempts_made(&http, base, "delivered").await;
        let f = attempts_made(&http, base, "failed").await;
        by_replica.push(d + f);
        delivered += d;
        failed += f;
    }
    assert_eq!(
        (delivered, failed),
        (80, 40),
        "attempts per replica: {by_replica:?}"
    );
    eprintln!("attempts made by each replica: {by_replica:?}");
}

// ---------------------------------------------------------------------------------------------
// Holds: every replica sweeps.

// Every replica runs the hold sweeper, and booking writes expire a suite's stale holds too, so
// several may find the same due hold at once. Eight sweeps on four connections to one
// PostgreSQL database, all at once, over 40 holds past their expiry and 40 about to expire:
// each hold expires once and is warned once — one `booking.expired` and one `hold.expiring`
// event per hold, and one audit row per expiry — so each subscription hears of it once.
#[tokio::test]
async fn holds_swept_by_several_replicas_at_once_expire_and_warn_once() {
    // The app's own sweeper runs at start and then hourly: these sweeps are the test's.
    let app = TestApp::spawn_with(Backend::Postgres, |s| {
        s.bookings.sweep_interval_s = 3600;
    })
    .await;
    let w = world(&app, 4).await;
    let day0: NaiveDate = "2031-01-01".parse().unwrap();
    let soon = chrono::Utc::now() + chrono::Duration::seconds(3);
    let later = chrono::Utc::now() + chrono::Duration::days(2);
    let mut due = HashSet::new();
    let mut expiring = HashSet::new();
    for i in 0..80u64 {
        let start = day0 + chrono::Days::new(i * 3);
        let end = start + chrono::Days::new(2);
        let mut body = booking(&w, None, &start.to_string(), &end.to_string(), "held");
        body["hold_expires_at"] = json!(if i < 40 { soon } else { later });
        let held = app
            .post("/v1/bookings", &w.planner_key, body)
            .await
            .expect(201);
        let id = held["id"].as_str().unwrap().to_string();
        if i < 40 {
            due.insert(id);
        } else {
            expiring.insert(id);
        }
    }
    let wait = soon - chrono::Utc::now() + chrono::Duration::milliseconds(100);
    tokio::time::sleep(wait.to_std().unwrap_or_default()).await;

    let mut settings = suiteplan::config::Settings::load(None).unwrap();
    settings.database.url = app.db.url().to_string();
    let mut stores = Vec::new();
    for _ in 0..4 {
        stores.push(suiteplan::store::connect(&settings.database).await.unwrap());
    }
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(8));
    let mut sweeps = Vec::new();
    for i in 0..8 {
        let store = stores[i % 4].clone();
        let start = start.clone();
        sweeps.push(tokio::spawn(async move {
            start.wait().await;
            store.sweep_holds(3).await
        }));
    }
    let mut swept = (0, 0);
    for s in sweeps {
        // Contention is reported as Busy and retried on the next tick; none is expected here.
        let (expired, warned) = s.await.unwrap().expect("the sweep succeeds");
        swept = (swept.0 + expired, swept.1 + warned);
    }
    assert_eq!(
        swept,
        (40, 40),
        "the sweeps together expired and warned each hold once"
    );

    let count = |events: Vec<Value>| {
        let mut n: HashMap<String, usize> = HashMap::new();
        for e in events {
            *n.entry(e["booking"]["id"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
        n
    };
    let expired = count(app.events("booking.expired").await);
    assert_eq!(expired.keys().cloned().collect::<HashSet<_>>(), due);
    assert!(
        expired.values().all(|n| *n == 1),
        "booking.expired per hold: {expired:?}"
    );
    let warned = count(app.events("hold.expiring").await);
    assert_eq!(warned.keys().cloned().collect::<HashSet<_>>(), expiring);
    assert!(
        warned.values().all(|n| *n == 1),
        "hold.expiring per hold: {warned:?}"
    );
    let audits: Vec<(i64,)> = app
        .db
        .fetch_all(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'expire'",
            &[],
        )
        .await;
    assert_eq!(audits[0].0, 40, "one audit row per expiry");
}

// ---------------------------------------------------------------------------------------------
// Auto-replan: every replica watches the change feed.

/// One outcome's count of `suiteplan_replan_checks_total` on a replica's `/metrics`.
async fn replan_checks(http: &reqwest::Client, base: &str, outcome: &str) -> u64 {
    let text = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line = format!("suiteplan_replan_checks_total{{outcome=\"{outcome}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&line)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no `{line}` in {base}/metrics"))
}

// Two replicas with auto-replan on, one forecast change: both replanners see it and, once it
// has been quiet for the debounce, both decide — one queues the plan, the other finds it queued
// ("covered"), and there is one plan, not one per replica (nor twice the shortfall alerts).
#[tokio::test]
async fn two_replanners_queue_one_plan_per_change() {
    let auto = |cmd: &mut Command| {
        cmd.env("SUITEPLAN__PLANNING__AUTO_REPLAN", "true")
            .env("SUITEPLAN__PLANNING__REPLAN_DEBOUNCE_S", "1")
            .env("SUITEPLAN__PLANNING__HORIZON_MONTHS", "3");
    };
    let app = TestApp::spawn_binary_with(Backend::Postgres, auto).await;
    let two = replica(&app, auto).await;
    let site = app.site("S").await;
    app.suite(&site["id"], "CT", &["autologous"], 1).await;
    let client = app.client("C").await;
    let program = app.program(&client["id"], "P").await;
    let month = chrono::Utc::now().format("%Y-%m").to_string();
    app.put(
        &format!("/v1/programs/{}/forecast", program["id"].as_str().unwrap()),
        &app.admin_key,
        json!({"entries": [{"month": month, "phase": "phase1", "batches": 1}]}),
    )
    .await
    .expect(200);

    let http = reqwest::Client::new();
    let bases = [app.base.clone(), two.base()];
    let started = Instant::now();
    let (planned, covered) = loop {
        let mut planned = 0;
        let mut covered = 0;
        for base in &bases {
            planned += replan_checks(&http, base, "planned").await;
            covered += replan_checks(&http, base, "covered").await;
        }
        if planned + covered >= 2 {
            break (planned, covered);
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "both replanners decided within 20 s: planned {planned}, covered {covered}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        (planned, covered),
        (1, 1),
        "one replica planned, the other found it planned"
    );
    let plans = app.get("/v1/plans", &app.admin_key).await.expect(200);
    let items = plans["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "one plan for one change: {plans}");
    assert_eq!(items[0]["scenario"], "expected");
    wait_done(&app, items[0]["id"].as_str().unwrap()).await;
}
