//! The text formats: `table` (aligned, for a terminal), `csv` and `markdown`.
use crate::{display_target, display_value, trim_number, Context, Trend};
use kpi_eval::{RowResult, ScorecardResult, Status};
use std::fmt::Write as _;

#[cfg(test)]
mod tests;

mod table;
pub use table::table;

fn score_text(score: Option<f64>) -> String {
    score.map_or_else(|| "n/a".into(), |s| format!("{s:.1}"))
}

/// The period's label, `(partial)` when it had not ended at `as_of`.
fn period_label(row: &RowResult, as_of: i64) -> String {
    match &row.period {
        Some(p) if p.is_partial(as_of) => format!("{} (partial)", p.label),
        Some(p) => p.label.clone(),
        // A snapshot is taken at as_of.
        None => format!("at {}", &kpi_data::format_timestamp(as_of)[..10]),
    }
}

fn any_partial(r: &ScorecardResult) -> bool {
    r.rows.iter().any(|row| row.period.as_ref().is_some_and(|p| p.is_partial(r.as_of)))
}

const PARTIAL_NOTE: &str =
    "(partial) = the period had not ended at the as-of time: its values cover it to date";

fn skipped_line(context: &Context) -> Option<String> {
    if context.skipped_rows.is_empty() {
        return None;
    }
    let parts: Vec<String> = context.skipped_rows.iter().map(|(t, n)| format!("{t} {n}")).collect();
    Some(format!("skipped bad rows: {}", parts.join(", ")))
}

fn heading(r: &ScorecardResult) -> String {
    let per = r.group_by.map_or("company-wide".to_string(), |g| format!("per {}", g.name()));
    let grain = match r.grain {
        kpi_hir::Grain::Snapshot => "snapshot".to_string(),
        g => format!("{}ly", g.name()).replace("dayly", "daily"),
    };
    format!("{} ({}): {grain}, {per}, as of {}", r.title, r.id, kpi_data::format_timestamp(r.as_of))
}

