//! A sheet per scorecard (a row per group and period, grouped by group so that each group's
//! trend is one run of cells for the charts) and the Values sheet (every KPI value, long form).
use super::{
    change_colours, header, integral, number, period_cells, status_colours, status_name, text, Styles,
};
use crate::present::{self, Grid};
use crate::Trend;
use kpi_eval::ScorecardResult;
use rust_xlsxwriter::{ConditionalFormatDataBar, ConditionalFormatType, Worksheet, XlsxError};

/// Columns before the KPIs: period, partial, group, name, score, score change.
pub(super) const LEAD_COLUMNS: u16 = 6;
/// Columns per KPI: value, change, status, sample size.
pub(super) const KPI_COLUMNS: u16 = 4;

/// Where each group's rows are on its scorecard's sheet: (first, last) sheet rows.
pub(super) fn group_runs(r: &ScorecardResult) -> Vec<(u32, u32)> {
    let grid = Grid::new(r);
    let mut runs = Vec::new();
    let mut next = 1u32;
    for g in 0..grid.groups.len() {
        let rows = (0..grid.periods.len()).filter(|&p| grid.row(p, g).is_some()).count() as u32;
        if rows > 0 {
            runs.push((next, next + rows - 1));
        }
        next += rows;
    }
    runs
}

pub(super) fn scorecard(
    sheet: &mut Worksheet,
    r: &ScorecardResult,
    styles: &Styles,
) -> Result<(), XlsxError> {
    let grid = Grid::new(r);
    let trend = Trend::new(r);
    let mut titles: Vec<String> = vec![
        "Period".into(),
        "Partial".into(),
        present::group_heading(r),
        "Name".into(),
        "Score".into(),
        "Score change".into(),
    ];
    for k in &r.kpis {
        titles.push(format!("{} ({})", k.title, present::unit_words(k.unit)));
        titles.push(format!("{} change", k.title));
        titles.push(format!("{} status", k.title));
        titles.push(format!("{} sample size", k.title));
    }
    header(sheet, 0, &titles, r.rows.len() as u32, styles)?;
    sheet.set_column_width(0, 10)?;
    sheet.set_column_width(1, 8)?;
    sheet.set_column_width(2, 12)?;
    sheet.set_column_width(3, 24)?;
    sheet.set_column_width(4, 9)?;
    sheet.set_column_width(5, 10)?;
    let values: Vec<_> = (0..r.kpis.len()).map(|k| Styles::value(r.kpis[k].unit, integral(r, k))).collect();
    let changes: Vec<_> = (0..r.kpis.len()).map(|k| Styles::change(r.kpis[k].unit, integral(r, k))).collect();
    let mut at = 1u32;
    for g in 0..grid.groups.len() {
        for p in 0..grid.periods.len() {
            let Some(i) = grid.row(p, g) else { continue };
            let row = &r.rows[i];
            let (period, partial) = period_cells(row.period.as_ref(), r.as_of);
            text(sheet, at, 0, &period, &styles.text)?;
            text(sheet, at, 1, partial, &styles.text)?;
            let key = if r.group_by.is_some() { row.group.as_deref().unwrap_or("") } else { "Company-wide" };
            text(sheet, at, 2, key, &styles.text)?;
            text(sheet, at, 3, row.group_name.as_deref().unwrap_or(""), &styles.text)?;
            number(sheet, at, 4, row.score, &styles.score)?;
            number(sheet, at, 5, trend.score_change(r, i), &styles.score_change)?;
            for (k, result) in row.kpis.iter().enumerate() {
                let col = LEAD_COLUMNS + KPI_COLUMNS * k as u16;
                number(sheet, at, col, result.value, &values[k])?;
                number(sheet, at, col + 1, trend.value_change(r, i, k), &changes[k])?;
                text(sheet, at, col + 2, status_name(result.status), &styles.text)?;
                number(sheet, at, col + 3, Some(result.rows as f64), &styles.integer)?;
            }
            at += 1;
        }
    }
    let last = at - 1;
    for k in 0..r.kpis.len() as u16 {
        let col = LEAD_COLUMNS + KPI_COLUMNS * k;
        sheet.set_column_width(col, 11)?;
        sheet.set_column_width(col + 1, 10)?;
        sheet.set_column_width(col + 2, 9)?;
        sheet.set_column_width(col + 3, 8)?;
        status_colours(sheet, (1, last), &[col, col + 2], col + 2, styles)?;
        change_colours(sheet, (1, last), col + 1, r.kpis[k as usize].op)?;
    }
    score_bars(sheet, (1, last), 4)?;
    change_colours(sheet, (1, last), 5, kpi_hir::CmpOp::Ge)?;
    Ok(())
}

