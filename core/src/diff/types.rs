//! Column types: what changing one costs (hazards), how to convert the values
//! (`USING`), and the zero value a re-added NOT NULL column gets in a down file.
//!
//! Types arrive as `format_type` spells them (`character varying(320)`,
//! `timestamp(3) with time zone`, `integer[]`), so they are parsed from that spelling.
use crate::names::quote_ident;
use crate::plan::Hazard;

/// A type as far as conversions care.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// `smallint` = 2, `integer` = 4, `bigint` = 8: the width in bytes.
    Int(u8),
    Real,
    Double,
    /// `numeric(p, s)`, or `numeric` (None) without limits.
    Numeric(Option<(i64, i64)>),
    /// `character varying(n)`, or `character varying` (None).
    Varchar(Option<u32>),
    Text,
    /// `timestamp(p) without/with time zone`, `time(p) ...`, `interval(p)`: the family
    /// and the fractional-second precision (None = the default, 6).
    Temporal(&'static str, Option<u32>),
    Array(Box<Kind>),
    Other(String),
}

fn parse(ty: &str) -> Kind {
    let ty = ty.trim();
    if let Some(elem) = ty.strip_suffix("[]") {
        return Kind::Array(Box::new(parse(elem)));
    }
    match ty {
        "smallint" => return Kind::Int(2),
        "integer" => return Kind::Int(4),
        "bigint" => return Kind::Int(8),
        "real" => return Kind::Real,
        "double precision" => return Kind::Double,
        "numeric" => return Kind::Numeric(None),
        "character varying" => return Kind::Varchar(None),
        "text" => return Kind::Text,
        _ => {}
    }
    if let Some(args) = modifier(ty, "numeric") {
        // PostgreSQL 15 allows a negative scale, or one above the precision: signed.
        let mut parts = args.split(',').map(|p| p.trim().parse::<i64>());
        return match (parts.next(), parts.next(), parts.next()) {
            (Some(Ok(p)), Some(Ok(s)), None) => Kind::Numeric(Some((p, s))),
            (Some(Ok(p)), None, None) => Kind::Numeric(Some((p, 0))),
            _ => Kind::Other(ty.to_string()),
        };
    }
    if let Some(n) = modifier(ty, "character varying").and_then(|a| a.trim().parse().ok()) {
        return Kind::Varchar(Some(n));
    }
    for family in [
        "timestamp without time zone",
        "timestamp with time zone",
        "time without time zone",
        "time with time zone",
        "interval",
    ] {
        if ty == family {
            return Kind::Temporal(family, None);
        }
        // `timestamp(3) with time zone`: the precision sits after the first word.
        let (head, tail) = family.split_once(' ').unwrap_or((family, ""));
        if let Some(rest) = ty.strip_prefix(head).and_then(|r| r.strip_prefix('(')) {
            if let Some((p, after)) = rest.split_once(')') {
                let after = after.trim();
                if after == tail {
                    if let Ok(p) = p.trim().parse() {
                        return Kind::Temporal(family, Some(p));
                    }
                }
            }
        }
    }
    Kind::Other(ty.to_string())
}

/// `name(args)` → `args`.
fn modifier<'a>(ty: &'a str, name: &str) -> Option<&'a str> {
    ty.strip_prefix(name)?.strip_prefix('(')?.strip_suffix(')')
}

/// What changing a column's type from `from` to `to` costs.
pub(super) fn change_hazards(from: &str, to: &str) -> Vec<Hazard> {
    classify(&parse(from), &parse(to)).hazards()
}

/// How a conversion behaves on existing rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Conversion {
    /// Same representation: only the catalog changes (`varchar(10)` → `text`).
    Free,
    /// Every value fits, but the table is rewritten (`integer` → `bigint`).
    Widening,
    /// Values are cut or rounded silently (`varchar(10)` → `varchar(5)`, explicit
    /// casts truncate; `numeric(10,2)` → `numeric(10,1)` rounds).
    Narrowing,
    /// Values may not convert, and then the migration fails (`bigint` → `integer`,
    /// `text` → `integer`).
    MayFail,
}

impl Conversion {
    fn hazards(self) -> Vec<Hazard> {
        match self {
            Conversion::Free => vec![],
            Conversion::Widening => vec![Hazard::RewritesTable],
            Conversion::Narrowing => vec![Hazard::DeletesData, Hazard::RewritesTable],
            Conversion::MayFail => vec![Hazard::RewritesTable, Hazard::MayFailOnExistingRows],
        }
    }
}

