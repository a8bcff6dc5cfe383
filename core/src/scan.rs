//! Reads the user's entity sources (globs) with syn, as the derive would see them.
//!
//! The CLI never compiles the user's crate: it finds `#[derive(..Entity)]` structs and
//! `#[derive(..DbEnum)]` enums in the files and runs the derive's own parser on them, so
//! both read the same thing. Every error of every file comes back at once, rendered as
//! rustc renders them (file:line:column and the source line with a caret).

use crate::entity::{DbEnumDef, EntityDef};
use crate::lower::LowerError;
use crate::parse;
use codespan_reporting::diagnostic::{Diagnostic, Label};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, termcolor::NoColor, Chars, Config};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use syn::punctuated::Punctuated;

/// An item with the place it was declared.
#[derive(Debug, Clone)]
pub struct Located<T> {
    pub item: T,
    pub file: PathBuf,
    /// 1-based.
    pub line: usize,
    /// 1-based.
    pub column: usize,
    /// Where the item's name is: its file in [`Scanned`]'s sources and byte range.
    file_id: usize,
    span: Range<usize>,
    /// Each field's (or variant's) Rust name and the byte range of its name.
    members: Vec<(String, Range<usize>)>,
}

/// What the entity sources declare, and the sources themselves, so later problems
/// (found when the schema is built) can be shown at their place too.
#[derive(Clone, Default)]
pub struct Scanned {
    pub entities: Vec<Located<EntityDef>>,
    pub enums: Vec<Located<DbEnumDef>>,
    /// Each file's name as shown and its text, by file id. They become codespan's files
    /// (which index the lines of every file) only when a problem is rendered.
    sources: Vec<(String, String)>,
}

impl fmt::Debug for Scanned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scanned")
            .field("entities", &self.entities)
            .field("enums", &self.enums)
            .finish_non_exhaustive()
    }
}

impl Scanned {
    /// Renders problems found in the declarations (by `lower`) like the scan's own
    /// errors: `file:line:col`, the source line, and a caret under the field's name.
    pub fn render_problems(&self, problems: &[LowerError]) -> String {
        let mut report = Report {
            files: simple_files(self.sources.iter().cloned()),
            diagnostics: Vec::new(),
        };
        for problem in problems {
            let place = self
                .entities
                .iter()
                .map(|e| (&e.item.rust_name, e.file_id, &e.span, &e.members))
                .chain(
                    self.enums
                        .iter()
                        .map(|e| (&e.item.rust_name, e.file_id, &e.span, &e.members)),
                )
                .find(|(name, ..)| **name == problem.entity);
            let diagnostic = Diagnostic::error().with_message(problem.to_string());
            report.diagnostics.push(match place {
                Some((_, file_id, span, members)) => {
                    let at = problem
                        .field
                        .as_ref()
                        .and_then(|f| members.iter().find(|(name, _)| name == f))
                        .map_or(span, |(_, range)| range);
                    diagnostic.with_labels(vec![Label::primary(file_id, at.clone())])
                }
                None => diagnostic,
            });
        }
        report.render().rendered
    }
}

/// Every problem found while scanning, rendered as `file:line:col` with the source line.
#[derive(Debug)]
pub struct ScanError {
    pub rendered: String,
    pub count: usize,
}

impl fmt::Display for ScanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.rendered.trim_end())
    }
}

impl std::error::Error for ScanError {}

/// Expands `patterns` (relative to `root`), parses every file, and collects all entities
/// and enums. All errors of all files come back at once.
///
/// Files are read and parsed on a few threads (syn dominates: most of a second for
/// 5000 entity files on one core); the results are merged in file order, so entities,
/// enums and errors come out in the same order whatever the threads did.
pub fn scan(root: &Path, patterns: &[String]) -> Result<Scanned, ScanError> {
    let mut report = Report::default();
    let files = expand(root, patterns, &mut report);
    let mut scanned = Scanned::default();
    for (path, file) in files.iter().zip(scan_files(root, &files)) {
        let shown = relative(root, path);
        // Every file gets its id, readable or not, so ids are positions in `files`,
        // as `scan_file` assumed.
        scanned
            .sources
            .push((shown.display().to_string(), file.source.unwrap_or_default()));
        scanned.entities.extend(file.entities);
        scanned.enums.extend(file.enums);
        report.diagnostics.extend(file.diagnostics);
    }
    if report.diagnostics.is_empty() {
        Ok(scanned)
    } else {
        report.files = simple_files(scanned.sources);
        Err(report.render())
    }
}

