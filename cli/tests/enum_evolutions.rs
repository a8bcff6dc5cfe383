//! Enum types whose labels change while other objects read them: a label added and
//! used in the same migration, and a type re-created (labels removed or reordered,
//! and the down file of an added label) under indexes, checks, defaults, generated
//! columns and foreign keys that read it. For each step: generate, run, generate
//! again says "No changes", revert restores the schema exactly, run again (see
//! `support::check_evolution`), with rows in every table.

mod support;

use strata_tests::TestDb;
use support::{change, check_evolution, evolve, Change, Project};

const POSTS: &str = r#"
#[derive(sqlx::Type, strata::DbEnum)]
#[sqlx(type_name = "post_status", rename_all = "snake_case")]
pub enum PostStatus {
    Draft,
    Published,
}

#[derive(strata::Entity)]
#[entity(table_name = "post")]
pub struct Post {
    #[entity(primary_key)]
    pub id: i32,
    #[entity(default = "'draft'")]
    pub status: PostStatus,
    #[entity(default = "'{draft}'")]
    pub history: Vec<PostStatus>,
    pub legacy_state: String,
    pub note: Option<String>,
}
"#;

/// Each step adds a label and reads it in one more way, in the same migration: the
/// addition must commit first, in a migration of its own.
fn labels_used_at_once() -> Vec<Change> {
    vec![
        // In an array default.
        change(
            "label_in_an_array_default",
            &[
                ("    Published,\n}", "    Published,\n    Review,\n}"),
                ("default = \"'{draft}'\"", "default = \"'{review}'\""),
            ],
        ),
        // In a cast, in a check on a column of another type.
        change(
            "label_in_a_cast",
            &[
                ("    Review,\n}", "    Review,\n    Flagged,\n}"),
                (
                    "    pub note: Option<String>,",
                    "    #[entity(check = \"note IS NULL OR note::post_status <> 'flagged'::post_status\")]\n    pub note: Option<String>,",
                ),
            ],
        ),
        // In a check on a column of the type.
        change(
            "label_in_a_check",
            &[
                ("    Flagged,\n}", "    Flagged,\n    Spam,\n}"),
                (
                    "#[entity(table_name = \"post\")]",
                    "#[entity(table_name = \"post\", check(name = \"post_not_spam\", expr = \"status <> 'spam'\"))]",
                ),
            ],
        ),
        // In an index predicate.
        change(
            "label_in_an_index_predicate",
            &[
                ("    Spam,\n}", "    Spam,\n    Pinned,\n}"),
                (
                    "    pub id: i32,",
                    "    #[entity(index(where = \"status = 'pinned'\"))]\n    pub id: i32,",
                ),
            ],
        ),
        // In a generated expression.
        change(
            "label_in_a_generated_column",
            &[
                ("    Pinned,\n}", "    Pinned,\n    Hidden,\n}"),
                (
                    "    pub note: Option<String>,\n}",
                    "    pub note: Option<String>,\n    #[entity(generated = \"status = 'hidden'\")]\n    pub is_hidden: Option<bool>,\n}",
                ),
            ],
        ),
        // In the values converted to the type: a row holds the new label as text.
        Change {
            check: Some((
                "SELECT string_agg(legacy_state::text, ',' ORDER BY id) FROM post",
                "draft,archived",
            )),
            ..change(
                "label_in_converted_values",
                &[
                    ("    Hidden,\n}", "    Hidden,\n    Archived,\n}"),
                    ("    pub legacy_state: String,", "    pub legacy_state: PostStatus,"),
                ],
            )
        },
    ]
}

