//! `overdue-bench`: the helper the scripts in `bench/` use. It seeds a database with many
//! checks quickly, arms deadlines, waits for the scheduler's flips, times start-up, holds
//! a silent TCP port for webhooks that should never finish, receives webhooks with their
//! arrival times, flaps a check, and times one alert. It is not part of the service; see
//! `bench/README.md`.

mod database;
mod noisy;
mod process;

use database::{SeedArgs, arm, seed, wait_flips};
use process::{blackhole, startup};

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "overdue-bench",
    about = "Helper for the benchmark scripts in bench/"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Apply migrations, create a user and a project, and insert N checks in bulk.
    Seed {
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        #[arg(long)]
        checks: u64,
        /// `up` (pinged just now, due after timeout + grace) or `new` (never pinged).
        #[arg(long, default_value = "up")]
        state: String,
        #[arg(long, default_value_t = 86_400)]
        timeout: i64,
        #[arg(long, default_value_t = 3_600)]
        grace: i64,
        /// Write the uuids of the checks here, one a line, in id order.
        #[arg(long)]
        uuids: Option<PathBuf>,
        /// Write at most this many uuids (the checks with the lowest ids).
        #[arg(long)]
        uuids_limit: Option<u64>,
        /// Create a webhook channel that POSTs to this URL when a check goes down.
        #[arg(long)]
        channel_url: Option<String>,
        /// Assign the channel to this many checks (the lowest ids of this project).
        #[arg(long, default_value_t = 0)]
        channel_checks: u64,
        /// The channel also POSTs to its URL when a check comes up.
        #[arg(long)]
        channel_up: bool,
        /// The email of the user who owns the project (a new user).
        #[arg(long, default_value = "bench@example.invalid")]
        owner: String,
        #[arg(long, default_value = "bench")]
        project: String,
        /// Checks are named "<prefix> <i>".
        #[arg(long, default_value = "bench")]
        name_prefix: String,
    },
    /// Give the K checks with the lowest ids a deadline at the given instant, with a
    /// last ping that makes that deadline the right one.
    Arm {
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        #[arg(long)]
        count: i64,
        /// The deadline, in milliseconds since the Unix epoch.
        #[arg(long)]
        at_ms: i64,
    },
    /// Poll until `expect` checks have gone down with their outbox rows written; print
    /// how long after the deadline each milestone was reached.
    WaitFlips {
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        #[arg(long)]
        expect: i64,
        /// The deadline the checks share, in milliseconds since the Unix epoch.
        #[arg(long)]
        since_ms: i64,
        #[arg(long, default_value_t = 50)]
        interval_ms: u64,
        #[arg(long, default_value_t = 120)]
        timeout_s: u64,
    },
    /// Start a command and time it until `url` answers 200; then stop it with SIGTERM.
    Startup {
        /// An http://host:port/path URL to poll.
        #[arg(long)]
        url: String,
        #[arg(long, default_value_t = 60)]
        timeout_s: u64,
        /// Where the command's standard error goes.
        #[arg(long)]
        log: Option<PathBuf>,
        #[arg(trailing_var_arg = true, required = true)]
        command: Vec<String>,
    },
    /// Listen on a loopback port and never accept: connections are established by the
    /// kernel and then nothing answers. Prints the port, then waits (bounded).
    Blackhole {
        #[arg(long, default_value_t = 900)]
        seconds: u64,
    },
    /// Receive webhooks on a loopback port: answer 200 at once and append
    /// "<unix ms> <path> <body>" to the log for each. Prints the port, then serves (bounded).
    Receiver {
        #[arg(long)]
        log: PathBuf,
        #[arg(long, default_value_t = 900)]
        seconds: u64,
    },
    /// Flap a check: fail and success pings by turns, one at a time, as fast as they go.
    Flap {
        /// The service's base URL, http://host:port.
        #[arg(long)]
        base: String,
        #[arg(long)]
        uuid: String,
        #[arg(long)]
        seconds: u64,
        #[arg(long, default_value_t = 1_000_000)]
        max_pings: u64,
    },
    /// Send one fail ping and time it until the receiver logs a request containing
    /// `expect`; prints {"latency_ms": …}.
    Alert {
        #[arg(long)]
        ping_url: String,
        /// The receiver's log.
        #[arg(long)]
        log: PathBuf,
        #[arg(long)]
        expect: String,
        #[arg(long, default_value_t = 120)]
        timeout_s: u64,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("overdue-bench: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Cmd::Seed {
            database_url,
            checks,
            state,
            timeout,
            grace,
            uuids,
            uuids_limit,
            channel_url,
            channel_checks,
            channel_up,
            owner,
            project,
            name_prefix,
        } => runtime.block_on(seed(SeedArgs {
            database_url,
            checks,
            up: match state.as_str() {
                "up" => true,
                "new" => false,
                other => {
                    eprintln!("overdue-bench: --state must be up or new, not {other:?}");
                    return ExitCode::FAILURE;
                }
            },
            timeout,
            grace,
            uuids,
            uuids_limit,
            channel_url,
            channel_checks,
            channel_up,
            owner,
            project,
            name_prefix,
        })),
        Cmd::Arm {
            database_url,
            count,
            at_ms,
        } => runtime.block_on(arm(&database_url, count, at_ms)),
        Cmd::WaitFlips {
            database_url,
            expect,
            since_ms,
            interval_ms,
            timeout_s,
        } => runtime.block_on(wait_flips(
            &database_url,
            expect,
            since_ms,
            interval_ms,
            timeout_s,
        )),
        Cmd::Startup {
            url,
            timeout_s,
            log,
            command,
        } => startup(&url, timeout_s, log, &command),
        Cmd::Blackhole { seconds } => blackhole(seconds),
        Cmd::Receiver { log, seconds } => runtime.block_on(noisy::receiver(log, seconds)),
        Cmd::Flap {
            base,
            uuid,
            seconds,
            max_pings,
        } => runtime.block_on(noisy::flap(&base, &uuid, seconds, max_pings)),
        Cmd::Alert {
            ping_url,
            log,
            expect,
            timeout_s,
        } => runtime.block_on(noisy::alert(&ping_url, &log, &expect, timeout_s)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("overdue-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}
