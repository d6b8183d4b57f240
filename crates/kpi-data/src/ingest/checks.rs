//! After the files are read: row errors gathered, links resolved, references and values checked (warnings).
use super::chunk::shown_value;
use super::merge::Lines;
use super::Loaded;
use crate::error::{count, DataError, DataWarning, LoadErrors, ERROR_CAP};
use crate::{Column, ColumnData, Table};
use kpi_schema::TABLES;
use rayon::prelude::*;
use std::collections::BTreeMap;

/// Warnings of one kind in one file listed before they are only counted.
const WARNING_CAP: usize = 20;

/// Moves the tables' row errors, in table and line order, into `errors`, or with `skip_bad_rows`
/// into warnings (the row was left out); returns the rows left out per table.
pub(super) fn row_errors(
    loaded: &mut [Option<Loaded>],
    skip_bad_rows: bool,
    errors: &mut LoadErrors,
    warnings: &mut Warnings,
) -> BTreeMap<String, usize> {
    let mut row_errors: Vec<DataError> = Vec::new();
    let mut more_row_errors = 0;
    let mut skipped_rows = BTreeMap::new();
    for (l, schema) in loaded.iter_mut().zip(TABLES) {
        let Some(l) = l else { continue };
        if l.table.skipped > 0 {
            skipped_rows.insert(schema.name.to_string(), l.table.skipped);
        }
        let mut table_errors = std::mem::take(&mut l.table.errors);
        // Errors that no option can leave out (a duplicate id) fail the load.
        for e in table_errors.extract_if_file_level() {
            errors.push(e);
        }
        if skip_bad_rows {
            // One warning per row left out (its first error); the rows whose errors were only
            // counted, in one line naming this table's file.
            let mut warned = 0;
            let mut last_line = None;
            for e in &table_errors {
                if e.line.is_some() && e.line == last_line {
                    continue;
                }
                last_line = e.line;
                warned += 1;
                let mut e = e.clone();
                let line = e.line.take().unwrap_or(0);
                warnings.push(&e.file.clone(), "skipped", line, format!("row left out: {}", error_body(&e)));
            }
            let unlisted = l.table.skipped.saturating_sub(warned);
            if l.table.more_errors > 0 && unlisted > 0 {
                warnings.push_counted(
                    &l.plan.file,
                    "skipped-more",
                    0,
                    format!("{} of {} left out for errors", count(unlisted, "more row"), schema.name),
                    unlisted,
                );
            }
        } else {
            row_errors.append(&mut table_errors);
            more_row_errors += l.table.more_errors;
        }
    }
    if !skip_bad_rows {
        let listed = row_errors.len().min(ERROR_CAP.saturating_sub(errors.errors.len()));
        let extra = row_errors.len() - listed;
        for e in row_errors.into_iter().take(listed) {
            errors.push(e);
        }
        errors.more += extra + more_row_errors;
    }
    skipped_rows
}

/// Taking the errors that concern more than one row out of a table's row errors.
trait FileLevel {
    fn extract_if_file_level(&mut self) -> Vec<DataError>;
}

impl FileLevel for Vec<DataError> {
    fn extract_if_file_level(&mut self) -> Vec<DataError> {
        let (file_level, rows): (Vec<DataError>, Vec<DataError>) =
            std::mem::take(self).into_iter().partition(|e| !e.row_level);
        *self = rows;
        file_level
    }
}

/// An error's text without its location, for a warning that carries the line itself.
fn error_body(e: &DataError) -> String {
    match (&e.header, e.column) {
        (Some(h), Some(c)) => format!("field {c}, column `{h}`: {}", e.message),
        (Some(h), None) => format!("column `{h}`: {}", e.message),
        _ => e.message.clone(),
    }
}

