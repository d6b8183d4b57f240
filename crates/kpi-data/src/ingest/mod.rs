//! Loading a dataset directory: discover files, plan columns, read blocks, parse chunks, merge, check.
use crate::cache::{FileMeta, Stamp};
use crate::error::{DataError, LoadErrors};
use crate::{Dataset, LoadOptions, Table};
use kpi_schema::TABLES;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

mod blocks;
mod business;
mod checks;
mod chunk;
mod discover;
mod extra;
#[cfg(test)]
mod fuzz;
mod merge;
mod placement;
mod plan;
mod read;
mod reshape;
mod source;
#[cfg(test)]
mod tests;

use blocks::{Sizes, SIZES};
use checks::Warnings;
use discover::{Input, Opened};
pub(crate) use merge::Lines;
use merge::Merged;
use plan::{Header, Plan};

pub use checks::implausible_timestamps;
pub(crate) use checks::resolve_links;
pub(crate) use discover::list_dir;
pub(crate) use source::{delimiter_named, encoding_named};

/// Loads the dataset in `dir` (data contract v1). Every error is listed (up to a cap) and no
/// dataset is returned unless `options.skip_bad_rows` leaves the bad rows out.
pub fn load(dir: &Path, options: &LoadOptions) -> Result<Dataset, LoadErrors> {
    load_dir(dir, options, SIZES)
}

fn load_dir(dir: &Path, options: &LoadOptions, sizes: Sizes) -> Result<Dataset, LoadErrors> {
    load_dir_as(dir, options, sizes, false)
}

/// [`load`] for the cache: each file read is stamped from its open handle and the bytes parsed
/// ([`Dataset::read`]), so that the cache answers only for the files that were parsed.
pub(crate) fn load_stamped(dir: &Path, options: &LoadOptions) -> Result<Dataset, LoadErrors> {
    load_dir_as(dir, options, SIZES, true)
}

fn load_dir_as(dir: &Path, options: &LoadOptions, sizes: Sizes, stamp: bool) -> Result<Dataset, LoadErrors> {
    let shown = dir.display().to_string();
    let names = match list_dir(dir) {
        Ok(n) => n,
        Err(e) => {
            let mut errors = LoadErrors::default();
            errors.push(DataError::file(&shown, format!("cannot read the dataset directory: {e}")));
            return Err(errors);
        }
    };
    let listing = crate::cache::without_cache_files(names.clone());
    let mut dataset = load_with(names, |name| discover::open_in(dir, name), options, sizes, stamp)?;
    if let Some(read) = &mut dataset.read {
        read.names = listing;
    }
    Ok(dataset)
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
    load_with(names, open, options, sizes, false)
}

/// A table read from its file.
struct Loaded<'p> {
    plan: Plan<'p>,
    table: Merged,
    /// The hash of the bytes parsed and how many, when stamped.
    read: Option<(u64, u64)>,
    /// What a profile did to the rows beyond mapping columns (see [`Dataset::reshaped`]).
    reshaped: Option<String>,
}

/// What the cache must know of the files a load read (see [`load_stamped`]).
#[derive(Debug, Clone, Default)]
pub(crate) struct ReadRecord {
    /// The directory listing the load worked from (cache files left out).
    pub(crate) names: Vec<String>,
    /// Each file read: its metadata taken from the open handle, the hash of the bytes parsed.
    pub(crate) stamps: Vec<Stamp>,
    /// Why some file cannot be stamped (it changed while it was read, or is not a regular
    /// file): then no cache may answer for the load.
    pub(crate) unstamped: Vec<String>,
}

