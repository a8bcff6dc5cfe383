//! Defaults that mean the same value, whatever their spelling. Pure.
//!
//! A database built by hand, by Rails, Prisma or TypeORM says `DEFAULT CURRENT_TIMESTAMP`
//! where an entity says `now()`, `CURRENT_DATE` where it says `now()::date`; PostgreSQL
//! keeps each spelling (`pg_get_expr` prints `CURRENT_TIMESTAMP`, `now()`,
//! `(now())::date`, `('now'::text)::date`, ...), so comparing texts sees a change that
//! is none. This module reads the one family of defaults where that happens, the
//! clock of the current transaction, and says what value a column gets from one:
//!
//! - the transaction's start as `timestamptz`: `now()`, `CURRENT_TIMESTAMP`,
//!   `transaction_timestamp()`, `('now'::text)::timestamptz` (the text is read when
//!   the row is inserted: what PostgreSQL before 10 stored for `CURRENT_TIMESTAMP`);
//! - the same as local `timestamp`, `date`, `time` and `timetz`: `LOCALTIMESTAMP`,
//!   `CURRENT_DATE`, `LOCALTIME`, `CURRENT_TIME` and their `('now'::text)::T` forms;
//! - any of them cast (`::T`, `CAST(x AS T)`) to another of these types, and finally
//!   assigned to the column's type, which is a cast too (`now()` in a `date` column
//!   stores `CURRENT_DATE`);
//! - `timezone(z, x)` / `x AT TIME ZONE z` of the transaction's start: one function,
//!   two spellings (Supabase writes the first, people the second).
//!
//! Two defaults are equivalent when both are read and give the same value under the
//! column's type. Only exact equalities count: a cast from local time to `timestamptz`
//! (ambiguous at a daylight-saving change), rounding to a precision before truncating
//! to a date or a time (it may carry over midnight), or rounding twice to different
//! precisions make a value this module does not claim to know. `statement_timestamp()`
//! and `clock_timestamp()` are other clocks, `CURRENT_TIMESTAMP(3)` is rounded (the same
//! only in a column rounded to 3 digits anyway), and a literal `'now'` cast straight to
//! a date or time type is read once, when the default is created: none of them is the
//! transaction's clock. Anything else is compared as text by the caller.

/// Whether two defaults of a column of type `ty` (both possibly absent) mean the same.
pub(crate) fn same_default(a: Option<&str>, b: Option<&str>, ty: &str) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a == b || equivalent(a, b, ty),
        (None, None) => true,
        _ => false,
    }
}

/// Whether defaults `a` and `b` give a column of type `ty` the same value: both are the
/// transaction's clock, seen the same way.
pub(crate) fn equivalent(a: &str, b: &str, ty: &str) -> bool {
    match (stored_value(a, ty), stored_value(b, ty)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// The value a default gives a column of type `ty`, when it is the transaction's clock.
fn stored_value(default: &str, ty: &str) -> Option<Value> {
    let column = read_type(&tokens(ty)?)?;
    let value = read_expression(&tokens(default)?)?;
    cast(value, &column)
}

/// What a clock expression evaluates to, as a function of the transaction's start and
/// the session's time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// The instant itself (`timestamptz`).
    Instant,
    /// Its local date and time (`timestamp`).
    Local,
    Date,
    /// Its local time of day (`time`).
    Time,
    /// Its local time of day with the zone's offset (`timetz`).
    TimeTz,
    /// The instant seen in the named zone (lower case), a `timestamp`.
    LocalIn(String),
    /// The literal `'now'`, not yet typed: cast to `text` it is read at insert time,
    /// cast to a date or time type it is read once, now.
    NowLiteral,
    /// `'now'::text`.
    NowText,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Value {
    kind: Kind,
    /// The fractional-second digits it was rounded to; `None`: not rounded.
    rounded: Option<u8>,
}

/// A type these values can take: its kind and precision.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Type {
    /// `Instant` for `timestamptz`, ..., `NowText` for `text`.
    kind: Kind,
    /// `None` for none, or for 6 (microseconds, what is stored anyway).
    precision: Option<u8>,
}

/// Microseconds: rounding to 6 digits does nothing.
const FULL_PRECISION: u8 = 6;

/// The value `value` takes when cast (or assigned) to `to`, when exactly known.
fn cast(value: Value, to: &Type) -> Option<Value> {
    use Kind::*;
    let kind = match (&value.kind, &to.kind) {
        (NowLiteral, NowText) => NowText,
        (NowText, NowText) => NowText,
        (NowText, k @ (Instant | Local | Date | Time | TimeTz)) => k.clone(),
        (Instant, k @ (Instant | Local | Date | Time | TimeTz)) => k.clone(),
        (Local, k @ (Local | Date | Time)) => k.clone(),
        (Date, Date) | (Time, Time) => value.kind.clone(),
        (TimeTz, k @ (TimeTz | Time)) => k.clone(),
        (LocalIn(zone), Local) => LocalIn(zone.clone()),
        _ => return None,
    };
    // Truncating a rounded value to a date or a time of day may differ from rounding
    // the truncated one: 23:59:59.9996 rounds to the next day.
    let truncates = matches!(kind, Date | Time | TimeTz) && kind != value.kind;
    if truncates && value.rounded.is_some() {
        return None;
    }
    let rounded = match (value.rounded, to.precision) {
        (_, _) if kind == Date || kind == NowText => None,
        (None, p) | (p, None) => p,
        (Some(p), Some(q)) if p == q => Some(p),
        // Rounding twice is not rounding once.
        _ => return None,
    };
    Some(Value { kind, rounded })
}

// ---------------------------------------------------------------------------------
// Reading: a tokenizer and a recursive descent over the few shapes above.

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// A bare word, folded to lower case.
    Word(String),
    /// A string literal's content.
    Str(String),
    Number(u32),
    Open,
    Close,
    DoubleColon,
    Comma,
    Dot,
}

