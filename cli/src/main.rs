//! `strata`: the command line. Thin: parsing options, choosing output, exit codes; the
//! work is done by `strata_core`.
mod commands;
mod db;
mod output;
mod redact;
mod scratch;
mod settings;
mod timing;

use clap::{Args, Parser, Subcommand, ValueEnum};
use output::Output;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// mimalloc rather than the system allocator: parsing the entities (syn) and building
/// the schemas are millions of small allocations, many made on the scan threads and
/// freed on the main one, where glibc's malloc was a fifth of all the work. With 5000
/// entity files: scan 340 -> 235 ms, lower 120 -> 66 ms, client CPU 0.92 -> 0.67 s.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// A database strata may empty and use as scratch [default: strata.toml's shadow_database_url, else one strata creates]
    #[arg(long, global = true, value_name = "URL")]
    pub shadow_url: Option<String>,
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
    /// Diff entities against the database and write the migration (an up/down pair, or several when statements cannot share a transaction)
    Generate {
        name: String,
        /// What to compare the entities with: the database, or the schema the migrations
        /// folder builds on a scratch database [default: strata.toml `from`, else database]
        #[arg(long, value_enum, value_name = "SOURCE")]
        from: Option<FromSource>,
        /// Print the SQL, write nothing
        #[arg(long)]
        dry_run: bool,
        /// Exit 1 when a migration would be generated (for CI)
        #[arg(long, conflicts_with = "dry_run")]
        check: bool,
        /// Write the files without proving them on a scratch database first
        #[arg(long, conflicts_with = "verify")]
        no_verify: bool,
        /// Prove the plan on a scratch database even with --dry-run or --check
        #[arg(long)]
        verify: bool,
        /// Generate even when steps delete data
        #[arg(long)]
        allow_destructive: bool,
        /// Online-safe DDL for a busy database: concurrent indexes, constraints added
        /// NOT VALID then validated, a lock timeout (also `online = true` in strata.toml)
        #[arg(long)]
        online: bool,
        /// Drop the views, functions, triggers, policies, domains, sequences and types
        /// that no `objects` file declares (also `prune = true` in strata.toml)
        #[arg(long)]
        prune: bool,
        /// Generate even with this hazard, denied by strata.toml's `deny` (repeatable)
        #[arg(long, value_name = "HAZARD")]
        allow_hazard: Vec<String>,
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
        /// Apply pending migrations older than the newest applied one (a branch merged
        /// late) instead of refusing
        #[arg(long)]
        allow_out_of_order: bool,
        #[command(flatten)]
        lock: LockArgs,
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
        #[command(flatten)]
        lock: LockArgs,
    },
    /// Applied, pending, missing, modified and failed migrations (exit 1 unless all
    /// applied); never writes to the database
    Status,
    /// Adopt a database built without strata: write a migration that creates its
    /// current schema and record it as applied
    Baseline {
        name: String,
        #[command(flatten)]
        lock: LockArgs,
    },
    /// Write entities (and `objects` SQL files) declaring the database as it is: a
    /// struct per table, a DbEnum per enum type, a module per schema
    Pull {
        /// Where to write them
        #[arg(long, value_name = "DIR", default_value = "src/entities")]
        out: PathBuf,
        /// Overwrite files that exist
        #[arg(long)]
        force: bool,
    },
    /// Adopt a database in one command: write strata.toml, pull the entities, write
    /// the baseline migration and record it as applied, check "No changes"
    Init {
        /// Where to write the entities
        #[arg(long, value_name = "DIR", default_value = "src/entities")]
        out: PathBuf,
        /// The baseline migration's name
        #[arg(long, default_value = "baseline")]
        name: String,
        /// Replace strata.toml and the pulled files when they exist (never migrations)
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        lock: LockArgs,
    },
    /// Record a migration as applied without running it
    MarkApplied {
        version: i64,
        #[command(flatten)]
        lock: LockArgs,
    },
    /// Remove a migration's record without running its down file
    Unmark {
        version: i64,
        #[command(flatten)]
        lock: LockArgs,
    },
    /// Say what state a failed `-- no-transaction` migration left the database in
    Resolve {
        version: i64,
        /// Its changes are all in the database: record it as applied
        #[arg(
            long,
            conflicts_with = "rolled_back",
            required_unless_present = "rolled_back"
        )]
        applied: bool,
        /// None of its changes remain: remove its record so that `run` applies it again
        #[arg(long)]
        rolled_back: bool,
        #[command(flatten)]
        lock: LockArgs,
    },
    /// The plan between entities and database, without writing
    Diff {
        /// What to compare the entities with (see `generate --from`)
        #[arg(long, value_enum, value_name = "SOURCE")]
        from: Option<FromSource>,
        #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
        format: DiffFormat,
        /// The plan online mode writes (see `generate --online`)
        #[arg(long)]
        online: bool,
        /// Drop the objects no `objects` file declares (see `generate --prune`)
        #[arg(long)]
        prune: bool,
        /// Exit 1 when the plan has a hazard that strata.toml's `deny` forbids (for CI)
        #[arg(long)]
        check: bool,
    },
    /// The database's schema as strata sees it (SQL, or JSON with --json)
    Inspect,
    /// Prove every migration on a scratch database: up, down restores the schema before
    /// it, up again gives the same schema; then the entities give "No changes" (exit 1
    /// naming the first migration that fails this)
    Verify {
        /// Check from this version on (the ones before are only applied)
        #[arg(long, value_name = "VERSION")]
        from: Option<i64>,
    },
    /// Compare the database with the schema its applied migrations build (replayed on a
    /// scratch database) and name every object changed by hand; exit 1 on drift. Never
    /// writes to the database
    Drift,
}

#[derive(Debug, Clone, Copy, Args)]
pub struct LockArgs {
    /// How long to wait for another runner (strata or sqlx) to release the migration
    /// lock, e.g. 30s or 5min [default: strata.toml run.migration_lock_timeout, else 60s]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub lock_timeout: Option<Duration>,
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    strata_core::migrate::duration::parse(text)
}

/// What `generate` and `diff` compare the entities with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FromSource {
    /// The database at DATABASE_URL
    Database,
    /// The schema the migrations folder builds, replayed into a scratch database
    Migrations,
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

/// Ctrl-C, as an error that ends the command.
#[derive(Debug)]
struct Interrupted;

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("interrupted")
    }
}

impl std::error::Error for Interrupted {}

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
        .and_then(|rt| {
            rt.block_on(async {
                // Ctrl-C drops the command, which cleans up what it holds (a scratch
                // database, say: see `scratch`), and ends with exit 130.
                tokio::select! {
                    result = commands::dispatch(cli, &out, &mut redactor) => result,
                    _ = tokio::signal::ctrl_c() => Err(anyhow::Error::new(Interrupted)),
                }
            })
        });
    timing::mark("output");
    if result.as_ref().is_err_and(|e| e.is::<Interrupted>()) {
        out.error("interrupted");
        return ExitCode::from(130);
    }
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
