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
