//! `strata.toml`: optional project settings (SPEC "Configuration").
//!
//! Unknown keys are errors naming the file and the key: a misspelt `exclude` that was
//! silently ignored would let a diff drop the tables it was meant to protect.
use crate::migrate::{duration, TimeoutSettings, Timeouts};
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const FILE_NAME: &str = "strata.toml";

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Migrations directory.
    pub migrations: Option<PathBuf>,
    /// Globs of entity sources.
    pub entities: Option<Vec<String>>,
    /// The schemas strata manages; `None`: public and every schema an entity names.
    pub schemas: Option<Vec<String>>,
    /// Objects strata never creates, alters or drops: globs of `name` (in any managed
    /// schema) or `schema.name` (see [`crate::exclude`]); checked when the file is read.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// `CREATE EXTENSION IF NOT EXISTS`, in order.
    #[serde(default)]
    pub extensions: Vec<String>,
    /// Generate online-safe DDL by default (`generate --online`).
    #[serde(default)]
    pub online: bool,
    /// `SET LOCAL lock_timeout` written at the top of generated transactional files,
    /// e.g. `"3s"`; online mode defaults it to a few seconds. (`[run] lock_timeout` is
    /// the runner's, for every migration it applies.)
    #[serde(default, deserialize_with = "optional_duration")]
    pub lock_timeout: Option<Duration>,
    /// Hazards `generate` refuses unless `--allow-hazard NAME` is given, and that make
    /// `diff --check` exit 1 (e.g. `["deletes_data", "rewrites_table"]`).
    #[serde(default)]
    pub deny: Vec<String>,
    /// `[run]`: how `run` and `revert` apply migrations.
    #[serde(default)]
    pub run: RunConfig,
    /// A database strata may empty and use as scratch (`strata verify`, `generate
    /// --from migrations`); never the target. Without it, strata creates one.
    pub shadow_database_url: Option<String>,
    /// `"migrations"`: `generate` and `diff` compare the entities with the schema the
    /// migrations folder builds rather than with the database (`--from migrations`).
    pub from: Option<String>,
    /// Globs of SQL files declaring views, functions, triggers, policies, domains,
    /// sequences, composite types and comments: with the entities, the desired state.
    #[serde(default)]
    pub objects: Vec<String>,
    /// Drop what is of a declarable kind but declared in no `objects` file
    /// (`generate --prune`).
    #[serde(default)]
    pub prune: bool,
}

/// ```toml
/// [run]
/// statement_timeout = "5min"        # every migration, unless its header says otherwise
/// lock_timeout = "5s"
/// migration_lock_timeout = "2min"   # how long to wait for another runner (--lock-timeout)
///
/// [run.versions.20260101120000]     # one migration
/// statement_timeout = "1h"
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    #[serde(default, deserialize_with = "optional_duration")]
    pub statement_timeout: Option<Duration>,
    #[serde(default, deserialize_with = "optional_duration")]
    pub lock_timeout: Option<Duration>,
    #[serde(default, deserialize_with = "optional_duration")]
    pub migration_lock_timeout: Option<Duration>,
    /// Per migration version.
    #[serde(default, deserialize_with = "versions")]
    pub versions: BTreeMap<i64, TimeoutsConfig>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeoutsConfig {
    #[serde(default, deserialize_with = "optional_duration")]
    pub statement_timeout: Option<Duration>,
    #[serde(default, deserialize_with = "optional_duration")]
    pub lock_timeout: Option<Duration>,
}

impl From<TimeoutsConfig> for Timeouts {
    fn from(t: TimeoutsConfig) -> Timeouts {
        Timeouts {
            statement_timeout: t.statement_timeout,
            lock_timeout: t.lock_timeout,
        }
    }
}

impl RunConfig {
    pub fn timeout_settings(&self) -> TimeoutSettings {
        TimeoutSettings {
            default: Timeouts {
                statement_timeout: self.statement_timeout,
                lock_timeout: self.lock_timeout,
            },
            by_version: self
                .versions
                .iter()
                .map(|(v, t)| (*v, Timeouts::from(*t)))
                .collect(),
        }
    }
}

/// TOML keys are strings; versions are integers.
fn versions<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<i64, TimeoutsConfig>, D::Error> {
    BTreeMap::<String, TimeoutsConfig>::deserialize(d)?
        .into_iter()
        .map(|(k, v)| {
            k.parse::<i64>().map(|k| (k, v)).map_err(|_| {
                serde::de::Error::custom(format!(
                    "`{k}` is not a migration version (the number before the first `_` of \
                     its file name)"
                ))
            })
        })
        .collect()
}

/// `"5s"`, read with the same rules as migration headers and `--lock-timeout`.
fn optional_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    let text = String::deserialize(d)?;
    duration::parse(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

/// A config read from a file; relative paths in it are relative to `dir`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    pub path: PathBuf,
    pub dir: PathBuf,
    pub config: Config,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid config file {}: {message}", path.display())]
    Parse { path: PathBuf, message: String },
}

/// Parses the text of a config file; `path` is only for messages.
pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
    let config: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
        path: path.to_path_buf(),
        // toml's message says which key and shows the line; trim its trailing newline.
        message: e.to_string().trim_end().to_string(),
    })?;
    crate::exclude::Exclude::new(&config.exclude).map_err(|e| ConfigError::Parse {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    Ok(config)
}

pub fn load(path: &Path) -> Result<Loaded, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let config = parse(path, &text)?;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    Ok(Loaded {
        path: path.to_path_buf(),
        dir,
        config,
    })
}

