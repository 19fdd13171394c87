//! Queueing the notifications of status changes, in the transaction that records them.
//! Each channel that is assigned to the check, enabled and listening for the new status
//! hears of it once: a notification of the check still waiting for that channel (and held
//! by no send) is rewritten to the new state; otherwise a new one is queued, due at once
//! or, for a flapping check, a window after the previous one (`domain::coalesce`).
//!
//! The check's row is locked by the caller, so changes of one check queue one at a time.
//! A rewrite re-checks that no send took the row meanwhile, and queues a new one if a
//! send did.

use crate::domain::coalesce::{self, Queue};
use crate::domain::ids::{ChannelId, CheckId};
use crate::store::{StoreError, Ts, Tx, TxConn, on_tx};
use chrono::{DateTime, Utc};
use std::collections::HashSet;

/// One channel that hears of one flip, with what the decision needs.
#[derive(Debug, Clone, sqlx::FromRow)]
struct Target {
    flip_id: i64,
    check_id: CheckId,
    status: String,
    created: Ts,
    channel_id: ChannelId,
    /// The channel's notification of the check that waits and no send holds.
    waiting_id: Option<i64>,
    /// When the channel's latest notification of the check was or is due.
    last_due: Option<Ts>,
    /// The check's status changes within the flapping window.
    recent_changes: i64,
}

impl Target {
    fn decide(&self, waiting: Option<i64>) -> Queue {
        coalesce::queue(
            self.created.0,
            waiting,
            self.last_due.map(|t| t.0),
            self.recent_changes,
        )
    }

    /// When a new notification is due (if a rewrite was decided but could not be made).
    fn due_at(&self) -> DateTime<Utc> {
        match self.decide(None) {
            Queue::Insert { due_at } => due_at,
            Queue::Rewrite(_) => self.created.0,
        }
    }
}

/// `$1`: the flip (or flips); `$2`: now, for leases; `$3`: the start of the flapping window.
macro_rules! targets {
    ($flips:literal) => {
        concat!(
            "select f.id as flip_id, f.check_id, f.new_status as status, f.created, ch.id as channel_id, \
             (select max(n.id) from notifications n where n.check_id = f.check_id and n.channel_id = ch.id \
             and n.done_at is null and (n.leased_until is null or n.leased_until <= $2)) as waiting_id, \
             (select max(n.due_at) from notifications n where n.check_id = f.check_id \
             and n.channel_id = ch.id) as last_due, \
             (select count(*) from flips r where r.check_id = f.check_id and r.created > $3) as recent_changes \
             from flips f join check_channels cc on cc.check_id = f.check_id \
             join channels ch on ch.id = cc.channel_id \
             where ",
            $flips,
            " and not ch.disabled \
             and ((f.new_status = 'down' and ch.notify_down) or (f.new_status = 'up' and ch.notify_up)) \
             order by f.id, ch.id"
        )
    };
}

const REWRITE: &str = "update notifications set flip_id = $2, status = $3 where id = $1 \
                       and done_at is null and (leased_until is null or leased_until <= $4)";
const INSERT: &str = "insert into notifications (check_id, channel_id, flip_id, status, created, due_at) \
                      values ($1, $2, $3, $4, $5, $6)";

/// Queues the notifications of one flip recorded in `tx`; returns how many were queued
/// or rewritten.
pub async fn for_flip(tx: &mut Tx, flip_id: i64, now: DateTime<Utc>) -> Result<u64, StoreError> {
    const TARGETS: &str = targets!("f.id = $1");
    let window_start = now - coalesce::flap_window();
    let targets = on_tx!(tx, c => sqlx::query_as::<_, Target>(TARGETS)
        .bind(flip_id).bind(Ts(now)).bind(Ts(window_start))
        .fetch_all(c).await)?;
    let mut queued = 0;
    for t in &targets {
        if let Queue::Rewrite(id) = t.decide(t.waiting_id) {
            let rewritten = on_tx!(tx, c => sqlx::query(REWRITE)
                .bind(id).bind(t.flip_id).bind(&t.status).bind(Ts(now))
                .execute(c).await.map(|r| r.rows_affected()))?;
            if rewritten > 0 {
                queued += 1;
                continue;
            }
        }
        on_tx!(tx, c => sqlx::query(INSERT)
            .bind(t.check_id).bind(t.channel_id).bind(t.flip_id).bind(&t.status)
            .bind(t.created).bind(Ts(t.due_at()))
            .execute(c).await.map(|_| ()))?;
        queued += 1;
    }
    Ok(queued)
}

