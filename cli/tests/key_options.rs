//! What keys and columns carry beside their columns: collations (of columns and of
//! index keys), each index key's order and operator class, `NULLS NOT DISTINCT` and
//! `DEFERRABLE` keys. Each is read back, so a difference is a migration (and its down
//! file restores the catalog exactly: `support::check_evolution`), and PostgreSQL's
//! defaults written out by hand are no difference at all.

mod support;

use strata_tests::TestDb;
use support::{change, check_evolution, evolve, Change, Project};

const BOOKINGS: &str = r#"
#[derive(strata::Entity)]
#[entity(table_name = "booking", index(room, guest))]
pub struct Booking {
    #[entity(primary_key)]
    pub id: i32,
    pub room: String,
    pub guest: Option<String>,
    #[entity(unique)]
    pub code: Option<String>,
}

#[derive(strata::Entity)]
#[entity(table_name = "stay")]
pub struct Stay {
    #[entity(primary_key)]
    pub id: i32,
    #[entity(foreign_key(Booking, column = "code"))]
    pub booking_code: Option<String>,
}

#[derive(strata::Entity)]
#[entity(table_name = "seat", unique(row_no, seat_no))]
pub struct Seat {
    #[entity(primary_key)]
    pub id: i32,
    pub row_no: i32,
    pub seat_no: i32,
}
"#;

const SEED: &str = "INSERT INTO booking (id, room, guest, code) VALUES
    (1, 'b', 'Zoë', 'X1'), (2, 'B', NULL, NULL), (3, 'a', 'ada', 'X2');
INSERT INTO stay (id, booking_code) VALUES (10, 'X1'), (11, NULL);
INSERT INTO seat (id, row_no, seat_no) VALUES (1, 1, 1), (2, 1, 2)";

