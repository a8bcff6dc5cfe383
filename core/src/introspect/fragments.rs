//! SQL fragments the object kinds' queries share: privileges, extension membership,
//! collations.

/// `grants_json!("c.relacl", "c.relowner")`: the SQL of that array (`[]` for none).
/// A third argument is one more condition on the ACL entry `g` (`aclexplode`'s row).
macro_rules! grants_json {
    ($acl:literal, $owner:literal $(, $also:literal)?) => {
        concat!(
            "COALESCE((SELECT pg_catalog.json_agg(pg_catalog.json_build_object(
                'grantee', CASE WHEN g.grantee = 0 THEN 'PUBLIC'
                                ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(g.grantee)) END,
                'privilege', g.privilege_type,
                'with_grant_option', g.is_grantable)
                ORDER BY g.grantee, g.privilege_type)
              FROM pg_catalog.aclexplode(",
            $acl,
            ") g WHERE g.grantee <> ",
            $owner,
            $(" AND ", $also,)?
            "), '[]'::json)"
        )
    };
}

/// `acl_is_default!("p.proacl", "'f'", "p.proowner")`: the ACL is what PostgreSQL
/// starts an object of that kind with (`acldefault`): NULL, or the same entries in any
/// order, as a `GRANT` then `REVOKE` (or a `REVOKE` then `GRANT`) leaves it. Such an ACL
/// is read as none at all.
macro_rules! acl_is_default {
    ($acl:literal, $kind:literal, $owner:literal) => {
        concat!(
            "(",
            $acl,
            " IS NULL OR (",
            $acl,
            " OPERATOR(pg_catalog.@>) pg_catalog.acldefault(",
            $kind,
            ", ",
            $owner,
            ") AND ",
            $acl,
            " OPERATOR(pg_catalog.<@) pg_catalog.acldefault(",
            $kind,
            ", ",
            $owner,
            ")))"
        )
    };
}

/// `NOT from_extension!("'pg_catalog.pg_proc'", "p.oid")`: the object belongs to an
/// extension (which creates and drops it).
macro_rules! from_extension {
    ($catalog:literal, $oid:literal) => {
        concat!(
            "EXISTS (SELECT FROM pg_catalog.pg_depend e WHERE e.classid = ",
            $catalog,
            "::regclass AND e.objid = ",
            $oid,
            " AND e.deptype = 'e')"
        )
    };
}

/// A collation as `COLLATE` takes it (`pg_catalog."C"`), when `$collation` is set and
/// is not `$default` (the type's own).
macro_rules! collation_name {
    ($collation:literal, $default:literal) => {
        concat!(
            "CASE WHEN ",
            $collation,
            " <> 0 AND ",
            $collation,
            " <> ",
            $default,
            " THEN (SELECT pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname)
                   FROM pg_catalog.pg_collation co
                   JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
                   WHERE co.oid = ",
            $collation,
            ") END"
        )
    };
}

/// `comment_of!("c.oid", "pg_class")`: the object's comment, or NULL. What
/// `obj_description` returns, looked up directly: that function is SQL run once per row
/// through the function executor (about 6 µs each, 15 ms for 2,500 sequences).
macro_rules! comment_of {
    ($oid:literal, $catalog:literal) => {
        concat!(
            "(SELECT dsc.description FROM pg_catalog.pg_description dsc WHERE dsc.objoid = ",
            $oid,
            " AND dsc.classoid = 'pg_catalog.",
            $catalog,
            "'::regclass AND dsc.objsubid = 0)"
        )
    };
}
