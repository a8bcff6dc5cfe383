//! The generative test: random entity sets, random evolutions with rows in every
//! table, and at every step the four promises, through the real binary on the real
//! server:
//!
//! 1. `generate` writes a migration (refusing a destructive one first, and only that),
//!    and `run` applies it;
//! 2. `generate` again says "No changes";
//! 3. the rows inserted before the step are still there, with the same values in every
//!    column that kept its type (under its new name after a rename);
//! 4. `revert` restores the schema exactly as introspection reads it, and `run` again
//!    reaches the same schema as the first run.
//!
//! CI runs a fixed set of seeds. A longer soak:
//!
//! ```sh
//! STRATA_SOAK_CASES=200 cargo test -p strata-cli --test generative -- --nocapture
//! STRATA_SOAK_SEED=1234 cargo test -p strata-cli --test generative   # replay one seed
//! ```
//!
//! A failure prints its seed, the step's changes, the entity source and what strata
//! wrote, so it can be replayed and made a named regression test (see
//! `cli/tests/regressions.rs`).

mod support;

#[path = "generative/evolve.rs"]
mod evolve;
#[path = "generative/model.rs"]
mod model;

use model::{quote, Model, Rng};
use std::collections::HashMap;
use strata_tests::TestDb;
use support::Project;

/// Steps per case (the first creates the entity set).
const STEPS: usize = 8;

/// The seeds CI runs: each was run through every step when it was added.
const CI_SEEDS: &[u64] = &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_evolutions_keep_the_four_promises() {
    let seeds: Vec<u64> = match (
        std::env::var("STRATA_SOAK_SEED").ok(),
        std::env::var("STRATA_SOAK_CASES").ok(),
    ) {
        (Some(seed), _) => vec![seed.parse().expect("STRATA_SOAK_SEED is a number")],
        (None, Some(cases)) => {
            let cases: u64 = cases.parse().expect("STRATA_SOAK_CASES is a number");
            let start = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            (0..cases).map(|i| start * 1000 + i).collect()
        }
        (None, None) => CI_SEEDS.to_vec(),
    };
    let mut failures = Vec::new();
    for seed in seeds {
        if let Err(report) = run_case(seed, STEPS).await {
            eprintln!("{report}");
            failures.push(seed);
        }
    }
    assert!(
        failures.is_empty(),
        "seeds that broke a promise: {failures:?} (replay one with STRATA_SOAK_SEED=<seed>)"
    );
}

/// The columns whose values a step promises to keep: per table, the (old, new) names
/// of the columns that exist on both sides with the same type.
type Promised = Vec<(String, String, Vec<(String, String)>)>;

fn promised(before: &Model, after: &Model) -> Promised {
    let mut out = Vec::new();
    for t in &after.tables {
        let Some(old) = before.table(&t.struct_name) else {
            continue;
        };
        let mut columns = vec![("id".to_string(), "id".to_string())];
        for c in &t.columns {
            if let Some(o) = old.columns.iter().find(|o| o.uid == c.uid) {
                if o.ty == c.ty {
                    columns.push((o.name.clone(), c.name.clone()));
                }
            }
        }
        out.push((old.name.clone(), t.name.clone(), columns));
    }
    out
}

/// The rows of the promised columns as one text, under the old or the new names.
fn rows_query(promised: &Promised, new_names: bool) -> String {
    let parts: Vec<String> = promised
        .iter()
        .map(|(old, new, columns)| {
            let table = if new_names { new } else { old };
            let values: Vec<String> = columns
                .iter()
                .map(|(o, n)| {
                    let c = if new_names { n } else { o };
                    format!("COALESCE({}::text, '<null>')", quote(c))
                })
                .collect();
            format!(
                "(SELECT COALESCE(string_agg(concat_ws('|', {}), ';' ORDER BY id), '') FROM {})",
                values.join(", "),
                quote(table)
            )
        })
        .collect();
    if parts.is_empty() {
        "SELECT ''".into()
    } else {
        format!("SELECT {}", parts.join(" || '#' || "))
    }
}

/// One seed: `steps` steps, each checked; the report of the first broken promise.
async fn run_case(seed: u64, steps: usize) -> Result<(), String> {
    let db = TestDb::new().await;
    let project = Project::new(&format!("generative-{seed}"), &db);
    let mut rng = Rng::new(seed);
    let mut model = evolve::initial(&mut rng);
    let mut pending = None;
    let mut history = Vec::new();
    for step in 0..steps {
        let before = if step == 0 {
            Model::default()
        } else {
            model.clone()
        };
        let changes = if step == 0 {
            evolve::Changes {
                words: vec!["create".into()],
                ..Default::default()
            }
        } else {
            evolve::evolve(&mut rng, &mut model, &mut pending)
        };
        if changes.words.is_empty() {
            continue;
        }
        let source = model.render();
        history.push(format!("step {step}: {}", changes.words.join("; ")));
        let fail = |what: String| {
            format!(
                "generative seed {seed}, step {step}: {what}\nchanges so far:\n  {}\nentities:\n{source}",
                history.join("\n  ")
            )
        };
        check_step(&project, &db, step, &before, &model, &changes, &source)
            .await
            .map_err(fail)?;
        let rows = model.insert_rows(&mut rng, 2);
        db.execute(&rows).await;
    }
    if std::env::var_os("STRATA_SOAK_VERBOSE").is_some() {
        eprintln!(
            "seed {seed} kept every promise:\n  {}",
            history.join("\n  ")
        );
    }
    Ok(())
}

