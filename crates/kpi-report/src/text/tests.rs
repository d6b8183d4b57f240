//! The direct CSV writer against a plain reference version, built field by field.
use super::csv;
use crate::test_fixtures::{contexts, result_sets};

/// The CSV rendering `csv` replaced, as it was.
mod reference {
    use super::super::{skipped_line, without_noise};
    use crate::{Context, Trend};
    use kpi_eval::ScorecardResult;
    use std::fmt::Write as _;

    fn csv_field(s: &str) -> String {
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    }

    fn raw(x: Option<f64>) -> String {
        x.map(|v| format!("{}", without_noise(v))).unwrap_or_default()
    }

    /// One line per (row, KPI). Skipped rows, when any, are a leading `#` comment line.
    pub fn csv(results: &[ScorecardResult], context: &Context) -> String {
        let mut out = String::new();
        if let Some(line) = skipped_line(context) {
            let _ = writeln!(out, "# {line}");
        }
        let mut group_names: Vec<&str> =
            results.iter().filter_map(|r| r.group_by.map(|g| g.name())).collect();
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
            let trend = Trend::new(r);
            for (i, row) in r.rows.iter().enumerate() {
                for (kpi, (info, k)) in r.kpis.iter().zip(&row.kpis).enumerate() {
                    let mut fields = vec![
                        csv_field(&r.id),
                        row.period.as_ref().map_or(String::new(), |p| p.label.clone()),
                    ];
                    for name in &group_names {
                        let mine = r.group_by.is_some_and(|g| g.name() == *name);
                        fields.push(if mine {
                            csv_field(row.group.as_deref().unwrap_or(""))
                        } else {
                            String::new()
                        });
                    }
                    fields.extend([
                        csv_field(&info.id),
                        raw(k.value),
                        info.unit.name().to_string(),
                        k.status.name().to_string(),
                        info.op.symbol().to_string(),
                        raw(Some(info.target)),
                        raw(Some(info.weight)),
                        raw(k.attainment),
                        raw(row.score),
                        row.period.as_ref().is_some_and(|p| p.is_partial(r.as_of)).to_string(),
                        raw(trend.value_change(r, i, kpi)),
                        raw(trend.score_change(r, i)),
                        csv_field(&info.title),
                        csv_field(row.group_name.as_deref().unwrap_or("")),
                    ]);
                    let _ = writeln!(out, "{}", fields.join(","));
                }
            }
        }
        out
    }
}

#[test]
fn same_bytes_as_before() {
    for (i, results) in result_sets().iter().enumerate() {
        for (j, context) in contexts().iter().enumerate() {
            assert_eq!(
                csv(results, context),
                reference::csv(results, context),
                "result set {i}, context {j}"
            );
        }
    }
}

#[test]
fn numbers_lose_float_noise_only() {
    use super::without_noise;
    assert_eq!(format!("{}", without_noise(0.7499999999999999)), "0.75");
    assert_eq!(format!("{}", without_noise(0.1 + 0.2)), "0.3");
    assert_eq!(without_noise(0.8125), 0.8125);
    assert_eq!(without_noise(1.0 / 3.0), 0.333333333333333);
    assert_eq!(without_noise(-2.5e-7), -2.5e-7);
    assert!(without_noise(f64::NAN).is_nan());
    assert_eq!(without_noise(f64::INFINITY), f64::INFINITY);
}
