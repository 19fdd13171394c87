//! Creating, upserting and changing checks.

use super::Error;
use crate::domain::check_config::CheckConfig;
use crate::domain::check_update::CheckUpdate;
use crate::state::AppState;
use crate::store::checks::{self, CheckRow};
use crate::store::{Tx, channels, projects};

/// Whether [`create`] made a new check or found one that `unique` matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    Created,
    Updated,
}

/// Creates a check in the project, or, when the update names `unique` fields and a check
/// of the project matches them, applies the update to that check instead. A new check
/// counts against the project owner's check limit. `api_version` decides the v1/v2
/// conveniences (a slug derived from the name).
pub async fn create(
    app: &AppState,
    project_id: i64,
    update: &CheckUpdate,
    api_version: u8,
) -> Result<(CheckRow, Saved), Error> {
    let selection = channel_selection(app, project_id, update).await?;
    let mut tx = app.db.begin_write().await?;
    let existing = if update.unique_fields_present() {
        checks::list_by_project_tx(&mut tx, project_id)
            .await?
            .into_iter()
            .find(|row| update.matches_unique(&row.config()))
    } else {
        None
    };
    let (row, saved) = match existing {
        Some(row) => (
            apply(&mut tx, row, update, api_version).await?,
            Saved::Updated,
        ),
        None => {
            let owner = projects::owner_of(&mut tx, project_id).await?;
            if checks::count_owned_by(&mut tx, owner).await? >= app.config.check_limit {
                return Err(Error::Limit("checks limit exceeded"));
            }
            let mut config = CheckConfig::default();
            update.apply(&mut config, api_version);
            let row = checks::create(&mut tx, project_id, &config, false, app.clock.now()).await?;
            (row, Saved::Created)
        }
    };
    if let Some(ids) = &selection {
        checks::set_channels(&mut tx, row.id, ids).await?;
    }
    tx.commit().await?;
    Ok((row, saved))
}

/// Applies an update to a check of the project.
pub async fn update(
    app: &AppState,
    check: &CheckRow,
    update: &CheckUpdate,
    api_version: u8,
) -> Result<CheckRow, Error> {
    let selection = channel_selection(app, check.project_id, update).await?;
    let mut tx = app.db.begin_write().await?;
    // Locked again: it may have been deleted since the caller found it.
    let row = checks::lock_by_id(&mut tx, check.id)
        .await?
        .ok_or(Error::NotFound)?;
    let row = apply(&mut tx, row, update, api_version).await?;
    if let Some(ids) = &selection {
        checks::set_channels(&mut tx, row.id, ids).await?;
    }
    tx.commit().await?;
    Ok(row)
}

async fn apply(
    tx: &mut Tx,
    row: CheckRow,
    update: &CheckUpdate,
    api_version: u8,
) -> Result<CheckRow, Error> {
    let mut config = row.config();
    if update.apply(&mut config, api_version) {
        Ok(checks::save_config(tx, row.id, &config).await?)
    } else {
        Ok(row)
    }
}

/// The channel ids an update's `channels` field selects, if it has one.
async fn channel_selection(
    app: &AppState,
    project_id: i64,
    update: &CheckUpdate,
) -> Result<Option<Vec<i64>>, Error> {
    let Some(spec) = &update.channels else {
        return Ok(None);
    };
    let available = channels::list(&app.db, project_id).await?;
    channels::select(spec, &available)
        .map(Some)
        .map_err(Error::Invalid)
}
