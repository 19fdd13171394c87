//! The scheduler's queries: checks whose deadline has passed, and the compare-and-set
//! updates that move them down exactly once however many schedulers run.

use super::checks::{CheckRow, check_columns};
use super::{Db, Ts, on_pool, on_tx};
use crate::domain::check::Flip;
use chrono::{DateTime, Utc};

/// Up to `limit` checks whose `alert_after` is at or before `now`, earliest first. An
/// index range scan on `alert_after`: the cost follows the checks that are due.
pub async fn due(db: &Db, now: DateTime<Utc>, limit: i64) -> Result<Vec<CheckRow>, sqlx::Error> {
    const SQL: &str = concat!(
        "select ",
        check_columns!(),
        " from checks where alert_after <= $1 order by alert_after limit $2"
    );
    on_pool!(db, p => sqlx::query_as::<_, CheckRow>(SQL).bind(Ts(now)).bind(limit).fetch_all(p).await)
}

/// Moves a check down if it is still as it was loaded (same status, same deadline), and
/// records the flip and its notifications in the same transaction. Returns whether this
/// call made the flip: `false` means another scheduler or a ping got there first.
pub async fn flip_down(db: &Db, row: &CheckRow, flip: &Flip) -> Result<bool, sqlx::Error> {
    const SQL: &str = "update checks set status = 'down', alert_after = null \
                       where id = $1 and status = $2 and alert_after = $3";
    let mut tx = db.begin_write().await?;
    let changed = on_tx!(&mut tx, c => sqlx::query(SQL)
        .bind(row.id).bind(&row.status).bind(row.alert_after)
        .execute(c).await.map(|r| r.rows_affected()))?;
    if changed != 1 {
        return Ok(false);
    }
    super::flips::record(&mut tx, row.id, flip).await?;
    tx.commit().await?;
    Ok(true)
}

/// Replaces a stale deadline, unless the check changed since it was loaded.
pub async fn reschedule(
    db: &Db,
    row: &CheckRow,
    alert_after: Option<DateTime<Utc>>,
) -> Result<(), sqlx::Error> {
    const SQL: &str = "update checks set alert_after = $2 where id = $1 and alert_after = $3";
    on_pool!(db, p => sqlx::query(SQL)
        .bind(row.id).bind(alert_after.map(Ts)).bind(row.alert_after)
        .execute(p).await.map(|_| ()))
}

/// The earliest pending deadline, for the scheduler's sleep.
pub async fn next_deadline(db: &Db) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    const SQL: &str = "select min(alert_after) from checks where alert_after is not null";
    let t = on_pool!(db, p => sqlx::query_scalar::<_, Option<Ts>>(SQL).fetch_one(p).await)?;
    Ok(t.map(|t| t.0))
}
