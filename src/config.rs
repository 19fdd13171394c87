//! Typed configuration: defaults, then an optional TOML file, then `OVERDUE_*` variables
//! (and `DATABASE_URL`). A bad value stops start-up with one line naming the setting.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub database_url: String,
    pub listen: SocketAddr,
    /// The public URL of the service, without a trailing slash; ping URLs are built on it.
    pub site_root: String,
    pub ping_body_limit: usize,
    pub ping_log_limit: i64,
    pub min_timeout: i64,
    pub check_limit: i64,
    pub db_max_connections: u32,
    /// Whether shell-command channels may be created and run.
    pub shell_enabled: bool,
    /// `smtp://…` or `smtps://…`; empty writes emails to the log instead.
    pub smtp_url: String,
    pub email_from: String,
    /// Let notifications reach private, loopback and link-local addresses.
    pub allow_private_targets: bool,
    /// Seconds one delivery attempt may take.
    pub notify_timeout: u64,
    /// Attempts per notification before it is given up.
    pub notify_max_attempts: i64,
    /// Seconds after which a notification that still fails is given up.
    pub notify_max_age: i64,
    /// ServerChan Turbo (`SCT…` keys) API base.
    pub serverchan_url: String,
    /// ServerChan³ (`sctp…` keys) API base; `{uid}` is replaced by the key's user id.
    pub serverchan3_url: String,
    /// Seconds a request may wait for the database before it is answered 503.
    pub db_timeout: u64,
    /// Seconds a connection may wait for a request's headers (a new one, or an idle
    /// keep-alive one waiting for its next request).
    pub header_timeout: u64,
    /// Seconds a client has to send a request's body.
    pub body_timeout: u64,
    /// Most client connections served at once; more wait in the listen queue.
    pub max_connections: usize,
    /// Seconds a stop waits for requests in flight before closing their connections.
    pub shutdown_timeout: u64,
    /// Peers whose `X-Forwarded-For` and `X-Forwarded-Proto` are believed.
    pub trusted_proxies: crate::domain::proxies::TrustedProxies,
    /// Signs badge URLs; empty means a key generated at first start, kept in the database.
    pub secret_key: String,
}

/// One setting: its TOML key, its environment variable, its default and what it means.
/// The README's configuration table lists the same.
pub struct Setting {
    pub key: &'static str,
    pub env: &'static str,
    pub default: &'static str,
    pub help: &'static str,
}

pub const SETTINGS: &[Setting] = &[
    Setting {
        key: "database_url",
        env: "DATABASE_URL",
        default: "sqlite://overdue.db",
        help: "sqlite://PATH or postgres://USER@HOST/DB",
    },
    Setting {
        key: "listen",
        env: "OVERDUE_LISTEN",
        default: "127.0.0.1:8000",
        help: "address and port to serve HTTP on",
    },
    Setting {
        key: "site_root",
        env: "OVERDUE_SITE_ROOT",
        default: "http://localhost:8000",
        help: "public base URL, used in ping URLs",
    },
    Setting {
        key: "ping_body_limit",
        env: "OVERDUE_PING_BODY_LIMIT",
        default: "100000",
        help: "bytes of a ping body that are stored",
    },
    Setting {
        key: "ping_log_limit",
        env: "OVERDUE_PING_LOG_LIMIT",
        default: "1000",
        help: "pings kept per check",
    },
    Setting {
        key: "min_timeout",
        env: "OVERDUE_MIN_TIMEOUT",
        default: "60",
        help: "smallest period and grace accepted, in seconds",
    },
    Setting {
        key: "check_limit",
        env: "OVERDUE_CHECK_LIMIT",
        default: "10000",
        help: "checks an account may own",
    },
    Setting {
        key: "db_max_connections",
        env: "OVERDUE_DB_MAX_CONNECTIONS",
        default: "10",
        help: "database pool size",
    },
    Setting {
        key: "shell_enabled",
        env: "OVERDUE_SHELL_ENABLED",
        default: "false",
        help: "allow shell-command channels",
    },
    Setting {
        key: "smtp_url",
        env: "OVERDUE_SMTP_URL",
        default: "",
        help: "SMTP server for email; empty logs emails instead",
    },
    Setting {
        key: "email_from",
        env: "OVERDUE_EMAIL_FROM",
        default: "Overdue <overdue@localhost>",
        help: "sender of emails",
    },
    Setting {
        key: "allow_private_targets",
        env: "OVERDUE_ALLOW_PRIVATE_TARGETS",
        default: "false",
        help: "let notifications reach private addresses",
    },
    Setting {
        key: "notify_timeout",
        env: "OVERDUE_NOTIFY_TIMEOUT",
        default: "10",
        help: "seconds per delivery attempt",
    },
    Setting {
        key: "notify_max_attempts",
        env: "OVERDUE_NOTIFY_MAX_ATTEMPTS",
        default: "8",
        help: "attempts per notification",
    },
    Setting {
        key: "notify_max_age",
        env: "OVERDUE_NOTIFY_MAX_AGE",
        default: "3600",
        help: "seconds before a failing notification is given up",
    },
    Setting {
        key: "serverchan_url",
        env: "OVERDUE_SERVERCHAN_URL",
        default: "https://sctapi.ftqq.com",
        help: "ServerChan Turbo API",
    },
    Setting {
        key: "serverchan3_url",
        env: "OVERDUE_SERVERCHAN3_URL",
        default: "https://{uid}.push.ft07.com",
        help: "ServerChan3 API",
    },
    Setting {
        key: "db_timeout",
        env: "OVERDUE_DB_TIMEOUT",
        default: "5",
        help: "seconds a request waits for the database before it is answered 503",
    },
    Setting {
        key: "header_timeout",
        env: "OVERDUE_HEADER_TIMEOUT",
        default: "30",
        help: "seconds a connection may wait for a request's headers (idle keep-alive included)",
    },
    Setting {
        key: "body_timeout",
        env: "OVERDUE_BODY_TIMEOUT",
        default: "30",
        help: "seconds a client has to send a request's body",
    },
    Setting {
        key: "max_connections",
        env: "OVERDUE_MAX_CONNECTIONS",
        default: "512",
        help: "client connections served at once; more wait to be accepted",
    },
    Setting {
        key: "shutdown_timeout",
        env: "OVERDUE_SHUTDOWN_TIMEOUT",
        default: "10",
        help: "seconds a stop waits for requests in flight",
    },
    Setting {
        key: "trusted_proxies",
        env: "OVERDUE_TRUSTED_PROXIES",
        default: "127.0.0.0/8, ::1",
        help: "proxies whose X-Forwarded-For/-Proto are believed (CIDRs; empty: none)",
    },
    Setting {
        key: "secret_key",
        env: "OVERDUE_SECRET_KEY",
        default: "",
        help: "signs badge URLs; empty: generated once and kept in the database",
    },
];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct ConfigError(pub String);

