//! A store snapshot → the solver's instance. Suites and programs are keyed by their UUIDs (as
//! strings) so that every row of the plan maps back to the store; suites carry their site id so
//! that expansion advice is per site.

use crate::config::Settings;
use crate::domain::{PlanRecord, PlanSnapshot};
use solver_models as sm;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// The instance for `plan`: every suite with its closures, the selected programs with their
/// latest forecast, and every live booking (those of unselected programs only block lines).
pub fn build(
    plan: &PlanRecord,
    snapshot: &PlanSnapshot,
    settings: &Settings,
) -> Result<sm::Instance, String> {
    let scenario = plan.scenario;
    let selected: HashSet<Uuid> = match &plan.program_ids {
        Some(ids) => ids.iter().copied().collect(),
        None => snapshot.programs.iter().map(|p| p.id).collect(),
    };
    let mut closures: HashMap<Uuid, Vec<sm::Closure>> = HashMap::new();
    for c in &snapshot.closures {
        closures.entry(c.suite_id).or_default().push(sm::Closure {
            start: c.start,
            end: c.end,
            lines: c
                .lines
                .as_ref()
                .map(|ls| ls.iter().filter_map(|l| u32::try_from(*l).ok()).collect()),
        });
    }
    let mut lines_of: HashMap<Uuid, u32> = HashMap::new();
    let suites: Vec<sm::Suite> = snapshot
        .suites
        .iter()
        .filter(|s| s.lines >= 1)
        .map(|s| {
            let lines = u32::try_from(s.lines).unwrap_or(1);
            lines_of.insert(s.id, lines);
            sm::Suite {
                id: Some(s.id.to_string()),
                name: s.name.clone(),
                site: Some(s.site_id.to_string()),
                grade: s.grade,
                capabilities: s.capabilities.clone(),
                lines,
                available_from: s.available_from,
                available_to: s.available_to,
                closures: closures.remove(&s.id).unwrap_or_default(),
                segregation: s.segregation,
                dedications: snapshot
                    .dedications
                    .iter()
                    // A line removed since it was dedicated no longer exists to keep.
                    .filter(|d| d.suite_id == s.id && (1..=s.lines).contains(&d.line))
                    .map(|d| sm::Dedication {
                        line: u32::try_from(d.line).unwrap_or(0),
                        // Programs name their client by its UUID (below).
                        client: d.client_id.to_string(),
                        start: d.start,
                        end: d.end,
                    })
                    .collect(),
            }
        })
        .collect();
    let forecasts: HashMap<Uuid, &Vec<crate::domain::ForecastEntry>> =
        snapshot.forecasts.iter().map(|(id, f)| (*id, f)).collect();
    let programs: Vec<sm::Program> = snapshot
        .programs
        .iter()
        .filter(|p| selected.contains(&p.id))
        .map(|p| sm::Program {
            id: Some(p.id.to_string()),
            name: p.name.clone(),
            client: Some(p.client_id.to_string()),
            phase: p.phase,
            required_capabilities: p.required_capabilities.clone(),
            min_grade: p.min_grade,
            batch_days: u32::try_from(p.batch_days).unwrap_or(1).max(1),
            changeover_days: u32::try_from(p.changeover_days).unwrap_or(0),
            earliest_start: p.earliest_start,
            priority: p.priority,
            allowed_suites: p
                .allowed_suite_ids
                .as_ref()
                .map(|ids| ids.iter().map(Uuid::to_string).collect()),
            phase_success: p.phase_success,
            resource_profile: crate::domain::profile_model(&p.resource_profile),
            phase_processes: crate::domain::phase_processes_model(&p.phase_processes),
            tech_transfers: crate::domain::tech_transfers_model(&p.tech_transfers),
            forecast: forecasts
                .get(&p.id)
                .map(|entries| {
                    entries
                        .iter()
                        .map(|e| sm::ForecastEntry {
                            month: e.month,
                            phase: e.phase,
                            batches: u32::try_from(e.batches).unwrap_or(0),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect();
    let by_id: HashMap<Uuid, &crate::domain::Program> =
        snapshot.programs.iter().map(|p| (p.id, p)).collect();
    let site_of: HashMap<Uuid, Uuid> = snapshot.suites.iter().map(|s| (s.id, s.site_id)).collect();
    let bookings = snapshot
        .bookings
        .iter()
        // A booking on a line the suite no longer has (forced shrink, flagged at risk) cannot
        // block anything real.
        .filter(|b| {
            lines_of
                .get(&b.suite_id)
                .is_some_and(|n| b.line >= 1 && (b.line as u32) <= *n)
        })
        .map(|b| sm::Booking {
            suite: b.suite_id.to_string(),
            line: b.line as u32,
            start: b.start,
            end: b.end,
            status: if b.confirmed {
                sm::BookingStatus::Confirmed
            } else {
                sm::BookingStatus::Held
            },
            program: selected
                .contains(&b.program_id)
                .then(|| b.program_id.to_string()),
            kind: b.kind,
            // A booking of a program outside the plan still takes from the pools what its kind
            // takes (the plan's own programs' bookings: the planner applies the same rule).
            resource_profile: if selected.contains(&b.program_id) {
                None
            } else {
                by_id
                    .get(&b.program_id)
                    .zip(site_of.get(&b.suite_id))
                    .map(|(p, site)| crate::domain::profile_model(p.booking_profile(b.kind, *site)))
                    .filter(|profile| !profile.is_empty())
            },
        })
        .collect();
    Ok(sm::Instance {
        name: Some(format!("plan {}", plan.id)),
        from: plan.from,
        to: plan.to,
        scenario,
        weights: settings.planning.weights,
        phase_success: settings.phase_success,
        suites,
        pools: snapshot
            .pools
            .iter()
            .map(crate::domain::Pool::model)
            .collect(),
        programs,
        bookings,
        expected: None,
    })
}
