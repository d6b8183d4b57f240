//! Awkward results for the tests: every float edge case, strings that need escaping, snapshot
//! rows, missing groups, empty scorecards.
use crate::Context;
use chrono::NaiveDate;
use kpi_eval::{KpiInfo, KpiResult, Period, Provenance, RowResult, ScorecardResult, Scoring, Status};
use kpi_hir::{CmpOp, FileId, Grain, Origin, Span, Unit};
use kpi_schema::Grouping;

/// Quotes, backslashes, every kind of control character, CSV and Markdown separators, non-ASCII.
pub const NASTY: &str = "a \"b\" \\c\n\t\r\x08\x0c\x00\x01\x1f\x7f, d|e; Zürich ✓ 😀 \u{2028}";

pub const FLOATS: &[f64] = &[
    0.0,
    -0.0,
    1.0,
    -3.0,
    0.1 + 0.2,
    0.8,
    2.5,
    1e-7,
    -1e-7,
    1.5e-5,
    123456.789,
    1e15,
    9e15,
    9e15 - 1.0,
    9007199254740993.0,
    1e16,
    1.5e22,
    1e300,
    f64::MAX,
    f64::MIN_POSITIVE,
    5e-324,
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
];

pub fn kpi(id: &str, title: &str, unit: Unit, op: CmpOp, target: f64, weight: f64) -> KpiInfo {
    let origin = Origin { file: FileId(0), span: Span { start: 0, end: 0 } };
    KpiInfo {
        id: id.into(),
        title: title.into(),
        description: format!("What {title} measures."),
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

pub fn period(label: &str, start: (i32, u32, u32), end: (i32, u32, u32)) -> Period {
    let date = |(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let micros = |d: NaiveDate| d.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp_micros();
    let (start, end) = (date(start), date(end));
    Period { label: label.into(), start_date: start, end_date: end, start: micros(start), end: micros(end) }
}

pub fn result(value: Option<f64>, status: Status, attainment: Option<f64>, rows: u64) -> KpiResult {
    KpiResult { value, status, attainment, rows, parts: None }
}

/// Monthly per client: every float in every numeric field, nasty strings everywhere.
pub fn monthly() -> ScorecardResult {
    let kpis = vec![
        kpi("tickets", "Tickets", Unit::Count, CmpOp::Ge, 20.0, 40.0),
        kpi("sla", "SLA \"met\"", Unit::Ratio, CmpOp::Ge, 0.9, 0.5),
        kpi("mttr", "MTTR", Unit::Hours, CmpOp::Le, 1e20, -0.0),
        kpi("revenue", NASTY, Unit::Currency, CmpOp::Gt, 9e15, f64::NAN),
        kpi(NASTY, "Plain", Unit::Number, CmpOp::Lt, -2.5, 1e-7),
    ];
    let statuses = [Status::Met, Status::Missed, Status::NoData];
    let mut rows = Vec::new();
    for (i, &x) in FLOATS.iter().enumerate() {
        let n = kpis.len();
        rows.push(RowResult {
            period: Some(period(if i % 5 == 0 { NASTY } else { "2024-10" }, (2024, 10, 1), (2024, 11, 1))),
            group: (i % 4 != 1).then(|| if i % 3 == 0 { NASTY.to_string() } else { format!("C{i:04}") }),
            group_name: (i % 2 == 0).then(|| {
                if i % 3 == 0 {
                    NASTY.to_string()
                } else {
                    "Acme Dental".to_string()
                }
            }),
            score: (i % 7 != 3).then_some(x),
            kpis: (0..n)
                .map(|k| {
                    let y = FLOATS[(i + k) % FLOATS.len()];
                    let value = (i % 6 != 2).then_some(y);
                    result(value, statuses[(i + k) % 3], (k % 2 == 0).then_some(x), (i * k) as u64)
                })
                .collect(),
        });
    }
    rows[0].kpis[0].rows = u64::MAX;
    rows[1].period = Some(period("+10000", (10000, 1, 1), (-5, 2, 28)));
    ScorecardResult {
        id: "monthly".into(),
        title: NASTY.into(),
        description: NASTY.into(),
        grain: Grain::Month,
        group_by: Some(Grouping::Client),
        as_of: 1_790_812_800_123_456,
        kpis,
        rows,
        errors: Vec::new(),
    }
}

/// Company-wide snapshot: rows without a period or group.
pub fn snapshot() -> ScorecardResult {
    let kpis = vec![kpi("backlog", "Backlog", Unit::Count, CmpOp::Le, 50.0, 1.0)];
    let rows = vec![
        RowResult {
            period: None,
            group: None,
            group_name: None,
            score: Some(100.0),
            kpis: vec![result(Some(12.0), Status::Met, Some(1.0), 12)],
        },
        // A group key without a grouping is not printed.
        RowResult {
            period: None,
            group: Some("stray".into()),
            group_name: None,
            score: None,
            kpis: vec![result(None, Status::NoData, None, 0)],
        },
    ];
    ScorecardResult {
        id: "snapshot".into(),
        title: "Snapshot".into(),
        description: String::new(),
        grain: Grain::Snapshot,
        group_by: None,
        as_of: -1,
        kpis,
        rows,
        errors: Vec::new(),
    }
}

/// No KPIs and no rows at all.
pub fn empty(group_by: Option<Grouping>) -> ScorecardResult {
    ScorecardResult {
        id: "empty".into(),
        title: String::new(),
        description: String::new(),
        grain: Grain::Week,
        group_by,
        as_of: 0,
        kpis: Vec::new(),
        rows: Vec::new(),
        errors: Vec::new(),
    }
}

/// Every combination the renderers distinguish: no scorecard, one (an object in JSON), several.
pub fn result_sets() -> Vec<Vec<ScorecardResult>> {
    vec![
        Vec::new(),
        vec![monthly()],
        vec![snapshot()],
        vec![empty(None)],
        vec![empty(Some(Grouping::Team))],
        vec![monthly(), snapshot(), empty(Some(Grouping::Resource)), empty(None)],
    ]
}

pub fn contexts() -> Vec<Context> {
    let skipped = [("tickets".to_string(), 3), (NASTY.to_string(), usize::MAX), (String::new(), 0)];
    vec![Context::default(), Context { skipped_rows: skipped.into_iter().collect(), ..Context::default() }]
}
