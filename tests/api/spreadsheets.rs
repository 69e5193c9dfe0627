//! Spreadsheets in and out (issue 11): forecast imports (long and wide, CSV and XLSX) checked
//! cell by cell and written all or nothing, idempotently; exports that import back unchanged;
//! bookings from a file; clients' isolation; a plan's tables with the plan's own numbers.

use crate::both_backends;
use crate::helpers::*;
use crate::plans::{cdmo, wait_done};
use serde_json::{json, Value};
use suiteplan::sheets::{self, Cell, Table};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async fn upload(app: &TestApp, path: &str, key: &str, content_type: &str, body: Vec<u8>) -> Resp {
    let r = app
        .http
        .post(format!("{}{path}", app.base))
        .bearer_auth(key)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("request sent");
    TestApp::read(r).await
}

/// A file: its content type, its Content-Disposition and its bytes (after asserting a 200).
async fn download(app: &TestApp, path: &str, key: &str) -> (String, String, Vec<u8>) {
    let r = app
        .http
        .get(format!("{}{path}", app.base))
        .bearer_auth(key)
        .send()
        .await
        .expect("request sent");
    let status = r.status();
    let header = |name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let (content_type, disposition) = (header("content-type"), header("content-disposition"));
    let bytes = r.bytes().await.expect("body").to_vec();
    assert_eq!(
        status.as_u16(),
        200,
        "{path}: {}",
        String::from_utf8_lossy(&bytes)
    );
    (content_type, disposition, bytes)
}

/// The rows of a downloaded sheet as text cells (header first).
fn rows_of(bytes: &[u8]) -> Vec<Vec<String>> {
    let sheet = sheets::read(bytes, sheets::Format::sniff(bytes))
        .expect("readable")
        .expect("not empty");
    std::iter::once(&sheet.header)
        .chain(sheet.rows.iter())
        .map(|r| {
            r.cells
                .iter()
                .map(|c| c.text().unwrap_or_default())
                .collect()
        })
        .collect()
}

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect()
}

async fn version(app: &TestApp, program: &str) -> i64 {
    app.get(&format!("/v1/programs/{program}/forecast"), &app.admin_key)
        .await
        .expect(200)["version"]
        .as_i64()
        .unwrap()
}

struct Two {
    client: String,
    p1: String,
    p2: String,
}

/// A client with programs CAR-1 (a forecast, version 1) and CAR-2 (none).
async fn two_programs(app: &TestApp) -> Two {
    let c = app.client("Acme").await;
    let p1 = app.program(&c["id"], "CAR-1").await;
    let p2 = app.program(&c["id"], "CAR-2").await;
    let p1 = p1["id"].as_str().unwrap().to_string();
    app.put(
        &format!("/v1/programs/{p1}/forecast"),
        &app.admin_key,
        json!({"entries": [{"month": "2027-01", "phase": "phase1", "batches": 2}]}),
    )
    .await
    .expect(200);
    Two {
        client: c["id"].as_str().unwrap().to_string(),
        p1,
        p2: p2["id"].as_str().unwrap().to_string(),
    }
}

