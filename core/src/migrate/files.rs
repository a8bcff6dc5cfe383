//! Migration files on disk, read and written the way sqlx reads them.
//!
//! `<version>_<name>.up.sql` + `<version>_<name>.down.sql` (reversible) or
//! `<version>_<name>.sql` (simple, irreversible). The version is the integer before the
//! first `_`; the description is what follows, `_` turned into spaces, as sqlx stores it.
use super::checksum::checksum;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The marker sqlx honours: a file starting with it runs outside a transaction.
pub const NO_TRANSACTION: &str = "-- no-transaction";

/// One migration: its up file and, when reversible, its down file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationFile {
    pub version: i64,
    /// The file name's part after the version, without suffix: `add_users`.
    pub name: String,
    /// What sqlx stores in `_sqlx_migrations.description`: `add users`.
    pub description: String,
    pub up: SqlFile,
    /// `None` for a simple `<version>_<name>.sql` migration, or an up file whose down
    /// file is missing: either way it cannot be reverted.
    pub down: Option<SqlFile>,
    /// True for sqlx's simple (single-file, irreversible) format.
    pub simple: bool,
    /// SHA-384 of the up file's bytes.
    pub checksum: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlFile {
    pub path: PathBuf,
    pub sql: String,
    /// The file starts with `-- no-transaction`.
    pub no_transaction: bool,
}

impl SqlFile {
    fn new(path: PathBuf, sql: String) -> SqlFile {
        let no_transaction = sql.starts_with(NO_TRANSACTION);
        SqlFile {
            path,
            sql,
            no_transaction,
        }
    }

    /// The file name alone, for messages.
    pub fn file_name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.path.display().to_string())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FilesError {
    #[error("cannot read the migrations directory {}: {source}", dir.display())]
    ReadDir { dir: PathBuf, source: io::Error },
    #[error("cannot read migration file {}: {source}", path.display())]
    ReadFile { path: PathBuf, source: io::Error },
    #[error(
        "migration file {}: the part before the first `_` must be an integer version \
         (e.g. 20260101120000_add_users.up.sql)",
        path.display()
    )]
    BadVersion { path: PathBuf },
    #[error(
        "two migrations have version {version}: {} and {}; give one of them a new version",
        first.display(), second.display()
    )]
    DuplicateVersion {
        version: i64,
        first: PathBuf,
        second: PathBuf,
    },
    #[error(
        "down file {} has no up file {}; add the up file or remove the down file",
        down.display(), expected_up.display()
    )]
    DownWithoutUp { down: PathBuf, expected_up: PathBuf },
    #[error(
        "migrations directory {} does not exist; point --migrations DIR (or strata.toml's \
         `migrations`) at the folder that holds the migration files (in a new project, \
         `strata generate NAME` or `strata create NAME` creates it)",
        dir.display()
    )]
    NoDir { dir: PathBuf },
    #[error("{0}")]
    BadName(String),
    #[error("{} already exists; strata never overwrites a migration file", path.display())]
    Exists { path: PathBuf },
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: io::Error },
}

/// How a file name reads: which kind of file, which version, which name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Up,
    Down,
    Simple,
}

/// Splits `<version>_<rest>.sql` as sqlx does. `Ok(None)`: not a migration file, ignored
/// (sqlx ignores it too); `Err`: looks like one but the version is not an integer.
fn classify(file_name: &str) -> Result<Option<(i64, &str, Kind)>, ()> {
    let Some((version, rest)) = file_name.split_once('_') else {
        return Ok(None);
    };
    if !rest.ends_with(".sql") {
        return Ok(None);
    }
    let version: i64 = version.parse().map_err(|_| ())?;
    let (name, kind) = if let Some(n) = rest.strip_suffix(".up.sql") {
        (n, Kind::Up)
    } else if let Some(n) = rest.strip_suffix(".down.sql") {
        (n, Kind::Down)
    } else {
        (rest.trim_end_matches(".sql"), Kind::Simple)
    };
    Ok(Some((version, name, kind)))
}

