//! `--format table`: what an owner reads in a terminal. KPI titles head the columns (wrapped
//! to two lines, shortened with a legend), one precision per column, status, small samples and
//! trends marked, and the KPI columns split into blocks that fit the terminal's width.
use super::{any_partial, period_label, skipped_line, trend_mark, PARTIAL_NOTE};
use crate::{display_target, trim_number, Context, Trend};
use kpi_eval::{KpiInfo, ScorecardResult, Status};
use kpi_hir::Unit;
use std::fmt::Write as _;

const GREEN: &str = "\x1b[32m";
const RED: &str = "\x1b[31m";
const DIM: &str = "\x1b[2m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// The width when the terminal's is unknown.
pub const DEFAULT_WIDTH: usize = 120;
/// A share or an average over fewer rows than this is marked as a small sample.
pub const SMALL_SAMPLE: u64 = 5;
/// The widest a KPI column's title line may be.
const TITLE_WIDTH: usize = 14;
/// The widest a group's name may be before it is shortened.
const NAME_WIDTH: usize = 24;
const GAP: &str = "  ";

/// A cell and how to paint it.
struct Cell {
    text: String,
    status: Option<Status>,
}

impl Cell {
    fn plain(text: impl Into<String>) -> Cell {
        Cell { text: text.into(), status: None }
    }
}

/// One column: its header lines (bottom-aligned), its cells, and whether it aligns right.
struct Column {
    header: Vec<String>,
    cells: Vec<Cell>,
    right: bool,
}

impl Column {
    fn width(&self) -> usize {
        let cells = self.cells.iter().map(|c| width(&c.text));
        self.header.iter().map(|h| width(h)).chain(cells).max().unwrap_or(0)
    }
}

fn width(s: &str) -> usize {
    s.chars().count()
}

/// Aligned blocks per scorecard, then its legend.
pub fn table(results: &[ScorecardResult], context: &Context) -> String {
    let mut out = String::new();
    let limit = context.width.unwrap_or(DEFAULT_WIDTH).max(40);
    for (i, r) in results.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "{}", paint(context, &super::heading(r), BOLD));
        let trend = Trend::new(r);
        let keys = key_columns(r, &trend);
        let kpis: Vec<Column> = (0..r.kpis.len()).map(|k| kpi_column(r, &trend, k)).collect();
        let blocks = fit(&keys, &kpis, limit);
        for (b, range) in blocks.iter().enumerate() {
            if blocks.len() > 1 {
                let _ = writeln!(
                    out,
                    "{}KPIs {}-{} of {}",
                    if b > 0 { "\n" } else { "" },
                    range.start + 1,
                    range.end,
                    kpis.len()
                );
            }
            let columns: Vec<&Column> = keys.iter().chain(&kpis[range.clone()]).collect();
            write_block(&mut out, &columns, context);
        }
        write_legend(&mut out, r, context);
    }
    out
}

/// Period, group, name, score and KPIs met: repeated in every block.
fn key_columns(r: &ScorecardResult, trend: &Trend) -> Vec<Column> {
    let mut columns = vec![Column {
        header: vec!["period".into()],
        cells: r.rows.iter().map(|row| Cell::plain(period_label(row, r.as_of))).collect(),
        right: false,
    }];
    if let Some(g) = r.group_by {
        columns.push(Column {
            header: vec![g.name().into()],
            cells: r.rows.iter().map(|row| Cell::plain(row.group.clone().unwrap_or_default())).collect(),
            right: false,
        });
        columns.push(Column {
            header: vec!["name".into()],
            cells: r
                .rows
                .iter()
                .map(|row| Cell::plain(shorten(row.group_name.as_deref().unwrap_or(""), NAME_WIDTH)))
                .collect(),
            right: false,
        });
    }
    let scores = r.rows.iter().enumerate().map(|(i, row)| {
        let text = row.score.map_or_else(|| "n/a".into(), |s| format!("{s:.1}"));
        Cell::plain(format!("{text} {}", arrow(row.score, trend.score_change(r, i))))
    });
    columns.push(Column { header: vec!["score".into()], cells: scores.collect(), right: true });
    // How many KPIs met their target, of those with data: the score alone does not say.
    // Weight-0 KPIs are shown, not scored: they are not counted.
    let met = r.rows.iter().map(|row| {
        let scored = || r.kpis.iter().zip(&row.kpis).filter(|(info, _)| info.weight > 0.0).map(|(_, k)| k);
        let with_data = scored().filter(|k| k.status != Status::NoData).count();
        let met = scored().filter(|k| k.status == Status::Met).count();
        Cell::plain(if with_data == 0 { String::new() } else { format!("{met}/{with_data}") })
    });
    columns.push(Column { header: vec!["met".into()], cells: met.collect(), right: true });
    columns
}

/// A KPI's column: `82.5 %* ✗▲` = value, small sample, missed, higher than the period before.
fn kpi_column(r: &ScorecardResult, trend: &Trend, k: usize) -> Column {
    let info = &r.kpis[k];
    let integral = r.rows.iter().all(|row| row.kpis[k].value.is_none_or(|v| v.fract() == 0.0));
    let cells = r.rows.iter().enumerate().map(|(i, row)| {
        let result = &row.kpis[k];
        let value = column_value(result.value, info.unit, integral);
        let small = if is_small_sample(info, result) { "*" } else { " " };
        let missed = if result.status == Status::Missed { "✗" } else { " " };
        let trend = arrow(result.value, trend.value_change(r, i, k));
        Cell { text: format!("{value}{small} {missed}{trend}"), status: Some(result.status) }
    });
    Column { header: wrap_title(&info.title), cells: cells.collect(), right: true }
}

