//! Column types: what changing one costs (hazards), how to convert the values
//! (`USING`), the check a down file makes before a conversion that could cut values,
//! and the zero value a re-added NOT NULL column gets in a down file.
//!
//! Types arrive as `format_type` spells them (`character varying(320)`,
//! `timestamp(3) with time zone`, `integer[]`), so they are parsed from that spelling.
use crate::names::quote_ident;
use crate::plan::Hazard;
use crate::sql;

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
    /// `character(n)`, or `bpchar` (None) without a length.
    Char(Option<u32>),
    /// `bit(n)` (`varying` false) or `bit varying(n)`; None: `bit varying` unlimited.
    Bit {
        varying: bool,
        length: Option<u32>,
    },
    /// `timestamp(p) without/with time zone`, `time(p) ...`: the family and the
    /// fractional-second precision (None = the default, 6).
    Temporal(&'static str, Option<u32>),
    /// `interval day`, `interval(3)`: the smallest field kept (see [`interval_field`])
    /// and the fractional-second precision.
    Interval(u8, Option<u32>),
    Date,
    Boolean,
    Uuid,
    Array(Box<Kind>),
    Other(String),
}

const TIMESTAMP: &str = "timestamp without time zone";
const TIMESTAMPTZ: &str = "timestamp with time zone";
const TIME: &str = "time without time zone";
const TIMETZ: &str = "time with time zone";

/// The smallest field an interval keeps, coarsest first; `interval` alone keeps seconds.
const INTERVAL_FIELDS: [&str; 6] = ["year", "month", "day", "hour", "minute", "second"];
const SECOND: u8 = 5;

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
        "bpchar" => return Kind::Char(None),
        "character" => return Kind::Char(Some(1)),
        "bit varying" => {
            return Kind::Bit {
                varying: true,
                length: None,
            }
        }
        "bit" => {
            return Kind::Bit {
                varying: false,
                length: Some(1),
            }
        }
        "date" => return Kind::Date,
        "boolean" => return Kind::Boolean,
        "uuid" => return Kind::Uuid,
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
    let length = |name: &str| modifier(ty, name).and_then(|a| a.trim().parse().ok());
    if let Some(n) = length("character varying") {
        return Kind::Varchar(Some(n));
    }
    if let Some(n) = length("character") {
        return Kind::Char(Some(n));
    }
    if let Some(n) = length("bit varying") {
        return Kind::Bit {
            varying: true,
            length: Some(n),
        };
    }
    if let Some(n) = length("bit") {
        return Kind::Bit {
            varying: false,
            length: Some(n),
        };
    }
    if let Some(interval) = parse_interval(ty) {
        return interval;
    }
    for family in [TIMESTAMP, TIMESTAMPTZ, TIME, TIMETZ] {
        if ty == family {
            return Kind::Temporal(family, None);
        }
        // `timestamp(3) with time zone`: the precision sits after the first word.
        let (head, tail) = family.split_once(' ').unwrap_or((family, ""));
        if let Some(rest) = ty.strip_prefix(head).and_then(|r| r.strip_prefix('(')) {
            if let Some((p, after)) = rest.split_once(')') {
                if after.trim() == tail {
                    if let Ok(p) = p.trim().parse() {
                        return Kind::Temporal(family, Some(p));
                    }
                }
            }
        }
    }
    Kind::Other(ty.to_string())
}

/// `interval`, `interval(3)`, `interval day`, `interval day to second(3)`.
fn parse_interval(ty: &str) -> Option<Kind> {
    let rest = ty.strip_prefix("interval")?;
    if !(rest.is_empty() || rest.starts_with([' ', '('])) {
        return None;
    }
    let (fields, precision) = match rest.trim_end().strip_suffix(')') {
        Some(head) => {
            let (fields, p) = head.rsplit_once('(')?;
            (fields.trim(), Some(p.trim().parse().ok()?))
        }
        None => (rest.trim(), None),
    };
    // `day to second`: what is kept is down to the last field named.
    let smallest = match fields.rsplit(' ').next() {
        Some("") | None => SECOND,
        Some(last) => INTERVAL_FIELDS.iter().position(|f| *f == last)? as u8,
    };
    Some(Kind::Interval(smallest, precision))
}

