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
pub mod instance;
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

/// Runs `$body` with `$pool` bound to the live pool, bounded by the database timeout.
/// The body is compiled once per backend, so it must be the same text for both.
macro_rules! on_pool {
    ($db:expr, $pool:ident => $body:expr) => {{
        let db: &$crate::store::Db = &$db;
        match &db.0 {
            $crate::store::Pool::Sqlite($pool) => {
                $crate::store::bounded(db.1, async { $crate::store::lift($body) }).await
            }
            $crate::store::Pool::Postgres($pool) => {
                $crate::store::bounded(db.1, async { $crate::store::lift($body) }).await
            }
        }
    }};
}

/// Runs `$body` with `$conn` bound to the transaction's connection, bounded by the
/// database timeout.
macro_rules! on_tx {
    ($tx:expr, $conn:ident => $body:expr) => {{
        let limit = $tx.1;
        match &mut $tx.0 {
            $crate::store::TxConn::Sqlite(t) => {
                $crate::store::bounded(limit, async {
                    let $conn = &mut **t;
                    $crate::store::lift($body)
                })
                .await
            }
            $crate::store::TxConn::Postgres(t) => {
                $crate::store::bounded(limit, async {
                    let $conn = &mut **t;
                    $crate::store::lift($body)
                })
                .await
            }
        }
    }};
}

pub(crate) use {on_pool, on_tx};

/// Turns a driver result into the store's (what `on_pool!` and `on_tx!` return).
pub(crate) fn lift<T>(result: Result<T, impl Into<StoreError>>) -> Result<T, StoreError> {
    result.map_err(Into::into)
}

/// `step`, or an "unavailable" error once `timeout` has passed without an answer: a
/// database that stopped answering becomes a quick 503, never a hang.
pub(crate) async fn bounded<T>(
    timeout: Duration,
    step: impl Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    match tokio::time::timeout(timeout, step).await {
        Ok(result) => result,
        Err(_) => Err(StoreError::Unavailable(
            format!(
                "the database did not answer within {} s (OVERDUE_DB_TIMEOUT)",
                timeout.as_secs()
            )
            .into(),
        )),
    }
}

/// The database: a pool of whichever backend the URL named, and how long any wait on it
/// may last. Only the store sees which backend.
#[derive(Clone, Debug)]
pub struct Db(Pool, Duration);

#[derive(Clone, Debug)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A write transaction, begun with [`Db::begin_write`], with its database's timeout.
pub struct Tx(TxConn, Duration);

enum TxConn {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// How long a request may wait for the database (a connection from the pool, a lock,
/// an answer) before it is answered 503, unless `OVERDUE_DB_TIMEOUT` says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// The longest a single statement may run on PostgreSQL before the server cancels it.
/// Generous: the bound that keeps requests quick is [`DEFAULT_TIMEOUT`]; this one stops
/// a runaway query from holding locks and a connection for ever.
const STATEMENT_TIMEOUT: &str = "60s";

impl Db {
    /// Connects to the database the URL names: `sqlite://…` or `postgres://…`, with the
    /// default wait bound.
    pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Db> {
        Self::connect_with_timeout(url, max_connections, DEFAULT_TIMEOUT).await
    }

