//! Webhooks: subscriptions, signed deliveries to real receivers on loopback, retries, 410,
//! dead deliveries and redelivery, secret rotation, client scoping.

use crate::bookings::{booking, world, World};
use crate::both_backends;
use crate::helpers::*;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Hit {
    /// When it arrived.
    pub at: std::time::Instant,
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: Vec<u8>,
}

impl Hit {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("the body is JSON")
    }
}

/// A receiver on 127.0.0.1:0: records every request and answers the scripted statuses in
/// turn, then `then` (which the test may change). A status of [`HANG`] never answers: the
/// request stays open until the sender goes away.
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    hits: Arc<Mutex<Vec<Hit>>>,
    script: Arc<Mutex<VecDeque<u16>>>,
    then: Arc<Mutex<u16>>,
}

/// In a receiver's script: hold the request open without answering.
pub const HANG: u16 = 0;
/// As a receiver's `then`: 500 to the first request with a `webhook-id`, 200 to the others.
pub const FAIL_FIRST: u16 = 1;

#[derive(Clone)]
struct RecvState {
    hits: Arc<Mutex<Vec<Hit>>>,
    script: Arc<Mutex<VecDeque<u16>>>,
    then: Arc<Mutex<u16>>,
}

async fn record(
    State(s): State<RecvState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    let h = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let id = h("webhook-id");
    let seen = {
        let mut hits = s.hits.lock().unwrap();
        let seen = hits.iter().any(|hit| hit.id == id);
        hits.push(Hit {
            at: std::time::Instant::now(),
            id,
            timestamp: h("webhook-timestamp"),
            signature: h("webhook-signature"),
            body: body.to_vec(),
        });
        seen
    };
    let next = s.script.lock().unwrap().pop_front();
    let code = match next.unwrap_or_else(|| *s.then.lock().unwrap()) {
        FAIL_FIRST if seen => 200,
        FAIL_FIRST => 500,
        code => code,
    };
    if code == HANG {
        std::future::pending::<()>().await;
    }
    StatusCode::from_u16(code).unwrap()
}

pub async fn receiver(script: &[u16], then: u16) -> Receiver {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let state = RecvState {
        hits: Arc::default(),
        script: Arc::new(Mutex::new(script.iter().copied().collect())),
        then: Arc::new(Mutex::new(then)),
    };
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(record))
        .with_state(state.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Receiver {
        url: format!("http://127.0.0.1:{port}/hook"),
        hits: state.hits,
        script: state.script,
        then: state.then,
    }
}

impl Receiver {
    pub fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }
    /// Waits (bounded) until at least `n` requests arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<Hit> {
        for _ in 0..300 {
            let hits = self.hits();
            if hits.len() >= n {
                return hits;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("expected {n} deliveries, got {:?}", self.hits());
    }
}

/// Verifies a Standard Webhooks signature header independently: some `v1,` entry matches.
pub fn signed_by(hit: &Hit, secret: &str) -> bool {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").expect("whsec_ prefix"))
        .expect("base64 secret");
    assert_eq!(key.len(), 32);
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.", hit.id, hit.timestamp).as_bytes());
    mac.update(&hit.body);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    hit.signature.split(' ').any(|s| s == expected)
}

async fn spawn_private(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, |s| {
        s.webhooks.allow_private_targets = true;
        s.webhooks.retry_schedule = "1,1".into();
    })
    .await
}

macro_rules! with_receivers {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test]
            async fn sqlite() {
                ($body)(spawn_private(Backend::Sqlite).await).await;
            }
            #[tokio::test]
            async fn postgres() {
                ($body)(spawn_private(Backend::Postgres).await).await;
            }
        }
    };
}

pub async fn subscribe(app: &TestApp, key: &str, url: &str, events: Value) -> Value {
    app.post("/v1/webhooks", key, json!({"url": url, "events": events}))
        .await
        .expect(201)
}

