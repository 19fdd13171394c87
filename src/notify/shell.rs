//! Shell commands, for self-hosted deployments that want to act when a heartbeat stops
//! (restart a service, say). Off unless the operator sets `OVERDUE_SHELL_ENABLED`. The
//! check's details reach the command as environment variables, never interpolated into
//! the command line, so a check name cannot inject shell syntax.
//!
//! A command runs in a process group of its own. When it outlasts `OVERDUE_NOTIFY_TIMEOUT`
//! the whole group is killed (`sh` and everything it started), not only the shell.
//! Processes it leaves running after exiting in time are left alone. Its standard
//! output is discarded; its error output is read as it comes and only the last
//! [`STDERR_KEPT`] bytes are kept, the last 200 characters of which go in the error.

use super::notice::Notice;
use super::{SendError, Senders};
use crate::domain::channel_config::ShellConfig;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// The most of a command's error output that is kept in memory, from its end.
pub const STDERR_KEPT: usize = 4096;
/// How much of that an error message shows, in characters.
const ERROR_TAIL: usize = 200;
/// How long the rest of the error output is awaited once the command has exited.
const DRAIN: Duration = Duration::from_millis(200);

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
    let mut child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .envs(environment(notice))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        // A group of its own, so that a timeout ends everything the command started.
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| SendError::Final(format!("could not start the command: {e}")))?;
    let group = Group::of(&child);
    let timeout = Duration::from_secs(senders.config.notify_timeout);
    let mut stderr = child.stderr.take();
    let mut tail = Tail::default();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::sleep(timeout);
    tokio::pin!(deadline);
    let status = loop {
        tokio::select! {
            status = child.wait() => break status,
            read = read_some(&mut stderr, &mut buf), if stderr.is_some() => match read {
                Some(bytes) => tail.push(&buf[..bytes]),
                None => stderr = None,
            },
            () = &mut deadline => {
                // Dropping the group kills every process in it.
                return Err(SendError::Final(format!(
                    "the command did not finish within {} s and was killed, with every process it started",
                    timeout.as_secs()
                )));
            }
        }
    };
    // It ended in time. Processes it left running in the background are its business,
    // but they may hold its error output open: read what is left only briefly.
    group.release();
    let drain = async {
        while let Some(bytes) = read_some(&mut stderr, &mut buf).await {
            tail.push(&buf[..bytes]);
        }
    };
    let _ = tokio::time::timeout(DRAIN, drain).await;
    let status =
        status.map_err(|e| SendError::Final(format!("waiting for the command failed: {e}")))?;
    if status.success() {
        return Ok(());
    }
    Err(SendError::Final(format!(
        "the command exited with {status}: {}",
        tail.last_chars(ERROR_TAIL)
    )))
}

/// Reads what is there of the command's error output; `None` at its end.
async fn read_some(
    stderr: &mut Option<tokio::process::ChildStderr>,
    buf: &mut [u8],
) -> Option<usize> {
    let pipe = stderr.as_mut()?;
    match pipe.read(buf).await {
        Ok(0) | Err(_) => None,
        Ok(n) => Some(n),
    }
}

/// The command's process group, killed whole when this is dropped before the command
/// finished: on a timeout, and when the send itself is abandoned.
struct Group(Option<Pid>);

impl Group {
    fn of(child: &tokio::process::Child) -> Group {
        Group(
            child
                .id()
                .and_then(|id| i32::try_from(id).ok())
                .map(Pid::from_raw),
        )
    }

    /// The command finished: leave its group alone.
    fn release(mut self) {
        self.0 = None;
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        if let Some(pgid) = self.0 {
            // ESRCH (every process already gone) is the only expected failure.
            let _ = killpg(pgid, Signal::SIGKILL);
        }
    }
}

/// The end of the command's error output: it is read as it comes (so a chatty command
/// never blocks on a full pipe) and only the last [`STDERR_KEPT`] bytes are kept.
#[derive(Default)]
struct Tail(Vec<u8>);

impl Tail {
    fn push(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
        let excess = self.0.len().saturating_sub(STDERR_KEPT);
        self.0.drain(..excess);
    }

    /// The last `n` characters, trimmed.
    fn last_chars(&self, n: usize) -> String {
        let text = String::from_utf8_lossy(&self.0);
        let text = text.trim();
        let start = text
            .char_indices()
            .rev()
            .nth(n.saturating_sub(1))
            .map_or(0, |(i, _)| i);
        text[start..].to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_output_kept_is_bounded_to_its_end() {
        let mut tail = Tail::default();
        for _ in 0..1000 {
            tail.push(&[b'a'; 1000]);
        }
        tail.push(b"the real error");
        assert_eq!(tail.0.len(), STDERR_KEPT);
        assert!(tail.last_chars(200).ends_with("the real error"));
        assert_eq!(tail.last_chars(200).chars().count(), 200);
    }

    #[test]
    fn the_tail_shown_is_cut_at_a_character_boundary() {
        let mut tail = Tail::default();
        tail.push("ééé\n".as_bytes());
        assert_eq!(tail.last_chars(2), "éé");
        assert_eq!(tail.last_chars(200), "ééé");
    }
}
