//! Parsing a chunk of whole records into typed column builders, with row errors by line.
use super::plan::{plan_columns, Plan, SourceFields};
use super::read::utf8_error;
use crate::build::{ColBuf, Staged};
use crate::csv::CsvReader;
use crate::error::{count, DataError};
use crate::profile::ColumnMapping;
use crate::value::{
    impossible_timestamp, looks_like_int, parse_bool, parse_date_format, parse_date_with, parse_int,
    parse_number, parse_timestamp_format, parse_timestamp_with, trim, ZoneResolver,
};
use kpi_schema::ColumnType;

/// Row errors a table keeps, the first by line; the rest are counted.
pub(super) const ROW_ERROR_LIMIT: usize = 1000;

fn expected(ty: ColumnType) -> &'static str {
    match ty {
        ColumnType::Text => "text",
        ColumnType::Int => "an integer like 3",
        ColumnType::Number => "a number like 1.5 (`.` as decimal separator)",
        ColumnType::Bool => "a boolean: true/false, yes/no or 1/0",
        ColumnType::Timestamp => {
            "a timestamp: RFC 3339 (2026-03-02T09:30:00Z, 2026-03-02T09:30:00-05:00) or YYYY-MM-DD HH:MM[:SS]"
        }
        ColumnType::Date => "a date: YYYY-MM-DD",
    }
}

/// A value for a message: cut after 60 characters.
pub(super) fn shown_value(s: &str) -> String {
    if s.chars().count() > 60 {
        format!("{}...", s.chars().take(60).collect::<String>())
    } else {
        s.to_string()
    }
}

/// The rows of one chunk of a file, for the loaded columns.
pub(super) struct Chunk {
    pub(super) columns: Vec<ColBuf>,
    pub(super) lines: Vec<u32>,
    pub(super) errors: Vec<DataError>,
    pub(super) more_errors: usize,
    pub(super) skipped: usize,
    zone: ZoneResolver,
    /// Invalid UTF-8 in the chunk, which is then not parsed.
    pub(super) bad_text: Option<DataError>,
    /// Lines of a CSV chunk are counted from 0 as it is parsed (the line it starts on is known
    /// only once the chunks before it are): the newlines in it, for the table to add up.
    pub(super) newlines: usize,
    /// The ids of rows left out for errors (when their id could be read), so that references
    /// to them are told apart from references to ids that never existed.
    pub(super) skipped_ids: Vec<String>,
}

impl Chunk {
    pub(super) fn new(plan: &Plan, tz: chrono_tz::Tz) -> Chunk {
        Chunk {
            columns: plan_columns(plan, true),
            lines: Vec::new(),
            errors: Vec::new(),
            more_errors: 0,
            skipped: 0,
            zone: ZoneResolver::new(tz),
            bad_text: None,
            newlines: 0,
            skipped_ids: Vec::new(),
        }
    }

    /// Empties the chunk for the next block, keeping its allocations.
    pub(super) fn clear(&mut self) {
        self.columns.iter_mut().for_each(ColBuf::clear);
        self.lines.clear();
        self.errors.clear();
        self.more_errors = 0;
        self.skipped = 0;
        self.bad_text = None;
        self.newlines = 0;
        self.skipped_ids.clear();
    }

    /// Remembers the id of a row left out, when the record has it.
    #[cold]
    fn skipped_id(&mut self, plan: &Plan, fields: &(impl Record + ?Sized)) {
        if let SourceFields::Field(i) = plan.sources[0].fields {
            if i < fields.len() && !fields.field(i).is_empty() {
                self.skipped_ids.push(fields.field(i).to_string());
            }
        }
    }

    fn error(
        &mut self,
        plan: &Plan,
        line: usize,
        field: Option<usize>,
        header: Option<String>,
        message: String,
    ) {
        if self.errors.len() >= ROW_ERROR_LIMIT {
            self.more_errors += 1;
            return;
        }
        let mut e = DataError::at(&plan.file, line, message);
        e.column = if plan.jsonl { None } else { field.map(|f| f + 1) };
        e.header = header;
        e.row_level = true;
        self.errors.push(e);
    }

