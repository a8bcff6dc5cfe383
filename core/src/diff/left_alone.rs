//! Statements a plan writes on tables it leaves alone (excluded, or in a schema strata
//! does not manage): converting their columns when an enum type is re-created, setting
//! aside their foreign keys when the key they reference is replaced. PostgreSQL needs
//! those on this database, but a database built from the migrations alone (a new
//! environment, `strata verify`, `generate --from migrations`) has no such table, and
//! the statement would fail there. So each runs only where its table exists.
use crate::names::qualified;
use crate::plan::Step;
use crate::schema::Schema;
use crate::sql::string_literal;

/// Wraps the statements of `steps` that act on a table `current` leaves alone.
pub(super) fn guard(steps: &mut [Step], current: &Schema) {
    if current.excluded_tables.is_empty() {
        return;
    }
    // (table as SQL names it, the names of its indexes as `DROP INDEX` names them)
    let tables: Vec<(String, Vec<String>)> = current
        .excluded_tables
        .iter()
        .map(|x| {
            let t = &x.table;
            let indexes = t
                .indexes
                .iter()
                .map(|i| qualified(&t.schema, &i.name))
                .collect();
            (qualified(&t.schema, &t.name), indexes)
        })
        .collect();
    for step in steps {
        for statements in [&mut step.up, &mut step.down] {
            *statements = guarded(std::mem::take(statements), &tables);
        }
    }
}

/// `statements` with those on a left-alone table run only where it exists; a run of
/// them on the same table shares one check.
fn guarded(statements: Vec<String>, tables: &[(String, Vec<String>)]) -> Vec<String> {
    let mut out = Vec::new();
    let mut run: Option<(&str, Vec<String>)> = None;
    for statement in statements {
        let table = acted_on(&statement, tables);
        if let Some((t, run_statements)) = &mut run {
            if table == Some(*t) {
                run_statements.push(statement);
                continue;
            }
        }
        if let Some((t, run_statements)) = run.take() {
            out.push(where_it_exists(t, &run_statements));
        }
        match table {
            Some(t) => run = Some((t, vec![statement])),
            None => out.push(statement),
        }
    }
    if let Some((t, run_statements)) = run {
        out.push(where_it_exists(t, &run_statements));
    }
    out
}

/// The left-alone table `statement` acts on, if any.
fn acted_on<'t>(statement: &str, tables: &'t [(String, Vec<String>)]) -> Option<&'t str> {
    tables.iter().find_map(|(t, indexes)| {
        let on_table = statement.starts_with(&format!("ALTER TABLE {t} "))
            || statement.starts_with(&format!("COMMENT ON COLUMN {t}."))
            || (statement.starts_with("CREATE ")
                && statement.contains(" INDEX ")
                && (statement.contains(&format!(" ON {t} ("))
                    || statement.contains(&format!(" ON {t} USING "))))
            || indexes
                .iter()
                .any(|i| statement == format!("DROP INDEX {i}"));
        on_table.then_some(t.as_str())
    })
}

/// `statements`, run only where `table` exists.
fn where_it_exists(table: &str, statements: &[String]) -> String {
    let executes: String = statements
        .iter()
        .map(|s| format!("        EXECUTE {};\n", string_literal(s)))
        .collect();
    format!(
        "DO $strata$ BEGIN\n    -- {table} is left alone by strata: a database built from the migrations may lack it.\n    IF to_regclass({}) IS NOT NULL THEN\n{executes}    END IF;\nEND $strata$",
        string_literal(table),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_statements_on_the_table_are_wrapped() {
        let tables = vec![("legacy".to_string(), vec!["legacy_status_idx".to_string()])];
        for s in [
            "ALTER TABLE legacy ALTER COLUMN status TYPE mood USING status::text::mood",
            "COMMENT ON COLUMN legacy.status IS 'x'",
            "CREATE INDEX legacy_status_idx ON legacy (status)",
            "DROP INDEX legacy_status_idx",
        ] {
            assert_eq!(acted_on(s, &tables), Some("legacy"), "{s}");
        }
        for s in [
            "ALTER TABLE legacy_two ADD COLUMN x integer",
            "ALTER TABLE users ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES legacy (id)",
            "DROP INDEX users_idx",
        ] {
            assert_eq!(acted_on(s, &tables), None, "{s}");
        }
        let statements = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let out = guarded(
            statements(&[
                "ALTER TABLE legacy DROP CONSTRAINT it's",
                "DROP INDEX legacy_status_idx",
                "ALTER TABLE users ADD COLUMN x integer",
                "ALTER TABLE legacy ADD COLUMN y integer",
            ]),
            &tables,
        );
        assert_eq!(
            out,
            statements(&[
                "DO $strata$ BEGIN\n    -- legacy is left alone by strata: a database built from the migrations may lack it.\n    IF to_regclass('legacy') IS NOT NULL THEN\n        EXECUTE 'ALTER TABLE legacy DROP CONSTRAINT it''s';\n        EXECUTE 'DROP INDEX legacy_status_idx';\n    END IF;\nEND $strata$",
                "ALTER TABLE users ADD COLUMN x integer",
                "DO $strata$ BEGIN\n    -- legacy is left alone by strata: a database built from the migrations may lack it.\n    IF to_regclass('legacy') IS NOT NULL THEN\n        EXECUTE 'ALTER TABLE legacy ADD COLUMN y integer';\n    END IF;\nEND $strata$",
            ])
        );
    }
}
