//! Loading a dataset directory: file discovery, header planning, block reading, parallel chunk
//! parsing, merging, checks.
//!
//! A CSV file is taken in blocks of [`BLOCK_BYTES`]: a regular file is mapped a window at a time
//! and parsed where it lies (no copy), anything else is read into buffers. Each block is split at
//! record boundaries into chunks parsed in parallel (each checks its text is UTF-8 and interns
//! text in its own dictionaries), while the table takes the previous block's chunks in file order
//! (one lookup per distinct chunk value; ids one by one, which finds duplicates) and the next
//! block is mapped or read. Chunks and buffers are reused and a window is unmapped once parsed,
//! so memory is the table's columns plus a few blocks.
use crate::buf::FileWindow;
use crate::build::{ColBuf, Staged, Values};
use crate::csv::{split_chunks, CsvReader};
use crate::error::{DataError, DataWarning, LoadErrors, ERROR_CAP};
use crate::intern::NULL_CODE;
use crate::profile::{ColumnMapping, TableMapping};
use crate::value::{
    parse_bool, parse_int, parse_number, parse_timestamp_format, parse_timestamp_with, trim, ZoneResolver,
};
use crate::{Column, ColumnData, Dataset, LoadOptions, Projection, Table};
use kpi_schema::{ColumnType, TableSchema, TABLES};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Bytes read from a CSV file at a time; a record straddling a block's end moves to the next.
const BLOCK_BYTES: usize = 16 << 20;
/// Bytes per parallel parse job.
const CHUNK_BYTES: usize = 512 << 10;
/// Row errors a table keeps, the first by line; the rest are counted.
const ROW_ERROR_LIMIT: usize = 1000;
/// Warnings of one kind in one file listed before they are only counted.
const WARNING_CAP: usize = 20;

/// Block and chunk sizes (small in tests, to cross many boundaries).
#[derive(Clone, Copy)]
struct Sizes {
    block: usize,
    chunk: usize,
}

const SIZES: Sizes = Sizes { block: BLOCK_BYTES, chunk: CHUNK_BYTES };

/// A file opened for reading: a regular file (mapped when it can be) or any reader.
enum Input<'a> {
    File(std::fs::File),
    Reader(Box<dyn Read + Send + 'a>),
}

impl<'a> Input<'a> {
    fn into_reader(self) -> Box<dyn Read + Send + 'a> {
        match self {
            Input::File(f) => Box::new(f),
            Input::Reader(r) => r,
        }
    }
}

/// A file opened for reading, with its size in bytes.
type Opened<'a> = (Input<'a>, u64);

/// Loads the dataset in `dir` (data contract v1). Every error is listed (up to a cap) and no
/// dataset is returned unless `options.skip_bad_rows` leaves the bad rows out.
pub fn load(dir: &Path, options: &LoadOptions) -> Result<Dataset, LoadErrors> {
    load_dir(dir, options, SIZES)
}

fn load_dir(dir: &Path, options: &LoadOptions, sizes: Sizes) -> Result<Dataset, LoadErrors> {
    let shown = dir.display().to_string();
    let names = match list_dir(dir) {
        Ok(n) => n,
        Err(e) => {
            let mut errors = LoadErrors::default();
            errors.push(DataError::file(&shown, format!("cannot read the dataset directory: {e}")));
            return Err(errors);
        }
    };
    let open = |name: &str| -> std::io::Result<Opened<'static>> {
        let file = std::fs::File::open(dir.join(name))?;
        let meta = file.metadata()?;
        let source = if meta.is_file() { Input::File(file) } else { Input::Reader(Box::new(file)) };
        Ok((source, meta.len()))
    };
    load_with(names, open, options, sizes)
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
    from_memory(files, options, SIZES)
}

fn from_memory(files: &[(&str, &str)], options: &LoadOptions, sizes: Sizes) -> Result<Dataset, LoadErrors> {
    let names = files.iter().map(|(n, _)| n.to_string()).collect();
    let open = |name: &str| -> std::io::Result<Opened<'_>> {
        match files.iter().find(|(n, _)| *n == name) {
            Some((_, c)) => Ok((Input::Reader(Box::new(c.as_bytes())), c.len() as u64)),
            None => Err(std::io::Error::from(std::io::ErrorKind::NotFound)),
        }
    };
    load_with(names, open, options, sizes)
}

