//! The running service: shared state, and `serve`, which starts the HTTP server and the
//! background jobs and stops them together.

use crate::clock::Clock;
use crate::config::Config;
use crate::jobs;
use crate::store::Db;
use crate::store::intake::{AutoCreateLimit, PingWriter};
use anyhow::Context;
use chrono::{DateTime, Utc};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// What every handler and job shares. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub clock: Arc<dyn Clock>,
    pub wake: Arc<SchedulerWake>,
    /// Wakes this process's delivery workers when it queues notifications.
    pub outbox_wake: Arc<Notify>,
    /// Writes pings in batches (group commit).
    pub pings: PingWriter,
}

impl AppState {
    /// Builds the state and starts the ping writers (so it must run inside the runtime).
    pub fn new(db: Db, config: Config, clock: Arc<dyn Clock>) -> Self {
        // Writers on PostgreSQL, half the pool at most; SQLite always has one.
        let writers = (config.db_max_connections as usize / 2).clamp(1, 8);
        let limit = AutoCreateLimit {
            max_owned_checks: config.check_limit.saturating_mul(2),
        };
        AppState {
            pings: PingWriter::start(db.clone(), writers, limit),
            db,
            config: Arc::new(config),
            clock,
            wake: Arc::new(SchedulerWake::default()),
            outbox_wake: Arc::new(Notify::new()),
        }
    }
}

/// Lets the ping path wake this process's scheduler when a ping sets a deadline earlier
/// than the one the scheduler sleeps towards. Cheap: one atomic load per ping.
#[derive(Debug)]
pub struct SchedulerWake {
    notify: Notify,
    sleeping_until_ms: AtomicI64,
}

impl Default for SchedulerWake {
    fn default() -> Self {
        SchedulerWake {
            notify: Notify::new(),
            sleeping_until_ms: AtomicI64::new(i64::MAX),
        }
    }
}

impl SchedulerWake {
    pub fn deadline_set(&self, deadline: DateTime<Utc>) {
        let ms = deadline.timestamp_millis();
        if ms < self.sleeping_until_ms.fetch_min(ms, Ordering::AcqRel) {
            self.notify.notify_one();
        }
    }

    pub fn sleeping_until(&self, deadline: DateTime<Utc>) {
        self.sleeping_until_ms
            .store(deadline.timestamp_millis(), Ordering::Release);
    }

    pub async fn notified(&self) {
        self.notify.notified().await;
    }
}

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