both_backends!(
    a_file_with_errors_changes_nothing_and_names_every_bad_cell,
    |app: TestApp| async move {
        let t = two_programs(&app).await;
        let k = app.admin_key.clone();
        // Wide CSV: a bad month header, a cell that is not a number, an unknown program, a
        // negative count, and a month filled twice for one program (in two phases' rows).
        let wide = "program,phase,2027-01,2027-02,2027-13\n\
                    CAR-1,phase1,2,x,\n\
                    NOPE,phase1,1,,\n\
                    CAR-2,phase2,-3,,\n\
                    CAR-2,phase3,4,,\n";
        let p = upload(
            &app,
            "/v1/imports/forecasts?layout=wide",
            &k,
            "text/csv",
            wide.into(),
        )
        .await
        .problem(422);
        assert_eq!(p["type"], "/problems/validation");
        let mut got = fields(&p);
        got.sort();
        assert_eq!(
            got,
            [
                "/rows/1/2027-13",
                "/rows/2/2027-02",
                "/rows/3/program",
                "/rows/4/2027-01",
                "/rows/5/2027-01"
            ],
            "{p}"
        );
        let message = |field: &str| {
            p["errors"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["field"] == field)
                .unwrap()["message"]
                .as_str()
                .unwrap()
                .to_string()
        };
        assert_eq!(
            message("/rows/2/2027-02"),
            "row 2, column \"2027-02\": not an integer"
        );
        assert_eq!(
            message("/rows/3/program"),
            "row 3, column \"program\": unknown program"
        );
        assert!(message("/rows/4/2027-01").contains("at least 0"));
        assert!(message("/rows/5/2027-01").contains("month repeated"));

        // Long XLSX: a bad month, a bad phase, a count that is text.
        let mut long = Table::new("forecasts", &["program", "month", "phase", "batches"]);
        long.push(vec![
            "CAR-1".into(),
            "2027-1x".into(),
            "phase1".into(),
            1i64.into(),
        ]);
        long.push(vec![
            "CAR-1".into(),
            "2027-02".into(),
            "phase9".into(),
            1i64.into(),
        ]);
        long.push(vec![
            "CAR-2".into(),
            "2027-03".into(),
            "phase1".into(),
            "many".into(),
        ]);
        long.push(vec![
            "CAR-2".into(),
            "2027-04".into(),
            "phase1".into(),
            2.5f64.into(),
        ]);
        let p = upload(
            &app,
            "/v1/imports/forecasts",
            &k,
            XLSX,
            long.to_xlsx().unwrap(),
        )
        .await
        .problem(422);
        let mut got = fields(&p);
        got.sort();
        assert_eq!(
            got,
            [
                "/rows/2/month",
                "/rows/3/phase",
                "/rows/4/batches",
                "/rows/5/batches"
            ],
            "{p}"
        );

        // Nothing was written.
        assert_eq!(version(&app, &t.p1).await, 1);
        assert_eq!(version(&app, &t.p2).await, 0);

        // A file that is no spreadsheet at all, or of another type.
        upload(
            &app,
            "/v1/imports/forecasts",
            &k,
            XLSX,
            b"not a zip".to_vec(),
        )
        .await
        .problem(400);
        upload(
            &app,
            "/v1/imports/forecasts",
            &k,
            "application/json",
            b"{}".to_vec(),
        )
        .await
        .problem(415);
        upload(&app, "/v1/imports/forecasts", &k, "text/csv", Vec::new())
            .await
            .invalid("/rows/1");
        upload(
            &app,
            "/v1/imports/forecasts?layout=tall",
            &k,
            "text/csv",
            wide.into(),
        )
        .await
        .invalid("layout");
    }
);

both_backends!(
    a_good_file_twice_gives_the_same_versions_as_once,
    |app: TestApp| async move {
        let t = two_programs(&app).await;
        let k = app.admin_key.clone();
        // CAR-2 named by its id, as planners may.
        let file = format!(
            "program,phase,2027-01,2027-02,2027-03\n\
             CAR-1,phase1,2,3,\n\
             CAR-1,phase2,,,4\n\
             {},phase1,1,,\n",
            t.p2
        );
        let first = upload(
            &app,
            "/v1/imports/forecasts",
            &k,
            "text/csv",
            file.clone().into(),
        )
        .await
        .expect(200);
        assert_eq!(first["layout"], "wide");
        assert_eq!(first["rows"], 3);
        assert_eq!(
            first["programs"],
            json!([
                {"program_id": t.p1, "name": "CAR-1", "version": 2, "changed": true},
                {"program_id": t.p2, "name": "CAR-2", "version": 1, "changed": true}
            ])
        );
        let forecast = app
            .get(&format!("/v1/programs/{}/forecast", t.p1), &k)
            .await
            .expect(200);
        assert_eq!(
            forecast["entries"],
            json!([
                {"month": "2027-01", "phase": "phase1", "batches": 2},
                {"month": "2027-02", "phase": "phase1", "batches": 3},
                {"month": "2027-03", "phase": "phase2", "batches": 4}
            ])
        );
        for path in [
            "/v1/imports/forecasts?dry_run=true",
            "/v1/imports/forecasts",
        ] {
            let again = upload(&app, path, &k, "text/csv", file.clone().into())
                .await
                .expect(200);
            assert_eq!(
                again["programs"],
                json!([
                    {"program_id": t.p1, "name": "CAR-1", "version": 2, "changed": false},
                    {"program_id": t.p2, "name": "CAR-2", "version": 1, "changed": false}
                ]),
                "{path}"
            );
        }
        assert_eq!(version(&app, &t.p1).await, 2);
        assert_eq!(version(&app, &t.p2).await, 1);

        // A dry run of a change reports it and writes nothing.
        let changed = file.replace("CAR-1,phase1,2,3,", "CAR-1,phase1,2,5,");
        let dry = upload(
            &app,
            "/v1/imports/forecasts?dry_run=true",
            &k,
            "text/csv",
            changed.into(),
        )
        .await
        .expect(200);
        assert_eq!(dry["dry_run"], true);
        assert_eq!(dry["programs"][0]["version"], 3);
        assert_eq!(dry["programs"][0]["changed"], true);
        assert_eq!(dry["programs"][1]["changed"], false);
        assert_eq!(version(&app, &t.p1).await, 2);
    }
);

