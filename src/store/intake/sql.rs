//! The statements of a batch, each one whatever the batch's size: one select for the
//! checks named by uuid, one for the open starts of runs that overlap (only when a batch
//! completes such a run), then one update for the checks and one insert for the pings (on
//! SQLite, both in one round trip). The lists go in as JSON unpacked by `jsonb_each` on
//! SQLite and as arrays unpacked by `unnest` on PostgreSQL.

use crate::domain::ids::CheckId;
use crate::domain::ping::PingKind;
use crate::store::checks::{Check, check_columns};
use crate::store::{StoreError, Ts, Tx, TxConn};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use std::collections::HashMap;
use uuid::Uuid;

use super::PingJob;

/// A ping row waiting to be inserted.
pub(super) struct NewPing<'a> {
    pub check_id: CheckId,
    pub n: i64,
    pub kind: PingKind,
    pub job: &'a PingJob,
    pub duration_ms: Option<i64>,
}

/// The checks with these uuids, locked in id order on PostgreSQL so concurrent batches
/// cannot deadlock over them (SQLite's `begin immediate` already serialises writers).
pub(super) async fn lock_by_uuids(tx: &mut Tx, uuids: &[&str]) -> Result<Vec<Check>, StoreError> {
    const SQLITE: &str = concat!(
        "select ",
        check_columns!(),
        " from checks where uuid in (select value from json_each($1))"
    );
    const PG: &str = concat!(
        "select ",
        check_columns!(),
        " from checks where uuid = any($1) order by id for update"
    );
    Ok(match &mut tx.0 {
        TxConn::Sqlite(t) => {
            sqlx::query_as::<_, Check>(SQLITE)
                .bind(to_json(uuids)?)
                .fetch_all(&mut **t)
                .await?
        }
        TxConn::Postgres(t) => {
            sqlx::query_as::<_, Check>(PG)
                .bind(uuids)
                .fetch_all(&mut **t)
                .await?
        }
    })
}

/// For each run (check id and run id), its latest start since `since` that no completion
/// of the run has closed, if any, as the log holds it.
pub(super) async fn open_starts(
    tx: &mut Tx,
    runs: &[(CheckId, Uuid)],
    since: DateTime<Utc>,
) -> Result<HashMap<(CheckId, Uuid), DateTime<Utc>>, StoreError> {
    #[derive(Serialize)]
    struct Run {
        check_id: CheckId,
        rid: String,
    }
    const SQLITE: &str = "select v.value ->> 'check_id', v.value ->> 'rid', ( \
         select s.created from pings s where s.check_id = v.value ->> 'check_id' \
         and s.rid = v.value ->> 'rid' and s.kind = 'start' and s.created >= $2 \
         and s.n > coalesce((select max(e.n) from pings e where e.check_id = s.check_id \
         and e.rid = s.rid and e.kind in ('success', 'fail')), 0) \
         order by s.n desc limit 1) from jsonb_each($1) as v";
    const PG: &str = "select v.check_id, v.rid, ( \
         select s.created from pings s where s.check_id = v.check_id \
         and s.rid = v.rid and s.kind = 'start' and s.created >= $3 \
         and s.n > coalesce((select max(e.n) from pings e where e.check_id = s.check_id \
         and e.rid = s.rid and e.kind in ('success', 'fail')), 0) \
         order by s.n desc limit 1) from unnest($1::bigint[], $2::text[]) as v(check_id, rid)";
    let found: Vec<(CheckId, String, Option<Ts>)> = match &mut tx.0 {
        TxConn::Sqlite(t) => {
            let runs: Vec<Run> = runs
                .iter()
                .map(|(check_id, rid)| Run {
                    check_id: *check_id,
                    rid: rid.to_string(),
                })
                .collect();
            sqlx::query_as(SQLITE)
                .bind(to_json(&runs)?)
                .bind(Ts(since))
                .fetch_all(&mut **t)
                .await?
        }
        TxConn::Postgres(t) => {
            sqlx::query_as(PG)
                .bind(runs.iter().map(|(id, _)| *id).collect::<Vec<_>>())
                .bind(runs.iter().map(|(_, r)| r.to_string()).collect::<Vec<_>>())
                .bind(Ts(since))
                .fetch_all(&mut **t)
                .await?
        }
    };
    Ok(found
        .into_iter()
        .filter_map(|(check_id, rid, start)| {
            Some(((check_id, Uuid::parse_str(&rid).ok()?), start?.0))
        })
        .collect())
}

