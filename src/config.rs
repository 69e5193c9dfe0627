//! Typed settings: `config/default.toml` (embedded) → `--config FILE` → `SUITEPLAN__SECTION__KEY`.

use serde::Deserialize;
use solver_models::{PhaseSuccess, PhaseWeights};
use std::path::Path;

const DEFAULTS: &str = include_str!("../config/default.toml");

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub bookings: BookingSettings,
    pub quotes: QuoteSettings,
    pub expansion: ExpansionCosts,
    pub planning: PlanningSettings,
    pub phase_success: PhaseSuccess,
    pub alerts: AlertSettings,
    pub webhooks: WebhookSettings,
    pub log: LogSettings,
    pub metrics: MetricsSettings,
    pub ratelimit: RateLimitSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    pub bind: String,
    /// The service's address as the outside world reaches it (`https://plan.example.com`):
    /// feed URLs are built from it. Empty: from the request's `Host` (fine on 127.0.0.1 only).
    pub public_url: String,
    pub request_timeout_s: u64,
    pub max_body_bytes: usize,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    pub url: String,
    pub max_connections: u32,
    pub busy_timeout_ms: u64,
    pub write_retries: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    pub bootstrap_admin_key: String,
    pub session_ttl_hours: i64,
    pub secure_cookies: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct BookingSettings {
    pub hold_ttl_days: i64,
    pub client_hold_max_span_days: i64,
    pub client_hold_quota_line_days: i64,
    pub hold_warning_days: i64,
    pub sweep_interval_s: u64,
}

