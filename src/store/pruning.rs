//! Retention: a check keeps its newest pings up to the configured limit. Flips are kept.

use super::{Db, on_pool};

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
pub async fn prune_pings(db: &Db, keep: i64, batch: i64) -> Result<usize, sqlx::Error> {
    const FIND: &str =
        "select id, n_pings from checks where n_pings - pruned_through > $1 limit $2";
    const DELETE: &str = "delete from pings where check_id = $1 and n <= $2";
    const MARK: &str =
        "update checks set pruned_through = $2 where id = $1 and pruned_through < $2";
    let candidates = on_pool!(db, p => sqlx::query_as::<_, Candidate>(FIND)
        .bind(keep + PRUNE_SLACK).bind(batch).fetch_all(p).await)?;
    for c in &candidates {
        let through = c.n_pings - keep;
        on_pool!(db, p => sqlx::query(DELETE).bind(c.id).bind(through).execute(p).await.map(|_| ()))?;
        on_pool!(db, p => sqlx::query(MARK).bind(c.id).bind(through).execute(p).await.map(|_| ()))?;
    }
    Ok(candidates.len())
}
