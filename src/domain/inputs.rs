//! Request bodies and their validation. Serde does the shape (types, unknown fields); `validate`
//! does ranges and cross-field rules, naming each field by its JSON Pointer.

use super::schema;
use super::{check_interval, ForecastEntry, Grade, Phase, PhaseSuccess, Role, ValidationErrors};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use utoipa::ToSchema;
use uuid::Uuid;

pub const MODALITIES: [&str; 4] = ["autologous", "allogeneic", "viral_vector", "other"];
pub const STORAGES: [&str; 2] = ["fresh", "frozen"];
const MAX_NAME: usize = 200;
const MAX_LINES: i64 = 1000;
pub(super) const MAX_DAYS: i64 = 3650;

pub(crate) fn check_name(name: &str, field: &str, errors: &mut ValidationErrors) {
    if name.trim().is_empty() {
        errors.push(field, "must not be empty");
    } else if name.chars().count() > MAX_NAME {
        errors.push(field, format!("must be at most {MAX_NAME} characters"));
    } else {
        check_text(name, field, false, errors);
    }
}

/// Names and notes end up in calendar files, page titles and logs, where a carriage return, a
/// NUL or another control character can end a line, forge one or hide text. Names take none;
/// notes and reasons (`multiline`) may hold tabs and line feeds, nothing else.
pub(crate) fn check_text(text: &str, field: &str, multiline: bool, errors: &mut ValidationErrors) {
    let allowed = |c: char| multiline && (c == '\t' || c == '\n');
    if let Some(c) = text.chars().find(|c| c.is_control() && !allowed(*c)) {
        errors.push(
            field,
            format!(
                "must not contain control characters (found U+{:04X}){}",
                u32::from(c),
                if multiline {
                    "; tabs and line feeds are allowed"
                } else {
                    ""
                }
            ),
        );
    }
}

/// Trimmed, de-duplicated, sorted tags; each must be a short identifier.
pub(crate) fn normalise_tags(tags: &mut Vec<String>, field: &str, errors: &mut ValidationErrors) {
    for (i, t) in tags.iter_mut().enumerate() {
        normalise_tag(t, &format!("{field}/{i}"), errors);
    }
    tags.sort();
    tags.dedup();
}

/// A tag (a capability, a pool's skill) trimmed, and checked: 1–64 of `A-Z a-z 0-9 _ -`.
pub(super) fn normalise_tag(tag: &mut String, field: &str, errors: &mut ValidationErrors) {
    *tag = tag.trim().to_string();
    let ok = !tag.is_empty()
        && tag.len() <= 64
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !ok {
        errors.push(field, "must be 1–64 characters of a-z, 0-9, _ or -");
    }
}

