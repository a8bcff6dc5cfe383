//! Every object an entity can declare (enums, indexes, foreign keys, checks, generated
//! columns), evolved through the changes TypeORM's `migration:generate` gets wrong. For
//! each step: generate, run, generate again says "No changes", revert restores the
//! schema exactly, run again (see `support::check_evolution`); rows inserted early must
//! survive every later step.

mod support;

use strata_tests::TestDb;
use support::{change, check_evolution, evolve, leak, Change, Project, Step};

const BASE: &str = r#"
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

#[derive(sqlx::Type, strata::DbEnum)]
#[sqlx(type_name = "post_status", rename_all = "snake_case")]
pub enum PostStatus {
    Draft,
    Published,
}

#[derive(sqlx::Type, strata::DbEnum)]
#[sqlx(type_name = "billing.invoice_state", rename_all = "lowercase")]
pub enum InvoiceState {
    Open,
    Paid,
    Void,
}

#[derive(strata::Entity)]
#[entity(table_name = "author")]
pub struct Author {
    #[entity(primary_key, identity)]
    pub id: i64,
    #[entity(length = 50, unique)]
    pub name: String,
    #[entity(foreign_key(Post, on_delete = "set null"))]
    pub favorite_post_id: Option<i64>,
}

#[derive(strata::Entity)]
#[entity(
    table_name = "post",
    index(expr = "lower(title)"),
    check(name = "post_words_positive", expr = "word_count >= 0")
)]
pub struct Post {
    #[entity(primary_key, identity)]
    pub id: i64,
    #[entity(foreign_key(Author, on_delete = "cascade"))]
    pub author_id: i64,
    #[entity(length = 50, index)]
    pub title: String,
    #[entity(default = "'draft'")]
    pub status: PostStatus,
    pub reviewer_status: Option<PostStatus>,
    pub word_count: i32,
    #[entity(precision = 3, index(where = "deleted_at IS NULL"))]
    pub deleted_at: Option<DateTime<Utc>>,
    #[entity(precision = 10, scale = 2)]
    pub price: Decimal,
    #[entity(check = "qty > 0")]
    pub qty: i32,
    #[entity(generated = "price * qty")]
    pub total: Option<Decimal>,
    #[entity(precision = 100, scale = 50)]
    pub ratios: Vec<Decimal>,
    pub score: f64,
    #[entity(sql_type = "varchar")]
    pub slug: Option<String>,
}

#[derive(strata::Entity)]
#[entity(schema = "billing")]
pub struct Invoice {
    #[entity(primary_key, identity = "always")]
    pub id: i64,
    #[entity(default = "'open'")]
    pub state: InvoiceState,
    #[entity(references = "public.author(id)", on_delete = "restrict")]
    pub author_id: i64,
}
"#;

const LONG_NAMES: &str = r#"
#[derive(strata::Entity)]
#[entity(table_name = "a_table_name_that_is_long_enough_to_need_truncation_abcdefgh")]
pub struct LongNames {
    #[entity(primary_key)]
    pub id: i64,
    #[entity(unique, index)]
    pub a_column_name_that_is_also_long_enough_to_matter_1: i32,
    #[entity(unique, index)]
    pub a_column_name_that_is_also_long_enough_to_matter_2: i32,
}
"#;

const SEED: &str = "INSERT INTO author (name) VALUES ('Ann');
INSERT INTO post (author_id, title, word_count, price, qty, ratios, score)
    VALUES (1, 'Hello', 10, 1.5, 2, '{0.5}', 1.0);
INSERT INTO billing.invoice (author_id) VALUES (1);";

