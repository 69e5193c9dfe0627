//! Selling capacity: earliest-date quotes and holding them in one step, prices to the cent,
//! dedicated lines, segregated suites (enforced by the database itself) and whole-suite rentals.

use crate::both_backends;
use crate::common::Param;
use crate::helpers::*;
use chrono::{Days, NaiveDate};
use serde_json::{json, Value};
use std::collections::HashSet;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn plus(day: &str, n: u64) -> String {
    (d(day) + Days::new(n)).to_string()
}

/// A site with one suite of `lines` lines, a client with a program (14-day batches + 2 days'
/// changeover: 16 line-days a slot), keys.
struct Shop {
    site: Value,
    suite: String,
    client: Value,
    program: String,
    client_key: String,
    planner: String,
}

async fn shop(app: &TestApp, lines: i64) -> Shop {
    let site = app.site("Leiden").await;
    let suite = app.suite(&site["id"], "CT-1", &["autologous"], lines).await;
    let client = app.client("Helix").await;
    let program = app.program(&client["id"], "HLX").await;
    Shop {
        suite: suite["id"].as_str().unwrap().into(),
        program: program["id"].as_str().unwrap().into(),
        client_key: app.key("client", client["id"].as_str()).await,
        planner: app.key("planner", None).await,
        site,
        client,
    }
}

