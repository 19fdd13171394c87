//! Upkeep of SQLite's write-ahead log under a steady stream of pings.
//!
//! A commit appends every page it changed to the WAL; a checkpoint copies the WAL's pages
//! back into the database file and syncs it. Left to SQLite, the connection whose commit
//! pushes the WAL past 1 000 pages runs the checkpoint before its commit returns: under
//! load that is the ping writer, every few batches, and every ping in the batch waits for
//! it. So the service checkpoints on a connection of its own, on another thread, shortly
//! after writes, while the writer goes on writing.
//!
//! Such a checkpoint never empties the WAL while the writer keeps appending, and SQLite
//! restarts the WAL from its beginning only once every frame has been copied. The
//! writer's own automatic checkpoint stays as the backstop: when the WAL reaches
//! [`AUTOCHECKPOINT_PAGES`] the writer finishes the copy (little is left by then) and
//! the WAL starts over, so the file stays bounded.

use sqlx::SqlitePool;
use std::time::Duration;
use tokio::sync::mpsc;

/// WAL size, in pages, at which a committing connection checkpoints itself: about 32 MB
/// with 4 KiB pages. Set on every SQLite connection.
pub const AUTOCHECKPOINT_PAGES: &str = "8192";

/// How long the checkpointer waits after a write before it copies, so that one
/// checkpoint covers many batches.
const CHECKPOINT_DELAY: Duration = Duration::from_millis(50);

/// Tells the checkpointer that the writer committed. Dropping the last one stops it.
#[derive(Clone)]
pub struct WalKeeper {
    written: mpsc::Sender<()>,
}

impl WalKeeper {
    /// Starts the checkpointer on the current runtime, with its own connection to the
    /// database `pool` opens. It ends, closing its connection, once every `WalKeeper`
    /// is dropped; await the handle to let it.
    pub fn start(pool: &SqlitePool) -> (WalKeeper, tokio::task::JoinHandle<()>) {
        // SQLite's default page cache: a checkpoint reads through the log, not its cache.
        let options = (*pool.connect_options())
            .clone()
            .pragma("cache_size", "-2000");
        let own = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(0)
            .connect_lazy_with(options);
        let (written, rx) = mpsc::channel(1);
        let task = tokio::spawn(checkpointer(own, rx));
        (WalKeeper { written }, task)
    }

    /// Records that the writer committed; cheap, never waits.
    pub fn written(&self) {
        let _ = self.written.try_send(());
    }
}

async fn checkpointer(pool: SqlitePool, mut written: mpsc::Receiver<()>) {
    while written.recv().await.is_some() {
        tokio::time::sleep(CHECKPOINT_DELAY).await;
        // Writes that came during the wait are covered by this checkpoint.
        let _ = written.try_recv();
        // PASSIVE: copies what it can without waiting on the writer or readers.
        if let Err(e) = sqlx::query("pragma wal_checkpoint(passive)")
            .execute(&pool)
            .await
        {
            tracing::warn!(error = %e, "WAL checkpoint failed; SQLite's automatic checkpoint remains");
        }
    }
    pool.close().await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
    use std::time::Instant;

    fn wal_bytes(db: &std::path::Path) -> u64 {
        let mut wal = db.as_os_str().to_owned();
        wal.push("-wal");
        std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0)
    }

    /// With SQLite's own checkpoints off, only the keeper can copy the WAL back; once it
    /// has, the writer's next commit starts the WAL over (and, with a size limit of 0,
    /// truncates the file).
    #[tokio::test]
    async fn the_keeper_checkpoints_so_the_writer_starts_the_log_over() {
        let dir = std::env::temp_dir().join(format!("overdue-wal-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("wal.db");
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .pragma("wal_autocheckpoint", "0")
            .pragma("journal_size_limit", "0");
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .unwrap();
        let write = |bytes: usize| {
            sqlx::query("insert into t (x) values ($1)")
                .bind(vec![7u8; bytes])
                .execute(&writer)
        };
        sqlx::query("create table t (x blob)")
            .execute(&writer)
            .await
            .unwrap();
        for _ in 0..200 {
            write(10_000).await.unwrap();
        }
        let before = wal_bytes(&path);
        assert!(
            before > 2_000_000,
            "the WAL holds the writes: {before} bytes"
        );

        let (keeper, _task) = WalKeeper::start(&writer);
        keeper.written();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            // As the ping writer does: a commit, then word to the keeper. A checkpoint
            // that ran while a commit appended to the log leaves those frames for the
            // next one, so one signal alone may not be enough on a busy machine.
            write(10).await.unwrap();
            keeper.written();
            let now = wal_bytes(&path);
            if now < 100_000 {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the WAL was never checkpointed: {now} bytes"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        drop(keeper);
        writer.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