/// For every table and link, the target row of each row (`u32::MAX` when null or dangling).
pub(crate) fn resolve_links(tables: &[Table]) -> Vec<Vec<Vec<u32>>> {
    TABLES
        .par_iter()
        .zip(tables)
        .map(|(schema, table)| {
            schema
                .links
                .par_iter()
                .map(|link| {
                    let Some(target) =
                        TABLES.iter().position(|t| t.name == link.table).and_then(|i| tables.get(i))
                    else {
                        return vec![u32::MAX; table.len];
                    };
                    let Some(ColumnData::Text(col)) = table.column(link.column).map(|c| &c.data) else {
                        return vec![u32::MAX; table.len];
                    };
                    // Exports list children in the order of their parents: try the row after the
                    // last one found before a hash lookup.
                    let target_ids = match target.column("id").map(|c| &c.data) {
                        Some(ColumnData::Text(ids)) => Some(ids),
                        _ => None,
                    };
                    // In parallel pieces of the dictionary, each guessing from its own last row.
                    const PIECE: usize = 1 << 14;
                    let n = col.dict.len();
                    let by_code: Vec<u32> = (0..n.div_ceil(PIECE))
                        .into_par_iter()
                        .flat_map_iter(|piece| {
                            let mut next = 0u32;
                            (piece * PIECE..n.min((piece + 1) * PIECE)).map(move |code| {
                                let id = &col.dict[code];
                                let row = match target_ids {
                                    Some(ids)
                                        if ids.codes.get(next as usize) == Some(&next)
                                            && ids.text(next) == Some(id) =>
                                    {
                                        Some(next)
                                    }
                                    _ => target.row_of_id(id),
                                };
                                next = row.map_or(next, |r| r.wrapping_add(1));
                                row.unwrap_or(u32::MAX)
                            })
                        })
                        .collect();
                    col.codes.iter().map(|&c| by_code.get(c as usize).copied().unwrap_or(u32::MAX)).collect()
                })
                .collect()
        })
        .collect()
}