impl Config {
    /// Loads the configuration from the environment and, if given, a TOML file.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let toml = match file {
            Some(path) => std::fs::read_to_string(path).map_err(|e| {
                ConfigError(format!("cannot read config file {}: {e}", path.display()))
            })?,
            None => String::new(),
        };
        let origin = file.map(|p| p.display().to_string()).unwrap_or_default();
        Self::from_sources(&toml, &origin, |name| std::env::var(name).ok())
    }

    /// Builds the configuration from TOML text and an environment lookup.
    pub fn from_sources(
        toml_text: &str,
        toml_origin: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let table: toml::Table = toml_text.parse().map_err(|e| {
            ConfigError(format!("config file {toml_origin} is not valid TOML: {e}"))
        })?;
        if let Some(unknown) = table
            .keys()
            .find(|k| !SETTINGS.iter().any(|s| s.key == k.as_str()))
        {
            return Err(ConfigError(format!(
                "config file {toml_origin}: unknown setting {unknown:?} (known: {})",
                SETTINGS
                    .iter()
                    .map(|s| s.key)
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        // Each value with where it came from, for error messages.
        let mut raw = BTreeMap::new();
        for s in SETTINGS {
            let value = if let Some(v) = env(s.env) {
                (v, s.env.to_string())
            } else if let Some(v) = table.get(s.key) {
                let text = match v {
                    toml::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (text, format!("{} in {toml_origin}", s.key))
            } else {
                (s.default.to_string(), format!("{} (default)", s.env))
            };
            raw.insert(s.key, value);
        }
        let get = |key: &str| raw.get(key).cloned().unwrap_or_default();
        let config = Config {
            database_url: get("database_url").0,
            listen: parse(get("listen"), "an address such as 127.0.0.1:8000")?,
            site_root: get("site_root").0.trim_end_matches('/').to_string(),
            ping_body_limit: parse(get("ping_body_limit"), "a number of bytes")?,
            ping_log_limit: parse_range(get("ping_log_limit"), 1, i64::MAX)?,
            min_timeout: parse_range(
                get("min_timeout"),
                1,
                crate::domain::schedule::MAX_TIMEOUT_SECS,
            )?,
            check_limit: parse_range(get("check_limit"), 1, i64::MAX)?,
            db_max_connections: parse_range(get("db_max_connections"), 1, 10_000)?,
            shell_enabled: parse_bool(get("shell_enabled"))?,
            smtp_url: get("smtp_url").0.trim().to_string(),
            email_from: get("email_from").0.trim().to_string(),
            allow_private_targets: parse_bool(get("allow_private_targets"))?,
            notify_timeout: parse_range(get("notify_timeout"), 1, 300)?,
            notify_max_attempts: parse_range(get("notify_max_attempts"), 1, 100)?,
            notify_max_age: parse_range(get("notify_max_age"), 1, 7 * 86_400)?,
            serverchan_url: get("serverchan_url")
                .0
                .trim()
                .trim_end_matches('/')
                .to_string(),
            serverchan3_url: get("serverchan3_url")
                .0
                .trim()
                .trim_end_matches('/')
                .to_string(),
            db_timeout: parse_range(get("db_timeout"), 1, 600)?,
            header_timeout: parse_range(get("header_timeout"), 1, 3600)?,
            body_timeout: parse_range(get("body_timeout"), 1, 3600)?,
            max_connections: parse_range(get("max_connections"), 1, 1_000_000)?,
            shutdown_timeout: parse_range(get("shutdown_timeout"), 0, 3600)?,
            trusted_proxies: {
                let (value, origin) = get("trusted_proxies");
                value
                    .parse()
                    .map_err(|e| ConfigError(format!("{origin}: {e}")))?
            },
            secret_key: get("secret_key").0,
        };
        crate::store::backend_of(&config.database_url).map_err(|e| ConfigError(e.to_string()))?;
        let site = get("site_root");
        if !(config.site_root.starts_with("http://") || config.site_root.starts_with("https://")) {
            return Err(ConfigError(format!(
                "{}: {:?} must start with http:// or https://",
                site.1, site.0
            )));
        }
        Ok(config)
    }
}

fn parse<T: FromStr>((value, origin): (String, String), expected: &str) -> Result<T, ConfigError> {
    value
        .trim()
        .parse()
        .map_err(|_| ConfigError(format!("{origin}: {value:?} is not {expected}")))
}

fn parse_bool((value, origin): (String, String)) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        _ => Err(ConfigError(format!(
            "{origin}: {value:?} is not true or false"
        ))),
    }
}

fn parse_range<T>((value, origin): (String, String), min: T, max: T) -> Result<T, ConfigError>
where
    T: FromStr + PartialOrd + std::fmt::Display + Copy,
{
    let n: T = parse((value.clone(), origin.clone()), "a whole number")?;
    if n < min || n > max {
        return Err(ConfigError(format!(
            "{origin}: {value} is out of range {min} to {max}"
        )));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(toml: &str, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_sources(toml, "overdue.toml", |name| {
            env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn defaults_run_a_single_node_service_on_sqlite() {
        let c = load("", &[]).unwrap();
        assert_eq!(c.database_url, "sqlite://overdue.db");
        assert_eq!(c.listen.to_string(), "127.0.0.1:8000");
        assert_eq!(c.site_root, "http://localhost:8000");
        assert_eq!(c.ping_body_limit, 100_000);
        assert_eq!(c.ping_log_limit, 1000);
        assert_eq!(c.min_timeout, 60);
    }

    #[test]
    fn environment_overrides_file_which_overrides_defaults() {
        let toml = "ping_log_limit = 50\nmin_timeout = 5\nsite_root = \"https://hc.example.com/\"";
        let c = load(toml, &[("OVERDUE_MIN_TIMEOUT", "1")]).unwrap();
        assert_eq!(c.ping_log_limit, 50);
        assert_eq!(c.min_timeout, 1);
        assert_eq!(c.site_root, "https://hc.example.com");
    }

    #[test]
    fn bad_values_name_the_setting_and_where_it_came_from() {
        let err = load("", &[("OVERDUE_PING_BODY_LIMIT", "lots")]).unwrap_err();
        assert_eq!(
            err.0,
            "OVERDUE_PING_BODY_LIMIT: \"lots\" is not a number of bytes"
        );
        let err = load("min_timeout = 0", &[]).unwrap_err();
        assert_eq!(
            err.0,
            "min_timeout in overdue.toml: 0 is out of range 1 to 31536000"
        );
        let err = load("", &[("OVERDUE_LISTEN", "localhost")]).unwrap_err();
        assert!(
            err.0
                .starts_with("OVERDUE_LISTEN: \"localhost\" is not an address"),
            "{}",
            err.0
        );
    }

    #[test]
    fn unknown_file_keys_and_foreign_databases_are_refused() {
        let err = load("ping_body_limt = 5", &[]).unwrap_err();
        assert!(
            err.0.contains("unknown setting \"ping_body_limt\""),
            "{}",
            err.0
        );
        let err = load("", &[("DATABASE_URL", "mysql://root@localhost/db")]).unwrap_err();
        assert!(err.0.contains("sqlite:// or postgres://"), "{}", err.0);
    }

    #[test]
    fn site_root_must_be_an_http_url() {
        let err = load("", &[("OVERDUE_SITE_ROOT", "example.com")]).unwrap_err();
        assert!(err.0.starts_with("OVERDUE_SITE_ROOT"), "{}", err.0);
    }
}
