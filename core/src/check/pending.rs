//! The migrations the app ships that the database has not applied.
use super::{CheckError, Migrations, PendingMigration};
use crate::migrate::{files, history, FilesError};
use sqlx::{Connection, PgConnection};
use std::collections::HashMap;

pub(super) async fn pending_migrations(
    conn: &mut PgConnection,
    migrations: &Migrations,
) -> Result<Vec<PendingMigration>, CheckError> {
    let known: Vec<(i64, String)> = match migrations {
        Migrations::Listed(list) => list.clone(),
        // An app that names a folder means one: a missing folder (a path relative to
        // another working directory, say) is an error, not "nothing pending".
        Migrations::Dir(dir) if !dir.is_dir() => {
            return Err(FilesError::ReadDir {
                dir: dir.clone(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such directory"),
            }
            .into())
        }
        Migrations::Dir(dir) => files::load_dir(dir)?
            .into_iter()
            .map(|m| (m.version, m.description))
            .collect(),
    };
    let mut tx = conn.begin_with("BEGIN READ ONLY").await?;
    let applied = history::list(&mut tx).await?;
    tx.commit().await?;
    let state: HashMap<i64, bool> = applied.iter().map(|a| (a.version, a.success)).collect();
    let mut pending: Vec<PendingMigration> = known
        .into_iter()
        .filter_map(|(version, description)| match state.get(&version) {
            Some(true) => None,
            Some(false) => Some(PendingMigration {
                version,
                description,
                failed: true,
            }),
            None => Some(PendingMigration {
                version,
                description,
                failed: false,
            }),
        })
        .collect();
    pending.sort_by_key(|p| p.version);
    pending.dedup_by_key(|p| p.version);
    Ok(pending)
}
