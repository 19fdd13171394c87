//! Settings the instance keeps for itself in the database, shared by every process.

use super::{Db, StoreError, on_pool};

/// The server secret: the one stored, or `candidate` stored now if there is none yet
/// (the first process to start wins; every other reads what it stored).
pub async fn secret_key(db: &Db, candidate: &str) -> Result<String, StoreError> {
    const INSERT: &str = "insert into instance_settings (name, value) values ('secret_key', $1) \
        on conflict (name) do nothing";
    const SELECT: &str = "select value from instance_settings where name = 'secret_key'";
    on_pool!(db, p => sqlx::query(INSERT).bind(candidate).execute(p).await.map(|_| ()))?;
    on_pool!(db, p => sqlx::query_scalar(SELECT).fetch_one(p).await)
}
