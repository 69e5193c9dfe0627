//! Spawns the server on port 0 over a fresh database (a SQLite file or a new PostgreSQL
//! database) and talks to it over HTTP: in process (`TestApp::spawn`), or as the real binary
//! (`TestApp::spawn_binary_with`, `spawn_binary`) where only a process will do.

mod binary;

pub use crate::common::{Backend, TestDb};
pub use binary::{spawn_binary, Binary};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::sync::Once;
use suiteplan::config::Settings;
use suiteplan::startup::Application;
use uuid::Uuid;

pub struct TestApp {
    pub base: String,
    pub admin_key: String,
    pub http: reqwest::Client,
    pub backend: Backend,
    /// The real binary serving `base`, when the app is one; killed before `db` is dropped.
    _server: Option<Binary>,
    pub db: TestDb,
}

/// A response: status, content type and JSON body (Null when empty or not JSON).
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub content_type: String,
    pub body: Value,
    pub text: String,
}

impl Resp {
    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.text
        );
        self.body
    }
    /// Asserts an RFC 9457 problem with this status and returns it.
    #[track_caller]
    pub fn problem(self, status: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.text
        );
        assert!(
            self.content_type.starts_with("application/problem+json"),
            "content type {:?}, body {}",
            self.content_type,
            self.text
        );
        assert_eq!(
            self.body["status"],
            json!(status),
            "problem.status: {}",
            self.text
        );
        assert!(
            self.body["type"]
                .as_str()
                .is_some_and(|t| t.starts_with("/problems/")),
            "problem.type: {}",
            self.text
        );
        assert!(
            self.body["title"].is_string(),
            "problem.title: {}",
            self.text
        );
        self.body
    }
    /// Asserts a 422 naming `field`.
    #[track_caller]
    pub fn invalid(self, field: &str) -> Value {
        let body = self.problem(422);
        let fields: Vec<&str> = body["errors"]
            .as_array()
            .map(|a| a.iter().filter_map(|e| e["field"].as_str()).collect())
            .unwrap_or_default();
        assert!(
            fields.contains(&field),
            "expected an error on {field}, got {fields:?}: {body}"
        );
        body
    }
}

static TRACING: Once = Once::new();

fn new_admin_key() -> String {
    format!("test-admin-{}", Uuid::new_v4().simple())
}

fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Spawns with settings changed by `tweak` (after the test defaults are applied).
    pub async fn spawn_with(backend: Backend, tweak: impl FnOnce(&mut Settings)) -> TestApp {
        TRACING.call_once(|| {
            if std::env::var("TEST_LOG").is_ok() {
                let _ = tracing_subscriber::fmt()
                    .with_env_filter("info,sqlx=warn")
                    .try_init();
            }
        });
        let db = TestDb::new(backend).await;
        let mut settings = Settings::load(None).expect("default settings load");
        settings.server.bind = "127.0.0.1:0".into();
        let admin_key = new_admin_key();
        settings.auth.bootstrap_admin_key = admin_key.clone();
        settings.database.url = db.url().to_string();
        tweak(&mut settings);
        let app = Application::build(settings)
            .await
            .expect("application builds");
        let base = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until(std::future::pending()));
        TestApp {
            base,
            admin_key,
            http: http_client(),
            backend,
            _server: None,
            db,
        }
    }

    /// The real binary (`suiteplan serve`) over a fresh database, its command changed by `tweak`
    /// (settings through `SUITEPLAN__…` variables): for what must be per process, such as the
    /// replanner's metrics.
    pub async fn spawn_binary_with(
        backend: Backend,
        tweak: impl FnOnce(&mut std::process::Command),
    ) -> TestApp {
        let db = TestDb::new(backend).await;
        let admin_key = new_admin_key();
        let server = spawn_binary(|cmd| {
            cmd.args(["--database-url", db.url()])
                .env("SUITEPLAN__AUTH__BOOTSTRAP_ADMIN_KEY", &admin_key);
            tweak(cmd);
        })
        .await;
        TestApp {
            base: server.base(),
            admin_key,
            http: http_client(),
            backend,
            _server: Some(server),
            db,
        }
    }

    /// The real binary serving `base` (for apps made by `spawn_binary_with`).
    #[track_caller]
    pub fn server(&mut self) -> &mut Binary {
        self._server
            .as_mut()
            .expect("the app is a real binary (TestApp::spawn_binary_with)")
    }

    /// SIGKILLs the binary serving this app (when it still runs) and starts a new one on the
    /// same database and admin key, with `tweak`; `base` moves to it.
    pub async fn restart_binary(&mut self, tweak: impl FnOnce(&mut std::process::Command)) {
        if let Some(mut old) = self._server.take() {
            let _ = old.kill();
        }
        let server = spawn_binary(|cmd| {
            cmd.args(["--database-url", self.db.url()])
                .env("SUITEPLAN__AUTH__BOOTSTRAP_ADMIN_KEY", &self.admin_key);
            tweak(cmd);
        })
        .await;
        self.base = server.base();
        self._server = Some(server);
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let mut req = self.http.request(method, format!("{}{}", self.base, path));
        if let Some(k) = key {
            req = req.bearer_auth(k);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.expect("request sent");
        Self::read(r).await
    }

    pub async fn raw(&self, method: Method, path: &str, key: &str, body: Vec<u8>) -> Resp {
        let r = self
            .http
            .request(method, format!("{}{}", self.base, path))
            .bearer_auth(key)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("request sent");
        Self::read(r).await
    }

    pub async fn read(r: reqwest::Response) -> Resp {
        let status = r.status();
        let content_type = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let text = r.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp {
            status,
            content_type,
            body,
            text,
        }
    }

    pub async fn get(&self, path: &str, key: &str) -> Resp {
        self.request(Method::GET, path, Some(key), None).await
    }
    pub async fn post(&self, path: &str, key: &str, body: Value) -> Resp {
        self.request(Method::POST, path, Some(key), Some(body))
            .await
    }
    pub async fn put(&self, path: &str, key: &str, body: Value) -> Resp {
        self.request(Method::PUT, path, Some(key), Some(body)).await
    }
    pub async fn patch(&self, path: &str, key: &str, body: Value) -> Resp {
        self.request(Method::PATCH, path, Some(key), Some(body))
            .await
    }
    pub async fn delete(&self, path: &str, key: &str) -> Resp {
        self.request(Method::DELETE, path, Some(key), None).await
    }

    /// Outbox events of one type, read straight from the database.
    pub async fn events(&self, event_type: &str) -> Vec<Value> {
        self.scoped_events(event_type)
            .await
            .into_iter()
            .map(|(_, payload)| payload)
            .collect()
    }

    /// Outbox events of one type with their client scope (None: staff only).
    pub async fn scoped_events(&self, event_type: &str) -> Vec<(Option<Uuid>, Value)> {
        type Row = (Option<Uuid>, sqlx::types::Json<Value>);
        self.db
            .fetch_all::<Row>(
                "SELECT client_id, payload FROM events WHERE type = $1 ORDER BY id",
                &[event_type.into()],
            )
            .await
            .into_iter()
            .map(|(client, payload)| (client, payload.0))
            .collect()
    }

    // Fixtures -------------------------------------------------------------------------------

    pub async fn key(&self, role: &str, client_id: Option<&str>) -> String {
        let body = self
            .post(
                "/v1/api-keys",
                &self.admin_key,
                json!({"name": format!("{role} key"), "role": role, "client_id": client_id}),
            )
            .await
            .expect(201);
        body["key"].as_str().expect("key").to_string()
    }

    pub async fn site(&self, name: &str) -> Value {
        self.post(
            "/v1/sites",
            &self.admin_key,
            json!({"name": name, "timezone": "Europe/Amsterdam"}),
        )
        .await
        .expect(201)
    }

    pub async fn suite(&self, site_id: &Value, name: &str, caps: &[&str], lines: i64) -> Value {
        self.post(
            "/v1/suites",
            &self.admin_key,
            json!({"site_id": site_id, "name": name, "grade": "B", "capabilities": caps, "lines": lines,
                   "available_from": "2026-01-01", "available_to": null}),
        )
        .await
        .expect(201)
    }

    pub async fn client(&self, name: &str) -> Value {
        self.post("/v1/clients", &self.admin_key, json!({"name": name}))
            .await
            .expect(201)
    }

    pub fn program_body(client_id: &Value, name: &str) -> Value {
        json!({"client_id": client_id, "name": name, "modality": "autologous", "storage": "fresh",
               "atmp": true, "phase": "phase1", "required_capabilities": ["autologous"], "min_grade": "B",
               "batch_days": 14, "changeover_days": 2, "earliest_start": null})
    }

    pub async fn program(&self, client_id: &Value, name: &str) -> Value {
        self.post(
            "/v1/programs",
            &self.admin_key,
            Self::program_body(client_id, name),
        )
        .await
        .expect(201)
    }
}

/// Runs the same test body against SQLite and PostgreSQL.
#[macro_export]
macro_rules! both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test]
            async fn sqlite() {
                let app = TestApp::spawn(Backend::Sqlite).await;
                ($body)(app).await;
            }
            #[tokio::test]
            async fn postgres() {
                let app = TestApp::spawn(Backend::Postgres).await;
                ($body)(app).await;
            }
        }
    };
}
