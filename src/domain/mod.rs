//! Pure logic: no I/O, no clock of its own. Everything here takes plain data and `now`
//! and returns plain data, so it is tested without a database.

pub mod badge;
pub mod channel_config;
pub mod check;
pub mod check_config;
pub mod check_record;
pub mod check_update;
pub mod coalesce;
pub mod cron;
pub mod delivery;
pub mod fairness;
pub mod ids;
pub mod keys;
pub mod limits;
pub mod oncalendar;
pub mod ping;
pub mod ping_rate;
pub mod prometheus;
#[cfg(test)]
mod props;
pub mod proxies;
pub mod records;
pub mod run;
pub mod schedule;
