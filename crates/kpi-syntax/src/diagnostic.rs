//! The one diagnostic type of the language, its stable codes, and its rustc-like rendering.
use crate::ast::Span;
use ariadne::{Color, Config, IndexType, Label, Report, ReportKind};
use serde::Serialize;
use std::fmt::Write as _;

/// Which source file a span is in: an index into a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Default)]
pub struct FileId(pub u32);

/// A loaded rule file.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path as given by the user (relative paths stay relative, for stable output).
    pub path: String,
    pub text: String,
    /// The byte offset where each line starts, computed once when the file is added: a file with
    /// many diagnostics is not scanned again for each.
    line_starts: Vec<u32>,
}

impl SourceFile {
    pub fn new(path: impl Into<String>, text: impl Into<String>) -> SourceFile {
        let text = text.into();
        let newlines = line_starts_of(&text);
        SourceFile { path: path.into(), text, line_starts: newlines }
    }

    /// The 0-based line of a byte offset.
    pub fn line_index(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&s| s as usize <= offset).saturating_sub(1)
    }

    /// The byte range of 0-based line `line`, without its line break.
    pub fn line_range(&self, line: usize) -> std::ops::Range<usize> {
        let start = self.line_starts.get(line).map_or(self.text.len(), |&s| s as usize);
        let end = self.line_starts.get(line + 1).map_or(self.text.len(), |&s| s as usize - 1);
        start..end.max(start)
    }

    /// Number of lines (a final line without a line break counts).
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let line = self.line_index(offset);
        let start = self.line_starts[line] as usize;
        (line + 1, self.text[start..offset].chars().count() + 1)
    }
}

/// 0, then the offset after each `\n`.
fn line_starts_of(text: &str) -> Vec<u32> {
    std::iter::once(0)
        .chain(text.bytes().enumerate().filter(|&(_, b)| b == b'\n').map(|(i, _)| i as u32 + 1))
        .collect()
}

/// Every source file of a run, so that diagnostics can show their lines.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn add(&mut self, path: impl Into<String>, text: impl Into<String>) -> FileId {
        self.files.push(SourceFile::new(path, text));
        FileId(self.files.len() as u32 - 1)
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files.iter().enumerate().map(|(i, f)| (FileId(i as u32), f))
    }

    pub fn find(&self, path: &str) -> Option<FileId> {
        self.files.iter().position(|f| f.path == path).map(|i| FileId(i as u32))
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, file: FileId, offset: u32) -> (usize, usize) {
        self.get(file).line_col(offset as usize)
    }
}

/// 1-based line and column (in characters) of a byte offset in `text` (scans the text: for a
/// file of a [`SourceMap`], [`SourceMap::line_col`] uses the lines indexed once).
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let before = &text[..offset];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

fn ceil_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset += 1;
    }
    offset
}

/// Lines longer than this (in bytes) are shown cut around their labels.
pub const MAX_SHOWN_LINE: usize = 160;
/// Bytes of context kept on each side of the labels of a cut line.
const CONTEXT: usize = 60;

/// The lines of one file that a diagnostic shows: every other line up to the last of them is left
/// empty (ariadne shows only labelled lines, so they are never printed, but they keep the line
/// numbers), and long lines are cut around their labels, marked with `...`.
struct Excerpt {
    text: String,
    /// Each kept line: its 0-based line, the byte range of the file shown, where that range
    /// starts in `text`.
    kept: Vec<(usize, std::ops::Range<usize>, usize)>,
}

