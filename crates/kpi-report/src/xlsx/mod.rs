//! `--format xlsx`: an Excel workbook for consultants. A Summary of the latest scores, a sheet per
//! scorecard (a row per group and period, values in their units, changes, status colours, a
//! frozen header and filters), native line charts of every KPI, every value in long form, and
//! the KPI definitions. The workbook's dates come from `as_of`, so the bytes are deterministic.
use crate::{present, Context, RenderError};
use kpi_eval::ScorecardResult;
use kpi_hir::{CmpOp, Unit};
use rust_xlsxwriter::{
    Color, ConditionalFormatFormula, DocProperties, ExcelDateTime, Format, FormatBorder, Workbook, Worksheet,
    XlsxError,
};

mod charts;
mod sheets;
mod summary;
#[cfg(test)]
mod tests;

/// The workbook's bytes.
pub fn xlsx(results: &[ScorecardResult], context: &Context) -> Result<Vec<u8>, RenderError> {
    workbook(results, context).map_err(|e| RenderError(format!("cannot make the Excel workbook: {e}")))
}

fn workbook(results: &[ScorecardResult], context: &Context) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let as_of = results.first().map_or(0, |r| r.as_of);
    // A fixed creation date (the evaluation instant) instead of the clock: same inputs, same bytes.
    let seconds = as_of.div_euclid(1_000_000);
    let created = ExcelDateTime::from_timestamp(seconds).or_else(|_| ExcelDateTime::from_timestamp(0))?;
    let properties = DocProperties::new()
        .set_title("KPI scorecards")
        .set_subject(format!("KPI scorecards as of {}", kpi_data::format_timestamp(as_of)))
        .set_author("kpi")
        .set_comment("Made by kpi evaluate --format xlsx")
        .set_creation_datetime(&created);
    book.set_properties(&properties);
    let styles = Styles::new();
    let mut names = SheetNames::default();
    let summary_name = names.take("Summary");
    let card_names: Vec<String> = results.iter().map(|r| names.take(&r.id)).collect();
    let charts_name = names.take("Charts");
    let values_name = names.take("Values");
    let definitions_name = names.take("Definitions");

    summary::summary(book.add_worksheet().set_name(&summary_name)?, results, &styles)?;
    for (r, name) in results.iter().zip(&card_names) {
        sheets::scorecard(book.add_worksheet().set_name(name)?, r, &styles)?;
    }
    if results.iter().any(charts::has_trend) {
        charts::charts(book.add_worksheet().set_name(&charts_name)?, results, &card_names, &styles)?;
    }
    sheets::values(book.add_worksheet().set_name(&values_name)?, results, &styles)?;
    summary::definitions(book.add_worksheet().set_name(&definitions_name)?, results, context, &styles)?;
    book.save_to_buffer()
}

/// Unique sheet names Excel accepts: at most 31 characters, none of `[]:*?/\`, not blank,
/// compared without case.
#[derive(Default)]
struct SheetNames {
    taken: Vec<String>,
}

impl SheetNames {
    fn take(&mut self, wanted: &str) -> String {
        let clean: String =
            wanted.chars().map(|c| if "[]:*?/\\".contains(c) || c.is_control() { '_' } else { c }).collect();
        let clean = clean.trim_matches('\'').trim();
        let base: String = if clean.is_empty() { "Sheet".into() } else { clean.chars().take(31).collect() };
        let mut name = base.clone();
        let mut n = 1;
        while self.taken.iter().any(|t| t.eq_ignore_ascii_case(&name)) || name.eq_ignore_ascii_case("History")
        {
            n += 1;
            let suffix = format!(" ({n})");
            name = format!("{}{suffix}", base.chars().take(31 - suffix.len()).collect::<String>());
        }
        self.taken.push(name.clone());
        name
    }
}

/// The formats every sheet shares.
struct Styles {
    title: Format,
    header: Format,
    text: Format,
    wrap: Format,
    score: Format,
    score_change: Format,
    met: Format,
    missed: Format,
    no_data: Format,
    integer: Format,
}

const MET_FILL: u32 = 0xE3F4E8;
const MET_INK: u32 = 0x17663A;
const MISSED_FILL: u32 = 0xFBE4E2;
const MISSED_INK: u32 = 0xA61B1B;
const NO_DATA_FILL: u32 = 0xEEF0F3;
const NO_DATA_INK: u32 = 0x5F6B7A;

impl Styles {
    fn new() -> Styles {
        let fill = |bg: u32, ink: u32| {
            Format::new().set_background_color(Color::RGB(bg)).set_font_color(Color::RGB(ink))
        };
        Styles {
            title: Format::new().set_bold().set_font_size(16).set_font_color(Color::RGB(0x1D4E89)),
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_background_color(Color::RGB(0xF5F7FA))
                .set_border_bottom(FormatBorder::Medium)
                .set_border_bottom_color(Color::RGB(0x1D4E89)),
            text: Format::new(),
            wrap: Format::new().set_text_wrap(),
            score: Format::new().set_num_format("0.0"),
            score_change: Format::new().set_num_format(change_format("0.0", "")),
            met: fill(MET_FILL, MET_INK),
            missed: fill(MISSED_FILL, MISSED_INK).set_bold(),
            no_data: fill(NO_DATA_FILL, NO_DATA_INK).set_italic(),
            integer: Format::new().set_num_format("#,##0"),
        }
    }

    /// The number format of a KPI's values.
    fn value(unit: Unit, integral: bool) -> Format {
        Format::new().set_num_format(number_format(unit, integral))
    }

