//! Pure logic: no I/O, no clock of its own. Everything here takes plain data and `now`
//! and returns plain data, so it is tested without a database.

pub mod check;
pub mod cron;
pub mod keys;
pub mod ping;
pub mod schedule;
