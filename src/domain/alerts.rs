//! Alerts are raised only for what is new: a plan is compared with the
//! previous done plan of the same scenario, and only shortfalls that are new or larger, and
//! suite-months that newly reach the utilisation threshold, become events.

use super::{
    OutboxEvent, PlanRecord, PlanShortfall, PlanSummary, PlanUtilization, ShortfallReason,
};
use serde_json::json;
use std::collections::{BTreeMap, HashMap, HashSet};
use uuid::Uuid;

/// Reasons that alert: `earliest_start` is the program's own timing, not a capacity problem.
const ALERTING: [ShortfallReason; 2] = [ShortfallReason::Capacity, ShortfallReason::NoUsableSuite];

/// This plan's rows and the previous done plan's (empty when there is none).
pub struct Compared<'a> {
    pub shortfalls: &'a [PlanShortfall],
    pub previous_shortfalls: &'a [PlanShortfall],
    pub utilization: &'a [PlanUtilization],
    pub previous_utilization: &'a [PlanUtilization],
}

fn ratio(u: &PlanUtilization) -> Option<f64> {
    (u.open_line_days > 0)
        .then(|| f64::from(u.booked_line_days + u.planned_line_days) / f64::from(u.open_line_days))
}

/// Shortfall rows (alerting reasons only) that are new or larger than before.
pub fn new_shortfalls<'a>(
    current: &'a [PlanShortfall],
    previous: &[PlanShortfall],
) -> Vec<&'a PlanShortfall> {
    let mut before: HashMap<(Uuid, &str), i32> = HashMap::new();
    for s in previous.iter().filter(|s| ALERTING.contains(&s.reason)) {
        *before.entry((s.program_id, s.month.as_str())).or_default() += s.shortfall;
    }
    current
        .iter()
        .filter(|s| ALERTING.contains(&s.reason) && s.shortfall > 0)
        .filter(|s| {
            before
                .get(&(s.program_id, s.month.as_str()))
                .is_none_or(|b| s.shortfall > *b)
        })
        .collect()
}

/// Suite-months at or above `threshold` that were not already there before.
pub fn newly_high<'a>(
    current: &'a [PlanUtilization],
    previous: &[PlanUtilization],
    threshold: f64,
) -> Vec<(&'a PlanUtilization, f64)> {
    let high_before: HashSet<(Uuid, &str)> = previous
        .iter()
        .filter(|u| ratio(u).is_some_and(|r| r >= threshold))
        .map(|u| (u.suite_id, u.month.as_str()))
        .collect();
    current
        .iter()
        .filter_map(|u| ratio(u).map(|r| (u, r)))
        .filter(|(u, r)| *r >= threshold && !high_before.contains(&(u.suite_id, u.month.as_str())))
        .collect()
}

fn shortfall_json(s: &PlanShortfall) -> serde_json::Value {
    json!({
        "program_id": s.program_id, "month": s.month, "phase": s.phase, "demand": s.demand,
        "booked": s.booked, "planned": s.planned, "shortfall": s.shortfall, "reason": s.reason,
    })
}

fn shortfall_event(
    plan: &PlanRecord,
    client_id: Option<Uuid>,
    rows: &[&PlanShortfall],
) -> OutboxEvent {
    let first = rows
        .iter()
        .map(|s| s.month.as_str())
        .min()
        .unwrap_or_default();
    OutboxEvent {
        event_type: "capacity.shortfall".into(),
        client_id,
        data: json!({
            "plan_id": plan.id,
            "scenario": plan.scenario,
            "first_short_month": first,
            "shortfalls": rows.iter().map(|s| shortfall_json(s)).collect::<Vec<_>>(),
        }),
    }
}

/// Every event a finished plan raises, in outbox order: shortfalls (one per client, scoped to
/// it, then one unscoped with all rows for staff), utilisation alerts, then `plan.completed`.
pub fn plan_events(
    plan: &PlanRecord,
    summary: &PlanSummary,
    rows: &Compared<'_>,
    threshold: f64,
) -> Vec<OutboxEvent> {
    let mut events = Vec::new();
    let short = new_shortfalls(rows.shortfalls, rows.previous_shortfalls);
    if !short.is_empty() {
        let mut by_client: BTreeMap<Uuid, Vec<&PlanShortfall>> = BTreeMap::new();
        for s in &short {
            by_client.entry(s.client_id).or_default().push(s);
        }
        for (client, mine) in &by_client {
            events.push(shortfall_event(plan, Some(*client), mine));
        }
        events.push(shortfall_event(plan, None, &short));
    }
    for (u, r) in newly_high(rows.utilization, rows.previous_utilization, threshold) {
        events.push(OutboxEvent {
            event_type: "capacity.utilization_high".into(),
            client_id: None,
            data: json!({
                "plan_id": plan.id, "suite_id": u.suite_id, "month": u.month,
                "utilization": (r * 10_000.0).round() / 10_000.0,
            }),
        });
    }
    events.push(OutboxEvent {
        event_type: "plan.completed".into(),
        client_id: None,
        data: json!({
            "plan_id": plan.id, "scenario": plan.scenario, "from": plan.from, "to": plan.to,
            "solver_status": summary.solver_status,
            "served_weighted": summary.served_weighted,
            "demand_weighted": summary.demand_weighted,
            "shortfall_batches": rows.shortfalls.iter().map(|s| s.shortfall).sum::<i32>(),
        }),
    });
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    fn short(program: Uuid, month: &str, n: i32, reason: ShortfallReason) -> PlanShortfall {
        PlanShortfall {
            program_id: program,
            client_id: Uuid::nil(),
            month: month.into(),
            phase: "phase1".into(),
            demand: n,
            booked: 0,
            planned: 0,
            shortfall: n,
            reason,
            competition: Vec::new(),
        }
    }

    #[test]
    fn only_new_or_larger_shortfalls_alert() {
        let p = Uuid::now_v7();
        let before = vec![short(p, "2027-01", 2, ShortfallReason::Capacity)];
        let now = vec![
            short(p, "2027-01", 2, ShortfallReason::Capacity),
            short(p, "2027-02", 1, ShortfallReason::Capacity),
            short(p, "2027-03", 1, ShortfallReason::EarliestStart),
        ];
        let got = new_shortfalls(&now, &before);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].month, "2027-02");
        let larger = vec![short(p, "2027-01", 3, ShortfallReason::Capacity)];
        assert_eq!(new_shortfalls(&larger, &before).len(), 1);
    }

    #[test]
    fn utilization_alerts_once_per_crossing() {
        let s = Uuid::now_v7();
        let u = |b: i32| PlanUtilization {
            suite_id: s,
            month: "2027-01".into(),
            open_line_days: 100,
            booked_line_days: b,
            planned_line_days: 0,
        };
        assert_eq!(newly_high(&[u(90)], &[], 0.82).len(), 1);
        assert!(newly_high(&[u(90)], &[u(85)], 0.82).is_empty());
        assert_eq!(newly_high(&[u(90)], &[u(50)], 0.82).len(), 1);
        assert!(newly_high(&[u(50)], &[], 0.82).is_empty());
    }
}
