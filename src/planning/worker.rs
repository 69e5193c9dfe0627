//! The plan job loop. Any number of these (one per replica) share the queue: a plan is claimed
//! with a lease that the worker renews while it solves, so a killed worker's plan is picked up
//! again once its lease expires instead of staying `running` for ever.

use super::money;
use super::{instance, results};
use crate::config::Settings;
use crate::domain::{PlanProgress, PlanRecord, PlanRowsChunk};
use crate::store::{now, DynStore, StoreError};
use chrono::{DateTime, Utc};
use solver_models::plan::{solve, PlanOptions};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How often an idle worker looks for queued plans.
const POLL: Duration = Duration::from_millis(500);
/// Result rows per transaction, so that a large plan never holds SQLite's writer for long.
pub const CHUNK_ROWS: usize = 400;

/// The end of a lease (`planning.lease_s`) taken or renewed now.
fn lease_until(settings: &Settings) -> DateTime<Utc> {
    now() + chrono::Duration::from_std(settings.planning.lease()).unwrap_or(chrono::Duration::MAX)
}

/// Runs plan jobs until the task is dropped.
pub async fn run(store: DynStore, settings: Arc<Settings>) {
    // The process id tells an operator (and the replica tests) which process holds a plan; the
    // UUID keeps owners apart where every process is pid 1 (containers).
    let owner = format!("worker-{}-{}", std::process::id(), uuid::Uuid::new_v4());
    tracing::info!(owner, "plan worker started");
    loop {
        match store.claim_plan(&owner, lease_until(&settings)).await {
            Ok(Some(plan)) => run_one(&store, &settings, &owner, plan).await,
            Ok(None) => tokio::time::sleep(POLL).await,
            Err(e) => {
                tracing::warn!(error = %e, "claiming a plan failed");
                tokio::time::sleep(POLL).await;
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum RunError {
    /// Recorded on the plan as its `error`.
    #[error("{0}")]
    Plan(String),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// Another worker holds the plan now: leave it alone.
    #[error("the lease was lost")]
    LeaseLost,
}

#[tracing::instrument(skip_all, fields(plan_id = %plan.id))]
async fn run_one(store: &DynStore, settings: &Settings, owner: &str, plan: PlanRecord) {
    let id = plan.id;
    let started = std::time::Instant::now();
    match execute(store, settings, owner, &plan).await {
        Ok(()) => tracing::info!(seconds = started.elapsed().as_secs_f64(), "plan done"),
        Err(RunError::LeaseLost) => tracing::warn!("plan lease lost; another worker has it"),
        Err(e) => {
            let message = match &e {
                RunError::Plan(m) => m.clone(),
                _ => "the plan could not be recorded (database error); start it again".into(),
            };
            tracing::warn!(error = %e, "plan failed");
            if let Err(e) = store.fail_plan(id, owner, &message).await {
                // The lease runs out and the plan is claimed again.
                tracing::error!(error = %e, "could not mark the plan failed");
            }
        }
    }
}

async fn execute(
    store: &DynStore,
    settings: &Settings,
    owner: &str,
    plan: &PlanRecord,
) -> Result<(), RunError> {
    let mut snapshot = store.plan_snapshot(plan.from).await?;
    // A what-if: the sandbox's changes on this copy only.
    let mut plan = plan.clone();
    if let Some(changes) = &plan.sandbox_changes {
        let added = crate::domain::apply(&mut snapshot, changes);
        if let Some(ids) = &mut plan.program_ids {
            ids.extend(added);
        }
    }
    let plan = &plan;
    let inst = instance::build(plan, &snapshot, settings).map_err(RunError::Plan)?;
    let opts = PlanOptions {
        time_limit_s: plan.time_limit_s.unwrap_or(settings.planning.time_limit_s),
        mip_rel_gap: settings.planning.mip_rel_gap,
        today: Utc::now().date_naive(),
        expansion_lead_months: settings.planning.expansion_lead_months,
        expansion: true,
        threads: None,
        hint: if plan.sandbox_id.is_some() {
            live_hint(store, plan).await?
        } else {
            Vec::new()
        },
    };
    let (tx, mut rx) = watch::channel(String::new());
    let inst = Arc::new(inst);
    let solving = {
        let inst = inst.clone();
        tokio::task::spawn_blocking(move || {
            let (started, mut seen) = (std::time::Instant::now(), PlanProgress::default());
            solve(&inst, &opts, &mut |p| {
                let at = started.elapsed().as_secs_f64();
                seen.report(at, p.stage, &p.message, p.incumbent, p.bound);
                if let Ok(doc) = serde_json::to_string(&seen) {
                    let _ = tx.send(doc);
                }
            })
        })
    };
    tokio::pin!(solving);
    let mut beat = tokio::time::interval(settings.planning.heartbeat());
    beat.tick().await;
    let outcome = loop {
        tokio::select! {
            joined = &mut solving => break joined,
            _ = beat.tick() => {
                let progress = rx.has_changed().unwrap_or(false).then(|| rx.borrow_and_update().clone());
                match store.renew_plan_lease(plan.id, owner, lease_until(settings), progress.as_deref()).await {
                    Ok(true) => {}
                    // The solve keeps its thread until it returns; its result is dropped.
                    Ok(false) => return Err(RunError::LeaseLost),
                    Err(e) => tracing::warn!(error = %e, "renewing the plan lease failed"),
                }
            }
        }
    };
    let solved = match outcome {
        Ok(Ok(p)) => p,
        Ok(Err(e)) => return Err(RunError::Plan(format!("the instance is invalid: {e}"))),
        Err(e) => {
            tracing::error!(error = %e, "the solver panicked");
            return Err(RunError::Plan(
                "the solver stopped unexpectedly; the plan was not computed".into(),
            ));
        }
    };
    // The last report (the solve's end) stays with the plan.
    let last = rx.borrow().clone();
    if !last.is_empty()
        && !store
            .renew_plan_lease(plan.id, owner, lease_until(settings), Some(&last))
            .await?
    {
        return Err(RunError::LeaseLost);
    }
    let rows = results::rows(&inst, &solved).map_err(RunError::Plan)?;
    let mut summary = results::summary(&solved);
    summary.months = rows.months.clone();
    let mut cards = std::collections::HashMap::new();
    for site in snapshot
        .suites
        .iter()
        .map(|s| s.site_id)
        .collect::<std::collections::BTreeSet<_>>()
    {
        if let Some(card) = store.get_rate_card(site).await? {
            cards.insert(site, card.card);
        }
    }
    let planned: Vec<uuid::Uuid> = inst
        .programs
        .iter()
        .filter_map(|p| {
            p.id.as_deref()
                .and_then(|id| uuid::Uuid::parse_str(id).ok())
        })
        .collect();
    summary.money = Some(money::plan_money(
        &money::Prices {
            snapshot: &snapshot,
            cards: &cards,
        },
        (inst.from, inst.to),
        &planned,
        &rows,
        &mut summary.expansion,
        &settings.expansion,
    ));
    write_rows(store, settings, owner, plan, rows).await?;
    match store
        .finish_plan(
            plan.id,
            owner,
            &summary,
            settings.alerts.utilization_threshold,
        )
        .await
    {
        Err(StoreError::State(_)) => Err(RunError::LeaseLost),
        other => Ok(other?),
    }
}

/// Writes the result rows, [`CHUNK_ROWS`] per transaction, renewing the lease with each.
async fn write_rows(
    store: &DynStore,
    settings: &Settings,
    owner: &str,
    plan: &PlanRecord,
    rows: results::PlanRows,
) -> Result<(), RunError> {
    let mut chunks: Vec<PlanRowsChunk> = Vec::new();
    let mut current = PlanRowsChunk::default();
    let size = |c: &PlanRowsChunk| {
        c.suggestions.len() + c.shortfalls.len() + c.utilization.len() + c.programs.len()
    };
    macro_rules! push {
        ($field:ident, $item:expr) => {{
            current.$field.push($item);
            if size(&current) >= CHUNK_ROWS {
                chunks.push(std::mem::take(&mut current));
            }
        }};
    }
    for (i, s) in rows.suggestions.into_iter().enumerate() {
        push!(suggestions, (i as i32, s));
    }
    for (i, s) in rows.shortfalls.into_iter().enumerate() {
        push!(shortfalls, (i as i32, s));
    }
    for (i, u) in rows.utilization.into_iter().enumerate() {
        push!(utilization, (i as i32, u));
    }
    for t in rows.programs {
        push!(programs, t);
    }
    if size(&current) > 0 {
        chunks.push(current);
    }
    for chunk in &chunks {
        match store
            .write_plan_rows(plan.id, owner, lease_until(settings), chunk)
            .await
        {
            Err(StoreError::State(_)) => return Err(RunError::LeaseLost),
            other => other?,
        }
    }
    Ok(())
}

/// A what-if starts from the newest done live plan of its scenario (its batches where they still
/// fit): the comparison then shows what the sandbox's changes do, not the search's luck.
async fn live_hint(
    store: &DynStore,
    plan: &PlanRecord,
) -> Result<Vec<solver_models::plan::Hint>, StoreError> {
    let Some(live) = super::newest_live(store, Some(plan.scenario)).await? else {
        return Ok(Vec::new());
    };
    let detail = store.get_plan(live.id, None).await?;
    Ok(detail
        .suggestions
        .iter()
        .filter(|s| s.kind.serves_demand())
        .filter_map(|s| {
            Some(solver_models::plan::Hint {
                program: s.program_id.to_string(),
                suite: s.suite_id.to_string(),
                line: u32::try_from(s.line).ok()?,
                start: s.start,
                month: crate::domain::Month::parse(&s.month)?,
            })
        })
        .collect())
}