both_backends!(
    forecast_exports_import_back_unchanged,
    |app: TestApp| async move {
        let t = two_programs(&app).await;
        let k = app.admin_key.clone();
        let file = "program,month,phase,batches\n\
                    CAR-1,2027-01,phase1,2\nCAR-1,2027-04,phase2,0\nCAR-1,2028-01,phase3,7\n\
                    CAR-2,2027-02,phase1,1\n";
        upload(&app, "/v1/imports/forecasts", &k, "text/csv", file.into())
            .await
            .expect(200);
        let (v1, v2) = (version(&app, &t.p1).await, version(&app, &t.p2).await);
        for layout in ["long", "wide"] {
            for format in ["csv", "xlsx"] {
                let path = format!("/v1/exports/forecasts?layout={layout}&format={format}");
                let (content_type, disposition, bytes) = download(&app, &path, &k).await;
                let media = if format == "csv" { "text/csv" } else { XLSX };
                assert!(content_type.starts_with(media), "{path}: {content_type}");
                assert!(
                    disposition.starts_with("attachment; filename=\"forecasts-")
                        && disposition.ends_with(&format!(".{format}\"")),
                    "{disposition}"
                );
                let rows = rows_of(&bytes);
                if layout == "long" {
                    assert_eq!(
                        rows[0],
                        [
                            "program_id",
                            "program",
                            "client",
                            "month",
                            "phase",
                            "batches"
                        ]
                    );
                    assert_eq!(rows.len(), 5, "{rows:?}");
                    assert_eq!(rows[1][1..], ["CAR-1", "Acme", "2027-01", "phase1", "2"]);
                } else {
                    // 2027-01 to 2028-01: thirteen months; a row per program and phase.
                    assert_eq!(rows[0].len(), 4 + 13, "{:?}", rows[0]);
                    assert_eq!(rows.len(), 1 + 4, "{rows:?}");
                }
                let back = upload(&app, "/v1/imports/forecasts", &k, media, bytes)
                    .await
                    .expect(200);
                assert_eq!(back["layout"], layout);
                assert_eq!(
                    back["programs"],
                    json!([
                        {"program_id": t.p1, "name": "CAR-1", "version": v1, "changed": false},
                        {"program_id": t.p2, "name": "CAR-2", "version": v2, "changed": false}
                    ]),
                    "{path}"
                );
            }
        }
        assert_eq!(version(&app, &t.p1).await, v1);
        // A client's filter.
        let (_, _, bytes) = download(
            &app,
            &format!("/v1/exports/forecasts?client_id={}", t.client),
            &k,
        )
        .await;
        assert_eq!(rows_of(&bytes).len(), 5);
    }
);