impl Excerpt {
    fn new(source: &SourceFile, spans: &[Span]) -> Excerpt {
        let text = &source.text;
        let clamp = |o: u32| floor_char_boundary(text, (o as usize).min(text.len()));
        let mut lines: Vec<usize> = Vec::new();
        for span in spans {
            let (start, end) = (clamp(span.start), clamp(span.end.max(span.start)));
            let (first, last) =
                (source.line_index(start), source.line_index(end.saturating_sub(1).max(start)));
            lines.extend(first..=last);
        }
        lines.sort_unstable();
        lines.dedup();
        // Empty lines before the first kept one keep the line numbers (ariadne 0.5 numbers the
        // margin from the start of the text it is given, whatever its display line offset).
        let mut out = String::new();
        let mut kept = Vec::new();
        let mut next = 0;
        for &line in &lines {
            for _ in next..line {
                out.push('\n');
            }
            let range = source.line_range(line);
            let window = if range.len() <= MAX_SHOWN_LINE {
                range.clone()
            } else {
                // Around the labels on this line, at most MAX_SHOWN_LINE of them.
                let on_line = spans
                    .iter()
                    .map(|s| (clamp(s.start), clamp(s.end.max(s.start))))
                    .filter(|(s, e)| *s < range.end + 1 && *e >= range.start);
                let lo = on_line.clone().map(|(s, _)| s.max(range.start)).min().unwrap_or(range.start);
                let hi = on_line.map(|(_, e)| e.min(range.end)).max().unwrap_or(range.start).max(lo);
                let hi = hi.min(lo + MAX_SHOWN_LINE);
                let start = floor_char_boundary(text, lo.saturating_sub(CONTEXT).max(range.start));
                let end = ceil_char_boundary(text, (hi + CONTEXT).min(range.end));
                start..end
            };
            if window.start > range.start {
                out.push_str("...");
            }
            kept.push((line, window.clone(), out.len()));
            // ariadne breaks lines at more than `\n`: keep those characters, but not as breaks
            // (same byte length and character count, so offsets and columns stay right).
            for c in text[window.clone()].chars() {
                match c {
                    '\r' | '\x0B' | '\x0C' => out.push(' '),
                    '\u{0085}' => out.push('\u{00B7}'),
                    '\u{2028}' | '\u{2029}' => out.push('\u{FFFD}'),
                    c => out.push(c),
                }
            }
            if window.end < range.end {
                out.push_str("...");
            }
            out.push('\n');
            next = line + 1;
        }
        Excerpt { text: out, kept }
    }

    /// A span of the file as a byte range of the excerpt (clamped into the lines kept).
    fn map(&self, source: &SourceFile, span: Span) -> std::ops::Range<usize> {
        let text = &source.text;
        let at = |o: u32| {
            let o = floor_char_boundary(text, (o as usize).min(text.len()));
            let line = source.line_index(o);
            match self.kept.iter().find(|(l, _, _)| *l == line) {
                Some((_, window, shown)) => shown + o.clamp(window.start, window.end) - window.start,
                None => 0,
            }
        };
        let start = at(span.start);
        let end = at(span.end.max(span.start)).max(start);
        start..end
    }

    /// The 1-based column ariadne shows for the start of `span`.
    fn shown_column(&self, source: &SourceFile, span: Span) -> usize {
        let start = self.map(source, span).start;
        let line_start = self.text[..start].rfind('\n').map_or(0, |i| i + 1);
        self.text[line_start..start].chars().count() + 1
    }
}

/// The excerpts of a diagnostic, by path, as ariadne reads them.
struct Excerpts(Vec<(String, ariadne::Source<String>)>);

impl ariadne::Cache<String> for Excerpts {
    type Storage = String;

    fn fetch(&mut self, id: &String) -> Result<&ariadne::Source<String>, impl std::fmt::Debug> {
        self.0.iter().find(|(path, _)| path == id).map(|(_, s)| s).ok_or_else(|| format!("no source `{id}`"))
    }

    fn display<'a>(&self, id: &'a String) -> Option<impl std::fmt::Display + 'a> {
        Some(id.clone())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Severity {
    Error,
    Warning,
}

/// A place in a file with a short message under it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Labelled {
    pub file: FileId,
    pub span: Span,
    pub label: String,
}

