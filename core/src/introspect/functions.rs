//! Functions, procedures and aggregates of the managed schemas, each as the statement
//! that creates it: `pg_get_functiondef` for functions and procedures; for aggregates,
//! which it refuses, a `CREATE AGGREGATE` put together from `pg_aggregate` the way
//! `pg_dump` does (each support function by its `regproc` name, qualified outside
//! `public`).
use crate::schema::Function;

pub(super) const SQL: &str = concat!(
    "
SELECT 'function' AS kind, pg_catalog.json_build_object(
    'schema', n.nspname, 'name', p.proname,
    'args', pg_catalog.pg_get_function_identity_arguments(p.oid),
    'kind', CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate'
                           WHEN 'w' THEN 'window' ELSE 'function' END,
    'language', l.lanname,
    'definition', CASE WHEN p.prokind <> 'a' THEN pg_catalog.pg_get_functiondef(p.oid) ELSE
        'CREATE AGGREGATE ' || pg_catalog.quote_ident(n.nspname) || '.'
        || pg_catalog.quote_ident(p.proname) || '('
        || CASE WHEN p.pronargs = 0 THEN '*' ELSE pg_catalog.pg_get_function_arguments(p.oid) END
        || ') (' || pg_catalog.concat_ws(', ',
            'SFUNC = ' || ag.aggtransfn::regproc::text,
            'STYPE = ' || pg_catalog.format_type(ag.aggtranstype, NULL),
            CASE WHEN ag.aggtransspace <> 0 THEN 'SSPACE = ' || ag.aggtransspace END,
            CASE WHEN ag.aggfinalfn <> 0 THEN 'FINALFUNC = ' || ag.aggfinalfn::regproc::text END,
            CASE WHEN ag.aggfinalextra THEN 'FINALFUNC_EXTRA' END,
            CASE WHEN ag.aggfinalfn <> 0
                  AND ag.aggfinalmodify <> CASE WHEN ag.aggkind = 'n' THEN 'r' ELSE 'w' END
                 THEN 'FINALFUNC_MODIFY = ' || CASE ag.aggfinalmodify WHEN 'r' THEN 'READ_ONLY'
                      WHEN 's' THEN 'SHAREABLE' ELSE 'READ_WRITE' END END,
            CASE WHEN ag.aggcombinefn <> 0 THEN 'COMBINEFUNC = ' || ag.aggcombinefn::regproc::text END,
            CASE WHEN ag.aggserialfn <> 0 THEN 'SERIALFUNC = ' || ag.aggserialfn::regproc::text END,
            CASE WHEN ag.aggdeserialfn <> 0 THEN 'DESERIALFUNC = ' || ag.aggdeserialfn::regproc::text END,
            CASE WHEN ag.agginitval IS NOT NULL THEN 'INITCOND = ' || pg_catalog.quote_literal(ag.agginitval) END,
            CASE WHEN ag.aggmtransfn <> 0 THEN 'MSFUNC = ' || ag.aggmtransfn::regproc::text END,
            CASE WHEN ag.aggminvtransfn <> 0 THEN 'MINVFUNC = ' || ag.aggminvtransfn::regproc::text END,
            CASE WHEN ag.aggmtransfn <> 0 THEN 'MSTYPE = ' || pg_catalog.format_type(ag.aggmtranstype, NULL) END,
            CASE WHEN ag.aggmtransspace <> 0 THEN 'MSSPACE = ' || ag.aggmtransspace END,
            CASE WHEN ag.aggmfinalfn <> 0 THEN 'MFINALFUNC = ' || ag.aggmfinalfn::regproc::text END,
            CASE WHEN ag.aggmfinalextra THEN 'MFINALFUNC_EXTRA' END,
            CASE WHEN ag.aggminitval IS NOT NULL THEN 'MINITCOND = ' || pg_catalog.quote_literal(ag.aggminitval) END,
            CASE WHEN ag.aggsortop <> 0 THEN 'SORTOP = ' || (
                SELECT 'OPERATOR(' || pg_catalog.quote_ident(opn.nspname) || '.' || op.oprname || ')'
                FROM pg_catalog.pg_operator op
                JOIN pg_catalog.pg_namespace opn ON opn.oid = op.oprnamespace
                WHERE op.oid = ag.aggsortop) END,
            CASE WHEN ag.aggkind = 'h' THEN 'HYPOTHETICAL' END,
            CASE p.proparallel WHEN 's' THEN 'PARALLEL = SAFE'
                               WHEN 'r' THEN 'PARALLEL = RESTRICTED' END)
        || ')' END,
    'comment', ",
    comment_of!("p.oid", "pg_proc"),
    ",
    'grants', CASE WHEN NOT ",
    acl_is_default!("p.proacl", "'f'", "p.proowner"),
    " THEN ",
    grants_json!("p.proacl", "p.proowner"),
    " END)::text AS body
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
JOIN pg_catalog.pg_language l ON l.oid = p.prolang
LEFT JOIN pg_catalog.pg_aggregate ag ON ag.aggfnoid = p.oid
WHERE n.nspname::text = ANY($1)
  AND NOT ",
    from_extension!("'pg_catalog.pg_proc'", "p.oid")
);

pub(super) fn parse(body: &str) -> serde_json::Result<Function> {
    let mut f: Function = serde_json::from_str(body)?;
    // `pg_get_functiondef` ends with a newline and no `;`.
    f.definition.truncate(f.definition.trim_end().len());
    if let Some(grants) = &mut f.grants {
        grants.sort();
    }
    Ok(f)
}
