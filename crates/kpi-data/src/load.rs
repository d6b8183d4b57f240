//! Loading a dataset directory: file discovery, header planning, parallel chunk parsing, merging, checks.
use crate::csv::{split_chunks, CsvReader};
use crate::error::{DataError, DataWarning, LoadErrors, ERROR_CAP};
use crate::intern::NULL_CODE;
use crate::profile::{ColumnMapping, TableMapping};
use crate::value::{
    parse_bool, parse_int, parse_number, parse_timestamp_format, parse_timestamp_with, ZoneResolver,
};
use crate::{Column, ColumnData, Dataset, LoadOptions, Table};
use kpi_schema::{ColumnDefault, ColumnType, TableSchema, TABLES};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// Bytes per parallel parse job.
const CHUNK_BYTES: usize = 4 << 20;
/// Warnings of one kind in one file listed before they are only counted.
const WARNING_CAP: usize = 20;

/// Loads the dataset in `dir` (data contract v1). Every error is listed (up to a cap) and no
/// dataset is returned unless `options.skip_bad_rows` leaves the bad rows out.
pub fn load(dir: &Path, options: &LoadOptions) -> Result<Dataset, LoadErrors> {
    let shown = dir.display().to_string();
    let names = match list_dir(dir) {
        Ok(n) => n,
        Err(e) => {
            let mut errors = LoadErrors::default();
            errors.push(DataError::file(&shown, format!("cannot read the dataset directory: {e}")));
            return Err(errors);
        }
    };
    load_with(names, |name| std::fs::read(dir.join(name)), options)
}

/// The names in a dataset directory, sorted; directories end with `/`.
pub(crate) fn list_dir(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut names: Vec<String> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                format!("{name}/")
            } else {
                name
            }
        })
        .collect();
    names.sort();
    Ok(names)
}

/// Loads a dataset from in-memory files `(file name, contents)`, as [`load`] does a directory.
/// Handy for tests.
pub fn load_from_memory(files: &[(&str, &str)], options: &LoadOptions) -> Result<Dataset, LoadErrors> {
    let names = files.iter().map(|(n, _)| n.to_string()).collect();
    load_with(
        names,
        |name| {
            files
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, c)| c.as_bytes().to_vec())
                .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
        },
        options,
    )
}

enum Format {
    Csv,
    Jsonl,
}

/// A table's file after reading: header planned, body ready to parse.
struct Prepared<'p> {
    table: usize,
    text: String,
    body_start: usize,
    body_line: usize,
    format: Format,
    plan: Plan<'p>,
}

