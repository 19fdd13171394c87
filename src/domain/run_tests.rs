//! Unit tests for run pairing: in one batch, across batches, and against the rule as the
//! ping log states it.

use super::*;
use crate::domain::check::{CheckState, on_ping};
use crate::domain::schedule::Schedule;
use chrono::TimeZone;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

fn at(secs: i64) -> DateTime<Utc> {
    t0() + TimeDelta::seconds(secs)
}

fn secs(n: i64) -> Option<TimeDelta> {
    Some(TimeDelta::seconds(n))
}

fn rid(n: u128) -> Option<Uuid> {
    Some(Uuid::from_u128(n))
}

const CHECK: u8 = 1;

#[test]
fn a_start_and_its_completion_in_one_batch_pair_in_memory() {
    // arrange: run 1 starts, then run 2, so the check remembers run 2's start
    let mut runs = BatchRuns::default();
    runs.on_ping(&CHECK, PingKind::Start, rid(1), at(0), None);
    runs.on_ping(&CHECK, PingKind::Start, rid(2), at(10), None);

    // act: run 1 completes; the state machine found no duration (another run is remembered)
    let pairing = runs.on_ping(&CHECK, PingKind::Success, rid(1), at(15), None);

    // assert
    assert_eq!(pairing, Pairing::Known(secs(15)));
}

#[test]
fn the_remembered_start_wins_when_the_state_machine_paired() {
    let mut runs = BatchRuns::default();
    runs.on_ping(&CHECK, PingKind::Start, rid(1), at(0), None);
    let pairing = runs.on_ping(&CHECK, PingKind::Fail, rid(1), at(4), secs(4));
    assert_eq!(pairing, Pairing::Known(secs(4)));
}

#[test]
fn a_completion_of_a_run_started_before_the_batch_needs_the_log() {
    let mut runs = BatchRuns::default();
    assert_eq!(
        runs.on_ping(&CHECK, PingKind::Success, rid(1), at(0), None),
        Pairing::FromLog
    );
}

#[test]
fn a_run_closed_earlier_in_the_batch_has_no_start_left() {
    let mut runs = BatchRuns::default();
    assert_eq!(
        runs.on_ping(&CHECK, PingKind::Success, rid(1), at(0), None),
        Pairing::FromLog
    );
    assert_eq!(
        runs.on_ping(&CHECK, PingKind::Success, rid(1), at(1), None),
        Pairing::Known(None)
    );
}

#[test]
fn a_completion_paired_with_the_remembered_start_closes_the_run() {
    let mut runs = BatchRuns::default();
    runs.on_ping(&CHECK, PingKind::Start, rid(1), at(0), None);
    runs.on_ping(&CHECK, PingKind::Success, rid(1), at(3), secs(3));
    assert_eq!(
        runs.on_ping(&CHECK, PingKind::Success, rid(1), at(5), None),
        Pairing::Known(None)
    );
}

#[test]
fn a_run_started_again_after_it_closed_pairs_with_the_new_start() {
    let mut runs = BatchRuns::default();
    runs.on_ping(&CHECK, PingKind::Success, rid(1), at(0), None);
    runs.on_ping(&CHECK, PingKind::Start, rid(1), at(2), None);
    runs.on_ping(&CHECK, PingKind::Start, rid(2), at(3), None);
    assert_eq!(
        runs.on_ping(&CHECK, PingKind::Fail, rid(1), at(9), None),
        Pairing::Known(secs(7))
    );
}

#[test]
fn runs_of_different_checks_never_pair_even_with_the_same_run_id() {
    let mut runs = BatchRuns::default();
    runs.on_ping(&1u8, PingKind::Start, rid(1), at(0), None);
    assert_eq!(
        runs.on_ping(&2u8, PingKind::Success, rid(1), at(5), None),
        Pairing::FromLog
    );
    assert_eq!(
        runs.on_ping(&1u8, PingKind::Success, rid(1), at(6), None),
        Pairing::Known(secs(6))
    );
}

#[test]
fn pings_without_a_run_id_take_what_the_state_machine_found() {
    let mut runs = BatchRuns::default();
    runs.on_ping(&CHECK, PingKind::Start, None, at(0), None);
    assert_eq!(
        runs.on_ping(&CHECK, PingKind::Success, None, at(2), secs(2)),
        Pairing::Known(secs(2))
    );
    assert_eq!(
        runs.on_ping(&CHECK, PingKind::Fail, None, at(3), None),
        Pairing::Known(None)
    );
}

#[test]
fn log_and_ignored_pings_neither_open_nor_close_a_run() {
    let mut runs = BatchRuns::default();
    runs.on_ping(&CHECK, PingKind::Start, rid(1), at(0), None);
    runs.on_ping(&CHECK, PingKind::Log, rid(1), at(1), None);
    runs.on_ping(&CHECK, PingKind::Ignored, rid(1), at(2), None);
    runs.on_ping(&CHECK, PingKind::Start, rid(2), at(3), None);
    assert_eq!(
        runs.on_ping(&CHECK, PingKind::Success, rid(1), at(4), None),
        Pairing::Known(secs(4))
    );
}

