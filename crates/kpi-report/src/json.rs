//! `--format json`: the documented shape of cli-and-output.md, plus KPI definitions.
use crate::Context;
use kpi_check::Unit;
use kpi_eval::{ScorecardResult, Status};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Serialize)]
struct Scorecard<'a> {
    scorecard: &'a str,
    title: &'a str,
    grain: &'a str,
    group_by: Vec<&'a str>,
    as_of: String,
    skipped_rows: &'a BTreeMap<String, usize>,
    rows: Vec<Row<'a>>,
    kpi_definitions: Vec<Definition<'a>>,
}

#[derive(Serialize)]
struct Definition<'a> {
    id: &'a str,
    title: &'a str,
    description: &'a str,
    unit: &'a str,
    target: Target<'a>,
    weight: Number,
}

#[derive(Serialize)]
struct Row<'a> {
    period: Option<Period<'a>>,
    group: BTreeMap<&'a str, &'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group_name: Option<&'a str>,
    score: Option<f64>,
    kpis: Vec<Kpi<'a>>,
}

#[derive(Serialize)]
struct Period<'a> {
    label: &'a str,
    start: String,
    end: String,
}

#[derive(Serialize)]
struct Kpi<'a> {
    id: &'a str,
    title: &'a str,
    value: Option<Number>,
    unit: &'a str,
    target: Target<'a>,
    status: Status,
    attainment: Option<f64>,
    weight: Number,
    /// Population rows behind the value.
    sample_size: u64,
}

#[derive(Serialize)]
struct Target<'a> {
    op: &'a str,
    value: Number,
}

/// Integral counts and weights print as integers (`20`, not `20.0`).
#[derive(Serialize)]
#[serde(untagged)]
enum Number {
    Int(i64),
    Float(f64),
}

fn number(x: f64, integral: bool) -> Number {
    if integral && x.fract() == 0.0 && x.abs() < 9e15 {
        Number::Int(x as i64)
    } else {
        Number::Float(x)
    }
}

pub fn json(results: &[ScorecardResult], context: &Context) -> String {
    let cards: Vec<Scorecard> = results.iter().map(|r| scorecard(r, context)).collect();
    let mut out = if cards.len() == 1 {
        serde_json::to_string_pretty(&cards[0])
    } else {
        serde_json::to_string_pretty(&cards)
    }
    .expect("scorecards serialize");
    out.push('\n');
    out
}

fn scorecard<'a>(r: &'a ScorecardResult, context: &'a Context) -> Scorecard<'a> {
    let group_name = r.group_by.map(|g| g.name());
    Scorecard {
        scorecard: &r.id,
        title: &r.title,
        grain: r.grain.name(),
        group_by: group_name.into_iter().collect(),
        as_of: kpi_data::format_timestamp(r.as_of),
        skipped_rows: &context.skipped_rows,
        rows: r
            .rows
            .iter()
            .map(|row| Row {
                period: row.period.as_ref().map(|p| Period {
                    label: &p.label,
                    start: p.start_date.to_string(),
                    end: p.end_date.to_string(),
                }),
                group: match (group_name, &row.group) {
                    (Some(name), Some(key)) => [(name, key.as_str())].into(),
                    _ => BTreeMap::new(),
                },
                group_name: row.group_name.as_deref(),
                score: row.score,
                kpis: r
                    .kpis
                    .iter()
                    .zip(&row.kpis)
                    .map(|(info, k)| Kpi {
                        id: &info.id,
                        title: &info.title,
                        value: k.value.map(|v| number(v, info.unit == Unit::Count)),
                        unit: info.unit.name(),
                        target: Target { op: info.op.symbol(), value: number(info.target, true) },
                        status: k.status,
                        attainment: k.attainment,
                        weight: number(info.weight, true),
                        sample_size: k.rows,
                    })
                    .collect(),
            })
            .collect(),
        kpi_definitions: r
            .kpis
            .iter()
            .map(|info| Definition {
                id: &info.id,
                title: &info.title,
                description: &info.description,
                unit: info.unit.name(),
                target: Target { op: info.op.symbol(), value: number(info.target, true) },
                weight: number(info.weight, true),
            })
            .collect(),
    }
}
