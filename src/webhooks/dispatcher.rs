//! The dispatcher: every tick it fans new outbox events out into deliveries, claims the due
//! ones with a lease and POSTs them. Any number of replicas may run it (claims skip rows another
//! one holds); a delivery whose worker died is claimed again once its lease runs out.

use super::signer;
use crate::config::Settings;
use crate::domain::{AttemptOutcome, DueDelivery};
use crate::store::DynStore;
use prometheus::{IntCounterVec, Opts};
use standardwebhooks::{HEADER_WEBHOOK_ID, HEADER_WEBHOOK_SIGNATURE, HEADER_WEBHOOK_TIMESTAMP};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

/// How often the outbox and the due deliveries are polled.
const TICK: Duration = Duration::from_millis(250);
/// Events younger than this are fanned out but the cursor does not pass them yet: a
/// transaction that took an earlier event id may commit after a later one.
const SETTLE: chrono::Duration = chrono::Duration::seconds(10);
const FAN_OUT_BATCH: u32 = 500;
const CLAIM_BATCH: u32 = 32;

/// The delivery body: `{"type", "timestamp", "data"}`.
pub fn body(d: &DueDelivery) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "type": d.event_type,
        "timestamp": d.event_created_at,
        "data": d.data,
    }))
    .unwrap_or_default()
}

/// The delivery client: no redirects, no proxy from the environment (a proxy would connect for
/// us, past the address checks), and — unless private targets are allowed — a resolver that
/// returns public addresses only. Start-up fails when it cannot be built: there is no falling
/// back to a client without those protections.
pub fn client(settings: &Settings) -> Result<reqwest::Client, reqwest::Error> {
    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(settings.webhooks.timeout_s.max(1)))
        .user_agent("suiteplan-webhooks");
    if !settings.webhooks.allow_private_targets {
        builder = builder.dns_resolver(Arc::new(PublicOnly));
    }
    builder.build()
}

/// Resolves host names to their public addresses only, so that a name pointing at a loopback
/// or private address (set after the URL was accepted, or all along) is never connected to.
/// IP literals never reach a resolver; `check_target` refuses private ones at subscription.
pub struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| !super::is_private(a.ip()))
                .collect();
            if addrs.is_empty() {
                return Err(format!("{host} resolves to no public address").into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

/// Delivery attempts this process made, by outcome (`delivered`, `failed`, `gone`).
///
/// Process-wide, like the replanner's checks: a process runs one dispatcher, and the sum over
/// replicas is what receivers saw.
pub static ATTEMPTS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    let attempts = IntCounterVec::new(
        Opts::new(
            "suiteplan_webhook_attempts_total",
            "Webhook delivery attempts made by this process, by outcome",
        ),
        &["outcome"],
    )
    .expect("valid metric");
    for outcome in ["delivered", "failed", "gone"] {
        attempts.with_label_values(&[outcome]);
    }
    attempts
});

pub async fn run(store: DynStore, settings: Arc<Settings>, http: reqwest::Client) {
    // Validated at startup; an unreadable schedule here means no retries rather than a panic.
    let delays = settings.webhooks.retry_delays().unwrap_or_default();
    let max_attempts = settings.webhooks.max_attempts().unwrap_or(1);
    let lease = settings.webhooks.lease();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = store
            .fan_out_events(crate::store::now() - SETTLE, FAN_OUT_BATCH)
            .await
        {
            tracing::warn!(error = %e, "webhook fan-out failed");
        }
        let due = match store
            .claim_deliveries(crate::store::now() + lease, CLAIM_BATCH, max_attempts)
            .await
        {
            Ok(due) => due,
            Err(e) => {
                tracing::warn!(error = %e, "claiming webhook deliveries failed");
                continue;
            }
        };
        if due.is_empty() {
            continue;
        }
        // Each delivery goes out on its own task: a receiver that hangs until the timeout holds
        // up only its own deliveries (they stay leased meanwhile), never the next tick's claims
        // for everyone else.
        for d in due {
            let http = http.clone();
            let store = store.clone();
            let delays = delays.clone();
            tokio::spawn(async move {
                let outcome = attempt(&http, &d).await;
                ATTEMPTS.with_label_values(&[outcome.label()]).inc();
                // Busy or unreachable: the lease runs out and the delivery is tried again.
                if let Err(e) = store.record_delivery_attempt(d.id, outcome, &delays).await {
                    tracing::warn!(error = %e, delivery = %d.id, "recording a webhook attempt failed");
                }
            });
        }
    }
}

/// One POST of a delivery.
pub async fn attempt(http: &reqwest::Client, d: &DueDelivery) -> AttemptOutcome {
    let body = body(d);
    let id = d.event_id.to_string();
    let timestamp = chrono::Utc::now().timestamp();
    let signature = signer::signature_header(&d.secrets, &id, timestamp, &body);
    let sent = http
        .post(&d.url)
        .header("content-type", "application/json")
        .header(HEADER_WEBHOOK_ID, &id)
        .header(HEADER_WEBHOOK_TIMESTAMP, timestamp.to_string())
        .header(HEADER_WEBHOOK_SIGNATURE, signature)
        .body(body)
        .send()
        .await;
    match sent {
        Ok(r) if r.status().is_success() => AttemptOutcome::Delivered(r.status().as_u16()),
        Ok(r) if r.status().as_u16() == 410 => AttemptOutcome::Gone,
        Ok(r) => AttemptOutcome::Failed(Some(r.status().as_u16())),
        Err(e) => {
            tracing::info!(error = %e, webhook = %d.webhook_id, "webhook receiver did not answer");
            AttemptOutcome::Failed(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::dns::Resolve;
    use std::str::FromStr;

    #[tokio::test]
    async fn private_names_do_not_resolve() {
        let name = reqwest::dns::Name::from_str("localhost").unwrap();
        assert!(PublicOnly.resolve(name).await.is_err());
    }
}
