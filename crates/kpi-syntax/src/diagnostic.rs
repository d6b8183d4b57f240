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
}

/// Every source file of a run, so that diagnostics can show their lines.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn add(&mut self, path: impl Into<String>, text: impl Into<String>) -> FileId {
        self.files.push(SourceFile { path: path.into(), text: text.into() });
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
        line_col(&self.get(file).text, offset as usize)
    }
}

/// 1-based line and column (in characters) of a byte offset in `text`.
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
        let id = |file: FileId| sources.get(file).path.clone();
        // ariadne slices the text at the span's ends: keep them inside the text and on char boundaries.
        let clamp = |file: FileId, span: Span| {
            let text = &sources.get(file).text;
            let start = floor_char_boundary(text, (span.start as usize).min(text.len()));
            let mut end = (span.end as usize).clamp(start, text.len());
            while !text.is_char_boundary(end) {
                end += 1;
            }
            start..end
        };
        let config = Config::default().with_color(color).with_index_type(IndexType::Byte);
        let label_color = |c: Color| if color { Some(c) } else { None };
        let mut report = Report::build(kind, (id(primary.file), clamp(primary.file, primary.span)))
            .with_config(config)
            .with_code(self.code)
            .with_message(&self.message);
        let mut label = Label::new((id(primary.file), clamp(primary.file, primary.span)))
            .with_message(&primary.label)
            .with_order(0);
        if let Some(c) = label_color(Color::Red) {
            label = label.with_color(c);
        }
        report = report.with_label(label);
        for (i, s) in self.secondary.iter().enumerate() {
            let mut label = Label::new((id(s.file), clamp(s.file, s.span)))
                .with_message(&s.label)
                .with_order(i as i32 + 1);
            if let Some(c) = label_color(Color::Blue) {
                label = label.with_color(c);
            }
            report = report.with_label(label);
        }
        if let Some(help) = &self.help {
            report = report.with_help(help);
        }
        let cache = ariadne::sources(sources.files().map(|(_, f)| (f.path.clone(), f.text.clone())));
        let mut buf = Vec::new();
        if report.finish().write(cache, &mut buf).is_err() {
            return format!("{}[{}]: {}\n", self.severity_word(), self.code, self.message);
        }
        let text = String::from_utf8_lossy(&buf);
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
    /// The file is not valid UTF-8.
    pub const INVALID_UTF8: &str = "E0001";
    /// Brackets or prefix operators nested deeper than the parser allows.
    pub const TOO_DEEP: &str = "E0002";
    /// The file cannot be read.
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
