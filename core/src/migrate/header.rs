//! Per-migration settings in the file's leading comments:
//!
//! ```sql
//! -- no-transaction                      (optional; sqlx's marker, the very first bytes)
//! -- strata: statement_timeout = 10min
//! -- strata: lock_timeout = 5s
//! CREATE INDEX CONCURRENTLY ...
//! ```
//!
//! Only the comment block before the first statement is read, so a directive can never
//! hide in the middle of the SQL. The lines are comments to PostgreSQL and to sqlx, so
//! a file with a header still runs unchanged under `sqlx migrate run` (without the
//! timeouts). An unknown key is an error: a misspelt timeout that was silently ignored
//! would let a migration queue every query behind its lock.
use super::duration;
use super::files::{MigrationFile, SqlFile};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

const PREFIX: &str = "-- strata:";

/// `statement_timeout` / `lock_timeout` for one migration; `None`: not set here.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timeouts {
    pub statement_timeout: Option<Duration>,
    pub lock_timeout: Option<Duration>,
}

impl Timeouts {
    /// `self`, with the values it does not set taken from `fallback`.
    pub fn or(self, fallback: Timeouts) -> Timeouts {
        Timeouts {
            statement_timeout: self.statement_timeout.or(fallback.statement_timeout),
            lock_timeout: self.lock_timeout.or(fallback.lock_timeout),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.statement_timeout.is_none() && self.lock_timeout.is_none()
    }

    /// `SET [LOCAL] name = 'Nms'` for each value that is set. Milliseconds, PostgreSQL's
    /// base unit for both settings, so the value cannot be read in another unit.
    pub fn set_statements(&self, local: bool) -> Vec<String> {
        let scope = if local { "SET LOCAL" } else { "SET" };
        [
            ("statement_timeout", self.statement_timeout),
            ("lock_timeout", self.lock_timeout),
        ]
        .into_iter()
        .filter_map(|(name, value)| {
            value.map(|d| format!("{scope} {name} = '{}ms'", d.as_millis()))
        })
        .collect()
    }

    /// Restores the session's defaults after a migration that ran outside a transaction.
    pub fn reset_statements(&self) -> Vec<String> {
        [
            ("statement_timeout", self.statement_timeout),
            ("lock_timeout", self.lock_timeout),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.map(|_| format!("RESET {name}")))
        .collect()
    }

    /// `statement_timeout = 5s, lock_timeout = 2s`, for messages.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(d) = self.statement_timeout {
            parts.push(format!("statement_timeout = {}", duration::format(d)));
        }
        if let Some(d) = self.lock_timeout {
            parts.push(format!("lock_timeout = {}", duration::format(d)));
        }
        parts.join(", ")
    }
}

/// Timeouts from `strata.toml`: for every migration, and per version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimeoutSettings {
    pub default: Timeouts,
    pub by_version: BTreeMap<i64, Timeouts>,
}

impl TimeoutSettings {
    /// What applies to `file` of migration `m`: its header first, then the version's
    /// entry in strata.toml, then strata.toml's default.
    pub fn for_file(&self, m: &MigrationFile, file: &SqlFile) -> Result<Timeouts, HeaderError> {
        let configured = self
            .by_version
            .get(&m.version)
            .copied()
            .unwrap_or_default()
            .or(self.default);
        Ok(read(file)?.or(configured))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}: {message}", file.display())]
pub struct HeaderError {
    pub file: PathBuf,
    pub line: usize,
    pub message: String,
}

/// The `-- strata:` directives of a file's leading comment block.
pub fn read(file: &SqlFile) -> Result<Timeouts, HeaderError> {
    let mut timeouts = Timeouts::default();
    for (i, line) in file.sql.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        if !trimmed.starts_with("--") {
            break;
        }
        let Some(directive) = trimmed.strip_prefix(PREFIX) else {
            continue;
        };
        let error = |message: String| HeaderError {
            file: file.path.clone(),
            line: i + 1,
            message,
        };
        let Some((key, value)) = directive.split_once('=') else {
            return Err(error(format!(
                "`{trimmed}` is not `-- strata: KEY = VALUE` (keys: statement_timeout, \
                 lock_timeout)"
            )));
        };
        let value =
            duration::parse(value.trim()).map_err(|m| error(format!("{}: {m}", key.trim())))?;
        let slot = match key.trim() {
            "statement_timeout" => &mut timeouts.statement_timeout,
            "lock_timeout" => &mut timeouts.lock_timeout,
            other => {
                return Err(error(format!(
                    "unknown setting `{other}` in `{trimmed}`; strata reads statement_timeout \
                     and lock_timeout"
                )))
            }
        };
        if slot.replace(value).is_some() {
            return Err(error(format!("`{}` is set twice", key.trim())));
        }
    }
    Ok(timeouts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(sql: &str) -> SqlFile {
        SqlFile {
            path: PathBuf::from("migrations/1_x.up.sql"),
            sql: sql.to_string(),
            no_transaction: sql.starts_with("-- no-transaction"),
        }
    }

    #[test]
    fn reads_both_settings_after_the_no_transaction_marker() {
        let t = read(&file(
            "-- no-transaction\n-- strata: statement_timeout = 10min\n--strata is not this\n\
             -- strata:lock_timeout=5s\nCREATE INDEX CONCURRENTLY i ON t (a);\n",
        ))
        .expect("valid header");
        assert_eq!(t.statement_timeout, Some(Duration::from_secs(600)));
        assert_eq!(t.lock_timeout, Some(Duration::from_secs(5)));
        assert_eq!(t.describe(), "statement_timeout = 10min, lock_timeout = 5s");
    }

    #[test]
    fn directives_after_the_first_statement_are_only_comments() {
        let t = read(&file(
            "-- header\n\nSELECT 1;\n-- strata: statement_timeout = 1s\n-- strata: nonsense\n",
        ))
        .expect("not a header line");
        assert!(t.is_empty());
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            ("-- strata: statement_timeout = 5\n", 1, "500ms, 5s"),
            (
                "-- x\n-- strata: statment_timeout = 5s\n",
                2,
                "unknown setting `statment_timeout`",
            ),
            ("-- strata: lock_timeout\n", 1, "KEY = VALUE"),
            (
                "-- strata: lock_timeout = 1s\n-- strata: lock_timeout = 2s\n",
                2,
                "set twice",
            ),
        ];
        for (sql, line, needle) in cases {
            let err = read(&file(sql)).expect_err(sql);
            assert_eq!(err.line, line, "{err}");
            let text = err.to_string();
            assert!(
                text.starts_with(&format!("migrations/1_x.up.sql:{line}: ")),
                "{text}"
            );
            assert!(text.contains(needle), "{text}");
        }
    }

    #[test]
    fn set_statements_are_local_in_a_transaction_and_in_milliseconds() {
        let t = Timeouts {
            statement_timeout: Some(Duration::from_secs(2)),
            lock_timeout: None,
        };
        assert_eq!(
            t.set_statements(true),
            vec!["SET LOCAL statement_timeout = '2000ms'"]
        );
        assert_eq!(
            t.set_statements(false),
            vec!["SET statement_timeout = '2000ms'"]
        );
        assert_eq!(t.reset_statements(), vec!["RESET statement_timeout"]);
        let fallback = Timeouts {
            statement_timeout: Some(Duration::from_secs(9)),
            lock_timeout: Some(Duration::from_secs(1)),
        };
        assert_eq!(
            t.or(fallback),
            Timeouts {
                statement_timeout: Some(Duration::from_secs(2)),
                lock_timeout: Some(Duration::from_secs(1)),
            }
        );
    }
}
