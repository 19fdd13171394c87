//! Decoding rows into the domain's records, on both backends. Each record lists its
//! columns once, with how each is read: as it is, as an instant (`ts`, `opt_ts`), or as
//! text parsed into a typed value (`text`, `opt_text`, through `TryFrom<String>`; see
//! columns.rs). Column names are the field names.

use super::Ts;
use crate::domain::check_record::Check;
use crate::domain::records::{Channel, DeliveryAttempt, LoggedPing, Notification, RecordedFlip};
use sqlx::Row;

/// Implements `sqlx::FromRow` for a record on SQLite and PostgreSQL.
macro_rules! from_row {
    ($record:ty { $($field:ident: $how:ident),* $(,)? }) => {
        impl<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> for $record {
            fn from_row(row: &'r sqlx::sqlite::SqliteRow) -> Result<Self, sqlx::Error> {
                Ok(Self { $($field: from_row!(@$how row, $field)),* })
            }
        }
        impl<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> for $record {
            fn from_row(row: &'r sqlx::postgres::PgRow) -> Result<Self, sqlx::Error> {
                Ok(Self { $($field: from_row!(@$how row, $field)),* })
            }
        }
    };
    (@plain $row:ident, $field:ident) => { $row.try_get(stringify!($field))? };
    (@ts $row:ident, $field:ident) => { $row.try_get::<Ts, _>(stringify!($field))?.0 };
    (@opt_ts $row:ident, $field:ident) => {
        $row.try_get::<Option<Ts>, _>(stringify!($field))?.map(|t| t.0)
    };
    (@text $row:ident, $field:ident) => {
        parse(stringify!($field), $row.try_get::<String, _>(stringify!($field))?)?
    };
    (@opt_text $row:ident, $field:ident) => {
        match $row.try_get::<Option<String>, _>(stringify!($field))? {
            Some(text) => Some(parse(stringify!($field), text)?),
            None => None,
        }
    };
}

/// Parses a text column into its typed value, naming the column when it cannot.
pub(crate) fn parse<T>(column: &str, text: String) -> Result<T, sqlx::Error>
where
    T: TryFrom<String>,
    T::Error: std::error::Error + Send + Sync + 'static,
{
    T::try_from(text).map_err(|e| sqlx::Error::ColumnDecode {
        index: column.to_string(),
        source: Box::new(e),
    })
}

from_row!(Channel {
    id: plain,
    uuid: text,
    project_id: plain,
    kind: text,
    name: plain,
    config: plain,
    notify_up: plain,
    notify_down: plain,
    disabled: plain,
    last_error: plain,
    created: ts,
    token: plain,
});

from_row!(LoggedPing {
    n: plain,
    created: ts,
    kind: text,
    exit_status: plain,
    rid: opt_text,
    remote_addr: plain,
    scheme: plain,
    method: plain,
    ua: plain,
    body: plain,
    duration_ms: plain,
});

from_row!(RecordedFlip {
    id: plain,
    created: ts,
    old_status: text,
    new_status: text,
    reason: text,
});

from_row!(Notification {
    id: plain,
    channel_uuid: plain,
    status: text,
    state: plain,
    created: ts,
    attempts: plain,
    last_error: plain,
    done_at: opt_ts,
});

from_row!(DeliveryAttempt {
    notification_id: plain,
    started: ts,
    duration_ms: plain,
    ok: plain,
    error: plain,
});

from_row!(Check {
    id: plain,
    uuid: text,
    unique_key: plain,
    project_id: plain,
    name: plain,
    slug: plain,
    tags: plain,
    descr: plain,
    kind: text,
    timeout: plain,
    grace: plain,
    schedule: plain,
    tz: plain,
    methods: text,
    manual_resume: plain,
    filter_subject: plain,
    filter_body: plain,
    filter_http_body: plain,
    filter_default_fail: plain,
    start_kw: plain,
    success_kw: plain,
    failure_kw: plain,
    status: text,
    alert_after: opt_ts,
    last_ping: opt_ts,
    last_start: opt_ts,
    last_start_rid: opt_text,
    last_duration_ms: plain,
    n_pings: plain,
    badge_key: plain,
    created: ts,
});
