use super::*;
use crate::domain::ids::ChannelId;
use serde_json::json;
use uuid::Uuid;

fn parse_json(v: serde_json::Value) -> Result<CheckUpdate, String> {
    parse(v.as_object().unwrap(), 60).map_err(|e| e.to_string())
}

fn err(v: serde_json::Value) -> String {
    parse_json(v).unwrap_err()
}

#[test]
fn valid_fields_are_read_and_unknown_keys_ignored() {
    let u = parse_json(json!({
        "name": "Backups", "slug": "backups", "tags": "prod db", "desc": "nightly",
        "timeout": 3600, "grace": 60, "methods": "POST", "manual_resume": true,
        "unique": ["name", "slug"], "channels": "*", "api_key": "x", "whatever": [1, 2]
    }))
    .unwrap();
    assert_eq!(u.name.as_deref(), Some("Backups"));
    assert_eq!(u.timeout, Some(3600));
    assert_eq!(u.grace, Some(60));
    assert_eq!(u.methods, Some(Methods::Post));
    assert_eq!(u.manual_resume, Some(true));
    assert_eq!(u.unique, Some(vec![UniqueField::Name, UniqueField::Slug]));
    assert_eq!(u.channels.as_deref(), Some("*"));
}

#[test]
fn timeout_and_grace_bounds_give_healthchecks_messages() {
    assert_eq!(
        err(json!({"timeout": 59})),
        "json validation error: timeout is too small"
    );
    assert_eq!(
        err(json!({"timeout": 31_536_001})),
        "json validation error: timeout is too large"
    );
    assert_eq!(
        err(json!({"grace": 0})),
        "json validation error: grace is too small"
    );
    assert_eq!(
        err(json!({"timeout": "60"})),
        "json validation error: timeout is not a number"
    );
    assert_eq!(
        err(json!({"timeout": 60.5})),
        "json validation error: timeout is not a number"
    );
    assert_eq!(
        err(json!({"timeout": true})),
        "json validation error: timeout is not a number"
    );
    assert_eq!(
        err(json!({"timeout": u64::MAX})),
        "json validation error: timeout is too large"
    );
}

#[test]
fn configured_minimum_timeout_is_honoured() {
    let obj = json!({"timeout": 5, "grace": 1});
    let u = parse(obj.as_object().unwrap(), 1).unwrap();
    assert_eq!((u.timeout, u.grace), (Some(5), Some(1)));
}

#[test]
fn nulls_and_wrong_types_are_refused_per_field() {
    assert_eq!(
        err(json!({"name": null})),
        "json validation error: name is not a string"
    );
    assert_eq!(
        err(json!({"name": 5})),
        "json validation error: name is not a string"
    );
    assert_eq!(
        err(json!({"manual_resume": "yes"})),
        "json validation error: manual_resume is not a boolean"
    );
    assert_eq!(
        err(json!({"grace": null})),
        "json validation error: grace is not a number"
    );
    assert_eq!(
        err(json!({"methods": "GET"})),
        "json validation error: methods has unexpected value"
    );
    assert_eq!(
        err(json!({"unique": "name"})),
        "json validation error: unique is not an array"
    );
    assert_eq!(
        err(json!({"unique": ["desc"]})),
        "json validation error: an item in 'unique' has unexpected value"
    );
}

#[test]
fn lengths_and_slug_pattern_are_checked() {
    assert_eq!(
        err(json!({"name": "n".repeat(101)})),
        "json validation error: name is too long (at most 100 characters)"
    );
    assert!(
        parse_json(json!({"name": "é".repeat(100)})).is_ok(),
        "length counts characters"
    );
    assert_eq!(
        err(json!({"success_kw": "k".repeat(201)})),
        "json validation error: success_kw is too long (at most 200 characters)"
    );
    assert_eq!(
        err(json!({"slug": "Has Caps"})),
        "json validation error: slug does not match pattern"
    );
    assert!(parse_json(json!({"slug": "ok-slug_1"})).is_ok());
}

#[test]
fn first_problem_in_field_order_is_reported() {
    // grace comes before timeout and name in the field order.
    assert_eq!(
        err(json!({"timeout": 1, "grace": 1, "name": 1})),
        "json validation error: grace is too small"
    );
}