/// `None` for anything outside the shapes this module reads (quoted names, escape
/// strings, operators, comments, ...).
fn tokens(text: &str) -> Option<Vec<Token>> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' | ')' | ',' | '.' => {
                chars.next();
                out.push(match c {
                    '(' => Token::Open,
                    ')' => Token::Close,
                    ',' => Token::Comma,
                    _ => Token::Dot,
                });
            }
            ':' => {
                chars.next();
                if chars.next().map(|(_, c)| c) != Some(':') {
                    return None;
                }
                out.push(Token::DoubleColon);
            }
            '\'' => {
                chars.next();
                let mut content = String::new();
                loop {
                    match chars.next() {
                        Some((_, '\'')) if chars.peek().map(|&(_, c)| c) == Some('\'') => {
                            chars.next();
                            content.push('\'');
                        }
                        Some((_, '\'')) => break,
                        Some((_, c)) => content.push(c),
                        None => return None,
                    }
                }
                out.push(Token::Str(content));
            }
            c if c.is_ascii_digit() => {
                let mut end = i;
                while let Some(&(j, d)) = chars.peek() {
                    if !d.is_ascii_digit() {
                        break;
                    }
                    end = j + d.len_utf8();
                    chars.next();
                }
                out.push(Token::Number(text[i..end].parse().ok()?));
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let mut end = i;
                while let Some(&(j, d)) = chars.peek() {
                    if !(d.is_ascii_alphanumeric() || d == '_') {
                        break;
                    }
                    end = j + d.len_utf8();
                    chars.next();
                }
                let word = text[i..end].to_ascii_lowercase();
                // `E'...'`, `U&'...'`, `B'...'`: a prefixed literal is not read here.
                if chars.peek().map(|&(_, c)| c) == Some('\'') {
                    return None;
                }
                out.push(Token::Word(word));
            }
            _ => return None,
        }
    }
    Some(out)
}

/// A cursor over tokens.
struct Reader<'t> {
    tokens: &'t [Token],
    at: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn peek_at(&self, ahead: usize) -> Option<&Token> {
        self.tokens.get(self.at + ahead)
    }

    fn eat(&mut self, token: &Token) -> bool {
        if self.peek() == Some(token) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn eat_word(&mut self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w == word) && {
            self.at += 1;
            true
        }
    }

    fn done(&self) -> bool {
        self.at == self.tokens.len()
    }
}

/// The whole text as one clock expression.
fn read_expression(tokens: &[Token]) -> Option<Value> {
    let mut r = Reader { tokens, at: 0 };
    let value = expression(&mut r)?;
    r.done().then_some(value)
}

/// The whole text as one type.
fn read_type(tokens: &[Token]) -> Option<Type> {
    let mut r = Reader { tokens, at: 0 };
    let ty = type_name(&mut r)?;
    r.done().then_some(ty)
}

/// `operand ('::' type | AT TIME ZONE zone)*`.
fn expression(r: &mut Reader) -> Option<Value> {
    let mut value = operand(r)?;
    loop {
        if r.eat(&Token::DoubleColon) {
            value = cast(value, &type_name(r)?)?;
        } else if r.eat_word("at") {
            if !(r.eat_word("time") && r.eat_word("zone")) {
                return None;
            }
            let zone = zone(r)?;
            value = at_zone(value, zone)?;
        } else {
            return Some(value);
        }
    }
}

