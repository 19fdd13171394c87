//! The integration tests, in one binary: the real app on a random port, each test on its
//! own database, every behaviour on both backends. The harness is in `helpers`.

// A panic is how a test reports a failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod helpers;

mod api;
mod api_channels;
mod badges;
mod cli;
mod connections;
mod crash;
mod faults;
mod limits;
mod notify_delivery;
mod notify_email;
mod notify_fairness;
mod notify_outbound;
mod notify_shell;
mod notify_wechat;
mod openapi;
mod ping;
mod ping_batch;
mod prometheus;
mod scheduler;
mod webhook_template;
