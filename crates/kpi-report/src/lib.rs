//! Renders evaluated scorecards: an aligned `table` for people, `json` and `csv` for machines,
//! `markdown` for client reports. Every format is deterministic and reports skipped rows.
#![forbid(unsafe_code)]

mod json;
#[cfg(test)]
mod test_fixtures;
mod text;
mod trend;

pub use json::json;
pub use text::{csv, markdown, table};
pub use trend::Trend;

use kpi_hir::Unit;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
    Markdown,
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
}

pub fn render(format: Format, results: &[kpi_eval::ScorecardResult], context: &Context) -> String {
    match format {
        Format::Table => table(results, context),
        Format::Json => json(results, context),
        Format::Csv => csv(results, context),
        Format::Markdown => markdown(results, context),
    }
}

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
