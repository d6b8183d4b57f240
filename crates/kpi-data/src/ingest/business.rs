//! Value checks of the data contract v1.1 tables (warnings): lifetimes that end before they start,
//! devices reviewed before they were discovered, opportunities closed without an outcome, and
//! resources without a labour cost.
use super::checks::Warnings;
use super::merge::Lines;
use crate::{ColumnData, Table};
use kpi_schema::{ColumnType, TABLES};

/// Warns of suspicious but usable values of the business tables; every row is kept. Resources
/// without a `cost_per_hour` are warned of when rules read the column (`cost_read`), or when the
/// file gives some resources a cost and not others.
pub(super) fn check_business_values(
    tables: &[Table],
    lines: &[Lines],
    files: &[String],
    cost_read: bool,
    w: &mut Warnings,
) {
    for (ti, schema) in TABLES.iter().enumerate() {
        let table = &tables[ti];
        if !table.present {
            continue;
        }
        let file = &files[ti];
        let line = |row: usize| lines[ti].get(row) as usize;
        if let Some(life) = schema.lifetime.filter(|_| schema.needs_file_when_read) {
            // An inclusive end date may equal the start (a one-day contract); an instant may not
            // come before it.
            let inclusive = schema.column(life.end).is_some_and(|c| c.ty == ColumnType::Date);
            for (row, start, end) in pairs(table, life.start, life.end) {
                if end < start && !(inclusive && end == start) {
                    w.push(file, life.end, line(row), format!("{} is before {}", life.end, life.start));
                }
            }
            w.describe(file, life.end, format!("with {} before {}", life.end, life.start));
        }
        match schema.name {
            "devices" => {
                for (row, discovered, reviewed) in pairs(table, "discovered_at", "reviewed_at") {
                    if reviewed < discovered {
                        w.push(file, "reviewed_at", line(row), "reviewed_at is before discovered_at".into());
                    }
                }
                w.describe(file, "reviewed_at", "with reviewed_at before discovered_at".into());
            }
            "opportunities" => {
                let (Some(closed), Some(outcome)) = (table.loaded("closed_at"), table.loaded("outcome"))
                else {
                    continue;
                };
                let ColumnData::Text(text) = &outcome.data else { continue };
                for row in 0..table.len {
                    let known = matches!(text.get(row), Some("won" | "lost"));
                    if closed.is_valid(row) && !known {
                        w.push(
                            file,
                            "outcome",
                            line(row),
                            "closed without an outcome `won` or `lost`: left out of win rates".into(),
                        );
                    }
                }
                w.describe(file, "outcome", "closed without an outcome".into());
            }
            "resources" => {
                let Some(cost) = table.loaded("cost_per_hour") else { continue };
                let missing = (0..table.len).filter(|&r| !cost.is_valid(r)).count();
                if missing > 0 && (cost_read || missing < table.len) {
                    w.push(
                        file,
                        "cost_per_hour",
                        0,
                        format!(
                            "{} without a cost_per_hour: labour cost uses the param `default_cost_per_hour` for them",
                            crate::error::count(missing, "resource")
                        ),
                    );
                }
            }
            _ => {}
        }
    }
}

/// The rows where both timestamp (or date) columns have a value: (row, a, b).
fn pairs<'t>(table: &'t Table, a: &str, b: &str) -> impl Iterator<Item = (usize, i64, i64)> + 't {
    let column = |name: &str| {
        let c = table.loaded(name)?;
        match &c.data {
            ColumnData::Timestamp(v) => Some((c, v)),
            _ => None,
        }
    };
    let both = column(a).zip(column(b));
    (0..table.len).filter_map(move |row| {
        let ((ca, va), (cb, vb)) = both?;
        (ca.is_valid(row) && cb.is_valid(row)).then(|| (row, va[row], vb[row]))
    })
}
