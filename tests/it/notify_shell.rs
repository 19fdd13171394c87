//! Shell-command channels end to end: the app runs `sh -c <command>` with the check's
//! details in environment variables, never in the command line, and reports how the
//! command ended without retrying it or disabling the channel.

use crate::helpers::{Backend, TestApp};
use overdue::store::channels::Channel;
use overdue::store::checks::Check;
use overdue::store::outbox::{self, Notification};
use overdue::store::projects::CreatedProject;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

on_both_backends!(
    fn(Backend):
    the_command_sees_the_check_in_its_environment_and_names_stay_data,
    a_failing_command_is_reported_once_and_the_channel_stays_on,
    a_command_that_outlasts_the_timeout_is_killed,
    a_timeout_kills_the_processes_the_command_started_too,
    a_command_that_leaves_a_process_running_in_the_background_succeeds_without_waiting_for_it,
    a_stored_shell_channel_does_not_run_when_shell_is_disabled,
);

/// A temporary path unique to this test run, removed when dropped.
struct TempPath(PathBuf);

impl TempPath {
    fn new(label: &str) -> TempPath {
        let id = uuid::Uuid::new_v4().simple();
        TempPath(std::env::temp_dir().join(format!("overdue-shell-{label}-{id}")))
    }

    fn shell(&self) -> String {
        // Temp paths hold no quote characters; quoting keeps spaces harmless.
        format!("'{}'", self.0.display())
    }

    fn read(&self) -> String {
        std::fs::read_to_string(&self.0)
            .unwrap_or_else(|e| panic!("{} was not written: {e}", self.0.display()))
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn shell_app(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, |c| c.shell_enabled = true).await
}

/// A shell channel, stored directly (as it would be from when shell was enabled), and
/// assigned to `check`.
async fn shell_channel(
    app: &TestApp,
    project: &CreatedProject,
    check: &Check,
    config: Value,
) -> Channel {
    let channel = app.add_channel(project, "shell", "restart", config).await;
    app.assign(check, &channel).await;
    channel
}

async fn ping(app: &TestApp, check: &Check, suffix: &str) {
    let r = app.get(&format!("/ping/{}{suffix}", check.uuid)).await;
    assert_eq!(r.status(), 200, "ping {suffix}");
}

async fn all_notifications(app: &TestApp, check: &Check) -> Vec<Notification> {
    outbox::for_check(app.db(), check.id, 100).await.unwrap().0
}

async fn latest(app: &TestApp, check: &Check) -> Notification {
    all_notifications(app, check)
        .await
        .into_iter()
        .next()
        .expect("a notification")
}

/// `OVERDUE_…=value` lines as pairs.
fn env_lines(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn env_value(env: &[(String, String)], key: &str) -> Option<String> {
    env.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
}

fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

async fn the_command_sees_the_check_in_its_environment_and_names_stay_data(backend: Backend) {
    let app = shell_app(backend).await;
    let project = app.project().await;
    let down_file = TempPath::new("env-down");
    let up_file = TempPath::new("env-up");
    let pwned = TempPath::new("pwned");
    let victim = TempPath::new("victim");
    std::fs::create_dir(&victim.0).unwrap();
    let name = format!(
        "backup $(touch {}) `touch {}` ; rm -rf {} && echo",
        pwned.0.display(),
        pwned.0.display(),
        victim.0.display()
    );
    let check = app.named_check(&project, &name).await;
    let channel = shell_channel(
        &app,
        &project,
        &check,
        json!({
            "cmd_down": format!("env | grep ^OVERDUE_ > {}", down_file.shell()),
            "cmd_up": format!("env | grep ^OVERDUE_ > {}", up_file.shell()),
        }),
    )
    .await;

    // Exit status 2: a failure, and the status reaches the command.
    ping(&app, &check, "/2").await;
    let report = app.deliver().await;
    assert_eq!(report.sent, 1, "{report:?}");
    let env = env_lines(&down_file.read());
    assert_eq!(env_value(&env, "OVERDUE_EXIT_STATUS").as_deref(), Some("2"));
    assert_eq!(env_value(&env, "OVERDUE_STATUS").as_deref(), Some("down"));
    assert_eq!(env_value(&env, "OVERDUE_CHECK_NAME"), Some(name.clone()));
    assert_eq!(
        env_value(&env, "OVERDUE_CHECK_UUID"),
        Some(check.uuid.to_string())
    );
    assert_eq!(
        env_value(&env, "OVERDUE_PROJECT").as_deref(),
        Some("Test project")
    );
    assert_eq!(env_value(&env, "OVERDUE_REASON").as_deref(), Some("fail"));
    assert!(
        !exists(&pwned.0),
        "the check name was run as shell: {} exists",
        pwned.0.display()
    );
    assert!(exists(&victim.0), "the check name was run as shell");

    ping(&app, &check, "").await;
    assert_eq!(app.deliver().await.sent, 1);
    let env = env_lines(&up_file.read());
    assert_eq!(env_value(&env, "OVERDUE_STATUS").as_deref(), Some("up"));
    assert_eq!(env_value(&env, "OVERDUE_CHECK_NAME"), Some(name));
    assert!(!exists(&pwned.0));
    assert!(exists(&victim.0));

    let rows = all_notifications(&app, &check).await;
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r.state == "sent"), "{rows:?}");
    let row = app.reload_channel(&channel).await;
    assert_eq!((row.disabled, row.last_error), (false, None));
}