fn load_with(
    names: Vec<String>,
    read: impl Fn(&str) -> std::io::Result<Vec<u8>>,
    options: &LoadOptions,
) -> Result<Dataset, LoadErrors> {
    let mut errors = LoadErrors::default();
    let mut warnings = Warnings::default();
    let mut used = vec![false; names.len()];
    let formats: &[String] = options.profile.as_ref().map_or(&[], |p| &p.timestamp_formats);

    // Find, read and plan every table's file.
    let mut prepared = Vec::new();
    let mut present = vec![false; TABLES.len()];
    for (ti, schema) in TABLES.iter().enumerate() {
        let mapping = options.profile.as_ref().and_then(|p| p.table(schema.name));
        let file = match find_file(schema, mapping, &names) {
            Ok(Some(i)) => {
                used[i] = true;
                names[i].clone()
            }
            Ok(None) => {
                if schema.required {
                    let mut msg = format!(
                        "missing required table `{}`: expected a file `{0}.csv` (or `{0}.jsonl`)",
                        schema.name
                    );
                    if let Some(m) = mapping.filter(|m| !m.file.is_empty()) {
                        msg = format!("{msg} or, by the profile, {}", quoted_list(&m.file));
                    }
                    errors.push(DataError::file(&format!("{}.csv", schema.name), msg));
                }
                continue;
            }
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let bytes = match read(&file) {
            Ok(b) => b,
            Err(e) => {
                errors.push(DataError::file(&file, format!("cannot read: {e}")));
                continue;
            }
        };
        let text = match into_text(&file, bytes) {
            Ok(t) => t,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let is_jsonl = file.ends_with(".jsonl") || file.ends_with(".ndjson");
        let prep = if is_jsonl {
            prepare_jsonl(ti, &file, text, mapping, formats)
        } else {
            prepare_csv(ti, &file, text, mapping, formats)
        };
        match prep {
            Ok(p) => {
                present[ti] = true;
                if p.text[p.body_start..].trim().is_empty() {
                    warnings.push(&file, "empty", 0, "the file has a header but no rows".to_string());
                }
                prepared.push(p);
            }
            Err(errs) => errs.into_iter().for_each(|e| errors.push(e)),
        }
    }

    // Parse all chunks of all tables in parallel.
    let mut jobs = Vec::new();
    for (pi, p) in prepared.iter().enumerate() {
        match p.format {
            Format::Csv => {
                for (a, b, line) in split_chunks(&p.text[p.body_start..], p.body_line, CHUNK_BYTES) {
                    jobs.push((pi, p.body_start + a, p.body_start + b, line));
                }
            }
            Format::Jsonl => jobs.push((pi, p.body_start, p.text.len(), p.body_line)),
        }
    }
    let tz = options.timezone;
    let outs: Vec<(usize, Chunk)> = jobs
        .par_iter()
        .map(|&(pi, a, b, line)| {
            let p = &prepared[pi];
            let mut chunk = Chunk::new(&p.plan, tz);
            match p.format {
                Format::Csv => chunk.parse_csv(&p.plan, &p.text[a..b], line),
                Format::Jsonl => chunk.parse_jsonl(&p.plan, &p.text[a..b], line),
            }
            (pi, chunk)
        })
        .collect();

    // Merge chunks per table, in file order.
    let mut groups: Vec<Vec<Chunk>> = prepared.iter().map(|_| Vec::new()).collect();
    for (pi, chunk) in outs {
        groups[pi].push(chunk);
    }
    // Tables merge independently, so the big ones merge at the same time.
    let merged_tables: Vec<(Merged, usize, Vec<DataError>, usize)> = groups
        .into_par_iter()
        .zip(prepared.par_iter())
        .map(|(chunks, p)| {
            let mut table = Merged::default();
            let rows: usize = chunks.iter().map(|c| c.lines.len()).sum();
            let (mut skipped, mut errs, mut more) = (0, Vec::new(), 0);
            for chunk in chunks {
                skipped += chunk.skipped;
                more += chunk.more_errors;
                errs.extend(chunk.errors.iter().cloned());
                skipped += table.append(chunk, &p.plan, &mut errs, rows);
            }
            (table, skipped, errs, more)
        })
        .collect();
    let mut merged: Vec<Option<Merged>> = (0..TABLES.len()).map(|_| None).collect();
    let mut row_errors: Vec<DataError> = Vec::new();
    let mut more_row_errors = 0;
    let mut skipped_rows = BTreeMap::new();
    for (p, (table, skipped, errs, more)) in prepared.iter().zip(merged_tables) {
        if skipped > 0 {
            skipped_rows.insert(TABLES[p.table].name.to_string(), skipped);
        }
        row_errors.extend(errs);
        more_row_errors += more;
        merged[p.table] = Some(table);
    }
    row_errors.sort_by_key(|e| (TABLES.iter().position(|t| e.file.starts_with(t.name)), e.line));

    if options.skip_bad_rows {
        for e in &row_errors {
            let mut e = e.clone();
            let line = e.line.take().unwrap_or(0);
            warnings.push(&e.file.clone(), "skipped", line, format!("row left out: {}", error_body(&e)));
        }
        if more_row_errors > 0 {
            warnings.push(
                prepared.first().map_or("", |p| p.plan.file.as_str()),
                "skipped-more",
                0,
                format!("{more_row_errors} more rows left out for errors"),
            );
        }
    } else {
        let listed = row_errors.len().min(ERROR_CAP.saturating_sub(errors.errors.len()));
        let extra = row_errors.len() - listed;
        for e in row_errors.into_iter().take(listed) {
            errors.push(e);
        }
        errors.more += extra + more_row_errors;
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    // Build tables, then resolve links and check values.
    let mut tables = Vec::with_capacity(TABLES.len());
    let mut lines = Vec::with_capacity(TABLES.len());
    let mut files = vec![String::new(); TABLES.len()];
    for p in &prepared {
        files[p.table] = p.plan.file.clone();
    }
    for (ti, schema) in TABLES.iter().enumerate() {
        match merged[ti].take() {
            Some(m) if present[ti] => {
                let plan = &prepared.iter().find(|p| p.table == ti).map(|p| &p.plan);
                lines.push(m.lines.clone());
                tables.push(m.into_table(schema, plan.map(|p| &p.custom[..]).unwrap_or(&[])));
            }
            _ => {
                lines.push(Vec::new());
                tables.push(Table::absent(schema));
            }
        }
    }
    let links = resolve_links(&tables);
    check_links(&tables, &links, &lines, &files, &mut warnings);
    check_values(&tables, &lines, &files, &mut warnings);

    let other_files = names.into_iter().zip(used).filter(|(_, u)| !u).map(|(n, _)| n).collect();
    Ok(Dataset {
        timezone: options.timezone,
        tables,
        skipped_rows,
        warnings: warnings.finish(),
        other_files,
        links,
        files,
    })
}

fn quoted_list(items: &[String]) -> String {
    items.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
}

/// An error's text without its location, for a warning that carries the line itself.
fn error_body(e: &DataError) -> String {
    match (&e.header, e.column) {
        (Some(h), Some(c)) => format!("field {c}, column `{h}`: {}", e.message),
        (Some(h), None) => format!("column `{h}`: {}", e.message),
        _ => e.message.clone(),
    }
}

fn find_file(
    schema: &TableSchema,
    mapping: Option<&TableMapping>,
    names: &[String],
) -> Result<Option<usize>, DataError> {
    let find = |n: &str| names.iter().position(|x| x == n);
    if let Some(m) = mapping {
        if let Some(i) = m.file.iter().find_map(|f| find(f)) {
            return Ok(Some(i));
        }
    }
    let csv = format!("{}.csv", schema.name);
    let jsonl = format!("{}.jsonl", schema.name);
    match (find(&csv), find(&jsonl)) {
        (Some(_), Some(_)) => {
            Err(DataError::file(&csv, format!("both `{csv}` and `{jsonl}` exist: keep one file per table")))
        }
        (a, b) => Ok(a.or(b)),
    }
}

/// Checks UTF-8 and strips a byte-order mark.
fn into_text(file: &str, mut bytes: Vec<u8>) -> Result<String, DataError> {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    match String::from_utf8(bytes) {
        Ok(t) => Ok(t),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let bytes = e.as_bytes();
            let line = 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count();
            let line_start = bytes[..at].iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
            let mut err = DataError::at(
                file,
                line,
                format!(
                    "invalid UTF-8 (byte 0x{:02X} at character {}): save the export as UTF-8 (Excel: \"CSV UTF-8\")",
                    bytes[at],
                    at - line_start + 1
                ),
            );
            err.row_level = false;
            Err(err)
        }
    }
}

/// Where one canonical column's raw text comes from in a record.
#[derive(Debug, Clone)]
enum SourceFields {
    Absent,
    Field(usize),
    /// Index into the row's joined values.
    Join(usize),
}

#[derive(Debug)]
struct Source<'p> {
    fields: SourceFields,
    mapping: Option<&'p ColumnMapping>,
    /// How errors name the column: the source header, with the canonical name when different.
    label: String,
}

/// How a file's fields feed a table's columns.
#[derive(Debug)]
struct Plan<'p> {
    schema: &'static TableSchema,
    file: String,
    header: Vec<String>,
    sources: Vec<Source<'p>>,
    joins: Vec<Vec<usize>>,
    /// Custom columns: (field index, name).
    custom: Vec<(usize, String)>,
    formats: &'p [String],
    /// JSON Lines: a field position means nothing, errors name the key only.
    jsonl: bool,
}