#[test]
fn schedules_must_be_valid_cron_or_oncalendar() {
    assert_eq!(
        err(json!({"schedule": "* * * *"})),
        "json validation error: schedule is not a valid cron or OnCalendar expression"
    );
    assert_eq!(
        err(json!({"schedule": "61 * * * *"})),
        "json validation error: schedule is not a valid cron or OnCalendar expression"
    );
    let u = parse_json(json!({"schedule": "*-*-* 02:00"})).unwrap();
    assert_eq!(u.kind(), Some(ScheduleKind::OnCalendar));
    for alias in [
        "@hourly",
        "@daily",
        "@weekly",
        "@monthly",
        "@yearly",
        "@annually",
    ] {
        let u = parse_json(json!({ "schedule": alias })).unwrap();
        assert_eq!(u.kind(), Some(ScheduleKind::Cron), "{alias}");
    }
    assert_eq!(
        err(json!({"schedule": "@reboot"})),
        "json validation error: schedule is not a valid cron or OnCalendar expression"
    );
    let u = parse_json(json!({"schedule": "0 2 * * *", "timeout": 60})).unwrap();
    assert_eq!(
        u.kind(),
        Some(ScheduleKind::Cron),
        "a schedule wins over a timeout"
    );
}

#[test]
fn time_zones_are_validated_and_legacy_names_kept_usable() {
    assert_eq!(
        err(json!({"tz": "Mars/Base"})),
        "json validation error: tz is not a valid timezone"
    );
    assert_eq!(
        parse_json(json!({"tz": "Europe/Riga"}))
            .unwrap()
            .tz
            .as_deref(),
        Some("Europe/Riga")
    );
    assert!(parse_json(json!({"tz": "Europe/Kiev"})).is_ok());
}

#[test]
fn guess_kind_is_cron_only_for_one_line_of_five_fields() {
    assert_eq!(guess_kind("0 2 * * *"), ScheduleKind::Cron);
    assert_eq!(guess_kind("  0 2 * * *  "), ScheduleKind::Cron);
    assert_eq!(guess_kind("*-*-* 02:00"), ScheduleKind::OnCalendar);
    assert_eq!(guess_kind("0 2 * * *\n0 3 * * *"), ScheduleKind::OnCalendar);
    assert_eq!(guess_kind("@daily"), ScheduleKind::Cron);
    assert_eq!(guess_kind(" @hourly "), ScheduleKind::Cron);
    assert_eq!(
        guess_kind("daily"),
        ScheduleKind::OnCalendar,
        "OnCalendar's shorthand"
    );
}

#[test]
fn apply_changes_only_given_fields_and_reports_changes() {
    let mut config = CheckConfig::default();
    let u = parse_json(json!({"name": "Backups", "timeout": 3600})).unwrap();
    assert!(u.apply(&mut config, 3));
    assert_eq!(
        (config.name.as_str(), config.slug.as_str(), config.timeout),
        ("Backups", "", 3600)
    );
    assert_eq!(config.grace, 3600, "untouched");
    assert!(!u.apply(&mut config, 3), "applying again changes nothing");
}

#[test]
fn versions_one_and_two_derive_the_slug_from_the_name() {
    let u = parse_json(json!({"name": "Nightly Backups!"})).unwrap();
    let mut config = CheckConfig::default();
    u.apply(&mut config, 1);
    assert_eq!(config.slug, "nightly-backups");
    let mut config = CheckConfig::default();
    u.apply(&mut config, 2);
    assert_eq!(config.slug, "nightly-backups");
}

#[test]
fn schedule_switches_kind_and_timeout_switches_back() {
    let mut config = CheckConfig::default();
    parse_json(json!({"schedule": "0 2 * * *", "tz": "Europe/Riga"}))
        .unwrap()
        .apply(&mut config, 3);
    assert_eq!(
        (
            config.kind.as_str(),
            config.schedule.as_str(),
            config.tz.as_str()
        ),
        ("cron", "0 2 * * *", "Europe/Riga")
    );
    parse_json(json!({"timeout": 120}))
        .unwrap()
        .apply(&mut config, 3);
    assert_eq!((config.kind.as_str(), config.timeout), ("simple", 120));
}

#[test]
fn deprecated_subject_fields_map_to_keywords() {
    let mut config = CheckConfig::default();
    parse_json(json!({"subject": "OK", "subject_fail": "ERR"}))
        .unwrap()
        .apply(&mut config, 3);
    assert_eq!(
        (
            config.success_kw.as_str(),
            config.failure_kw.as_str(),
            config.filter_subject
        ),
        ("OK", "ERR", true)
    );
    parse_json(json!({"subject": "", "subject_fail": ""}))
        .unwrap()
        .apply(&mut config, 3);
    assert!(!config.filter_subject);
}