/// The load of files `names`, opened by `open`. A CSV file is taken in blocks (`blocks`): a
/// regular file is mapped a window at a time and parsed where it lies, anything else is read into
/// buffers. Each block is split at record boundaries into chunks parsed in parallel (`chunk`: each
/// checks its text is UTF-8 and interns text in its own dictionaries), while the table takes the
/// previous block's chunks in file order (`merge`: one lookup per distinct chunk value; ids one by
/// one, which finds duplicates) and the next block is mapped or read (`read`). Chunks and buffers
/// are reused and a window is unmapped once parsed, so memory is the table's columns plus a few
/// blocks. Once every file is read, links are resolved and references and values checked (`checks`).
fn load_with<'a>(
    names: Vec<String>,
    open: impl Fn(&str) -> std::io::Result<Opened<'a>>,
    options: &LoadOptions,
    sizes: Sizes,
    stamp: bool,
) -> Result<Dataset, LoadErrors> {
    let mut errors = LoadErrors::default();
    let mut warnings = Warnings::default();
    let mut used = vec![false; names.len()];
    let mut record = stamp.then(ReadRecord::default);

    // Find, read and parse every table's file, one after the other (each in parallel chunks);
    // tables derived from another after it.
    let mut loaded: Vec<Option<Loaded>> = (0..TABLES.len()).map(|_| None).collect();
    let mut raws: Vec<Option<source::Raw>> = (0..TABLES.len()).map(|_| None).collect();
    let derived = |ti: usize| {
        options.profile.as_ref().and_then(|p| p.table(TABLES[ti].name)).is_some_and(|m| m.derive.is_some())
    };
    let order: Vec<usize> =
        (0..TABLES.len()).filter(|&t| !derived(t)).chain((0..TABLES.len()).filter(|&t| derived(t))).collect();
    for ti in order {
        match read_table(ti, &names, &open, options, sizes, record.as_mut(), &mut raws) {
            Ok(Some((files, l))) => {
                files.iter().for_each(|&i| used[i] = true);
                if l.table.records == 0 {
                    warnings.push(&l.plan.file, "empty", 0, "the file has a header but no rows".to_string());
                }
                loaded[ti] = Some(l);
            }
            Ok(None) => {}
            Err(errs) => errs.into_iter().for_each(|e| errors.push(e)),
        }
    }
    let skipped_rows = checks::row_errors(&mut loaded, options.skip_bad_rows, &mut errors, &mut warnings);
    if !errors.is_empty() {
        return Err(errors);
    }
    let other_files = names.into_iter().zip(used).filter(|(_, u)| !u).map(|(n, _)| n).collect();
    let reshaped = TABLES
        .iter()
        .zip(&loaded)
        .filter_map(|(t, l)| Some((t.name.to_string(), l.as_ref()?.reshaped.clone()?)))
        .collect();
    // Rules read `cost_per_hour` when the projection asks for it: then every null is reported.
    let cost_read = options.columns.as_ref().is_some_and(|p| {
        p.get("resources").is_some_and(|c| c.contains(kpi_schema::columns::RESOURCE_COST_PER_HOUR.name))
    });
    let mut dataset = into_dataset(loaded, options, warnings, cost_read);
    dataset.reshaped = reshaped;
    dataset.skipped_rows = skipped_rows;
    dataset.other_files = other_files;
    dataset.read = record.map(Box::new);
    Ok(dataset)
}

