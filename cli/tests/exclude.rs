//! `exclude` means "don't change it", not "pretend it isn't there": excluded tables are
//! read as users of what strata manages. An enum they use is kept, an enum swap
//! converts their columns, a key their foreign keys lean on is set aside around its
//! replacement, and a plan that would drop what they need is refused, naming the way
//! out. Through the binary, with rows: generate, run, "No changes", revert exact.

mod support;

use strata_tests::TestDb;
use support::{change, check_evolution, evolve, Change, Project};

const MOODS: &str = r#"
#[derive(sqlx::Type, strata::DbEnum)]
#[sqlx(type_name = "mood", rename_all = "snake_case")]
pub enum Mood {
    Happy,
    Sad,
    Angry,
    Bored,
}

#[derive(strata::Entity)]
#[entity(table_name = "entry")]
pub struct Entry {
    #[entity(primary_key)]
    pub id: i32,
    pub mood: Mood,
}
"#;

/// An excluded table using the type every way a swap must handle: a column with a
/// default, an array column, a check and a partial index naming labels, and a foreign
/// key to a managed table.
const EXCLUDED_MOODS: &str = "
CREATE TABLE audit_mood (
    id int PRIMARY KEY,
    mood mood NOT NULL DEFAULT 'happy',
    past mood[] NOT NULL DEFAULT '{sad}',
    entry_id int REFERENCES entry (id),
    note varchar(10),
    CONSTRAINT audit_mood_not_sad CHECK (mood <> 'sad'),
    -- PostgreSQL reads this one back in another spelling when created from its own.
    CONSTRAINT audit_mood_noted CHECK (mood = 'happy' OR note IN ('a', 'b'))
);
CREATE INDEX audit_mood_happy_idx ON audit_mood (id) WHERE mood = 'happy';
INSERT INTO entry (id, mood) VALUES (1, 'happy'), (2, 'angry');
INSERT INTO audit_mood (id, mood, past, entry_id)
VALUES (1, 'happy', '{happy,angry}', 1), (2, 'angry', DEFAULT, 2)";

const AUDIT_ROWS: &str =
    "SELECT string_agg(id || ':' || mood || ':' || past::text, ',' ORDER BY id) FROM audit_mood";

fn mood_changes() -> Vec<Change> {
    vec![
        // A label no row holds goes: the excluded columns are converted too.
        Change {
            destructive: true,
            check: Some((AUDIT_ROWS, "1:happy:{happy,angry},2:angry:{sad}")),
            ..change("remove_a_label", &[("    Angry,\n    Bored,\n}", "    Angry,\n}")])
        },
        change(
            "reorder_labels",
            &[("    Happy,\n    Sad,\n    Angry,\n}", "    Sad,\n    Happy,\n    Angry,\n}")],
        ),
        // The down file of an addition re-creates the type, excluded columns included.
        change("add_a_label", &[("    Angry,\n}", "    Angry,\n    Calm,\n}")]),
        // No entity uses or declares the type any more: the excluded table still does,
        // so it stays.
        Change {
            destructive: true,
            check: Some((
                "SELECT string_agg(enumlabel::text, ',' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = 'mood'::regtype",
                "sad,happy,angry,calm",
            )),
            ..change(
                "drop_the_enum_from_the_entities",
                &[
                    ("#[derive(sqlx::Type, strata::DbEnum)]\n#[sqlx(type_name = \"mood\", rename_all = \"snake_case\")]\npub enum Mood {\n    Sad,\n    Happy,\n    Angry,\n    Calm,\n}\n", ""),
                    ("    pub mood: Mood,\n", ""),
                ],
            )
        },
    ]
}

#[tokio::test]
async fn an_enum_used_by_an_excluded_table_is_converted_with_it_and_never_dropped() {
    let db = TestDb::new().await;
    let project = Project::new("exclude-enum", &db);
    project.write("strata.toml", "exclude = [\"audit_*\"]\n");
    let mut steps = evolve(MOODS, &mood_changes());
    steps[0].seed = Some(EXCLUDED_MOODS);
    check_evolution(&project, &db, &steps, |name, text| {
        insta::assert_snapshot!(format!("exclude_enum_{name}"), text)
    })
    .await;
    // Still used by the excluded table, still there, and said so by `diff -v`.
    let diff = project.strata(&["diff", "-v"]);
    assert_eq!(diff.code, 0, "{diff}");
    assert!(diff.stdout.contains("No changes"), "{diff}");
    insta::assert_snapshot!("exclude_enum_kept_diff_v", unmanaged_lines(&diff.stderr));
    // The migrations also build a database that has no excluded table (a new
    // environment, `verify`'s scratch database): what they do to it runs where it is.
    // (Its last check may differ: with no excluded table, no table uses `mood`.)
    let verified = project.strata(&["verify"]);
    assert_ne!(verified.code, 2, "{verified}");
    assert!(
        verified.stdout.contains("Verified 5 migrations"),
        "{verified}"
    );
    let drift = project.strata(&["drift"]);
    assert_eq!(drift.code, 0, "{drift}");
}

