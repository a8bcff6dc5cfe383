//! Views, triggers, rules and policies strata does not manage, over the entities' tables: a
//! change PostgreSQL refuses while one reads what it changes ("cannot alter type of a
//! column used by a view or rule", "... in a trigger definition", "... in a policy
//! definition") sets them aside for the migration and creates them again after it, in
//! both files; a change it cannot make around them (dropping what a view reads) is
//! refused with the view's name and the way out. For each step: generate, run,
//! generate again says "No changes", revert restores the schema exactly, run again
//! (see `support::check_evolution`), with rows in the tables.

mod support;

use strata_tests::TestDb;
use support::{change, check_evolution, evolve, Change, Project};

const ACCOUNTS: &str = r#"
#[derive(sqlx::Type, strata::DbEnum)]
#[sqlx(type_name = "plan", rename_all = "snake_case")]
pub enum Plan {
    Free,
    Pro,
}

#[derive(strata::Entity)]
#[entity(table_name = "account")]
pub struct Account {
    #[entity(primary_key)]
    pub id: i32,
    #[entity(length = 50)]
    pub email: String,
    pub name: String,
    pub score: i32,
    #[entity(default = "'free'")]
    pub plan: Plan,
    pub bio: Option<String>,
}
"#;

/// Built by hand after the first step: a view over the table, a view on that view with
/// options, a comment and a grant, and a materialized view; one of them compares the
/// enum column with a label.
const VIEWS: &str = "DO $$ BEGIN CREATE ROLE strata_test_reader; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
INSERT INTO account (id, email, name, score, plan) VALUES (1, 'a@example.com', 'Ann', 10, 'pro'), (2, 'b@example.com', 'Bob', 7, 'free');
CREATE VIEW account_emails AS SELECT id, email, upper(name) AS shout, plan = 'pro' AS paying FROM account;
CREATE VIEW account_domains WITH (security_barrier = true) AS SELECT id, split_part(email, '@', 2) AS domain FROM account_emails WHERE paying;
COMMENT ON VIEW account_domains IS 'where paying accounts live';
COMMENT ON COLUMN account_domains.domain IS 'after the @';
GRANT SELECT ON account_domains TO strata_test_reader;
ALTER VIEW account_emails OWNER TO strata_test_reader;
GRANT SELECT ON account TO strata_test_reader;
CREATE MATERIALIZED VIEW account_scores AS SELECT id, score * 2 AS doubled FROM account;
COMMENT ON MATERIALIZED VIEW account_scores IS 'cached';
CREATE FUNCTION account_touched() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER email_changed AFTER UPDATE OF email ON account FOR EACH ROW WHEN (OLD.email IS DISTINCT FROM NEW.email) EXECUTE FUNCTION account_touched();
CREATE TRIGGER plan_changed BEFORE UPDATE ON account FOR EACH ROW WHEN (OLD.plan <> NEW.plan) EXECUTE FUNCTION account_touched();
ALTER TABLE account DISABLE TRIGGER plan_changed;
COMMENT ON TRIGGER email_changed ON account IS 'audit';
ALTER TABLE account ENABLE ROW LEVEL SECURITY;
CREATE POLICY positive_scores ON account FOR SELECT USING (score >= 0);
COMMENT ON POLICY positive_scores ON account IS 'no negative scores';
CREATE RULE no_negative_scores AS ON UPDATE TO account WHERE NEW.score < 0 DO INSTEAD NOTHING;
COMMENT ON RULE no_negative_scores ON account IS 'ignored'";

fn changes() -> Vec<Change> {
    vec![
        // A longer e-mail and a wider score, under the three views.
        Change {
            check: Some((
                "SELECT string_agg(id || ':' || domain, ',' ORDER BY id) FROM account_domains",
                "1:example.com",
            )),
            ..change(
                "widen",
                &[
                    ("#[entity(length = 50)]", "#[entity(length = 200)]"),
                    ("pub score: i32,", "pub score: i64,"),
                ],
            )
        },
        // A label added: its down file re-creates the type, which a view compares.
        change("add_label", &[("    Pro,\n}", "    Pro,\n    Team,\n}")]),
        // A column no view reads goes, and one is added beside the views.
        Change {
            destructive: true,
            ..change(
                "unread_column",
                &[(
                    "    pub bio: Option<String>,\n",
                    "    pub joined: Option<chrono::NaiveDate>,\n",
                )],
            )
        },
        // A label added and made the default while a column the views read widens: the
        // label commits in a file of its own; each file sets the views aside itself, so
        // none is missing between the files (see `support::check_evolution`).
        change(
            "label_default_and_wider",
            &[
                ("    Team,\n}", "    Team,\n    Enterprise,\n}"),
                ("default = \"'free'\"", "default = \"'enterprise'\""),
                ("#[entity(length = 200)]", "#[entity(length = 250)]"),
            ],
        ),
    ]
}

