//! The bundled example: a small shop whose schema evolves in three migrations.
//!
//! `strata generate` reads `src/entities.rs` with syn; this binary shows the other side
//! of the same declarations: the runtime metadata the derive produces.
//!
//! With `--check-db` (or `SHOP_CHECK_DB=1`) it is the app at startup instead: it
//! connects to `DATABASE_URL`, runs `strata::check` against the entities compiled into
//! it and the migrations folder (`SHOP_MIGRATIONS`, default: the example's
//! `migrations`), prints the report and exits 1 when the database does not match (2
//! when it cannot check).

use shop::entities;
use std::process::ExitCode;

use strata::Entity;

fn main() -> ExitCode {
    let check_db = std::env::args().skip(1).any(|a| a == "--check-db")
        || std::env::var("SHOP_CHECK_DB").is_ok_and(|v| v == "1");
    if check_db {
        return check_database();
    }
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
    ExitCode::SUCCESS
}

fn check_database() -> ExitCode {
    let Ok(url) = std::env::var("DATABASE_URL") else {
        eprintln!("shop: --check-db needs DATABASE_URL");
        return ExitCode::from(2);
    };
    let migrations = std::env::var_os("SHOP_MIGRATIONS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/migrations").into());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async {
        let pool = match sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .connect(&url)
            .await
        {
            Ok(pool) => pool,
            Err(e) => {
                eprintln!("shop: cannot connect to the database: {e}");
                return ExitCode::from(2);
            }
        };
        match shop::check_database(&pool, &migrations).await {
            Ok(report) => {
                println!("{report}");
                if report.is_clean() {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                }
            }
            Err(e) => {
                eprintln!("shop: {e}");
                ExitCode::from(2)
            }
        }
    })
}
