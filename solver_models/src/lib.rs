//! # solver_models
//!
//! suiteplan's planning models as a pure library: an [`Instance`](types::Instance) in, a plan
//! out. No I/O, no database, no async: the service, the CLI and the benchmarks all call the same
//! functions.
//!
//! ## Layout
//! - [`types`]: the instance format (serde JSON), shared with the service and the CLI.
//! - [`month`]: calendar months.
//! - [`demand`]: integer demand by scenario, with the exact cumulative rounding rule.

pub mod demand;
pub mod month;
pub mod types;

pub use month::Month;
pub use types::*;
