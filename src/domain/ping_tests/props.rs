//! Properties of what a ping URL and body say: the URL's parts parse without panicking
//! into exactly what healthchecks accepts, and classification follows its precedence
//! (exit status, POST-only, body keywords, manual resume) for any method and body bytes.

use super::*;
use crate::domain::props;
use proptest::prelude::*;

fn action() -> impl Strategy<Value = PingAction> {
    prop_oneof![
        Just(PingAction::Success),
        Just(PingAction::Start),
        Just(PingAction::Fail),
        Just(PingAction::Log),
        any::<u8>().prop_map(PingAction::Exit),
    ]
}

/// Keyword lists as people write them: short words, commas, stray spaces.
fn keywords() -> impl Strategy<Value = String> {
    prop::collection::vec("[ ]?[a-cA-C!é]{0,3}[ ]?", 0..4).prop_map(|kws| kws.join(","))
}

fn rules() -> impl Strategy<Value = PingRules> {
    (any::<[bool; 4]>(), keywords(), keywords(), keywords()).prop_map(
        |([post_only, filter_body, default_fail, paused], start_kw, success_kw, failure_kw)| {
            PingRules {
                post_only,
                filter_body,
                default_fail,
                start_kw,
                success_kw,
                failure_kw,
                paused_until_resumed: paused,
            }
        },
    )
}

/// Bodies made of the keywords' letters, with bytes that are not UTF-8 mixed in.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(b"abcABC! ,".to_vec()),
            1 => Just(0xff),
            1 => Just(0xc3),
            1 => any::<u8>(),
        ],
        0..24,
    )
}

/// healthchecks' keyword match, written out: any trimmed, non-empty keyword of the
/// comma list is a substring of the text.
fn oracle_match(text: &str, keywords: &str) -> bool {
    keywords
        .split(',')
        .map(|k| k.trim())
        .filter(|k| !k.is_empty())
        .any(|k| text.contains(k))
}

proptest! {
    #![proptest_config(props::config(512))]

    #[test]
    fn url_segments_parse_without_panicking(segment in "\\PC{0,40}|[0-9]{1,30}|[a-z0-9-]{36}") {
        let _ = PingAction::from_segment(&segment);
        let _ = slug_shape(&segment);
        let _ = parse_rid(&segment);
        let _ = is_canonical_uuid(&segment, false);
    }

    #[test]
    fn exit_status_segments_are_0_to_255_and_nothing_else_is_a_number(n in 0u64..100_000, zeros in 0usize..3) {
        let segment = format!("{}{n}", "0".repeat(zeros));
        let parsed = PingAction::from_segment(&segment);
        match u8::try_from(n) {
            Ok(code) => prop_assert_eq!(parsed, Ok(PingAction::Exit(code))),
            Err(_) => prop_assert_eq!(parsed, Err(ActionError::ExitStatusOutOfRange)),
        }
    }

    #[test]
    fn slug_shape_is_healthchecks_slug_pattern(slug in "[a-zA-Z0-9_.~ %-]{0,12}") {
        let word = !slug.is_empty()
            && slug.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        let expected = match (word, slug.bytes().any(|b| b.is_ascii_uppercase())) {
            (false, _) => SlugShape::Invalid,
            (true, true) => SlugShape::Uppercase,
            (true, false) => SlugShape::Valid,
        };
        prop_assert_eq!(slug_shape(&slug), expected);
    }

    #[test]
    fn uuids_are_canonical_lowercase_in_urls_and_any_case_in_rids(
        bytes in any::<[u8; 16]>(),
        upper in any::<bool>(),
        damage in prop::option::of((0usize..36, "[g-z{}_ ]")),
    ) {
        let mut text = Uuid::from_bytes(bytes).hyphenated().to_string();
        if upper {
            text = text.to_uppercase();
        }
        if let Some((at, with)) = &damage {
            text.replace_range(*at..=*at, with);
        }
        let valid = damage.is_none();
        prop_assert_eq!(is_canonical_uuid(&text, false), valid && (!upper || !text.bytes().any(|b| b.is_ascii_uppercase())));
        prop_assert_eq!(parse_rid(&text), valid.then(|| Uuid::from_bytes(bytes)));
    }

    #[test]
    fn classification_follows_healthchecks_precedence(
        action in action(),
        post in any::<bool>(),
        body in body(),
        rules in rules(),
    ) {
        let method = if post { "POST" } else { "GET" };
        let kind = classify(action, method, &body, &rules);
        let text = String::from_utf8_lossy(&body);
        let by_url = match action {
            PingAction::Success | PingAction::Exit(0) => PingKind::Success,
            PingAction::Fail | PingAction::Exit(_) => PingKind::Fail,
            PingAction::Start => PingKind::Start,
            PingAction::Log => PingKind::Log,
        };
        let expected = if rules.paused_until_resumed || (rules.post_only && !post) {
            PingKind::Ignored
        } else if !rules.filter_body {
            by_url
        } else if oracle_match(&text, &rules.failure_kw) {
            PingKind::Fail
        } else if oracle_match(&text, &rules.success_kw) {
            PingKind::Success
        } else if oracle_match(&text, &rules.start_kw) {
            PingKind::Start
        } else if rules.default_fail {
            PingKind::Fail
        } else {
            PingKind::Ignored
        };
        prop_assert_eq!(kind, expected);
    }

    #[test]
    fn a_failure_keyword_anywhere_in_the_body_fails_a_filtered_ping(
        action in action(),
        before in body(),
        after in body(),
        keyword in "[a-c]{1,3}",
    ) {
        let rules = PingRules { filter_body: true, failure_kw: format!(" {keyword} ,zzz"), ..PingRules::default() };
        let body = [before, keyword.into_bytes(), after].concat();
        prop_assert_eq!(classify(action, "POST", &body, &rules), PingKind::Fail);
    }

    #[test]
    fn the_client_address_is_the_peer_or_a_forwarded_hop(forwarded in prop::option::of("\\PC{0,40}|[0-9.:, ]{0,30}")) {
        use crate::domain::proxies::TrustedProxies;
        use std::net::{IpAddr, Ipv4Addr};
        let trusted: TrustedProxies = "127.0.0.0/8".parse().unwrap();
        let peer = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let ip = trusted.client_ip(peer, forwarded.as_deref());
        let is_hop = |hop: &str| {
            let hop = hop.trim();
            hop.parse::<IpAddr>().ok() == Some(ip)
                || hop.rsplit_once(':').and_then(|(a, _)| a.parse::<IpAddr>().ok()) == Some(ip)
        };
        prop_assert!(ip == peer || forwarded.as_deref().is_some_and(|f| f.split(',').any(is_hop)), "{ip}");
    }

    #[test]
    fn stored_headers_are_capped_text_without_nul(raw in prop::collection::vec(any::<u8>(), 0..64), max in 0usize..20) {
        let stored = stored_header(&raw, max);
        prop_assert!(stored.chars().count() <= max);
        prop_assert!(!stored.contains('\0'));
        if let Ok(text) = std::str::from_utf8(&raw) && !text.contains('\0') && text.chars().count() <= max {
            prop_assert_eq!(stored, text);
        }
    }
}
