//! Retention: a check keeps its newest pings up to the configured limit. Flips are kept.

use super::{Backend, Db, Tx, on_pool, on_tx};
use crate::store::StoreError;

/// Checks only become candidates once they hold this many pings over the limit, so each
/// pass deletes pings in chunks rather than one at a time.
pub const PRUNE_SLACK: i64 = 100;

#[derive(Debug, Clone, Copy, sqlx::FromRow)]
struct Candidate {
    id: i64,
    n_pings: i64,
}

/// Deletes pings beyond `keep` per check, for up to `batch` checks. Returns how many
/// checks were pruned; a full batch means there may be more.
///
/// On SQLite the whole batch is one transaction. A check's old pings are spread over
/// the table's pages among other checks' pings, so deleting them touches thousands of
/// pages, and every commit writes each page it touched to the write-ahead log again:
/// a commit per check wrote the same pages over and over (hundreds of MB of log for
/// tens of MB of pings). On PostgreSQL, a transaction per check, so that pings to the
/// other checks never wait on the pruner's row locks.
pub async fn prune_pings(db: &Db, keep: i64, batch: i64) -> Result<usize, StoreError> {
    const FIND: &str =
        "select id, n_pings from checks where n_pings - pruned_through > $1 limit $2";
    let candidates = on_pool!(db, p => sqlx::query_as::<_, Candidate>(FIND)
        .bind(keep + PRUNE_SLACK).bind(batch).fetch_all(p).await)?;
    match db.backend() {
        _ if candidates.is_empty() => {}
        Backend::Sqlite => {
            let mut tx = db.begin_write().await?;
            for c in &candidates {
                prune_check(&mut tx, c, keep).await?;
            }
            tx.commit().await?;
        }
        Backend::Postgres => {
            for c in &candidates {
                let mut tx = db.begin_write().await?;
                prune_check(&mut tx, c, keep).await?;
                tx.commit().await?;
            }
        }
    }
    Ok(candidates.len())
}

/// Deletes the check's pings numbered up to `n_pings - keep`, and marks them pruned.
async fn prune_check(tx: &mut Tx, c: &Candidate, keep: i64) -> Result<(), StoreError> {
    const DELETE: &str = "delete from pings where check_id = $1 and n <= $2";
    const MARK: &str =
        "update checks set pruned_through = $2 where id = $1 and pruned_through < $2";
    let through = c.n_pings - keep;
    on_tx!(tx, conn => sqlx::query(DELETE).bind(c.id).bind(through).execute(&mut *conn).await.map(|_| ()))?;
    on_tx!(tx, conn => sqlx::query(MARK).bind(c.id).bind(through).execute(&mut *conn).await.map(|_| ()))?;
    Ok(())
}
