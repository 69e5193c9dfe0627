//! The calendar rules have one home (`solver_models::calendar`), and three readers must agree on
//! every slot of a random calendar: the booking path (a one-day booking is accepted), availability
//! (the day lies in a free window of the line) and the planner's independent feasibility checker
//! (a one-day batch there breaks no rule). Each case builds a random suite (lines, qualification
//! dates), random closures and random earlier bookings through the API, and a program that may or
//! may not be allowed in the suite, then asks all three about every (line, day) of a four-week
//! window.

use crate::helpers::*;
use chrono::{Days, NaiveDate};
use proptest::prelude::*;
use serde_json::{json, Value};
use solver_models::check::check_plan;
use solver_models::plan::Plan;
use solver_models::Instance;

const WINDOW_DAYS: u64 = 28;

fn day(offset: u64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2031, 3, 1).unwrap() + Days::new(offset)
}

#[derive(Debug, Clone)]
struct Case {
    lines: u32,
    /// Qualified from this offset (days from the window's start) …
    from: u64,
    /// … until this one, if set.
    to: Option<u64>,
    /// Closures: start offset, length, closed lines (None = all).
    closures: Vec<(u64, u64, Option<Vec<u32>>)>,
    /// Earlier bookings asked for: line, start offset, length (some are refused: that is the
    /// booking path too).
    bookings: Vec<(u32, u64, u64)>,
    /// The program needs a capability the suite lacks.
    incapable: bool,
    /// The program's process is filed for another suite only.
    not_filed: bool,
    /// The program needs grade A; the suite is grade B.
    too_dirty: bool,
}

fn case() -> impl Strategy<Value = Case> {
    (
        1u32..=3,
        0u64..6,
        prop::option::of(18u64..32),
        prop::collection::vec(
            (
                0u64..WINDOW_DAYS,
                1u64..6,
                prop::option::of(prop::collection::vec(1u32..=3, 1..3)),
            ),
            0..3,
        ),
        prop::collection::vec((1u32..=3, 0u64..WINDOW_DAYS, 1u64..8), 0..8),
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.1),
    )
        .prop_map(
            |(lines, from, to, closures, bookings, incapable, not_filed, too_dirty)| Case {
                lines,
                from,
                to,
                closures,
                bookings: bookings
                    .into_iter()
                    .map(|(l, s, n)| (l.min(lines), s, n))
                    .collect(),
                incapable,
                not_filed,
                too_dirty,
            },
        )
}

/// What the planner's checker says of a one-day batch of the program on (line, day).
fn checker_allows(instance: &Value, line: u32, d: NaiveDate) -> bool {
    let instance: Instance = serde_json::from_value(instance.clone()).unwrap();
    let plan: Plan = serde_json::from_value(json!({
        "status": "feasible", "seconds": 0.0, "gap": 0.0, "served_weighted": 0.0,
        "demand_weighted": 0.0, "bound_weighted": 0.0, "served_batches": 0, "demand_batches": 0,
        "greedy_served_weighted": 0.0,
        "suggestions": [{"program": "P", "suite": "S", "line": line, "start": d,
                         "end": d + Days::new(1), "month": d.format("%Y-%m").to_string()}],
        "shortfalls": [], "utilization": [], "expansion": [], "binding": []
    }))
    .unwrap();
    // Only the placement rules: demand and objective figures are not what is asked here.
    !check_plan(&instance, &plan)
        .iter()
        .any(|v| v.suggestion == Some(0) || v.message.contains("overlaps"))
}

