//! Migrations in the folder that the database has not run yet. `generate` compares the
//! entities with the database as it is: with a migration pending, it would write that
//! migration's changes a second time, and `strata run` would then fail on the first of
//! them. So it refuses, naming the files and the ways out.
use super::Ctx;
use anyhow::anyhow;
use sqlx::PgConnection;
use strata_core::migrate::{history, state, MigrationFile, State};

/// An error naming the pending migrations when there are any (what `generate`
/// reports, exit 2); `Ok` otherwise.
pub async fn refuse_pending(
    ctx: &Ctx<'_>,
    files: &[MigrationFile],
    conn: &mut PgConnection,
) -> anyhow::Result<()> {
    if files.is_empty() {
        return Ok(());
    }
    let applied = if history::exists(conn).await? {
        history::list(conn).await?
    } else {
        Vec::new()
    };
    let pending: Vec<String> = state::status(files, &applied)
        .into_iter()
        .filter(|e| e.state == State::Pending)
        .map(|e| match &e.file {
            Some(path) => format!("  - {} {} ({})", e.version, e.description, path.display()),
            None => format!("  - {} {}", e.version, e.description),
        })
        .collect();
    if pending.is_empty() {
        return Ok(());
    }
    Err(anyhow!(
        "{} in {} {} not applied to this database yet:\n{}\n\
         `generate` compares the entities with the database as it is, so it would write \
         {} changes a second time, and `strata run` would then fail. Apply {} first \
         (`strata run`), then generate again; or generate against the schema the \
         migrations folder builds, with no database of yours (`strata generate NAME --from \
         migrations`). Nothing was written.",
        super::run::plural(pending.len(), "migration"),
        ctx.settings.migrations.display(),
        if pending.len() == 1 { "is" } else { "are" },
        pending.join("\n"),
        if pending.len() == 1 { "its" } else { "their" },
        if pending.len() == 1 { "it" } else { "them" },
    ))
}