#[tokio::test]
async fn a_label_added_and_used_in_one_migration_commits_first() {
    let db = TestDb::new().await;
    let project = Project::new("enum-labels-used", &db);
    let mut steps = evolve(POSTS, &labels_used_at_once());
    steps[0].seed =
        Some("INSERT INTO post (id, legacy_state) VALUES (1, 'draft'), (2, 'archived')");
    check_evolution(&project, &db, &steps, |name, text| {
        insta::assert_snapshot!(format!("labels_used_{name}"), text)
    })
    .await;
    // Every step but the first wrote two migrations: the addition, then its use.
    let ups = project
        .migration_files()
        .into_iter()
        .filter(|f| f.ends_with(".up.sql"))
        .count();
    assert_eq!(ups, 1 + 2 * (steps.len() - 1));
}

const READERS: &str = r#"
#[derive(sqlx::Type, strata::DbEnum)]
#[sqlx(type_name = "mood", rename_all = "snake_case")]
pub enum Mood {
    Happy,
    Sad,
    Angry,
    Bored,
}

#[derive(strata::Entity)]
#[entity(table_name = "mood_meta")]
pub struct MoodMeta {
    #[entity(primary_key)]
    pub mood: Mood,
    pub label: String,
}

#[derive(strata::Entity)]
#[entity(
    table_name = "entry",
    check(name = "entry_not_angry", expr = "mood <> 'angry'"),
    index(id, name = "entry_happy_idx", where = "mood = 'happy'"),
    index(expr = "(mood = 'sad')", name = "entry_sad_idx")
)]
pub struct Entry {
    #[entity(primary_key)]
    pub id: i32,
    #[entity(default = "'happy'", foreign_key(MoodMeta, column = "mood"))]
    pub mood: Mood,
    #[entity(default = "'{sad}'")]
    pub past: Vec<Mood>,
    #[entity(generated = "mood = 'sad'", index)]
    pub is_sad: Option<bool>,
    #[entity(generated = "CASE WHEN id > 100 THEN 'sad'::mood END")]
    pub late_mood: Option<Mood>,
}
"#;

const READERS_SEED: &str = "INSERT INTO mood_meta (mood, label) VALUES ('happy', ':)'), ('sad', ':('), ('angry', '>:(');
INSERT INTO entry (id, mood, past) VALUES (1, 'happy', '{sad,happy}'), (2, 'sad', DEFAULT), (200, 'happy', '{}')";

/// The type is re-created under every kind of reader, which must be set aside and
/// restored in both files.
fn recreations() -> Vec<Change> {
    vec![
        // A label no row holds goes: destructive, the readers come back.
        Change {
            destructive: true,
            check: Some((
                "SELECT string_agg(id || ':' || mood || ':' || is_sad || ':' || past::text, ',' ORDER BY id) FROM entry",
                "1:happy:false:{sad,happy},2:sad:true:{sad},200:happy:false:{}",
            )),
            ..change("remove_a_label", &[("    Angry,\n    Bored,\n}", "    Angry,\n}")])
        },
        // The labels move: nothing is lost.
        change(
            "reorder_labels",
            &[("    Happy,\n    Sad,\n    Angry,\n}", "    Sad,\n    Happy,\n    Angry,\n}")],
        ),
        // A label is added at the end: the down file re-creates the type without it,
        // under the same readers.
        change(
            "add_a_label",
            &[("    Angry,\n}", "    Angry,\n    Calm,\n}")],
        ),
        // A label goes while the default moves off it: the default is set once its
        // label exists, in both files.
        Change {
            destructive: true,
            ..change(
                "remove_the_default_label",
                &[
                    ("    Sad,\n    Happy,\n", "    Sad,\n"),
                    ("default = \"'happy'\"", "default = \"'calm'\""),
                    ("check(name = \"entry_not_angry\", expr = \"mood <> 'angry'\"),\n    index(id, name = \"entry_happy_idx\", where = \"mood = 'happy'\"),", "check(name = \"entry_not_angry\", expr = \"mood <> 'angry'\"),"),
                ],
            )
        },
        // Labels reordered and one added, the default set to the new one: it exists
        // only once the type is re-created.
        change(
            "reorder_and_default_to_a_new_label",
            &[
                ("    Sad,\n    Angry,\n    Calm,\n}", "    Joyful,\n    Calm,\n    Sad,\n    Angry,\n}"),
                ("default = \"'calm'\"", "default = \"'joyful'\""),
            ],
        ),
    ]
}

