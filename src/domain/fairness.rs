//! Which due notifications a delivery worker takes now. Sends are shared out so that a
//! slow or dead channel never holds up another channel or another project: each channel
//! and each project has a bounded number of sends in flight (counted over every worker
//! process, from the outbox's leases), a worker keeps a bounded number of its own, and a
//! check's notifications to one channel go out one at a time, in order.

use super::channel_config::ChannelKind;
use super::ids::{ChannelId, CheckId, ProjectId};
use std::collections::{HashMap, HashSet};

/// An outbox row, as the choice sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    pub id: i64,
    pub check: CheckId,
    pub channel: ChannelId,
    pub project: ProjectId,
    pub kind: ChannelKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Sends in flight at once to one channel that sends each notification on its own.
    pub per_channel: usize,
    /// Sends in flight at once for one project, over all its channels.
    pub per_project: usize,
    /// Notifications one digest carries at most.
    pub digest_rows: usize,
}

impl Limits {
    pub const DEFAULT: Limits = Limits {
        per_channel: 4,
        per_project: 8,
        digest_rows: 50,
    };
}

/// Sends one worker process keeps in flight at most.
pub const PER_PROCESS: usize = 64;

/// How a channel's notifications travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// Up to this many sends at once, one notification each.
    Parallel(usize),
    /// One send at a time, carrying every notification waiting for the channel (WeCom
    /// robots: their per-minute allowance is spent per message, not per notification).
    Digest,
}

impl Lane {
    /// Sends in flight at once.
    pub fn cap(self) -> usize {
        match self {
            Lane::Parallel(n) => n,
            Lane::Digest => 1,
        }
    }
}

pub fn lane(kind: ChannelKind, limits: &Limits) -> Lane {
    match kind {
        ChannelKind::WeCom => Lane::Digest,
        // A command runs once at a time: two runs of one script could trip over each other.
        ChannelKind::Shell => Lane::Parallel(1),
        ChannelKind::Email | ChannelKind::Webhook | ChannelKind::ServerChan => {
            Lane::Parallel(limits.per_channel)
        }
    }
}

/// What is in flight: the sends of each channel and project, and the checks and channels
/// with a notification on its way.
#[derive(Debug, Clone, Default)]
pub struct Load {
    busy_pairs: HashSet<(CheckId, ChannelId)>,
    channel_sends: HashMap<ChannelId, usize>,
    project_sends: HashMap<ProjectId, usize>,
    /// How many sends each channel with one in flight may have at once.
    channel_caps: HashMap<ChannelId, usize>,
}

impl Load {
    /// The load of the rows leased to a send right now, by any worker.
    pub fn of(in_flight: &[Row], limits: &Limits) -> Load {
        let mut load = Load::default();
        for row in in_flight {
            load.busy_pairs.insert((row.check, row.channel));
            let lane = lane(row.kind, limits);
            let first = load.channel_caps.insert(row.channel, lane.cap()).is_none();
            // A digest in flight is one send, however many rows it carries.
            if lane == Lane::Digest && !first {
                continue;
            }
            *load.channel_sends.entry(row.channel).or_default() += 1;
            *load.project_sends.entry(row.project).or_default() += 1;
        }
        load
    }

    fn channel(&self, id: ChannelId) -> usize {
        self.channel_sends.get(&id).copied().unwrap_or(0)
    }

    fn project(&self, id: ProjectId) -> usize {
        self.project_sends.get(&id).copied().unwrap_or(0)
    }

    /// The channels and projects that can start no send now, whatever waits for them: a
    /// look at the outbox can leave their rows out.
    pub fn saturated(&self, limits: &Limits) -> (Vec<ChannelId>, Vec<ProjectId>) {
        let mut channels: Vec<ChannelId> = self
            .channel_sends
            .iter()
            .filter(|(id, n)| self.channel_caps.get(id).is_some_and(|cap| **n >= *cap))
            .map(|(id, _)| *id)
            .collect();
        let mut projects: Vec<ProjectId> = self
            .project_sends
            .iter()
            .filter(|(_, n)| **n >= limits.per_project)
            .map(|(id, _)| *id)
            .collect();
        channels.sort();
        projects.sort();
        (channels, projects)
    }
}

