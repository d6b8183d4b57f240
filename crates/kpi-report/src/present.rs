//! What the HTML report and the workbook both present: periods and groups in order, the latest
//! period ranked, where a target or weight came from, in words.
use crate::Context;
use kpi_eval::{ParamSource, Period, Provenance, RowResult, ScorecardResult};
use kpi_hir::{CmpOp, Grain, Unit};
use std::collections::HashMap;

/// How the score is computed, for readers of a client report.
pub const SCORE_RULE: &str = "Each row's score is the weighted attainment of the KPIs that have \
data, from 0 to 100: 100 × Σ(weight × attainment) ÷ Σ(weight), over the KPIs with a value. \
Attainment is 1 when the target is met; when it is missed it is value ÷ target for a \"≥\" target \
and target ÷ value for a \"≤\" target (a KPI scored pass/fail counts 0, banded KPIs follow their \
bands). A KPI without data (no_data) is left out of both sums, so it neither raises nor lowers \
the score. The score is not the share of KPIs met.";

/// A scorecard's rows as a grid: periods in order by columns, groups in order by rows.
pub struct Grid<'a> {
    /// In time order; a snapshot has the one `None`.
    pub periods: Vec<Option<&'a Period>>,
    /// The first row of each group, in the order the rows list them.
    pub groups: Vec<&'a RowResult>,
    /// `cells[period * groups + group]`: the row index.
    cells: Vec<Option<usize>>,
}

