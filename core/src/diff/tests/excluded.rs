//! Excluded tables: never changed, but planned around (see `foreign_keys::
//! excluded_references`, `sequences::excluded_sequence_users`, the enum swap).
use super::*;
use crate::schema::{ExcludedTable, LeftAlone};

fn excluding(mut current: Schema, t: Table) -> Schema {
    current.excluded_tables.push(ExcludedTable {
        why: LeftAlone::Excluded("audit_*".into()),
        table: t,
    });
    current
}

fn descriptions(plan: &Plan) -> Vec<&str> {
    plan.steps.iter().map(|s| s.description.as_str()).collect()
}

#[test]
fn an_enum_an_excluded_table_uses_is_never_dropped() {
    let audit = table("audit_log", vec![col("s", "status")]);
    let current = with_enums(schema(vec![]), vec![enum_type("public", "status", &["a"])]);
    let plan = diff(&schema(vec![]), &excluding(current.clone(), audit));
    assert!(plan.is_empty(), "{:?}", descriptions(&plan));
    // Without the excluded user, it goes.
    assert_eq!(
        descriptions(&diff(&schema(vec![]), &current)),
        ["drop enum status"]
    );
}

#[test]
fn an_enum_swap_converts_excluded_columns_and_names_their_tables() {
    let audit = with_check(
        table(
            "audit_log",
            vec![default(col("s", "status"), "'a'::status")],
        ),
        "audit_log_s_check",
        "(s <> 'b'::status)",
    );
    let current = excluding(
        with_enums(
            schema(vec![]),
            vec![enum_type("public", "status", &["a", "b"])],
        ),
        audit,
    );
    let desired = with_enums(
        schema(vec![]),
        vec![enum_type("public", "status", &["b", "a"])],
    );
    let plan = diff(&desired, &current);
    assert_eq!(plan.steps.len(), 1);
    let s = &plan.steps[0];
    assert!(
        s.description
            .ends_with("; converts the excluded table audit_log"),
        "{}",
        s.description
    );
    for statements in [&s.up, &s.down] {
        let text = statements.join(";\n");
        for expected in [
            "ALTER TABLE audit_log DROP CONSTRAINT audit_log_s_check",
            "ALTER TABLE audit_log ALTER COLUMN s DROP DEFAULT",
            "ALTER TABLE audit_log ALTER COLUMN s TYPE status USING s::text::status",
            "ALTER TABLE audit_log ALTER COLUMN s SET DEFAULT 'a'::status",
        ] {
            // Run only where the excluded table exists (see `diff::left_alone`).
            let executed = format!("EXECUTE {}", crate::sql::string_literal(expected));
            assert!(text.contains(&executed), "{executed}\n{text}");
        }
    }
    assert!(s.hazards.contains(&Hazard::RewritesTable));
}

fn countries(key: &str, key_name: &str) -> Table {
    pk(
        table("country", vec![col("id", "integer"), col("code", "text")]),
        key_name,
        &[key],
    )
}

fn city() -> Table {
    let mut f = fk("city_country_fkey", &["country_id"], "country", &["id"]);
    f.ref_index = Some("country_pkey".into());
    with_fk(table("audit_city", vec![col("country_id", "integer")]), f)
}

#[test]
fn a_key_an_excluded_foreign_key_leans_on_is_replaced_around_it() {
    let current = excluding(schema(vec![countries("id", "country_pkey")]), city());
    // The primary key moves to `code`, `id` stays unique: the constraint goes and
    // comes back.
    let desired = schema(vec![unique(
        countries("code", "country_pkey"),
        "country_id_key",
        &["id"],
    )]);
    let plan = diff(&desired, &current);
    assert!(plan.blockers.is_empty(), "{:?}", plan.blockers);
    let steps = descriptions(&plan);
    let first = steps.first().copied().unwrap_or_default();
    let last = steps.last().copied().unwrap_or_default();
    assert!(
        first.starts_with("drop foreign key city_country_fkey on the excluded table audit_city"),
        "{steps:?}"
    );
    assert!(
        last.starts_with("add foreign key city_country_fkey on the excluded table audit_city"),
        "{steps:?}"
    );

    // No key on `id` any more: nothing to lean on, refused.
    let desired = schema(vec![countries("code", "country_pkey")]);
    let plan = diff(&desired, &current);
    assert_eq!(plan.blockers.len(), 1, "{:?}", plan.blockers);
    assert!(
        plan.blockers[0].starts_with(
            "the key country_pkey of table country is dropped and no primary key or unique constraint on (id) takes its place, but the excluded table audit_city"
        ),
        "{}",
        plan.blockers[0]
    );
}

