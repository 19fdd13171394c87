//! User accounts.

use super::{Db, Ts, on_pool};
use crate::domain::ids::UserId;
use crate::store::StoreError;
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: UserId,
    pub email: String,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    #[error("a user with email {0} already exists")]
    EmailTaken(String),
    #[error(transparent)]
    Db(#[from] StoreError),
}

/// Creates a user. `password_hash` is an argon2id PHC string, or `None` for an account
/// that cannot sign in with a password.
pub async fn create(
    db: &Db,
    email: &str,
    password_hash: Option<&str>,
    now: DateTime<Utc>,
) -> Result<UserId, CreateUserError> {
    const SQL: &str =
        "insert into users (email, password_hash, created) values ($1, $2, $3) returning id";
    let result = on_pool!(db, p => sqlx::query_scalar::<_, UserId>(SQL)
        .bind(email).bind(password_hash).bind(Ts(now))
        .fetch_one(p).await);
    result.map_err(|e| match e {
        StoreError::Conflict { .. } => CreateUserError::EmailTaken(email.to_string()),
        e => CreateUserError::Db(e),
    })
}

/// How many accounts there are.
pub async fn count(db: &Db) -> Result<i64, StoreError> {
    on_pool!(db, p => sqlx::query_scalar::<_, i64>("select count(*) from users").fetch_one(p).await)
}

pub async fn find_by_email(db: &Db, email: &str) -> Result<Option<UserRow>, StoreError> {
    const SQL: &str = "select id, email from users where email = $1";
    on_pool!(db, p => sqlx::query_as::<_, UserRow>(SQL).bind(email).fetch_optional(p).await)
}