fn changes() -> Vec<Change> {
    vec![
        // A column's collation: `ALTER COLUMN ... TYPE text COLLATE "C"`, rows kept.
        Change {
            check: Some((
                "SELECT string_agg(room, ',' ORDER BY room) FROM booking",
                "B,a,b",
            )),
            ..change(
                "room_collation",
                &[("    pub room: String,", "    #[entity(collation = \"C\")]\n    pub room: String,")],
            )
        },
        // An index key's collation, order and operator class: the index is built
        // again, up and down.
        change(
            "index_key_options",
            &[(
                "index(room, guest)",
                "index(key(room, collation = \"POSIX\", order = \"desc\"), key(guest, opclass = \"text_pattern_ops\", order = \"nulls first\"))",
            )],
        ),
        // NULLS NOT DISTINCT on the unique constraint a foreign key leans on: the
        // constraint is added again, the foreign key dropped and added around it.
        Change {
            check: Some((
                "SELECT string_agg(id || ':' || coalesce(booking_code, '-'), ',' ORDER BY id) FROM stay",
                "10:X1,11:-",
            )),
            ..change(
                "unique_nulls_not_distinct",
                &[(
                    "    #[entity(unique)]\n    pub code: Option<String>,",
                    "    #[entity(unique(nulls_not_distinct))]\n    pub code: Option<String>,",
                )],
            )
        },
        // A unique index that treats NULLs as equal.
        change(
            "unique_index_nulls_not_distinct",
            &[(
                "#[entity(table_name = \"seat\", unique(row_no, seat_no))]",
                "#[entity(table_name = \"seat\", unique(row_no, seat_no), index(seat_no, row_no, unique, nulls_not_distinct))]",
            )],
        ),
        // Deferrable keys: PostgreSQL alters only foreign keys' deferrability, so a
        // key is dropped and added again.
        change(
            "deferrable_unique",
            &[("unique(row_no, seat_no)", "unique(row_no, seat_no, deferrable)")],
        ),
        change(
            "initially_deferred_unique_and_deferrable_primary_key",
            &[
                (
                    "unique(row_no, seat_no, deferrable)",
                    "unique(row_no, seat_no, initially_deferred), primary_key(id, deferrable)",
                ),
                (
                    "pub struct Seat {\n    #[entity(primary_key)]\n    pub id: i32,",
                    "pub struct Seat {\n    pub id: i32,",
                ),
            ],
        ),
        // Back to PostgreSQL's defaults everywhere.
        change(
            "all_defaults_again",
            &[
                ("    #[entity(collation = \"C\")]\n    pub room: String,", "    pub room: String,"),
                (
                    "index(key(room, collation = \"POSIX\", order = \"desc\"), key(guest, opclass = \"text_pattern_ops\", order = \"nulls first\"))",
                    "index(room, guest)",
                ),
                ("unique(nulls_not_distinct)", "unique"),
                (
                    "unique(row_no, seat_no, initially_deferred), primary_key(id, deferrable), index(seat_no, row_no, unique, nulls_not_distinct)",
                    "unique(row_no, seat_no), primary_key(id)",
                ),
            ],
        ),
        // Exclusion constraints: a new table with one (its default name), then one
        // added to a table with rows, then a changed definition and deferrability.
        Change {
            seed: Some(
                "INSERT INTO reservation (id, room_no, during, cancelled) VALUES
                 (1, 7, '[2026-01-01,2026-01-05)', false), (2, 7, '[2026-01-03,2026-01-04)', true)",
            ),
            ..change(
                "exclusion_with_new_table",
                &[(
                    "#[derive(strata::Entity)]\n#[entity(table_name = \"seat\"",
                    "#[derive(strata::Entity)]\n#[entity(table_name = \"reservation\", exclude(elements = \"room_no WITH =, during WITH &&\", where = \"NOT cancelled\"))]\npub struct Reservation {\n    #[entity(primary_key)]\n    pub id: i32,\n    pub room_no: i32,\n    #[entity(sql_type = \"tsrange\")]\n    pub during: String,\n    pub cancelled: bool,\n}\n\n#[derive(strata::Entity)]\n#[entity(table_name = \"seat\"",
                )],
            )
        },
        change(
            "exclusion_deferrable_with_include",
            &[(
                "where = \"NOT cancelled\"))]",
                "where = \"NOT cancelled\", include(id), deferrable))]",
            )],
        ),
        change(
            "exclusion_named_and_added",
            &[
                (
                    "exclude(elements = \"room_no WITH =, during WITH &&\", where = \"NOT cancelled\", include(id), deferrable)",
                    "exclude(elements = \"room_no WITH =, during WITH &&\", where = \"(NOT cancelled)\", include(id), deferrable), exclude(name = \"one_stay_per_room\", method = \"gist\", elements = \"room_no WITH =, tsrange(lower(during), upper(during)) WITH &&\", where = \"NOT cancelled\", initially_deferred)",
                ),
            ],
        ),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn every_key_option_is_a_migration_and_reverts_exactly() {
    let db = TestDb::new().await;
    // `=` on an integer in a gist index (the exclusion steps).
    db.execute("CREATE EXTENSION btree_gist").await;
    let project = Project::new("key-options", &db);
    let mut steps = evolve(BOOKINGS, &changes());
    steps[0].seed = Some(SEED);
    check_evolution(&project, &db, &steps, |name, text| {
        insta::assert_snapshot!(format!("key_options_{name}"), text)
    })
    .await;
}

/// PostgreSQL's defaults spelled out by hand, and options that match the entities.
const HAND_WRITTEN_SQL: &str = r#"
CREATE TABLE booking (
    id integer PRIMARY KEY,
    room text COLLATE "default" NOT NULL,
    guest varchar(20) COLLATE "C",
    code text,
    CONSTRAINT booking_code_key UNIQUE NULLS NOT DISTINCT (code) DEFERRABLE INITIALLY IMMEDIATE
);
CREATE INDEX booking_room_guest_idx ON booking (room COLLATE "default" text_ops ASC NULLS LAST, guest COLLATE "C" DESC NULLS FIRST);
CREATE INDEX booking_lower_idx ON booking (lower(guest) COLLATE "POSIX");
CREATE UNIQUE INDEX booking_guest_idx ON booking (guest) NULLS DISTINCT;
CREATE TABLE seat (
    id integer,
    row_no integer NOT NULL,
    during tsrange NOT NULL,
    CONSTRAINT seat_pkey PRIMARY KEY (id) NOT DEFERRABLE,
    CONSTRAINT seat_row_no_key UNIQUE (row_no) DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT seat_during_excl EXCLUDE USING gist (during WITH &&) WHERE (row_no > 0) DEFERRABLE
);
"#;

const MATCHING_ENTITIES: &str = r#"
#[derive(strata::Entity)]
#[entity(
    table_name = "booking",
    index(room, key(guest, collation = "C", order = "desc")),
    index(expr = "lower(guest)", collation = "POSIX"),
    index(guest, unique)
)]
pub struct Booking {
    #[entity(primary_key)]
    pub id: i32,
    pub room: String,
    #[entity(length = 20, collation = "C")]
    pub guest: Option<String>,
    #[entity(unique(nulls_not_distinct, deferrable))]
    pub code: Option<String>,
}

