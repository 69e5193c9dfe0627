//! Building and running the service: store, bootstrap key, listener, background tasks.

use crate::app::{self, AppState};
use crate::config::Settings;
use crate::domain::{hash_key, key_prefix};
use crate::store::{self, DynStore};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

pub struct Application {
    listener: TcpListener,
    state: AppState,
    webhook_client: reqwest::Client,
}

impl Application {
    /// Opens the store (running migrations), makes sure the bootstrap admin key exists and binds
    /// the listener, so that `port()` is known before `run_until_stopped`.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let store = store::connect(&settings.database).await?;
        ensure_bootstrap_key(&store, &settings).await?;
        // Built here, so that a delivery client without its protections never runs.
        let webhook_client = crate::webhooks::dispatcher::client(&settings)
            .map_err(|e| anyhow::anyhow!("the webhook delivery client cannot be built: {e}"))?;
        let listener = TcpListener::bind(&settings.server.bind).await?;
        Ok(Application {
            listener,
            state: AppState::new(store, Arc::new(settings)),
            webhook_client,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    pub fn port(&self) -> u16 {
        self.local_addr().port()
    }

    pub fn store(&self) -> DynStore {
        self.state.store.clone()
    }

    pub fn settings(&self) -> &crate::config::Settings {
        &self.state.settings
    }

    /// Serves until `shutdown` resolves.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let addr = self.local_addr();
        let planner = tokio::spawn(crate::planning::worker::run(
            self.state.store.clone(),
            self.state.settings.clone(),
        ));
        let replanner = tokio::spawn(crate::planning::replan::run(
            self.state.store.clone(),
            self.state.settings.clone(),
        ));
        let sweeper = tokio::spawn(sweep_holds(
            self.state.store.clone(),
            self.state.settings.clone(),
        ));
        let dispatcher = tokio::spawn(crate::webhooks::dispatcher::run(
            self.state.store.clone(),
            self.state.settings.clone(),
            self.webhook_client,
        ));
        let app = app::router(self.state);
        tracing::info!("listening on http://{addr}");
        axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await?;
        // An interrupted plan is claimed again once its lease expires.
        planner.abort();
        sweeper.abort();
        replanner.abort();
        dispatcher.abort();
        Ok(())
    }
}

/// Marks holds past their expiry as expired and warns of holds about to expire. Reads and writes
/// already treat a due hold as expired; the sweep makes it visible to webhooks and the database.
async fn sweep_holds(store: DynStore, settings: Arc<Settings>) {
    let every = std::time::Duration::from_secs(settings.bookings.sweep_interval_s.max(1));
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match store.sweep_holds(settings.bookings.hold_warning_days).await {
            Ok((0, 0)) => {}
            Ok((expired, warned)) => tracing::info!(expired, warned, "swept holds"),
            // Busy or unreachable: the next tick tries again.
            Err(e) => tracing::warn!(error = %e, "hold sweep failed"),
        }
    }
}

async fn ensure_bootstrap_key(store: &DynStore, settings: &Settings) -> anyhow::Result<()> {
    let key = settings.auth.bootstrap_admin_key.trim();
    if !key.is_empty() {
        store
            .ensure_admin_key(&hash_key(key), &key_prefix(key))
            .await?;
        if store.authenticate(&hash_key(key)).await?.is_none() {
            tracing::warn!(
                "auth.bootstrap_admin_key was revoked and stays revoked; set a new value to get \
                 an admin key"
            );
        }
    }
    Ok(())
}
