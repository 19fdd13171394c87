//! Reading a ping's request: run ids, uuids, slugs, the remote address, truncation and
//! the kinds' names.

use super::*;

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
        .map(|i| char::from(b'a' + u8::try_from(i % 26).unwrap()))
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
