//! A per-table summary of a loaded dataset, for `kpi data check`.
use crate::{ColumnData, Dataset};
use chrono::TimeZone;

/// What `kpi data check` shows for one table.
#[derive(Debug, Clone, PartialEq)]
pub struct TableSummary {
    pub name: String,
    /// The file read, or `None` for an absent optional table.
    pub file: Option<String>,
    pub rows: usize,
    pub skipped: usize,
    /// The table's main timestamp column and its range as dates in the dataset zone.
    pub date_range: Option<(&'static str, String, String)>,
    /// (column, null cells) for the columns that matter most to the KPIs.
    pub nulls: Vec<(&'static str, usize)>,
    pub warnings: usize,
    pub custom_columns: Vec<String>,
}

fn main_timestamp(table: &str) -> Option<&'static str> {
    match table {
        "tickets" => Some("created_at"),
        "time_entries" => Some("started_at"),
        "surveys" => Some("responded_at"),
        "contracts" => Some("start_date"),
        "devices" => Some("discovered_at"),
        "billing_items" => Some("posted_at"),
        "projects" => Some("start_date"),
        "opportunities" => Some("created_at"),
        _ => None,
    }
}

fn key_columns(table: &str) -> &'static [&'static str] {
    match table {
        "resources" => &["team", "hours_per_day", "cost_per_hour"],
        "clients" => &[],
        "tickets" => &["client_id", "assigned_resource_id", "completed_at", "ticket_type", "resolved_due"],
        "time_entries" => &["ticket_id", "created_at", "project_id"],
        "surveys" => &["ticket_id", "resource_id", "client_id"],
        "contracts" => &["contract_type", "end_date"],
        "devices" => &["contract_id", "reviewed_at", "retired_at"],
        "billing_items" => &["contract_id"],
        "projects" => &["client_id", "budget_hours", "due_date", "completed_at"],
        "opportunities" => &["client_id", "closed_at", "outcome"],
        _ => &[],
    }
}

/// One summary per canonical table, in schema order.
pub fn summarize(d: &Dataset) -> Vec<TableSummary> {
    d.tables
        .iter()
        .map(|t| {
            let file =
                kpi_schema::TableId::from_name(&t.name).and_then(|id| d.file_of(id)).map(str::to_string);
            let date_range = main_timestamp(&t.name).and_then(|name| {
                let col = t.loaded(name)?;
                let ColumnData::Timestamp(v) = &col.data else { return None };
                let mut it = v.iter().enumerate().filter(|(r, _)| col.is_valid(*r)).map(|(_, &x)| x);
                let first = it.next()?;
                let (lo, hi) = it.fold((first, first), |(lo, hi), x| (lo.min(x), hi.max(x)));
                let day = |micros: i64| {
                    d.timezone
                        .timestamp_micros(micros)
                        .single()
                        .map(|x| x.format("%Y-%m-%d").to_string())
                        .unwrap_or_default()
                };
                Some((name, day(lo), day(hi)))
            });
            let nulls = key_columns(&t.name)
                .iter()
                .filter_map(|&c| t.loaded(c).map(|col| (c, if t.present { col.null_count() } else { 0 })))
                .collect();
            let warnings = match &file {
                Some(f) => d.warnings.iter().filter(|w| &w.file == f).map(|w| w.count).sum(),
                None => 0,
            };
            TableSummary {
                name: t.name.clone(),
                file,
                rows: t.len,
                skipped: d.skipped(&t.name),
                date_range,
                nulls,
                warnings,
                custom_columns: t.columns.iter().filter(|c| c.custom).map(|c| c.name.clone()).collect(),
            }
        })
        .collect()
}
