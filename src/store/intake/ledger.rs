//! Batch ids on PostgreSQL. When the connection drops after COMMIT was sent, the writer
//! cannot tell whether the batch was stored; each batch therefore writes its id in the
//! same transaction, and a batch in doubt is looked up by it before anything is written
//! again, so a retry never stores a ping twice. SQLite's commits are local and never in
//! doubt, so batches there write no id.

use crate::store::{Db, StoreError, Ts, Tx, on_pool, on_tx};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Records, inside the batch's transaction, that batch `id` was written.
pub(super) async fn enter(tx: &mut Tx, id: Uuid, now: DateTime<Utc>) -> Result<(), StoreError> {
    const SQL: &str = "insert into ping_batches (id, created) values ($1, $2)";
    on_tx!(tx, c => sqlx::query(SQL).bind(id).bind(Ts(now)).execute(c).await.map(|_| ()))
}

/// Whether batch `id` was committed.
pub(super) async fn committed(db: &Db, id: Uuid) -> Result<bool, StoreError> {
    const SQL: &str = "select count(*) from ping_batches where id = $1";
    let n: i64 = on_pool!(db, p => sqlx::query_scalar(SQL).bind(id).fetch_one(p).await)?;
    Ok(n > 0)
}

/// Forgets batch ids older than `before` (a batch is in doubt for seconds, not days).
pub async fn prune(db: &Db, before: DateTime<Utc>) -> Result<u64, StoreError> {
    const SQL: &str = "delete from ping_batches where created < $1";
    on_pool!(db, p => sqlx::query(SQL).bind(Ts(before)).execute(p).await.map(|r| r.rows_affected()))
}
