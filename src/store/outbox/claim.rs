//! Claiming due notifications: the rows a worker could take (due, held by nobody, in a
//! fair order), the rows in flight in any process, and the lease on the rows it chose
//! (`domain::fairness` chooses). A lease is re-checked as it is taken, so two workers
//! never hold one row; on PostgreSQL they skip each other's locked rows.

use crate::domain::channel_config::ChannelKind;
use crate::domain::check::Status;
use crate::domain::fairness::{Limits, Row};
use crate::domain::ids::{ChannelId, CheckId, ProjectId};
use crate::store::StoreError;
use crate::store::{Db, Pool, Ts, on_pool};
use chrono::{DateTime, Utc};

/// A row leased to this worker.
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

#[derive(Debug, Clone, sqlx::FromRow)]
struct Candidate {
    id: i64,
    check_id: CheckId,
    channel_id: ChannelId,
    project_id: ProjectId,
    #[sqlx(try_from = "String")]
    kind: ChannelKind,
}

impl From<Candidate> for Row {
    fn from(c: Candidate) -> Row {
        Row {
            id: c.id,
            check: c.check_id,
            channel: c.channel_id,
            project: c.project_id,
            kind: c.kind,
        }
    }
}

/// Most rows one look at the outbox returns.
const CANDIDATES: i64 = 1_000;

/// The candidates query, with how a backend excludes a list of ids (`$5`: channels,
/// `$6`: projects).
macro_rules! candidates_sql {
    ($not_channels:literal, $not_projects:literal) => {
        concat!(
            "select id, check_id, channel_id, project_id, kind from ( \
             select c.id, c.check_id, c.channel_id, c.project_id, c.kind, c.due_at, \
             row_number() over (partition by c.project_id order by c.channel_rank, c.due_at, c.id) as project_rank \
             from ( \
             select n.id, n.check_id, n.channel_id, ch.project_id, ch.kind, n.due_at, \
             row_number() over (partition by n.channel_id order by n.due_at, n.id) as channel_rank \
             from notifications n join channels ch on ch.id = n.channel_id \
             where n.done_at is null and n.due_at <= $1 and (n.leased_until is null or n.leased_until <= $1) \
             and ",
            $not_channels,
            " and ",
            $not_projects,
            " ) c where c.channel_rank <= $2 \
             ) r where r.project_rank <= $3 \
             order by r.project_rank, r.due_at, r.id limit $4"
        )
    };
}

/// Due rows that nobody holds, served round-robin: the first row of every project, then
/// the second, and so on; within a project, round-robin over its channels; earliest
/// first within each round. A channel contributes at most as many rows as one choice can
/// take from it, and a project as many as its channels could, so a tenant with
/// thousands of rows waiting cannot push another's first row out of the list. Rows of
/// the channels and projects named (those with no send to spare) are left out.
pub async fn candidates(
    db: &Db,
    now: DateTime<Utc>,
    limits: &Limits,
    (not_channels, not_projects): (&[ChannelId], &[ProjectId]),
) -> Result<Vec<Row>, StoreError> {
    const SQLITE: &str = candidates_sql!(
        "n.channel_id not in (select value from json_each($5))",
        "ch.project_id not in (select value from json_each($6))"
    );
    const PG: &str = candidates_sql!(
        "not (n.channel_id = any($5))",
        "not (ch.project_id = any($6))"
    );
    let per_channel = i64::try_from(limits.per_channel.max(limits.digest_rows)).unwrap_or(i64::MAX);
    let per_project = i64::try_from(limits.per_project.max(limits.digest_rows)).unwrap_or(i64::MAX);
    let channels: Vec<i64> = not_channels.iter().map(|c| c.0).collect();
    let projects: Vec<i64> = not_projects.iter().map(|p| p.0).collect();
    let rows = match &db.0 {
        Pool::Sqlite(p) => {
            sqlx::query_as::<_, Candidate>(SQLITE)
                .bind(Ts(now))
                .bind(per_channel)
                .bind(per_project)
                .bind(CANDIDATES)
                .bind(json_list(&channels))
                .bind(json_list(&projects))
                .fetch_all(p)
                .await?
        }
        Pool::Postgres(p) => {
            sqlx::query_as::<_, Candidate>(PG)
                .bind(Ts(now))
                .bind(per_channel)
                .bind(per_project)
                .bind(CANDIDATES)
                .bind(&channels)
                .bind(&projects)
                .fetch_all(p)
                .await?
        }
    };
    Ok(rows.into_iter().map(Row::from).collect())
}

