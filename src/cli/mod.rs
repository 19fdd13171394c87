//! The command line: `serve` (the default), `migrate`, `user create`, `project create`.

use crate::config::Config;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

mod accounts;
mod serve;
mod startup;

#[derive(Debug, Parser)]
#[command(
    name = "overdue",
    version,
    about = "Push monitoring for cron jobs, scripts and hosts"
)]
pub struct Cli {
    /// A TOML file of settings; environment variables override it.
    #[arg(long, global = true, env = "OVERDUE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve HTTP and run the background jobs (the default).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage projects.
    #[command(subcommand)]
    Project(ProjectCommand),
}

#[derive(Debug, Args, Default)]
pub struct ServeArgs {
    /// Do not apply pending migrations at start.
    #[arg(long)]
    pub no_migrate: bool,
    /// Run the background jobs (scheduler, pruner) in this process.
    #[arg(long, value_enum, default_value_t = Part::All)]
    pub jobs: Part,
    /// Serve HTTP from this process.
    #[arg(long, value_enum, default_value_t = Part::All)]
    pub http: Part,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Part {
    #[default]
    All,
    None,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; prints the new user's id.
    Create {
        #[arg(long)]
        email: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProjectCommand {
    /// Create a project; prints its uuid, name, ping key and API keys as one JSON object.
    /// The keys are shown only this once.
    Create {
        /// The email of the owning user.
        #[arg(long)]
        owner: String,
        #[arg(long)]
        name: String,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    crate::notify::net::install_crypto_provider();
    let config = Config::load(cli.config.as_deref())?;
    match cli.command {
        None => serve::run(config, ServeArgs::default()).await,
        Some(Command::Serve(args)) => serve::run(config, args).await,
        Some(Command::Migrate) => serve::migrate(config).await,
        Some(Command::User(UserCommand::Create {
            email,
            password_stdin,
        })) => {
            let password = if password_stdin {
                Some(accounts::read_password_line()?)
            } else {
                None
            };
            let id = accounts::create_user(&config, &email, password).await?;
            println!("{id}");
            Ok(())
        }
        Some(Command::Project(ProjectCommand::Create { owner, name })) => {
            let project = accounts::create_project(&config, &owner, &name).await?;
            println!("{}", serde_json::to_string(&project)?);
            Ok(())
        }
    }
}
