//! Times `strata::check` on a warm connection (issue 15: 300 tables under 100 ms).
//!
//! `bench/check.py` prepares the database and the entity sources and runs this; by
//! hand: `cargo run --release -p strata-tests --example check_bench -- URL DIR [RUNS]`,
//! DIR holding `src/**/*.rs` entity sources that match the database. The entities are
//! read from the sources with strata's scanner (what the derive would compile into an
//! app), before the clock starts. With `CHECK_BENCH_JSON=FILE`, the structural report
//! is written there as JSON (bench/check.py compares it with the mutations made).
use sqlx::postgres::PgPoolOptions;
use std::time::{Duration, Instant};

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (url, dir) = match (args.get(1), args.get(2)) {
        (Some(u), Some(d)) => (u.clone(), d.clone()),
        _ => {
            eprintln!("usage: check_bench DATABASE_URL ENTITIES_DIR [RUNS]");
            std::process::exit(2);
        }
    };
    let runs: usize = args.get(3).and_then(|r| r.parse().ok()).unwrap_or(20);
    let scanned = strata_core::scan::scan(std::path::Path::new(&dir), &["src/**/*.rs".into()])
        .unwrap_or_else(|e| panic!("{}", e.rendered));
    let entities: Vec<strata::EntityDef> = scanned.entities.into_iter().map(|l| l.item).collect();
    let enums: Vec<strata::DbEnumDef> = scanned.enums.into_iter().map(|l| l.item).collect();
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .expect("connect");
    for (label, expressions) in [("structural", false), ("compare_expressions", true)] {
        let check = strata::Check::new(&entities)
            .enums(&enums)
            .compare_expressions(expressions);
        // Warm: the connection is open and has run the queries once.
        let report = check.run(&pool).await.expect("check");
        let mut times: Vec<Duration> = (0..runs).map(|_| Duration::ZERO).collect();
        for t in &mut times {
            let start = Instant::now();
            let r = check.run(&pool).await.expect("check");
            *t = start.elapsed();
            assert_eq!(r.is_clean(), report.is_clean());
        }
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{label}: {} tables, {} columns, clean: {}, unverified: {}; {runs} runs: min {:.1} ms, median {:.1} ms, max {:.1} ms",
            report.tables,
            entities.iter().map(|e| e.fields.len()).sum::<usize>(),
            report.is_clean(),
            report.unverified.len(),
            ms(times[0]),
            ms(times[runs / 2]),
            ms(times[runs - 1]),
        );
        if let Some(path) = std::env::var_os("CHECK_BENCH_JSON") {
            if !expressions {
                std::fs::write(path, serde_json::to_string(&report).unwrap()).unwrap();
            }
        }
        if !report.is_clean() {
            let text = report.to_string();
            println!("{}", text.lines().take(10).collect::<Vec<_>>().join("\n"));
        }
    }
}
