use crate::both_backends;
use crate::helpers::*;
use serde_json::json;

both_backends!(
    sites_suites_and_closures_round_trip,
    |app: TestApp| async move {
        let k = app.admin_key.clone();
        let site = app.site("Leiden").await;
        assert_eq!(site["timezone"], "Europe/Amsterdam");
        assert_eq!(
            app.get(&format!("/v1/sites/{}", site["id"].as_str().unwrap()), &k)
                .await
                .expect(200),
            site
        );

        let suite = app
            .post(
                "/v1/suites",
                &k,
                json!({"site_id": site["id"], "name": "CT-1", "grade": "B",
            "capabilities": ["closed_system", "autologous", "autologous"], "lines": 3,
            "available_from": "2026-01-01", "available_to": "2030-01-01"}),
            )
            .await
            .expect(201);
        // Capabilities are normalised: sorted, without duplicates.
        assert_eq!(
            suite["capabilities"],
            json!(["autologous", "closed_system"])
        );
        assert_eq!(suite["lines"], 3);
        let id = suite["id"].as_str().unwrap().to_string();

        let patched = app
            .patch(
                &format!("/v1/suites/{id}"),
                &k,
                json!({"lines": 4, "available_to": null}),
            )
            .await
            .expect(200);
        assert_eq!(patched["lines"], 4);
        assert_eq!(patched["available_to"], json!(null));
        assert_eq!(patched["name"], "CT-1", "fields not in the patch are kept");

        let closure = app
        .post(&format!("/v1/suites/{id}/closures"), &k,
            json!({"start": "2027-08-01", "end": "2027-08-15", "reason": "annual shutdown", "lines": [2, 1]}))
        .await
        .expect(201);
        assert_eq!(closure["lines"], json!([1, 2]));
        assert_eq!(closure["suite_id"], json!(id));
        let list = app
            .get(&format!("/v1/suites/{id}/closures"), &k)
            .await
            .expect(200);
        assert_eq!(list["items"].as_array().unwrap().len(), 1);
        app.delete(
            &format!("/v1/closures/{}", closure["id"].as_str().unwrap()),
            &k,
        )
        .await
        .expect(204);
        let list = app
            .get(&format!("/v1/suites/{id}/closures"), &k)
            .await
            .expect(200);
        assert!(list["items"].as_array().unwrap().is_empty());

        let suites = app.get("/v1/suites", &k).await.expect(200);
        assert_eq!(suites["items"].as_array().unwrap().len(), 1);
        assert_eq!(suites["next_cursor"], json!(null));
    }
);

both_backends!(lists_page_with_cursors, |app: TestApp| async move {
    let k = app.admin_key.clone();
    for i in 0..5 {
        app.client(&format!("client {i}")).await;
    }
    let first = app.get("/v1/clients?limit=2", &k).await.expect(200);
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let mut names: Vec<String> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().into())
        .collect();
    let mut cursor = first["next_cursor"].as_str().unwrap().to_string();
    loop {
        let page = app
            .get(&format!("/v1/clients?limit=2&cursor={cursor}"), &k)
            .await
            .expect(200);
        names.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["name"].as_str().unwrap().to_string()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    assert_eq!(
        names,
        (0..5).map(|i| format!("client {i}")).collect::<Vec<_>>(),
        "every client once, in creation order"
    );
});

both_backends!(
    programs_and_versioned_forecasts,
    |app: TestApp| async move {
        let k = app.admin_key.clone();
        let client = app.client("Helix").await;
        let mut body = TestApp::program_body(&client["id"], "HLX-19");
        body["phase_success"] = json!({"phase1": 0.6});
        body["priority"] = json!(3);
        let program = app.post("/v1/programs", &k, body).await.expect(201);
        assert_eq!(program["client_id"], client["id"]);
        assert_eq!(program["phase_success"], json!({"phase1": 0.6}));
        assert_eq!(program["priority"], 3);
        let pid = program["id"].as_str().unwrap().to_string();

        let patched = app
            .patch(
                &format!("/v1/programs/{pid}"),
                &k,
                json!({"phase": "phase2", "earliest_start": "2027-02-01"}),
            )
            .await
            .expect(200);
        assert_eq!(patched["phase"], "phase2");
        assert_eq!(patched["earliest_start"], "2027-02-01");
        assert_eq!(patched["batch_days"], 14);

        let v1 = app
            .put(
                &format!("/v1/programs/{pid}/forecast"),
                &k,
                json!({"entries": [
        {"month": "2027-02", "phase": "phase2", "batches": 2},
        {"month": "2027-01", "phase": "phase2", "batches": 1}]}),
            )
            .await
            .expect(200);
        assert_eq!(v1["version"], 1);
        assert_eq!(
            v1["entries"][0]["month"], "2027-01",
            "entries come back in month order"
        );
        let v2 = app
            .put(
                &format!("/v1/programs/{pid}/forecast"),
                &k,
                json!({"entries": [
        {"month": "2027-01", "phase": "phase2", "batches": 5}]}),
            )
            .await
            .expect(200);
        assert_eq!(v2["version"], 2);
        let latest = app
            .get(&format!("/v1/programs/{pid}/forecast"), &k)
            .await
            .expect(200);
        assert_eq!(latest["version"], 2);
        assert_eq!(latest["entries"][0]["batches"], 5);
        let old = app
            .get(&format!("/v1/programs/{pid}/forecast?version=1"), &k)
            .await
            .expect(200);
        assert_eq!(
            old["entries"].as_array().unwrap().len(),
            2,
            "the old version is kept"
        );
        app.get(&format!("/v1/programs/{pid}/forecast?version=9"), &k)
            .await
            .problem(404);
    }
);

both_backends!(
    every_change_leaves_an_audit_row,
    |app: TestApp| async move {
        let k = app.admin_key.clone();
        let client = app.client("Audited").await;
        let cid = client["id"].as_str().unwrap();
        let audit = app
            .get(&format!("/v1/audit?entity_id={cid}"), &k)
            .await
            .expect(200);
        let items = audit["items"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["action"], "create");
        assert_eq!(items[0]["entity"], "client");
        assert_eq!(items[0]["role"], "admin");
        // Creating a key audits it without the secret.
        let key = app
            .post(
                "/v1/api-keys",
                &k,
                json!({"name": "k", "role": "planner", "client_id": null}),
            )
            .await
            .expect(201);
        let secret = key["key"].as_str().unwrap();
        let all = app.get("/v1/audit?limit=1000", &k).await;
        assert!(!all.text.contains(secret), "no secret in the audit log");
    }
);

both_backends!(
    duplicate_names_are_409_naming_the_field,
    |app: TestApp| async move {
        app.site("Leiden").await;
        let p = app
            .post(
                "/v1/sites",
                &app.admin_key,
                json!({"name": "Leiden", "timezone": "Europe/Amsterdam"}),
            )
            .await
            .problem(409);
        assert_eq!(p["errors"][0]["field"], "/name");
    }
);