    /// Parses `bytes`, whole records, numbering lines from 0 (see [`Chunk::newlines`]).
    pub(super) fn parse_csv(&mut self, plan: &Plan, bytes: &[u8]) {
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                self.bad_text = Some(utf8_error(&plan.file, bytes, e.valid_up_to(), 0));
                return;
            }
        };
        let mut reader = CsvReader::new(text, 0);
        // The reader counts every newline of the records it reads, so of the whole chunk unless
        // a malformed record stops it.
        self.newlines = loop {
            let Some(rec) = reader.next_record() else { break reader.line() };
            match rec {
                // Only the fields of loaded columns are looked at.
                Ok(line) => self.row(plan, line, &reader),
                Err(e) => {
                    self.error(
                        plan,
                        e.line,
                        Some(e.column - 1),
                        plan.header.get(e.column - 1).cloned(),
                        e.message,
                    );
                    self.skipped += 1;
                    break memchr::memchr_iter(b'\n', bytes).count();
                }
            }
        };
    }

    pub(super) fn parse_jsonl(&mut self, plan: &Plan, text: &str, first_line: usize) {
        let mut cells: Vec<String> = vec![String::new(); plan.header.len()];
        for (i, line) in text.lines().enumerate() {
            let line_no = first_line + i;
            if line.trim().is_empty() {
                continue;
            }
            let map = match serde_json::from_str::<serde_json::Value>(line) {
                Ok(serde_json::Value::Object(map)) => map,
                Ok(_) => {
                    self.error(plan, line_no, None, None, "expected a JSON object on this line".into());
                    self.skipped += 1;
                    continue;
                }
                Err(e) => {
                    let msg = format!("invalid JSON: {e}");
                    self.error(plan, line_no, None, None, msg);
                    self.skipped += 1;
                    continue;
                }
            };
            for (cell, key) in cells.iter_mut().zip(&plan.header) {
                cell.clear();
                match map.get(key) {
                    None | Some(serde_json::Value::Null) => {}
                    Some(serde_json::Value::String(s)) => cell.push_str(s),
                    Some(v) => cell.push_str(&v.to_string()),
                }
            }
            let fields: Vec<&str> = cells.iter().map(|s| s.as_str()).collect();
            self.row(plan, line_no, &fields[..]);
        }
    }

    fn row(&mut self, plan: &Plan, line: usize, fields: &(impl Record + ?Sized)) {
        if fields.len() != plan.header.len() {
            self.field_count_error(plan, line, fields.len());
            self.skipped_id(plan, fields);
            return;
        }
        // Built only when a mapping joins fields (collecting nothing is a call per row).
        let joined = if plan.joins.is_empty() { Vec::new() } else { join_fields(plan, fields) };
        let mut staged = [Staged::Null; 32];
        let mut ok = true;
        for (k, &ci) in plan.loaded.iter().enumerate() {
            let (col, src) = (&plan.schema.columns[ci], &plan.sources[ci]);
            let (mut raw, field): (&str, Option<usize>) = match src.fields {
                SourceFields::Absent => ("", None),
                SourceFields::Field(i) => (fields.field(i), Some(i)),
                SourceFields::Join(j) => (joined[j].as_str(), None),
            };
            if let Some(m) = src.mapping {
                if let Some(v) = m.values.get(raw).or_else(|| m.values.get(raw.trim())) {
                    raw = v;
                }
                if raw.trim().is_empty() {
                    if let Some(d) = &m.default {
                        raw = d;
                    }
                }
            }
            let empty = if col.ty == ColumnType::Text { raw.is_empty() } else { trim(raw).is_empty() };
            if empty {
                if col.required {
                    self.error(
                        plan,
                        line,
                        field,
                        Some(src.label.clone()),
                        "missing value (the column is required)".into(),
                    );
                    ok = false;
                }
                continue;
            }
            let value = match col.ty {
                ColumnType::Text => Some(Staged::Text(raw)),
                ColumnType::Int => parse_int(raw).map(Staged::Int),
                // An overflow to infinity is no number (the cold path says why).
                ColumnType::Number => parse_number(raw).filter(|x| x.is_finite()).map(Staged::Number),
                ColumnType::Bool => {
                    parse_bool(raw).map(|b| Staged::Bool(b != src.mapping.is_some_and(|m| m.invert)))
                }
                ColumnType::Timestamp => {
                    self.timestamp(raw, src.mapping, plan.formats).map(Staged::Timestamp)
                }
                ColumnType::Date => self.date(raw, src.mapping, plan.formats).map(Staged::Timestamp),
            };
            match value {
                Some(v) => staged[k] = v,
                None => {
                    self.invalid_value(plan, line, field, ci, raw);
                    ok = false;
                }
            }
        }
        if !ok {
            self.skipped += 1;
            self.skipped_id(plan, fields);
            return;
        }
        // The table interns ids as it takes the chunk, and finds duplicates there.
        let n = plan.loaded.len();
        for (col, v) in self.columns.iter_mut().zip(staged.iter()).take(n) {
            col.push(*v);
        }
        for (col, (fi, _)) in self.columns[n..].iter_mut().zip(&plan.custom) {
            let s = fields.field(*fi);
            col.push(if s.is_empty() { Staged::Null } else { Staged::Text(s) });
        }
        self.lines.push(line as u32);
    }

    /// A record with more or fewer fields than the header: reported, left out.
    #[cold]
    fn field_count_error(&mut self, plan: &Plan, line: usize, n: usize) {
        let (field, header, msg) = if n < plan.header.len() {
            (
                Some(n),
                plan.header.get(n).cloned(),
                format!(
                    "the row has {} but the header has {} (a truncated line?)",
                    count(n, "field"),
                    plan.header.len()
                ),
            )
        } else {
            (
                Some(plan.header.len()),
                None,
                format!(
                    "the row has {} but the header has {} (an unquoted `,` inside a value?)",
                    count(n, "field"),
                    plan.header.len()
                ),
            )
        };
        self.error(plan, line, field, header, msg);
        self.skipped += 1;
    }

    /// A cell of schema column `ci` that does not parse as its type.
    #[cold]
    fn invalid_value(&mut self, plan: &Plan, line: usize, field: Option<usize>, ci: usize, raw: &str) {
        let (col, src) = (&plan.schema.columns[ci], &plan.sources[ci]);
        let impossible = (col.ty == ColumnType::Timestamp).then(|| impossible_timestamp(raw)).flatten();
        let shown = shown_value(raw);
        let mut msg = match &impossible {
            Some(why) => format!("invalid {} `{shown}`: {why}", col.ty),
            None if col.ty == ColumnType::Number && parse_number(raw).is_some() => format!(
                "number `{shown}` is out of range: its magnitude exceeds the largest number (about 1.8e308)"
            ),
            None if col.ty == ColumnType::Int && looks_like_int(raw) => {
                format!("integer `{shown}` is out of range: it does not fit in 64 bits")
            }
            None => format!("invalid {} `{shown}`: expected {}", col.ty, expected(col.ty)),
        };
        let fmts: Vec<&String> =
            src.mapping.map(|m| &m.format[..]).unwrap_or(&[]).iter().chain(plan.formats).collect();
        if col.ty == ColumnType::Timestamp && !fmts.is_empty() && impossible.is_none() {
            let fmts: Vec<String> = fmts.iter().map(|f| format!("`{f}`")).collect();
            msg.push_str(&format!(", or the profile's format {}", fmts.join(", ")));
        }
        self.error(plan, line, field, Some(src.label.clone()), msg);
    }

    fn timestamp(&mut self, raw: &str, mapping: Option<&ColumnMapping>, formats: &[String]) -> Option<i64> {
        let own = mapping.map(|m| &m.format[..]).unwrap_or(&[]);
        for f in own.iter().chain(formats) {
            if let Some(t) = parse_timestamp_format(raw, f, &mut self.zone) {
                return Some(t);
            }
        }
        parse_timestamp_with(raw, &mut self.zone)
    }

    /// A date: the profile's formats, else `YYYY-MM-DD`; held as its local midnight.
    fn date(&mut self, raw: &str, mapping: Option<&ColumnMapping>, formats: &[String]) -> Option<i64> {
        let own = mapping.map(|m| &m.format[..]).unwrap_or(&[]);
        for f in own.iter().chain(formats) {
            if let Some(t) = parse_date_format(raw, f, &mut self.zone) {
                return Some(t);
            }
        }
        parse_date_with(raw, &mut self.zone)
    }
}

/// The fields of a record.
trait Record {
    fn len(&self) -> usize;
    fn field(&self, i: usize) -> &str;
}

impl Record for CsvReader<'_> {
    fn len(&self) -> usize {
        CsvReader::len(self)
    }

    fn field(&self, i: usize) -> &str {
        CsvReader::field(self, i)
    }
}

impl Record for [&str] {
    fn len(&self) -> usize {
        <[&str]>::len(self)
    }

    fn field(&self, i: usize) -> &str {
        self[i]
    }
}

/// The values of a plan's joined columns: the non-empty trimmed fields, space-separated.
fn join_fields(plan: &Plan, fields: &(impl Record + ?Sized)) -> Vec<String> {
    plan.joins
        .iter()
        .map(|ix| {
            ix.iter().map(|&i| fields.field(i).trim()).filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" ")
        })
        .collect()
}
