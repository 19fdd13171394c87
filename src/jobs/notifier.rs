//! Delivery workers: drain the notification outbox. Rows are claimed with a lease, sent,
//! and their outcome recorded; failures retry with backoff; a permanent failure disables
//! the channel and tells the project's owners. Several processes may run this at once.

use crate::clock::Clock;
use crate::domain::channel_config::ChannelConfig;
use crate::domain::check::{FlipReason, Status};
use crate::domain::delivery::RetryPolicy;
use crate::domain::ids::ChannelId;
use crate::notify::notice::{BODY_CAP, ChannelRef, CheckInfo, LastPing, schedule_text};
use crate::notify::{self, Notice, SendError, Senders, email, wecom};
use crate::state::AppState;
use crate::store::StoreError;
use crate::store::channels::{self, Channel};
use crate::store::outbox::{self, Claimed, Outcome};
use crate::views::{CheckView, Viewer};
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Rows claimed per round.
const BATCH: i64 = 50;
const MAX_SLEEP: Duration = Duration::from_secs(1);

#[derive(Clone)]
pub struct Notifier {
    state: AppState,
    senders: Senders,
    clock: Arc<dyn Clock>,
    policy: RetryPolicy,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TickReport {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
    pub postponed: usize,
}

impl Notifier {
    pub fn new(state: &AppState) -> anyhow::Result<Notifier> {
        Ok(Notifier {
            senders: state.senders.clone(),
            clock: state.clock.clone(),
            policy: RetryPolicy::new(
                state.config.notify_max_attempts,
                state.config.notify_max_age,
            ),
            state: state.clone(),
        })
    }

    /// How long a claim lasts: one attempt's hard limit (`timed`) with room to record it.
    /// Rows waiting behind another send of their channel get their lease renewed.
    fn lease(&self) -> TimeDelta {
        TimeDelta::seconds(i64::try_from(self.state.config.notify_timeout).unwrap_or(10) + 10)
    }

    /// Renews the leases of rows still to be sent.
    async fn renew(&self, rows: &[Claimed]) -> Result<(), StoreError> {
        let until = self.clock.now() + self.lease();
        for row in rows {
            outbox::renew_lease(&self.state.db, row.id, until).await?;
        }
        Ok(())
    }

    /// Delivers every notification that is due now.
    #[tracing::instrument(skip_all)]
    pub async fn tick(&self) -> Result<TickReport, StoreError> {
        let mut report = TickReport::default();
        loop {
            let now = self.clock.now();
            let claimed = outbox::claim(&self.state.db, now, now + self.lease(), BATCH).await?;
            let n = claimed.len();
            let mut by_channel: BTreeMap<ChannelId, Vec<Claimed>> = BTreeMap::new();
            for row in claimed {
                by_channel.entry(row.channel_id).or_default().push(row);
            }
            let mut tasks = tokio::task::JoinSet::new();
            for (channel_id, rows) in by_channel {
                let me = self.clone();
                tasks.spawn(async move { me.deliver_group(channel_id, rows).await });
            }
            while let Some(result) = tasks.join_next().await {
                match result {
                    Ok(Ok(outcomes)) => {
                        for o in outcomes {
                            match o {
                                Outcome::Sent => report.sent += 1,
                                Outcome::Retry { .. } => report.retried += 1,
                                Outcome::Failed { .. } => report.failed += 1,
                                Outcome::Postpone { .. } => report.postponed += 1,
                            }
                        }
                    }
                    Ok(Err(e)) => {
                        tracing::error!(error = %e, "delivering notifications failed; their leases will expire and they will be retried")
                    }
                    Err(e) => tracing::error!(error = %e, "a delivery task panicked"),
                }
            }
            if i64::try_from(n).is_ok_and(|n| n < BATCH) {
                return Ok(report);
            }
        }
    }

    /// Delivers the claimed rows of one channel. WeCom rows that arrive together go out as
    /// one digest, within the robot's shared per-minute allowance.
    async fn deliver_group(
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
                    outbox::finish(
                        db,
                        row.id,
                        &Outcome::Failed {
                            error: "check deleted".into(),
                        },
                        now,
                    )
                    .await?;
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
        for (i, (row, notice)) in live.iter().zip(&notices).enumerate() {
            if i > 0 {
                self.renew(&live[i..]).await?;
            }
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
            outbox::finish(db, row.id, &outcome, now).await?;
            outcomes.push(outcome);
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
        for row in rows {
            outbox::finish(&self.state.db, row.id, &outcome, now).await?;
        }
        Ok(vec![outcome; rows.len()])
    }

    /// Builds the notice for one outbox row; `None` if its check is gone.
    async fn notice(&self, channel: &Channel, row: &Claimed) -> Result<Option<Notice>, StoreError> {
        let Some(parts) = outbox::notice_parts(&self.state.db, row.check_id, row.flip_id).await?
        else {
            return Ok(None);
        };
        let site_root = &self.state.config.site_root;
        let check = &parts.check;
        let viewer = Viewer {
            site_root,
            api_version: 3,
            read_only: false,
            now: self.clock.now(),
        };
        let channel_uuids =
            crate::store::checks::channel_uuids_by_check(&self.state.db, check.project_id)
                .await?
                .remove(&check.id)
                .unwrap_or_default();
        let flip = &parts.flip;
        let downtime = (flip.new_status == Status::Up)
            .then(|| parts.went_down.map(|d| (flip.created - d).num_seconds()))
            .flatten();
        Ok(Some(Notice {
            channel: ChannelRef {
                uuid: channel.uuid.to_string(),
                name: channel.name.clone(),
                token: channel.token.clone(),
            },
            check: CheckInfo {
                uuid: check.uuid.to_string(),
                name: check.name.clone(),
                slug: check.slug.clone(),
                tags: check.tags.split_whitespace().map(str::to_string).collect(),
                desc: check.descr.clone(),
                schedule: schedule_text(
                    check.kind,
                    check.timeout,
                    &check.schedule,
                    &check.tz,
                    check.grace,
                ),
                n_pings: check.n_pings,
                ping_url: format!("{site_root}/ping/{}", check.uuid),
                json: serde_json::to_value(CheckView::new(check, &channel_uuids, viewer))
                    .unwrap_or_default(),
            },
            project: parts.project,
            status: row.status,
            old_status: flip.old_status,
            reason: flip.reason,
            at: flip.created,
            downtime,
            run_overdue: flip.reason == FlipReason::Timeout
                && check.last_start.is_some_and(|s| s < flip.created),
            last_ping: parts.last_ping.map(|p| LastPing {
                kind: p.kind,
                at: p.created,
                remote_addr: p.remote_addr,
                exit_status: p.exit_status,
                body: p
                    .body
                    .map(|b| String::from_utf8_lossy(&b[..b.len().min(BODY_CAP)]).into_owned()),
            }),
            test: false,
        }))
    }

    /// Runs until cancelled: a tick, then a sleep of at most a second, cut short when
    /// this process queues a notification.
    pub async fn run(self, cancel: CancellationToken) {
        loop {
            if let Err(e) = self.tick().await {
                tracing::error!(error = %e, "notifier tick failed; retrying");
            }
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = self.state.outbox_wake.notified() => {}
                _ = tokio::time::sleep(MAX_SLEEP) => {}
            }
        }
    }
}
