//! Properties of webhook template expansion (healthchecks' `$NAME`-style placeholders):
//! it never panics, leaves text without placeholders alone, never expands a value again,
//! and encodes values for where they go. Pure, so no backend is involved.

use overdue::notify::webhook::{Place, expand};
use proptest::prelude::*;
use proptest::test_runner::Config;

const NAMES: [&str; 12] = [
    "$NAME_JSON",
    "$BODY_JSON",
    "$EXITSTATUS",
    "$STATUS",
    "$CODE",
    "$NAME",
    "$SLUG",
    "$TAGS",
    "$JSON",
    "$BODY",
    "$NOW",
    "$TAG1",
];

/// A modest number of cases, or `PROPTEST_CASES`.
fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok());
    Config {
        cases: cases.unwrap_or(512),
        failure_persistence: None,
        ..Config::default()
    }
}

/// Short text of any characters, with `$`, placeholder letters and wide characters
/// common among them.
fn text(max: usize) -> impl Strategy<Value = String> {
    let c = prop_oneof![
        3 => any::<char>(),
        2 => prop::sample::select(vec!['$', 'N', 'A', 'M', 'E', '_', '%', '&', '#', ';', 'é', '€', '😀', ' ']),
    ];
    prop::collection::vec(c, 0..=max).prop_map(|c| c.into_iter().collect())
}

/// Values for every placeholder, longest names first, as the notifier orders them.
fn values() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec(text(8), NAMES.len()).prop_map(|vals| {
        let mut v: Vec<(String, String)> = NAMES.iter().map(|n| n.to_string()).zip(vals).collect();
        v.sort_by_key(|(name, _)| std::cmp::Reverse(name.len()));
        v
    })
}

/// Templates mixing placeholders, lone dollars, unknown names and text.
fn template() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        prop::sample::select(&NAMES[..]).prop_map(str::to_string),
        text(6),
    ];
    prop::collection::vec(piece, 0..6).prop_map(|p| p.concat())
}

fn place() -> impl Strategy<Value = Place> {
    prop::sample::select(vec![Place::Url, Place::Header, Place::Body])
}

fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hex = [bytes.next()?, bytes.next()?];
            out.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
        } else {
            out.push(b);
        }
    }
    Some(out)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn expansion_never_panics(template in template(), values in values(), place in place()) {
        let _ = expand(&template, &values, place);
    }

    #[test]
    fn text_without_a_dollar_is_left_alone(text in text(40), values in values(), place in place()) {
        let text = text.replace('$', "");
        prop_assert_eq!(expand(&text, &values, place), text);
    }

    #[test]
    fn a_value_goes_into_a_body_as_it_is_and_is_never_expanded_again(
        values in values(),
        before in text(8),
        after in text(8),
    ) {
        let before = before.replace('$', "");
        let after: String = after.chars().filter(|c| !matches!(c, '$' | 'A'..='Z' | '_' | '0'..='9')).collect();
        let name = &values.iter().find(|(n, _)| n == "$NAME").unwrap().1;
        let out = expand(&format!("{before}$NAME{after}"), &values, Place::Body);
        prop_assert_eq!(out, format!("{before}{name}{after}"));
    }

    #[test]
    fn a_value_in_a_url_is_percent_encoded_and_decodes_back(values in values()) {
        let name = &values.iter().find(|(n, _)| n == "$NAME").unwrap().1;
        let out = expand("$NAME", &values, Place::Url);
        prop_assert!(
            out.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-~/%".contains(&b)),
            "{out}"
        );
        prop_assert_eq!(percent_decode(&out), Some(name.as_bytes().to_vec()));
    }

    #[test]
    fn a_value_in_a_header_is_latin1(values in values(), template in template()) {
        let out = expand(&template, &values, Place::Header);
        let template_chars: Vec<char> = template.chars().filter(|c| u32::from(*c) >= 256).collect();
        let out_wide: Vec<char> = out.chars().filter(|c| u32::from(*c) >= 256).collect();
        prop_assert_eq!(out_wide, template_chars, "only the template's own characters stay wide");
    }

    #[test]
    fn body_placeholders_are_left_alone_outside_bodies(values in values()) {
        for place in [Place::Url, Place::Header] {
            let out = expand("$BODY $BODY_JSON", &values, place);
            prop_assert_eq!(out, "$BODY $BODY_JSON");
        }
    }
}