    /// The number format of a KPI's changes: `▲ 2.5%`, `▼ 1.0%` (coloured by [`change_colours`]).
    fn change(unit: Unit, integral: bool) -> Format {
        let (number, suffix) = match unit {
            Unit::Ratio => ("0.0%", ""),
            Unit::Hours => ("0.00", " h"),
            _ => (number_format(unit, integral), ""),
        };
        Format::new().set_num_format(change_format(number, suffix))
    }
}

fn number_format(unit: Unit, integral: bool) -> &'static str {
    match unit {
        Unit::Ratio => "0.0%",
        Unit::Hours => "0.00\" h\"",
        Unit::Count if integral => "#,##0",
        Unit::Count => "#,##0.00",
        Unit::Currency => "#,##0.00",
        Unit::Plain | Unit::Number => "0.00",
    }
}

/// `"▲ "0.0;"▼ "0.0;"= "0.0`: an arrow for the direction.
fn change_format(number: &str, suffix: &str) -> String {
    let suffix = if suffix.is_empty() { String::new() } else { format!("\"{suffix}\"") };
    format!("\"▲ \"{number}{suffix};\"▼ \"{number}{suffix};\"= \"{number}{suffix}")
}

/// Changes in column `col`, rows `first..=last`, in green when they move toward a target of
/// `op` (up for `>=`, down for `<=`) and in red when away.
fn change_colours(sheet: &mut Worksheet, rows: (u32, u32), col: u16, op: CmpOp) -> Result<(), XlsxError> {
    let (first, last) = rows;
    if last < first {
        return Ok(());
    }
    let cell = format!("{}{}", rust_xlsxwriter::column_number_to_name(col), first + 1);
    let green = Format::new().set_font_color(Color::RGB(MET_INK));
    let red = Format::new().set_font_color(Color::RGB(MISSED_INK));
    let (up, down) = if matches!(op, CmpOp::Ge | CmpOp::Gt) { (green, red) } else { (red, green) };
    for (test, format) in [(">0", up), ("<0", down)] {
        let rule = ConditionalFormatFormula::new()
            .set_rule(format!("=AND(ISNUMBER({cell}),{cell}{test})").as_str())
            .set_format(format);
        sheet.add_conditional_format(first, col, last, col, &rule)?;
    }
    Ok(())
}

/// Whether every value of a KPI is a whole number, for its number format.
fn integral(r: &ScorecardResult, kpi: usize) -> bool {
    r.rows.iter().filter_map(|row| row.kpis[kpi].value).all(|v| v.fract() == 0.0)
}

/// Excel's limit on the characters of a cell.
const MAX_CELL_CHARS: usize = 32_767;

fn text(sheet: &mut Worksheet, row: u32, col: u16, s: &str, format: &Format) -> Result<(), XlsxError> {
    if s.is_empty() {
        return Ok(());
    }
    if s.chars().count() > MAX_CELL_CHARS {
        let cut: String = s.chars().take(MAX_CELL_CHARS).collect();
        sheet.write_string_with_format(row, col, &cut, format)?;
    } else {
        sheet.write_string_with_format(row, col, s, format)?;
    }
    Ok(())
}

/// A number, or nothing for `None` and for what Excel cannot hold (NaN, infinities).
fn number(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    x: Option<f64>,
    format: &Format,
) -> Result<(), XlsxError> {
    if let Some(x) = x.filter(|x| x.is_finite()) {
        sheet.write_number_with_format(row, col, x, format)?;
    }
    Ok(())
}

/// Status colours for the cells of `cols` in rows `first..=last`, from the status text in
/// `status_col` of the same row: right for `>=` and `<=` targets alike.
fn status_colours(
    sheet: &mut Worksheet,
    rows: (u32, u32),
    cols: &[u16],
    status_col: u16,
    styles: &Styles,
) -> Result<(), XlsxError> {
    let (first, last) = rows;
    if last < first {
        return Ok(());
    }
    let column = rust_xlsxwriter::column_number_to_name(status_col);
    for (status, format) in [("met", &styles.met), ("missed", &styles.missed), ("no_data", &styles.no_data)] {
        let rule = ConditionalFormatFormula::new()
            .set_rule(format!("=${column}{}=\"{status}\"", first + 1).as_str())
            .set_format(format);
        for &col in cols {
            sheet.add_conditional_format(first, col, last, col, &rule)?;
        }
    }
    Ok(())
}

/// A header row, frozen, with filters over `rows` data rows below it.
fn header(
    sheet: &mut Worksheet,
    row: u32,
    titles: &[String],
    rows: u32,
    styles: &Styles,
) -> Result<(), XlsxError> {
    for (col, title) in titles.iter().enumerate() {
        text(sheet, row, col as u16, title, &styles.header)?;
    }
    sheet.set_row_height(row, 32)?;
    sheet.set_freeze_panes(row + 1, 0)?;
    if !titles.is_empty() {
        sheet.autofilter(row, 0, row + rows.max(1), titles.len() as u16 - 1)?;
    }
    Ok(())
}

/// `met`, `missed`, `no_data`.
fn status_name(status: kpi_eval::Status) -> &'static str {
    status.name()
}

/// The period's label, with `partial` in a column of its own.
fn period_cells(period: Option<&kpi_eval::Period>, as_of: i64) -> (String, &'static str) {
    let label = period.map_or_else(|| "snapshot".to_string(), |p| p.label.clone());
    (label, if present::is_partial(period, as_of) { "partial" } else { "" })
}