/// Reads table `ti` from its file(s): the files' indices in `names` and the table, `None` when an
/// optional table has no file. A table whose profile reshapes it (or a workbook, a JSON document,
/// several files) is read by the general reader into rows of text first (`source`, `reshape`);
/// its rows are kept in `raws` when another table derives from it.
fn read_table<'a, 'o>(
    ti: usize,
    names: &[String],
    open: &impl Fn(&str) -> std::io::Result<Opened<'a>>,
    options: &'o LoadOptions,
    sizes: Sizes,
    mut record: Option<&mut ReadRecord>,
    raws: &mut [Option<source::Raw>],
) -> Result<Option<(Vec<usize>, Loaded<'o>)>, Vec<DataError>> {
    let schema = &TABLES[ti];
    let profile = options.profile.as_ref();
    let mapping = profile.and_then(|p| p.table(schema.name));
    let wanted = options.columns.as_ref().map(|p| plan::wanted_columns(schema, p));
    let formats: &[String] = profile.map_or(&[], |p| &p.timestamp_formats);
    let nulls: &[String] = profile.map_or(&[], |p| &p.null);
    let date_order = profile.and_then(|p| p.date_order);
    let tz = profile.and_then(|p| p.zone()).unwrap_or(options.timezone);
    macro_rules! header {
        ($file:expr, $mapping:expr) => {
            Header {
                table: ti,
                file: $file,
                mapping: $mapping,
                formats,
                nulls,
                date_order,
                wanted: wanted.as_ref(),
            }
        };
    }
    if let Some(d) = mapping.and_then(|m| m.derive.as_ref()) {
        let Some(from) = TABLES.iter().position(|t| t.name == d.from).and_then(|i| raws[i].as_ref()) else {
            return Ok(None);
        };
        let label = format!("{} (from {})", schema.name, from.files.first().map_or("", |f| f.name.as_str()));
        let raw = reshape::derive(from, d, nulls, &label).map_err(|e| vec![e])?;
        let note = format!("derived: {} distinct ids of {}", raw.rows.len(), d.from);
        let h = header!(&label, None);
        let mut l = load_raw(h, &raw, tz, sizes)?;
        l.reshaped = Some(note);
        return Ok(Some((Vec::new(), l)));
    }
    let found = discover::find_files(schema, mapping, names).map_err(|e| vec![e])?;
    if found.is_empty() {
        let unread = options.columns.as_ref().is_some_and(|p| !p.contains_key(schema.name));
        if schema.required && !mapping.is_some_and(|m| m.optional) && !unread {
            return Err(vec![discover::missing_table(schema, mapping)]);
        }
        return Ok(None);
    }
    let general = found.len() > 1
        || profile.is_some_and(|p| p.reshapes(schema.name))
        || found.iter().any(|&i| source::is_workbook(&names[i]) || source::is_json_document(&names[i]));
    if !general {
        let i = found[0];
        match read_file(
            ti,
            &names[i],
            open,
            options,
            sizes,
            record.as_deref_mut(),
            header!(&names[i], mapping),
            tz,
        ) {
            // A header of one field holding `;` or tabs: read again, the delimiter detected.
            Err(e) if e.len() == 1 && e[0].message.contains("-separated;") => {}
            other => return other.map(|l| Some((found, l))),
        }
    }
    let files: Vec<&str> = found.iter().map(|&i| names[i].as_str()).collect();
    let mut raw = read_raw(&files, open, mapping).map_err(|e| vec![e])?;
    let label = if files.len() == 1 {
        files[0].to_string()
    } else {
        mapping
            .and_then(|m| m.file.iter().find(|f| files.iter().any(|n| source::matches_pattern(f, n))))
            .cloned()
            .unwrap_or_else(|| files.join("+"))
    };
    if let Some(m) = mapping {
        reshape::filter(&label, &mut raw, &m.filter, nulls).map_err(|e| vec![e])?;
        if let Some(c) = &m.collapse {
            let mut reading = reshape::Reading {
                formats,
                order: date_order,
                nulls,
                zone: crate::value::ZoneResolver::new(tz),
            };
            reshape::collapse(&label, &mut raw, m, c, &mut reading).map_err(|e| vec![e])?;
        }
    }
    let mut notes = Vec::new();
    if files.len() > 1 {
        notes.push(format!("{} files read as one", files.len()));
    }
    if raw.filtered > 0 {
        notes.push(format!("{} rows filtered out", raw.filtered));
    }
    if raw.collapsed > 0 {
        notes.push(format!(
            "collapsed {} rows into {} (one per id)",
            raw.collapsed + raw.rows.len(),
            raw.rows.len()
        ));
    }
    let h = header!(&label, mapping);
    let mut l = load_raw(h, &raw, tz, sizes)?;
    l.reshaped = (!notes.is_empty()).then(|| notes.join("; "));
    if profile.is_some_and(|p| p.reshapes(schema.name)) {
        raws[ti] = Some(raw);
    }
    if let Some(record) = record {
        record.unstamped.push(format!("{label} is read by the general reader"));
    }
    Ok(Some((found, l)))
}