fn slots(quote: &Value) -> Vec<(String, i64, String, String)> {
    quote["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["suite_id"].as_str().unwrap().to_string(),
                s["line"].as_i64().unwrap(),
                s["start"].as_str().unwrap().to_string(),
                s["end"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

both_backends!(
    a_quote_is_bookable_as_quoted_and_priced_to_the_cent,
    |app: TestApp| async move {
        let s = shop(&app, 2).await;
        // Line 1 is taken for the first 10 days.
        app.post(
            "/v1/bookings",
            &s.planner,
            json!({"program_id": s.program, "suite_id": s.suite, "line": 1, "start": "2031-01-01",
                   "end": "2031-01-11", "status": "confirmed"}),
        )
        .await
        .expect(201);
        app.put(
            &format!("/v1/sites/{}/rate-card", s.site["id"].as_str().unwrap()),
            &s.planner,
            json!({"currency": "EUR", "line_day": [{"price": "1234.56"}],
                   "consumables": [{"program_id": s.program, "per_batch": "7890.12"}]}),
        )
        .await
        .expect(200);

        let quote = app
            .post(
                "/v1/quotes",
                &s.client_key,
                json!({"program_id": s.program, "batches": 3, "from": "2031-01-01",
                       "by": "2031-02-01"}),
            )
            .await
            .expect(201);
        // Earliest starts, batch after batch: line 2 at once; line 1 when its booking ends;
        // line 2 again after the first slot.
        let want = vec![
            (s.suite.clone(), 2, "2031-01-01".into(), "2031-01-17".into()),
            (s.suite.clone(), 1, "2031-01-11".into(), "2031-01-27".into()),
            (s.suite.clone(), 2, "2031-01-17".into(), "2031-02-02".into()),
        ];
        assert_eq!(slots(&quote), want);
        assert_eq!(quote["finishes_on"], "2031-02-02");
        assert_eq!(quote["meets_by"], false, "the last batch ends after `by`");
        assert_eq!(quote["status"], "open");
        // 16 line-days × 1234.56 = 19752.96 suite time + 7890.12 consumables = 27643.08 a slot;
        // three slots: 59258.88 + 23670.36 = 82929.24.
        for slot in quote["slots"].as_array().unwrap() {
            assert_eq!(slot["price"]["suite_time"], "19752.96");
            assert_eq!(slot["price"]["consumables"], "7890.12");
            assert_eq!(slot["price"]["total"], "27643.08");
        }
        assert_eq!(
            quote["price"],
            json!({"currency": "EUR", "suite_time": "59258.88", "consumables": "23670.36",
                   "other": "0.00", "total": "82929.24"})
        );

        // A new rate card prices new quotes only.
        let card = app
            .put(
                &format!("/v1/sites/{}/rate-card", s.site["id"].as_str().unwrap()),
                &s.planner,
                json!({"currency": "EUR", "line_day": [{"price": "2000"}]}),
            )
            .await
            .expect(200);
        assert_eq!(card["version"], 2);
        let id = quote["id"].as_str().unwrap();
        let again = app
            .get(&format!("/v1/quotes/{id}"), &s.client_key)
            .await
            .expect(200);
        assert_eq!(again["price"]["total"], "82929.24");
        assert_eq!(again["rate_cards"][0]["version"], 1);
        let fresh = app
            .post(
                "/v1/quotes",
                &s.client_key,
                json!({"program_id": s.program, "batches": 1, "from": "2031-06-01"}),
            )
            .await
            .expect(201);
        // 16 × 2000.00, no consumables on the new card.
        assert_eq!(fresh["price"]["total"], "32000.00");

        // Held in one step, exactly as quoted.
        let accepted = app
            .post(&format!("/v1/quotes/{id}/accept"), &s.client_key, json!({}))
            .await
            .expect(201);
        assert_eq!(accepted["quote"]["status"], "accepted");
        let booked: Vec<(String, i64, String, String)> = accepted["bookings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| {
                assert_eq!(b["status"], "held");
                assert_eq!(b["program_id"], s.program.as_str());
                // At the quoted price, though the rate card changed since.
                assert_eq!(b["price"]["total"], "27643.08", "{b}");
                (
                    b["suite_id"].as_str().unwrap().to_string(),
                    b["line"].as_i64().unwrap(),
                    b["start"].as_str().unwrap().to_string(),
                    b["end"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(booked, want);
        assert_eq!(
            accepted["quote"]["booking_ids"].as_array().unwrap().len(),
            3
        );
        // Once only.
        app.post(&format!("/v1/quotes/{id}/accept"), &s.client_key, json!({}))
            .await
            .problem(409);
        // Another client sees neither the quote nor its list entry.
        let other = app.client("Other").await;
        let other_key = app.key("client", other["id"].as_str()).await;
        app.get(&format!("/v1/quotes/{id}"), &other_key)
            .await
            .problem(404);
        let listed = app.get("/v1/quotes", &other_key).await.expect(200);
        assert_eq!(listed["items"], json!([]));
        // Clients cannot read or set rate cards.
        app.get(
            &format!("/v1/sites/{}/rate-card", s.site["id"].as_str().unwrap()),
            &s.client_key,
        )
        .await
        .problem(403);
    }
);

both_backends!(
    two_clients_accepting_overlapping_quotes_one_wins_whole,
    |app: TestApp| async move {
        let s = shop(&app, 2).await;
        let rival = app.client("Rival").await;
        let rival_program = app.program(&rival["id"], "RVL").await;
        let rival_key = app.key("client", rival["id"].as_str()).await;
        let app = std::sync::Arc::new(app);
        // Eight rounds, each on fresh days: both quote the same two slots, then both accept.
        for round in 0..8u64 {
            let from = plus("2032-01-01", round * 40);
            let a = app
                .post(
                    "/v1/quotes",
                    &s.client_key,
                    json!({"program_id": s.program, "batches": 2, "from": from}),
                )
                .await
                .expect(201);
            let b = app
                .post(
                    "/v1/quotes",
                    &rival_key,
                    json!({"program_id": rival_program["id"], "batches": 2, "from": from}),
                )
                .await
                .expect(201);
            assert_eq!(slots(&a), slots(&b), "nothing is held by quoting");
            let mut tasks = Vec::new();
            for (quote, key) in [(a, s.client_key.clone()), (b, rival_key.clone())] {
                let app = app.clone();
                tasks.push(tokio::spawn(async move {
                    let id = quote["id"].as_str().unwrap().to_string();
                    let r = app
                        .post(&format!("/v1/quotes/{id}/accept"), &key, json!({}))
                        .await;
                    (r.status.as_u16(), r.body)
                }));
            }
            let mut outcomes = Vec::new();
            for t in tasks {
                outcomes.push(t.await.unwrap());
            }
            let codes: Vec<u16> = outcomes.iter().map(|(c, _)| *c).collect();
            assert!(
                codes == [201, 409] || codes == [409, 201],
                "round {round}: one wins, one loses: {outcomes:?}"
            );
            let (_, loser) = outcomes.iter().find(|(c, _)| *c == 409).unwrap();
            assert!(
                loser["detail"]
                    .as_str()
                    .unwrap()
                    .contains("nothing was held"),
                "{loser}"
            );
            // The winner holds both slots; the loser holds nothing.
            let listed = app
                .get(
                    &format!("/v1/bookings?from={from}&to={}&limit=100", plus(&from, 40)),
                    &s.planner,
                )
                .await
                .expect(200);
            let live: Vec<&Value> = listed["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|b| b["status"] == "held")
                .collect();
            assert_eq!(live.len(), 2, "round {round}: {listed}");
            assert_eq!(live[0]["program_id"], live[1]["program_id"]);
        }
    }
);

// A site with two suites: CT-1 (2 lines, line 1 dedicated to Helix from 2033-01-01) and VV-1
// (2 lines, segregated `same_program`, Helix's HLX on line 1 over the first 30 days).
both_backends!(
    dedicated_lines_and_segregated_suites_keep_other_clients_out,
    |app: TestApp| async move {
        let s = shop(&app, 2).await;
        let vv = app.suite(&s.site["id"], "VV-1", &["autologous"], 2).await;
        let vv_id = vv["id"].as_str().unwrap().to_string();
        app.patch(
            &format!("/v1/suites/{vv_id}"),
            &s.planner,
            json!({"segregation": "same_program"}),
        )
        .await
        .expect(200);
        app.post(
            "/v1/bookings",
            &s.planner,
            json!({"program_id": s.program, "suite_id": vv_id, "line": 1, "start": "2033-01-01",
                   "end": "2033-01-31", "status": "confirmed"}),
        )
        .await
        .expect(201);
        let dedication = app
            .post(
                &format!("/v1/suites/{}/dedications", s.suite),
                &s.planner,
                json!({"line": 1, "client_id": s.client["id"], "start": "2033-01-01",
                       "note": "Helix's own isolator"}),
            )
            .await
            .expect(201);
        assert_eq!(dedication["end"], Value::Null);

        let rival = app.client("Rival").await;
        let rival_program = app.program(&rival["id"], "RVL").await;
        let rival_key = app.key("client", rival["id"].as_str()).await;
        // The rival's two batches: only CT-1 line 2 is open to it until VV-1 is free of HLX.
        let q = app
            .post(
                "/v1/quotes",
                &rival_key,
                json!({"program_id": rival_program["id"], "batches": 2, "from": "2033-01-01"}),
            )
            .await
            .expect(201);
        assert_eq!(
            slots(&q),
            vec![
                (s.suite.clone(), 2, "2033-01-01".into(), "2033-01-17".into()),
                (s.suite.clone(), 2, "2033-01-17".into(), "2033-02-02".into()),
            ]
        );
        // Helix's own second program shares neither the same_program suite...
        let hlx2 = app.program(&s.client["id"], "HLX-2").await;
        let q2 = app
            .post(
                "/v1/quotes",
                &s.client_key,
                json!({"program_id": hlx2["id"], "batches": 3, "from": "2033-01-01"}),
            )
            .await
            .expect(201);
        for (suite, _, start, _) in slots(&q2) {
            assert!(
                suite != vv_id || start.as_str() >= "2033-01-31",
                "HLX-2 in VV-1 while HLX is there: {q2}"
            );
        }
        // ...but does use the line dedicated to its client.
        assert!(slots(&q2).contains(&(
            s.suite.clone(),
            1,
            "2033-01-01".into(),
            "2033-01-17".into()
        )));
        // HLX itself may take VV-1's other line.
        let q3 = app
            .post(
                "/v1/quotes",
                &s.client_key,
                json!({"program_id": s.program, "batches": 3, "from": "2033-01-01"}),
            )
            .await
            .expect(201);
        assert!(slots(&q3).contains(&(vv_id.clone(), 2, "2033-01-01".into(), "2033-01-17".into())));

        // The booking path says the same, naming why.
        let p = app
            .post(
                "/v1/bookings",
                &s.planner,
                json!({"program_id": rival_program["id"], "suite_id": s.suite, "line": 1,
                       "start": "2033-02-01", "end": "2033-02-10", "status": "confirmed"}),
            )
            .await
            .problem(409);
        assert_eq!(p["conflicts"][0]["kind"], "dedication", "{p}");
        let p = app
            .post(
                "/v1/bookings",
                &s.planner,
                json!({"program_id": rival_program["id"], "suite_id": vv_id, "line": 2,
                       "start": "2033-01-20", "end": "2033-02-05", "status": "confirmed"}),
            )
            .await
            .problem(409);
        assert_eq!(p["conflicts"][0]["kind"], "segregation", "{p}");
        assert_eq!(p["conflicts"][0]["line"], 1);
        // Availability agrees: for the rival's program, no window on CT-1 line 1 from the
        // dedication on, and none on VV-1 before HLX leaves.
        let windows = app
            .get(
                &format!(
                    "/v1/availability?from=2033-01-01&to=2033-03-01&program_id={}",
                    rival_program["id"].as_str().unwrap()
                ),
                &rival_key,
            )
            .await
            .expect(200);
        for w in windows["items"].as_array().unwrap() {
            assert!(
                !(w["suite_id"] == s.suite.as_str() && w["line"] == 1),
                "dedicated line offered: {w}"
            );
            if w["suite_id"] == vv_id.as_str() {
                assert!(w["start"].as_str().unwrap() >= "2033-01-31", "{w}");
            }
        }
        // Clients see their own dedications only.
        let mine = app
            .get(
                &format!("/v1/suites/{}/dedications", s.suite),
                &s.client_key,
            )
            .await
            .expect(200);
        assert_eq!(mine["items"].as_array().unwrap().len(), 1);
        assert_eq!(mine["items"][0]["note"], Value::Null);
        let theirs = app
            .get(&format!("/v1/suites/{}/dedications", s.suite), &rival_key)
            .await
            .expect(200);
        assert_eq!(theirs["items"], json!([]));
        // A dedication over another client's live booking is refused, naming it.
        let b = app
            .post(
                "/v1/bookings",
                &s.planner,
                json!({"program_id": rival_program["id"], "suite_id": s.suite, "line": 2,
                       "start": "2033-03-01", "end": "2033-03-10", "status": "confirmed"}),
            )
            .await
            .expect(201);
        let p = app
            .post(
                &format!("/v1/suites/{}/dedications", s.suite),
                &s.planner,
                json!({"line": 2, "client_id": s.client["id"], "start": "2033-02-15",
                       "end": "2033-04-01"}),
            )
            .await
            .problem(409);
        assert_eq!(p["conflicts"][0]["booking_id"], b["id"]);
        // Removing the dedication opens the line again.
        let ded_id = dedication["id"].as_str().unwrap();
        app.delete(&format!("/v1/dedications/{ded_id}"), &s.planner)
            .await
            .expect(204);
        app.post(
            "/v1/bookings",
            &s.planner,
            json!({"program_id": rival_program["id"], "suite_id": s.suite, "line": 1,
                   "start": "2033-02-01", "end": "2033-02-10", "status": "confirmed"}),
        )
        .await
        .expect(201);
    }
);

both_backends!(
    sixty_four_racing_bookings_never_share_a_same_client_suite,
    |app: TestApp| async move {
        let s = shop(&app, 3).await;
        app.patch(
            &format!("/v1/suites/{}", s.suite),
            &s.planner,
            json!({"segregation": "same_client"}),
        )
        .await
        .expect(200);
        let rival = app.client("Rival").await;
        let rival_program = app.program(&rival["id"], "RVL").await["id"]
            .as_str()
            .unwrap()
            .to_string();
        let hlx2 = app.program(&s.client["id"], "HLX-2").await["id"]
            .as_str()
            .unwrap()
            .to_string();
        let app = std::sync::Arc::new(app);
        let programs = [s.program.clone(), rival_program.clone(), hlx2.clone()];
        let mut tasks = Vec::new();
        for i in 0..64u64 {
            let app = app.clone();
            let program = programs[(i % 3) as usize].clone();
            let suite = s.suite.clone();
            let key = s.planner.clone();
            tasks.push(tokio::spawn(async move {
                let start = plus("2034-01-01", (i % 16) * 3);
                let line = if i % 2 == 0 {
                    json!((i / 2) % 3 + 1)
                } else {
                    Value::Null
                };
                let r = app
                    .post(
                        "/v1/bookings",
                        &key,
                        json!({"program_id": program, "suite_id": suite, "line": line,
                               "start": start, "end": plus(&start, 8),
                               "status": if i % 3 == 0 { "confirmed" } else { "held" }}),
                    )
                    .await;
                (r.status.as_u16(), r.body)
            }));
        }
        let mut created = HashSet::new();
        let mut codes = std::collections::BTreeMap::new();
        for t in tasks {
            let (code, body) = t.await.unwrap();
            assert!(matches!(code, 201 | 409 | 503), "{code}: {body}");
            *codes.entry(code).or_insert(0) += 1;
            if code == 201 {
                created.insert(body["id"].as_str().unwrap().to_string());
            }
        }
        assert!(codes.get(&409).copied().unwrap_or(0) >= 1, "{codes:?}");
        let listed = app
            .get("/v1/bookings?limit=1000", &s.planner)
            .await
            .expect(200);
        let items = listed["items"].as_array().unwrap();
        let stored: HashSet<String> = items
            .iter()
            .map(|b| b["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(stored, created, "every 201 is stored, nothing else");
        let client_of = |p: &Value| {
            if p == rival_program.as_str() {
                "rival"
            } else {
                "helix"
            }
        };
        let mut helix_programs_shared = false;
        for (i, a) in items.iter().enumerate() {
            for b in &items[i + 1..] {
                let overlap = a["start"].as_str().unwrap() < b["end"].as_str().unwrap()
                    && b["start"].as_str().unwrap() < a["end"].as_str().unwrap();
                if !overlap {
                    continue;
                }
                assert_ne!(a["line"], b["line"], "double booking: {a} {b}");
                assert_eq!(
                    client_of(&a["program_id"]),
                    client_of(&b["program_id"]),
                    "two clients in a same_client suite on one day: {a} {b}"
                );
                helix_programs_shared |= a["program_id"] != b["program_id"];
            }
        }
        assert!(
            helix_programs_shared || items.len() < 3,
            "one client's programs may share the suite"
        );
    }
);

both_backends!(
    the_database_itself_refuses_two_parties_in_a_segregated_suite,
    |app: TestApp| async move {
        let s = shop(&app, 2).await;
        app.patch(
            &format!("/v1/suites/{}", s.suite),
            &s.planner,
            json!({"segregation": "same_client"}),
        )
        .await
        .expect(200);
        app.post(
            "/v1/bookings",
            &s.planner,
            json!({"program_id": s.program, "suite_id": s.suite, "line": 1, "start": "2035-01-01",
                   "end": "2035-01-20", "status": "confirmed"}),
        )
        .await
        .expect(201);
        let rival = app.client("Rival").await;
        let rival_program = app.program(&rival["id"], "RVL").await;
        let insert = "INSERT INTO bookings (id, program_id, suite_id, line, starts_on, ends_on, \
                      status, at_risk, created_at, updated_at, kind) \
                      VALUES ($1, $2, $3, 2, $4, $5, 'confirmed', FALSE, $6, $6, 'gmp_batch')";
        let uuid = |v: &str| Param::Uuid(v.parse().unwrap());
        let now = Param::Time(chrono::Utc::now());
        // Written behind the application's back, on another line: still refused.
        let refused = app
            .db
            .try_execute(
                insert,
                &[
                    Param::Uuid(uuid::Uuid::now_v7()),
                    uuid(rival_program["id"].as_str().unwrap()),
                    uuid(&s.suite),
                    Param::Date(d("2035-01-10")),
                    Param::Date(d("2035-01-30")),
                    now.clone(),
                ],
            )
            .await;
        let e = refused.expect_err("the database refuses another client in the suite");
        assert!(e.contains("bookings_segregation"), "{e}");
        // The same client's other program on the same days is fine, and so is the rival after.
        let hlx2 = app.program(&s.client["id"], "HLX-2").await;
        for (program, start, end) in [
            (hlx2["id"].as_str().unwrap(), "2035-01-10", "2035-01-30"),
            (
                rival_program["id"].as_str().unwrap(),
                "2035-02-01",
                "2035-02-10",
            ),
        ] {
            app.db
                .try_execute(
                    insert,
                    &[
                        Param::Uuid(uuid::Uuid::now_v7()),
                        uuid(program),
                        uuid(&s.suite),
                        Param::Date(d(start)),
                        Param::Date(d(end)),
                        now.clone(),
                    ],
                )
                .await
                .expect("allowed");
        }
        // Changing the rule under mixed bookings is refused, naming them.
        let p = app
            .patch(
                &format!("/v1/suites/{}", s.suite),
                &s.planner,
                json!({"segregation": "same_program"}),
            )
            .await
            .problem(409);
        assert_eq!(p["conflicts"].as_array().unwrap().len(), 2, "{p}");
        assert_eq!(p["conflicts"][0]["kind"], "segregation");
        let suite = app
            .get(&format!("/v1/suites/{}", s.suite), &s.planner)
            .await
            .expect(200);
        assert_eq!(suite["segregation"], "same_client", "nothing changed");
    }
);

both_backends!(
    a_suite_is_rented_whole_or_not_at_all,
    |app: TestApp| async move {
        let s = shop(&app, 3).await;
        let taken = app
            .post(
                "/v1/bookings",
                &s.planner,
                json!({"program_id": s.program, "suite_id": s.suite, "line": 2,
                       "start": "2036-01-10", "end": "2036-01-20", "status": "held"}),
            )
            .await
            .expect(201);
        let closure = app
            .post(
                &format!("/v1/suites/{}/closures", s.suite),
                &s.planner,
                json!({"start": "2036-02-01", "end": "2036-02-03", "reason": "requalification",
                       "lines": [3]}),
            )
            .await
            .expect(201);
        let rival = app.client("Rival").await;
        let rival_program = app.program(&rival["id"], "RVL").await;
        let rental = json!({"suite_id": s.suite, "program_id": rival_program["id"],
                            "start": "2036-01-01", "end": "2036-04-01"});
        let p = app
            .post("/v1/rentals", &s.planner, rental.clone())
            .await
            .problem(409);
        let kinds: Vec<(&str, i64)> = p["conflicts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["kind"].as_str().unwrap(), c["line"].as_i64().unwrap()))
            .collect();
        assert_eq!(kinds, vec![("booking", 2), ("closure", 3)], "{p}");
        let listed = app
            .get(&format!("/v1/bookings?suite_id={}", s.suite), &s.planner)
            .await
            .expect(200);
        assert_eq!(
            listed["items"].as_array().unwrap().len(),
            1,
            "nothing was booked"
        );
        assert_eq!(
            listed["items"][0]["price"],
            Value::Null,
            "booked before any rate card"
        );
        // Clients do not rent suites themselves.
        let rival_key = app.key("client", rival["id"].as_str()).await;
        app.post("/v1/rentals", &rival_key, rental.clone())
            .await
            .problem(403);

        app.post(
            &format!("/v1/bookings/{}/cancel", taken["id"].as_str().unwrap()),
            &s.planner,
            json!({}),
        )
        .await
        .expect(200);
        app.delete(
            &format!("/v1/closures/{}", closure["id"].as_str().unwrap()),
            &s.planner,
        )
        .await
        .expect(204);
        app.put(
            &format!("/v1/sites/{}/rate-card", s.site["id"].as_str().unwrap()),
            &s.planner,
            json!({"currency": "USD", "line_day": [{"price": "900"},
                   {"kind": "rental", "price": "750.25"}]}),
        )
        .await
        .expect(200);
        let rented = app
            .post("/v1/rentals", &s.planner, rental)
            .await
            .expect(201);
        let bookings = rented["bookings"].as_array().unwrap();
        assert_eq!(bookings.len(), 3);
        for (i, b) in bookings.iter().enumerate() {
            assert_eq!(b["line"], i as i64 + 1);
            assert_eq!(b["kind"], "rental");
            assert_eq!(b["status"], "confirmed");
            // Each line's booking carries its price: 91 days × 750.25 = 68272.75.
            assert_eq!(b["price"]["suite_time"], "68272.75", "{b}");
        }
        // 3 lines × 91 days × 750.25 = 204818.25.
        assert_eq!(rented["price"]["total"], "204818.25");
        assert_eq!(rented["price"]["currency"], "USD");
        let windows = app
            .get("/v1/availability?from=2036-01-01&to=2036-04-01", &s.planner)
            .await
            .expect(200);
        assert_eq!(windows["items"], json!([]), "the whole suite is taken");
        // A rental the client has chosen a program to serve: its lines are that program's
        // batches, one each, serving the month they start in.
        let served = app
            .post(
                "/v1/rentals",
                &s.planner,
                json!({"suite_id": s.suite, "program_id": rival_program["id"],
                       "start": "2036-05-01", "end": "2036-05-17", "serve_demand": true}),
            )
            .await
            .expect(201);
        let bookings = served["bookings"].as_array().unwrap();
        assert_eq!(bookings.len(), 3);
        assert!(
            bookings.iter().all(|b| b["kind"] == "gmp_batch"),
            "{served}"
        );
        // 3 lines × 16 days × 900.00 (the site default: the rental rate is for rentals).
        assert_eq!(served["price"]["total"], "43200.00");
    }
);

both_backends!(
    quotes_answer_bad_input_with_the_field,
    |app: TestApp| async move {
        let s = shop(&app, 1).await;
        let v = app
            .post(
                "/v1/quotes",
                &s.client_key,
                json!({"program_id": s.program, "batches": 0, "from": "2031-01-01",
                   "by": "2030-01-01"}),
            )
            .await
            .problem(422);
        let fields: Vec<&str> = v["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["/batches", "/by"]);
        // A client cannot quote for a prospective program; staff can, but not hold it.
        let prospective = json!({"program": {"name": "Newco CAR-T", "min_grade": "B",
        "required_capabilities": ["autologous"], "batch_days": 10, "changeover_days": 1},
        "batches": 2, "from": "2031-01-01"});
        app.post("/v1/quotes", &s.client_key, prospective.clone())
            .await
            .invalid("/program");
        let q = app
            .post("/v1/quotes", &s.planner, prospective)
            .await
            .expect(201);
        assert_eq!(q["program_id"], Value::Null);
        assert_eq!(q["slots"].as_array().unwrap().len(), 2);
        assert_eq!(q["price"], Value::Null);
        assert!(q["unpriced"].as_str().unwrap().contains("no rate card"));
        app.post(
            &format!("/v1/quotes/{}/accept", q["id"].as_str().unwrap()),
            &s.planner,
            json!({}),
        )
        .await
        .problem(409);
        // More batches than fit in three years on one line: 422 naming /batches.
        app.post(
            "/v1/quotes",
            &s.planner,
            json!({"program": {"name": "Big", "min_grade": "B", "batch_days": 365},
               "batches": 4, "from": "2031-01-01"}),
        )
        .await
        .invalid("/batches");
        // Money as floats is refused; the field is named.
        app.put(
            &format!("/v1/sites/{}/rate-card", s.site["id"].as_str().unwrap()),
            &s.planner,
            json!({"currency": "EUR", "line_day": [{"price": 1234.5}]}),
        )
        .await
        .invalid("/line_day/0/price");
    }
);

both_backends!(
    dates_prices_and_lines_from_the_pages,
    |app: TestApp| async move {
        use crate::workspace::Session;
        let s = shop(&app, 2).await;
        let site = s.site["id"].as_str().unwrap().to_string();
        let planner = Session::of(&app, &s.planner).await;
        let client = Session::of(&app, &s.client_key).await;

        // The planner prices the site: every suite 1000.00 a line-day.
        let (status, location, html) = planner
            .post(
                &app,
                &format!("/ui/sites/{site}/rate-card"),
                &[
                    ("currency", "EUR"),
                    ("rate_suite0", ""),
                    ("rate_caps0", ""),
                    ("rate_grade0", ""),
                    ("rate_kind0", ""),
                    ("rate_price0", "1000"),
                    ("rate_price1", ""),
                    ("cons_program0", ""),
                    ("cons_price0", ""),
                ],
                false,
            )
            .await;
        assert_eq!(
            (status, location.as_str()),
            (303, format!("/ui/selling#rates-{site}").as_str()),
            "{html}"
        );
        let card = app
            .get(&format!("/v1/sites/{site}/rate-card"), &s.planner)
            .await
            .expect(200);
        assert_eq!(card["card"]["line_day"], json!([{"price": "1000"}]));
        // A price with three decimals: refused at its cell, nothing saved.
        let (status, _, html) = planner
            .post(
                &app,
                &format!("/ui/sites/{site}/rate-card"),
                &[("currency", "EUR"), ("rate_price0", "10.005")],
                false,
            )
            .await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains("at most 2 decimals"), "{html}");
        assert_eq!(
            app.get(&format!("/v1/sites/{site}/rate-card"), &s.planner)
                .await
                .expect(200)["version"],
            1
        );

        // Segregation and a dedicated line from the pages.
        let (status, _, _) = planner
            .post(
                &app,
                &format!("/ui/suites/{}/segregation", s.suite),
                &[("segregation", "same_client")],
                false,
            )
            .await;
        assert_eq!(status, 303);
        let suite = app
            .get(&format!("/v1/suites/{}", s.suite), &s.planner)
            .await
            .expect(200);
        assert_eq!(suite["segregation"], "same_client");
        let client_id = s.client["id"].as_str().unwrap();
        let (status, _, html) = planner
            .post(
                &app,
                &format!("/ui/suites/{}/dedications", s.suite),
                &[
                    ("line", "9"),
                    ("client_id", client_id),
                    ("start", "2031-01-01"),
                ],
                false,
            )
            .await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains("the suite has lines 1..=2"), "{html}");
        let (status, _, _) = planner
            .post(
                &app,
                &format!("/ui/suites/{}/dedications", s.suite),
                &[
                    ("line", "2"),
                    ("client_id", client_id),
                    ("start", "2031-01-01"),
                ],
                false,
            )
            .await;
        assert_eq!(status, 303);
        let (_, html) = planner.get(&app, "/ui/selling").await;
        assert!(html.contains("open-ended"), "{html}");

        // The client asks for two batches and sees dates and price: 2 × 16 × 1000.00.
        let (status, _, html) = client
            .post(
                &app,
                "/ui/quotes",
                &[
                    ("program_id", &s.program),
                    ("batches", "0"),
                    ("from", "2031-01-01"),
                ],
                false,
            )
            .await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains("must be between 1 and 50"), "{html}");
        let (status, location, _) = client
            .post(
                &app,
                "/ui/quotes",
                &[
                    ("program_id", &s.program),
                    ("batches", "2"),
                    ("from", "2031-01-01"),
                    ("by", "2031-02-01"),
                ],
                false,
            )
            .await;
        assert_eq!(status, 303);
        assert!(location.starts_with("/ui/quotes/"), "{location}");
        let (_, html) = client.get(&app, &location).await;
        assert!(html.contains("2 GMP batches"), "{html}");
        assert!(html.contains("EUR 32000.00"), "{html}");
        assert!(
            html.contains("the last finishes on <strong>2031-01-17</strong>"),
            "{html}"
        );
        assert!(html.contains("Hold all 2 slots"), "{html}");
        // Held in one step.
        let (status, back, _) = client
            .post(&app, &format!("{location}/accept"), &[], false)
            .await;
        assert_eq!((status, back.as_str()), (303, location.as_str()));
        let (_, html) = client.get(&app, &location).await;
        assert!(html.contains("Held: 2 slots of HLX"), "{html}");
        let held = app
            .get(&format!("/v1/bookings?suite_id={}", s.suite), &s.planner)
            .await
            .expect(200);
        let items = held["items"].as_array().unwrap();
        assert_eq!(items.len(), 2);
        assert!(items.iter().all(|b| b["status"] == "held"));
        // Again: refused on the page, nothing more held.
        let (status, _, html) = client
            .post(&app, &format!("{location}/accept"), &[], false)
            .await;
        assert_eq!(status, 409, "{html}");
        assert!(html.contains("accepted already"), "{html}");

        // The planner's queue shows the program's next free date; a client may not see it.
        let (status, html) = planner.get(&app, "/ui/queue").await;
        assert_eq!(status, 200);
        assert!(html.contains("HLX") && html.contains("CT-1"), "{html}");
        let (status, _) = client.get(&app, "/ui/queue").await;
        assert_eq!(status, 403);

        // Renting the suite over the holds: refused with the conflicts named.
        let (status, _, html) = planner
            .post(
                &app,
                &format!("/ui/suites/{}/rentals", s.suite),
                &[
                    ("program_id", &s.program),
                    ("start", "2031-01-01"),
                    ("end", "2031-03-01"),
                ],
                false,
            )
            .await;
        assert_eq!(status, 409, "{html}");
        assert!(html.contains("cannot be rented whole"), "{html}");
        let (status, _, _) = planner
            .post(
                &app,
                &format!("/ui/suites/{}/rentals", s.suite),
                &[
                    ("program_id", &s.program),
                    ("start", "2031-03-01"),
                    ("end", "2031-04-01"),
                ],
                false,
            )
            .await;
        assert_eq!(status, 303);
    }
);

/// One line, a 30-day month, three batches of 16 line-days asked for: two are served (starting on
/// days 0 and 16), one is short. Prices hand-computed to the cent.
async fn priced_plan(app: &TestApp) -> Value {
    let s = shop(app, 1).await;
    app.put(
        &format!("/v1/sites/{}/rate-card", s.site["id"].as_str().unwrap()),
        &s.planner,
        json!({"currency": "EUR", "line_day": [{"price": "1000.50"}],
               "consumables": [{"program_id": s.program, "per_batch": "99.99"}]}),
    )
    .await
    .expect(200);
    app.put(
        &format!("/v1/programs/{}/forecast", s.program),
        &s.planner,
        json!({"entries": [{"month": "2031-06", "phase": "phase1", "batches": 3}]}),
    )
    .await
    .expect(200);
    let queued = app
        .post(
            "/v1/plans",
            &s.planner,
            json!({"from": "2031-06-01", "to": "2031-07-01", "scenario": "maximum",
                   "program_ids": null, "time_limit_s": 20}),
        )
        .await
        .expect(202);
    crate::plans::wait_done(app, queued["id"].as_str().unwrap()).await
}

fn with_costs(setup: &'static str) -> impl FnOnce(&mut suiteplan::config::Settings) {
    move |settings| {
        settings.planning.expansion_lead_months = 0;
        settings.expansion = suiteplan::config::ExpansionCosts {
            currency: "EUR".into(),
            classes: vec![suiteplan::config::ExpansionClass {
                capabilities: vec![],
                line_cost_per_month: "1000".parse().unwrap(),
                setup_cost: setup.parse().unwrap(),
            }],
        };
    }
}

#[tokio::test]
async fn a_plan_speaks_in_money_and_prices_its_expansion_advice_sqlite() {
    plan_money_case(Backend::Sqlite).await
}

#[tokio::test]
async fn a_plan_speaks_in_money_and_prices_its_expansion_advice_postgres() {
    plan_money_case(Backend::Postgres).await
}

async fn plan_money_case(backend: Backend) {
    // Advice that pays: one line from June costs 5000.00 + 1 month × 1000.00 = 6000.00; the
    // batch it serves brings 16 × 1000.50 + 99.99 = 16107.99.
    let app = TestApp::spawn_with(backend, with_costs("5000")).await;
    let plan = priced_plan(&app).await;
    let money = &plan["money"];
    // Served: two batches of 16107.99 = 32215.98; at risk: the short one, 16107.99.
    assert_eq!(
        money["months"],
        json!([{"month": "2031-06", "currency": "EUR", "served": "32215.98",
                "at_risk": "16107.99"}]),
        "{plan}"
    );
    assert_eq!(money["totals"][0]["served"], "32215.98");
    assert_eq!(money["unpriced_batches"], 0);
    assert_eq!(plan["suggestions"].as_array().unwrap().len(), 2, "{plan}");
    let advice = &plan["expansion"][0];
    assert_eq!(advice["extra_lines"], 1, "{plan}");
    assert_eq!(advice["serves_batches"], 1);
    assert_eq!(
        (&advice["cost"], &advice["revenue"], &advice["pays"]),
        (&json!("6000.00"), &json!("16107.99"), &json!(true)),
        "{advice}"
    );

    // Advice that does not pay: a line costing 20000.00 to set up is kept, flagged.
    let app = TestApp::spawn_with(backend, with_costs("20000")).await;
    let plan = priced_plan(&app).await;
    let advice = &plan["expansion"][0];
    assert_eq!(
        (&advice["cost"], &advice["pays"]),
        (&json!("21000.00"), &json!(false)),
        "{advice}"
    );
    // The plan's pages say it in money too.
    let planner = crate::workspace::Session::of(&app, &app.key("planner", None).await).await;
    let id = plan["id"].as_str().unwrap();
    let (_, html) = planner.get(&app, &format!("/ui/plans/{id}")).await;
    assert!(
        html.contains("Revenue (EUR): <strong>32215.98</strong> served, 16107.99 at risk"),
        "{html}"
    );
    let (_, html) = planner.get(&app, &format!("/ui/plans/{id}/report")).await;
    assert!(html.contains("EUR 21000.00"), "{html}");
    assert!(
        html.contains("<strong>no</strong>"),
        "the advice is flagged: {html}"
    );
    // A client's view of a plan carries no money.
    let c = app.client("Any").await;
    let key = app.key("client", c["id"].as_str()).await;
    let mine = app
        .get(&format!("/v1/plans/{}", plan["id"].as_str().unwrap()), &key)
        .await
        .expect(200);
    assert_eq!(mine["money"], Value::Null);
}

both_backends!(
    plans_keep_dedicated_lines_and_segregated_suites,
    |app: TestApp| async move {
        // CT-1: 2 lines, line 2 Helix's own. VV-1: 2 lines, one program at a time. June 2031
        // (30 days) fits one 16-day batch start per line and a second from day 16.
        let s = shop(&app, 2).await;
        let vv = app.suite(&s.site["id"], "VV-1", &["autologous"], 2).await;
        let vv_id = vv["id"].as_str().unwrap().to_string();
        app.patch(
            &format!("/v1/suites/{vv_id}"),
            &s.planner,
            json!({"segregation": "same_program"}),
        )
        .await
        .expect(200);
        app.post(
            &format!("/v1/suites/{}/dedications", s.suite),
            &s.planner,
            json!({"line": 2, "client_id": s.client["id"], "start": "2031-01-01"}),
        )
        .await
        .expect(201);
        let rival = app.client("Rival").await;
        let rvl = app.program(&rival["id"], "RVL").await["id"]
            .as_str()
            .unwrap()
            .to_string();
        let rvl2 = app.program(&rival["id"], "RVL-2").await["id"]
            .as_str()
            .unwrap()
            .to_string();
        for p in [&rvl, &rvl2] {
            app.put(
                &format!("/v1/programs/{p}/forecast"),
                &s.planner,
                json!({"entries": [{"month": "2031-06", "phase": "phase1", "batches": 4}]}),
            )
            .await
            .expect(200);
        }
        let queued = app
            .post(
                "/v1/plans",
                &s.planner,
                json!({"from": "2031-06-01", "to": "2031-07-01", "scenario": "maximum",
                       "program_ids": [rvl, rvl2], "time_limit_s": 20}),
            )
            .await
            .expect(202);
        let plan = crate::plans::wait_done(&app, queued["id"].as_str().unwrap()).await;
        let suggestions = plan["suggestions"].as_array().unwrap();
        // Rival's 8 batches: CT-1 line 1 takes 2 (line 2 is Helix's: 2 fewer than without the
        // dedication); VV-1 takes 4 — one program on both lines for days 0–16, the other on
        // both from day 16, never the two side by side. 6 served, 2 short.
        assert_eq!(suggestions.len(), 6, "{plan}");
        assert_eq!(plan["objective"]["served_batches"], 6);
        for g in suggestions {
            assert!(
                !(g["suite_id"] == s.suite.as_str() && g["line"] == 2),
                "a rival batch on Helix's line: {g}"
            );
        }
        for (i, a) in suggestions.iter().enumerate() {
            for b in &suggestions[i + 1..] {
                let share = a["suite_id"] == vv_id.as_str()
                    && b["suite_id"] == vv_id.as_str()
                    && a["start"].as_str().unwrap() < b["end"].as_str().unwrap()
                    && b["start"].as_str().unwrap() < a["end"].as_str().unwrap();
                assert!(
                    !share || a["program_id"] == b["program_id"],
                    "two programs in VV-1 on one day: {a} {b}"
                );
            }
        }
        // Every suggestion books as it stands (the booking path applies the same rules).
        for g in suggestions {
            app.post(
                &format!(
                    "/v1/plans/{}/suggestions/{}/accept",
                    plan["id"].as_str().unwrap(),
                    g["id"].as_str().unwrap()
                ),
                &s.planner,
                json!({"status": "held"}),
            )
            .await
            .expect(201);
        }
    }
);
