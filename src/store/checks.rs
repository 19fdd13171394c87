//! Checks: their configuration and runtime state.

use super::{Db, Ts, Tx, TxConn, on_pool, on_tx, ts::opt};
use crate::domain::check::{self, CheckState, Flip, NotPaused};
pub use crate::domain::check_config::CheckConfig;
pub use crate::domain::check_record::Check;
use crate::domain::ids::{ChannelId, CheckId, ProjectId, UserId};
use crate::store::StoreError;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Every column of `checks`, as [`Check`] names them.
macro_rules! check_columns {
    () => {
        "id, uuid, unique_key, project_id, name, slug, tags, descr, kind, timeout, grace, schedule, tz, \
         methods, manual_resume, filter_subject, filter_body, filter_http_body, \
         filter_default_fail, start_kw, success_kw, failure_kw, status, alert_after, last_ping, \
         last_start, last_start_rid, last_duration_ms, n_pings, badge_key, created"
    };
}
pub(crate) use check_columns;

/// Selects checks inside a write transaction, locking them on PostgreSQL (`for update`)
/// until it ends, so concurrent writers to one check apply one after another. SQLite's
/// `begin immediate` already serialises writers.
macro_rules! select_locked {
    ($tx:expr, $fetch:ident, $rest:literal $(, $bind:expr)*) => {{
        const SQLITE: &str = concat!("select ", check_columns!(), " from checks where ", $rest);
        const PG: &str = concat!("select ", check_columns!(), " from checks where ", $rest, " for update");
        match &mut $tx.0 {
            TxConn::Sqlite(t) => $crate::store::lift(sqlx::query_as::<_, Check>(SQLITE)$(.bind($bind))*.$fetch(&mut **t).await),
            TxConn::Postgres(t) => $crate::store::lift(sqlx::query_as::<_, Check>(PG)$(.bind($bind))*.$fetch(&mut **t).await),
        }
    }};
}

/// The read-only alias of a check: hex SHA-1 of the first 16 hex digits of its uuid,
/// as healthchecks.io computes it, so read-only clients see the same keys.
pub fn unique_key(uuid: &Uuid) -> String {
    use sha1::{Digest, Sha1};
    let simple = uuid.simple().to_string();
    hex::encode(Sha1::digest(&simple.as_bytes()[..16]))
}

/// Creates a check in `project_id`; with `all_channels`, every channel of the project is
/// assigned to it.
pub async fn create(
    tx: &mut Tx,
    project_id: ProjectId,
    config: &CheckConfig,
    all_channels: bool,
    now: DateTime<Utc>,
) -> Result<Check, StoreError> {
    const SQL: &str = concat!(
        "insert into checks (uuid, unique_key, project_id, name, slug, tags, descr, kind, timeout, \
         grace, schedule, tz, methods, manual_resume, filter_subject, filter_body, \
         filter_http_body, filter_default_fail, start_kw, success_kw, failure_kw, badge_key, \
         created) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
         $16, $17, $18, $19, $20, $21, $22, $23) returning ",
        check_columns!()
    );
    let uuid = Uuid::new_v4();
    let badge_key = Uuid::new_v4().to_string();
    let row = on_tx!(tx, c => sqlx::query_as::<_, Check>(SQL)
        .bind(uuid.to_string()).bind(unique_key(&uuid)).bind(project_id).bind(&config.name)
        .bind(&config.slug).bind(&config.tags).bind(&config.desc).bind(config.kind.as_str()).bind(config.timeout)
        .bind(config.grace).bind(&config.schedule).bind(&config.tz).bind(config.methods.as_str())
        .bind(config.manual_resume).bind(config.filter_subject).bind(config.filter_body)
        .bind(config.filter_http_body).bind(config.filter_default_fail).bind(&config.start_kw)
        .bind(&config.success_kw).bind(&config.failure_kw).bind(&badge_key).bind(Ts(now))
        .fetch_one(c).await)?;
    if all_channels {
        const ASSIGN: &str = "insert into check_channels (check_id, channel_id) \
                              select $1, id from channels where project_id = $2";
        on_tx!(tx, c => sqlx::query(ASSIGN).bind(row.id).bind(project_id).execute(c).await.map(|_| ()))?;
    }
    Ok(row)
}

pub async fn find_by_uuid(db: &Db, uuid: &Uuid) -> Result<Option<Check>, StoreError> {
    const SQL: &str = concat!("select ", check_columns!(), " from checks where uuid = $1");
    on_pool!(db, p => sqlx::query_as::<_, Check>(SQL).bind(uuid.to_string()).fetch_optional(p).await)
}

/// Loads a check by uuid for update (see `select_locked!`).
pub async fn lock_by_uuid(tx: &mut Tx, uuid: &Uuid) -> Result<Option<Check>, StoreError> {
    select_locked!(tx, fetch_optional, "uuid = $1", uuid.to_string())
}

/// Loads up to two checks with `slug` in the project, for update. Two means the slug is
/// ambiguous.
pub async fn lock_by_slug(
    tx: &mut Tx,
    project_id: ProjectId,
    slug: &str,
) -> Result<Vec<Check>, StoreError> {
    select_locked!(
        tx,
        fetch_all,
        "project_id = $1 and slug = $2 order by id limit 2",
        project_id,
        slug
    )
}