/// codespan's files of `sources` (name, text), their ids in order.
fn simple_files(
    sources: impl IntoIterator<Item = (String, String)>,
) -> SimpleFiles<String, String> {
    let mut files = SimpleFiles::new();
    for (name, source) in sources {
        files.add(name, source);
    }
    files
}

/// What one file declares, and its problems (labels point at file id = its position).
#[derive(Default)]
struct FileScan {
    /// `None` when the file could not be read.
    source: Option<String>,
    entities: Vec<Located<EntityDef>>,
    enums: Vec<Located<DbEnumDef>>,
    diagnostics: Vec<Diagnostic<usize>>,
}

/// [`scan_file`] of every file, in order, on up to [`MAX_THREADS`] threads.
fn scan_files(root: &Path, files: &[PathBuf]) -> Vec<FileScan> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .clamp(1, MAX_THREADS);
    // Small projects are not worth a thread.
    if threads == 1 || files.len() < 2 * FILES_PER_THREAD_AT_LEAST {
        return files
            .iter()
            .enumerate()
            .map(|(id, path)| scan_file(root, path, id))
            .collect();
    }
    let per_thread = files.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = files
            .chunks(per_thread)
            .enumerate()
            .map(|(n, chunk)| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .enumerate()
                        .map(|(i, path)| scan_file(root, path, n * per_thread + i))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .zip(files.chunks(per_thread))
            .flat_map(|(worker, chunk)| {
                // A panic in a parser thread is a bug in syn or strata: say which files
                // were not read rather than take the whole scan down.
                worker.join().unwrap_or_else(|_| {
                    chunk
                        .iter()
                        .map(|path| FileScan {
                            diagnostics: vec![Diagnostic::error().with_message(format!(
                                "internal error while parsing `{}`",
                                relative(root, path).display()
                            ))],
                            ..FileScan::default()
                        })
                        .collect()
                })
            })
            .collect()
    })
}

const MAX_THREADS: usize = 8;
const FILES_PER_THREAD_AT_LEAST: usize = 32;

/// Reads and parses one file; `file_id` is the id its source will have in the report.
fn scan_file(root: &Path, path: &Path, file_id: usize) -> FileScan {
    let shown = relative(root, path);
    let mut report = Report::default();
    let mut scanned = Scanned::default();
    let source = match std::fs::read_to_string(path) {
        Ok(source) => source,
        Err(e) => {
            report.plain(format!("cannot read `{}`: {e}", shown.display()));
            return FileScan {
                diagnostics: report.diagnostics,
                ..FileScan::default()
            };
        }
    };
    let lines = Lines::new(&source);
    match syn::parse_file(&source) {
        Ok(file) => collect(
            file.items,
            &shown,
            &lines,
            file_id,
            &mut scanned,
            &mut report,
        ),
        Err(e) => {
            // syn's lexer error ("cannot parse string into token stream") means an
            // unbalanced delimiter or a bad token: say so in the user's terms.
            let e = syn::Error::new(e.span(), format!("this file is not valid Rust: {e}"));
            report.syn_error(file_id, &lines, &e)
        }
    }
    FileScan {
        source: Some(source),
        entities: scanned.entities,
        enums: scanned.enums,
        diagnostics: report.diagnostics,
    }
}

/// Whether any pattern matches a file: a project of hand-written migrations has no
/// entity sources, which `verify` accepts (and `generate` does not).
pub fn has_sources(root: &Path, patterns: &[String]) -> bool {
    patterns.iter().any(|pattern| {
        glob::glob(&root.join(pattern).to_string_lossy())
            .is_ok_and(|mut paths| paths.any(|p| p.is_ok_and(|p| p.is_file())))
    })
}

