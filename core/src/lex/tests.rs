use super::*;

/// Each token as (kind, text), whitespace left out.
fn lexed(sql: &str) -> Vec<(Kind, &str)> {
    tokens(sql)
        .filter(|t| t.kind != Kind::Whitespace)
        .map(|t| (t.kind, t.text(sql)))
        .collect()
}

fn texts(sql: &str) -> Vec<&str> {
    lexed(sql).into_iter().map(|(_, t)| t).collect()
}

fn names(sql: &str) -> Vec<String> {
    tokens(sql)
        .filter_map(|t| ident_name(&t, sql).map(|n| n.into_owned()))
        .collect()
}

const DONE: bool = true;

#[test]
fn spans_cover_the_text_exactly_and_end_on_character_boundaries() {
    let sql =
        "SELECT \"Ä\"\"b\", 'é''x', E'\\'ü', $€$ a $€$, ñame::text -- ç\n/* a /* b */ c */ $1";
    let mut at = 0;
    for t in tokens(sql) {
        assert_eq!(t.start, at);
        assert!(sql.is_char_boundary(t.end));
        at = t.end;
    }
    assert_eq!(at, sql.len());
}

#[test]
fn whitespace_and_comments() {
    assert_eq!(
        lexed("a -- c; d\r\nb /* x /* y; */ z */ c\x0b\x0cd"),
        [
            (Kind::Ident, "a"),
            (Kind::LineComment { terminated: DONE }, "-- c; d"),
            (Kind::Ident, "b"),
            (
                Kind::BlockComment { terminated: DONE },
                "/* x /* y; */ z */"
            ),
            (Kind::Ident, "c"),
            (Kind::Ident, "d"),
        ]
    );
    assert_eq!(
        lexed("a -- open"),
        [
            (Kind::Ident, "a"),
            (Kind::LineComment { terminated: false }, "-- open")
        ]
    );
    assert_eq!(
        lexed("/* a /* b */"),
        [(Kind::BlockComment { terminated: false }, "/* a /* b */")]
    );
    // `/*/` opens a comment and does not close it.
    assert_eq!(
        lexed("/*/ x */ y"),
        [
            (Kind::BlockComment { terminated: DONE }, "/*/ x */"),
            (Kind::Ident, "y")
        ]
    );
}

#[test]
fn string_constants_of_every_kind() {
    let s = |prefix| Kind::String {
        prefix,
        terminated: DONE,
    };
    assert_eq!(
        lexed(r"'it''s' E'a\'b''c' e'\\' U&'d\0061t' UESCAPE '!' B'101' x'1F' N'n' 'a\'"),
        [
            (s(StringPrefix::None), "'it''s'"),
            (s(StringPrefix::Escape), r"E'a\'b''c'"),
            (s(StringPrefix::Escape), r"e'\\'"),
            (s(StringPrefix::Unicode), r"U&'d\0061t' UESCAPE '!'"),
            (s(StringPrefix::Bit), "B'101'"),
            (s(StringPrefix::Hex), "x'1F'"),
            (s(StringPrefix::National), "N'n'"),
            // A backslash is a plain character in a standard string.
            (s(StringPrefix::None), r"'a\'"),
        ]
    );
    // The prefix letter must start the token: `be'x'` is a name and a string.
    assert_eq!(texts("be'x'"), ["be", "'x'"]);
    assert_eq!(
        lexed("'open"),
        [(
            Kind::String {
                prefix: StringPrefix::None,
                terminated: false
            },
            "'open"
        )]
    );
    assert_eq!(
        lexed(r"E'open\'"),
        [(
            Kind::String {
                prefix: StringPrefix::Escape,
                terminated: false
            },
            r"E'open\'"
        )]
    );
}

