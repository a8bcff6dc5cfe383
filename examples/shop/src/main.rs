//! The bundled example: a small shop whose schema evolves in three migrations.
//!
//! `strata generate` reads `src/entities.rs` with syn; this binary shows the other side
//! of the same declarations: the runtime metadata the derive produces.

use shop::entities;

use strata::Entity;

fn main() {
    for entity in [entities::Customer::entity(), entities::Product::entity()] {
        let columns: Vec<&str> = entity
            .fields
            .iter()
            .map(|f| f.column_name.as_str())
            .collect();
        println!(
            "{} -> table {} ({})",
            entity.rust_name,
            entity.table_name,
            columns.join(", ")
        );
    }
}