/// Every file the patterns match, sorted and without duplicates; a pattern that
/// matches nothing is an error, since it is almost always a wrong path.
fn expand(root: &Path, patterns: &[String], report: &mut Report) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for pattern in patterns {
        let full = root.join(pattern);
        let full = full.to_string_lossy();
        let paths = match glob::glob(&full) {
            Ok(paths) => paths,
            Err(e) => {
                report.plain(format!("`{pattern}` is not a valid glob: {e}"));
                continue;
            }
        };
        let mut matched = false;
        for entry in paths {
            match entry {
                Ok(path) if path.is_file() => {
                    matched = true;
                    files.push(path);
                }
                Ok(_) => {}
                Err(e) => report.plain(format!(
                    "cannot read `{}`: {}",
                    relative(root, e.path()).display(),
                    e.error()
                )),
            }
        }
        if !matched {
            report.plain(format!(
                "no entity sources match `{pattern}`; pass --entities or set `entities` in strata.toml"
            ));
        }
    }
    // glob yields each pattern's paths in order, so this sort is mostly a check of
    // runs already sorted: far fewer path comparisons than inserting every path into
    // a sorted set. The sort is stable, so of two equal paths the first found stays,
    // as in a set.
    files.sort();
    files.dedup();
    files
}

fn relative(root: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(root).unwrap_or(path).to_path_buf()
}

/// Walks items, inline modules included, running the parser on derived items. The
/// items are taken by value: the parser wants a `DeriveInput`, which is made from the
/// item itself rather than from a copy of its whole syntax tree.
fn collect(
    items: Vec<syn::Item>,
    file: &Path,
    lines: &Lines,
    file_id: usize,
    scanned: &mut Scanned,
    report: &mut Report,
) {
    for item in items {
        match item {
            syn::Item::Struct(s) if derives(&s.attrs, "Entity") => {
                let (line, column) = position(&s.ident);
                let span = byte_range(lines, &s.ident);
                let members = s
                    .fields
                    .iter()
                    .filter_map(|f| f.ident.as_ref())
                    .map(|i| (i.to_string(), byte_range(lines, i)))
                    .collect();
                match parse::parse_entity(&syn::DeriveInput::from(s)) {
                    Ok(def) => scanned.entities.push(Located {
                        item: def,
                        file: file.to_path_buf(),
                        line,
                        column,
                        file_id,
                        span,
                        members,
                    }),
                    Err(errors) => errors
                        .iter()
                        .for_each(|e| report.syn_error(file_id, lines, e)),
                }
            }
            syn::Item::Enum(e) if derives(&e.attrs, "DbEnum") => {
                let (line, column) = position(&e.ident);
                let span = byte_range(lines, &e.ident);
                let members = e
                    .variants
                    .iter()
                    .map(|v| (v.ident.to_string(), byte_range(lines, &v.ident)))
                    .collect();
                match parse::parse_db_enum(&syn::DeriveInput::from(e)) {
                    Ok(def) => scanned.enums.push(Located {
                        item: def,
                        file: file.to_path_buf(),
                        line,
                        column,
                        file_id,
                        span,
                        members,
                    }),
                    Err(errors) => errors
                        .iter()
                        .for_each(|e| report.syn_error(file_id, lines, e)),
                }
            }
            syn::Item::Mod(m) => {
                if let Some((_, items)) = m.content {
                    collect(items, file, lines, file_id, scanned, report);
                }
            }
            _ => {}
        }
    }
}

/// Whether `#[derive(...)]` lists a path ending in `name` (`Entity`, `strata::Entity`).
fn derives(attrs: &[syn::Attribute], name: &str) -> bool {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("derive"))
        .any(|a| {
            a.parse_args_with(Punctuated::<syn::Path, syn::Token![,]>::parse_terminated)
                .map(|paths| {
                    paths
                        .iter()
                        .any(|p| p.segments.last().is_some_and(|s| s.ident == name))
                })
                .unwrap_or(false)
        })
}

fn byte_range(lines: &Lines, ident: &syn::Ident) -> Range<usize> {
    let span = ident.span();
    let start = lines.byte_offset(span.start());
    start..lines.byte_offset(span.end()).max(start)
}

