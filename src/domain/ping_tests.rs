//! Unit tests for ping classification and the request details recorded with a ping,
//! against healthchecks' documented behaviour (reference section 1.3 and conformance
//! behaviours 1-28).

use super::*;
use std::net::{Ipv4Addr, Ipv6Addr};

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

fn peer_v4() -> Option<IpAddr> {
    Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 7)))
}

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
// matches_any
// ---------------------------------------------------------------------------------------

#[test]
fn matches_any_finds_any_listed_keyword() {
    assert!(matches_any("backup OK", "FAIL, OK"));
    assert!(!matches_any("backup ok", "FAIL, OK"));
    assert!(!matches_any("anything", ""));
    assert!(!matches_any("", "OK"));
    assert!(!matches_any("", " , "));
}

// ---------------------------------------------------------------------------------------
// parse_rid / is_canonical_uuid
// ---------------------------------------------------------------------------------------

#[test]
fn lowercase_canonical_rid_is_accepted() {
    assert_eq!(
        parse_rid(RID_LOWER),
        Some(Uuid::from_u128(0x3f2504e0_4f89_41d3_9a0c_0305e82c3301))
    );
}

#[test]
fn uppercase_canonical_rid_is_accepted_and_equals_the_lowercase_one() {
    let upper = parse_rid(RID_UPPER);

    assert!(upper.is_some());
    assert_eq!(upper, parse_rid(RID_LOWER));
}

#[test]
fn mixed_case_canonical_rid_is_accepted() {
    assert_eq!(
        parse_rid("3F2504e0-4f89-41D3-9a0c-0305E82c3301"),
        parse_rid(RID_LOWER)
    );
}

#[test]
fn short_number_rid_is_rejected() {
    assert_eq!(parse_rid("12345"), None);
}

#[test]
fn empty_rid_is_rejected() {
    assert_eq!(parse_rid(""), None);
}

#[test]
fn braced_rid_is_rejected() {
    assert_eq!(parse_rid("{3f2504e0-4f89-41d3-9a0c-0305e82c3301}"), None);
}

#[test]
fn urn_rid_is_rejected() {
    assert_eq!(
        parse_rid("urn:uuid:3f2504e0-4f89-41d3-9a0c-0305e82c3301"),
        None
    );
}

#[test]
fn dashless_rid_is_rejected() {
    assert_eq!(parse_rid("3f2504e04f8941d39a0c0305e82c3301"), None);
}

#[test]
fn rid_with_non_hex_digit_or_padding_is_rejected() {
    assert_eq!(parse_rid("3f2504e0-4f89-41d3-9a0c-0305e82c330g"), None);
    assert_eq!(parse_rid(" 3f2504e0-4f89-41d3-9a0c-0305e82c3301"), None);
    assert_eq!(parse_rid("3f2504e0-4f89-41d3-9a0c-0305e82c3301 "), None);
    assert_eq!(parse_rid("3f2504e0-4f89-41d3-9a0c-0305e82c330"), None);
}

#[test]
fn rid_with_dashes_in_the_wrong_places_is_rejected() {
    assert_eq!(parse_rid("3f2504e04-f89-41d3-9a0c-0305e82c3301"), None);
    assert_eq!(parse_rid("3f2504e0-4f8941d3-9a0c--0305e82c3301"), None);
}

#[test]
fn canonical_uuid_lowercase_only_rejects_uppercase() {
    assert!(is_canonical_uuid(RID_LOWER, false));
    assert!(!is_canonical_uuid(RID_UPPER, false));
    assert!(!is_canonical_uuid(
        "3f2504e0-4f89-41D3-9a0c-0305e82c3301",
        false
    ));
}

#[test]
fn canonical_uuid_any_case_accepts_uppercase() {
    assert!(is_canonical_uuid(RID_UPPER, true));
    assert!(is_canonical_uuid(RID_LOWER, true));
}

#[test]
fn canonical_uuid_rejects_other_forms_in_either_mode() {
    for any_case in [false, true] {
        assert!(!is_canonical_uuid("", any_case));
        assert!(!is_canonical_uuid(
            "3f2504e04f8941d39a0c0305e82c3301",
            any_case
        ));
        assert!(!is_canonical_uuid(
            "{3f2504e0-4f89-41d3-9a0c-0305e82c3301}",
            any_case
        ));
        assert!(!is_canonical_uuid(
            "3f2504e0-4f89-41d3-9a0c-0305e82c330z",
            any_case
        ));
    }
}

