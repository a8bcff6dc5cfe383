//! Migrations run on a scratch database, one at a time, up or down, with the catalog read
//! between them: what `strata verify` checks and `generate --from migrations` builds
//! its schema with. The runner is the one `strata run` uses, so each file runs as it
//! will run in production (`-- no-transaction` files outside a transaction, with their
//! timeouts), and a failure names the statement and what PostgreSQL said.
use super::Ctx;
use crate::scratch::{ReplayCache, Scratch, Source};
use anyhow::anyhow;
use sqlx::PgConnection;
use strata_core::introspect;
use strata_core::migrate::{
    checksum, runner, MigrateError, MigrationFile, RevertOptions, RevertScope, RunOptions,
};
use strata_core::schema::Schema;

/// A migration of the folder that fails when the folder is replayed: told apart from
/// failing to make the scratch database, for `drift`, where it is a finding.
#[derive(Debug)]
pub struct ReplayFailed(pub MigrateError);

impl std::fmt::Display for ReplayFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A scratch database: the runner's advice about the history is for real ones.
        write!(
            f,
            "replaying the migrations folder on a scratch database:\n{}\nThe scratch \
             database is thrown away; fix the file, then try again",
            self.0.on_scratch()
        )
    }
}

impl std::error::Error for ReplayFailed {}

/// A scratch database and a connection to it.
pub struct Replay {
    pub scratch: Scratch,
    conn: PgConnection,
}

impl Replay {
    /// A new scratch database (see [`crate::scratch`]) with these extensions.
    pub async fn start(ctx: &Ctx<'_>, extensions: &[String]) -> anyhow::Result<Replay> {
        let mut scratch = Scratch::open(&Source::of(&ctx.settings), ctx.redactor).await?;
        ctx.out.verbose(&format!(
            "scratch database: {} (PostgreSQL {})",
            scratch.description, scratch.server_version
        ));
        // Held until `finish`: it keeps marking the database as in use.
        let mut conn = match scratch.take_guard() {
            Some(conn) => conn,
            None => scratch.connect(ctx.redactor).await?,
        };
        scratch.create_extensions(&mut conn, extensions).await?;
        Ok(Replay { scratch, conn })
    }

    /// The schema the migrations folder builds, in a scratch database kept between runs
    /// (see [`Scratch::open_replay`]): every up file applied, unless the same folder
    /// was replayed there before.
    pub async fn folder(ctx: &Ctx<'_>, files: &[MigrationFile]) -> anyhow::Result<Replay> {
        let s = &ctx.settings;
        let cache = ReplayCache {
            // Absolute, so two projects' folders never share a name (a folder that does
            // not exist yet cannot be canonicalized).
            folder: std::fs::canonicalize(&s.migrations)
                .or_else(|_| std::path::absolute(&s.migrations))
                .unwrap_or_else(|_| s.migrations.clone()),
            key: folder_key(files, &s.extensions),
        };
        let (scratch, reused) = Scratch::open_replay(&Source::of(s), &cache, ctx.redactor).await?;
        let mut conn = scratch.connect(ctx.redactor).await?;
        let mut replay = if reused {
            ctx.out.verbose(&format!(
                "the migrations folder, as replayed before: {} (PostgreSQL {})",
                scratch.description, scratch.server_version
            ));
            Replay { scratch, conn }
        } else {
            ctx.out.verbose(&format!(
                "replaying {} into {} (PostgreSQL {})",
                super::run::plural(files.len(), "migration"),
                scratch.description,
                scratch.server_version
            ));
            scratch.create_extensions(&mut conn, &s.extensions).await?;
            Replay { scratch, conn }
        };
        if !reused {
            replay.up(ctx, files, None).await.map_err(ReplayFailed)?;
            replay
                .scratch
                .mark_replayed(&mut replay.conn, &cache)
                .await?;
        }
        Ok(replay)
    }

    /// Applies the pending migrations of `files`, up to `target` when given.
    pub async fn up(
        &mut self,
        ctx: &Ctx<'_>,
        files: &[MigrationFile],
        target: Option<i64>,
    ) -> Result<(), MigrateError> {
        let lock = self.lock_connection(ctx).await?;
        let options = RunOptions {
            target,
            timeouts: ctx.settings.run.timeout_settings(),
            ..RunOptions::default()
        };
        runner::run(&mut self.conn, lock, files, &options, &mut |_| {}).await?;
        Ok(())
    }

    /// Reverts the applied migrations `scope` names, with their down files.
    pub async fn down(
        &mut self,
        ctx: &Ctx<'_>,
        files: &[MigrationFile],
        scope: RevertScope,
    ) -> Result<(), MigrateError> {
        let lock = self.lock_connection(ctx).await?;
        let options = RevertOptions {
            timeouts: ctx.settings.run.timeout_settings(),
            ..RevertOptions::new(scope)
        };
        runner::revert(&mut self.conn, lock, files, &options, &mut |_| {}).await?;
        Ok(())
    }

    /// The connection the migrations run on.
    /// Creates `extensions` again where missing: `verify` starts from a database that
    /// has strata.toml's extensions, and a down file may drop one its up file created
    /// (a baseline's does).
    pub async fn create_extensions(&mut self, extensions: &[String]) -> anyhow::Result<()> {
        self.scratch
            .create_extensions(&mut self.conn, extensions)
            .await
    }

    pub fn connection(&mut self) -> &mut PgConnection {
        &mut self.conn
    }

    /// The scratch database's whole catalog, every user schema, nothing excluded.
    pub async fn read(&mut self) -> anyhow::Result<Schema> {
        self.read_excluding(&[]).await
    }

    /// The scratch database's whole catalog, with what the `exclude` patterns name
    /// set apart as the target's read sets it apart.
    pub async fn read_excluding(&mut self, exclude: &[String]) -> anyhow::Result<Schema> {
        let schemas = introspect::user_schemas(&mut self.conn).await?;
        Ok(introspect::introspect(&mut self.conn, &schemas, exclude).await?)
    }

    /// A context whose database is the scratch one, for the planning pipeline.
    pub fn context<'a>(&self, ctx: &Ctx<'a>) -> Ctx<'a> {
        Ctx {
            settings: crate::settings::Settings {
                database_url: Some(self.scratch.url.clone()),
                ..ctx.settings.clone()
            },
            out: ctx.out,
            redactor: ctx.redactor,
        }
    }

    /// Cleans the scratch database up.
    pub async fn finish(self) -> anyhow::Result<()> {
        drop(self.conn);
        self.scratch.close().await
    }

    async fn lock_connection(&self, ctx: &Ctx<'_>) -> Result<PgConnection, MigrateError> {
        self.scratch
            .connect(ctx.redactor)
            .await
            .map_err(|e| MigrateError::Database(sqlx::Error::Configuration(anyhow!("{e}").into())))
    }
}

/// What a replay of `files` depends on, as a short hex key: each migration's version and
/// up file checksum, and the extensions created first.
fn folder_key(files: &[MigrationFile], extensions: &[String]) -> String {
    let mut text = String::from("strata replay 1\n");
    for m in files {
        text.push_str(&format!("{} {}\n", m.version, checksum::hex(&m.checksum)));
    }
    for e in extensions {
        text.push_str(&format!("extension {e}\n"));
    }
    checksum::hex(&checksum::checksum(&text))[..16].to_string()
}
