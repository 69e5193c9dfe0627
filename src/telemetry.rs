//! Tracing: pretty logs for people, JSON for log shippers. `RUST_LOG` overrides the filter.

use crate::config::LogSettings;
use tracing_subscriber::{fmt, EnvFilter};

pub fn init(settings: &LogSettings) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&settings.filter));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    // try_init: a second call (tests) keeps the first subscriber.
    let _ = if settings.format == "json" {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
}
