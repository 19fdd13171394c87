//! Creating, upserting and changing checks.

use super::Error;
use crate::domain::check_update::CheckUpdate;
use crate::domain::ids::{ChannelId, ProjectId};
use crate::state::AppState;
use crate::store::channels;
use crate::store::check_edits::{self, Edit, Upserted};
use crate::store::checks::Check;

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
    project_id: ProjectId,
    update: &CheckUpdate,
    api_version: u8,
) -> Result<(Check, Saved), Error> {
    let channels = channel_selection(app, project_id, update).await?;
    let apply = |config: &mut _| update.apply(config, api_version);
    let matches = |config: &_| update.matches_unique(config);
    let edit = Edit {
        apply: &apply,
        channels: channels.as_deref(),
    };
    let upserted = check_edits::upsert(
        &app.db,
        project_id,
        update.unique_fields_present().then_some(&matches),
        edit,
        app.config.check_limit,
        app.clock.now(),
    )
    .await?;
    match upserted {
        Upserted::Created(row) => Ok((row, Saved::Created)),
        Upserted::Updated(row) => Ok((row, Saved::Updated)),
        Upserted::LimitReached => Err(Error::Limit("checks limit exceeded")),
    }
}

/// Applies an update to a check.
pub async fn update(
    app: &AppState,
    check: &Check,
    update: &CheckUpdate,
    api_version: u8,
) -> Result<Check, Error> {
    let channels = channel_selection(app, check.project_id, update).await?;
    let apply = |config: &mut _| update.apply(config, api_version);
    let edit = Edit {
        apply: &apply,
        channels: channels.as_deref(),
    };
    check_edits::edit(&app.db, check.id, edit)
        .await?
        .ok_or(Error::NotFound)
}

/// The channel ids an update's `channels` field selects, if it has one.
async fn channel_selection(
    app: &AppState,
    project_id: ProjectId,
    update: &CheckUpdate,
) -> Result<Option<Vec<ChannelId>>, Error> {
    let Some(spec) = &update.channels else {
        return Ok(None);
    };
    let available = channels::list(&app.db, project_id).await?;
    channels::select(spec, &available)
        .map(Some)
        .map_err(Error::Invalid)
}