/// `explicit` (from `--config`) must exist; otherwise `strata.toml` in `cwd` is used when
/// present, and no file means the defaults.
pub fn discover(cwd: &Path, explicit: Option<&Path>) -> Result<Option<Loaded>, ConfigError> {
    match explicit {
        Some(path) => load(path).map(Some),
        None => {
            let path = if cwd == Path::new(".") {
                PathBuf::from(FILE_NAME)
            } else {
                cwd.join(FILE_NAME)
            };
            if path.is_file() {
                load(&path).map(Some)
            } else {
                Ok(None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_key() {
        let text = r#"
migrations = "db/migrations"
entities = ["src/**/*.rs", "models/*.rs"]
schemas = ["public", "billing"]
exclude = ["spatial_ref_sys"]
extensions = ["citext", "pgcrypto"]
online = true
lock_timeout = "5s"
deny = ["deletes_data"]
shadow_database_url = "postgres://localhost/app_shadow"
from = "migrations"
objects = ["db/**/*.sql"]
prune = true
"#;
        let config = parse(Path::new("strata.toml"), text).expect("parses");
        assert_eq!(
            config,
            Config {
                migrations: Some(PathBuf::from("db/migrations")),
                entities: Some(vec!["src/**/*.rs".into(), "models/*.rs".into()]),
                schemas: Some(vec!["public".into(), "billing".into()]),
                exclude: vec!["spatial_ref_sys".into()],
                extensions: vec!["citext".into(), "pgcrypto".into()],
                online: true,
                lock_timeout: Some(Duration::from_secs(5)),
                deny: vec!["deletes_data".into()],
                run: RunConfig::default(),
                shadow_database_url: Some("postgres://localhost/app_shadow".into()),
                from: Some("migrations".into()),
                objects: vec!["db/**/*.sql".into()],
                prune: true,
            }
        );
    }

    #[test]
    fn reads_run_timeouts_default_and_per_version() {
        let text = r#"
[run]
statement_timeout = "5min"
migration_lock_timeout = "2min"

[run.versions.20260101120000]
statement_timeout = "1h"
lock_timeout = "3s"
"#;
        let config = parse(Path::new("strata.toml"), text).expect("parses");
        assert_eq!(
            config.run.migration_lock_timeout,
            Some(Duration::from_secs(120))
        );
        let settings = config.run.timeout_settings();
        assert_eq!(
            settings.default,
            Timeouts {
                statement_timeout: Some(Duration::from_secs(300)),
                lock_timeout: None,
            }
        );
        assert_eq!(
            settings.by_version.get(&20260101120000),
            Some(&Timeouts {
                statement_timeout: Some(Duration::from_secs(3600)),
                lock_timeout: Some(Duration::from_secs(3)),
            })
        );
    }

    #[test]
    fn bad_run_durations_and_keys_name_the_key() {
        let err = parse(
            Path::new("strata.toml"),
            "[run]\nstatement_timeout = \"5\"\n",
        )
        .expect_err("no unit")
        .to_string();
        assert!(
            err.contains("statement_timeout") && err.contains("5s"),
            "{err}"
        );
        let err = parse(
            Path::new("strata.toml"),
            "[run]\nstatment_timeout = \"5s\"\n",
        )
        .expect_err("misspelt")
        .to_string();
        assert!(err.contains("statment_timeout"), "{err}");
    }

    #[test]
    fn empty_file_is_the_defaults() {
        assert_eq!(
            parse(Path::new("strata.toml"), "").unwrap(),
            Config::default()
        );
    }

    #[test]
    fn unknown_key_names_file_and_key() {
        let err = parse(Path::new("conf/strata.toml"), "excludes = [\"x\"]\n")
            .expect_err("unknown key")
            .to_string();
        assert!(err.contains("conf/strata.toml"), "{err}");
        assert!(err.contains("excludes"), "{err}");
    }

    #[test]
    fn a_bad_exclude_glob_names_the_file_and_the_entry() {
        let err = parse(
            Path::new("conf/strata.toml"),
            "exclude = [\"ok_*\", \"tmp_[\"]\n",
        )
        .expect_err("bad glob")
        .to_string();
        assert!(
            err.contains("conf/strata.toml") && err.contains("`exclude` entry \"tmp_[\""),
            "{err}"
        );
    }

    #[test]
    fn wrong_type_is_an_error() {
        let err = parse(Path::new("strata.toml"), "entities = \"src\"\n")
            .expect_err("string instead of list")
            .to_string();
        assert!(err.contains("entities"), "{err}");
    }

    #[test]
    fn explicit_file_must_exist_but_the_default_is_optional() {
        let dir = std::env::temp_dir().join(format!("strata_config_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(discover(&dir, None).unwrap(), None);
        assert!(discover(&dir, Some(&dir.join("missing.toml"))).is_err());
        std::fs::write(dir.join(FILE_NAME), "schemas = [\"app\"]\n").unwrap();
        let loaded = discover(&dir, None).unwrap().expect("found");
        assert_eq!(loaded.config.schemas, Some(vec!["app".to_string()]));
        assert_eq!(loaded.dir, dir);
        std::fs::remove_dir_all(&dir).ok();
    }
}