#[derive(strata::Entity)]
#[entity(
    table_name = "seat",
    primary_key(id),
    exclude(elements = "during with &&", where = "row_no > 0", deferrable)
)]
pub struct Seat {
    pub id: i32,
    #[entity(unique(initially_deferred))]
    pub row_no: i32,
    #[entity(sql_type = "tsrange")]
    pub during: String,
}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn defaults_spelled_out_and_matching_options_are_no_change() {
    let db = TestDb::new().await;
    db.execute(HAND_WRITTEN_SQL).await;
    let project = Project::new("key-options-adopt", &db);
    project.write_entities(MATCHING_ENTITIES);
    let out = project.strata(&["generate", "adopt"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stdout.contains("No changes"),
        "{out}\n{}",
        project.strata(&["diff", "--format", "sql"])
    );

    // And what inspect (and so baseline) writes says all of it.
    let inspect = project.strata(&["inspect"]);
    assert_eq!(inspect.code, 0, "{inspect}");
    insta::assert_snapshot!("key_options_inspect", inspect.stdout);
}

/// Each option, changed on its own in the database, is seen: never "No changes".
#[tokio::test(flavor = "multi_thread")]
async fn each_option_changed_by_hand_is_a_difference() {
    let drifts = [
        (
            "index key collation",
            r#"DROP INDEX booking_room_guest_idx;
               CREATE INDEX booking_room_guest_idx ON booking (room COLLATE "POSIX", guest DESC)"#,
        ),
        (
            "index key collation back to the default on a C column",
            r#"DROP INDEX booking_room_guest_idx;
               CREATE INDEX booking_room_guest_idx ON booking (room, guest COLLATE "default" DESC)"#,
        ),
        (
            "expression key collation",
            r#"DROP INDEX booking_lower_idx;
               CREATE INDEX booking_lower_idx ON booking (lower(guest))"#,
        ),
        (
            "key order",
            r#"DROP INDEX booking_room_guest_idx;
               CREATE INDEX booking_room_guest_idx ON booking (room, guest COLLATE "C" DESC NULLS LAST)"#,
        ),
        (
            "operator class",
            r#"DROP INDEX booking_room_guest_idx;
               CREATE INDEX booking_room_guest_idx ON booking (room text_pattern_ops, guest COLLATE "C" DESC)"#,
        ),
        (
            "column collation",
            r#"ALTER TABLE booking ALTER COLUMN room TYPE text COLLATE "POSIX""#,
        ),
        (
            "unique index nulls not distinct",
            r#"DROP INDEX booking_guest_idx;
               CREATE UNIQUE INDEX booking_guest_idx ON booking (guest) NULLS NOT DISTINCT"#,
        ),
        (
            "unique constraint nulls distinct",
            r#"ALTER TABLE booking DROP CONSTRAINT booking_code_key;
               ALTER TABLE booking ADD CONSTRAINT booking_code_key UNIQUE (code) DEFERRABLE"#,
        ),
        (
            "unique constraint not deferrable",
            r#"ALTER TABLE booking DROP CONSTRAINT booking_code_key;
               ALTER TABLE booking ADD CONSTRAINT booking_code_key UNIQUE NULLS NOT DISTINCT (code)"#,
        ),
        (
            "unique constraint initially immediate",
            r#"ALTER TABLE seat DROP CONSTRAINT seat_row_no_key;
               ALTER TABLE seat ADD CONSTRAINT seat_row_no_key UNIQUE (row_no) DEFERRABLE"#,
        ),
        (
            "exclusion constraint operator",
            r#"ALTER TABLE seat DROP CONSTRAINT seat_during_excl;
               ALTER TABLE seat ADD CONSTRAINT seat_during_excl EXCLUDE USING gist (during WITH =) WHERE (row_no > 0) DEFERRABLE"#,
        ),
        (
            "exclusion constraint not deferrable",
            r#"ALTER TABLE seat DROP CONSTRAINT seat_during_excl;
               ALTER TABLE seat ADD CONSTRAINT seat_during_excl EXCLUDE USING gist (during WITH &&) WHERE (row_no > 0)"#,
        ),
        (
            "primary key deferrable",
            r#"ALTER TABLE seat DROP CONSTRAINT seat_pkey;
               ALTER TABLE seat ADD CONSTRAINT seat_pkey PRIMARY KEY (id) DEFERRABLE"#,
        ),
    ];
    for (what, sql) in drifts {
        let db = TestDb::new().await;
        db.execute(HAND_WRITTEN_SQL).await;
        db.execute(sql).await;
        let project = Project::new("key-options-seen", &db);
        project.write_entities(MATCHING_ENTITIES);
        let out = project.strata(&["diff", "--format", "sql"]);
        assert_eq!(out.code, 0, "{what}: {out}");
        assert!(
            !out.stdout.trim().is_empty() && !out.stdout.contains("No changes"),
            "{what}: the difference must show\n{out}"
        );
        insta::assert_snapshot!(
            format!("key_options_drift_{}", what.replace(' ', "_")),
            out.stdout
        );
    }
}

/// `baseline` writes every option: its up file, run on an empty database, builds a
/// catalog strata reads back equal, and its down file removes it all.
#[tokio::test(flavor = "multi_thread")]
async fn baseline_keeps_every_option() {
    let db = TestDb::new().await;
    db.execute(HAND_WRITTEN_SQL).await;
    let p = Project::new("key-options-baseline", &db);
    let out = p.strata(&["baseline", "adopt"]);
    assert_eq!(out.code, 0, "{out}");
    let (up, _) = p.latest_migrations(1);
    for part in [
        "COLLATE \"C\"",
        "COLLATE \"POSIX\"",
        "UNIQUE NULLS NOT DISTINCT (code) DEFERRABLE",
        "UNIQUE (row_no) DEFERRABLE INITIALLY DEFERRED",
        "EXCLUDE USING gist (during WITH &&)",
        "guest DESC",
    ] {
        assert!(up.contains(part), "{part} is missing from\n{up}");
    }

    let fresh = TestDb::new().await;
    let q = Project::new("key-options-baseline-fresh", &fresh);
    for name in p.migration_files() {
        let text = std::fs::read_to_string(p.dir.join("migrations").join(&name)).expect("read");
        q.write(&format!("migrations/{name}"), &text);
    }
    let run = q.strata(&["run"]);
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(q.introspect().await, p.introspect().await);
    let revert = q.strata(&["revert"]);
    assert_eq!(revert.code, 0, "{revert}");
    assert!(q.introspect().await.tables.is_empty());
}
