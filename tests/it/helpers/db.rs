//! A fresh, migrated database per test: a SQLite file, or a schema of its own on the
//! PostgreSQL server; removed when the test ends.

use overdue::store::Db;
use sqlx::Connection;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Connects to the PostgreSQL server the tests use, or panics at once with what is
/// missing. After the first failure every later PostgreSQL test fails at once with the
/// same message, instead of each waiting for its own connection timeout.
async fn postgres_admin(base: &str) -> sqlx::PgPool {
    static UNREACHABLE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let explain = |e: &dyn std::fmt::Display| {
        format!(
            "PostgreSQL tests need a server at {base} (set OVERDUE_TEST_POSTGRES_URL; \
             bash .ci/run installs and starts one). Connecting failed: {e}"
        )
    };
    if let Some(message) = UNREACHABLE.get() {
        panic!("{message}");
    }
    // One plain connection first: its error names the cause ("Connection refused"),
    // where a pool would only say that it timed out.
    let probe = sqlx::PgConnection::connect(base);
    match tokio::time::timeout(std::time::Duration::from_secs(5), probe).await {
        Ok(Ok(connection)) => {
            let _ = connection.close().await;
        }
        Ok(Err(e)) => panic!("{}", UNREACHABLE.get_or_init(|| explain(&e))),
        Err(_) => panic!(
            "{}",
            UNREACHABLE.get_or_init(|| explain(&"no answer within 5 s"))
        ),
    }
    sqlx::PgPool::connect(base)
        .await
        .unwrap_or_else(|e| panic!("{}", explain(&e)))
}

/// The server PostgreSQL tests run against; each test gets its own schema in it.
fn postgres_url() -> String {
    std::env::var("OVERDUE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// A pool of the test's own, for SQL the store does not offer (setting up odd states,
/// reading tables directly). The app's `Db` keeps its pools to itself.
pub enum RawPool {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

/// Runs `$body` with `$pool` bound to whichever pool a [`RawPool`] holds.
#[macro_export]
macro_rules! on_raw {
    ($raw:expr, $pool:ident => $body:expr) => {
        match $raw {
            $crate::helpers::RawPool::Sqlite($pool) => $body,
            $crate::helpers::RawPool::Postgres($pool) => $body,
        }
    };
}

/// A fresh, migrated database of the given backend; dropped when the guard is.
pub struct TestDb {
    pub db: Db,
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    /// The folder that holds the SQLite file and its WAL.
    Folder(std::path::PathBuf),
    Schema(String),
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        Self::new_in(backend, &std::env::temp_dir()).await
    }

    /// A fresh database; a SQLite one in a new folder under `parent`.
    pub async fn new_in(backend: Backend, parent: &std::path::Path) -> TestDb {
        let id = uuid::Uuid::new_v4().simple().to_string();
        match backend {
            Backend::Sqlite => {
                // A folder of its own: removing it at the end also stops a connection
                // still open in a background task from creating the file again.
                let folder = parent.join(format!("overdue-test-{id}"));
                std::fs::create_dir_all(&folder).expect("create test folder");
                let path = folder.join("overdue.db");
                let url = format!("sqlite://{}", path.display());
                let db = Db::connect(&url, 5)
                    .await
                    .expect("open SQLite test database");
                db.migrate().await.expect("migrate SQLite test database");
                TestDb {
                    db,
                    url,
                    cleanup: Cleanup::Folder(folder),
                }
            }
            Backend::Postgres => {
                let schema = format!("test_{id}");
                let base = postgres_url();
                let admin = postgres_admin(&base).await;
                sqlx::query(sqlx::AssertSqlSafe(format!("create schema {schema}")))
                    .execute(&admin)
                    .await
                    .expect("create test schema");
                admin.close().await;
                let url = format!("{base}?options=-c%20search_path%3D{schema}");
                let db = Db::connect(&url, 8).await.expect("connect to test schema");
                db.migrate().await.expect("migrate PostgreSQL test schema");
                TestDb {
                    db,
                    url,
                    cleanup: Cleanup::Schema(schema),
                }
            }
        }
    }

    /// The notifications neither sent nor given up (`done_at` is null), one line each.
    /// Read on a connection of its own from a thread with its own runtime, so that it
    /// works from `Drop` whatever runtime the test runs on.
    pub fn undelivered_notifications(&self) -> Vec<String> {
        const SQL: &str = "select n.id, c.name, ch.kind, n.status, n.attempts, n.last_error \
                           from notifications n join checks c on c.id = n.check_id \
                           join channels ch on ch.id = n.channel_id \
                           where n.done_at is null order by n.id";
        type Row = (i64, String, String, String, i64, Option<String>);
        let url = self.url.clone();
        let sqlite = matches!(self.cleanup, Cleanup::Folder(_));
        let rows = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async {
                let rows: Vec<Row> = if sqlite {
                    let mut conn = sqlx::SqliteConnection::connect(&url).await?;
                    let rows = sqlx::query_as(SQL).fetch_all(&mut conn).await?;
                    conn.close().await?;
                    rows
                } else {
                    let mut conn = sqlx::PgConnection::connect(&url).await?;
                    let rows = sqlx::query_as(SQL).fetch_all(&mut conn).await?;
                    conn.close().await?;
                    rows
                };
                anyhow::Ok(rows)
            })
        })
        .join()
        .expect("reading the outbox panicked")
        .expect("reading the outbox");
        rows.into_iter()
            .map(|(id, check, kind, status, attempts, error)| {
                format!(
                    "notification {id}: {status} of check {check:?} by {kind}, \
                     {attempts} attempts, last error {error:?}"
                )
            })
            .collect()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Folder(folder) => {
                let _ = std::fs::remove_dir_all(folder);
            }
            Cleanup::Schema(schema) => {
                // A lock timeout keeps a test that left a transaction open from hanging here.
                let sql =
                    format!("set lock_timeout = '10s'; drop schema if exists {schema} cascade");
                // Drop runs inside the test's runtime; use a thread with its own.
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .ok()?;
                    rt.block_on(async {
                        let admin = sqlx::PgPool::connect(&postgres_url()).await.ok()?;
                        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                            .execute(&admin)
                            .await
                            .ok()?;
                        admin.close().await;
                        Some(())
                    })
                })
                .join();
            }
        }
    }
}
