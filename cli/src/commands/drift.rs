//! `strata drift`: the database at `DATABASE_URL` against the schema its migrations
//! build. The migrations the database has applied are replayed into a scratch database
//! (see [`super::replay`]; kept and reused while the folder is the same), both catalogs
//! are read, and every object that differs is named: there without a migration that
//! creates it, created by a migration and gone, or not as the migrations make it. So a
//! column added by hand in production, or an index dropped to "fix" something, shows up
//! before the next migration trips over it.
//!
//! It never writes to the database: the history is read, then the catalog, on a
//! read-only session. Exit 0 without drift, 1 with drift (or an applied migration
//! whose file changed or is gone), 2 when it cannot tell.
//!
//! Left out of the comparison, because migrations rarely say them and a replay cannot
//! reproduce them: who owns what (the replay's role owns everything it creates), and the
//! tables, enums and views strata.toml's `exclude` names.
use super::replay::{Replay, ReplayFailed};
use super::run::plural;
use super::Ctx;
use crate::Outcome;
use strata_core::compare::{differences, Check, Difference};
use strata_core::introspect;
use strata_core::migrate::state::history_problems;
use strata_core::migrate::{load_existing_dir, runner, MigrateError, MigrationFile, State};
use strata_core::schema::Schema;

pub async fn drift(ctx: &Ctx<'_>) -> anyhow::Result<Outcome> {
    let result = compare(ctx).await;
    if let Err(e) = &result {
        // Exit 2: drift cannot tell. With `--json`, a document says so too.
        super::run::json_error_any(ctx, serde_json::json!({ "drift": null }), e)?;
    }
    result
}

async fn compare(ctx: &Ctx<'_>) -> anyhow::Result<Outcome> {
    let out = ctx.out;
    // A folder that does not exist is an error, not "every object is drift", and no
    // replay is made for it.
    let files = load_existing_dir(&ctx.settings.migrations).map_err(MigrateError::Files)?;
    let mut conn = ctx.connect().await?;
    // Whatever happens below, this session cannot write.
    sqlx::Executor::execute(
        &mut conn,
        "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
    )
    .await?;
    let entries = runner::status_of(&mut conn, &files).await?;
    let applied: Vec<MigrationFile> = files
        .iter()
        .filter(|m| {
            entries.iter().any(|e| {
                e.version == m.version && matches!(e.state, State::Applied | State::Modified)
            })
        })
        .cloned()
        .collect();
    let pending: Vec<i64> = entries
        .iter()
        .filter(|e| e.state == State::Pending)
        .map(|e| e.version)
        .collect();
    let problems = history_problems(&entries);

    let schemas = introspect::user_schemas(&mut conn).await?;
    let live = introspect::introspect(&mut conn, &schemas, &ctx.settings.exclude).await?;
    drop(conn);
    let mut replay = match Replay::folder(ctx, &applied).await {
        Ok(replay) => replay,
        Err(e) => match e.downcast::<ReplayFailed>() {
            Ok(ReplayFailed(failure)) => return does_not_replay(ctx, &failure, &problems),
            Err(e) => return Err(e),
        },
    };
    let built = replay.read_excluding(&ctx.settings.exclude).await;
    let server = super::prove::short_version(&replay.scratch.server_version).to_string();
    replay.finish().await?;
    let found = differences(&comparable(built?), &comparable(live));

    let migrations = format!(
        "{} build{}",
        plural(applied.len(), "applied migration"),
        if applied.len() == 1 { "s" } else { "" }
    );
    let replayed = format!("replayed on PostgreSQL {server}");
    if found.is_empty() {
        out.info(&format!(
            "No drift: the database is what its {migrations} ({replayed})."
        ));
    } else {
        out.info(&format!(
            "Drift: {} differ{} from what the database's {migrations} ({replayed}):",
            plural(found.len(), "object"),
            if found.len() == 1 { "s" } else { "" },
        ));
        for d in &found {
            out.result(&format!("  - {}", d.describe(Check::Drift)));
        }
    }
    if !problems.is_empty() {
        out.info("The migration history does not match the folder either:");
        for p in &problems {
            out.info(&format!("  - {p}"));
        }
    }
    if !pending.is_empty() {
        out.info(&format!(
            "Not compared: {} not applied yet ({}); `strata run` applies {}.",
            plural(pending.len(), "migration"),
            pending
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            if pending.len() == 1 { "it" } else { "them" }
        ));
    }
    out.json(&serde_json::json!({
        "drift": !found.is_empty() || !problems.is_empty(),
        "server_version": server,
        "compared_with": applied.iter().map(|m| m.version).collect::<Vec<_>>(),
        "pending": pending,
        "differences": found.iter().map(json).collect::<Vec<_>>(),
        "history_problems": problems.iter().map(ToString::to_string).collect::<Vec<_>>(),
    }))?;
    Ok(if found.is_empty() && problems.is_empty() {
        Outcome::Done
    } else {
        Outcome::Difference
    })
}

