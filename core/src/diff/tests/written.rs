//! Canonical texts are compared, written texts are written: on the desired side what
//! the user declared, on the current side a text PostgreSQL reads back as the catalog's
//! (see `schema::Written`).
use super::*;

const DEPARSED_IN: &str =
    "((s)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[]))";
const RESTORABLE_IN: &str =
    "((s)::text = ANY (ARRAY['a'::character varying, 'b'::character varying]))";

/// A check as canonicalization leaves it: `canonical`, declared as `declared`.
fn declared_check(name: &str, canonical: &str, declared: &str) -> CheckConstraint {
    let mut c = CheckConstraint::new(name, declared);
    c.respell(canonical.into());
    c
}

/// A current check whose text reads back otherwise, written as `restorable`.
fn current_check(name: &str, canonical: &str, restorable: Option<&str>) -> CheckConstraint {
    let mut c = CheckConstraint::new(name, canonical);
    c.written = Written::new(restorable.unwrap_or(canonical).to_string());
    c
}

fn tickets(checks: Vec<CheckConstraint>, columns: Vec<Column>) -> Schema {
    let mut t = table(
        "ticket",
        [vec![col("s", "character varying(10)")], columns].concat(),
    );
    t.checks = checks;
    schema(vec![t])
}

#[test]
fn a_check_is_compared_canonical_and_written_declared() {
    let current = tickets(vec![], vec![]);
    let desired = tickets(
        vec![declared_check(
            "ticket_s_check",
            DEPARSED_IN,
            "s IN ('a', 'b')",
        )],
        vec![],
    );
    let plan = diff(&desired, &current);
    let up: Vec<&str> = plan.up_statements().collect();
    assert_eq!(
        up,
        ["ALTER TABLE ticket ADD CONSTRAINT ticket_s_check CHECK (s IN ('a', 'b'))"]
    );
    assert!(plan.steps[0].description.contains("(s IN ('a', 'b'))"));

    // Once run, the catalog has the canonical text: nothing to do, whatever the
    // declared spelling.
    let after = tickets(
        vec![CheckConstraint::new("ticket_s_check", DEPARSED_IN)],
        vec![],
    );
    assert!(diff(&desired, &after).is_empty());
}

#[test]
fn a_changed_check_is_re_added_by_the_down_file_in_a_spelling_that_reads_back() {
    let desired = tickets(
        vec![declared_check(
            "ticket_s_check",
            "((s)::text = ANY ((ARRAY['a'::character varying])::text[]))",
            "s IN ('a')",
        )],
        vec![],
    );
    let restorable = tickets(
        vec![current_check(
            "ticket_s_check",
            DEPARSED_IN,
            Some(RESTORABLE_IN),
        )],
        vec![],
    );
    let unrestorable = tickets(
        vec![current_check("ticket_s_check", DEPARSED_IN, None)],
        vec![],
    );
    insta::assert_snapshot!(format!(
        "{}\n==================== not restorable ====================\n{}",
        files(&desired, &restorable),
        render_down(&diff(&desired, &unrestorable), "change")
    ));
}

#[test]
fn an_index_writes_its_declared_keys_and_predicate() {
    let current = schema(vec![table(
        "ticket",
        vec![col("s", "character varying(10)")],
    )]);
    let mut index = index("ticket_s_idx", &["lower(s)"]);
    index.predicate = Some("s IN ('a', 'b')".into());
    index.respell(
        vec!["lower((s)::text)".into()],
        vec![],
        Some(DEPARSED_IN.into()),
    );
    let mut desired = current.clone();
    desired.tables[0].indexes.push(index);
    let plan = diff(&desired, &current);
    let up: Vec<&str> = plan.up_statements().collect();
    assert_eq!(
        up,
        ["CREATE INDEX ticket_s_idx ON ticket ((lower(s))) WHERE s IN ('a', 'b')"]
    );

    // The catalog's index, dropped, comes back in its restorable spelling.
    let mut now = desired.tables[0].indexes[0].clone();
    now.written = Written::new(IndexTexts {
        keys: vec!["lower((s)::text)".into()],
        include: vec![],
        predicate: Some(RESTORABLE_IN.into()),
    });
    let mut with_index = current.clone();
    with_index.tables[0].indexes.push(now);
    let plan = diff(&current, &with_index);
    let down: Vec<&str> = plan.down_statements().collect();
    assert_eq!(
        down,
        [format!(
            "CREATE INDEX ticket_s_idx ON ticket ((lower((s)::text))) WHERE {RESTORABLE_IN}"
        )]
    );
}

#[test]
fn defaults_and_generated_expressions_are_written_declared() {
    let current = tickets(
        vec![],
        vec![
            default(
                col("created_at", "timestamp with time zone"),
                "CURRENT_TIMESTAMP",
            ),
            default(col("day", "date"), "CURRENT_DATE"),
            col("n", "integer"),
        ],
    );
    let mut created_at = col("created_at", "timestamp with time zone");
    created_at.default = Some("NOW()".into());
    created_at.respell_default(Some("now()".into()));
    let mut day = col("day", "date");
    day.default = Some("CURRENT_DATE - 1".into());
    day.respell_default(Some("(CURRENT_DATE - 1)".into()));
    let mut double = nullable(col("double_n", "integer"));
    double.generated = Some("n * 2".into());
    double.respell_generated("(n * 2)".into());
    let desired = tickets(vec![], vec![created_at, day, col("n", "integer"), double]);
    let plan = diff(&desired, &current);
    let up: Vec<&str> = plan.up_statements().collect();
    // `now()` is what `CURRENT_TIMESTAMP` is: no step for it.
    assert_eq!(
        up,
        [
            "ALTER TABLE ticket ALTER COLUMN day SET DEFAULT CURRENT_DATE - 1",
            "ALTER TABLE ticket ADD COLUMN double_n integer GENERATED ALWAYS AS (n * 2) STORED",
        ]
    );
    let down: Vec<&str> = plan.down_statements().collect();
    assert!(down.contains(&"ALTER TABLE ticket ALTER COLUMN day SET DEFAULT CURRENT_DATE"));
}

#[test]
fn a_dropped_table_lists_what_reads_back_otherwise() {
    let mut current = tickets(
        vec![current_check("ticket_s_check", DEPARSED_IN, None)],
        vec![default(
            col("tags", "character varying(10)[]"),
            "'{}'::character varying[]",
        )],
    );
    current.tables[0].columns[1]
        .written
        .get_or_default()
        .default = Some("'{}'::character varying[]".into());
    let plan = diff(&schema(vec![]), &current);
    let notes = &plan.steps[0].down_notes;
    assert!(
        notes.iter().any(|n| n.contains(
            "PostgreSQL reads the default of ticket.tags, check ticket_s_check back in another spelling"
        )),
        "{notes:#?}"
    );
}
