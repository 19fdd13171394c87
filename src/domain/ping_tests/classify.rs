//! Classification by body keywords, of bodies that are not UTF-8, and of pings to a check
//! paused until resumed.

use super::*;

// ---------------------------------------------------------------------------------------
// classify: body keywords
// ---------------------------------------------------------------------------------------

#[test]
fn filter_without_a_keyword_match_is_ignored() {
    let rules = filter("", "SUCCESS", "");

    assert_eq!(
        classify(PingAction::Success, "POST", b"hello", &rules),
        PingKind::Ignored
    );
}

#[test]
fn filter_success_keyword_gives_success() {
    let rules = filter("", "SUCCESS", "");

    assert_eq!(
        classify(PingAction::Success, "POST", b"SUCCESS!", &rules),
        PingKind::Success
    );
}

#[test]
fn filter_failure_keyword_gives_fail() {
    let rules = filter("", "SUCCESS", "FAIL");

    assert_eq!(
        classify(PingAction::Success, "POST", b"it went FAIL", &rules),
        PingKind::Fail
    );
}

#[test]
fn filter_start_keyword_gives_start() {
    let rules = filter("BEGIN", "SUCCESS", "FAIL");

    assert_eq!(
        classify(PingAction::Success, "POST", b"BEGIN backup", &rules),
        PingKind::Start
    );
}

#[test]
fn filter_checks_failure_before_success() {
    let rules = filter("", "SUCCESS", "FAIL");

    assert_eq!(
        classify(PingAction::Success, "POST", b"FAIL SUCCESS", &rules),
        PingKind::Fail
    );
}

#[test]
fn filter_checks_success_before_start() {
    let rules = filter("BEGIN", "SUCCESS", "FAIL");

    assert_eq!(
        classify(PingAction::Success, "POST", b"BEGIN ... SUCCESS", &rules),
        PingKind::Success
    );
}

#[test]
fn filter_checks_failure_before_start() {
    let rules = filter("BEGIN", "SUCCESS", "FAIL");

    assert_eq!(
        classify(PingAction::Success, "POST", b"BEGIN ... FAIL", &rules),
        PingKind::Fail
    );
}

#[test]
fn filter_with_default_fail_and_no_match_gives_fail() {
    let rules = PingRules {
        default_fail: true,
        ..filter("", "SUCCESS", "")
    };

    assert_eq!(
        classify(PingAction::Success, "POST", b"hello", &rules),
        PingKind::Fail
    );
}

#[test]
fn filter_with_default_fail_and_empty_body_gives_fail() {
    let rules = PingRules {
        default_fail: true,
        ..filter("", "SUCCESS", "")
    };

    assert_eq!(
        classify(PingAction::Success, "GET", b"", &rules),
        PingKind::Fail
    );
}

#[test]
fn filter_with_default_fail_still_honours_a_success_match() {
    let rules = PingRules {
        default_fail: true,
        ..filter("", "SUCCESS", "")
    };

    assert_eq!(
        classify(PingAction::Success, "POST", b"SUCCESS", &rules),
        PingKind::Success
    );
}

#[test]
fn filter_without_default_fail_and_empty_body_is_ignored() {
    let rules = filter("", "SUCCESS", "FAIL");

    assert_eq!(
        classify(PingAction::Success, "GET", b"", &rules),
        PingKind::Ignored
    );
}

#[test]
fn filter_with_no_keywords_at_all_ignores_every_body() {
    let rules = filter("", "", "");

    assert_eq!(
        classify(PingAction::Success, "POST", b"anything", &rules),
        PingKind::Ignored
    );
    assert_eq!(
        classify(PingAction::Success, "POST", b"", &rules),
        PingKind::Ignored
    );
}

