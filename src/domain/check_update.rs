//! A check created or changed through the Management API: the JSON fields accepted, their
//! validation (with healthchecks.io's error messages, field by field), and how they apply
//! to a check's configuration.

use super::check_config::{CheckConfig, Methods, tag_list};
use super::ids::ChannelId;
use super::limits;
use super::schedule::{self, Schedule, ScheduleKind};
use serde_json::{Map, Value};
use uuid::Uuid;

/// Fields that `unique` may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UniqueField {
    Name,
    Slug,
    Tags,
    Timeout,
    Grace,
}

/// The fields of a create or update request; `None` leaves a field unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckUpdate {
    pub channels: Option<String>,
    pub desc: Option<String>,
    pub failure_kw: Option<String>,
    pub filter_body: Option<bool>,
    pub filter_default_fail: Option<bool>,
    pub filter_http_body: Option<bool>,
    pub filter_subject: Option<bool>,
    pub grace: Option<i64>,
    pub manual_resume: Option<bool>,
    pub methods: Option<Methods>,
    pub name: Option<String>,
    pub schedule: Option<String>,
    pub slug: Option<String>,
    pub start_kw: Option<String>,
    pub subject: Option<String>,
    pub subject_fail: Option<String>,
    pub success_kw: Option<String>,
    pub tags: Option<String>,
    pub timeout: Option<i64>,
    pub tz: Option<String>,
    pub unique: Option<Vec<UniqueField>>,
}

/// A field the API does not accept, and why; displays as the API's error text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("json validation error: {0}")]
pub struct ValidationError(pub String);

fn fail<T>(field: &str, problem: &str) -> Result<T, ValidationError> {
    Err(ValidationError(format!("{field} {problem}")))
}

/// Reads the fields of a JSON object; unknown keys are ignored, `null` is refused.
/// Fields are checked in a fixed order and the first problem is reported.
/// `min_timeout` is the smallest period and grace accepted, in seconds.
pub fn parse(obj: &Map<String, Value>, min_timeout: i64) -> Result<CheckUpdate, ValidationError> {
    // Every text is capped and free of NUL (see `limits`): nothing else reaches the store.
    let text = |field: &str, max: usize| -> Result<Option<String>, ValidationError> {
        match obj.get(field) {
            None => Ok(None),
            Some(Value::String(s)) => match limits::check_text(s, max) {
                Ok(()) => Ok(Some(s.clone())),
                Err(problem) => fail(field, &problem.to_string()),
            },
            Some(_) => fail(field, "is not a string"),
        }
    };
    let flag = |field: &str| -> Result<Option<bool>, ValidationError> {
        match obj.get(field) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => fail(field, "is not a boolean"),
        }
    };
    let seconds = |field: &str| -> Result<Option<i64>, ValidationError> {
        match obj.get(field) {
            None => Ok(None),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(v) => match schedule::check_timeout_bounds(v, min_timeout) {
                    Ok(()) => Ok(Some(v)),
                    Err(schedule::TimeoutBoundError::TooSmall) => fail(field, "is too small"),
                    Err(schedule::TimeoutBoundError::TooLarge) => fail(field, "is too large"),
                },
                // A float (or an integer beyond i64): only whole seconds are numbers here.
                None if n.is_u64() => fail(field, "is too large"),
                None => fail(field, "is not a number"),
            },
            Some(_) => fail(field, "is not a number"),
        }
    };
    let mut u = CheckUpdate {
        channels: text("channels", limits::CHANNEL_LIST)?,
        desc: text("desc", limits::DESC)?,
        failure_kw: text("failure_kw", limits::KEYWORDS)?,
        filter_body: flag("filter_body")?,
        filter_default_fail: flag("filter_default_fail")?,
        filter_http_body: flag("filter_http_body")?,
        filter_subject: flag("filter_subject")?,
        grace: seconds("grace")?,
        manual_resume: flag("manual_resume")?,
        ..CheckUpdate::default()
    };
    u.methods = match obj.get("methods") {
        None => None,
        Some(Value::String(m)) => match Methods::parse(m) {
            Some(methods) => Some(methods),
            None => return fail("methods", "has unexpected value"),
        },
        Some(_) => return fail("methods", "has unexpected value"),
    };
    u.name = text("name", limits::NAME)?;
    u.schedule = text("schedule", limits::SCHEDULE)?;
    if let Some(expr) = &u.schedule {
        validate_schedule(expr)?;
    }
    u.slug = text("slug", limits::SLUG)?;
    if let Some(slug) = &u.slug
        && !slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    {
        return fail("slug", "does not match pattern");
    }
    u.start_kw = text("start_kw", limits::KEYWORDS)?;
    u.subject = text("subject", limits::KEYWORDS)?;
    u.subject_fail = text("subject_fail", limits::KEYWORDS)?;
    u.success_kw = text("success_kw", limits::KEYWORDS)?;
    u.tags = text("tags", limits::TAGS)?;
    if let Some(tags) = &u.tags
        && tag_list(tags).len() > limits::TAG_COUNT
    {
        return fail(
            "tags",
            &format!("has too many tags (at most {})", limits::TAG_COUNT),
        );
    }
    u.timeout = seconds("timeout")?;
    u.tz = text("tz", limits::TZ)?;
    if let Some(tz) = &u.tz {
        match schedule::parse_tz(tz) {
            Ok(zone) => u.tz = Some(zone.name().to_string()),
            Err(_) => return fail("tz", "is not a valid timezone"),
        }
    }
    u.unique = match obj.get("unique") {
        None => None,
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .map(|item| match item.as_str() {
                    Some("name") => Ok(UniqueField::Name),
                    Some("slug") => Ok(UniqueField::Slug),
                    Some("tags") => Ok(UniqueField::Tags),
                    Some("timeout") => Ok(UniqueField::Timeout),
                    Some("grace") => Ok(UniqueField::Grace),
                    _ => fail("an item in 'unique'", "has unexpected value"),
                })
                .collect::<Result<_, _>>()?,
        ),
        Some(_) => return fail("unique", "is not an array"),
    };
    Ok(u)
}

