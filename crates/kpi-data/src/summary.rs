//! A per-table summary of a loaded dataset, for `kpi data check`.
use crate::Dataset;

/// What `kpi data check` shows for one table.
#[derive(Debug, Clone)]
pub struct TableSummary {
    pub name: String,
}

pub fn summarize(_dataset: &Dataset) -> Vec<TableSummary> {
    Vec::new()
}