/// Stores a locked check's runtime columns (a state change no ping caused: pause, resume).
async fn save_state(tx: &mut Tx, row: &Check) -> Result<(), StoreError> {
    const SQL: &str = "update checks set status = $2, last_ping = $3, last_start = $4, \
                       last_start_rid = $5, last_duration_ms = $6, alert_after = $7 where id = $1";
    on_tx!(tx, c => sqlx::query(SQL)
        .bind(row.id).bind(row.status.as_str()).bind(opt(row.last_ping)).bind(opt(row.last_start))
        .bind(row.last_start_rid.map(|r| r.to_string())).bind(row.last_duration_ms)
        .bind(opt(row.alert_after))
        .execute(c).await.map(|_| ()))
}

/// Pauses a check. Returns `None` if there is no such check; pausing a paused check
/// changes nothing and records no flip.
pub async fn pause(db: &Db, uuid: &Uuid, now: DateTime<Utc>) -> Result<Option<Check>, StoreError> {
    let result = transition(db, uuid, |state| check::pause(state, now)).await?;
    Ok(result.map(|(row, _)| row))
}

/// Resumes a paused check (to `new`). `Err(NotPaused)` if it was not paused.
pub async fn resume(
    db: &Db,
    uuid: &Uuid,
    now: DateTime<Utc>,
) -> Result<Option<Result<Check, NotPaused>>, StoreError> {
    let result = transition(db, uuid, |state| check::resume(state, now).ok()).await?;
    Ok(result.map(|(row, flip)| flip.map(|_| row).ok_or(NotPaused)))
}

/// Loads and locks a check, applies `f`, and stores the new state and flip if it returns
/// one. `None` when there is no such check.
async fn transition<F>(
    db: &Db,
    uuid: &Uuid,
    f: F,
) -> Result<Option<(Check, Option<Flip>)>, StoreError>
where
    F: FnOnce(&CheckState) -> Option<(CheckState, Flip)>,
{
    let mut tx = db.begin_write().await?;
    let Some(mut row) = lock_by_uuid(&mut tx, uuid).await? else {
        return Ok(None);
    };
    let Some((state, flip)) = f(&row.state()) else {
        return Ok(Some((row, None)));
    };
    row.set_state(&state);
    save_state(&mut tx, &row).await?;
    super::flips::record(&mut tx, row.id, &flip).await?;
    tx.commit().await?;
    Ok(Some((row, Some(flip))))
}

async fn reload(tx: &mut Tx, id: CheckId) -> Result<Check, StoreError> {
    const SQL: &str = concat!("select ", check_columns!(), " from checks where id = $1");
    on_tx!(tx, c => sqlx::query_as::<_, Check>(SQL).bind(id).fetch_one(c).await)
}

/// Deletes a check and everything recorded for it.
pub async fn delete(db: &Db, id: CheckId) -> Result<(), StoreError> {
    on_pool!(db, p => sqlx::query("delete from checks where id = $1").bind(id).execute(p).await.map(|_| ()))
}

/// How many checks the projects owned by `owner_id` hold together.
pub async fn count_owned_by(tx: &mut Tx, owner_id: UserId) -> Result<i64, StoreError> {
    const SQL: &str = "select count(*) from checks c join projects p on p.id = c.project_id \
                       where p.owner_id = $1";
    on_tx!(tx, c => sqlx::query_scalar::<_, i64>(SQL).bind(owner_id).fetch_one(c).await)
}

/// Whether the project with this ping key has a check with this slug.
pub async fn exists_by_slug(db: &Db, ping_key: &str, slug: &str) -> Result<bool, StoreError> {
    const SQL: &str = "select count(*) from checks c join projects p on p.id = c.project_id \
                       where p.ping_key_hash = $1 and c.slug = $2";
    let digest = crate::domain::keys::digest(ping_key);
    let n = on_pool!(db, p => sqlx::query_scalar::<_, i64>(SQL).bind(&digest).bind(slug).fetch_one(p).await)?;
    Ok(n > 0)
}

pub async fn find_by_id(db: &Db, id: CheckId) -> Result<Option<Check>, StoreError> {
    const SQL: &str = concat!("select ", check_columns!(), " from checks where id = $1");
    on_pool!(db, p => sqlx::query_as::<_, Check>(SQL).bind(id).fetch_optional(p).await)
}

/// The ids of a project's checks with this slug.
pub async fn ids_by_slug(
    db: &Db,
    project_id: ProjectId,
    slug: &str,
) -> Result<Vec<CheckId>, StoreError> {
    const SQL: &str = "select id from checks where project_id = $1 and slug = $2 order by id";
    on_pool!(db, p => sqlx::query_scalar::<_, CheckId>(SQL).bind(project_id).bind(slug).fetch_all(p).await)
}