/// The `diff -v` lines about what is unmanaged (the others name the database).
fn unmanaged_lines(stderr: &str) -> String {
    stderr
        .lines()
        .skip_while(|l| !l.starts_with("unmanaged"))
        .take_while(|l| l.starts_with("unmanaged") || l.starts_with("  "))
        .collect::<Vec<_>>()
        .join("\n")
}

const COUNTRIES: &str = r#"
#[derive(strata::Entity)]
#[entity(table_name = "country")]
pub struct Country {
    #[entity(primary_key)]
    pub id: i32,
    #[entity(length = 2, unique)]
    pub code: String,
    pub name: String,
}
"#;

/// The excluded table referencing the managed one, through each of its keys.
const EXCLUDED_CITIES: &str = "
INSERT INTO country (id, code, name) VALUES (1, 'fr', 'France'), (2, 'de', 'Germany');
CREATE TABLE city (
    id int PRIMARY KEY,
    country_code varchar(2) NOT NULL REFERENCES country (code) ON DELETE CASCADE,
    capital_of int REFERENCES country (id)
);
INSERT INTO city (id, country_code, capital_of) VALUES (10, 'fr', 1), (20, 'de', NULL)";

fn key_changes() -> Vec<Change> {
    vec![
        // Both keys the excluded foreign keys lean on are replaced: each foreign key
        // is dropped before and added back, unchanged, after.
        Change {
            check: Some((
                "SELECT string_agg(conname || ':' || pg_get_constraintdef(oid), ',' ORDER BY conname) FROM pg_constraint WHERE conrelid = 'city'::regclass AND contype = 'f'",
                "city_capital_of_fkey:FOREIGN KEY (capital_of) REFERENCES country(id),city_country_code_fkey:FOREIGN KEY (country_code) REFERENCES country(code) ON DELETE CASCADE",
            )),
            ..change(
                "promote_natural_key",
                &[(
                    "    #[entity(primary_key)]\n    pub id: i32,\n    #[entity(length = 2, unique)]\n    pub code: String,",
                    "    #[entity(unique)]\n    pub id: i32,\n    #[entity(length = 2, primary_key)]\n    pub code: String,",
                )],
            )
        },
        change(
            "unique_constraint_to_unique_index",
            &[
                ("#[entity(table_name = \"country\")]", "#[entity(table_name = \"country\", index(id, unique))]"),
                ("    #[entity(unique)]\n    pub id: i32,", "    pub id: i32,"),
            ],
        ),
        change(
            "demote_natural_key",
            &[
                ("#[entity(table_name = \"country\", index(id, unique))]", "#[entity(table_name = \"country\")]"),
                ("    pub id: i32,\n    #[entity(length = 2, primary_key)]", "    #[entity(primary_key)]\n    pub id: i32,\n    #[entity(length = 2, unique = \"country_iso_code\")]"),
            ],
        ),
        // A referenced column changes type: PostgreSQL carries the excluded foreign
        // key through it.
        change("widen_the_referenced_key", &[("    pub id: i32,", "    pub id: i64,")]),
    ]
}

#[tokio::test]
async fn keys_an_excluded_table_leans_on_are_replaced_around_it_and_never_dropped() {
    let db = TestDb::new().await;
    let project = Project::new("exclude-fk", &db);
    project.write("strata.toml", "exclude = [\"cit*\"]\n");
    let mut steps = evolve(COUNTRIES, &key_changes());
    steps[0].seed = Some(EXCLUDED_CITIES);
    check_evolution(&project, &db, &steps, |name, text| {
        insta::assert_snapshot!(format!("exclude_fk_{name}"), text)
    })
    .await;
    assert_eq!(
        project
            .query_text("SELECT string_agg(id || ':' || country_code, ',' ORDER BY id) FROM city")
            .await,
        "10:fr,20:de"
    );

    // Dropping the referenced table, or a referenced column, is refused: exit 2,
    // nothing written, the constraint and the ways out named.
    let files = project.migration_files().len();
    project.write_entities("");
    let refused = project.strata(&["generate", "drop_country", "--allow-destructive"]);
    assert_eq!(refused.code, 2, "{refused}");
    assert_eq!(project.migration_files().len(), files, "nothing written");
    insta::assert_snapshot!("exclude_fk_drop_refused", project.filter(&refused.stderr));

    project.write_entities(
        &COUNTRIES
            .replace(
                "    #[entity(length = 2, unique)]\n    pub code: String,\n",
                "",
            )
            .replace("pub id: i32", "pub id: i64"),
    );
    let refused = project.strata(&["generate", "drop_code", "--allow-destructive"]);
    assert_eq!(refused.code, 2, "{refused}");
    assert!(
        refused.stderr.contains("column country.code is dropped")
            && refused.stderr.contains("city_country_code_fkey"),
        "{refused}"
    );
    assert_eq!(project.migration_files().len(), files, "nothing written");
}

