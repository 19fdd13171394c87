//! Reading pings back: a check's log, its size, one ping's body. Pings are written by
//! [`super::intake`].

use super::{Db, on_pool};
use crate::domain::ids::CheckId;
pub use crate::domain::records::LoggedPing;
use crate::store::StoreError;

/// A check's most recent pings, newest first.
pub async fn recent(db: &Db, check_id: CheckId, limit: i64) -> Result<Vec<LoggedPing>, StoreError> {
    const SQL: &str = "select n, created, kind, exit_status, rid, remote_addr, scheme, method, ua, \
                       body, duration_ms from pings where check_id = $1 order by n desc limit $2";
    on_pool!(db, p => sqlx::query_as::<_, LoggedPing>(SQL).bind(check_id).bind(limit).fetch_all(p).await)
}

/// How many pings of a check are stored.
pub async fn count(db: &Db, check_id: CheckId) -> Result<i64, StoreError> {
    const SQL: &str = "select count(*) from pings where check_id = $1";
    on_pool!(db, p => sqlx::query_scalar::<_, i64>(SQL).bind(check_id).fetch_one(p).await)
}

/// The body of ping `n` of a check, if that ping is stored and has one.
pub async fn body(db: &Db, check_id: CheckId, n: i64) -> Result<Option<Vec<u8>>, StoreError> {
    const SQL: &str = "select body from pings where check_id = $1 and n = $2";
    let body = on_pool!(db, p => sqlx::query_scalar::<_, Option<Vec<u8>>>(SQL).bind(check_id).bind(n).fetch_optional(p).await)?;
    Ok(body.flatten())
}
