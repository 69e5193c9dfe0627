//! The `suiteplan` command: parses the CLI, loads settings, starts tracing, calls the library.

use anyhow::Context;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use suiteplan::config::Settings;
use suiteplan::domain::{generate_api_key, hash_key, key_prefix, Actor, NewApiKey, Role};

#[derive(Parser)]
#[command(
    name = "suiteplan",
    version,
    about = "Capacity and slot-booking scheduler for cell and gene therapy CDMOs"
)]
struct Cli {
    /// Settings file layered over config/default.toml (env SUITEPLAN__… still wins).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// sqlite://PATH (default sqlite://suiteplan.db) or postgres://…
    #[arg(long, global = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service (migrates first).
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:0 for a free port.
        #[arg(long)]
        bind: Option<String>,
        /// Seed a demo CDMO and print an admin, a planner and a client key.
        #[arg(long)]
        demo: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Solve an instance file offline (no database) and print a summary or the plan as JSON.
    Plan {
        /// Instance JSON (the format of solver_models/instances/*.json).
        #[arg(long)]
        instance: PathBuf,
        /// Print the whole plan as JSON instead of a summary.
        #[arg(long)]
        json: bool,
        /// Seconds the solver may take (default: planning.time_limit_s).
        #[arg(long)]
        time_limit: Option<f64>,
    },
    /// Manage API keys.
    ApiKey {
        #[command(subcommand)]
        command: ApiKeyCommand,
    },
}

#[derive(Subcommand)]
enum ApiKeyCommand {
    /// Create a key and print it (it is shown only once).
    Create {
        #[arg(long)]
        role: String,
        #[arg(long)]
        client_id: Option<uuid::Uuid>,
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let mut settings = Settings::load(cli.config.as_deref()).context("loading settings")?;
    if let Some(url) = cli.database_url {
        settings.database.url = url;
    }
    suiteplan::telemetry::init(&settings.log);
    match cli.command {
        Command::Serve { bind, demo } => {
            if let Some(bind) = bind {
                settings.server.bind = bind;
            }
            let app = suiteplan::startup::Application::build(settings).await?;
            if demo {
                let keys = suiteplan::demo::seed(&app.store(), &app.settings().bookings)
                    .await
                    .context("seeding demo data")?;
                let base = format!("http://{}", app.local_addr());
                println!("demo data ready; keys (shown once):");
                println!("  admin   {}", keys.admin);
                println!("  planner {}", keys.planner);
                println!("  client  {}   ({})", keys.client, keys.client_name);
                println!("pages: {base}/login   api: {base}/v1/…   spec: {base}/openapi.json");
            }
            app.run_until(shutdown_signal()).await
        }
        Command::Plan {
            instance,
            json,
            time_limit,
        } => {
            let out = suiteplan::planning::cli::run(&instance, json, time_limit, &settings)?;
            println!("{out}");
            Ok(())
        }
        Command::Migrate => {
            suiteplan::store::connect(&settings.database).await?;
            eprintln!("migrations applied to {}", redact(&settings.database.url));
            Ok(())
        }
        Command::ApiKey {
            command:
                ApiKeyCommand::Create {
                    role,
                    client_id,
                    name,
                },
        } => {
            let role = Role::parse(&role).context("--role must be admin, planner or client")?;
            let store = suiteplan::store::connect(&settings.database).await?;
            let input = NewApiKey {
                name,
                role,
                client_id,
            }
            .validate()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            let key = generate_api_key();
            store
                .create_api_key(&Actor::system(), &input, &hash_key(&key), &key_prefix(&key))
                .await?;
            println!("{key}");
            Ok(())
        }
    }
}

/// The URL without its password, for logs.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://…@{}", &url[..s], &url[at + 1..]),
        _ => url.to_string(),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}
