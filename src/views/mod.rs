//! What a check, a ping and a flip look like to the outside: `Serialize` structs shared by
//! the Management API's JSON, the webhook `$JSON` placeholder and the pages, so that each
//! is shaped in one place. The shapes are healthchecks.io's, key for key.

mod check;
mod flip;
mod ping;
pub mod time;

pub use check::{CheckView, Viewer};
pub use flip::FlipView;
pub use ping::PingView;
