//! The checker's diagnostics and the config's errors as the protocol's, each in its own file.
use crate::project::{Analysis, ConfigError};
use crate::text::{uri_of, Lines};
use kpi_syntax::{Diagnostic, Severity};
use lsp_types::{
    DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString, Position, Range, Url,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Diagnostics by file.
pub type ByFile = BTreeMap<PathBuf, Vec<lsp_types::Diagnostic>>;

/// Every diagnostic of an analysis by the file it is in (every loaded file has an entry, maybe
/// empty). Diagnostics with no place in a file go to `owner`, at its start.
pub fn by_file(analysis: &Analysis, owner: &Path) -> ByFile {
    let mut out = ByFile::new();
    let mut lines: BTreeMap<u32, Lines> = BTreeMap::new();
    for (id, file) in analysis.rules.sources.files() {
        out.entry(PathBuf::from(&file.path)).or_default();
        lines.insert(id.0, Lines::new(&file.text));
    }
    for d in &analysis.diagnostics {
        let (path, range) = match &d.primary {
            Some(p) => match lines.get(&p.file.0) {
                Some(l) => (analysis.path(p.file), l.range(p.span.start as usize, p.span.end as usize)),
                None => (owner.to_path_buf(), Range::default()),
            },
            None => (owner.to_path_buf(), Range::default()),
        };
        let related = d
            .secondary
            .iter()
            .filter_map(|s| {
                let l = lines.get(&s.file.0)?;
                let uri = uri_of(&analysis.path(s.file))?;
                let range = l.range(s.span.start as usize, s.span.end as usize);
                Some(DiagnosticRelatedInformation {
                    location: Location { uri, range },
                    message: s.label.clone(),
                })
            })
            .collect();
        out.entry(path).or_default().push(convert(d, range, related));
    }
    for e in &analysis.config_errors {
        out.entry(e.path.clone()).or_default().push(config_error(analysis, e));
    }
    out
}

/// The message as `kpi check` prints it: what is wrong, the label under the place, the help.
fn convert(
    d: &Diagnostic,
    range: Range,
    related: Vec<DiagnosticRelatedInformation>,
) -> lsp_types::Diagnostic {
    let mut message = d.message.clone();
    if let Some(p) = d.primary.as_ref().filter(|p| !p.label.is_empty() && p.label != d.message) {
        message.push_str(&format!("\n{}", p.label));
    }
    if let Some(help) = &d.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    lsp_types::Diagnostic {
        range,
        severity: Some(match d.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(d.code.to_string())),
        source: Some("kpi".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..lsp_types::Diagnostic::default()
    }
}

/// A config error at its line and column (the config's text: the open buffer's or the file's).
fn config_error(analysis: &Analysis, e: &ConfigError) -> lsp_types::Diagnostic {
    let range = match (e.line_col, &analysis.config) {
        (Some((line, col)), Some(config)) => {
            let lines = Lines::new(&config.text);
            let line = line.saturating_sub(1);
            // The column counts characters; find its byte offset, then the rest of the word.
            let start = lines.offset(Position::new(line, 0));
            let line_text = config.text[start..].lines().next().unwrap_or("");
            let at: usize = start
                + line_text
                    .char_indices()
                    .nth(col.saturating_sub(1) as usize)
                    .map_or(line_text.len(), |(i, _)| i);
            let end = config.text[at..].find(['\n', '\r']).map_or(config.text.len(), |n| at + n);
            lines.range(at, end)
        }
        (Some((line, col)), None) => {
            let position = Position::new(line.saturating_sub(1), col.saturating_sub(1));
            Range::new(position, position)
        }
        _ => Range::default(),
    };
    lsp_types::Diagnostic {
        range,
        severity: Some(DiagnosticSeverity::ERROR),
        source: Some("kpi".into()),
        message: e.message.clone(),
        ..lsp_types::Diagnostic::default()
    }
}

/// The URI of a file to publish to.
pub fn uri(path: &Path) -> Option<Url> {
    uri_of(path)
}