#[test]
fn dollar_quotes_and_parameters() {
    let done = Kind::DollarString { terminated: DONE };
    assert_eq!(
        lexed("$$ a; 'b $$ $tag$ $$ x $tag$ $1 $22"),
        [
            (done, "$$ a; 'b $$"),
            (done, "$tag$ $$ x $tag$"),
            (Kind::Param, "$1"),
            (Kind::Param, "$22"),
        ]
    );
    // Tags are case-sensitive; `$` inside a name is part of the name.
    assert_eq!(
        lexed("$a$ $A$ $a$ x$y$"),
        [(done, "$a$ $A$ $a$"), (Kind::Ident, "x$y$")]
    );
    assert_eq!(
        lexed("$q$ open"),
        [(Kind::DollarString { terminated: false }, "$q$ open")]
    );
    assert_eq!(lexed("$ a"), [(Kind::Other, "$"), (Kind::Ident, "a")]);
}

#[test]
fn quoted_identifiers_and_unicode_escapes() {
    assert_eq!(
        names(r#""Odd""Name" U&"d\0061t\+000061" U&"d!0061t" UESCAPE '!' "a b""#),
        ["Odd\"Name", "data", "dat", "a b"]
    );
    // A UESCAPE clause is part of the token, comments and all.
    assert_eq!(
        texts("U&\"x\" /* c */ uescape\n'#' + 1"),
        ["U&\"x\" /* c */ uescape\n'#'", "+", "1"]
    );
    // Surrogate pairs combine; a doubled escape is the escape itself.
    assert_eq!(names(r#"U&"\D83D\DE00 \\""#), ["😀 \\"]);
    // What PostgreSQL refuses denotes no name.
    for bad in [
        r#"U&"\00""#,
        r#"U&"\0000""#,
        r#"U&"\D83D""#,
        r#"U&"\DE00""#,
        r#"U&"x" UESCAPE 'a'"#,
        r#"U&"x" UESCAPE '!!'"#,
        r#"U&"x" UESCAPE '"'"#,
        r#"U&"x" UESCAPE ''''"#,
        r#"U&"x" UESCAPE ''"#,
        r#""""#,
        r#""open"#,
    ] {
        assert_eq!(names(bad), Vec::<String>::new(), "{bad}");
    }
    // `U&` not followed by a quote is a name and an operator.
    assert_eq!(texts("u&x"), ["u", "&", "x"]);
}

#[test]
fn bare_identifiers_fold_ascii_only_like_postgres() {
    assert_eq!(
        names("Name ÄBC ñAme _x1$ \"Ä\""),
        ["name", "Äbc", "ñame", "_x1$", "Ä"]
    );
    assert_eq!(fold("ÉCOLE_École"), "École_École");
    assert!(matches!(fold("plain"), std::borrow::Cow::Borrowed(_)));
    // A non-ASCII byte is a letter to PostgreSQL's lexer, even a no-break space.
    assert_eq!(texts("a\u{a0}b c"), ["a\u{a0}b", "c"]);
}

#[test]
fn identifiers_longer_than_63_bytes_are_cut_like_postgres() {
    let long = "a".repeat(70);
    assert_eq!(names(&long), ["a".repeat(63)]);
    // Cut on a character boundary: 31 two-byte characters and a cut third byte.
    let wide = format!("\"{}\"", "é".repeat(40));
    assert_eq!(names(&wide), ["é".repeat(31)]);
}

#[test]
fn numbers_are_never_names() {
    assert_eq!(
        lexed("1 1.5 .5 1. 1e5 1.5E-3 0x1F 1_000 12abc 1..10"),
        [
            (Kind::Number, "1"),
            (Kind::Number, "1.5"),
            (Kind::Number, ".5"),
            (Kind::Number, "1."),
            (Kind::Number, "1e5"),
            (Kind::Number, "1.5E-3"),
            (Kind::Number, "0x1F"),
            (Kind::Number, "1_000"),
            (Kind::Number, "12abc"),
            (Kind::Number, "1"),
            (Kind::Operator, ".."),
            (Kind::Number, "10"),
        ]
    );
    // `e` after a number without digits is trailing junk, still not a name.
    assert_eq!(texts("1e+x"), ["1e", "+", "x"]);
}

#[test]
fn operators_casts_and_punctuation() {
    assert_eq!(
        lexed("a::text, b[1]:c := d.e; f>=-1 g<>h @-i j+-k l--c\nm/*c*/n"),
        [
            (Kind::Ident, "a"),
            (Kind::Cast, "::"),
            (Kind::Ident, "text"),
            (Kind::Punct(b','), ","),
            (Kind::Ident, "b"),
            (Kind::Punct(b'['), "["),
            (Kind::Number, "1"),
            (Kind::Punct(b']'), "]"),
            (Kind::Punct(b':'), ":"),
            (Kind::Ident, "c"),
            (Kind::Operator, ":="),
            (Kind::Ident, "d"),
            (Kind::Punct(b'.'), "."),
            (Kind::Ident, "e"),
            (Kind::Punct(b';'), ";"),
            (Kind::Ident, "f"),
            // `>=-` ends in `-` with no special character: cut back to `>=`.
            (Kind::Operator, ">="),
            (Kind::Operator, "-"),
            (Kind::Number, "1"),
            (Kind::Ident, "g"),
            (Kind::Operator, "<>"),
            (Kind::Ident, "h"),
            // `@-` holds `@`: kept whole.
            (Kind::Operator, "@-"),
            (Kind::Ident, "i"),
            (Kind::Ident, "j"),
            (Kind::Operator, "+"),
            (Kind::Operator, "-"),
            (Kind::Ident, "k"),
            (Kind::Ident, "l"),
            (Kind::LineComment { terminated: DONE }, "--c"),
            (Kind::Ident, "m"),
            (Kind::BlockComment { terminated: DONE }, "/*c*/"),
            (Kind::Ident, "n"),
        ]
    );
    // A comment start inside an operator ends it.
    assert_eq!(texts("a*--c"), ["a", "*", "--c"]);
    assert_eq!(texts("a</*c*/b"), ["a", "<", "/*c*/", "b"]);
    assert_eq!(lexed("\\ {"), [(Kind::Other, "\\"), (Kind::Other, "{")]);
}

#[test]
fn single_ident_is_exactly_one_identifier() {
    assert_eq!(single_ident("Email").as_deref(), Some("email"));
    assert_eq!(single_ident("\"Odd Col\"").as_deref(), Some("Odd Col"));
    assert_eq!(single_ident(" email"), None);
    assert_eq!(single_ident("a.b"), None);
    assert_eq!(single_ident("\"a\" \"b\""), None);
    assert_eq!(single_ident("1a"), None);
    assert_eq!(single_ident(""), None);
}

#[test]
fn quote_ident_follows_the_keyword_table_it_is_given() {
    let pg15 = Keywords::postgres15();
    for (name, quoted) in [
        ("users", "users"),
        ("_x1", "_x1"),
        ("Users", "\"Users\""),
        ("1a", "\"1a\""),
        ("a$", "\"a$\""),
        ("a b", "\"a b\""),
        ("a\"b", "\"a\"\"b\""),
        ("é", "\"é\""),
        ("", "\"\""),
        ("user", "\"user\""),
        ("position", "\"position\""),
        ("left", "\"left\""),
        // Unreserved keywords stay bare.
        ("name", "name"),
        ("system_user", "system_user"),
    ] {
        assert_eq!(pg15.quote_ident(name), quoted, "{name}");
    }
    // PostgreSQL 16 reserved `system_user`: a table from such a server quotes it.
    let pg16 = Keywords::from_rows(pg15.iter().chain([
        ("system_user", Category::Reserved),
        ("name", Category::Unreserved),
    ]));
    assert_eq!(pg16.quote_ident("system_user"), "\"system_user\"");
    assert_eq!(pg16.category("system_user"), Category::Reserved);
    assert_eq!(pg16.quote_ident("name"), "name");
    assert_eq!(pg16.quote_ident("user"), "\"user\"");
}

#[test]
fn keyword_tables_keep_the_strongest_category_and_read_catcodes() {
    let k = Keywords::from_rows([
        ("b", Category::ColName),
        ("a", Category::Unreserved),
        ("b", Category::Reserved),
        ("c", Category::TypeFuncName),
    ]);
    assert_eq!(
        k.iter().collect::<Vec<_>>(),
        [("b", Category::Reserved), ("c", Category::TypeFuncName)]
    );
    assert_eq!(k.category("a"), Category::Unreserved);
    assert_eq!(k.category("zzz"), Category::Unreserved);
    for c in [
        Category::Unreserved,
        Category::ColName,
        Category::TypeFuncName,
        Category::Reserved,
    ] {
        assert_eq!(Category::from_catcode(c.catcode()), c);
    }
    // An unknown letter from a future server is taken as reserved: quoted.
    assert_eq!(Category::from_catcode("X"), Category::Reserved);
}

#[test]
fn the_built_in_table_is_postgres_15s() {
    let pg15 = Keywords::postgres15();
    let count = |c| pg15.iter().filter(|(_, k)| *k == c).count();
    // `SELECT catcode, count(*) FROM pg_get_keywords() GROUP BY 1` on 15.x.
    assert_eq!(count(Category::ColName), 51);
    assert_eq!(count(Category::TypeFuncName), 23);
    assert_eq!(count(Category::Reserved), 77);
    assert_eq!(count(Category::Unreserved), 0);
    assert_eq!(pg15.category("between"), Category::ColName);
    assert_eq!(pg15.category("collation"), Category::TypeFuncName);
    assert_eq!(pg15.category("check"), Category::Reserved);
}

#[test]
fn fragments_that_would_break_out_of_their_statement() {
    use FragmentProblem::*;
    for (fragment, problem) in [
        ("age >= 0", None),
        ("lower(name) <> ''", None),
        ("'a;b' <> $$;$$ /* ; */", None),
        ("x -- why\n> 0", None),
        ("tags[1] = 'x'", None),
        ("numeric(12, 2)", None),
        ("\"a;b\" > 0", None),
        ("true; DROP TABLE users", Some(Semicolon)),
        ("(select 1;)", Some(Semicolon)),
        ("true) OR (true", Some(UnexpectedClose(')'))),
        ("a[1)", Some(UnexpectedClose(')'))),
        ("(a", Some(Unclosed('('))),
        ("'open", Some(Unterminated("`'...'` string"))),
        ("E'open\\'", Some(Unterminated("`E'...'` string"))),
        ("$$open", Some(Unterminated("dollar-quoted string"))),
        ("\"open", Some(Unterminated("`\"...\"` identifier"))),
        ("x /* open", Some(Unterminated("`/* ... */` comment"))),
        ("x > 0 -- and then", Some(OpenLineComment)),
        ("x \\ y", Some(Stray('\\'))),
    ] {
        assert_eq!(fragment_problem(fragment), problem, "{fragment}");
    }
    assert!(balanced("f(a[1], (b))"));
    assert!(balanced("x -- c"));
    assert!(!balanced("f(a[1)]"));
    assert!(!balanced("'open"));
    assert!(!balanced(")("));
}

/// Every entry point on many short texts built from the characters that make
/// PostgreSQL's lexer branch: none panics, and the spans always cover the text.
#[test]
fn no_text_makes_anything_panic() {
    const ALPHABET: &[&str] = &[
        "'", "\"", "$", "-", "/", "*", "(", ")", "[", "]", ";", ":", ".", "e", "E", "u", "U", "&",
        "\\", "0", "1", "a", "é", " ", "\n", "+", "!", "UESCAPE", "$$", "$t$", "--", "/*", "*/",
        "U&\"", "U&'", "E'",
    ];
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    for _ in 0..20_000 {
        let len = next(10);
        let text: String = (0..len).map(|_| ALPHABET[next(ALPHABET.len())]).collect();
        let mut at = 0;
        for t in tokens(&text) {
            assert_eq!(t.start, at, "{text:?}");
            assert!(t.end > t.start && text.is_char_boundary(t.end), "{text:?}");
            let _ = ident_name(&t, &text);
            at = t.end;
        }
        assert_eq!(at, text.len(), "{text:?}");
        let _ = fragment_problem(&text);
        let _ = balanced(&text);
        let _ = single_ident(&text);
        let _ = crate::names::index_key_name(&text);
        let _ = crate::lower::expr_columns::identifiers(&text);
        #[cfg(feature = "db")]
        let _ = crate::migrate::split::split(&text);
    }
}
