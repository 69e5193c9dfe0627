//! Who may do what (API.md "Auth and roles").

use crate::both_backends;
use crate::helpers::*;
use serde_json::json;

both_backends!(
    role_matrix_matches_the_contract,
    |app: TestApp| async move {
        let site = app.site("S").await;
        let suite = app.suite(&site["id"], "CT", &["autologous"], 2).await;
        let client = app.client("C").await;
        let program = app.program(&client["id"], "P").await;
        let planner = app.key("planner", None).await;
        let client_key = app.key("client", client["id"].as_str()).await;
        let sid = suite["id"].as_str().unwrap();
        let pid = program["id"].as_str().unwrap();

        // (method, path, body, admin, planner, client): expected status per role. Creating the same
        // name twice is 409, which shows that the second role got past authorisation.
        let site_body = json!({"name": "N", "timezone": "UTC"});
        let cases = vec![
            ("GET", "/v1/sites".to_string(), None, 200, 200, 200),
            (
                "POST",
                "/v1/sites".to_string(),
                Some(site_body),
                409,
                201,
                403,
            ),
            ("GET", "/v1/suites".to_string(), None, 200, 200, 200),
            (
                "PATCH",
                format!("/v1/suites/{sid}"),
                Some(json!({"lines": 3})),
                200,
                200,
                403,
            ),
            (
                "POST",
                format!("/v1/suites/{sid}/closures"),
                Some(
                    json!({"start": "2027-01-01", "end": "2027-01-03", "reason": "r", "lines": null}),
                ),
                201,
                201,
                403,
            ),
            (
                "GET",
                format!("/v1/suites/{sid}/closures"),
                None,
                200,
                200,
                200,
            ),
            (
                "POST",
                "/v1/clients".to_string(),
                Some(json!({"name": "X"})),
                409,
                201,
                403,
            ),
            ("GET", "/v1/clients".to_string(), None, 200, 200, 200),
            ("GET", "/v1/api-keys".to_string(), None, 200, 403, 403),
            (
                "POST",
                "/v1/api-keys".to_string(),
                Some(json!({"name": "k", "role": "planner", "client_id": null})),
                201,
                403,
                403,
            ),
            ("GET", "/v1/programs".to_string(), None, 200, 200, 200),
            ("GET", format!("/v1/programs/{pid}"), None, 200, 200, 200),
            (
                "PATCH",
                format!("/v1/programs/{pid}"),
                Some(json!({"batch_days": 12})),
                200,
                200,
                200,
            ),
            (
                "PATCH",
                format!("/v1/programs/{pid}"),
                Some(json!({"priority": 9})),
                200,
                200,
                403,
            ),
            (
                "PATCH",
                format!("/v1/programs/{pid}"),
                Some(json!({"phase": "phase3"})),
                200,
                200,
                403,
            ),
            (
                "PUT",
                format!("/v1/programs/{pid}/forecast"),
                Some(json!({"entries": []})),
                200,
                200,
                200,
            ),
            (
                "GET",
                format!("/v1/programs/{pid}/demand?scenario=maximum"),
                None,
                200,
                200,
                200,
            ),
            ("GET", "/v1/audit".to_string(), None, 200, 200, 403),
        ];
        for (method, path, body, admin_s, planner_s, client_s) in cases {
            // Clients first, so that a planner-only change is refused before staff make it.
            for (who, key, want) in [
                ("client", &client_key, client_s),
                ("planner", &planner, planner_s),
                ("admin", &app.admin_key, admin_s),
            ] {
                let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
                let r = app.request(m, &path, Some(key), body.clone()).await;
                assert_eq!(r.status.as_u16(), want, "{who} {method} {path}: {}", r.text);
                if want >= 400 {
                    assert!(
                        r.content_type.starts_with("application/problem+json"),
                        "{who} {method} {path}"
                    );
                }
            }
        }
    }
);

both_backends!(
    missing_unknown_and_revoked_keys_are_401,
    |app: TestApp| async move {
        app.request(reqwest::Method::GET, "/v1/sites", None, None)
            .await
            .problem(401);
        app.get("/v1/sites", "sp_not-a-real-key-0000000000000000000000")
            .await
            .problem(401);
        let created = app
            .post(
                "/v1/api-keys",
                &app.admin_key,
                json!({"name": "temp", "role": "planner", "client_id": null}),
            )
            .await
            .expect(201);
        let key = created["key"].as_str().unwrap();
        assert!(key.len() >= 40, "a key carries at least 128 random bits");
        assert!(key.starts_with(created["prefix"].as_str().unwrap()));
        app.get("/v1/sites", key).await.expect(200);
        let listed = app.get("/v1/api-keys", &app.admin_key).await.expect(200);
        assert!(!listed.to_string().contains(key), "keys are never listed");
        app.delete(
            &format!("/v1/api-keys/{}", created["id"].as_str().unwrap()),
            &app.admin_key,
        )
        .await
        .expect(204);
        app.get("/v1/sites", key).await.problem(401);
    }
);