pub async fn deliveries(app: &TestApp, hook: &Value) -> Vec<Value> {
    let body = app
        .get(
            &format!("/v1/webhooks/{}/deliveries", hook["id"].as_str().unwrap()),
            &app.admin_key,
        )
        .await
        .expect(200);
    body["items"].as_array().unwrap().clone()
}

/// Waits (bounded) until the subscription's only delivery has `status`.
async fn wait_status(app: &TestApp, hook: &Value, status: &str) -> Value {
    for _ in 0..300 {
        let items = deliveries(app, hook).await;
        if items.len() == 1 && items[0]["status"] == status {
            return items[0].clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "delivery never became {status}: {:?}",
        deliveries(app, hook).await
    );
}

with_receivers!(signed_delivery, |app: TestApp| async move {
    let w = world(&app, 2).await;
    let rx = receiver(&[], 200).await;
    let hook = subscribe(&app, &w.planner_key, &rx.url, json!(["booking.held"])).await;
    let secret = hook["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"));
    assert_eq!(hook["client_id"], Value::Null);
    // The list never shows the secret.
    let listed = app.get("/v1/webhooks", &w.planner_key).await.expect(200);
    assert_eq!(listed["items"][0]["id"], hook["id"]);
    assert!(listed["items"][0].get("secret").is_none());

    let held = app
        .post(
            "/v1/bookings",
            &w.planner_key,
            booking(&w, None, "2030-03-01", "2030-03-15", "held"),
        )
        .await
        .expect(201);
    let hits = rx.wait_for(1).await;
    let hit = &hits[0];
    assert!(signed_by(hit, &secret), "signature verifies: {hit:?}");
    let body = hit.json();
    assert_eq!(body["type"], "booking.held");
    assert_eq!(body["data"]["booking"]["id"], held["id"]);
    assert!(body["timestamp"].is_string());
    let d = wait_status(&app, &hook, "delivered").await;
    assert_eq!(d["event_id"].as_str().unwrap(), hit.id);
    assert_eq!(d["event_type"], "booking.held");
    assert_eq!(d["attempt"], 1);
    assert_eq!(d["response_status"], 200);

    // Deleting unsubscribes.
    let id = hook["id"].as_str().unwrap();
    app.delete(&format!("/v1/webhooks/{id}"), &w.planner_key)
        .await
        .expect(204);
    app.delete(&format!("/v1/webhooks/{id}"), &w.planner_key)
        .await
        .problem(404);
    let listed = app.get("/v1/webhooks", &w.planner_key).await.expect(200);
    assert_eq!(listed["items"], json!([]));
});

