//! Finding each table's file in a dataset directory (canonical names or a profile's) and opening it.
use crate::error::DataError;
use crate::profile::TableMapping;
use kpi_schema::TableSchema;
use std::io::Read;
use std::path::Path;

/// A file opened for reading: a regular file (mapped when it can be) or any reader.
pub(super) enum Input<'a> {
    File(std::fs::File),
    Reader(Box<dyn Read + Send + 'a>),
}

impl<'a> Input<'a> {
    pub(super) fn into_reader(self) -> Box<dyn Read + Send + 'a> {
        match self {
            Input::File(f) => Box::new(f),
            Input::Reader(r) => r,
        }
    }
}

/// A file opened for reading, with its size in bytes.
pub(super) type Opened<'a> = (Input<'a>, u64);

/// Opens `name` in `dir`: a regular file as a file (to be mapped), anything else as a reader.
pub(super) fn open_in(dir: &Path, name: &str) -> std::io::Result<Opened<'static>> {
    let file = std::fs::File::open(dir.join(name))?;
    let meta = file.metadata()?;
    let source = if meta.is_file() { Input::File(file) } else { Input::Reader(Box::new(file)) };
    Ok((source, meta.len()))
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

/// Whether `file` is read as JSON Lines (else as CSV).
pub(super) fn is_jsonl(file: &str) -> bool {
    file.ends_with(".jsonl") || file.ends_with(".ndjson")
}

/// The index in `names` of `schema`'s file: the first the profile names that exists, else
/// `<table>.csv` or `<table>.jsonl` (both: an error).
pub(super) fn find_file(
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

/// The indices in `names` of `schema`'s files: every file matching the first of the profile's
/// names or patterns (`tickets_*.csv`) that matches any, else `<table>.csv` or `<table>.jsonl`.
pub(super) fn find_files(
    schema: &TableSchema,
    mapping: Option<&TableMapping>,
    names: &[String],
) -> Result<Vec<usize>, DataError> {
    if let Some(m) = mapping {
        for pattern in &m.file {
            let found: Vec<usize> = (0..names.len())
                .filter(|&i| {
                    &names[i] == pattern
                        || (pattern.contains(['*', '?'])
                            && super::source::matches_pattern(pattern, &names[i]))
                })
                .collect();
            if !found.is_empty() {
                return Ok(found);
            }
        }
    }
    Ok(find_file(schema, None, names)?.into_iter().collect())
}

/// The error for a required table without a file.
pub(super) fn missing_table(schema: &TableSchema, mapping: Option<&TableMapping>) -> DataError {
    let mut msg =
        format!("missing required table `{}`: expected a file `{0}.csv` (or `{0}.jsonl`)", schema.name);
    if let Some(m) = mapping.filter(|m| !m.file.is_empty()) {
        msg = format!("{msg} or, by the profile, {}", quoted_list(&m.file));
    }
    DataError::file(&format!("{}.csv", schema.name), msg)
}

pub(super) fn quoted_list(items: &[String]) -> String {
    items.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
}
