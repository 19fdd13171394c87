//! The notification outbox: queueing notifications with the status changes they tell of
//! (`queue`), claiming due rows with a lease (`claim`), and recording what became of each
//! attempt. A worker that dies mid-send leaves its lease to expire, and another worker
//! claims the row again: delivery is at least once.

use super::checks::{Check, check_columns};
use super::{Db, Ts, on_pool};
use crate::domain::coalesce;
use crate::domain::ids::{CheckId, ProjectId};
pub use crate::domain::records::{DeliveryAttempt, LoggedPing, Notification, RecordedFlip};
use crate::store::StoreError;
use chrono::{DateTime, Utc};

mod claim;
pub mod queue;

pub use claim::{Claimed, Watermark, candidates, in_flight, lease, watermark};

/// What became of a claimed row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// Try again at this instant.
    Retry {
        at: DateTime<Utc>,
        error: String,
    },
    /// Not tried (for example, a rate limit): due again at this instant, attempt not counted.
    Postpone {
        at: DateTime<Utc>,
    },
    Failed {
        error: String,
    },
    /// Not tried again: a later status change of the check waits for the same channel,
    /// and says more than this one would.
    Superseded,
}

/// Records the outcome of a claimed row's attempt; returns the outcome recorded, which is
/// `Superseded` instead of a retry or postponement when a newer notification of the check
/// waits for the same channel. The row is only changed if it still tells of the flip it
/// was claimed for (a row rewritten after its lease ran out stays due, as rewritten).
pub async fn finish(
    db: &Db,
    row: &Claimed,
    outcome: &Outcome,
    now: DateTime<Utc>,
) -> Result<Outcome, StoreError> {
    const SENT: &str = "update notifications set state = 'sent', done_at = $2, leased_until = null, \
                        last_error = null where id = $1 and flip_id = $3";
    const RETRY: &str = "update notifications set due_at = $2, leased_until = null, last_error = $3 \
                         where id = $1 and flip_id = $4";
    const POSTPONE: &str = "update notifications set due_at = $2, leased_until = null, \
                            attempts = attempts - 1 where id = $1 and flip_id = $3";
    const FAILED: &str = "update notifications set state = 'failed', done_at = $2, leased_until = null, \
                          last_error = $3 where id = $1 and flip_id = $4";
    const SUPERSEDE: &str = "update notifications set state = 'failed', done_at = $2, leased_until = null, \
        last_error = $3 where id = $1 and flip_id = $4 and exists (select 1 from notifications w \
        where w.check_id = notifications.check_id and w.channel_id = notifications.channel_id \
        and w.done_at is null and w.id > notifications.id)";
    let (id, flip) = (row.id, row.flip_id);
    let superseded = |error: Option<&str>| match error {
        Some(e) => format!("superseded by a later status change (this attempt: {e})"),
        None => "superseded by a later status change".to_string(),
    };
    match outcome {
        Outcome::Sent => {
            on_pool!(db, p => sqlx::query(SENT).bind(id).bind(Ts(now)).bind(flip).execute(p).await.map(|_| ()))?;
        }
        Outcome::Retry { at, error } => {
            let note = superseded(Some(error));
            let n = on_pool!(db, p => sqlx::query(SUPERSEDE).bind(id).bind(Ts(now)).bind(&note).bind(flip)
                .execute(p).await.map(|r| r.rows_affected()))?;
            if n > 0 {
                return Ok(Outcome::Superseded);
            }
            on_pool!(db, p => sqlx::query(RETRY).bind(id).bind(Ts(*at)).bind(error).bind(flip).execute(p).await.map(|_| ()))?;
        }
        Outcome::Postpone { at } => {
            let note = superseded(None);
            let n = on_pool!(db, p => sqlx::query(SUPERSEDE).bind(id).bind(Ts(now)).bind(&note).bind(flip)
                .execute(p).await.map(|r| r.rows_affected()))?;
            if n > 0 {
                return Ok(Outcome::Superseded);
            }
            on_pool!(db, p => sqlx::query(POSTPONE).bind(id).bind(Ts(*at)).bind(flip).execute(p).await.map(|_| ()))?;
        }
        Outcome::Failed { error } => {
            on_pool!(db, p => sqlx::query(FAILED).bind(id).bind(Ts(now)).bind(error).bind(flip).execute(p).await.map(|_| ()))?;
        }
        Outcome::Superseded => {
            let note = superseded(None);
            on_pool!(db, p => sqlx::query(FAILED).bind(id).bind(Ts(now)).bind(&note).bind(flip).execute(p).await.map(|_| ()))?;
        }
    }
    Ok(outcome.clone())
}

/// Records one delivery attempt.
pub async fn record_attempt(
    db: &Db,
    notification_id: i64,
    started: DateTime<Utc>,
    duration_ms: i64,
    error: Option<&str>,
) -> Result<(), StoreError> {
    const SQL: &str = "insert into notification_attempts (notification_id, started, duration_ms, ok, error) \
                       values ($1, $2, $3, $4, $5)";
    on_pool!(db, p => sqlx::query(SQL)
        .bind(notification_id).bind(Ts(started)).bind(duration_ms).bind(error.is_none()).bind(error)
        .execute(p).await.map(|_| ()))
}

