//! Lookups for badges and the Prometheus exporter: projects by their secret badge key,
//! checks by theirs.

use super::checks::{Check, check_columns};
use super::{Db, on_pool};
use crate::domain::ids::ProjectId;
use crate::store::StoreError;

/// A project as a badge sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BadgeProject {
    pub id: ProjectId,
    pub badge_key: String,
}

pub async fn project_by_badge_key(
    db: &Db,
    badge_key: &str,
) -> Result<Option<BadgeProject>, StoreError> {
    const SQL: &str = "select id, badge_key from projects where badge_key = $1";
    on_pool!(db, p => sqlx::query_as::<_, BadgeProject>(SQL).bind(badge_key).fetch_optional(p).await)
}

/// A project's badge key, by the project's id.
pub async fn project_badge_key(
    db: &Db,
    project_id: ProjectId,
) -> Result<Option<String>, StoreError> {
    const SQL: &str = "select badge_key from projects where id = $1";
    on_pool!(db, p => sqlx::query_scalar::<_, String>(SQL).bind(project_id).fetch_optional(p).await)
}

/// A project's id, by its public uuid.
pub async fn project_id_by_uuid(db: &Db, uuid: &str) -> Result<Option<ProjectId>, StoreError> {
    const SQL: &str = "select id from projects where uuid = $1";
    on_pool!(db, p => sqlx::query_scalar::<_, ProjectId>(SQL).bind(uuid).fetch_optional(p).await)
}

pub async fn check_by_badge_key(db: &Db, badge_key: &str) -> Result<Option<Check>, StoreError> {
    const SQL: &str = concat!(
        "select ",
        check_columns!(),
        " from checks where badge_key = $1"
    );
    on_pool!(db, p => sqlx::query_as::<_, Check>(SQL).bind(badge_key).fetch_optional(p).await)
}
