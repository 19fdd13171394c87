//! The notification outbox: claiming due rows with a lease, and recording what became
//! of each attempt. A worker that dies mid-send leaves its lease to expire, and another
//! worker claims the row again: delivery is at least once.

use super::checks::{Check, check_columns};
use super::{Db, Pool, Ts, on_pool};
use crate::domain::check::Status;
use crate::domain::ids::{ChannelId, CheckId, ProjectId};
pub use crate::domain::records::{DeliveryAttempt, LoggedPing, Notification, RecordedFlip};
use crate::store::StoreError;
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Claimed {
    pub id: i64,
    pub check_id: CheckId,
    pub channel_id: ChannelId,
    pub flip_id: i64,
    #[sqlx(try_from = "String")]
    pub status: Status,
    pub created: Ts,
    /// Attempts including this one.
    pub attempts: i64,
}

/// Claims up to `limit` due rows until `lease_until`. On PostgreSQL concurrent workers
/// skip each other's rows (`for update skip locked`); on SQLite the single statement is
/// atomic.
pub async fn claim(
    db: &Db,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Claimed>, StoreError> {
    const SQLITE: &str = "update notifications set leased_until = $2, attempts = attempts + 1 \
        where id in (select id from notifications where done_at is null and due_at <= $1 \
        and (leased_until is null or leased_until <= $1) order by due_at, id limit $3) \
        returning id, check_id, channel_id, flip_id, status, created, attempts";
    const PG: &str = "update notifications set leased_until = $2, attempts = attempts + 1 \
        where id in (select id from notifications where done_at is null and due_at <= $1 \
        and (leased_until is null or leased_until <= $1) order by due_at, id limit $3 \
        for update skip locked) \
        returning id, check_id, channel_id, flip_id, status, created, attempts";
    Ok(match &db.0 {
        Pool::Sqlite(p) => {
            sqlx::query_as::<_, Claimed>(SQLITE)
                .bind(Ts(now))
                .bind(Ts(lease_until))
                .bind(limit)
                .fetch_all(p)
                .await?
        }
        Pool::Postgres(p) => {
            sqlx::query_as::<_, Claimed>(PG)
                .bind(Ts(now))
                .bind(Ts(lease_until))
                .bind(limit)
                .fetch_all(p)
                .await?
        }
    })
}

/// Extends a claim that is still being worked on.
pub async fn renew_lease(db: &Db, id: i64, until: DateTime<Utc>) -> Result<(), StoreError> {
    const SQL: &str =
        "update notifications set leased_until = $2 where id = $1 and done_at is null";
    on_pool!(db, p => sqlx::query(SQL).bind(id).bind(Ts(until)).execute(p).await.map(|_| ()))
}

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
}

pub async fn finish(
    db: &Db,
    id: i64,
    outcome: &Outcome,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    const SENT: &str = "update notifications set state = 'sent', done_at = $2, leased_until = null, \
                        last_error = null where id = $1";
    const RETRY: &str =
        "update notifications set due_at = $2, leased_until = null, last_error = $3 where id = $1";
    const POSTPONE: &str = "update notifications set due_at = $2, leased_until = null, \
                            attempts = attempts - 1 where id = $1";
    const FAILED: &str = "update notifications set state = 'failed', done_at = $2, leased_until = null, \
                          last_error = $3 where id = $1";
    match outcome {
        Outcome::Sent => {
            on_pool!(db, p => sqlx::query(SENT).bind(id).bind(Ts(now)).execute(p).await.map(|_| ()))
        }
        Outcome::Retry { at, error } => {
            on_pool!(db, p => sqlx::query(RETRY).bind(id).bind(Ts(*at)).bind(error).execute(p).await.map(|_| ()))
        }
        Outcome::Postpone { at } => {
            on_pool!(db, p => sqlx::query(POSTPONE).bind(id).bind(Ts(*at)).execute(p).await.map(|_| ()))
        }
        Outcome::Failed { error } => {
            on_pool!(db, p => sqlx::query(FAILED).bind(id).bind(Ts(now)).bind(error).execute(p).await.map(|_| ()))
        }
    }
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
    Ok(Some(NoticeParts {
        check,
        project,
        flip,
        went_down: went_down.map(|t| t.0),
        last_ping,
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
