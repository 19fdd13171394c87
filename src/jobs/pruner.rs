//! Retention in the background, off the ping path: every minute, pings beyond the
//! per-check limit are deleted (flips are kept: reports are computed from them).

use crate::state::AppState;
use crate::store::StoreError;
use crate::store::pruning;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const INTERVAL: Duration = Duration::from_secs(60);
const BATCH: i64 = 200;

/// Prunes until no check is over its limit, and forgets rate-limit windows and ping
/// batch ids older than a day. Returns how many checks were pruned.
pub async fn tick(state: &AppState) -> Result<usize, StoreError> {
    let day_ago = state.clock.now() - chrono::TimeDelta::days(1);
    crate::store::outbox::prune_rate_windows(&state.db, day_ago).await?;
    crate::store::intake::ledger::prune(&state.db, day_ago).await?;
    let mut total = 0;
    loop {
        let n = pruning::prune_pings(&state.db, state.config.ping_log_limit, BATCH).await?;
        total += n;
        if i64::try_from(n).is_ok_and(|n| n < BATCH) {
            return Ok(total);
        }
    }
}

pub async fn run(state: AppState, cancel: CancellationToken) {
    loop {
        match tick(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(checks = n, "pruned old pings"),
            Err(e) => tracing::error!(error = %e, "pruning pings failed; retrying later"),
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(INTERVAL) => {}
        }
    }
}
