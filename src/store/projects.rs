//! Projects, their members and their keys.

use super::{Db, Ts, Tx, TxConn, on_pool, on_tx};
use crate::domain::ids::{ProjectId, UserId};
use crate::domain::keys;
use crate::store::StoreError;
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProjectRow {
    pub id: ProjectId,
    pub uuid: String,
    pub name: String,
    pub owner_id: UserId,
}

/// A new project and its secrets, which exist in clear only here.
#[derive(Debug, Clone, Serialize)]
pub struct CreatedProject {
    #[serde(skip)]
    pub id: ProjectId,
    pub uuid: String,
    pub name: String,
    pub ping_key: String,
    pub api_key: String,
    pub api_key_readonly: String,
}

/// Creates a project owned by `owner_id`, with a ping key and a read-write and a
/// read-only API key.
pub async fn create(
    db: &Db,
    owner_id: UserId,
    name: &str,
    now: DateTime<Utc>,
) -> Result<CreatedProject, StoreError> {
    let created = CreatedProject {
        id: ProjectId(0),
        uuid: Uuid::new_v4().to_string(),
        name: name.to_string(),
        ping_key: keys::new_ping_key(),
        api_key: keys::new_api_key(false),
        api_key_readonly: keys::new_api_key(true),
    };
    let mut tx = db.begin_write().await?;
    const PROJECT: &str = "insert into projects (uuid, name, owner_id, ping_key_hash, badge_key, created) \
                           values ($1, $2, $3, $4, $5, $6) returning id";
    let id = on_tx!(&mut tx, c => sqlx::query_scalar::<_, ProjectId>(PROJECT)
        .bind(&created.uuid).bind(name).bind(owner_id).bind(keys::digest(&created.ping_key))
        .bind(Uuid::new_v4().to_string()).bind(Ts(now))
        .fetch_one(c).await)?;
    const MEMBER: &str =
        "insert into memberships (user_id, project_id, role) values ($1, $2, 'owner')";
    on_tx!(&mut tx, c => sqlx::query(MEMBER).bind(owner_id).bind(id).execute(c).await.map(|_| ()))?;
    const KEY: &str =
        "insert into api_keys (project_id, read_only, key_hash, created) values ($1, $2, $3, $4)";
    for (key, read_only) in [(&created.api_key, false), (&created.api_key_readonly, true)] {
        on_tx!(&mut tx, c => sqlx::query(KEY)
            .bind(id).bind(read_only).bind(keys::digest(key)).bind(Ts(now))
            .execute(c).await.map(|_| ()))?;
    }
    tx.commit().await?;
    Ok(CreatedProject { id, ..created })
}

/// Finds the project a ping key belongs to. With `lock` (used when the ping may create a
/// check) the project row is locked on PostgreSQL, so two pings racing to auto-create
/// the same slug create it once.
pub async fn lock_by_ping_key(
    tx: &mut Tx,
    ping_key: &str,
    lock: bool,
) -> Result<Option<ProjectRow>, StoreError> {
    const SQL: &str = "select id, uuid, name, owner_id from projects where ping_key_hash = $1";
    const LOCKING: &str =
        "select id, uuid, name, owner_id from projects where ping_key_hash = $1 for update";
    let digest = keys::digest(ping_key);
    Ok(match &mut tx.0 {
        TxConn::Postgres(t) if lock => {
            sqlx::query_as::<_, ProjectRow>(LOCKING)
                .bind(digest)
                .fetch_optional(&mut **t)
                .await?
        }
        _ => {
            on_tx!(tx, c => sqlx::query_as::<_, ProjectRow>(SQL).bind(&digest).fetch_optional(c).await)?
        }
    })
}

pub async fn find_by_uuid(db: &Db, uuid: &str) -> Result<Option<ProjectRow>, StoreError> {
    const SQL: &str = "select id, uuid, name, owner_id from projects where uuid = $1";
    on_pool!(db, p => sqlx::query_as::<_, ProjectRow>(SQL).bind(uuid).fetch_optional(p).await)
}

/// The project an API key belongs to, and whether the key is read-only.
pub async fn find_by_api_key(db: &Db, key: &str) -> Result<Option<(ProjectId, bool)>, StoreError> {
    const SQL: &str = "select project_id, read_only from api_keys where key_hash = $1";
    let digest = keys::digest(key);
    on_pool!(db, p => sqlx::query_as::<_, (ProjectId, bool)>(SQL).bind(&digest).fetch_optional(p).await)
}

/// The owner of a project.
pub async fn owner_of(tx: &mut Tx, project_id: ProjectId) -> Result<UserId, StoreError> {
    const SQL: &str = "select owner_id from projects where id = $1";
    on_tx!(tx, c => sqlx::query_scalar::<_, UserId>(SQL).bind(project_id).fetch_one(c).await)
}

/// A project's name.
pub async fn name_of(db: &Db, project_id: ProjectId) -> Result<String, StoreError> {
    const SQL: &str = "select name from projects where id = $1";
    on_pool!(db, p => sqlx::query_scalar::<_, String>(SQL).bind(project_id).fetch_one(p).await)
}
