//! The SQLite writer's copy of the checks it wrote last, so that a batch of pings to
//! checks it has seen needs no select.
//!
//! SQLite has one writer at a time, and this one writes almost everything. After its
//! `begin immediate`, `pragma data_version` tells whether any other connection (the
//! scheduler, the pruner, the API, another process) has committed since the writer's
//! previous transaction; if so the copy is dropped. That value compares only within one
//! connection, so the writer keeps its connection for as long as it works (see
//! `writer_db`); a connection is replaced only after an error, and an error drops the
//! copy. The writer's own commits keep the copy current: every check a batch pings (by
//! uuid or by slug, created by it or not) is written by the batch's own statements, and
//! its row is stored here only after the transaction commits.

use crate::store::checks::Check;
use crate::store::{StoreError, Tx, TxConn};
use std::collections::HashMap;

/// Most rows kept (a few hundred bytes each); past it the copy starts over.
const MAX_ROWS: usize = 20_000;

#[derive(Default)]
pub struct CheckCache {
    rows: HashMap<String, Check>,
    /// `data_version` seen at the start of the writer's last transaction.
    version: Option<i64>,
}

impl CheckCache {
    /// Call first thing in each write transaction: drops the copy if another connection
    /// committed since the last one. Not for PostgreSQL, where other processes write
    /// concurrently and rows must be locked anyway.
    pub async fn validate(&mut self, tx: &mut Tx) -> Result<(), StoreError> {
        let TxConn::Sqlite(t) = &mut tx.0 else {
            self.clear();
            return Ok(());
        };
        let version: i64 = sqlx::query_scalar("pragma data_version")
            .fetch_one(&mut **t)
            .await?;
        if self.version != Some(version) {
            self.rows.clear();
            self.version = Some(version);
        }
        Ok(())
    }

    pub fn get(&self, uuid: &str) -> Option<&Check> {
        self.rows.get(uuid)
    }

    /// Keeps `rows` as they are after a commit.
    pub fn store(&mut self, rows: impl IntoIterator<Item = Check>) {
        for row in rows {
            if self.rows.len() >= MAX_ROWS && !self.rows.contains_key(&row.uuid.to_string()) {
                self.rows.clear();
            }
            self.rows.insert(row.uuid.to_string(), row);
        }
    }

    pub fn clear(&mut self) {
        self.rows.clear();
        self.version = None;
    }
}
