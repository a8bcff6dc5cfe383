//! `strata init`: adopt a database in one command. Writes strata.toml, pulls the
//! entities and `objects` files, writes the baseline migration and records it as
//! applied, then checks that the entities give "No changes". What cannot be declared
//! is excluded in strata.toml with the reason beside it, and reported.
use super::pull::{self as pulling, left_out_lines};
use super::run::plural;
use super::{load_migrations, pipeline, Ctx};
use crate::{Global, LockArgs, Outcome};
use anyhow::{anyhow, bail};
use std::path::{Path, PathBuf};
use strata_core::migrate::{history, validate_name};
use strata_core::names::qualified;
use strata_core::pull::{self, Problem};
use strata_core::schema::Schema;

pub struct Options {
    pub out: PathBuf,
    pub name: String,
    pub force: bool,
    pub lock: LockArgs,
}

/// An `exclude` entry naming exactly `schema.name` (glob characters escaped).
pub fn exclude_entry(schema: &str, name: &str) -> String {
    let escape = |s: &str| {
        s.chars()
            .map(|c| match c {
                '*' | '?' | '[' => format!("[{c}]"),
                c => c.to_string(),
            })
            .collect::<String>()
    };
    format!("{}.{}", escape(schema), escape(name))
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// strata.toml as `init` writes it.
fn config_text(
    migrations: Option<&Path>,
    schemas: &[String],
    extensions: &[String],
    entities: &str,
    objects: Option<&str>,
    exclude: &[(String, String)],
) -> String {
    let list = |items: &[String]| {
        items
            .iter()
            .map(|s| toml_string(s))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut text = String::from(
        "# Written by `strata init` from the database. The README documents every key.\n",
    );
    if let Some(m) = migrations {
        text.push_str(&format!(
            "migrations = {}\n",
            toml_string(&m.display().to_string())
        ));
    }
    text.push_str(&format!("schemas = [{}]\n", list(schemas)));
    text.push_str(&format!("entities = [{}]\n", toml_string(entities)));
    if let Some(o) = objects {
        text.push_str(&format!("objects = [{}]\n", toml_string(o)));
    }
    if !extensions.is_empty() {
        text.push_str(&format!("extensions = [{}]\n", list(extensions)));
    }
    if !exclude.is_empty() {
        text.push_str(
            "# What strata leaves alone: what the entities cannot declare as the database has it,\n# and other tools' migration histories.\n",
        );
        text.push_str("exclude = [\n");
        for (entry, why) in exclude {
            text.push_str(&format!(
                "    {},  # {}\n",
                toml_string(entry),
                one_line(why)
            ));
        }
        text.push_str("]\n");
    }
    text
}

/// The views (and views on them) that read an excluded table: a baseline cannot
/// create them without it, so they are excluded too.
fn views_on_excluded(current: &Schema) -> Vec<(String, String, String)> {
    let excluded: Vec<(String, String)> = current
        .excluded_tables
        .iter()
        .map(|x| (x.table.schema.clone(), x.table.name.clone()))
        .chain(
            current
                .views
                .iter()
                .filter(|v| v.excluded_by.is_some())
                .map(|v| (v.schema.clone(), v.name.clone())),
        )
        .collect();
    current
        .views
        .iter()
        .filter(|v| v.excluded_by.is_none())
        .filter_map(|v| {
            v.reads
                .iter()
                .find(|r| excluded.contains(&(r.schema.clone(), r.relation.clone())))
                .map(|r| {
                    (
                        v.schema.clone(),
                        v.name.clone(),
                        format!(
                            "reads {}, which is excluded",
                            qualified(&r.schema, &r.relation)
                        ),
                    )
                })
        })
        .collect()
}

pub async fn init(ctx: &Ctx<'_>, global: &Global, opts: &Options) -> anyhow::Result<Outcome> {
    validate_name(&opts.name)?;
    let config_path = global
        .config
        .clone()
        .unwrap_or_else(|| PathBuf::from("strata.toml"));
    if config_path.exists() && !opts.force {
        bail!(
            "{} already exists: `strata init` writes a new one. Pass --force to replace it \
             (and the pulled files), or adopt with `strata pull` and `strata baseline NAME`",
            config_path.display()
        );
    }
    let migrations_dir = &ctx.settings.migrations;
    let files = load_migrations(ctx)?;
    let mut entries: Vec<String> = std::fs::read_dir(migrations_dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    entries.sort();
    if !files.is_empty() || !entries.is_empty() {
        let what = if files.is_empty() {
            let shown: Vec<&str> = entries.iter().take(3).map(String::as_str).collect();
            let more = entries.len().saturating_sub(3);
            format!(
                "{}{}, no migration",
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            )
        } else {
            plural(files.len(), "migration")
        };
        bail!(
            "{} already has content ({what}): `strata init` starts the history of a database \
             strata has not managed yet, and never touches existing migrations; move it \
             aside, or point `--migrations` at an empty folder",
            migrations_dir.display(),
        );
    }
    let mut conn = ctx.connect().await?;
    let applied = history::list(&mut conn).await?;
    if !applied.is_empty() {
        bail!(
            "the database already records {} in _sqlx_migrations: `strata init` adopts a \
             database no migration tool has managed yet",
            plural(applied.len(), "migration")
        );
    }
    let schemas = pulling::schemas(ctx, &mut conn).await?;

    // Pull, excluding what cannot be declared, until what is left can be.
    let mut exclude: Vec<(String, String)> = ctx
        .settings
        .exclude
        .iter()
        .map(|e| {
            (
                e.clone(),
                "excluded in the previous strata.toml".to_string(),
            )
        })
        .collect();
    // Another tool's migration history is that tool's: not an entity of the app.
    let histories: Vec<(String, String)> = sqlx::query_as(
        "SELECT n.nspname::text, c.relname::text FROM pg_catalog.pg_class c \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p') AND n.nspname::text = ANY($1) \
           AND c.relname::text = ANY($2) ORDER BY 1, 2",
    )
    .bind(&schemas)
    .bind(
        OTHER_TOOLS_HISTORIES
            .iter()
            .map(|(t, _)| *t)
            .collect::<Vec<_>>(),
    )
    .fetch_all(&mut conn)
    .await?;
    for (schema, table) in histories {
        let entry = exclude_entry(&schema, &table);
        if exclude.iter().any(|(e, _)| *e == entry) {
            continue;
        }
        let tool = OTHER_TOOLS_HISTORIES
            .iter()
            .find(|(t, _)| *t == table)
            .map_or("another tool", |(_, tool)| *tool);
        exclude.push((
            entry,
            format!("the migration history of {tool}: not the app's, strata leaves it alone"),
        ));
    }
    // Legacy table inheritance (`INHERITS`) is not modelled: a child pulled as an
    // entity of its own would be planned against what PostgreSQL does to it through its
    // parent (a column added to the parent is added to the child).
    let children: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT n.nspname::text, c.relname::text, \
                string_agg(i.inhparent::regclass::text, ', ' ORDER BY i.inhseqno) \
         FROM pg_catalog.pg_inherits i \
         JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE NOT c.relispartition AND c.relkind IN ('r', 'p') AND n.nspname::text = ANY($1) \
         GROUP BY 1, 2 ORDER BY 1, 2",
    )
    .bind(&schemas)
    .fetch_all(&mut conn)
    .await?;
    for (schema, table, parents) in children {
        let entry = exclude_entry(&schema, &table);
        if exclude.iter().any(|(e, _)| *e == entry) {
            continue;
        }
        exclude.push((
            entry,
            format!(
                "inherits from {parents} (table inheritance, which strata does not model): \
                 PostgreSQL adds, changes and drops its inherited columns with the parent's"
            ),
        ));
    }
    let mut excluded_problems: Vec<Problem> = Vec::new();
    let (current, unread, pulled) = loop {
        let entries: Vec<String> = exclude.iter().map(|(e, _)| e.clone()).collect();
        let (current, unread) = pulling::read_database(&mut conn, &schemas, &entries).await?;
        let pulled = pull::pull(&current);
        let mut more = Vec::new();
        for (schema, table) in pulled.blocked_tables() {
            let why: Vec<String> = pulled
                .problems
                .iter()
                .filter(|p| {
                    p.blocking && p.table.as_ref() == Some(&(schema.clone(), table.clone()))
                })
                .map(|p| p.to_string())
                .collect();
            excluded_problems.extend(
                pulled
                    .problems
                    .iter()
                    .filter(|p| p.table.as_ref() == Some(&(schema.clone(), table.clone())))
                    .cloned(),
            );
            more.push((exclude_entry(&schema, &table), why.join("; ")));
        }
        for (schema, view, why) in views_on_excluded(&current) {
            more.push((
                exclude_entry(&schema, &view),
                format!("view {}: {why}", qualified(&schema, &view)),
            ));
        }
        let mut seen: Vec<String> = exclude.iter().map(|(e, _)| e.clone()).collect();
        more.retain(|m| {
            let new = !seen.contains(&m.0);
            seen.push(m.0.clone());
            new
        });
        if more.is_empty() || exclude.len() > 1000 {
            break (current, unread, pulled);
        }
        exclude.extend(more);
    };
    if current.tables.is_empty() && current.enums.is_empty() {
        bail!(
            "there are no tables or enum types to adopt in {}: start with entities and \
             `strata generate NAME`",
            schemas.join(", ")
        );
    }
    // What a baseline cannot write is refused before anything is written.
    super::baseline::recreation(&current, &schemas)?;

    let out = &opts.out;
    let mut targets = pulling::targets(out, &pulled);
    targets.push(config_path.clone());
    pulling::refuse_existing(&targets[..targets.len() - 1], opts.force)?;
    let objects = pulled.has_sql.then(|| pulling::objects_glob(out));
    let extensions: Vec<String> = current.extensions.clone();
    let text = config_text(
        global.migrations.as_deref(),
        &schemas,
        &extensions,
        &format!("{}/**/*.rs", out.display()),
        objects.as_deref(),
        &exclude,
    );
    // What `--force` replaces is kept, to be put back if the adoption fails.
    let originals: Vec<(PathBuf, Option<Vec<u8>>)> = targets
        .iter()
        .map(|p| (p.clone(), std::fs::read(p).ok()))
        .collect();
    // And the directories it creates, deepest first.
    let mut created_dirs: Vec<PathBuf> = Vec::new();
    let sql_dir = out.join(strata_core::pull::SQL_DIR);
    for dir in std::iter::once(sql_dir.as_path()).chain(out.ancestors()) {
        if dir.as_os_str().is_empty() || dir.exists() {
            continue;
        }
        created_dirs.push(dir.to_path_buf());
    }
    let undo = |o: &crate::output::Output| {
        for (path, before) in &originals {
            let _ = match before {
                Some(bytes) => std::fs::write(path, bytes),
                None => std::fs::remove_file(path),
            };
        }
        for dir in &created_dirs {
            let _ = std::fs::remove_dir(dir);
        }
        o.warn("nothing was adopted: the files `strata init` wrote are removed (and the ones it replaced put back)");
    };
    std::fs::write(&config_path, text)
        .map_err(|e| anyhow!("cannot write {}: {e}", config_path.display()))?;
    let written = match pulling::write_files(out, &pulled) {
        Ok(w) => w,
        Err(e) => {
            undo(ctx.out);
            return Err(e);
        }
    };
    drop(conn);

    // From here on, strata.toml as written is the configuration. The plan comes
    // first: recording the baseline changes nothing it reads, and a plan that cannot
    // be made (a declaration PostgreSQL refuses on a scratch database, say) leaves
    // nothing behind.
    let settings = crate::settings::resolve(global)?;
    let adopted = Ctx {
        settings,
        out: ctx.out,
        redactor: ctx.redactor,
    };
    let planned = match pipeline::plan(&adopted, false, false).await {
        Ok(p) => p,
        Err(e) => {
            undo(ctx.out);
            return Err(e);
        }
    };
    let o = ctx.out;
    o.info(&format!("Wrote {}", config_path.display()));
    for w in &written {
        o.info(&format!("Wrote {}", w.display()));
    }
    // `baseline` speaks for itself; here init says what it did, once (and one JSON
    // document with --json).
    let quiet = crate::output::Output::new(false, 0, true);
    let recording = Ctx {
        settings: adopted.settings.clone(),
        out: &quiet,
        redactor: ctx.redactor,
    };
    if let Err(e) = super::baseline::baseline(&recording, &opts.name, opts.lock).await {
        undo(ctx.out);
        return Err(e);
    }
    let baseline = load_migrations(&recording)?;
    let mut baseline_files = Vec::new();
    for m in &baseline {
        o.info(&format!("Wrote {}", m.up.path.display()));
        baseline_files.push(m.up.path.clone());
        if let Some(down) = &m.down {
            o.info(&format!("Wrote {}", down.path.display()));
            baseline_files.push(down.path.clone());
        }
        o.info(&format!(
            "Recorded {} as applied: `strata run` applies only what comes after it.",
            m.version
        ));
    }
    let clean = planned.plan.is_empty();

    o.info(&format!(
        "Adopted {} and {} of {}{}.",
        plural(pulled.entities, "table"),
        plural(pulled.enums, "enum type"),
        schemas.join(", "),
        if pulled.has_sql {
            format!(", and {}", plural(pulled.statements, "SQL statement"))
        } else {
            String::new()
        }
    ));
    if !exclude.is_empty() {
        o.info(&format!(
            "Excluded in {} ({}): strata leaves {} alone:",
            config_path.display(),
            exclude.len(),
            if exclude.len() == 1 { "it" } else { "them" }
        ));
        for (entry, why) in &exclude {
            o.info(&format!("  - {entry}: {why}"));
        }
    }
    if let Some(hint) = pulling::crate_hint(out, &pulled) {
        o.info(&hint);
    }
    let mut problems = pulling::left_out(&pulled, &unread);
    // The excluded ones were said above; what no `exclude` entry can name stays here.
    problems.retain(|p| !p.blocking || p.table.is_none());
    // A managed table's foreign key to an excluded one holds here; a database built
    // from the migrations alone lacks the excluded table (the baseline does not create
    // it), so say so.
    for t in &current.tables {
        for fk in &t.foreign_keys {
            if current
                .excluded_tables
                .iter()
                .any(|x| x.table.schema == fk.ref_schema && x.table.name == fk.ref_table)
            {
                problems.push(Problem {
                    table: None,
                    what: format!("foreign key {} on {}", fk.name, qualified(&t.schema, &t.name)),
                    why: format!(
                        "references {}, which is excluded: declared as `references`, it holds here, but a database built from the migrations alone lacks that table",
                        qualified(&fk.ref_schema, &fk.ref_table)
                    ),
                    blocking: false,
                });
            }
        }
    }
    for line in left_out_lines(&problems) {
        o.info(&line);
    }
    if clean {
        o.info("No changes: the database matches the entities. `strata status` is clean; edit a struct and `strata generate NAME`.");
    } else {
        o.warn(&format!(
            "the entities do not give \"No changes\" yet; `strata diff` shows the {}:",
            plural(planned.plan.steps.len(), "step")
        ));
        for s in &planned.plan.steps {
            o.warn(&format!("  - {}", pipeline::describe(s)));
        }
    }
    o.json(&serde_json::json!({
        "config": config_path,
        "written": written,
        "baseline": baseline_files,
        "schemas": schemas,
        "tables": pulled.entities,
        "enums": pulled.enums,
        "statements": pulled.statements,
        "exclude": exclude.iter().map(|(e, why)| serde_json::json!({"entry": e, "why": why})).collect::<Vec<_>>(),
        "left_out": problems,
        "excluded_problems": excluded_problems,
        "no_changes": clean,
    }))?;
    Ok(if clean {
        Outcome::Done
    } else {
        Outcome::Difference
    })
}

/// The tables other migration tools keep their history in, and the tool: `init`
/// excludes them (a database adopted from Rails, Django or Prisma has one).
const OTHER_TOOLS_HISTORIES: &[(&str, &str)] = &[
    ("schema_migrations", "Rails (or golang-migrate, dbmate)"),
    ("ar_internal_metadata", "Rails"),
    ("django_migrations", "Django"),
    ("_prisma_migrations", "Prisma"),
    ("flyway_schema_history", "Flyway"),
    ("databasechangelog", "Liquibase"),
    ("databasechangeloglock", "Liquibase"),
    ("__diesel_schema_migrations", "diesel"),
    ("seaql_migrations", "SeaORM"),
    ("knex_migrations", "Knex"),
    ("knex_migrations_lock", "Knex"),
    ("goose_db_version", "goose"),
    ("alembic_version", "Alembic"),
    ("__EFMigrationsHistory", "Entity Framework"),
    ("SequelizeMeta", "Sequelize"),
    ("mikro_orm_migrations", "MikroORM"),
    ("typeorm_metadata", "TypeORM"),
    ("atlas_schema_revisions", "Atlas"),
    ("refinery_schema_history", "refinery"),
];
