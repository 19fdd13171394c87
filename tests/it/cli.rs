//! The `overdue` binary as an operator runs it.

use crate::helpers::{Backend, TestDb};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Output, Stdio};

fn overdue(database_url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_overdue"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "overdue=info");
    cmd
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn run_with_stdin(mut cmd: Command, input: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn every_command_has_help() {
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["migrate", "--help"],
        &["user", "create", "--help"],
        &["project", "create", "--help"],
    ] {
        let out = overdue("sqlite://unused.db").args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        assert!(stdout(&out).contains("Usage:"), "{args:?}");
    }
    let out = overdue("sqlite://unused.db")
        .arg("--help")
        .output()
        .unwrap();
    for command in ["serve", "migrate", "user", "project"] {
        assert!(stdout(&out).contains(command), "--help lists {command}");
    }
}

#[test]
fn bad_flag_is_refused_with_its_name() {
    let out = overdue("sqlite://unused.db")
        .args(["serve", "--jobs", "some"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--jobs"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("panicked"));
}

#[test]
fn bad_setting_stops_with_one_line_naming_it() {
    let out = overdue("sqlite://unused.db")
        .env("OVERDUE_PING_BODY_LIMIT", "lots")
        .arg("migrate")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: OVERDUE_PING_BODY_LIMIT: \"lots\" is not a number of bytes\n"
    );

    let out = overdue("mysql://root@localhost/x")
        .arg("migrate")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("DATABASE_URL must start with sqlite:// or postgres://"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn config_file_settings_apply_and_typos_are_caught() {
    let dir = std::env::temp_dir().join(format!("overdue-cli-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("overdue.toml");
    std::fs::write(&file, "min_timout = 5\n").unwrap();
    let out = overdue("sqlite://unused.db")
        .arg("--config")
        .arg(&file)
        .arg("migrate")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("unknown setting \"min_timout\""),
        "{}",
        stderr(&out)
    );

    let db = dir.join("from-file.db");
    std::fs::write(
        &file,
        format!("database_url = \"sqlite://{}\"\n", db.display()),
    )
    .unwrap();
    let mut cmd = overdue("");
    cmd.env_remove("DATABASE_URL");
    let out = cmd
        .arg("--config")
        .arg(&file)
        .arg("migrate")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(db.exists(), "the file's database_url was used");
    let _ = std::fs::remove_dir_all(&dir);
}

async fn user_and_project_creation_prints_the_keys_once(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let url = test_db.url.clone();
    let out = tokio::task::spawn_blocking(move || {
        let out = run_with_stdin(
            {
                let mut c = overdue(&url);
                c.args([
                    "user",
                    "create",
                    "--email",
                    "Ops@Example.com",
                    "--password-stdin",
                ]);
                c
            },
            "correct horse battery staple\n",
        );
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            stdout(&out).trim().parse::<i64>().is_ok(),
            "prints the user id: {}",
            stdout(&out)
        );

        let again = run_with_stdin(
            {
                let mut c = overdue(&url);
                c.args(["user", "create", "--email", "ops@example.com"]);
                c
            },
            "",
        );
        assert_eq!(again.status.code(), Some(1));
        assert!(
            stderr(&again).contains("already exists"),
            "{}",
            stderr(&again)
        );

        let nobody = overdue(&url)
            .args([
                "project",
                "create",
                "--owner",
                "nobody@example.com",
                "--name",
                "X",
            ])
            .output()
            .unwrap();
        assert_eq!(nobody.status.code(), Some(1));
        assert!(
            stderr(&nobody).contains("no user with email nobody@example.com"),
            "{}",
            stderr(&nobody)
        );

        overdue(&url)
            .args([
                "project",
                "create",
                "--owner",
                "ops@example.com",
                "--name",
                "Backups",
            ])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value =
        serde_json::from_str(stdout(&out).trim()).expect("one JSON object");
    let obj = json.as_object().unwrap();
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        ["api_key", "api_key_readonly", "name", "ping_key", "uuid"]
    );
    assert_eq!(json["name"], "Backups");
    assert_eq!(json["ping_key"].as_str().unwrap().len(), 22);
    assert_eq!(json["api_key"].as_str().unwrap().len(), 32);
    assert_ne!(json["api_key"], json["api_key_readonly"]);

    let project =
        overdue::store::projects::find_by_uuid(&test_db.db, json["uuid"].as_str().unwrap())
            .await
            .unwrap();
    assert_eq!(project.expect("project stored").name, "Backups");
}

#[tokio::test]
async fn user_and_project_creation_prints_the_keys_once_sqlite() {
    user_and_project_creation_prints_the_keys_once(Backend::Sqlite).await;
}

#[tokio::test]
async fn user_and_project_creation_prints_the_keys_once_postgres() {
    user_and_project_creation_prints_the_keys_once(Backend::Postgres).await;
}

/// A mistyped log filter stops the command with the reason instead of silencing the log.
#[test]
fn an_invalid_rust_log_is_refused_with_the_reason() {
    let out = overdue("sqlite::memory:")
        .env("RUST_LOG", "overdue=loud")
        .arg("migrate")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("RUST_LOG=\"overdue=loud\" is not a valid log filter"),
        "{stderr}"
    );
}

/// The README's quick start in miniature: `overdue` with no subcommand serves, answers
/// `/healthz`, takes a ping, and exits cleanly on SIGTERM.
#[test]
fn serve_starts_answers_and_stops_on_sigterm() {
    let dir = std::env::temp_dir().join(format!("overdue-serve-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("overdue.db").display());
    let mut child = overdue(&url)
        .env("OVERDUE_LISTEN", "127.0.0.1:0")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut said = Vec::new();
    let addr = loop {
        let line = lines.next().expect("server logs before exiting").unwrap();
        said.push(line.clone());
        if let Some(rest) = line.split("addr=").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    said.push(lines.next().expect("the next step after serving").unwrap());
    let said = said.join("\n");
    // What a newcomer needs from the first lines: the version, where the data is (an
    // absolute path), that migrations ran, how email leaves, and what to do next. Plain
    // text, since stderr is not a terminal.
    assert!(said.contains(env!("CARGO_PKG_VERSION")), "{said}");
    assert!(
        said.contains(&format!("SQLite file {}", dir.join("overdue.db").display())),
        "{said}"
    );
    assert!(said.contains("migrations=\"up to date\""), "{said}");
    assert!(said.contains("emails are written to this log"), "{said}");
    assert!(
        said.contains("no users yet; create the first one with `overdue user create"),
        "{said}"
    );
    assert!(
        !said.contains('\u{1b}'),
        "no colour codes when not at a terminal: {said}"
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (health, ping) = rt.block_on(async {
        overdue::notify::net::install_crypto_provider();
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let health = http
            .get(format!("http://{addr}/healthz"))
            .send()
            .await
            .unwrap();
        let ping = http
            .get(format!("http://{addr}/ping/{}", uuid::Uuid::new_v4()))
            .send()
            .await
            .unwrap();
        (health.status().as_u16(), ping.status().as_u16())
    });
    assert_eq!((health, ping), (200, 404));
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "exits cleanly on SIGTERM: {status:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// With every log level on, requests that carry keys in their paths and headers, and a
/// password given at the command line, leave none of them in the log.
#[test]
fn keys_and_passwords_never_reach_the_log() {
    let dir =
        std::env::temp_dir().join(format!("overdue-secrets-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("overdue.db").display());
    let password = "PasswordNobodyLogs42";
    let user = run_with_stdin(
        {
            let mut c = overdue(&url);
            c.env("RUST_LOG", "trace").args([
                "user",
                "create",
                "--email",
                "ops@example.com",
                "--password-stdin",
            ]);
            c
        },
        &format!("{password}\n"),
    );
    assert!(user.status.success(), "{}", stderr(&user));
    let project = overdue(&url)
        .env("RUST_LOG", "trace")
        .args([
            "project",
            "create",
            "--owner",
            "ops@example.com",
            "--name",
            "Backups",
        ])
        .output()
        .unwrap();
    assert!(project.status.success(), "{}", stderr(&project));
    let keys: serde_json::Value = serde_json::from_slice(&project.stdout).unwrap();
    let (ping_key, api_key, read_key) = (
        keys["ping_key"].as_str().unwrap().to_string(),
        keys["api_key"].as_str().unwrap().to_string(),
        keys["api_key_readonly"].as_str().unwrap().to_string(),
    );
    let mut logs = stderr(&user) + &stderr(&project);

    let mut child = overdue(&url)
        .env("RUST_LOG", "trace")
        .env("OVERDUE_LISTEN", "127.0.0.1:0")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("server logs before exiting").unwrap();
        logs.push_str(&line);
        if let Some(rest) = line.split("addr=").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        overdue::notify::net::install_crypto_provider();
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let base = format!("http://{addr}");
        let created = http
            .get(format!("{base}/ping/{ping_key}/nightly?create=1"))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 201);
        let listed = http
            .get(format!("{base}/api/v3/checks/"))
            .header("X-Api-Key", &api_key)
            .send()
            .await
            .unwrap();
        assert_eq!(listed.status(), 200);
        for path in [
            format!("/projects/x/metrics/{read_key}"),
            format!("/api/v3/checks/?api_key={api_key}"),
            format!("/nowhere/{ping_key}"),
        ] {
            http.get(format!("{base}{path}")).send().await.unwrap();
        }
    });
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    for line in lines {
        logs.push_str(&line.unwrap());
    }
    child.wait().unwrap();
    assert!(
        logs.contains("finished processing request"),
        "trace logs were on"
    );
    for secret in [password, &ping_key, &api_key, &read_key] {
        assert!(!logs.contains(secret), "{secret} appears in the log");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