#[test]
fn canonical_uuid_rejects_multibyte_text_of_the_right_byte_length() {
    // 36 bytes, but not ASCII.
    let s = "3f2504e0-4f89-41d3-9a0c-0305e82c33é";
    assert_eq!(s.len(), 36);

    assert!(!is_canonical_uuid(s, true));
    assert_eq!(parse_rid(s), None);
}

// ---------------------------------------------------------------------------------------
// slug_shape
// ---------------------------------------------------------------------------------------

#[test]
fn lowercase_slugs_with_digits_dashes_and_underscores_are_valid() {
    for slug in ["foo", "new-job", "db_backup-2", "123", "-", "_"] {
        assert_eq!(slug_shape(slug), SlugShape::Valid, "{slug:?}");
    }
}

#[test]
fn slugs_with_capitals_are_uppercase() {
    for slug in ["Foo", "NEW-JOB", "backup_DB", "X"] {
        assert_eq!(slug_shape(slug), SlugShape::Uppercase, "{slug:?}");
    }
}

#[test]
fn empty_slug_is_invalid() {
    assert_eq!(slug_shape(""), SlugShape::Invalid);
}

#[test]
fn slug_with_dots_is_invalid() {
    assert_eq!(slug_shape("foo.bar"), SlugShape::Invalid);
    assert_eq!(slug_shape(".."), SlugShape::Invalid);
}

#[test]
fn slug_with_spaces_is_invalid() {
    assert_eq!(slug_shape("foo bar"), SlugShape::Invalid);
    assert_eq!(slug_shape(" foo"), SlugShape::Invalid);
}

#[test]
fn slug_with_unicode_is_invalid() {
    assert_eq!(slug_shape("café"), SlugShape::Invalid);
    assert_eq!(slug_shape("Ünicode"), SlugShape::Invalid);
    assert_eq!(slug_shape("日本"), SlugShape::Invalid);
}

#[test]
fn slug_with_other_punctuation_is_invalid() {
    for slug in ["a/b", "a%20b", "a+b", "a:b", "a?b"] {
        assert_eq!(slug_shape(slug), SlugShape::Invalid, "{slug:?}");
    }
}

#[test]
fn invalid_characters_win_over_capitals() {
    assert_eq!(slug_shape("Foo.Bar"), SlugShape::Invalid);
}

// ---------------------------------------------------------------------------------------
// remote_addr
// ---------------------------------------------------------------------------------------

#[test]
fn forwarded_for_uses_the_first_hop() {
    assert_eq!(
        remote_addr(Some("1.1.1.1, 2.2.2.2"), peer_v4()),
        Some("1.1.1.1".to_string())
    );
}

#[test]
fn forwarded_for_first_hop_is_whitespace_trimmed() {
    assert_eq!(
        remote_addr(Some("  1.1.1.1  ,2.2.2.2"), peer_v4()),
        Some("1.1.1.1".to_string())
    );
}

#[test]
fn forwarded_for_ipv4_with_port_drops_the_port() {
    assert_eq!(
        remote_addr(Some("1.1.1.1:1234"), peer_v4()),
        Some("1.1.1.1".to_string())
    );
}

#[test]
fn forwarded_for_ipv4_with_port_in_a_list_drops_the_port() {
    assert_eq!(
        remote_addr(Some("1.1.1.1:1234, 2.2.2.2"), peer_v4()),
        Some("1.1.1.1".to_string())
    );
}

#[test]
fn forwarded_for_ipv6_is_kept() {
    assert_eq!(
        remote_addr(Some("2001:db8::1"), peer_v4()),
        Some("2001:db8::1".to_string())
    );
}

#[test]
fn forwarded_for_ipv4_mapped_ipv6_is_kept_as_is() {
    assert_eq!(
        remote_addr(Some("::ffff:1.1.1.1"), peer_v4()),
        Some("::ffff:1.1.1.1".to_string())
    );
}

#[test]
fn forwarded_for_garbage_falls_back_to_the_peer() {
    for header in ["not-an-ip", "", "   ", "1.1.1", "host:80", "1.1.1.1:http"] {
        assert_eq!(
            remote_addr(Some(header), peer_v4()),
            Some("10.0.0.7".to_string()),
            "{header:?}"
        );
    }
}

