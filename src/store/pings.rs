//! Recording pings: the one transaction on the hot path, and reading them back.

use super::checks::{self, CheckConfig, CheckRow};
use super::{Db, Ts, Tx, channels, on_pool, on_tx, projects};
use crate::domain::check::{PingOutcome, on_ping};
use crate::domain::ping::{PingAction, PingKind, classify};
pub use crate::domain::records::LoggedPing;
use crate::store::StoreError;
use chrono::{DateTime, TimeDelta, Utc};
use uuid::Uuid;

/// Which check a ping is for.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    Uuid(&'a str),
    Slug {
        ping_key: &'a str,
        slug: &'a str,
        /// Create the check if the project has none with this slug (`?create=1`).
        create: Option<&'a AutoCreate>,
    },
}

/// A ping as received, before the check's rules classify it.
#[derive(Debug, Clone)]
pub struct Incoming<'a> {
    pub action: PingAction,
    pub method: &'a str,
    pub body: &'a [u8],
    pub rid: Option<Uuid>,
    pub remote_addr: Option<String>,
    pub scheme: &'a str,
    pub ua: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    Stored {
        /// The check was created by this ping.
        created_check: bool,
        kind: PingKind,
        /// The check's new deadline, so the scheduler can wake early for it.
        alert_after: Option<DateTime<Utc>>,
        /// Notifications queued by this ping's flip.
        queued: u64,
    },
    NotFound,
    AmbiguousSlug,
    /// `?create=1` named channels the project does not have (the message says which).
    BadChannels(String),
}

/// How a check created by its first ping (`?create=1`) is set up.
#[derive(Debug, Clone)]
pub struct AutoCreate {
    /// Its configuration; name and slug are the URL's slug.
    pub config: CheckConfig,
    /// Which of the project's channels it gets, as the API's `channels` field.
    pub channels: String,
}

/// Limits that apply to auto-provisioned checks.
#[derive(Debug, Clone, Copy)]
pub struct AutoCreateLimit {
    /// The most checks the project's owner may hold before `?create=1` stops creating.
    pub max_owned_checks: i64,
}

/// Records one ping in its own transaction (see [`record_in`]).
pub async fn record(
    db: &Db,
    target: Target<'_>,
    ping: &Incoming<'_>,
    limit: AutoCreateLimit,
    now: DateTime<Utc>,
) -> Result<Recorded, StoreError> {
    let mut tx = db.begin_write().await?;
    let recorded = record_in(&mut tx, target, ping, limit, now).await?;
    tx.commit().await?;
    Ok(recorded)
}

/// Records one ping inside `tx`: finds and locks the check, applies the state machine,
/// stores the check, the ping, and any flip with its outbox rows. Writes nothing unless
/// the ping is stored.
pub async fn record_in(
    tx: &mut Tx,
    target: Target<'_>,
    ping: &Incoming<'_>,
    limit: AutoCreateLimit,
    now: DateTime<Utc>,
) -> Result<Recorded, StoreError> {
    let (row, created_check) = match target {
        Target::Uuid(uuid) => match checks::lock_by_uuid(tx, uuid).await? {
            Some(row) => (row, false),
            None => return Ok(Recorded::NotFound),
        },
        Target::Slug {
            ping_key,
            slug,
            create,
        } => match find_by_slug(tx, ping_key, slug, create, limit, now).await? {
            SlugLookup::Found(row, created) => (*row, created),
            SlugLookup::NotFound => return Ok(Recorded::NotFound),
            SlugLookup::Ambiguous => return Ok(Recorded::AmbiguousSlug),
            SlugLookup::BadChannels(message) => return Ok(Recorded::BadChannels(message)),
        },
    };
    let kind = classify(ping.action, ping.method, ping.body, &row.rules());
    let outcome = on_ping(&row.state(), kind, ping.rid, now);
    let duration = run_duration(tx, row.id, &outcome, kind, ping.rid, now).await?;
    let n = checks::save_after_ping(tx, row.id, &outcome.state).await?;
    insert(
        tx,
        row.id,
        n,
        kind,
        ping,
        duration.map(|d| d.num_milliseconds()),
        now,
    )
    .await?;
    let mut queued = 0;
    if let Some(flip) = &outcome.flip {
        queued = super::flips::record(tx, row.id, flip).await?;
    }
    Ok(Recorded::Stored {
        created_check,
        kind,
        alert_after: outcome.state.alert_after(),
        queued,
    })
}

