//! Two done plans side by side (live vs a sandbox, or two sandboxes): served and short by month
//! and by program, each plan's expansion advice, the utilisation difference per suite-month, and
//! what the sandbox's changes bought (weighted batches per line-month they add).

use super::{line_months, ExpansionRow, PlanDetail, PlanStatus, Scenario};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Comparison {
    pub base: ComparedPlan,
    pub other: ComparedPlan,
    /// Every month either plan covers, in order.
    pub months: Vec<MonthCompared>,
    /// Every program either plan planned.
    pub programs: Vec<ProgramCompared>,
    /// Every suite-month either plan has (a hypothetical suite only in its sandbox's plan).
    pub utilization: Vec<UtilizationCompared>,
    pub changes_bought: ChangesBought,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct ComparedPlan {
    pub id: Uuid,
    /// The sandbox it planned; null: the live data.
    pub sandbox_id: Option<Uuid>,
    #[schema(value_type = super::schema::ScenarioName)]
    pub scenario: Scenario,
    #[schema(value_type = super::schema::Day)]
    pub from: NaiveDate,
    #[schema(value_type = super::schema::Day)]
    pub to: NaiveDate,
    pub demand_batches: i64,
    pub served_batches: i64,
    pub short_batches: i64,
    pub demand_weighted: f64,
    pub served_weighted: f64,
    pub expansion: Vec<ExpansionRow>,
}

/// Batches of one month in each plan (`null` where that plan does not cover the month).
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct MonthCompared {
    pub month: String,
    pub base_demand: Option<i32>,
    pub base_served: Option<i32>,
    pub other_demand: Option<i32>,
    pub other_served: Option<i32>,
    /// `other_served − base_served` (missing counts as 0).
    pub served_difference: i32,
}

/// Batches of one program over each plan's horizon.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct ProgramCompared {
    pub program_id: Uuid,
    pub base_demand: i32,
    pub base_served: i32,
    pub other_demand: i32,
    pub other_served: i32,
    pub served_difference: i32,
}

/// Booked + planned over open line-days of a suite-month in each plan (`null` where the suite
/// is not in that plan or has no open line-day).
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct UtilizationCompared {
    pub suite_id: Uuid,
    pub month: String,
    pub base: Option<f64>,
    pub other: Option<f64>,
    /// `other − base` where both are known.
    pub difference: Option<f64>,
}

/// What the other plan's changes bought over the base's.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct ChangesBought {
    pub served_batches_difference: i64,
    pub served_weighted_difference: f64,
    /// Line-months the other plan's sandbox adds (hypothetical suites) beyond the base's, within
    /// the other plan's horizon.
    pub added_line_months: i64,
    /// Line-months it takes away (closures, retirements) beyond the base's.
    pub removed_line_months: i64,
    /// `served_weighted_difference / (added − removed)`; null when the changes add no net
    /// line-month.
    pub weighted_per_added_line_month: Option<f64>,
}

fn share(open: i32, used: i32) -> Option<f64> {
    (open > 0).then(|| f64::from(used) / f64::from(open))
}

fn plan_of(d: &PlanDetail) -> Result<ComparedPlan, String> {
    let r = &d.record;
    let s = match (&r.summary, r.status) {
        (Some(s), PlanStatus::Done) => s,
        _ => return Err(format!("plan {} is not done", r.id)),
    };
    Ok(ComparedPlan {
        id: r.id,
        sandbox_id: r.sandbox_id,
        scenario: r.scenario,
        from: r.from,
        to: r.to,
        demand_batches: i64::from(s.demand_batches),
        served_batches: i64::from(s.served_batches),
        short_batches: i64::from(s.demand_batches) - i64::from(s.served_batches),
        demand_weighted: s.demand_weighted,
        served_weighted: s.served_weighted,
        expansion: s.expansion.clone(),
    })
}

/// `base` and `other` side by side; `lines_of` gives a live suite's lines (for the line-months
/// a closure takes). Both must be done.
pub fn compare(
    base: &PlanDetail,
    other: &PlanDetail,
    lines_of: &dyn Fn(Uuid) -> i64,
) -> Result<Comparison, String> {
    let (b, o) = (plan_of(base)?, plan_of(other)?);
    let months_of = |d: &PlanDetail| -> BTreeMap<String, (i32, i32)> {
        d.record
            .summary
            .iter()
            .flat_map(|s| &s.months)
            .map(|m| (m.month.clone(), (m.demand_batches, m.served_batches)))
            .collect()
    };
    let (bm, om) = (months_of(base), months_of(other));
    let all: BTreeSet<&String> = bm.keys().chain(om.keys()).collect();
    let months = all
        .into_iter()
        .map(|m| {
            let (x, y) = (bm.get(m), om.get(m));
            MonthCompared {
                month: m.clone(),
                base_demand: x.map(|v| v.0),
                base_served: x.map(|v| v.1),
                other_demand: y.map(|v| v.0),
                other_served: y.map(|v| v.1),
                served_difference: y.map_or(0, |v| v.1) - x.map_or(0, |v| v.1),
            }
        })
        .collect();
    let mut programs: BTreeMap<Uuid, ProgramCompared> = BTreeMap::new();
    for (d, is_base) in [(base, true), (other, false)] {
        for t in &d.programs {
            let p = programs.entry(t.program_id).or_insert(ProgramCompared {
                program_id: t.program_id,
                base_demand: 0,
                base_served: 0,
                other_demand: 0,
                other_served: 0,
                served_difference: 0,
            });
            if is_base {
                p.base_demand += t.demand_batches;
                p.base_served += t.served_batches;
            } else {
                p.other_demand += t.demand_batches;
                p.other_served += t.served_batches;
            }
        }
    }
    let programs = programs
        .into_values()
        .map(|mut p| {
            p.served_difference = p.other_served - p.base_served;
            p
        })
        .collect();
    let util_of = |d: &PlanDetail| -> BTreeMap<(Uuid, String), Option<f64>> {
        d.utilization
            .iter()
            .map(|u| {
                (
                    (u.suite_id, u.month.clone()),
                    share(u.open_line_days, u.booked_line_days + u.planned_line_days),
                )
            })
            .collect()
    };
    let (bu, ou) = (util_of(base), util_of(other));
    let keys: BTreeSet<&(Uuid, String)> = bu.keys().chain(ou.keys()).collect();
    let utilization = keys
        .into_iter()
        .map(|k| {
            let (x, y) = (bu.get(k).copied().flatten(), ou.get(k).copied().flatten());
            UtilizationCompared {
                suite_id: k.0,
                month: k.1.clone(),
                base: x,
                other: y,
                difference: x.zip(y).map(|(x, y)| y - x),
            }
        })
        .collect();
    let net = |d: &PlanDetail| {
        d.record.sandbox_changes.as_deref().map_or((0, 0), |c| {
            line_months(c, other.record.from, other.record.to, lines_of)
        })
    };
    let ((ba, br), (oa, or)) = (net(base), net(other));
    let (added, removed) = (oa - ba, or - br);
    let weighted = o.served_weighted - b.served_weighted;
    Ok(Comparison {
        changes_bought: ChangesBought {
            served_batches_difference: o.served_batches - b.served_batches,
            served_weighted_difference: weighted,
            added_line_months: added,
            removed_line_months: removed,
            weighted_per_added_line_month: (added - removed != 0)
                .then(|| weighted / (added - removed) as f64),
        },
        base: b,
        other: o,
        months,
        programs,
        utilization,
    })
}
