//! Rendering time of a report shaped like the `large` benchmark's (24 months × 800 clients × 5
//! KPIs: about 100,000 KPI values, 45 MB of JSON), without loading or evaluating anything.
//!
//! `cargo bench -p kpi-report --bench render`. End to end, `KPI_TIMINGS=1 kpi evaluate ...`
//! prints the same stage as `timing: render`.
use chrono::{Months, NaiveDate};
use criterion::{criterion_group, criterion_main, Criterion};
use kpi_eval::{KpiInfo, KpiResult, Period, Provenance, RowResult, ScorecardResult, Scoring, Status};
use kpi_hir::{CmpOp, FileId, Grain, Origin, Span, Unit};
use kpi_report::{render, Context, Format};
use kpi_schema::Grouping;
use std::hint::black_box;

fn kpi(id: &str, unit: Unit, op: CmpOp, target: f64, weight: f64) -> KpiInfo {
    let origin = Origin { file: FileId(0), span: Span { start: 0, end: 0 } };
    KpiInfo {
        id: id.into(),
        title: id.replace('_', " "),
        description: format!("What {id} measures, in a sentence or two."),
        unit,
        op,
        target,
        weight,
        scoring: Scoring::Attainment,
        origin,
        target_source: Provenance::Rule(origin),
        weight_source: Provenance::Rule(origin),
    }
}

fn report() -> ScorecardResult {
    let kpis = vec![
        kpi("reactive_hours_per_endpoint", Unit::Hours, CmpOp::Le, 0.25, 40.0),
        kpi("sla_completion", Unit::Ratio, CmpOp::Ge, 0.9, 30.0),
        kpi("csat", Unit::Ratio, CmpOp::Ge, 0.9, 30.0),
        kpi("tickets", Unit::Count, CmpOp::Le, 120.0, 10.0),
        kpi("revenue", Unit::Currency, CmpOp::Ge, 5000.0, 10.0),
    ];
    let first = NaiveDate::from_ymd_opt(2024, 10, 1).unwrap();
    let mut rows = Vec::new();
    for month in 0..24 {
        let start = first + Months::new(month);
        let end = start + Months::new(1);
        for client in 0..800_u32 {
            let n = (month * 800 + client) as f64;
            // Some missing values, some integers, mostly long fractions.
            let value = |k: usize| match (n as usize + k) % 7 {
                0 => None,
                1 => Some(k as f64 * 10.0 + n % 97.0),
                _ => Some((n * 7.0 + k as f64) / 613.0 % 1.0),
            };
            rows.push(RowResult {
                period: Some(Period {
                    label: start.format("%Y-%m").to_string(),
                    start_date: start,
                    end_date: end,
                    start: 0,
                    end: 0,
                }),
                group: Some(format!("C{client:04}")),
                group_name: Some(format!("Client {client}")),
                score: Some(100.0 - n % 13.0 / 8.0),
                kpis: (0..kpis.len())
                    .map(|k| {
                        let value = value(k);
                        KpiResult {
                            value,
                            status: if value.is_some() { Status::Met } else { Status::NoData },
                            attainment: value.map(|v| v.min(1.0)),
                            rows: n as u64 % 200,
                            parts: None,
                        }
                    })
                    .collect(),
            });
        }
    }
    ScorecardResult {
        id: "client_health".into(),
        title: "Client Health".into(),
        description: String::new(),
        grain: Grain::Month,
        group_by: Some(Grouping::Client),
        as_of: 1_790_812_800_000_000,
        kpis,
        rows,
        errors: Vec::new(),
    }
}

fn bench(c: &mut Criterion) {
    let results = vec![report()];
    let context = Context::default();
    let mut group = c.benchmark_group("render");
    group.sample_size(20);
    for (name, format) in
        [("json", Format::Json), ("csv", Format::Csv), ("markdown", Format::Markdown), ("html", Format::Html)]
    {
        group.bench_function(name, |b| {
            b.iter(|| black_box(render(format, &results, &context).map(|bytes| bytes.len())))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