/// A CSV field: quoted, with `"` doubled, when it holds a comma, a quote or a line break.
fn write_csv_field(out: &mut String, s: &str) {
    if s.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

/// A number as Rust's `{}` prints it after rounding to 15 significant digits, so that float
/// noise goes (`0.75`, not `0.7499999999999999`); nothing for `None`.
fn write_raw(out: &mut String, x: Option<f64>) {
    if let Some(v) = x {
        let _ = write!(out, "{}", without_noise(v));
    }
}

/// `v` rounded to 15 significant digits: what f64 arithmetic adds below them is noise.
pub(crate) fn without_noise(v: f64) -> f64 {
    if !v.is_finite() || v == 0.0 {
        return v;
    }
    format!("{v:.14e}").parse().unwrap_or(v)
}

/// One line per (row, KPI). Skipped rows, when any, are a leading `#` comment line.
pub fn csv(results: &[ScorecardResult], context: &Context) -> String {
    let lines: usize = results.iter().map(|r| r.rows.len() * r.kpis.len()).sum();
    let mut out = String::with_capacity(256 + lines * 128);
    if let Some(line) = skipped_line(context) {
        let _ = writeln!(out, "# {line}");
    }
    let mut group_names: Vec<&str> = results.iter().filter_map(|r| r.group_by.map(|g| g.name())).collect();
    group_names.sort();
    group_names.dedup();
    let mut header = vec!["scorecard", "period"];
    header.extend(&group_names);
    header.extend([
        "kpi",
        "value",
        "unit",
        "status",
        "target_op",
        "target",
        "weight",
        "attainment",
        "score",
        "partial",
        "change",
        "score_change",
        "kpi_title",
        "group_name",
    ]);
    let _ = writeln!(out, "{}", header.join(","));
    for r in results {
        // What a KPI's lines share, around the value and the status: `kpi,` and `,unit,` and
        // `,target_op,target,weight,`.
        let kpi_parts: Vec<[String; 3]> = r
            .kpis
            .iter()
            .map(|info| {
                let mut id = String::new();
                write_csv_field(&mut id, &info.id);
                id.push(',');
                let unit = format!(",{},", info.unit.name());
                let (target, weight) = (without_noise(info.target), without_noise(info.weight));
                [id, unit, format!(",{},{target},{weight},", info.op.symbol())]
            })
            .collect();
        let titles: Vec<String> = r
            .kpis
            .iter()
            .map(|info| {
                let mut title = String::from(",");
                write_csv_field(&mut title, &info.title);
                title.push(',');
                title
            })
            .collect();
        let mine = r.group_by.map(|g| g.name());
        let trend = Trend::new(r);
        for (i, row) in r.rows.iter().enumerate() {
            // What a row's lines share: `scorecard,period,groups...,` and `,score`.
            let mut head = String::new();
            write_csv_field(&mut head, &r.id);
            head.push(',');
            if let Some(p) = &row.period {
                head.push_str(&p.label);
            }
            for name in &group_names {
                head.push(',');
                if mine == Some(*name) {
                    write_csv_field(&mut head, row.group.as_deref().unwrap_or(""));
                }
            }
            head.push(',');
            let mut score = String::from(",");
            write_raw(&mut score, row.score);
            let partial = row.period.as_ref().is_some_and(|p| p.is_partial(r.as_of));
            score.push_str(if partial { ",true," } else { ",false," });
            let mut score_change = String::from(",");
            write_raw(&mut score_change, trend.score_change(r, i));
            let mut group_name = String::new();
            write_csv_field(&mut group_name, row.group_name.as_deref().unwrap_or(""));
            group_name.push('\n');
            for (k, ([id, unit, target], result)) in kpi_parts.iter().zip(&row.kpis).enumerate() {
                out.push_str(&head);
                out.push_str(id);
                write_raw(&mut out, result.value);
                out.push_str(unit);
                out.push_str(result.status.name());
                out.push_str(target);
                write_raw(&mut out, result.attainment);
                out.push_str(&score);
                write_raw(&mut out, trend.value_change(r, i, k));
                out.push_str(&score_change);
                out.push_str(&titles[k]);
                out.push_str(&group_name);
            }
        }
    }
    out
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// A section per scorecard: a table of rows, then what each KPI means.
pub fn markdown(results: &[ScorecardResult], context: &Context) -> String {
    let mut out = String::new();
    for r in results {
        let _ = writeln!(out, "## {}\n", md_escape(&r.title));
        let _ = writeln!(out, "{}\n", heading(r));
        if !r.description.is_empty() {
            let _ = writeln!(out, "{}\n", md_escape(&r.description));
        }
        let mut header = vec!["Period".to_string()];
        if let Some(g) = r.group_by {
            header.push(capitalize(g.name()));
        }
        header.push("Score".into());
        header.extend(r.kpis.iter().map(|k| md_escape(&k.title)));
        let _ = writeln!(out, "| {} |", header.join(" | "));
        let aligns: Vec<&str> = header
            .iter()
            .enumerate()
            .map(|(i, _)| if i < header.len() - r.kpis.len() - 1 { "---" } else { "---:" })
            .collect();
        let _ = writeln!(out, "|{}|", aligns.join("|"));
        let trend = Trend::new(r);
        for (i, row) in r.rows.iter().enumerate() {
            let mut cells = vec![period_label(row, r.as_of)];
            if r.group_by.is_some() {
                let key = row.group.clone().unwrap_or_default();
                cells.push(md_escape(&match &row.group_name {
                    Some(name) => format!("{name} ({key})"),
                    None => key,
                }));
            }
            let score = score_text(row.score);
            cells.push(format!("{score}{}", md_arrow(row.score, trend.score_change(r, i))));
            for (k, (info, result)) in r.kpis.iter().zip(&row.kpis).enumerate() {
                let v = display_value(result.value, info.unit);
                let v = if result.status == Status::Missed { format!("**{v}** ✗") } else { v };
                cells.push(format!("{v}{}", md_arrow(result.value, trend.value_change(r, i, k))));
            }
            let _ = writeln!(out, "| {} |", cells.join(" | "));
        }
        let _ = writeln!(out, "\n| KPI | Target | Weight | What it measures |\n|---|---|---:|---|");
        for k in &r.kpis {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                md_escape(&k.title),
                display_target(k.op, k.target, k.unit),
                trim_number(k.weight),
                md_escape(&k.description)
            );
        }
        let _ = writeln!(
            out,
            "\n_Score: the KPIs' attainments (value against target, capped at 1) weighted, 0-100, \
             not the share of KPIs met. ✗ target missed; ▲ ▼ = higher, lower, same as the previous \
             period._"
        );
        if any_partial(r) {
            let _ = writeln!(out, "\n_{PARTIAL_NOTE}._");
        }
        if let Some(line) = skipped_line(context) {
            let _ = writeln!(out, "\n_{line}_");
        }
        out.push('\n');
    }
    out
}

/// `▲` higher than the previous period, `▼` lower, `=` the same; `None` without one.
fn trend_mark(value: Option<f64>, change: Option<f64>) -> Option<&'static str> {
    match (value, change) {
        (Some(v), Some(c)) if c.abs() <= 1e-9 * v.abs().max(1.0) => Some("="),
        (_, Some(c)) if c > 0.0 => Some("▲"),
        (_, Some(_)) => Some("▼"),
        _ => None,
    }
}

/// The trend mark after a space, for Markdown; nothing without one.
fn md_arrow(value: Option<f64>, change: Option<f64>) -> String {
    trend_mark(value, change).map_or_else(String::new, |m| format!(" {m}"))
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}
