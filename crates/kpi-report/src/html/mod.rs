//! `--format html`: one self-contained client report (inline CSS and SVG, no script, nothing
//! fetched), fit to mail and to print. Every piece of text is escaped; the bytes depend only on
//! the results and the context.
use crate::present::{self, Grid};
use crate::{trim_number, Context, Trend};
use kpi_eval::{ScorecardResult, Status};
use kpi_hir::Unit;
use std::fmt::Write as _;

mod chart;
mod overview;
mod tables;
#[cfg(test)]
mod tests;

const STYLE: &str = include_str!("report.css");

/// The whole report: a heading, a contents list, and a section per scorecard.
pub fn html(results: &[ScorecardResult], context: &Context) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let as_of = results.first().map(|r| kpi_data::format_timestamp(r.as_of));
    let title = match &as_of {
        Some(at) => format!("KPI scorecards as of {at}"),
        None => "KPI scorecards".to_string(),
    };
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"kpi\">\n<title>{}</title>\n<style>\n{STYLE}</style>\n\
         </head>\n<body>\n<main>\n<header class=\"report\">\n<h1>KPI scorecards</h1>\n",
        escape(&title)
    );
    if let Some(at) = &as_of {
        let _ = writeln!(
            out,
            "<p class=\"meta\">As of {} · {} scorecard{}</p>",
            escape(at),
            results.len(),
            if results.len() == 1 { "" } else { "s" }
        );
    }
    if results.len() > 1 {
        out.push_str("<nav class=\"toc\"><ul>\n");
        for (i, r) in results.iter().enumerate() {
            let _ = writeln!(out, "<li><a href=\"#sc-{i}\">{}</a></li>", escape(&title_of(r)));
        }
        out.push_str("</ul></nav>\n");
    }
    out.push_str("</header>\n");
    if results.is_empty() {
        out.push_str("<p>No scorecard was evaluated.</p>\n");
    }
    for (i, r) in results.iter().enumerate() {
        scorecard(&mut out, i, r, context);
    }
    let _ = write!(
        out,
        "<footer>Made by <code>kpi evaluate --format html</code>. Status is shown by colour and by \
         symbol: ✓ met, ✗ missed, – no data. ▲/▼ give the change against the previous period \
         of the same group.</footer>\n</main>\n</body>\n</html>\n"
    );
    out
}

/// The scorecard's title, or its id when it has none.
fn title_of(r: &ScorecardResult) -> String {
    if r.title.trim().is_empty() {
        r.id.clone()
    } else {
        r.title.clone()
    }
}

fn scorecard(out: &mut String, index: usize, r: &ScorecardResult, context: &Context) {
    let grid = Grid::new(r);
    let trend = Trend::new(r);
    let latest = grid.periods.last().copied().flatten();
    let _ = writeln!(out, "<section class=\"scorecard\" id=\"sc-{index}\">");
    let _ = writeln!(out, "<h2>{}</h2>", escape(&title_of(r)));
    let _ = writeln!(
        out,
        "<p class=\"meta\">{} · {} · {} KPIs · {} period{} · as of {}</p>",
        escape(&r.id),
        escape(&present::cadence(r)),
        r.kpis.len(),
        grid.periods.len(),
        if grid.periods.len() == 1 { "" } else { "s" },
        escape(&kpi_data::format_timestamp(r.as_of))
    );
    if !r.description.trim().is_empty() {
        let _ = writeln!(out, "<p>{}</p>", escape(&r.description));
    }
    if !r.errors.is_empty() {
        out.push_str("<ul class=\"errors\">\n");
        for e in &r.errors {
            let _ = writeln!(out, "<li>Error: {}</li>", escape(e));
        }
        out.push_str("</ul>\n");
    }
    if r.rows.is_empty() {
        out.push_str("<p>No rows: no period or group had data to evaluate.</p>\n");
    } else {
        let heading = match latest {
            Some(_) => format!("Latest period: {}", present::period_label(latest, r.as_of)),
            None => "Snapshot".to_string(),
        };
        let _ = writeln!(out, "<h3>{}</h3>", escape(&heading));
        overview::overview(out, r, &grid, &trend);
        if latest.is_some() {
            chart::trends(out, r, &grid);
        }
        tables::details(out, r, &grid, &trend);
    }
    tables::definitions(out, r, context);
    if r.rows.iter().any(|row| present::is_partial(row.period.as_ref(), r.as_of)) {
        out.push_str(
            "<p class=\"note\">Partial: the period had not ended at the as-of time, so its values \
             cover it only to date (shaded rows, hollow points in the charts).</p>\n",
        );
    }
    if let Some(line) = present::skipped_text(context) {
        let _ = writeln!(out, "<p class=\"note\">{}</p>", escape(&line));
    }
    out.push_str("</section>\n");
}

/// Text for HTML content and attribute values: `& < > " '` escaped, control characters (other
/// than tab and line breaks) replaced by U+FFFD, as HTML does not allow them.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' => out.push(c),
            '\r' => out.push('\n'),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A status as a coloured chip with its symbol, so colour is never the only signal.
fn status_chip(status: Status, text: &str) -> String {
    let symbol = match status {
        Status::Met => "✓",
        Status::Missed => "✗",
        Status::NoData => "–",
    };
    format!(
        "<span class=\"st {}\" title=\"{}\">{symbol} {}</span>",
        status.name(),
        status.name().replace('_', " "),
        escape(text)
    )
}

/// A change against the previous period: `▲ 2.1 pts`, coloured by whether it is an improvement
/// (`better` is `None` when there is no direction to judge, as for a weight of nothing).
fn change_text(change: Option<f64>, unit: Option<Unit>, better: Option<bool>) -> String {
    let Some(c) = change else { return String::new() };
    let size = match unit {
        Some(Unit::Ratio) => format!("{:.1} pts", (c * 100.0).abs()),
        Some(Unit::Hours) => format!("{:.2} h", c.abs()),
        Some(Unit::Count) if c.fract() == 0.0 => format!("{:.0}", c.abs()),
        Some(_) => trim_number((c.abs() * 100.0).round() / 100.0),
        None => format!("{:.1}", c.abs()),
    };
    let (arrow, class, word) = match (c.partial_cmp(&0.0), better) {
        (Some(std::cmp::Ordering::Equal), _) | (None, _) => ("=", "same", "no change"),
        (Some(std::cmp::Ordering::Greater), Some(false)) => ("▲", "worse", "up, worse"),
        (Some(std::cmp::Ordering::Greater), _) => ("▲", "better", "up, better"),
        (Some(std::cmp::Ordering::Less), Some(false)) => ("▼", "worse", "down, worse"),
        (Some(std::cmp::Ordering::Less), _) => ("▼", "better", "down, better"),
    };
    format!("<span class=\"chg {class}\" title=\"{word} than the previous period\">{arrow} {size}</span>")
}

/// A target as people read it, with the comparison as one sign: `≥ 90 %`, `≤ 0.25 h`.
fn target_text(op: kpi_hir::CmpOp, target: f64, unit: Unit) -> String {
    let text = crate::display_target(op, target, unit);
    text.replacen(">=", "≥", 1).replacen("<=", "≤", 1)
}
