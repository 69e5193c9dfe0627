//! Availability windows, ICS and token calendar feeds, hold expiry and the expiry sweeper.

use crate::bookings::{booking, world};
use crate::both_backends;
use crate::helpers::*;
use serde_json::json;

both_backends!(
    expired_holds_free_their_slot_for_every_reader,
    |app: TestApp| async move {
        let w = world(&app, 1).await;
        let mut b = booking(&w, Some(1), "2030-02-01", "2030-02-10", "held");
        let soon = chrono::Utc::now() + chrono::Duration::milliseconds(1500);
        b["hold_expires_at"] = json!(soon.to_rfc3339());
        let hold = app
            .post("/v1/bookings", &w.planner_key, b.clone())
            .await
            .expect(201);
        app.post(
            "/v1/bookings",
            &w.planner_key,
            booking(&w, Some(1), "2030-02-05", "2030-02-07", "held"),
        )
        .await
        .problem(409);
        // Reads see the expiry instant itself, not a sweeper (it runs every 60 s here): held
        // before it, expired from it on, at the latest for a read made 200 ms after it.
        let grace = chrono::Duration::milliseconds(200);
        loop {
            let asked = chrono::Utc::now();
            let seen = app
                .get(
                    &format!("/v1/bookings/{}", hold["id"].as_str().unwrap()),
                    &w.planner_key,
                )
                .await
                .expect(200);
            if seen["status"] == "expired" {
                assert!(chrono::Utc::now() >= soon, "expired early: {seen}");
                break;
            }
            assert_eq!(seen["status"], "held");
            assert!(
                asked < soon + grace,
                "still held {} ms after its expiry: {seen}",
                (asked - soon).num_milliseconds()
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        app.post(
            &format!("/v1/bookings/{}/confirm", hold["id"].as_str().unwrap()),
            &w.planner_key,
            json!({}),
        )
        .await
        .problem(409);
        app.post(
            "/v1/bookings",
            &w.planner_key,
            booking(&w, Some(1), "2030-02-05", "2030-02-07", "confirmed"),
        )
        .await
        .expect(201);
        let expired = app
            .get("/v1/bookings?status=expired", &w.planner_key)
            .await
            .expect(200);
        assert_eq!(expired["items"].as_array().unwrap().len(), 1);
    }
);

both_backends!(
    availability_lists_maximal_free_windows,
    |app: TestApp| async move {
        let w = world(&app, 2).await;
        let k = w.planner_key.clone();
        app.post(
            "/v1/bookings",
            &k,
            booking(&w, Some(1), "2030-03-10", "2030-03-20", "confirmed"),
        )
        .await
        .expect(201);
        app.post(&format!("/v1/suites/{}/closures", w.suite), &k,
        json!({"start": "2030-03-01", "end": "2030-03-04", "reason": "shutdown", "lines": null})).await.expect(201);
        let av = app.get("/v1/availability?from=2030-03-01&to=2030-04-01&capabilities=autologous&min_grade=B&days=5", &w.client_key).await.expect(200);
        let windows: Vec<(i64, String, String)> = av["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (
                    x["line"].as_i64().unwrap(),
                    x["start"].as_str().unwrap().into(),
                    x["end"].as_str().unwrap().into(),
                )
            })
            .collect();
        assert_eq!(
            windows,
            vec![
                (1, "2030-03-04".into(), "2030-03-10".into()),
                (1, "2030-03-20".into(), "2030-04-01".into()),
                (2, "2030-03-04".into(), "2030-04-01".into()),
            ]
        );
        assert!(
            !av.to_string().contains(&w.program),
            "availability says nothing of who holds what"
        );
        let none = app
            .get(
                "/v1/availability?from=2030-03-01&to=2030-04-01&capabilities=viral_vector",
                &k,
            )
            .await
            .expect(200);
        assert!(none["items"].as_array().unwrap().is_empty());
        app.get("/v1/availability?from=2030-01-01&to=2034-01-01", &k)
            .await
            .invalid("to");
        app.get("/v1/availability?from=2030-01-01", &k)
            .await
            .invalid("to");
    }
);

