//! Collations, per-key index options, key flags and exclusion constraints compile, and
//! the runtime metadata carries them.
use strata::Entity as _;

#[derive(strata::Entity)]
#[entity(table_name = "booking", primary_key(id, deferrable))]
#[entity(unique(room, guest, nulls_not_distinct, initially_deferred))]
#[entity(index(key(guest, collation = "C", order = "desc"), key(expr = "lower(guest)", opclass = "text_pattern_ops")))]
#[entity(index(room, guest, unique, nulls_not_distinct))]
#[entity(exclude(elements = "room WITH =, during WITH &&", where = "NOT cancelled", include(id), deferrable))]
pub struct Booking {
    pub id: i32,
    pub room: i32,
    #[entity(collation = "C", unique(nulls_not_distinct))]
    pub guest: Option<String>,
    #[entity(sql_type = "tsrange")]
    pub during: String,
    pub cancelled: bool,
}

fn main() {
    let e = Booking::entity();
    assert!(e.primary_key_options.deferrable);
    assert!(e.uniques[0].options.initially_deferred);
    assert_eq!(e.indexes[0].key_options[0].collation.as_deref(), Some("C"));
    assert!(e.indexes[1].nulls_not_distinct);
    assert_eq!(e.exclusions[0].include, ["id"]);
    assert_eq!(e.fields[2].collation.as_deref(), Some("C"));
    assert!(e.fields[2].unique_options.nulls_not_distinct);
}