/// Stores the checks' runtime columns and inserts the pings. On SQLite both go in one
/// round trip to the connection's thread, as JSON arrays unpacked by `jsonb_each`, whose
/// values stay binary JSON, so reading a field does not parse text again.
pub(super) async fn write(
    tx: &mut Tx,
    rows: &[Check],
    pings: &[NewPing<'_>],
) -> Result<(), StoreError> {
    if rows.is_empty() && pings.is_empty() {
        return Ok(());
    }
    match &mut tx.0 {
        TxConn::Sqlite(t) => {
            sqlx::query(
                "update checks set status = v.value ->> 'status', last_ping = v.value ->> 'last_ping', \
                 last_start = v.value ->> 'last_start', last_start_rid = v.value ->> 'rid', \
                 last_duration_ms = v.value ->> 'duration', alert_after = v.value ->> 'alert_after', \
                 n_pings = v.value ->> 'n' from jsonb_each($1) as v where checks.id = v.value ->> 'id'; \
                 insert into pings (check_id, n, created, kind, exit_status, rid, remote_addr, scheme, method, ua, \
                 body, duration_ms) select v.value ->> 'check_id', v.value ->> 'n', v.value ->> 'created', \
                 v.value ->> 'kind', v.value ->> 'exit', v.value ->> 'rid', v.value ->> 'addr', \
                 v.value ->> 'scheme', v.value ->> 'method', v.value ->> 'ua', unhex(v.value ->> 'body'), \
                 v.value ->> 'duration' from jsonb_each($2) as v",
            )
            .bind(sqlite_rows(rows)?)
            .bind(sqlite_pings(pings)?)
            .execute(&mut **t)
            .await?;
        }
        TxConn::Postgres(t) => {
            update_pg(t, rows).await?;
            insert_pg(t, pings).await?;
        }
    }
    Ok(())
}

fn ms(t: Option<DateTime<Utc>>) -> Option<i64> {
    t.map(|t| t.timestamp_millis())
}

fn body(p: &NewPing) -> Option<Vec<u8>> {
    (!p.job.body.is_empty()).then(|| p.job.body.to_vec())
}

fn exit(p: &NewPing) -> Option<i64> {
    p.job.action.exit_status().map(i64::from)
}

/// A check's runtime columns, as the SQLite update reads them from JSON.
#[derive(Serialize)]
struct RowState<'a> {
    id: CheckId,
    status: &'a str,
    last_ping: Option<i64>,
    last_start: Option<i64>,
    rid: Option<String>,
    duration: Option<i64>,
    alert_after: Option<i64>,
    n: i64,
}

/// A ping row, as the SQLite insert reads it from JSON.
#[derive(Serialize)]
struct PingValues<'a> {
    check_id: CheckId,
    n: i64,
    created: i64,
    kind: &'a str,
    exit: Option<i64>,
    rid: Option<String>,
    addr: Option<&'a str>,
    scheme: &'a str,
    method: &'a str,
    ua: &'a str,
    body: Option<String>,
    duration: Option<i64>,
}

fn sqlite_rows(rows: &[Check]) -> Result<String, StoreError> {
    let values: Vec<RowState> = rows
        .iter()
        .map(|r| RowState {
            id: r.id,
            status: r.status.as_str(),
            last_ping: ms(r.last_ping),
            last_start: ms(r.last_start),
            rid: r.last_start_rid.map(|u| u.to_string()),
            duration: r.last_duration_ms,
            alert_after: ms(r.alert_after),
            n: r.n_pings,
        })
        .collect();
    to_json(&values)
}

fn sqlite_pings(pings: &[NewPing]) -> Result<String, StoreError> {
    let values: Vec<PingValues> = pings
        .iter()
        .map(|p| PingValues {
            check_id: p.check_id,
            n: p.n,
            created: p.job.now.timestamp_millis(),
            kind: p.kind.as_str(),
            exit: exit(p),
            rid: p.job.rid.map(|r| r.to_string()),
            addr: p.job.remote_addr.as_deref(),
            scheme: &p.job.scheme,
            method: &p.job.method,
            ua: &p.job.ua,
            body: (!p.job.body.is_empty()).then(|| hex::encode(&p.job.body)),
            duration: p.duration_ms,
        })
        .collect();
    to_json(&values)
}

fn to_json<T: Serialize>(values: &[T]) -> Result<String, StoreError> {
    serde_json::to_string(values).map_err(StoreError::other)
}

async fn update_pg(t: &mut PgConnection, rows: &[Check]) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "update checks set status = v.status, last_ping = v.last_ping, last_start = v.last_start, \
         last_start_rid = v.rid, last_duration_ms = v.duration, alert_after = v.alert_after, n_pings = v.n \
         from unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::text[], \
         $6::bigint[], $7::timestamptz[], $8::bigint[]) \
         as v(id, status, last_ping, last_start, rid, duration, alert_after, n) where checks.id = v.id",
    )
    .bind(rows.iter().map(|r| r.id).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.status.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.last_ping).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.last_start).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.last_start_rid.map(|u| u.to_string())).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.last_duration_ms).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.alert_after).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.n_pings).collect::<Vec<_>>())
    .execute(t)
    .await?;
    Ok(())
}

async fn insert_pg(t: &mut PgConnection, pings: &[NewPing<'_>]) -> Result<(), StoreError> {
    if pings.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "insert into pings (check_id, n, created, kind, exit_status, rid, remote_addr, scheme, method, ua, \
         body, duration_ms) select * from unnest($1::bigint[], $2::bigint[], $3::timestamptz[], $4::text[], \
         $5::bigint[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::bytea[], $12::bigint[])",
    )
    .bind(pings.iter().map(|p| p.check_id).collect::<Vec<_>>())
    .bind(pings.iter().map(|p| p.n).collect::<Vec<_>>())
    .bind(pings.iter().map(|p| p.job.now).collect::<Vec<_>>())
    .bind(pings.iter().map(|p| p.kind.as_str().to_string()).collect::<Vec<_>>())
    .bind(pings.iter().map(exit).collect::<Vec<_>>())
    .bind(pings.iter().map(|p| p.job.rid.map(|r| r.to_string())).collect::<Vec<_>>())
    .bind(pings.iter().map(|p| p.job.remote_addr.clone()).collect::<Vec<_>>())
    .bind(pings.iter().map(|p| p.job.scheme.clone()).collect::<Vec<_>>())
    .bind(pings.iter().map(|p| p.job.method.clone()).collect::<Vec<_>>())
    .bind(pings.iter().map(|p| p.job.ua.clone()).collect::<Vec<_>>())
    .bind(pings.iter().map(body).collect::<Vec<_>>())
    .bind(pings.iter().map(|p| p.duration_ms).collect::<Vec<_>>())
    .execute(t)
    .await?;
    Ok(())
}