/// The applied migrations do not build on an empty database: one of them relies on
/// something no migration before it creates (made by hand, or by another tool). That
/// is drift too, and the comparison cannot be made.
fn does_not_replay(
    ctx: &Ctx<'_>,
    failure: &MigrateError,
    problems: &[impl ToString],
) -> anyhow::Result<Outcome> {
    let out = ctx.out;
    let (version, reason) = match failure {
        MigrateError::Failed(f) => (Some(f.version), f.message.clone()),
        other => (None, other.to_string()),
    };
    out.info(
        "Drift: the database's applied migrations do not build on an empty database, so \
         nothing was compared: a migration relies on something no migration before it \
         creates (made by hand, or by another tool). Create that in a migration before it.",
    );
    out.result(&format!(
        "  migration {} fails on what the ones before it build:\n{}",
        version.map_or_else(|| "?".to_string(), |v| v.to_string()),
        super::prove::failed(failure)
    ));
    out.json(&serde_json::json!({
        "drift": true,
        "replayed": false,
        "failing_migration": version,
        "error": reason,
        "message": super::prove::failed(failure),
        "history_problems": problems.iter().map(ToString::to_string).collect::<Vec<_>>(),
    }))?;
    Ok(Outcome::Difference)
}

fn json(d: &Difference) -> serde_json::Value {
    serde_json::json!({
        "object": d.object,
        "change": d.change,
        "details": d.details,
        "message": d.describe(Check::Drift),
    })
}

/// A catalog with what drift does not compare taken out: owners, and what `exclude`
/// names.
fn comparable(mut schema: Schema) -> Schema {
    let excluded: std::collections::HashSet<(String, String)> = schema
        .excluded_tables
        .iter()
        .map(|x| (x.table.schema.clone(), x.table.name.clone()))
        .collect();
    let left_out =
        |schema: &str, table: &str| excluded.contains(&(schema.to_string(), table.to_string()));
    let o = &mut schema.objects;
    o.triggers.retain(|t| !left_out(&t.schema, &t.table));
    o.rules.retain(|r| !left_out(&r.schema, &r.table));
    o.policies.retain(|p| !left_out(&p.schema, &p.table));
    o.table_properties
        .retain(|p| !left_out(&p.schema, &p.table));
    o.partitions
        .retain(|p| !left_out(&p.parent_schema, &p.parent));
    // A serial column's sequence goes with its table.
    o.sequences.retain(|s| {
        !s.owner
            .as_ref()
            .is_some_and(|owner| left_out(&owner.schema, &owner.table))
    });
    schema.excluded_tables.clear();
    schema.excluded_enums.clear();
    schema.views.retain(|v| v.excluded_by.is_none());
    schema.objects.owners.clear();
    for v in &mut schema.views {
        v.owner = None;
    }
    schema
}