/// Reads `files` (one table) into rows of text: each by its kind (workbook, JSON, delimited text).
fn read_raw<'a>(
    files: &[&str],
    open: &impl Fn(&str) -> std::io::Result<Opened<'a>>,
    mapping: Option<&crate::profile::TableMapping>,
) -> Result<source::Raw, DataError> {
    let mut raw = source::Raw::default();
    for (fi, &file) in files.iter().enumerate() {
        let cannot_read = |e: std::io::Error| DataError::file(file, format!("cannot read: {e}"));
        let mut bytes = Vec::new();
        open(file).map_err(cannot_read)?.0.into_reader().read_to_end(&mut bytes).map_err(cannot_read)?;
        raw.files.push(source::SourceFile { name: file.to_string(), sheet: None, header_line: 1 });
        let fi = fi as u16;
        if source::is_workbook(file) {
            source::parse_workbook(file, bytes, mapping.and_then(|m| m.sheet.as_deref()), fi, &mut raw)?;
            continue;
        }
        let encoding = mapping.and_then(|m| m.encoding.as_deref()).and_then(source::encoding_named);
        let text = source::decode(file, &bytes, encoding)?;
        if source::is_json_document(file) || discover::is_jsonl(file) {
            source::parse_json(file, &text, discover::is_jsonl(file), fi, &mut raw)?;
        } else {
            let delimiter = mapping
                .and_then(|m| m.delimiter.as_deref())
                .and_then(source::delimiter_named)
                .unwrap_or_else(|| source::detect_delimiter(&text));
            source::parse_delimited(file, &text, delimiter, fi, &mut raw)?;
        }
    }
    Ok(raw)
}

/// Loads rows of text as a CSV file, then points every error and row back at its source file
/// and line (or sheet cell).
fn load_raw<'p>(
    h: Header<'_, 'p>,
    raw: &source::Raw,
    tz: chrono_tz::Tz,
    sizes: Sizes,
) -> Result<Loaded<'p>, Vec<DataError>> {
    let (text, starts) = reshape::render(raw);
    let len = text.len() as u64;
    let input = Input::Reader(Box::new(std::io::Cursor::new(text.into_bytes())));
    let relocate = |e: &mut DataError| relocate(e, raw, &starts);
    let mut l = read::load_csv(h, (input, len), tz, sizes, None, false).map_err(|mut es| {
        es.iter_mut().for_each(relocate);
        es
    })?;
    l.table.errors.iter_mut().for_each(relocate);
    let lines = std::mem::take(&mut l.table.lines);
    for row in 0..lines.len {
        let at = lines.get(row);
        l.table.lines.push(origin_of(raw, &starts, at).1);
    }
    Ok(l)
}

/// The source file and line (or sheet row) of rendered line `line`.
fn origin_of(raw: &source::Raw, starts: &[u32], line: u32) -> (usize, u32) {
    match starts.partition_point(|&s| s <= line).checked_sub(1) {
        Some(r) => (raw.origin[r].0 as usize, raw.origin[r].1),
        None => (0, raw.files.first().map_or(1, |f| f.header_line)),
    }
}

fn relocate(e: &mut DataError, raw: &source::Raw, starts: &[u32]) {
    let Some(line) = e.line else { return };
    let (fi, at) = origin_of(raw, starts, line as u32);
    let Some(file) = raw.files.get(fi) else { return };
    e.file = file.name.clone();
    e.line = Some(at as usize);
    // In a workbook the cell says where (`Tickets.xlsx: Page 1!D17`), not a line and field.
    if let (Some((sheet, col0)), Some(col)) = (&file.sheet, e.column) {
        e.file = format!("{}: {sheet}!{}{at}", file.name, source::column_letters(col0 + col as u32 - 1));
        e.line = None;
        e.column = None;
    }
}

