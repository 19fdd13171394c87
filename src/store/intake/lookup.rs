//! The checks a batch pings, as the batch changes them. By uuid, all in one select (none
//! for the rows the SQLite writer holds), locked in id order on PostgreSQL so that
//! concurrent batches do not deadlock over them; by slug, one lookup for each slug the
//! batch names, which with `?create=1` may create the check.

use super::cache::CheckCache;
use super::{AutoCreate, AutoCreateLimit, PingJob, Recorded, Target, sql};
use crate::domain::ids::CheckId;
use crate::domain::ids::ProjectId;
use crate::store::checks::{self, Check, CheckConfig};
use crate::store::{StoreError, Ts, Tx, channels, on_tx, projects};
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use std::collections::HashMap;

/// The rows of the checks a batch pings: what the state machine reads and changes in
/// memory, and what the batch writes back.
#[derive(Default)]
pub(super) struct Rows {
    rows: Vec<Check>,
    by_uuid: HashMap<String, usize>,
    by_id: HashMap<CheckId, usize>,
    /// Slugs looked up already, by ping key and slug.
    by_slug: HashMap<(String, String), usize>,
}

/// A ping's check, or why the ping is not stored.
pub(super) enum Found {
    Check {
        /// Where the row is in [`Rows`].
        index: usize,
        /// This ping created the check (`?create=1`).
        created: bool,
    },
    Not(Recorded),
}

impl Rows {
    /// Loads the checks that `jobs` name by uuid: from `cache` where it has them, the
    /// others in one select.
    pub(super) async fn load(
        tx: &mut Tx,
        jobs: &[&PingJob],
        cache: Option<&CheckCache>,
    ) -> Result<Rows, StoreError> {
        let mut uuids: Vec<&str> = jobs
            .iter()
            .filter_map(|job| match &job.target {
                Target::Uuid(uuid) => Some(uuid.as_str()),
                Target::Slug { .. } => None,
            })
            .collect();
        uuids.sort_unstable();
        uuids.dedup();
        let mut rows = Rows::default();
        let mut missing = Vec::new();
        for uuid in uuids {
            match cache.and_then(|c| c.get(uuid)) {
                Some(row) => {
                    rows.insert(row.clone());
                }
                None => missing.push(uuid),
            }
        }
        if !missing.is_empty() {
            for row in sql::lock_by_uuids(tx, &missing).await? {
                rows.insert(row);
            }
        }
        Ok(rows)
    }

    /// Finds the check a ping is for. Call in arrival order: a ping by slug may create
    /// its check, which later pings by the same slug then find.
    pub(super) async fn find(
        &mut self,
        tx: &mut Tx,
        job: &PingJob,
        limit: AutoCreateLimit,
    ) -> Result<Found, StoreError> {
        match &job.target {
            Target::Uuid(uuid) => Ok(match self.by_uuid.get(uuid) {
                Some(&index) => Found::Check {
                    index,
                    created: false,
                },
                None => Found::Not(Recorded::NotFound),
            }),
            Target::Slug {
                ping_key,
                slug,
                create,
            } => {
                self.find_by_slug(tx, ping_key, slug, create.as_deref(), limit, job.now)
                    .await
            }
        }
    }

    async fn find_by_slug(
        &mut self,
        tx: &mut Tx,
        ping_key: &str,
        slug: &str,
        create: Option<&AutoCreate>,
        limit: AutoCreateLimit,
        now: DateTime<Utc>,
    ) -> Result<Found, StoreError> {
        let key = (ping_key.to_string(), slug.to_string());
        if let Some(&index) = self.by_slug.get(&key) {
            return Ok(Found::Check {
                index,
                created: false,
            });
        }
        let Some(project) = projects::lock_by_ping_key(tx, ping_key, create.is_some()).await?
        else {
            return Ok(Found::Not(Recorded::NotFound));
        };
        let mut found = checks::lock_by_slug(tx, project.id, slug).await?;
        if found.len() > 1 {
            return Ok(Found::Not(Recorded::AmbiguousSlug));
        }
        let (row, created) = match (found.pop(), create) {
            (Some(row), _) => (row, false),
            (None, None) => return Ok(Found::Not(Recorded::NotFound)),
            (None, Some(auto)) => {
                if checks::count_owned_by(tx, project.owner_id).await? >= limit.max_owned_checks {
                    return Ok(Found::Not(Recorded::NotFound));
                }
                if !take_creation(tx, project.id, now, limit.per_minute).await? {
                    return Ok(Found::Not(Recorded::CreationRateLimited));
                }
                let available = channels::list_tx(tx, project.id).await?;
                let channel_ids = match channels::select(&auto.channels, &available) {
                    Ok(ids) => ids,
                    Err(message) => return Ok(Found::Not(Recorded::BadChannels(message))),
                };
                let config = CheckConfig {
                    name: slug.to_string(),
                    slug: slug.to_string(),
                    ..auto.config.clone()
                };
                let row = checks::create(tx, project.id, &config, false, now).await?;
                checks::set_channels(tx, row.id, &channel_ids).await?;
                (row, true)
            }
        };
        let index = self.insert(row);
        self.by_slug.insert(key, index);
        Ok(Found::Check { index, created })
    }

    /// Adds a row, unless the batch holds it already: then the batch's copy, which
    /// earlier pings may have changed, is the one that counts.
    fn insert(&mut self, row: Check) -> usize {
        if let Some(&index) = self.by_id.get(&row.id) {
            return index;
        }
        let index = self.rows.len();
        self.by_uuid.insert(row.uuid.to_string(), index);
        self.by_id.insert(row.id, index);
        self.rows.push(row);
        index
    }

    pub(super) fn get_mut(&mut self, index: usize) -> Option<&mut Check> {
        self.rows.get_mut(index)
    }

    /// Every row, each pinged at least once by the batch.
    pub(super) fn all(&self) -> &[Check] {
        &self.rows
    }

    pub(super) fn into_rows(self) -> Vec<Check> {
        self.rows
    }
}

/// Counts a creation against the project's allowance for the current minute (in the
/// table every process shares); false once the allowance is spent.
async fn take_creation(
    tx: &mut Tx,
    project: ProjectId,
    now: DateTime<Utc>,
    per_minute: i64,
) -> Result<bool, StoreError> {
    const SQL: &str = "insert into rate_windows (key, window_start, count) values ($1, $2, 1) \
        on conflict (key, window_start) do update set count = rate_windows.count + 1 \
        returning count";
    let key = format!("create:{}", project.0);
    let minute = now.duration_trunc(TimeDelta::minutes(1)).unwrap_or(now);
    let count: i64 =
        on_tx!(tx, c => sqlx::query_scalar(SQL).bind(&key).bind(Ts(minute)).fetch_one(c).await)?;
    Ok(count <= per_minute)
}
