//! Columns of the managed tables, with their numbers (`attnum`), defaults, identity,
//! generated expressions, comments and the sequences they own (serial).
use super::{unexpected, Catalog, TableOid};
use crate::schema::{Column, Identity};
use sqlx::Row;

/// `owned_sequences`: for each column, the `nextval(...)` defaults that would name a
/// sequence it owns (`OWNED BY`, `pg_depend.deptype = 'a'`), spelled as `pg_get_expr`
/// prints such a default (`format('%L', regclass)` uses the same `search_path`
/// visibility rule; identity sequences, `deptype = 'i'`, stay out of those), and the
/// name and type (`AS integer`) of the sequence it owns either way, in the table's
/// schema. One pass over `pg_depend`, grouped, not a lookup per column; the type is
/// read from `pg_sequence` in the same pass (a serial column's sequence keeps its type
/// when the column's changes, so the diff compares it).
///
/// A column's collation is named only where it is not its type's (`typcollation`):
/// the database's default (oid 100) for the built-in string types, or a domain's own.
/// Most columns have the default or none (0), and are not looked up at all.
///
/// A default is deparsed with `pg_get_expr(adbin, 0)`: given a table, `pg_get_expr`
/// opens it to learn its column names (a relcache entry built per table: 0.19 s of
/// the query at N=5000), and a default cannot mention a column, so the text is the
/// same without it. A generated column's expression does mention columns: it alone
/// is read with its table.
const SQL: &str = concat!(
    managed_tables_cte!(),
    ",
owned_sequences AS (
    SELECT d.refobjid, d.refobjsubid,
           array_agg(format('nextval(%L::regclass)', d.objid::regclass))
               FILTER (WHERE d.deptype = 'a') AS nextval_defaults,
           (array_agg(s.relname::text ORDER BY s.relname)
               FILTER (WHERE s.relnamespace = t.relnamespace))[1] AS sequence_name,
           (array_agg(pg_catalog.format_type(sq.seqtypid, NULL) ORDER BY s.relname)
               FILTER (WHERE s.relnamespace = t.relnamespace))[1] AS sequence_type
    FROM pg_catalog.pg_depend d
    JOIN managed m ON m.oid = d.refobjid
    JOIN pg_catalog.pg_class t ON t.oid = d.refobjid
    JOIN pg_catalog.pg_class s ON s.oid = d.objid AND s.relkind = 'S'
    JOIN pg_catalog.pg_sequence sq ON sq.seqrelid = s.oid
    WHERE d.classid = 'pg_catalog.pg_class'::regclass
      AND d.refclassid = 'pg_catalog.pg_class'::regclass
      AND d.deptype IN ('a', 'i')
    GROUP BY d.refobjid, d.refobjsubid
)
SELECT a.attrelid::int8 AS table_oid,
       a.attnum AS number,
       a.attname::text AS name,
       pg_catalog.format_type(a.atttypid, a.atttypmod) AS ty,
       a.attnotnull AS not_null,
       CASE WHEN a.attgenerated = ''
            THEN pg_catalog.pg_get_expr(ad.adbin, 0)
            ELSE pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) END AS default_expr,
       a.attidentity::text AS identity,
       a.attgenerated::text AS generated,
       dsc.description AS comment,
       COALESCE(os.nextval_defaults, '{}') AS owned_nextval_defaults,
       os.sequence_name,
       CASE WHEN pg_catalog.quote_ident(a.attname) <> a.attname::text
            THEN pg_catalog.quote_ident(a.attname) END AS quoted_name,
       os.sequence_type,
       CASE WHEN a.attcollation NOT IN (0, 100)
            THEN (SELECT CASE WHEN t.typcollation = co.oid THEN NULL
                              WHEN pg_catalog.pg_collation_is_visible(co.oid)
                              THEN pg_catalog.quote_ident(co.collname)
                              ELSE pg_catalog.quote_ident(cn.nspname) || '.'
                                   || pg_catalog.quote_ident(co.collname) END
                  FROM pg_catalog.pg_collation co
                  JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
                  JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
                  WHERE co.oid = a.attcollation) END AS collation
