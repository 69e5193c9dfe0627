//! One integration-test binary: the real server on port 0, against SQLite and PostgreSQL.

#[path = "../common/mod.rs"]
mod common;
mod helpers;

mod availability_and_feeds;
mod bad_input;
mod bookings;
mod calendar_agreement;
mod concurrency;
mod crash;
mod cross_site;
mod demand;
mod isolation;
mod kinds;
mod limits;
mod operations;
mod pages;
mod plan_jobs;
mod plans;
mod pools;
mod proxy;
mod quotas;
mod replicas;
mod resources;
mod roles;
mod sandboxes;
mod selling;
mod spreadsheets;
mod webhooks;
mod workspace;
