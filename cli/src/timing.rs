//! Phase timings for the benchmark (`bench/run.py`), printed on stderr when the
//! environment variable `STRATA_TIMINGS` is set (to anything but `0` or empty).
//!
//! An environment variable rather than a flag: the benchmark needs the numbers from the
//! very binary users run, and nothing in the command line or its output changes for
//! anyone else. Each [`mark`] prints the time since the previous mark (or since the
//! first call, made at startup by `main`), so phases are measured back to back and
//! their sum is the whole run.
use std::sync::Mutex;
use std::time::Instant;

static LAST: Mutex<Option<Instant>> = Mutex::new(None);

fn enabled() -> bool {
    std::env::var_os("STRATA_TIMINGS").is_some_and(|v| !v.is_empty() && v != "0")
}

/// Ends the phase called `phase`: `strata-timing <phase> <milliseconds>` on stderr.
pub fn mark(phase: &str) {
    if !enabled() {
        return;
    }
    let now = Instant::now();
    // A poisoned lock only means another thread panicked while timing: keep timing.
    let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(then) = last.replace(now) {
        let ms = now.duration_since(then).as_secs_f64() * 1000.0;
        eprintln!("strata-timing {phase} {ms:.1}");
    }
}

/// A phase of work running beside the main one (the catalog read while the entities
/// are parsed): `strata-timing-background <phase> <milliseconds since started>`, so
/// it does not count twice in the sum of [`mark`]s.
pub fn background(phase: &str, started: Instant) {
    if enabled() {
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        eprintln!("strata-timing-background {phase} {ms:.1}");
    }
}