FROM pg_catalog.pg_attribute a
JOIN managed m ON m.oid = a.attrelid
LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN pg_catalog.pg_description dsc
       ON dsc.classoid = 'pg_catalog.pg_class'::regclass
      AND dsc.objoid = a.attrelid
      AND dsc.objsubid = a.attnum
LEFT JOIN owned_sequences os ON os.refobjid = a.attrelid AND os.refobjsubid = a.attnum
WHERE a.attnum > 0 AND NOT a.attisdropped"
);

/// One row of [`SQL`], before interpretation.
#[derive(Debug, Clone, Default)]
pub(super) struct ColumnRow {
    pub name: String,
    pub ty: String,
    pub not_null: bool,
    pub default_expr: Option<String>,
    /// `attidentity`: empty, `a` or `d`.
    pub identity: String,
    /// `attgenerated`: empty or `s`.
    pub generated: String,
    pub comment: Option<String>,
    pub owned_nextval_defaults: Vec<String>,
    /// The sequence the column owns (serial or identity), in the table's schema.
    pub sequence_name: Option<String>,
    /// That sequence's type, as `format_type` spells it.
    pub sequence_type: Option<String>,
    /// The collation, where it is not the type's, as SQL.
    pub collation: Option<String>,
}

/// A column with its table, its number (`attnum`) and, when `quote_ident` quotes it,
/// its name as PostgreSQL quotes it (index keys are named from it).
pub(super) struct ReadColumn {
    pub table: TableOid,
    pub number: i16,
    pub quoted_name: Option<String>,
    pub column: Column,
}

/// Each column with its table and its number (`attnum`). Unordered: sorting 60,000
/// wide rows was a sixth of the query at N=5000; the caller orders each table's few.
///
/// Fields are read by position, in [`SQL`]'s select-list order: by name, sqlx hashes
/// the name on every read, a tenth of the client's work on these ~60,000 rows at
/// N=5000. A reordered select list fails every introspection test (the positions
/// have different types, or the snapshot changes).
pub(super) async fn fetch(catalog: &mut Catalog<'_>) -> Result<Vec<ReadColumn>, sqlx::Error> {
    catalog
        .map_rows(SQL, |row| {
            let raw = ColumnRow {
                name: row.try_get(2)?,
                ty: row.try_get(3)?,
                not_null: row.try_get(4)?,
                default_expr: row.try_get(5)?,
                identity: row.try_get(6)?,
                generated: row.try_get(7)?,
                comment: row.try_get(8)?,
                owned_nextval_defaults: row.try_get(9)?,
                sequence_name: row.try_get(10)?,
                sequence_type: row.try_get(12)?,
                collation: row.try_get(13)?,
            };
            Ok(ReadColumn {
                table: row.try_get(0)?,
                number: row.try_get(1)?,
                quoted_name: row.try_get(11)?,
                column: column(raw)?,
            })
        })
        .await
}

/// The types `serial`, `bigserial` and `smallserial` expand to.
const SERIAL_TYPES: [&str; 3] = ["integer", "bigint", "smallint"];

