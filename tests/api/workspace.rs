//! The planner's and the client's work done from the pages (no API calls by the person): booking
//! and extending holds, closures, plans started and accepted, the forecast grid, holds requested
//! from free windows, calendar feeds and webhooks. Each form is a real POST with the session's
//! cookie and CSRF token, checked against what the API then says.

use crate::both_backends;
use crate::helpers::*;
use crate::pages::{cookie_pair, csrf_of, login, page};
use chrono::{Duration, Utc};
use serde_json::{json, Value};

fn day(offset: i64) -> String {
    (Utc::now().date_naive() + Duration::days(offset)).to_string()
}

fn month(offset_months: u32) -> String {
    let today = Utc::now().date_naive();
    let m0 = today.format("%Y").to_string().parse::<u32>().unwrap() * 12
        + today.format("%m").to_string().parse::<u32>().unwrap()
        - 1
        + offset_months;
    format!("{:04}-{:02}", m0 / 12, m0 % 12 + 1)
}

/// A logged-in browser, as far as HTTP goes: its cookie and its session's CSRF token.
pub struct Session {
    pub cookie: String,
    pub token: String,
}

impl Session {
    pub async fn of(app: &TestApp, key: &str) -> Session {
        let (_, _, set_cookie, _) = login(app, key).await;
        let cookie = cookie_pair(&set_cookie);
        let token = csrf_of(app, &cookie).await;
        Session { cookie, token }
    }

    /// POSTs a page form (`fields` plus the session's token unless `forged`): status, Location
    /// and body.
    pub async fn post(
        &self,
        app: &TestApp,
        path: &str,
        fields: &[(&str, &str)],
        forged: bool,
    ) -> (u16, String, String) {
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        if !forged {
            form.push(("csrf_token", &self.token));
        }
        let r = app
            .http
            .post(format!("{}{}", app.base, path))
            .header("cookie", &self.cookie)
            .header("origin", &app.base)
            .form(&form)
            .send()
            .await
            .expect("form sent");
        let location = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        (
            r.status().as_u16(),
            location,
            r.text().await.unwrap_or_default(),
        )
    }

    pub async fn get(&self, app: &TestApp, path: &str) -> (u16, String) {
        let (status, _, _, html) = page(app, path, &self.cookie).await;
        (status, html)
    }
}

async fn forecast_version(app: &TestApp, program: &Value) -> Option<i64> {
    app.get(
        &format!("/v1/programs/{}/forecast", id(program)),
        &app.admin_key,
    )
    .await
    .expect(200)["version"]
        .as_i64()
}

