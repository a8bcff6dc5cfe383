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
    /// The config file that was read, for `-v`.
    pub config_file: Option<PathBuf>,
    /// Online-safe DDL by default (strata.toml `online`).
    pub online: bool,
    /// strata.toml `lock_timeout`, parsed.
    pub lock_timeout: Option<Duration>,
    /// strata.toml `deny`, parsed.
    pub deny: Vec<Hazard>,
}

/// The lock timeout online migrations get when strata.toml sets none: long enough for a
/// busy table's lock queue to clear, short enough that nothing waits behind it for long.
pub const ONLINE_LOCK_TIMEOUT: Duration = Duration::from_secs(3);

/// `"3s"`, `"500ms"`, `"1min"`: PostgreSQL's own spellings of a timeout.
pub fn parse_duration(text: &str) -> anyhow::Result<Duration> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().map_err(|_| {
        anyhow::anyhow!("`{text}` is not a duration; write it like \"3s\", \"500ms\" or \"1min\"")
    })?;
    match unit.trim() {
        "ms" => Ok(Duration::from_millis(n)),
        "s" | "" => Ok(Duration::from_secs(n)),
        "min" => Ok(Duration::from_secs(n * 60)),
        other => anyhow::bail!("`{other}` is not a unit of `{text}`; use ms, s or min"),
    }
}

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
    Ok(Settings {
        database_url,
        migrations,
        entities_root,
        entities,
        schemas: cfg.schemas,
        exclude: cfg.exclude,
        extensions: cfg.extensions,
        online: cfg.online,
        lock_timeout: cfg
            .lock_timeout
            .as_deref()
            .map(parse_duration)
            .transpose()
            .map_err(|e| anyhow::anyhow!("strata.toml `lock_timeout`: {e}"))?,
        deny: cfg
            .deny
            .iter()
            .map(|name| name.parse::<Hazard>())
            .collect::<Result<_, _>>()
            .map_err(|e| anyhow::anyhow!("strata.toml `deny`: {e}"))?,
        config_file,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_read_as_postgres_spells_them() {
        assert_eq!(parse_duration("3s").ok(), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_duration("500ms").ok(),
            Some(Duration::from_millis(500))
        );
        assert_eq!(parse_duration("2min").ok(), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("5").ok(), Some(Duration::from_secs(5)));
        let bad = parse_duration("3 hours").expect_err("hours are not a unit here");
        assert!(bad.to_string().contains("ms, s or min"), "{bad}");
        assert!(parse_duration("soon").is_err());
    }
}
