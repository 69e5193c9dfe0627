//! What-if sandboxes: a named list of changes over the live data (a hypothetical suite, a suite
//! closed or retired from a month, a program's forecast shifted or scaled, phase-success
//! probabilities changed, a hypothetical program). A sandbox is only ever applied to a copy of
//! the plan's snapshot ([`apply`]): it creates no booking, event or alert, and the live data never
//! sees it. Planned like any plan (`POST /v1/plans` with `sandbox_id`), compared with another
//! plan by [`super::compare`].

use super::{
    ForecastEntry, Month, NewProgram, NewSuite, PhaseSuccess, PlanSnapshot, Program, Suite,
    ValidationErrors,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// At most this many changes in one sandbox.
pub const MAX_CHANGES: usize = 200;

/// One change of a sandbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum SandboxChange {
    /// A hypothetical suite, qualified from `suite.available_from`. Its `id` is given when the
    /// sandbox is saved and stays (plans and comparisons name it).
    AddSuite {
        #[serde(default)]
        id: Option<Uuid>,
        suite: NewSuite,
    },
    /// A live suite closed on all lines over `[from, to)`, or retired from `from` when `to` is
    /// null. Its bookings starting in that time are released (their demand is planned again).
    CloseSuite {
        suite_id: Uuid,
        #[serde(deserialize_with = "super::dates::date")]
        #[schema(value_type = super::schema::FirstOfMonth)]
        from: NaiveDate,
        #[serde(default, deserialize_with = "super::dates::opt_date")]
        #[schema(value_type = Option<super::schema::FirstOfMonth>)]
        to: Option<NaiveDate>,
    },
    /// A program's forecast moved by `months` (−120..=120; negative = earlier).
    ShiftForecast { program_id: Uuid, months: i32 },
    /// A program's forecast times `factor` (0..=10), rounded to whole batches per month.
    ScaleForecast { program_id: Uuid, factor: f64 },
    /// Phase-success probabilities for one program, or for every program when `program_id` is
    /// null (the probabilities given replace the program's; the others stay).
    PhaseSuccess {
        #[serde(default)]
        program_id: Option<Uuid>,
        #[schema(value_type = super::schema::PhaseSuccessInput)]
        phase_success: PhaseSuccess,
    },
    /// A hypothetical program (of an existing client, or of none) with its forecast. Its `id` is
    /// given when the sandbox is saved.
    AddProgram {
        #[serde(default)]
        id: Option<Uuid>,
        program: Box<NewProgram>,
        #[serde(default)]
        forecast: Vec<ForecastEntry>,
    },
}

