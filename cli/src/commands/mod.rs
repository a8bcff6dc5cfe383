//! One file per command; `dispatch` resolves settings and runs the chosen one.
mod create;
mod diff;
mod generate;
mod inspect;
mod pipeline;
mod revert;
mod run;
mod status;

use crate::output::Output;
use crate::redact::Redactor;
use crate::settings::{self, Settings};
use crate::{Cli, Command, Outcome};
use sqlx::PgConnection;

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
}

pub async fn dispatch(cli: Cli, out: &Output, redactor: &mut Redactor) -> anyhow::Result<Outcome> {
    // `.env` fills in DATABASE_URL (and PG*) without overriding the real environment.
    if let Err(e) = dotenvy::dotenv() {
        if !e.not_found() {
            anyhow::bail!("cannot read .env: {e}");
        }
    }
    let settings = settings::resolve(&cli.global)?;
    if let Some(url) = &settings.database_url {
        redactor.learn_url(url);
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
            dry_run,
            check,
            allow_destructive,
            online,
            allow_hazard,
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
                },
            )
            .await
        }
        Command::Create { name } => create::create(&ctx, &name),
        Command::Run { dry_run, target } => run::run(&ctx, dry_run, target).await,
        Command::Revert {
            steps,
            target,
            dry_run,
        } => revert::revert(&ctx, steps, target, dry_run).await,
        Command::Status => status::status(&ctx).await,
        Command::Diff {
            format,
            online,
            check,
        } => diff::diff(&ctx, format, online, check).await,
        Command::Inspect => inspect::inspect(&ctx).await,
    }
}

/// Loads the migrations directory with a message that says which directory.
pub fn load_migrations(ctx: &Ctx<'_>) -> anyhow::Result<Vec<strata_core::migrate::MigrationFile>> {
    Ok(strata_core::migrate::load_dir(&ctx.settings.migrations)?)
}
