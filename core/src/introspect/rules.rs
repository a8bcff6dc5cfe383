//! Rules on the tables and views of the managed schemas (`pg_get_ruledef`), other
//! than the `_RETURN` rule that is a view's query.
use crate::schema::Rule;

pub(super) const SQL: &str = concat!(
    "
SELECT 'rule' AS kind, pg_catalog.json_build_object(
    'schema', n.nspname, 'table', c.relname, 'name', r.rulename,
    'definition', pg_catalog.pg_get_ruledef(r.oid),
    'enabled', r.ev_enabled,
    'comment', ",
    comment_of!("r.oid", "pg_rewrite"),
    ")::text AS body
FROM pg_catalog.pg_rewrite r
JOIN pg_catalog.pg_class c ON c.oid = r.ev_class
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE r.rulename <> '_RETURN' AND n.nspname::text = ANY($1)"
);

pub(super) fn parse(body: &str) -> serde_json::Result<Rule> {
    let mut r: Rule = serde_json::from_str(body)?;
    r.definition = r.definition.trim_end().trim_end_matches(';').to_string();
    Ok(r)
}