#[tokio::test]
async fn a_sequence_an_excluded_default_draws_from_is_never_dropped() {
    let db = TestDb::new().await;
    let project = Project::new("exclude-seq", &db);
    project.write("strata.toml", "exclude = [\"tmp_*\"]\n");
    project.write_entities(
        "#[derive(strata::Entity)]\n#[entity(table_name = \"counter\")]\npub struct Counter {\n    #[entity(primary_key, serial)]\n    pub id: i32,\n}\n",
    );
    let generated = project.strata(&["generate", "counter"]);
    assert_eq!(generated.code, 0, "{generated}");
    let ran = project.strata(&["run"]);
    assert_eq!(ran.code, 0, "{ran}");
    db.execute("CREATE TABLE tmp_copy (n int NOT NULL DEFAULT nextval('counter_id_seq'))")
        .await;
    let files = project.migration_files().len();
    project.write_entities("");
    let refused = project.strata(&["generate", "drop_counter", "--allow-destructive"]);
    assert_eq!(refused.code, 2, "{refused}");
    assert_eq!(project.migration_files().len(), files, "nothing written");
    insta::assert_snapshot!("exclude_sequence_refused", project.filter(&refused.stderr));
}

/// Globs of names in any managed schema and of `schema.name`; what is excluded and
/// what strata reads without managing are listed by `diff -v`.
#[tokio::test]
async fn exclude_takes_globs_and_diff_v_lists_what_is_unmanaged() {
    let db = TestDb::new().await;
    let project = Project::new("exclude-globs", &db);
    project.write(
        "strata.toml",
        "schemas = [\"public\", \"billing\", \"audit\"]\nexclude = [\"tmp_*\", \"audit.*\", \"*.audit_log\", \"legacy_kind\"]\n",
    );
    db.execute(
        "CREATE SCHEMA billing;
         CREATE SCHEMA audit;
         CREATE TYPE billing.kind AS ENUM ('a', 'b');
         CREATE TYPE legacy_kind AS ENUM ('x');
         CREATE TABLE tmp_import (id int, k billing.kind, l legacy_kind);
         CREATE TABLE billing.tmp_export (id int);
         CREATE TABLE audit.events (id int);
         CREATE TABLE billing.audit_log (id int);
         CREATE TABLE public.audit_log (id int);
         CREATE TABLE stale (id int);
         CREATE VIEW tmp_view AS SELECT id FROM tmp_import;
         CREATE VIEW billing.totals AS SELECT count(*) AS n FROM billing.audit_log;",
    )
    .await;
    // An entity declaring an excluded table is left out, with a warning.
    project.write_entities(
        "#[derive(strata::Entity)]\n#[entity(table_name = \"invoice\", schema = \"billing\")]\npub struct Invoice {\n    #[entity(primary_key)]\n    pub id: i32,\n}\n\n#[derive(strata::Entity)]\n#[entity(table_name = \"tmp_import\")]\npub struct TmpImport {\n    pub id: i64,\n}\n",
    );
    let diff = project.strata(&["diff", "-v"]);
    assert_eq!(diff.code, 0, "{diff}");
    assert!(
        diff.stderr.contains(
            "warning: an entity declares table tmp_import (\"tmp_*\"), which strata.toml's `exclude` names: strata leaves it alone"
        ),
        "{diff}"
    );
    // Only `stale` is managed and not declared: it alone is dropped; the invoice is
    // created.
    insta::assert_snapshot!("exclude_globs_diff", diff.stdout.trim_end());
    insta::assert_snapshot!("exclude_globs_diff_v", unmanaged_lines(&diff.stderr));
}