/// An error or warning about rule files: what is wrong, where, and what to do.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    pub primary: Option<Labelled>,
    pub secondary: Vec<Labelled>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            primary: None,
            secondary: Vec::new(),
            help: None,
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(code, message) }
    }

    pub fn at(mut self, file: FileId, span: Span, label: impl Into<String>) -> Diagnostic {
        self.primary = Some(Labelled { file, span, label: label.into() });
        self
    }

    pub fn also(mut self, file: FileId, span: Span, label: impl Into<String>) -> Diagnostic {
        self.secondary.push(Labelled { file, span, label: label.into() });
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The sort key that makes output deterministic: file, position, code.
    pub fn sort_key(&self) -> (FileId, u32, u32, &'static str) {
        match &self.primary {
            Some(p) => (p.file, p.span.start, p.span.end, self.code),
            None => (FileId(u32::MAX), 0, 0, self.code),
        }
    }

    /// `path:line:col` of the primary span, if any.
    pub fn location(&self, sources: &SourceMap) -> Option<String> {
        let p = self.primary.as_ref()?;
        let (line, col) = sources.line_col(p.file, p.span.start);
        Some(format!("{}:{line}:{col}", sources.get(p.file).path))
    }

    /// Render like rustc: the location, the source lines with labelled spans, and the help.
    /// `color` only when writing to a terminal; trailing spaces are trimmed so output is stable.
    /// Only the lines the labels touch are handed to ariadne, and a line longer than
    /// [`MAX_SHOWN_LINE`] is cut around its labels, so rendering costs the same in a 16 MB file
    /// as in a small one.
    pub fn render(&self, sources: &SourceMap, color: bool) -> String {
        let kind = match self.severity {
            Severity::Error => ReportKind::Error,
            Severity::Warning => ReportKind::Warning,
        };
        let Some(primary) = &self.primary else {
            let mut out = format!("{}[{}]: {}\n", self.severity_word(), self.code, self.message);
            if let Some(help) = &self.help {
                let _ = writeln!(out, "  = help: {help}");
            }
            return out;
        };
        let labels: Vec<&Labelled> = std::iter::once(primary).chain(&self.secondary).collect();
        let mut excerpts: Vec<(FileId, Excerpt)> = Vec::new();
        for file in labels.iter().map(|l| l.file) {
            if !excerpts.iter().any(|(f, _)| *f == file) {
                let spans: Vec<Span> = labels.iter().filter(|l| l.file == file).map(|l| l.span).collect();
                excerpts.push((file, Excerpt::new(sources.get(file), &spans)));
            }
        }
        let excerpt =
            |file: FileId| &excerpts.iter().find(|(f, _)| *f == file).expect("an excerpt per file").1;
        let id = |file: FileId| sources.get(file).path.clone();
        let place = |l: &Labelled| (id(l.file), excerpt(l.file).map(sources.get(l.file), l.span));
        let config = Config::default().with_color(color).with_index_type(IndexType::Byte);
        let label_color = |c: Color| if color { Some(c) } else { None };
        let mut report = Report::build(kind, place(primary))
            .with_config(config)
            .with_code(self.code)
            .with_message(&self.message);
        let mut label = Label::new(place(primary)).with_message(&primary.label).with_order(0);
        if let Some(c) = label_color(Color::Red) {
            label = label.with_color(c);
        }
        report = report.with_label(label);
        for (i, s) in self.secondary.iter().enumerate() {
            let mut label = Label::new(place(s)).with_message(&s.label).with_order(i as i32 + 1);
            if let Some(c) = label_color(Color::Blue) {
                label = label.with_color(c);
            }
            report = report.with_label(label);
        }
        if let Some(help) = &self.help {
            report = report.with_help(help);
        }
        let cache =
            Excerpts(excerpts.iter().map(|(f, e)| (id(*f), ariadne::Source::from(e.text.clone()))).collect());
        let mut buf = Vec::new();
        if report.finish().write(cache, &mut buf).is_err() {
            return format!("{}[{}]: {}\n", self.severity_word(), self.code, self.message);
        }
        let mut text = String::from_utf8_lossy(&buf).into_owned();
        // A line cut at its start shifts the columns ariadne computes: put back the file's own.
        for l in &labels {
            let source = sources.get(l.file);
            let (line, column) = source.line_col(l.span.start as usize);
            let shown = excerpt(l.file).shown_column(source, l.span);
            if shown != column {
                let from = format!("{}:{line}:{shown} ]", source.path);
                text = text.replacen(&from, &format!("{}:{line}:{column} ]", source.path), 1);
            }
        }
        let mut out = String::with_capacity(text.len());
        for line in text.lines() {
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }

    fn severity_word(&self) -> &'static str {
        match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// Stable diagnostic codes. Codes are never reused; `docs/diagnostics.md` explains each.
pub mod codes {
    /// The file is not valid UTF-8, or not text at all.
    pub const INVALID_UTF8: &str = "E0001";
    /// Brackets or prefix operators nested deeper than the parser allows.
    pub const TOO_DEEP: &str = "E0002";
    /// The file cannot be read, or is not a rule file (a device, another kind of file).
    pub const UNREADABLE: &str = "E0003";
    /// A syntax error.
    pub const SYNTAX: &str = "E0100";
    /// A table name that the data contract does not know.
    pub const UNKNOWN_TABLE: &str = "E0101";
    /// A field that the table does not have.
    pub const UNKNOWN_FIELD: &str = "E0102";
    /// A name that is neither a field, a param nor a built-in value.
    pub const UNKNOWN_NAME: &str = "E0103";
    /// `use` of a KPI that is not defined.
    pub const UNKNOWN_KPI: &str = "E0104";
    /// A function that does not exist.
    pub const UNKNOWN_FUNCTION: &str = "E0105";
    /// An unknown grouping, grain, unit or scoring method.
    pub const UNKNOWN_KEYWORD: &str = "E0106";
    /// An imported file that does not exist.
    pub const IMPORT_NOT_FOUND: &str = "E0107";
    /// Files that import each other in a cycle.
    pub const IMPORT_CYCLE: &str = "E0108";
    /// An import of something that is not a `.kpi` rule file (another kind of file, a device).
    pub const IMPORT_NOT_RULES: &str = "E0109";
    /// Operands of the wrong type for an operator or function.
    pub const TYPE_MISMATCH: &str = "E0201";
    /// Operands with different units (hours plus a ratio).
    pub const UNIT_MISMATCH: &str = "E0202";
    /// A target whose unit differs from the value's.
    pub const TARGET_UNIT: &str = "E0203";
    /// An aggregate where a row value is expected.
    pub const AGGREGATE_IN_ROW: &str = "E0204";
    /// A row value where an aggregate is expected.
    pub const ROW_IN_AGGREGATE: &str = "E0205";
    /// A function called with the wrong number of arguments.
    pub const ARGUMENT_COUNT: &str = "E0206";
    /// A value that must be known before any data is read (target, weight, param default).
    pub const NOT_CONSTANT: &str = "E0207";
    /// A placement (`by`, `open at`) that does not fit the table or scorecard.
    pub const BAD_PLACEMENT: &str = "E0208";
    /// A declared unit that contradicts the value's.
    pub const DECLARED_UNIT: &str = "E0209";
    /// A plain number above 1 (or below 0) where a ratio is meant: `target >= 80` for `80%`.
    pub const PLAIN_RATIO: &str = "E0210";
    /// A KPI's value named where it cannot be used: in a row condition, or before it is defined.
    pub const KPI_REFERENCE: &str = "E0211";
    /// Two declarations with the same id.
    pub const DUPLICATE_ID: &str = "E0301";
    /// A clause given twice.
    pub const DUPLICATE_CLAUSE: &str = "E0302";
    /// A required clause is missing.
    pub const MISSING_CLAUSE: &str = "E0303";
    /// Scoring bands out of order or out of range.
    pub const BAD_BANDS: &str = "E0304";
    /// Scorecards that extend each other in a cycle.
    pub const EXTENDS_CYCLE: &str = "E0305";
    /// A rhai function that does not compile, or whose file cannot be read.
    pub const SCRIPT: &str = "E0401";
    /// The weights of a scorecard do not sum to 100.
    pub const WEIGHTS_SUM: &str = "W0001";
    /// A param that no rule uses.
    pub const UNUSED_PARAM: &str = "W0002";
    /// More diagnostics than are worth showing.
    pub const TOO_MANY: &str = "W0003";
}