/// `POST /v1/sandboxes`, `PUT /v1/sandboxes/{id}`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SandboxInput {
    #[schema(value_type = super::schema::Name)]
    pub name: String,
    #[serde(default)]
    #[schema(value_type = Option<super::schema::Note>)]
    pub description: Option<String>,
    #[serde(default)]
    #[schema(max_items = 200)]
    pub changes: Vec<SandboxChange>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Sandbox {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub changes: Vec<SandboxChange>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Re-roots `errors` (pointers of a nested value) under `prefix`.
fn nested(errors: ValidationErrors, prefix: &str, into: &mut ValidationErrors) {
    for f in errors.0 {
        into.push(format!("{prefix}{}", f.field), f.message);
    }
}

fn first_of_month(d: NaiveDate, field: &str, e: &mut ValidationErrors) {
    if Month::of(d).first_day() != d {
        e.push(field, "must be the first day of a month");
    }
}

impl SandboxInput {
    /// Shape and range checks (references to live suites, programs, sites and clients are the
    /// store's to check); gives added suites and programs their ids.
    pub fn validate(mut self) -> Result<SandboxInput, ValidationErrors> {
        let mut e = ValidationErrors::new();
        self.name = self.name.trim().to_string();
        super::inputs::check_name(&self.name, "/name", &mut e);
        if let Some(d) = &self.description {
            if d.chars().count() > 2000 {
                e.push("/description", "must be at most 2000 characters");
            }
            super::inputs::check_text(d, "/description", true, &mut e);
        }
        if self.changes.len() > MAX_CHANGES {
            e.push("/changes", format!("at most {MAX_CHANGES} changes"));
        }
        for (i, change) in self.changes.iter_mut().enumerate() {
            let at = format!("/changes/{i}");
            match change {
                SandboxChange::AddSuite { id, suite } => {
                    id.get_or_insert_with(Uuid::now_v7);
                    match suite.clone().validate() {
                        Ok(s) => *suite = s,
                        Err(errors) => nested(errors, &format!("{at}/suite"), &mut e),
                    }
                }
                SandboxChange::CloseSuite { from, to, .. } => {
                    first_of_month(*from, &format!("{at}/from"), &mut e);
                    if let Some(t) = to {
                        first_of_month(*t, &format!("{at}/to"), &mut e);
                        if *t <= *from {
                            e.push(format!("{at}/to"), "must be after from");
                        }
                    }
                }
                SandboxChange::ShiftForecast { months, .. } => {
                    if !(-120..=120).contains(months) || *months == 0 {
                        e.push(
                            format!("{at}/months"),
                            "must be between -120 and 120, and not 0",
                        );
                    }
                }
                SandboxChange::ScaleForecast { factor, .. } => {
                    if !(factor.is_finite() && (0.0..=10.0).contains(factor)) {
                        e.push(format!("{at}/factor"), "must be between 0 and 10");
                    }
                }
                SandboxChange::PhaseSuccess { phase_success, .. } => {
                    super::inputs::check_phase_success(
                        phase_success,
                        &format!("{at}/phase_success"),
                        &mut e,
                    );
                }
                SandboxChange::AddProgram {
                    id,
                    program,
                    forecast,
                } => {
                    id.get_or_insert_with(Uuid::now_v7);
                    match (**program).clone().validate() {
                        Ok(p) => **program = p,
                        Err(errors) => nested(errors, &format!("{at}/program"), &mut e),
                    }
                    let input = super::ForecastInput {
                        entries: std::mem::take(forecast),
                    };
                    match input.validate() {
                        Ok(f) => *forecast = f.entries,
                        Err(errors) => {
                            let errors = ValidationErrors(
                                errors
                                    .0
                                    .into_iter()
                                    .map(|f| super::FieldError {
                                        field: f.field.replacen("/entries", "", 1),
                                        message: f.message,
                                    })
                                    .collect(),
                            );
                            nested(errors, &format!("{at}/forecast"), &mut e)
                        }
                    }
                }
            }
        }
        e.into_result(self)
    }
}

fn shift(m: Month, by: i32) -> Month {
    (0..by.unsigned_abs()).fold(m, |m, _| if by > 0 { m.next() } else { m.prev() })
}

/// The sandbox's changes applied to a copy of the live snapshot, in order. Returns the ids of
/// the hypothetical programs (a plan that names its programs plans these too).
pub fn apply(snapshot: &mut PlanSnapshot, changes: &[SandboxChange]) -> Vec<Uuid> {
    let mut added_programs = Vec::new();
    let now = Utc::now();
    for change in changes {
        match change {
            SandboxChange::AddSuite { id, suite } => snapshot.suites.push(Suite {
                id: id.unwrap_or_else(Uuid::now_v7),
                site_id: suite.site_id,
                name: suite.name.clone(),
                grade: suite.grade,
                capabilities: suite.capabilities.clone(),
                lines: i32::try_from(suite.lines).unwrap_or(1),
                available_from: suite.available_from,
                available_to: suite.available_to,
                segregation: suite.segregation,
            }),
            SandboxChange::CloseSuite { suite_id, from, to } => {
                match to {
                    Some(to) => snapshot.closures.push(super::Closure {
                        id: Uuid::now_v7(),
                        suite_id: *suite_id,
                        start: *from,
                        end: *to,
                        reason: Some("closed in a sandbox".into()),
                        lines: None,
                    }),
                    None => {
                        for s in snapshot.suites.iter_mut().filter(|s| s.id == *suite_id) {
                            s.available_to = Some(s.available_to.map_or(*from, |t| t.min(*from)));
                        }
                    }
                }
                let end = to.unwrap_or(NaiveDate::MAX);
                snapshot
                    .bookings
                    .retain(|b| !(b.suite_id == *suite_id && b.start >= *from && b.start < end));
            }
            SandboxChange::ShiftForecast { program_id, months } => {
                for (id, entries) in snapshot.forecasts.iter_mut() {
                    if id == program_id {
                        for entry in entries.iter_mut() {
                            entry.month = shift(entry.month, *months);
                        }
                    }
                }
            }
            SandboxChange::ScaleForecast { program_id, factor } => {
                for (id, entries) in snapshot.forecasts.iter_mut() {
                    if id == program_id {
                        for entry in entries.iter_mut() {
                            entry.batches = (entry.batches as f64 * factor).round() as i64;
                        }
                    }
                }
            }
            SandboxChange::PhaseSuccess {
                program_id,
                phase_success,
            } => {
                for p in snapshot
                    .programs
                    .iter_mut()
                    .filter(|p| program_id.is_none_or(|id| id == p.id))
                {
                    let mut ps = p.phase_success.unwrap_or_default();
                    ps.preclinical = phase_success.preclinical.or(ps.preclinical);
                    ps.phase1 = phase_success.phase1.or(ps.phase1);
                    ps.phase2 = phase_success.phase2.or(ps.phase2);
                    ps.phase3 = phase_success.phase3.or(ps.phase3);
                    p.phase_success = Some(ps);
                }
            }
            SandboxChange::AddProgram {
                id,
                program,
                forecast,
            } => {
                let id = id.unwrap_or_else(Uuid::now_v7);
                snapshot.programs.push(Program {
                    id,
                    client_id: program.client_id.unwrap_or(Uuid::nil()),
                    name: program.name.clone(),
                    modality: program.modality.clone(),
                    storage: program.storage.clone(),
                    atmp: program.atmp,
                    phase: program.phase,
                    required_capabilities: program.required_capabilities.clone(),
                    min_grade: program.min_grade,
                    batch_days: i32::try_from(program.batch_days).unwrap_or(1),
                    changeover_days: i32::try_from(program.changeover_days).unwrap_or(0),
                    earliest_start: program.earliest_start,
                    phase_success: program.phase_success,
                    priority: i32::try_from(program.priority).unwrap_or(0),
                    allowed_suite_ids: program.allowed_suite_ids.clone(),
                    resource_profile: program.resource_profile.clone(),
                    phase_processes: program.phase_processes.clone(),
                    tech_transfers: program.tech_transfers.clone(),
                    created_at: now,
                    updated_at: now,
                });
                snapshot.forecasts.push((id, forecast.clone()));
                added_programs.push(id);
            }
        }
    }
    added_programs
}

/// Line-months the changes add (hypothetical suites) and take away (closures, retirements)
/// within `[from, to)`, counting a month when any of its days is open (added) or closed
/// (taken), for each line. `lines_of` gives a live suite's lines.
pub fn line_months(
    changes: &[SandboxChange],
    from: NaiveDate,
    to: NaiveDate,
    lines_of: &dyn Fn(Uuid) -> i64,
) -> (i64, i64) {
    let months = |a: NaiveDate, b: NaiveDate| -> i64 {
        let (a, b) = (a.max(from), b.min(to));
        if b <= a {
            return 0;
        }
        Month::of(a)
            .until(Month::of(b - chrono::Duration::days(1)).next())
            .count() as i64
    };
    let (mut added, mut removed) = (0, 0);
    for c in changes {
        match c {
            SandboxChange::AddSuite { suite, .. } => {
                added += suite.lines
                    * months(
                        suite.available_from,
                        suite.available_to.unwrap_or(NaiveDate::MAX),
                    )
            }
            SandboxChange::CloseSuite {
                suite_id,
                from: f,
                to: t,
            } => removed += lines_of(*suite_id) * months(*f, t.unwrap_or(NaiveDate::MAX)),
            _ => {}
        }
    }
    (added, removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot() -> PlanSnapshot {
        PlanSnapshot {
            suites: vec![],
            closures: vec![],
            programs: vec![],
            forecasts: vec![(
                Uuid::nil(),
                vec![ForecastEntry {
                    month: Month::new(2027, 1).unwrap(),
                    phase: super::super::Phase::Phase1,
                    batches: 3,
                }],
            )],
            bookings: vec![],
            pools: vec![],
            dedications: vec![],
        }
    }

    #[test]
    fn forecasts_shift_and_scale() {
        let mut s = snapshot();
        apply(
            &mut s,
            &[
                SandboxChange::ShiftForecast {
                    program_id: Uuid::nil(),
                    months: -2,
                },
                SandboxChange::ScaleForecast {
                    program_id: Uuid::nil(),
                    factor: 1.5,
                },
            ],
        );
        let e = &s.forecasts[0].1[0];
        assert_eq!((e.month, e.batches), (Month::new(2026, 11).unwrap(), 5));
    }

    #[test]
    fn line_months_count_what_is_added_and_taken_within_the_horizon() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let suite: NewSuite = serde_json::from_value(serde_json::json!({
            "site_id": Uuid::nil(), "name": "X", "grade": "B", "capabilities": [], "lines": 2,
            "available_from": "2027-03-01", "available_to": null
        }))
        .unwrap();
        let changes = [
            SandboxChange::AddSuite { id: None, suite },
            SandboxChange::CloseSuite {
                suite_id: Uuid::nil(),
                from: d("2027-05-01"),
                to: Some(d("2027-07-01")),
            },
        ];
        // 2027-01 .. 2027-12: the new suite's 2 lines for 10 months; 3 lines closed 2 months.
        let (added, removed) = line_months(&changes, d("2027-01-01"), d("2028-01-01"), &|_| 3);
        assert_eq!((added, removed), (20, 6));
    }
}