/// `name(args)` → `args`.
fn modifier<'a>(ty: &'a str, name: &str) -> Option<&'a str> {
    ty.strip_prefix(name)?.strip_prefix('(')?.strip_suffix(')')
}

/// What changing a column's type from `from` to `to` costs.
pub(super) fn change_hazards(from: &str, to: &str) -> Vec<Hazard> {
    classify(&parse(from), &parse(to)).hazards()
}

/// Whether converting `from` to `to` can change or refuse values: the conversions
/// [`change_hazards`] marks as deleting data.
fn narrows(from: &str, to: &str) -> bool {
    classify(&parse(from), &parse(to)).narrows
}

/// How a conversion behaves on existing rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Conversion {
    /// The values are converted and the table rewritten, not only the catalog changed.
    rewrites: bool,
    /// The new type cannot hold every value of the old one: values are cut, rounded or
    /// partly dropped silently, or (with `fails`) the conversion fails on them. SPEC:
    /// narrowing a type deletes data, so `generate` refuses it without
    /// `--allow-destructive`.
    narrows: bool,
    /// Some values may not convert, and then the statement fails.
    fails: bool,
}

/// Only the catalog changes (`varchar(10)` → `text`).
const FREE: Conversion = Conversion {
    rewrites: false,
    narrows: false,
    fails: false,
};
/// Every value fits, but each is converted (`integer` → `bigint`).
const WIDENS: Conversion = Conversion {
    rewrites: true,
    ..FREE
};
/// Values that do not fit are cut or rounded without an error (an explicit cast to
/// `varchar(5)` truncates, `numeric(10,2)` → `numeric(10,1)` rounds).
const CUTS: Conversion = Conversion {
    narrows: true,
    ..WIDENS
};
/// Values that do not fit make the conversion fail (`bigint` → `integer`); some
/// conversions also round (`numeric(10,2)` → `numeric(5,1)`).
const OVERFLOWS: Conversion = Conversion {
    fails: true,
    ..CUTS
};
/// Values of another kind that may not parse (`text` → `integer`): a failure, never a
/// silent change.
const MAY_FAIL: Conversion = Conversion {
    fails: true,
    ..WIDENS
};

impl Conversion {
    fn hazards(self) -> Vec<Hazard> {
        [
            (self.narrows, Hazard::DeletesData),
            (self.rewrites, Hazard::RewritesTable),
            (self.fails, Hazard::MayFailOnExistingRows),
        ]
        .into_iter()
        .filter_map(|(has, h)| has.then_some(h))
        .collect()
    }

    fn or(self, other: Conversion) -> Conversion {
        Conversion {
            rewrites: self.rewrites || other.rewrites,
            narrows: self.narrows || other.narrows,
            fails: self.fails || other.fails,
        }
    }

    fn cuts_if(self, cond: bool) -> Conversion {
        if cond {
            self.or(CUTS)
        } else {
            self
        }
    }
}

/// An exact number's shape: the integer digits it needs to hold its widest value, the
/// integer digits it holds every value of, and its scale; None is unlimited.
struct Exact {
    needs: Option<i64>,
    holds: Option<i64>,
    scale: Option<i64>,
}

fn exact(kind: &Kind) -> Option<Exact> {
    match kind {
        // 32767, 2147483647, 9223372036854775807: 5, 10, 19 digits, not all of them
        // values (99999 does not fit a smallint).
        Kind::Int(w) => {
            let digits = match w {
                2 => 5,
                4 => 10,
                _ => 19,
            };
            Some(Exact {
                needs: Some(digits),
                holds: Some(digits - 1),
                scale: Some(0),
            })
        }
        Kind::Numeric(None) => Some(Exact {
            needs: None,
            holds: None,
            scale: None,
        }),
        Kind::Numeric(Some((p, s))) => Some(Exact {
            needs: Some(p - s),
            holds: Some(p - s),
            scale: Some(*s),
        }),
        _ => None,
    }
}

