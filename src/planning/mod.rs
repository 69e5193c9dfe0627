//! Planning in the service: builds solver instances from the store, runs plan jobs, records
//! results and raises alerts. The models themselves live in `solver_models` (pure, no I/O).
//!
//! - [`instance`]: a store snapshot → `solver_models::Instance`.
//! - [`worker`]: the job loop (claim with a lease, solve off the runtime, write results in chunks).
//! - [`results`]: a solver plan → the rows the store keeps.
//! - [`cli`]: `suiteplan plan --instance FILE`.
//! - [`replan`]: `planning.auto_replan`, debounced on the audit log.

pub mod cli;
pub mod instance;
pub mod replan;
pub mod results;
pub mod worker;