#[test]
fn keywords_are_a_comma_separated_list() {
    let rules = filter("", "OK,DONE,finished", "");

    for body in [&b"all OK"[..], b"DONE", b"job finished"] {
        assert_eq!(
            classify(PingAction::Success, "POST", body, &rules),
            PingKind::Success,
            "{}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn keywords_are_whitespace_trimmed() {
    let rules = filter("", "  OK , DONE\t,\nfinished  ", "");

    assert_eq!(
        classify(PingAction::Success, "POST", b"xDONEx", &rules),
        PingKind::Success
    );
    assert_eq!(
        classify(PingAction::Success, "POST", b"finished", &rules),
        PingKind::Success
    );
    // The surrounding spaces are not part of the keyword.
    assert_eq!(
        classify(PingAction::Success, "POST", b"OK", &rules),
        PingKind::Success
    );
}

#[test]
fn keywords_are_case_sensitive() {
    let rules = filter("", "SUCCESS", "FAIL");

    assert_eq!(
        classify(PingAction::Success, "POST", b"success", &rules),
        PingKind::Ignored
    );
    assert_eq!(
        classify(PingAction::Success, "POST", b"Fail", &rules),
        PingKind::Ignored
    );
}

#[test]
fn keywords_match_as_substrings() {
    let rules = filter("", "SUCCESS", "");

    assert_eq!(
        classify(PingAction::Success, "POST", b"xxSUCCESSFULxx", &rules),
        PingKind::Success
    );
}

#[test]
fn empty_keyword_entries_are_ignored() {
    // ",, ," must not count as "the empty string, which every body contains".
    let rules = filter(" , ", ",, ,", ",");

    assert_eq!(
        classify(PingAction::Success, "POST", b"hello", &rules),
        PingKind::Ignored
    );
}

#[test]
fn empty_keyword_entries_do_not_hide_the_real_ones() {
    let rules = filter("", ",,SUCCESS,,", "");

    assert_eq!(
        classify(PingAction::Success, "POST", b"SUCCESS", &rules),
        PingKind::Success
    );
}

#[test]
fn keyword_with_inner_spaces_matches_only_the_phrase() {
    let rules = filter("", "all good", "");

    assert_eq!(
        classify(PingAction::Success, "POST", b"it is all good", &rules),
        PingKind::Success
    );
    assert_eq!(
        classify(PingAction::Success, "POST", b"all is good", &rules),
        PingKind::Ignored
    );
}

#[test]
fn filter_overrides_fail_url() {
    let rules = filter("", "SUCCESS", "FAIL");

    assert_eq!(
        classify(PingAction::Fail, "POST", b"SUCCESS", &rules),
        PingKind::Success
    );
    assert_eq!(
        classify(PingAction::Fail, "POST", b"nothing", &rules),
        PingKind::Ignored
    );
}

#[test]
fn filter_overrides_start_url() {
    let rules = filter("BEGIN", "SUCCESS", "FAIL");

    assert_eq!(
        classify(PingAction::Start, "POST", b"SUCCESS", &rules),
        PingKind::Success
    );
    assert_eq!(
        classify(PingAction::Start, "POST", b"FAIL", &rules),
        PingKind::Fail
    );
    assert_eq!(
        classify(PingAction::Start, "POST", b"nothing", &rules),
        PingKind::Ignored
    );
}

#[test]
fn filter_overrides_log_url() {
    let rules = filter("BEGIN", "SUCCESS", "FAIL");

    assert_eq!(
        classify(PingAction::Log, "POST", b"SUCCESS", &rules),
        PingKind::Success
    );
    assert_eq!(
        classify(PingAction::Log, "POST", b"BEGIN", &rules),
        PingKind::Start
    );
    assert_eq!(
        classify(PingAction::Log, "POST", b"just a note", &rules),
        PingKind::Ignored
    );
}

#[test]
fn filter_overrides_exit_status_too() {
    // The exit status sets fail first; keywords then decide, as for any URL action.
    let rules = filter("", "SUCCESS", "FAIL");

    assert_eq!(
        classify(PingAction::Exit(1), "POST", b"SUCCESS", &rules),
        PingKind::Success
    );
    assert_eq!(
        classify(PingAction::Exit(0), "POST", b"FAIL", &rules),
        PingKind::Fail
    );
}

#[test]
fn filter_applies_to_post_on_a_post_only_check() {
    let rules = PingRules {
        post_only: true,
        ..filter("", "SUCCESS", "FAIL")
    };

    assert_eq!(
        classify(PingAction::Success, "POST", b"FAIL", &rules),
        PingKind::Fail
    );
}

#[test]
fn post_only_wins_over_a_matching_keyword() {
    let rules = PingRules {
        post_only: true,
        ..filter("", "SUCCESS", "FAIL")
    };

    assert_eq!(
        classify(PingAction::Success, "GET", b"SUCCESS", &rules),
        PingKind::Ignored
    );
    assert_eq!(
        classify(PingAction::Success, "GET", b"FAIL", &rules),
        PingKind::Ignored
    );
}

#[test]
fn post_only_wins_over_default_fail() {
    let rules = PingRules {
        post_only: true,
        default_fail: true,
        ..filter("", "SUCCESS", "")
    };

    assert_eq!(
        classify(PingAction::Success, "GET", b"", &rules),
        PingKind::Ignored
    );
}

// ---------------------------------------------------------------------------------------
// classify: non-UTF-8 bodies
// ---------------------------------------------------------------------------------------

#[test]
fn non_utf8_body_still_matches_on_the_bytes_that_decode() {
    let rules = filter("", "SUCCESS", "FAIL");

    assert_eq!(
        classify(PingAction::Success, "POST", b"\xff\xfeSUCCESS", &rules),
        PingKind::Success
    );
}

#[test]
fn body_truncated_mid_character_still_matches() {
    // "FAIL €" cut after two of the euro sign's three bytes.
    let rules = filter("", "SUCCESS", "FAIL");

    assert_eq!(
        classify(PingAction::Success, "POST", b"FAIL \xe2\x82", &rules),
        PingKind::Fail
    );
}

#[test]
fn undecodable_body_without_a_match_is_ignored_or_default_fail() {
    let body = b"\xff\xfe\xfd\x80";

    assert_eq!(
        classify(
            PingAction::Success,
            "POST",
            body,
            &filter("", "SUCCESS", "")
        ),
        PingKind::Ignored
    );
    let default_fail = PingRules {
        default_fail: true,
        ..filter("", "SUCCESS", "")
    };
    assert_eq!(
        classify(PingAction::Success, "POST", body, &default_fail),
        PingKind::Fail
    );
}

#[test]
fn multibyte_utf8_keyword_matches_a_utf8_body() {
    let rules = filter("", "", "Fehler: ü");

    assert_eq!(
        classify(
            PingAction::Success,
            "POST",
            "Ein Fehler: über".as_bytes(),
            &rules
        ),
        PingKind::Fail
    );
}

// ---------------------------------------------------------------------------------------
// classify: paused until resumed
// ---------------------------------------------------------------------------------------

#[test]
fn paused_until_resumed_ignores_every_action() {
    for action in ALL_ACTIONS {
        for method in ["GET", "POST"] {
            assert_eq!(
                classify(action, method, b"", &paused_until_resumed()),
                PingKind::Ignored,
                "{action:?} {method}"
            );
        }
    }
}

#[test]
fn paused_until_resumed_ignores_log() {
    assert_eq!(
        classify(PingAction::Log, "POST", b"x", &paused_until_resumed()),
        PingKind::Ignored
    );
}

#[test]
fn paused_until_resumed_wins_over_keywords_and_default_fail() {
    let rules = PingRules {
        paused_until_resumed: true,
        default_fail: true,
        ..filter("BEGIN", "SUCCESS", "FAIL")
    };

    for body in [&b"SUCCESS"[..], b"FAIL", b"BEGIN", b"no match", b""] {
        assert_eq!(
            classify(PingAction::Success, "POST", body, &rules),
            PingKind::Ignored,
            "{}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn paused_until_resumed_with_post_only_ignores_post_too() {
    let rules = PingRules {
        post_only: true,
        ..paused_until_resumed()
    };

    assert_eq!(
        classify(PingAction::Success, "POST", b"", &rules),
        PingKind::Ignored
    );
}

// ---------------------------------------------------------------------------------------