pub(super) fn check_range(
    value: i64,
    min: i64,
    max: i64,
    field: &str,
    errors: &mut ValidationErrors,
) {
    if value < min {
        errors.push(field, format!("must be at least {min}"));
    } else if value > max {
        errors.push(field, format!("must be at most {max}"));
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSite {
    #[schema(value_type = schema::Name)]
    pub name: String,
    /// IANA time zone, e.g. `Europe/Amsterdam`.
    #[schema(value_type = schema::TimeZone)]
    pub timezone: String,
}

impl NewSite {
    pub fn validate(mut self) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        self.name = self.name.trim().to_string();
        check_name(&self.name, "/name", &mut e);
        if self.timezone.parse::<chrono_tz::Tz>().is_err() {
            e.push(
                "/timezone",
                "must be an IANA time zone such as Europe/Amsterdam",
            );
        }
        e.into_result(self)
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSuite {
    pub site_id: Uuid,
    #[schema(value_type = schema::Name)]
    pub name: String,
    #[schema(value_type = schema::GradeName)]
    pub grade: Grade,
    #[serde(default)]
    #[schema(value_type = Vec<schema::Tag>)]
    pub capabilities: Vec<String>,
    #[schema(minimum = 1, maximum = 1000)]
    pub lines: i64,
    #[serde(deserialize_with = "super::dates::date")]
    #[schema(value_type = schema::Day)]
    pub available_from: NaiveDate,
    /// After `available_from`; null: no end.
    #[serde(default, deserialize_with = "super::dates::opt_date")]
    #[schema(value_type = Option<schema::Day>)]
    pub available_to: Option<NaiveDate>,
    /// Who may occupy the suite's lines on the same day; default `any`.
    #[serde(default)]
    #[schema(value_type = super::SegregationName)]
    pub segregation: super::Segregation,
}

impl NewSuite {
    pub fn validate(mut self) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        self.name = self.name.trim().to_string();
        check_name(&self.name, "/name", &mut e);
        normalise_tags(&mut self.capabilities, "/capabilities", &mut e);
        check_range(self.lines, 1, MAX_LINES, "/lines", &mut e);
        if let Some(to) = self.available_to {
            if to <= self.available_from {
                e.push("/available_to", "must be after available_from");
            }
        }
        e.into_result(self)
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClosure {
    #[serde(deserialize_with = "super::dates::date")]
    #[schema(value_type = schema::Day)]
    pub start: NaiveDate,
    /// After `start`, at most 10 years later.
    #[serde(deserialize_with = "super::dates::date")]
    #[schema(value_type = schema::Day)]
    pub end: NaiveDate,
    #[schema(value_type = schema::Reason)]
    pub reason: String,
    /// Lines closed (1-based, at most the suite's `lines`); null closes every line.
    #[serde(default)]
    #[schema(value_type = Option<Vec<schema::LineNumber>>, min_items = 1)]
    pub lines: Option<Vec<i64>>,
    /// Keep the closure even when held/confirmed bookings fall under it (they are flagged
    /// `at_risk` and listed in a `closure.conflict` event).
    #[serde(default)]
    pub force: bool,
}

impl NewClosure {
    /// `suite_lines` is the number of lines of the suite being closed.
    pub fn validate(mut self, suite_lines: i32) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        check_interval(self.start, self.end, "/end", &mut e);
        if (self.end - self.start).num_days() > MAX_DAYS {
            e.push("/end", "a closure may last at most 10 years");
        }
        self.reason = self.reason.trim().to_string();
        if self.reason.chars().count() > 500 {
            e.push("/reason", "must be at most 500 characters");
        }
        check_text(&self.reason, "/reason", true, &mut e);
        if let Some(lines) = &mut self.lines {
            if lines.is_empty() {
                e.push(
                    "/lines",
                    "must name at least one line, or be null for all lines",
                );
            }
            for (i, l) in lines.iter().enumerate() {
                if *l < 1 || *l > i64::from(suite_lines) {
                    e.push(
                        format!("/lines/{i}"),
                        format!("the suite has lines 1..={suite_lines}"),
                    );
                }
            }
            lines.sort();
            lines.dedup();
        }
        e.into_result(self)
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClient {
    #[schema(value_type = schema::Name)]
    pub name: String,
}

impl NewClient {
    pub fn validate(mut self) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        self.name = self.name.trim().to_string();
        check_name(&self.name, "/name", &mut e);
        e.into_result(self)
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiKey {
    #[schema(value_type = schema::Name)]
    pub name: String,
    pub role: Role,
    /// Required for (and only for) `client` keys.
    #[serde(default)]
    pub client_id: Option<Uuid>,
}

impl NewApiKey {
    pub fn validate(mut self) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        self.name = self.name.trim().to_string();
        check_name(&self.name, "/name", &mut e);
        match (self.role, self.client_id) {
            (Role::Client, None) => e.push("/client_id", "a client key must be bound to a client"),
            (Role::Admin | Role::Planner, Some(_)) => {
                e.push("/client_id", "only client keys are bound to a client")
            }
            _ => {}
        }
        e.into_result(self)
    }
}

/// Probabilities must lie in [0, 1] with at most 4 decimals (demand is computed exactly).
pub fn check_phase_success(ps: &PhaseSuccess, field: &str, errors: &mut ValidationErrors) {
    for (key, value) in [
        ("preclinical", ps.preclinical),
        ("phase1", ps.phase1),
        ("phase2", ps.phase2),
        ("phase3", ps.phase3),
    ] {
        if let Some(p) = value {
            if !(0.0..=1.0).contains(&p) {
                errors.push(format!("{field}/{key}"), "must be a probability in [0, 1]");
            } else if ((p * 10_000.0).round() - p * 10_000.0).abs() > 1e-6 {
                errors.push(format!("{field}/{key}"), "must have at most 4 decimals");
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProgram {
    /// A client key may omit it (its own client is used).
    #[serde(default)]
    pub client_id: Option<Uuid>,
    #[schema(value_type = schema::Name)]
    pub name: String,
    #[schema(value_type = schema::Modality)]
    pub modality: String,
    #[schema(value_type = schema::Storage)]
    pub storage: String,
    pub atmp: bool,
    #[schema(value_type = schema::PhaseName)]
    pub phase: Phase,
    #[serde(default)]
    #[schema(value_type = Vec<schema::Tag>)]
    pub required_capabilities: Vec<String>,
    #[schema(value_type = schema::GradeName)]
    pub min_grade: Grade,
    #[schema(minimum = 1, maximum = 365)]
    pub batch_days: i64,
    #[schema(minimum = 0, maximum = 365)]
    pub changeover_days: i64,
    #[serde(default, deserialize_with = "super::dates::opt_date")]
    #[schema(value_type = Option<schema::Day>)]
    pub earliest_start: Option<NaiveDate>,
    #[serde(default, deserialize_with = "super::objects::opt_object")]
    #[schema(value_type = Option<schema::PhaseSuccessInput>)]
    pub phase_success: Option<PhaseSuccess>,
    #[serde(default)]
    #[schema(minimum = -1000, maximum = 1000)]
    pub priority: i64,
    #[serde(default)]
    pub allowed_suite_ids: Option<Vec<Uuid>>,
    /// What one batch takes from the pools of its suite's site; none when left out.
    #[serde(default, deserialize_with = "super::objects::objects")]
    pub resource_profile: Vec<super::ResourceNeed>,
    /// Process facts that change from a phase on (planners only).
    #[serde(default, deserialize_with = "super::objects::objects")]
    pub phase_processes: Vec<super::PhaseProcess>,
    /// The road to the first GMP batch per site (planners only).
    #[serde(default, deserialize_with = "super::objects::objects")]
    pub tech_transfers: Vec<super::TechTransfer>,
}

impl NewProgram {
    pub fn validate(mut self) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        self.name = self.name.trim().to_string();
        check_name(&self.name, "/name", &mut e);
        if !MODALITIES.contains(&self.modality.as_str()) {
            e.push(
                "/modality",
                format!("must be one of {}", MODALITIES.join(", ")),
            );
        }
        if !STORAGES.contains(&self.storage.as_str()) {
            e.push(
                "/storage",
                format!("must be one of {}", STORAGES.join(", ")),
            );
        }
        normalise_tags(
            &mut self.required_capabilities,
            "/required_capabilities",
            &mut e,
        );
        check_range(self.batch_days, 1, 365, "/batch_days", &mut e);
        check_range(self.changeover_days, 0, 365, "/changeover_days", &mut e);
        check_range(self.priority, -1000, 1000, "/priority", &mut e);
        if let Some(ps) = &self.phase_success {
            check_phase_success(ps, "/phase_success", &mut e);
        }
        if let Some(ids) = &mut self.allowed_suite_ids {
            let mut seen = HashSet::new();
            ids.retain(|id| seen.insert(*id));
        }
        super::check_profile(&mut self.resource_profile, "/resource_profile", &mut e);
        super::check_phase_processes(&mut self.phase_processes, "/phase_processes", &mut e);
        super::check_tech_transfers(&mut self.tech_transfers, "/tech_transfers", &mut e);
        e.into_result(self)
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForecastInput {
    /// One entry per month.
    #[serde(deserialize_with = "super::objects::objects")]
    #[schema(max_items = 600)]
    pub entries: Vec<ForecastEntry>,
}

impl ForecastInput {
    pub fn validate(mut self) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let mut seen = HashSet::new();
        for (i, entry) in self.entries.iter().enumerate() {
            if !seen.insert(entry.month) {
                e.push(
                    format!("/entries/{i}/month"),
                    "month repeated: one entry per month",
                );
            }
            check_range(
                entry.batches,
                0,
                100_000,
                &format!("/entries/{i}/batches"),
                &mut e,
            );
        }
        if self.entries.len() > 600 {
            e.push("/entries", "at most 600 months (50 years)");
        }
        self.entries.sort_by_key(|x| x.month);
        e.into_result(self)
    }
}
