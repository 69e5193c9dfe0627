//! Process facts by phase: a program's batch length, changeover, capabilities, grade, filed
//! suites and resource profile may change from a phase on (a closed automated process from phase
//! 3). Which override applies to a phase is `solver_models::Program::process`'s rule; this module
//! holds the API's form, its validation and the translation both ways.

use super::errors::ValidationErrors;
use super::inputs::{check_range, normalise_tags};
use super::{check_profile, profile_model, Grade, Phase, Program, ResourceNeed};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// What changes from `from_phase` on; a field left out keeps the program's own.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PhaseProcess {
    #[schema(value_type = super::schema::PhaseName)]
    pub from_phase: Phase,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 365)]
    pub batch_days: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 365)]
    pub changeover_days: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<super::schema::Tag>>)]
    pub required_capabilities: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<super::schema::GradeName>)]
    pub min_grade: Option<Grade>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_suite_ids: Option<Vec<Uuid>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_profile: Option<Vec<ResourceNeed>>,
}

/// Checks and normalises a program's phase processes (under `field`).
pub fn check_phase_processes(list: &mut [PhaseProcess], field: &str, e: &mut ValidationErrors) {
    if list.len() > 10 {
        e.push(field, "at most 10 phase processes");
    }
    for (i, p) in list.iter_mut().enumerate() {
        let at = |f: &str| format!("{field}/{i}/{f}");
        if let Some(d) = p.batch_days {
            check_range(d, 1, 365, &at("batch_days"), e);
        }
        if let Some(d) = p.changeover_days {
            check_range(d, 0, 365, &at("changeover_days"), e);
        }
        if let Some(caps) = &mut p.required_capabilities {
            normalise_tags(caps, &at("required_capabilities"), e);
        }
        if let Some(profile) = &mut p.resource_profile {
            check_profile(profile, &at("resource_profile"), e);
        }
    }
}

/// The road to the program's first GMP batch at a site: a tech transfer of `days` on a line
/// there, then `engineering_runs` runs of the process, all finished before the first batch that
/// serves demand at the site. The program's bookings of those kinds at the site count as steps
/// done or booked; the planner schedules the rest (`solver_models::road` holds the rules).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TechTransfer {
    pub site_id: Uuid,
    /// Days the tech transfer occupies a line (0: it needs no suite time).
    #[schema(minimum = 0, maximum = 365)]
    pub days: i64,
    /// Engineering runs after it, each a batch of the process that makes no product.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 20, required = false)]
    pub engineering_runs: i64,
    /// Capabilities the tech transfer's suite needs; the process's when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<super::schema::Tag>>)]
    pub required_capabilities: Option<Vec<String>>,
    /// What the tech transfer takes from the site's pools (day offsets from its start).
    #[serde(default, deserialize_with = "super::objects::objects")]
    #[schema(required = false)]
    pub resource_profile: Vec<ResourceNeed>,
    /// Done already: nothing to schedule and nothing to wait for. Confirmed bookings of the
    /// steps count without it.
    #[serde(default)]
    #[schema(required = false)]
    pub completed: bool,
}

/// Checks and normalises a program's tech transfers (under `field`): one per site.
pub fn check_tech_transfers(list: &mut [TechTransfer], field: &str, e: &mut ValidationErrors) {
    if list.len() > 10 {
        e.push(field, "at most 10 tech transfers");
    }
    let mut sites = std::collections::HashSet::new();
    for (i, t) in list.iter_mut().enumerate() {
        let at = |f: &str| format!("{field}/{i}/{f}");
        if !sites.insert(t.site_id) {
            e.push(at("site_id"), "one tech transfer per site");
        }
        check_range(t.days, 0, 365, &at("days"), e);
        check_range(t.engineering_runs, 0, 20, &at("engineering_runs"), e);
        if let Some(caps) = &mut t.required_capabilities {
            normalise_tags(caps, &at("required_capabilities"), e);
        }
        check_profile(&mut t.resource_profile, &at("resource_profile"), e);
    }
}