/// How long the run this ping completes took: from the check's remembered start, or,
/// when runs overlap (the check remembers only the latest start), from this run's own
/// start in the log.
pub(super) async fn run_duration(
    tx: &mut Tx,
    check_id: i64,
    outcome: &PingOutcome,
    kind: PingKind,
    rid: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Option<TimeDelta>, StoreError> {
    Ok(match (outcome.duration, kind, rid) {
        (Some(d), _, _) => Some(d),
        (None, PingKind::Success | PingKind::Fail, Some(rid)) => {
            open_start(tx, check_id, rid, now - MAX_RUN)
                .await?
                .map(|start| now - start)
        }
        _ => None,
    })
}

/// Runs longer than this are not paired with their start (as healthchecks.io).
const MAX_RUN: TimeDelta = TimeDelta::hours(72);

/// The latest start of run `rid` since `since` that no completion of the same run has
/// closed yet.
async fn open_start(
    tx: &mut Tx,
    check_id: i64,
    rid: Uuid,
    since: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    const SQL: &str = "select s.created from pings s where s.check_id = $1 and s.rid = $2 \
                       and s.kind = 'start' and s.created >= $3 and not exists ( \
                       select 1 from pings e where e.check_id = $1 and e.rid = $2 \
                       and e.kind in ('success', 'fail') and e.n > s.n) \
                       order by s.n desc limit 1";
    let start = on_tx!(tx, c => sqlx::query_scalar::<_, Ts>(SQL)
        .bind(check_id).bind(rid.to_string()).bind(Ts(since))
        .fetch_optional(c).await)?;
    Ok(start.map(|t| t.0))
}

enum SlugLookup {
    Found(Box<CheckRow>, bool),
    NotFound,
    Ambiguous,
    BadChannels(String),
}

async fn find_by_slug(
    tx: &mut Tx,
    ping_key: &str,
    slug: &str,
    create: Option<&AutoCreate>,
    limit: AutoCreateLimit,
    now: DateTime<Utc>,
) -> Result<SlugLookup, StoreError> {
    let Some(project) = projects::lock_by_ping_key(tx, ping_key, create.is_some()).await? else {
        return Ok(SlugLookup::NotFound);
    };
    let mut rows = checks::lock_by_slug(tx, project.id, slug).await?;
    if rows.len() > 1 {
        return Ok(SlugLookup::Ambiguous);
    }
    if let Some(row) = rows.pop() {
        return Ok(SlugLookup::Found(Box::new(row), false));
    }
    let Some(auto) = create else {
        return Ok(SlugLookup::NotFound);
    };
    if checks::count_owned_by(tx, project.owner_id).await? >= limit.max_owned_checks {
        return Ok(SlugLookup::NotFound);
    }
    let available = channels::list_tx(tx, project.id).await?;
    let channel_ids = match channels::select(&auto.channels, &available) {
        Ok(ids) => ids,
        Err(message) => return Ok(SlugLookup::BadChannels(message)),
    };
    let config = CheckConfig {
        name: slug.to_string(),
        slug: slug.to_string(),
        ..auto.config.clone()
    };
    let row = checks::create(tx, project.id, &config, false, now).await?;
    checks::set_channels(tx, row.id, &channel_ids).await?;
    Ok(SlugLookup::Found(Box::new(row), true))
}

async fn insert(
    tx: &mut Tx,
    check_id: i64,
    n: i64,
    kind: PingKind,
    ping: &Incoming<'_>,
    duration_ms: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    const SQL: &str = "insert into pings (check_id, n, created, kind, exit_status, rid, remote_addr, \
                       scheme, method, ua, body, duration_ms) \
                       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
    let body = (!ping.body.is_empty()).then_some(ping.body);
    on_tx!(tx, c => sqlx::query(SQL)
        .bind(check_id).bind(n).bind(Ts(now)).bind(kind.as_str())
        .bind(ping.action.exit_status().map(i64::from)).bind(ping.rid.map(|r| r.to_string()))
        .bind(ping.remote_addr.as_deref()).bind(ping.scheme).bind(ping.method).bind(ping.ua)
        .bind(body).bind(duration_ms)
        .execute(c).await.map(|_| ()))
}

/// A check's most recent pings, newest first.
pub async fn recent(db: &Db, check_id: i64, limit: i64) -> Result<Vec<LoggedPing>, StoreError> {
    const SQL: &str = "select n, created, kind, exit_status, rid, remote_addr, scheme, method, ua, \
                       body, duration_ms from pings where check_id = $1 order by n desc limit $2";
    on_pool!(db, p => sqlx::query_as::<_, LoggedPing>(SQL).bind(check_id).bind(limit).fetch_all(p).await)
}

/// How many pings of a check are stored.
pub async fn count(db: &Db, check_id: i64) -> Result<i64, StoreError> {
    const SQL: &str = "select count(*) from pings where check_id = $1";
    on_pool!(db, p => sqlx::query_scalar::<_, i64>(SQL).bind(check_id).fetch_one(p).await)
}

/// The body of ping `n` of a check, if that ping is stored and has one.
pub async fn body(db: &Db, check_id: i64, n: i64) -> Result<Option<Vec<u8>>, StoreError> {
    const SQL: &str = "select body from pings where check_id = $1 and n = $2";
    let body = on_pool!(db, p => sqlx::query_scalar::<_, Option<Vec<u8>>>(SQL).bind(check_id).bind(n).fetch_optional(p).await)?;
    Ok(body.flatten())
}