fn plan<'p>(
    schema: &'static TableSchema,
    file: &str,
    header: Vec<String>,
    mapping: Option<&'p TableMapping>,
    formats: &'p [String],
) -> Result<Plan<'p>, Vec<DataError>> {
    let mut errors = Vec::new();
    let mut position: HashMap<&str, usize> = HashMap::new();
    for (i, h) in header.iter().enumerate() {
        if let Some(first) = position.insert(h.as_str(), i) {
            let mut e = DataError::at(
                file,
                1,
                format!("column `{h}` appears twice in the header (fields {} and {})", first + 1, i + 1),
            );
            e.column = Some(i + 1);
            errors.push(e);
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut used = vec![false; header.len()];
    let mut sources = Vec::new();
    let mut joins = Vec::new();
    for col in schema.columns {
        let m = mapping.and_then(|m| m.columns.get(col.name));
        let mut fields = SourceFields::Absent;
        let mut label = col.name.to_string();
        if let Some(m) = m.filter(|m| !m.join.is_empty()) {
            let ix: Vec<usize> = m.join.iter().filter_map(|j| position.get(j.as_str()).copied()).collect();
            if !ix.is_empty() {
                ix.iter().for_each(|&i| used[i] = true);
                label = format!("{} ({})", m.join.join(" + "), col.name);
                joins.push(ix);
                fields = SourceFields::Join(joins.len() - 1);
            }
        } else {
            let from = m.map(|m| &m.from[..]).unwrap_or(&[]);
            let found = from
                .iter()
                .map(|s| s.as_str())
                .chain(std::iter::once(col.name))
                .find_map(|n| position.get(n).map(|&i| (n, i)));
            if let Some((n, i)) = found {
                used[i] = true;
                fields = SourceFields::Field(i);
                if n != col.name {
                    label = format!("{n} ({})", col.name);
                }
            }
        }
        let has_default = m.is_some_and(|m| m.default.is_some());
        if col.required && matches!(fields, SourceFields::Absent) && !has_default {
            let e = missing_column(file, &header, col.name, m);
            // One delimiter diagnosis is enough for all the missing columns.
            if e.message.contains("-separated") {
                return Err(vec![e]);
            }
            errors.push(e);
        }
        sources.push(Source { fields, mapping: m, label });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let custom = header
        .iter()
        .enumerate()
        .filter(|(i, _)| !used[*i])
        .map(|(i, h)| (i, if h.is_empty() { format!("column_{}", i + 1) } else { h.clone() }))
        .collect();
    Ok(Plan {
        schema,
        file: file.to_string(),
        header,
        sources,
        joins,
        custom,
        formats,
        jsonl: file.ends_with(".jsonl") || file.ends_with(".ndjson"),
    })
}

fn missing_column(file: &str, header: &[String], name: &str, mapping: Option<&ColumnMapping>) -> DataError {
    if header.len() == 1 {
        for (sep, shown) in [(';', "`;`"), ('\t', "tab"), ('|', "`|`")] {
            if header[0].contains(sep) {
                return DataError::at(
                    file,
                    1,
                    format!("the header is one field containing {shown}: looks like {shown}-separated; kpi reads comma-separated CSV (re-export with `,` as the delimiter)"),
                );
            }
        }
    }
    let mut msg = format!("missing required column `{name}`");
    if let Some(m) = mapping.filter(|m| !m.from.is_empty() || !m.join.is_empty()) {
        let looked: Vec<String> = m.from.iter().chain(&m.join).cloned().collect();
        msg.push_str(&format!(" (the profile reads it from {})", quoted_list(&looked)));
    }
    if let Some(close) = header.iter().find(|h| h.eq_ignore_ascii_case(name)) {
        msg.push_str(&format!("; found `{close}`: header names are case-sensitive"));
    }
    let shown: Vec<String> = header.iter().take(30).map(|h| format!("`{h}`")).collect();
    msg.push_str(&format!("; the header has {}", shown.join(", ")));
    DataError::at(file, 1, msg)
}

fn prepare_csv<'p>(
    table: usize,
    file: &str,
    text: String,
    mapping: Option<&'p TableMapping>,
    formats: &'p [String],
) -> Result<Prepared<'p>, Vec<DataError>> {
    if text.trim().is_empty() {
        let cols: Vec<_> = TABLES[table].columns.iter().filter(|c| c.required).map(|c| c.name).collect();
        let what = if text.is_empty() {
            "the file is empty (0 bytes)".to_string()
        } else {
            "the file is blank".into()
        };
        return Err(vec![DataError::file(
            file,
            format!("{what}: expected a header row naming the columns (at least {})", cols.join(", ")),
        )]);
    }
    let mut reader = CsvReader::new(&text, 1);
    let header: Vec<String> = match reader.next_record() {
        Some(Ok(_)) => (0..reader.len()).map(|i| reader.field(i).trim().to_string()).collect(),
        Some(Err(e)) => {
            let mut err = DataError::at(file, e.line, e.message);
            err.column = Some(e.column);
            return Err(vec![err]);
        }
        None => Vec::new(),
    };
    let body_start = reader.position();
    let body_line = reader.line();
    let plan = plan(&TABLES[table], file, header, mapping, formats)?;
    Ok(Prepared { table, text, body_start, body_line, format: Format::Csv, plan })
}

