//! Running the service: `start` binds the listener and starts the HTTP server and the
//! background jobs, and `Running` stops them together.
//!
//! The HTTP server bounds what a client can hold: a connection that sends no complete
//! request headers within `OVERDUE_HEADER_TIMEOUT` (a new one, or an idle keep-alive one)
//! is closed; a body that does not arrive within `OVERDUE_BODY_TIMEOUT` ends its request;
//! at most `OVERDUE_MAX_CONNECTIONS` connections are served at once (the rest wait in the
//! listen queue, so descriptors are never exhausted); and a stop waits at most
//! `OVERDUE_SHUTDOWN_TIMEOUT` for requests in flight before closing their connections.

use crate::jobs;
use crate::state::AppState;
use anyhow::Context;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

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
        let listener = TcpListener::bind(state.config.listen)
            .await
            .with_context(|| {
                format!("cannot listen on {} (OVERDUE_LISTEN)", state.config.listen)
            })?;
        addr = Some(listener.local_addr()?);
        tasks.spawn(serve(listener, state.clone(), cancel.clone()));
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

/// Accepts connections until `stop`, serving each on a task of its own, then lets the
/// requests in flight finish for up to the shutdown timeout.
async fn serve(listener: TcpListener, state: AppState, stop: CancellationToken) {
    let config = state.config.clone();
    let router = crate::http::router(state);
    let slots = Arc::new(Semaphore::new(config.max_connections));
    let graceful = GracefulShutdown::new();
    let mut connections = tokio::task::JoinSet::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(config.header_timeout))
        .keep_alive(true);
    let mut warned_full = false;
    loop {
        // A slot first: beyond the cap, connections wait in the kernel's listen queue
        // rather than each taking a descriptor here.
        let slot = match slots.clone().try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                if !warned_full {
                    tracing::warn!(
                        limit = config.max_connections,
                        "connection limit reached (OVERDUE_MAX_CONNECTIONS); new connections wait until one closes"
                    );
                    warned_full = true;
                }
                tokio::select! {
                    _ = stop.cancelled() => break,
                    slot = slots.clone().acquire_owned() => match slot {
                        Ok(slot) => slot,
                        Err(_) => break,
                    },
                }
            }
        };
        if slots.available_permits() > config.max_connections / 2 {
            warned_full = false;
        }
        let (stream, peer) = tokio::select! {
            _ = stop.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of descriptors, say: wait a little rather than spin.
                    tracing::error!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let router = router.clone();
        let service = TowerToHyperService::new(tower::service_fn(
            move |mut request: hyper::Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                router.clone().oneshot(request)
            },
        ));
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        connections.spawn(async move {
            // Errors here are the client's (a reset, a timeout); nothing to report.
            let _ = connection.await;
            drop(slot);
        });
        // Reap finished connections so the set does not grow.
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    let deadline = Duration::from_secs(config.shutdown_timeout);
    if tokio::time::timeout(deadline, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            open = connections.len(),
            "requests still in flight after {} s (OVERDUE_SHUTDOWN_TIMEOUT); closing their connections",
            config.shutdown_timeout
        );
    }
    connections.shutdown().await;
}
