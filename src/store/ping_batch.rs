//! Many pings to checks named by uuid, written with a handful of statements whatever
//! their number: one select for all their checks (none for checks the SQLite writer
//! already holds), the state machine applied in memory in arrival order, then one update
//! for the checks and one insert for the pings (on SQLite, both in one round trip).
//! (Flips are rare and written one by one.) This is what lets group commit save the
//! database work, not only the commits.

use super::check_cache::CheckCache;
use super::checks::{CheckRow, check_columns};
use super::ping_writer::PingJob;
use super::pings::{Recorded, run_duration};
use super::{Ts, Tx, TxConn};
use crate::domain::check::on_ping;
use crate::domain::ping::{PingKind, classify};
use crate::store::StoreError;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use std::collections::HashMap;

/// A ping row waiting to be inserted.
struct NewPing<'a> {
    check_id: i64,
    n: i64,
    kind: PingKind,
    job: &'a PingJob,
    duration_ms: Option<i64>,
}

/// What a batch wrote: a result per job, in the order of the jobs, and the checks'
/// rows as they are once the transaction commits.
pub struct Written {
    pub results: Vec<Recorded>,
    pub rows: Vec<CheckRow>,
}

/// Records `jobs` (all uuid targets) in `tx`. Checks found in `cache` are not read.
pub async fn record_by_uuid(
    tx: &mut Tx,
    jobs: &[(&str, &PingJob)],
    cache: Option<&CheckCache>,
) -> Result<Written, StoreError> {
    let mut uuids: Vec<String> = jobs.iter().map(|(u, _)| u.to_string()).collect();
    uuids.sort();
    uuids.dedup();
    let mut rows: HashMap<String, CheckRow> = HashMap::with_capacity(uuids.len());
    let mut missing = Vec::new();
    for uuid in uuids {
        match cache.and_then(|c| c.get(&uuid)) {
            Some(row) => {
                rows.insert(uuid, row.clone());
            }
            None => missing.push(uuid),
        }
    }
    if !missing.is_empty() {
        for row in lock(tx, &missing).await? {
            rows.insert(row.uuid.clone(), row);
        }
    }
    let mut touched: Vec<String> = Vec::new();
    let mut pending: Vec<NewPing> = Vec::new();
    let mut results = Vec::with_capacity(jobs.len());
    for (uuid, job) in jobs {
        let Some(row) = rows.get_mut(*uuid) else {
            results.push(Recorded::NotFound);
            continue;
        };
        let incoming = job.incoming();
        let kind = classify(
            incoming.action,
            incoming.method,
            incoming.body,
            &row.rules(),
        );
        let outcome = on_ping(&row.state(), kind, job.rid, job.now);
        if outcome.duration.is_none()
            && job.rid.is_some()
            && matches!(kind, PingKind::Success | PingKind::Fail)
        {
            // The run's start may be among the pings not yet written.
            write(tx, &[], &pending).await?;
            pending.clear();
        }
        let duration = run_duration(tx, row.id, &outcome, kind, job.rid, job.now).await?;
        let state = &outcome.state;
        let alert_after = state.alert_after();
        row.status = state.status;
        row.last_ping = state.last_ping.map(Ts);
        row.last_start = state.last_start.map(Ts);
        row.last_start_rid = state.last_start_rid.map(|r| r.to_string());
        row.last_duration_ms = state.last_duration.map(|d| d.num_milliseconds());
        row.alert_after = alert_after.map(Ts);
        row.n_pings += 1;
        pending.push(NewPing {
            check_id: row.id,
            n: row.n_pings,
            kind,
            job,
            duration_ms: duration.map(|d| d.num_milliseconds()),
        });
        let mut queued = 0;
        if let Some(flip) = &outcome.flip {
            queued = super::flips::record(tx, row.id, flip).await?;
        }
        if !touched.contains(&row.uuid) {
            touched.push(row.uuid.clone());
        }
        results.push(Recorded::Stored {
            created_check: false,
            kind,
            alert_after,
            queued,
        });
    }
    let changed: Vec<&CheckRow> = touched.iter().filter_map(|u| rows.get(u)).collect();
    write(tx, &changed, &pending).await?;
    Ok(Written {
        results,
        rows: rows.into_values().collect(),
    })
}

/// The checks, locked in id order on PostgreSQL so concurrent batches cannot deadlock.
async fn lock(tx: &mut Tx, uuids: &[String]) -> Result<Vec<CheckRow>, StoreError> {
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
            sqlx::query_as::<_, CheckRow>(SQLITE)
                .bind(to_json(uuids)?)
                .fetch_all(&mut **t)
                .await?
        }
        TxConn::Postgres(t) => {
            sqlx::query_as::<_, CheckRow>(PG)
                .bind(uuids)
                .fetch_all(&mut **t)
                .await?
        }
    })
}

fn ms(t: Option<Ts>) -> Option<i64> {
    t.map(|t| t.0.timestamp_millis())
}

fn at(t: Option<Ts>) -> Option<DateTime<Utc>> {
    t.map(|t| t.0)
}

/// Stores the checks' new runtime state and inserts the pings. On SQLite both go in one
/// round trip to the connection's thread, as JSON arrays unpacked by `jsonb_each`, whose
/// values stay binary JSON, so reading a field does not parse text again.
async fn write(tx: &mut Tx, rows: &[&CheckRow], pings: &[NewPing<'_>]) -> Result<(), StoreError> {
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

fn body(p: &NewPing) -> Option<Vec<u8>> {
    (!p.job.body.is_empty()).then(|| p.job.body.to_vec())
}

fn exit(p: &NewPing) -> Option<i64> {
    p.job.action.exit_status().map(i64::from)
}

/// A check's new runtime state, as the SQLite update reads it from JSON.
#[derive(Serialize)]
struct RowState<'a> {
    id: i64,
    status: &'a str,
    last_ping: Option<i64>,
    last_start: Option<i64>,
    rid: Option<&'a str>,
    duration: Option<i64>,
    alert_after: Option<i64>,
    n: i64,
}

/// A ping row, as the SQLite insert reads it from JSON.
#[derive(Serialize)]
struct PingValues<'a> {
    check_id: i64,
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

fn sqlite_rows(rows: &[&CheckRow]) -> Result<String, StoreError> {
    let values: Vec<RowState> = rows
        .iter()
        .map(|r| RowState {
            id: r.id,
            status: r.status.as_str(),
            last_ping: ms(r.last_ping),
            last_start: ms(r.last_start),
            rid: r.last_start_rid.as_deref(),
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

async fn update_pg(t: &mut PgConnection, rows: &[&CheckRow]) -> Result<(), StoreError> {
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
    .bind(rows.iter().map(|r| at(r.last_ping)).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| at(r.last_start)).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.last_start_rid.clone()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.last_duration_ms).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| at(r.alert_after)).collect::<Vec<_>>())
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