with_receivers!(retries_gone_dead_redeliver, |app: TestApp| async move {
    let w = world(&app, 2).await;
    let flaky = receiver(&[500], 200).await;
    let gone = receiver(&[], 410).await;
    let down = receiver(&[], 500).await;
    let events = json!(["booking.held", "booking.confirmed"]);
    let h_flaky = subscribe(&app, &w.planner_key, &flaky.url, events.clone()).await;
    let h_gone = subscribe(&app, &w.planner_key, &gone.url, events.clone()).await;
    let h_down = subscribe(&app, &w.planner_key, &down.url, events).await;
    app.post(
        "/v1/bookings",
        &w.planner_key,
        booking(&w, None, "2030-03-01", "2030-03-15", "held"),
    )
    .await
    .expect(201);

    // 500, then 200 on the retry, with the same webhook-id.
    let hits = flaky.wait_for(2).await;
    assert_eq!(hits[0].id, hits[1].id);
    let d = wait_status(&app, &h_flaky, "delivered").await;
    assert_eq!(d["attempt"], 2);

    // 410 disables the subscription and kills the delivery.
    gone.wait_for(1).await;
    let d = wait_status(&app, &h_gone, "dead").await;
    assert_eq!(d["response_status"], 410);
    let listed = app.get("/v1/webhooks", &w.planner_key).await.expect(200);
    let disabled = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == h_gone["id"])
        .unwrap()
        .clone();
    assert!(disabled["disabled_at"].is_string(), "{disabled}");

    // "1,1": three attempts, then dead.
    let d = wait_status(&app, &h_down, "dead").await;
    assert_eq!(d["attempt"], 3);
    assert_eq!(d["response_status"], 500);
    assert_eq!(down.hits().len(), 3);

    // Redeliver once the receiver is back.
    *down.then.lock().unwrap() = 200;
    let path = format!(
        "/v1/webhooks/{}/deliveries/{}/redeliver",
        h_down["id"].as_str().unwrap(),
        d["id"].as_str().unwrap()
    );
    let r = app.post(&path, &w.planner_key, json!({})).await;
    assert_eq!(r.status.as_u16(), 202, "{:?}", r.body);
    down.wait_for(4).await;
    let d = wait_status(&app, &h_down, "delivered").await;
    assert_eq!(d["response_status"], 200);
    // Only failed or dead deliveries are redelivered.
    let p = app
        .post(&path, &w.planner_key, json!({}))
        .await
        .problem(409);
    assert!(p["detail"].as_str().unwrap().contains("delivered"), "{p}");
    // Unknown delivery: 404.
    let missing = format!(
        "/v1/webhooks/{}/deliveries/{}/redeliver",
        h_down["id"].as_str().unwrap(),
        uuid::Uuid::new_v4()
    );
    app.post(&missing, &w.planner_key, json!({}))
        .await
        .problem(404);
    // Nothing more reached the 410 receiver.
    assert_eq!(gone.hits().len(), 1);
    let _ = flaky.script.lock().unwrap().len();
});

with_receivers!(rotation_signs_with_both, |app: TestApp| async move {
    let w = world(&app, 2).await;
    let rx = receiver(&[], 200).await;
    let hook = subscribe(&app, &w.planner_key, &rx.url, json!(["*"])).await;
    let old = hook["secret"].as_str().unwrap().to_string();
    let rotated = app
        .post(
            &format!(
                "/v1/webhooks/{}/rotate-secret",
                hook["id"].as_str().unwrap()
            ),
            &w.planner_key,
            json!({}),
        )
        .await
        .expect(200);
    let new = rotated["secret"].as_str().unwrap().to_string();
    assert_ne!(old, new);
    app.post(
        "/v1/bookings",
        &w.planner_key,
        booking(&w, None, "2030-03-01", "2030-03-15", "held"),
    )
    .await
    .expect(201);
    let hits = rx.wait_for(1).await;
    assert_eq!(hits[0].signature.split(' ').count(), 2, "{:?}", hits[0]);
    assert!(signed_by(&hits[0], &new));
    assert!(signed_by(&hits[0], &old));
});

