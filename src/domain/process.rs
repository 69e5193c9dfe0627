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