/// Reads every migration in `dir`, for the commands that only read the folder (`run`,
/// `revert`, `status`, `verify`, `drift`): a directory that does not exist is an error
/// there (a typo in `--migrations` must not pass as "nothing to do"). `generate` and
/// `create`, which create the folder, use [`load_dir`].
pub fn load_existing_dir(dir: &Path) -> Result<Vec<MigrationFile>, FilesError> {
    match fs::metadata(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(FilesError::NoDir {
            dir: dir.to_path_buf(),
        }),
        _ => load_dir(dir),
    }
}

/// Reads every migration in `dir`, sorted by version. A directory that does not exist
/// holds no migrations (a new project), which is not an error.
pub fn load_dir(dir: &Path) -> Result<Vec<MigrationFile>, FilesError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(FilesError::ReadDir {
                dir: dir.to_path_buf(),
                source,
            })
        }
    };
    let mut paths = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| FilesError::ReadDir {
            dir: dir.to_path_buf(),
            source,
        })?;
        let path = entry.path();
        if path.is_file() {
            paths.push(path);
        }
    }
    // Sorted so that errors (e.g. which of two duplicates is "first") are stable.
    paths.sort();

    let mut ups: BTreeMap<i64, MigrationFile> = BTreeMap::new();
    let mut downs: BTreeMap<i64, (String, SqlFile)> = BTreeMap::new();
    for path in paths {
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (version, name, kind) = match classify(&file_name) {
            Ok(Some(parts)) => parts,
            Ok(None) => continue,
            Err(()) => return Err(FilesError::BadVersion { path }),
        };
        let sql = fs::read_to_string(&path).map_err(|source| FilesError::ReadFile {
            path: path.clone(),
            source,
        })?;
        let file = SqlFile::new(path, sql);
        match kind {
            Kind::Down => {
                if let Some((_, other)) = downs.get(&version) {
                    return Err(FilesError::DuplicateVersion {
                        version,
                        first: other.path.clone(),
                        second: file.path,
                    });
                }
                downs.insert(version, (name.to_string(), file));
            }
            Kind::Up | Kind::Simple => {
                if let Some(other) = ups.get(&version) {
                    return Err(FilesError::DuplicateVersion {
                        version,
                        first: other.up.path.clone(),
                        second: file.path,
                    });
                }
                let migration = MigrationFile {
                    version,
                    name: name.to_string(),
                    description: name.replace('_', " "),
                    checksum: checksum(&file.sql),
                    up: file,
                    down: None,
                    simple: kind == Kind::Simple,
                };
                ups.insert(version, migration);
            }
        }
    }

    for (version, (name, down)) in downs {
        let expected_up = down.path.with_file_name(format!("{version}_{name}.up.sql"));
        match ups.get_mut(&version) {
            Some(m) if !m.simple && m.name == name => m.down = Some(down),
            Some(m) => {
                return Err(FilesError::DuplicateVersion {
                    version,
                    first: m.up.path.clone(),
                    second: down.path,
                })
            }
            None => {
                return Err(FilesError::DownWithoutUp {
                    down: down.path,
                    expected_up,
                })
            }
        }
    }
    Ok(ups.into_values().collect())
}

/// The version for a new migration: `now` as `YYYYMMDDHHMMSS`, or one more than the
/// newest existing version when `now` would not sort after every existing one (two
/// migrations in the same second, or a clock behind the files).
pub fn next_version(existing: &[i64], now: DateTime<Utc>) -> i64 {
    // `%Y%m%d%H%M%S` always renders 14 digits for years 1000-9999, which fits an i64.
    let stamp: i64 = now.format("%Y%m%d%H%M%S").to_string().parse().unwrap_or(0);
    match existing.iter().max() {
        Some(&max) if stamp <= max => one_second_after(max),
        _ => stamp,
    }
}