/// What a notice is built from.
pub struct NoticeParts {
    pub check: Check,
    pub project: String,
    pub flip: RecordedFlip,
    /// When the check last went down before this flip (for an up flip's downtime).
    pub went_down: Option<DateTime<Utc>>,
    pub last_ping: Option<LoggedPing>,
    /// The check's status changes in the flapping window up to this flip, this one included.
    pub recent_changes: i64,
}

/// Loads what a notification needs; `None` if its check is gone.
pub async fn notice_parts(
    db: &Db,
    check_id: CheckId,
    flip_id: i64,
) -> Result<Option<NoticeParts>, StoreError> {
    const CHECK: &str = concat!("select ", check_columns!(), " from checks where id = $1");
    const PROJECT: &str =
        "select p.name from projects p join checks c on c.project_id = p.id where c.id = $1";
    const FLIP: &str =
        "select id, created, old_status, new_status, reason from flips where id = $1";
    const DOWN: &str =
        "select max(created) from flips where check_id = $1 and new_status = 'down' and id < $2";
    const RECENT: &str =
        "select count(*) from flips where check_id = $1 and created > $2 and id <= $3";
    const PING: &str = "select n, created, kind, exit_status, rid, remote_addr, scheme, method, ua, body, \
                        duration_ms from pings where check_id = $1 and created <= $2 order by n desc limit 1";
    let Some(check) = on_pool!(db, p => sqlx::query_as::<_, Check>(CHECK).bind(check_id).fetch_optional(p).await)?
    else {
        return Ok(None);
    };
    let project = on_pool!(db, p => sqlx::query_scalar::<_, String>(PROJECT).bind(check_id).fetch_one(p).await)?;
    let Some(flip) = on_pool!(db, p => sqlx::query_as::<_, RecordedFlip>(FLIP).bind(flip_id).fetch_optional(p).await)?
    else {
        return Ok(None);
    };
    let went_down = on_pool!(db, p => sqlx::query_scalar::<_, Option<Ts>>(DOWN).bind(check_id).bind(flip_id).fetch_one(p).await)?;
    let last_ping = on_pool!(db, p => sqlx::query_as::<_, LoggedPing>(PING).bind(check_id).bind(Ts(flip.created)).fetch_optional(p).await)?;
    let since = flip.created - coalesce::flap_window();
    let recent_changes = on_pool!(db, p => sqlx::query_scalar::<_, i64>(RECENT).bind(check_id).bind(Ts(since)).bind(flip_id).fetch_one(p).await)?;
    Ok(Some(NoticeParts {
        check,
        project,
        flip,
        went_down: went_down.map(|t| t.0),
        last_ping,
        recent_changes,
    }))
}

/// Emails of the people who manage a project (owners and managers).
pub async fn manager_emails(db: &Db, project_id: ProjectId) -> Result<Vec<String>, StoreError> {
    const SQL: &str = "select u.email from memberships m join users u on u.id = m.user_id \
                       where m.project_id = $1 and m.role in ('owner', 'manager') order by u.email";
    on_pool!(db, p => sqlx::query_scalar::<_, String>(SQL).bind(project_id).fetch_all(p).await)
}

/// Takes one send from a per-minute allowance shared by every process; false when the
/// allowance of this window is spent.
pub async fn take_rate(
    db: &Db,
    key: &str,
    window_start: DateTime<Utc>,
    per_window: i64,
) -> Result<bool, StoreError> {
    const SQL: &str = "insert into rate_windows (key, window_start, count) values ($1, $2, 1) \
                       on conflict (key, window_start) do update set count = rate_windows.count + 1 \
                       returning count";
    let count = on_pool!(db, p => sqlx::query_scalar::<_, i64>(SQL).bind(key).bind(Ts(window_start)).fetch_one(p).await)?;
    Ok(count <= per_window)
}

/// Forgets rate windows that ended before `before`.
pub async fn prune_rate_windows(db: &Db, before: DateTime<Utc>) -> Result<(), StoreError> {
    on_pool!(db, p => sqlx::query("delete from rate_windows where window_start < $1").bind(Ts(before)).execute(p).await.map(|_| ()))
}

/// A check's notifications, newest first, with their attempts.
pub async fn for_check(
    db: &Db,
    check_id: CheckId,
    limit: i64,
) -> Result<(Vec<Notification>, Vec<DeliveryAttempt>), StoreError> {
    const ROWS: &str = "select n.id, ch.uuid as channel_uuid, n.status, n.state, n.created, n.attempts, \
                        n.last_error, n.done_at from notifications n join channels ch on ch.id = n.channel_id \
                        where n.check_id = $1 order by n.id desc limit $2";
    const ATTEMPTS: &str = "select a.notification_id, a.started, a.duration_ms, a.ok, a.error \
                            from notification_attempts a join notifications n on n.id = a.notification_id \
                            where n.check_id = $1 order by a.id";
    let rows = on_pool!(db, p => sqlx::query_as::<_, Notification>(ROWS).bind(check_id).bind(limit).fetch_all(p).await)?;
    let attempts = on_pool!(db, p => sqlx::query_as::<_, DeliveryAttempt>(ATTEMPTS).bind(check_id).fetch_all(p).await)?;
    Ok((rows, attempts))
}
