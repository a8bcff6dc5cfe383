//! Against a real PostgreSQL: canonicalization keeps what the user declared beside
//! PostgreSQL's spelling, and `restorable` finds, for what a down file re-creates, a
//! text PostgreSQL reads back as the catalog has it.
use sqlx::PgConnection;
use strata_core::canonicalize::{canonicalize, restorable};
use strata_core::introspect::introspect;
use strata_core::schema::{CheckConstraint, Schema};
use strata_tests::TestDb;

const TICKET: &str = "
    CREATE TABLE ticket (
        id int PRIMARY KEY,
        code varchar(10) NOT NULL,
        status varchar(20) NOT NULL DEFAULT 'open',
        labels varchar(10)[] NOT NULL DEFAULT ARRAY['x', 'y'],
        qty int NOT NULL CHECK (qty > 0),
        is_ab boolean GENERATED ALWAYS AS (code IN ('a', 'b')) STORED,
        created_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
        CONSTRAINT ticket_code_check CHECK (code IN ('a', 'b'))
    );
    CREATE INDEX ticket_status_idx ON ticket (lower(status)) WHERE status IN ('open', 'pending');
";

async fn current(conn: &mut PgConnection) -> Schema {
    introspect(conn, &["public".to_string()], &[])
        .await
        .expect("introspect")
}

#[tokio::test]
async fn declared_texts_stay_beside_the_spellings_they_are_compared_as() {
    let db = TestDb::new().await;
    db.execute(TICKET).await;
    let mut conn = db.connect().await;
    let current = current(&mut conn).await;
    let mut desired = current.clone();
    {
        let t = &mut desired.tables[0];
        t.checks = vec![
            CheckConstraint::new("ticket_code_check", "code IN ('a', 'b', 'c')"),
            CheckConstraint::new("ticket_qty_check", "qty > 0"),
        ];
        let i = &mut t.indexes[0];
        i.keys = vec!["lower(status)".into()];
        i.predicate = Some("status IN ('open')".into());
        let status = t
            .columns
            .iter_mut()
            .find(|c| c.name == "status")
            .expect("status");
        status.default = Some("'pending'".into());
        let created = t
            .columns
            .iter_mut()
            .find(|c| c.name == "created_at")
            .expect("created_at");
        created.default = Some("NOW()".into());
        let is_ab = t
            .columns
            .iter_mut()
            .find(|c| c.name == "is_ab")
            .expect("is_ab");
        is_ab.generated = Some("code IN ('a')".into());
    }
    canonicalize(&mut conn, &mut desired, &current)
        .await
        .expect("canonicalize");

    let t = &desired.tables[0];
    let check = &t.checks[0];
    assert_eq!(
        check.expr,
        "((code)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying, 'c'::character varying])::text[]))"
    );
    assert_eq!(check.expr_sql(), "code IN ('a', 'b', 'c')");
    // Adopted from the catalog without a round trip, declared text kept too.
    assert_eq!(t.checks[1].expr, "(qty > 0)");
    assert_eq!(t.checks[1].expr_sql(), "qty > 0");

    let i = &t.indexes[0];
    assert_eq!(i.keys, ["lower(status::text)"]);
    assert_eq!(i.keys_sql(), ["lower(status)"]);
    assert_eq!(
        i.predicate.as_deref(),
        Some("((status)::text = 'open'::text)")
    );
    assert_eq!(i.predicate_sql(), Some("status IN ('open')"));

    let column = |name: &str| t.column(name).expect(name);
    assert_eq!(
        column("status").default.as_deref(),
        Some("'pending'::character varying")
    );
    assert_eq!(column("status").default_sql(), Some("'pending'"));
    // `NOW()` means the current `CURRENT_TIMESTAMP`: it takes that spelling.
    assert_eq!(
        column("created_at").default.as_deref(),
        Some("CURRENT_TIMESTAMP")
    );
    assert_eq!(column("created_at").default_sql(), Some("NOW()"));
    assert_eq!(
        column("is_ab").generated.as_deref(),
        Some("((code)::text = 'a'::text)")
    );
    assert_eq!(column("is_ab").generated_sql(), Some("code IN ('a')"));
}

#[tokio::test]
async fn what_a_down_file_re_creates_reads_back_as_the_catalog_has_it() {
    let db = TestDb::new().await;
    db.execute(TICKET).await;
    let mut conn = db.connect().await;
    let mut current = current(&mut conn).await;
    // Everything but the `qty` check changes.
    let mut desired = current.clone();
    {
        let t = &mut desired.tables[0];
        t.checks.retain(|c| c.name == "ticket_qty_check");
        t.indexes.clear();
        for c in &mut t.columns {
            c.default = None;
            c.generated = None;
        }
    }
    restorable(&mut conn, &desired, &mut current)
        .await
        .expect("restorable");

    let t = &current.tables[0];
    let code = t
        .checks
        .iter()
        .find(|c| c.name == "ticket_code_check")
        .expect("the code check");
    assert_eq!(
        code.expr_sql(),
        "((code)::text = ANY (ARRAY['a'::character varying, 'b'::character varying]))"
    );
    assert!(!code.reads_back_otherwise());
    let qty = t
        .checks
        .iter()
        .find(|c| c.name == "ticket_qty_check")
        .expect("the qty check");
    assert_eq!(qty.expr_sql(), qty.expr, "not asked about: it stays");
    assert_eq!(
        t.indexes[0].predicate_sql(),
        Some("((status)::text = ANY (ARRAY['open'::character varying, 'pending'::character varying]))")
    );
    assert_eq!(t.indexes[0].keys_sql(), t.indexes[0].keys.as_slice());
    let column = |name: &str| t.column(name).expect(name);
    assert_eq!(
        column("is_ab").generated_sql(),
        Some("((code)::text = ANY (ARRAY['a'::character varying, 'b'::character varying]))")
    );
    // These read back as they are: written as they are.
    for name in ["status", "labels", "created_at"] {
        let c = column(name);
        assert_eq!(c.default_sql(), c.default.as_deref(), "{name}");
        assert!(!c.default_reads_back_otherwise(), "{name}");
    }

    // Each text found re-creates the catalog's spelling exactly.
    let ddl = [
        "DROP TABLE ticket".to_string(),
        strata_core::sql::create_table(t),
    ]
    .into_iter()
    .chain(strata_core::sql::create_indexes(t))
    .collect::<Vec<_>>()
    .join(";\n");
    let before = current.clone();
    db.execute(&ddl).await;
    assert_eq!(crate::current(&mut conn).await, before);
}