fn classify(from: &Kind, to: &Kind) -> Conversion {
    use Conversion::*;
    use Kind::*;
    if from == to {
        return Free;
    }
    match (from, to) {
        (Int(a), Int(b)) => {
            if a < b {
                Widening
            } else {
                MayFail
            }
        }
        (Real, Double) => Widening,
        // Fewer significant digits: values are rounded, silently.
        (Double, Real) => Narrowing,
        (Int(_), Numeric(None)) => Widening,
        // Enough integer digits for the widest value of the integer type.
        (Int(w), Numeric(Some((p, s)))) => {
            let digits: i64 = match w {
                2 => 5,
                4 => 10,
                _ => 19,
            };
            if p - s >= digits {
                Widening
            } else {
                MayFail
            }
        }
        (Int(_) | Real | Double | Numeric(_), Text | Varchar(None)) => Widening,
        (Numeric(_), Numeric(None)) => Free,
        (Numeric(None), Numeric(Some(_))) => Narrowing,
        (Numeric(Some((p1, s1))), Numeric(Some((p2, s2)))) => {
            if s2 < s1 {
                Narrowing
            } else if p2 - s2 < p1 - s1 {
                MayFail
            } else if s2 == s1 {
                // More precision, same scale: PostgreSQL only updates the catalog.
                Free
            } else {
                Widening
            }
        }
        (Varchar(_), Text | Varchar(None)) | (Text, Varchar(None)) => Free,
        (Varchar(Some(a)), Varchar(Some(b))) if b > a => Free,
        (Varchar(_) | Text, Varchar(Some(_))) => Narrowing,
        (Temporal(f1, p1), Temporal(f2, p2)) if f1 == f2 => {
            let precision = |p: &Option<u32>| p.unwrap_or(6);
            if precision(p2) >= precision(p1) {
                Free
            } else {
                Narrowing
            }
        }
        (Temporal("timestamp without time zone", _), Temporal("timestamp with time zone", _)) => {
            Widening
        }
        (Array(a), Array(b)) => match classify(a, b) {
            // An element-wise conversion always rewrites the array values.
            Free | Widening => Widening,
            other => other,
        },
        // Anything can be spelled as text.
        (_, Text) => Widening,
        _ => MayFail,
    }
}

/// The `USING` expression for a type change of `column` to `to`: scalar → array wraps
/// the value, array → scalar takes the first element. To or from an enum type (one of
/// `enum_types`, spelled as column types spell them) the value goes through `text`:
/// an enum casts only to and from text, by label.
pub(super) fn using(column: &str, from: &str, to: &str, enum_types: &[String]) -> String {
    let c = quote_ident(column);
    let is_enum = |ty: &str| {
        let scalar = ty.strip_suffix("[]").unwrap_or(ty);
        enum_types.iter().any(|e| e == scalar)
    };
    let via_text = is_enum(from) || is_enum(to);
    // To text itself, the cast through text is the whole conversion.
    if via_text && (to == "text" || to == "text[]") && from.ends_with("[]") == to.ends_with("[]") {
        return format!("{c}::{to}");
    }
    match (from.ends_with("[]"), to.ends_with("[]"), via_text) {
        (false, true, false) => format!("ARRAY[{c}]::{to}"),
        (false, true, true) => format!("ARRAY[{c}::text]::{to}"),
        (true, false, false) => format!("{c}[1]::{to}"),
        (true, false, true) => format!("{c}[1]::text::{to}"),
        (true, true, true) => format!("{c}::text[]::{to}"),
        (false, false, true) => format!("{c}::text::{to}"),
        _ => format!("{c}::{to}"),
    }
}

