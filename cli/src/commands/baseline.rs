//! `strata baseline NAME`: adopt a database that was built without strata (by hand,
//! or by an ORM's `synchronize`). Writes a migration that creates the database's current
//! schema and records it as applied there, so `run` applies only what comes after it
//! and a new database gets the same schema from the files.
use super::pipeline;
use super::run::plural;
use super::{load_migrations, Ctx};
use crate::{LockArgs, Outcome};
use anyhow::{anyhow, bail};
use strata_core::migrate::{history, next_version, repair, validate_name, write_pair, Repair};
use strata_core::{introspect, recreate, render};

const BASELINE_NOTE: &str =
    "-- Baseline: the schema the database had when `strata baseline` ran. It is recorded \
as applied there;\n-- on a new database it creates everything.\n";

pub async fn baseline(ctx: &Ctx<'_>, name: &str, lock: LockArgs) -> anyhow::Result<Outcome> {
    validate_name(name)?;
    let s = &ctx.settings;
    let files = load_migrations(ctx)?;
    if !files.is_empty() {
        bail!(
            "{} already holds {}: a baseline starts the history of a database strata has not \
             managed yet. To record existing migrations as applied, use `strata mark-applied \
             VERSION`",
            s.migrations.display(),
            plural(files.len(), "migration")
        );
    }
    let mut conn = ctx.connect().await?;
    let applied = history::list(&mut conn).await?;
    if !applied.is_empty() {
        bail!(
            "the database already records {} in _sqlx_migrations: a baseline starts the \
             history of a database no migration tool has managed yet",
            plural(applied.len(), "migration")
        );
    }
    let schemas = pipeline::schemas_to_read(ctx);
    let mut current = introspect::introspect(&mut conn, &schemas, &s.exclude)
        .await
        .map_err(|e| anyhow!("cannot read the database schema: {e}"))?
        .without_builtins();
    // Each check, index and default written as PostgreSQL reads it back as it is (an
    // `IN` list on a varchar column comes back otherwise from its own text).
    strata_core::canonicalize::restorable(
        &mut conn,
        &strata_core::schema::Schema::default(),
        &mut current,
    )
    .await
    .map_err(|e| anyhow!("cannot spell the database's SQL fragments: {e}"))?;
    // What the model does not hold is not written: said in the file and on the terminal.
    let exclude = strata_core::exclude::Exclude::new(&s.exclude)?;
    let unread = introspect::unread(&mut conn, &schemas, &exclude)
        .await
        .map_err(|e| anyhow!("cannot read the database schema: {e}"))?;
    let recreation = recreation(&current, &schemas)?;
    let plan = recreation.plan;
    if plan.steps.is_empty() {
        bail!(
            "there are no tables or types in {}: nothing to baseline. Start with `strata \
             generate NAME`",
            schemas.join(", ")
        );
    }
    let rendered = render::render_up(&plan, name).replacen(
        "Generated from the entities by `strata generate`.",
        "Written by `strata baseline` from the database.",
        1,
    );
    // The note goes right under the title line.
    let note = format!("{BASELINE_NOTE}{}", unread_note(&unread));
    let up = match rendered.split_once('\n') {
        Some((title, rest)) => format!("{title}\n{note}{rest}"),
        None => format!("{note}{rendered}"),
    };
    let down = with_row_guard(&render::render_down(&plan, name), &current);
    let version = next_version(&[], chrono::Utc::now());
    let (up_path, down_path) = write_pair(&s.migrations, version, name, &up, &down)?;

    let written = load_migrations(ctx)?;
    let lock_conn = ctx.connect_lock().await?;
    let mut on_event = |e: strata_core::migrate::Event<'_>| ctx.report_wait(&e);
    let recorded = repair::repair(
        &mut conn,
        lock_conn,
        &written,
        version,
        Repair::MarkApplied,
        ctx.lock_wait(&lock),
        &mut on_event,
    )
    .await;
    if let Err(e) = recorded {
        // Unrecorded, the files would make the next `run` re-create existing tables.
        let _ = std::fs::remove_file(&up_path);
        let _ = std::fs::remove_file(&down_path);
        ctx.json_error(serde_json::json!({ "version": version }), &e)?;
        return Err(
            anyhow::Error::from(e).context("the baseline was not recorded, its files are removed")
        );
    }
    let out = ctx.out;
    for u in &unread {
        out.warn(&format!(
            "not in the baseline (strata does not read it): {u}"
        ));
    }
    out.info(&format!("Wrote {}", up_path.display()));
    out.info(&format!("Wrote {}", down_path.display()));
    out.info(&format!(
        "Recorded {version} as applied ({} of {}): `strata run` applies only what comes \
         after it.",
        plural(plan.steps.len(), "step"),
        schemas.join(", ")
    ));
    out.json(&serde_json::json!({
        "version": version,
        "up": up_path,
        "down": down_path,
        "steps": plan.steps.len(),
        "schemas": schemas,
        "not_written": unread,
    }))?;
    Ok(Outcome::Done)
}