async fn closures_of(app: &TestApp, suite: &Value) -> Vec<Value> {
    app.get(
        &format!("/v1/suites/{}/closures", id(suite)),
        &app.admin_key,
    )
    .await
    .expect(200)["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_string()
}

async fn bookings(app: &TestApp) -> Vec<Value> {
    app.get("/v1/bookings", &app.admin_key).await.expect(200)["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

both_backends!(
    a_planner_books_extends_and_closes_from_the_pages,
    |app: TestApp| async move {
        let site = app.site("Leiden").await;
        let north = app.suite(&site["id"], "CT-North", &["autologous"], 2).await;
        let helix = app.client("Helix").await;
        let hlx = app.program(&helix["id"], "HLX-Alpha").await;
        let planner = Session::of(&app, &app.key("planner", None).await).await;

        // The form, from a Gantt row's link: the suite chosen.
        let (status, html) = planner
            .get(
                &app,
                &format!("/ui/bookings/new?suite_id={}&line=1", id(&north)),
            )
            .await;
        assert_eq!(status, 200);
        assert!(
            html.contains(&format!(r#"<option value="{}" selected>"#, id(&north))),
            "{html}"
        );

        // Availability from the form: the program's free windows, each filling the form.
        let (status, html) = planner
            .get(&app, &format!("/ui/bookings/new?program_id={}", id(&hlx)))
            .await;
        assert_eq!(status, 200);
        assert!(
            html.contains("Free windows for HLX-Alpha (16 days"),
            "{html}"
        );
        assert!(
            html.contains(&format!(
                "/ui/bookings/new?program_id={}&amp;suite_id={}&amp;line=1&amp;start={}&amp;end={}",
                id(&hlx),
                id(&north),
                day(0),
                day(16)
            )),
            "{html}"
        );
        let (s10, s26) = (day(10), day(26));
        let good = [
            ("program_id", id(&hlx)),
            ("suite_id", id(&north)),
            ("line", "1".into()),
            ("start", s10.clone()),
            ("end", s26.clone()),
            ("status", "held".into()),
            ("kind", "gmp_batch".into()),
        ];
        let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
        // Forged: refused, nothing booked.
        let (status, _, _) = planner.post(&app, "/ui/bookings", &good, true).await;
        assert_eq!(status, 403);
        assert!(bookings(&app).await.is_empty());
        // Booked: back to the picture, told so, and the API has it.
        let (status, location, _) = planner.post(&app, "/ui/bookings", &good, false).await;
        assert_eq!((status, location.as_str()), (303, "/ui/#bookings"));
        let all = bookings(&app).await;
        assert_eq!(all.len(), 1);
        let hold = all[0].clone();
        assert_eq!(
            (hold["start"].as_str(), hold["end"].as_str()),
            (Some(s10.as_str()), Some(s26.as_str()))
        );
        assert_eq!(hold["status"], "held");
        let (_, html) = planner.get(&app, "/ui/").await;
        assert!(
            html.contains("Held: HLX-Alpha on CT-North line 1"),
            "{html}"
        );

        // The same line again, overlapping: the API's 409 with the booking it hits, the form
        // filled as typed; nothing booked.
        let (s20, s30) = (day(20), day(30));
        let mut clash = good.clone();
        clash[3] = ("start", &s20);
        clash[4] = ("end", &s30);
        let (status, _, html) = planner.post(&app, "/ui/bookings", &clash, false).await;
        assert_eq!(status, 409, "{html}");
        assert!(html.contains("booking of HLX-Alpha on line 1"), "{html}");
        assert!(
            html.contains(&format!(r#"value="{s20}""#)),
            "the form keeps what was typed"
        );
        assert_eq!(bookings(&app).await.len(), 1);
        // An end before the start: 422, the message next to the end field.
        let mut backwards = good.clone();
        backwards[4] = ("end", &s10);
        backwards[3] = ("start", &s26);
        let (status, _, html) = planner.post(&app, "/ui/bookings", &backwards, false).await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains(r#"id="end-error""#), "{html}");
        assert_eq!(bookings(&app).await.len(), 1);

        // Extend the hold to the end of a day: the API shows the new expiry.
        let hid = id(&hold);
        let later = day(5);
        let (status, location, _) = planner
            .post(
                &app,
                &format!("/ui/bookings/{hid}/extend"),
                &[("hold_expires", &later)],
                false,
            )
            .await;
        assert_eq!((status, location.as_str()), (303, "/ui/#holds"));
        let b = app
            .get(&format!("/v1/bookings/{hid}"), &app.admin_key)
            .await
            .expect(200);
        assert_eq!(
            b["hold_expires_at"].as_str().map(|t| &t[..19]),
            Some(format!("{later}T23:59:59").as_str()),
            "{b}"
        );
        let (_, html) = planner.get(&app, "/ui/").await;
        assert!(html.contains("The hold now expires at"), "{html}");
        // In the past: refused with the API's reason, the expiry unchanged.
        let (status, _, html) = planner
            .post(
                &app,
                &format!("/ui/bookings/{hid}/extend"),
                &[("hold_expires", &day(-2))],
                false,
            )
            .await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains("must be in the future"), "{html}");
        let again = app
            .get(&format!("/v1/bookings/{hid}"), &app.admin_key)
            .await
            .expect(200);
        assert_eq!(again["hold_expires_at"], b["hold_expires_at"]);
        // The API's own extend says the same.
        app.post(
            &format!("/v1/bookings/{hid}/extend"),
            &app.admin_key,
            json!({"hold_expires_at": "2001-01-01T00:00:00Z"}),
        )
        .await
        .expect(422);
        // A client may not extend.
        let client = Session::of(&app, &app.key("client", helix["id"].as_str()).await).await;
        let (status, _, _) = client
            .post(
                &app,
                &format!("/ui/bookings/{hid}/extend"),
                &[("hold_expires", &day(8))],
                false,
            )
            .await;
        assert_eq!(status, 403);

        // A shutdown over the hold: refused with the hold named, unless forced.
        let closures_path = format!("/ui/suites/{}/closures", id(&north));
        let (c15, c18) = (day(15), day(18));
        let closure = [
            ("start", c15.as_str()),
            ("end", c18.as_str()),
            ("lines", "1"),
            ("reason", "HVAC repair"),
        ];
        let (status, _, html) = planner.post(&app, &closures_path, &closure, false).await;
        assert_eq!(status, 409, "{html}");
        assert!(html.contains("booking of HLX-Alpha on line 1"), "{html}");
        assert!(closures_of(&app, &north).await.is_empty());
        let (status, _, _) = planner.post(&app, &closures_path, &closure, true).await;
        assert_eq!(status, 403, "forged");
        let mut forced = closure.to_vec();
        forced.push(("force", "true"));
        let (status, location, _) = planner.post(&app, &closures_path, &forced, false).await;
        assert_eq!(status, 303);
        assert!(location.starts_with("/ui/suites"), "{location}");
        let closures = closures_of(&app, &north).await;
        assert_eq!(closures.len(), 1);
        assert_eq!(closures[0]["lines"], json!([1]));
        let (_, html) = planner.get(&app, "/ui/suites").await;
        assert!(
            html.contains("HVAC repair") && html.contains("CT-North is closed from"),
            "{html}"
        );
        // Removed again.
        let (status, _, _) = planner
            .post(
                &app,
                &format!("/ui/closures/{}/delete", id(&closures[0])),
                &[],
                false,
            )
            .await;
        assert_eq!(status, 303);
        assert!(closures_of(&app, &north).await.is_empty());
        // Bad lines: the API's message for the field.
        let bad = [
            ("start", c15.as_str()),
            ("end", c18.as_str()),
            ("lines", "7"),
            ("reason", "x"),
        ];
        let (status, _, html) = planner.post(&app, &closures_path, &bad, false).await;
        assert_eq!(status, 422, "{html}");
        assert!(closures_of(&app, &north).await.is_empty());
        // Clients have no suites page.
        assert_eq!(client.get(&app, "/ui/suites").await.0, 403);
    }
);

/// `batches` phase-1 batches in each of the next `months` months (from next month).
async fn forecast(app: &TestApp, program: &Value, batches: i64, months: u32) {
    let entries: Vec<Value> = (1..=months)
        .map(|i| json!({"month": month(i), "phase": "phase1", "batches": batches}))
        .collect();
    app.put(
        &format!("/v1/programs/{}/forecast", id(program)),
        &app.admin_key,
        json!({"entries": entries}),
    )
    .await
    .expect(200);
}

both_backends!(
    plans_are_started_watched_and_accepted_from_the_pages,
    |app: TestApp| async move {
        let site = app.site("Leiden").await;
        app.suite(&site["id"], "CT-North", &["autologous"], 2).await;
        let helix = app.client("Helix").await;
        let hlx = app.program(&helix["id"], "HLX-Alpha").await;
        let other = app.program(&helix["id"], "HLX-Beta").await;
        forecast(&app, &hlx, 2, 3).await;
        let planner = Session::of(&app, &app.key("planner", None).await).await;

        // A plan whose last month is before its first: the API's 422 next to the form.
        let (status, _, html) = planner
            .post(
                &app,
                "/ui/plans",
                &[
                    ("scenario", "expected"),
                    ("from", &month(3)),
                    ("last", &month(1)),
                ],
                false,
            )
            .await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains("Not done (422)"), "{html}");
        let (status, _, _) = planner
            .post(
                &app,
                "/ui/plans",
                &[
                    ("scenario", "expected"),
                    ("from", &month(0)),
                    ("last", &month(4)),
                ],
                true,
            )
            .await;
        assert_eq!(status, 403, "forged");
        assert_eq!(
            app.get("/v1/plans", &app.admin_key).await.expect(200)["items"]
                .as_array()
                .map(Vec::len),
            Some(0)
        );

        // Started: to its page, which reloads itself until the plan is done.
        let hlx_id = id(&hlx);
        let (status, location, _) = planner
            .post(
                &app,
                "/ui/plans",
                &[
                    ("scenario", "expected"),
                    ("from", &month(0)),
                    ("last", &month(4)),
                    ("time_limit_s", "5"),
                    ("program_ids", &hlx_id),
                ],
                false,
            )
            .await;
        assert_eq!(status, 303);
        let plan_id = location
            .strip_prefix("/ui/plans/")
            .expect("to the plan's page")
            .to_string();
        let plan = crate::plans::wait_done(&app, &plan_id).await;
        assert_eq!(plan["from"], format!("{}-01", month(0)));
        assert_eq!(plan["to"], format!("{}-01", month(5)));
        let (status, html) = planner.get(&app, &location).await;
        assert_eq!(status, 200);
        assert!(
            !html.contains(r#"http-equiv="refresh""#),
            "a done plan does not reload"
        );
        assert!(
            html.contains(r#"<strong id="plan-status">done</strong>"#),
            "{html}"
        );
        let suggestions = plan["suggestions"].as_array().cloned().unwrap_or_default();
        assert_eq!(suggestions.len(), 6, "{plan}");
        // Its printable report: the plan's figures, month by month.
        let (status, report) = planner
            .get(&app, &format!("/ui/plans/{plan_id}/report"))
            .await;
        assert_eq!(status, 200);
        assert!(
            report.contains("Served and short by month") && report.contains("@media print"),
            "{report}"
        );
        let m1 = month(1);
        assert!(
            report.contains(&format!(r#"<tr><td>{m1}</td><td class="num">2</td><td class="num">2</td><td class="num">0</td></tr>"#)),
            "{report}"
        );

        // Accept one as a hold: booked exactly as suggested, the row now says so.
        let first = &suggestions[0];
        let accept = format!("/ui/plans/{plan_id}/accept");
        let (status, location, _) = planner
            .post(
                &app,
                &accept,
                &[
                    ("suggestion", first["id"].as_str().unwrap()),
                    ("status", "held"),
                ],
                false,
            )
            .await;
        assert_eq!(
            (status, location.as_str()),
            (303, format!("/ui/plans/{plan_id}#suggestions").as_str())
        );
        let booked = bookings(&app).await;
        assert_eq!(booked.len(), 1);
        for f in ["suite_id", "line", "start", "end", "program_id"] {
            assert_eq!(booked[0][f], first[f], "{f}");
        }
        assert_eq!(booked[0]["status"], "held");
        let (_, html) = planner.get(&app, &format!("/ui/plans/{plan_id}")).await;
        assert!(html.contains("1 of 1 suggestion(s) booked"), "{html}");
        assert!(html.contains("booked (held)"), "{html}");

        // Someone takes the slot of a suggestion of month 2 meanwhile; accepting all of month 2
        // books the rest and refuses that one with the reason.
        let m2 = month(2);
        let of_m2: Vec<&Value> = suggestions
            .iter()
            .filter(|s| s["month"] == m2.as_str())
            .collect();
        assert_eq!(of_m2.len(), 2, "{plan}");
        let taken = of_m2[0];
        app.post(
            "/v1/bookings",
            &app.admin_key,
            json!({"program_id": id(&other), "suite_id": taken["suite_id"], "line": taken["line"], "start": taken["start"],
                   "end": taken["end"], "status": "confirmed", "hold_expires_at": null, "note": null}),
        )
        .await
        .expect(201);
        let (status, _, _) = planner
            .post(
                &app,
                &accept,
                &[("month", &m2), ("status", "confirmed")],
                false,
            )
            .await;
        assert_eq!(status, 303);
        let (_, html) = planner.get(&app, &format!("/ui/plans/{plan_id}")).await;
        assert!(html.contains("1 of 2 suggestion(s) booked"), "{html}");
        assert!(html.contains("409: the change collides"), "{html}");
        assert!(
            html.contains("booking of HLX-Beta"),
            "the reason names what took the slot: {html}"
        );
        let after = bookings(&app).await;
        assert_eq!(after.len(), 3);
        assert_eq!(
            after.iter().filter(|b| b["status"] == "confirmed").count(),
            2
        );
        // The flash is shown once.
        let (_, html) = planner.get(&app, &format!("/ui/plans/{plan_id}")).await;
        assert!(!html.contains("suggestion(s) booked"));

        // The rest by program: every open suggestion of HLX-Alpha but the one refused.
        let (status, _, _) = planner
            .post(
                &app,
                &accept,
                &[("program_id", &hlx_id), ("status", "held")],
                false,
            )
            .await;
        assert_eq!(status, 303);
        let (_, html) = planner.get(&app, &format!("/ui/plans/{plan_id}")).await;
        assert!(html.contains("3 of 4 suggestion(s) booked"), "{html}");
        assert_eq!(bookings(&app).await.len(), 6);

        // Clients do not start or read plans here.
        let client = Session::of(&app, &app.key("client", helix["id"].as_str()).await).await;
        assert_eq!(client.get(&app, "/ui/plans").await.0, 403);
        let (status, _, _) = client.post(&app, &accept, &[("month", &m2)], false).await;
        assert_eq!(status, 403);
    }
);

both_backends!(
    a_client_enters_its_forecast_in_the_grid,
    |app: TestApp| async move {
        let site = app.site("Leiden").await;
        app.suite(&site["id"], "CT-North", &["autologous"], 2).await;
        let helix = app.client("Helix").await;
        let rival = app.client("Rival").await;
        let hlx = app.program(&helix["id"], "HLX-Alpha").await;
        let rvl = app.program(&rival["id"], "RVL-Beta").await;
        let client = Session::of(&app, &app.key("client", helix["id"].as_str()).await).await;
        let path = format!("/ui/programs/{}", id(&hlx));
        let (status, html) = client.get(&app, &path).await;
        assert_eq!(status, 200);
        let (m1, m2, m3) = (month(1), month(2), month(3));
        let cell = |m: &str, ph: &str| format!("c.{m}.{ph}");
        assert!(
            html.contains(&format!(r#"name="{}""#, cell(&m1, "phase1"))),
            "{html}"
        );
        assert!(
            !html.contains(r#"name="priority""#) && !html.contains(r#"name="phase""#),
            "planner fields are read-only for a client"
        );
        // Another client's program is not there.
        assert_eq!(
            client
                .get(&app, &format!("/ui/programs/{}", id(&rvl)))
                .await
                .0,
            404
        );

        let grid_path = format!("{path}/forecast");
        let (a, b, c) = (
            cell(&m1, "phase1"),
            cell(&m2, "phase1"),
            cell(&m3, "phase2"),
        );
        let (status, _, _) = client
            .post(
                &app,
                &grid_path,
                &[(a.as_str(), "2"), (b.as_str(), "3")],
                true,
            )
            .await;
        assert_eq!(status, 403, "forged");
        let (status, location, _) = client
            .post(
                &app,
                &grid_path,
                &[(a.as_str(), "2"), (b.as_str(), "3"), (c.as_str(), "1")],
                false,
            )
            .await;
        assert_eq!(
            (status, location.as_str()),
            (303, format!("{path}#forecast").as_str())
        );
        let f = app
            .get(
                &format!("/v1/programs/{}/forecast", id(&hlx)),
                &app.admin_key,
            )
            .await
            .expect(200);
        assert_eq!(f["version"], 1);
        assert_eq!(
            f["entries"],
            json!([{"month": m1, "phase": "phase1", "batches": 2}, {"month": m2, "phase": "phase1", "batches": 3}, {"month": m3, "phase": "phase2", "batches": 1}])
        );
        let (_, html) = client.get(&app, &path).await;
        assert!(
            html.contains("The forecast is saved as version 1."),
            "{html}"
        );
        // Beside each month, each scenario's demand as the API computes it.
        for m in [&m1, &m2, &m3] {
            let row_at = html
                .find(&format!(r#"<th scope="row">{m}</th>"#))
                .expect("the month's row");
            let row = &html[row_at..row_at + html[row_at..].find("</tr>").unwrap()];
            let shown: Vec<String> = row
                .split(r#"<td class="num">"#)
                .skip(1)
                .map(|c| c.split('<').next().unwrap().to_string())
                .collect();
            let mut expected = Vec::new();
            for sc in ["committed", "expected", "maximum"] {
                let d = app
                    .get(
                        &format!("/v1/programs/{}/demand?scenario={sc}", id(&hlx)),
                        &app.admin_key,
                    )
                    .await
                    .expect(200);
                let n: i64 = d["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|i| i["month"] == m.as_str())
                    .map(|i| i["batches"].as_i64().unwrap())
                    .sum();
                expected.push(n.to_string());
            }
            assert_eq!(shown, expected, "{m}: {row}");
        }

        // Two phases in one month and a negative count: every bad cell named, nothing saved.
        let d = cell(&m1, "phase2");
        let (status, _, html) = client
            .post(
                &app,
                &grid_path,
                &[(a.as_str(), "2"), (d.as_str(), "1"), (b.as_str(), "-4")],
                false,
            )
            .await;
        assert_eq!(status, 422, "{html}");
        assert!(
            html.contains(&format!(r#"id="{d}-error""#)),
            "the repeated month at its cell: {html}"
        );
        assert!(
            html.contains(&format!(r#"id="{b}-error""#)),
            "the negative count at its cell: {html}"
        );
        assert!(html.contains(r#"value="-4""#), "what was typed stays");
        let f2 = app
            .get(
                &format!("/v1/programs/{}/forecast", id(&hlx)),
                &app.admin_key,
            )
            .await
            .expect(200);
        assert_eq!(f2, f, "nothing saved");

        // The program form: a client renames it; a phase posted anyway is not its to change.
        let (status, _, _) = client
            .post(
                &app,
                &path,
                &[
                    ("name", "HLX-Alpha TIL"),
                    ("batch_days", "14"),
                    ("changeover_days", "2"),
                    ("phase", "commercial"),
                ],
                false,
            )
            .await;
        assert_eq!(status, 303);
        let p = app
            .get(&format!("/v1/programs/{}", id(&hlx)), &app.admin_key)
            .await
            .expect(200);
        assert_eq!(
            (p["name"].as_str(), p["phase"].as_str()),
            (Some("HLX-Alpha TIL"), Some("phase1"))
        );
        let (status, _, html) = client
            .post(
                &app,
                &path,
                &[
                    ("name", "HLX-Alpha TIL"),
                    ("batch_days", "0"),
                    ("changeover_days", "2"),
                ],
                false,
            )
            .await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains(r#"id="batch_days-error""#), "{html}");
    }
);

both_backends!(
    a_client_requests_a_hold_from_a_free_window_and_subscribes,
    |app: TestApp| async move {
        let site = app.site("Leiden").await;
        let north = app.suite(&site["id"], "CT-North", &["autologous"], 1).await;
        let helix = app.client("Helix").await;
        let hlx = app.program(&helix["id"], "HLX-Alpha").await;
        let client = Session::of(&app, &app.key("client", helix["id"].as_str()).await).await;
        let (_, html) = client.get(&app, "/ui/client").await;
        assert!(html.contains("Free windows for your programs"), "{html}");
        // The first window's form: the program, the suite, and one batch + changeover (16 days).
        let form_at = html
            .find(r#"<form class="inline" method="post" action="/ui/bookings">"#)
            .expect("a request form");
        let form = &html[form_at..form_at + html[form_at..].find("</form>").unwrap()];
        let value = |name: &str| {
            let marker = format!(r#"name="{name}" value=""#);
            let at = form
                .find(&marker)
                .unwrap_or_else(|| panic!("{name} in {form}"))
                + marker.len();
            form[at..].split('"').next().unwrap().to_string()
        };
        assert_eq!(value("program_id"), id(&hlx));
        assert_eq!(value("suite_id"), id(&north));
        let (start, end) = (value("start"), value("end"));
        assert_eq!(start, day(0));
        assert_eq!(end, day(16));
        let fields = [
            ("program_id", value("program_id")),
            ("suite_id", value("suite_id")),
            ("line", value("line")),
            ("start", start.clone()),
            ("end", end.clone()),
            // A client's form asks for a hold whatever is posted.
            ("status", "confirmed".to_string()),
        ];
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, location, _) = client.post(&app, "/ui/bookings", &fields, false).await;
        assert_eq!((status, location.as_str()), (303, "/ui/client#holds"));
        let all = bookings(&app).await;
        assert_eq!(all.len(), 1);
        assert_eq!(all[0]["status"], "held");
        assert_eq!(
            (all[0]["start"].as_str(), all[0]["end"].as_str()),
            (Some(start.as_str()), Some(end.as_str()))
        );
        let (_, html) = client.get(&app, "/ui/client").await;
        assert!(
            html.contains("Held: HLX-Alpha on CT-North line 1"),
            "{html}"
        );
        assert!(
            html.contains(&format!("/ui/bookings/{}/cancel", id(&all[0]))),
            "in its holds"
        );
        // The same window again: taken now, refused with the interval (not whose it is).
        let (status, _, html) = client.post(&app, "/ui/bookings", &fields, false).await;
        assert_eq!(status, 409, "{html}");
        assert!(html.contains("booking on line 1"), "{html}");

        // A calendar feed: its URL shown once, and it serves the hold.
        let (status, location, _) = client.post(&app, "/ui/feeds", &[], false).await;
        assert_eq!((status, location.as_str()), (303, "/ui/client#feeds"));
        let (_, html) = client.get(&app, "/ui/client").await;
        let at = html.find("/feeds/").expect("the feed URL shown");
        let token_path = html[at..]
            .split(|c: char| c == '<' || c.is_whitespace())
            .next()
            .unwrap()
            .to_string();
        let ics = app
            .http
            .get(format!("{}{}", app.base, token_path))
            .send()
            .await
            .expect("feed");
        assert_eq!(ics.status().as_u16(), 200);
        let text = ics.text().await.unwrap();
        assert!(
            text.contains("BEGIN:VEVENT") && text.contains("TENTATIVE"),
            "{text}"
        );
        let (_, html) = client.get(&app, "/ui/client").await;
        assert!(!html.contains(&token_path), "shown once");

        // Webhooks: a bad URL refused with the field, a good one subscribed with its secret
        // shown once, then deleted.
        let (status, _, _) = client
            .post(
                &app,
                "/ui/webhooks",
                &[("url", "ftp://x"), ("events", "*")],
                false,
            )
            .await;
        assert_eq!(status, 303);
        let (_, html) = client.get(&app, "/ui/client").await;
        assert!(html.contains("/url"), "{html}");
        let (status, _, _) = client
            .post(
                &app,
                "/ui/webhooks",
                &[
                    ("url", "https://hooks.helix.example/suiteplan"),
                    ("events", "booking.confirmed"),
                    ("events", "hold.expiring"),
                ],
                false,
            )
            .await;
        assert_eq!(status, 303);
        let (_, html) = client.get(&app, "/ui/client").await;
        assert!(html.contains("Its signing secret"), "{html}");
        let hooks = app.get("/v1/webhooks", &app.admin_key).await.expect(200)["items"]
            .as_array()
            .cloned()
            .unwrap();
        assert_eq!(hooks.len(), 1);
        assert_eq!(hooks[0]["client_id"], helix["id"]);
        assert_eq!(
            hooks[0]["events"],
            json!(["booking.confirmed", "hold.expiring"])
        );
        let (status, _, _) = client
            .post(
                &app,
                &format!("/ui/webhooks/{}/delete", id(&hooks[0])),
                &[],
                true,
            )
            .await;
        assert_eq!(status, 403, "forged");
        let (status, _, _) = client
            .post(
                &app,
                &format!("/ui/webhooks/{}/delete", id(&hooks[0])),
                &[],
                false,
            )
            .await;
        assert_eq!(status, 303);
        assert_eq!(
            app.get("/v1/webhooks", &app.admin_key).await.expect(200)["items"],
            json!([])
        );
    }
);

/// Clicks what `css` finds and returns the path and DOM of the page the browser lands on.
async fn click(browser: &crate::pages::Browser, css: &str) -> (String, String) {
    let element = browser
        .client
        .find(fantoccini::Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    element.clone().click().await.expect("click");
    // Wait until the page has been replaced (the element goes stale).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while element.attr("type").await.is_ok() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    browser.landed().await
}

/// Sets the field with this id as a person choosing a date would (date inputs take keys in the
/// browser's locale format; the value is what the form sends).
async fn set_value(browser: &crate::pages::Browser, id: &str, value: &str) {
    browser
        .client
        .execute(
            "document.getElementById(arguments[0]).value = arguments[1];",
            vec![json!(id), json!(value)],
        )
        .await
        .expect("value set");
}

async fn type_into(browser: &crate::pages::Browser, css: &str, text: &str) {
    let field = browser
        .client
        .find(fantoccini::Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    field.clear().await.expect("cleared");
    field.send_keys(text).await.expect("typed");
}

// A planner's week and a client's, in a real browser (headless Chromium through WebDriver):
// confirm a hold, handle a shutdown, replan, accept a suggestion and see it on the Gantt; enter a
// forecast in the grid, request a hold from a free window, ask for dates and a price and hold
// them in one step. Screenshots are saved for a person
// to look at (SUITEPLAN_SCREENSHOTS, else a temporary directory).
#[tokio::test]
async fn a_week_of_work_in_the_browser() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let site = app.site("Leiden").await;
    let north = app.suite(&site["id"], "CT-North", &["autologous"], 2).await;
    let helix = app.client("Helix").await;
    let hlx = app.program(&helix["id"], "HLX-Alpha").await;
    forecast(&app, &hlx, 2, 3).await;
    let hold = app
        .post(
            "/v1/bookings",
            &app.admin_key,
            json!({"program_id": id(&hlx), "suite_id": id(&north), "line": 2, "start": day(3), "end": day(19),
                   "status": "held", "hold_expires_at": null, "note": null}),
        )
        .await
        .expect(201);
    let dir = tempfile::tempdir().expect("temp dir");
    let shots = std::env::var("SUITEPLAN_SCREENSHOTS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| dir.path().to_path_buf());
    std::fs::create_dir_all(&shots).expect("screenshot dir");
    let browser = crate::pages::Browser::start().await;

    // Monday: the capacity picture; the client's hold is confirmed.
    let planner = app.key("planner", None).await;
    let (path, _) = browser.log_in(&app.base, &planner).await;
    assert_eq!(path, "/ui/");
    let (path, dom) = click(&browser, "#holds ~ table form button").await;
    assert_eq!(path, "/ui/", "{dom}");
    assert!(dom.contains("The hold is confirmed."), "{dom}");
    let b = app
        .get(&format!("/v1/bookings/{}", id(&hold)), &app.admin_key)
        .await
        .expect(200);
    assert_eq!(b["status"], "confirmed");
    browser
        .screenshot(&shots.join("week-1-confirmed.png"), 1400)
        .await;

    // Tuesday: a shutdown of CT-North's line 1 for a week from day 40.
    browser.open(&format!("{}/ui/suites", app.base)).await;
    let sid = id(&north);
    set_value(&browser, &format!("start-{sid}"), &day(40)).await;
    set_value(&browser, &format!("end-{sid}"), &day(47)).await;
    type_into(&browser, &format!("#lines-{sid}"), "1").await;
    type_into(&browser, &format!("#reason-{sid}"), "HVAC filter change").await;
    let (path, dom) = click(
        &browser,
        &format!("form[action='/ui/suites/{sid}/closures'] button"),
    )
    .await;
    assert_eq!(path, "/ui/suites", "{dom}");
    assert!(
        dom.contains("CT-North is closed from") && dom.contains("HVAC filter change"),
        "{dom}"
    );
    let closures = app
        .get(&format!("/v1/suites/{sid}/closures"), &app.admin_key)
        .await
        .expect(200);
    assert_eq!(closures["items"].as_array().map(Vec::len), Some(1));
    browser
        .screenshot(&shots.join("week-2-closure.png"), 1000)
        .await;

    // Wednesday: replan the next five months and watch it finish.
    browser.open(&format!("{}/ui/plans", app.base)).await;
    set_value(&browser, "from", &month(0)).await;
    set_value(&browser, "last", &month(4)).await;
    type_into(&browser, "#time_limit_s", "3").await;
    let (path, _) = click(&browser, "form.card button[type=submit]").await;
    let plan_id = path
        .strip_prefix("/ui/plans/")
        .expect("on the plan's page")
        .to_string();
    crate::plans::wait_done(&app, &plan_id).await;
    // The page reloads itself while the plan runs; once done it shows the suggestions.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let dom = loop {
        let dom = browser.client.source().await.expect("source");
        if dom.contains(r#"<strong id="plan-status">done</strong>"#)
            || std::time::Instant::now() > deadline
        {
            break dom;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert!(
        dom.contains(r#"<strong id="plan-status">done</strong>"#),
        "{dom}"
    );
    assert!(dom.contains("Each suggestion"), "{dom}");
    browser
        .screenshot(&shots.join("week-3-plan.png"), 1600)
        .await;

    // Accept the first suggestion as a hold: booked, and on the Gantt.
    let plan = app
        .get(&format!("/v1/plans/{plan_id}"), &app.admin_key)
        .await
        .expect(200);
    let mut suggestions = plan["suggestions"].as_array().cloned().unwrap_or_default();
    suggestions.sort_by_key(|s| {
        (
            s["start"].as_str().unwrap().to_string(),
            s["suite_id"].as_str().unwrap().to_string(),
            s["line"].as_i64(),
        )
    });
    let first = suggestions.first().expect("a suggestion").clone();
    let (_, dom) = click(
        &browser,
        "#suggestion-list tbody tr form button[value=held]",
    )
    .await;
    assert!(dom.contains("1 of 1 suggestion(s) booked"), "{dom}");
    let booked: Vec<Value> = bookings(&app)
        .await
        .into_iter()
        .filter(|b| b["start"] == first["start"] && b["line"] == first["line"])
        .collect();
    assert_eq!(booked.len(), 1, "the suggestion is booked");
    assert_eq!(booked[0]["status"], "held");
    browser.open(&format!("{}/ui/", app.base)).await;
    let (_, dom) = browser.landed().await;
    let bar = format!(
        "{} → {}",
        first["start"].as_str().unwrap(),
        first["end"].as_str().unwrap()
    );
    assert!(
        dom.contains(&bar),
        "the Gantt shows the new hold {bar}: {dom}"
    );
    browser
        .screenshot(&shots.join("week-4-gantt.png"), 2600)
        .await;
    browser
        .client
        .find(fantoccini::Locator::Css("header form button"))
        .await
        .expect("logout")
        .click()
        .await
        .expect("click");
    browser.landed().await;

    // The client: a forecast in the grid, then a hold requested from a free window.
    let client = app.key("client", helix["id"].as_str()).await;
    let (path, _) = browser.log_in(&app.base, &client).await;
    assert_eq!(path, "/ui/client");
    browser
        .open(&format!("{}/ui/programs/{}", app.base, id(&hlx)))
        .await;
    let cell = format!("c.{}.phase1", month(4));
    type_into(&browser, &format!("input[name='{cell}']"), "4").await;
    let (path, dom) = click(
        &browser,
        "form[aria-label='The forecast'] button[type=submit]",
    )
    .await;
    assert_eq!(path, format!("/ui/programs/{}", id(&hlx)));
    assert!(dom.contains("The forecast is saved as version 2."), "{dom}");
    let f = app
        .get(
            &format!("/v1/programs/{}/forecast", id(&hlx)),
            &app.admin_key,
        )
        .await
        .expect(200);
    assert!(
        f["entries"]
            .as_array()
            .unwrap()
            .contains(&json!({"month": month(4), "phase": "phase1", "batches": 4})),
        "{f}"
    );
    browser
        .screenshot(&shots.join("week-5-forecast.png"), 1400)
        .await;

    browser.open(&format!("{}/ui/client", app.base)).await;
    let before = bookings(&app).await.len();
    let (path, dom) = click(&browser, "#free ~ table form button").await;
    assert_eq!(path, "/ui/client", "{dom}");
    assert!(dom.contains("Held: HLX-Alpha on CT-North"), "{dom}");
    assert_eq!(bookings(&app).await.len(), before + 1);
    browser
        .screenshot(&shots.join("week-6-client-hold.png"), 2200)
        .await;

    // Dates and a price for two more batches, held in one step.
    app.put(
        &format!("/v1/sites/{}/rate-card", id(&site)),
        &app.admin_key,
        json!({"currency": "EUR", "line_day": [{"price": "3200.00"}],
               "consumables": [{"program_id": id(&hlx), "per_batch": "18500.00"}]}),
    )
    .await
    .expect(200);
    browser.open(&format!("{}/ui/quotes", app.base)).await;
    type_into(&browser, "input#batches", "2").await;
    let (path, dom) = click(
        &browser,
        "form[aria-label='Ask for a quote'] button[type=submit]",
    )
    .await;
    assert!(path.starts_with("/ui/quotes/"), "{path}: {dom}");
    assert!(dom.contains("2 GMP batches</strong> of HLX-Alpha"), "{dom}");
    // 16 line-days × 3200.00 + 18500.00 = 69700.00 a batch; two: 139400.00.
    assert!(dom.contains("EUR 139400.00"), "{dom}");
    browser
        .screenshot(&shots.join("week-7-client-quote.png"), 460)
        .await;
    let before = bookings(&app).await.len();
    let (_, dom) = click(&browser, "form[action$='/accept'] button").await;
    assert!(dom.contains("Held: 2 slots of HLX-Alpha"), "{dom}");
    assert_eq!(bookings(&app).await.len(), before + 2);
    browser
        .client
        .clone()
        .close()
        .await
        .expect("browser closes");
}

both_backends!(
    a_what_if_is_built_planned_and_compared_from_the_pages,
    |app: TestApp| async move {
        let site = app.site("Leiden").await;
        app.suite(&site["id"], "CT-North", &["autologous"], 1).await;
        let helix = app.client("Helix").await;
        let hlx = app.program(&helix["id"], "HLX-Alpha").await;
        // Two batches a month on one line of 16-day batches: short every month.
        forecast(&app, &hlx, 3, 3).await;
        let planner = Session::of(&app, &app.key("planner", None).await).await;
        let horizon = [
            ("scenario", "expected"),
            ("from", &month(0) as &str),
            ("last", &month(4)),
            ("time_limit_s", "5"),
        ];
        let (_, location, _) = planner.post(&app, "/ui/plans", &horizon, false).await;
        let live_id = location.strip_prefix("/ui/plans/").unwrap().to_string();
        let live = crate::plans::wait_done(&app, &live_id).await;

        let (status, location, _) = planner
            .post(&app, "/ui/sandboxes", &[("name", "Second suite")], false)
            .await;
        assert_eq!(status, 303);
        let page_path = location.clone();
        let sandbox_id = location.strip_prefix("/ui/sandboxes/").unwrap().to_string();
        let add = format!("{page_path}/changes");
        let site_id = id(&site);
        // Refused: no lines. The API's reason, nothing saved.
        let bad = [
            ("type", "add_suite"),
            ("site_id", site_id.as_str()),
            ("name", "CT-South"),
            ("grade", "B"),
            ("capabilities", "autologous"),
            ("lines", "0"),
            ("from", &month(0) as &str),
        ];
        let (status, _, html) = planner.post(&app, &add, &bad, false).await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains("/changes/0/suite/lines"), "{html}");
        let s = app
            .get(&format!("/v1/sandboxes/{sandbox_id}"), &app.admin_key)
            .await
            .expect(200);
        assert_eq!(s["changes"], json!([]));
        let (status, _, _) = planner.post(&app, &add, &bad, true).await;
        assert_eq!(status, 403, "forged");
        let mut good = bad.to_vec();
        good[5] = ("lines", "2");
        let (status, _, _) = planner.post(&app, &add, &good, false).await;
        assert_eq!(status, 303);
        let shift = [
            ("type", "shift_forecast"),
            ("program_id", &id(&hlx) as &str),
            ("months", "1"),
        ];
        let (status, _, _) = planner.post(&app, &add, &shift, false).await;
        assert_eq!(status, 303);
        let (_, html) = planner.get(&app, &page_path).await;
        assert!(
            html.contains("Add suite CT-South at Leiden") && html.contains("Shift HLX-Alpha"),
            "{html}"
        );
        // The shift is removed again.
        let (status, _, _) = planner
            .post(&app, &format!("{page_path}/changes/1/delete"), &[], false)
            .await;
        assert_eq!(status, 303);
        let s = app
            .get(&format!("/v1/sandboxes/{sandbox_id}"), &app.admin_key)
            .await
            .expect(200);
        assert_eq!(s["changes"].as_array().map(Vec::len), Some(1));

        // Planned from its page: a what-if, which serves more than the live plan.
        let mut what_if_form = horizon.to_vec();
        what_if_form.push(("sandbox_id", &sandbox_id));
        let (_, location, _) = planner.post(&app, "/ui/plans", &what_if_form, false).await;
        let what_if_id = location.strip_prefix("/ui/plans/").unwrap().to_string();
        let what_if = crate::plans::wait_done(&app, &what_if_id).await;
        assert!(
            what_if["objective"]["served_batches"].as_i64()
                > live["objective"]["served_batches"].as_i64(),
            "{} against {}",
            what_if["objective"],
            live["objective"]
        );
        let (_, html) = planner.get(&app, &location).await;
        assert!(
            html.contains("A what-if") && !html.contains("suggestion-list"),
            "no accept buttons: {html}"
        );
        assert!(
            html.contains(&format!(
                "/ui/compare?base={live_id}&amp;other={what_if_id}"
            )),
            "{html}"
        );
        // The comparison page: the plans' numbers and the diverging heatmap.
        let (status, html) = planner
            .get(
                &app,
                &format!("/ui/compare?base={live_id}&other={what_if_id}"),
            )
            .await;
        assert_eq!(status, 200, "{html}");
        let served = |p: &Value| p["objective"]["served_batches"].as_i64().unwrap();
        assert!(
            html.contains(&format!("{} → {}", served(&live), served(&what_if))),
            "{html}"
        );
        assert!(
            html.contains("utilisation difference heatmap") && html.contains("CT-South (new)"),
            "{html}"
        );
        // The sandbox's plan raised nothing and booked nothing.
        assert!(bookings(&app).await.is_empty());
        let completed = app.events("plan.completed").await;
        assert_eq!(completed.len(), 1, "the live plan's only: {completed:?}");
        assert_eq!(completed[0]["plan_id"], live_id.as_str());
        // Clients have no sandboxes.
        let client = Session::of(&app, &app.key("client", helix["id"].as_str()).await).await;
        assert_eq!(client.get(&app, "/ui/sandboxes").await.0, 403);
    }
);

both_backends!(
    forecasts_go_out_and_come_in_as_spreadsheets_from_the_pages,
    |app: TestApp| async move {
        let helix = app.client("Helix").await;
        let hlx = app.program(&helix["id"], "HLX-Alpha").await;
        forecast(&app, &hlx, 2, 3).await;
        let client = Session::of(&app, &app.key("client", helix["id"].as_str()).await).await;
        let (_, html) = client.get(&app, "/ui/programs").await;
        assert!(
            html.contains(r#"href="/v1/exports/forecasts?format=xlsx&amp;layout=wide""#),
            "{html}"
        );
        // The link works with the page session: an Excel attachment.
        let r = app
            .http
            .get(format!(
                "{}/v1/exports/forecasts?format=csv&layout=wide",
                app.base
            ))
            .header("cookie", &client.cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        assert!(r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment"));
        let csv = r.text().await.unwrap();
        assert!(csv.contains("HLX-Alpha"), "{csv}");

        let upload = |body: String, forged: bool| {
            let mut form = reqwest::multipart::Form::new()
                .part(
                    "file",
                    reqwest::multipart::Part::bytes(body.into_bytes()).file_name("forecast.csv"),
                )
                .text("layout", "");
            if !forged {
                form = form.text("csrf_token", client.token.clone());
            }
            app.http
                .post(format!("{}/ui/imports/forecasts", app.base))
                .header("cookie", &client.cookie)
                .header("origin", &app.base)
                .multipart(form)
                .send()
        };
        let (m1, m2) = (month(1), month(2));
        // Forged: refused, nothing imported.
        let good = format!("program,phase,{m1},{m2}\nHLX-Alpha,phase1,5,6\n");
        assert_eq!(
            upload(good.clone(), true).await.unwrap().status().as_u16(),
            403
        );
        assert_eq!(forecast_version(&app, &hlx).await, Some(1));
        // Bad cells: each named by row and column, nothing imported.
        let bad = format!("program,phase,{m1},{m2}\nHLX-Alpha,phase1,x,6\nRVL-Nope,phase1,1,1\n");
        let r = upload(bad, false).await.unwrap();
        assert_eq!(r.status().as_u16(), 303);
        let (_, html) = client.get(&app, "/ui/programs").await;
        assert!(html.contains("Nothing was imported"), "{html}");
        assert!(
            html.contains(&format!("/rows/2/{m1}")) && html.contains("/rows/3/program"),
            "{html}"
        );
        assert_eq!(forecast_version(&app, &hlx).await, Some(1));
        // A good file: a new version; the same file again keeps it.
        for expected in [2, 2] {
            let r = upload(good.clone(), false).await.unwrap();
            assert_eq!(r.status().as_u16(), 303);
            assert_eq!(forecast_version(&app, &hlx).await, Some(expected));
        }
        let (_, html) = client.get(&app, "/ui/programs").await;
        assert!(html.contains("unchanged (version 2 kept)"), "{html}");
    }
);
