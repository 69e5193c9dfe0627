//! Demand scenarios on a hand-computed case (DESIGN.md "Scenarios").

use crate::both_backends;
use crate::helpers::*;
use serde_json::json;

both_backends!(
    demand_scenarios_follow_the_rounding_rule,
    |app: TestApp| async move {
        let k = app.admin_key.clone();
        let client = app.client("C").await;
        let mut body = TestApp::program_body(&client["id"], "P");
        // Program in phase1; phase2 entries weigh 0.5, phase3 entries 0.5 × 0.3 = 0.15.
        body["phase_success"] = json!({"phase1": 0.5, "phase2": 0.3});
        let program = app.post("/v1/programs", &k, body).await.expect(201);
        let pid = program["id"].as_str().unwrap();
        app.put(
            &format!("/v1/programs/{pid}/forecast"),
            &k,
            json!({"entries": [
                {"month": "2027-01", "phase": "phase1", "batches": 3},
                {"month": "2027-02", "phase": "phase2", "batches": 1},
                {"month": "2027-03", "phase": "phase2", "batches": 1},
                {"month": "2027-04", "phase": "phase2", "batches": 1},
                {"month": "2027-05", "phase": "phase3", "batches": 10}
            ]}),
        )
        .await
        .expect(200);
        let batches = |doc: serde_json::Value| -> Vec<i64> {
            doc["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["batches"].as_i64().unwrap())
                .collect()
        };
        // Cumulative C: 3, 3.5, 4.0, 4.5, 6.0 → ⌊C + ½⌋: 3, 4, 4, 5, 6 → demand 3, 1, 0, 1, 1.
        let expected = app
            .get(&format!("/v1/programs/{pid}/demand?scenario=expected"), &k)
            .await
            .expect(200);
        assert_eq!(batches(expected.clone()), vec![3, 1, 0, 1, 1]);
        assert_eq!(expected["items"][4]["phase"], "phase3");
        assert_eq!(expected["items"][0]["month"], "2027-01");
        // Committed: only the current phase (phase1) and earlier.
        let committed = app
            .get(&format!("/v1/programs/{pid}/demand?scenario=committed"), &k)
            .await
            .expect(200);
        assert_eq!(batches(committed), vec![3, 0, 0, 0, 0]);
        let maximum = app
            .get(&format!("/v1/programs/{pid}/demand?scenario=maximum"), &k)
            .await
            .expect(200);
        assert_eq!(batches(maximum), vec![3, 1, 1, 1, 10]);

        // Moving the program to phase2 makes phase2 entries count in full.
        app.patch(
            &format!("/v1/programs/{pid}"),
            &k,
            json!({"phase": "phase2"}),
        )
        .await
        .expect(200);
        let expected = app
            .get(&format!("/v1/programs/{pid}/demand?scenario=expected"), &k)
            .await
            .expect(200);
        // C: 3, 4, 5, 6, 6 + 10 × 0.3 = 9 → demand 3, 1, 1, 1, 3.
        assert_eq!(batches(expected), vec![3, 1, 1, 1, 3]);
    }
);

both_backends!(
    demand_uses_config_defaults_for_missing_probabilities,
    |app: TestApp| async move {
        let k = app.admin_key.clone();
        let client = app.client("C").await;
        let program = app.program(&client["id"], "P").await; // phase1, no overrides
        let pid = program["id"].as_str().unwrap();
        app.put(
            &format!("/v1/programs/{pid}/forecast"),
            &k,
            json!({"entries": [
                {"month": "2027-01", "phase": "phase2", "batches": 10},
                {"month": "2027-02", "phase": "phase3", "batches": 10}
            ]}),
        )
        .await
        .expect(200);
        // Defaults: phase1 → phase2 0.52; phase2 → phase3 0.289. C: 5.2, 5.2 + 1.5028 = 6.7028.
        // ⌊C + ½⌋: 5, 7 → demand 5, 2.
        let expected = app
            .get(&format!("/v1/programs/{pid}/demand?scenario=expected"), &k)
            .await
            .expect(200);
        let got: Vec<i64> = expected["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["batches"].as_i64().unwrap())
            .collect();
        assert_eq!(got, vec![5, 2]);
    }
);
