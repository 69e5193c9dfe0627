//! A solver plan → the rows and summary the store keeps, keyed back to UUIDs.

use crate::domain::{
    BindingRow, Competition, ExpansionRow, Occupant, PhaseSuccess, PlanMonthRow, PlanProgramTotals,
    PlanShortfall, PlanSuggestion, PlanSummary, PlanUtilization, PoolExpansionRow, PoolMonthRow,
};
use solver_models as sm;
use solver_models::plan::Plan;
use std::collections::HashMap;
use uuid::Uuid;

/// The solver's name as shown in `solver.name`.
pub const SOLVER_NAME: &str = "suiteplan-milp (HiGHS)";

/// Everything a done plan stores.
#[derive(Debug, Clone, Default)]
pub struct PlanRows {
    pub suggestions: Vec<PlanSuggestion>,
    pub shortfalls: Vec<PlanShortfall>,
    pub utilization: Vec<PlanUtilization>,
    pub programs: Vec<PlanProgramTotals>,
    /// Demand and served per month over every planned program (kept in the summary).
    pub months: Vec<PlanMonthRow>,
}

fn key(s: &str, what: &str) -> Result<Uuid, String> {
    Uuid::parse_str(s).map_err(|_| format!("the solver returned an unknown {what} `{s}`"))
}

pub fn summary(plan: &Plan) -> PlanSummary {
    PlanSummary {
        served_weighted: plan.served_weighted,
        demand_weighted: plan.demand_weighted,
        bound_weighted: plan.bound_weighted,
        served_batches: plan.served_batches,
        demand_batches: plan.demand_batches,
        solver_name: SOLVER_NAME.into(),
        solver_status: plan.status.as_str().into(),
        seconds: (plan.seconds * 1000.0).round() / 1000.0,
        gap: plan.gap,
        expansion: plan
            .expansion
            .iter()
            .map(|e| ExpansionRow {
                capabilities: e.capabilities.clone(),
                min_grade: e.min_grade.as_str().into(),
                site_id: e.site.as_deref().and_then(|s| Uuid::parse_str(s).ok()),
                from_month: e.from_month.to_string(),
                extra_lines: e.extra_lines,
                serves_batches: e.serves_batches,
                currency: None,
                cost: None,
                revenue: None,
                pays: None,
            })
            .collect(),
        binding: plan
            .binding
            .iter()
            .filter_map(|b| {
                Some(BindingRow {
                    suite_id: Uuid::parse_str(&b.suite).ok()?,
                    month: b.month.to_string(),
                    shadow_price: b.shadow_price,
                })
            })
            .collect(),
        pools: plan
            .pool_utilization
            .iter()
            .filter_map(|u| {
                Some(PoolMonthRow {
                    pool_id: Uuid::parse_str(&u.pool).ok()?,
                    month: u.month.to_string(),
                    capacity: u.capacity,
                    booked: u.booked,
                    planned: u.planned,
                    shadow_price: plan
                        .pool_binding
                        .iter()
                        .find(|b| b.pool == u.pool && b.month == u.month)
                        .map(|b| b.shadow_price),
                })
            })
            .collect(),
        pool_expansion: plan
            .pool_expansion
            .iter()
            .filter_map(|e| {
                Some(PoolExpansionRow {
                    pool_id: Uuid::parse_str(&e.pool).ok()?,
                    tag: e.tag.clone(),
                    from_month: e.from_month.to_string(),
                    extra: e.extra,
                    serves_batches: e.serves_batches,
                })
            })
            .collect(),
        months: Vec::new(),
        money: None,
    }
}

