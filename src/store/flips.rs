//! Flips (status changes), recorded with the notifications they queue.

use super::{Db, Ts, Tx, on_pool, on_tx};
use crate::domain::check::Flip;
use crate::domain::ids::{ChannelId, CheckId};
pub use crate::domain::records::RecordedFlip;
use crate::store::StoreError;
use chrono::{DateTime, Utc};

/// Records a flip and, if its channels should hear of it, queues its notifications (see
/// `outbox::queue`: a channel that still has one of the check's notifications waiting
/// gets that one rewritten, not a second). Runs in the caller's transaction, so the flip
/// and its notifications land together or not at all. Returns the number of
/// notifications queued or rewritten.
pub async fn record(tx: &mut Tx, check_id: CheckId, flip: &Flip) -> Result<u64, StoreError> {
    const INSERT: &str = "insert into flips (check_id, created, old_status, new_status, reason) \
                          values ($1, $2, $3, $4, $5) returning id";
    let flip_id = on_tx!(tx, c => sqlx::query_scalar::<_, i64>(INSERT)
        .bind(check_id).bind(Ts(flip.at)).bind(flip.old.as_str()).bind(flip.new.as_str())
        .bind(flip.reason.as_str())
        .fetch_one(c).await)?;
    if !flip.notifies() {
        return Ok(0);
    }
    super::outbox::queue::for_flip(tx, flip_id, flip.at).await
}

/// A check's flips since `since` (inclusive), oldest first.
pub async fn list(
    db: &Db,
    check_id: CheckId,
    since: DateTime<Utc>,
) -> Result<Vec<RecordedFlip>, StoreError> {
    const SQL: &str = "select id, created, old_status, new_status, reason from flips \
                       where check_id = $1 and created >= $2 order by created, id";
    on_pool!(db, p => sqlx::query_as::<_, RecordedFlip>(SQL).bind(check_id).bind(Ts(since)).fetch_all(p).await)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QueuedNotification {
    pub id: i64,
    pub check_id: CheckId,
    pub channel_id: ChannelId,
    pub flip_id: i64,
    pub status: String,
    pub due_at: Ts,
}

/// The outbox rows of a check, oldest first.
pub async fn queued_for_check(
    db: &Db,
    check_id: CheckId,
) -> Result<Vec<QueuedNotification>, StoreError> {
    const SQL: &str = "select id, check_id, channel_id, flip_id, status, due_at from notifications \
                       where check_id = $1 order by id";
    on_pool!(db, p => sqlx::query_as::<_, QueuedNotification>(SQL).bind(check_id).fetch_all(p).await)
}

/// A check's newest flips in `[start, end)`, at most `limit`, newest first, as the flips
/// API lists them.
pub async fn list_between(
    db: &Db,
    check_id: CheckId,
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
    limit: i64,
) -> Result<Vec<RecordedFlip>, StoreError> {
    const SQL: &str = "select id, created, old_status, new_status, reason from flips \
                       where check_id = $1 and ($2 is null or created >= $2) \
                       and ($3 is null or created < $3) order by id desc limit $4";
    on_pool!(db, p => sqlx::query_as::<_, RecordedFlip>(SQL)
        .bind(check_id).bind(start.map(Ts)).bind(end.map(Ts)).bind(limit)
        .fetch_all(p).await)
}