async fn a_failing_command_is_reported_once_and_the_channel_stays_on(backend: Backend) {
    let app = shell_app(backend).await;
    let project = app.project().await;
    let check = app.named_check(&project, "restart web").await;
    let channel = shell_channel(
        &app,
        &project,
        &check,
        json!({"cmd_down": "echo 'service web: not found' >&2; exit 3"}),
    )
    .await;

    ping(&app, &check, "/fail").await;
    let report = app.deliver().await;
    assert_eq!((report.sent, report.failed, report.retried), (0, 1, 0));
    let n = latest(&app, &check).await;
    assert_eq!((n.state.as_str(), n.attempts), ("failed", 1));
    let error = n.last_error.clone().unwrap_or_default();
    assert!(error.contains("exit status: 3"), "{error}");
    assert!(error.contains("service web: not found"), "{error}");

    // Not run again: a command may not be safe to repeat.
    app.advance(3600);
    assert_eq!(app.deliver().await, Default::default());
    let (_, attempts) = outbox::for_check(app.db(), check.id, 10).await.unwrap();
    assert_eq!(attempts.len(), 1);
    assert!(!attempts[0].ok);

    // The channel stays on: the next flips still reach it.
    let row = app.reload_channel(&channel).await;
    assert!(
        !row.disabled,
        "a failing command does not disable the channel"
    );
    assert!(
        row.last_error
            .as_deref()
            .is_some_and(|e| e.contains("exit status: 3"))
    );
    ping(&app, &check, "").await;
    // The up flip has no command: nothing to run is a success.
    assert_eq!(app.deliver().await.sent, 1);
    ping(&app, &check, "/fail").await;
    assert_eq!(all_notifications(&app, &check).await.len(), 3);
    // The down one fails again.
    let report = app.deliver().await;
    assert_eq!((report.sent, report.failed), (0, 1), "{report:?}");
}

async fn a_command_that_outlasts_the_timeout_is_killed(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.shell_enabled = true;
        c.notify_timeout = 1;
    })
    .await;
    let project = app.project().await;
    let check = app.named_check(&project, "slow").await;
    let marker = TempPath::new("survived");
    let channel = shell_channel(
        &app,
        &project,
        &check,
        json!({"cmd_down": format!("sleep 3; touch {}", marker.shell())}),
    )
    .await;

    ping(&app, &check, "/fail").await;
    let started = std::time::Instant::now();
    let report = app.deliver().await;
    let took = started.elapsed();
    assert!(
        took < std::time::Duration::from_millis(2900),
        "gave up after the timeout: {took:?}"
    );
    assert_eq!((report.failed, report.retried), (1, 0), "{report:?}");
    let n = latest(&app, &check).await;
    assert_eq!(n.state, "failed");
    let error = n.last_error.unwrap_or_default();
    assert!(error.contains("did not finish within 1 s"), "{error}");
    assert!(error.contains("killed"), "{error}");
    assert!(!app.reload_channel(&channel).await.disabled);

    // Had the shell survived, it would write the marker three seconds in.
    tokio::time::sleep(std::time::Duration::from_millis(3500).saturating_sub(took)).await;
    assert!(
        !exists(&marker.0),
        "the command kept running after the timeout"
    );
}