fn prepare_jsonl<'p>(
    table: usize,
    file: &str,
    text: String,
    mapping: Option<&'p TableMapping>,
    formats: &'p [String],
) -> Result<Prepared<'p>, Vec<DataError>> {
    if text.trim().is_empty() {
        return Err(vec![DataError::file(file, "the file is empty: expected one JSON object per line")]);
    }
    // The header is every key in order of first appearance (lines may omit null keys).
    let mut header: Vec<String> = Vec::new();
    let mut seen: HashMap<String, ()> = HashMap::new();
    for line in text.lines() {
        if let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(line) {
            for k in map.keys() {
                if seen.insert(k.clone(), ()).is_none() {
                    header.push(k.clone());
                }
            }
        }
    }
    let plan = plan(&TABLES[table], file, header, mapping, formats)?;
    Ok(Prepared { table, text, body_start: 0, body_line: 1, format: Format::Jsonl, plan })
}

/// One parsed cell before the row is committed.
#[derive(Clone, Copy)]
enum Staged<'a> {
    Null,
    Text(&'a str),
    Int(i64),
    Number(f64),
    Bool(bool),
    Timestamp(i64),
}

/// A column being built.
struct ColBuf {
    data: ColumnData,
    /// Allocated at the first null.
    valid: Option<Vec<bool>>,
    default: Option<ColumnDefault>,
}