/// [`Program::booking_profile`] from a program's parts (for reads that have the profile and the
/// tech transfers but not the whole program): the one home of the rule in the service.
pub fn booking_profile<'a>(
    kind: super::BookingKind,
    resource_profile: &'a [ResourceNeed],
    tech_transfers: &'a [TechTransfer],
    site_id: Uuid,
) -> &'a [ResourceNeed] {
    match kind {
        super::BookingKind::TechTransfer => tech_transfers
            .iter()
            .find(|t| t.site_id == site_id)
            .map_or(&[], |t| t.resource_profile.as_slice()),
        kind if kind.runs_process() => resource_profile,
        _ => &[],
    }
}

/// The planner's form of a program's tech transfers (sites by id, as suites give theirs).
pub fn tech_transfers_model(list: &[TechTransfer]) -> Vec<solver_models::TechTransfer> {
    list.iter()
        .map(|t| solver_models::TechTransfer {
            site: t.site_id.to_string(),
            days: u32::try_from(t.days).unwrap_or(0),
            engineering_runs: u32::try_from(t.engineering_runs).unwrap_or(0),
            required_capabilities: t.required_capabilities.clone(),
            resource_profile: profile_model(&t.resource_profile),
            completed: t.completed,
        })
        .collect()
}

/// The planner's form of a program's phase processes.
pub fn phase_processes_model(list: &[PhaseProcess]) -> Vec<solver_models::PhaseProcess> {
    list.iter()
        .map(|p| solver_models::PhaseProcess {
            from_phase: p.from_phase,
            batch_days: p.batch_days.and_then(|d| u32::try_from(d).ok()),
            changeover_days: p.changeover_days.and_then(|d| u32::try_from(d).ok()),
            required_capabilities: p.required_capabilities.clone(),
            min_grade: p.min_grade,
            allowed_suites: p
                .allowed_suite_ids
                .as_ref()
                .map(|ids| ids.iter().map(Uuid::to_string).collect()),
            resource_profile: p.resource_profile.as_deref().map(profile_model),
        })
        .collect()
}

impl Program {
    /// What a booking of `kind` in a suite of `site_id` takes from the pools: a tech transfer
    /// its road's profile at the site, a kind that runs the process the program's resource
    /// profile (as `self` stands: [`in_phase`](Self::in_phase) applies a phase's), the others
    /// nothing (`solver_models::Program::booking_profile`'s rule).
    pub fn booking_profile(&self, kind: super::BookingKind, site_id: Uuid) -> &[ResourceNeed] {
        booking_profile(kind, &self.resource_profile, &self.tech_transfers, site_id)
    }

    /// The program as its tech transfer at `site_id` needs a suite: the transfer's capabilities
    /// (the process's when it states none) at the process's grade, in any suite of the site (the
    /// transfer is what brings the process to a suite); `None` without a road there. The
    /// planner's rule (`solver_models::road`).
    pub fn for_transfer(&self, site_id: Uuid) -> Option<Program> {
        let road = self.tech_transfers.iter().find(|t| t.site_id == site_id)?;
        let mut p = self.clone();
        if let Some(caps) = &road.required_capabilities {
            p.required_capabilities = caps.clone();
        }
        p.allowed_suite_ids = None;
        Some(p)
    }

    /// The program as it is made in `phase`: its facts with that phase's process applied (the
    /// rule is `solver_models::Program::process`), for the booking path's decisions.
    pub fn in_phase(&self, phase: Phase) -> Program {
        let Some(o) = solver_models::phase_override(&self.phase_processes, phase, |o| o.from_phase)
        else {
            return self.clone();
        };
        let mut p = self.clone();
        if let Some(d) = o.batch_days {
            p.batch_days = i32::try_from(d).unwrap_or(p.batch_days);
        }
        if let Some(d) = o.changeover_days {
            p.changeover_days = i32::try_from(d).unwrap_or(p.changeover_days);
        }
        if let Some(c) = &o.required_capabilities {
            p.required_capabilities = c.clone();
        }
        if let Some(g) = o.min_grade {
            p.min_grade = g;
        }
        if let Some(ids) = &o.allowed_suite_ids {
            p.allowed_suite_ids = Some(ids.clone());
        }
        if let Some(r) = &o.resource_profile {
            p.resource_profile = r.clone();
        }
        p
    }
}
