//! One file per command; `dispatch` resolves settings and runs the chosen one.
mod baseline;
mod copy;
mod create;
mod current_schema;
mod declared;
mod diff;
mod drift;
mod generate;
mod init;
mod inspect;
mod pending;
mod pipeline;
mod prove;
mod pull;
mod repair;
mod replay;
mod revert;
mod run;
mod status;
mod verify;

use crate::output::Output;
use crate::redact::Redactor;
use crate::settings::{self, Settings};
use crate::{Cli, Command, LockArgs, Outcome};
use sqlx::PgConnection;
use std::time::Duration;
use strata_core::migrate::{runner, Event, MigrateError, Repair};

/// What every command gets: resolved settings, where to print, how to keep secrets.
pub struct Ctx<'a> {
    pub settings: Settings,
    pub out: &'a Output,
    pub redactor: &'a Redactor,
}

impl Ctx<'_> {
    pub async fn connect(&self) -> anyhow::Result<PgConnection> {
        if let Some(url) = &self.settings.database_url {
            self.out
                .verbose(&format!("database: {}", crate::redact::redact_url(url)));
        }
        crate::db::connect(self.settings.database_url.as_deref(), self.redactor).await
    }

    /// The second connection that holds the migration lock while the first one works.
    pub async fn connect_lock(&self) -> anyhow::Result<PgConnection> {
        crate::db::connect(self.settings.database_url.as_deref(), self.redactor).await
    }

    /// `--lock-timeout`, else strata.toml's `run.migration_lock_timeout`, else 60s.
    pub fn lock_wait(&self, args: &LockArgs) -> Duration {
        args.lock_timeout
            .or(self.settings.run.migration_lock_timeout)
            .unwrap_or(runner::DEFAULT_LOCK_WAIT)
    }

    /// Says on stderr (even with --json) that the command waits for another runner.
    pub fn report_wait(&self, event: &Event<'_>) {
        if let Event::Waiting(w) = event {
            self.out.warn(&self.redactor.redact(&w.to_string()));
        }
    }

    /// With --json, a failed command still prints a JSON document: what was done
    /// before the error, and the error, including the failure's fields.
    pub fn json_error(
        &self,
        mut document: serde_json::Value,
        error: &MigrateError,
    ) -> anyhow::Result<()> {
        if !self.out.is_json() {
            return Ok(());
        }
        let kind = match error {
            MigrateError::Files(_) => "files",
            MigrateError::Select(_) => "history",
            MigrateError::Header(_) => "header",
            MigrateError::Repair(_) => "repair",
            MigrateError::Failed(_) => "migration_failed",
            MigrateError::LockTimeout { .. } => "lock_timeout",
            MigrateError::Database(_) => "database",
        };
        let mut value = serde_json::json!({
            "kind": kind,
            "message": self.redactor.redact(&error.to_string()),
        });
        if let MigrateError::Failed(failure) = error {
            value["failure"] = serde_json::to_value(failure)?;
        }
        document["error"] = value;
        self.out.json(&document)
    }
}

pub async fn dispatch(cli: Cli, out: &Output, redactor: &mut Redactor) -> anyhow::Result<Outcome> {
    // `.env` fills in DATABASE_URL (and PG*) without overriding the real environment.
    if let Err(e) = dotenvy::dotenv() {
        if !e.not_found() {
            anyhow::bail!("cannot read .env: {e}");
        }
    }
    let mut settings = settings::resolve(&cli.global)?;
    if let Some(url) = &settings.database_url {
        redactor.learn_url(url);
    }
    if let Some(url) = &settings.shadow_url {
        redactor.learn_url(url);
    }
    // `--from` on the command wins over strata.toml's `from`.
    if let Command::Generate {
        from: Some(from), ..
    }
    | Command::Diff {
        from: Some(from), ..
    } = &cli.command
    {
        settings.from_migrations = *from == crate::FromSource::Migrations;
    }
    if let Command::Generate { prune: true, .. } | Command::Diff { prune: true, .. } = &cli.command
    {
        settings.prune = true;
    }
    if let Ok(pw) = std::env::var("PGPASSWORD") {
        redactor.learn(pw);
    }
    if let Some(file) = &settings.config_file {
        out.verbose(&format!("config: {}", file.display()));
    }
    let ctx = Ctx {
        settings,
        out,
        redactor,
    };
    match cli.command {
        Command::Generate {
            name,
            from: _,
            dry_run,
            check,
            no_verify,
            verify,
            allow_destructive,
            online,
            allow_hazard,
            prune: _,
        } => {
            let allowed = allow_hazard
                .iter()
                .map(|h| h.parse())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| anyhow::anyhow!("--allow-hazard: {e}"))?;
            generate::generate(
                &ctx,
                &generate::Options {
                    name,
                    dry_run,
                    check,
                    allow_destructive,
                    online,
                    allowed,
                    no_verify,
                    verify,
                },
            )
            .await
        }
        Command::Create { name } => create::create(&ctx, &name),
        Command::Run {
            dry_run,
            target,
            allow_out_of_order,
            lock,
        } => {
            run::run(
                &ctx,
                &run::Options {
                    dry_run,
                    target,
                    allow_out_of_order,
                    lock,
                },
            )
            .await
        }
        Command::Revert {
            steps,
            target,
            dry_run,
            lock,
        } => revert::revert(&ctx, steps, target, dry_run, lock).await,
        Command::Status => status::status(&ctx).await,
        Command::Baseline { name, lock } => baseline::baseline(&ctx, &name, lock).await,
        Command::MarkApplied { version, lock } => {
            repair::repair(&ctx, version, Repair::MarkApplied, lock).await
        }
        Command::Unmark { version, lock } => {
            repair::repair(&ctx, version, Repair::Unmark, lock).await
        }
        Command::Resolve {
            version,
            applied,
            rolled_back: _,
            lock,
        } => {
            let how = if applied {
                Repair::ResolveApplied
            } else {
                Repair::ResolveRolledBack
            };
            repair::repair(&ctx, version, how, lock).await
        }
        Command::Diff {
            from: _,
            format,
            online,
            check,
            prune: _,
        } => diff::diff(&ctx, format, online, check).await,
        Command::Pull { out, force } => pull::pull(&ctx, &out, force).await,
        Command::Init {
            out,
            name,
            force,
            lock,
        } => {
            init::init(
                &ctx,
                &cli.global,
                &init::Options {
                    out,
                    name,
                    force,
                    lock,
                },
            )
            .await
        }
        Command::Inspect => inspect::inspect(&ctx).await,
        Command::Verify { from } => verify::verify(&ctx, from).await,
        Command::Drift => drift::drift(&ctx).await,
    }
}

/// Loads the migrations directory with a message that says which directory.
pub fn load_migrations(ctx: &Ctx<'_>) -> anyhow::Result<Vec<strata_core::migrate::MigrationFile>> {
    Ok(strata_core::migrate::load_dir(&ctx.settings.migrations)?)
}