/// The version one second after `version`, still a valid `YYYYMMDDHHMMSS` timestamp
/// (`...5959` is followed by `...0000` of the next hour, not `...5960`); a version that
/// is not a timestamp (`1`, `2`, written by hand) is followed by the next number.
fn one_second_after(version: i64) -> i64 {
    chrono::NaiveDateTime::parse_from_str(&version.to_string(), "%Y%m%d%H%M%S")
        .ok()
        .and_then(|t| t.checked_add_signed(chrono::Duration::seconds(1)))
        .and_then(|t| t.format("%Y%m%d%H%M%S").to_string().parse().ok())
        .unwrap_or_else(|| version.saturating_add(1))
}

/// Checks a migration name: letters, digits and `_`, not empty.
pub fn validate_name(name: &str) -> Result<(), FilesError> {
    if name.is_empty() {
        return Err(FilesError::BadName(
            "the migration name is empty; give one such as add_users".to_string(),
        ));
    }
    if let Some((i, c)) = name
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
    {
        let suggestion: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        return Err(FilesError::BadName(format!(
            "migration name {name:?} has {c:?} at byte {i}: use only ASCII letters, digits and _ \
             (e.g. {suggestion})"
        )));
    }
    Ok(())
}

/// Writes `<dir>/<version>_<name>.up.sql` and `.down.sql`, creating `dir`. Never
/// overwrites: if either file exists nothing is written.
pub fn write_pair(
    dir: &Path,
    version: i64,
    name: &str,
    up: &str,
    down: &str,
) -> Result<(PathBuf, PathBuf), FilesError> {
    validate_name(name)?;
    fs::create_dir_all(dir).map_err(|source| FilesError::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    let up_path = dir.join(format!("{version}_{name}.up.sql"));
    let down_path = dir.join(format!("{version}_{name}.down.sql"));
    for path in [&up_path, &down_path] {
        if path.exists() {
            return Err(FilesError::Exists { path: path.clone() });
        }
    }
    write_new(&up_path, up)?;
    if let Err(e) = write_new(&down_path, down) {
        // Half a pair would be read as an irreversible migration: take the up file back.
        let _ = fs::remove_file(&up_path);
        return Err(e);
    }
    Ok((up_path, down_path))
}

/// `create_new` closes the race between the `exists` check and the write.
fn write_new(path: &Path, text: &str) -> Result<(), FilesError> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|source| match source.kind() {
            io::ErrorKind::AlreadyExists => FilesError::Exists {
                path: path.to_path_buf(),
            },
            _ => FilesError::Write {
                path: path.to_path_buf(),
                source,
            },
        })?;
    file.write_all(text.as_bytes())
        .map_err(|source| FilesError::Write {
            path: path.to_path_buf(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn temp_dir(tag: &str) -> PathBuf {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dir =
            std::env::temp_dir().join(format!("strata_files_{tag}_{}_{nanos}", std::process::id()));
        fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
            .single()
            .expect("valid time")
    }

    #[test]
    fn next_version_is_the_utc_timestamp() {
        assert_eq!(next_version(&[], at(2026, 3, 4, 5, 6, 7)), 20260304050607);
        assert_eq!(
            next_version(&[20250101000000], at(2026, 3, 4, 5, 6, 7)),
            20260304050607
        );
    }

    #[test]
    fn next_version_is_bumped_past_the_newest_existing_one() {
        let now = at(2026, 3, 4, 5, 6, 7);
        assert_eq!(next_version(&[20260304050607], now), 20260304050608);
        assert_eq!(next_version(&[1, 20990101000000, 5], now), 20990101000001);
        // Still a timestamp when the bump crosses a minute, an hour, a year.
        assert_eq!(next_version(&[20260304050659], now), 20260304050700);
        assert_eq!(next_version(&[20261231235959], now), 20270101000000);
        // A version that is no timestamp is simply followed by the next number.
        assert_eq!(next_version(&[900000000000000000], now), 900000000000000001);
    }

    #[test]
    fn names_allow_letters_digits_underscore_only() {
        assert!(validate_name("add_users_2").is_ok());
        let err = validate_name("add-users").expect_err("dash").to_string();
        assert!(err.contains("'-'") && err.contains("add_users"), "{err}");
        assert!(validate_name("").is_err());
        assert!(validate_name("a b").is_err());
        assert!(validate_name("café").is_err());
    }

    #[test]
    fn loads_reversible_and_simple_migrations_sorted_like_sqlx() {
        let dir = temp_dir("load");
        fs::write(
            dir.join("2_add_posts.up.sql"),
            "-- no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);",
        )
        .unwrap();
        fs::write(dir.join("2_add_posts.down.sql"), "DROP INDEX i;").unwrap();
        fs::write(dir.join("1_init.sql"), "CREATE TABLE t (a int);").unwrap();
        fs::write(dir.join("README.md"), "not a migration").unwrap();
        fs::write(dir.join("notes.sql"), "ignored: no version").unwrap();

        let files = load_dir(&dir).expect("loads");
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].version, 1);
        assert!(files[0].simple && files[0].down.is_none());
        assert_eq!(files[0].description, "init");
        assert_eq!(files[1].version, 2);
        assert_eq!(files[1].name, "add_posts");
        assert_eq!(files[1].description, "add posts");
        assert!(files[1].up.no_transaction);
        let down = files[1].down.as_ref().expect("down");
        assert!(!down.no_transaction);
        assert_eq!(
            files[1].checksum,
            checksum("-- no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);")
        );
        fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn missing_directory_holds_no_migrations() {
        let parent = temp_dir("missing");
        let dir = parent.join("nope");
        assert_eq!(load_dir(&dir).expect("empty"), vec![]);
        fs::remove_dir_all(parent).ok();
    }

    #[test]
    fn duplicate_versions_and_orphan_downs_are_errors() {
        let dir = temp_dir("dup");
        fs::write(dir.join("1_a.up.sql"), "").unwrap();
        fs::write(dir.join("1_b.up.sql"), "").unwrap();
        let err = load_dir(&dir).expect_err("duplicate").to_string();
        assert!(
            err.contains("version 1") && err.contains("1_a.up.sql") && err.contains("1_b.up.sql"),
            "{err}"
        );
        fs::remove_dir_all(&dir).ok();

        let dir = temp_dir("orphan");
        fs::write(dir.join("3_x.down.sql"), "").unwrap();
        let err = load_dir(&dir).expect_err("orphan").to_string();
        assert!(
            err.contains("3_x.down.sql") && err.contains("3_x.up.sql"),
            "{err}"
        );
        fs::remove_dir_all(&dir).ok();

        let dir = temp_dir("badversion");
        fs::write(dir.join("v1_x.sql"), "").unwrap();
        let err = load_dir(&dir).expect_err("bad version").to_string();
        assert!(
            err.contains("v1_x.sql") && err.contains("integer version"),
            "{err}"
        );
        fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn write_pair_creates_the_dir_and_never_overwrites() {
        let dir = temp_dir("write").join("migrations");
        let (up, down) = write_pair(&dir, 7, "add_users", "up", "down").expect("writes");
        assert_eq!(fs::read_to_string(&up).unwrap(), "up");
        assert_eq!(fs::read_to_string(&down).unwrap(), "down");
        assert!(up.ends_with("7_add_users.up.sql"));

        let err = write_pair(&dir, 7, "add_users", "other", "other").expect_err("exists");
        assert!(matches!(err, FilesError::Exists { .. }), "{err}");
        assert_eq!(fs::read_to_string(&up).unwrap(), "up");

        assert!(matches!(
            write_pair(&dir, 8, "bad name", "", ""),
            Err(FilesError::BadName(_))
        ));
        fs::remove_dir_all(dir.parent().unwrap_or(&dir)).ok();
    }
}
