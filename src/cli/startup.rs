//! What `overdue serve` says when it starts: enough for a newcomer to know where it
//! serves, where its data is, and what to do next; never a password.

use crate::config::Config;
use std::path::Path;

/// The database as it may be logged: a SQLite file's absolute path, or a PostgreSQL URL
/// without its password.
pub fn describe_database(url: &str, cwd: &Path) -> String {
    if let Some(rest) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        let file = rest.split('?').next().unwrap_or(rest);
        if file.is_empty() || file == ":memory:" {
            return "SQLite in memory".to_string();
        }
        return format!("SQLite file {}", cwd.join(file).display());
    }
    format!("PostgreSQL {}", crate::store::redact_url(url))
}

/// How notification emails leave: through which SMTP host, or into the log.
pub fn describe_email(config: &Config) -> String {
    if config.smtp_url.is_empty() {
        return "not configured: emails are written to this log (set OVERDUE_SMTP_URL)".to_string();
    }
    match url::Url::parse(&config.smtp_url) {
        Ok(u) => format!("SMTP via {}", u.host_str().unwrap_or("?")),
        Err(_) => "SMTP".to_string(),
    }
}

/// The next step for an installation with no users yet.
pub const FIRST_STEP: &str = "no users yet; create the first one with \
    `overdue user create --email you@example.com --password-stdin`, then a project with \
    `overdue project create --owner you@example.com --name Backups` (it prints the keys)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_paths_are_made_absolute_and_postgres_passwords_hidden() {
        let cwd = Path::new("/srv/overdue");
        assert_eq!(
            describe_database("sqlite://overdue.db", cwd),
            "SQLite file /srv/overdue/overdue.db"
        );
        assert_eq!(
            describe_database("sqlite:///var/lib/o.db?mode=rwc", cwd),
            "SQLite file /var/lib/o.db"
        );
        let shown = describe_database("postgres://ops:s3cret@db.internal:5432/overdue", cwd);
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(
            shown.contains("ops:hidden@db.internal:5432/overdue"),
            "{shown}"
        );
        assert_eq!(
            describe_database("postgres://postgres@127.0.0.1/x", cwd),
            "PostgreSQL postgres://postgres@127.0.0.1/x"
        );
    }
}
