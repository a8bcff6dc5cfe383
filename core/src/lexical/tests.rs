use super::*;

fn kinds(sql: &str) -> Vec<(Kind, &str)> {
    significant(sql)
        .into_iter()
        .map(|t| (t.kind, t.text))
        .collect()
}

#[test]
fn every_token_kind_with_its_text() {
    assert_eq!(
        kinds("SELECT a::int, 'it''s', E'\\'x', $1, 1.5e-3 FROM \"T\"\"x\" WHERE b <> $q$;'$q$;"),
        vec![
            (Kind::Ident, "SELECT"),
            (Kind::Ident, "a"),
            (Kind::Cast, "::"),
            (Kind::Ident, "int"),
            (Kind::Punct(b','), ","),
            (Kind::String, "'it''s'"),
            (Kind::Punct(b','), ","),
            (Kind::String, "E'\\'x'"),
            (Kind::Punct(b','), ","),
            (Kind::Param, "$1"),
            (Kind::Punct(b','), ","),
            (Kind::Number, "1.5e-3"),
            (Kind::Ident, "FROM"),
            (Kind::QuotedIdent, "\"T\"\"x\""),
            (Kind::Ident, "WHERE"),
            (Kind::Ident, "b"),
            (Kind::Operator, "<>"),
            (Kind::DollarString, "$q$;'$q$"),
            (Kind::Punct(b';'), ";"),
        ]
    );
}

#[test]
fn comments_nest_and_prefixed_strings_are_strings() {
    assert_eq!(
        kinds("/* a /* b */ c */ x -- y\n U&'\\0041' B'01' X'ff' N'n' U&\"d\\0061ta\""),
        vec![
            (Kind::Ident, "x"),
            (Kind::String, "U&'\\0041'"),
            (Kind::String, "B'01'"),
            (Kind::String, "X'ff'"),
            (Kind::String, "N'n'"),
            (Kind::QuotedIdent, "U&\"d\\0061ta\""),
        ]
    );
    let t = &significant("U&\"d\\0061ta\"")[0];
    assert_eq!(t.name().as_deref(), Some("data"));
}

#[test]
fn identifiers_fold_ascii_letters_only() {
    let t = significant("ÉtÉ_Col$1");
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].name().as_deref(), Some("ÉtÉ_col$1"));
    assert_eq!(
        significant("\"Mixed\"\"Case\"")[0].name().as_deref(),
        Some("Mixed\"Case")
    );
}

#[test]
fn unterminated_quotes_and_comments_are_their_own_kind() {
    for text in ["'abc", "\"abc", "/* abc", "$$ abc", "E'abc\\'"] {
        let last = tokens(text).pop().expect("a token");
        assert_eq!(last.kind, Kind::Unterminated, "{text}");
    }
}

#[test]
fn tokens_cover_the_whole_text() {
    let text = "a+b /*c*/ 'd' \"e\" $$f$$ -- g\n é";
    let joined: String = tokens(text).iter().map(|t| t.text).collect();
    assert_eq!(joined, text);
}

#[test]
fn fragments_that_could_end_their_statement_are_refused() {
    assert_eq!(fragment_problem("age >= 0"), None);
    assert_eq!(fragment_problem("note <> ';' AND x IN (1, 2)"), None);
    assert!(fragment_problem("true); DROP TABLE users; --").is_some());
    assert!(fragment_problem("true) OR (true").is_some());
    assert!(fragment_problem("a > 0)").is_some());
    assert!(fragment_problem("'unterminated").is_some());
    assert!(fragment_problem("x /* comment").is_some());
    assert!(fragment_problem("(x > 0").is_some());
}

#[test]
fn spelled_identifiers_are_what_quote_ident_writes() {
    assert!(is_spelled_identifier("email"));
    assert!(is_spelled_identifier("\"Email\""));
    assert!(is_spelled_identifier("\"user\""));
    assert!(!is_spelled_identifier("user"));
    assert!(!is_spelled_identifier("Email"));
    assert!(!is_spelled_identifier("lower(email)"));
    assert!(!is_spelled_identifier("a b"));
}
