//! Parsing a chunk of whole records into typed column builders, with row errors by line.
use super::plan::{plan_columns, Plan, SourceFields};
use super::read::utf8_error;
use super::reshape::{holds, is_null};
use crate::build::{ColBuf, Staged};
use crate::csv::CsvReader;
use crate::error::{count, DataError};
use crate::profile::ColumnMapping;
use crate::profile::DateOrder;
use crate::value::{
    days_from_civil, impossible_timestamp, looks_like_int, parse_bool, parse_date_format, parse_date_with,
    parse_int, parse_number, parse_timestamp_format, parse_timestamp_with, trim, ZoneResolver,
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
            if !plan.nulls.is_empty() && is_null(raw, plan.nulls) {
                raw = "";
            }
            if let Some(m) = src.mapping {
                raw = mapped(m, raw);
                if let (Some(c), Some(w)) = (&m.when, src.when) {
                    if !holds(c, fields.field(w), plan.nulls) {
                        raw = "";
                    }
                }
                if raw.trim().is_empty() {
                    if let Some(d) = &m.default {
                        raw = d;
                    }
                }
            }
            if src.reached.is_some() {
                // An SLA flag, turned into a due time once the milestone's time is read.
                match parse_bool(raw) {
                    Some(met) => staged[k] = Staged::Bool(met),
                    None if trim(raw).is_empty() => {}
                    None => {
                        let msg = format!("invalid SLA flag `{}`: expected a boolean (map the export's values with `values`)", shown_value(raw));
                        self.error(plan, line, field, Some(src.label.clone()), msg);
                        ok = false;
                    }
                }
                continue;
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
                    let own = src.mapping.map(|m| &m.format[..]).unwrap_or(&[]);
                    read_timestamp(raw, own, plan.formats, plan.date_order, &mut self.zone)
                        .map(Staged::Timestamp)
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
        sla_flags(plan, &mut staged);
        // The table interns ids as it takes the chunk, and finds duplicates there.
        let n = plan.loaded.len();
        for (col, v) in self.columns.iter_mut().zip(staged.iter()).take(n) {
            col.push(*v);
        }
        for (col, (fi, _)) in self.columns[n..].iter_mut().zip(&plan.custom) {
            let s = fields.field(*fi);
            col.push(if s.is_empty() || (!plan.nulls.is_empty() && is_null(s, plan.nulls)) {
                Staged::Null
            } else {
                Staged::Text(s)
            });
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
        if col.ty == ColumnType::Timestamp && plan.date_order.is_none() && numeric_date(raw).is_some() {
            msg = format!(
                "invalid {} `{shown}`: a date with day and month as numbers is day-first in some exports and month-first in others; state the export's order in the profile: `date_order = \"day-first\"` or `\"month-first\"`",
                col.ty
            );
        }
        let fmts: Vec<&String> =
            src.mapping.map(|m| &m.format[..]).unwrap_or(&[]).iter().chain(plan.formats).collect();
        if col.ty == ColumnType::Timestamp && !fmts.is_empty() && impossible.is_none() {
            let fmts: Vec<String> = fmts.iter().map(|f| format!("`{f}`")).collect();
            msg.push_str(&format!(", or the profile's format {}", fmts.join(", ")));
        }
        self.error(plan, line, field, Some(src.label.clone()), msg);
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

/// The value a mapping's `values` gives `raw` (exact, trimmed, then without regard to case);
/// `raw` itself when unlisted.
fn mapped<'a>(m: &'a ColumnMapping, raw: &'a str) -> &'a str {
    if m.values.is_empty() {
        return raw;
    }
    if let Some(v) = m.values.get(raw).or_else(|| m.values.get(trim(raw))) {
        return v;
    }
    let t = trim(raw);
    m.values.iter().find(|(k, _)| k.eq_ignore_ascii_case(t)).map_or(raw, |(_, v)| v.as_str())
}

/// SLA flags staged as bools become due times: the milestone's time when met, a second before
/// it when missed, null when the milestone was not reached (see docs/data.md, "SLA flags").
fn sla_flags(plan: &Plan, staged: &mut [Staged]) {
    for (k, &ci) in plan.loaded.iter().enumerate() {
        let Some(r) = plan.sources[ci].reached else { continue };
        staged[k] = match (staged[k], staged[r]) {
            (Staged::Bool(met), Staged::Timestamp(at)) => {
                Staged::Timestamp(if met { at } else { at - 1_000_000 })
            }
            _ => Staged::Null,
        };
    }
}

/// A timestamp cell: the column's formats, the profile's, day/month dates in the profile's
/// order, then the contract's forms. The format `excel` reads Excel serial dates (days since
/// 1899-12-30, the fraction the time of day) in the export's zone.
pub(super) fn read_timestamp(
    raw: &str,
    own: &[String],
    formats: &[String],
    order: Option<DateOrder>,
    zone: &mut ZoneResolver,
) -> Option<i64> {
    for f in own.iter().chain(formats) {
        if f == "excel" {
            if let Some(t) = excel_serial(raw, zone) {
                return Some(t);
            }
        } else if let Some(t) = parse_timestamp_format(raw, f, zone) {
            return Some(t);
        }
    }
    // Only with a stated order: the tuple form would parse every cell as a numeric date.
    if let Some(order) = order {
        if let Some(parts) = numeric_date(raw) {
            return numeric_timestamp(parts, order, zone);
        }
    }
    parse_timestamp_with(raw, zone)
}

fn excel_serial(raw: &str, zone: &mut ZoneResolver) -> Option<i64> {
    let days = parse_number(trim(raw))?;
    if !(1.0..2_958_466.0).contains(&days) {
        return None;
    }
    let epoch = days_from_civil(1899, 12, 30) * 86_400;
    let secs = (days * 86_400.0).round() as i64;
    Some(zone.utc_of_local(epoch + secs) * 1_000_000)
}

/// A date written `a/b/yyyy` (or with `.` or `-`), optionally with `H:MM[:SS]` and AM/PM: the
/// two numbers before the year, the year, and the time of day in seconds.
type NumericDate = (u32, u32, i64, i64);

fn numeric_date(raw: &str) -> Option<NumericDate> {
    let t = trim(raw);
    let (date, time) = match t.find([' ', 'T']) {
        Some(i) => (&t[..i], t[i + 1..].trim()),
        None => (t, ""),
    };
    let sep = date.chars().find(|c| matches!(c, '/' | '.' | '-'))?;
    let parts: Vec<&str> = date.split(sep).collect();
    if parts.len() != 3 || parts[0].len() > 2 || parts[1].len() > 2 || !matches!(parts[2].len(), 2 | 4) {
        return None;
    }
    let num =
        |s: &str| -> Option<u32> { s.bytes().all(|b| b.is_ascii_digit()).then(|| s.parse().ok()).flatten() };
    let (a, b, y) = (num(parts[0])?, num(parts[1])?, num(parts[2])?);
    let year = if parts[2].len() == 2 { 2000 + y as i64 } else { y as i64 };
    let mut secs = 0i64;
    if !time.is_empty() {
        let upper = time.to_ascii_uppercase();
        let (clock, pm) = match (upper.strip_suffix("PM"), upper.strip_suffix("AM")) {
            (Some(c), _) => (c.trim().to_string(), Some(true)),
            (_, Some(c)) => (c.trim().to_string(), Some(false)),
            _ => (upper.clone(), None),
        };
        let hms: Vec<&str> = clock.split(':').collect();
        if !(2..=3).contains(&hms.len()) {
            return None;
        }
        let mut h = num(hms[0])? as i64;
        let m = num(hms[1])? as i64;
        let s = match hms.get(2) {
            Some(x) => x.split('.').next().and_then(num)? as i64,
            None => 0,
        };
        if let Some(pm) = pm {
            if !(1..=12).contains(&h) {
                return None;
            }
            h = h % 12 + if pm { 12 } else { 0 };
        }
        if h > 23 || m > 59 || s > 59 {
            return None;
        }
        secs = h * 3600 + m * 60 + s;
    }
    Some((a, b, year, secs))
}

fn numeric_timestamp(
    (a, b, year, secs): NumericDate,
    order: DateOrder,
    zone: &mut ZoneResolver,
) -> Option<i64> {
    let (day, month) = match order {
        DateOrder::DayFirst => (a, b),
        DateOrder::MonthFirst => (b, a),
    };
    chrono::NaiveDate::from_ymd_opt(year as i32, month, day)?;
    let local = days_from_civil(year, month, day) * 86_400 + secs;
    Some(zone.utc_of_local(local) * 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_first_us_and_excel_dates() {
        let mut zone = ZoneResolver::new(chrono_tz::UTC);
        let ts = |s: &str, o: Option<DateOrder>, f: &[String], z: &mut ZoneResolver| {
            read_timestamp(s, &[], f, o, z).map(crate::format_timestamp)
        };
        let day = Some(DateOrder::DayFirst);
        let us = Some(DateOrder::MonthFirst);
        assert_eq!(ts("29/2/2016 01:16", day, &[], &mut zone).as_deref(), Some("2016-02-29T01:16:00Z"));
        assert_eq!(ts("2/29/2016 1:16 PM", us, &[], &mut zone).as_deref(), Some("2016-02-29T13:16:00Z"));
        assert_eq!(ts("28/02/2023 04:03 PM", day, &[], &mut zone).as_deref(), Some("2023-02-28T16:03:00Z"));
        assert_eq!(ts("12/1/2023 12:05 AM", us, &[], &mut zone).as_deref(), Some("2023-12-01T00:05:00Z"));
        assert_eq!(ts("29/2/2016", us, &[], &mut zone), None, "no 29th month");
        // Without an order, a day/month date is refused, never guessed.
        assert_eq!(ts("3/4/2016", None, &[], &mut zone), None);
        assert_eq!(ts("2026-03-02 09:30", day, &[], &mut zone).as_deref(), Some("2026-03-02T09:30:00Z"));
        let excel = ["excel".to_string()];
        assert_eq!(ts("45000.5", None, &excel, &mut zone).as_deref(), Some("2023-03-15T12:00:00Z"));
        let mut paris = ZoneResolver::new(chrono_tz::Europe::Paris);
        assert_eq!(ts("1/7/2023 10:00", day, &[], &mut paris).as_deref(), Some("2023-07-01T08:00:00Z"));
    }
}