/// The ids of the channels assigned to a check.
pub async fn channel_ids(db: &Db, check_id: CheckId) -> Result<Vec<ChannelId>, StoreError> {
    const SQL: &str =
        "select channel_id from check_channels where check_id = $1 order by channel_id";
    on_pool!(db, p => sqlx::query_scalar::<_, ChannelId>(SQL).bind(check_id).fetch_all(p).await)
}

/// A project's checks, oldest first.
pub async fn list_by_project(db: &Db, project_id: ProjectId) -> Result<Vec<Check>, StoreError> {
    const SQL: &str = concat!(
        "select ",
        check_columns!(),
        " from checks where project_id = $1 order by id"
    );
    on_pool!(db, p => sqlx::query_as::<_, Check>(SQL).bind(project_id).fetch_all(p).await)
}

/// A check of the project by its read-only alias.
pub async fn find_by_unique_key(
    db: &Db,
    project_id: ProjectId,
    unique_key: &str,
) -> Result<Option<Check>, StoreError> {
    const SQL: &str = concat!(
        "select ",
        check_columns!(),
        " from checks where project_id = $1 and unique_key = $2 order by id limit 1"
    );
    on_pool!(db, p => sqlx::query_as::<_, Check>(SQL).bind(project_id).bind(unique_key).fetch_optional(p).await)
}

/// Stores a new configuration for a locked check and recomputes its deadline under the
/// new schedule; returns the updated row.
pub async fn save_config(
    tx: &mut Tx,
    id: CheckId,
    config: &CheckConfig,
) -> Result<Check, StoreError> {
    const SQL: &str = "update checks set name = $2, slug = $3, tags = $4, descr = $5, kind = $6, \
                       timeout = $7, grace = $8, schedule = $9, tz = $10, methods = $11, \
                       manual_resume = $12, filter_subject = $13, filter_body = $14, \
                       filter_http_body = $15, filter_default_fail = $16, start_kw = $17, \
                       success_kw = $18, failure_kw = $19 where id = $1";
    on_tx!(tx, c => sqlx::query(SQL)
        .bind(id).bind(&config.name).bind(&config.slug).bind(&config.tags).bind(&config.desc)
        .bind(config.kind.as_str()).bind(config.timeout).bind(config.grace).bind(&config.schedule)
        .bind(&config.tz).bind(config.methods.as_str()).bind(config.manual_resume)
        .bind(config.filter_subject).bind(config.filter_body).bind(config.filter_http_body)
        .bind(config.filter_default_fail).bind(&config.start_kw).bind(&config.success_kw)
        .bind(&config.failure_kw)
        .execute(c).await.map(|_| ()))?;
    let mut row = reload(tx, id).await?;
    let before = row.alert_after;
    row.set_state(&row.state());
    if row.alert_after != before {
        const DEADLINE: &str = "update checks set alert_after = $2 where id = $1";
        on_tx!(tx, c => sqlx::query(DEADLINE).bind(id).bind(opt(row.alert_after)).execute(c).await.map(|_| ()))?;
    }
    Ok(row)
}

/// Replaces the channels assigned to a check.
pub async fn set_channels(
    tx: &mut Tx,
    check_id: CheckId,
    channel_ids: &[ChannelId],
) -> Result<(), StoreError> {
    const CLEAR: &str = "delete from check_channels where check_id = $1";
    const ADD: &str = "insert into check_channels (check_id, channel_id) values ($1, $2)";
    on_tx!(tx, c => sqlx::query(CLEAR).bind(check_id).execute(c).await.map(|_| ()))?;
    for channel_id in channel_ids {
        on_tx!(tx, c => sqlx::query(ADD).bind(check_id).bind(channel_id).execute(c).await.map(|_| ()))?;
    }
    Ok(())
}

/// The uuids of the channels assigned to each check of a project, sorted.
pub async fn channel_uuids_by_check(
    db: &Db,
    project_id: ProjectId,
) -> Result<std::collections::HashMap<CheckId, Vec<String>>, StoreError> {
    const SQL: &str = "select cc.check_id, ch.uuid from check_channels cc \
                       join channels ch on ch.id = cc.channel_id \
                       where ch.project_id = $1 order by cc.check_id, ch.uuid";
    let rows = on_pool!(db, p => sqlx::query_as::<_, (CheckId, String)>(SQL).bind(project_id).fetch_all(p).await)?;
    let mut map: std::collections::HashMap<CheckId, Vec<String>> = std::collections::HashMap::new();
    for (check_id, uuid) in rows {
        map.entry(check_id).or_default().push(uuid);
    }
    Ok(map)
}

/// Loads a check by id for update (see `select_locked!`).
pub async fn lock_by_id(tx: &mut Tx, id: CheckId) -> Result<Option<Check>, StoreError> {
    select_locked!(tx, fetch_optional, "id = $1", id)
}

/// A project's checks, inside a transaction (for `unique` upserts).
pub async fn list_by_project_tx(
    tx: &mut Tx,
    project_id: ProjectId,
) -> Result<Vec<Check>, StoreError> {
    const SQL: &str = concat!(
        "select ",
        check_columns!(),
        " from checks where project_id = $1 order by id"
    );
    on_tx!(tx, c => sqlx::query_as::<_, Check>(SQL).bind(project_id).fetch_all(c).await)
}