/// A table read from its file.
struct Loaded<'p> {
    plan: Plan<'p>,
    table: Merged,
}

fn load_with<'a>(
    names: Vec<String>,
    open: impl Fn(&str) -> std::io::Result<Opened<'a>>,
    options: &LoadOptions,
    sizes: Sizes,
) -> Result<Dataset, LoadErrors> {
    let mut errors = LoadErrors::default();
    let mut warnings = Warnings::default();
    let mut used = vec![false; names.len()];
    let formats: &[String] = options.profile.as_ref().map_or(&[], |p| &p.timestamp_formats);

    // Find, read and parse every table's file, one after the other (each in parallel chunks).
    let mut loaded: Vec<Option<Loaded>> = (0..TABLES.len()).map(|_| None).collect();
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
        let source = match open(&file) {
            Ok(s) => s,
            Err(e) => {
                errors.push(DataError::file(&file, format!("cannot read: {e}")));
                continue;
            }
        };
        let wanted = options.columns.as_ref().map(|p| wanted_columns(schema, p));
        let header = Header { table: ti, file: &file, mapping, formats, wanted: wanted.as_ref() };
        let result = if file.ends_with(".jsonl") || file.ends_with(".ndjson") {
            let len = source.1;
            let loaded = load_jsonl(header, source.0.into_reader(), options.timezone);
            if let Some(p) = &options.progress {
                p.fetch_add(len, std::sync::atomic::Ordering::Relaxed);
            }
            loaded
        } else {
            load_csv(header, source, options.timezone, sizes, options.progress.clone())
        };
        match result {
            Ok(l) => {
                if l.table.records == 0 {
                    warnings.push(&file, "empty", 0, "the file has a header but no rows".to_string());
                }
                loaded[ti] = Some(l);
            }
            Err(errs) => errs.into_iter().for_each(|e| errors.push(e)),
        }
    }

    let mut row_errors: Vec<DataError> = Vec::new();
    let mut more_row_errors = 0;
    let mut skipped_rows = BTreeMap::new();
    for (l, schema) in loaded.iter_mut().zip(TABLES) {
        let Some(l) = l else { continue };
        if l.table.skipped > 0 {
            skipped_rows.insert(schema.name.to_string(), l.table.skipped);
        }
        row_errors.append(&mut l.table.errors);
        more_row_errors += l.table.more_errors;
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
                loaded.iter().flatten().next().map_or("", |l| l.plan.file.as_str()),
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
    for (ti, schema) in TABLES.iter().enumerate() {
        match loaded[ti].take() {
            Some(l) => {
                files[ti] = l.plan.file.clone();
                let (table, table_lines) = l.table.into_table(&l.plan);
                lines.push(table_lines);
                tables.push(table);
            }
            None => {
                lines.push(Lines::default());
                tables.push(Table::absent(schema));
            }
        }
    }
    let links = resolve_links(&tables);
    // Their kinds of warnings differ: listed one after the other as if checked in turn.
    let mut value_warnings = Warnings::default();
    rayon::join(
        || check_links(&tables, &links, &lines, &files, &mut warnings),
        || check_values(&tables, &lines, &files, &mut value_warnings),
    );
    warnings.append(value_warnings);

    let other_files = names.into_iter().zip(used).filter(|(_, u)| !u).map(|(n, _)| n).collect();
    Ok(Dataset {
        timezone: options.timezone,
        tables,
        skipped_rows,
        warnings: warnings.finish(),
        other_files,
        links: links.into_iter().map(|t| t.into_iter().map(crate::Buf::from).collect()).collect(),
        files,
    })
}

