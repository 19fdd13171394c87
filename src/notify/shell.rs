//! Shell commands, for self-hosted deployments that want to act when a heartbeat stops
//! (restart a service, say). Off unless the operator sets `OVERDUE_SHELL_ENABLED`. The
//! check's details reach the command as environment variables, never interpolated into
//! the command line, so a check name cannot inject shell syntax.

use super::notice::Notice;
use super::{SendError, Senders};
use crate::domain::channel_config::ShellConfig;
use std::process::Stdio;
use std::time::Duration;

/// The environment a command sees.
pub fn environment(notice: &Notice) -> Vec<(&'static str, String)> {
    vec![
        ("OVERDUE_STATUS", notice.status.as_str().to_string()),
        ("OVERDUE_CHECK_UUID", notice.check.uuid.clone()),
        ("OVERDUE_CHECK_NAME", notice.check.name.clone()),
        ("OVERDUE_CHECK_SLUG", notice.check.slug.clone()),
        ("OVERDUE_CHECK_TAGS", notice.check.tags.join(" ")),
        ("OVERDUE_PROJECT", notice.project.clone()),
        ("OVERDUE_REASON", notice.reason.as_str().to_string()),
        (
            "OVERDUE_NOW",
            notice.at.format("%Y-%m-%dT%H:%M:%S+00:00").to_string(),
        ),
        (
            "OVERDUE_EXIT_STATUS",
            notice
                .last_ping
                .as_ref()
                .and_then(|p| p.exit_status)
                .map_or(String::new(), |c| c.to_string()),
        ),
    ]
}

pub async fn send(
    config: &ShellConfig,
    notice: &Notice,
    senders: &Senders,
) -> Result<(), SendError> {
    if !senders.config.shell_enabled {
        return Err(SendError::Final(
            "shell channels are disabled on this server (OVERDUE_SHELL_ENABLED)".into(),
        ));
    }
    let command = if notice.is_down() {
        &config.cmd_down
    } else {
        &config.cmd_up
    };
    if command.is_empty() {
        return Ok(());
    }
    let child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .envs(environment(notice))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| SendError::Final(format!("could not start the command: {e}")))?;
    let timeout = Duration::from_secs(senders.config.notify_timeout);
    // On timeout the child is dropped with the future, which kills it.
    let output = tokio::time::timeout(timeout, child.wait_with_output())
        .await
        .map_err(|_| {
            SendError::Final(format!(
                "the command did not finish within {} s and was killed",
                timeout.as_secs()
            ))
        })?
        .map_err(|e| SendError::Final(format!("waiting for the command failed: {e}")))?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stderr = stderr.trim();
    let mut start = stderr.len().saturating_sub(200);
    while !stderr.is_char_boundary(start) {
        start += 1;
    }
    let tail = &stderr[start..];
    Err(SendError::Final(format!(
        "the command exited with {}: {tail}",
        output.status
    )))
}