both_backends!(
    bookings_come_in_from_a_file_all_or_nothing,
    |app: TestApp| async move {
        let k = app.admin_key.clone();
        let site = app.site("Leiden").await;
        app.suite(&site["id"], "A1", &["autologous"], 2).await;
        let c = app.client("Acme").await;
        app.program(&c["id"], "CAR-1").await;
        let count = || async {
            app.get("/v1/bookings?status=held", &k).await.expect(200)["items"]
                .as_array()
                .unwrap()
                .len()
                + app
                    .get("/v1/bookings?status=confirmed", &k)
                    .await
                    .expect(200)["items"]
                    .as_array()
                    .unwrap()
                    .len()
        };
        let good = "program,suite,line,start,end,status,note\n\
                    CAR-1,A1,1,2027-03-01,2027-03-17,confirmed,first\n\
                    CAR-1,A1,,2027-03-01,2027-03-17,held,\n\
                    car-1,a1,1,2027-03-17,2027-04-02,held,third\n";
        let first = upload(&app, "/v1/imports/bookings", &k, "text/csv", good.into())
            .await
            .expect(200);
        let booked = first["bookings"].as_array().unwrap();
        assert_eq!(booked.len(), 3);
        assert!(booked.iter().all(|b| b["created"] == true), "{first}");
        assert_eq!(booked[1]["booking"]["line"], 2, "the lowest free line");
        assert_eq!(booked[2]["row"], 4);
        assert_eq!(booked[0]["booking"]["status"], "confirmed");
        assert_eq!(count().await, 3);
        assert_eq!(app.events("booking.held").await.len(), 2);

        // Twice: the same bookings, none new.
        let again = upload(&app, "/v1/imports/bookings", &k, "text/csv", good.into())
            .await
            .expect(200);
        for (a, b) in again["bookings"].as_array().unwrap().iter().zip(booked) {
            assert_eq!(a["created"], false);
            assert_eq!(a["booking"]["id"], b["booking"]["id"]);
        }
        assert_eq!(count().await, 3);

        // Row 3 collides with row 2: nothing is booked, and the answer names both rows.
        let clash = "program,suite,line,start,end,status,note\n\
                     CAR-1,A1,1,2027-05-01,2027-05-17,held,\n\
                     CAR-1,A1,1,2027-05-10,2027-05-20,held,\n";
        let p = upload(&app, "/v1/imports/bookings", &k, "text/csv", clash.into())
            .await
            .problem(409);
        assert_eq!(p["type"], "/problems/overlap");
        assert_eq!(fields(&p), ["/rows/3"]);
        assert!(
            p["detail"].as_str().unwrap().contains("row 2 of this file"),
            "{p}"
        );
        assert_eq!(count().await, 3);

        // Row 2 collides with a booking made before: named, nothing booked.
        let clash = "program,suite,line,start,end,status,note\n\
                     CAR-1,A1,2,2027-06-01,2027-06-17,held,\n\
                     CAR-1,A1,1,2027-03-05,2027-03-10,held,\n";
        let p = upload(&app, "/v1/imports/bookings", &k, "text/csv", clash.into())
            .await
            .problem(409);
        assert_eq!(fields(&p), ["/rows/3"]);
        assert_eq!(p["conflicts"][0]["booking_id"], booked[0]["booking"]["id"]);
        assert_eq!(count().await, 3);

        // Bad cells, all of them, before anything is decided.
        let bad = "program,suite,line,start,end,status,note\n\
                   CAR-1,A1,1,2027-13-01,2027-07-17,held,\n\
                   CAR-1,Z9,1,2027-07-01,2027-07-17,held,\n\
                   CAR-1,A1,one,2027-07-01,2027-06-17,maybe,\n";
        let p = upload(&app, "/v1/imports/bookings", &k, "text/csv", bad.into())
            .await
            .problem(422);
        let mut got = fields(&p);
        got.sort();
        assert_eq!(
            got,
            [
                "/rows/2/start",
                "/rows/3/suite",
                "/rows/4/line",
                "/rows/4/status"
            ],
            "{p}"
        );
        assert_eq!(count().await, 3);

        // A dry run decides and writes nothing.
        let later = "program,suite,line,start,end,status,note\n\
                     CAR-1,A1,,2027-08-01,2027-08-17,held,\n";
        let dry = upload(
            &app,
            "/v1/imports/bookings?dry_run=true",
            &k,
            "text/csv",
            later.into(),
        )
        .await
        .expect(200);
        assert_eq!(dry["bookings"][0]["created"], true);
        assert_eq!(count().await, 3);

        // The bookings export: names next to ids, the units in the header.
        let (_, _, bytes) = download(&app, "/v1/exports/bookings?format=xlsx", &k).await;
        let rows = rows_of(&bytes);
        assert_eq!(rows.len(), 4);
        assert!(rows[0].contains(&"line-days".to_string()));
        assert_eq!(rows[1][2], "CAR-1");
        assert_eq!(rows[1][5], "A1");
        assert_eq!(rows[1][6], "Leiden");
        assert_eq!(rows[1][10], "16");
        // … and imports back as the bookings it lists.
        let back = upload(&app, "/v1/imports/bookings", &k, XLSX, bytes)
            .await
            .expect(200);
        let back = back["bookings"].as_array().unwrap();
        assert_eq!(back.len(), 3);
        assert!(back.iter().all(|b| b["created"] == false), "{back:?}");
        assert_eq!(count().await, 3);
    }
);

