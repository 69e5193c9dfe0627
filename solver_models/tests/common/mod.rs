//! Helpers the solver tests share: the reference instances and dates.
#![allow(dead_code)] // each test file uses its own subset

use solver_models::{Instance, Month};

/// A reference instance from `instances/NAME.json`.
#[track_caller]
pub fn load(name: &str) -> Instance {
    let path = format!("{}/instances/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("instance file");
    serde_json::from_str(&text).expect("valid instance")
}

pub fn d(s: &str) -> chrono::NaiveDate {
    s.parse().unwrap()
}

/// `YYYY-MM`.
pub fn month(s: &str) -> Month {
    Month::of(d(&format!("{s}-01")))
}