both_backends!(
    client_keys_must_be_bound_and_staff_keys_must_not,
    |app: TestApp| async move {
        let client = app.client("C").await;
        app.post(
            "/v1/api-keys",
            &app.admin_key,
            json!({"name": "k", "role": "client", "client_id": null}),
        )
        .await
        .invalid("/client_id");
        app.post(
            "/v1/api-keys",
            &app.admin_key,
            json!({"name": "k", "role": "planner", "client_id": client["id"]}),
        )
        .await
        .invalid("/client_id");
        app.post(
            "/v1/api-keys",
            &app.admin_key,
            json!({"name": "k", "role": "client", "client_id": uuid::Uuid::new_v4()}),
        )
        .await
        .invalid("/client_id");
        app.post(
            "/v1/api-keys",
            &app.admin_key,
            json!({"name": "k", "role": "owner", "client_id": null}),
        )
        .await
        .invalid("/role");
    }
);

// A client proposes its own program, but its priority, phase-success figures and filed suites
// are the planners' to set: naming any of them at creation is refused like a PATCH would be, and
// nothing is created. The client's own phase is accepted (planners confirm it later).
both_backends!(
    a_client_cannot_set_planner_fields_when_creating_a_program,
    |app: TestApp| async move {
        let client = app.client("Helix").await;
        let key = app.key("client", client["id"].as_str()).await;
        let site = app.site("Leiden").await;
        let suite = app.suite(&site["id"], "CT-1", &["autologous"], 2).await;
        for (field, value) in [
            ("priority", json!(5)),
            (
                "phase_success",
                json!({"preclinical": 0.9, "phase1": 0.9, "phase2": 0.9, "phase3": 0.9}),
            ),
            ("allowed_suite_ids", json!([suite["id"]])),
        ] {
            let mut body = TestApp::program_body(&client["id"], &format!("P-{field}"));
            body[field] = value;
            let p = app.post("/v1/programs", &key, body).await.problem(403);
            assert!(
                p["detail"].as_str().unwrap().contains(field),
                "the answer names `{field}`: {p}"
            );
        }
        let listed = app.get("/v1/programs", &key).await.expect(200);
        assert_eq!(listed["items"].as_array().unwrap().len(), 0, "{listed}");
        // Unset (or the default) is fine, and so is the client's own phase.
        let mut body = TestApp::program_body(&client["id"], "P");
        body["priority"] = json!(0);
        body["phase"] = json!("phase2");
        let created = app.post("/v1/programs", &key, body).await.expect(201);
        assert_eq!(created["phase"], "phase2");
        // Planners set them at creation as before.
        let mut body = TestApp::program_body(&client["id"], "Q");
        body["priority"] = json!(5);
        let planned = app
            .post("/v1/programs", &app.admin_key, body)
            .await
            .expect(201);
        assert_eq!(planned["priority"], 5);
    }
);

// The bootstrap admin key, once revoked, stays revoked when the service starts again with the
// same value: revocation outlives a restart. A new value makes a new admin key.
#[tokio::test]
async fn a_revoked_bootstrap_key_stays_revoked_after_a_restart() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let keys = app.get("/v1/api-keys", &app.admin_key).await.expect(200);
    let bootstrap = keys["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "bootstrap admin")
        .unwrap()
        .clone();
    let other = app.key("admin", None).await;
    app.delete(
        &format!("/v1/api-keys/{}", bootstrap["id"].as_str().unwrap()),
        &other,
    )
    .await
    .expect(204);
    let restart = |admin: String| {
        let url = app.db.url().to_string();
        async move {
            let mut settings = suiteplan::config::Settings::load(None).unwrap();
            settings.server.bind = "127.0.0.1:0".into();
            settings.database.url = url;
            settings.auth.bootstrap_admin_key = admin;
            let again = suiteplan::startup::Application::build(settings)
                .await
                .unwrap();
            let base = format!("http://127.0.0.1:{}", again.port());
            tokio::spawn(again.run_until(std::future::pending()));
            base
        }
    };
    let base = restart(app.admin_key.clone()).await;
    let http = reqwest::Client::new();
    let status = |base: String, key: String| {
        let http = http.clone();
        async move {
            http.get(format!("{base}/v1/sites"))
                .bearer_auth(key)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(status(base.clone(), app.admin_key.clone()).await, 401);
    let fresh = format!("test-admin-{}", uuid::Uuid::new_v4().simple());
    let base = restart(fresh.clone()).await;
    assert_eq!(status(base, fresh).await, 200);
}
