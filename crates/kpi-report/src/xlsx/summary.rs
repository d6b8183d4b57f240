//! The Summary sheet (the latest scores of every scorecard, ranked) and the Definitions sheet.
use super::sheets::score_bars;
use super::{change_colours, header, integral, number, period_cells, text, Styles};
use crate::present::{self, Grid};
use crate::{Context, Trend};
use kpi_eval::{ScorecardResult, Status};
use rust_xlsxwriter::{Worksheet, XlsxError};

pub(super) fn summary(
    sheet: &mut Worksheet,
    results: &[ScorecardResult],
    styles: &Styles,
) -> Result<(), XlsxError> {
    let as_of = results.first().map(|r| kpi_data::format_timestamp(r.as_of));
    text(sheet, 0, 0, "KPI scorecards", &styles.title)?;
    let subtitle = match as_of {
        Some(at) => format!("Latest period of each scorecard, as of {at}. Best score first."),
        None => "No scorecard was evaluated.".to_string(),
    };
    text(sheet, 1, 0, &subtitle, &styles.text)?;
    sheet.merge_range(2, 0, 2, 10, present::SCORE_RULE, &styles.wrap)?;
    sheet.set_row_height(2, 62)?;
    let titles: Vec<String> = [
        "Scorecard",
        "Period",
        "Partial",
        "Rank",
        "Group",
        "Name",
        "Score",
        "Score change",
        "KPIs met",
        "KPIs missed",
        "KPIs no data",
    ]
    .map(String::from)
    .to_vec();
    let ranked: Vec<(&ScorecardResult, Vec<usize>)> =
        results.iter().map(|r| (r, Grid::new(r).ranked_latest(r))).collect();
    let total: usize = ranked.iter().map(|(_, rows)| rows.len()).sum();
    header(sheet, 4, &titles, total as u32, styles)?;
    for (col, width) in [
        (0u16, 28.0),
        (1, 10.0),
        (2, 8.0),
        (3, 6.0),
        (4, 12.0),
        (5, 26.0),
        (6, 9.0),
        (7, 11.0),
        (8, 10.0),
        (9, 10.0),
        (10, 10.0),
    ] {
        sheet.set_column_width(col, width)?;
    }
    let mut at = 5u32;
    for (r, rows) in &ranked {
        let trend = Trend::new(r);
        let title = if r.title.trim().is_empty() { &r.id } else { &r.title };
        for (rank, &i) in rows.iter().enumerate() {
            let row = &r.rows[i];
            let (period, partial) = period_cells(row.period.as_ref(), r.as_of);
            let count = |s: Status| Some(row.kpis.iter().filter(|k| k.status == s).count() as f64);
            text(sheet, at, 0, title, &styles.text)?;
            text(sheet, at, 1, &period, &styles.text)?;
            text(sheet, at, 2, partial, &styles.text)?;
            number(sheet, at, 3, Some(rank as f64 + 1.0), &styles.integer)?;
            let key = if r.group_by.is_some() { row.group.as_deref().unwrap_or("") } else { "Company-wide" };
            text(sheet, at, 4, key, &styles.text)?;
            text(sheet, at, 5, row.group_name.as_deref().unwrap_or(""), &styles.text)?;
            number(sheet, at, 6, row.score, &styles.score)?;
            number(sheet, at, 7, trend.score_change(r, i), &styles.score_change)?;
            number(sheet, at, 8, count(Status::Met), &styles.integer)?;
            number(sheet, at, 9, count(Status::Missed), &styles.integer)?;
            number(sheet, at, 10, count(Status::NoData), &styles.integer)?;
            at += 1;
        }
    }
    score_bars(sheet, (5, at - 1), 6)?;
    change_colours(sheet, (5, at - 1), 7, kpi_hir::CmpOp::Ge)?;
    sheet.set_landscape().set_print_fit_to_pages(1, 0);
    Ok(())
}

/// What each KPI of each scorecard measures, its unit, target, weight, and where they were set.
pub(super) fn definitions(
    sheet: &mut Worksheet,
    results: &[ScorecardResult],
    context: &Context,
    styles: &Styles,
) -> Result<(), XlsxError> {
    let titles: Vec<String> = [
        "Scorecard",
        "KPI",
        "Title",
        "Description",
        "Unit",
        "Target op",
        "Target",
        "Weight",
        "Target set in",
        "Weight set in",
    ]
    .map(String::from)
    .to_vec();
    let total: usize = results.iter().map(|r| r.kpis.len()).sum();
    header(sheet, 0, &titles, total as u32, styles)?;
    for (col, width) in [(0u16, 18.0), (1, 26.0), (2, 26.0), (3, 60.0), (4, 11.0), (8, 40.0), (9, 40.0)] {
        sheet.set_column_width(col, width)?;
    }
    let mut at = 1u32;
    for r in results {
        for (k, info) in r.kpis.iter().enumerate() {
            text(sheet, at, 0, &r.id, &styles.text)?;
            text(sheet, at, 1, &info.id, &styles.text)?;
            text(sheet, at, 2, &info.title, &styles.text)?;
            text(sheet, at, 3, &info.description, &styles.wrap)?;
            text(sheet, at, 4, present::unit_words(info.unit), &styles.text)?;
            text(sheet, at, 5, info.op.symbol(), &styles.text)?;
            number(sheet, at, 6, Some(info.target), &Styles::value(info.unit, integral(r, k)))?;
            number(sheet, at, 7, Some(info.weight), &styles.text)?;
            text(sheet, at, 8, &present::provenance(&info.target_source, context), &styles.wrap)?;
            text(sheet, at, 9, &present::provenance(&info.weight_source, context), &styles.wrap)?;
            at += 1;
        }
    }
    sheet.set_landscape().set_print_fit_to_pages(1, 0);
    Ok(())
}
