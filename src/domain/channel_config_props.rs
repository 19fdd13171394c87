//! Properties of channel settings: any JSON is read without a panic, what is accepted is
//! fit to store and reads back the same from storage, and what the API shows (secrets
//! masked) can be sent back to keep the stored secrets.

use super::*;
use crate::domain::props;
use proptest::prelude::*;

const KEYS: [&str; 17] = [
    "address",
    "url",
    "mentions",
    "sendkey",
    "cmd_down",
    "cmd_up",
    "secret",
    "method_down",
    "url_down",
    "body_down",
    "headers_down",
    "method_up",
    "url_up",
    "body_up",
    "headers_up",
    "key",
    "x",
];

/// Strings near what each field accepts, and strings that probe its edges.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "\\PC{0,16}",
        1 => "[\\x00-\\x1f\\r\\n a]{0,4}",
        2 => "(https?://)[a-z.]{1,10}/[a-z?=&]{0,10}(key=[a-zA-Z0-9-]{0,12})?",
        1 => "[a-z]{1,6}@[a-z]{1,6}\\.[a-z]{2,3}",
        1 => "(SCT|sctp[0-9]{1,3}t)[a-zA-Z0-9_-]{0,20}",
        1 => "(get|POST|Put|delete)",
        1 => (990usize..1010).prop_map(|n| "a".repeat(n)),
    ]
}

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        text().prop_map(Value::from),
    ];
    leaf.prop_recursive(2, 24, 22, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(("[A-Za-z -]{1,8}", inner), 0..22)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn config() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        4 => prop::sample::select(&KEYS[..]).prop_map(str::to_string),
        1 => "[a-z_]{1,10}",
    ];
    prop_oneof![
        10 => prop::collection::vec((key, json()), 0..6)
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        1 => json(),
    ]
}

fn kind() -> impl Strategy<Value = ChannelKind> {
    prop::sample::select(&ChannelKind::ALL[..])
}

/// Every string a configuration holds.
fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|i| strings(i, out)),
        Value::Object(m) => m.iter().for_each(|(k, v)| {
            out.push(k.clone());
            strings(v, out);
        }),
        _ => {}
    }
}

proptest! {
    #![proptest_config(props::config(256))]

    #[test]
    fn any_json_is_read_without_panic_and_what_is_accepted_reads_back_from_storage(
        kind in kind(),
        value in config(),
    ) {
        let Ok(config) = ChannelConfig::parse(kind, &value) else { return Ok(()) };
        prop_assert_eq!(config.kind(), kind);
        let stored = config.to_json().to_string();
        prop_assert!(stored.len() < 64_000, "stored settings stay small: {} bytes", stored.len());
        let mut texts = Vec::new();
        strings(&config.to_json(), &mut texts);
        prop_assert!(texts.iter().all(|s| !s.contains('\0')), "{stored}");
        prop_assert_eq!(ChannelConfig::from_stored(kind, &stored), Ok(config));
    }

    #[test]
    fn settings_shown_with_secrets_masked_can_be_sent_back(kind in kind(), value in config()) {
        let Ok(stored) = ChannelConfig::parse(kind, &value) else { return Ok(()) };
        let shown = stored.to_masked_json();
        let sent_back = ChannelConfig::parse(kind, &shown);
        prop_assert!(sent_back.is_ok(), "{shown}: {:?}", sent_back.err());
        let mut sent_back = sent_back.unwrap_or_else(|_| stored.clone());
        sent_back.keep_masked_secrets(&stored);
        prop_assert_eq!(sent_back, stored);
    }

    #[test]
    fn a_channel_name_is_accepted_exactly_when_short_and_free_of_nul(name in "\\PC{0,110}|[a\\x00]{0,3}") {
        let ok = name.chars().count() <= limits::CHANNEL_NAME && !name.contains('\0');
        prop_assert_eq!(parse_name(&name).is_ok(), ok);
    }
}
