//! The overview of a scorecard's latest period: each group's score, ranked, its change, and the
//! status of every KPI.
use super::{change_text, escape, status_chip, target_text};
use crate::present::{self, Grid};
use crate::{display_value, Trend};
use kpi_eval::{ScorecardResult, Status};
use std::fmt::Write as _;

pub(super) fn overview(out: &mut String, r: &ScorecardResult, grid: &Grid, trend: &Trend) {
    let grouped = r.group_by.is_some();
    out.push_str("<div class=\"scroll\"><table class=\"overview\">\n<thead><tr>");
    if grouped {
        let _ = write!(out, "<th class=\"num\">Rank</th><th>{}</th>", escape(&present::group_heading(r)));
    }
    out.push_str("<th>Score (0–100)</th><th class=\"num\">Met</th>");
    for k in &r.kpis {
        let _ = write!(
            out,
            "<th class=\"num\">{}<br><span class=\"n\">target {}</span></th>",
            escape(&k.title),
            escape(&target_text(k.op, k.target, k.unit))
        );
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for (rank, &i) in grid.ranked_latest(r).iter().enumerate() {
        let row = &r.rows[i];
        let partial = present::is_partial(row.period.as_ref(), r.as_of);
        out.push_str(if partial { "<tr class=\"partial\">" } else { "<tr>" });
        if grouped {
            let _ = write!(
                out,
                "<td class=\"num\">{}</td><td>{}</td>",
                rank + 1,
                escape(&present::group_label(row))
            );
        }
        let change = trend.score_change(r, i);
        let better = change.and_then(|c| present::is_better(kpi_hir::CmpOp::Ge, c));
        out.push_str(&score_cell(row.score, &format!("<br>{}", change_text(change, None, better))));
        let with_data = row.kpis.iter().filter(|k| k.status != Status::NoData).count();
        let met = row.kpis.iter().filter(|k| k.status == Status::Met).count();
        let _ = write!(out, "<td class=\"num\">{met} of {with_data}</td>");
        for (kpi, (info, k)) in r.kpis.iter().zip(&row.kpis).enumerate() {
            let change = trend.value_change(r, i, kpi);
            let better = change.and_then(|c| present::is_better(info.op, c));
            let _ = write!(
                out,
                "<td class=\"num\">{}<br>{}</td>",
                status_chip(k.status, &display_value(k.value, info.unit)),
                change_text(change, Some(info.unit), better)
            );
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table></div>\n");
    out.push_str(
        "<p class=\"note\">Met counts the KPIs that met their target, of those with data. \
         ✓ met, ✗ missed, – no data; ▲/▼ against the previous period, green when the change \
         moves toward the target and red when away from it.</p>\n",
    );
}

/// A score with a bar of its size, then `after` (its change); `n/a` when no KPI had data.
pub(super) fn score_cell(score: Option<f64>, after: &str) -> String {
    match score.filter(|s| s.is_finite()) {
        Some(s) => format!(
            "<td class=\"score\"><span class=\"bar\"><span style=\"width:{:.0}%\"></span></span>{s:.1} {after}</td>",
            s.clamp(0.0, 100.0)
        ),
        None => format!("<td class=\"score\"><span class=\"st no_data\">– n/a</span> {after}</td>"),
    }
}
