//! # suiteplan
//!
//! A capacity and slot-booking scheduler for contract manufacturers (CDMOs) of cell and gene
//! therapies. See `README.md` for use and `docs/` for the architecture, the planning model and the
//! API guide.
//!
//! ## Layout
//! - [`config`]: typed settings (`config/default.toml` → `--config FILE` → `SUITEPLAN__…`).
//! - [`domain`]: validated types and rules (plans, webhooks, the calendar rules' service side);
//!   no axum or sqlx types leak in or out.
//! - [`store`]: the `Store` trait of use cases, one sub-trait per aggregate, on SQLite
//!   (embedded) and PostgreSQL; depends on the domain only.
//! - [`app`]: the composition root: `AppState` (with its retried `write`) and the whole router,
//!   API, feeds, pages, operations endpoints and middleware.
//! - [`http`]: the `/v1` API: a router per resource, auth, idempotency, problem+json, OpenAPI.
//! - [`ui`]: the server-rendered pages, with HTML error pages.
//! - [`session`]: the page session cookie, read by the pages and by the API's auth alike.
//! - [`sheets`]: spreadsheets in and out (CSV, XLSX): reading, the import layouts, writing.
//! - [`planning`]: plan jobs: instances from the store, the worker, results, the CLI.
//! - [`demo`]: a believable CDMO for `serve --demo`.
//! - [`webhooks`]: subscriptions' rules, Standard Webhooks signing, the delivery dispatcher.
//! - [`startup`]: `Application::build` binds its own listener and exposes `port()`.
//! - The planning models live in the `solver_models` crate (pure, no I/O), and so do the
//!   calendar rules (`solver_models::calendar`) that bookings, availability and the planner share.

pub mod app;
pub mod config;
pub mod demo;
pub mod domain;
pub mod http;
pub mod planning;
pub mod session;
pub mod sheets;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod ui;
pub mod webhooks;
