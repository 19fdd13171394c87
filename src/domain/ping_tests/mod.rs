//! Unit tests for ping classification and the request details recorded with a ping,
//! against healthchecks' documented behaviour (reference section 1.3 and conformance
//! behaviours 1-28).

use super::*;

// ---------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------

const RID_LOWER: &str = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
const RID_UPPER: &str = "3F2504E0-4F89-41D3-9A0C-0305E82C3301";

fn no_rules() -> PingRules {
    PingRules::default()
}

fn post_only() -> PingRules {
    PingRules {
        post_only: true,
        ..PingRules::default()
    }
}

/// Body filtering with the given keyword lists (start, success, failure).
fn filter(start_kw: &str, success_kw: &str, failure_kw: &str) -> PingRules {
    PingRules {
        filter_body: true,
        start_kw: start_kw.into(),
        success_kw: success_kw.into(),
        failure_kw: failure_kw.into(),
        ..PingRules::default()
    }
}

fn paused_until_resumed() -> PingRules {
    PingRules {
        paused_until_resumed: true,
        ..PingRules::default()
    }
}

/// Every URL action, with exit statuses 0, 1 and 255.
const ALL_ACTIONS: [PingAction; 7] = [
    PingAction::Success,
    PingAction::Start,
    PingAction::Fail,
    PingAction::Log,
    PingAction::Exit(0),
    PingAction::Exit(1),
    PingAction::Exit(255),
];

mod actions;
mod classify;
mod props;
mod request;
