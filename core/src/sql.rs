//! SQL text for schema objects and statements. Pure.
use crate::schema::Table;

/// `CREATE TABLE ...` for a whole table (columns, primary key, unique constraints),
/// multi-line and readable, without a trailing semicolon. Used by `diff` and by the
/// CLI's table-by-table DDL diff.
pub fn create_table(_table: &Table) -> String {
    unimplemented!("helper C")
}