both_backends!(ics_feeds_are_valid_and_scoped, |app: TestApp| async move {
    let w = world(&app, 2).await;
    let k = w.planner_key.clone();
    let held = app
        .post(
            "/v1/bookings",
            &w.client_key,
            booking(&w, None, "2030-03-01", "2030-03-15", "held"),
        )
        .await
        .expect(201);
    let confirmed = app
        .post(
            "/v1/bookings",
            &k,
            booking(&w, None, "2030-04-01", "2030-04-15", "confirmed"),
        )
        .await
        .expect(201);
    // Another client's booking must not show in this client's feed.
    let other = app.client("Other").await;
    let other_program = app.program(&other["id"], "OTH").await;
    let mut b = booking(&w, None, "2030-05-01", "2030-05-03", "confirmed");
    b["program_id"] = other_program["id"].clone();
    app.post("/v1/bookings", &k, b).await.expect(201);

    let r = app
        .http
        .get(format!("{}/v1/bookings.ics", app.base))
        .bearer_auth(&w.client_key)
        .send()
        .await
        .unwrap();
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/calendar"));
    let text = r.text().await.unwrap();
    let cal: icalendar::Calendar = text.parse().expect("a parseable iCalendar document");
    let events: Vec<&icalendar::Event> =
        cal.components.iter().filter_map(|c| c.as_event()).collect();
    assert_eq!(events.len(), 2, "only this client's two bookings:\n{text}");
    use icalendar::Component;
    let by_uid: std::collections::HashMap<String, &icalendar::Event> = events
        .iter()
        .map(|e| (e.get_uid().unwrap().to_string(), *e))
        .collect();
    let h = by_uid[&format!("{}@suiteplan", held["id"].as_str().unwrap())];
    assert_eq!(h.get_status(), Some(icalendar::EventStatus::Tentative));
    assert_eq!(
        h.get_start(),
        Some(icalendar::DatePerhapsTime::Date(
            "2030-03-01".parse().unwrap()
        ))
    );
    assert_eq!(
        h.get_end(),
        Some(icalendar::DatePerhapsTime::Date(
            "2030-03-15".parse().unwrap()
        ))
    );
    let c = by_uid[&format!("{}@suiteplan", confirmed["id"].as_str().unwrap())];
    assert_eq!(c.get_status(), Some(icalendar::EventStatus::Confirmed));

    // A token feed for calendar programs: no bearer key, scoped like its creator, revocable.
    let feed = app
        .post(
            "/v1/calendar-feeds",
            &w.client_key,
            json!({"suite_id": null, "program_id": null}),
        )
        .await
        .expect(201);
    let url = feed["url"].as_str().unwrap();
    let path = &url[url.find("/feeds/").unwrap()..];
    let text2 = app
        .http
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(text2.matches("BEGIN:VEVENT").count(), 2);
    app.delete(
        &format!("/v1/calendar-feeds/{}", feed["id"].as_str().unwrap()),
        &w.client_key,
    )
    .await
    .expect(204);
    let gone = app
        .http
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404);
});

