//! Options resolved from, in order: command-line flags, `strata.toml`, defaults.
use crate::Global;
use std::path::{Path, PathBuf};
use std::time::Duration;
use strata_core::config;
use strata_core::plan::Hazard;

pub const DEFAULT_MIGRATIONS: &str = "migrations";
pub const DEFAULT_ENTITIES: &str = "src/**/*.rs";

#[derive(Debug, Clone)]
pub struct Settings {
    /// From `--database-url` or `DATABASE_URL`; `None`: libpq `PG*` variables.
    pub database_url: Option<String>,
    pub migrations: PathBuf,
    /// The directory entity globs are relative to.
    pub entities_root: PathBuf,
    pub entities: Vec<String>,
    /// Schemas strata manages; `None`: public and every schema an entity names.
    pub schemas: Option<Vec<String>>,
    pub exclude: Vec<String>,
    pub extensions: Vec<String>,
    /// `[run]`: timeouts and how long to wait for the migration lock.
    pub run: config::RunConfig,
    /// The config file that was read, for `-v`.
    pub config_file: Option<PathBuf>,
    /// Online-safe DDL by default (strata.toml `online`).
    pub online: bool,
    /// strata.toml `lock_timeout`, parsed.
    pub lock_timeout: Option<Duration>,
    /// strata.toml `deny`, parsed.
    pub deny: Vec<Hazard>,
    /// `--shadow-url`, else strata.toml's `shadow_database_url`.
    pub shadow_url: Option<String>,
    /// strata.toml `from = "migrations"`.
    pub from_migrations: bool,
    /// The directory `objects` globs are relative to (strata.toml's).
    pub objects_root: PathBuf,
    /// strata.toml `objects`: globs of the SQL files that declare objects.
    pub objects: Vec<String>,
    /// strata.toml `prune`, or `--prune`.
    pub prune: bool,
}

/// The lock timeout online migrations get when strata.toml sets none: long enough for a
/// busy table's lock queue to clear, short enough that nothing waits behind it for long.
pub const ONLINE_LOCK_TIMEOUT: Duration = Duration::from_secs(3);

/// Paths in `strata.toml` are relative to the file's own directory.
fn relative_to(dir: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() || dir == Path::new(".") {
        path.to_path_buf()
    } else {
        dir.join(path)
    }
}

pub fn resolve(global: &Global) -> anyhow::Result<Settings> {
    // Relative to ".", so messages show the paths as the user would type them.
    let loaded = config::discover(Path::new("."), global.config.as_deref())?;
    let (config_dir, config_file, cfg) = match loaded {
        Some(l) => (l.dir, Some(l.path), l.config),
        None => (PathBuf::from("."), None, config::Config::default()),
    };

    let migrations = match (&global.migrations, &cfg.migrations) {
        (Some(flag), _) => flag.clone(),
        (None, Some(from_config)) => relative_to(&config_dir, from_config),
        (None, None) => PathBuf::from(DEFAULT_MIGRATIONS),
    };
    let (entities_root, entities) = match (&global.entities, &cfg.entities) {
        (flags, _) if !flags.is_empty() => (PathBuf::from("."), flags.clone()),
        (_, Some(from_config)) => (config_dir.clone(), from_config.clone()),
        _ => (PathBuf::from("."), vec![DEFAULT_ENTITIES.to_string()]),
    };
    let database_url = global
        .database_url
        .clone()
        .or_else(|| std::env::var("DATABASE_URL").ok())
        .filter(|u| !u.is_empty());
    let from_migrations = match cfg.from.as_deref() {
        None | Some("database") => false,
        Some("migrations") => true,
        Some(other) => {
            return Err(anyhow::anyhow!(
                "strata.toml: `from = {other:?}` is not a source; write `from = \"migrations\"` \
                 (the schema the migrations folder builds) or leave it out (the database)"
            ))
        }
    };
    let shadow_url = global
        .shadow_url
        .clone()
        .or(cfg.shadow_database_url.clone())
        .filter(|u| !u.is_empty());
    Ok(Settings {
        shadow_url,
        from_migrations,
        database_url,
        migrations,
        entities_root,
        entities,
        schemas: cfg.schemas,
        exclude: cfg.exclude,
        extensions: cfg.extensions,
        online: cfg.online,
        lock_timeout: cfg.lock_timeout,
        deny: cfg
            .deny
            .iter()
            .map(|name| name.parse::<Hazard>())
            .collect::<Result<_, _>>()
            .map_err(|e| anyhow::anyhow!("strata.toml `deny`: {e}"))?,
        run: cfg.run,
        config_file,
        objects_root: config_dir,
        objects: cfg.objects,
        prune: cfg.prune,
    })
}