impl<'a> Grid<'a> {
    pub fn new(r: &'a ScorecardResult) -> Grid<'a> {
        let mut periods: Vec<Option<&Period>> = Vec::new();
        let mut period_of: HashMap<Option<(i64, i64)>, usize> = HashMap::new();
        let mut groups: Vec<&RowResult> = Vec::new();
        let mut group_of: HashMap<Option<&str>, usize> = HashMap::new();
        let mut at = Vec::with_capacity(r.rows.len());
        for row in &r.rows {
            let key = row.period.as_ref().map(|p| (p.start, p.end));
            let p = *period_of.entry(key).or_insert_with(|| {
                periods.push(row.period.as_ref());
                periods.len() - 1
            });
            let g = *group_of.entry(row.group.as_deref()).or_insert_with(|| {
                groups.push(row);
                groups.len() - 1
            });
            at.push((p, g));
        }
        // Periods in time order, whatever order the rows came in.
        let mut order: Vec<usize> = (0..periods.len()).collect();
        order.sort_by_key(|&p| periods[p].map(|p| (p.start, p.end)));
        let mut rank = vec![0; periods.len()];
        for (new, &old) in order.iter().enumerate() {
            rank[old] = new;
        }
        let periods: Vec<Option<&Period>> = order.iter().map(|&p| periods[p]).collect();
        let mut cells = vec![None; periods.len() * groups.len()];
        for (i, &(p, g)) in at.iter().enumerate() {
            cells[rank[p] * groups.len() + g] = Some(i);
        }
        Grid { periods, groups, cells }
    }

    /// The row of (period, group), if the scorecard has one.
    pub fn row(&self, period: usize, group: usize) -> Option<usize> {
        self.cells.get(period * self.groups.len() + group).copied().flatten()
    }

    /// The rows of the latest period, best score first (no score last), then by group key.
    pub fn ranked_latest(&self, r: &ScorecardResult) -> Vec<usize> {
        let Some(latest) = self.periods.len().checked_sub(1) else { return Vec::new() };
        let mut rows: Vec<usize> = (0..self.groups.len()).filter_map(|g| self.row(latest, g)).collect();
        rows.sort_by(|&a, &b| {
            let (a, b) = (&r.rows[a], &r.rows[b]);
            let score = |row: &RowResult| row.score.filter(|s| s.is_finite());
            match (score(a), score(b)) {
                (Some(x), Some(y)) => y.total_cmp(&x),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            }
            .then_with(|| a.group.cmp(&b.group))
        });
        rows
    }
}

/// `Acme Dental (C0001)`, the key alone without a name, `Company-wide` without a group.
pub fn group_label(row: &RowResult) -> String {
    match (&row.group, &row.group_name) {
        (Some(key), Some(name)) if name != key && !name.is_empty() => format!("{name} ({key})"),
        (Some(key), _) => key.clone(),
        (None, _) => "Company-wide".into(),
    }
}

/// `2026-09`, `2026-10 (partial)`, `snapshot`.
pub fn period_label(period: Option<&Period>, as_of: i64) -> String {
    match period {
        Some(p) if p.is_partial(as_of) => format!("{} (partial)", p.label),
        Some(p) => p.label.clone(),
        None => "snapshot".into(),
    }
}

pub fn is_partial(period: Option<&Period>, as_of: i64) -> bool {
    period.is_some_and(|p| p.is_partial(as_of))
}

/// `monthly, per client` or `snapshot, company-wide`.
pub fn cadence(r: &ScorecardResult) -> String {
    let grain = match r.grain {
        Grain::Snapshot => "snapshot".to_string(),
        g => format!("{}ly", g.name()),
    };
    let per = r.group_by.map_or("company-wide".to_string(), |g| format!("per {}", g.name()));
    format!("{grain}, {per}")
}

/// What a group is called in headings: `Client`, `Resource`; `Company` without one.
pub fn group_heading(r: &ScorecardResult) -> String {
    let name = r.group_by.map_or("company", |g| g.name());
    let mut c = name.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// The unit in words.
pub fn unit_words(unit: Unit) -> &'static str {
    match unit {
        Unit::Ratio => "percentage",
        Unit::Hours => "hours",
        Unit::Count => "count",
        Unit::Currency => "currency",
        Unit::Plain | Unit::Number => "number",
    }
}

/// Whether a change moves the value toward meeting a target of `op`; `None` for no change.
pub fn is_better(op: CmpOp, change: f64) -> Option<bool> {
    if change == 0.0 {
        return None;
    }
    Some(matches!(op, CmpOp::Ge | CmpOp::Gt) == (change > 0.0))
}

/// Where a target or weight came from, in words: the rule clause, a param and where its value
/// was set, or a client config key.
pub fn provenance(p: &Provenance, context: &Context) -> String {
    match p {
        Provenance::Rule(origin) => format!("rule file {}", context.location(*origin)),
        Provenance::Config(key) => format!("client config {key}"),
        Provenance::Param { name, source, used_at } => {
            let set_by = match source {
                ParamSource::Default => "its default in the rules".to_string(),
                ParamSource::Config(key) => format!("client config {key}"),
                ParamSource::CommandLine => "--param on the command line".to_string(),
            };
            format!("param {name} (used at {}), set by {set_by}", context.location(*used_at))
        }
    }
}

/// The skipped rows of `--skip-bad-rows`, in words.
pub fn skipped_text(context: &Context) -> Option<String> {
    if context.skipped_rows.is_empty() {
        return None;
    }
    let parts: Vec<String> = context.skipped_rows.iter().map(|(t, n)| format!("{t} {n}")).collect();
    Some(format!("Rows left out of the data as bad (--skip-bad-rows): {}.", parts.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_fixtures::monthly;

    #[test]
    fn the_grid_finds_a_row_of_every_period_and_group() {
        let r = monthly();
        let grid = Grid::new(&r);
        let key = |i: usize| {
            let row = &r.rows[i];
            (row.period.as_ref().map(|p| (p.start, p.end)), row.group.clone())
        };
        for i in 0..r.rows.len() {
            let p = grid.periods.iter().position(|p| p.map(|p| (p.start, p.end)) == key(i).0).unwrap();
            let g = grid.groups.iter().position(|g| g.group == key(i).1).unwrap();
            assert_eq!(key(grid.row(p, g).unwrap()), key(i));
        }
        let starts: Vec<i64> = grid.periods.iter().map(|p| p.unwrap().start).collect();
        assert!(starts.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn lines_are_counted_from_one() {
        let file = crate::RuleFile::new("a.kpi", "one\ntwo\nthree");
        assert_eq!([file.line(0), file.line(3), file.line(4), file.line(99)], [1, 1, 2, 3]);
    }
}
