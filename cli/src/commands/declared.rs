//! The objects strata.toml's `objects` files declare, as PostgreSQL makes them: the
//! files run on a scratch database that holds the entities' tables, and the catalog
//! is read back there. The desired views, functions, triggers, policies, domains,
//! sequences and types are then PostgreSQL's own texts, as the database's are, so
//! the formatting of a file never makes a diff (see `strata_core::diff::declared`).
//!
//! Statements may come in any order, across files: one that names what does not exist
//! yet waits until the rest ran, and the tables wait for the types they use. What
//! still cannot run once nothing more can is an error at its file, line and column.
use super::pipeline;
use super::Ctx;
use crate::scratch::{Scratch, Source};
use anyhow::{anyhow, Context};
use sqlx::postgres::{PgDatabaseError, PgErrorPosition};
use sqlx::{Executor, PgConnection};
use std::path::{Path, PathBuf};
use strata_core::migrate::split::{char_position_to_byte, line_of, split};
use strata_core::names::quote_ident;
use strata_core::schema::{Objects, Schema};
use strata_core::{diff, introspect, lex};

/// One `objects` file, as read.
struct SqlFile {
    /// As the user would type it (relative to the current directory).
    shown: String,
    text: String,
}

/// One statement of a file.
struct Declaration {
    file: usize,
    offset: usize,
    sql: String,
}

/// Fills `desired.views` and `desired.objects` from the `objects` files and marks
/// them declared; does nothing when strata.toml has no `objects`.
pub async fn declare(
    ctx: &Ctx<'_>,
    desired: &mut Schema,
    server_version: &str,
) -> anyhow::Result<()> {
    let s = &ctx.settings;
    if s.objects.is_empty() && desired.bound_views.is_empty() {
        return Ok(());
    }
    let mut files = read_files(&s.objects_root, &s.objects)?;
    bound_view_files(desired, &s.objects_root, &mut files)?;
    let mut declarations = Vec::new();
    for (i, f) in files.iter().enumerate() {
        for st in split(&f.text) {
            let d = Declaration {
                file: i,
                offset: st.offset,
                sql: st.sql.to_string(),
            };
            if let Some(why) = not_a_declaration(&d.sql) {
                return Err(anyhow!("{}: {why}", location(&files, &d, 0)));
            }
            declarations.push(d);
        }
    }
    ctx.out.verbose(&format!(
        "declared objects: {} statements in {} files",
        declarations.len(),
        files.len()
    ));
    let cache = Cache::new(ctx, desired, &files, server_version);
    let read = match cache.as_ref().and_then(Cache::get) {
        Some(read) => {
            ctx.out
                .verbose("declared objects: read back as the last run with the same files");
            read
        }
        None => {
            let scratch = Scratch::open(&Source::of(s), ctx.redactor).await?;
            let read = evaluate(ctx, &scratch, desired, &files, &declarations).await;
            scratch.close().await?;
            let read = read?;
            if let Some(cache) = &cache {
                cache.put(&read);
            }
            read
        }
    };
    desired.views = read
        .views
        .into_iter()
        .filter(|v| v.excluded_by.is_none())
        .collect();
    // `#[entity(row_level_security)]` with what the files turn on.
    let asked = std::mem::take(&mut desired.objects.table_properties);
    desired.objects = Objects {
        owners: Vec::new(),
        partitions: Vec::new(),
        ..read.objects
    };
    for a in asked {
        let props = &mut desired.objects.table_properties;
        match props
            .iter_mut()
            .find(|p| p.schema == a.schema && p.table == a.table)
        {
            Some(p) => p.row_security = true,
            None => props.push(a),
        }
    }
    desired.declared = true;
    crate::timing::mark("declared");
    Ok(())
}

/// What the declarations read back as, kept between runs: running them needs a scratch
/// database with every table of the entities (half a second for a small app, more for
/// a big one), and the same entities, files and server always give the same result.
/// Keyed by a checksum of all of those; a file per key in the system's temporary
/// directory, written whole or not at all; entries unused for a week are removed.
struct Cache {
    path: PathBuf,
}

