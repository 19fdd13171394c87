use super::time::iso_seconds;
use crate::domain::check::Status;
use crate::domain::records::RecordedFlip;
use serde::Serialize;

/// A status change, as the API's flips list shows it.
#[derive(Debug, Clone, Serialize)]
pub struct FlipView {
    pub timestamp: String,
    /// 1 when the check came up, 0 when it went down.
    pub up: i32,
}

impl FlipView {
    pub fn new(flip: &RecordedFlip) -> Self {
        FlipView {
            timestamp: iso_seconds(flip.created),
            up: i32::from(flip.new_status == Status::Up),
        }
    }
}