/// Collects warnings, listing the first few of each kind per file and counting the rest.
#[derive(Default)]
pub(super) struct Warnings {
    list: Vec<DataWarning>,
    counts: BTreeMap<(String, &'static str), usize>,
    more: BTreeMap<(String, &'static str), String>,
}

impl Warnings {
    pub(super) fn push(&mut self, file: &str, kind: &'static str, line: usize, message: String) {
        self.push_counted(file, kind, line, message, 1);
    }

    /// One warning standing for `count` rows.
    pub(super) fn push_counted(
        &mut self,
        file: &str,
        kind: &'static str,
        line: usize,
        message: String,
        count: usize,
    ) {
        let n = self.counts.entry((file.to_string(), kind)).or_insert(0);
        *n += 1;
        if *n <= WARNING_CAP {
            self.list.push(DataWarning { file: file.to_string(), line, message, count });
        }
    }

    /// Adds the warnings of `other`, whose kinds are not in `self`.
    pub(super) fn append(&mut self, other: Warnings) {
        self.list.extend(other.list);
        self.counts.extend(other.counts);
        self.more.extend(other.more);
    }

    /// How to describe the unlisted rest of a kind.
    pub(super) fn describe(&mut self, file: &str, kind: &'static str, what: String) {
        self.more.insert((file.to_string(), kind), what);
    }

    pub(super) fn finish(mut self) -> Vec<DataWarning> {
        for ((file, kind), n) in &self.counts {
            if *n > WARNING_CAP {
                let what =
                    self.more.get(&(file.clone(), *kind)).cloned().unwrap_or_else(|| "like these".into());
                self.list.push(DataWarning {
                    file: file.clone(),
                    line: 0,
                    message: format!("{} {what}", count(n - WARNING_CAP, "more row")),
                    count: n - WARNING_CAP,
                });
            }
        }
        self.list
    }
}

/// Warns of references to ids that are not in their table (when that table is present). The
/// references to rows left out for errors (`left_out[table]`: their ids) are one warning per
/// link with a count: they follow from the row's own warning.
pub(super) fn check_links(
    tables: &[Table],
    links: &[Vec<Vec<u32>>],
    lines: &[Lines],
    files: &[String],
    left_out: &[std::collections::HashSet<String>],
    w: &mut Warnings,
) {
    for (ti, schema) in TABLES.iter().enumerate() {
        let table = &tables[ti];
        for (li, link) in schema.links.iter().enumerate() {
            let Some(target) = TABLES.iter().position(|t| t.name == link.table) else { continue };
            if !tables[target].present {
                continue;
            }
            let Some(col) = table.column(link.column) else { continue };
            let ColumnData::Text(text) = &col.data else { continue };
            let kind: &'static str = link.column;
            // Rows referring to rows left out: how many, the first's line, a few of the ids.
            let (mut follow_on, mut first_line, mut ids, mut more_ids) =
                (0usize, 0usize, Vec::<&str>::new(), false);
            for (row, &t) in links[ti][li].iter().enumerate() {
                if t == u32::MAX && col.is_valid(row) {
                    let id = text.get(row).unwrap_or("");
                    if left_out[target].contains(id) {
                        if follow_on == 0 {
                            first_line = lines[ti].get(row) as usize;
                        }
                        follow_on += 1;
                        if !ids.contains(&id) {
                            if ids.len() < 5 {
                                ids.push(id);
                            } else {
                                more_ids = true;
                            }
                        }
                        continue;
                    }
                    w.push(
                        &files[ti],
                        kind,
                        lines[ti].get(row) as usize,
                        format!(
                            "{} `{}` is not an id in {} (the row is kept)",
                            link.column,
                            shown_value(id),
                            files[target]
                        ),
                    );
                }
            }
            w.describe(
                &files[ti],
                kind,
                format!("with a `{}` that is not in {}", link.column, files[target]),
            );
            if follow_on > 0 {
                let mut shown: Vec<String> = ids.iter().map(|id| format!("`{}`", shown_value(id))).collect();
                if more_ids {
                    shown.push("...".into());
                }
                let rows = if follow_on == 1 {
                    "1 row has".to_string()
                } else {
                    format!("{follow_on} rows (the first on this line) have")
                };
                w.push_counted(
                    &files[ti],
                    "left-out",
                    first_line,
                    format!(
                        "{rows} a {} of a row left out of {} for errors ({}): the rows are kept, without their {}",
                        link.column,
                        files[target],
                        shown.join(", "),
                        link.name
                    ),
                    follow_on,
                );
            }
        }
    }
}

fn timestamps<'a>(table: &'a Table, name: &str) -> Option<(&'a Column, &'a [i64])> {
    let col = table.loaded(name)?;
    match &col.data {
        ColumnData::Timestamp(v) => Some((col, v)),
        _ => None,
    }
}

/// Warns of milestones before a ticket's creation, time entries ending before they start, negative hours.
pub(super) fn check_values(tables: &[Table], lines: &[Lines], files: &[String], w: &mut Warnings) {
    use crate::value::format_timestamp as ts;
    for (ti, schema) in TABLES.iter().enumerate() {
        let table = &tables[ti];
        if !table.present {
            continue;
        }
        let file = &files[ti];
        let line = |row: usize| lines[ti].get(row) as usize;
        if schema.name == "tickets" {
            let Some((_, created)) = timestamps(table, "created_at") else { continue };
            const MILESTONES: [&str; 7] = [
                "completed_at",
                "first_response_due",
                "first_response_at",
                "resolution_plan_due",
                "resolution_plan_at",
                "resolved_due",
                "resolved_at",
            ];
            for name in MILESTONES {
                let Some((col, values)) = timestamps(table, name) else { continue };
                for (row, (&v, &c)) in values.iter().zip(created).enumerate() {
                    if v < c && col.is_valid(row) {
                        w.push(
                            file,
                            name,
                            line(row),
                            format!("{name} {} is before created_at {}", ts(v), ts(c)),
                        );
                    }
                }
                w.describe(file, name, format!("with {name} before created_at"));
            }
        }
        if schema.name == "time_entries" {
            if let (Some((_, started)), Some((_, ended))) =
                (timestamps(table, "started_at"), timestamps(table, "ended_at"))
            {
                for (row, (&s, &e)) in started.iter().zip(ended).enumerate() {
                    if e < s {
                        w.push(
                            file,
                            "ended_at",
                            line(row),
                            format!("ended_at {} is before started_at {}", ts(e), ts(s)),
                        );
                    }
                }
                w.describe(file, "ended_at", "with ended_at before started_at".into());
            }
            if let Some(ColumnData::Number(hours)) = table.loaded("hours").map(|c| &c.data) {
                for (row, &h) in hours.iter().enumerate() {
                    if h < 0.0 {
                        w.push(file, "hours", line(row), format!("negative hours {h}"));
                    }
                }
                w.describe(file, "hours", "with negative hours".into());
            }
        }
    }
}

/// Warnings of timestamps outside `span` (a `created_at` of 0001-01-01, an `ended_at` of 2126):
/// the first few per column and file with their line, then a count. The rows are kept; the
/// evaluator's default period range ignores such timestamps. Columns are scanned in parallel,
/// in blocks whose bounds are checked first (nearly every block is wholly inside).
pub fn implausible_timestamps(dataset: &crate::Dataset, span: &crate::Plausible) -> Vec<DataWarning> {
    use crate::value::format_timestamp as ts;
    const BLOCK: usize = 1 << 14;
    // Every (table, column) holding timestamps, and the rows outside the span.
    let columns: Vec<(usize, &'static str, &Column, &[i64])> = TABLES
        .iter()
        .zip(&dataset.tables)
        .enumerate()
        .filter(|(_, (_, table))| table.present)
        .flat_map(|(ti, (schema, table))| {
            schema
                .columns
                .iter()
                .filter_map(move |c| timestamps(table, c.name).map(|(col, v)| (ti, c.name, col, v)))
        })
        .collect();
    let outside: Vec<Vec<usize>> = columns
        .par_iter()
        .map(|&(_, _, col, values)| {
            let valid = col.valid.as_deref();
            values
                .par_chunks(BLOCK)
                .enumerate()
                .flat_map_iter(|(b, block)| {
                    let (lo, hi) =
                        block.iter().fold((i64::MAX, i64::MIN), |(lo, hi), &t| (lo.min(t), hi.max(t)));
                    let all_inside = block.is_empty() || (span.contains(lo) && span.contains(hi));
                    let start = b * BLOCK;
                    let rows = if all_inside { 0..0 } else { 0..block.len() };
                    rows.filter(move |&k| !span.contains(block[k]) && valid.is_none_or(|v| v[start + k]))
                        .map(move |k| start + k)
                })
                .collect()
        })
        .collect();
    let mut w = Warnings::default();
    for ((ti, name, _, values), rows) in columns.iter().zip(outside) {
        let file = dataset.files.get(*ti).map_or("", |f| f.as_str());
        for row in rows {
            let line = dataset.lines.get(*ti).map_or(0, |l| l.get(row) as usize);
            w.push(
                file,
                name,
                line,
                format!(
                    "{name} {} is outside the plausible span {} .. {} (the row is kept; the default period range ignores it)",
                    ts(values[row]),
                    span.from,
                    span.to
                ),
            );
        }
        w.describe(file, name, format!("with {name} outside the plausible span"));
    }
    w.finish()
}

/// A survey with no technician counts for its ticket's: a null `surveys.resource_id` (or an
/// absent column) takes the `assigned_resource_id` of the survey's ticket, so that KPIs per
/// resource or team (`cx`) count it, and `resource.name` of the survey reads it. Autotask's
/// SurveyResults, for one, have no resource. Done before links are resolved; the rows filled are
/// counted in one warning on the surveys file (`kpi data check` shows it).
pub(super) fn survey_resources_from_tickets(tables: &mut [Table], files: &[String], warnings: &mut Warnings) {
    let (si, ti) = (kpi_schema::TableId::Surveys as usize, kpi_schema::TableId::Tickets as usize);
    let fills: Vec<(usize, String)> = {
        let (surveys, tickets) = (&tables[si], &tables[ti]);
        let (Some(resource), Some(ColumnData::Text(ticket_ids)), Some(ColumnData::Text(assigned))) = (
            surveys.loaded("resource_id"),
            surveys.loaded("ticket_id").map(|c| &c.data),
            tickets.loaded("assigned_resource_id").map(|c| &c.data),
        ) else {
            return;
        };
        (0..surveys.len)
            .filter(|&r| !resource.is_valid(r))
            .filter_map(|r| {
                let ticket = tickets.row_of_id(ticket_ids.get(r)?)?;
                Some((r, assigned.get(ticket as usize)?.to_string()))
            })
            .collect()
    };
    if fills.is_empty() {
        return;
    }
    let surveys = &mut tables[si];
    let len = surveys.len;
    let Some(column) = surveys.columns.iter_mut().find(|c| c.name == "resource_id") else { return };
    let ColumnData::Text(text) = &mut column.data else { return };
    if text.codes.len() < len {
        text.codes.to_mut().resize(len, crate::NULL_CODE);
    }
    let valid = column.valid.get_or_insert_with(|| crate::Buf::from(vec![false; len]));
    for (row, id) in &fills {
        let code = text.intern(id);
        text.codes.to_mut()[*row] = code;
        valid.to_mut()[*row] = true;
    }
    if valid.iter().all(|&v| v) {
        column.valid = None;
    }
    let n = fills.len();
    warnings.push_counted(
        &files[si],
        "resource-from-ticket",
        0,
        match n {
            1 => "1 survey has no resource_id: it counts for its ticket's assigned_resource_id".to_string(),
            _ => {
                format!("{n} surveys have no resource_id: each counts for its ticket's assigned_resource_id")
            }
        },
        n,
    );
}
