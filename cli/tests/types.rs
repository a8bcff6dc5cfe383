//! Column types through the real binary, with rows: serial sequences take their
//! column's type, narrowing is refused unless allowed (and lists every narrowing step),
//! and a down file never cuts a value written since: it fails, rolled back, and says
//! which column and type.

mod support;

use strata_tests::TestDb;
use support::{check_evolution, Project, Step};

/// `pg_dump --schema-only` of the project's database: what "revert restores the
/// schema" means to a user, sequences' `AS` and `MAXVALUE` included. The
/// `\restrict` lines carry a key pg_dump draws at random on each run.
fn dump(db: &TestDb) -> String {
    let out = std::process::Command::new("pg_dump")
        .args(["--schema-only", "--no-owner", "--dbname", &db.url])
        .output()
        .expect("run pg_dump");
    assert!(
        out.status.success(),
        "pg_dump: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Each owned sequence of the database: `name type max`, by name.
const SEQUENCES: &str = "SELECT string_agg(c.relname || ' ' || format_type(s.seqtypid, NULL) || ' ' || s.seqmax, ', ' ORDER BY c.relname)
     FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid";

const TICKET_V1: &str = r#"
#[derive(strata::Entity)]
#[entity(table_name = "ticket")]
pub struct Ticket {
    #[entity(primary_key, serial)]
    pub id: i32,
    #[entity(serial)]
    pub position: i16,
    #[entity(identity)]
    pub number: i32,
    pub title: String,
}
"#;

fn ticket_v2() -> &'static str {
    leak(
        &TICKET_V1
            .replace("pub id: i32", "pub id: i64")
            .replace("pub position: i16", "pub position: i32")
            .replace("pub number: i32", "pub number: i64"),
    )
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}

#[tokio::test(flavor = "multi_thread")]
async fn serial_sequences_follow_their_columns_type_and_back() {
    let db = TestDb::new().await;
    let project = Project::new("types-serial", &db);
    let snapshot = |name: String, text: String| insta::assert_snapshot!(name, text);

    let mut create = Step::new("create_ticket", TICKET_V1);
    create.seed = Some("INSERT INTO ticket (title) VALUES ('a'), ('b')");
    check_evolution(&project, &db, &[create], snapshot).await;
    let before = dump(&db);
    assert_eq!(
        project.query_text(SEQUENCES).await,
        "ticket_id_seq integer 2147483647, ticket_number_seq integer 2147483647, \
         ticket_position_seq smallint 32767"
    );

    // The serial sequences are made `AS bigint` / `AS integer` with their columns;
    // the identity one follows its column by itself.
    let mut widen = Step::new("widen_ticket_ids", ticket_v2());
    widen.check = Some((
        SEQUENCES,
        "ticket_id_seq bigint 9223372036854775807, ticket_number_seq bigint 9223372036854775807, \
         ticket_position_seq integer 2147483647",
    ));
    check_evolution(&project, &db, &[widen], snapshot).await;

    // Down really undoes up: the dump, sequences' types and limits included.
    let reverted = project.strata(&["revert"]);
    assert_eq!(reverted.code, 0, "{reverted}");
    assert_eq!(dump(&db), before, "revert restores pg_dump -s exactly");
    let ran = project.strata(&["run"]);
    assert_eq!(ran.code, 0, "{ran}");

    // Inserts go past 2^31 now.
    db.execute(
        "SELECT setval('ticket_id_seq', 3000000000); INSERT INTO ticket (title) VALUES ('c')",
    )
    .await;
    assert_eq!(
        project
            .query_text("SELECT string_agg(id || '=' || title, ',' ORDER BY id) FROM ticket")
            .await,
        "1=a,2=b,3000000001=c"
    );
    let again = project.strata(&["generate", "again"]);
    assert!(again.stdout.contains("No changes"), "{again}");

    // Reverting now would lose that row's id: it fails, says why, and changes nothing.
    let after = dump(&db);
    let refused = project.strata(&["revert"]);
    assert_eq!(refused.code, 2, "{refused}");
    assert!(
        refused
            .stderr
            .contains("cannot convert ticket.id back to integer"),
        "{refused}"
    );
    assert!(refused.stderr.contains("integer out of range"), "{refused}");
    assert!(refused.stderr.contains("rolled back"), "{refused}");
    assert_eq!(dump(&db), after, "a failed revert changes nothing");
    assert_eq!(
        project
            .query_text("SELECT count(*)::text FROM ticket")
            .await,
        "3"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_serial_bigint_left_with_an_integer_sequence_is_a_difference() {
    let db = TestDb::new().await;
    let project = Project::new("types-legacy", &db);
    // What an older strata (or a hand-written ALTER) leaves: the column is bigint, its
    // sequence still `AS integer`. One sequence keeps a MAXVALUE set by hand.
    project.migration(
        1,
        "legacy",
        "CREATE TABLE legacy (id serial PRIMARY KEY, name text NOT NULL);
ALTER TABLE legacy ALTER COLUMN id TYPE bigint;
CREATE TABLE capped (id serial PRIMARY KEY);
ALTER SEQUENCE capped_id_seq MAXVALUE 1000000;
ALTER TABLE capped ALTER COLUMN id TYPE bigint;
",
        "DROP TABLE capped;\nDROP TABLE legacy;\n",
    );
    let ran = project.strata(&["run"]);
    assert_eq!(ran.code, 0, "{ran}");
    db.execute("INSERT INTO legacy (name) VALUES ('a'), ('b'); INSERT INTO capped DEFAULT VALUES")
        .await;
    let before = dump(&db);

    let entities = r#"
#[derive(strata::Entity)]
#[entity(table_name = "legacy")]
pub struct Legacy {
    #[entity(primary_key, serial)]
    pub id: i64,
    pub name: String,
}

#[derive(strata::Entity)]
#[entity(table_name = "capped")]
pub struct Capped {
    #[entity(primary_key, serial)]
    pub id: i64,
}
"#;
    let mut repair = Step::new("repair_sequences", entities);
    repair.check = Some((
        SEQUENCES,
        "capped_id_seq bigint 1000000, legacy_id_seq bigint 9223372036854775807",
    ));
    check_evolution(&project, &db, &[repair], |name, text| {
        insta::assert_snapshot!(name, text)
    })
    .await;

    let reverted = project.strata(&["revert"]);
    assert_eq!(reverted.code, 0, "{reverted}");
    assert_eq!(dump(&db), before, "revert restores pg_dump -s exactly");
    assert_eq!(
        project.query_text(SEQUENCES).await,
        "capped_id_seq integer 1000000, legacy_id_seq integer 2147483647"
    );
}

const ITEM_V1: &str = r#"
#[derive(strata::Entity)]
#[entity(table_name = "item")]
pub struct Item {
    #[entity(primary_key, identity)]
    pub id: i64,
    #[entity(length = 10)]
    pub code: String,
    #[entity(precision = 10, scale = 2)]
    pub price: rust_decimal::Decimal,
    pub ratio: f32,
    #[entity(precision = 1)]
    pub seen_at: chrono::DateTime<chrono::Utc>,
    pub sizes: Vec<i32>,
    pub note: Option<String>,
}
"#;

fn item_v2() -> &'static str {
    leak(
        &ITEM_V1
            .replace("length = 10", "length = 20")
            .replace("precision = 10, scale = 2", "precision = 12, scale = 3")
            .replace("pub ratio: f32", "pub ratio: f64")
            .replace("    #[entity(precision = 1)]\n", "")
            .replace("pub sizes: Vec<i32>", "pub sizes: Vec<i64>")
            .replace("pub note: Option<String>", "pub note: Option<Vec<String>>"),
    )
}

const ITEM_ROW: &str = "SELECT concat_ws(' ', code, price, ratio, seen_at, sizes, note) FROM item";

#[tokio::test(flavor = "multi_thread")]
async fn the_down_of_a_widening_fails_on_values_that_no_longer_fit() {
    let db = TestDb::new().await;
    let project = Project::new("types-widen", &db);
    let snapshot = |name: String, text: String| insta::assert_snapshot!(name, text);
    let mut create = Step::new("create_item", ITEM_V1);
    create.seed = Some(
        "INSERT INTO item (code, price, ratio, seen_at, sizes, note)
         VALUES ('abc', 12.34, 0.5, '2024-01-02 03:04:05+00', '{1,2}', 'hello')",
    );
    let mut widen = Step::new("widen_item", item_v2());
    widen.check = Some((
        ITEM_ROW,
        "abc 12.340 0.5 2024-01-02 03:04:05+00 {1,2} {hello}",
    ));
    check_evolution(&project, &db, &[create, widen], snapshot).await;
    let widened = dump(&db);

    // A value written since that the old type cannot hold: reverting fails, names the
    // column and the type, rolls back, and leaves the schema and the value as they are.
    let cases = [
        (
            "code",
            "'abcdefghijklmno'",
            "item.code back to character varying(10)",
            None,
        ),
        ("price", "12.345", "item.price back to numeric(10,2)", None),
        (
            "price",
            "123456789.5",
            "item.price back to numeric(10,2)",
            Some("numeric field overflow"),
        ),
        ("ratio", "0.1", "item.ratio back to real", None),
        (
            "seen_at",
            "'2024-01-02 03:04:05.55+00'",
            "item.seen_at back to timestamp(1) with time zone",
            None,
        ),
        (
            "sizes",
            "'{1,3000000000}'",
            "item.sizes back to integer[]",
            Some("integer out of range"),
        ),
        ("note", "'{hello,world}'", "item.note back to text", None),
        ("note", "'{}'", "item.note back to text", None),
    ];
    let good = "code = 'abc', price = 12.34, ratio = 0.5, \
                seen_at = '2024-01-02 03:04:05+00', sizes = '{1,2}', note = '{hello}'";
    for (column, value, message, detail) in cases {
        db.execute(&format!("UPDATE item SET {column} = {value}"))
            .await;
        let refused = project.strata(&["revert"]);
        let case = format!("{column} = {value}");
        assert_eq!(refused.code, 2, "{case}: {refused}");
        assert!(
            refused
                .stderr
                .contains(&format!("cannot convert {message}")),
            "{case}: {refused}"
        );
        if let Some(detail) = detail {
            assert!(refused.stderr.contains(detail), "{case}: {refused}");
        }
        assert!(refused.stderr.contains("rolled back"), "{case}: {refused}");
        if column == "code" {
            insta::assert_snapshot!("widen_item_revert_refused", project.filter(&refused.stderr));
        }
        assert_eq!(dump(&db), widened, "{case}: the schema stays");
        let kept = project
            .query_text(&format!("SELECT ({column} = {value})::text FROM item"))
            .await;
        assert_eq!(kept, "true", "{case}: the value stays");
        db.execute(&format!("UPDATE item SET {good}")).await;
    }

    // NULLs and values that fit go back as they are.
    db.execute(
        "INSERT INTO item (code, price, ratio, seen_at, sizes, note)
         VALUES ('0123456789', -99999999.99, 0.25, '2024-01-02 03:04:05+00', '{-2147483648}', NULL)",
    )
    .await;
    let reverted = project.strata(&["revert"]);
    assert_eq!(reverted.code, 0, "{reverted}");
    assert_eq!(
        project
            .query_text(
                "SELECT string_agg(concat_ws(' ', code, price, ratio, seen_at, sizes, coalesce(note, 'NULL')), ', ' ORDER BY id) FROM item"
            )
            .await,
        "abc 12.34 0.5 2024-01-02 03:04:05+00 {1,2} hello, \
         0123456789 -99999999.99 0.25 2024-01-02 03:04:05+00 {-2147483648} NULL"
    );
}

const WIDE_V1: &str = r#"
#[derive(strata::Entity)]
#[entity(table_name = "wide")]
pub struct Wide {
    #[entity(primary_key, identity)]
    pub id: i64,
    pub big: i64,
    #[entity(precision = 12, scale = 2)]
    pub amount: rust_decimal::Decimal,
    #[entity(length = 20)]
    pub name: String,
    pub bio: String,
    pub born_at: chrono::DateTime<chrono::Utc>,
    pub ratio: f64,
    pub counts: Vec<i64>,
    pub stamp: chrono::DateTime<chrono::Utc>,
    #[entity(sql_type = "character(6)")]
    pub flag: String,
    pub digits: String,
}
"#;

fn wide_v2() -> &'static str {
    leak(
        &WIDE_V1
            .replace("pub big: i64", "pub big: i32")
            .replace("precision = 12, scale = 2", "precision = 10, scale = 1")
            .replace("length = 20", "length = 10")
            .replace(
                "pub bio: String",
                "#[entity(length = 5)]\n    pub bio: String",
            )
            .replace(
                "pub born_at: chrono::DateTime<chrono::Utc>",
                "pub born_at: chrono::NaiveDate",
            )
            .replace("pub ratio: f64", "pub ratio: f32")
            .replace("pub counts: Vec<i64>", "pub counts: Vec<i32>")
            .replace(
                "pub stamp: chrono::DateTime<chrono::Utc>",
                "#[entity(precision = 1)]\n    pub stamp: chrono::DateTime<chrono::Utc>",
            )
            .replace("character(6)", "character(2)")
            // Text that must parse: may fail, but loses nothing, so not refused.
            .replace("pub digits: String", "pub digits: i32"),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn narrowing_is_refused_listing_every_step_and_cuts_when_allowed() {
    let db = TestDb::new().await;
    let project = Project::new("types-narrow", &db);
    let snapshot = |name: String, text: String| insta::assert_snapshot!(name, text);
    let mut create = Step::new("create_wide", WIDE_V1);
    create.seed = Some(
        "INSERT INTO wide (big, amount, name, bio, born_at, ratio, counts, stamp, flag, digits)
         VALUES (42, 1234.56, 'abcdefghijklmno', 'hello world', '2024-05-06 07:08:09+00',
                 0.5, '{1,2}', '2024-05-06 07:08:09.75+00', 'abcdef', '17')",
    );
    check_evolution(&project, &db, &[create], snapshot).await;

    project.write_entities(wide_v2());
    let refused = project.strata(&["generate", "narrow_wide"]);
    assert_eq!(refused.code, 2, "{refused}");
    insta::assert_snapshot!("narrow_wide_refused", project.filter(&refused.stderr));
    for column in [
        "big", "amount", "name", "bio", "born_at", "ratio", "counts", "stamp", "flag",
    ] {
        assert!(
            refused
                .stderr
                .contains(&format!("change type of wide.{column}:")),
            "{column} is listed: {refused}"
        );
    }
    assert!(
        !refused.stderr.contains("wide.digits"),
        "a cast that may fail is not a narrowing: {refused}"
    );

    // Allowed, the up file converts as PostgreSQL's explicit casts do: strings are
    // cut, numbers and times rounded, timestamps lose their time.
    let mut narrow = Step::new("narrow_wide", wide_v2());
    narrow.destructive = true;
    narrow.check = Some((
        "SELECT concat_ws(' ', big, amount, name, bio, born_at, ratio, counts, stamp, flag, digits) FROM wide",
        "42 1234.6 abcdefghij hello 2024-05-06 0.5 {1,2} 2024-05-06 07:08:09.8+00 ab 17",
    ));
    check_evolution(&project, &db, &[narrow], snapshot).await;
}
