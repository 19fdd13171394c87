//! The Management API's JSON: any body is read without a panic, a check update that is
//! accepted leaves storable text in every API version, and channel settings that are
//! accepted read back the same from storage.

#![no_main]

use libfuzzer_sys::fuzz_target;
use overdue::domain::channel_config::{ChannelConfig, ChannelKind};
use overdue::domain::check_config::CheckConfig;
use overdue::domain::{check_update, limits};
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    if let Ok(update) = check_update::parse(&obj, 60) {
        for version in 1..=3 {
            let mut config = CheckConfig::default();
            update.apply(&mut config, version);
            for (text, max) in [
                (&config.name, limits::NAME),
                (&config.slug, limits::SLUG),
                (&config.tags, limits::TAGS),
                (&config.desc, limits::DESC),
                (&config.schedule, limits::SCHEDULE),
                (&config.failure_kw, limits::KEYWORDS),
            ] {
                assert!(limits::check_text(text, max).is_ok(), "{text:?}");
            }
        }
    }
    let settings = Value::Object(obj);
    for kind in ChannelKind::ALL {
        if let Ok(config) = ChannelConfig::parse(kind, &settings) {
            let stored = config.to_json().to_string();
            assert!(!stored.contains("\\u0000"), "{stored}");
            assert_eq!(ChannelConfig::from_stored(kind, &stored), Ok(config));
        }
    }
});
