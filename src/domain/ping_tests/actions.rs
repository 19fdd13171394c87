//! URL actions, and classification without body rules: the URL's action and POST-only checks.

use super::*;

// ---------------------------------------------------------------------------------------
// PingAction::from_segment
// ---------------------------------------------------------------------------------------

#[test]
fn empty_segment_is_success() {
    assert_eq!(PingAction::from_segment(""), Ok(PingAction::Success));
}

#[test]
fn start_segment_is_start() {
    assert_eq!(PingAction::from_segment("start"), Ok(PingAction::Start));
}

#[test]
fn fail_segment_is_fail() {
    assert_eq!(PingAction::from_segment("fail"), Ok(PingAction::Fail));
}

#[test]
fn log_segment_is_log() {
    assert_eq!(PingAction::from_segment("log"), Ok(PingAction::Log));
}

#[test]
fn segment_0_is_exit_status_0() {
    assert_eq!(PingAction::from_segment("0"), Ok(PingAction::Exit(0)));
}

#[test]
fn segment_1_is_exit_status_1() {
    assert_eq!(PingAction::from_segment("1"), Ok(PingAction::Exit(1)));
}

#[test]
fn segment_255_is_exit_status_255() {
    assert_eq!(PingAction::from_segment("255"), Ok(PingAction::Exit(255)));
}

#[test]
fn segment_with_leading_zeros_is_the_exit_status_it_spells() {
    assert_eq!(PingAction::from_segment("007"), Ok(PingAction::Exit(7)));
}

#[test]
fn segment_256_is_exit_status_out_of_range() {
    assert_eq!(
        PingAction::from_segment("256"),
        Err(ActionError::ExitStatusOutOfRange)
    );
}

#[test]
fn segment_65536_is_exit_status_out_of_range() {
    assert_eq!(
        PingAction::from_segment("65536"),
        Err(ActionError::ExitStatusOutOfRange)
    );
}

#[test]
fn huge_digit_string_is_out_of_range_not_unknown() {
    assert_eq!(
        PingAction::from_segment("99999999999999999999"),
        Err(ActionError::ExitStatusOutOfRange)
    );
}

#[test]
fn word_segment_is_unknown() {
    assert_eq!(PingAction::from_segment("abc"), Err(ActionError::Unknown));
}

#[test]
fn negative_exit_status_is_unknown() {
    assert_eq!(PingAction::from_segment("-1"), Err(ActionError::Unknown));
}

#[test]
fn fractional_exit_status_is_unknown() {
    assert_eq!(PingAction::from_segment("1.5"), Err(ActionError::Unknown));
}

#[test]
fn signed_or_padded_exit_status_is_unknown() {
    assert_eq!(PingAction::from_segment("+1"), Err(ActionError::Unknown));
    assert_eq!(PingAction::from_segment(" 1"), Err(ActionError::Unknown));
}

#[test]
fn action_names_are_case_sensitive() {
    assert_eq!(PingAction::from_segment("Start"), Err(ActionError::Unknown));
    assert_eq!(PingAction::from_segment("FAIL"), Err(ActionError::Unknown));
    assert_eq!(PingAction::from_segment("Log"), Err(ActionError::Unknown));
}

#[test]
fn exit_status_is_reported_only_for_exit_actions() {
    assert_eq!(PingAction::Exit(0).exit_status(), Some(0));
    assert_eq!(PingAction::Exit(123).exit_status(), Some(123));
    assert_eq!(PingAction::Success.exit_status(), None);
    assert_eq!(PingAction::Start.exit_status(), None);
    assert_eq!(PingAction::Fail.exit_status(), None);
    assert_eq!(PingAction::Log.exit_status(), None);
}

// ---------------------------------------------------------------------------------------
// classify: URL actions without rules
// ---------------------------------------------------------------------------------------

#[test]
fn plain_ping_is_success() {
    assert_eq!(
        classify(PingAction::Success, "GET", b"", &no_rules()),
        PingKind::Success
    );
}

#[test]
fn start_url_is_start() {
    assert_eq!(
        classify(PingAction::Start, "GET", b"", &no_rules()),
        PingKind::Start
    );
}

#[test]
fn fail_url_is_fail() {
    assert_eq!(
        classify(PingAction::Fail, "GET", b"", &no_rules()),
        PingKind::Fail
    );
}

#[test]
fn log_url_is_log() {
    assert_eq!(
        classify(PingAction::Log, "POST", b"x", &no_rules()),
        PingKind::Log
    );
}

#[test]
fn exit_status_0_is_success() {
    assert_eq!(
        classify(PingAction::Exit(0), "GET", b"", &no_rules()),
        PingKind::Success
    );
}

#[test]
fn nonzero_exit_status_is_fail() {
    for code in [1, 2, 123, 255] {
        assert_eq!(
            classify(PingAction::Exit(code), "GET", b"", &no_rules()),
            PingKind::Fail,
            "exit status {code}"
        );
    }
}

#[test]
fn any_method_counts_without_post_only() {
    for method in ["GET", "HEAD", "POST", "PUT", "DELETE"] {
        assert_eq!(
            classify(PingAction::Success, method, b"", &no_rules()),
            PingKind::Success,
            "{method}"
        );
    }
}

#[test]
fn body_is_ignored_without_filter_body_even_if_it_names_a_keyword() {
    let rules = PingRules {
        failure_kw: "FAIL".into(),
        ..PingRules::default()
    };

    assert_eq!(
        classify(PingAction::Success, "POST", b"FAIL", &rules),
        PingKind::Success
    );
}

// ---------------------------------------------------------------------------------------
// classify: post_only
// ---------------------------------------------------------------------------------------

#[test]
fn post_only_check_ignores_get_for_every_action() {
    for action in ALL_ACTIONS {
        assert_eq!(
            classify(action, "GET", b"", &post_only()),
            PingKind::Ignored,
            "{action:?}"
        );
    }
}

#[test]
fn post_only_check_ignores_head_and_put() {
    assert_eq!(
        classify(PingAction::Success, "HEAD", b"", &post_only()),
        PingKind::Ignored
    );
    assert_eq!(
        classify(PingAction::Success, "PUT", b"", &post_only()),
        PingKind::Ignored
    );
}

#[test]
fn post_only_check_classifies_post_by_url() {
    let cases = [
        (PingAction::Success, PingKind::Success),
        (PingAction::Start, PingKind::Start),
        (PingAction::Fail, PingKind::Fail),
        (PingAction::Log, PingKind::Log),
        (PingAction::Exit(0), PingKind::Success),
        (PingAction::Exit(3), PingKind::Fail),
    ];
    for (action, kind) in cases {
        assert_eq!(
            classify(action, "POST", b"", &post_only()),
            kind,
            "{action:?}"
        );
    }
}
