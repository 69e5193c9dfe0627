//! `suiteplan plan --instance FILE [--json] [--time-limit SECONDS]`: solves an instance file
//! offline (no database, no server) with the service's planning settings.

use crate::config::Settings;
use solver_models::plan::{solve, Plan, PlanOptions};
use solver_models::Instance;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a valid instance: {source}")]
    Parse {
        path: String,
        source: serde_json::Error,
    },
    #[error("the instance is invalid: {0}")]
    Invalid(#[from] solver_models::plan::PlanError),
    #[error("--time-limit must be a positive number of seconds")]
    TimeLimit,
}

/// Reads and solves the instance, reporting progress to stderr; returns what to print.
pub fn run(
    path: &Path,
    json: bool,
    time_limit_s: Option<f64>,
    settings: &Settings,
) -> Result<String, CliError> {
    let text = std::fs::read_to_string(path).map_err(|source| CliError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let instance: Instance = serde_json::from_str(&text).map_err(|source| CliError::Parse {
        path: path.display().to_string(),
        source,
    })?;
    let time_limit_s = time_limit_s.unwrap_or(settings.planning.time_limit_s);
    if !(time_limit_s.is_finite() && time_limit_s > 0.0) {
        return Err(CliError::TimeLimit);
    }
    let opts = PlanOptions {
        time_limit_s,
        mip_rel_gap: settings.planning.mip_rel_gap,
        today: chrono::Utc::now().date_naive(),
        expansion_lead_months: settings.planning.expansion_lead_months,
        expansion: true,
        threads: None,
        hint: Vec::new(),
    };
    // Progress on stderr: the report, and the incumbent, bound and gap as they stand.
    let (started, mut seen) = (
        std::time::Instant::now(),
        crate::domain::PlanProgress::default(),
    );
    let plan = solve(&instance, &opts, &mut |p| {
        seen.report(
            started.elapsed().as_secs_f64(),
            p.stage,
            &p.message,
            p.incumbent,
            p.bound,
        );
        let figures = match (seen.incumbent, seen.bound, seen.gap) {
            (Some(i), Some(b), Some(g)) => {
                format!(" [incumbent {i:.1}, bound {b:.1}, gap {:.2}%]", g * 100.0)
            }
            _ => String::new(),
        };
        eprintln!(
            "[{:>7.2}s {}] {}{figures}",
            seen.seconds, p.stage, p.message
        )
    })?;
    Ok(if json {
        serde_json::to_string_pretty(&plan).unwrap_or_default()
    } else {
        summary(&instance, &plan)
    })
}

/// The human summary: objective, quality, shortfalls by month, expansion advice.
pub fn summary(instance: &Instance, plan: &Plan) -> String {
    let mut out = String::new();
    let name = instance.name.as_deref().unwrap_or("instance");
    let _ = writeln!(
        out,
        "{name}: {} .. {} ({} scenario)",
        instance.from,
        instance.to,
        instance.scenario.as_str()
    );
    let _ = writeln!(
        out,
        "served   {:.1} of {:.1} weighted ({} of {} batches)",
        plan.served_weighted, plan.demand_weighted, plan.served_batches, plan.demand_batches
    );
    let _ = writeln!(
        out,
        "bound    {:.1} (gap {:.2}%), greedy baseline {:.1}",
        plan.bound_weighted,
        plan.gap * 100.0,
        plan.greedy_served_weighted
    );
    let _ = writeln!(
        out,
        "solver   {} in {:.2}s, {} suggestions",
        plan.status.as_str(),
        plan.seconds,
        plan.suggestions.len()
    );
    if plan.shortfalls.is_empty() {
        let _ = writeln!(out, "no shortfalls");
    } else {
        let mut by_month: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for s in &plan.shortfalls {
            by_month
                .entry(s.month.to_string())
                .or_default()
                .push(format!(
                    "{} −{} ({})",
                    program_name(instance, &s.program),
                    s.shortfall,
                    s.reason.as_str()
                ));
        }
        let _ = writeln!(out, "shortfalls:");
        for (month, rows) in by_month {
            let _ = writeln!(out, "  {month}  {}", rows.join(", "));
        }
    }
    if !plan.expansion.is_empty() {
        let _ = writeln!(out, "expansion advice:");
        for e in &plan.expansion {
            let _ = writeln!(
                out,
                "  +{} line(s) [{}] grade {}{} from {}: serves {} more batch(es)",
                e.extra_lines,
                e.capabilities.join(", "),
                e.min_grade.as_str(),
                e.site
                    .as_deref()
                    .map(|s| format!(" at {s}"))
                    .unwrap_or_default(),
                e.from_month,
                e.serves_batches
            );
        }
    }
    out
}

fn program_name<'a>(instance: &'a Instance, key: &'a str) -> &'a str {
    instance
        .programs
        .iter()
        .find(|p| p.id.as_deref() == Some(key) || p.name == key)
        .map(|p| p.name.as_str())
        .unwrap_or(key)
}
