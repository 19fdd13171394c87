//! Properties of the Management API's check input: any JSON object is read without a
//! panic, whatever is accepted is fit to store (capped, no NUL, valid schedule and
//! zone), and valid input round-trips through parsing and applying.

use super::*;
use crate::domain::props;
use crate::domain::schedule::MAX_TIMEOUT_SECS;
use proptest::prelude::*;

const FIELDS: [&str; 22] = [
    "name",
    "slug",
    "tags",
    "desc",
    "timeout",
    "grace",
    "schedule",
    "tz",
    "manual_resume",
    "methods",
    "channels",
    "start_kw",
    "success_kw",
    "failure_kw",
    "subject",
    "subject_fail",
    "filter_subject",
    "filter_body",
    "filter_http_body",
    "filter_default_fail",
    "unique",
    "api_key",
];

/// Strings that probe the edges: anything printable, control characters and NUL,
/// long runs, and values that are nearly valid.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "\\PC{0,12}",
        1 => "[\\x00-\\x1f a-z]{0,6}",
        1 => (0usize..600).prop_map(|n| "x".repeat(n)),
        1 => (0usize..60).prop_map(|n| "t ".repeat(n)),
        1 => prop::sample::select(vec!["* * * * *", "0 2 * * *", "@daily", "Mon 09:00", "Europe/Riga", "POST", "*", ""])
            .prop_map(str::to_string),
    ]
}

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-100i64..40_000_000).prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        text().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::vec(("[a-z_]{1,8}", inner), 0..3)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn object() -> impl Strategy<Value = Map<String, Value>> {
    let key = prop_oneof![
        4 => prop::sample::select(&FIELDS[..]).prop_map(str::to_string),
        1 => "[a-z_]{1,12}",
    ];
    prop::collection::vec((key, json()), 0..8).prop_map(|kv| kv.into_iter().collect())
}

/// A valid value for every field (each present or not), as a JSON object.
fn valid_object() -> impl Strategy<Value = Map<String, Value>> {
    let name = "[^\\x00]{0,100}".prop_filter("a name has at most 100 characters", |s| {
        s.chars().count() <= 100
    });
    let tags = prop::collection::vec("[a-z0-9:_-]{1,9}", 0..=50).prop_map(|t| t.join(" "));
    let kw = "[^\\x00,]{0,20}(,[^\\x00,]{0,20}){0,3}";
    let seconds = 60i64..=MAX_TIMEOUT_SECS;
    let schedule = prop::sample::select(vec![
        "* * * * *",
        "0 2 * * 1-5",
        "@hourly",
        "*-*-* 02:00",
        "Mon..Fri 09:30",
    ]);
    let tz = prop::sample::select(vec![
        "UTC",
        "Europe/Riga",
        "America/New_York",
        "Asia/Kolkata",
    ]);
    let texts = (
        prop::option::of(name),
        prop::option::of("[a-z0-9_-]{0,100}"),
        prop::option::of(tags),
        prop::option::of("[^\\x00]{0,200}"),
        prop::option::of(kw),
        prop::option::of(kw),
        prop::option::of(kw),
    );
    let others = (
        prop::option::of(seconds.clone()),
        prop::option::of(seconds),
        prop::option::of(schedule),
        prop::option::of(tz),
        prop::option::of(prop::sample::select(vec!["", "POST"])),
        prop::option::of(any::<[bool; 5]>()),
    );
    (texts, others).prop_map(
        |(
            (name, slug, tags, desc, start, success, failure),
            (timeout, grace, schedule, tz, methods, flags),
        )| {
            let mut m = Map::new();
            let mut put = |k: &str, v: Option<Value>| {
                if let Some(v) = v {
                    m.insert(k.to_string(), v);
                }
            };
            put("name", name.map(Value::from));
            put("slug", slug.map(Value::from));
            put("tags", tags.map(Value::from));
            put("desc", desc.map(Value::from));
            put("start_kw", start.map(Value::from));
            put("success_kw", success.map(Value::from));
            put("failure_kw", failure.map(Value::from));
            put("timeout", timeout.map(Value::from));
            put("grace", grace.map(Value::from));
            put("schedule", schedule.map(Value::from));
            put("tz", tz.map(Value::from));
            put("methods", methods.map(Value::from));
            if let Some([a, b, c, d, e]) = flags {
                for (k, v) in [
                    ("manual_resume", a),
                    ("filter_subject", b),
                    ("filter_body", c),
                    ("filter_http_body", d),
                    ("filter_default_fail", e),
                ] {
                    put(k, Some(Value::from(v)));
                }
            }
            m
        },
    )
}

