//! Every `generate` proves its plan before writing it, on a scratch database holding a
//! copy of the part of the schema the plan touches (see `strata_core::plan_scope`):
//!
//! 1. the copy is created from the catalog read (as `baseline` would write it), and
//!    read back; touched tables PostgreSQL reads back otherwise than they are are
//!    spelled as it reads them back, and the copy made again (rare, see [`spell`]);
//! 2. the up files run, as they will (the runner of `strata run`);
//! 3. the entities, compared with what the up files made of the touched tables, give
//!    "No changes";
//! 4. the down files run, and the catalog is the copy's again;
//! 5. the up files run again.
//!
//! A step that fails stops `generate` before it writes anything (exit 2), with the
//! failing statement and PostgreSQL's error, or what differs. The files' headers say
//! what was proven, and on which server version.
use super::pipeline::{self, Planned};
use super::replay::Replay;
use super::Ctx;
use anyhow::{anyhow, Context};
use sqlx::PgConnection;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use strata_core::compare::{differences, Check, Difference};
use strata_core::migrate::{load_dir, write_pair, MigrateError, RevertScope};
use strata_core::plan_scope::{self, TableKey};
use strata_core::render::RenderedMigration;
use strata_core::schema::{ExcludedTable, LeftAlone, Schema, Table};
use strata_core::{canonicalize, diff, introspect, recreate};

/// What the header of a proven file says.
pub fn proven_note(server_version: &str) -> String {
    format!(
        "-- Verified before it was written, on a scratch copy of what it touches (PostgreSQL \
         {}): the up file runs, the entities then give \"No changes\", the down file \
         restores the schema, and the up file runs again.\n",
        short_version(server_version)
    )
}

/// What the header says with `--no-verify`.
pub const UNPROVEN_NOTE: &str =
    "-- Not verified: generated with --no-verify; `strata verify` proves it on a scratch database.\n";

/// `15.20` of `15.20 (Debian 15.20-0+deb12u1)`.
pub fn short_version(v: &str) -> &str {
    v.split_whitespace().next().unwrap_or(v)
}

/// Proves `files` (the rendered plan) on a scratch copy; the server version it ran on.
pub async fn prove(
    ctx: &Ctx<'_>,
    planned: &mut Planned,
    files: &[RenderedMigration],
) -> anyhow::Result<String> {
    let scope = plan_scope::scope(&planned.plan, &planned.current);
    let copy = scope.copy.without_builtins();
    let creation = creation_of(&copy)?;
    crate::timing::mark("verify-scope");
    // The extensions the database has (the plan creates those strata.toml adds).
    let mut replay = Replay::start(ctx, &copy.extensions).await?;
    crate::timing::mark("verify-open");
    ctx.out.verbose(&format!(
        "verifying: {} touched, {} copied",
        super::run::plural(scope.touched.len(), "table"),
        super::run::plural(copy.tables.len(), "table"),
    ));
    let mut before = copy_into(ctx, &mut replay, &creation).await;
    // The touched tables must read back as they are: the entities are compared with
    // them. PostgreSQL does not always read its own spelling back as itself (an `IN`
    // list on a varchar column comes back otherwise from its own text); where it did
    // not, those tables are spelled as it reads them back (asked of the database that
    // has them, see `canonicalize::restorable`) and the copy is made again.
    // A copy that failed is tried once more, spelled.
    let misspelled = match &before {
        Ok(read) => misspelled(&copy, read, &scope.touched),
        Err(e) => {
            ctx.out.verbose(&format!(
                "verifying: the copy failed ({e}); trying once more with the touched tables \
                 spelled as PostgreSQL reads them back"
            ));
            scope.touched.iter().cloned().collect()
        }
    };
    if !misspelled.is_empty() {
        if let Ok(read) = &before {
            ctx.out.verbose(&format!(
                "verifying: {} read back otherwise, copied again as PostgreSQL spells {}:\n{}",
                super::run::plural(misspelled.len(), "table"),
                if misspelled.len() == 1 { "it" } else { "them" },
                listed(&differences(&copy, read), Check::Drift)
            ));
        }
        replay.finish().await?;
        let spelled = spell(planned, copy, &misspelled).await?;
        let creation = creation_of(&spelled)?;
        replay = Replay::start(ctx, &spelled.extensions).await?;
        before = copy_into(ctx, &mut replay, &creation).await;
    }
    let dir = ProofDir(std::env::temp_dir().join(format!("strata-proof-{}", std::process::id())));
    let result = match before {
        Ok(before) => {
            prove_on(
                ctx,
                planned,
                files,
                &mut replay,
                before,
                &scope.touched,
                &dir,
            )
            .await
        }
        Err(e) => Err(e),
    };
    drop(dir);
    let version = replay.scratch.server_version.clone();
    replay.finish().await?;
    result.map(|()| version)
}

/// The directory the plan's files are written to for the proof, removed when it goes:
/// also when the proof is cut short (Ctrl-C drops the command's future).
struct ProofDir(PathBuf);