#[tokio::test]
async fn re_creating_an_enum_sets_aside_and_restores_what_reads_it() {
    let db = TestDb::new().await;
    let project = Project::new("enum-recreations", &db);
    let mut steps = evolve(READERS, &recreations());
    steps[0].seed = Some(READERS_SEED);
    // Rows that held the label about to go are moved off it first.
    steps[3].seed = Some(
        "INSERT INTO mood_meta (mood, label) VALUES ('calm', '-_-');
         UPDATE entry SET mood = 'sad' WHERE mood = 'happy';
         UPDATE entry SET past = '{}';
         DELETE FROM mood_meta WHERE mood = 'happy'",
    );
    check_evolution(&project, &db, &steps, |name, text| {
        insta::assert_snapshot!(format!("recreations_{name}"), text)
    })
    .await;
}

const ALONGSIDE: &str = r#"
#[derive(sqlx::Type, strata::DbEnum)]
#[sqlx(type_name = "level", rename_all = "snake_case")]
pub enum Level {
    Low,
    Mid,
    High,
}

#[derive(strata::Entity)]
#[entity(table_name = "task", check(name = "task_not_high", expr = "level <> 'high'"))]
pub struct Task {
    #[entity(primary_key)]
    pub id: i32,
    #[entity(default = "'low'")]
    pub level: Level,
    #[entity(default = "'mid'")]
    pub was: Level,
    pub target: String,
    pub gone: Option<Level>,
}

#[derive(strata::Entity)]
#[entity(table_name = "old_task")]
pub struct OldTask {
    #[entity(primary_key)]
    pub id: i32,
    #[entity(default = "'high'")]
    pub level: Level,
}
"#;

/// A re-creation beside every other change a column or table of the type can go
/// through in the same migration.
fn recreation_alongside() -> Vec<Change> {
    vec![Change {
        destructive: true,
        check: Some((
            "SELECT string_agg(id || ':' || grade || ':' || was || ':' || target, ',' ORDER BY id) FROM job",
            "1:low:mid:top,2:mid:low:low",
        )),
        ..change(
            "recreate_beside_everything",
            &[
                // Labels reordered and one added: a re-creation.
                ("    Low,\n    Mid,\n    High,\n}", "    Top,\n    High,\n    Mid,\n    Low,\n}"),
                // The table and a column of the type renamed; the changed check uses a
                // new label.
                (
                    "#[entity(table_name = \"task\", check(name = \"task_not_high\", expr = \"level <> 'high'\"))]",
                    "#[entity(table_name = \"job\", renamed_from = \"task\", check(name = \"task_not_high\", expr = \"grade <> 'top'\"))]",
                ),
                ("    #[entity(default = \"'low'\")]\n    pub level: Level,", "    #[entity(default = \"'low'\", renamed_from = \"level\")]\n    pub grade: Level,"),
                // A column of the type becomes text; a text column becomes the type and
                // takes a new label as its default.
                ("    #[entity(default = \"'mid'\")]\n    pub was: Level,", "    #[entity(default = \"'mid'\")]\n    pub was: String,"),
                ("    pub target: String,", "    #[entity(default = \"'top'\")]\n    pub target: Level,"),
                // A column and a table of the type go.
                ("    pub gone: Option<Level>,\n", ""),
                (
                    "#[derive(strata::Entity)]\n#[entity(table_name = \"old_task\")]\npub struct OldTask {\n    #[entity(primary_key)]\n    pub id: i32,\n    #[entity(default = \"'high'\")]\n    pub level: Level,\n}\n",
                    "",
                ),
            ],
        )
    }]
}