/// Queues the notifications of many flips recorded in `tx`: on PostgreSQL in a fixed
/// number of statements however many there are, on SQLite one flip after another.
pub async fn for_flips(
    tx: &mut Tx,
    flip_ids: &[i64],
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let TxConn::Postgres(t) = &mut tx.0 else {
        let mut queued = 0;
        for id in flip_ids {
            queued += for_flip(tx, *id, now).await?;
        }
        return Ok(queued);
    };
    if flip_ids.is_empty() {
        return Ok(0);
    }
    const TARGETS: &str = targets!("f.id = any($1)");
    const REWRITE_ALL: &str = "update notifications n set flip_id = v.flip_id, status = v.status \
        from unnest($1::bigint[], $2::bigint[], $3::text[]) as v(id, flip_id, status) \
        where n.id = v.id and n.done_at is null and (n.leased_until is null or n.leased_until <= $4) \
        returning n.id";
    const INSERT_ALL: &str = "insert into notifications (check_id, channel_id, flip_id, status, created, due_at) \
        select * from unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::timestamptz[], $6::timestamptz[])";
    let window_start = now - coalesce::flap_window();
    let targets: Vec<Target> = sqlx::query_as(TARGETS)
        .bind(flip_ids)
        .bind(Ts(now))
        .bind(Ts(window_start))
        .fetch_all(&mut **t)
        .await?;
    let rewrites: Vec<(i64, &Target)> = targets
        .iter()
        .filter_map(|t| match t.decide(t.waiting_id) {
            Queue::Rewrite(id) => Some((id, t)),
            Queue::Insert { .. } => None,
        })
        .collect();
    let mut rewritten: HashSet<i64> = HashSet::new();
    if !rewrites.is_empty() {
        let ids: Vec<i64> = rewrites.iter().map(|(id, _)| *id).collect();
        let flips: Vec<i64> = rewrites.iter().map(|(_, t)| t.flip_id).collect();
        let statuses: Vec<&str> = rewrites.iter().map(|(_, t)| t.status.as_str()).collect();
        rewritten = sqlx::query_scalar::<_, i64>(REWRITE_ALL)
            .bind(&ids)
            .bind(&flips)
            .bind(&statuses)
            .bind(Ts(now))
            .fetch_all(&mut **t)
            .await?
            .into_iter()
            .collect();
    }
    let new: Vec<&Target> = targets
        .iter()
        .filter(|t| t.waiting_id.is_none_or(|id| !rewritten.contains(&id)))
        .collect();
    if !new.is_empty() {
        let checks: Vec<i64> = new.iter().map(|t| t.check_id.0).collect();
        let channels: Vec<i64> = new.iter().map(|t| t.channel_id.0).collect();
        let flips: Vec<i64> = new.iter().map(|t| t.flip_id).collect();
        let statuses: Vec<&str> = new.iter().map(|t| t.status.as_str()).collect();
        let created: Vec<DateTime<Utc>> = new.iter().map(|t| t.created.0).collect();
        let due: Vec<DateTime<Utc>> = new.iter().map(|t| t.due_at()).collect();
        sqlx::query(INSERT_ALL)
            .bind(&checks)
            .bind(&channels)
            .bind(&flips)
            .bind(&statuses)
            .bind(&created)
            .bind(&due)
            .execute(&mut **t)
            .await?;
    }
    Ok(u64::try_from(targets.len()).unwrap_or(u64::MAX))
}
