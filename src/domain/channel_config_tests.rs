use super::*;

fn parse(kind: &str, v: Value) -> Result<ChannelConfig, String> {
    let kind = ChannelKind::parse(kind).map_err(|e| e.to_string())?;
    ChannelConfig::parse(kind, &v).map_err(|e| e.to_string())
}

#[test]
fn webhook_takes_healthchecks_fields_with_defaults() {
    let c = parse(
        "webhook",
        json!({
            "url_down": "https://example.com/down?n=$NAME",
            "method_up": "post",
            "url_up": "http://example.com/up",
            "body_up": "{\"s\": \"$STATUS\"}",
            "headers_up": {"Content-Type": "application/json"},
        }),
    )
    .unwrap();
    let ChannelConfig::Webhook(w) = c else {
        panic!("webhook")
    };
    assert_eq!(
        (w.down.method.as_str(), w.up.method.as_str()),
        ("GET", "POST")
    );
    assert_eq!(w.up.headers["Content-Type"], "application/json");
    assert_eq!(w.secret, "");
}

#[test]
fn webhook_problems_name_the_field() {
    assert_eq!(
        parse("webhook", json!({})).unwrap_err(),
        "json validation error: config needs url_down or url_up"
    );
    assert_eq!(
        parse("webhook", json!({"url_down": "ftp://x"})).unwrap_err(),
        "json validation error: config.url_down must be an http:// or https:// URL"
    );
    assert_eq!(
        parse(
            "webhook",
            json!({"url_down": "http://x", "method_down": "DELETE"})
        )
        .unwrap_err(),
        "json validation error: config.method_down has unexpected value (expected GET, POST or PUT)"
    );
    assert!(
        parse(
            "webhook",
            json!({"url_down": "http://x", "headers_down": {"Bad Name": "v"}})
        )
        .unwrap_err()
        .contains("not a valid header name")
    );
    assert!(
        parse(
            "webhook",
            json!({"url_down": "http://x", "headers_down": {"X": "a\r\nb"}})
        )
        .unwrap_err()
        .contains("one line")
    );
    assert!(
        parse(
            "webhook",
            json!({"url_down": "http://x", "headers_down": "X: y"})
        )
        .unwrap_err()
        .contains("not an object")
    );
    assert!(
        parse(
            "webhook",
            json!({"url_down": "http://x/".to_string() + &"a".repeat(1000)})
        )
        .unwrap_err()
        .contains("too long")
    );
}

#[test]
fn email_wecom_and_serverchan_are_validated() {
    assert!(parse("email", json!({"address": "ops@example.com"})).is_ok());
    assert_eq!(
        parse("email", json!({"address": "nope"})).unwrap_err(),
        "json validation error: config.address is not an email address"
    );
    assert!(
        parse(
            "wecom",
            json!({"url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"})
        )
        .is_ok()
    );
    assert!(
        parse(
            "wecom",
            json!({"url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"})
        )
        .unwrap_err()
        .contains("key=")
    );
    assert!(
        parse(
            "wecom",
            json!({"url": "https://x/?key=1", "mentions": "@all"})
        )
        .unwrap_err()
        .contains("mentions")
    );
    assert!(parse("serverchan", json!({"sendkey": "SCT12345abcdef"})).is_ok());
    assert!(
        parse("serverchan", json!({"sendkey": ""}))
            .unwrap_err()
            .contains("SendKey")
    );
    assert!(parse("serverchan", json!({"sendkey": "a b"})).is_err());
}

#[test]
fn unknown_kinds_and_non_objects_are_refused() {
    assert!(
        parse("carrier-pigeon", json!({}))
            .unwrap_err()
            .contains("kind has unexpected value")
    );
    assert_eq!(
        parse("email", json!("ops@example.com")).unwrap_err(),
        "json validation error: config is not an object"
    );
}

#[test]
fn secrets_are_masked_for_display_and_kept_when_sent_back_masked() {
    let wecom = parse("wecom", json!({"url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"})).unwrap();
    let shown = wecom.to_masked_json();
    let url = shown["url"].as_str().unwrap();
    assert!(url.ends_with("key=693a********5aaa"), "{url}");
    let mut round_trip = ChannelConfig::parse(ChannelKind::WeCom, &shown).unwrap();
    round_trip.keep_masked_secrets(&wecom);
    assert_eq!(round_trip, wecom);

    let sc = parse("serverchan", json!({"sendkey": "SCT123456789abcdef"})).unwrap();
    assert_eq!(sc.to_masked_json()["sendkey"], "SCT1********cdef");
    let hook = parse(
        "webhook",
        json!({"url_down": "http://x", "secret": "s3cret-value"}),
    )
    .unwrap();
    assert_eq!(hook.to_masked_json()["secret"], "********");
    let mut changed = parse("serverchan", json!({"sendkey": "SCTnewkey000000"})).unwrap();
    changed.keep_masked_secrets(&sc);
    assert_eq!(
        changed.to_json()["sendkey"],
        "SCTnewkey000000",
        "a new key replaces the old"
    );
}

#[test]
fn stored_form_round_trips() {
    for (kind, v) in [
        ("email", json!({"address": "a@b.co"})),
        ("webhook", json!({"url_up": "https://x/up", "secret": "k"})),
        (
            "wecom",
            json!({"url": "https://x/?key=k", "mentions": ["@all"]}),
        ),
        ("serverchan", json!({"sendkey": "SCTk"})),
        ("shell", json!({"cmd_down": "systemctl restart app"})),
    ] {
        let c = parse(kind, v).unwrap();
        assert_eq!(
            ChannelConfig::from_stored(c.kind(), &c.to_json().to_string()).unwrap(),
            c
        );
    }
}

/// Found by the property tests: a ServerChan channel as the API shows it (its key masked
/// with `*`) was refused when sent back, so it could not be changed by round trip.
#[test]
fn a_masked_serverchan_key_sent_back_keeps_the_stored_key() {
    for key in ["SCT123456789abcdef", "SCT"] {
        let stored = parse("serverchan", json!({ "sendkey": key })).unwrap();
        let mut sent_back = ChannelConfig::parse(ChannelKind::ServerChan, &stored.to_masked_json())
            .expect("the masked form is accepted");
        sent_back.keep_masked_secrets(&stored);
        assert_eq!(sent_back, stored);
    }
    assert!(
        parse("serverchan", json!({"sendkey": "SCT*"})).is_err(),
        "only the mask"
    );
}

#[test]
fn nul_and_oversize_settings_are_refused_naming_the_field() {
    assert_eq!(
        parse(
            "webhook",
            json!({"url_down": "http://x/", "body_up": "a\u{0}"})
        )
        .unwrap_err(),
        "json validation error: config.body_up must not contain NUL characters (\\u0000)"
    );
    assert_eq!(
        parse("shell", json!({"cmd_down": "x".repeat(1001)})).unwrap_err(),
        "json validation error: config.cmd_down is too long (at most 1000 characters)"
    );
    let headers: serde_json::Map<String, Value> =
        (0..21).map(|i| (format!("X-{i}"), json!("v"))).collect();
    assert!(
        parse(
            "webhook",
            json!({"url_down": "http://x/", "headers_up": headers})
        )
        .unwrap_err()
        .contains("too many headers (at most 20)")
    );
    assert!(
        parse(
            "webhook",
            json!({"url_down": "http://x/", "headers_up": {"X".repeat(101): "v"}})
        )
        .unwrap_err()
        .contains("not a valid header name")
    );
    assert_eq!(
        parse_name(&"n".repeat(101)).unwrap_err().to_string(),
        "json validation error: name is too long (at most 100 characters)"
    );
}