both_backends!(
    clients_import_and_export_only_their_own,
    |app: TestApp| async move {
        let k = app.admin_key.clone();
        let mine = two_programs(&app).await;
        let other = app.client("Beta").await;
        let theirs = app.program(&other["id"], "GEN-9").await;
        let theirs = theirs["id"].as_str().unwrap().to_string();
        app.put(
            &format!("/v1/programs/{theirs}/forecast"),
            &k,
            json!({"entries": [{"month": "2027-05", "phase": "phase1", "batches": 9}]}),
        )
        .await
        .expect(200);
        let site = app.site("Leiden").await;
        app.suite(&site["id"], "A1", &["autologous"], 1).await;
        let client = app.key("client", Some(&mine.client)).await;

        // Another client's program, by name or by id, is unknown; nothing is written.
        for name in ["GEN-9", theirs.as_str()] {
            let file = format!("program,month,phase,batches\n{name},2027-05,phase1,1\n");
            let p = upload(
                &app,
                "/v1/imports/forecasts",
                &client,
                "text/csv",
                file.into(),
            )
            .await
            .invalid("/rows/2/program");
            assert!(p["errors"][0]["message"]
                .as_str()
                .unwrap()
                .ends_with("unknown program"));
        }
        assert_eq!(version(&app, &theirs).await, 1);
        let file = "program,month,phase,batches\nCAR-2,2027-05,phase1,1\n";
        let ok = upload(
            &app,
            "/v1/imports/forecasts",
            &client,
            "text/csv",
            file.into(),
        )
        .await
        .expect(200);
        assert_eq!(ok["programs"][0]["changed"], true);

        // Their forecasts and bookings are not in the client's exports.
        let (_, _, bytes) = download(&app, "/v1/exports/forecasts?layout=wide", &client).await;
        let text = format!("{:?}", rows_of(&bytes));
        assert!(text.contains("CAR-1") && !text.contains("GEN-9") && !text.contains(&theirs));
        let hold = format!(
            "program,suite,line,start,end,status,note\n{theirs},A1,,2099-05-01,2099-05-10,held,\n"
        );
        upload(
            &app,
            "/v1/imports/bookings",
            &client,
            "text/csv",
            hold.into(),
        )
        .await
        .invalid("/rows/2/program");
        // A client books holds only.
        let confirmed = "program,suite,line,start,end,status,note\n\
                         CAR-1,A1,,2099-05-01,2099-05-10,confirmed,\n";
        upload(
            &app,
            "/v1/imports/bookings",
            &client,
            "text/csv",
            confirmed.into(),
        )
        .await
        .invalid("/rows/2/status");
        app.post(
            "/v1/bookings",
            &k,
            json!({"program_id": theirs, "suite_id": app.get("/v1/suites", &k).await.expect(200)["items"][0]["id"],
                   "line": 1, "start": "2099-06-01", "end": "2099-06-10", "status": "confirmed"}),
        )
        .await
        .expect(201);
        let (_, _, bytes) = download(&app, "/v1/exports/bookings", &client).await;
        assert_eq!(rows_of(&bytes).len(), 1, "only the header");
        let (_, _, bytes) = download(&app, "/v1/exports/bookings", &k).await;
        assert_eq!(rows_of(&bytes).len(), 2);
        let _ = Cell::Empty;
    }
);