#[test]
fn dropping_what_an_excluded_table_needs_is_refused() {
    let current = excluding(schema(vec![countries("id", "country_pkey")]), city());
    let plan = diff(&schema(vec![]), &current);
    assert_eq!(plan.blockers.len(), 1, "{:?}", plan.blockers);
    assert!(
        plan.blockers[0].contains("table country is dropped")
            && plan.blockers[0].contains("city_country_fkey")
            && plan.blockers[0].contains("stop excluding audit_city"),
        "{}",
        plan.blockers[0]
    );

    let mut id = col("id", "integer");
    id.serial = true;
    id.sequence = Some("counter_id_seq".into());
    let counter = table("counter", vec![id]);
    let copy = table(
        "audit_copy",
        vec![default(
            col("n", "integer"),
            "nextval('counter_id_seq'::regclass)",
        )],
    );
    let current = excluding(schema(vec![counter]), copy);
    let plan = diff(&schema(vec![]), &current);
    assert_eq!(plan.blockers.len(), 1, "{:?}", plan.blockers);
    assert!(
        plan.blockers[0].starts_with(
            "table counter is dropped, which drops the sequence counter_id_seq, but the default of audit_copy.n uses it"
        ),
        "{}",
        plan.blockers[0]
    );
}

#[test]
fn online_an_excluded_foreign_key_comes_back_not_valid_then_validated() {
    use crate::diff::{diff_with, DiffOptions};
    let current = excluding(schema(vec![countries("id", "country_pkey")]), city());
    let desired = schema(vec![unique(
        countries("code", "country_pkey"),
        "country_id_key",
        &["id"],
    )]);
    let plan = diff_with(
        &desired,
        &current,
        &DiffOptions {
            online: true,
            ..Default::default()
        },
    );
    assert!(plan.blockers.is_empty(), "{:?}", plan.blockers);
    let on_city: Vec<&crate::plan::Step> = plan
        .steps
        .iter()
        .filter(|s| s.description.contains("on the excluded table audit_city"))
        .collect();
    let up: Vec<&str> = on_city
        .iter()
        .flat_map(|s| s.up.iter().map(String::as_str))
        .collect();
    let executed: Vec<&str> = up
        .iter()
        .map(|s| {
            let from = s.find("EXECUTE '").map_or(0, |i| i + "EXECUTE '".len());
            let to = s.rfind("';").unwrap_or(s.len());
            &s[from..to]
        })
        .collect();
    assert_eq!(
        executed,
        [
            "ALTER TABLE audit_city DROP CONSTRAINT city_country_fkey",
            "ALTER TABLE audit_city ADD CONSTRAINT city_country_fkey FOREIGN KEY (country_id) REFERENCES country (id) NOT VALID",
            "ALTER TABLE audit_city VALIDATE CONSTRAINT city_country_fkey",
        ]
    );
}

#[test]
fn a_new_index_does_not_take_the_name_of_an_excluded_tables_index() {
    // `users_email_idx` is an index of the excluded `audit_users` (an index name is a
    // relation name: one per schema).
    let audit = with_index(
        table("audit_users", vec![col("email", "text")]),
        index("users_email_idx", &["email"]),
    );
    let current = excluding(schema(vec![users(vec![])]), audit);
    let mut names = crate::names::SchemaNames::new(&current);
    assert_eq!(
        names.of("public").index("users", &["email"]),
        "users_email_idx1"
    );
}