const CHANGES: &[Change] = &[
    // A label in the middle lands where it is declared.
    Change {
        seed: Some("UPDATE post SET status = 'review'"),
        ..change(
            "label_in_the_middle",
            &[("    Draft,\n    Published,", "    Draft,\n    Review,\n    Published,")],
        )
    },
    // A renamed label with a hint keeps the rows that have it.
    Change {
        check: Some(("SELECT status::text FROM post", "in_review")),
        seed: Some("UPDATE post SET status = 'draft'"),
        ..change(
            "rename_label",
            &[("    Review,\n", "    #[entity(renamed_from = \"review\")]\n    InReview,\n")],
        )
    },
    // Reordered labels recreate the type; the default and the data survive.
    change(
        "reorder_labels",
        &[(
            "    Draft,\n    #[entity(renamed_from = \"review\")]\n    InReview,\n    Published,",
            "    Published,\n    Draft,\n    InReview,",
        )],
    ),
    // Removing a label that rows may hold deletes data: refused without the flag.
    Change {
        destructive: true,
        ..change("remove_label", &[("    Draft,\n    InReview,", "    Draft,")])
    },
    // A partial index's predicate changes.
    change(
        "partial_index_where",
        &[("where = \"deleted_at IS NULL\"", "where = \"deleted_at IS NULL AND word_count > 0\"")],
    ),
    // A named check's expression changes.
    change(
        "check_expression",
        &[("expr = \"word_count >= 0\"", "expr = \"word_count >= 0 AND word_count < 100000\"")],
    ),
    // A foreign key's ON DELETE changes.
    change(
        "fk_on_delete",
        &[("foreign_key(Author, on_delete = \"cascade\")", "foreign_key(Author, on_delete = \"restrict\")")],
    ),
    // A foreign key becomes deferrable.
    change(
        "fk_deferrable",
        &[("references = \"public.author(id)\", on_delete = \"restrict\"", "references = \"public.author(id)\", on_delete = \"restrict\", deferrable")],
    ),
    // A rename and another change in the same table; the index on the column follows.
    Change {
        check: Some(("SELECT headline FROM post", "Hello")),
        ..change(
            "rename_and_widen",
            &[
                ("    #[entity(length = 50, index)]\n    pub title: String,", "    #[entity(length = 51, index, renamed_from = \"title\")]\n    pub headline: String,"),
                ("index(expr = \"lower(title)\")", "index(expr = \"lower(headline)\")"),
            ],
        )
    },
    // A table rename: its key, its constraints and the keys pointing at it follow.
    change(
        "rename_author_table",
        &[("#[entity(table_name = \"author\")]", "#[entity(table_name = \"writer\", renamed_from = \"author\")]"),
          ("references = \"public.author(id)\"", "references = \"public.writer(id)\"")],
    ),
    // A generated column's expression changes.
    change(
        "generated_expression",
        &[("generated = \"price * qty\"", "generated = \"price * qty * 2\"")],
    ),
    // Enum label added last, with a default on the enum column changed.
    change(
        "enum_default_and_label",
        &[
            ("    Paid,\n    Void,", "    Paid,\n    Void,\n    Refunded,"),
            ("#[entity(default = \"'open'\")]", "#[entity(default = \"'paid'\")]"),
        ],
    ),
    // More kinds of index: several columns with INCLUDE, gin, a named partial one, and
    // one on the renamed table.
    change(
        "more_indexes",
        &[
            (
                "    index(expr = \"lower(headline)\"),",
                "    index(expr = \"lower(headline)\"),\n    index(author_id, word_count, include(price), name = \"post_author_words_idx\"),\n    index(ratios, method = \"gin\"),\n    index(score, name = \"post_scored_idx\", where = \"score > 0\"),",
            ),
            (
                "#[entity(foreign_key(Post, on_delete = \"set null\"))]",
                "#[entity(foreign_key(Post, on_delete = \"set null\"), index)]",
            ),
        ],
    ),
    // A named partial index's predicate changes.
    change(
        "named_index_where",
        &[("where = \"score > 0\"", "where = \"score > 1\"")],
    ),
    // A composite foreign key with ON UPDATE, to a table with a composite key.
    change(
        "composite_foreign_key",
        &[(
            "#[derive(strata::Entity)]\n#[entity(schema = \"billing\")]",
            "#[derive(strata::Entity)]\n#[entity(table_name = \"post_tag\", primary_key(post_id, tag))]\npub struct PostTag {\n    #[entity(foreign_key(Post, on_delete = \"cascade\"))]\n    pub post_id: i64,\n    #[entity(length = 30)]\n    pub tag: String,\n}\n\n#[derive(strata::Entity)]\n#[entity(\n    table_name = \"tag_vote\",\n    foreign_key(columns(post_id, tag), references = PostTag, on_delete = \"cascade\", on_update = \"cascade\")\n)]\npub struct TagVote {\n    #[entity(primary_key, identity)]\n    pub id: i64,\n    pub post_id: i64,\n    #[entity(length = 30)]\n    pub tag: String,\n}\n\n#[derive(strata::Entity)]\n#[entity(schema = \"billing\")]",
        )],
    ),
    // Dropping a table that another references: its foreign key goes first.
    Change {
        destructive: true,
        ..change(
            "drop_referenced_table",
            &[
                (
                    "#[derive(strata::Entity)]\n#[entity(table_name = \"post_tag\", primary_key(post_id, tag))]\npub struct PostTag {\n    #[entity(foreign_key(Post, on_delete = \"cascade\"))]\n    pub post_id: i64,\n    #[entity(length = 30)]\n    pub tag: String,\n}\n\n",
                    "",
                ),
                (
                    "#[entity(\n    table_name = \"tag_vote\",\n    foreign_key(columns(post_id, tag), references = PostTag, on_delete = \"cascade\", on_update = \"cascade\")\n)]",
                    "#[entity(table_name = \"tag_vote\")]",
                ),
            ],
        )
    },
];

