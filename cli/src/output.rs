//! Where output goes: human text (respecting -q / -v) or JSON on stdout.
use serde::Serialize;

pub struct Output {
    json: bool,
    verbose: u8,
    quiet: bool,
}

impl Output {
    pub fn new(json: bool, verbose: u8, quiet: bool) -> Output {
        Output {
            json,
            verbose,
            quiet,
        }
    }

    pub fn is_json(&self) -> bool {
        self.json
    }

    /// A line of the human report; silent with `--json` (stdout is for JSON) or `-q`.
    pub fn info(&self, text: &str) {
        if !self.json && !self.quiet {
            stdout_line(text);
        }
    }

    /// What the command was asked to print (SQL of a dry run, `inspect`): shown even
    /// with `-q`, because it is the command's result, not commentary.
    pub fn result(&self, text: &str) {
        if !self.json {
            stdout_line(text);
        }
    }

    /// Details for `-v`, on stderr so they never mix with results.
    pub fn verbose(&self, text: &str) {
        if self.verbose > 0 && !self.quiet {
            eprintln!("{text}");
        }
    }

    /// Something the user should know that is not an error; on stderr, even with --json.
    pub fn warn(&self, text: &str) {
        if !self.quiet {
            eprintln!("warning: {text}");
        }
    }

    pub fn error(&self, text: &str) {
        eprintln!("error: {text}");
    }

    /// The JSON result, when `--json` was given.
    pub fn json<T: Serialize>(&self, value: &T) -> anyhow::Result<()> {
        if self.json {
            stdout_line(&serde_json::to_string_pretty(value)?);
        }
        Ok(())
    }
}

/// Writes a line to stdout. When the reader went away (`strata diff | head`), there is
/// nobody left to tell anything: stop quietly, as cargo and ripgrep do, rather than
/// panicking on the broken pipe.
pub fn stdout_line(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{text}") {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write to stdout: {e}");
        std::process::exit(2);
    }
}

/// Problems already rendered like a compiler's (each with its `error:` line, place and
/// source), followed by one summary line, as cargo ends a failed build.
#[derive(Debug)]
pub struct Diagnostics {
    pub rendered: String,
    pub summary: String,
}

impl std::fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.summary)
    }
}

impl std::error::Error for Diagnostics {}
