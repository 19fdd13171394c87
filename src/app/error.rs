use crate::store::StoreError;

/// Why a use case did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input is not acceptable; the message says which field and why, in the words
    /// the Management API has always used.
    #[error("{0}")]
    Invalid(String),
    /// What the request names does not exist (or no longer does).
    #[error("not found")]
    NotFound,
    /// A limit of the account was reached.
    #[error("{0}")]
    Limit(&'static str),
    /// The store failed; logged by whoever answers the user.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Something that should not happen (a stored value that no longer parses).
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}