    /// Connects with `timeout` as the bound on every wait for a connection or a lock.
    pub async fn connect_with_timeout(
        url: &str,
        max_connections: u32,
        timeout: Duration,
    ) -> anyhow::Result<Db> {
        match backend_of(url)? {
            Backend::Sqlite => {
                let options = SqliteConnectOptions::from_str(url)
                    .with_context(|| {
                        format!("DATABASE_URL {} is not a valid SQLite URL", redact_url(url))
                    })?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    // A commit is on disk before it returns, so a ping answered 2xx
                    // survives a power cut, as on PostgreSQL. Group commit makes it one
                    // sync per batch of pings.
                    .synchronous(SqliteSynchronous::Full)
                    .busy_timeout(timeout)
                    // Without a limit the WAL file keeps its high-water size (hundreds of
                    // MB after a burst) although the database stays small.
                    .pragma("journal_size_limit", "67108864")
                    .pragma("wal_autocheckpoint", intake::wal::AUTOCHECKPOINT_PAGES)
                    .foreign_keys(true);
                let pool = SqlitePoolOptions::new()
                    .max_connections(max_connections.max(1))
                    .acquire_timeout(timeout)
                    .connect_with(options)
                    .await
                    .with_context(|| format!("opening SQLite database {}", redact_url(url)))?;
                Ok(Db(Pool::Sqlite(pool), timeout))
            }
            Backend::Postgres => {
                let options = PgConnectOptions::from_str(url)
                    .with_context(|| {
                        format!(
                            "DATABASE_URL {} is not a valid PostgreSQL URL",
                            redact_url(url)
                        )
                    })?
                    .options([("statement_timeout", STATEMENT_TIMEOUT)]);
                let pool = PgPoolOptions::new()
                    .max_connections(max_connections.max(1))
                    // Covers the wait for a free connection and the test of an idle one,
                    // so a database that stopped answering gives a quick error.
                    .acquire_timeout(timeout)
                    .connect_with(options)
                    .await
                    .context("connecting to PostgreSQL")?;
                Ok(Db(Pool::Postgres(pool), timeout))
            }
        }
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
        let limit = self.1;
        bounded(limit, async {
            Ok(match &self.0 {
                Pool::Sqlite(pool) => Tx(
                    TxConn::Sqlite(pool.begin_with("begin immediate").await?),
                    limit,
                ),
                Pool::Postgres(pool) => Tx(TxConn::Postgres(pool.begin().await?), limit),
            })
        })
        .await
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
        bounded(self.1, async {
            match self.0 {
                TxConn::Sqlite(t) => t.commit().await,
                TxConn::Postgres(t) => t.commit().await,
            }
            .map_err(StoreError::from)
        })
        .await
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

/// A database URL as it may be logged: any password (in the user part or a `password=`
/// parameter) replaced by `hidden`, even when the URL is malformed.
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.find("://") {
        Some(i) => url.split_at(i + 3),
        None => ("", url),
    };
    let (path_start, has_query) = match rest.find('?') {
        Some(q) => (q, true),
        None => (rest.len(), false),
    };
    let (before_query, query) = rest.split_at(path_start);
    // The user part ends at the last `@` before the query: a password may hold `/` or `@`.
    let authority = match before_query.rfind('@') {
        Some(at) => {
            let (userinfo, host) = before_query.split_at(at);
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{user}:hidden{host}"),
                None => before_query.to_string(),
            }
        }
        None => before_query.to_string(),
    };
    let query = if has_query {
        query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) if key.trim_start_matches('?').eq_ignore_ascii_case("password") => {
                    format!("{key}=hidden")
                }
                _ => pair.to_string(),
            })
            .collect::<Vec<_>>()
            .join("&")
    } else {
        String::new()
    };
    format!("{scheme}{authority}{query}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden_even_in_malformed_urls() {
        for (url, shown) in [
            (
                "postgres://ops:s3cret@db:5432/overdue",
                "postgres://ops:hidden@db:5432/overdue",
            ),
            (
                "postgres://ops:s3/cr@t@db:notaport/overdue",
                "postgres://ops:hidden@db:notaport/overdue",
            ),
            (
                "postgres://ops@db/overdue?sslmode=require&password=s3cret",
                "postgres://ops@db/overdue?sslmode=require&password=hidden",
            ),
            (
                "postgres://db/overdue?password=s3cret",
                "postgres://db/overdue?password=hidden",
            ),
            (
                "sqlite://overdue.db?mode=rwc",
                "sqlite://overdue.db?mode=rwc",
            ),
            ("ops:s3cret@db", "ops:hidden@db"),
        ] {
            assert_eq!(redact_url(url), shown, "{url}");
            assert!(!redact_url(url).contains("s3"), "{url}");
        }
    }

    #[tokio::test]
    async fn a_malformed_postgres_url_is_refused_without_its_password() {
        let err = Db::connect("postgres://ops:s3cret@db:notaport/overdue", 1)
            .await
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default();
        assert!(err.contains("not a valid PostgreSQL URL"), "{err}");
        assert!(!err.contains("s3cret"), "{err}");
    }
}
