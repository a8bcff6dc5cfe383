//! `strata`: the command line. Thin: parsing options, choosing output, exit codes; the
//! work is done by `strata_core`.
mod commands;
mod db;
mod output;
mod redact;
mod settings;
mod timing;

use clap::{Args, Parser, Subcommand, ValueEnum};
use output::Output;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "strata",
    version,
    about = "Reviewable PostgreSQL migrations generated from annotated Rust structs"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// PostgreSQL URL [default: DATABASE_URL from the environment or .env; else libpq PG* variables]
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    /// Migrations directory [default: `migrations`]
    #[arg(long, global = true, value_name = "DIR")]
    pub migrations: Option<PathBuf>,
    /// Entity sources (repeatable) [default: `src/**/*.rs`]
    #[arg(long, global = true, value_name = "GLOB")]
    pub entities: Vec<String>,
    /// Config file [default: strata.toml when present]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Machine-readable output on stdout
    #[arg(long, global = true)]
    pub json: bool,
    /// More output (repeatable)
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,
    /// Only errors
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Diff entities against the database and write a migration pair
    Generate {
        name: String,
        /// Print the SQL, write nothing
        #[arg(long)]
        dry_run: bool,
        /// Exit 1 when a migration would be generated (for CI)
        #[arg(long, conflicts_with = "dry_run")]
        check: bool,
        /// Generate even when steps delete data
        #[arg(long)]
        allow_destructive: bool,
    },
    /// Write an empty up/down pair to fill in by hand
    Create { name: String },
    /// Apply pending migrations in version order
    Run {
        /// List what would run and its SQL, change nothing
        #[arg(long)]
        dry_run: bool,
        /// Apply up to and including this version
        #[arg(long, value_name = "VERSION")]
        target: Option<i64>,
    },
    /// Revert the latest applied migration(s)
    Revert {
        /// How many to revert [default: 1]
        #[arg(long, value_name = "N", conflicts_with = "target")]
        steps: Option<usize>,
        /// Revert every migration applied above this version (0: all)
        #[arg(long, value_name = "VERSION")]
        target: Option<i64>,
        /// List what would be reverted and its SQL, change nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// Applied, pending, missing and modified migrations (exit 1 unless all applied)
    Status,
    /// The plan between entities and database, without writing
    Diff {
        #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
        format: DiffFormat,
    },
    /// The database's schema as strata sees it (SQL, or JSON with --json)
    Inspect,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Text,
    Sql,
    Json,
}

/// How a command that did not fail ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// "A difference exists": `generate --check`, `status`.
    Difference,
}

fn main() -> ExitCode {
    timing::mark("start");
    let cli = Cli::parse();
    let out = Output::new(cli.global.json, cli.global.verbose, cli.global.quiet);
    // The redactor learns the password as soon as the URL is known, and every error
    // goes through it, including ones from sqlx that may echo connection details.
    let mut redactor = redact::Redactor::default();
    let result = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)
        .and_then(|rt| rt.block_on(commands::dispatch(cli, &out, &mut redactor)));
    timing::mark("output");
    match result {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::Difference) => ExitCode::from(1),
        Err(e) => {
            if let Some(d) = e.downcast_ref::<output::Diagnostics>() {
                eprintln!("{}", redactor.redact(d.rendered.trim_end()));
                eprintln!();
                out.error(&redactor.redact(&d.summary));
                return ExitCode::from(2);
            }
            out.error(&redactor.redact(&format!("{e:#}")));
            ExitCode::from(2)
        }
    }
}