async fn a_stored_shell_channel_does_not_run_when_shell_is_disabled(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    assert!(!app.state.config.shell_enabled, "off by default");
    let project = app.project().await;
    let check = app.named_check(&project, "restart web").await;
    let marker = TempPath::new("ran");
    let channel = shell_channel(
        &app,
        &project,
        &check,
        json!({"cmd_down": format!("touch {}", marker.shell())}),
    )
    .await;

    ping(&app, &check, "/fail").await;
    let report = app.deliver().await;
    assert_eq!((report.failed, report.retried), (1, 0), "{report:?}");
    let n = latest(&app, &check).await;
    assert_eq!(n.state, "failed");
    let error = n.last_error.unwrap_or_default();
    assert!(error.contains("OVERDUE_SHELL_ENABLED"), "{error}");
    assert!(!exists(&marker.0), "the command did not run");
    assert!(
        !app.reload_channel(&channel).await.disabled,
        "the channel works again once the operator enables shell"
    );
}

/// A process the test started through a command, killed at the end if still there.
struct Spawned(i32);

impl Spawned {
    fn from_pid_file(path: &TempPath) -> Spawned {
        Spawned(path.read().trim().parse().expect("a pid"))
    }

    /// Whether it still runs: it exists and is not a zombie waiting to be reaped.
    fn alive(&self) -> bool {
        match std::fs::read_to_string(format!("/proc/{}/stat", self.0)) {
            Err(_) => false,
            Ok(stat) => stat
                .rsplit_once(')')
                .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')),
        }
    }

    /// Waits, within a bound, for the kill signal to take effect.
    async fn gone(&self) -> bool {
        for _ in 0..100 {
            if !self.alive() {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        false
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        if self.alive() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", &self.0.to_string()])
                .status();
        }
    }
}

async fn a_timeout_kills_the_processes_the_command_started_too(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.shell_enabled = true;
        c.notify_timeout = 1;
    })
    .await;
    let project = app.project().await;
    let check = app.named_check(&project, "slow").await;
    let pid_file = TempPath::new("child-pid");
    shell_channel(
        &app,
        &project,
        &check,
        json!({"cmd_down": format!("sleep 60 & echo $! > {}; wait", pid_file.shell())}),
    )
    .await;

    ping(&app, &check, "/fail").await;
    let report = app.deliver().await;
    let child = Spawned::from_pid_file(&pid_file);
    assert_eq!((report.failed, report.retried), (1, 0), "{report:?}");
    let error = latest(&app, &check).await.last_error.unwrap_or_default();
    assert!(
        error.contains("killed, with every process it started"),
        "{error}"
    );
    assert!(
        child.gone().await,
        "the command's child {} outlived the timeout",
        child.0
    );
}

async fn a_command_that_leaves_a_process_running_in_the_background_succeeds_without_waiting_for_it(
    backend: Backend,
) {
    let app = TestApp::spawn_with(backend, |c| {
        c.shell_enabled = true;
        c.notify_timeout = 1;
    })
    .await;
    let project = app.project().await;
    let check = app.named_check(&project, "restart").await;
    let pid_file = TempPath::new("daemon-pid");
    // The background process keeps the command's error output open.
    shell_channel(
        &app,
        &project,
        &check,
        json!({"cmd_down": format!("sleep 30 & echo $! > {}", pid_file.shell())}),
    )
    .await;

    ping(&app, &check, "/fail").await;
    let report = app.deliver().await;
    let daemon = Spawned::from_pid_file(&pid_file);
    assert_eq!(report.sent, 1, "{report:?}");
    assert!(
        daemon.alive(),
        "a process the command left running is its own business"
    );
}
