//! Trends: every value and score against the previous period of the same group.
use kpi_eval::ScorecardResult;
use std::collections::HashMap;

/// For each row of a scorecard, the row of the same group in the period just before it.
///
/// The previous period is the one that ends where this one starts; a group that had no row
/// then (or a snapshot) has no change. A change is `value - previous value` in the KPI's unit
/// (for a ratio, 0.05 is five percentage points).
pub struct Trend {
    previous: Vec<Option<usize>>,
}

impl Trend {
    pub fn new(r: &ScorecardResult) -> Trend {
        let mut by_end: HashMap<(Option<&str>, i64), usize> = HashMap::with_capacity(r.rows.len());
        for (i, row) in r.rows.iter().enumerate() {
            if let Some(p) = &row.period {
                by_end.insert((row.group.as_deref(), p.end), i);
            }
        }
        let previous = r
            .rows
            .iter()
            .enumerate()
            .map(|(i, row)| {
                let p = row.period.as_ref()?;
                by_end.get(&(row.group.as_deref(), p.start)).copied().filter(|&j| j != i)
            })
            .collect();
        Trend { previous }
    }

    /// The index of the row's previous-period row.
    pub fn previous(&self, row: usize) -> Option<usize> {
        self.previous.get(row).copied().flatten()
    }

    /// The row score's change; `None` when either score is.
    pub fn score_change(&self, r: &ScorecardResult, row: usize) -> Option<f64> {
        let before = self.previous(row)?;
        difference(r.rows[row].score, r.rows[before].score)
    }

    /// The change of the value of the scorecard's `kpi`-th KPI; `None` when either value is.
    pub fn value_change(&self, r: &ScorecardResult, row: usize, kpi: usize) -> Option<f64> {
        let before = self.previous(row)?;
        difference(r.rows[row].kpis[kpi].value, r.rows[before].kpis[kpi].value)
    }
}

fn difference(now: Option<f64>, before: Option<f64>) -> Option<f64> {
    let change = now? - before?;
    change.is_finite().then_some(change)
}

#[cfg(test)]
mod tests {
    use super::Trend;
    use crate::test_fixtures::{kpi, period, result};
    use kpi_eval::{RowResult, ScorecardResult, Status};
    use kpi_hir::{CmpOp, Grain, Unit};
    use kpi_schema::Grouping;

    fn row(month: u32, group: &str, score: Option<f64>, value: Option<f64>) -> RowResult {
        RowResult {
            period: Some(period(&format!("2026-{month:02}"), (2026, month, 1), (2026, month + 1, 1))),
            group: Some(group.into()),
            group_name: None,
            score,
            kpis: vec![result(value, Status::Met, value, 1)],
        }
    }

    #[test]
    fn changes_follow_the_same_group_and_skip_gaps() {
        let r = ScorecardResult {
            id: "s".into(),
            title: "S".into(),
            description: String::new(),
            grain: Grain::Month,
            group_by: Some(Grouping::Client),
            as_of: 0,
            kpis: vec![kpi("sla", "SLA", Unit::Ratio, CmpOp::Ge, 0.9, 1.0)],
            rows: vec![
                row(1, "A", Some(80.0), Some(0.5)),
                row(1, "B", Some(70.0), Some(0.25)),
                row(2, "A", Some(90.0), None),
                row(2, "B", None, Some(0.75)),
                // A has no row in March: April has no previous period.
                row(3, "B", Some(60.0), Some(1.0)),
                row(4, "A", Some(50.0), Some(0.5)),
            ],
            errors: Vec::new(),
        };
        let t = Trend::new(&r);
        let scores: Vec<Option<f64>> = (0..r.rows.len()).map(|i| t.score_change(&r, i)).collect();
        assert_eq!(scores, [None, None, Some(10.0), None, None, None]);
        let values: Vec<Option<f64>> = (0..r.rows.len()).map(|i| t.value_change(&r, i, 0)).collect();
        assert_eq!(values, [None, None, None, Some(0.5), Some(0.25), None]);
    }
}
