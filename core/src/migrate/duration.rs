//! Durations as people write them in headers, `strata.toml` and `--lock-timeout`:
//! `500ms`, `5s`, `2min`, `1h`, or `0`. A unit is required (except for zero) because
//! PostgreSQL's unit-less default is milliseconds and strata's users would guess seconds.
use std::time::Duration;

/// Parses `5s`, `250ms`, `2min` (or `2m`), `1h`, `0`.
pub fn parse(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let digits = t.chars().take_while(char::is_ascii_digit).count();
    let (number, unit) = t.split_at(digits);
    let bad = || {
        format!(
            "invalid duration {text:?}: write a whole number and a unit, such as 500ms, 5s, \
             2min or 1h"
        )
    };
    let n: u64 = number.parse().map_err(|_| bad())?;
    let millis_per_unit = match unit.trim() {
        "" if n == 0 => 0,
        "ms" => 1,
        "s" => 1_000,
        "m" | "min" => 60_000,
        "h" => 3_600_000,
        _ => return Err(bad()),
    };
    n.checked_mul(millis_per_unit)
        .map(Duration::from_millis)
        .ok_or_else(bad)
}

/// The shortest exact spelling `parse` reads back: `5s`, `1500ms`, `2min`.
// `is_multiple_of` is newer than the workspace's rust-version (1.80).
#[allow(clippy::manual_is_multiple_of)]
pub fn format(d: Duration) -> String {
    let ms = d.as_millis();
    if ms == 0 {
        "0".to_string()
    } else if ms % 3_600_000 == 0 {
        format!("{}h", ms / 3_600_000)
    } else if ms % 60_000 == 0 {
        format!("{}min", ms / 60_000)
    } else if ms % 1_000 == 0 {
        format!("{}s", ms / 1_000)
    } else {
        format!("{ms}ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_unit() {
        assert_eq!(parse("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse(" 2min "), Ok(Duration::from_secs(120)));
        assert_eq!(parse("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse("0"), Ok(Duration::ZERO));
    }

    #[test]
    fn refuses_a_missing_or_unknown_unit() {
        for bad in [
            "5",
            "5 sec",
            "s",
            "",
            "-1s",
            "1.5s",
            "99999999999999999999h",
        ] {
            let err = parse(bad).expect_err(bad);
            assert!(err.contains("500ms, 5s"), "{err}");
        }
    }

    #[test]
    fn format_reads_back() {
        for ms in [0, 1, 999, 1000, 1500, 60_000, 90_000, 3_600_000, 7_200_000] {
            let d = Duration::from_millis(ms);
            assert_eq!(parse(&format(d)), Ok(d), "{}", format(d));
        }
        assert_eq!(format(Duration::from_secs(120)), "2min");
    }
}
