//! The direct CSV writer against the version it replaced (kept here, unchanged, as the reference).
use super::csv;
use crate::test_fixtures::{contexts, result_sets};

/// The CSV rendering `csv` replaced, as it was.
mod reference {
    use super::super::skipped_line;
    use crate::Context;
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
        x.map(|v| format!("{v}")).unwrap_or_default()
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
        ]);
        let _ = writeln!(out, "{}", header.join(","));
        for r in results {
            for row in &r.rows {
                for (info, k) in r.kpis.iter().zip(&row.kpis) {
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
                        format!("{}", info.target),
                        format!("{}", info.weight),
                        raw(k.attainment),
                        raw(row.score),
                        row.period.as_ref().is_some_and(|p| p.is_partial(r.as_of)).to_string(),
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