/// Ids as a JSON array, for SQLite's `json_each`.
fn json_list(ids: &[i64]) -> String {
    serde_json::to_string(ids).unwrap_or_else(|_| "[]".into())
}

/// A cheap summary of the outbox that changes when a row may have become claimable: the
/// newest row, and when the next row not due yet comes due (a retry, a postponement, a
/// flapping check's next message).
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct Watermark {
    newest: Option<i64>,
    next_due: Option<Ts>,
}

impl Watermark {
    /// Whether the outbox looks as it did when `self` was taken (`current` being how it
    /// looks now), and nothing came due by `now`.
    pub fn unchanged(&self, current: &Watermark, now: DateTime<Utc>) -> bool {
        self == current && self.next_due.is_none_or(|t| t.0 > now)
    }
}

pub async fn watermark(db: &Db, now: DateTime<Utc>) -> Result<Watermark, StoreError> {
    const SQL: &str = "select (select max(id) from notifications) as newest, \
        (select min(due_at) from notifications where done_at is null and due_at > $1) as next_due";
    on_pool!(db, p => sqlx::query_as::<_, Watermark>(SQL).bind(Ts(now)).fetch_one(p).await)
}

/// Rows leased to a send right now, by any worker.
pub async fn in_flight(db: &Db, now: DateTime<Utc>) -> Result<Vec<Row>, StoreError> {
    const SQL: &str = "select n.id, n.check_id, n.channel_id, ch.project_id, ch.kind \
        from notifications n join channels ch on ch.id = n.channel_id \
        where n.done_at is null and n.leased_until > $1";
    let rows =
        on_pool!(db, p => sqlx::query_as::<_, Candidate>(SQL).bind(Ts(now)).fetch_all(p).await)?;
    Ok(rows.into_iter().map(Row::from).collect())
}

/// Leases the rows among `ids` that are still due and free until `lease_until`, and
/// returns them (in no particular order): a row another worker took meanwhile is left
/// out.
pub async fn lease(
    db: &Db,
    ids: &[i64],
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> Result<Vec<Claimed>, StoreError> {
    const SQLITE: &str = "update notifications set leased_until = $2, attempts = attempts + 1 \
        where id in (select value from json_each($3)) and done_at is null and due_at <= $1 \
        and (leased_until is null or leased_until <= $1) \
        returning id, check_id, channel_id, flip_id, status, created, attempts";
    const PG: &str = "update notifications set leased_until = $2, attempts = attempts + 1 \
        where id in (select id from notifications where id = any($3) and done_at is null \
        and due_at <= $1 and (leased_until is null or leased_until <= $1) for update skip locked) \
        returning id, check_id, channel_id, flip_id, status, created, attempts";
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(match &db.0 {
        Pool::Sqlite(p) => {
            sqlx::query_as::<_, Claimed>(SQLITE)
                .bind(Ts(now))
                .bind(Ts(lease_until))
                .bind(json_list(ids))
                .fetch_all(p)
                .await?
        }
        Pool::Postgres(p) => {
            sqlx::query_as::<_, Claimed>(PG)
                .bind(Ts(now))
                .bind(Ts(lease_until))
                .bind(ids)
                .fetch_all(p)
                .await?
        }
    })
}
