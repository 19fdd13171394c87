//! Building the [`Notice`] an outbox row tells: the check as it is now, the flip the row
//! stands for, the last ping, and whether the check has been flapping.

use super::Notifier;
use crate::domain::check::{FlipReason, Status};
use crate::domain::coalesce;
use crate::notify::Notice;
use crate::notify::notice::{BODY_CAP, ChannelRef, CheckInfo, LastPing, schedule_text};
use crate::store::StoreError;
use crate::store::channels::Channel;
use crate::store::outbox::{self, Claimed};
use crate::views::{CheckView, Viewer};

impl Notifier {
    /// Builds the notice for one outbox row; `None` if its check is gone.
    pub(super) async fn notice(
        &self,
        channel: &Channel,
        row: &Claimed,
    ) -> Result<Option<Notice>, StoreError> {
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
            flapping: coalesce::flapping(parts.recent_changes),
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
}