#[test]
fn a_start_more_than_72_hours_old_pairs_with_nothing() {
    let limit = MAX_RUN.num_seconds();
    let mut runs = BatchRuns::default();
    runs.on_ping(&CHECK, PingKind::Start, rid(1), at(0), None);
    runs.on_ping(&CHECK, PingKind::Start, rid(2), at(1), None);
    assert_eq!(
        runs.on_ping(&CHECK, PingKind::Success, rid(1), at(limit + 1), None),
        Pairing::Known(None)
    );
    assert_eq!(from_log(Some(at(0)), at(limit)), secs(limit));
    assert_eq!(from_log(Some(at(0)), at(limit + 1)), None);
    assert_eq!(from_log(None, at(5)), None);
}

// ---------------------------------------------------------------------------------------
// Batches against the rule as the log states it
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
struct Ping {
    kind: PingKind,
    rid: Option<Uuid>,
    at: DateTime<Utc>,
}

/// The rule as the ping log states it: the latest start of run `rid` since `now - MAX_RUN`
/// that no later completion of the run has closed.
fn open_start_in(log: &[Ping], rid: Uuid, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    log.iter()
        .enumerate()
        .filter(|(_, s)| s.kind == PingKind::Start && s.rid == Some(rid))
        .filter(|(_, s)| s.at >= earliest_start(now))
        .filter(|(n, _)| {
            !log[n + 1..]
                .iter()
                .any(|e| e.rid == Some(rid) && matches!(e.kind, PingKind::Success | PingKind::Fail))
        })
        .map(|(_, s)| s.at)
        .next_back()
}

/// The duration stored with each ping when `pings` arrive in batches of `size`: each
/// batch is paired in memory, then its `FromLog` completions against the log as it was
/// before the batch, and then the batch joins the log.
fn durations_in_batches(pings: &[Ping], size: usize) -> Vec<Option<TimeDelta>> {
    let mut state = CheckState::new(Schedule::simple(3_600), TimeDelta::seconds(600));
    let mut log: Vec<Ping> = Vec::new();
    let mut out = Vec::new();
    for batch in pings.chunks(size) {
        let mut runs = BatchRuns::default();
        for ping in batch {
            let outcome = on_ping(&state, ping.kind, ping.rid, ping.at);
            let duration =
                match runs.on_ping(&CHECK, ping.kind, ping.rid, ping.at, outcome.duration) {
                    Pairing::Known(d) => d,
                    Pairing::FromLog => {
                        let rid = ping
                            .rid
                            .expect("only completions with a run id need the log");
                        from_log(open_start_in(&log, rid, ping.at), ping.at)
                    }
                };
            state = outcome.state;
            out.push(duration);
        }
        log.extend_from_slice(batch);
    }
    out
}

/// A deterministic mix of starts, completions and log pings over three run ids and none,
/// with gaps of up to a day, so some runs outlast the 72 hours.
fn mixed_pings(seed: u64, n: usize) -> Vec<Ping> {
    let mut seed = seed;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        seed >> 33
    };
    let mut t = 0;
    (0..n)
        .map(|_| {
            let pick = next();
            t += i64::try_from(pick % 3).unwrap_or(0) * 40_000 + 1;
            Ping {
                kind: [
                    PingKind::Start,
                    PingKind::Start,
                    PingKind::Success,
                    PingKind::Fail,
                    PingKind::Log,
                ][usize::try_from(pick % 5).unwrap_or(0)],
                rid: match (pick / 5) % 4 {
                    0 => None,
                    k => rid(u128::from(k)),
                },
                at: at(t),
            }
        })
        .collect()
}

#[test]
fn any_split_into_batches_pairs_as_one_by_one() {
    for seed in 0..50 {
        let pings = mixed_pings(seed, 60);
        let one_by_one = durations_in_batches(&pings, 1);
        assert!(
            one_by_one.iter().any(Option::is_some),
            "seed {seed}: the mix pairs some runs"
        );
        for size in [2, 3, 7, 60] {
            assert_eq!(
                durations_in_batches(&pings, size),
                one_by_one,
                "seed {seed}, batches of {size}"
            );
        }
    }
}

#[test]
fn overlapping_runs_across_batches_each_get_their_own_duration() {
    // run 1 starts, run 2 starts (batch 1); run 1 completes from the log, run 2 from the
    // remembered start, and run 1's second completion finds nothing open (batch 2)
    let pings = [
        (PingKind::Start, 1, 0),
        (PingKind::Start, 2, 10),
        (PingKind::Success, 1, 15),
        (PingKind::Success, 2, 20),
        (PingKind::Success, 1, 21),
    ]
    .map(|(kind, r, s)| Ping {
        kind,
        rid: rid(r),
        at: at(s),
    });
    let expected = vec![None, None, secs(15), secs(10), None];
    assert_eq!(durations_in_batches(&pings, 2), expected);
    assert_eq!(durations_in_batches(&pings, 1), expected);
    assert_eq!(durations_in_batches(&pings, 5), expected);
}