/// `a < b` where None is unlimited.
fn less(a: Option<i64>, b: Option<i64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a < b,
        (Some(_), None) => true,
        (None, _) => false,
    }
}

/// The longest text a value of `kind` prints as, where it is small and known.
fn text_width(kind: &Kind) -> Option<u32> {
    match kind {
        Kind::Int(2) => Some(6),
        Kind::Int(4) => Some(11),
        Kind::Int(_) => Some(20),
        Kind::Boolean => Some(5),
        Kind::Uuid => Some(36),
        Kind::Char(n) | Kind::Varchar(n) => *n,
        _ => None,
    }
}

/// Significant decimal digits a float keeps through a round trip (`FLT_DIG`,
/// `DBL_DIG`), and the largest decimal exponent it reaches.
fn float_digits(kind: &Kind) -> (i64, i64) {
    match kind {
        Kind::Real => (6, 38),
        _ => (15, 308),
    }
}

fn classify(from: &Kind, to: &Kind) -> Conversion {
    use Kind::*;
    if from == to {
        return FREE;
    }
    let precision = |p: &Option<u32>| p.unwrap_or(6);
    match (from, to) {
        // An element-wise conversion always rewrites the array values.
        (Array(a), Array(b)) => classify(a, b).or(WIDENS),
        // The value becomes the array's only element.
        (a, Array(b)) => classify(a, b).or(WIDENS),
        // The first element is kept, the others are dropped.
        (Array(a), b) => classify(a, b).or(CUTS),

        (Numeric(_), Numeric(None)) => FREE,
        // More precision, same scale: PostgreSQL only updates the catalog.
        (Numeric(Some((p1, s1))), Numeric(Some((p2, s2)))) if s1 == s2 && p2 >= p1 => FREE,
        (Int(_) | Numeric(_), Int(_) | Numeric(_)) => match (exact(from), exact(to)) {
            (Some(a), Some(b)) => {
                let overflows = less(b.holds, a.needs);
                let rounds = less(b.scale, a.scale);
                if overflows {
                    OVERFLOWS
                } else {
                    WIDENS.cuts_if(rounds)
                }
            }
            _ => MAY_FAIL,
        },
        (Real, Double) => WIDENS,
        // Fewer significant digits; values beyond real's range fail.
        (Double, Real) => OVERFLOWS,
        // A float keeps 24 (real) or 53 (double) bits of an integer exactly.
        (Int(w), Real) => WIDENS.cuts_if(*w > 2),
        (Int(w), Double) => WIDENS.cuts_if(*w > 4),
        // The fraction is rounded away; large values, NaN and infinity fail.
        (Real | Double, Int(_)) => OVERFLOWS,
        // PostgreSQL converts a float to numeric through its 6 or 15 significant
        // digits (0.30000000000000004 becomes 0.3), then rounds to the scale.
        (Real | Double, Numeric(None)) => CUTS,
        (Real | Double, Numeric(Some(_))) => OVERFLOWS,
        (Numeric(None), Real | Double) => OVERFLOWS,
        (Numeric(Some((p, s))), Real | Double) => {
            let (digits, exponent) = float_digits(to);
            if p - s > exponent {
                OVERFLOWS
            } else {
                WIDENS.cuts_if(*p > digits)
            }
        }

        (Varchar(_) | Text, Text | Varchar(None)) => FREE,
        (Varchar(Some(a)), Varchar(Some(b))) if b >= a => FREE,
        // An explicit cast to a shorter type truncates.
        (Varchar(_) | Text, Varchar(Some(_))) => CUTS,
        // Trailing spaces are insignificant in `character(n)` and lost on the way out.
        (Char(_), Text | Varchar(None)) => WIDENS,
        (Char(Some(_)), Char(None)) => FREE,
        (Char(a), Char(Some(b)) | Varchar(Some(b))) => WIDENS.cuts_if(less_u(*b, *a)),
        // Longer values are truncated, and trailing spaces are lost.
        (Varchar(_) | Text, Char(_)) => CUTS,

        (
            Bit { .. },
            Bit {
                varying: true,
                length: None,
            },
        ) => FREE,
        (
            Bit { length: a, .. },
            Bit {
                varying: true,
                length: Some(b),
            },
        ) => {
            if less_u(*b, *a) {
                CUTS
            } else {
                FREE
            }
        }
        // A cast to `bit(n)` pads with zeros or truncates.
        (
            Bit {
                varying: false,
                length: Some(a),
            },
            Bit {
                varying: false,
                length: Some(b),
            },
        ) => WIDENS.cuts_if(b < a),
        (Bit { .. }, Bit { varying: false, .. }) => CUTS,

        (Temporal(f1, p1), Temporal(f2, p2)) => {
            let rounds = precision(p2) < precision(p1);
            if f1 == f2 {
                if rounds {
                    CUTS
                } else {
                    FREE
                }
            } else {
                match (*f1, *f2) {
                    // The values are read in the session's time zone.
                    (TIMESTAMP, TIMESTAMPTZ) | (TIME, TIMETZ) => WIDENS.cuts_if(rounds),
                    // The time zone is dropped: where the session's zone repeats an
                    // hour (daylight saving), two instants become one.
                    (TIMESTAMPTZ, TIMESTAMP) | (TIMETZ, TIME) => CUTS,
                    // The date is dropped.
                    (TIMESTAMP | TIMESTAMPTZ, TIME | TIMETZ) => CUTS,
                    _ => MAY_FAIL,
                }
            }
        }
        (Date, Temporal(TIMESTAMP | TIMESTAMPTZ, _)) => WIDENS,
        (Temporal(TIMESTAMP | TIMESTAMPTZ, _), Date) => CUTS,
        (Interval(f1, p1), Interval(f2, p2)) => {
            let rounds = *f2 == SECOND && *f1 == SECOND && precision(p2) < precision(p1);
            if f2 < f1 || rounds {
                CUTS
            } else {
                FREE
            }
        }
        (Temporal(TIME, p1), Interval(f2, p2)) => {
            WIDENS.cuts_if(*f2 < SECOND || precision(p2) < precision(p1))
        }
        // The days, months and years go.
        (Interval(..), Temporal(TIME, _)) => CUTS,

        (Boolean, Int(_)) => WIDENS,
        // Every value but 0 becomes true.
        (Int(_), Boolean) => CUTS,

        // Anything can be spelled as text.
        (_, Text | Varchar(None)) => WIDENS,
        // Spelled as text, then cut to the length by the explicit cast.
        (_, Varchar(Some(n)) | Char(Some(n))) => WIDENS.cuts_if(less_u(*n, text_width(from))),
        _ => MAY_FAIL,
    }
}