/// One line of exactly five fields, or one `@` alias (`@daily`), is cron; anything else
/// is OnCalendar.
pub fn guess_kind(expr: &str) -> ScheduleKind {
    let expr = expr.trim();
    let one_line = !expr.contains('\n');
    if one_line && (expr.starts_with('@') || expr.split_whitespace().count() == 5) {
        ScheduleKind::Cron
    } else {
        ScheduleKind::OnCalendar
    }
}

fn validate_schedule(expr: &str) -> Result<(), ValidationError> {
    let epoch = chrono::DateTime::from_timestamp(946_684_800, 0).unwrap_or_default(); // 2000-01-01
    let valid = Schedule::parse(guess_kind(expr), expr, "UTC")
        .ok()
        .and_then(|s| s.next_expected(epoch))
        .is_some();
    if valid {
        Ok(())
    } else {
        fail("schedule", "is not a valid cron or OnCalendar expression")
    }
}

impl CheckUpdate {
    /// The kind of schedule this update sets, if any: a schedule wins over a timeout.
    pub fn kind(&self) -> Option<ScheduleKind> {
        match (&self.schedule, self.timeout) {
            (Some(s), _) if !s.is_empty() => Some(guess_kind(s)),
            (_, Some(_)) => Some(ScheduleKind::Simple),
            _ => None,
        }
    }

    /// Applies the update to `config`. API versions 1 and 2 derive the slug from the
    /// name whenever the name is written. Returns whether anything changed.
    pub fn apply(&self, config: &mut CheckConfig, api_version: u8) -> bool {
        let before = config.clone();
        if let Some(name) = &self.name
            && *name != config.name
        {
            config.name = name.clone();
            if api_version < 3 {
                config.slug = derived_slug(name);
            }
        }
        match self.kind() {
            Some(ScheduleKind::Simple) => {
                config.kind = ScheduleKind::Simple;
                config.timeout = self.timeout.unwrap_or(config.timeout);
            }
            Some(kind) => {
                config.kind = kind;
                config.schedule = self.schedule.clone().unwrap_or_default();
            }
            None => {}
        }
        // The deprecated email-subject fields are aliases of the keyword fields.
        if let Some(s) = &self.subject {
            config.success_kw = s.clone();
            config.filter_subject = !config.success_kw.is_empty() || !config.failure_kw.is_empty();
        }
        if let Some(s) = &self.subject_fail {
            config.failure_kw = s.clone();
            config.filter_subject = !config.success_kw.is_empty() || !config.failure_kw.is_empty();
        }
        let set = |target: &mut String, value: &Option<String>| {
            if let Some(v) = value {
                target.clone_from(v);
            }
        };
        set(&mut config.slug, &self.slug);
        set(&mut config.tags, &self.tags);
        set(&mut config.desc, &self.desc);
        if let Some(methods) = self.methods {
            config.methods = methods;
        }
        set(&mut config.tz, &self.tz);
        set(&mut config.start_kw, &self.start_kw);
        set(&mut config.success_kw, &self.success_kw);
        set(&mut config.failure_kw, &self.failure_kw);
        let set_flag = |target: &mut bool, value: Option<bool>| {
            if let Some(v) = value {
                *target = v;
            }
        };
        set_flag(&mut config.manual_resume, self.manual_resume);
        set_flag(&mut config.filter_subject, self.filter_subject);
        set_flag(&mut config.filter_body, self.filter_body);
        set_flag(&mut config.filter_http_body, self.filter_http_body);
        set_flag(&mut config.filter_default_fail, self.filter_default_fail);
        if let Some(g) = self.grace {
            config.grace = g;
        }
        *config != before
    }

