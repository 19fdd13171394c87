//! The store's one error type. Callers learn what went wrong in terms they can act on
//! (nothing there, a constraint refused the write, the database cannot be reached) and
//! never see the driver's error type; the driver's message stays in the source chain
//! for the log.

use std::error::Error as StdError;

type Cause = Box<dyn StdError + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A row the operation needs does not exist.
    #[error("not found")]
    NotFound,
    /// A unique, foreign-key or check constraint refused the write; `constraint` is its
    /// name as the migrations give it (or the driver's description when it has none).
    #[error("the write conflicts with constraint {constraint}")]
    Conflict { constraint: String, source: Cause },
    /// The database cannot be reached, or did not answer in time: worth retrying later.
    #[error("database unavailable")]
    Unavailable(#[source] Cause),
    /// Anything else: a bug or a corrupt row. Logged, answered with an opaque 500.
    #[error("database error")]
    Other(#[source] Cause),
}

impl StoreError {
    /// Whether the database is unreachable or too slow (so the caller should answer 503
    /// rather than 500).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }

    /// The violated constraint's name, when this is a conflict.
    pub fn constraint(&self) -> Option<&str> {
        match self {
            StoreError::Conflict { constraint, .. } => Some(constraint),
            _ => None,
        }
    }

    pub(crate) fn other(e: impl StdError + Send + Sync + 'static) -> Self {
        StoreError::Other(Box::new(e))
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(ref d)
                if d.is_unique_violation()
                    || d.is_foreign_key_violation()
                    || d.is_check_violation() =>
            {
                let constraint = d
                    .constraint()
                    .map_or_else(|| d.message().to_string(), str::to_string);
                StoreError::Conflict {
                    constraint,
                    source: Box::new(e),
                }
            }
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Protocol(_) => StoreError::Unavailable(Box::new(e)),
            sqlx::Error::Database(ref d)
                if is_transient(
                    d.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                        .is_some(),
                    d.code().as_deref(),
                ) =>
            {
                StoreError::Unavailable(Box::new(e))
            }
            e => StoreError::Other(Box::new(e)),
        }
    }
}

/// Database error codes that mean "try again later": PostgreSQL's connection, resource,
/// shutdown, lock and timeout classes; SQLite's busy, locked, full disk and I/O errors
/// (SQLite reports its extended result code as a number, the primary code in its low byte).
fn is_transient(postgres: bool, code: Option<&str>) -> bool {
    let Some(code) = code else { return false };
    if postgres {
        return ["08", "53", "57P", "55P03", "57014", "40001", "40P01"]
            .iter()
            .any(|prefix| code.starts_with(prefix));
    }
    code.parse::<i32>()
        .is_ok_and(|n| matches!(n & 0xff, 5 | 6 | 10 | 13 | 14))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_busy_full_and_io_codes_are_transient() {
        for code in ["5", "517", "6", "13", "10", "3850", "14"] {
            assert!(is_transient(false, Some(code)), "{code}");
        }
        for code in ["19", "2067", "1", "787"] {
            assert!(!is_transient(false, Some(code)), "{code}");
        }
    }

    #[test]
    fn postgres_connection_and_timeout_classes_are_transient() {
        for code in [
            "08006", "53300", "57P01", "57014", "40001", "40P01", "55P03",
        ] {
            assert!(is_transient(true, Some(code)), "{code}");
        }
        for code in ["23505", "22021", "42P01"] {
            assert!(!is_transient(true, Some(code)), "{code}");
        }
        assert!(!is_transient(true, None));
    }

    #[test]
    fn pool_timeouts_are_unavailable_and_missing_rows_not_found() {
        assert!(StoreError::from(sqlx::Error::PoolTimedOut).is_unavailable());
        assert!(matches!(
            StoreError::from(sqlx::Error::RowNotFound),
            StoreError::NotFound
        ));
    }
}