/// The rows of `plan`, solved from `instance` (whose program ids are store UUIDs).
pub fn rows(instance: &sm::Instance, plan: &Plan) -> Result<PlanRows, String> {
    let mut client_of: HashMap<Uuid, Uuid> = HashMap::new();
    for p in &instance.programs {
        let id = key(p.id.as_deref().unwrap_or(&p.name), "program")?;
        let client = key(p.client.as_deref().unwrap_or_default(), "client")?;
        client_of.insert(id, client);
    }
    let client = |program: Uuid| {
        client_of
            .get(&program)
            .copied()
            .ok_or_else(|| format!("the solver returned an unknown program `{program}`"))
    };
    let mut out = PlanRows::default();
    for s in &plan.suggestions {
        let program_id = key(&s.program, "program")?;
        out.suggestions.push(PlanSuggestion {
            id: Uuid::now_v7(),
            program_id,
            client_id: client(program_id)?,
            suite_id: key(&s.suite, "suite")?,
            line: s.line as i32,
            start: s.start,
            end: s.end,
            month: s.month.to_string(),
            kind: s.kind,
        });
    }
    let mut short_by_program: HashMap<Uuid, HashMap<sm::Month, u32>> = HashMap::new();
    for s in &plan.shortfalls {
        let program_id = key(&s.program, "program")?;
        *short_by_program
            .entry(program_id)
            .or_default()
            .entry(s.month)
            .or_default() += s.shortfall;
        out.shortfalls.push(PlanShortfall {
            program_id,
            client_id: client(program_id)?,
            month: s.month.to_string(),
            phase: s.phase.as_str().into(),
            demand: s.demand as i32,
            booked: s.booked as i32,
            planned: s.planned as i32,
            shortfall: s.shortfall as i32,
            reason: s.reason,
            competition: s
                .competition
                .iter()
                .map(|c| competition(c, &client_of))
                .collect::<Result<_, _>>()?,
        });
    }
    for u in &plan.utilization {
        out.utilization.push(PlanUtilization {
            suite_id: key(&u.suite, "suite")?,
            month: u.month.to_string(),
            open_line_days: u.open_line_days as i32,
            booked_line_days: u.booked_line_days as i32,
            planned_line_days: u.planned_line_days as i32,
        });
    }
    (out.programs, out.months) = program_totals(instance, &short_by_program)?;
    Ok(out)
}

/// A shortfall's competed-for window with store keys.
fn competition(
    c: &sm::explain::Competition,
    client_of: &HashMap<Uuid, Uuid>,
) -> Result<Competition, String> {
    Ok(Competition {
        suite_id: key(&c.suite, "suite")?,
        from: c.from,
        to: c.to,
        open_line_days: c.open_line_days,
        free_line_days: c.free_line_days,
        occupants: c
            .occupants
            .iter()
            .map(|o| {
                let program_id = o
                    .program
                    .as_deref()
                    .map(|p| key(p, "program"))
                    .transpose()?;
                Ok(Occupant {
                    program_id,
                    client_id: program_id.and_then(|p| client_of.get(&p).copied()),
                    phase: o.phase,
                    weight: Some(o.weight),
                    status: o.status,
                    kind: Some(o.kind),
                    batches: o.batches,
                    line_days: o.line_days,
                })
            })
            .collect::<Result<_, String>>()?,
    })
}

/// Demand and served batches per program and per month over the horizon: served = demand −
/// shortfall, weighted by the phase of each month (the same arithmetic as the objective).
fn program_totals(
    instance: &sm::Instance,
    short: &HashMap<Uuid, HashMap<sm::Month, u32>>,
) -> Result<(Vec<PlanProgramTotals>, Vec<PlanMonthRow>), String> {
    let mut months: std::collections::BTreeMap<sm::Month, PlanMonthRow> = Default::default();
    let (first, end) = (sm::Month::of(instance.from), sm::Month::of(instance.to));
    let defaults = instance
        .phase_success
        .or(&PhaseSuccess::published_defaults());
    let mut out = Vec::new();
    for p in &instance.programs {
        let program_id = key(p.id.as_deref().unwrap_or(&p.name), "program")?;
        let client_id = key(p.client.as_deref().unwrap_or_default(), "client")?;
        let success = p.phase_success.unwrap_or_default().or(&defaults);
        let demand = sm::demand::integer_demand(&p.forecast, p.phase, instance.scenario, &success);
        let mut t = PlanProgramTotals {
            program_id,
            client_id,
            demand_batches: 0,
            served_batches: 0,
            demand_weighted: 0.0,
            served_weighted: 0.0,
        };
        for d in demand.iter().filter(|d| d.month >= first && d.month < end) {
            let missing = short
                .get(&program_id)
                .and_then(|m| m.get(&d.month))
                .copied()
                .unwrap_or(0)
                .min(d.batches);
            let w = instance.weights.of(d.phase);
            t.demand_batches += d.batches as i32;
            t.served_batches += (d.batches - missing) as i32;
            t.demand_weighted += w * f64::from(d.batches);
            t.served_weighted += w * f64::from(d.batches - missing);
            let m = months.entry(d.month).or_insert_with(|| PlanMonthRow {
                month: d.month.to_string(),
                demand_batches: 0,
                served_batches: 0,
                demand_weighted: 0.0,
                served_weighted: 0.0,
            });
            m.demand_batches += d.batches as i32;
            m.served_batches += (d.batches - missing) as i32;
            m.demand_weighted += w * f64::from(d.batches);
            m.served_weighted += w * f64::from(d.batches - missing);
        }
        out.push(t);
    }
    Ok((out, months.into_values().collect()))
}
