//! Unique and check constraints of one table, named as PostgreSQL names them.

use super::columns_of;
use super::expr_columns::referenced_columns;
use crate::entity::EntityDef;
use crate::names::NameAllocator;
use crate::schema::{CheckConstraint, Deferral, UniqueConstraint};

/// Column constraints first, then table constraints: the order PostgreSQL chooses
/// names in for CREATE TABLE, which decides the numbering of colliding names.
/// Declared names were reserved beforehand.
pub(super) fn uniques(entity: &EntityDef, names: &mut NameAllocator) -> Vec<UniqueConstraint> {
    let table = &entity.table_name;
    let column_ones = entity.fields.iter().filter_map(|field| {
        let declared = field.unique.as_ref()?;
        Some((
            vec![field.column_name.clone()],
            declared.as_ref(),
            &field.unique_options,
        ))
    });
    let table_ones = entity
        .uniques
        .iter()
        .map(|u| (columns_of(entity, &u.fields), u.name.as_ref(), &u.options));
    column_ones
        .chain(table_ones)
        .map(|(columns, declared, options)| UniqueConstraint {
            name: match declared {
                Some(name) => name.clone(),
                None => names.unique(table, &columns),
            },
            columns,
            nulls_not_distinct: options.nulls_not_distinct,
            deferral: Deferral::from_flags(options.deferrable, options.initially_deferred),
        })
        .collect()
}

/// Field `check = "..."`, then table `check(...)`. An unnamed check is named after the
/// one column its expression uses, or after the table alone when it uses none or
/// several (`AddRelationNewConstraints` in PostgreSQL's heap.c), whichever field
/// declares it.
pub(super) fn checks(entity: &EntityDef, names: &mut NameAllocator) -> Vec<CheckConstraint> {
    let table = &entity.table_name;
    let columns: Vec<&str> = entity
        .fields
        .iter()
        .map(|f| f.column_name.as_str())
        .collect();
    let column_ones = entity
        .fields
        .iter()
        .filter_map(|f| f.check.as_ref().map(|expr| (expr, None)));
    let table_ones = entity.checks.iter().map(|c| (&c.expr, c.name.as_ref()));
    column_ones
        .chain(table_ones)
        .map(|(expr, declared)| CheckConstraint {
            name: match declared {
                Some(name) => name.clone(),
                None => {
                    let used = referenced_columns(expr, &columns);
                    let column = match used.as_slice() {
                        [only] => Some(*only),
                        _ => None,
                    };
                    names.check(table, column)
                }
            },
            expr: expr.clone(),
            not_valid: false,
            written: Default::default(),
        })
        .collect()
}
