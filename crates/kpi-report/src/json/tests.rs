//! The writer against the serde version it replaced (kept here, unchanged, as the reference).
use super::{json, json_to, write_f64, write_str, Writer};
use crate::test_fixtures::{contexts, result_sets, FLOATS, NASTY};

/// The serde_json rendering `json` replaced, as it was.
mod reference {
    use crate::{Context, Trend};
    use kpi_eval::{ScorecardResult, Status};
    use kpi_hir::Unit;
    use serde::Serialize;
    use std::collections::BTreeMap;

    #[derive(Serialize)]
    struct Report<'a> {
        version: u32,
        as_of: Option<String>,
        scorecards: Vec<Scorecard<'a>>,
    }

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
        score_change: Option<f64>,
        kpis: Vec<Kpi<'a>>,
    }

    #[derive(Serialize)]
    struct Period<'a> {
        label: &'a str,
        start: String,
        end: String,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        partial: bool,
    }

    #[derive(Serialize)]
    struct Kpi<'a> {
        id: &'a str,
        title: &'a str,
        value: Option<Number>,
        change: Option<Number>,
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
    pub enum Number {
        Int(i64),
        Float(f64),
    }

    pub fn number(x: f64, integral: bool) -> Number {
        if integral && x.fract() == 0.0 && x.abs() < 9e15 {
            Number::Int(x as i64)
        } else {
            Number::Float(x)
        }
    }

    pub fn json(results: &[ScorecardResult], context: &Context) -> String {
        let report = Report {
            version: 2,
            as_of: results.first().map(|r| kpi_data::format_timestamp(r.as_of)),
            scorecards: results.iter().map(|r| scorecard(r, context)).collect(),
        };
        let mut out = serde_json::to_string_pretty(&report).expect("scorecards serialize");
        out.push('\n');
        out
    }

    fn scorecard<'a>(r: &'a ScorecardResult, context: &'a Context) -> Scorecard<'a> {
        let group_name = r.group_by.map(|g| g.name());
        let trend = Trend::new(r);
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
                .enumerate()
                .map(|(i, row)| Row {
                    period: row.period.as_ref().map(|p| Period {
                        label: &p.label,
                        start: p.start_date.to_string(),
                        end: p.end_date.to_string(),
                        partial: p.is_partial(r.as_of),
                    }),
                    group: match (group_name, &row.group) {
                        (Some(name), Some(key)) => [(name, key.as_str())].into(),
                        _ => BTreeMap::new(),
                    },
                    group_name: row.group_name.as_deref(),
                    score: row.score,
                    score_change: trend.score_change(r, i).filter(|x| x.is_finite()),
                    kpis: r
                        .kpis
                        .iter()
                        .zip(&row.kpis)
                        .enumerate()
                        .map(|(k_index, (info, k))| Kpi {
                            id: &info.id,
                            title: &info.title,
                            value: k.value.map(|v| number(v, info.unit == Unit::Count)),
                            change: trend
                                .value_change(r, i, k_index)
                                .map(|v| number(v, info.unit == Unit::Count)),
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
}

/// Panics with the first differing line, not two multi-kilobyte strings.
fn assert_same(new: &str, old: &str, what: &str) {
    if new != old {
        let at = new.bytes().zip(old.bytes()).take_while(|(a, b)| a == b).count();
        let line = old[..at].matches('\n').count() + 1;
        let show = |s: &str| s.lines().nth(line - 1).unwrap_or("<end>").to_string();
        panic!("{what}: line {line} differs\n new: {}\n old: {}", show(new), show(old));
    }
}

#[test]
fn same_bytes_as_serde_json() {
    for (i, results) in result_sets().iter().enumerate() {
        for (j, context) in contexts().iter().enumerate() {
            let what = format!("result set {i}, context {j}");
            assert_same(&json(results, context), &reference::json(results, context), &what);
        }
    }
}

#[test]
fn written_as_made_gives_the_same_bytes_and_reports_a_failed_write() {
    for results in result_sets() {
        for context in contexts() {
            let mut out = Vec::new();
            json_to(&results, &context, &mut out).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), json(&results, &context));
        }
    }
    let results = &result_sets()[0];
    let mut full: &mut [u8] = &mut [0u8; 10];
    let e = json_to(results, &contexts()[0], &mut full).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::WriteZero);
}

/// A xorshift generator: many values, no dependency.
fn random(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[test]
fn floats_as_serde_json() {
    let mut seed = 0x2545_f491_4f6c_dd1d;
    let mut floats = FLOATS.to_vec();
    floats.extend((0..100_000).map(|_| f64::from_bits(random(&mut seed))));
    // Short decimals and integers, the common case.
    floats.extend((0..100_000).map(|_| (random(&mut seed) % 2_000_000) as f64 / 1000.0 - 1000.0));
    for x in floats {
        let mut out = String::new();
        write_f64(&mut out, Some(x));
        assert_eq!(out, serde_json::to_string(&x).unwrap(), "{x:e}");
        for integral in [false, true] {
            let mut w = Writer { out: String::new(), depth: 0, empty: true, sink: None };
            w.number("n", Some(x), integral);
            let expected = serde_json::to_string(&reference::number(x, integral)).unwrap();
            assert_eq!(w.out, format!("\n\"n\": {expected}"), "{x:e}");
        }
    }
}

#[test]
fn strings_as_serde_json() {
    let mut seed = 0x9e37_79b9_7f4a_7c15;
    let mut strings: Vec<String> = vec![String::new(), NASTY.into(), (0..=0x7f_u8).map(char::from).collect()];
    for _ in 0..10_000 {
        let len = random(&mut seed) % 12;
        // Mostly ASCII, with control characters and some of the rest of Unicode.
        let s = (0..len)
            .filter_map(|_| match random(&mut seed) % 4 {
                0 => char::from_u32((random(&mut seed) % 0x11_0000) as u32),
                _ => Some(char::from((random(&mut seed) % 0x80) as u8)),
            })
            .collect();
        strings.push(s);
    }
    for s in &strings {
        let mut out = String::new();
        write_str(&mut out, s);
        assert_eq!(out, serde_json::to_string(s).unwrap(), "{s:?}");
    }
}
