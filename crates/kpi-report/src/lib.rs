//! Renders evaluated scorecards: an aligned `table` for people, `json` and `csv` for machines,
//! `markdown`, a self-contained `html` report and an `xlsx` workbook for clients. Every format
//! is deterministic and reports skipped rows.
#![forbid(unsafe_code)]

mod html;
mod json;
mod present;
#[cfg(test)]
mod test_fixtures;
mod text;
mod trend;
mod xlsx;

pub use html::html;
pub use json::{json, json_to};
pub use text::{csv, markdown, table};
pub use trend::Trend;
pub use xlsx::xlsx;

use kpi_hir::Unit;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
    Markdown,
    /// One self-contained HTML file: inline CSS and SVG, nothing fetched.
    Html,
    /// An Excel workbook (binary).
    Xlsx,
}

impl Format {
    /// Bytes that are not text: not for a terminal.
    pub fn is_binary(self) -> bool {
        self == Format::Xlsx
    }
}

/// What every report says besides the scorecards.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Rows left out per table by `--skip-bad-rows`.
    pub skipped_rows: BTreeMap<String, usize>,
    /// Colour for a terminal.
    pub color: bool,
    /// The terminal's width in columns, for `table` (default 120).
    pub width: Option<usize>,
    /// The rule files, by `FileId`, so that reports can say where a clause is
    /// (`rules/common.kpi:12`); without them a clause is cited by file number.
    pub rule_files: Vec<RuleFile>,
}

/// A loaded rule file, as reports cite it: its path and where its lines start.
#[derive(Debug, Clone, Default)]
pub struct RuleFile {
    pub path: String,
    /// The byte offset where each line starts.
    line_starts: Vec<usize>,
}

impl RuleFile {
    pub fn new(path: impl Into<String>, text: &str) -> RuleFile {
        let line_starts = std::iter::once(0)
            .chain(text.bytes().enumerate().filter(|&(_, b)| b == b'\n').map(|(i, _)| i + 1))
            .collect();
        RuleFile { path: path.into(), line_starts }
    }

    /// The 1-based line of a byte offset.
    pub fn line(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= offset).max(1)
    }
}

impl Context {
    /// `rules/common.kpi:12`, or `rule file #3` when the file is not known.
    pub fn location(&self, origin: kpi_hir::Origin) -> String {
        match self.rule_files.get(origin.file.0 as usize) {
            Some(file) => format!("{}:{}", file.path, file.line(origin.span.start as usize)),
            None => format!("rule file #{}", origin.file.0),
        }
    }
}

/// The report's bytes: UTF-8 text for every format but `xlsx`.
pub fn render(
    format: Format,
    results: &[kpi_eval::ScorecardResult],
    context: &Context,
) -> Result<Vec<u8>, RenderError> {
    Ok(match format {
        Format::Table => table(results, context).into_bytes(),
        Format::Json => json(results, context).into_bytes(),
        Format::Csv => csv(results, context).into_bytes(),
        Format::Markdown => markdown(results, context).into_bytes(),
        Format::Html => html(results, context).into_bytes(),
        Format::Xlsx => xlsx(results, context)?,
    })
}

/// A report that cannot be made: a workbook over Excel's limits (1,048,576 rows a sheet).
#[derive(Debug, Clone, PartialEq)]
pub struct RenderError(pub String);

impl std::fmt::Display for RenderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RenderError {}

/// A value as people read it: `82.5 %`, `3.2 h`, `4`.
pub fn display_value(value: Option<f64>, unit: Unit) -> String {
    let Some(v) = value else { return "n/a".into() };
    match unit {
        Unit::Ratio => format!("{:.1} %", v * 100.0),
        // Hours per endpoint need the second decimal to compare with 0.25; one precision per unit.
        Unit::Hours => format!("{v:.2} h"),
        Unit::Count if v.fract() == 0.0 => format!("{v:.0}"),
        Unit::Count => format!("{v:.1}"),
        Unit::Currency => format!("{v:.2}"),
        Unit::Plain | Unit::Number => format!("{v:.2}"),
    }
}

/// A target as people read it: `>= 80 %`, `<= 24.0 h`.
pub fn display_target(op: kpi_hir::CmpOp, target: f64, unit: Unit) -> String {
    let value = match unit {
        Unit::Ratio => format!("{} %", trim_number(target * 100.0)),
        Unit::Hours => format!("{} h", trim_number(target)),
        _ => trim_number(target),
    };
    format!("{} {value}", op.symbol())
}

/// `80` not `80.0`, `0.25` as written.
pub fn trim_number(x: f64) -> String {
    let rounded = (x * 1e9).round() / 1e9;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded}")
    }
}
