//! Seeding a database with many checks, arming deadlines, and waiting for the
//! scheduler's flips.

use anyhow::{Context, bail};
use chrono::{DateTime, TimeDelta, Utc};
use overdue::domain::channel_config::{ChannelConfig, ChannelKind};
use overdue::store::channels::{self, ChannelFields};
use overdue::store::{Db, Ts, checks, projects, users};
use serde_json::json;
use sqlx::postgres::{PgPool, PgPoolCopyExt};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::io::Write;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::{Duration, Instant};
use uuid::Uuid;

pub struct SeedArgs {
    pub database_url: String,
    pub checks: u64,
    pub up: bool,
    pub timeout: i64,
    pub grace: i64,
    pub uuids: Option<PathBuf>,
    pub uuids_limit: Option<u64>,
    pub channel_url: Option<String>,
    pub channel_checks: u64,
    /// Whether the channel also hears of checks coming up.
    pub channel_up: bool,
    pub owner: String,
    pub project: String,
    pub name_prefix: String,
}

/// One seeded check: the columns that have no default, and the runtime state.
struct SeedRow {
    uuid: String,
    unique_key: String,
    name: String,
    slug: String,
    badge_key: String,
}

impl SeedRow {
    fn new(prefix: &str, i: u64) -> SeedRow {
        let uuid = Uuid::new_v4();
        SeedRow {
            uuid: uuid.to_string(),
            unique_key: checks::unique_key(&uuid),
            name: format!("{prefix} {i}"),
            slug: format!("{prefix}-{i}").replace(' ', "-"),
            badge_key: Uuid::new_v4().to_string(),
        }
    }
}

/// The bench's own pool, for the bulk work the service never does (COPY, arming
/// thousands of deadlines, counting rows). The service's [`Db`] keeps its pools to itself.
enum Raw {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to whichever pool `$raw` holds.
macro_rules! on_raw {
    ($raw:expr, $pool:ident => $body:expr) => {
        match $raw {
            Raw::Sqlite($pool) => $body,
            Raw::Postgres($pool) => $body,
        }
    };
}

impl Raw {
    async fn connect(url: &str) -> anyhow::Result<Raw> {
        Ok(if url.starts_with("sqlite:") {
            Raw::Sqlite(SqlitePool::connect(url).await?)
        } else {
            Raw::Postgres(PgPool::connect(url).await?)
        })
    }

    /// A connection for bulk loading. On SQLite: the service's WAL mode, but a large
    /// page cache and no fsync while loading (the file is synced when the pool closes),
    /// since the random keys of the unique indexes otherwise thrash the default 2 MB
    /// cache.
    async fn connect_for_seeding(url: &str) -> anyhow::Result<Raw> {
        if !url.starts_with("sqlite:") {
            return Raw::connect(url).await;
        }
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Off)
            .foreign_keys(true)
            .pragma("cache_size", "-1048576");
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await?;
        Ok(Raw::Sqlite(pool))
    }

    async fn close(&self) {
        on_raw!(self, p => p.close().await);
    }
}

/// Rows per insert statement on SQLite.
const SQLITE_ROWS_PER_INSERT: u64 = 10_000;

