//! The Charts sheet: a native Excel line chart per KPI of each scorecard with periods, a series
//! per group read from the scorecard's sheet.
use super::sheets::{group_runs, KPI_COLUMNS, LEAD_COLUMNS};
use super::{integral, number_format, text, Styles};
use crate::display_target;
use kpi_eval::ScorecardResult;
use kpi_hir::Grain;
use kpi_hir::Unit;
use rust_xlsxwriter::{
    Chart, ChartFont, ChartLegendPosition, ChartLine, ChartLineDashType, ChartMarker, ChartMarkerType,
    Worksheet, XlsxError,
};

/// Rows a chart covers (at the default row height of 20 pixels), with a gap.
const CHART_ROWS: u32 = 18;
/// A hidden column of the Charts sheet holds each chart's target, one cell per period, for the
/// dashed target line (Excel draws series only from cells).
const TARGET_COL: u16 = 40;

/// A scorecard with periods (not a snapshot) and something to draw.
pub(super) fn has_trend(r: &ScorecardResult) -> bool {
    r.grain != Grain::Snapshot && !r.rows.is_empty() && !r.kpis.is_empty()
}

pub(super) fn charts(
    sheet: &mut Worksheet,
    results: &[ScorecardResult],
    sheet_names: &[String],
    styles: &Styles,
) -> Result<(), XlsxError> {
    text(sheet, 0, 0, "KPI trends by period", &styles.title)?;
    text(
        sheet,
        1,
        0,
        "One line per group; the data are on each scorecard's sheet. Partial periods are marked there.",
        &styles.text,
    )?;
    let mut at = 3u32;
    for (r, name) in results.iter().zip(sheet_names) {
        if !has_trend(r) {
            continue;
        }
        let title = if r.title.trim().is_empty() { &r.id } else { &r.title };
        text(sheet, at, 0, title, &styles.title)?;
        at += 1;
        let runs = group_runs(r);
        for k in 0..r.kpis.len() {
            let row = at + k as u32 * CHART_ROWS;
            let chart = kpi_chart(sheet, r, name, &runs, k, row)?;
            sheet.insert_chart(row, 0, &chart)?;
        }
        at += r.kpis.len() as u32 * CHART_ROWS + 1;
    }
    sheet.set_column_hidden(TARGET_COL)?;
    sheet.set_landscape().set_print_fit_to_pages(1, 0);
    Ok(())
}

/// The line chart of KPI `k`: a series per group run on the scorecard's sheet, the target dashed.
fn kpi_chart(
    sheet: &mut Worksheet,
    r: &ScorecardResult,
    name: &str,
    runs: &[(u32, u32)],
    k: usize,
    row: u32,
) -> Result<Chart, XlsxError> {
    let info = &r.kpis[k];
    let mut chart = Chart::new_line();
    let col = LEAD_COLUMNS + KPI_COLUMNS * k as u16;
    // The series is named by the group's name cell, or its key when it has no name.
    let name_col = if r.rows.iter().any(|row| row.group_name.is_some()) { 3 } else { 2 };
    for &(first, last) in runs {
        chart
            .add_series()
            .set_name((name, first, name_col))
            .set_categories((name, first, 0, last, 0))
            .set_values((name, first, col, last, col))
            .set_marker(ChartMarker::new().set_type(ChartMarkerType::Circle).set_size(4));
    }
    if let Some(&(first, last)) = runs.iter().max_by_key(|(first, last)| (last - first, u32::MAX - first)) {
        if info.target.is_finite() {
            for i in 0..=(last - first) {
                sheet.write_number(row + i, TARGET_COL, info.target)?;
            }
            chart
                .add_series()
                .set_name("Target")
                .set_categories((name, first, 0, last, 0))
                .set_values((sheet.name().as_str(), row, TARGET_COL, row + last - first, TARGET_COL))
                .set_format(
                    ChartLine::new()
                        .set_color(0x222222)
                        .set_width(1.25)
                        .set_dash_type(ChartLineDashType::Dash),
                )
                .set_marker(ChartMarker::new().set_none());
            chart.show_hidden_data();
        }
    }
    // A title that starts with `=` would be read as a formula.
    let caption = format!(
        "{} (target {})",
        info.title.trim_start_matches('='),
        display_target(info.op, info.target, info.unit)
    );
    chart.title().set_name(caption.as_str()).set_font(ChartFont::new().set_size(12).set_bold());
    chart.y_axis().set_num_format(number_format(info.unit, integral(r, k)));
    if info.unit == Unit::Ratio {
        let top = r.rows.iter().filter_map(|row| row.kpis[k].value).fold(info.target, f64::max);
        if top <= 1.0 {
            chart.y_axis().set_max(1.0);
        }
    }
    chart.legend().set_position(ChartLegendPosition::Right);
    chart.set_width(820).set_height(330);
    Ok(chart)
}