impl Cache {
    fn new(ctx: &Ctx<'_>, desired: &Schema, files: &[SqlFile], server: &str) -> Option<Cache> {
        use sha2::{Digest, Sha256};
        // The build, not only the version: a rebuilt strata may read back otherwise.
        let build = std::env::current_exe()
            .and_then(std::fs::metadata)
            .map(|m| format!("{:?} {}", m.modified().ok(), m.len()))
            .unwrap_or_default();
        let inputs = serde_json::json!({
            "strata": env!("CARGO_PKG_VERSION"),
            "build": build,
            "server": server,
            "desired": desired,
            "files": files.iter().map(|f| (&f.shown, &f.text)).collect::<Vec<_>>(),
            "schemas": pipeline::managed_schemas(ctx.settings.schemas.as_deref(), desired),
            "exclude": ctx.settings.exclude,
        });
        let digest = Sha256::digest(serde_json::to_vec(&inputs).ok()?);
        let key: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        // One directory per user, readable by nobody else: it holds the schema's
        // definitions.
        let user = std::env::var("USER").unwrap_or_else(|_| "user".into());
        let dir = std::env::temp_dir().join(format!("strata-declared-{user}"));
        std::fs::create_dir_all(&dir).ok()?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).ok()?;
        }
        Some(Cache {
            path: dir.join(format!("{key}.json")),
        })
    }

    fn get(&self) -> Option<Schema> {
        let text = std::fs::read(&self.path).ok()?;
        let read = serde_json::from_slice(&text).ok()?;
        // Touched, so that the sweep keeps what is in use.
        let _ = std::fs::File::options()
            .append(true)
            .open(&self.path)
            .and_then(|f| f.set_modified(std::time::SystemTime::now()));
        Some(read)
    }

    fn put(&self, read: &Schema) {
        let Ok(text) = serde_json::to_vec(read) else {
            return;
        };
        let temp = self
            .path
            .with_extension(format!("{}.tmp", std::process::id()));
        if std::fs::write(&temp, text).is_ok() {
            let _ = std::fs::rename(&temp, &self.path);
        }
        let week = std::time::Duration::from_secs(7 * 24 * 3600);
        if let Some(dir) = self.path.parent().and_then(|d| std::fs::read_dir(d).ok()) {
            for entry in dir.flatten() {
                let old = entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|age| age > week);
                if old {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
    }
}

/// The files the globs name, sorted, each once; a glob that names none is an error (a
/// misspelt one would otherwise declare nothing, and `prune` drop everything).
fn read_files(root: &Path, globs: &[String]) -> anyhow::Result<Vec<SqlFile>> {
    let mut paths: Vec<PathBuf> = Vec::new();
    for pattern in globs {
        let full = root.join(pattern);
        let found: Vec<PathBuf> = glob::glob(&full.to_string_lossy())
            .map_err(|e| anyhow!("strata.toml `objects`: `{pattern}` is not a valid glob: {e}"))?
            .filter_map(Result::ok)
            .filter(|p| p.is_file())
            .collect();
        if found.is_empty() {
            return Err(anyhow!(
                "strata.toml `objects`: `{pattern}` matches no file (looked for {}); fix the \
                 glob, or remove the entry",
                full.display()
            ));
        }
        paths.extend(found);
    }
    paths.sort();
    paths.dedup();
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            let shown = p.strip_prefix("./").unwrap_or(&p).display().to_string();
            Ok(SqlFile { shown, text })
        })
        .collect()
}

/// The views the entities bound to one (`#[entity(view = ...)]`) come from: their
/// `.sql` file (unless a glob of `objects` names it already), or their query inline.
fn bound_view_files(desired: &Schema, root: &Path, files: &mut Vec<SqlFile>) -> anyhow::Result<()> {
    for v in &desired.bound_views {
        if v.source.trim_end().ends_with(".sql") {
            let path = root.join(v.source.trim());
            let shown = path
                .strip_prefix("./")
                .unwrap_or(&path)
                .display()
                .to_string();
            if files.iter().any(|f| f.shown == shown) {
                continue;
            }
            let text = std::fs::read_to_string(&path).with_context(|| {
                format!(
                    "{}: `view = {:?}`: cannot read {}",
                    v.entity,
                    v.source,
                    path.display()
                )
            })?;
            files.push(SqlFile { shown, text });
        } else {
            files.push(SqlFile {
                shown: format!("{}'s `view`", v.entity),
                text: format!(
                    "CREATE VIEW {} AS\n{}",
                    strata_core::names::qualified(&v.schema, &v.name),
                    v.source.trim().trim_end_matches(';')
                ),
            });
        }
    }
    Ok(())
}