#[tokio::test(flavor = "multi_thread")]
async fn every_object_kind_reaches_a_fixed_point_and_reverts_exactly() {
    let db = TestDb::new().await;
    let project = Project::new("objects", &db);
    let mut steps = evolve(BASE, CHANGES);
    steps[0].seed = Some(SEED);
    check_evolution(&project, &db, &steps, |name, text| {
        insta::assert_snapshot!(name, text)
    })
    .await;
    assert_eq!(
        project.query_text("SELECT count(*)::text FROM post").await,
        "1"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn names_longer_than_63_bytes_are_truncated_and_numbered_like_postgres() {
    let db = TestDb::new().await;
    let project = Project::new("long-names", &db);
    let steps = vec![Step::new("long_names", LONG_NAMES)];
    check_evolution(&project, &db, &steps, |name, text| {
        insta::assert_snapshot!(name, text)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_declared_name_over_63_bytes_is_an_error_at_its_attribute() {
    let db = TestDb::new().await;
    let project = Project::new("too-long", &db);
    project.write_entities(&LONG_NAMES.replace(
        "#[entity(unique, index)]\n    pub a_column_name_that_is_also_long_enough_to_matter_1",
        "#[entity(unique = \"a_unique_constraint_name_that_is_far_too_long_for_postgres_to_keep\")]\n    pub a_column_name_that_is_also_long_enough_to_matter_1",
    ));
    let out = project.strata(&["generate", "too_long"]);
    assert_eq!(out.code, 2, "{out}");
    insta::assert_snapshot!(project.filter(&out.stderr));
}

/// The schema of `BASE`, written by hand the way a DBA would, with PostgreSQL choosing
/// every name it was not given.
const BASE_BY_HAND: &str = r#"
CREATE SCHEMA billing;
CREATE TYPE post_status AS ENUM ('draft', 'published');
CREATE TYPE billing.invoice_state AS ENUM ('open', 'paid', 'void');
CREATE TABLE author (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    name varchar(50) NOT NULL UNIQUE,
    favorite_post_id bigint
);
CREATE TABLE post (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    author_id bigint NOT NULL REFERENCES author ON DELETE CASCADE,
    title varchar(50) NOT NULL,
    status post_status NOT NULL DEFAULT 'draft',
    reviewer_status post_status,
    word_count int NOT NULL CONSTRAINT post_words_positive CHECK (word_count >= 0),
    deleted_at timestamptz(3),
    price numeric(10, 2) NOT NULL,
    qty int NOT NULL CHECK (qty > 0),
    total numeric GENERATED ALWAYS AS (price * qty) STORED,
    ratios numeric(100, 50)[] NOT NULL,
    score float8 NOT NULL,
    slug varchar
);
ALTER TABLE author ADD FOREIGN KEY (favorite_post_id) REFERENCES post ON DELETE SET NULL;
CREATE INDEX ON post (title);
CREATE INDEX ON post (deleted_at) WHERE deleted_at IS NULL;
CREATE INDEX ON post (lower(title));
CREATE TABLE billing.invoice (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    state billing.invoice_state NOT NULL DEFAULT 'open',
    author_id bigint NOT NULL REFERENCES public.author (id) ON DELETE RESTRICT
);
"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_hand_built_database_with_every_object_kind_has_no_changes() {
    let db = TestDb::new().await;
    db.execute(BASE_BY_HAND).await;
    let project = Project::new("objects-by-hand", &db);
    project.write_entities(BASE);
    let out = project.strata(&["generate", "adopt"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stdout.contains("No changes"),
        "{out}\n{}",
        project.strata(&["diff"])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn extensions_from_strata_toml_are_created_before_what_needs_them() {
    let db = TestDb::new().await;
    let project = Project::new("extensions", &db);
    project.write("strata.toml", "extensions = [\"citext\"]\n");
    let source = r#"
#[derive(strata::Entity)]
pub struct Member {
    #[entity(primary_key, identity)]
    pub id: i64,
    #[entity(sql_type = "citext", unique)]
    pub email: String,
}
"#;
    let steps = vec![Step::new("with_citext", source)];
    check_evolution(&project, &db, &steps, |name, text| {
        insta::assert_snapshot!(name, text)
    })
    .await;
}

const TRIGRAMS: &str = r#"
#[derive(strata::Entity)]
#[entity(index(name, method = "gin", opclass = "gin_trgm_ops"))]
pub struct Place {
    #[entity(primary_key, identity)]
    pub id: i64,
    pub name: String,
    #[entity(index(opclass = "text_pattern_ops"))]
    pub code: String,
    pub city: String,
    #[entity(index(order = "desc nulls last"))]
    pub rank: i32,
}
"#;

const TRIGRAMS_BY_HAND: &str = r#"
CREATE EXTENSION pg_trgm;
CREATE TABLE place (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    name text NOT NULL,
    code text NOT NULL,
    city text NOT NULL,
    rank integer NOT NULL
);
CREATE INDEX ON place USING gin (name gin_trgm_ops);
CREATE INDEX ON place (code text_pattern_ops);
CREATE INDEX ON place (rank DESC NULLS LAST);
"#;

#[tokio::test(flavor = "multi_thread")]
async fn indexes_with_operator_classes_and_orders_reach_a_fixed_point() {
    let db = TestDb::new().await;
    let project = Project::new("opclasses", &db);
    project.write("strata.toml", "extensions = [\"pg_trgm\"]\n");
    let steps = vec![
        Step::new("trigram_index", TRIGRAMS),
        // An index's order changes: drop and create.
        Step::new(
            "rank_order",
            leak(&TRIGRAMS.replace("order = \"desc nulls last\"", "order = \"desc\"")),
        ),
        // A new index with an operator class on an existing table.
        Step::new(
            "city_opclass",
            leak(
                &TRIGRAMS
                    .replace("order = \"desc nulls last\"", "order = \"desc\"")
                    .replace(
                        "    pub city: String,",
                        "    #[entity(index(method = \"gin\", opclass = \"gin_trgm_ops\"))]\n    pub city: String,",
                    ),
            ),
        ),
    ];
    check_evolution(&project, &db, &steps, |name, text| {
        insta::assert_snapshot!(name, text)
    })
    .await;

    let by_hand = TestDb::new().await;
    by_hand.execute(TRIGRAMS_BY_HAND).await;
    let adopted = Project::new("opclasses-by-hand", &by_hand);
    adopted.write("strata.toml", "extensions = [\"pg_trgm\"]\n");
    adopted.write_entities(TRIGRAMS);
    let out = adopted.strata(&["generate", "adopt"]);
    assert!(
        out.stdout.contains("No changes"),
        "{out}\n{}",
        adopted.strata(&["diff"])
    );
    // Without the operator class the same index is a different one.
    adopted.write_entities(&TRIGRAMS.replace("(opclass = \"text_pattern_ops\")", ""));
    let diff = adopted.strata(&["diff"]);
    assert!(diff.stdout.contains("place_code_idx"), "{diff}");
}

/// The shapes canonicalization spells without the server (`known`): names that need
/// quoting, a check and a partial index on columns that stay as they are.
const PLAIN_KEYS: &str = r#"
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

#[derive(strata::Entity)]
#[entity(table_name = "line_item", index(qty, where = "qty > 1"))]
pub struct LineItem {
    #[entity(primary_key, identity)]
    pub id: i64,
    #[entity(check = "qty >= 0")]
    pub qty: i32,
    #[entity(rename = "Amount", precision = 12, scale = 2)]
    pub amount: Option<Decimal>,
    #[entity(rename = "order")]
    pub order_no: Option<i32>,
    #[entity(rename = "user")]
    pub user_name: Option<String>,
    #[entity(precision = 10, scale = 2)]
    pub price: Decimal,
    #[entity(generated = "price * (qty)::numeric")]
    pub total: Option<Decimal>,
    pub updated_at: Option<DateTime<Utc>>,
}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn plain_index_keys_and_kept_expressions_reach_a_fixed_point() {
    let db = TestDb::new().await;
    let project = Project::new("plain-keys", &db);
    let mut changed = PLAIN_KEYS.to_string();
    for (from, to) in [
        (
            "    pub updated_at: Option<DateTime<Utc>>,\n",
            "    pub extra_note: Option<String>,\n",
        ),
        (
            "index(qty, where = \"qty > 1\"))]",
            "index(qty, amount, where = \"qty > 1\", name = \"line_item_qty_idx\"),
    index(amount, include(user_name, extra_note)),
    index(user_name, qty, unique, order = \"desc\"),
    index(expr = \"\\\"Amount\\\"\", name = \"line_item_amount_expr_idx\")
)]",
        ),
        (
            "#[entity(rename = \"order\")]",
            "#[entity(rename = \"order\", index)]",
        ),
    ] {
        assert!(changed.contains(from), "`{from}` is not in the source");
        changed = changed.replacen(from, to, 1);
    }
    let steps = vec![
        Step::new("plain_keys_create", PLAIN_KEYS),
        // A column added and one dropped, the check and the partial index kept, an
        // index whose keys change and four new ones on plain columns.
        Step {
            destructive: true,
            ..Step::new("plain_keys_added", leak(&changed))
        },
    ];
    check_evolution(&project, &db, &steps, |name, text| {
        insta::assert_snapshot!(name, text)
    })
    .await;
}

/// SQL that only a real lexer reads right: a check naming a column through a Unicode
/// escape and holding an escape string with a quote and a `)`, a predicate with a
/// dollar quote and a comment holding `;`, column-name keywords and a non-ASCII name.
const LEXICAL: &str = r#"
#[derive(strata::Entity)]
#[entity(check = "U&\"p\\0061ge\" >= 0 AND note <> E'it\\'s ) here'", check = "U&\"p\\0061ge\" < 1000")]
#[entity(index(expr = "lower(note)", where = "note <> $$--;$$ /* a ; comment */"))]
pub struct Lexical {
    #[entity(primary_key)]
    pub id: i64,
    pub page: i32,
    #[entity(check = "position > 0 -- positive\n", index)]
    pub position: i32,
    #[entity(rename = "Größe", check = "\"Größe\" <> ''")]
    pub size: String,
    pub note: String,
}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn expressions_only_a_lexer_reads_right_reach_a_fixed_point_across_a_rename() {
    let db = TestDb::new().await;
    let project = Project::new("lexical", &db);
    let renamed = LEXICAL
        .replace(
            "    pub page: i32,",
            "    #[entity(renamed_from = \"page\")]\n    pub pages: i32,",
        )
        .replace("U&\\\"p\\\\0061ge\\\"", "U&\\\"p\\\\0061ges\\\"");
    assert_ne!(renamed, LEXICAL);
    assert!(renamed.contains("0061ges"));
    let steps = vec![
        Step::new("lexical_create", LEXICAL),
        // The check keeps its name and meaning: renamed with the column, not rebuilt.
        Step::new("lexical_rename", leak(&renamed)),
    ];
    check_evolution(&project, &db, &steps, |name, text| {
        insta::assert_snapshot!(name, text)
    })
    .await;
}