/// Data bars from 0 to 100 in a score column.
pub(super) fn score_bars(sheet: &mut Worksheet, rows: (u32, u32), col: u16) -> Result<(), XlsxError> {
    if rows.1 < rows.0 {
        return Ok(());
    }
    let bars = ConditionalFormatDataBar::new()
        .set_minimum(ConditionalFormatType::Number, 0)
        .set_maximum(ConditionalFormatType::Number, 100)
        .set_fill_color(0x9DB8DA)
        .set_solid_fill(true);
    sheet.add_conditional_format(rows.0, col, rows.1, col, &bars)?;
    Ok(())
}

/// Every KPI value of every scorecard, one row each, with its target, attainment and sample size.
pub(super) fn values(
    sheet: &mut Worksheet,
    results: &[ScorecardResult],
    styles: &Styles,
) -> Result<(), XlsxError> {
    let titles: Vec<String> = [
        "Scorecard",
        "Period",
        "Partial",
        "Group",
        "Name",
        "KPI",
        "Value",
        "Unit",
        "Status",
        "Target op",
        "Target",
        "Weight",
        "Attainment",
        "Sample size",
        "Row score",
    ]
    .map(String::from)
    .to_vec();
    let total: usize = results.iter().map(|r| r.rows.len() * r.kpis.len()).sum();
    header(sheet, 0, &titles, total as u32, styles)?;
    for (col, width) in [(0u16, 16.0), (1, 10.0), (3, 10.0), (4, 22.0), (5, 26.0), (8, 9.0)] {
        sheet.set_column_width(col, width)?;
    }
    let attainment = rust_xlsxwriter::Format::new().set_num_format("0.000");
    let mut at = 1u32;
    for r in results {
        let formats: Vec<_> =
            (0..r.kpis.len()).map(|k| Styles::value(r.kpis[k].unit, integral(r, k))).collect();
        for row in &r.rows {
            let (period, partial) = period_cells(row.period.as_ref(), r.as_of);
            for (k, (info, result)) in r.kpis.iter().zip(&row.kpis).enumerate() {
                text(sheet, at, 0, &r.id, &styles.text)?;
                text(sheet, at, 1, &period, &styles.text)?;
                text(sheet, at, 2, partial, &styles.text)?;
                text(sheet, at, 3, row.group.as_deref().unwrap_or(""), &styles.text)?;
                text(sheet, at, 4, row.group_name.as_deref().unwrap_or(""), &styles.text)?;
                text(sheet, at, 5, &info.id, &styles.text)?;
                number(sheet, at, 6, result.value, &formats[k])?;
                text(sheet, at, 7, info.unit.name(), &styles.text)?;
                text(sheet, at, 8, status_name(result.status), &styles.text)?;
                text(sheet, at, 9, info.op.symbol(), &styles.text)?;
                number(sheet, at, 10, Some(info.target), &formats[k])?;
                number(sheet, at, 11, Some(info.weight), &styles.text)?;
                number(sheet, at, 12, result.attainment, &attainment)?;
                number(sheet, at, 13, Some(result.rows as f64), &styles.integer)?;
                number(sheet, at, 14, row.score, &styles.score)?;
                at += 1;
            }
        }
    }
    status_colours(sheet, (1, at - 1), &[6, 8], 8, styles)?;
    Ok(())
}