#[tokio::test]
async fn a_re_creation_beside_renames_retypes_and_drops_of_its_columns() {
    let db = TestDb::new().await;
    let project = Project::new("enum-recreation-alongside", &db);
    let mut steps = evolve(ALONGSIDE, &recreation_alongside());
    steps[0].seed = Some(
        "INSERT INTO task (id, level, was, target, gone) VALUES (1, 'low', 'mid', 'top', 'high'), (2, 'mid', 'low', 'low', NULL);
         INSERT INTO old_task (id) VALUES (1)",
    );
    check_evolution(&project, &db, &steps, |name, text| {
        insta::assert_snapshot!(format!("alongside_{name}"), text)
    })
    .await;
}

/// Views built by hand on the entities' tables: one compares the enum column with a
/// label, one reads that view, with a comment and a grant.
const VIEWS: &str = "DO $$ BEGIN CREATE ROLE strata_test_reader; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
CREATE VIEW happy_entry AS SELECT id, mood, mood = 'happy' AS is_happy FROM entry WHERE mood <> 'angry';
CREATE VIEW happy_count WITH (security_barrier = true) AS SELECT count(*) AS n FROM happy_entry WHERE is_happy;
COMMENT ON VIEW happy_count IS 'how many are happy';
COMMENT ON COLUMN happy_count.n IS 'the count';
GRANT SELECT ON happy_count TO strata_test_reader";

#[tokio::test]
async fn views_reading_a_re_created_enum_are_set_aside_and_created_again() {
    let db = TestDb::new().await;
    let project = Project::new("enum-recreation-views", &db);
    let mut steps = evolve(READERS, &recreations()[..3]);
    steps[0].seed = Some(leak_seed(&format!("{READERS_SEED};\n{VIEWS}")));
    check_evolution(&project, &db, &steps, |name, text| {
        insta::assert_snapshot!(format!("views_{name}"), text)
    })
    .await;
    assert_eq!(
        project
            .query_text("SELECT string_agg(n::text, ',') FROM happy_count")
            .await,
        "2"
    );
}

#[tokio::test]
async fn a_view_on_a_table_renamed_in_the_same_migration_is_refused_with_the_way_out() {
    let db = TestDb::new().await;
    let project = Project::new("enum-recreation-view-renamed", &db);
    let steps = evolve(READERS, &[]);
    check_evolution(&project, &db, &steps, |_, _| {}).await;
    db.execute(&format!("{READERS_SEED};\n{VIEWS}")).await;
    project.write_entities(
        &READERS
            .replace("    Angry,\n    Bored,\n}", "    Angry,\n}")
            .replace(
                "#[entity(\n    table_name = \"entry\",",
                "#[entity(\n    table_name = \"journal\",\n    renamed_from = \"entry\",",
            ),
    );
    let refused = project.strata(&["generate", "rename_and_recreate", "--allow-destructive"]);
    assert_eq!(refused.code, 2, "{refused}");
    insta::assert_snapshot!("views_refused", project.filter(&refused.stderr));
    assert_eq!(project.migration_files().len(), 2, "nothing written");
}

fn leak_seed(s: &str) -> &'static str {
    support::leak(s)
}

/// A dropped NOT NULL enum column without a default comes back in the down file with
/// the type's first label in every row (found by the generative test: the down file
/// used to raise, knowing no zero value of an enum).
#[tokio::test]
async fn a_dropped_enum_column_comes_back_with_the_first_label() {
    let db = TestDb::new().await;
    let project = Project::new("enum-zero-value", &db);
    let source = r#"
#[derive(sqlx::Type, strata::DbEnum)]
#[sqlx(type_name = "tier", rename_all = "snake_case")]
pub enum Tier {
    Gold,
    Silver,
}

#[derive(strata::Entity)]
#[entity(table_name = "member")]
pub struct Member {
    #[entity(primary_key)]
    pub id: i32,
    pub tier: Tier,
}
"#;
    let mut steps = evolve(
        source,
        &[Change {
            destructive: true,
            ..change("drop_tier", &[("    pub tier: Tier,\n", "")])
        }],
    );
    steps[0].seed = Some("INSERT INTO member VALUES (1, 'silver'), (2, 'gold')");
    check_evolution(&project, &db, &steps, |name, text| {
        insta::assert_snapshot!(format!("enum_zero_{name}"), text)
    })
    .await;
}