pub async fn seed(args: SeedArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let db = Db::connect(&args.database_url, 2).await?;
    db.migrate().await?;
    let now = Utc::now();
    let user = users::create(&db, &args.owner, None, now)
        .await
        .context("creating the bench user")?;
    let project = projects::create(&db, user, &args.project, now)
        .await
        .context("creating the bench project")?;
    let (status, last_ping, alert_after) = if args.up {
        (
            "up",
            Some(now),
            Some(now + TimeDelta::seconds(args.timeout + args.grace)),
        )
    } else {
        ("new", None, None)
    };
    let mut uuid_file = match &args.uuids {
        Some(path) => Some(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        )),
        None => None,
    };
    let uuid_limit = args.uuids_limit.unwrap_or(u64::MAX);
    let mut write_uuid = |i: u64, uuid: &str| -> anyhow::Result<()> {
        if let Some(f) = uuid_file.as_mut()
            && i < uuid_limit
        {
            writeln!(f, "{uuid}")?;
        }
        Ok(())
    };
    let raw = Raw::connect_for_seeding(&args.database_url).await?;
    match &raw {
        Raw::Postgres(pool) => {
            let ts = |t: Option<DateTime<Utc>>| match t {
                Some(t) => t.format("%Y-%m-%d %H:%M:%S%.6f+00").to_string(),
                None => "\\N".to_string(),
            };
            let (last_ping, alert_after, created) = (ts(last_ping), ts(alert_after), ts(Some(now)));
            let mut copy = pool
                .copy_in_raw(
                    "copy checks (uuid, unique_key, project_id, name, slug, status, timeout, \
                     grace, last_ping, alert_after, badge_key, created) from stdin",
                )
                .await?;
            let mut buf = String::with_capacity(1 << 20);
            for i in 0..args.checks {
                let r = SeedRow::new(&args.name_prefix, i);
                write_uuid(i, &r.uuid)?;
                buf.push_str(&format!(
                    "{}\t{}\t{}\t{}\t{}\t{status}\t{}\t{}\t{last_ping}\t{alert_after}\t{}\t{created}\n",
                    r.uuid, r.unique_key, project.id, r.name, r.slug, args.timeout, args.grace,
                    r.badge_key
                ));
                if buf.len() > (1 << 20) - 512 {
                    copy.send(buf.as_bytes()).await?;
                    buf.clear();
                }
            }
            if !buf.is_empty() {
                copy.send(buf.as_bytes()).await?;
            }
            copy.finish().await?;
            sqlx::query("analyze checks").execute(pool).await?;
        }
        Raw::Sqlite(pool) => {
            // Each batch travels as one JSON parameter that SQLite unpacks with json_each:
            // one bind per thousands of rows instead of a dozen per row.
            const INSERT: &str = "insert into checks (uuid, unique_key, project_id, name, slug, \
                                  status, timeout, grace, last_ping, alert_after, badge_key, created) \
                                  select value ->> 0, value ->> 1, $2, value ->> 2, value ->> 3, \
                                  $3, $4, $5, $6, $7, value ->> 4, $8 from json_each($1)";
            let mut tx = pool.begin().await?;
            let mut i = 0;
            while i < args.checks {
                let n = (args.checks - i).min(SQLITE_ROWS_PER_INSERT);
                let mut batch = Vec::with_capacity(n as usize);
                for k in i..i + n {
                    let r = SeedRow::new(&args.name_prefix, k);
                    write_uuid(k, &r.uuid)?;
                    batch.push(json!([r.uuid, r.unique_key, r.name, r.slug, r.badge_key]));
                }
                sqlx::query(INSERT)
                    .bind(serde_json::Value::Array(batch).to_string())
                    .bind(project.id)
                    .bind(status)
                    .bind(args.timeout)
                    .bind(args.grace)
                    .bind(last_ping.map(Ts))
                    .bind(alert_after.map(Ts))
                    .bind(Ts(now))
                    .execute(&mut *tx)
                    .await?;
                i += n;
            }
            tx.commit().await?;
            sqlx::query("analyze").execute(pool).await?;
        }
    }
    if let Some(mut f) = uuid_file {
        f.flush()?;
    }
    let mut channel_id = None;
    if let Some(url) = &args.channel_url {
        let config = ChannelConfig::parse(
            ChannelKind::Webhook,
            &json!({"method_down": "POST", "url_down": url, "body_down": "$NAME is $STATUS",
                    "method_up": "POST", "url_up": if args.channel_up { url.as_str() } else { "" },
                    "body_up": "$NAME is $STATUS"}),
        )
        .map_err(|e| anyhow::anyhow!("webhook config: {}", e.0))?;
        let fields = ChannelFields {
            kind: ChannelKind::Webhook,
            name: "bench sink".into(),
            config: config.to_json().to_string(),
            notify_up: args.channel_up,
            notify_down: true,
        };
        let channel = channels::create(&db, project.id, &fields, now).await?;
        const ASSIGN: &str = "insert into check_channels (check_id, channel_id) \
                              select id, $1 from checks where project_id = $3 order by id limit $2";
        let limit = i64::try_from(args.channel_checks)?;
        on_raw!(&raw, p => {
            sqlx::query(ASSIGN).bind(channel.id).bind(limit).bind(project.id).execute(p).await?;
        });
        channel_id = Some(channel.id);
    }
    raw.close().await;
    db.close().await;
    println!(
        "{}",
        json!({
            "checks": args.checks,
            "project_id": project.id,
            "ping_key": project.ping_key,
            "channel_id": channel_id,
            "seconds": started.elapsed().as_secs_f64(),
        })
    );
    Ok(())
}

