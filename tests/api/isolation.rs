//! A client key never sees another client's objects: 404 on their ids, absent from lists.

use crate::both_backends;
use crate::helpers::*;
use serde_json::json;

both_backends!(
    client_keys_see_only_their_own_client,
    |app: TestApp| async move {
        let mine = app.client("Mine").await;
        let theirs = app.client("Theirs").await;
        let my_program = app.program(&mine["id"], "Mine-1").await;
        let their_program = app.program(&theirs["id"], "Theirs-1").await;
        let key = app.key("client", mine["id"].as_str()).await;
        let tid = their_program["id"].as_str().unwrap();
        let tcid = theirs["id"].as_str().unwrap();

        for path in [
            format!("/v1/programs/{tid}"),
            format!("/v1/programs/{tid}/forecast"),
            format!("/v1/programs/{tid}/demand?scenario=expected"),
            format!("/v1/clients/{tcid}"),
        ] {
            app.get(&path, &key).await.problem(404);
        }
        app.patch(
            &format!("/v1/programs/{tid}"),
            &key,
            json!({"name": "taken over"}),
        )
        .await
        .problem(404);
        app.put(
            &format!("/v1/programs/{tid}/forecast"),
            &key,
            json!({"entries": []}),
        )
        .await
        .problem(404);

        let programs = app.get("/v1/programs", &key).await.expect(200);
        let ids: Vec<&str> = programs["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, vec![my_program["id"].as_str().unwrap()]);
        let clients = app.get("/v1/clients", &key).await.expect(200);
        assert_eq!(clients["items"].as_array().unwrap().len(), 1);
        assert!(!clients.to_string().contains("Theirs"));

        // Creating a program for another client: that id is unknown to this key.
        let body = TestApp::program_body(&theirs["id"], "sneaky");
        app.post("/v1/programs", &key, body)
            .await
            .invalid("/client_id");
        // Omitting client_id uses the key's own.
        let mut body = TestApp::program_body(&json!(null), "own");
        body.as_object_mut().unwrap().remove("client_id");
        let own = app.post("/v1/programs", &key, body).await.expect(201);
        assert_eq!(own["client_id"], mine["id"]);
        // Nothing of the other client changed.
        let still = app
            .get(&format!("/v1/programs/{tid}"), &app.admin_key)
            .await
            .expect(200);
        assert_eq!(still["name"], "Theirs-1");
    }
);

both_backends!(
    clients_see_closures_without_reasons,
    |app: TestApp| async move {
        let site = app.site("S").await;
        let suite = app.suite(&site["id"], "CT", &["autologous"], 2).await;
        let sid = suite["id"].as_str().unwrap();
        app.post(&format!("/v1/suites/{sid}/closures"), &app.admin_key,
        json!({"start": "2027-01-01", "end": "2027-01-05", "reason": "EM excursion in grade B corridor", "lines": null}))
        .await
        .expect(201);
        let client = app.client("C").await;
        let key = app.key("client", client["id"].as_str()).await;
        let seen = app
            .get(&format!("/v1/suites/{sid}/closures"), &key)
            .await
            .expect(200);
        assert_eq!(seen["items"][0]["start"], "2027-01-01");
        assert!(
            !seen.to_string().contains("excursion"),
            "a client does not see why a suite is closed"
        );
    }
);
