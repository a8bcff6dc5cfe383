//! Declared collations → the SQL introspection reads back: `quote_ident(name)` for a
//! collation the search path finds (PostgreSQL's own in `pg_catalog`, or one in
//! `public`), `schema.name` for another.

use crate::names::quote_ident;
use crate::parse::parse_collation;

/// The collation PostgreSQL calls `default`: the database's, which a column of a
/// string type has when it names none.
const DEFAULT: &str = "default";

/// `declared` (checked by the parser) as SQL; `None` for `default`, which is what
/// naming no collation gives a column.
pub(super) fn column_collation(declared: &str) -> Option<String> {
    let sql = collation_sql(declared);
    (sql != quote_ident(DEFAULT)).then_some(sql)
}

/// `declared` as SQL, `default` included (on an index key it says "not the column's").
pub(super) fn collation_sql(declared: &str) -> String {
    match parse_collation(declared) {
        Ok((Some(schema), name)) if schema != "pg_catalog" && schema != "public" => {
            format!("{}.{}", quote_ident(&schema), quote_ident(&name))
        }
        Ok((_, name)) => quote_ident(&name).into_owned(),
        // The parser refused it already; nothing better to write.
        Err(_) => quote_ident(declared.trim()).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collations_are_spelled_as_introspection_reads_them() {
        assert_eq!(collation_sql("C"), "\"C\"");
        assert_eq!(collation_sql("en_US.utf8"), "\"en_US.utf8\"");
        assert_eq!(collation_sql("de-x-icu"), "\"de-x-icu\"");
        assert_eq!(collation_sql("posix_like"), "posix_like");
        assert_eq!(collation_sql("pg_catalog.\"C\""), "\"C\"");
        assert_eq!(collation_sql("public.\"mine\""), "mine");
        // Without quotes, a dot is part of the name (glibc locales have one).
        assert_eq!(collation_sql("public.mine"), "\"public.mine\"");
        assert_eq!(collation_sql("billing.\"German\""), "billing.\"German\"");
        assert_eq!(collation_sql("\"Mixed Case\""), "\"Mixed Case\"");
        assert_eq!(column_collation("default"), None);
        assert_eq!(column_collation("C").as_deref(), Some("\"C\""));
    }
}
