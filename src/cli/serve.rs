//! `overdue serve` and `overdue migrate`.

use super::{Part, ServeArgs, startup};
use crate::clock::SystemClock;
use crate::config::Config;
use crate::server::{self, Roles};
use crate::state::AppState;
use crate::store::{Db, users};
use std::sync::Arc;

pub async fn run(config: Config, args: ServeArgs) -> anyhow::Result<()> {
    let roles = Roles {
        http: args.http == Part::All,
        jobs: args.jobs == Part::All,
    };
    anyhow::ensure!(
        roles.http || roles.jobs,
        "--http none with --jobs none leaves nothing to run"
    );
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "overdue starting");
    let cwd = std::env::current_dir().unwrap_or_default();
    let database = startup::describe_database(&config.database_url, &cwd);
    let db = Db::connect(&config.database_url, config.db_max_connections).await?;
    let migrations = if args.no_migrate {
        "not applied (--no-migrate)"
    } else {
        db.migrate().await?;
        "up to date"
    };
    tracing::info!(%database, migrations, "database");
    tracing::info!(email = %startup::describe_email(&config), "notifications");
    let state = AppState::new(db.clone(), config, Arc::new(SystemClock))?;
    let running = server::start(state.clone(), roles).await?;
    if let Some(addr) = running.addr {
        tracing::info!(%addr, site_root = %state.config.site_root, "serving");
    }
    match users::count(&db).await {
        Ok(0) => tracing::info!("{}", startup::FIRST_STEP),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "could not count users"),
    }
    let cancel = running.cancel.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down");
        cancel.cancel();
    });
    running.wait().await;
    db.close().await;
    Ok(())
}

pub async fn migrate(config: Config) -> anyhow::Result<()> {
    let db = Db::connect(&config.database_url, 1).await?;
    db.migrate().await?;
    db.close().await;
    eprintln!("migrations applied");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        else {
            let _ = ctrl_c.await;
            return;
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
