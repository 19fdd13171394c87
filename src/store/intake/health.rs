//! Whether the ping writer can write. A writer whose last batch failed reports the
//! failure (for `/healthz`) until a batch or a probe write succeeds; while it is failing
//! it probes on its own, so it recovers without waiting for the next ping.

use crate::store::{Db, StoreError, on_tx};
use std::sync::Mutex;
use std::time::Duration;

/// How often a failing writer tries a probe write.
pub(super) const PROBE_EVERY: Duration = Duration::from_secs(2);

/// Shared between the writer tasks and whoever asks.
#[derive(Default)]
pub struct WriterHealth {
    failing: Mutex<Option<String>>,
}

impl WriterHealth {
    /// `Err` with the last error while the writer cannot write.
    pub fn check(&self) -> Result<(), String> {
        match self.failing.lock() {
            Ok(failing) => failing.clone().map_or(Ok(()), Err),
            Err(_) => Err("the ping writer's health state is poisoned".into()),
        }
    }

    pub(super) fn is_failing(&self) -> bool {
        self.check().is_err()
    }

    pub(super) fn wrote(&self) {
        if let Ok(mut failing) = self.failing.lock()
            && failing.take().is_some()
        {
            tracing::info!("the ping writer writes again");
        }
    }

    pub(super) fn failed(&self, error: &StoreError) {
        if let Ok(mut failing) = self.failing.lock() {
            *failing = Some(chain(error));
        }
    }
}

/// The error with its causes, as one line.
pub(super) fn chain(error: &StoreError) -> String {
    let mut chain = vec![error.to_string()];
    let mut source = std::error::Error::source(error);
    while let Some(s) = source {
        chain.push(s.to_string());
        source = s.source();
    }
    chain.join(": ")
}

/// A write that needs the disk and the write lock, as a batch does, and changes nothing
/// anyone reads.
pub(super) async fn probe(db: &Db) -> Result<(), StoreError> {
    const SQL: &str = "insert into instance_settings (name, value) values ('writer_probe', '1') \
        on conflict (name) do update set value = cast(cast(instance_settings.value as integer) + 1 as text)";
    let mut tx = db.begin_write().await?;
    on_tx!(tx, c => sqlx::query(SQL).execute(c).await.map(|_| ()))?;
    tx.commit().await
}