impl std::ops::Deref for ProofDir {
    type Target = PathBuf;
    fn deref(&self) -> &PathBuf {
        &self.0
    }
}

impl Drop for ProofDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The statements that create `copy`, or why strata cannot.
fn creation_of(copy: &Schema) -> anyhow::Result<strata_core::plan::Plan> {
    let recreation = recreate::recreate(copy);
    if !recreation.refusals.is_empty() {
        return Err(anyhow!(
            "strata cannot copy what this plan touches to a scratch database to verify it, so \
             nothing was written:\n{}\nGenerate with --no-verify to write it unverified",
            recreation
                .refusals
                .iter()
                .map(|r| format!("  - {r}"))
                .collect::<Vec<_>>()
                .join("\n")
        ));
    }
    Ok(recreation.plan)
}

/// Creates the copy on the scratch database (see `copy`) and reads it back.
async fn copy_into(
    ctx: &Ctx<'_>,
    replay: &mut Replay,
    creation: &strata_core::plan::Plan,
) -> anyhow::Result<Schema> {
    let statements: Vec<&str> = creation
        .up_statements()
        .filter(|s| !s.starts_with("SET LOCAL check_function_bodies"))
        .collect();
    // More connections where the server gives them (a role may be limited to few).
    let mut others = Vec::new();
    for _ in 1..super::copy::CONNECTIONS {
        match replay.scratch.connect(ctx.redactor).await {
            Ok(conn) => others.push(conn),
            Err(_) => break,
        }
    }
    super::copy::run(replay.connection(), &mut others, &statements).await?;
    drop(others);
    crate::timing::mark("verify-copy");
    let read = replay.read().await?;
    crate::timing::mark("verify-read");
    Ok(read)
}

/// The touched tables of `copy` that the scratch database read back otherwise.
fn misspelled(copy: &Schema, read: &Schema, touched: &HashSet<TableKey>) -> Vec<TableKey> {
    fn tables(s: &Schema) -> HashMap<TableKey, &Table> {
        s.tables
            .iter()
            .chain(s.excluded_tables.iter().map(|x| &x.table))
            .map(|t| ((t.schema.clone(), t.name.clone()), t))
            .collect()
    }
    let read = tables(read);
    let mut found: Vec<TableKey> = tables(copy)
        .into_iter()
        .filter(|(key, t)| touched.contains(key) && read.get(key) != Some(t))
        .map(|(key, _)| key)
        .collect();
    found.sort();
    found
}

/// `copy` with the `tables` written as PostgreSQL reads them back as they are.
async fn spell(
    planned: &mut Planned,
    mut copy: Schema,
    tables: &[TableKey],
) -> anyhow::Result<Schema> {
    let (respelled, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut copy.tables)
        .into_iter()
        .partition(|t| tables.contains(&(t.schema.clone(), t.name.clone())));
    let mut spelled = Schema {
        tables: respelled,
        ..Schema::default()
    };
    canonicalize::restorable(planned.connection(), &Schema::default(), &mut spelled)
        .await
        .map_err(|e| anyhow!("cannot spell the copy for the scratch database: {e}"))?;
    copy.tables = spelled.tables;
    copy.tables.extend(rest);
    copy.sort();
    Ok(copy)
}

async fn prove_on(
    ctx: &Ctx<'_>,
    planned: &Planned,
    files: &[RenderedMigration],
    replay: &mut Replay,
    before: Schema,
    touched: &HashSet<TableKey>,
    dir: &PathBuf,
) -> anyhow::Result<()> {
    // The plan's files, as they will be written, in a directory of their own.
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for (i, f) in files.iter().enumerate() {
        write_pair(dir, i as i64 + 1, &f.name, &f.up, &f.down)?;
    }
    let migrations = load_dir(dir)?;
    let fails = |what: &str, e: &dyn std::fmt::Display| {
        anyhow!(
            "the plan does not hold up on a scratch copy of what it touches, so nothing was \
             written: {what}:\n{e}"
        )
    };

    // 2. Up.
    replay
        .up(ctx, &migrations, None)
        .await
        .map_err(|e| fails("its up file fails", &failed(&e)))?;
    crate::timing::mark("verify-up");

    // 3. "No changes" for the touched tables, on a connection of its own (as a
    // `generate` after `run` would be).
    let mut fresh = replay.scratch.connect(ctx.redactor).await?;
    let remaining = replan(ctx, planned, &mut fresh, touched).await?;
    drop(fresh);
    crate::timing::mark("verify-replan");
    if !remaining.steps.is_empty() {
        let steps: Vec<String> = remaining
            .steps
            .iter()
            .map(|s| format!("  - {}", pipeline::describe(s)))
            .collect();
        return Err(fails(
            "after its up file, the entities still differ (please report this)",
            &steps.join("\n"),
        ));
    }

    // 4. Down.
    replay
        .down(ctx, &migrations, RevertScope::Target(0))
        .await
        .map_err(|e| fails("its down file fails", &failed(&e)))?;
    crate::timing::mark("verify-down");
    let back = replay.read().await?;
    crate::timing::mark("verify-read");
    let undone = differences(&before, &back);
    if !undone.is_empty() {
        return Err(fails(
            "its down file does not restore the schema",
            &listed(&undone, Check::Down),
        ));
    }

    // 5. Up again: it runs. (Its catalog is not read again: the up file is the same
    // text on the same schema; `strata verify` compares it.)
    replay.up(ctx, &migrations, None).await.map_err(|e| {
        fails(
            "its up file fails when run again after its down file",
            &failed(&e),
        )
    })?;
    crate::timing::mark("verify-up");
    Ok(())
}

