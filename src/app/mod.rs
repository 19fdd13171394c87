//! Use cases: each operation a user can ask for, in one function that owns its
//! transaction, called alike by the JSON API, the pages and the command line. Handlers
//! parse their input into plain values, call one of these, and render what it returns;
//! they hold no orchestration of their own.
//!
//! Errors: a use case answers with [`Error`], whose variants say what the caller should
//! tell its user (the API turns them into its JSON errors, a page into a message beside
//! a field or a redirect). Store failures pass through as [`Error::Store`].

pub mod channels;
pub mod checks;
mod error;

pub use error::Error;