fn position(ident: &syn::Ident) -> (usize, usize) {
    let start = ident.span().start();
    (start.line, start.column + 1)
}

/// The diagnostics found so far and the files they point into.
struct Report {
    files: SimpleFiles<String, String>,
    diagnostics: Vec<Diagnostic<usize>>,
}

impl Default for Report {
    fn default() -> Self {
        Report {
            files: SimpleFiles::new(),
            diagnostics: Vec::new(),
        }
    }
}

impl Report {
    fn plain(&mut self, message: String) {
        self.diagnostics
            .push(Diagnostic::error().with_message(message));
    }

    /// One diagnostic per message of `error` (a syn error may hold several).
    fn syn_error(&mut self, file_id: usize, lines: &Lines, error: &syn::Error) {
        for message in error.clone() {
            let span = message.span();
            let start = lines.byte_offset(span.start());
            let end = lines.byte_offset(span.end()).max(start);
            self.diagnostics.push(
                Diagnostic::error()
                    .with_message(message.to_string())
                    .with_labels(vec![Label::primary(file_id, start..end)]),
            );
        }
    }

    fn render(self) -> ScanError {
        let config = Config {
            chars: Chars::ascii(),
            ..Config::default()
        };
        let mut out = NoColor::new(Vec::new());
        for diagnostic in &self.diagnostics {
            if let Err(e) = term::emit(&mut out, &config, &self.files, diagnostic) {
                // Rendering into memory only fails on a span outside the file: still
                // say what went wrong, without the snippet.
                let _ = std::io::Write::write_fmt(
                    &mut out,
                    format_args!("error: {}\n  ({e})\n", diagnostic.message),
                );
            }
        }
        ScanError {
            rendered: String::from_utf8_lossy(&out.into_inner()).into_owned(),
            count: self.diagnostics.len(),
        }
    }
}