impl ColBuf {
    fn new(ty: ColumnType, default: Option<ColumnDefault>) -> ColBuf {
        ColBuf { data: ColumnData::empty(ty), valid: None, default }
    }

    fn push(&mut self, v: Staged) {
        let v = match (v, self.default) {
            (Staged::Null, Some(ColumnDefault::Int(i))) => Staged::Int(i),
            (Staged::Null, Some(ColumnDefault::Number(n))) => Staged::Number(n),
            (Staged::Null, Some(ColumnDefault::Bool(b))) => Staged::Bool(b),
            (v, _) => v,
        };
        let is_null = matches!(v, Staged::Null);
        match (&mut self.data, v) {
            (ColumnData::Text(t), Staged::Text(s)) => t.push(Some(s)),
            (ColumnData::Text(t), _) => t.codes.to_mut().push(NULL_CODE),
            (ColumnData::Int(c), Staged::Int(i)) => c.to_mut().push(i),
            (ColumnData::Int(c), _) => c.to_mut().push(0),
            (ColumnData::Number(c), Staged::Number(n)) => c.to_mut().push(n),
            (ColumnData::Number(c), _) => c.to_mut().push(f64::NAN),
            (ColumnData::Bool(c), Staged::Bool(b)) => c.to_mut().push(b),
            (ColumnData::Bool(c), _) => c.to_mut().push(false),
            (ColumnData::Timestamp(c), Staged::Timestamp(t)) => c.to_mut().push(t),
            (ColumnData::Timestamp(c), _) => c.to_mut().push(0),
        }
        if is_null {
            let len = self.data.len();
            self.valid.get_or_insert_with(|| vec![true; len - 1]).push(false);
        } else if let Some(v) = &mut self.valid {
            v.push(true);
        }
    }
}

/// The rows of one chunk of a file.
struct Chunk {
    columns: Vec<ColBuf>,
    lines: Vec<u32>,
    errors: Vec<DataError>,
    more_errors: usize,
    skipped: usize,
    zone: ZoneResolver,
}

fn expected(ty: ColumnType) -> &'static str {
    match ty {
        ColumnType::Text => "text",
        ColumnType::Int => "an integer like 3",
        ColumnType::Number => "a number like 1.5 (`.` as decimal separator)",
        ColumnType::Bool => "a boolean: true/false, yes/no or 1/0",
        ColumnType::Timestamp => {
            "a timestamp: RFC 3339 (2026-03-02T09:30:00Z, 2026-03-02T09:30:00-05:00) or YYYY-MM-DD HH:MM[:SS]"
        }
    }
}

fn shown_value(s: &str) -> String {
    if s.chars().count() > 60 {
        format!("{}...", s.chars().take(60).collect::<String>())
    } else {
        s.to_string()
    }
}

impl Chunk {
    fn new(plan: &Plan, tz: chrono_tz::Tz) -> Chunk {
        let mut columns: Vec<ColBuf> =
            plan.schema.columns.iter().map(|c| ColBuf::new(c.ty, c.default)).collect();
        columns.extend(plan.custom.iter().map(|_| ColBuf::new(ColumnType::Text, None)));
        Chunk {
            columns,
            lines: Vec::new(),
            errors: Vec::new(),
            more_errors: 0,
            skipped: 0,
            zone: ZoneResolver::new(tz),
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
        if self.errors.len() >= ERROR_CAP {
            self.more_errors += 1;
            return;
        }
        let mut e = DataError::at(&plan.file, line, message);
        e.column = if plan.jsonl { None } else { field.map(|f| f + 1) };
        e.header = header;
        e.row_level = true;
        self.errors.push(e);
    }

    fn parse_csv(&mut self, plan: &Plan, text: &str, first_line: usize) {
        let mut reader = CsvReader::new(text, first_line);
        let mut fields: Vec<&str> = Vec::new();
        while let Some(rec) = reader.next_record() {
            match rec {
                Ok(line) => {
                    fields.clear();
                    fields.extend((0..reader.len()).map(|i| reader.field(i)));
                    self.row(plan, line, &fields);
                    // Reuse the allocation across records whose borrows end here.
                    fields = recycle(fields);
                }
                Err(e) => {
                    self.error(
                        plan,
                        e.line,
                        Some(e.column - 1),
                        plan.header.get(e.column - 1).cloned(),
                        e.message,
                    );
                    self.skipped += 1;
                    break;
                }
            }
        }
    }

    fn parse_jsonl(&mut self, plan: &Plan, text: &str, first_line: usize) {
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
            self.row(plan, line_no, &fields);
        }
    }