#[test]
fn forwarded_for_garbage_without_a_peer_is_none() {
    assert_eq!(remote_addr(Some("garbage"), None), None);
}

#[test]
fn no_forwarded_for_uses_the_peer() {
    assert_eq!(remote_addr(None, peer_v4()), Some("10.0.0.7".to_string()));
}

#[test]
fn no_forwarded_for_and_no_peer_is_none() {
    assert_eq!(remote_addr(None, None), None);
}

#[test]
fn ipv4_mapped_peer_is_shown_as_ipv4() {
    let mapped = IpAddr::V6(Ipv4Addr::new(1, 1, 1, 1).to_ipv6_mapped());

    assert_eq!(remote_addr(None, Some(mapped)), Some("1.1.1.1".to_string()));
}

#[test]
fn ipv6_peer_is_shown_as_ipv6() {
    let peer = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2));

    assert_eq!(
        remote_addr(None, Some(peer)),
        Some("2001:db8::2".to_string())
    );
}

// ---------------------------------------------------------------------------------------
// truncate_chars
// ---------------------------------------------------------------------------------------

#[test]
fn truncate_ascii_keeps_the_first_n_characters() {
    assert_eq!(truncate_chars("hello world", 5), "hello");
}

#[test]
fn truncate_multibyte_counts_characters_not_bytes() {
    assert_eq!(truncate_chars("héllo wörld", 7), "héllo w");
    assert_eq!(truncate_chars("日本語テキスト", 3), "日本語");
    assert_eq!(truncate_chars("😀😃😄", 2), "😀😃");
}

#[test]
fn truncate_never_splits_a_character() {
    let s = "aé€😀";
    for max in 0..=5 {
        let out = truncate_chars(s, max);
        assert!(s.starts_with(out));
        assert_eq!(out.chars().count(), max.min(4), "max {max}");
    }
}

#[test]
fn truncate_shorter_string_is_unchanged() {
    assert_eq!(truncate_chars("abc", 10), "abc");
    assert_eq!(truncate_chars("", 10), "");
}

#[test]
fn truncate_exactly_at_the_limit_is_unchanged() {
    assert_eq!(truncate_chars("abcde", 5), "abcde");
    assert_eq!(truncate_chars("ééééé", 5), "ééééé");
}

#[test]
fn truncate_to_zero_is_empty() {
    assert_eq!(truncate_chars("abc", 0), "");
}

#[test]
fn user_agent_of_330_characters_is_stored_as_its_first_200() {
    let ua: String = (0..330)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();

    let stored = truncate_chars(&ua, MAX_USER_AGENT_CHARS);

    assert_eq!(MAX_USER_AGENT_CHARS, 200);
    assert_eq!(stored.chars().count(), 200);
    assert_eq!(stored, &ua[..200]);
}

#[test]
fn method_is_stored_as_at_most_10_characters() {
    assert_eq!(MAX_METHOD_CHARS, 10);
    assert_eq!(
        truncate_chars("PROPFINDXXXXX", MAX_METHOD_CHARS),
        "PROPFINDXX"
    );
}

// ---------------------------------------------------------------------------------------
// PingKind strings
// ---------------------------------------------------------------------------------------

#[test]
fn ping_kind_as_str_and_parse_round_trip_for_every_kind() {
    for kind in [
        PingKind::Success,
        PingKind::Start,
        PingKind::Fail,
        PingKind::Log,
        PingKind::Ignored,
    ] {
        assert_eq!(PingKind::parse(kind.as_str()), Some(kind));
    }
}

#[test]
fn ping_kind_strings_are_the_stored_names() {
    assert_eq!(PingKind::Success.as_str(), "success");
    assert_eq!(PingKind::Start.as_str(), "start");
    assert_eq!(PingKind::Fail.as_str(), "fail");
    assert_eq!(PingKind::Log.as_str(), "log");
    assert_eq!(PingKind::Ignored.as_str(), "ign");
}

#[test]
fn ping_kind_parse_rejects_unknown_names() {
    for s in ["", "ignored", "Success", "FAIL", "exit"] {
        assert_eq!(PingKind::parse(s), None, "{s:?}");
    }
}
