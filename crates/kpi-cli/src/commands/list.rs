//! `kpi list`: the scorecards of some rules and their KPIs, with titles, units, effective targets
//! and weights (after `use` overrides, the client config and `--param`) and where each came from.
//! No data is read.
use crate::Outcome;
use kpi_driver::{ConfigInput, Configured, Failure, Request};
use kpi_eval::{KpiInfo, Provenance, ScorecardResult};
use kpi_report::{display_target, trim_number};
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::path::PathBuf;

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
}

#[derive(clap::Args)]
pub struct ListArgs {
    /// `.kpi` files or directories of them (default: the config's `rules`).
    #[arg(required_unless_present = "config", value_name = "RULES")]
    rules: Vec<PathBuf>,
    /// A client config: its params and KPI overrides are applied.
    #[arg(long, value_name = "CLIENT.toml")]
    config: Option<PathBuf>,
    /// Override a param: NAME=VALUE, written as in a rule file. Repeatable.
    #[arg(long, value_name = "NAME=VALUE")]
    param: Vec<String>,
    /// Only this scorecard (repeatable; default: every scorecard of the rule files named).
    #[arg(long, value_name = "ID")]
    scorecard: Vec<String>,
    #[arg(long, value_enum, default_value = "table")]
    format: ListFormat,
}

pub fn run(args: ListArgs) -> Result<Outcome, Box<dyn std::error::Error>> {
    let request = Request {
        rules: args.rules.clone(),
        config: args.config.clone().map(ConfigInput::File),
        params: super::evaluate::param_overrides(&args.param)?,
        ..Request::default()
    };
    let Some(configured) = configure(&request)? else { return Ok(Outcome::Failed) };
    let cards = configured.describe(&args.scorecard)?;
    let text = match args.format {
        ListFormat::Table => table(&cards, &configured),
        ListFormat::Json => {
            let cards: Vec<Value> = cards.iter().map(|c| card_json(c, &configured)).collect();
            let mut text = serde_json::to_string_pretty(&json!({ "scorecards": cards }))?;
            text.push('\n');
            text
        }
    };
    super::evaluate::emit(None, &text)?;
    Ok(Outcome::Ok)
}

/// Resolve, check and configure the rules, reporting diagnostics on stderr; `None` when the rules
/// or the config have errors (already reported).
pub fn configure(request: &Request) -> Result<Option<Configured>, Box<dyn std::error::Error>> {
    let resolved = kpi_driver::resolve(request)?;
    let checked = match kpi_driver::check(request, &resolved) {
        Ok(checked) => checked,
        Err(Failure::Rules { rules, diagnostics }) => {
            super::check::report(&rules, &diagnostics);
            let errors = diagnostics.iter().filter(|d| d.is_error()).count();
            eprintln!("the rules have {errors} error{}", if errors == 1 { "" } else { "s" });
            return Ok(None);
        }
        Err(other) => return Err(other.into()),
    };
    match kpi_driver::configure(request, &resolved, checked) {
        Ok(configured) => {
            super::check::report(&configured.rules, &configured.warnings);
            Ok(Some(configured))
        }
        Err(Failure::Input(errors)) => {
            for e in errors.lines() {
                eprintln!("error: {e}");
            }
            Ok(None)
        }
        Err(other) => Err(other.into()),
    }
}

fn grouping(card: &ScorecardResult) -> String {
    match card.group_by {
        Some(g) => format!("{}, per {}", card.grain.name(), g.name()),
        None => format!("{}, company-wide", card.grain.name()),
    }
}

fn source(p: &Provenance, configured: &Configured) -> String {
    super::provenance::describe(p, &configured.rules, &configured.program)
}

fn table(cards: &[ScorecardResult], configured: &Configured) -> String {
    let mut out = String::new();
    for (n, card) in cards.iter().enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "{} · {} ({})", card.id, card.title, grouping(card));
        let header = ["KPI", "TITLE", "UNIT", "TARGET", "WEIGHT", "TARGET FROM", "WEIGHT FROM"];
        let rows: Vec<[String; 7]> = card
            .kpis
            .iter()
            .map(|k| {
                [
                    k.id.clone(),
                    k.title.clone(),
                    k.unit.name().to_string(),
                    display_target(k.op, k.target, k.unit),
                    trim_number(k.weight),
                    source(&k.target_source, configured),
                    source(&k.weight_source, configured),
                ]
            })
            .collect();
        let widths: Vec<usize> = (0..header.len())
            .map(|c| rows.iter().map(|r| r[c].chars().count()).chain([header[c].len()]).max().unwrap_or(0))
            .collect();
        let line = |cells: Vec<&str>| {
            let mut l = String::from("  ");
            for (c, cell) in cells.iter().enumerate() {
                let _ = write!(l, "{cell:<w$}  ", w = widths[c]);
            }
            l.trim_end().to_string()
        };
        let _ = writeln!(out, "{}", line(header.to_vec()));
        for r in &rows {
            let _ = writeln!(out, "{}", line(r.iter().map(String::as_str).collect()));
        }
        let total: f64 = card.kpis.iter().map(|k| k.weight).sum();
        let _ = writeln!(
            out,
            "  {} KPI{}, weights sum to {}",
            card.kpis.len(),
            if card.kpis.len() == 1 { "" } else { "s" },
            trim_number(total)
        );
    }
    if cards.is_empty() {
        out.push_str("no scorecards\n");
    }
    out
}

fn card_json(card: &ScorecardResult, configured: &Configured) -> Value {
    json!({
        "scorecard": card.id,
        "title": card.title,
        "grain": card.grain.name(),
        "group_by": card.group_by.map(|g| vec![g.name()]).unwrap_or_default(),
        "kpis": card.kpis.iter().map(|k| kpi_json(k, configured)).collect::<Vec<_>>(),
    })
}

fn kpi_json(k: &KpiInfo, configured: &Configured) -> Value {
    json!({
        "id": k.id,
        "title": k.title,
        "unit": k.unit.name(),
        "target": {"op": k.op.symbol(), "value": k.target},
        "weight": k.weight,
        "defined_at": super::provenance::location(k.origin, &configured.rules),
        "target_source": provenance_json(&k.target_source, configured),
        "weight_source": provenance_json(&k.weight_source, configured),
    })
}

/// `{"from": "rule" | "config" | "param", "text": ..., "param": NAME}`.
fn provenance_json(p: &Provenance, configured: &Configured) -> Value {
    let text = source(p, configured);
    match p {
        Provenance::Rule(_) => json!({"from": "rule", "text": text}),
        Provenance::Config(_) => json!({"from": "config", "text": text}),
        Provenance::Param { name, .. } => json!({"from": "param", "param": name, "text": text}),
    }
}