/// A file's text with where each of its lines starts, to turn proc-macro2 positions
/// (1-based line, 0-based column in chars) into the byte offsets codespan wants.
/// Built once per file: finding a line by counting the newlines before it, for every
/// field of every entity, was most of a scan's time outside syn.
struct Lines<'a> {
    source: &'a str,
    /// The byte offset of each line's first character: 0, then one past each `\n`.
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(source: &'a str) -> Lines<'a> {
        let starts = std::iter::once(0)
            .chain(source.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Lines { source, starts }
    }

    /// The byte offset of `at`; a line past the end is the end of the file, a column
    /// past the end of its line is the end of the line.
    fn byte_offset(&self, at: proc_macro2::LineColumn) -> usize {
        let line_start = self
            .starts
            .get(at.line.saturating_sub(1))
            .copied()
            .unwrap_or(self.source.len());
        let line = self.source[line_start..].split('\n').next().unwrap_or("");
        let within: usize = line.chars().take(at.column).map(char::len_utf8).sum();
        line_start + within
    }
}

#[cfg(test)]
fn byte_offset(source: &str, at: proc_macro2::LineColumn) -> usize {
    Lines::new(source).byte_offset(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, rel: &str, text: &str) {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create dir");
        }
        std::fs::write(path, text).expect("write fixture");
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("strata_scan_{name}_{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    #[test]
    fn finds_entities_and_enums_in_nested_modules_in_sorted_order() {
        let dir = temp_dir("find");
        write(
            &dir,
            "src/b.rs",
            "mod inner {\n    #[derive(Debug, strata::Entity)]\n    pub struct Org { #[entity(primary_key)] id: i64 }\n}\n",
        );
        write(
            &dir,
            "src/a.rs",
            "#[derive(sqlx::Type, DbEnum)]\n#[sqlx(type_name = \"mood\")]\nenum Mood { Happy }\n\n#[derive(Entity)]\nstruct User { id: i64, mood: Mood }\n\n#[derive(Debug)]\nstruct NotOne { x: u8 }\n",
        );
        let scanned = scan(&dir, &["src/**/*.rs".to_string()]).map_err(|e| e.rendered);
        let scanned = scanned.expect("scan succeeds");
        let entities: Vec<_> = scanned
            .entities
            .iter()
            .map(|l| {
                (
                    l.item.rust_name.as_str(),
                    l.file.display().to_string(),
                    l.line,
                    l.column,
                )
            })
            .collect();
        assert_eq!(
            entities,
            [
                ("User", "src/a.rs".to_string(), 6, 8),
                ("Org", "src/b.rs".to_string(), 3, 16)
            ]
        );
        assert_eq!(scanned.enums.len(), 1);
        assert_eq!(scanned.enums[0].item.type_name, "mood");
        assert_eq!((scanned.enums[0].line, scanned.enums[0].column), (3, 6));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn reports_every_error_of_every_file_like_rustc() {
        let dir = temp_dir("errors");
        write(
            &dir,
            "src/models.rs",
            "use x;\n\n#[derive(strata::Entity)]\npub struct User {\n    #[entity(lenght = 3)]\n    pub name: String,\n    pub n: u32,\n}\n",
        );
        write(&dir, "src/broken.rs", "pub struct {\n");
        write(
            &dir,
            "src/enums.rs",
            "#[derive(strata::DbEnum)]\nenum Étape { Début(i32) }\n",
        );
        let err = match scan(&dir, &["src/*.rs".to_string(), "models/*.rs".to_string()]) {
            Ok(s) => panic!("expected errors, got {s:?}"),
            Err(e) => e,
        };
        assert_eq!(err.count, 6, "{}", err.rendered);
        insta::assert_snapshot!(err.rendered);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn many_files_are_parsed_on_threads_and_merged_in_file_order() {
        let dir = temp_dir("many");
        let n = 4 * FILES_PER_THREAD_AT_LEAST + 3;
        for i in 0..n {
            let body = if i % 50 == 7 {
                // A problem, to check errors point into the right file.
                format!(
                    "#[derive(strata::Entity)]\nstruct E{i} {{ #[entity(lenght = 1)] id: i64 }}\n"
                )
            } else {
                format!(
                    "#[derive(strata::Entity)]\nstruct E{i} {{ #[entity(primary_key)] id: i64 }}\n"
                )
            };
            write(&dir, &format!("src/e{i:04}.rs"), &body);
        }
        let err = match scan(&dir, &["src/*.rs".to_string()]) {
            Ok(s) => panic!("expected errors, got {s:?}"),
            Err(e) => e,
        };
        assert_eq!(err.count, 3, "{}", err.rendered);
        for (k, i) in [7, 57, 107].iter().enumerate() {
            let place = format!("src/e{i:04}.rs:2:");
            assert!(
                err.rendered.contains(&place),
                "{k}: {place} in {}",
                err.rendered
            );
        }
        for i in [7, 57, 107] {
            std::fs::remove_file(dir.join(format!("src/e{i:04}.rs"))).expect("remove");
        }
        let scanned = scan(&dir, &["src/*.rs".to_string()]).map_err(|e| e.rendered);
        let scanned = scanned.expect("scan succeeds");
        let names: Vec<&str> = scanned
            .entities
            .iter()
            .map(|l| l.item.rust_name.as_str())
            .collect();
        let expected: Vec<String> = (0..n)
            .filter(|i| ![7, 57, 107].contains(i))
            .map(|i| format!("E{i}"))
            .collect();
        assert_eq!(names, expected);
        // Problems found later still point at the right file and field.
        let last = &scanned.entities[names.len() - 1];
        assert_eq!(last.file, PathBuf::from(format!("src/e{:04}.rs", n - 1)));
        let rendered = scanned.render_problems(&[LowerError {
            entity: format!("E{}", n - 1),
            field: Some("id".into()),
            message: "a problem".into(),
        }]);
        assert!(
            rendered.contains(&format!("src/e{:04}.rs:2:", n - 1)),
            "{rendered}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn byte_offsets_count_characters_not_bytes() {
        let src = "é = 1\nab é cd\n";
        let at = proc_macro2::LineColumn { line: 2, column: 5 };
        assert_eq!(&src[byte_offset(src, at)..], "cd\n");
    }
}
