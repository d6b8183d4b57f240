//! Merging chunks into a table's columns in file order: ids checked for duplicates, each row's line kept.
use super::chunk::{shown_value, Chunk, ROW_ERROR_LIMIT};
use super::plan::{plan_columns, Plan, SourceFields};
use crate::build::{ColBuf, Values};
use crate::error::DataError;
use crate::intern::NULL_CODE;
use crate::Buf;
use crate::{Column, Table};

/// The line of each row of a table: `first + row` while rows follow line after line (no blank
/// lines, multi-line values or rows left out), then a list. Kept in the dataset (and its cache)
/// for messages about rows after the load.
#[derive(Debug, Clone, Default)]
pub(crate) struct Lines {
    pub(crate) first: u32,
    pub(crate) len: usize,
    /// Every row's line, once rows stop following line after line; empty before.
    pub(crate) list: Buf<u32>,
}

impl Lines {
    pub(crate) fn push(&mut self, line: u32) {
        if self.list.is_empty() {
            if self.len == 0 {
                self.first = line;
            }
            if line == self.first.wrapping_add(self.len as u32) {
                self.len += 1;
                return;
            }
            self.list = (0..self.len as u32).map(|r| self.first + r).collect::<Vec<_>>().into();
        }
        self.list.to_mut().push(line);
        self.len += 1;
    }

    /// The line of `row`; 0 when unknown.
    pub(crate) fn get(&self, row: usize) -> u32 {
        match self.list.get(row) {
            Some(&line) => line,
            None if self.list.is_empty() && row < self.len => self.first + row as u32,
            None => 0,
        }
    }
}

/// A table's rows, taken from its chunks in file order.
pub(super) struct Merged {
    columns: Vec<ColBuf>,
    pub(super) lines: Lines,
    /// The first [`ROW_ERROR_LIMIT`] row errors by line; the rest are counted.
    pub(super) errors: Vec<DataError>,
    pub(super) more_errors: usize,
    pub(super) skipped: usize,
    /// Records read, kept or not.
    pub(super) records: usize,
    /// A file-level error (invalid UTF-8): the table is not loaded.
    pub(super) failed: Option<DataError>,
    /// The ids of rows left out for errors, when they could be read.
    pub(super) skipped_ids: Vec<String>,
    /// The line the next chunk starts on; chunks number their lines from it (0 for JSON Lines,
    /// whose one chunk has the file's own numbers).
    pub(super) line: usize,
    /// Whether a duplicate id's error has said how to collapse rows (the first one does).
    duplicate_told: bool,
    /// Scratch: chunk code -> table code, rows kept, ids' first codes and insertion order.
    remap: Vec<u32>,
    keep: Vec<bool>,
    firsts: Vec<u32>,
    order: Vec<u32>,
}

impl Merged {
    pub(super) fn new(plan: &Plan) -> Merged {
        Merged {
            columns: plan_columns(plan, false),
            lines: Lines::default(),
            errors: Vec::new(),
            more_errors: 0,
            skipped: 0,
            records: 0,
            failed: None,
            skipped_ids: Vec::new(),
            line: 0,
            duplicate_told: false,
            remap: Vec::new(),
            keep: Vec::new(),
            firsts: Vec::new(),
            order: Vec::new(),
        }
    }

    /// Room for `more` rows; ids as long as those of `chunks`.
    pub(super) fn reserve(&mut self, more: usize, chunks: &[Chunk]) {
        let id_bytes = chunks.iter().find_map(|c| match &c.columns.first()?.values {
            Values::Ids(ids) => Some(ids.bytes_per_value()),
            _ => None,
        });
        for (i, c) in self.columns.iter_mut().enumerate() {
            let id = i == 0 && id_bytes.is_some();
            c.reserve(more, id, id_bytes.unwrap_or(0));
        }
    }