/// Chooses the sends to start now. `candidates` are due rows nobody holds, in the order
/// they should be served (the outbox hands them out round-robin over projects and their
/// channels, earliest first); `load` is what is in flight in any process; `free` is how
/// many more sends this worker may start. Each send returned carries one row, or for a
/// digest channel every row it can take. Rows skipped stay due for a later choice.
pub fn pick(candidates: &[Row], load: &Load, free: usize, limits: &Limits) -> Vec<Vec<Row>> {
    let mut load = load.clone();
    let mut sends: Vec<Vec<Row>> = Vec::new();
    let mut digest_of: HashMap<ChannelId, usize> = HashMap::new();
    for row in candidates {
        if load.busy_pairs.contains(&(row.check, row.channel)) {
            continue;
        }
        let lane = lane(row.kind, limits);
        if lane == Lane::Digest
            && let Some(&i) = digest_of.get(&row.channel)
        {
            if sends[i].len() < limits.digest_rows {
                sends[i].push(*row);
                load.busy_pairs.insert((row.check, row.channel));
            }
            continue;
        }
        if load.channel(row.channel) >= lane.cap()
            || load.project(row.project) >= limits.per_project
            || sends.len() >= free
        {
            continue;
        }
        *load.channel_sends.entry(row.channel).or_default() += 1;
        *load.project_sends.entry(row.project).or_default() += 1;
        load.busy_pairs.insert((row.check, row.channel));
        if lane == Lane::Digest {
            digest_of.insert(row.channel, sends.len());
        }
        sends.push(vec![*row]);
    }
    sends
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        per_channel: 2,
        per_project: 3,
        digest_rows: 3,
    };

    fn row(id: i64, check: i64, channel: i64, project: i64, kind: ChannelKind) -> Row {
        Row {
            id,
            check: CheckId(check),
            channel: ChannelId(channel),
            project: ProjectId(project),
            kind,
        }
    }

    fn hook(id: i64, check: i64, channel: i64, project: i64) -> Row {
        row(id, check, channel, project, ChannelKind::Webhook)
    }

    fn idle() -> Load {
        Load::default()
    }

    fn ids(sends: &[Vec<Row>]) -> Vec<Vec<i64>> {
        sends
            .iter()
            .map(|s| s.iter().map(|r| r.id).collect())
            .collect()
    }

    #[test]
    fn a_channel_gets_no_more_than_its_share_and_the_rest_wait() {
        let rows: Vec<Row> = (1..=5).map(|i| hook(i, i, 1, 1)).collect();
        assert_eq!(ids(&pick(&rows, &idle(), 10, &LIMITS)), [[1], [2]]);
    }

    #[test]
    fn a_saturated_channel_does_not_hold_up_another_channel_or_project() {
        // Channel 1 (project 1) already has its two sends in flight and more rows due
        // first; channel 2 of the same project and channel 3 of another are served.
        let in_flight = [hook(90, 90, 1, 1), hook(91, 91, 1, 1)];
        let rows = [
            hook(1, 1, 1, 1),
            hook(2, 2, 1, 1),
            hook(3, 3, 2, 1),
            hook(4, 4, 3, 2),
        ];
        assert_eq!(
            ids(&pick(&rows, &Load::of(&in_flight, &LIMITS), 10, &LIMITS)),
            [[3], [4]]
        );
    }

    #[test]
    fn a_project_is_bounded_over_all_its_channels() {
        let in_flight = [hook(90, 90, 1, 1), hook(91, 91, 2, 1)];
        let rows = [hook(1, 1, 3, 1), hook(2, 2, 4, 1), hook(3, 3, 5, 2)];
        assert_eq!(
            ids(&pick(&rows, &Load::of(&in_flight, &LIMITS), 10, &LIMITS)),
            [[1], [3]],
            "one more send for project 1 reaches its limit of 3"
        );
    }

    #[test]
    fn a_worker_starts_no_more_sends_than_it_has_room_for() {
        let rows: Vec<Row> = (1..=4).map(|i| hook(i, i, i, i)).collect();
        assert_eq!(ids(&pick(&rows, &idle(), 2, &LIMITS)), [[1], [2]]);
        assert!(pick(&rows, &idle(), 0, &LIMITS).is_empty());
    }

    #[test]
    fn a_checks_notifications_to_one_channel_go_one_at_a_time() {
        // Check 7 has a notification in flight to channel 1: its next one waits, though
        // the channel has room; its notification to channel 2 goes.
        let in_flight = [hook(90, 7, 1, 1)];
        let rows = [hook(1, 7, 1, 1), hook(2, 7, 2, 1), hook(3, 8, 1, 1)];
        assert_eq!(
            ids(&pick(&rows, &Load::of(&in_flight, &LIMITS), 10, &LIMITS)),
            [[2], [3]]
        );
        // Two rows of one check and channel due together: the first only.
        let rows = [hook(1, 7, 1, 1), hook(2, 7, 1, 1)];
        assert_eq!(ids(&pick(&rows, &idle(), 10, &LIMITS)), [[1]]);
    }

    #[test]
    fn a_digest_channel_sends_once_at_a_time_carrying_what_is_waiting() {
        let wecom = |id, check| row(id, check, 5, 1, ChannelKind::WeCom);
        let rows = [
            wecom(1, 1),
            wecom(2, 2),
            hook(3, 3, 1, 1),
            wecom(4, 4),
            wecom(5, 5),
        ];
        assert_eq!(
            ids(&pick(&rows, &idle(), 10, &LIMITS)),
            [vec![1, 2, 4], vec![3]],
            "one send for the digest, cut at three rows"
        );
        // While a digest is in flight the channel waits, and it counts as one send.
        let in_flight = [wecom(90, 90), wecom(91, 91)];
        let rows = [
            wecom(1, 1),
            hook(2, 2, 1, 1),
            hook(3, 3, 2, 1),
            hook(4, 4, 3, 1),
        ];
        assert_eq!(
            ids(&pick(&rows, &Load::of(&in_flight, &LIMITS), 10, &LIMITS)),
            [[2], [3]]
        );
    }

    #[test]
    fn channels_and_projects_at_their_limit_are_saturated() {
        let in_flight = [
            hook(91, 91, 1, 1),
            hook(92, 92, 1, 1),
            hook(93, 93, 2, 1),
            hook(94, 94, 3, 2),
            row(95, 95, 5, 3, ChannelKind::WeCom),
            row(96, 96, 6, 4, ChannelKind::Shell),
        ];
        let load = Load::of(&in_flight, &LIMITS);
        assert_eq!(
            load.saturated(&LIMITS),
            (
                vec![ChannelId(1), ChannelId(5), ChannelId(6)],
                vec![ProjectId(1)]
            ),
            "channel 1 at its two sends, the busy digest and shell channels, project 1 at three"
        );
        assert_eq!(idle().saturated(&LIMITS), (vec![], vec![]));
    }

    #[test]
    fn shell_commands_run_one_at_a_time_per_channel() {
        let shell = |id, check| row(id, check, 4, 1, ChannelKind::Shell);
        assert_eq!(
            ids(&pick(&[shell(1, 1), shell(2, 2)], &idle(), 10, &LIMITS)),
            [[1]]
        );
        assert!(
            pick(
                &[shell(1, 1)],
                &Load::of(&[shell(90, 90)], &LIMITS),
                10,
                &LIMITS
            )
            .is_empty()
        );
    }
}
