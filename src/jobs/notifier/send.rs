//! One send: the claimed rows of one channel (a single notification, or a WeCom digest)
//! go out with a hard deadline, and each row's outcome is recorded; a permanent failure
//! disables the channel and tells the project's owners.

use super::Notifier;
use crate::domain::channel_config::ChannelConfig;
use crate::domain::ids::ChannelId;
use crate::notify::{self, SendError, email, wecom};
use crate::store::StoreError;
use crate::store::channels::{self, Channel};
use crate::store::outbox::{self, Claimed, Outcome};
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use std::time::Duration;

impl Notifier {
    /// Delivers the claimed rows of one channel. WeCom rows that arrive together go out as
    /// one digest, within the robot's shared per-minute allowance.
    pub(super) async fn deliver_group(
        &self,
        channel_id: ChannelId,
        rows: Vec<Claimed>,
    ) -> Result<Vec<Outcome>, StoreError> {
        let db = &self.state.db;
        let now = self.clock.now();
        let Some(channel) = channels::find_by_id(db, channel_id).await? else {
            return Ok(Vec::new()); // Deleted: its rows went with it.
        };
        let config = match ChannelConfig::from_stored(channel.kind, &channel.config) {
            Ok(c) => c,
            Err(e) => {
                return self
                    .finish_all(
                        &rows,
                        Outcome::Failed {
                            error: format!("channel config unreadable: {}", e.0),
                        },
                    )
                    .await;
            }
        };
        if channel.disabled {
            let error = format!(
                "channel is disabled: {}",
                channel.last_error.as_deref().unwrap_or("by its owner")
            );
            return self.finish_all(&rows, Outcome::Failed { error }).await;
        }
        let mut notices = Vec::new();
        let mut live = Vec::new();
        for row in rows {
            match self.notice(&channel, &row).await? {
                Some(n) => {
                    notices.push(n);
                    live.push(row);
                }
                None => {
                    // The check was deleted after the flip: nothing left to tell.
                    let gone = Outcome::Failed {
                        error: "check deleted".into(),
                    };
                    outbox::finish(db, &row, &gone, now).await?;
                }
            }
        }
        if live.is_empty() {
            return Ok(Vec::new());
        }
        if let ChannelConfig::WeCom(wc) = &config {
            let window = now.duration_trunc(TimeDelta::minutes(1)).unwrap_or(now);
            let key = format!("wecom:{}", crate::domain::keys::digest(&wc.url));
            if !outbox::take_rate(db, &key, window, wecom::PER_MINUTE).await? {
                let next = window + TimeDelta::minutes(1);
                return self.finish_all(&live, Outcome::Postpone { at: next }).await;
            }
            let result = self.timed(wecom::send(wc, &notices, &self.senders)).await;
            return self.settle(&channel, &live, result).await;
        }
        let mut outcomes = Vec::new();
        for (row, notice) in live.iter().zip(&notices) {
            let result = self
                .timed(notify::send(&config, notice, &self.senders))
                .await;
            outcomes.extend(
                self.settle(&channel, std::slice::from_ref(row), result)
                    .await?,
            );
        }
        Ok(outcomes)
    }

    /// Runs a send with a hard deadline (each kind has its own timeout; this is the
    /// backstop), returning its result and when it started and how long it took.
    async fn timed(
        &self,
        send: impl Future<Output = Result<(), SendError>>,
    ) -> (Result<(), SendError>, DateTime<Utc>, i64) {
        let started = self.clock.now();
        let clock_start = std::time::Instant::now();
        let limit = Duration::from_secs(self.state.config.notify_timeout + 5);
        let result = tokio::time::timeout(limit, send)
            .await
            .unwrap_or_else(|_| Err(SendError::transient("Timed out waiting for the channel")));
        let ms = i64::try_from(clock_start.elapsed().as_millis()).unwrap_or(i64::MAX);
        (result, started, ms)
    }

    /// Records an attempt's result on its rows and on the channel.
    async fn settle(
        &self,
        channel: &Channel,
        rows: &[Claimed],
        (result, started, ms): (Result<(), SendError>, DateTime<Utc>, i64),
    ) -> Result<Vec<Outcome>, StoreError> {
        let db = &self.state.db;
        let now = self.clock.now();
        let error = result.as_ref().err().map(|e| e.message().to_string());
        for row in rows {
            outbox::record_attempt(db, row.id, started, ms, error.as_deref()).await?;
        }
        channels::record_delivery(db, channel.id, started, error.as_deref()).await?;
        let mut outcomes = Vec::new();
        for row in rows {
            let outcome = match &result {
                Ok(()) => Outcome::Sent,
                Err(SendError::Transient {
                    message,
                    retry_after,
                }) => {
                    let retry_after = retry_after.and_then(|d| TimeDelta::from_std(d).ok());
                    match self.policy.next_attempt(
                        row.attempts,
                        row.created.0,
                        now,
                        retry_after,
                        rand::random::<f64>(),
                    ) {
                        Some(at) => Outcome::Retry {
                            at,
                            error: message.clone(),
                        },
                        None => Outcome::Failed {
                            error: format!("gave up after {} attempts: {message}", row.attempts),
                        },
                    }
                }
                Err(SendError::Permanent(message) | SendError::Final(message)) => Outcome::Failed {
                    error: message.clone(),
                },
            };
            outcomes.push(outbox::finish(db, row, &outcome, now).await?);
        }
        match &result {
            Ok(()) => {
                tracing::debug!(channel = %channel.uuid, kind = %channel.kind, n = rows.len(), "notification delivered")
            }
            Err(SendError::Permanent(message)) => self.disable(channel, message).await?,
            Err(e) => {
                tracing::warn!(channel = %channel.uuid, kind = %channel.kind, error = %e.message(), "notification failed")
            }
        }
        Ok(outcomes)
    }

    /// Disables a channel that can never work as configured, and emails the project's
    /// owners and managers what broke and how to fix it.
    async fn disable(&self, channel: &Channel, error: &str) -> Result<(), StoreError> {
        if !channels::disable(&self.state.db, channel.id, error).await? {
            return Ok(()); // Someone else got there first and told them.
        }
        tracing::warn!(channel = %channel.uuid, kind = %channel.kind, error, "channel disabled after a permanent failure");
        let project = crate::store::projects::name_of(&self.state.db, channel.project_id).await?;
        for to in outbox::manager_emails(&self.state.db, channel.project_id).await? {
            match email::channel_disabled(
                &self.senders.templates,
                &to,
                &project,
                channel.kind,
                &channel.name,
                &channel.uuid.to_string(),
                error,
            ) {
                Ok(message) => {
                    if let Err(e) = self.senders.mailer.send(&message).await {
                        tracing::error!(to = %to, error = %e.message(), "could not email the owner about a disabled channel");
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e.message(), "could not render the disabled-channel email")
                }
            }
        }
        Ok(())
    }

    async fn finish_all(
        &self,
        rows: &[Claimed],
        outcome: Outcome,
    ) -> Result<Vec<Outcome>, StoreError> {
        let now = self.clock.now();
        let mut outcomes = Vec::new();
        for row in rows {
            outcomes.push(outbox::finish(&self.state.db, row, &outcome, now).await?);
        }
        Ok(outcomes)
    }
}
