//! Owned sequences take their column's type: a serial column's sequence is altered
//! with it (PostgreSQL leaves it alone), an identity column's is not (PostgreSQL
//! converts it with the column), and a sequence of the wrong type is a difference.
use super::*;

/// A current serial or identity column owning `seq`, of type `seq_type`.
fn owning(mut c: Column, seq: &str, seq_type: &str) -> Column {
    c.sequence = Some(seq.into());
    c.sequence_type = Some(seq_type.into());
    c
}

fn up_and_down(desired: &Schema, current: &Schema) -> (Vec<String>, Vec<String>) {
    let plan = diff(desired, current);
    (
        plan.up_statements().map(String::from).collect(),
        plan.down_statements().map(String::from).collect(),
    )
}

#[test]
fn a_retyped_serial_column_takes_its_sequence_along() {
    let current = schema(vec![users(vec![owning(
        serial(col("n", "integer")),
        "users_n_seq",
        "integer",
    )])]);
    let desired = schema(vec![users(vec![serial(col("n", "bigint"))])]);
    let plan = diff(&desired, &current);
    let descriptions: Vec<&str> = plan.steps.iter().map(|s| s.description.as_str()).collect();
    assert_eq!(
        descriptions,
        [
            "change type of sequence users_n_seq (owned by users.n): integer -> bigint",
            "change type of users.n: integer -> bigint",
        ]
    );
    assert_eq!(plan.steps[0].up, ["ALTER SEQUENCE users_n_seq AS bigint"]);
    assert_eq!(
        plan.steps[0].down,
        ["ALTER SEQUENCE users_n_seq AS integer"]
    );
    assert!(plan.steps[0].hazards.is_empty(), "{plan:#?}");
    assert!(
        plan.steps[0]
            .down_notes
            .iter()
            .any(|n| n.contains("once the sequence has passed 2147483647")),
        "{plan:#?}"
    );
}

#[test]
fn a_serial_bigint_with_an_integer_sequence_is_a_difference() {
    let current = schema(vec![users(vec![owning(
        serial(col("n", "bigint")),
        "users_n_seq",
        "integer",
    )])]);
    let desired = schema(vec![users(vec![serial(col("n", "bigint"))])]);
    let (up, down) = up_and_down(&desired, &current);
    assert_eq!(up, ["ALTER SEQUENCE users_n_seq AS bigint"]);
    assert_eq!(down, ["ALTER SEQUENCE users_n_seq AS integer"]);

    let fixed = schema(vec![users(vec![owning(
        serial(col("n", "bigint")),
        "users_n_seq",
        "bigint",
    )])]);
    assert!(diff(&desired, &fixed).is_empty());
}

#[test]
fn a_serial_integer_with_a_bigint_sequence_is_no_difference() {
    // `CREATE SEQUENCE` without `AS` then `OWNED BY` an integer column, as older dumps
    // (pagila's) have it: every value of the column fits the sequence.
    let current = schema(vec![users(vec![owning(
        serial(col("n", "integer")),
        "users_n_seq",
        "bigint",
    )])]);
    let desired = schema(vec![users(vec![serial(col("n", "integer"))])]);
    assert!(diff(&desired, &current).is_empty());
}

#[test]
fn narrowing_a_serial_sequence_may_fail() {
    let current = schema(vec![users(vec![owning(
        serial(col("n", "bigint")),
        "users_n_seq",
        "bigint",
    )])]);
    let desired = schema(vec![users(vec![serial(col("n", "integer"))])]);
    let plan = diff(&desired, &current);
    let seq = &plan.steps[0];
    assert_eq!(seq.up, ["ALTER SEQUENCE users_n_seq AS integer"]);
    assert_eq!(seq.hazards, [Hazard::MayFailOnExistingRows]);
    assert!(seq.down_notes.is_empty(), "{seq:#?}");
}