/// A failure on the scratch copy as the reviewer needs it: the file it would be, the
/// statement and line, PostgreSQL's words (see [`MigrationFailure::on_scratch`]; the
/// runner's advice about fixing and re-running a file is for files that exist).
///
/// [`MigrationFailure::on_scratch`]: strata_core::migrate::MigrationFailure::on_scratch
pub(super) fn failed(e: &MigrateError) -> String {
    let MigrateError::Failed(f) = e else {
        return e.to_string();
    };
    // The proof's files are numbered 1, 2, ...: named without their version.
    let file = f
        .file
        .file_name()
        .map(|n| {
            n.to_string_lossy()
                .trim_start_matches(|c: char| c.is_ascii_digit() || c == '_')
                .to_string()
        })
        .unwrap_or_default();
    f.on_scratch(&file)
}

fn listed(diffs: &[Difference], check: Check) -> String {
    diffs
        .iter()
        .map(|d| format!("  - {}", d.describe(check)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The plan from the scratch database's touched tables, after the up files, to the
/// entities' versions of them: empty when the up files did what the entities ask.
async fn replan(
    ctx: &Ctx<'_>,
    planned: &Planned,
    conn: &mut PgConnection,
    touched: &HashSet<TableKey>,
) -> anyhow::Result<strata_core::plan::Plan> {
    let desired_all = &planned.desired;
    // The touched tables by their names after the plan (a renamed one by its new
    // name), and the tables the plan creates.
    let mut compared: HashSet<TableKey> = HashSet::new();
    for d in &desired_all.tables {
        let in_current = |name: &str| {
            planned
                .current
                .tables
                .iter()
                .any(|t| t.schema == d.schema && t.name == name)
        };
        let current_name = if in_current(&d.name) {
            Some(d.name.clone())
        } else {
            d.renamed_from.clone().filter(|old| in_current(old))
        };
        match current_name {
            Some(name) if touched.contains(&(d.schema.clone(), name.clone())) => {
                compared.insert((d.schema.clone(), d.name.clone()));
            }
            Some(_) => {}
            None => {
                compared.insert((d.schema.clone(), d.name.clone()));
            }
        }
    }
    // The entities as lowered, canonicalized here as `generate` would against this
    // database: what "generate again" would compare.
    let mut desired = planned
        .lowered
        .clone()
        .unwrap_or_else(|| desired_all.clone());
    desired
        .tables
        .retain(|t| compared.contains(&(t.schema.clone(), t.name.clone())));
    for t in &mut desired.tables {
        t.renamed_from = None;
        for c in &mut t.columns {
            c.renamed_from = None;
        }
    }
    let managed = pipeline::managed_schemas(ctx.settings.schemas.as_deref(), desired_all);
    let mut current = introspect::introspect(&mut *conn, &managed, &ctx.settings.exclude).await?;
    if desired.declared {
        // The copy holds only the objects around what the plan touches: the declared
        // ones compared are those, and those the plan creates.
        let in_scratch = diff::declared_keys(&current);
        let in_live = diff::declared_keys(&planned.current);
        diff::retain_declared(&mut desired, |k| {
            in_scratch.contains(k) || !in_live.contains(k)
        });
    }
    // The other tables are context: planned around, never compared. The copy holds
    // stubs of some of them and nothing of the rest, so they are the database's own:
    // what the plan leaves alone is as it was, and the diff sees every user of a type
    // or key, as `generate` did.
    let key = |t: &Table| (t.schema.clone(), t.name.clone());
    current.tables.retain(|t| compared.contains(&key(t)));
    current
        .excluded_tables
        .retain(|x| touched.contains(&key(&x.table)) && !compared.contains(&key(&x.table)));
    let live = &planned.current;
    current.excluded_tables.extend(
        live.tables
            .iter()
            .filter(|t| !touched.contains(&key(t)))
            .map(|table| ExcludedTable {
                why: LeftAlone::Excluded("(context of the verification)".into()),
                table: table.clone(),
            })
            .chain(
                live.excluded_tables
                    .iter()
                    .filter(|x| !touched.contains(&key(&x.table)))
                    .cloned(),
            ),
    );
    current.sort();
    canonicalize::canonicalize_on(&mut *conn, None, &mut desired, &current)
        .await
        .map_err(|e| anyhow!("cannot canonicalize the entities on the scratch database: {e}"))?;
    Ok(diff::diff_with(
        &desired,
        &current,
        &diff::DiffOptions {
            online: planned.online,
            prune: ctx.settings.prune,
        },
    ))
}