/// The value existing rows get when a NOT NULL column without a default is re-added
/// (the down file of a dropped column), or None when the type has no obvious one.
pub(super) fn zero_value(ty: &str) -> Option<String> {
    if ty.ends_with("[]") {
        return Some("'{}'".to_string());
    }
    let value = match parse(ty) {
        Kind::Int(_) | Kind::Real | Kind::Double | Kind::Numeric(_) => "0",
        Kind::Varchar(_) | Kind::Text => "''",
        Kind::Temporal(family, _) => match family {
            "interval" => "'0'",
            f if f.starts_with("time ") => "'00:00'",
            _ => "'epoch'",
        },
        Kind::Array(_) => "'{}'",
        Kind::Other(other) => match other.as_str() {
            "boolean" => "false",
            "date" => "'epoch'",
            "jsonb" => "'{}'::jsonb",
            "json" => "'{}'::json",
            "uuid" => "'00000000-0000-0000-0000-000000000000'",
            "bytea" => "'\\x'",
            "inet" => "'0.0.0.0'",
            "cidr" => "'0.0.0.0/0'",
            "macaddr" => "'00:00:00:00:00:00'",
            "money" => "0",
            "citext" => "''",
            o if o.starts_with("character(") || o == "character" => "''",
            _ => return None,
        },
    };
    Some(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use Hazard::*;

    #[test]
    fn known_widenings_and_what_they_cost() {
        let cases: &[(&str, &str, &[Hazard])] = &[
            ("smallint", "integer", &[RewritesTable]),
            ("integer", "bigint", &[RewritesTable]),
            ("real", "double precision", &[RewritesTable]),
            ("character varying(10)", "character varying(20)", &[]),
            ("character varying(10)", "character varying", &[]),
            ("character varying(10)", "text", &[]),
            ("text", "character varying", &[]),
            ("numeric(10,2)", "numeric(12,2)", &[]),
            ("numeric(10,2)", "numeric", &[]),
            ("numeric(10,2)", "numeric(12,3)", &[RewritesTable]),
            ("integer", "numeric", &[RewritesTable]),
            ("bigint", "numeric(20,0)", &[RewritesTable]),
            (
                "timestamp(3) without time zone",
                "timestamp without time zone",
                &[],
            ),
            (
                "timestamp(3) with time zone",
                "timestamp(6) with time zone",
                &[],
            ),
            ("integer[]", "bigint[]", &[RewritesTable]),
            ("integer", "text", &[RewritesTable]),
        ];
        for (from, to, hazards) in cases {
            assert_eq!(change_hazards(from, to), hazards.to_vec(), "{from} -> {to}");
        }
    }

    #[test]
    fn narrowing_deletes_data_and_risky_casts_may_fail() {
        let cases: &[(&str, &str, &[Hazard])] = &[
            ("bigint", "integer", &[RewritesTable, MayFailOnExistingRows]),
            ("text", "integer", &[RewritesTable, MayFailOnExistingRows]),
            (
                "character varying(20)",
                "character varying(10)",
                &[DeletesData, RewritesTable],
            ),
            (
                "text",
                "character varying(10)",
                &[DeletesData, RewritesTable],
            ),
            ("double precision", "real", &[DeletesData, RewritesTable]),
            (
                "numeric(10,2)",
                "numeric(10,1)",
                &[DeletesData, RewritesTable],
            ),
            (
                "numeric(10,2)",
                "numeric(8,2)",
                &[RewritesTable, MayFailOnExistingRows],
            ),
            (
                "integer",
                "numeric(5,0)",
                &[RewritesTable, MayFailOnExistingRows],
            ),
            (
                "timestamp(6) with time zone",
                "timestamp(0) with time zone",
                &[DeletesData, RewritesTable],
            ),
            ("text", "text[]", &[RewritesTable, MayFailOnExistingRows]),
            ("uuid", "bytea", &[RewritesTable, MayFailOnExistingRows]),
        ];
        for (from, to, hazards) in cases {
            assert_eq!(change_hazards(from, to), hazards.to_vec(), "{from} -> {to}");
        }
    }

    #[test]
    fn using_wraps_and_unwraps_arrays() {
        assert_eq!(using("age", "integer", "bigint", &[]), "age::bigint");
        assert_eq!(using("tag", "text", "text[]", &[]), "ARRAY[tag]::text[]");
        assert_eq!(using("tags", "text[]", "text", &[]), "tags[1]::text");
        assert_eq!(using("order", "text", "integer", &[]), "\"order\"::integer");
    }

    #[test]
    fn enums_convert_through_text() {
        let enums = ["status".to_string(), "billing.\"Kind\"".to_string()];
        assert_eq!(using("s", "text", "status", &enums), "s::text::status");
        assert_eq!(using("s", "status", "text", &enums), "s::text");
        assert_eq!(
            using("k", "status[]", "billing.\"Kind\"[]", &enums),
            "k::text[]::billing.\"Kind\"[]"
        );
        assert_eq!(
            using("s", "status", "status[]", &enums),
            "ARRAY[s::text]::status[]"
        );
        assert_eq!(
            using("s", "status[]", "status", &enums),
            "s[1]::text::status"
        );
    }

    #[test]
    fn zero_values() {
        assert_eq!(zero_value("integer").as_deref(), Some("0"));
        assert_eq!(zero_value("character varying(3)").as_deref(), Some("''"));
        assert_eq!(zero_value("boolean").as_deref(), Some("false"));
        assert_eq!(zero_value("text[]").as_deref(), Some("'{}'"));
        assert_eq!(zero_value("jsonb").as_deref(), Some("'{}'::jsonb"));
        assert_eq!(
            zero_value("timestamp(3) with time zone").as_deref(),
            Some("'epoch'")
        );
        assert_eq!(
            zero_value("time without time zone").as_deref(),
            Some("'00:00'")
        );
        assert_eq!(zero_value("bytea").as_deref(), Some("'\\x'"));
        assert_eq!(zero_value("user_status"), None);
    }
}
