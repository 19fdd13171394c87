//! What every handler and job shares, built once at start.

use crate::clock::Clock;
use crate::config::Config;
use crate::domain::keys;
use crate::jobs::scheduler;
use crate::notify::Senders;
use crate::store::intake::{AutoCreateLimit, PingWriter};
use crate::store::{Db, StoreError, instance};
use std::sync::Arc;
use tera::Tera;
use tokio::sync::{Notify, OnceCell};

/// The most checks `?create=1` creates in one project per minute: enough for a fleet
/// rolled out at once, too few to flood the project's channels with new checks.
pub const AUTO_CREATE_PER_MINUTE: i64 = 100;

/// Cheap to clone: every field is a handle.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub clock: Arc<dyn Clock>,
    /// The embedded templates, parsed once.
    pub templates: Arc<Tera>,
    /// The HTTP client, mailer and settings every notification is sent with.
    pub senders: Senders,
    /// Wakes this process's scheduler when a ping sets an earlier deadline.
    pub scheduler_wake: Arc<scheduler::Wake>,
    /// Wakes this process's delivery workers when it queues notifications.
    pub outbox_wake: Arc<Notify>,
    /// Writes pings in batches (group commit).
    pub pings: PingWriter,
    /// The server secret, once read (see [`AppState::secret_key`]).
    secret: Arc<OnceCell<String>>,
}

impl AppState {
    /// Builds the state and starts the ping writers (so it must run inside the runtime).
    /// Fails, before anything is served, on templates that do not parse and on settings
    /// that can never work (a malformed sender address or SMTP URL).
    pub fn new(db: Db, config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        // Writers on PostgreSQL, half the pool at most; SQLite always has one.
        let writers = (config.db_max_connections as usize / 2).clamp(1, 8);
        let limit = AutoCreateLimit {
            max_owned_checks: config.check_limit,
            per_minute: AUTO_CREATE_PER_MINUTE,
        };
        let config = Arc::new(config);
        let templates = Arc::new(crate::templates::load()?);
        Ok(AppState {
            senders: Senders::new(config.clone(), db.clone(), templates.clone())?,
            pings: PingWriter::start(
                db.clone(),
                writers,
                limit,
                std::time::Duration::from_secs(config.db_timeout),
            ),
            templates,
            db,
            config,
            clock,
            scheduler_wake: Arc::new(scheduler::Wake::default()),
            outbox_wake: Arc::new(Notify::new()),
            secret: Arc::new(OnceCell::new()),
        })
    }

    /// The secret that signs badge URLs: `OVERDUE_SECRET_KEY`, or else one generated at
    /// the first start and kept in the database, so every process and restart agrees.
    pub async fn secret_key(&self) -> Result<&str, StoreError> {
        self.secret
            .get_or_try_init(|| async {
                if self.config.secret_key.is_empty() {
                    instance::secret_key(&self.db, &keys::new_secret_key()).await
                } else {
                    Ok(self.config.secret_key.clone())
                }
            })
            .await
            .map(String::as_str)
    }

    /// The same state with other settings, and senders built for them (a job run with
    /// other limits, as tests do).
    pub fn with_config(&self, config: Config) -> anyhow::Result<Self> {
        let config = Arc::new(config);
        Ok(AppState {
            senders: Senders::new(config.clone(), self.db.clone(), self.templates.clone())?,
            config,
            ..self.clone()
        })
    }

    /// The same state on another pool of the same database, as a second process would
    /// have (the ping writers stay this state's).
    pub fn with_db(&self, db: Db) -> anyhow::Result<Self> {
        Ok(AppState {
            senders: Senders::new(self.config.clone(), db.clone(), self.templates.clone())?,
            db,
            ..self.clone()
        })
    }
}
