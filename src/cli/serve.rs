//! `overdue serve` and `overdue migrate`.

use super::{Part, ServeArgs};
use crate::clock::SystemClock;
use crate::config::Config;
use crate::server::{self, Roles};
use crate::state::AppState;
use crate::store::Db;
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
    let db = Db::connect(&config.database_url, config.db_max_connections).await?;
    if !args.no_migrate {
        db.migrate().await?;
    }
    let state = AppState::new(db.clone(), config, Arc::new(SystemClock))?;
    let running = server::start(state, roles).await?;
    if let Some(addr) = running.addr {
        tracing::info!(%addr, "serving");
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