pub async fn arm(url: &str, count: i64, at_ms: i64) -> anyhow::Result<()> {
    let raw = Raw::connect(url).await?;
    let at = DateTime::from_timestamp_millis(at_ms).context("--at-ms is out of range")?;
    const PERIOD: &str = "select timeout + grace from checks order by id limit 1";
    const ARM: &str = "update checks set status = 'up', last_ping = $1, alert_after = $2 \
                       where id in (select id from checks order by id limit $3)";
    let armed = on_raw!(&raw, p => {
        let period: i64 = sqlx::query_scalar(PERIOD).fetch_one(p).await?;
        sqlx::query(ARM)
            .bind(Ts(at - TimeDelta::seconds(period)))
            .bind(Ts(at))
            .bind(count)
            .execute(p)
            .await?
            .rows_affected()
    });
    raw.close().await;
    if i64::try_from(armed).ok() != Some(count) {
        bail!("armed {armed} checks, expected {count}");
    }
    Ok(())
}

pub async fn wait_flips(
    url: &str,
    expect: i64,
    since_ms: i64,
    interval_ms: u64,
    timeout_s: u64,
) -> anyhow::Result<()> {
    let raw = Raw::connect(url).await?;
    const SQL: &str = "select (select count(*) from flips where new_status = 'down'), \
                       (select count(*) from notifications)";
    let give_up = Instant::now() + Duration::from_secs(timeout_s);
    let mut first_flip_ms: Option<i64> = None;
    let mut flips_ms: Option<i64> = None;
    let mut queued_ms: Option<i64> = None;
    let mut polls = 0u64;
    let (mut flips, mut queued);
    loop {
        (flips, queued) =
            on_raw!(&raw, p => sqlx::query_as::<_, (i64, i64)>(SQL).fetch_one(p).await?);
        polls += 1;
        let elapsed = Utc::now().timestamp_millis() - since_ms;
        if flips > 0 && first_flip_ms.is_none() {
            first_flip_ms = Some(elapsed);
        }
        if flips >= expect && flips_ms.is_none() {
            flips_ms = Some(elapsed);
        }
        if queued >= expect && queued_ms.is_none() {
            queued_ms = Some(elapsed);
        }
        if (flips_ms.is_some() && queued_ms.is_some()) || Instant::now() >= give_up {
            break;
        }
        tokio::time::sleep(Duration::from_millis(interval_ms)).await;
    }
    raw.close().await;
    println!(
        "{}",
        json!({
            "expect": expect,
            "flips": flips,
            "queued": queued,
            "first_flip_ms": first_flip_ms,
            "all_flipped_ms": flips_ms,
            "all_queued_ms": queued_ms,
            "polls": polls,
        })
    );
    if flips_ms.is_none() || queued_ms.is_none() {
        bail!("gave up after {timeout_s} s: {flips} of {expect} down, {queued} queued");
    }
    Ok(())
}