/// The columns of `schema` a projection loads: those it lists plus the keys links need (the `id`
/// of a table some link targets, each link's own column).
fn wanted_columns(schema: &TableSchema, projection: &Projection) -> BTreeSet<String> {
    let mut wanted = projection.get(schema.name).cloned().unwrap_or_default();
    if TABLES.iter().any(|t| t.links.iter().any(|l| l.table == schema.name)) {
        wanted.insert("id".to_string());
    }
    wanted.extend(schema.links.iter().map(|l| l.column.to_string()));
    wanted
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

const BOM: &[u8] = &[0xEF, 0xBB, 0xBF];

/// Checks UTF-8 and strips a byte-order mark.
fn into_text(file: &str, mut bytes: Vec<u8>) -> Result<String, DataError> {
    if bytes.starts_with(BOM) {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map_err(|e| utf8_error(file, e.as_bytes(), e.utf8_error().valid_up_to(), 1))
}

/// The error for invalid UTF-8 at byte `at` of `bytes`, which start a line, line `first_line`.
fn utf8_error(file: &str, bytes: &[u8], at: usize, first_line: usize) -> DataError {
    let line = first_line + memchr::memchr_iter(b'\n', &bytes[..at]).count();
    let line_start = memchr::memrchr(b'\n', &bytes[..at]).map_or(0, |p| p + 1);
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
    err
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
    /// The schema columns loaded (all but those a projection leaves out), in schema order.
    loaded: Vec<usize>,
    /// Custom columns loaded: (field index, name).
    custom: Vec<(usize, String)>,
    formats: &'p [String],
    /// JSON Lines: a field position means nothing, errors name the key only.
    jsonl: bool,
}

fn plan<'p>(h: Header<'_, 'p>, header: Vec<String>) -> Result<Plan<'p>, Vec<DataError>> {
    let (schema, file, mapping, formats) = (&TABLES[h.table], h.file, h.mapping, h.formats);
    let wanted = |name: &str| match h.wanted {
        None => true,
        Some(w) => w.contains(name),
    };
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
        .filter(|(_, name)| wanted(name))
        .collect();
    let loaded = (0..schema.columns.len()).filter(|&i| wanted(schema.columns[i].name)).collect();
    Ok(Plan {
        schema,
        file: file.to_string(),
        header,
        sources,
        joins,
        loaded,
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

/// What planning a table's file needs besides its header.
#[derive(Clone, Copy)]
struct Header<'a, 'p> {
    table: usize,
    file: &'a str,
    mapping: Option<&'p TableMapping>,
    formats: &'p [String],
    /// The columns a projection loads; `None` for all.
    wanted: Option<&'a BTreeSet<String>>,
}

/// Bytes of a file not parsed yet: read into a buffer, or a mapped window of the file.
enum Window {
    Read(Vec<u8>),
    Mapped(FileWindow),
}

impl Window {
    fn bytes(&self) -> &[u8] {
        match self {
            Window::Read(v) => v,
            Window::Mapped(w) => w.bytes(),
        }
    }
}

/// A file read a block at a time: a regular file is mapped a window at a time (no copy), any
/// other source (or a file that cannot be mapped) is read into buffers.
struct Blocks<'a> {
    src: Feed<'a>,
    eof: bool,
    size: usize,
    /// A buffer to read into, kept from a window done with.
    spare: Vec<u8>,
    /// Bytes taken in so far, across files (a progress bar reads it).
    progress: Option<Arc<AtomicU64>>,
}

enum Feed<'a> {
    Map { file: std::fs::File, len: u64 },
    Read(Box<dyn Read + Send + 'a>),
}

impl<'a> Blocks<'a> {
    fn new((src, len): Opened<'a>, size: usize, progress: Option<Arc<AtomicU64>>) -> Blocks<'a> {
        let src = match src {
            Input::File(file) => Feed::Map { file, len },
            Input::Reader(r) => Feed::Read(r),
        };
        Blocks { src, eof: false, size, spare: Vec::new(), progress }
    }

    fn taken(&self, bytes: usize) {
        if let Some(p) = &self.progress {
            p.fetch_add(bytes as u64, Ordering::Relaxed);
        }
    }

    /// The first window of the file.
    fn first(&mut self) -> std::io::Result<Window> {
        if let Feed::Map { file, len } = &self.src {
            let n = (*len).min(self.size as u64) as usize;
            if n == 0 {
                self.eof = true;
                return Ok(Window::Read(Vec::new()));
            }
            match FileWindow::map(file, 0, n) {
                Ok(w) => {
                    self.eof = n as u64 == *len;
                    self.taken(n);
                    return Ok(Window::Mapped(w));
                }
                // Read it instead (the file is still at its start).
                Err(_) => {
                    let empty = Feed::Read(Box::new(std::io::empty()));
                    if let Feed::Map { file, .. } = std::mem::replace(&mut self.src, empty) {
                        self.src = Feed::Read(Box::new(file));
                    }
                }
            }
        }
        self.next(&Window::Read(Vec::new()), 0)
    }

    /// The window after `cur`: its bytes from `from` on, then up to a block more.
    fn next(&mut self, cur: &Window, from: usize) -> std::io::Result<Window> {
        let rest = &cur.bytes()[from..];
        match (&mut self.src, cur) {
            (Feed::Map { file, len }, Window::Mapped(w)) => {
                let offset = w.offset() + from as u64;
                let n = (*len - offset).min((rest.len() + self.size) as u64) as usize;
                self.eof = offset + n as u64 == *len;
                if n == 0 {
                    return Ok(Window::Read(Vec::new()));
                }
                let window = FileWindow::map(file, offset, n)?;
                self.taken(n - rest.len());
                Ok(Window::Mapped(window))
            }
            (Feed::Read(src), _) => {
                let mut buf = std::mem::take(&mut self.spare);
                buf.clear();
                buf.reserve(rest.len() + self.size);
                buf.extend_from_slice(rest);
                if !self.eof {
                    let n = src.take(self.size as u64).read_to_end(&mut buf)?;
                    self.eof = n < self.size;
                    self.taken(n);
                }
                Ok(Window::Read(buf))
            }
            (Feed::Map { .. }, Window::Read(v)) => {
                // Only the empty first window of an empty file.
                debug_assert!(v.is_empty() && self.eof);
                Ok(Window::Read(Vec::new()))
            }
        }
    }

    /// Takes back a window done with, to reuse its buffer.
    fn recycle(&mut self, w: Window) {
        if let Window::Read(v) = w {
            if v.capacity() > self.spare.capacity() {
                self.spare = v;
            }
        }
    }
}

fn load_csv<'p>(
    h: Header<'_, 'p>,
    source: Opened,
    tz: chrono_tz::Tz,
    sizes: Sizes,
    progress: Option<Arc<AtomicU64>>,
) -> Result<Loaded<'p>, Vec<DataError>> {
    let file = h.file;
    let cannot_read = |e: std::io::Error| vec![DataError::file(file, format!("cannot read: {e}"))];
    let source_len = source.1;
    let mut blocks = Blocks::new(source, sizes.block, progress);
    // `window[start..]`: read, not parsed yet.
    let (mut window, mut start) = (blocks.first().map_err(cannot_read)?, 0);
    while window.bytes().len() < BOM.len() && !blocks.eof {
        window = blocks.next(&window, 0).map_err(cannot_read)?;
    }
    let buf = window.bytes();
    if buf.starts_with(BOM) {
        start = BOM.len();
    }
    let blank = |d: &[u8]| std::str::from_utf8(d).is_ok_and(|t| t.trim().is_empty());
    if blocks.eof && blank(&buf[start..]) {
        let cols: Vec<_> = TABLES[h.table].columns.iter().filter(|c| c.required).map(|c| c.name).collect();
        let what = if buf.len() == start {
            "the file is empty (0 bytes)".to_string()
        } else {
            "the file is blank".into()
        };
        return Err(vec![DataError::file(
            file,
            format!("{what}: expected a header row naming the columns (at least {})", cols.join(", ")),
        )]);
    }
    let (header, body_start, body_line) = loop {
        match read_header(file, &window.bytes()[start..], blocks.eof) {
            Ok(Some(found)) => break found,
            Ok(None) => window = blocks.next(&window, 0).map_err(cannot_read)?,
            Err(e) => return Err(vec![e]),
        }
    };
    let plan = plan(h, header)?;
    start += body_start;
    let mut table = Merged::new(&plan);
    table.line = body_line;

    // Parse a block's chunks in parallel while the table takes the previous block's chunks and
    // the next block is read into the other buffer.
    let (mut parsing, mut pending): (Vec<Chunk>, Vec<Chunk>) = (Vec::new(), Vec::new());
    let mut pending_len = 0;
    let mut reserved = false;
    let body_bytes = (source_len as usize).saturating_sub(start);
    loop {
        let data = &window.bytes()[start..];
        let (pieces, covered) = split_chunks(data, sizes.chunk, blocks.eof);
        if pieces.is_empty() && !blocks.eof {
            // A record longer than what was read: read more.
            let more = blocks.next(&window, start).map_err(cannot_read)?;
            blocks.recycle(std::mem::replace(&mut window, more));
            start = 0;
            continue;
        }
        while parsing.len() < pieces.len() {
            parsing.push(Chunk::new(&plan, tz));
        }
        let (read, ()) = rayon::join(
            || {
                for chunk in &mut pending[..pending_len] {
                    table.append(chunk, &plan);
                }
                // The records not in a piece start the next block.
                blocks.next(&window, start + covered)
            },
            || {
                parsing[..pieces.len()]
                    .par_iter_mut()
                    .zip(&pieces)
                    .for_each(|(chunk, &(a, b))| chunk.parse_csv(&plan, &data[a..b]))
            },
        );
        let next = read.map_err(cannot_read)?;
        if !reserved && covered > 0 {
            // Room for the whole file's rows at the rate of the first block: no regrowing.
            reserved = true;
            let rows: usize = parsing[..pieces.len()].iter().map(|c| c.lines.len()).sum();
            let estimate = (rows as f64 * body_bytes as f64 / covered as f64 * 1.02) as usize;
            table.reserve(estimate.saturating_sub(table.lines.len), &parsing[..pieces.len()]);
        }
        std::mem::swap(&mut parsing, &mut pending);
        pending_len = pieces.len();
        blocks.recycle(std::mem::replace(&mut window, next));
        start = 0;
        if table.failed.is_some() || (blocks.eof && window.bytes().is_empty()) {
            break;
        }
    }
    for chunk in &mut pending[..pending_len] {
        table.append(chunk, &plan);
    }
    if let Some(e) = table.failed.take() {
        return Err(vec![e]);
    }
    Ok(Loaded { plan, table })
}

/// The header record at the start of `data`: its trimmed fields (none when the data is blank),
/// where the body starts and its line; `None` when more must be read.
#[allow(clippy::type_complexity)]
fn read_header(file: &str, data: &[u8], eof: bool) -> Result<Option<(Vec<String>, usize, usize)>, DataError> {
    let (text, bad) = match std::str::from_utf8(data) {
        Ok(t) => (t, None),
        Err(e) => (std::str::from_utf8(&data[..e.valid_up_to()]).unwrap_or(""), e.error_len()),
    };
    let complete = |end: usize| end > 0 && text.as_bytes()[end - 1] == b'\n';
    let mut reader = CsvReader::new(text, 1);
    match reader.next_record() {
        Some(Ok(_)) if complete(reader.position()) || (eof && bad.is_none() && text.len() == data.len()) => {
            let header = (0..reader.len()).map(|i| reader.field(i).trim().to_string()).collect();
            Ok(Some((header, reader.position(), reader.line())))
        }
        None if eof && bad.is_none() && text.len() == data.len() => Ok(Some((Vec::new(), data.len(), 1))),
        Some(Err(e)) if eof && bad.is_none() && text.len() == data.len() => {
            let mut err = DataError::at(file, e.line, e.message);
            err.column = Some(e.column);
            Err(err)
        }
        _ if bad.is_some() || (eof && text.len() < data.len()) => Err(utf8_error(file, data, text.len(), 1)),
        _ => Ok(None),
    }
}

fn load_jsonl<'p>(
    h: Header<'_, 'p>,
    mut src: Box<dyn Read + Send + '_>,
    tz: chrono_tz::Tz,
) -> Result<Loaded<'p>, Vec<DataError>> {
    let file = h.file;
    let mut bytes = Vec::new();
    if let Err(e) = src.read_to_end(&mut bytes) {
        return Err(vec![DataError::file(file, format!("cannot read: {e}"))]);
    }
    let text = into_text(file, bytes).map_err(|e| vec![e])?;
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
    let plan = plan(h, header)?;
    let mut table = Merged::new(&plan);
    let mut chunk = Chunk::new(&plan, tz);
    chunk.parse_jsonl(&plan, &text, 1);
    table.append(&mut chunk, &plan);
    Ok(Loaded { plan, table })
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

/// The rows of one chunk of a file, for the loaded columns.
struct Chunk {
    columns: Vec<ColBuf>,
    lines: Vec<u32>,
    errors: Vec<DataError>,
    more_errors: usize,
    skipped: usize,
    zone: ZoneResolver,
    /// Invalid UTF-8 in the chunk, which is then not parsed.
    bad_text: Option<DataError>,
    /// Lines of a CSV chunk are counted from 0 as it is parsed (the line it starts on is known
    /// only once the chunks before it are): the newlines in it, for the table to add up.
    newlines: usize,
}

impl Chunk {
    fn new(plan: &Plan, tz: chrono_tz::Tz) -> Chunk {
        Chunk {
            columns: plan_columns(plan, true),
            lines: Vec::new(),
            errors: Vec::new(),
            more_errors: 0,
            skipped: 0,
            zone: ZoneResolver::new(tz),
            bad_text: None,
            newlines: 0,
        }
    }

    /// Empties the chunk for the next block, keeping its allocations.
    fn clear(&mut self) {
        self.columns.iter_mut().for_each(ColBuf::clear);
        self.lines.clear();
        self.errors.clear();
        self.more_errors = 0;
        self.skipped = 0;
        self.bad_text = None;
        self.newlines = 0;
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
    fn parse_csv(&mut self, plan: &Plan, bytes: &[u8]) {
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
            self.row(plan, line_no, &fields[..]);
        }
    }

    fn row(&mut self, plan: &Plan, line: usize, fields: &(impl Record + ?Sized)) {
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
        // Built only when a mapping joins fields (collecting nothing is a call per row).
        let joined: Vec<String> = if plan.joins.is_empty() {
            Vec::new()
        } else {
            plan.joins
                .iter()
                .map(|ix| {
                    ix.iter()
                        .map(|&i| fields.field(i).trim())
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect()
        };
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
                ColumnType::Number => parse_number(raw).map(Staged::Number),
                ColumnType::Bool => {
                    parse_bool(raw).map(|b| Staged::Bool(b != src.mapping.is_some_and(|m| m.invert)))
                }
                ColumnType::Timestamp => {
                    self.timestamp(raw, src.mapping, plan.formats).map(Staged::Timestamp)
                }
            };
            match value {
                Some(v) => staged[k] = v,
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

/// Builders for a plan's loaded columns: schema columns, then custom ones.
fn plan_columns(plan: &Plan, chunk: bool) -> Vec<ColBuf> {
    let mut columns: Vec<ColBuf> = plan
        .loaded
        .iter()
        .map(|&ci| {
            let c = &plan.schema.columns[ci];
            ColBuf::new(c.ty, c.default, ci == 0, chunk)
        })
        .collect();
    columns.extend(plan.custom.iter().map(|_| ColBuf::new(ColumnType::Text, None, false, chunk)));
    columns
}

/// The line of each row of a table: `first + row` while rows follow line after line (no blank
/// lines, multi-line values or rows left out), then a list.
#[derive(Default)]
struct Lines {
    first: u32,
    len: usize,
    list: Vec<u32>,
}

impl Lines {
    fn push(&mut self, line: u32) {
        if self.list.is_empty() {
            if self.len == 0 {
                self.first = line;
            }
            if line == self.first.wrapping_add(self.len as u32) {
                self.len += 1;
                return;
            }
            self.list = (0..self.len as u32).map(|r| self.first + r).collect();
        }
        self.list.push(line);
        self.len += 1;
    }

    fn get(&self, row: usize) -> u32 {
        match self.list.get(row) {
            Some(&line) => line,
            None if self.list.is_empty() && row < self.len => self.first + row as u32,
            None => 0,
        }
    }
}

/// A table's rows, taken from its chunks in file order.
struct Merged {
    columns: Vec<ColBuf>,
    lines: Lines,
    /// The first [`ROW_ERROR_LIMIT`] row errors by line; the rest are counted.
    errors: Vec<DataError>,
    more_errors: usize,
    skipped: usize,
    /// Records read, kept or not.
    records: usize,
    /// A file-level error (invalid UTF-8): the table is not loaded.
    failed: Option<DataError>,
    /// The line the next chunk starts on; chunks number their lines from it (0 for JSON Lines,
    /// whose one chunk has the file's own numbers).
    line: usize,
    /// Scratch: chunk code -> table code, rows kept, ids' first codes and insertion order.
    remap: Vec<u32>,
    keep: Vec<bool>,
    firsts: Vec<u32>,
    order: Vec<u32>,
}

impl Merged {
    fn new(plan: &Plan) -> Merged {
        Merged {
            columns: plan_columns(plan, false),
            lines: Lines::default(),
            errors: Vec::new(),
            more_errors: 0,
            skipped: 0,
            records: 0,
            failed: None,
            line: 0,
            remap: Vec::new(),
            keep: Vec::new(),
            firsts: Vec::new(),
            order: Vec::new(),
        }
    }

    /// Room for `more` rows; ids as long as those of `chunks`.
    fn reserve(&mut self, more: usize, chunks: &[Chunk]) {
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
    fn append(&mut self, chunk: &mut Chunk, plan: &Plan) {
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
                let mut e = DataError::at(
                    &plan.file,
                    line as usize,
                    format!("duplicate id `{}` (first on line {first_line})", shown_value(id)),
                );
                e.column = if plan.jsonl { None } else { field };
                e.header = Some(label);
                e.row_level = true;
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
    fn into_table(self, plan: &Plan) -> (Table, Lines) {
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
                    let mut next = 0u32;
                    let by_code: Vec<u32> = col
                        .dict
                        .iter()
                        .map(|id| {
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
                        .collect();
                    col.codes.iter().map(|&c| by_code.get(c as usize).copied().unwrap_or(u32::MAX)).collect()
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

    /// Adds the warnings of `other`, whose kinds are not in `self`.
    fn append(&mut self, other: Warnings) {
        self.list.extend(other.list);
        self.counts.extend(other.counts);
        self.more.extend(other.more);
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
    links: &[Vec<Vec<u32>>],
    lines: &[Lines],
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

fn check_values(tables: &[Table], lines: &[Lines], files: &[String], w: &mut Warnings) {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Everything a load gives, as text.
    fn shown(files: &[(&str, &str)], options: &LoadOptions, sizes: Sizes) -> String {
        describe(from_memory(files, options, sizes))
    }

    /// The same, the files written to a directory (regular files, mapped a window at a time).
    fn shown_from_files(files: &[(&str, &str)], options: &LoadOptions, sizes: Sizes) -> String {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        describe(load_dir(dir.path(), options, sizes))
    }

    fn describe(result: Result<Dataset, LoadErrors>) -> String {
        match result {
            Err(e) => format!("errors ({}):\n{e}", e.count()),
            Ok(d) => {
                let mut out = format!("{:?}\n{:?}\n{:?}\n", d.tables, d.warnings, d.skipped_rows);
                for (schema, table) in TABLES.iter().zip(&d.tables) {
                    for link in schema.links {
                        out += &format!(
                            "{}.{}: {:?}\n",
                            table.name,
                            link.name,
                            d.link_rows(&table.name, link.name)
                        );
                    }
                }
                out
            }
        }
    }

    fn entries(bad: bool) -> String {
        let mut s =
            String::from("\u{feff}id,resource_id,ticket_id,started_at,ended_at,hours,billable,note\r\n");
        for i in 0..3000 {
            let note = match i % 7 {
                0 => "\"multi\nline, \"\"quoted\"\"\"".to_string(),
                1 => String::new(),
                n => format!("n{n}"),
            };
            let hours = if bad && i % 97 == 5 { "1.5h".to_string() } else { format!("{}", i % 4) };
            let id = if bad && i % 251 == 7 { "E3".to_string() } else { format!("E{i}") };
            s += &format!(
                "{id},R{},T{},2026-03-02T09:00:00Z,2026-03-02T10:00:00Z,{hours},true,{note}\r\n",
                1 + i % 3,
                i / 3
            );
            if i % 500 == 0 {
                s += "\r\n";
            }
            if bad && i % 700 == 3 {
                s += "E9x,R1\r\n";
            }
        }
        s
    }

    #[test]
    fn blocks_and_chunks_of_any_size_load_the_same() {
        let resources = "id,name\nR1,Ann\nR2,Bob\nR3,Cy\n";
        let mut tickets = String::from("id,created_at\n");
        for t in 0..1000 {
            tickets += &format!("T{t},2026-03-02T09:00:00Z\n");
        }
        for bad in [false, true] {
            let entries = entries(bad);
            let files = [
                ("resources.csv", resources),
                ("tickets.csv", tickets.as_str()),
                ("time_entries.csv", &entries),
            ];
            for skip in [false, true] {
                let options = LoadOptions { skip_bad_rows: skip, ..LoadOptions::default() };
                let want = shown(&files, &options, SIZES);
                let sizes = [(1, 1), (50, 7), (1000, 100), (4096, 4096), (100_000, 1000)];
                // Mapping a window per byte is slow: mapped files start at 50 bytes.
                let both = [false, true].into_iter().flat_map(|m| sizes.map(|s| (m, s)));
                for (mapped, (block, chunk)) in both.filter(|&(m, (b, _))| !m || b > 1) {
                    let sizes = Sizes { block, chunk };
                    let got = if mapped {
                        shown_from_files(&files, &options, sizes)
                    } else {
                        shown(&files, &options, sizes)
                    };
                    let at = got.bytes().zip(want.bytes()).position(|(a, b)| a != b).unwrap_or(got.len());
                    let near = |s: &str| {
                        s.get(at.saturating_sub(200)..(at + 200).min(s.len())).unwrap_or("").to_string()
                    };
                    assert!(
                        got == want,
                        "bad {bad}, skip {skip}, mapped {mapped}, block {block}, chunk {chunk}: got\n{}\nwant\n{}",
                        near(&got),
                        near(&want)
                    );
                }
                assert_eq!(want.contains("errors"), bad && !skip, "{want}");
            }
        }
    }

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

    #[test]
    fn invalid_utf8_is_found_in_any_block() {
        let mut entries = entries(false).into_bytes();
        let at = entries.len() - 30;
        entries[at] = 0xF6;
        let files: Vec<(&str, Vec<u8>)> = vec![
            ("resources.csv", b"id,name\nR1,Ann\n".to_vec()),
            ("tickets.csv", b"id,created_at\n".to_vec()),
            ("time_entries.csv", entries),
        ];
        let names = files.iter().map(|(n, _)| n.to_string()).collect::<Vec<_>>();
        let open = |name: &str| -> std::io::Result<Opened<'_>> {
            let (_, b) = files.iter().find(|(n, _)| *n == name).expect("a test file");
            Ok((Input::Reader(Box::new(&b[..])), b.len() as u64))
        };
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in &files {
            std::fs::write(dir.path().join(name), bytes).unwrap();
        }
        for (block, chunk) in [(1, 1), (50, 7), (100_000, 1000), (BLOCK_BYTES, CHUNK_BYTES)] {
            let sizes = Sizes { block, chunk };
            let read = load_with(names.clone(), open, &LoadOptions::default(), sizes).unwrap_err();
            // Mapping a window per byte is slow.
            let mapped =
                (block > 1).then(|| load_dir(dir.path(), &LoadOptions::default(), sizes).unwrap_err());
            for e in std::iter::once(read).chain(mapped) {
                assert_eq!(
                    e.to_string(),
                    "time_entries.csv:3436: error: invalid UTF-8 (byte 0xF6 at character 38): save the export as UTF-8 (Excel: \"CSV UTF-8\")",
                    "block {block}, chunk {chunk}"
                );
            }
        }
    }
}