with_receivers!(client_scoped, |app: TestApp| async move {
    let a = world(&app, 2).await;
    let other = app.client("Orion").await;
    let other_program = app.program(&other["id"], "ORN").await;
    let b = World {
        suite: a.suite.clone(),
        program: other_program["id"].as_str().unwrap().into(),
        client: other["id"].as_str().unwrap().into(),
        client_key: app.key("client", other["id"].as_str()).await,
        planner_key: a.planner_key.clone(),
    };
    let staff_rx = receiver(&[], 200).await;
    let a_rx = receiver(&[], 200).await;
    let staff_hook = subscribe(&app, &a.planner_key, &staff_rx.url, json!(["*"])).await;
    // A client key's subscription is its own, whatever client_id it names.
    let a_hook = app
        .post(
            "/v1/webhooks",
            &a.client_key,
            json!({"url": a_rx.url, "events": ["*"], "client_id": b.client}),
        )
        .await
        .expect(201);
    assert_eq!(a_hook["client_id"].as_str().unwrap(), a.client);
    // Another client neither sees nor touches it.
    let listed = app.get("/v1/webhooks", &b.client_key).await.expect(200);
    assert_eq!(listed["items"], json!([]));
    let a_id = a_hook["id"].as_str().unwrap();
    app.delete(&format!("/v1/webhooks/{a_id}"), &b.client_key)
        .await
        .problem(404);
    app.get(&format!("/v1/webhooks/{a_id}/deliveries"), &b.client_key)
        .await
        .problem(404);
    let listed = app.get("/v1/webhooks", &a.client_key).await.expect(200);
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);

    let b_booking = app
        .post(
            "/v1/bookings",
            &a.planner_key,
            booking(&b, Some(1), "2030-03-01", "2030-03-15", "held"),
        )
        .await
        .expect(201);
    let a_booking = app
        .post(
            "/v1/bookings",
            &a.planner_key,
            booking(&a, Some(2), "2030-03-01", "2030-03-15", "held"),
        )
        .await
        .expect(201);
    // Staff got both; once it has, the fan-out of both events is done.
    let staff_hits = staff_rx.wait_for(2).await;
    let staff_ids: Vec<Value> = staff_hits
        .iter()
        .map(|h| h.json()["data"]["booking"]["id"].clone())
        .collect();
    assert!(staff_ids.contains(&b_booking["id"]) && staff_ids.contains(&a_booking["id"]));
    assert_eq!(deliveries(&app, &staff_hook).await.len(), 2);
    let a_hits = a_rx.wait_for(1).await;
    assert_eq!(a_hits[0].json()["data"]["booking"]["id"], a_booking["id"]);
    assert!(signed_by(&a_hits[0], a_hook["secret"].as_str().unwrap()));
    let mine = app
        .get(&format!("/v1/webhooks/{a_id}/deliveries"), &a.client_key)
        .await
        .expect(200);
    assert_eq!(mine["items"].as_array().unwrap().len(), 1, "{mine}");
    assert_eq!(a_rx.hits().len(), 1);
});

both_backends!(
    targets_and_event_types_validated,
    |app: TestApp| async move {
        let key = app.admin_key.clone();
        for url in [
            "http://127.0.0.1:9/hook",
            "http://localhost/hook",
            "http://10.0.0.8/hook",
            "http://169.254.169.254/latest",
            "http://[::1]/hook",
            "ftp://example.com/hook",
            "not a url",
        ] {
            app.post(
                "/v1/webhooks",
                &key,
                json!({"url": url, "events": ["booking.held"]}),
            )
            .await
            .invalid("/url");
        }
        app.post(
            "/v1/webhooks",
            &key,
            json!({"url": "https://hooks.example.com/x", "events": ["booking.held", "nope"]}),
        )
        .await
        .invalid("/events/1");
        app.post(
            "/v1/webhooks",
            &key,
            json!({"url": "https://hooks.example.com/x", "events": []}),
        )
        .await
        .invalid("/events");
        app.post("/v1/webhooks", &key, json!({"url": "https://hooks.example.com/x", "events": ["*"], "client_id": uuid::Uuid::new_v4()}))
        .await
        .invalid("/client_id");
        let ok = app
            .post(
                "/v1/webhooks",
                &key,
                json!({"url": "https://hooks.example.com/x", "events": ["*"]}),
            )
            .await
            .expect(201);
        app.post(
            &format!("/v1/webhooks/{}/rotate-secret", uuid::Uuid::new_v4()),
            &key,
            json!({}),
        )
        .await
        .problem(404);
        app.get("/v1/webhooks/not-a-uuid/deliveries", &key)
            .await
            .problem(404);
        assert!(ok["secret"].as_str().unwrap().starts_with("whsec_"));
    }
);

