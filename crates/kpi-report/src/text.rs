//! The text formats: `table` (aligned, for a terminal), `csv` and `markdown`.
use crate::{display_target, display_value, trim_number, Context};
use kpi_eval::{RowResult, ScorecardResult, Status};
use std::fmt::Write as _;

#[cfg(test)]
mod tests;

const GREEN: &str = "\x1b[32m";
const RED: &str = "\x1b[31m";
const DIM: &str = "\x1b[2m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

fn score_text(score: Option<f64>) -> String {
    score.map_or_else(|| "n/a".into(), |s| format!("{s:.1}"))
}

/// The period's label, `(partial)` when it had not ended at `as_of`.
fn period_label(row: &RowResult, as_of: i64) -> String {
    match &row.period {
        Some(p) if p.is_partial(as_of) => format!("{} (partial)", p.label),
        Some(p) => p.label.clone(),
        None => "now".into(),
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

/// Aligned columns: one line per (period, group), one column per KPI; a legend with targets.
pub fn table(results: &[ScorecardResult], context: &Context) -> String {
    let mut out = String::new();
    for (i, r) in results.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let paint =
            |s: &str, code: &str| if context.color { format!("{code}{s}{RESET}") } else { s.to_string() };
        let _ = writeln!(out, "{}", paint(&heading(r), BOLD));
        let mut header: Vec<String> = vec!["period".into()];
        if let Some(g) = r.group_by {
            header.push(g.name().into());
            header.push("name".into());
        }
        header.push("score".into());
        header.extend(r.kpis.iter().map(|k| k.id.clone()));
        // Cells with their status, so that the marker and colour follow alignment.
        let mut lines: Vec<Vec<(String, Option<Status>)>> = Vec::new();
        for row in &r.rows {
            let mut cells: Vec<(String, Option<Status>)> = vec![(period_label(row, r.as_of), None)];
            if r.group_by.is_some() {
                cells.push((row.group.clone().unwrap_or_default(), None));
                cells.push((row.group_name.clone().unwrap_or_default(), None));
            }
            cells.push((score_text(row.score), None));
            for (info, k) in r.kpis.iter().zip(&row.kpis) {
                let mark = if k.status == Status::Missed { " ✗" } else { "  " };
                cells.push((format!("{}{mark}", display_value(k.value, info.unit)), Some(k.status)));
            }
            lines.push(cells);
        }
        let columns = header.len();
        let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
        for line in &lines {
            for (c, (text, _)) in line.iter().enumerate() {
                widths[c] = widths[c].max(text.chars().count());
            }
        }
        let numeric_from = if r.group_by.is_some() { 3 } else { 1 };
        let pad = |text: &str, c: usize| {
            let fill = widths[c] - text.chars().count();
            if c >= numeric_from {
                format!("{}{text}", " ".repeat(fill))
            } else {
                format!("{text}{}", " ".repeat(fill))
            }
        };
        let header_line: Vec<String> = (0..columns).map(|c| pad(&header[c], c)).collect();
        let _ = writeln!(out, "{}", header_line.join("  ").trim_end());
        for line in &lines {
            let cells: Vec<String> = line
                .iter()
                .enumerate()
                .map(|(c, (text, status))| {
                    let padded = pad(text, c);
                    match status {
                        Some(Status::Met) => paint(&padded, GREEN),
                        Some(Status::Missed) => paint(&padded, RED),
                        Some(Status::NoData) => paint(&padded, DIM),
                        None => padded,
                    }
                })
                .collect();
            let _ = writeln!(out, "{}", cells.join("  ").trim_end());
        }
        out.push('\n');
        let id_width = r.kpis.iter().map(|k| k.id.chars().count()).max().unwrap_or(0);
        let title_width = r.kpis.iter().map(|k| k.title.chars().count()).max().unwrap_or(0);
        let targets: Vec<String> = r.kpis.iter().map(|k| display_target(k.op, k.target, k.unit)).collect();
        let target_width = targets.iter().map(|t| t.chars().count()).max().unwrap_or(0);
        for (k, target) in r.kpis.iter().zip(&targets) {
            let _ = writeln!(
                out,
                "  {:id_width$}  {:title_width$}  target {:target_width$}  weight {}",
                k.id,
                k.title,
                target,
                trim_number(k.weight)
            );
        }
        let _ = writeln!(out, "  ✗ = target missed, n/a = no data");
        if any_partial(r) {
            let _ = writeln!(out, "  {PARTIAL_NOTE}");
        }
        if let Some(line) = skipped_line(context) {
            let _ = writeln!(out, "  {line}");
        }
    }
    out
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

/// A number as Rust's `{}` prints it; nothing for `None`.
fn write_raw(out: &mut String, x: Option<f64>) {
    if let Some(v) = x {
        let _ = write!(out, "{v}");
    }
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
                [id, unit, format!(",{},{},{},", info.op.symbol(), info.target, info.weight)]
            })
            .collect();
        let mine = r.group_by.map(|g| g.name());
        for row in &r.rows {
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
            score.push_str(if partial { ",true\n" } else { ",false\n" });
            for ([id, unit, target], k) in kpi_parts.iter().zip(&row.kpis) {
                out.push_str(&head);
                out.push_str(id);
                write_raw(&mut out, k.value);
                out.push_str(unit);
                out.push_str(k.status.name());
                out.push_str(target);
                write_raw(&mut out, k.attainment);
                out.push_str(&score);
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
        for row in &r.rows {
            let mut cells = vec![period_label(row, r.as_of)];
            if r.group_by.is_some() {
                let key = row.group.clone().unwrap_or_default();
                cells.push(md_escape(&match &row.group_name {
                    Some(name) => format!("{name} ({key})"),
                    None => key,
                }));
            }
            cells.push(score_text(row.score));
            for (info, k) in r.kpis.iter().zip(&row.kpis) {
                let v = display_value(k.value, info.unit);
                cells.push(if k.status == Status::Missed { format!("**{v}** ✗") } else { v });
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

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}
