//! The detail table (every period of every group, with sample sizes) and the KPI definitions
//! with where their targets and weights came from.
use super::overview::score_cell;
use super::{change_text, escape, status_chip, target_text};
use crate::present::{self, Grid};
use crate::{display_value, trim_number, Context, Trend};
use kpi_eval::ScorecardResult;
use std::fmt::Write as _;

/// One table: a heading row per group, then a row per period, oldest first.
pub(super) fn details(out: &mut String, r: &ScorecardResult, grid: &Grid, trend: &Trend) {
    let by = if r.group_by.is_some() {
        format!("Detail by {}", present::group_heading(r).to_lowercase())
    } else {
        "Detail by period".to_string()
    };
    let _ = writeln!(out, "<h3>{}</h3>", escape(&by));
    out.push_str(
        "<div class=\"scroll\"><table class=\"detail\">\n<thead><tr><th>Period</th><th>Score</th><th class=\"num\">Change</th>",
    );
    for k in &r.kpis {
        let _ = write!(out, "<th class=\"num\">{}</th>", escape(&k.title));
    }
    out.push_str("</tr></thead>\n");
    let columns = 3 + r.kpis.len();
    for (g, first) in grid.groups.iter().enumerate() {
        out.push_str("<tbody>\n");
        if r.group_by.is_some() {
            let _ = writeln!(
                out,
                "<tr class=\"grp\"><th colspan=\"{columns}\">{}</th></tr>",
                escape(&present::group_label(first))
            );
        }
        for p in 0..grid.periods.len() {
            let Some(i) = grid.row(p, g) else { continue };
            let row = &r.rows[i];
            let partial = present::is_partial(row.period.as_ref(), r.as_of);
            out.push_str(if partial { "<tr class=\"partial\">" } else { "<tr>" });
            let _ = write!(out, "<td>{}</td>", escape(&present::period_label(row.period.as_ref(), r.as_of)));
            out.push_str(&score_cell(row.score, ""));
            let _ = write!(
                out,
                "<td class=\"num\">{}</td>",
                change_text(
                    trend.score_change(r, i),
                    None,
                    trend.score_change(r, i).and_then(|c| present::is_better(kpi_hir::CmpOp::Ge, c))
                )
            );
            for (kpi, (info, k)) in r.kpis.iter().zip(&row.kpis).enumerate() {
                let change = trend.value_change(r, i, kpi);
                let better = change.and_then(|c| present::is_better(info.op, c));
                let _ = write!(
                    out,
                    "<td class=\"num\">{} {}<span class=\"n\">n = {}</span></td>",
                    status_chip(k.status, &display_value(k.value, info.unit)),
                    change_text(change, Some(info.unit), better),
                    k.rows
                );
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody>\n");
    }
    out.push_str("</table></div>\n");
    out.push_str(
        "<p class=\"note\">n = the sample size: the rows of data (tickets, time entries, surveys) \
         behind the value. A value with no rows, or with a zero denominator, is no data.</p>\n",
    );
}

/// What each KPI measures, its unit, target and weight, where they were set, and the score rule.
pub(super) fn definitions(out: &mut String, r: &ScorecardResult, context: &Context) {
    out.push_str("<h3>KPIs and how the score is computed</h3>\n");
    if r.kpis.is_empty() {
        out.push_str("<p>This scorecard has no KPIs.</p>\n");
        return;
    }
    out.push_str(
        "<table class=\"defs\">\n<thead><tr><th>KPI</th><th>What it measures</th><th>Unit</th>\
         <th class=\"num\">Target</th><th class=\"num\">Weight</th><th>Target set in</th>\
         <th>Weight set in</th></tr></thead>\n<tbody>\n",
    );
    let total: f64 = r.kpis.iter().map(|k| k.weight).filter(|w| w.is_finite()).sum();
    for k in &r.kpis {
        let share = if total > 0.0 && k.weight.is_finite() {
            format!("<span class=\"n\">{:.0} % of the score</span>", 100.0 * k.weight / total)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "<tr><td><b>{}</b><span class=\"n\">{}</span></td><td>{}</td><td>{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}{share}</td><td>{}</td><td>{}</td></tr>",
            escape(&k.title),
            escape(&k.id),
            escape(&k.description),
            present::unit_words(k.unit),
            escape(&target_text(k.op, k.target, k.unit)),
            escape(&trim_number(k.weight)),
            escape(&present::provenance(&k.target_source, context)),
            escape(&present::provenance(&k.weight_source, context)),
        );
    }
    out.push_str("</tbody>\n</table>\n");
    let _ = writeln!(out, "<p class=\"note\">{}</p>", escape(present::SCORE_RULE));
}