/// `b < a` for lengths where None is unlimited.
fn less_u(b: u32, a: Option<u32>) -> bool {
    match a {
        Some(a) => b < a,
        None => true,
    }
}

/// The `USING` expression for a type change of `column` to `to`: scalar → array wraps
/// the value, array → scalar takes the first element. To or from an enum type (one of
/// `enum_types`, spelled as column types spell them) the value goes through `text`:
/// an enum casts only to and from text, by label.
pub(super) fn using(column: &str, from: &str, to: &str, enum_types: &[String]) -> String {
    convert(&quote_ident(column), from, to, enum_types)
}

/// [`using`] for an operand: a column name, or an expression in parentheses.
fn convert(c: &str, from: &str, to: &str, enum_types: &[String]) -> String {
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

/// For a conversion of `table`.`column` from `from` to `to` that [`narrows`]: a
/// statement that fails, naming the column and the type, when a value would not come
/// through unchanged, so that the conversion after it never cuts or rounds a value
/// silently (an explicit cast to `varchar(n)` truncates, numeric rounds). None when
/// every value fits.
///
/// A value comes through unchanged when converting it to `to` and back gives the same
/// text: text, because every type has it (not every type has `=`), and it is the
/// strictest comparison (`1.50` and `1.5` differ in it, as in the column). A
/// conversion that fails on a value (an overflow, `integer out of range`) fails inside
/// the check, where it is caught and reported the same way.
///
/// Down files use it: the down of a widening is a narrowing, and the values written
/// since the up file ran may not fit the old type.
pub(super) fn fit_check(
    table: &str,
    column: &str,
    from: &str,
    to: &str,
    enum_types: &[String],
) -> Option<String> {
    if !narrows(from, to) {
        return None;
    }
    let c = quote_ident(column);
    let there = convert(&c, from, to, enum_types);
    let back = convert(&format!("({there})"), to, from, enum_types);
    let as_text = |e: &str| {
        if from == "text" {
            e.to_string()
        } else if e == c {
            format!("{e}::text")
        } else {
            format!("({e})::text")
        }
    };
    let literal = |s: String| sql::string_literal(&s);
    let message = literal(format!(
        "cannot convert {table}.{c} back to {to}: values written since the migration do not fit it"
    ));
    let detail = literal(format!(
        "converted to {to}, some values would be cut, rounded or partly dropped"
    ));
    let hint = literal(format!(
        "change or delete the rows of {table} whose {c} does not fit {to}, then revert again"
    ));
    let body = format!(
        "
BEGIN
    IF EXISTS (
        SELECT FROM {table}
        WHERE {c} IS NOT NULL AND {back} IS DISTINCT FROM {original}
    ) THEN
        RAISE EXCEPTION USING MESSAGE = {message}, DETAIL = {detail}, HINT = {hint};
    END IF;
EXCEPTION WHEN data_exception THEN
    RAISE EXCEPTION USING MESSAGE = {message}, DETAIL = SQLERRM, HINT = {hint};
END
",
        back = as_text(&back),
        original = as_text(&c),
    );
    Some(format!("DO {}", dollar_quoted(&body)))
}

/// `$$body$$`, or with a tag the body does not contain (`$strata$`, `$strata1$`, ...):
/// names inside the body are the user's.
pub(super) fn dollar_quoted(body: &str) -> String {
    let mut tag = String::new();
    let mut n = 0;
    while body.contains(&format!("${tag}$")) {
        tag = if n == 0 {
            "strata".to_string()
        } else {
            format!("strata{n}")
        };
        n += 1;
    }
    format!("${tag}${body}${tag}$")
}

/// The value existing rows get when a NOT NULL column without a default is re-added
/// (the down file of a dropped column), or None when the type has no obvious one.
pub(super) fn zero_value(ty: &str) -> Option<String> {
    if ty.ends_with("[]") {
        return Some("'{}'".to_string());
    }
    let value = match parse(ty) {
        Kind::Int(_) | Kind::Real | Kind::Double | Kind::Numeric(_) => "0",
        Kind::Varchar(_) | Kind::Text | Kind::Char(_) => "''",
        Kind::Temporal(TIME | TIMETZ, _) => "'00:00'",
        Kind::Temporal(..) | Kind::Date => "'epoch'",
        Kind::Interval(..) => "'0'",
        Kind::Boolean => "false",
        Kind::Uuid => "'00000000-0000-0000-0000-000000000000'",
        Kind::Array(_) => "'{}'",
        Kind::Bit { .. } => return None,
        Kind::Other(other) => match other.as_str() {
            "jsonb" => "'{}'::jsonb",
            "json" => "'{}'::json",
            "bytea" => "'\\x'",
            "inet" => "'0.0.0.0'",
            "cidr" => "'0.0.0.0/0'",
            "macaddr" => "'00:00:00:00:00:00'",
            "money" => "0",
            "citext" => "''",
            _ => return None,
        },
    };
    Some(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use Hazard::*;

    /// (from, to, hazards): each a type change and what it costs.
    fn check(cases: &[(&str, &str, &[Hazard])]) {
        for (from, to, hazards) in cases {
            assert_eq!(change_hazards(from, to), hazards.to_vec(), "{from} -> {to}");
            assert_eq!(
                narrows(from, to),
                hazards.contains(&DeletesData),
                "{from} -> {to}"
            );
        }
    }

    const CUT: &[Hazard] = &[DeletesData, RewritesTable];
    const OVERFLOW: &[Hazard] = &[DeletesData, RewritesTable, MayFailOnExistingRows];
    const MAY_FAIL_: &[Hazard] = &[RewritesTable, MayFailOnExistingRows];
    const REWRITE: &[Hazard] = &[RewritesTable];

    #[test]
    fn known_widenings_and_what_they_cost() {
        check(&[
            ("smallint", "integer", REWRITE),
            ("integer", "bigint", REWRITE),
            ("real", "double precision", REWRITE),
            ("smallint", "real", REWRITE),
            ("integer", "double precision", REWRITE),
            ("character varying(10)", "character varying(20)", &[]),
            ("character varying(10)", "character varying", &[]),
            ("character varying(10)", "text", &[]),
            ("text", "character varying", &[]),
            ("character(3)", "character(5)", REWRITE),
            ("character(3)", "text", REWRITE),
            ("character(3)", "character varying(3)", REWRITE),
            ("character(3)", "bpchar", &[]),
            ("numeric(10,2)", "numeric(12,2)", &[]),
            ("numeric(10,2)", "numeric", &[]),
            ("numeric(10,2)", "numeric(12,3)", REWRITE),
            ("numeric(4,0)", "smallint", REWRITE),
            ("numeric(15,2)", "double precision", REWRITE),
            ("numeric(6,2)", "real", REWRITE),
            ("integer", "numeric", REWRITE),
            ("bigint", "numeric(20,0)", REWRITE),
            ("smallint", "numeric(5,0)", REWRITE),
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
            ("time(0) without time zone", "time without time zone", &[]),
            (
                "timestamp without time zone",
                "timestamp with time zone",
                REWRITE,
            ),
            ("date", "timestamp with time zone", REWRITE),
            ("time without time zone", "time with time zone", REWRITE),
            ("time without time zone", "interval", REWRITE),
            ("interval(0)", "interval", &[]),
            ("interval day", "interval", &[]),
            ("interval year", "interval month", &[]),
            ("bit(3)", "bit varying(3)", &[]),
            ("bit varying(3)", "bit varying", &[]),
            ("bit(3)", "bit(5)", REWRITE),
            ("boolean", "integer", REWRITE),
            ("integer", "character varying(11)", REWRITE),
            ("uuid", "character varying(36)", REWRITE),
            ("integer[]", "bigint[]", REWRITE),
            ("character varying(5)[]", "text[]", REWRITE),
            ("integer", "text", REWRITE),
            ("jsonb", "text", REWRITE),
            // The value becomes the only element.
            ("text", "text[]", REWRITE),
            ("integer", "bigint[]", REWRITE),
        ]);
    }

    #[test]
    fn narrowing_deletes_data_and_risky_casts_may_fail() {
        check(&[
            // Integers that do not fit fail; a narrowing all the same.
            ("bigint", "integer", OVERFLOW),
            ("integer", "smallint", OVERFLOW),
            ("bigint[]", "integer[]", OVERFLOW),
            // Fewer integer digits fail; a smaller scale rounds.
            ("numeric(10,2)", "numeric(8,2)", OVERFLOW),
            ("numeric(10,2)", "numeric(10,1)", CUT),
            ("numeric(10,2)", "numeric(9,1)", CUT),
            ("numeric(10,2)", "numeric(5,1)", OVERFLOW),
            ("numeric", "numeric(12,2)", OVERFLOW),
            ("integer", "numeric(5,0)", OVERFLOW),
            ("integer", "numeric(12,-2)", CUT),
            ("numeric(12,2)[]", "numeric(12,1)[]", CUT),
            // The fraction is rounded away.
            ("numeric(5,2)", "integer", CUT),
            ("numeric(12,2)", "integer", OVERFLOW),
            ("numeric", "bigint", OVERFLOW),
            ("numeric(5,0)", "smallint", OVERFLOW),
            ("double precision", "integer", OVERFLOW),
            ("real", "bigint", OVERFLOW),
            // Floats keep 6 or 15 significant digits.
            ("double precision", "real", OVERFLOW),
            ("integer", "real", CUT),
            ("bigint", "double precision", CUT),
            ("double precision", "numeric", CUT),
            ("real", "numeric(10,2)", OVERFLOW),
            ("numeric", "double precision", OVERFLOW),
            ("numeric(20,2)", "double precision", CUT),
            // Explicit casts truncate strings.
            ("character varying(20)", "character varying(10)", CUT),
            ("text", "character varying(10)", CUT),
            ("character varying", "character varying(10)", CUT),
            ("character varying(20)[]", "character varying(10)[]", CUT),
            ("character(5)", "character(3)", CUT),
            ("character(5)", "character varying(3)", CUT),
            ("text", "character(10)", CUT),
            ("character varying(3)", "character(3)", CUT),
            ("bpchar", "character(3)", CUT),
            ("bigint", "character varying(10)", CUT),
            ("uuid", "character varying(20)", CUT),
            ("jsonb", "character varying(100)", CUT),
            ("bit(5)", "bit(3)", CUT),
            ("bit varying(5)", "bit varying(3)", CUT),
            ("bit varying", "bit(3)", CUT),
            // Fractional seconds are rounded.
            (
                "timestamp(6) with time zone",
                "timestamp(0) with time zone",
                CUT,
            ),
            (
                "timestamp without time zone",
                "timestamp(3) without time zone",
                CUT,
            ),
            ("time without time zone", "time(2) without time zone", CUT),
            ("time(3) with time zone", "time(0) with time zone", CUT),
            ("interval", "interval(0)", CUT),
            ("interval second(3)", "interval second(1)", CUT),
            (
                "timestamp(6) with time zone[]",
                "timestamp(0) with time zone[]",
                CUT,
            ),
            // A part of the value goes.
            ("timestamp with time zone", "date", CUT),
            ("timestamp without time zone", "date", CUT),
            ("timestamp with time zone", "time with time zone", CUT),
            ("timestamp without time zone", "time without time zone", CUT),
            ("interval", "interval day", CUT),
            ("interval day to second", "interval year to month", CUT),
            ("interval", "time without time zone", CUT),
            // The zone goes; in a zone with daylight saving two instants become one.
            (
                "timestamp with time zone",
                "timestamp without time zone",
                CUT,
            ),
            ("time with time zone", "time without time zone", CUT),
            (
                "timestamp(6) without time zone",
                "timestamp(0) with time zone",
                CUT,
            ),
            ("integer", "boolean", CUT),
            // All elements but the first go.
            ("bigint[]", "bigint", CUT),
            ("text[]", "text", CUT),
            ("bigint[]", "integer", OVERFLOW),
            // What may not parse fails, and loses nothing.
            ("text", "integer", MAY_FAIL_),
            ("text", "numeric(10,2)", MAY_FAIL_),
            ("character varying(10)", "date", MAY_FAIL_),
            ("uuid", "bytea", MAY_FAIL_),
            ("json", "jsonb", MAY_FAIL_),
            ("date", "time without time zone", MAY_FAIL_),
            ("text", "integer[]", MAY_FAIL_),
            ("user_status", "other_status", MAY_FAIL_),
        ]);
    }

    #[test]
    fn types_are_read_as_format_type_spells_them() {
        let cases: &[(&str, Kind)] = &[
            ("character(3)", Kind::Char(Some(3))),
            ("bpchar", Kind::Char(None)),
            (
                "bit varying(4)",
                Kind::Bit {
                    varying: true,
                    length: Some(4),
                },
            ),
            (
                "bit(3)",
                Kind::Bit {
                    varying: false,
                    length: Some(3),
                },
            ),
            ("interval", Kind::Interval(SECOND, None)),
            ("interval(3)", Kind::Interval(SECOND, Some(3))),
            ("interval day", Kind::Interval(2, None)),
            ("interval second(3)", Kind::Interval(SECOND, Some(3))),
            ("interval day to second(3)", Kind::Interval(SECOND, Some(3))),
            ("interval year to month", Kind::Interval(1, None)),
            ("time(2) with time zone", Kind::Temporal(TIMETZ, Some(2))),
            (
                "timestamp without time zone",
                Kind::Temporal(TIMESTAMP, None),
            ),
            ("numeric(5,-2)", Kind::Numeric(Some((5, -2)))),
            ("\"char\"", Kind::Other("\"char\"".into())),
            ("intervals", Kind::Other("intervals".into())),
            (
                "interval fortnight",
                Kind::Other("interval fortnight".into()),
            ),
            (
                "billing.\"Kind\"[]",
                Kind::Array(Box::new(Kind::Other("billing.\"Kind\"".into()))),
            ),
        ];
        for (ty, kind) in cases {
            assert_eq!(&parse(ty), kind, "{ty}");
        }
    }

    #[test]
    fn a_conversion_that_fits_needs_no_check() {
        for (from, to) in [
            ("character varying(10)", "character varying(20)"),
            ("integer", "bigint"),
            ("text", "integer"),
            ("numeric(10,2)", "numeric"),
        ] {
            assert_eq!(fit_check("t", "c", from, to, &[]), None, "{from} -> {to}");
        }
    }

    #[test]
    fn a_narrowing_checks_every_value_converts_back_unchanged() {
        let check = fit_check(
            "\"user\"",
            "email",
            "character varying(512)",
            "character varying(255)",
            &[],
        )
        .unwrap();
        assert_eq!(
            check,
            "DO $$
BEGIN
    IF EXISTS (
        SELECT FROM \"user\"
        WHERE email IS NOT NULL AND ((email::character varying(255))::character varying(512))::text IS DISTINCT FROM email::text
    ) THEN
        RAISE EXCEPTION USING MESSAGE = 'cannot convert \"user\".email back to character varying(255): values written since the migration do not fit it', DETAIL = 'converted to character varying(255), some values would be cut, rounded or partly dropped', HINT = 'change or delete the rows of \"user\" whose email does not fit character varying(255), then revert again';
    END IF;
EXCEPTION WHEN data_exception THEN
    RAISE EXCEPTION USING MESSAGE = 'cannot convert \"user\".email back to character varying(255): values written since the migration do not fit it', DETAIL = SQLERRM, HINT = 'change or delete the rows of \"user\" whose email does not fit character varying(255), then revert again';
END
$$"
        );
    }

    #[test]
    fn the_check_converts_like_using_both_ways() {
        let enums = ["status".to_string()];
        let cases = [
            (
                "tags",
                "text[]",
                "text",
                "(ARRAY[(tags[1]::text)]::text[])::text IS DISTINCT FROM tags::text",
            ),
            (
                "note",
                "text",
                "character varying(3)",
                "(note::character varying(3))::text IS DISTINCT FROM note",
            ),
            (
                "state",
                "status",
                "character varying(3)",
                "((state::text::character varying(3))::text::status)::text IS DISTINCT FROM state::text",
            ),
            (
                "at",
                "timestamp with time zone",
                "date",
                "((at::date)::timestamp with time zone)::text IS DISTINCT FROM at::text",
            ),
            (
                "order",
                "numeric",
                "numeric(10,2)",
                "((\"order\"::numeric(10,2))::numeric)::text IS DISTINCT FROM \"order\"::text",
            ),
        ];
        for (column, from, to, condition) in cases {
            let check = fit_check("t", column, from, to, &enums).unwrap();
            assert!(check.contains(condition), "{from} -> {to}:\n{check}");
        }
    }

    #[test]
    fn the_check_is_quoted_apart_from_names_with_dollars() {
        let check = fit_check("t", "a$$b", "text", "character varying(3)", &[]).unwrap();
        assert!(check.starts_with("DO $strata$\n"), "{check}");
        assert!(check.ends_with("\n$strata$"), "{check}");
        assert_eq!(
            dollar_quoted("x $strata$ $$"),
            "$strata1$x $strata$ $$$strata1$"
        );
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