both_backends!(
    the_sweeper_expires_holds_and_warns_before_expiry,
    |_app: TestApp| async move {
        let backend = _app.backend;
        drop(_app);
        let app = TestApp::spawn_with(backend, |s| s.bookings.sweep_interval_s = 1).await;
        let w = world(&app, 2).await;
        let mut short = booking(&w, Some(1), "2030-02-01", "2030-02-10", "held");
        short["hold_expires_at"] =
            json!((chrono::Utc::now() + chrono::Duration::milliseconds(500)).to_rfc3339());
        let short = app
            .post("/v1/bookings", &w.client_key, short)
            .await
            .expect(201);
        // Expires within the warning window (3 days) but not during the test.
        let mut warned = booking(&w, Some(2), "2030-02-01", "2030-02-10", "held");
        warned["hold_expires_at"] =
            json!((chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339());
        let warned = app
            .post("/v1/bookings", &w.client_key, warned)
            .await
            .expect(201);
        // Wait for the sweeper's events (bounded: at most 10 s).
        let mut expired = Vec::new();
        for _ in 0..100 {
            expired = app.events("booking.expired").await;
            if !expired.is_empty() && !app.events("hold.expiring").await.is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(expired.len(), 1, "{expired:?}");
        assert_eq!(expired[0]["booking"]["id"], short["id"]);
        assert_eq!(expired[0]["booking"]["status"], "expired");
        let expiring = app.events("hold.expiring").await;
        assert_eq!(
            expiring.len(),
            1,
            "warned once, not on every sweep: {expiring:?}"
        );
        assert_eq!(expiring[0]["booking"]["id"], warned["id"]);
        let held = app.events("booking.held").await;
        assert_eq!(held.len(), 2);
    }
);

// Text that ends up in calendar files: names take no control characters, notes and closure
// reasons only tabs and line feeds; CR and NUL are 422 naming the field and nothing is written.
// The feed of a booking whose note has line feeds parses strictly: every line ends in CRLF, no
// bare CR anywhere, and the note comes back whole.
both_backends!(
    control_characters_are_refused_and_feeds_stay_well_formed,
    |app: TestApp| async move {
        let w = world(&app, 2).await;
        let k = w.planner_key.clone();
        for (bad, what) in [("a\rb", "CR"), ("a\u{0}b", "NUL"), ("a\u{1b}[2Jb", "ESC")] {
            let mut b = booking(&w, Some(1), "2030-03-01", "2030-03-05", "confirmed");
            b["note"] = json!(bad);
            app.post("/v1/bookings", &k, b).await.invalid("/note");
            let mut p = TestApp::program_body(&json!(w.client), &format!("P {what}"));
            p["name"] = json!(format!("P{bad}"));
            app.post("/v1/programs", &app.admin_key, p)
                .await
                .invalid("/name");
            app.post(
                &format!("/v1/suites/{}/closures", w.suite),
                &app.admin_key,
                json!({"start": "2030-06-01", "end": "2030-06-03", "reason": bad}),
            )
            .await
            .invalid("/reason");
        }
        let mut p = TestApp::program_body(&json!(w.client), "P");
        p["name"] = json!("two\nlines");
        app.post("/v1/programs", &app.admin_key, p)
            .await
            .invalid("/name");
        let listed = app.get("/v1/bookings", &k).await.expect(200);
        assert_eq!(listed["items"].as_array().unwrap().len(), 0, "{listed}");

        let note = "pick-up at 06:00\n\tcourier: Kryo\nsecond shift";
        let mut b = booking(&w, Some(1), "2030-03-01", "2030-03-05", "confirmed");
        b["note"] = json!(note);
        app.post("/v1/bookings", &k, b).await.expect(201);
        let r = app
            .request(reqwest::Method::GET, "/v1/bookings.ics", Some(&k), None)
            .await;
        assert_eq!(r.status, 200);
        let text = r.text;
        for (i, line) in text.split("\r\n").enumerate() {
            assert!(!line.contains('\r'), "bare CR on line {i}: {text:?}");
            assert!(!line.contains('\n'), "bare LF on line {i}: {text:?}");
        }
        assert!(text.ends_with("\r\n"), "{text:?}");
        let cal: icalendar::Calendar = text.parse().expect("a parseable iCalendar document");
        use icalendar::Component;
        let event = cal
            .components
            .iter()
            .find_map(|c| c.as_event())
            .expect("one event");
        assert_eq!(event.get_description(), Some(note));
    }
);