    fn row(&mut self, plan: &Plan, line: usize, fields: &[&str]) {
        if fields.len() != plan.header.len() {
            let (field, header, msg) = if fields.len() < plan.header.len() {
                (
                    Some(fields.len()),
                    plan.header.get(fields.len()).cloned(),
                    format!(
                        "the row has {} fields but the header has {} (a truncated line?)",
                        fields.len(),
                        plan.header.len()
                    ),
                )
            } else {
                (
                    Some(plan.header.len()),
                    None,
                    format!(
                        "the row has {} fields but the header has {} (an unquoted `,` inside a value?)",
                        fields.len(),
                        plan.header.len()
                    ),
                )
            };
            self.error(plan, line, field, header, msg);
            self.skipped += 1;
            return;
        }
        let joined: Vec<String> = plan
            .joins
            .iter()
            .map(|ix| {
                ix.iter().map(|&i| fields[i].trim()).filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" ")
            })
            .collect();
        let mut staged = [Staged::Null; 32];
        let mut ok = true;
        for (ci, (col, src)) in plan.schema.columns.iter().zip(&plan.sources).enumerate() {
            let (mut raw, field): (&str, Option<usize>) = match src.fields {
                SourceFields::Absent => ("", None),
                SourceFields::Field(i) => (fields[i], Some(i)),
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
            let empty = if col.ty == ColumnType::Text { raw.is_empty() } else { raw.trim().is_empty() };
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
                ColumnType::Number => parse_number(raw).map(Staged::Number),
                ColumnType::Bool => {
                    parse_bool(raw).map(|b| Staged::Bool(b != src.mapping.is_some_and(|m| m.invert)))
                }
                ColumnType::Timestamp => {
                    self.timestamp(raw, src.mapping, plan.formats).map(Staged::Timestamp)
                }
            };
            match value {
                Some(v) => staged[ci] = v,
                None => {
                    let mut msg =
                        format!("invalid {} `{}`: expected {}", col.ty, shown_value(raw), expected(col.ty));
                    let fmts: Vec<&String> = src
                        .mapping
                        .map(|m| &m.format[..])
                        .unwrap_or(&[])
                        .iter()
                        .chain(plan.formats)
                        .collect();
                    if col.ty == ColumnType::Timestamp && !fmts.is_empty() {
                        let fmts: Vec<String> = fmts.iter().map(|f| format!("`{f}`")).collect();
                        msg.push_str(&format!(", or the profile's format {}", fmts.join(", ")));
                    }
                    self.error(plan, line, field, Some(src.label.clone()), msg);
                    ok = false;
                }
            }
        }
        if !ok {
            self.skipped += 1;
            return;
        }
        // Ids are unique: the id column (always first) is interned in row order, so a code that is
        // not new points at the first row with that id.
        if let (Staged::Text(id), ColumnData::Text(ids)) = (staged[0], &mut self.columns[0].data) {
            let (code, new) = ids.insert(id);
            if !new {
                let first_line = self.lines.get(code as usize).copied().unwrap_or(0);
                let (field, label) = match plan.sources[0].fields {
                    SourceFields::Field(i) => (Some(i), plan.sources[0].label.clone()),
                    _ => (None, "id".to_string()),
                };
                let msg = format!("duplicate id `{}` (first on line {first_line})", shown_value(id));
                self.error(plan, line, field, Some(label), msg);
                self.skipped += 1;
                return;
            }
            ids.codes.to_mut().push(code);
        }
        let n = plan.schema.columns.len();
        for (col, v) in self.columns.iter_mut().zip(staged.iter()).take(n).skip(1) {
            col.push(*v);
        }
        for (col, (fi, _)) in self.columns[n..].iter_mut().zip(&plan.custom) {
            let s = fields[*fi];
            col.push(if s.is_empty() { Staged::Null } else { Staged::Text(s) });
        }
        self.lines.push(line as u32);
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
}

/// Empties a vector of borrowed strings so its allocation can hold borrows of another lifetime.
fn recycle<'b>(mut v: Vec<&str>) -> Vec<&'b str> {
    v.clear();
    v.into_iter().map(|_| "").collect()
}

/// A table's rows merged from its chunks.
#[derive(Default)]
struct Merged {
    columns: Vec<ColBuf>,
    lines: Vec<u32>,
}