/// Names of up to 100 characters, often of characters that fold to several letters
/// (`Ⅷ` is `VIII`, `㎒` is `MHz`, `ﬃ` is `ffi`), which stretch a slug.
fn name() -> impl Strategy<Value = String> {
    let folding = prop::sample::select(vec!['Ⅷ', '㎒', 'ﬃ', '⑽', '½', '™', 'a', ' ', '-', 'é']);
    prop_oneof![
        "\\PC{0,100}",
        prop::collection::vec(folding, 0..=100).prop_map(|c| c.into_iter().collect()),
    ]
}

/// Every text a parsed update would store.
fn stored_texts(u: &CheckUpdate) -> Vec<(&'static str, &String, usize)> {
    let fields = [
        ("name", &u.name, limits::NAME),
        ("slug", &u.slug, limits::SLUG),
        ("tags", &u.tags, limits::TAGS),
        ("desc", &u.desc, limits::DESC),
        ("schedule", &u.schedule, limits::SCHEDULE),
        ("tz", &u.tz, limits::TZ),
        ("start_kw", &u.start_kw, limits::KEYWORDS),
        ("success_kw", &u.success_kw, limits::KEYWORDS),
        ("failure_kw", &u.failure_kw, limits::KEYWORDS),
        ("subject", &u.subject, limits::KEYWORDS),
        ("subject_fail", &u.subject_fail, limits::KEYWORDS),
    ];
    fields
        .into_iter()
        .filter_map(|(name, value, max)| value.as_ref().map(|v| (name, v, max)))
        .collect()
}

proptest! {
    #![proptest_config(props::config(256))]

    #[test]
    fn any_json_object_is_read_without_panic_and_what_is_accepted_is_fit_to_store(
        obj in object(),
        min_timeout in 1i64..=120,
    ) {
        let Ok(u) = parse(&obj, min_timeout) else { return Ok(()) };
        for (field, value, max) in stored_texts(&u) {
            prop_assert!(!value.contains('\0'), "{field}");
            prop_assert!(value.chars().count() <= max, "{field}");
        }
        if let Some(tags) = &u.tags {
            prop_assert!(tag_list(tags).len() <= limits::TAG_COUNT);
        }
        for secs in [u.timeout, u.grace].into_iter().flatten() {
            prop_assert!((min_timeout..=MAX_TIMEOUT_SECS).contains(&secs));
        }
        if let Some(tz) = &u.tz {
            prop_assert!(schedule::parse_tz(tz).is_ok());
        }
        // Applying it to a check, in any API version, leaves storable text behind.
        for version in 1..=3 {
            let mut config = CheckConfig::default();
            u.apply(&mut config, version);
            prop_assert!(limits::check_text(&config.slug, limits::SLUG).is_ok(), "{}", config.slug);
            prop_assert!(!config.name.contains('\0') && !config.schedule.contains('\0'));
        }
    }

    #[test]
    fn valid_input_round_trips_through_parse_and_apply(obj in valid_object()) {
        let parsed = parse(&obj, 60);
        prop_assert!(parsed.is_ok(), "{:?}: {:?}", obj, parsed.err());
        let u = parsed.unwrap_or_default();
        let mut config = CheckConfig::default();
        u.apply(&mut config, 3);
        let text = |k: &str| obj.get(k).and_then(Value::as_str);
        prop_assert_eq!(text("name").unwrap_or(""), config.name.as_str());
        prop_assert_eq!(text("slug").unwrap_or(""), config.slug.as_str());
        prop_assert_eq!(text("tags").unwrap_or(""), config.tags.as_str());
        prop_assert_eq!(text("desc").unwrap_or(""), config.desc.as_str());
        prop_assert_eq!(text("failure_kw").unwrap_or(""), config.failure_kw.as_str());
        prop_assert_eq!(text("tz").unwrap_or("UTC"), config.tz.as_str());
        if let Some(g) = obj.get("grace").and_then(Value::as_i64) {
            prop_assert_eq!(g, config.grace);
        }
        let schedule = text("schedule");
        match schedule {
            Some(s) => prop_assert_eq!((s, Some(guess_kind(s))), (config.schedule.as_str(), u.kind())),
            None => prop_assert_eq!(obj.get("timeout").and_then(Value::as_i64).unwrap_or(86_400), config.timeout),
        }
        prop_assert!(!u.apply(&mut config, 3), "applying the same update again changes nothing");
    }

    #[test]
    fn a_slug_derived_from_any_valid_name_is_a_valid_slug(name in name()) {
        let slug = derived_slug(&name);
        let mut obj = Map::new();
        obj.insert("slug".into(), Value::from(slug.clone()));
        prop_assert!(parse(&obj, 60).is_ok(), "{slug:?} from {name:?}");
    }
}