const TIERS: &str = r#"
#[derive(sqlx::Type, strata::DbEnum)]
#[sqlx(type_name = "tier", rename_all = "snake_case")]
pub enum Tier {
    Free,
    Pro,
}

#[derive(strata::Entity)]
#[entity(table_name = "org")]
pub struct Org {
    #[entity(primary_key)]
    pub id: i32,
    pub tier: Tier,
}
"#;

/// Functions made by hand whose arguments or result are of the type.
const TIER_FUNCTIONS: &str = "INSERT INTO org VALUES (1, 'pro'), (2, 'free');
CREATE FUNCTION seat_price(t tier, seats integer DEFAULT 1) RETURNS integer LANGUAGE sql AS $$ SELECT CASE t WHEN 'pro' THEN 10 * seats ELSE 0 END $$;
COMMENT ON FUNCTION seat_price(tier, integer) IS 'per month';
CREATE FUNCTION tiers_in_use() RETURNS SETOF tier LANGUAGE sql STABLE AS $$ SELECT DISTINCT tier FROM org $$";

/// A function taking or returning the type holds the old one when it is renamed, so
/// it could not be dropped: the functions are set aside and created again around the
/// re-creation, in the up file (labels reordered) and the down file (a label added).
#[tokio::test]
async fn functions_of_a_re_created_enum_are_set_aside_and_created_again() {
    let db = TestDb::new().await;
    let project = Project::new("enum-functions", &db);
    let price = Some((
        "SELECT seat_price('pro', 2) || ',' || obj_description('seat_price(tier, integer)'::regprocedure)",
        "20,per month",
    ));
    let mut steps = evolve(
        TIERS,
        &[
            Change {
                check: price,
                ..change("add_team", &[("    Pro,\n}", "    Pro,\n    Team,\n}")])
            },
            Change {
                check: price,
                ..change(
                    "reorder",
                    &[("    Free,\n    Pro,\n", "    Pro,\n    Free,\n")],
                )
            },
        ],
    );
    steps[0].seed = Some(TIER_FUNCTIONS);
    check_evolution(&project, &db, &steps, |_, _| {}).await;
    let (up, _) = project.latest_migrations(1);
    assert!(up.contains("DROP FUNCTION seat_price("), "{up}");
}

/// Rows holding a label that a file removes (the down file of an added label) stop it
/// with what to do, not PostgreSQL's "invalid input value for enum"; once they are
/// changed, it runs.
#[tokio::test]
async fn rows_holding_a_label_that_goes_stop_the_file_with_what_to_do() {
    let db = TestDb::new().await;
    let project = Project::new("enum-label-in-rows", &db);
    project.write_entities(TIERS);
    for step in [&["generate", "create"][..], &["run"]] {
        let out = project.strata(step);
        assert_eq!(out.code, 0, "{out}");
    }
    project.write_entities(&TIERS.replace("    Pro,\n}", "    Pro,\n    Team,\n}"));
    for step in [&["generate", "add_team"][..], &["run"]] {
        let out = project.strata(step);
        assert_eq!(out.code, 0, "{out}");
    }
    db.execute("INSERT INTO org VALUES (1, 'team')").await;
    let refused = project.strata(&["revert"]);
    assert_eq!(refused.code, 2, "{refused}");
    assert!(
        refused
            .stderr
            .contains("cannot remove label 'team' from enum tier: rows of org hold it in tier"),
        "{refused}"
    );
    db.execute("UPDATE org SET tier = 'pro'").await;
    let reverted = project.strata(&["revert"]);
    assert_eq!(reverted.code, 0, "{reverted}");
}
