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
use std::collections::{HashMap, HashSet};

/// Wraps the statements of `steps` that act on a table `current` leaves alone.
pub(super) fn guard(steps: &mut [Step], current: &Schema) {
    if current.excluded_tables.is_empty() {
        return;
    }
    let tables = LeftAlone::of(current);
    for step in steps {
        for statements in [&mut step.up, &mut step.down] {
            *statements = guarded(std::mem::take(statements), &tables);
        }
    }
}

/// The left-alone tables by name as SQL writes it, and their indexes by the name `DROP
/// INDEX` gives them: each statement is looked up, not compared with every table (a
/// plan may have thousands of statements, a database thousands of such tables).
#[derive(Default)]
struct LeftAlone {
    tables: HashSet<String>,
    /// `schema.index` → its table.
    indexes: HashMap<String, String>,
}

impl LeftAlone {
    fn of(current: &Schema) -> LeftAlone {
        let mut out = LeftAlone::default();
        for x in &current.excluded_tables {
            let t = &x.table;
            let name = qualified(&t.schema, &t.name);
            for i in &t.indexes {
                out.indexes
                    .insert(qualified(&t.schema, &i.name), name.clone());
            }
            out.tables.insert(name);
        }
        out
    }

    /// The left-alone table `statement` acts on, if any. A name may hold spaces or dots
    /// (quoted), so each place where it may end is tried.
    fn acted_on(&self, statement: &str) -> Option<&str> {
        let table_before = |rest: &str, end: char| {
            rest.match_indices(end)
                .find_map(|(i, _)| self.tables.get(&rest[..i]))
                .map(String::as_str)
        };
        if let Some(rest) = statement.strip_prefix("ALTER TABLE ") {
            return table_before(rest, ' ');
        }
        if let Some(rest) = statement.strip_prefix("COMMENT ON COLUMN ") {
            return table_before(rest, '.');
        }
        if let Some(index) = statement.strip_prefix("DROP INDEX ") {
            return self.indexes.get(index).map(String::as_str);
        }
        if statement.starts_with("CREATE ") && statement.contains(" INDEX ") {
            let (_, rest) = statement.split_once(" ON ")?;
            return table_before(rest, ' ');
        }
        None
    }
}

/// `statements` with those on a left-alone table run only where it exists; a run of
/// them on the same table shares one check.
fn guarded(statements: Vec<String>, tables: &LeftAlone) -> Vec<String> {
    let mut out = Vec::new();
    let mut run: Option<(&str, Vec<String>)> = None;
    for statement in statements {
        let table = tables.acted_on(&statement);
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
        let tables = LeftAlone {
            tables: HashSet::from(["legacy".to_string()]),
            indexes: HashMap::from([("legacy_status_idx".to_string(), "legacy".to_string())]),
        };
        for s in [
            "ALTER TABLE legacy ALTER COLUMN status TYPE mood USING status::text::mood",
            "COMMENT ON COLUMN legacy.status IS 'x'",
            "CREATE INDEX legacy_status_idx ON legacy (status)",
            "DROP INDEX legacy_status_idx",
        ] {
            assert_eq!(tables.acted_on(s), Some("legacy"), "{s}");
        }
        for s in [
            "ALTER TABLE legacy_two ADD COLUMN x integer",
            "ALTER TABLE users ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES legacy (id)",
            "DROP INDEX users_idx",
        ] {
            assert_eq!(tables.acted_on(s), None, "{s}");
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
