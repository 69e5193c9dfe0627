//! # suiteplan
//!
//! A capacity and slot-booking scheduler for contract manufacturers (CDMOs) of cell and gene
//! therapies. See `README.md` for use and `../shared/DESIGN.md` for the design.
//!
//! ## Layout
//! - [`config`]: typed settings (`config/default.toml` → `--config FILE` → `SUITEPLAN__…`).
//! - [`domain`]: validated types and rules; no axum, sqlx or solver types leak in or out.
//! - [`store`]: the `Store` trait of use cases, on SQLite (embedded) and PostgreSQL.
//! - [`http`]: axum routers per resource, auth, problem+json errors, OpenAPI.
//! - [`planning`]: plan jobs: instances from the store, the worker, results, alerts, the CLI.
//! - [`demo`]: a believable CDMO for `serve --demo`.
//! - [`webhooks`]: subscriptions' rules, Standard Webhooks signing, the delivery dispatcher.
//! - [`startup`]: `Application::build` binds its own listener and exposes `port()`.
//! - The planning models live in the `solver_models` crate (pure, no I/O).

pub mod config;
pub mod demo;
pub mod domain;
pub mod http;
pub mod planning;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod ui;
pub mod webhooks;