both_backends!(
    plan_exports_carry_the_plans_numbers,
    |app: TestApp| async move {
        cdmo(&app).await;
        let k = app.admin_key.clone();
        let queued = app
            .post(
                "/v1/plans",
                &k,
                json!({"from": "2029-01-01", "to": "2029-03-01", "scenario": "maximum",
                       "program_ids": null, "time_limit_s": 20}),
            )
            .await
            .expect(202);
        let id = queued["id"].as_str().unwrap().to_string();
        let plan = wait_done(&app, &id).await;
        let table = |name: &'static str, format: &'static str| {
            let path = format!("/v1/plans/{id}/exports/{name}?format={format}");
            let app = &app;
            let k = k.clone();
            async move {
                let (_, disposition, bytes) = download(app, &path, &k).await;
                assert!(
                    disposition.contains(&format!("-{name}.{format}")),
                    "{disposition}"
                );
                rows_of(&bytes)
            }
        };
        let col = |rows: &[Vec<String>], name: &str| -> usize {
            rows[0]
                .iter()
                .position(|h| h == name)
                .unwrap_or_else(|| panic!("{name}"))
        };

        let rows = table("suggestions", "csv").await;
        let json = plan["suggestions"].as_array().unwrap();
        assert_eq!(rows.len() - 1, json.len());
        for (r, s) in rows[1..].iter().zip(json) {
            for field in [
                "id",
                "program_id",
                "suite_id",
                "start",
                "end",
                "month",
                "kind",
            ] {
                assert_eq!(r[col(&rows, field)], s[field].as_str().unwrap(), "{field}");
            }
            assert_eq!(r[col(&rows, "line")], s["line"].to_string());
        }

        for format in ["csv", "xlsx"] {
            let rows = table("shortfalls", format).await;
            let json = plan["shortfalls"].as_array().unwrap();
            assert!(!json.is_empty(), "the CDMO is short: {plan}");
            assert_eq!(rows.len() - 1, json.len());
            for (r, s) in rows[1..].iter().zip(json) {
                assert_eq!(
                    r[col(&rows, "program_id")],
                    s["program_id"].as_str().unwrap()
                );
                assert_eq!(r[col(&rows, "month")], s["month"].as_str().unwrap());
                assert_eq!(r[col(&rows, "reason")], s["reason"].as_str().unwrap());
                for (h, f) in [
                    ("demand (batches)", "demand"),
                    ("booked (batches)", "booked"),
                    ("planned (batches)", "planned"),
                    ("shortfall (batches)", "shortfall"),
                ] {
                    assert_eq!(r[col(&rows, h)], s[f].to_string(), "{h}");
                }
            }
        }

        let rows = table("utilization", "xlsx").await;
        let json = plan["utilization"].as_array().unwrap();
        assert_eq!(rows.len() - 1, json.len());
        for (r, u) in rows[1..].iter().zip(json) {
            assert_eq!(r[col(&rows, "suite_id")], u["suite_id"].as_str().unwrap());
            assert_eq!(r[col(&rows, "month")], u["month"].as_str().unwrap());
            for (h, f) in [
                ("open (line-days)", "open_line_days"),
                ("booked (line-days)", "booked_line_days"),
                ("planned (line-days)", "planned_line_days"),
            ] {
                assert_eq!(r[col(&rows, h)], u[f].to_string(), "{h}");
            }
        }

        let rows = table("expansion", "csv").await;
        let json = plan["expansion"].as_array().unwrap();
        assert_eq!(rows.len() - 1, json.len());
        for (r, e) in rows[1..].iter().zip(json) {
            assert_eq!(
                r[col(&rows, "from_month")],
                e["from_month"].as_str().unwrap()
            );
            assert_eq!(r[col(&rows, "extra (lines)")], e["extra_lines"].to_string());
            assert_eq!(
                r[col(&rows, "serves (batches)")],
                e["serves_batches"].to_string()
            );
        }

        // A client: its own programs' rows; suite loads and advice are the CDMO's.
        let clients = app.get("/v1/clients", &k).await.expect(200);
        let acme = clients["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "Acme")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let client = app.key("client", Some(&acme)).await;
        let mine = app
            .get(&format!("/v1/plans/{id}"), &client)
            .await
            .expect(200);
        let (_, _, bytes) =
            download(&app, &format!("/v1/plans/{id}/exports/shortfalls"), &client).await;
        assert_eq!(
            rows_of(&bytes).len() - 1,
            mine["shortfalls"].as_array().unwrap().len()
        );
        app.get(&format!("/v1/plans/{id}/exports/utilization"), &client)
            .await
            .problem(403);
        app.get(&format!("/v1/plans/{id}/exports/nothing"), &k)
            .await
            .problem(404);
        app.get(&format!("/v1/plans/{id}/exports/shortfalls?format=pdf"), &k)
            .await
            .invalid("format");
    }
);
