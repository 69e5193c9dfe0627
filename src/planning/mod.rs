//! Planning in the service: builds solver instances from the store, runs plan jobs, records
//! results and raises alerts. The models themselves live in `solver_models` (pure, no I/O).
//!
//! - [`instance`]: a store snapshot → `solver_models::Instance`.
//! - [`worker`]: the job loop (claim with a lease, solve off the runtime, write results in chunks).
//! - [`results`]: a solver plan → the rows the store keeps.
//! - [`money`]: the plan's revenue, served and at risk, and its expansion advice's cost.
//! - [`cli`]: `suiteplan plan --instance FILE`.
//! - [`replan`]: `planning.auto_replan`, debounced on the audit log.

pub mod cli;
pub mod instance;
pub mod money;
pub mod replan;
pub mod results;
pub mod worker;

use crate::domain::{PlanRecord, PlanStatus, Scenario};
use crate::store::{DynStore, Page, StoreError};

/// The newest done plan of the live data (what-ifs aside), of `scenario` when given: what the
/// pages show, what a what-if starts from and is compared with. Looks at the newest 100 plans.
pub async fn newest_live(
    store: &DynStore,
    scenario: Option<Scenario>,
) -> Result<Option<PlanRecord>, StoreError> {
    let plans = store
        .list_plans(Page {
            limit: 100,
            after: None,
        })
        .await?;
    Ok(plans.items.into_iter().find(|p| {
        p.sandbox_id.is_none()
            && p.status == PlanStatus::Done
            && scenario.is_none_or(|s| p.scenario == s)
    }))
}