async fn check_step(
    project: &Project,
    db: &TestDb,
    step: usize,
    before: &Model,
    after: &Model,
    changes: &evolve::Changes,
    source: &str,
) -> Result<(), String> {
    project.write_entities(source);
    let schema_before = project.introspect().await;
    let files_before = project.migration_files().len();
    let promised = promised(before, after);
    let rows_before = project.query_text(&rows_query(&promised, false)).await;
    let name = format!("step{step}");

    let destructive = evolve::destructive(before, after);
    if destructive {
        let refused = project.strata(&["generate", &name]);
        if refused.code != 2 || !refused.stderr.contains("--allow-destructive") {
            return Err(format!("a destructive step was not refused\n{refused}"));
        }
    }
    let mut args = vec!["generate", name.as_str()];
    if destructive {
        args.push("--allow-destructive");
    }
    let generated = project.strata(&args);
    if generated.code != 0 {
        return Err(format!("generate failed\n{generated}"));
    }
    let written = project.migration_files().len() - files_before;
    if written == 0 {
        // Nothing to do can be right (a default spelled another way): nothing to check.
        return if generated.stdout.contains("No changes") {
            Ok(())
        } else {
            Err(format!("generate wrote nothing\n{generated}"))
        };
    }
    let migrations = written / 2;
    let (up, down) = project.latest_migrations(migrations);
    let files = format!("--- up\n{up}\n--- down\n{down}");

    let ran = project.strata(&["run"]);
    if ran.code != 0 {
        let rows = dump_rows(project, before).await;
        return Err(format!("run failed\n{ran}\n{files}\nrows:\n{rows}"));
    }
    let schema_after = project.introspect().await;
    let again = project.strata(&["generate", "again"]);
    if again.code != 0 || !again.stdout.contains("No changes") {
        let sql = project.strata(&["diff", "--format", "sql"]);
        return Err(format!("no fixed point\n{again}\n{}\n{files}", sql.stdout));
    }
    let rows_after = project.query_text(&rows_query(&promised, true)).await;
    if rows_after != rows_before {
        return Err(format!(
            "rows changed\nbefore: {rows_before}\nafter:  {rows_after}\n{files}"
        ));
    }
    let reverted = project.strata(&["revert", "--steps", &migrations.to_string()]);
    if reverted.code != 0 {
        return Err(format!("revert failed\n{reverted}\n{files}"));
    }
    let schema_reverted = project.introspect().await;
    if schema_reverted != schema_before {
        return Err(format!(
            "revert did not restore the schema\n{}\n{files}",
            schema_difference(&schema_before, &schema_reverted)
        ));
    }
    let rerun = project.strata(&["run"]);
    if rerun.code != 0 {
        return Err(format!("run after revert failed\n{rerun}\n{files}"));
    }
    if project.introspect().await != schema_after {
        return Err(format!("run after revert reached another schema\n{files}"));
    }
    for sql in &changes.after {
        db.execute(sql).await;
    }
    Ok(())
}

/// Every table's rows as text, for a report.
async fn dump_rows(project: &Project, model: &Model) -> String {
    let mut out = String::new();
    for t in &model.tables {
        let sql = format!(
            "SELECT COALESCE(string_agg(r::text, E'\\n' ORDER BY r::text), '') FROM {} r",
            quote(&t.name)
        );
        out.push_str(&format!(
            "{}:\n{}\n",
            t.name,
            project.query_text(&sql).await
        ));
    }
    out
}

/// The tables that differ, as JSON, for a report.
fn schema_difference(
    expected: &strata_core::schema::Schema,
    found: &strata_core::schema::Schema,
) -> String {
    let by_name = |s: &strata_core::schema::Schema| -> HashMap<String, String> {
        let mut out: HashMap<String, String> = s
            .tables
            .iter()
            .map(|t| {
                (
                    format!("table {}", t.name),
                    serde_json::to_string_pretty(t).unwrap_or_default(),
                )
            })
            .collect();
        out.insert(
            "enums".into(),
            serde_json::to_string_pretty(&s.enums).unwrap_or_default(),
        );
        out
    };
    let (a, b) = (by_name(expected), by_name(found));
    let mut out = String::new();
    for (k, v) in &a {
        if b.get(k) != Some(v) {
            out.push_str(&format!(
                "expected {k}:\n{v}\nfound:\n{}\n",
                b.get(k).map_or("(none)", String::as_str)
            ));
        }
    }
    for k in b.keys().filter(|k| !a.contains_key(*k)) {
        out.push_str(&format!("unexpected {k}\n"));
    }
    out
}
