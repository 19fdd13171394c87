//! Overdue: push monitoring for cron jobs, scripts and hosts.

pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod domain;
pub mod http;
pub mod jobs;
pub mod notify;
pub mod server;
pub mod state;
pub mod store;
pub mod templates;
pub mod views;