#[test]
fn unique_matches_only_when_every_named_field_is_given_and_equal() {
    let config = CheckConfig {
        name: "Backups".into(),
        timeout: 3600,
        ..CheckConfig::default()
    };
    let u = parse_json(json!({"name": "Backups", "unique": ["name"]})).unwrap();
    assert!(u.matches_unique(&config));
    let u = parse_json(json!({"name": "Other", "unique": ["name"]})).unwrap();
    assert!(!u.matches_unique(&config));
    let u = parse_json(json!({"name": "Backups", "unique": ["name", "timeout"]})).unwrap();
    assert!(!u.unique_fields_present(), "timeout missing: no lookup");
    let u = parse_json(json!({"name": "Backups", "timeout": 3600, "unique": ["name", "timeout"]}))
        .unwrap();
    assert!(u.matches_unique(&config));
}

#[test]
fn channel_identifiers_resolve_by_uuid_or_name() {
    let chans = [
        NamedChannel {
            id: ChannelId(1),
            uuid: Uuid::from_u128(1),
            name: "ops",
        },
        NamedChannel {
            id: ChannelId(2),
            uuid: Uuid::from_u128(2),
            name: "dup",
        },
        NamedChannel {
            id: ChannelId(3),
            uuid: Uuid::from_u128(3),
            name: "dup",
        },
    ];
    assert_eq!(resolve_channels("*", &chans), Ok(ChannelSelection::All));
    assert_eq!(
        resolve_channels("", &chans),
        Ok(ChannelSelection::Ids(vec![]))
    );
    assert_eq!(
        resolve_channels("ops,00000000-0000-0000-0000-000000000002", &chans),
        Ok(ChannelSelection::Ids(vec![ChannelId(1), ChannelId(2)]))
    );
    assert_eq!(
        resolve_channels("ops,ops", &chans),
        Ok(ChannelSelection::Ids(vec![ChannelId(1)]))
    );
    assert_eq!(
        resolve_channels("nope", &chans),
        Err("invalid channel identifier: nope".into())
    );
    assert_eq!(
        resolve_channels("dup", &chans),
        Err("non-unique channel identifier: dup".into())
    );
    assert_eq!(
        resolve_channels("ops,", &chans),
        Err("empty channel identifier".into())
    );
}

#[test]
fn slugify_follows_django() {
    assert_eq!(slugify("Backups"), "backups");
    assert_eq!(slugify("  Nightly  DB -- backup  "), "nightly-db-backup");
    assert_eq!(slugify("Café & Bar"), "cafe-bar");
    assert_eq!(slugify("snake_case_name"), "snake_case_name");
    assert_eq!(slugify("--x--"), "x");
    assert_eq!(slugify(""), "");
}

#[test]
fn text_fields_refuse_nul_and_name_their_cap() {
    for field in [
        "name", "tags", "desc", "tz", "schedule", "channels", "subject",
    ] {
        assert_eq!(
            err(json!({ field: "a\u{0}" })),
            format!("json validation error: {field} must not contain NUL characters (\\u0000)")
        );
    }
    assert_eq!(
        err(json!({"tags": "t".repeat(501)})),
        "json validation error: tags is too long (at most 500 characters)"
    );
    let fifty_one: Vec<String> = (0..51).map(|i| i.to_string()).collect();
    assert_eq!(
        err(json!({"tags": fifty_one.join(" ")})),
        "json validation error: tags has too many tags (at most 50)"
    );
    assert!(parse_json(json!({"tags": fifty_one[..50].join("  ")})).is_ok());
}

/// One character of a name can fold to several letters, so a 100-character name gave
/// API v1/v2 a slug of up to 400 characters (a property test guards this too).
#[test]
fn derived_slugs_are_cut_to_the_slug_cap() {
    assert_eq!(derived_slug(&"Ⅷ".repeat(100)), "viii".repeat(25));
    assert_eq!(
        derived_slug(&format!("{}-x", "a".repeat(100))),
        "a".repeat(100)
    );
    assert_eq!(
        derived_slug(&format!("{} b", "a".repeat(99))),
        "a".repeat(99),
        "no dash at the end"
    );
}
