//! Persistence. [`Db`] holds either pool; the `on_pool!` and `on_tx!` macros run one query
//! text on whichever backend is live, so each query is written once. Callers never see
//! which backend they talk to, nor sqlx's types.

use anyhow::Context;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};
use std::str::FromStr;
use std::time::Duration;

pub mod badges;
pub mod channels;
pub mod check_edits;
pub mod checks;
mod columns;
pub mod deadlines;
mod error;
pub mod flips;
pub mod intake;
pub mod outbox;
pub mod pings;
pub mod projects;
pub mod pruning;
mod records;
pub mod ts;
pub mod users;

pub use error::StoreError;
pub use ts::Ts;

/// Runs `$body` with `$pool` bound to the live pool. The body is compiled once per
/// backend, so it must be the same text for both.
macro_rules! on_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match &$db.0 {
            $crate::store::Pool::Sqlite($pool) => $crate::store::lift($body),
            $crate::store::Pool::Postgres($pool) => $crate::store::lift($body),
        }
    };
}

/// Runs `$body` with `$conn` bound to the transaction's connection.
macro_rules! on_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match &mut $tx.0 {
            $crate::store::TxConn::Sqlite(t) => {
                let $conn = &mut **t;
                $crate::store::lift($body)
            }
            $crate::store::TxConn::Postgres(t) => {
                let $conn = &mut **t;
                $crate::store::lift($body)
            }
        }
    };
}

pub(crate) use {on_pool, on_tx};

/// Turns a driver result into the store's (what `on_pool!` and `on_tx!` return).
pub(crate) fn lift<T>(result: Result<T, impl Into<StoreError>>) -> Result<T, StoreError> {
    result.map_err(Into::into)
}

/// The database: a pool of whichever backend the URL named. Only the store sees which.
#[derive(Clone, Debug)]
pub struct Db(Pool);

#[derive(Clone, Debug)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A write transaction, begun with [`Db::begin_write`].
pub struct Tx(TxConn);

enum TxConn {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Db {
    /// Connects to the database the URL names: `sqlite://…` or `postgres://…`.
    pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Db> {
        match backend_of(url)? {
            Backend::Sqlite => {
                let options = SqliteConnectOptions::from_str(url)
                    .with_context(|| format!("DATABASE_URL {url:?} is not a valid SQLite URL"))?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    // A commit is on disk before it returns, so a ping answered 2xx
                    // survives a power cut, as on PostgreSQL. Group commit makes it one
                    // sync per batch of pings.
                    .synchronous(SqliteSynchronous::Full)
                    .busy_timeout(Duration::from_secs(10))
                    // Without a limit the WAL file keeps its high-water size (hundreds of
                    // MB after a burst) although the database stays small.
                    .pragma("journal_size_limit", "67108864")
                    .pragma("wal_autocheckpoint", intake::wal::AUTOCHECKPOINT_PAGES)
                    .foreign_keys(true);
                let pool = SqlitePoolOptions::new()
                    .max_connections(max_connections.max(1))
                    .connect_with(options)
                    .await
                    .with_context(|| format!("opening SQLite database {url}"))?;
                Ok(Db(Pool::Sqlite(pool)))
            }
            Backend::Postgres => {
                let options = PgConnectOptions::from_str(url).with_context(|| {
                    format!("DATABASE_URL {url:?} is not a valid PostgreSQL URL")
                })?;
                Self::connect_postgres(options, max_connections).await
            }
        }
    }

    async fn connect_postgres(
        options: PgConnectOptions,
        max_connections: u32,
    ) -> anyhow::Result<Db> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .context("connecting to PostgreSQL")?;
        Ok(Db(Pool::Postgres(pool)))
    }

    pub fn backend(&self) -> Backend {
        match &self.0 {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies pending migrations from `migrations/<backend>/`, embedded at build time.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match &self.0 {
            Pool::Sqlite(pool) => sqlx::migrate!("./migrations/sqlite").run(pool).await,
            Pool::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await,
        }
        .context("applying database migrations")
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once
    /// (`begin immediate`), so a transaction that reads then writes never fails midway
    /// with a lock upgrade error.
    pub async fn begin_write(&self) -> Result<Tx, StoreError> {
        Ok(match &self.0 {
            Pool::Sqlite(pool) => Tx(TxConn::Sqlite(pool.begin_with("begin immediate").await?)),
            Pool::Postgres(pool) => Tx(TxConn::Postgres(pool.begin().await?)),
        })
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        on_pool!(self, p => sqlx::query("select 1").execute(p).await.map(|_| ()))
    }

    pub async fn close(&self) {
        match &self.0 {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }
}

impl Tx {
    pub fn backend(&self) -> Backend {
        match &self.0 {
            TxConn::Sqlite(_) => Backend::Sqlite,
            TxConn::Postgres(_) => Backend::Postgres,
        }
    }

    pub async fn commit(self) -> Result<(), StoreError> {
        match self.0 {
            TxConn::Sqlite(t) => t.commit().await,
            TxConn::Postgres(t) => t.commit().await,
        }
        .map_err(StoreError::from)
    }
}

pub fn backend_of(url: &str) -> anyhow::Result<Backend> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else {
        anyhow::bail!(
            "DATABASE_URL must start with sqlite:// or postgres:// (got {:?})",
            url.split(':').next().unwrap_or_default()
        )
    }
}