#[tokio::test]
async fn webhook_paths_in_openapi() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let spec = app
        .request(reqwest::Method::GET, "/openapi.json", None, None)
        .await
        .expect(200);
    let paths = spec["paths"].as_object().unwrap();
    for (path, method) in [
        ("/v1/webhooks", "post"),
        ("/v1/webhooks", "get"),
        ("/v1/webhooks/{id}", "delete"),
        ("/v1/webhooks/{id}/rotate-secret", "post"),
        ("/v1/webhooks/{id}/deliveries", "get"),
        (
            "/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver",
            "post",
        ),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing from /openapi.json"
        );
    }
}

// A dead delivery is redelivered on request, but at most once a minute: a second request while
// the receiver is still down is refused (409, saying so) and sends nothing more.
with_receivers!(redeliver_at_most_once_a_minute, |app: TestApp| async move {
    let w = world(&app, 2).await;
    let down = receiver(&[], 500).await;
    let hook = subscribe(&app, &w.planner_key, &down.url, json!(["booking.held"])).await;
    app.post(
        "/v1/bookings",
        &w.planner_key,
        booking(&w, None, "2030-03-01", "2030-03-15", "held"),
    )
    .await
    .expect(201);
    let d = wait_status(&app, &hook, "dead").await;
    let path = format!(
        "/v1/webhooks/{}/deliveries/{}/redeliver",
        hook["id"].as_str().unwrap(),
        d["id"].as_str().unwrap()
    );
    let r = app.post(&path, &w.planner_key, json!({})).await;
    assert_eq!(r.status.as_u16(), 202, "{:?}", r.body);
    down.wait_for(4).await;
    // Dead (or failed) again after the redelivered attempt.
    let mut again = Value::Null;
    for _ in 0..200 {
        again = deliveries(&app, &hook).await[0].clone();
        if again["attempt"].as_i64() == Some(4) && again["status"] != "pending" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        again["status"] == "dead" || again["status"] == "failed",
        "{again}"
    );
    let p = app
        .post(&path, &w.planner_key, json!({}))
        .await
        .problem(409);
    assert!(
        p["detail"].as_str().unwrap().contains("once a minute"),
        "{p}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(down.hits().len(), 4, "nothing more was sent");
});

// Every special-purpose address is refused as a webhook target (422 on /url), in IPv4 and in the
// IPv6 forms that embed an IPv4 address, and nothing is subscribed.
#[tokio::test]
async fn special_purpose_addresses_are_refused_as_targets() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let key = app.admin_key.clone();
    for url in [
        "http://0.0.0.0/hook",
        "http://0.1.2.3/hook",
        "http://100.64.0.1/hook",
        "http://192.0.0.8/hook",
        "http://198.18.0.1/hook",
        "http://240.0.0.1/hook",
        "http://224.0.0.251/hook",
        "http://[::]/hook",
        "http://[::127.0.0.1]/hook",
        "http://[::10.0.0.1]/hook",
        "http://[64:ff9b::10.0.0.1]/hook",
        "http://[64:ff9b::7f00:1]/hook",
        "http://[2002:c0a8:0101::1]/hook",
        "http://[2002:7f00:0001::]/hook",
        "http://[ff02::1]/hook",
    ] {
        app.post(
            "/v1/webhooks",
            &key,
            json!({"url": url, "events": ["booking.held"]}),
        )
        .await
        .invalid("/url");
    }
    let listed = app.get("/v1/webhooks", &key).await.expect(200);
    assert_eq!(listed["items"].as_array().unwrap().len(), 0, "{listed}");
    app.post(
        "/v1/webhooks",
        &key,
        json!({"url": "https://hooks.example.com/x", "events": ["booking.held"]}),
    )
    .await
    .expect(201);
}

