//! Loading a dataset directory: discover files, plan columns, read blocks, parse chunks, merge, check.
use crate::cache::{FileMeta, Stamp};
use crate::error::{DataError, LoadErrors};
use crate::{Dataset, LoadOptions, Table};
use kpi_schema::TABLES;
use std::collections::BTreeMap;
use std::path::Path;

mod blocks;
mod business;
mod checks;
mod chunk;
mod discover;
#[cfg(test)]
mod fuzz;
mod merge;
mod plan;
mod read;
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

    // Find, read and parse every table's file, one after the other (each in parallel chunks).
    let mut loaded: Vec<Option<Loaded>> = (0..TABLES.len()).map(|_| None).collect();
    for (ti, slot) in loaded.iter_mut().enumerate() {
        match read_table(ti, &names, &open, options, sizes, record.as_mut()) {
            Ok(Some((i, l))) => {
                used[i] = true;
                if l.table.records == 0 {
                    warnings.push(&names[i], "empty", 0, "the file has a header but no rows".to_string());
                }
                *slot = Some(l);
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
    // Rules read `cost_per_hour` when the projection asks for it: then every null is reported.
    let cost_read = options.columns.as_ref().is_some_and(|p| {
        p.get("resources").is_some_and(|c| c.contains(kpi_schema::columns::RESOURCE_COST_PER_HOUR.name))
    });
    let mut dataset = into_dataset(loaded, options.timezone, warnings, cost_read);
    dataset.skipped_rows = skipped_rows;
    dataset.other_files = other_files;
    dataset.read = record.map(Box::new);
    Ok(dataset)
}

/// Reads table `ti` from its file: the file's index in `names` and the table, `None` when an
/// optional table has no file.
fn read_table<'a, 'o>(
    ti: usize,
    names: &[String],
    open: &impl Fn(&str) -> std::io::Result<Opened<'a>>,
    options: &'o LoadOptions,
    sizes: Sizes,
    record: Option<&mut ReadRecord>,
) -> Result<Option<(usize, Loaded<'o>)>, Vec<DataError>> {
    let schema = &TABLES[ti];
    let mapping = options.profile.as_ref().and_then(|p| p.table(schema.name));
    let i = match discover::find_file(schema, mapping, names) {
        Ok(Some(i)) => i,
        Ok(None) if schema.required => return Err(vec![discover::missing_table(schema, mapping)]),
        Ok(None) => return Ok(None),
        Err(e) => return Err(vec![e]),
    };
    let file = names[i].as_str();
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
    let wanted = options.columns.as_ref().map(|p| plan::wanted_columns(schema, p));
    let formats: &[String] = options.profile.as_ref().map_or(&[], |p| &p.timestamp_formats);
    let header = Header { table: ti, file, mapping, formats, wanted: wanted.as_ref() };
    let stamp = record.is_some();
    let loaded = if discover::is_jsonl(file) {
        let len = source.1;
        let loaded = read::load_jsonl(header, source.0.into_reader(), options.timezone, stamp);
        if let Some(p) = &options.progress {
            p.fetch_add(len, std::sync::atomic::Ordering::Relaxed);
        }
        loaded
    } else {
        read::load_csv(header, source, options.timezone, sizes, options.progress.clone(), stamp)
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
    Ok(Some((i, loaded)))
}

/// The dataset of the tables read: tables built, links resolved, references and values checked
/// (their warnings after `warnings`).
fn into_dataset(
    mut loaded: Vec<Option<Loaded>>,
    timezone: chrono_tz::Tz,
    mut warnings: Warnings,
    cost_read: bool,
) -> Dataset {
    let mut tables = Vec::with_capacity(TABLES.len());
    let mut lines = Vec::with_capacity(TABLES.len());
    let mut files = vec![String::new(); TABLES.len()];
    let mut left_out: Vec<std::collections::HashSet<String>> = vec![Default::default(); TABLES.len()];
    for (ti, schema) in TABLES.iter().enumerate() {
        match loaded[ti].take() {
            Some(mut l) => {
                files[ti] = l.plan.file.clone();
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
    Dataset {
        timezone,
        tables,
        skipped_rows: BTreeMap::new(),
        warnings: warnings.finish(),
        other_files: Vec::new(),
        links: links.into_iter().map(|t| t.into_iter().map(crate::Buf::from).collect()).collect(),
        files,
        lines,
        read: None,
    }
}