/// `x AT TIME ZONE z` of the transaction's start, rounded or not: the instant in `z`.
fn at_zone(value: Value, zone: String) -> Option<Value> {
    (value.kind == Kind::Instant).then_some(Value {
        kind: Kind::LocalIn(zone),
        rounded: value.rounded,
    })
}

/// A zone: a string literal, possibly cast to `text` (as `pg_get_expr` prints it).
/// Zone names are looked up without regard to case.
fn zone(r: &mut Reader) -> Option<String> {
    let parenthesised = r.eat(&Token::Open);
    let Some(Token::Str(zone)) = r.peek().cloned() else {
        return None;
    };
    r.at += 1;
    if r.eat(&Token::DoubleColon) && !r.eat_word("text") {
        return None;
    }
    if parenthesised && !r.eat(&Token::Close) {
        return None;
    }
    Some(zone.to_ascii_lowercase())
}

fn operand(r: &mut Reader) -> Option<Value> {
    match r.peek()?.clone() {
        Token::Open => {
            r.at += 1;
            let value = expression(r)?;
            r.eat(&Token::Close).then_some(value)
        }
        Token::Str(s) => {
            r.at += 1;
            (s.trim().eq_ignore_ascii_case("now")).then_some(Value {
                kind: Kind::NowLiteral,
                rounded: None,
            })
        }
        Token::Word(w) if w == "cast" && r.peek_at(1) == Some(&Token::Open) => {
            r.at += 2;
            let value = expression(r)?;
            if !r.eat_word("as") {
                return None;
            }
            let ty = type_name(r)?;
            if !r.eat(&Token::Close) {
                return None;
            }
            cast(value, &ty)
        }
        Token::Word(_) => clock(r),
        _ => None,
    }
}

/// `now()`, `CURRENT_TIMESTAMP[(p)]`, `timezone(z, x)`, ..., optionally `pg_catalog.`
/// for the functions.
fn clock(r: &mut Reader) -> Option<Value> {
    let Some(Token::Word(first)) = r.peek().cloned() else {
        return None;
    };
    r.at += 1;
    let function = if first == "pg_catalog" {
        if !r.eat(&Token::Dot) {
            return None;
        }
        let Some(Token::Word(name)) = r.peek().cloned() else {
            return None;
        };
        r.at += 1;
        if r.peek() != Some(&Token::Open) {
            return None;
        }
        name
    } else {
        first
    };
    let value = |kind| Value {
        kind,
        rounded: None,
    };
    match function.as_str() {
        "now" | "transaction_timestamp" => {
            (r.eat(&Token::Open) && r.eat(&Token::Close)).then(|| value(Kind::Instant))
        }
        "timezone" => {
            if !r.eat(&Token::Open) {
                return None;
            }
            let zone = zone(r)?;
            if !r.eat(&Token::Comma) {
                return None;
            }
            let inner = expression(r)?;
            if !r.eat(&Token::Close) {
                return None;
            }
            at_zone(inner, zone)
        }
        "current_timestamp" => precision_of(r, value(Kind::Instant)),
        "localtimestamp" => precision_of(r, value(Kind::Local)),
        "current_time" => precision_of(r, value(Kind::TimeTz)),
        "localtime" => precision_of(r, value(Kind::Time)),
        "current_date" => Some(value(Kind::Date)),
        _ => None,
    }
}

/// `CURRENT_TIMESTAMP(3)`: the value rounded to 3 digits.
fn precision_of(r: &mut Reader, value: Value) -> Option<Value> {
    if !r.eat(&Token::Open) {
        return Some(value);
    }
    let Some(Token::Number(p)) = r.peek().cloned() else {
        return None;
    };
    r.at += 1;
    if !r.eat(&Token::Close) {
        return None;
    }
    Some(Value {
        rounded: rounding(p)?,
        ..value
    })
}

/// A precision as a rounding: `None` for 6 and more (PostgreSQL keeps 6 digits).
fn rounding(p: u32) -> Option<Option<u8>> {
    let p = u8::try_from(p).ok()?;
    Some((p < FULL_PRECISION).then_some(p))
}

