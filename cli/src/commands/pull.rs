//! `strata pull`: write entities (and `objects` files) declaring the database as it
//! is. The pure part is `strata_core::pull`; this reads the database and writes files.
use super::Ctx;
use crate::Outcome;
use anyhow::{anyhow, bail};
use sqlx::PgConnection;
use std::path::{Path, PathBuf};
use strata_core::introspect::{self, Unread};
use strata_core::pull::{self, Problem, Pulled, SQL_DIR};
use strata_core::schema::Schema;

/// The schemas `pull` and `init` read: strata.toml's `schemas`, else every schema of
/// the database that is not PostgreSQL's own or an extension's, nor only the home of
/// extensions (`extensions`, where Supabase installs them: strata.toml's `extensions`
/// then says `extensions.citext`, and the schema is created with the extension).
pub async fn schemas(ctx: &Ctx<'_>, conn: &mut PgConnection) -> anyhow::Result<Vec<String>> {
    if let Some(configured) = &ctx.settings.schemas {
        return Ok(configured.clone());
    }
    discover_schemas(conn).await
}

pub async fn discover_schemas(conn: &mut PgConnection) -> anyhow::Result<Vec<String>> {
    let found: Vec<String> = sqlx::query_scalar(
        "SELECT n.nspname::text FROM pg_catalog.pg_namespace n \
         WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' \
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d \
                           WHERE d.classid = 'pg_catalog.pg_namespace'::regclass \
                             AND d.objid = n.oid AND d.deptype = 'e') \
           AND NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_extension e WHERE e.extnamespace = n.oid) \
                    AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c \
                        WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'p', 'v', 'm', 'f') \
                          AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d \
                              WHERE d.classid = 'pg_catalog.pg_class'::regclass \
                                AND d.objid = c.oid AND d.deptype = 'e')) \
                    AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_proc p \
                        WHERE p.pronamespace = n.oid \
                          AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d \
                              WHERE d.classid = 'pg_catalog.pg_proc'::regclass \
                                AND d.objid = p.oid AND d.deptype = 'e'))) \
         ORDER BY 1",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut out = vec!["public".to_string()];
    out.extend(found.into_iter().filter(|s| s != "public"));
    Ok(out)
}

/// The database as `baseline` reads it (its fragments in texts that read back as
/// they are), and what it holds that strata does not read.
pub async fn read_database(
    conn: &mut PgConnection,
    schemas: &[String],
    exclude: &[String],
) -> anyhow::Result<(Schema, Vec<Unread>)> {
    let mut current = introspect::introspect(conn, schemas, exclude)
        .await
        .map_err(|e| anyhow!("cannot read the database schema: {e}"))?
        .without_builtins();
    strata_core::canonicalize::restorable(conn, &Schema::default(), &mut current)
        .await
        .map_err(|e| anyhow!("cannot spell the database's SQL fragments: {e}"))?;
    let compiled = strata_core::exclude::Exclude::new(exclude)?;
    let unread = introspect::unread(conn, schemas, &compiled)
        .await
        .map_err(|e| anyhow!("cannot read the database schema: {e}"))?;
    Ok((current, unread))
}

/// Everything `pull` leaves out: its own problems, and what strata does not read.
pub fn left_out(pulled: &Pulled, unread: &[Unread]) -> Vec<Problem> {
    let mut out = pulled.problems.clone();
    out.extend(unread.iter().map(|u| Problem {
        table: None,
        what: u.object.clone(),
        why: format!(
            "{}: strata does not read this, so it is neither declared nor changed, and the \
             baseline does not write it (a database built from the migrations lacks it)",
            u.what
        ),
        blocking: false,
    }));
    out
}

/// The paths the pulled files go to.
pub fn targets(out: &Path, pulled: &Pulled) -> Vec<PathBuf> {
    pulled.files.iter().map(|f| out.join(&f.path)).collect()
}

/// Refuses (before anything is written) when a file to write exists already.
pub fn refuse_existing(paths: &[PathBuf], force: bool) -> anyhow::Result<()> {
    if force {
        return Ok(());
    }
    let existing: Vec<String> = paths
        .iter()
        .filter(|p| p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if !existing.is_empty() {
        bail!(
            "{} already {}: nothing was written. Pass --force to overwrite, or --out DIR to write elsewhere",
            existing.join(", "),
            if existing.len() == 1 { "exists" } else { "exist" }
        );
    }
    Ok(())
}

pub fn write_files(out: &Path, pulled: &Pulled) -> anyhow::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for f in &pulled.files {
        let path = out.join(&f.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| anyhow!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&path, &f.contents)
            .map_err(|e| anyhow!("cannot write {}: {e}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// `Left out (N): ...` lines, the blocking ones first.
pub fn left_out_lines(problems: &[Problem]) -> Vec<String> {
    let mut lines = Vec::new();
    let (blocking, kept): (Vec<&Problem>, Vec<&Problem>) =
        problems.iter().partition(|p| p.blocking);
    if !blocking.is_empty() {
        lines.push(format!(
            "Not expressible ({}): the entities cannot declare these as the database has them (`strata init` excludes them; name them in strata.toml's `exclude`):",
            blocking.len()
        ));
        lines.extend(blocking.iter().map(|p| format!("  - {p}")));
    }
    if !kept.is_empty() {
        lines.push(format!(
            "Left out ({}): not declared, and kept as they are:",
            kept.len()
        ));
        lines.extend(kept.iter().map(|p| format!("  - {p}")));
    }
    lines
}

/// What the user's crate needs to compile the pulled source: the `mod` line (when
/// the files went to a directory of `src/`) and the crates the types name.
pub fn crate_hint(out: &Path, pulled: &Pulled) -> Option<String> {
    let mut crates: Vec<&str> = ["chrono", "uuid", "serde_json", "rust_decimal"]
        .into_iter()
        .filter(|c| {
            pulled
                .files
                .iter()
                .any(|f| f.path.ends_with(".rs") && f.contents.contains(&format!("{c}::")))
        })
        .collect();
    crates.insert(0, "strata");
    if pulled.entities + pulled.enums == 0 {
        return None;
    }
    let module = out
        .strip_prefix("src")
        .ok()
        .filter(|m| m.components().count() == 1)
        .and_then(|m| m.to_str())
        .map(|m| format!("`mod {m};` in src/lib.rs or src/main.rs, and "))
        .unwrap_or_default();
    Some(format!(
        "To compile them with your crate: {module}{} in Cargo.toml (strata reads them either way).",
        crates.join(", ")
    ))
}

/// The glob strata.toml's `objects` takes for the pulled SQL files.
pub fn objects_glob(out: &Path) -> String {
    format!("{}/{SQL_DIR}/*.sql", out.display())
}

pub async fn pull(ctx: &Ctx<'_>, out: &Path, force: bool) -> anyhow::Result<Outcome> {
    let mut conn = ctx.connect().await?;
    let schemas = schemas(ctx, &mut conn).await?;
    let (current, unread) = read_database(&mut conn, &schemas, &ctx.settings.exclude).await?;
    let pulled = pull::pull(&current);
    refuse_existing(&targets(out, &pulled), force)?;
    let written = write_files(out, &pulled)?;
    let problems = left_out(&pulled, &unread);
    let o = ctx.out;
    for w in &written {
        o.info(&format!("Wrote {}", w.display()));
    }
    o.info(&format!(
        "Pulled {} and {} of {} into {}{}.",
        super::run::plural(pulled.entities, "table"),
        super::run::plural(pulled.enums, "enum type"),
        schemas.join(", "),
        out.display(),
        if pulled.has_sql {
            format!(
                ", and {} into {}",
                super::run::plural(pulled.statements, "SQL statement"),
                out.join(SQL_DIR).display()
            )
        } else {
            String::new()
        }
    ));
    if pulled.has_sql && !ctx.settings.objects.iter().any(|g| *g == objects_glob(out)) {
        o.info(&format!(
            "strata.toml needs `objects = [\"{}\"]` for `generate` to manage the SQL objects.",
            objects_glob(out)
        ));
    }
    if let Some(hint) = crate_hint(out, &pulled) {
        o.info(&hint);
    }
    let missing: Vec<&String> = current
        .extensions
        .iter()
        .filter(|e| !strata_core::sql::has_extension(&ctx.settings.extensions, e))
        .collect();
    if !missing.is_empty() {
        let list: Vec<String> = current
            .extensions
            .iter()
            .map(|e| format!("{e:?}"))
            .collect();
        o.info(&format!(
            "strata.toml needs `extensions = [{}]`: the scratch databases strata proves plans on need them too.",
            list.join(", ")
        ));
    }
    for line in left_out_lines(&problems) {
        o.info(&line);
    }
    o.json(&serde_json::json!({
        "written": written,
        "tables": pulled.entities,
        "enums": pulled.enums,
        "statements": pulled.statements,
        "schemas": schemas,
        "left_out": problems,
    }))?;
    Ok(Outcome::Done)
}