impl Merged {
    /// Appends a chunk; ids already seen in earlier chunks are duplicates, reported and left out.
    /// Returns the number of rows left out.
    fn append(&mut self, chunk: Chunk, plan: &Plan, errors: &mut Vec<DataError>, total_rows: usize) -> usize {
        if self.columns.is_empty() {
            self.columns = chunk.columns;
            self.lines = chunk.lines;
            // Room for every chunk's rows at once: no regrowing (and re-zeroing pages) per chunk.
            let more = total_rows.saturating_sub(self.lines.len());
            if more > 0 {
                self.lines.reserve(more);
                for (i, c) in self.columns.iter_mut().enumerate() {
                    match &mut c.data {
                        ColumnData::Text(t) => {
                            // Ids are all distinct: room for as many more of about the same length.
                            let (values, bytes) = if i == 0 {
                                let (text, ends) = t.dict.parts();
                                (more, text.len() / ends.len().max(1) * more)
                            } else {
                                (0, 0)
                            };
                            t.reserve(more, values, bytes)
                        }
                        ColumnData::Int(v) => v.to_mut().reserve(more),
                        ColumnData::Number(v) => v.to_mut().reserve(more),
                        ColumnData::Bool(v) => v.to_mut().reserve(more),
                        ColumnData::Timestamp(v) => v.to_mut().reserve(more),
                    }
                }
            }
            return 0;
        }
        let mut columns = chunk.columns.into_iter();
        let Some(ids) = columns.next() else { return 0 };
        let ColumnData::Text(local_ids) = ids.data else { return 0 };
        let ColumnData::Text(global_ids) = &mut self.columns[0].data else { return 0 };
        let mut keep = vec![true; local_ids.codes.len()];
        let mut dropped = 0;
        for (r, &code) in local_ids.codes.iter().enumerate() {
            let Some(text) = local_ids.dict.get(code as usize) else { continue };
            let (first, new) = global_ids.insert(text);
            if new {
                global_ids.codes.to_mut().push(first);
            } else {
                keep[r] = false;
                dropped += 1;
                let first_line = self.lines.get(first as usize).copied().unwrap_or(0);
                let mut e = DataError::at(
                    &plan.file,
                    chunk.lines[r] as usize,
                    format!("duplicate id `{}` (first on line {first_line})", shown_value(text)),
                );
                if let SourceFields::Field(i) = plan.sources[0].fields {
                    e.column = Some(i + 1);
                }
                e.header = Some(plan.sources[0].label.clone());
                e.row_level = true;
                errors.push(e);
            }
        }
        for (dst, src) in self.columns[1..].iter_mut().zip(columns) {
            let before = dst.data.len();
            match (&mut dst.data, src.data) {
                (ColumnData::Text(d), ColumnData::Text(s)) => {
                    let mut remap = vec![NULL_CODE; s.dict.len()];
                    for (&c, &k) in s.codes.iter().zip(&keep) {
                        if !k {
                            continue;
                        }
                        if c == NULL_CODE {
                            d.codes.to_mut().push(NULL_CODE);
                            continue;
                        }
                        let slot = &mut remap[c as usize];
                        if *slot == NULL_CODE {
                            *slot = d.intern(&s.dict[c as usize]);
                        }
                        d.codes.to_mut().push(*slot);
                    }
                }
                (ColumnData::Int(d), ColumnData::Int(s)) => extend_kept(d.to_mut(), &s, &keep),
                (ColumnData::Number(d), ColumnData::Number(s)) => extend_kept(d.to_mut(), &s, &keep),
                (ColumnData::Bool(d), ColumnData::Bool(s)) => extend_kept(d.to_mut(), &s, &keep),
                (ColumnData::Timestamp(d), ColumnData::Timestamp(s)) => extend_kept(d.to_mut(), &s, &keep),
                _ => {}
            }
            append_valid(&mut dst.valid, src.valid, &keep, before);
        }
        self.lines.extend(chunk.lines.iter().zip(&keep).filter(|(_, k)| **k).map(|(l, _)| *l));
        dropped
    }

    fn into_table(mut self, schema: &TableSchema, custom: &[(usize, String)]) -> Table {
        let len = self.lines.len();
        if self.columns.is_empty() {
            // A header-only file has no chunk: every column is still there, with no rows.
            let types = schema.columns.iter().map(|c| c.ty).chain(custom.iter().map(|_| ColumnType::Text));
            self.columns = types.map(|ty| ColBuf::new(ty, None)).collect();
        }
        let names = schema
            .columns
            .iter()
            .map(|c| (c.name.to_string(), false))
            .chain(custom.iter().map(|(_, n)| (n.clone(), true)));
        let columns = self
            .columns
            .into_iter()
            .zip(names)
            .map(|(b, (name, custom))| Column { name, custom, data: b.data, valid: b.valid.map(Into::into) })
            .collect();
        Table { name: schema.name.to_string(), present: true, len, columns }
    }
}