/// `timestamp(3) with time zone`, `timestamptz`, `date`, `time without time zone`,
/// `text`, ..., optionally `pg_catalog.`; `None` for any other type.
fn type_name(r: &mut Reader) -> Option<Type> {
    if r.eat_word("pg_catalog") && !r.eat(&Token::Dot) {
        return None;
    }
    let Some(Token::Word(base)) = r.peek().cloned() else {
        return None;
    };
    r.at += 1;
    let mut precision = None;
    if matches!(
        base.as_str(),
        "timestamp" | "timestamptz" | "time" | "timetz"
    ) && r.eat(&Token::Open)
    {
        let Some(Token::Number(p)) = r.peek().cloned() else {
            return None;
        };
        r.at += 1;
        if !r.eat(&Token::Close) {
            return None;
        }
        precision = rounding(p)?;
    }
    let zoned = |r: &mut Reader| -> Option<bool> {
        if r.eat_word("with") {
            (r.eat_word("time") && r.eat_word("zone")).then_some(true)
        } else if r.eat_word("without") {
            (r.eat_word("time") && r.eat_word("zone")).then_some(false)
        } else {
            Some(false)
        }
    };
    let kind = match base.as_str() {
        "timestamp" => {
            if zoned(r)? {
                Kind::Instant
            } else {
                Kind::Local
            }
        }
        "time" => {
            if zoned(r)? {
                Kind::TimeTz
            } else {
                Kind::Time
            }
        }
        "timestamptz" => Kind::Instant,
        "timetz" => Kind::TimeTz,
        "date" => Kind::Date,
        "text" => Kind::NowText,
        _ => return None,
    };
    Some(Type { kind, precision })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TZ: &str = "timestamp with time zone";
    const TS: &str = "timestamp without time zone";
    const DATE: &str = "date";

    /// Every pair of `spellings` is equivalent under `ty`.
    fn all_equivalent(ty: &str, spellings: &[&str]) {
        for a in spellings {
            assert!(stored_value(a, ty).is_some(), "{a} under {ty} is not read");
            for b in spellings {
                assert!(equivalent(a, b, ty), "{a} and {b} under {ty}");
            }
        }
    }

    /// No spelling of `others` is equivalent to `reference` under `ty`.
    fn none_equivalent(ty: &str, reference: &str, others: &[&str]) {
        for o in others {
            assert!(
                !equivalent(reference, o, ty),
                "{reference} and {o} under {ty}"
            );
            assert!(
                !equivalent(o, reference, ty),
                "{o} and {reference} under {ty}"
            );
        }
    }

    #[test]
    fn the_transaction_start_in_a_timestamptz_column() {
        all_equivalent(
            TZ,
            &[
                "now()",
                "NOW()",
                "Now ( )",
                "pg_catalog.now()",
                "CURRENT_TIMESTAMP",
                "current_timestamp",
                "transaction_timestamp()",
                "now()::timestamptz",
                "(now())::timestamp with time zone",
                "CAST(now() AS timestamptz)",
                "CURRENT_TIMESTAMP::timestamp with time zone",
                "('now'::text)::timestamp with time zone",
                "'now'::text::timestamptz",
                "('now'::text)::timestamp(6) with time zone",
                "CURRENT_TIMESTAMP(6)",
                "(now())",
            ],
        );
        none_equivalent(
            TZ,
            "now()",
            &[
                "statement_timestamp()",
                "clock_timestamp()",
                "CURRENT_TIMESTAMP(3)",
                "now()::timestamptz(3)",
                "'now'",
                "'now'::timestamp with time zone",
                "'2026-12-04 18:22:12.595893+00'::timestamp with time zone",
                // Local time back to an instant: ambiguous at a daylight-saving change.
                "LOCALTIMESTAMP",
                "(now())::timestamp without time zone",
                "CURRENT_DATE",
                "(now() AT TIME ZONE 'utc'::text)",
                "now() + '1 day'::interval",
                "\"now\"()",
                "now(1)",
                "mynow()",
                "",
            ],
        );
    }

    #[test]
    fn local_time_in_a_timestamp_column() {
        all_equivalent(
            TS,
            &[
                "now()",
                "CURRENT_TIMESTAMP",
                "transaction_timestamp()",
                "LOCALTIMESTAMP",
                "localtimestamp",
                "(now())::timestamp without time zone",
                "now()::timestamp",
                "('now'::text)::timestamp without time zone",
                "CAST(CURRENT_TIMESTAMP AS timestamp)",
            ],
        );
        none_equivalent(
            TS,
            "now()",
            &[
                "LOCALTIMESTAMP(0)",
                "(CURRENT_DATE)::timestamp without time zone",
                "timezone('utc'::text, now())",
                "statement_timestamp()",
            ],
        );
    }

    #[test]
    fn today_in_a_date_column() {
        all_equivalent(
            DATE,
            &[
                "CURRENT_DATE",
                "current_date",
                "now()::date",
                "(now())::date",
                "('now'::text)::date",
                "'now'::text::date",
                "(CURRENT_TIMESTAMP)::date",
                "CURRENT_TIMESTAMP::date",
                "transaction_timestamp()::date",
                "LOCALTIMESTAMP::date",
                "CAST(now() AS date)",
                "CURRENT_DATE::date",
                // Prisma's `@db.Date @default(now())`: the column's cast makes it a date.
                "CURRENT_TIMESTAMP",
                "now()",
            ],
        );
        none_equivalent(
            DATE,
            "CURRENT_DATE",
            &[
                "'now'::date",
                "'2026-12-04'::date",
                "CURRENT_TIMESTAMP(3)::date",
                "(CURRENT_DATE - 1)",
                "statement_timestamp()::date",
            ],
        );
    }

    #[test]
    fn time_of_day_columns() {
        all_equivalent(
            "time without time zone",
            &[
                "LOCALTIME",
                "CURRENT_TIME",
                "(now())::time without time zone",
                "('now'::text)::time without time zone",
                "now()",
            ],
        );
        all_equivalent(
            "time with time zone",
            &[
                "CURRENT_TIME",
                "now()",
                "('now'::text)::time with time zone",
            ],
        );
        none_equivalent("time with time zone", "CURRENT_TIME", &["LOCALTIME"]);
    }

    #[test]
    fn precision_counts_only_where_the_column_rounds_alike() {
        let tz3 = "timestamp(3) with time zone";
        all_equivalent(
            tz3,
            &[
                "now()",
                "CURRENT_TIMESTAMP",
                "(now())::timestamp(3) with time zone",
                "CURRENT_TIMESTAMP(3)",
                "now()::timestamptz",
            ],
        );
        none_equivalent(
            tz3,
            "now()",
            &[
                "CURRENT_TIMESTAMP(2)",
                "(now())::timestamp(0) with time zone",
            ],
        );
        // Prisma: TIMESTAMP(3) DEFAULT CURRENT_TIMESTAMP.
        all_equivalent(
            "timestamp(3) without time zone",
            &[
                "CURRENT_TIMESTAMP",
                "now()",
                "LOCALTIMESTAMP",
                "LOCALTIMESTAMP(3)",
            ],
        );
        assert!(!equivalent("CURRENT_TIMESTAMP(3)", "now()", TZ));
    }

    #[test]
    fn a_time_zone_by_function_or_by_operator() {
        all_equivalent(
            TS,
            &[
                "timezone('utc'::text, now())",
                "(now() AT TIME ZONE 'utc'::text)",
                "now() at time zone 'UTC'",
                "timezone('UTC', CURRENT_TIMESTAMP)",
                "(CURRENT_TIMESTAMP AT TIME ZONE 'utc')",
            ],
        );
        none_equivalent(
            TS,
            "timezone('utc'::text, now())",
            &[
                "timezone('Europe/Paris'::text, now())",
                "now()",
                "LOCALTIMESTAMP",
            ],
        );
    }

    #[test]
    fn other_types_and_other_expressions_are_left_to_text() {
        assert!(!equivalent("now()", "CURRENT_TIMESTAMP", "text"));
        assert!(!equivalent(
            "now()",
            "CURRENT_TIMESTAMP",
            "timestamp with time zone[]"
        ));
        assert!(!equivalent("0", "0", "integer"));
        assert!(!equivalent("now()", "CURRENT_TIMESTAMP", "no such type"));
        // ... which `same_default` still compares.
        assert!(same_default(Some("0"), Some("0"), "integer"));
        assert!(same_default(None, None, TZ));
        assert!(!same_default(Some("now()"), None, TZ));
        assert!(same_default(Some("now()"), Some("CURRENT_TIMESTAMP"), TZ));
        assert!(!same_default(Some("'a'::text"), Some("'b'::text"), "text"));
    }

    #[test]
    fn the_tokenizer_refuses_what_it_does_not_know() {
        for text in [
            "E'now'::text::date",
            "U&'now'",
            "now() -- comment",
            "'unterminated",
            "now():date",
            "\"now\"()",
            "99999999999999999999",
        ] {
            assert!(stored_value(text, DATE).is_none(), "{text}");
        }
        assert_eq!(
            tokens("'it''s'::text").expect("tokens"),
            [
                Token::Str("it's".into()),
                Token::DoubleColon,
                Token::Word("text".into())
            ]
        );
    }
}