#[tokio::test]
async fn views_triggers_rules_and_policies_reading_a_changed_column_are_set_aside_and_created_again(
) {
    let db = TestDb::new().await;
    let project = Project::new("views-around-changes", &db);
    let mut steps = evolve(ACCOUNTS, &changes());
    steps[0].seed = Some(VIEWS);
    check_evolution(&project, &db, &steps, |name, text| {
        insta::assert_snapshot!(name, text)
    })
    .await;
    assert_eq!(
        project
            .query_text(
                "SELECT string_agg(id || ':' || doubled, ',' ORDER BY id) FROM account_scores"
            )
            .await,
        "1:20,2:14"
    );
}

#[tokio::test]
async fn dropping_what_a_view_reads_is_refused_with_the_view_and_the_way_out() {
    let db = TestDb::new().await;
    let project = Project::new("views-block-drops", &db);
    check_evolution(&project, &db, &evolve(ACCOUNTS, &[]), |_, _| {}).await;
    db.execute(VIEWS).await;
    project.write_entities(&ACCOUNTS.replace("    pub name: String,\n", ""));
    let refused = project.strata(&["generate", "drop_name", "--allow-destructive"]);
    assert_eq!(refused.code, 2, "{refused}");
    insta::assert_snapshot!("refused_drop_column", project.filter(&refused.stderr));
    assert_eq!(project.migration_files().len(), 2, "nothing written");

    // A column renamed while a view that reads it is set aside: the view's text names
    // the old column, so it could not be created again.
    project.write_entities(
        &ACCOUNTS
            .replace(
                "#[entity(length = 50)]",
                "#[entity(length = 80, renamed_from = \"email\")]",
            )
            .replace("pub email: String", "pub address: String"),
    );
    let refused = project.strata(&["generate", "rename_and_widen"]);
    assert_eq!(refused.code, 2, "{refused}");
    insta::assert_snapshot!("refused_rename", project.filter(&refused.stderr));
    assert_eq!(project.migration_files().len(), 2, "nothing written");
}

const SEATS: &str = r#"
#[derive(strata::Entity)]
#[entity(table_name = "org")]
pub struct Org {
    #[entity(primary_key)]
    pub id: i32,
    pub seats: i32,
}
"#;

/// Functions with SQL-standard bodies, made by hand: PostgreSQL parsed them when they
/// were created and refuses to change the type of a column they read.
const SEAT_FUNCTIONS: &str = "INSERT INTO org VALUES (1, 3), (2, 4);
CREATE FUNCTION total_seats() RETURNS bigint LANGUAGE sql STABLE BEGIN ATOMIC SELECT sum(seats) FROM org; END;
CREATE FUNCTION seats_of(org_id integer) RETURNS integer LANGUAGE sql RETURN (SELECT seats FROM org WHERE id = org_id);
COMMENT ON FUNCTION total_seats() IS 'all seats';
CREATE VIEW seat_report AS SELECT id, seats_of(id) AS seats FROM org";

/// They are set aside around the type change like views, and come back before the
/// views that call them.
#[tokio::test]
async fn functions_reading_a_changed_column_are_set_aside_and_created_again() {
    let db = TestDb::new().await;
    let project = Project::new("functions-around-changes", &db);
    let mut steps = evolve(
        SEATS,
        &[Change {
            check: Some((
                "SELECT total_seats() || ',' || (SELECT string_agg(seats::text, ',' ORDER BY id) FROM seat_report) || ',' || obj_description('total_seats()'::regprocedure)",
                "7,3,4,all seats",
            )),
            ..change("wider_seats", &[("pub seats: i32", "pub seats: i64")])
        }],
    );
    steps[0].seed = Some(SEAT_FUNCTIONS);
    check_evolution(&project, &db, &steps, |name, text| {
        insta::assert_snapshot!(format!("functions_{name}"), text)
    })
    .await;
}

const NAMES: &str = r#"
#[derive(strata::Entity)]
#[entity(table_name = "person")]
pub struct Person {
    #[entity(primary_key)]
    pub id: i32,
    pub name: String,
    #[entity(generated = "upper(name)")]
    pub shout: Option<String>,
}
"#;

const NAME_READERS: &str = "INSERT INTO person (id, name) VALUES (1, 'ann'), (2, 'Bob');
CREATE VIEW person_names AS SELECT id, name, shout FROM person;
CREATE FUNCTION name_of(person_id integer) RETURNS text LANGUAGE sql RETURN (SELECT name FROM person WHERE id = person_id)";

/// A collation change is an `ALTER COLUMN ... TYPE`: what reads the column (a view, a
/// generated column, an SQL-standard function) is set aside as for a type change.
#[tokio::test]
async fn a_collation_change_sets_aside_what_reads_the_column() {
    let db = TestDb::new().await;
    let project = Project::new("collation-around-readers", &db);
    let mut steps = evolve(
        NAMES,
        &[Change {
            check: Some((
                "SELECT string_agg(shout || ':' || name_of(id), ',' ORDER BY name) FROM person_names",
                "BOB:Bob,ANN:ann",
            )),
            ..change(
                "c_collation",
                &[("    pub name: String,", "    #[entity(collation = \"C\")]\n    pub name: String,")],
            )
        }],
    );
    steps[0].seed = Some(NAME_READERS);
    check_evolution(&project, &db, &steps, |_, _| {}).await;
}
