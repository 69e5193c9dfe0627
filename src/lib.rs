//! # suiteplan
//!
//! A capacity and slot-booking scheduler for contract manufacturers (CDMOs) of cell and gene
//! therapies. See `README.md` for use and `../shared/DESIGN.md` for the design.
//!
//! ## Layout
//! - [`config`]: typed settings (`config/default.toml` → `--config FILE` → `SUITEPLAN__…`).
//! - [`domain`]: validated types and rules; no axum, sqlx or solver types leak in or out.
//! - [`store`]: the `Store` trait of use cases, on SQLite (embedded) and PostgreSQL.
//! - [`app`]: the composition root: `AppState` (with its retried `write`) and the whole router,
//!   API, feeds, pages, operations endpoints and middleware.
//! - [`http`]: the `/v1` API: a router per resource, auth, idempotency, problem+json, OpenAPI.
//! - [`ui`]: the server-rendered pages, with HTML error pages.
//! - [`session`]: the page session cookie, read by the pages and by the API's auth alike.
//! - [`planning`]: plan jobs: instances from the store, the worker, results, alerts, the CLI.
//! - [`demo`]: a believable CDMO for `serve --demo`.
//! - [`webhooks`]: subscriptions' rules, Standard Webhooks signing, the delivery dispatcher.
//! - [`startup`]: `Application::build` binds its own listener and exposes `port()`.
//! - The planning models live in the `solver_models` crate (pure, no I/O).

pub mod app;
pub mod config;
pub mod demo;
pub mod domain;
pub mod http;
pub mod planning;
pub mod session;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod ui;
pub mod webhooks;
