//! The transactions behind creating, upserting and editing a check's configuration, each
//! one function that begins, reads, writes and commits. What to change comes from the
//! caller as plain functions (does a check match the request's `unique` fields? what does
//! the request change?), so the decisions stay with the use case and the domain.

use super::checks::{self, Check};
use super::{Db, StoreError, Tx, projects};
use crate::domain::check_config::CheckConfig;
use crate::domain::ids::{ChannelId, CheckId, ProjectId};
use chrono::{DateTime, Utc};

/// A change to a check's configuration and channels.
#[derive(Clone, Copy)]
pub struct Edit<'a> {
    /// Applies the requested change to a configuration; says whether anything changed.
    pub apply: &'a (dyn Fn(&mut CheckConfig) -> bool + Sync),
    /// The channels to assign instead of the current ones, when the request names them.
    pub channels: Option<&'a [ChannelId]>,
}

/// What [`upsert`] did.
#[derive(Debug)]
pub enum Upserted {
    Created(Check),
    /// A check of the project matched and was changed.
    Updated(Check),
    /// Nothing matched, and the project's owner already has `check_limit` checks.
    LimitReached,
}

/// Changes the first check of the project that `matches` accepts or, when none does (or
/// `matches` is `None`), creates one from the default configuration, within the owner's
/// check limit.
pub async fn upsert(
    db: &Db,
    project_id: ProjectId,
    matches: Option<&(dyn Fn(&CheckConfig) -> bool + Sync)>,
    edit: Edit<'_>,
    check_limit: i64,
    now: DateTime<Utc>,
) -> Result<Upserted, StoreError> {
    let mut tx = db.begin_write().await?;
    let existing = match matches {
        Some(matches) => checks::list_by_project_tx(&mut tx, project_id)
            .await?
            .into_iter()
            .find(|row| matches(&row.config())),
        None => None,
    };
    let upserted = match existing {
        Some(row) => Upserted::Updated(apply(&mut tx, row, edit).await?),
        None => {
            let owner = projects::owner_of(&mut tx, project_id).await?;
            if checks::count_owned_by(&mut tx, owner).await? >= check_limit {
                return Ok(Upserted::LimitReached);
            }
            let mut config = CheckConfig::default();
            (edit.apply)(&mut config);
            let row = checks::create(&mut tx, project_id, &config, false, now).await?;
            if let Some(ids) = edit.channels {
                checks::set_channels(&mut tx, row.id, ids).await?;
            }
            Upserted::Created(row)
        }
    };
    tx.commit().await?;
    Ok(upserted)
}

/// Changes one check; `None` when it no longer exists.
pub async fn edit(db: &Db, check_id: CheckId, edit: Edit<'_>) -> Result<Option<Check>, StoreError> {
    let mut tx = db.begin_write().await?;
    let Some(row) = checks::lock_by_id(&mut tx, check_id).await? else {
        return Ok(None);
    };
    let row = apply(&mut tx, row, edit).await?;
    tx.commit().await?;
    Ok(Some(row))
}

async fn apply(tx: &mut Tx, row: Check, edit: Edit<'_>) -> Result<Check, StoreError> {
    let mut config = row.config();
    let row = if (edit.apply)(&mut config) {
        checks::save_config(tx, row.id, &config).await?
    } else {
        row
    };
    if let Some(ids) = edit.channels {
        checks::set_channels(tx, row.id, ids).await?;
    }
    Ok(row)
}