/// The up file's word on what the database holds that the baseline does not write.
pub fn unread_note(unread: &[introspect::Unread]) -> String {
    if unread.is_empty() {
        return String::new();
    }
    let mut note = String::from(
        "-- Not written here, because strata does not read it (re-create it by hand in a \
         migration of your own\n-- if a new database needs it):\n",
    );
    for u in unread {
        note.push_str(&format!("--   - {u}\n"));
    }
    note
}

/// The baseline's down file drops the whole schema it adopted: `revert` one step too
/// far would delete every row of the database. So it first checks that the tables are
/// empty (a database built from the files and never used, where undoing is what was
/// meant) and otherwise stops with an error, before it drops anything.
fn with_row_guard(down: &str, current: &strata_core::schema::Schema) -> String {
    if current.tables.is_empty() {
        return down.to_string();
    }
    let tables: Vec<String> = current
        .tables
        .iter()
        .map(|t| {
            strata_core::sql::string_literal(&strata_core::names::qualified(&t.schema, &t.name))
        })
        .collect();
    let guard = format!(
        "-- Stops, before it drops anything, while a table of the baseline holds rows: undoing a\n\
         -- baseline drops the whole schema it adopted, data included.\n\
         DO $strata$\n\
         DECLARE\n    t text;\n    found boolean;\n\
         BEGIN\n\
         \x20   FOREACH t IN ARRAY ARRAY[{}]::text[] LOOP\n\
         \x20       EXECUTE format('SELECT EXISTS (SELECT FROM %s)', t) INTO found;\n\
         \x20       IF found THEN\n\
         \x20           RAISE EXCEPTION 'strata: reverting the baseline would drop every table it adopted, and % holds rows', t\n\
         \x20               USING HINT = 'Nothing was dropped. To start over on purpose, empty the tables first, or drop the database.';\n\
         \x20       END IF;\n\
         \x20   END LOOP;\n\
         END\n\
         $strata$;",
        tables.join(", ")
    );
    // After the header (the comment lines), before the first step.
    match down.find("\n\n") {
        Some(at) => format!("{}\n\n{guard}{}", &down[..at], &down[at..]),
        None => format!("{down}\n{guard}"),
    }
}

/// The baseline of `current`, or why strata cannot write one that re-creates everything
/// in `schemas` (a C function of no extension, a view on an excluded table, ...).
pub fn recreation(
    current: &strata_core::schema::Schema,
    schemas: &[String],
) -> anyhow::Result<recreate::Recreation> {
    let recreation = recreate::recreate(current);
    if !recreation.refusals.is_empty() || !recreation.plan.blockers.is_empty() {
        let reasons: Vec<String> = recreation
            .refusals
            .iter()
            .chain(&recreation.plan.blockers)
            .map(|r| format!("- {r}"))
            .collect();
        bail!(
            "strata cannot write a baseline that re-creates everything in {}; nothing was \
             written:\n{}",
            schemas.join(", "),
            reasons.join("\n")
        );
    }
    Ok(recreation)
}