    /// Whether every field named by `unique` is present (else the lookup is skipped).
    pub fn unique_fields_present(&self) -> bool {
        self.unique.as_ref().is_some_and(|fields| {
            fields.iter().all(|f| match f {
                UniqueField::Name => self.name.is_some(),
                UniqueField::Slug => self.slug.is_some(),
                UniqueField::Tags => self.tags.is_some(),
                UniqueField::Timeout => self.timeout.is_some(),
                UniqueField::Grace => self.grace.is_some(),
            })
        })
    }

    /// Whether an existing check matches this update on every `unique` field.
    pub fn matches_unique(&self, config: &CheckConfig) -> bool {
        self.unique_fields_present()
            && self.unique.iter().flatten().all(|f| match f {
                UniqueField::Name => self.name.as_deref() == Some(config.name.as_str()),
                UniqueField::Slug => self.slug.as_deref() == Some(config.slug.as_str()),
                UniqueField::Tags => self.tags.as_deref() == Some(config.tags.as_str()),
                UniqueField::Timeout => self.timeout == Some(config.timeout),
                UniqueField::Grace => self.grace == Some(config.grace),
            })
    }
}

/// Which channels a `channels` field selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelSelection {
    All,
    Ids(Vec<ChannelId>),
}

/// A channel as `channels` can name it: by uuid or by exact name.
pub struct NamedChannel<'a> {
    pub id: ChannelId,
    pub uuid: Uuid,
    pub name: &'a str,
}

/// Resolves a `channels` field: `*` is every channel, `""` none, otherwise a comma list
/// of channel uuids or exact names, each naming exactly one channel.
pub fn resolve_channels(
    spec: &str,
    available: &[NamedChannel<'_>],
) -> Result<ChannelSelection, String> {
    match spec {
        "*" => return Ok(ChannelSelection::All),
        "" => return Ok(ChannelSelection::Ids(Vec::new())),
        _ => {}
    }
    let mut ids = Vec::new();
    for ident in spec.split(',') {
        if ident.is_empty() {
            return Err("empty channel identifier".into());
        }
        let matches: Vec<&NamedChannel> = available
            .iter()
            .filter(|c| c.uuid.hyphenated().to_string() == ident || c.name == ident)
            .collect();
        match matches.as_slice() {
            [] => return Err(format!("invalid channel identifier: {ident}")),
            [one] => {
                if !ids.contains(&one.id) {
                    ids.push(one.id);
                }
            }
            _ => return Err(format!("non-unique channel identifier: {ident}")),
        }
    }
    Ok(ChannelSelection::Ids(ids))
}

/// The slug API versions 1 and 2 derive from a name: [`slugify`], cut to the slug cap,
/// since one character of a name can fold to several letters (`Ⅷ` to `viii`).
pub fn derived_slug(name: &str) -> String {
    let slug = slugify(name);
    limits::truncate_chars(&slug, limits::SLUG)
        .trim_end_matches(['-', '_'])
        .to_string()
}

/// Django's `slugify`: accents folded to ASCII (NFKD), letters and digits lowercased,
/// runs of spaces and hyphens joined with `-`, everything else dropped, leading and
/// trailing `-` and `_` trimmed.
pub fn slugify(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let mut kept = String::new();
    for c in name.nfkd().filter(char::is_ascii) {
        if c.is_ascii_alphanumeric() || c == '_' {
            kept.push(c.to_ascii_lowercase());
        } else if c == '-' || c.is_whitespace() {
            kept.push('-');
        }
    }
    let mut out = String::new();
    for c in kept.chars() {
        if !(c == '-' && out.ends_with('-')) {
            out.push(c);
        }
    }
    out.trim_matches(|c| c == '-' || c == '_').to_string()
}

#[cfg(test)]
#[path = "check_update_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "check_update_props.rs"]
mod properties;