/// Each entity bound to a view against the view the declarations made: every field's
/// column is there, with the field's type (as PostgreSQL spells it: the expected types
/// are read back from a temporary table). Nullability is not compared: PostgreSQL does
/// not know it for a view's columns.
async fn check_bound_views(
    conn: &mut PgConnection,
    desired: &Schema,
    read: &Schema,
) -> anyhow::Result<()> {
    let mut problems = Vec::new();
    for (n, b) in desired.bound_views.iter().enumerate() {
        let name = strata_core::names::qualified(&b.schema, &b.name);
        let Some(view) = read
            .views
            .iter()
            .find(|v| v.schema == b.schema && v.name == b.name)
        else {
            problems.push(format!(
                "{}: `view = {:?}` creates no view {name}: the file must create it under the struct's table name",
                b.entity, b.source
            ));
            continue;
        };
        let temp = format!("strata_expected_{n}");
        let columns: Vec<String> = b
            .columns
            .iter()
            .map(|(_, c, ty)| format!("{} {ty}", quote_ident(c)))
            .collect();
        run(
            conn,
            &format!("CREATE TEMP TABLE {temp} ({})", columns.join(", ")),
        )
        .await
        .map_err(|e| anyhow!("{}: cannot spell the fields' types: {e}", b.entity))?;
        let expected: Vec<(String, String)> = sqlx::query_as(
            "SELECT attname::text, pg_catalog.format_type(atttypid, atttypmod)              FROM pg_catalog.pg_attribute WHERE attrelid = $1::regclass AND attnum > 0              ORDER BY attnum",
        )
        .bind(format!("pg_temp.{temp}"))
        .fetch_all(&mut *conn)
        .await?;
        for ((field, _, _), (column, ty)) in b.columns.iter().zip(&expected) {
            let found = view.columns.iter().find_map(|c| {
                c.strip_prefix(column.as_str())
                    .and_then(|rest| rest.strip_prefix(' '))
                    .map(|rest| rest.split(" COLLATE ").next().unwrap_or(rest))
            });
            match found {
                None => problems.push(format!(
                    "{}::{field}: view {name} has no column {column} (it has: {})",
                    b.entity,
                    view.columns
                        .iter()
                        .map(|c| c.split(' ').next().unwrap_or(c))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
                Some(got) if got != ty => problems.push(format!(
                    "{}::{field}: view {name} gives {column} as {got}, the field is {ty}: change the field's type (or `sql_type`), or cast the column in the view",
                    b.entity
                )),
                Some(_) => {}
            }
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(anyhow!(
        "the entities bound to views do not match them:\n{}",
        problems
            .iter()
            .map(|p| format!("  - {p}"))
            .collect::<Vec<_>>()
            .join("\n")
    ))
}

/// Why a statement is not one an `objects` file may hold, if it is not.
fn not_a_declaration(sql: &str) -> Option<String> {
    // The first words, comments and layout left out.
    let words: Vec<String> = lex::significant(sql)
        .take(4)
        .map(|t| t.text(sql).to_ascii_uppercase())
        .collect();
    let w = |i: usize| words.get(i).map(String::as_str).unwrap_or("");
    let create_what = if w(0) == "CREATE" && w(1) == "OR" && w(2) == "REPLACE" {
        w(3)
    } else if w(0) == "CREATE" {
        w(1)
    } else {
        ""
    };
    let allowed = match w(0) {
        "CREATE" => {
            matches!(
                create_what,
                "VIEW"
                    | "RECURSIVE"
                    | "MATERIALIZED"
                    | "FUNCTION"
                    | "PROCEDURE"
                    | "TRIGGER"
                    | "CONSTRAINT"
                    | "POLICY"
                    | "DOMAIN"
                    | "SEQUENCE"
                    | "INDEX"
                    | "UNIQUE"
                    | "AGGREGATE"
            ) || create_what == "TYPE" && !sql.to_ascii_uppercase().contains(" ENUM")
        }
        "COMMENT" => true,
        "ALTER" => {
            let upper = sql.to_ascii_uppercase();
            w(1) == "TABLE" && (upper.contains("ROW LEVEL SECURITY") || upper.contains(" TRIGGER "))
                || matches!(
                    w(1),
                    "DOMAIN" | "SEQUENCE" | "FUNCTION" | "PROCEDURE" | "AGGREGATE"
                )
        }
        _ => false,
    };
    if allowed {
        return None;
    }
    let first: String = sql.lines().next().unwrap_or("").chars().take(60).collect();
    let hint = if create_what == "TABLE" {
        "tables are declared as entities (`#[derive(strata::Entity)]`)"
    } else if create_what == "TYPE" {
        "enum types are declared in Rust (`#[derive(strata::DbEnum)]`)"
    } else {
        "an `objects` file holds CREATE VIEW, MATERIALIZED VIEW, FUNCTION, PROCEDURE, \
         AGGREGATE, TRIGGER, POLICY, DOMAIN, SEQUENCE, TYPE ... AS (...), INDEX (on a \
         materialized view), COMMENT ON, ALTER TABLE ... ROW LEVEL SECURITY and ALTER TABLE \
         ... ENABLE|DISABLE TRIGGER"
    };
    Some(format!("`{first}` is not a declaration: {hint}"))
}

/// Runs the tables and the declarations on the scratch database, in an order that
/// works, and reads the catalog back.
async fn evaluate(
    ctx: &Ctx<'_>,
    scratch: &Scratch,
    desired: &Schema,
    files: &[SqlFile],
    declarations: &[Declaration],
) -> anyhow::Result<Schema> {
    let mut conn = scratch.connect(ctx.redactor).await?;
    let managed = pipeline::managed_schemas(ctx.settings.schemas.as_deref(), desired);
    for schema in &managed {
        run(
            &mut conn,
            &format!("CREATE SCHEMA IF NOT EXISTS {}", quote_ident(schema)),
        )
        .await
        .map_err(|e| {
            anyhow!(
                "cannot create schema {schema} on {}: {e}",
                scratch.description
            )
        })?;
    }
    // Every database has `public`, managed or not (strata.toml's `schemas` may leave it
    // out): the plan from nothing must not create it.
    let mut existing = managed.clone();
    if !existing.iter().any(|s| s == "public") {
        existing.push("public".to_string());
    }
    let base = Schema {
        schemas: existing,
        ..Schema::default()
    };
    let mut tables = desired.clone();
    tables.views.clear();
    tables.objects = Objects::default();
    // A foreign key to a table no entity declares (`references = "other.t(id)"`, in a
    // schema strata does not manage) has no table to point at here, and no declared
    // object reads a foreign key.
    let declared: Vec<(String, String)> = tables
        .tables
        .iter()
        .map(|t| (t.schema.clone(), t.name.clone()))
        .collect();
    for t in &mut tables.tables {
        t.foreign_keys.retain(|fk| {
            declared
                .iter()
                .any(|(s, n)| *s == fk.ref_schema && *n == fk.ref_table)
        });
    }
    // The tables as the plan from nothing creates them: one chain of statements.
    let chain: Vec<String> = diff::diff(&tables, &base)
        .steps
        .into_iter()
        .flat_map(|s| s.up)
        .collect();
    let mut next_in_chain = 0;
    let mut chain_error: Option<sqlx::Error> = None;
    let mut pending: Vec<usize> = (0..declarations.len()).collect();
    let mut waiting: Vec<(usize, sqlx::Error)> = Vec::new();
    loop {
        let mut progress = false;
        while next_in_chain < chain.len() {
            match run(&mut conn, &chain[next_in_chain]).await {
                Ok(()) => {
                    next_in_chain += 1;
                    progress = true;
                    chain_error = None;
                }
                Err(e) if may_wait(&e) => {
                    chain_error = Some(e);
                    break;
                }
                Err(e) => {
                    return Err(anyhow!(
                        "cannot create the entities' tables on a scratch database to read the \
                         declared objects there: {e}\n  statement: {}",
                        chain[next_in_chain]
                    ))
                }
            }
        }
        waiting.clear();
        let mut still = Vec::new();
        for i in pending {
            let d = &declarations[i];
            match run(&mut conn, &d.sql).await {
                Ok(()) => progress = true,
                Err(e) if may_wait(&e) => {
                    still.push(i);
                    waiting.push((i, e));
                }
                Err(e) => return Err(failure(files, d, &e)),
            }
        }
        pending = still;
        if !progress || (pending.is_empty() && next_in_chain == chain.len()) {
            break;
        }
    }
    if !waiting.is_empty() {
        let each: Vec<String> = waiting
            .iter()
            .map(|(i, e)| failure(files, &declarations[*i], e).to_string())
            .collect();
        return Err(anyhow!(
            "{}\n{} names what neither the entities nor an `objects` file create (or they \
             wait on each other, a cycle PostgreSQL cannot create): declare it, or fix the name",
            each.join("\n"),
            if waiting.len() == 1 {
                "this declaration"
            } else {
                "each of these declarations"
            }
        ));
    }
    if let Some(e) = chain_error {
        return Err(anyhow!(
            "cannot create the entities' tables on a scratch database to read the declared \
             objects there: {e}\n  statement: {}",
            chain[next_in_chain]
        ));
    }
    for d in declarations {
        if let Some((relation, at)) = indexed_relation(&d.sql) {
            let kind: Option<String> = sqlx::query_scalar(
                "SELECT relkind::text FROM pg_catalog.pg_class WHERE oid = pg_catalog.to_regclass($1)",
            )
            .bind(&relation)
            .fetch_optional(&mut conn)
            .await?
            .flatten();
            if kind.as_deref() != Some("m") {
                return Err(anyhow!(
                    "{}: an index on {relation}, which is not a materialized view: a table's \
                     indexes are declared on its entity (`#[entity(index)]`, `index(...)`)",
                    location(files, d, at)
                ));
            }
        }
    }
    let read = introspect::introspect(&mut conn, &managed, &ctx.settings.exclude)
        .await
        .map_err(|e| anyhow!("cannot read the declared objects back: {e}"))?;
    check_bound_views(&mut conn, desired, &read).await?;
    Ok(read)
}

async fn run(conn: &mut PgConnection, sql: &str) -> Result<(), sqlx::Error> {
    conn.execute(sql).await.map(|_| ())
}

/// Whether a statement failed for want of something another may create: it is tried
/// again once others ran.
fn may_wait(e: &sqlx::Error) -> bool {
    let code = e
        .as_database_error()
        .and_then(|d| d.code())
        .map(|c| c.to_string());
    matches!(
        code.as_deref(),
        // undefined table, function, object, column; schema.
        Some("42P01" | "42883" | "42704" | "42703" | "3F000")
    )
}

/// `db/views.sql:3:15: PostgreSQL: syntax error at or near "FORM"`, with the line and
/// a caret under the position PostgreSQL gave.
fn failure(files: &[SqlFile], d: &Declaration, e: &sqlx::Error) -> anyhow::Error {
    let pg = e
        .as_database_error()
        .and_then(|db| db.try_downcast_ref::<PgDatabaseError>());
    let position = match pg.and_then(|pg| pg.position()) {
        Some(PgErrorPosition::Original(p)) => char_position_to_byte(&d.sql, p),
        _ => 0,
    };
    let text = &files[d.file].text;
    let at = d.offset + position;
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let line = line_of(text, at);
    let column = text[line_start..at].chars().count() + 1;
    let place = location(files, d, position);
    let message = match pg {
        Some(pg) => {
            let mut m = format!("{} (SQLSTATE {})", pg.message(), pg.code());
            if let Some(detail) = pg.detail() {
                m.push_str(&format!("\n  detail: {detail}"));
            }
            if let Some(hint) = pg.hint() {
                m.push_str(&format!("\n  hint: {hint}"));
            }
            m
        }
        None => e.to_string(),
    };
    let gutter = line.to_string().len();
    anyhow!(
        "{place}: PostgreSQL: {message}\n {:gutter$} |\n {line} | {}\n {:gutter$} | {}^",
        "",
        &text[line_start..line_end],
        "",
        " ".repeat(column - 1)
    )
}

/// The relation a `CREATE [UNIQUE] INDEX ... ON [ONLY] name` statement indexes, as
/// written, and where its name starts.
fn indexed_relation(sql: &str) -> Option<(String, usize)> {
    let tokens: Vec<_> = lex::significant(sql).collect();
    let word = |i: usize, w: &str| tokens.get(i).is_some_and(|t| t.is_word(sql, w));
    let first = if word(1, "UNIQUE") { 2 } else { 1 };
    if !word(0, "CREATE") || !word(first, "INDEX") {
        return None;
    }
    let on = (first..tokens.len()).find(|&i| word(i, "ON"))?;
    let mut i = on + 1;
    if word(i, "ONLY") {
        i += 1;
    }
    let start = tokens.get(i)?.start;
    let mut name = String::new();
    while let Some(t) = tokens.get(i) {
        let text = t.text(sql);
        let part =
            matches!(t.kind, lex::Kind::Ident | lex::Kind::QuotedIdent { .. }) || text == ".";
        if !part || word(i, "USING") {
            break;
        }
        name.push_str(text);
        i += 1;
    }
    Some((name, start))
}

/// `file:line:column` of a byte of a declaration.
fn location(files: &[SqlFile], d: &Declaration, byte: usize) -> String {
    let text = &files[d.file].text;
    let at = d.offset + byte;
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    format!(
        "{}:{}:{}",
        files[d.file].shown,
        line_of(text, at),
        text[line_start..at].chars().count() + 1
    )
}
