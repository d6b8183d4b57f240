//! Reading one table's file: the CSV block pipeline (parse a block while merging the one before and reading the next) and JSON Lines.
use super::blocks::{Blocks, Sizes, Window};
use super::chunk::Chunk;
use super::discover::Opened;
use super::merge::Merged;
use super::plan::{plan, Header};
use super::Loaded;
use crate::csv::{split_chunks, CsvReader};
use crate::error::DataError;
use kpi_schema::TABLES;
use rayon::prelude::*;
use std::collections::HashMap;
use std::io::Read;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

/// Reads a CSV table: its header, then its body block by block.
pub(super) fn load_csv<'p>(
    h: Header<'_, 'p>,
    source: Opened,
    tz: chrono_tz::Tz,
    sizes: Sizes,
    progress: Option<Arc<AtomicU64>>,
    stamp: bool,
) -> Result<Loaded<'p>, Vec<DataError>> {
    let file = h.file;
    let cannot_read = |e: std::io::Error| vec![DataError::file(file, format!("cannot read: {e}"))];
    let source_len = source.1;
    let mut blocks = Blocks::new(source, sizes.block, progress);
    if stamp {
        blocks.hash();
    }
    // `window[start..]`: read, not parsed yet.
    let (mut window, mut start, header, body_line) = csv_header(h, &mut blocks)?;
    let plan = plan(h, header)?;
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
    Ok(Loaded { plan, table, read: blocks.digest(), reshaped: None })
}

/// The first window of a CSV file, where its body starts in it, the header's fields and the
/// body's first line; an error for an empty or blank file, a bad header or invalid UTF-8 in it.
fn csv_header(h: Header, blocks: &mut Blocks) -> Result<(Window, usize, Vec<String>, usize), Vec<DataError>> {
    let file = h.file;
    let cannot_read = |e: std::io::Error| vec![DataError::file(file, format!("cannot read: {e}"))];
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
    if lone_cr(&window.bytes()[start..]) {
        return Err(vec![cr_endings(file)]);
    }
    let (header, body_start, body_line) = loop {
        match read_header(file, &window.bytes()[start..], blocks.eof) {
            Ok(Some(found)) => break found,
            Ok(None) => window = blocks.next(&window, 0).map_err(cannot_read)?,
            Err(e) => return Err(vec![e]),
        }
    };
    Ok((window, start + body_start, header, body_line))
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

/// Reads a JSON Lines table, whole: one chunk.
pub(super) fn load_jsonl<'p>(
    h: Header<'_, 'p>,
    mut src: Box<dyn Read + Send + '_>,
    tz: chrono_tz::Tz,
    stamp: bool,
) -> Result<Loaded<'p>, Vec<DataError>> {
    let file = h.file;
    let mut bytes = Vec::new();
    if let Err(e) = src.read_to_end(&mut bytes) {
        return Err(vec![DataError::file(file, format!("cannot read: {e}"))]);
    }
    let read = stamp.then(|| (xxhash_rust::xxh3::xxh3_64(&bytes), bytes.len() as u64));
    let text = into_text(file, bytes).map_err(|e| vec![e])?;
    if text.trim().is_empty() {
        return Err(vec![DataError::file(file, "the file is empty: expected one JSON object per line")]);
    }
    if lone_cr(text.as_bytes()) {
        return Err(vec![cr_endings(file)]);
    }
    // The header is every key in order of first appearance (lines may omit null keys).
    let mut header: Vec<String> = Vec::new();
    let mut seen: HashMap<String, ()> = HashMap::new();
    // Lines that are not JSON objects, reported when no plan can be made without them.
    let mut bad_lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        match serde_json::from_str::<serde_json::Value>(line) {
            Ok(serde_json::Value::Object(map)) => {
                for k in map.keys() {
                    if seen.insert(k.clone(), ()).is_none() {
                        header.push(k.clone());
                    }
                }
            }
            _ if line.trim().is_empty() => {}
            Ok(_) if bad_lines.len() < 10 => {
                bad_lines.push(DataError::at(file, i + 1, "expected a JSON object on this line"))
            }
            Err(e) if bad_lines.len() < 10 => {
                bad_lines.push(DataError::at(file, i + 1, format!("invalid JSON: {e}")))
            }
            _ => {}
        }
    }
    // Without a plan the lines are never parsed: their errors say why the keys are missing.
    let plan =
        plan(h, header.clone()).map_err(|errors| match header.is_empty() && !bad_lines.is_empty() {
            true => bad_lines.clone(),
            false => bad_lines.iter().cloned().chain(errors).collect(),
        })?;
    let mut table = Merged::new(&plan);
    let mut chunk = Chunk::new(&plan, tz);
    chunk.parse_jsonl(&plan, &text, 1);
    table.append(&mut chunk, &plan);
    Ok(Loaded { plan, table, read, reshaped: None })
}

const BOM: &[u8] = &[0xEF, 0xBB, 0xBF];

/// Whether the first line of `data` holds a carriage return that does not end it: the line
/// endings of classic Mac OS (CR only), which would make the whole file one line.
fn lone_cr(data: &[u8]) -> bool {
    let first = match memchr::memchr(b'\n', data) {
        Some(end) => &data[..end],
        None => data,
    };
    let first = first.strip_suffix(b"\r").unwrap_or(first);
    memchr::memchr(b'\r', first).is_some()
}

fn cr_endings(file: &str) -> DataError {
    DataError::at(
        file,
        1,
        "the file uses CR line endings (classic Mac OS): kpi reads LF or CRLF line endings; re-save the export with Unix (LF) or Windows (CRLF) line endings",
    )
}

/// Checks UTF-8 and strips a byte-order mark.
fn into_text(file: &str, mut bytes: Vec<u8>) -> Result<String, DataError> {
    if bytes.starts_with(BOM) {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map_err(|e| utf8_error(file, e.as_bytes(), e.utf8_error().valid_up_to(), 1))
}

/// The error for invalid UTF-8 at byte `at` of `bytes`, which start a line, line `first_line`.
pub(super) fn utf8_error(file: &str, bytes: &[u8], at: usize, first_line: usize) -> DataError {
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