/// Reads one file by the fast path: CSV in blocks, or JSON Lines.
#[allow(clippy::too_many_arguments)]
fn read_file<'a, 'o>(
    ti: usize,
    file: &str,
    open: &impl Fn(&str) -> std::io::Result<Opened<'a>>,
    options: &'o LoadOptions,
    sizes: Sizes,
    record: Option<&mut ReadRecord>,
    header: Header<'_, 'o>,
    tz: chrono_tz::Tz,
) -> Result<Loaded<'o>, Vec<DataError>> {
    let _ = ti;
    let cannot_read = |e: std::io::Error| vec![DataError::file(file, format!("cannot read: {e}"))];
    let source = open(file).map_err(cannot_read)?;
    // The handle's metadata at open, and a second handle to the same file to compare after.
    let opened = match (&record, &source.0) {
        (Some(_), Input::File(f)) => {
            let meta = f.metadata().map_err(cannot_read)?;
            Some((f.try_clone().map_err(cannot_read)?, FileMeta::of(&meta)))
        }
        _ => None,
    };
    let stamp = record.is_some();
    let loaded = if discover::is_jsonl(file) {
        let len = source.1;
        let loaded = read::load_jsonl(header, source.0.into_reader(), tz, stamp);
        if let Some(p) = &options.progress {
            p.fetch_add(len, std::sync::atomic::Ordering::Relaxed);
        }
        loaded
    } else {
        read::load_csv(header, source, tz, sizes, options.progress.clone(), stamp)
    }?;
    if let Some(record) = record {
        match (opened, loaded.read) {
            (Some((handle, at_open)), Some((hash, size))) => {
                // Metadata of the same file (not of the path) after reading it: any write
                // meanwhile shows in its size, modification or change time.
                let after = handle.metadata().map(|m| FileMeta::of(&m));
                if after.as_ref().ok() != Some(&at_open) || size != at_open.size {
                    record.unstamped.push(format!("{file} changed while it was read"));
                }
                record.stamps.push(Stamp { name: file.to_string(), meta: at_open, hash });
            }
            _ => record.unstamped.push(format!("{file} is not a regular file")),
        }
    }
    Ok(loaded)
}

/// The dataset of the tables read: tables built, links resolved, references and values checked
/// (their warnings after `warnings`).
fn into_dataset(
    mut loaded: Vec<Option<Loaded>>,
    options: &LoadOptions,
    mut warnings: Warnings,
    cost_read: bool,
) -> Dataset {
    let timezone = options.timezone;
    let mut tables = Vec::with_capacity(TABLES.len());
    let mut lines = Vec::with_capacity(TABLES.len());
    let mut files = vec![String::new(); TABLES.len()];
    let mut left_out: Vec<std::collections::HashSet<String>> = vec![Default::default(); TABLES.len()];
    let mut absent_columns = BTreeMap::new();
    for (ti, schema) in TABLES.iter().enumerate() {
        match loaded[ti].take() {
            Some(mut l) => {
                files[ti] = l.plan.file.clone();
                let absent: Vec<String> = (schema.columns.iter().zip(&l.plan.sources))
                    .filter(|(_, s)| {
                        matches!(s.fields, plan::SourceFields::Absent)
                            && s.mapping.is_none_or(|m| m.default.is_none())
                    })
                    .map(|(c, _)| c.name.to_string())
                    .collect();
                if !absent.is_empty() {
                    absent_columns.insert(schema.name.to_string(), absent);
                }
                left_out[ti] = std::mem::take(&mut l.table.skipped_ids).into_iter().collect();
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
    extra::type_extra_columns(&mut tables, options.profile.as_ref(), timezone, &files, &lines, &mut warnings);
    checks::survey_resources_from_tickets(&mut tables, &files, &mut warnings);
    let links = resolve_links(&tables);
    // Their kinds of warnings differ: listed one after the other as if checked in turn.
    let mut value_warnings = Warnings::default();
    rayon::join(
        || checks::check_links(&tables, &links, &lines, &files, &left_out, &mut warnings),
        || {
            checks::check_values(&tables, &lines, &files, &mut value_warnings);
            business::check_business_values(&tables, &lines, &files, cost_read, &mut value_warnings);
        },
    );
    warnings.append(value_warnings);
    let mut links = links;
    placement::place_rows(&mut tables, &mut lines, &mut links);
    Dataset {
        timezone,
        tables,
        skipped_rows: BTreeMap::new(),
        warnings: warnings.finish(),
        other_files: Vec::new(),
        reshaped: BTreeMap::new(),
        absent_columns,
        links: links.into_iter().map(|t| t.into_iter().map(crate::Buf::from).collect()).collect(),
        files,
        lines,
        read: None,
    }
}