impl BookingSettings {
    /// The booking rules as of now: these settings and the clock.
    pub fn rules(&self) -> crate::domain::BookingRules {
        let now = crate::store::now();
        crate::domain::BookingRules {
            hold_ttl_days: self.hold_ttl_days,
            client_hold_max_span_days: self.client_hold_max_span_days,
            client_hold_quota_line_days: self.client_hold_quota_line_days,
            today: now.date_naive(),
            now,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct QuoteSettings {
    /// How long a quote can be accepted as holds after it was made.
    pub valid_hours: i64,
}

/// What added capacity costs, by capability class: expansion advice is priced with it.
#[derive(Debug, Clone, Deserialize)]
pub struct ExpansionCosts {
    pub currency: String,
    #[serde(default)]
    pub classes: Vec<ExpansionClass>,
}

/// A capability class's costs: it prices advice for lines offering all of `capabilities` (the
/// class naming the most of them applies; an empty list is the default).
#[derive(Debug, Clone, Deserialize)]
pub struct ExpansionClass {
    #[serde(default)]
    pub capabilities: Vec<String>,
    /// Running one more line for a month (staff, gowning, environmental monitoring, lease).
    #[serde(deserialize_with = "crate::domain::money")]
    pub line_cost_per_month: rust_decimal::Decimal,
    /// Building and qualifying one more line, once.
    #[serde(deserialize_with = "crate::domain::money")]
    pub setup_cost: rust_decimal::Decimal,
}

impl ExpansionCosts {
    /// The class that prices lines offering `capabilities`.
    pub fn class_of(&self, capabilities: &[String]) -> Option<&ExpansionClass> {
        self.classes
            .iter()
            .filter(|c| c.capabilities.iter().all(|x| capabilities.contains(x)))
            .max_by_key(|c| c.capabilities.len())
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct PlanningSettings {
    pub horizon_months: u32,
    pub time_limit_s: f64,
    pub mip_rel_gap: f64,
    pub expansion_lead_months: u32,
    pub auto_replan: bool,
    pub replan_debounce_s: u64,
    /// How long a worker's claim on a plan lasts without renewal (see [`PlanningSettings::lease`]).
    pub lease_s: u64,
    pub weights: PhaseWeights,
}

impl PlanningSettings {
    /// A plan's lease: a replica that stops renewing it (killed, hung) loses the plan to
    /// another worker after this long.
    pub fn lease(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.lease_s)
    }

    /// How often a solving worker renews its lease: a third of it, at most every 2 s, so that
    /// two renewals can be late before the lease runs out.
    pub fn heartbeat(&self) -> std::time::Duration {
        (self.lease() / 3).min(std::time::Duration::from_secs(2))
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct AlertSettings {
    pub utilization_threshold: f64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WebhookSettings {
    pub allow_private_targets: bool,
    pub max_subscriptions_per_client: usize,
    pub timeout_s: u64,
    pub retry_schedule: String,
    /// A claimed delivery stays reserved for `timeout_s` + this, to send and record it.
    pub lease_margin_s: u64,
}

impl WebhookSettings {
    /// How long a dispatcher's claim on a delivery lasts: the send's timeout plus the margin
    /// for recording the outcome. A dispatcher that dies mid-send leaves the delivery to be
    /// sent again once this has passed.
    pub fn lease(&self) -> chrono::Duration {
        let secs = self.timeout_s.max(1).saturating_add(self.lease_margin_s);
        // Clamped to a year: chrono refuses durations near i64::MAX milliseconds.
        chrono::Duration::seconds(i64::try_from(secs.min(365 * 86_400)).unwrap_or(0))
    }

    /// Attempts a delivery gets: the first and one per retry delay.
    pub fn max_attempts(&self) -> Result<i32, String> {
        Ok(i32::try_from(self.retry_delays()?.len())
            .unwrap_or(i32::MAX - 1)
            .saturating_add(1))
    }

    /// Seconds between attempts.
    pub fn retry_delays(&self) -> Result<Vec<u64>, String> {
        self.retry_schedule
            .split(',')
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<u64>().map_err(|_| {
                    format!("webhooks.retry_schedule: `{s}` is not a number of seconds")
                })
            })
            .collect()
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct RateLimitSettings {
    /// Requests per second one API key (or page session) may make, sustained.
    pub per_key_per_second: u32,
    /// How many it may make at once above that.
    pub per_key_burst: u32,
    /// Failed authentications (unknown keys, wrong logins) per minute from one address.
    pub failed_auth_per_minute: u32,
    /// How many in a row before the first 429.
    pub failed_auth_burst: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MetricsSettings {
    /// When set, `/metrics` answers only `Authorization: Bearer <this>`; empty leaves it open.
    pub bearer_token: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    pub format: String,
    pub filter: String,
}

impl Settings {
    /// Loads the embedded defaults, then `file` if given, then the environment.
    pub fn load(file: Option<&Path>) -> Result<Settings, config::ConfigError> {
        let mut builder = config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml));
        if let Some(path) = file {
            builder = builder.add_source(config::File::from(path).required(true));
        }
        let settings: Settings = builder
            .add_source(
                config::Environment::with_prefix("SUITEPLAN")
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true),
            )
            .build()?
            .try_deserialize()?;
        settings.validate().map_err(config::ConfigError::Message)?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), String> {
        let key = &self.auth.bootstrap_admin_key;
        if !key.is_empty() && key.len() < 32 {
            return Err("auth.bootstrap_admin_key must be at least 32 characters".into());
        }
        for (name, p) in [
            ("preclinical", self.phase_success.preclinical),
            ("phase1", self.phase_success.phase1),
            ("phase2", self.phase_success.phase2),
            ("phase3", self.phase_success.phase3),
        ] {
            match p {
                Some(p) if (0.0..=1.0).contains(&p) => {}
                _ => {
                    return Err(format!(
                        "phase_success.{name} must be a probability in [0, 1]"
                    ))
                }
            }
        }
        self.webhooks.retry_delays()?;
        if self.webhooks.lease_margin_s < 1 {
            return Err("webhooks.lease_margin_s must be at least 1".into());
        }
        if !(3..=86_400).contains(&self.planning.lease_s) {
            return Err(
                "planning.lease_s must be from 3 (it is renewed every third) to 86400".into(),
            );
        }
        if !(1..=24 * 366).contains(&self.quotes.valid_hours) {
            return Err("quotes.valid_hours must be from 1 to 8784 (a year)".into());
        }
        if self.bookings.hold_ttl_days < 1 {
            return Err("bookings.hold_ttl_days must be at least 1".into());
        }
        Ok(())
    }
}
