//! `tarello`: one binary, several roles. See `tarello --help`.
#![forbid(unsafe_code)]
#![expect(clippy::print_stdout, reason = "a CLI prints its results on stdout")]

mod cmd;
mod config;
mod kekfile;
mod logging;
mod progress;
mod runtime;
mod serve_lock;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "tarello",
    version,
    about = "Tarello: self-hostable, multi-tenant team work management whose security page is true and tested.",
    long_about = "Tarello: self-hostable, multi-tenant team work management.\n\n\
        With no configuration it runs on embedded defaults: a private PostgreSQL cluster started \
        from the system's binaries under the data directory (./tarello-data), and a generated \
        key-encryption key in <data dir>/kek. Settings come from a TOML file (--config) and \
        TARELLO_* environment variables; `tarello config show` prints them."
)]
struct Cli {
    /// TOML configuration file (also TARELLO_CONFIG).
    #[arg(long, global = true, env = "TARELLO_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API (refuses to start on a database that needs `tarello migrate`).
    Serve,
    /// Bring the control schema and every workspace schema to the latest version (resumable).
    Migrate,
    /// Create and list workspaces.
    #[command(subcommand)]
    Workspace(cmd::workspace::WorkspaceCmd),
    /// Inspect and rotate keys: the KEK and each workspace's data keys.
    #[command(subcommand)]
    Keys(cmd::keys::KeysCmd),
    /// Seal, verify and purge the history (tamper evidence and retention).
    #[command(subcommand)]
    Audit(cmd::audit::AuditCmd),
    /// Show the effective configuration.
    #[command(subcommand)]
    Config(ConfigCmd),
}

#[derive(Debug, Subcommand)]
enum ConfigCmd {
    /// Print the effective configuration as TOML, with secrets as ***.
    Show,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let env: Vec<(String, String)> = std::env::vars().collect();
    let cfg = match config::load(cli.config.as_deref(), &env) {
        Ok(cfg) => cfg,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Command::Config(ConfigCmd::Show) = cli.command {
        print!("{}", cfg.show());
        return ExitCode::SUCCESS;
    }
    logging::init(cfg.log_format, &cfg.log_level);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = rt.block_on(async {
        match cli.command {
            Command::Serve => cmd::serve::run(cfg).await,
            Command::Migrate => cmd::migrate::run(cfg).await,
            Command::Workspace(c) => cmd::workspace::run(cfg, c).await,
            Command::Keys(c) => cmd::keys::run(cfg, c).await,
            Command::Audit(c) => cmd::audit::run(cfg, c).await,
            Command::Config(_) => Ok(()),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let usage = e.downcast_ref::<cmd::UsageError>().is_some();
            eprintln!("error: {e:#}");
            ExitCode::from(if usage { 2 } else { 1 })
        }
    }
}
