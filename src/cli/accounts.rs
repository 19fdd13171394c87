//! `overdue user create` and `overdue project create`.

use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::domain::ids::UserId;
use crate::store::projects::{self, CreatedProject};
use crate::store::{Db, users};
use anyhow::Context;
use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
use std::io::BufRead;

pub fn read_password_line() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    anyhow::ensure!(
        !password.is_empty(),
        "--password-stdin: standard input held no password"
    );
    Ok(password)
}

/// Normalises and checks an email address: one `@`, something on each side, no spaces.
pub fn parse_email(raw: &str) -> anyhow::Result<String> {
    let email = raw.trim().to_lowercase();
    let valid = matches!(email.split_once('@'), Some((local, domain))
        if !local.is_empty() && domain.contains('.') && !domain.contains('@'))
        && !email.chars().any(char::is_whitespace)
        && email.len() <= 254;
    anyhow::ensure!(valid, "--email: {raw:?} is not an email address");
    Ok(email)
}

pub async fn create_user(
    config: &Config,
    email: &str,
    password: Option<String>,
) -> anyhow::Result<UserId> {
    let email = parse_email(email)?;
    let hash = match password {
        Some(p) => Some(hash_password(p).await?),
        None => None,
    };
    let db = connect(config).await?;
    let id = users::create(&db, &email, hash.as_deref(), SystemClock.now()).await?;
    db.close().await;
    Ok(id)
}

pub async fn create_project(
    config: &Config,
    owner: &str,
    name: &str,
) -> anyhow::Result<CreatedProject> {
    let email = parse_email(owner)
        .map_err(|_| anyhow::anyhow!("--owner: {owner:?} is not an email address"))?;
    let name = name.trim();
    anyhow::ensure!(
        !name.is_empty() && name.chars().count() <= 100,
        "--name: must be 1 to 100 characters"
    );
    let db = connect(config).await?;
    let user = users::find_by_email(&db, &email).await?.with_context(|| {
        format!("--owner: no user with email {email}; create one with `overdue user create --email {email}`")
    })?;
    let project = projects::create(&db, user.id, name, SystemClock.now()).await?;
    db.close().await;
    Ok(project)
}

async fn connect(config: &Config) -> anyhow::Result<Db> {
    let db = Db::connect(&config.database_url, 1).await?;
    db.migrate().await?;
    Ok(db)
}

/// Hashes with argon2id off the async threads: it is deliberately slow.
pub async fn hash_password(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon2::Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing the password: {e}"))
    })
    .await
    .context("password hashing task")?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_lowercased_and_checked() {
        assert_eq!(parse_email(" Ops@Example.COM ").unwrap(), "ops@example.com");
        for bad in [
            "",
            "ops",
            "@example.com",
            "ops@",
            "ops@localhost",
            "a b@example.com",
            "a@b@c.com",
        ] {
            assert!(parse_email(bad).is_err(), "{bad:?} accepted");
        }
    }
}
