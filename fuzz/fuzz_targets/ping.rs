//! What a ping says: URL segments, body classification with any keywords, and the
//! request details stored with it. No input panics, and the precedence holds: a paused
//! check ignores everything, a POST-only check ignores other methods, body filters never
//! log, and stored details are capped text without NUL.

#![no_main]

use libfuzzer_sys::fuzz_target;
use overdue::domain::ping::{
    self, PingAction, PingKind, PingRules, classify, parse_rid, remote_addr, slug_shape,
};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    // segment, keywords (start, success, failure), X-Forwarded-For, then the body.
    let mut parts = rest.splitn(6, |&b| b == 0xff);
    let mut text = || String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let (segment, start_kw, success_kw, failure_kw, forwarded) =
        (text(), text(), text(), text(), text());
    let body = parts.next().unwrap_or_default();

    let action = PingAction::from_segment(&segment).unwrap_or(PingAction::Exit(flags));
    let _ = slug_shape(&segment);
    if let Some(rid) = parse_rid(&segment) {
        assert_eq!(rid.hyphenated().to_string(), segment.to_ascii_lowercase());
    }
    let rules = PingRules {
        post_only: flags & 1 != 0,
        filter_body: flags & 2 != 0,
        default_fail: flags & 4 != 0,
        paused_until_resumed: flags & 8 != 0,
        start_kw,
        success_kw,
        failure_kw,
    };
    let method = if flags & 16 != 0 { "POST" } else { "GET" };
    let kind = classify(action, method, body, &rules);
    if rules.paused_until_resumed || (rules.post_only && method != "POST") {
        assert_eq!(kind, PingKind::Ignored);
    } else if rules.filter_body {
        assert_ne!(
            kind,
            PingKind::Log,
            "body filters decide success, start, fail or ignore"
        );
    }
    let addr = remote_addr(Some(&forwarded), None);
    assert!(addr.is_none_or(|a| a.parse::<std::net::IpAddr>().is_ok()));
    let stored = ping::stored_header(body, 200);
    assert!(stored.chars().count() <= 200 && !stored.contains('\0'));
});