fn extend_kept<T: Copy>(dst: &mut Vec<T>, src: &[T], keep: &[bool]) {
    dst.extend(src.iter().copied().zip(keep).filter(|(_, k)| **k).map(|(v, _)| v));
}

/// Appends the validity of a chunk's kept rows to a column that had `before` rows.
fn append_valid(dst: &mut Option<Vec<bool>>, src: Option<Vec<bool>>, keep: &[bool], before: usize) {
    match (dst.as_mut(), src) {
        (_, None) => {
            if let Some(d) = dst {
                d.extend(keep.iter().filter(|k| **k).map(|_| true));
            }
        }
        (Some(d), Some(s)) => d.extend(s.into_iter().zip(keep).filter(|(_, k)| **k).map(|(v, _)| v)),
        (None, Some(s)) => {
            let mut d = vec![true; before];
            d.extend(s.into_iter().zip(keep).filter(|(_, k)| **k).map(|(v, _)| v));
            *dst = Some(d);
        }
    }
}

/// For every table and link, the target row of each row (`u32::MAX` when null or dangling).
pub(crate) fn resolve_links(tables: &[Table]) -> Vec<Vec<crate::Buf<u32>>> {
    TABLES
        .iter()
        .zip(tables)
        .map(|(schema, table)| {
            schema
                .links
                .iter()
                .map(|link| {
                    let Some(target) =
                        TABLES.iter().position(|t| t.name == link.table).and_then(|i| tables.get(i))
                    else {
                        return vec![u32::MAX; table.len].into();
                    };
                    let Some(ColumnData::Text(col)) = table.column(link.column).map(|c| &c.data) else {
                        return vec![u32::MAX; table.len].into();
                    };
                    let by_code: Vec<u32> =
                        col.dict.iter().map(|id| target.row_of_id(id).unwrap_or(u32::MAX)).collect();
                    let rows: Vec<u32> = col
                        .codes
                        .iter()
                        .map(|&c| by_code.get(c as usize).copied().unwrap_or(u32::MAX))
                        .collect();
                    rows.into()
                })
                .collect()
        })
        .collect()
}

/// Collects warnings, listing the first few of each kind per file and counting the rest.
#[derive(Default)]
struct Warnings {
    list: Vec<DataWarning>,
    counts: BTreeMap<(String, &'static str), usize>,
    more: BTreeMap<(String, &'static str), String>,
}

impl Warnings {
    fn push(&mut self, file: &str, kind: &'static str, line: usize, message: String) {
        let n = self.counts.entry((file.to_string(), kind)).or_insert(0);
        *n += 1;
        if *n <= WARNING_CAP {
            self.list.push(DataWarning { file: file.to_string(), line, message, count: 1 });
        }
    }

    /// How to describe the unlisted rest of a kind.
    fn describe(&mut self, file: &str, kind: &'static str, what: String) {
        self.more.insert((file.to_string(), kind), what);
    }

    fn finish(mut self) -> Vec<DataWarning> {
        for ((file, kind), n) in &self.counts {
            if *n > WARNING_CAP {
                let what =
                    self.more.get(&(file.clone(), *kind)).cloned().unwrap_or_else(|| "like these".into());
                self.list.push(DataWarning {
                    file: file.clone(),
                    line: 0,
                    message: format!("{} more rows {what}", n - WARNING_CAP),
                    count: n - WARNING_CAP,
                });
            }
        }
        self.list
    }
}

fn check_links(
    tables: &[Table],
    links: &[Vec<crate::Buf<u32>>],
    lines: &[Vec<u32>],
    files: &[String],
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
            for (row, &t) in links[ti][li].iter().enumerate() {
                if t == u32::MAX && col.is_valid(row) {
                    let id = text.get(row).unwrap_or("");
                    w.push(
                        &files[ti],
                        kind,
                        lines[ti][row] as usize,
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
        }
    }
}

fn timestamps<'a>(table: &'a Table, name: &str) -> Option<(&'a Column, &'a [i64])> {
    let col = table.column(name)?;
    match &col.data {
        ColumnData::Timestamp(v) => Some((col, v)),
        _ => None,
    }
}

fn check_values(tables: &[Table], lines: &[Vec<u32>], files: &[String], w: &mut Warnings) {
    use crate::value::format_timestamp as ts;
    for (ti, schema) in TABLES.iter().enumerate() {
        let table = &tables[ti];
        if !table.present {
            continue;
        }
        let file = &files[ti];
        let line = |row: usize| lines[ti].get(row).copied().unwrap_or(0) as usize;
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
            if let Some(ColumnData::Number(hours)) = table.column("hours").map(|c| &c.data) {
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