async fn run(backend: Backend, c: Case) -> Result<(), TestCaseError> {
    let app = TestApp::spawn(backend).await;
    let key = app.admin_key.clone();
    let site = app.site("Leiden").await;
    let suite = app
        .post(
            "/v1/suites",
            &key,
            json!({"site_id": site["id"], "name": "S", "grade": "B",
                   "capabilities": ["autologous"], "lines": c.lines,
                   "available_from": day(c.from), "available_to": c.to.map(day)}),
        )
        .await
        .expect(201);
    let other = app
        .post(
            "/v1/suites",
            &key,
            json!({"site_id": site["id"], "name": "T", "grade": "B",
                   "capabilities": ["autologous"], "lines": 1,
                   "available_from": day(0), "available_to": null}),
        )
        .await
        .expect(201);
    let suite_id = suite["id"].as_str().unwrap().to_string();
    for (start, len, lines) in &c.closures {
        let lines: Option<Vec<u32>> = lines
            .as_ref()
            .map(|ls| ls.iter().map(|l| (*l).min(c.lines)).collect());
        app.post(
            &format!("/v1/suites/{suite_id}/closures"),
            &key,
            json!({"start": day(*start), "end": day(start + len), "reason": "maintenance",
                   "lines": lines, "force": true}),
        )
        .await
        .expect(201);
    }
    let client = app.client("Helix").await;
    let mut program = TestApp::program_body(&client["id"], "P");
    program["batch_days"] = json!(1);
    program["changeover_days"] = json!(0);
    if c.incapable {
        program["required_capabilities"] = json!(["autologous", "viral_vector"]);
    }
    if c.too_dirty {
        program["min_grade"] = json!("A");
    }
    if c.not_filed {
        program["allowed_suite_ids"] = json!([other["id"]]);
    }
    let program = app.post("/v1/programs", &key, program).await.expect(201);
    let program_id = program["id"].as_str().unwrap().to_string();
    let book = |line: u32, start: NaiveDate, end: NaiveDate| {
        json!({"program_id": program_id, "suite_id": suite_id, "line": line, "start": start,
               "end": end, "status": "confirmed", "hold_expires_at": null, "note": null})
    };
    // Earlier bookings: whatever the booking path accepts stays on the calendar.
    for (line, start, len) in &c.bookings {
        let r = app
            .post(
                "/v1/bookings",
                &key,
                book(*line, day(*start), day(start + len)),
            )
            .await;
        prop_assert!(
            [201, 409, 422].contains(&r.status.as_u16()),
            "booking answered {}",
            r.status
        );
    }

    // The calendar as the checker reads it: the suite, its closures, the live bookings.
    let closures = app
        .get(&format!("/v1/suites/{suite_id}/closures?limit=100"), &key)
        .await
        .expect(200);
    let bookings = app
        .get(&format!("/v1/bookings?suite_id={suite_id}&limit=500"), &key)
        .await
        .expect(200);
    let live: Vec<Value> = bookings["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["status"] == "confirmed" || b["status"] == "held")
        .map(|b| json!({"suite": "S", "line": b["line"], "start": b["start"], "end": b["end"]}))
        .collect();
    let instance = json!({
        "from": day(0).format("%Y-%m-01").to_string(), "to": "2031-06-01",
        "suites": [
            {"name": "S", "grade": "B", "capabilities": ["autologous"], "lines": c.lines,
             "available_from": day(c.from), "available_to": c.to.map(day),
             "closures": closures["items"].as_array().unwrap().iter()
                 .map(|k| json!({"start": k["start"], "end": k["end"], "lines": k["lines"]}))
                 .collect::<Vec<_>>()},
            {"name": "T", "grade": "B", "capabilities": ["autologous"], "lines": 1,
             "available_from": day(0)}
        ],
        "programs": [{"name": "P", "phase": "phase1",
                      "required_capabilities": program["required_capabilities"],
                      "min_grade": program["min_grade"], "batch_days": 1,
                      "allowed_suites": if c.not_filed { json!(["T"]) } else { Value::Null }}],
        "bookings": live,
    });

    // Availability for what the program needs.
    let caps = program["required_capabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect::<Vec<_>>()
        .join(",");
    let windows = app
        .get(
            &format!(
                "/v1/availability?from={}&to={}&capabilities={caps}&min_grade={}",
                day(0),
                day(WINDOW_DAYS),
                program["min_grade"].as_str().unwrap()
            ),
            &key,
        )
        .await
        .expect(200);
    let windows: Vec<&Value> = windows["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["suite_id"] == suite["id"])
        .collect();

    for line in 1..=c.lines {
        for offset in 0..WINDOW_DAYS {
            let d = day(offset);
            let in_window = windows.iter().any(|w| {
                w["line"] == line
                    && w["start"].as_str().unwrap() <= d.to_string().as_str()
                    && d.to_string().as_str() < w["end"].as_str().unwrap()
            });
            // Availability lists suites by capability and grade; the filed-suites rule is the
            // program's own, so a program not filed here sees the day as open but unusable.
            let available = in_window && !c.not_filed;
            let checked = checker_allows(&instance, line, d);
            let r = app
                .post("/v1/bookings", &key, book(line, d, d + Days::new(1)))
                .await;
            let booked = r.status.as_u16() == 201;
            prop_assert!(
                [201, 409, 422].contains(&r.status.as_u16()),
                "booking line {line} on {d} answered {}",
                r.status
            );
            if booked {
                app.post(
                    &format!("/v1/bookings/{}/cancel", r.body["id"].as_str().unwrap()),
                    &key,
                    json!({}),
                )
                .await
                .expect(200);
            }
            prop_assert_eq!(
                (booked, checked),
                (available, available),
                "line {} on {}: booking path {}, checker {}, availability {} ({:?})",
                line,
                d,
                booked,
                checked,
                available,
                c
            );
        }
    }
    Ok(())
}

fn check(backend: Backend, c: Case) -> Result<(), TestCaseError> {
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(run(backend, c))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn booking_path_availability_and_checker_agree_on_every_slot_sqlite(c in case()) {
        check(Backend::Sqlite, c)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]
    #[test]
    fn booking_path_availability_and_checker_agree_on_every_slot_postgres(c in case()) {
        check(Backend::Postgres, c)?;
    }
}