/// Small samples make shares and averages jumpy; counts and sums are what they are.
fn is_small_sample(info: &KpiInfo, result: &kpi_eval::KpiResult) -> bool {
    result.value.is_some()
        && result.rows < SMALL_SAMPLE
        && matches!(info.unit, Unit::Ratio | Unit::Hours | Unit::Number | Unit::Plain)
}

/// One precision per unit: `82.5 %`, `3.25 h`, counts whole when the column's all are.
fn column_value(value: Option<f64>, unit: Unit, integral: bool) -> String {
    let Some(v) = value else { return "n/a".into() };
    match unit {
        Unit::Ratio => format!("{:.1} %", v * 100.0),
        Unit::Hours => format!("{v:.2} h"),
        Unit::Count if integral => format!("{v:.0}"),
        Unit::Count => format!("{v:.1}"),
        Unit::Currency | Unit::Plain | Unit::Number => format!("{v:.2}"),
    }
}

/// The trend mark, blank without one (so that columns stay aligned).
fn arrow(value: Option<f64>, change: Option<f64>) -> &'static str {
    trend_mark(value, change).unwrap_or(" ")
}

/// A title in at most two lines of [`TITLE_WIDTH`], the second shortened with `…` if need be.
fn wrap_title(title: &str) -> Vec<String> {
    let mut lines: Vec<String> = vec![String::new()];
    for word in title.split_whitespace() {
        let full = lines.len() == 2;
        let line = lines.last_mut().expect("one line");
        if line.is_empty() {
            line.push_str(word);
        } else if width(line) + 1 + width(word) <= TITLE_WIDTH || full {
            line.push(' ');
            line.push_str(word);
        } else {
            lines.push(word.to_string());
        }
    }
    lines.iter().map(|l| shorten(l, TITLE_WIDTH)).collect()
}

/// At most `max` characters, the last one `…` when cut.
fn shorten(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    let mut cut: String = s.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

/// The KPI columns in consecutive ranges that fit `limit` next to the key columns (at least
/// one KPI per block, however wide).
fn fit(keys: &[Column], kpis: &[Column], limit: usize) -> Vec<std::ops::Range<usize>> {
    let base: usize = keys.iter().map(|c| c.width() + GAP.len()).sum();
    let mut blocks = Vec::new();
    let (mut start, mut used) = (0, base);
    for (k, column) in kpis.iter().enumerate() {
        let w = column.width() + GAP.len();
        if k > start && used + w > limit + GAP.len() {
            blocks.push(start..k);
            (start, used) = (k, base);
        }
        used += w;
    }
    if start < kpis.len() || blocks.is_empty() {
        blocks.push(start..kpis.len());
    }
    blocks
}

fn write_block(out: &mut String, columns: &[&Column], context: &Context) {
    let widths: Vec<usize> = columns.iter().map(|c| c.width()).collect();
    let pad = |text: &str, c: usize| {
        let fill = " ".repeat(widths[c] - width(text));
        if columns[c].right {
            format!("{fill}{text}")
        } else {
            format!("{text}{fill}")
        }
    };
    let header_lines = columns.iter().map(|c| c.header.len()).max().unwrap_or(1);
    for line in 0..header_lines {
        let cells: Vec<String> = columns
            .iter()
            .enumerate()
            .map(|(c, column)| {
                // Headers sit on the bottom line.
                let skip = header_lines - column.header.len();
                let text = if line >= skip { column.header[line - skip].as_str() } else { "" };
                pad(text, c)
            })
            .collect();
        let _ = writeln!(out, "{}", cells.join(GAP).trim_end());
    }
    let rows = columns.first().map_or(0, |c| c.cells.len());
    for i in 0..rows {
        let cells: Vec<String> = columns
            .iter()
            .enumerate()
            .map(|(c, column)| {
                let cell = &column.cells[i];
                let padded = pad(&cell.text, c);
                match cell.status {
                    Some(Status::Met) => paint(context, &padded, GREEN),
                    Some(Status::Missed) => paint(context, &padded, RED),
                    Some(Status::NoData) => paint(context, &padded, DIM),
                    None => padded,
                }
            })
            .collect();
        let _ = writeln!(out, "{}", cells.join(GAP).trim_end());
    }
}

/// What each KPI is, and what the marks and the score mean.
fn write_legend(out: &mut String, r: &ScorecardResult, context: &Context) {
    out.push('\n');
    let title_width = r.kpis.iter().map(|k| width(&k.title)).max().unwrap_or(0);
    let targets: Vec<String> = r.kpis.iter().map(|k| display_target(k.op, k.target, k.unit)).collect();
    let target_width = targets.iter().map(|t| width(t)).max().unwrap_or(0);
    for (k, target) in r.kpis.iter().zip(&targets) {
        let _ = writeln!(
            out,
            "  {:title_width$}  target {:target_width$}  weight {:>3}  ({})",
            k.title,
            target,
            trim_number(k.weight),
            k.id
        );
    }
    let _ = writeln!(
        out,
        "  score: the KPIs' attainments (value against target, capped at 1) weighted, 0-100;\n  \
         \x20      not the share of KPIs met (met: scored KPIs on target, of those with data)"
    );
    let _ = writeln!(
        out,
        "  ✗ target missed   n/a no data   * under {SMALL_SAMPLE} rows behind a share or average\n  \
         ▲ ▼ = higher, lower, same as the previous period"
    );
    if any_partial(r) {
        let _ = writeln!(out, "  {PARTIAL_NOTE}");
    }
    if let Some(line) = skipped_line(context) {
        let _ = writeln!(out, "  {line}");
    }
}

fn paint(context: &Context, s: &str, code: &str) -> String {
    if context.color {
        format!("{code}{s}{RESET}")
    } else {
        s.to_string()
    }
}
