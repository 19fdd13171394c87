//! Running the service: `start` binds the listener and starts the HTTP server and the
//! background jobs, and `Running` stops them together.

use crate::jobs;
use crate::state::AppState;
use anyhow::Context;
use std::net::SocketAddr;
use tokio_util::sync::CancellationToken;

/// Which halves of the service this process runs (for scale-out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Roles {
    pub http: bool,
    pub jobs: bool,
}

/// A service that is up: its address, and the handle that stops it.
pub struct Running {
    pub addr: Option<SocketAddr>,
    pub cancel: CancellationToken,
    tasks: tokio::task::JoinSet<()>,
}

impl Running {
    /// Stops the server and the jobs, and waits for them to finish.
    pub async fn shutdown(mut self) {
        self.cancel.cancel();
        while self.tasks.join_next().await.is_some() {}
    }

    /// Waits until the service stops (after `cancel` is triggered).
    pub async fn wait(mut self) {
        while self.tasks.join_next().await.is_some() {}
    }
}

/// Binds the listener and starts the HTTP server and background jobs as `roles` says.
pub async fn start(state: AppState, roles: Roles) -> anyhow::Result<Running> {
    let cancel = CancellationToken::new();
    let mut tasks = tokio::task::JoinSet::new();
    let mut addr = None;
    if roles.http {
        let listener = tokio::net::TcpListener::bind(state.config.listen)
            .await
            .with_context(|| {
                format!("cannot listen on {} (OVERDUE_LISTEN)", state.config.listen)
            })?;
        addr = Some(listener.local_addr()?);
        let router = crate::http::router(state.clone());
        let stop = cancel.clone();
        tasks.spawn(async move {
            let service = router.into_make_service_with_connect_info::<SocketAddr>();
            let result = axum::serve(listener, service)
                .with_graceful_shutdown(async move { stop.cancelled().await })
                .await;
            if let Err(e) = result {
                tracing::error!(error = %e, "HTTP server stopped");
            }
        });
    }
    if roles.jobs {
        tasks.spawn(jobs::scheduler::Scheduler::new(&state).run(cancel.clone()));
        tasks.spawn(jobs::pruner::run(state.clone(), cancel.clone()));
        tasks.spawn(jobs::notifier::Notifier::new(&state)?.run(cancel.clone()));
    }
    Ok(Running {
        addr,
        cancel,
        tasks,
    })
}
