//! `serial` on a column whose default already draws from a sequence no column owns (a
//! database made by hand, or by a tool that never said `OWNED BY`): strata adopts that
//! sequence rather than create a second one under a name that is taken.

mod support;

use strata_tests::TestDb;
use support::Project;

const BY_HAND: &str = "CREATE SEQUENCE film_film_id_seq;
CREATE TABLE film (film_id integer DEFAULT nextval('film_film_id_seq'::regclass) NOT NULL PRIMARY KEY, title text NOT NULL);
CREATE SCHEMA billing;
CREATE SEQUENCE billing.counter START 100;
CREATE TABLE billing.invoice (id bigint DEFAULT nextval('billing.counter'::regclass) NOT NULL PRIMARY KEY);
INSERT INTO film (title) VALUES ('Academy Dinosaur'), ('Ace Goldfinger');
INSERT INTO billing.invoice DEFAULT VALUES";

const ENTITIES: &str = r#"
#[derive(strata::Entity)]
#[entity(table_name = "film")]
pub struct Film {
    #[entity(primary_key, serial)]
    pub film_id: i32,
    pub title: String,
}

#[derive(strata::Entity)]
#[entity(table_name = "invoice", schema = "billing")]
pub struct Invoice {
    #[entity(primary_key, serial)]
    pub id: i64,
}
"#;

#[tokio::test]
async fn serial_adopts_the_sequence_its_default_already_uses() {
    let db = TestDb::new().await;
    db.execute(BY_HAND).await;
    let project = Project::new("sequence-adoption", &db);
    project.write_entities(ENTITIES);
    let before = project.introspect().await;

    let generated = project.strata(&["generate", "adopt"]);
    assert_eq!(generated.code, 0, "{generated}");
    let (up, down) = project.latest_migrations(1);
    insta::assert_snapshot!("adopt_up", up);
    insta::assert_snapshot!("adopt_down", down);

    let ran = project.strata(&["run"]);
    assert_eq!(ran.code, 0, "{ran}");
    let again = project.strata(&["generate", "again"]);
    assert!(again.stdout.contains("No changes"), "{again}");
    assert_eq!(
        project
            .query_text("SELECT pg_get_serial_sequence('film', 'film_id') || ',' || pg_get_serial_sequence('billing.invoice', 'id')")
            .await,
        "public.film_film_id_seq,billing.counter"
    );
    // The values go on from where they were.
    db.execute("INSERT INTO film (title) VALUES ('Adaptation Holes')")
        .await;
    assert_eq!(
        project
            .query_text("SELECT max(film_id)::text FROM film")
            .await,
        "3"
    );

    let reverted = project.strata(&["revert"]);
    assert_eq!(reverted.code, 0, "{reverted}");
    assert_eq!(
        project.introspect().await,
        before,
        "revert restores the schema exactly"
    );
}

/// A sequence two tables draw from (one counter for invoices and credit notes) cannot
/// become one column's own: `serial` there is refused, with what to declare instead.
#[tokio::test]
async fn serial_on_a_sequence_another_column_draws_from_is_refused() {
    let db = TestDb::new().await;
    db.execute(
        "CREATE SEQUENCE document_number_seq;
CREATE TABLE invoices (id integer PRIMARY KEY, number integer DEFAULT nextval('document_number_seq'::regclass) NOT NULL);
CREATE TABLE credit_notes (id integer PRIMARY KEY, number integer DEFAULT nextval('document_number_seq'::regclass) NOT NULL);",
    )
    .await;
    let project = Project::new("shared-sequence", &db);
    project.write_entities(
        r#"
#[derive(strata::Entity)]
#[entity(table_name = "invoices")]
pub struct Invoice {
    #[entity(primary_key)]
    pub id: i32,
    #[entity(serial)]
    pub number: i32,
}

#[derive(strata::Entity)]
#[entity(table_name = "credit_notes")]
pub struct CreditNote {
    #[entity(primary_key)]
    pub id: i32,
    #[entity(default = "nextval('document_number_seq'::regclass)")]
    pub number: i32,
}
"#,
    );
    let refused = project.strata(&["generate", "adopt"]);
    assert_eq!(refused.code, 2, "{refused}");
    insta::assert_snapshot!("shared_sequence_refused", project.filter(&refused.stderr));
    assert!(project.migration_files().is_empty(), "nothing written");
}