/// Interprets a catalog row: generated columns keep their expression in `generated`
/// (PostgreSQL stores it as the default), serial columns lose their `nextval` default
/// (it is implied by `serial`).
pub(super) fn column(row: ColumnRow) -> Result<Column, sqlx::Error> {
    let identity = match row.identity.as_str() {
        "" => None,
        "a" => Some(Identity::Always),
        "d" => Some(Identity::ByDefault),
        other => return Err(unexpected("attidentity", other)),
    };
    let (default, generated) = match row.generated.as_str() {
        "" => (row.default_expr, None),
        "s" => (None, row.default_expr),
        other => return Err(unexpected("attgenerated", other)),
    };
    // A sequence default on a type `serial` cannot produce (numeric, text, ...) is an
    // ordinary default, kept verbatim so nothing is lost.
    let serial = SERIAL_TYPES.contains(&row.ty.as_str())
        && default
            .as_ref()
            .is_some_and(|d| row.owned_nextval_defaults.contains(d));
    // Only a serial or identity column's sequence is its own to rename and retype.
    let owns_sequence = serial || identity.is_some();
    Ok(Column {
        name: row.name,
        ty: row.ty,
        nullable: !row.not_null,
        default: if serial { None } else { default },
        identity,
        generated,
        serial,
        sequence: owns_sequence.then_some(row.sequence_name).flatten(),
        sequence_type: owns_sequence.then_some(row.sequence_type).flatten(),
        collation: row.collation,
        comment: row.comment,
        renamed_from: None,
        written: Default::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(ty: &str, default: Option<&str>) -> ColumnRow {
        ColumnRow {
            name: "id".into(),
            ty: ty.into(),
            not_null: true,
            default_expr: default.map(String::from),
            ..ColumnRow::default()
        }
    }

    #[test]
    fn a_nextval_default_of_an_owned_sequence_is_serial() {
        let mut r = row("bigint", Some("nextval('t_id_seq'::regclass)"));
        r.owned_nextval_defaults = vec!["nextval('t_id_seq'::regclass)".into()];
        let c = column(r).unwrap();
        assert!(c.serial);
        assert_eq!(c.default, None);
        assert_eq!(c.ty, "bigint");
    }

    #[test]
    fn a_serial_or_identity_column_has_its_sequence_type_and_no_other_does() {
        let mut r = row("bigint", Some("nextval('t_id_seq'::regclass)"));
        r.owned_nextval_defaults = vec!["nextval('t_id_seq'::regclass)".into()];
        r.sequence_name = Some("t_id_seq".into());
        r.sequence_type = Some("integer".into());
        let c = column(r.clone()).unwrap();
        assert_eq!(c.sequence.as_deref(), Some("t_id_seq"));
        assert_eq!(c.sequence_type.as_deref(), Some("integer"));

        let mut identity = r.clone();
        identity.default_expr = None;
        identity.identity = "d".into();
        assert_eq!(
            column(identity).unwrap().sequence_type.as_deref(),
            Some("integer")
        );

        // A sequence default on a numeric column is an ordinary default.
        r.ty = "numeric".into();
        let c = column(r).unwrap();
        assert_eq!((c.sequence, c.sequence_type), (None, None));
    }

    #[test]
    fn a_nextval_default_of_a_sequence_the_column_does_not_own_is_a_default() {
        let mut r = row("integer", Some("nextval('shared_seq'::regclass)"));
        r.owned_nextval_defaults = vec!["nextval('t_id_seq'::regclass)".into()];
        let c = column(r).unwrap();
        assert!(!c.serial);
        assert_eq!(
            c.default.as_deref(),
            Some("nextval('shared_seq'::regclass)")
        );
    }

    #[test]
    fn an_owned_sequence_on_a_non_integer_column_is_not_serial() {
        let mut r = row("numeric", Some("nextval('t_id_seq'::regclass)"));
        r.owned_nextval_defaults = vec!["nextval('t_id_seq'::regclass)".into()];
        let c = column(r).unwrap();
        assert!(!c.serial);
        assert!(c.default.is_some());
    }

    #[test]
    fn a_generated_column_has_its_expression_and_no_default() {
        let mut r = row("numeric", Some("(price * (qty)::numeric)"));
        r.generated = "s".into();
        let c = column(r).unwrap();
        assert_eq!(c.default, None);
        assert_eq!(c.generated.as_deref(), Some("(price * (qty)::numeric)"));
    }

    #[test]
    fn identity_kinds_map_and_unknown_codes_are_errors() {
        let mut r = row("integer", None);
        r.identity = "a".into();
        assert_eq!(column(r.clone()).unwrap().identity, Some(Identity::Always));
        r.identity = "d".into();
        assert_eq!(
            column(r.clone()).unwrap().identity,
            Some(Identity::ByDefault)
        );
        r.identity = "z".into();
        assert!(column(r).is_err());
    }

    #[test]
    fn nullability_is_the_inverse_of_not_null() {
        let mut r = row("text", None);
        r.not_null = false;
        assert!(column(r).unwrap().nullable);
    }
}