#[test]
fn a_bad_exclude_entry_is_a_config_error_naming_strata_toml_and_the_entry() {
    let p = Project::bare("exclude-bad-glob");
    for (entry, says) in [("tmp_[", "not a glob"), ("audit.", "the name is empty")] {
        p.write("strata.toml", &format!("exclude = [\"ok\", \"{entry}\"]\n"));
        let run = p.strata(&["diff"]);
        assert_eq!(run.code, 2, "{run}");
        assert!(
            run.stderr.contains("strata.toml")
                && run.stderr.contains(&format!("`exclude` entry \"{entry}\""))
                && run.stderr.contains(says),
            "{run}"
        );
    }
    p.write("strata.toml", "exclude = [\"tmp_[\"]\n");
    insta::assert_snapshot!("exclude_bad_glob", p.filter(&p.strata(&["diff"]).stderr));
}

/// A schema no entity names and strata.toml does not list, whose table uses the enum and
/// references a managed table, and whose view reads a managed column: strata does not
/// manage that schema, but PostgreSQL would refuse the plans that pretend it is empty.
const OUTSIDE_MOODS: &str = "
INSERT INTO entry (id, mood) VALUES (1, 'happy'), (2, 'angry');
CREATE SCHEMA reporting;
CREATE SEQUENCE reporting.n_seq;
CREATE TABLE reporting.mood_log (
    id int PRIMARY KEY,
    mood mood NOT NULL DEFAULT 'sad',
    entry_id int REFERENCES entry (id),
    n bigint NOT NULL DEFAULT nextval('reporting.n_seq')
);
INSERT INTO reporting.mood_log VALUES (1, 'angry', 2), (2, 'bored', NULL);
-- Around what the plans touch: a table whose default draws from that sequence too.
CREATE TABLE reporting.entry_notes (
    entry_id int REFERENCES entry (id),
    n bigint NOT NULL DEFAULT nextval('reporting.n_seq'),
    body text CHECK (body <> '')
);
CREATE VIEW reporting.entry_moods AS SELECT id, mood FROM entry WHERE mood <> 'sad'";

/// Tables and views in schemas strata does not manage are read when they lean on the
/// managed ones: an enum swap converts their columns and sets their views aside, and
/// dropping the table their foreign key references is refused, naming their schema.
#[tokio::test]
async fn what_other_schemas_hold_is_planned_around_as_excluded_tables_are() {
    let db = TestDb::new().await;
    let project = Project::new("exclude-outside", &db);
    let changes = vec![
        change(
            "reorder_labels",
            &[(
                "    Happy,\n    Sad,\n    Angry,\n",
                "    Sad,\n    Happy,\n    Angry,\n",
            )],
        ),
        change(
            "add_a_label",
            &[("    Bored,\n}", "    Bored,\n    Calm,\n}")],
        ),
    ];
    let mut steps = evolve(MOODS, &changes);
    steps[0].seed = Some(OUTSIDE_MOODS);
    check_evolution(&project, &db, &steps, |name, text| {
        insta::assert_snapshot!(format!("exclude_outside_{name}"), text)
    })
    .await;
    assert_eq!(
        project
            .query_text(
                "SELECT string_agg(id || ':' || mood, ',' ORDER BY id) FROM reporting.mood_log"
            )
            .await,
        "1:angry,2:bored"
    );
    let diff = project.strata(&["diff", "-v"]);
    assert_eq!(diff.code, 0, "{diff}");
    insta::assert_snapshot!("exclude_outside_diff_v", unmanaged_lines(&diff.stderr));

    let files = project.migration_files().len();
    project.write_entities(&MOODS.replace(
        "#[derive(strata::Entity)]\n#[entity(table_name = \"entry\")]\npub struct Entry {\n    #[entity(primary_key)]\n    pub id: i32,\n    pub mood: Mood,\n}\n",
        "",
    ));
    let refused = project.strata(&["generate", "drop_entry", "--allow-destructive"]);
    assert_eq!(refused.code, 2, "{refused}");
    assert_eq!(project.migration_files().len(), files, "nothing written");
    insta::assert_snapshot!(
        "exclude_outside_drop_refused",
        project.filter(&refused.stderr)
    );
}

/// A label the excluded table's check (or default, or index) names cannot go: restoring
/// the check after the conversion would fail, and strata does not change the table.
#[tokio::test]
async fn removing_a_label_an_excluded_table_names_is_refused_with_the_ways_out() {
    let db = TestDb::new().await;
    let project = Project::new("exclude-label-named", &db);
    project.write("strata.toml", "exclude = [\"audit_*\"]\n");
    check_evolution(&project, &db, &evolve(MOODS, &[]), |_, _| {}).await;
    db.execute(EXCLUDED_MOODS).await;
    project.write_entities(&MOODS.replace("    Sad,\n", ""));
    let refused = project.strata(&["generate", "no_sad", "--allow-destructive"]);
    assert_eq!(refused.code, 2, "{refused}");
    insta::assert_snapshot!("exclude_label_named", project.filter(&refused.stderr));
}
