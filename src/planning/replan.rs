//! `planning.auto_replan`: after forecast, booking or closure changes, plan the `expected`
//! scenario over `planning.horizon_months`, so that shortfall alerts follow the change that
//! caused them without anyone asking.
//!
//! Debounced on the audit log, which every change writes in its own transaction: a plan starts
//! once no relevant change has happened for `planning.replan_debounce_s` (or at the latest five
//! debounce periods after the first unplanned change, so a steady stream of bookings cannot
//! postpone it forever). Changes made before this process started are taken as planned.
//!
//! Every replica runs a replanner; whether a change still needs its plan is decided in the
//! database (`queue_replan`, one replica at a time), so several replicas queue one plan per
//! change between them.

use crate::config::Settings;
use crate::domain::NewPlan;
use crate::domain::{Month, Scenario};
use crate::store::DynStore;
use chrono::{DateTime, Utc};
use prometheus::{IntCounterVec, Opts};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

/// Audit entities whose changes alter demand or capacity.
pub const TRIGGERS: [&str; 3] = ["forecast", "booking", "closure"];

/// How often the replanner looked at the change feed, by what it found: `unchanged` (every change
/// already planned), `debouncing` (a change, still too recent), `planned` (a plan was queued),
/// `covered` (another replica's replanner had queued it: one plan per change).
/// Shows that the replanner is alive, and that no new plan means "nothing to plan", not "not
/// looking".
///
/// Process-wide, unlike the per-app request metrics: a process runs one replanner.
pub static CHECKS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    let checks = IntCounterVec::new(
        Opts::new(
            "suiteplan_replan_checks_total",
            "Auto-replan looks at the change feed, by outcome",
        ),
        &["outcome"],
    )
    .expect("valid metric");
    for outcome in ["unchanged", "debouncing", "planned", "covered"] {
        checks.with_label_values(&[outcome]);
    }
    checks
});

pub async fn run(store: DynStore, settings: Arc<Settings>) {
    if !settings.planning.auto_replan {
        return;
    }
    let debounce = chrono::Duration::seconds(settings.planning.replan_debounce_s.max(1) as i64);
    let poll = Duration::from_millis(
        (settings.planning.replan_debounce_s.max(1) * 1000 / 4).clamp(250, 5000),
    );
    let mut planned_through: Option<DateTime<Utc>> = loop {
        match store.last_change_at(&TRIGGERS).await {
            Ok(t) => break t,
            Err(e) => {
                tracing::warn!(error = %e, "auto-replan: reading the change log failed");
                tokio::time::sleep(poll).await;
            }
        }
    };
    let mut first_unplanned: Option<DateTime<Utc>> = None;
    loop {
        tokio::time::sleep(poll).await;
        let last = match store.last_change_at(&TRIGGERS).await {
            Ok(Some(t)) => t,
            Ok(None) => {
                CHECKS.with_label_values(&["unchanged"]).inc();
                continue;
            }
            Err(e) => {
                tracing::warn!(error = %e, "auto-replan: reading the change log failed");
                continue;
            }
        };
        if planned_through.is_some_and(|p| last <= p) {
            CHECKS.with_label_values(&["unchanged"]).inc();
            continue;
        }
        let now = Utc::now();
        let first = *first_unplanned.get_or_insert(now);
        if now - last < debounce && now - first < debounce * 5 {
            CHECKS.with_label_values(&["debouncing"]).inc();
            continue;
        }
        let from = Month::of(now.date_naive());
        let mut to = from;
        for _ in 0..settings.planning.horizon_months.max(1) {
            to = to.next();
        }
        let plan = NewPlan {
            from: from.first_day(),
            to: to.first_day(),
            scenario: Scenario::Expected,
            program_ids: None,
            time_limit_s: None,
            sandbox_id: None,
        };
        match store.queue_replan(&plan, last).await {
            Ok(Some(record)) => {
                tracing::info!(plan_id = %record.id, changed_at = %last, "auto-replan queued");
                planned_through = Some(last);
                first_unplanned = None;
                CHECKS.with_label_values(&["planned"]).inc();
            }
            Ok(None) => {
                tracing::debug!(changed_at = %last, "auto-replan: another replica queued it");
                planned_through = Some(last);
                first_unplanned = None;
                CHECKS.with_label_values(&["covered"]).inc();
            }
            Err(e) => tracing::warn!(error = %e, "auto-replan: could not queue a plan"),
        }
    }
}
