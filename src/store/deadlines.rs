//! The scheduler's queries: checks whose deadline has passed are moved down, with their
//! flips and outbox rows, a batch per transaction. Any number of schedulers may run:
//! on PostgreSQL each claims its own rows (`for update skip locked`); on SQLite the
//! write lock (`begin immediate`) serialises them. Either way each flip happens once.

use super::checks::{Check, check_columns};
use super::{Db, Ts, Tx, TxConn, on_pool, on_tx};
use crate::domain::check::{DeadlineOutcome, Flip};
use crate::domain::ids::CheckId;
use crate::store::StoreError;
use chrono::{DateTime, Utc};

/// What one batch did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BatchReport {
    /// Due checks looked at.
    pub seen: usize,
    /// Checks moved down.
    pub flipped: usize,
    /// Stale deadlines replaced.
    pub rescheduled: usize,
    /// Notifications queued.
    pub queued: u64,
}

/// Handles up to `limit` checks whose `alert_after` is at or before `now`, earliest first,
/// in one transaction: `decide` says what becomes of each (a pure function of the row).
pub async fn process_due<F>(
    db: &Db,
    now: DateTime<Utc>,
    limit: i64,
    decide: F,
) -> Result<BatchReport, StoreError>
where
    F: Fn(&Check) -> DeadlineOutcome,
{
    const SQLITE: &str = concat!(
        "select ",
        check_columns!(),
        " from checks where alert_after <= $1 order by alert_after limit $2"
    );
    const PG: &str = concat!(
        "select ",
        check_columns!(),
        " from checks where alert_after <= $1 order by alert_after limit $2 for update skip locked"
    );
    let mut tx = db.begin_write().await?;
    let rows = match &mut tx.0 {
        TxConn::Sqlite(t) => {
            sqlx::query_as::<_, Check>(SQLITE)
                .bind(Ts(now))
                .bind(limit)
                .fetch_all(&mut **t)
                .await?
        }
        TxConn::Postgres(t) => {
            sqlx::query_as::<_, Check>(PG)
                .bind(Ts(now))
                .bind(limit)
                .fetch_all(&mut **t)
                .await?
        }
    };
    let mut report = BatchReport {
        seen: rows.len(),
        ..BatchReport::default()
    };
    let mut down: Vec<(&Check, Flip)> = Vec::new();
    let mut later: Vec<(&Check, Option<DateTime<Utc>>)> = Vec::new();
    for row in &rows {
        match decide(row) {
            DeadlineOutcome::GoesDown(flip) => down.push((row, flip)),
            DeadlineOutcome::Reschedule(at) => later.push((row, at)),
        }
    }
    report.flipped = down.len();
    report.rescheduled = later.len();
    match &mut tx.0 {
        TxConn::Postgres(_) => {
            report.queued = flip_down_bulk(&mut tx, &down, now).await?;
            reschedule_bulk(&mut tx, &later).await?;
        }
        TxConn::Sqlite(_) => {
            for (row, flip) in &down {
                const DOWN: &str =
                    "update checks set status = 'down', alert_after = null where id = $1";
                on_tx!(&mut tx, c => sqlx::query(DOWN).bind(row.id).execute(c).await.map(|_| ()))?;
                report.queued += super::flips::record(&mut tx, row.id, flip).await?;
            }
            for (row, at) in &later {
                const LATER: &str = "update checks set alert_after = $2 where id = $1";
                on_tx!(&mut tx, c => sqlx::query(LATER).bind(row.id).bind(at.map(Ts)).execute(c).await.map(|_| ()))?;
            }
        }
    }
    tx.commit().await?;
    Ok(report)
}

/// PostgreSQL: the batch's flips and their notifications in a fixed number of
/// statements, whatever its size.
async fn flip_down_bulk(
    tx: &mut Tx,
    down: &[(&Check, Flip)],
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let TxConn::Postgres(t) = &mut tx.0 else {
        return Ok(0);
    };
    if down.is_empty() {
        return Ok(0);
    }
    let ids: Vec<CheckId> = down.iter().map(|(r, _)| r.id).collect();
    let at: Vec<DateTime<Utc>> = down.iter().map(|(_, f)| f.at).collect();
    let old: Vec<&str> = down.iter().map(|(_, f)| f.old.as_str()).collect();
    let reason: Vec<&str> = down.iter().map(|(_, f)| f.reason.as_str()).collect();
    sqlx::query("update checks set status = 'down', alert_after = null where id = any($1)")
        .bind(&ids)
        .execute(&mut **t)
        .await?;
    let flip_ids: Vec<i64> = sqlx::query_scalar(
        "insert into flips (check_id, created, old_status, new_status, reason) \
         select id, created, old_status, 'down', reason \
         from unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[]) as f(id, created, old_status, reason) \
         returning id",
    )
    .bind(&ids)
    .bind(&at)
    .bind(&old)
    .bind(&reason)
    .fetch_all(&mut **t)
    .await?;
    // Every flip to down notifies (see Flip::notifies).
    super::outbox::queue::for_flips(tx, &flip_ids, now).await
}

async fn reschedule_bulk(
    tx: &mut Tx,
    later: &[(&Check, Option<DateTime<Utc>>)],
) -> Result<(), StoreError> {
    let TxConn::Postgres(t) = &mut tx.0 else {
        return Ok(());
    };
    if later.is_empty() {
        return Ok(());
    }
    let ids: Vec<CheckId> = later.iter().map(|(r, _)| r.id).collect();
    let at: Vec<Option<DateTime<Utc>>> = later.iter().map(|(_, a)| *a).collect();
    sqlx::query(
        "update checks set alert_after = v.at from unnest($1::bigint[], $2::timestamptz[]) as v(id, at) \
         where checks.id = v.id",
    )
    .bind(&ids)
    .bind(&at)
    .execute(&mut **t)
    .await?;
    Ok(())
}

/// The earliest pending deadline, for the scheduler's sleep.
pub async fn next_deadline(db: &Db) -> Result<Option<DateTime<Utc>>, StoreError> {
    const SQL: &str = "select min(alert_after) from checks where alert_after is not null";
    let t = on_pool!(db, p => sqlx::query_scalar::<_, Option<Ts>>(SQL).fetch_one(p).await)?;
    Ok(t.map(|t| t.0))
}