    /// Appends a chunk's rows and empties it. Ids already seen are duplicates: reported, left out.
    pub(super) fn append(&mut self, chunk: &mut Chunk, plan: &Plan) {
        if self.failed.is_some() {
            return;
        }
        let base = self.line;
        if let Some(mut e) = chunk.bad_text.take() {
            e.line = e.line.map(|l| l + base);
            self.failed = Some(e);
            return;
        }
        self.line += chunk.newlines;
        self.skipped += chunk.skipped;
        self.skipped_ids.append(&mut chunk.skipped_ids);
        self.more_errors += chunk.more_errors;
        self.records += chunk.lines.len() + chunk.skipped;
        let mut errors = std::mem::take(&mut chunk.errors);
        errors.iter_mut().for_each(|e| e.line = e.line.map(|l| l + base));
        let base = base as u32;
        let mut dropped = false;
        let id_loaded = plan.loaded.first() == Some(&0);
        if let (true, Some(Values::Text(ids)), Some(Values::Ids(local))) = (
            id_loaded,
            self.columns.first_mut().map(|c| &mut c.values),
            chunk.columns.first().map(|c| &c.values),
        ) {
            ids.insert_ids(local, &mut self.firsts, &mut self.order);
            self.keep.clear();
            let errors_before = errors.len();
            for (r, &line) in chunk.lines.iter().enumerate() {
                let line = line + base;
                let (id, code) = (local.get(r), self.firsts[r]);
                let new = code == NULL_CODE;
                self.keep.push(new);
                if new {
                    self.lines.push(line);
                    continue;
                }
                dropped = true;
                self.skipped += 1;
                let first_line = self.lines.get(code as usize);
                let (field, label) = match plan.sources[0].fields {
                    SourceFields::Field(i) => (Some(i + 1), plan.sources[0].label.clone()),
                    _ => (None, "id".to_string()),
                };
                let mut message = format!("duplicate id `{}` (first on line {first_line})", shown_value(id));
                if !self.duplicate_told {
                    self.duplicate_told = true;
                    message.push_str(&duplicate_help(plan.schema.name));
                }
                let mut e = DataError::at(&plan.file, line as usize, message);
                e.column = if plan.jsonl { None } else { field };
                e.header = Some(label);
                // Never a row-level error: `skip_bad_rows` would keep whichever row came first,
                // an arbitrary one of the id's rows (the first event of an event log).
                e.row_level = false;
                errors.push(e);
            }
            if errors.len() > errors_before {
                errors.sort_by_key(|e| e.line);
            }
        } else {
            chunk.lines.iter().for_each(|&l| self.lines.push(l + base));
        }
        let keep = dropped.then_some(&self.keep[..]);
        let skip = usize::from(id_loaded);
        for (dst, src) in self.columns.iter_mut().zip(&chunk.columns).skip(skip) {
            dst.append(src, keep, &mut self.remap);
        }
        for e in errors.drain(..) {
            if self.errors.len() < ROW_ERROR_LIMIT {
                self.errors.push(e);
            } else {
                self.more_errors += 1;
            }
        }
        chunk.clear();
        chunk.errors = errors;
    }

    /// The table, and the line of each row.
    pub(super) fn into_table(self, plan: &Plan) -> (Table, Lines) {
        let names = plan
            .loaded
            .iter()
            .map(|&ci| (plan.schema.columns[ci].name.to_string(), false))
            .chain(plan.custom.iter().map(|(_, n)| (n.clone(), true)));
        let columns = self
            .columns
            .into_iter()
            .zip(names)
            .map(|(b, (name, custom))| {
                let (data, valid) = b.finish();
                Column { name, custom, data, valid: valid.map(Into::into) }
            })
            .collect();
        let table = Table { name: plan.schema.name.to_string(), present: true, len: self.lines.len, columns };
        (table, self.lines)
    }
}

/// What the first duplicate id of a table adds: how a profile collapses rows, since
/// `--skip-bad-rows` does not pick one of them.
pub(super) fn duplicate_help(table: &str) -> String {
    format!(
        "; --skip-bad-rows does not choose between rows of one id. If the export has several rows per {table} id (an event log, a history export), add to the profile `[{table}.collapse]` with `keep = \"last\"` and `order = \"<column>\"` (e.g. `sys_mod_count`), or per column `max`/`min`/`first`/`last` (see docs/data.md, \"Many rows per id\"); otherwise remove the duplicate rows"
    )
}

#[cfg(test)]
mod tests {
    use super::Lines;

    #[test]
    fn lines_are_counted_until_a_row_breaks_the_run() {
        let mut lines = Lines::default();
        for l in [2, 3, 4, 6, 7] {
            lines.push(l);
        }
        assert_eq!((0..6).map(|r| lines.get(r)).collect::<Vec<_>>(), [2, 3, 4, 6, 7, 0]);
        let mut run = Lines::default();
        (5..9).for_each(|l| run.push(l));
        assert!(run.list.is_empty());
        assert_eq!((run.len, run.get(3), run.get(4)), (4, 8, 0));
    }
}