// Revoking a key reaches what it made: its webhook subscriptions stop receiving (disabled, with
// the reason shown to staff), while another key's subscription to the same events still does.
with_receivers!(
    a_revoked_keys_subscriptions_stop_receiving,
    |app: TestApp| async move {
        let w = world(&app, 2).await;
        let made = app
            .post(
                "/v1/api-keys",
                &app.admin_key,
                json!({"name": "integration", "role": "planner", "client_id": null}),
            )
            .await
            .expect(201);
        let revoked_key = made["key"].as_str().unwrap().to_string();
        let theirs = receiver(&[], 200).await;
        let ours = receiver(&[], 200).await;
        let h_theirs = subscribe(&app, &revoked_key, &theirs.url, json!(["booking.held"])).await;
        let h_ours = subscribe(&app, &w.planner_key, &ours.url, json!(["booking.held"])).await;
        app.delete(
            &format!("/v1/api-keys/{}", made["id"].as_str().unwrap()),
            &app.admin_key,
        )
        .await
        .expect(204);
        app.post(
            "/v1/bookings",
            &w.planner_key,
            booking(&w, None, "2030-03-01", "2030-03-15", "held"),
        )
        .await
        .expect(201);
        ours.wait_for(1).await;
        // Bounded look for a stray delivery after the other one has arrived.
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(theirs.hits().is_empty(), "{:?}", theirs.hits());
        let listed = app.get("/v1/webhooks", &app.admin_key).await.expect(200);
        let items = listed["items"].as_array().unwrap();
        let find = |h: &Value| items.iter().find(|i| i["id"] == h["id"]).unwrap().clone();
        let gone = find(&h_theirs);
        assert!(gone["disabled_at"].is_string(), "{gone}");
        assert!(
            gone["disabled_reason"]
                .as_str()
                .unwrap()
                .contains("revoked"),
            "{gone}"
        );
        assert!(find(&h_ours)["disabled_at"].is_null());
    }
);

// A receiver that accepts connections and never answers (a black hole) must not delay anyone
// else's deliveries: with it subscribed beside a healthy receiver, every booking event reaches
// the healthy one well within 2 s of its commit, while the black hole's attempts time out.
#[tokio::test]
async fn a_hung_receiver_does_not_delay_a_healthy_one() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.webhooks.allow_private_targets = true;
        s.webhooks.retry_schedule = "1,1".into();
        s.webhooks.timeout_s = 4;
    })
    .await;
    let hole = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hole_url = format!(
        "http://127.0.0.1:{}/hook",
        hole.local_addr().unwrap().port()
    );
    let accepted = Arc::new(Mutex::new(Vec::new()));
    tokio::spawn({
        let accepted = accepted.clone();
        async move {
            // Keep every connection open and silent.
            while let Ok((socket, _)) = hole.accept().await {
                accepted.lock().unwrap().push(socket);
            }
        }
    });
    let w = world(&app, 20).await;
    let healthy = receiver(&[], 200).await;
    subscribe(&app, &w.planner_key, &hole_url, json!(["booking.held"])).await;
    subscribe(&app, &w.planner_key, &healthy.url, json!(["booking.held"])).await;
    let mut committed = Vec::new();
    for i in 0..12 {
        let day = format!("2030-03-{:02}", i + 1);
        let end = format!("2030-03-{:02}", i + 2);
        let b = app
            .post(
                "/v1/bookings",
                &w.planner_key,
                booking(&w, None, &day, &end, "held"),
            )
            .await
            .expect(201);
        committed.push((
            b["id"].as_str().unwrap().to_string(),
            std::time::Instant::now(),
        ));
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let hits = healthy.wait_for(12).await;
    let mut latencies: Vec<Duration> = committed
        .iter()
        .map(|(id, at)| {
            let hit = hits
                .iter()
                .find(|h| h.json()["data"]["booking"]["id"] == json!(id))
                .unwrap_or_else(|| panic!("no delivery of booking {id}"));
            hit.at.saturating_duration_since(*at)
        })
        .collect();
    latencies.sort();
    let worst = *latencies.last().unwrap();
    assert!(
        worst < Duration::from_secs(2),
        "commit→delivery for the healthy receiver: {latencies:?}"
    );
    assert!(
        !accepted.lock().unwrap().is_empty(),
        "the black hole was tried"
    );
}