#[test]
fn an_identity_sequence_is_converted_by_its_column() {
    let current = schema(vec![users(vec![owning(
        identity(col("n", "integer"), Identity::ByDefault),
        "users_n_seq",
        "integer",
    )])]);
    let desired = schema(vec![users(vec![identity(
        col("n", "bigint"),
        Identity::ByDefault,
    )])]);
    let (up, _) = up_and_down(&desired, &current);
    assert_eq!(
        up,
        ["ALTER TABLE users ALTER COLUMN n TYPE bigint USING n::bigint"]
    );
}

#[test]
fn an_identity_sequence_of_another_type_is_a_difference() {
    let desired = schema(vec![users(vec![identity(
        col("n", "bigint"),
        Identity::ByDefault,
    )])]);
    let current = schema(vec![users(vec![owning(
        identity(col("n", "bigint"), Identity::ByDefault),
        "users_n_seq",
        "integer",
    )])]);
    let (up, down) = up_and_down(&desired, &current);
    assert_eq!(up, ["ALTER SEQUENCE users_n_seq AS bigint"]);
    assert_eq!(down, ["ALTER SEQUENCE users_n_seq AS integer"]);

    // Retyped as well: the sequence gets the column's old type first, so that the
    // down file's type change, which converts it back, ends where it started.
    let current = schema(vec![users(vec![owning(
        identity(col("n", "integer"), Identity::ByDefault),
        "users_n_seq",
        "smallint",
    )])]);
    let (up, down) = up_and_down(&desired, &current);
    assert_eq!(
        up,
        [
            "ALTER SEQUENCE users_n_seq AS integer",
            "ALTER TABLE users ALTER COLUMN n TYPE bigint USING n::bigint",
        ]
    );
    assert_eq!(
        down.last().map(String::as_str),
        Some("ALTER SEQUENCE users_n_seq AS smallint")
    );
}

#[test]
fn a_sequence_is_retyped_under_its_name_before_it_is_renamed() {
    let current = schema(vec![pk(
        table(
            "users",
            vec![owning(
                serial(col("id", "integer")),
                "users_id_seq",
                "integer",
            )],
        ),
        "users_pkey",
        &["id"],
    )]);
    let mut accounts = pk(
        table("accounts", vec![serial(col("id", "bigint"))]),
        "accounts_pkey",
        &["id"],
    );
    accounts.renamed_from = Some("users".into());
    let desired = schema(vec![accounts]);
    let (up, down) = up_and_down(&desired, &current);
    let position = |stmts: &[String], s: &str| {
        stmts
            .iter()
            .position(|x| x == s)
            .unwrap_or_else(|| panic!("{s} in {stmts:#?}"))
    };
    assert!(
        position(&up, "ALTER SEQUENCE users_id_seq AS bigint")
            < position(&up, "ALTER SEQUENCE users_id_seq RENAME TO accounts_id_seq")
    );
    assert!(
        position(
            &down,
            "ALTER SEQUENCE accounts_id_seq RENAME TO users_id_seq"
        ) < position(&down, "ALTER SEQUENCE users_id_seq AS integer")
    );
}

#[test]
fn a_serial_column_that_stops_being_one_gets_its_sequence_back_as_it_was() {
    let current = schema(vec![users(vec![owning(
        serial(col("n", "bigint")),
        "users_n_seq",
        "integer",
    )])]);
    let desired = schema(vec![users(vec![col("n", "bigint")])]);
    let (_, down) = up_and_down(&desired, &current);
    assert!(
        down.contains(&"CREATE SEQUENCE users_n_seq AS integer OWNED BY users.n".to_string()),
        "{down:#?}"
    );
}

#[test]
fn a_sequence_of_unknown_type_is_left_alone() {
    let mut c = serial(col("n", "bigint"));
    c.sequence = Some("users_n_seq".into());
    let current = schema(vec![users(vec![c])]);
    let desired = schema(vec![users(vec![serial(col("n", "bigint"))])]);
    assert!(diff(&desired, &current).is_empty());
}
