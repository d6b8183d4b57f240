//! What a profile does to a source table's rows before they are typed: filter, collapse many rows per id, derive tables, and render them as CSV for the loader.
use super::chunk::read_timestamp;
use super::source::Raw;
use crate::error::DataError;
use crate::profile::{Collapse, Condition, DateOrder, Derive, TableMapping};
use crate::value::{parse_number, trim, ZoneResolver};
use std::cmp::Ordering;
use std::collections::HashMap;

/// Whether `cell` means "no value": empty, or one of the profile's null tokens (any case).
pub(super) fn is_null(cell: &str, nulls: &[String]) -> bool {
    let t = trim(cell);
    t.is_empty() || nulls.iter().any(|n| n.eq_ignore_ascii_case(t))
}

/// Whether `cell` passes `cond`.
pub(super) fn holds(cond: &Condition, cell: &str, nulls: &[String]) -> bool {
    let t = trim(cell);
    let null = is_null(cell, nulls);
    cond.present.is_none_or(|p| p != null)
        && (cond.equals.is_empty() || cond.equals.iter().any(|v| v.eq_ignore_ascii_case(t)))
        && !cond.not_equals.iter().any(|v| v.eq_ignore_ascii_case(t))
}

/// The header position of the source column feeding canonical `column`: the first of the
/// mapping's `from` in the header, else a header of the canonical name.
pub(super) fn source_column(
    mapping: Option<&TableMapping>,
    column: &str,
    header: &[String],
) -> Option<usize> {
    let from = mapping.and_then(|m| m.columns.get(column)).map(|m| &m.from[..]).unwrap_or(&[]);
    from.iter().map(|s| s.as_str()).chain([column]).find_map(|n| header.iter().position(|h| h == n))
}

fn position(file: &str, header: &[String], column: &str, what: &str) -> Result<usize, DataError> {
    header.iter().position(|h| h == column).ok_or_else(|| {
        let shown: Vec<String> = header.iter().take(30).map(|h| format!("`{h}`")).collect();
        DataError::file(
            file,
            format!("{what} `{column}` is not in the header; the header has {}", shown.join(", ")),
        )
    })
}

/// Leaves out the rows that fail one of `conditions`.
pub(super) fn filter(
    file: &str,
    raw: &mut Raw,
    conditions: &[Condition],
    nulls: &[String],
) -> Result<(), DataError> {
    let tests: Vec<(usize, &Condition)> = conditions
        .iter()
        .map(|c| position(file, &raw.header, &c.column, "the filter's column").map(|i| (i, c)))
        .collect::<Result<_, _>>()?;
    let before = raw.rows.len();
    let keep: Vec<bool> =
        raw.rows.iter().map(|r| tests.iter().all(|(i, c)| holds(c, &r[*i], nulls))).collect();
    let mut k = keep.iter();
    raw.rows.retain(|_| *k.next().unwrap_or(&true));
    let mut k = keep.iter();
    raw.origin.retain(|_| *k.next().unwrap_or(&true));
    raw.filtered += before - raw.rows.len();
    Ok(())
}

/// A cell as a value that orders: a number, a timestamp, else text.
#[derive(Debug, PartialEq, PartialOrd)]
enum Key {
    Number(f64),
    Time(i64),
    Text(String),
}

/// What ordering cells needs: the profile's timestamp formats, date order and zone.
pub(super) struct Reading<'a> {
    pub(super) formats: &'a [String],
    pub(super) order: Option<DateOrder>,
    pub(super) nulls: &'a [String],
    pub(super) zone: ZoneResolver,
}

impl Reading<'_> {
    fn key(&mut self, cell: &str) -> Key {
        let t = trim(cell);
        if let Some(x) = parse_number(t) {
            return Key::Number(x);
        }
        match read_timestamp(t, &[], self.formats, self.order, &mut self.zone) {
            Some(ts) => Key::Time(ts),
            None => Key::Text(t.to_string()),
        }
    }
}

fn compare(a: &Key, b: &Key) -> Ordering {
    a.partial_cmp(b).unwrap_or(Ordering::Equal)
}

/// One row per id: each id's rows (in `order`, else file order), the first or last kept, with
/// columns taken over all of them (`max`, `min`, `first`, `last` non-null value).
pub(super) fn collapse(
    file: &str,
    raw: &mut Raw,
    mapping: &TableMapping,
    spec: &Collapse,
    reading: &mut Reading,
) -> Result<(), DataError> {
    let id = source_column(Some(mapping), "id", &raw.header)
        .ok_or_else(|| DataError::file(file, "collapse: the id column is not in the header"))?;
    let order = spec
        .order
        .as_deref()
        .map(|o| position(file, &raw.header, o, "the collapse order column"))
        .transpose()?;
    let mut taken = Vec::new();
    for (column, how) in &spec.columns {
        let i = source_column(Some(mapping), column, &raw.header).ok_or_else(|| {
            DataError::file(file, format!("collapse: no source column for `{column}` in the header"))
        })?;
        taken.push((i, how.as_str()));
    }
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut of_id: HashMap<&str, usize> = HashMap::new();
    for (r, row) in raw.rows.iter().enumerate() {
        let g = *of_id.entry(trim(&row[id])).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[g].push(r);
    }
    let keys: Option<Vec<Key>> = order.map(|o| raw.rows.iter().map(|r| reading.key(&r[o])).collect());
    let last = spec.keep.as_deref() != Some("first");
    let mut rows = Vec::with_capacity(groups.len());
    let mut origin = Vec::with_capacity(groups.len());
    for mut group in groups {
        if let Some(keys) = &keys {
            group.sort_by(|&a, &b| compare(&keys[a], &keys[b]));
        }
        let base = if last { group[group.len() - 1] } else { group[0] };
        let mut row = raw.rows[base].clone();
        for &(i, how) in &taken {
            let cells = group.iter().map(|&r| raw.rows[r][i].as_str()).filter(|c| !is_null(c, reading.nulls));
            let value = match how {
                "first" => cells.clone().next(),
                "last" => cells.clone().next_back(),
                "max" | "min" => {
                    let mut best: Option<(Key, &str)> = None;
                    for c in cells {
                        let k = reading.key(c);
                        let better = match &best {
                            None => true,
                            Some((b, _)) if how == "max" => compare(&k, b) == Ordering::Greater,
                            Some((b, _)) => compare(&k, b) == Ordering::Less,
                        };
                        if better {
                            best = Some((k, c));
                        }
                    }
                    best.map(|(_, c)| c)
                }
                _ => None,
            };
            row[i] = value.unwrap_or("").to_string();
        }
        rows.push(row);
        origin.push(raw.origin[base]);
    }
    raw.collapsed += raw.rows.len() - rows.len();
    raw.rows = rows;
    raw.origin = origin;
    Ok(())
}

/// A table of the distinct ids of `source`'s column (name = the name column, else the id).
pub(super) fn derive(source: &Raw, spec: &Derive, nulls: &[String], file: &str) -> Result<Raw, DataError> {
    let find = |names: &[String]| names.iter().find_map(|n| source.header.iter().position(|h| h == n));
    let id = find(&spec.id).ok_or_else(|| {
        DataError::file(file, format!("derive: none of {:?} is a column of the {} file", spec.id, spec.from))
    })?;
    let name = find(&spec.name);
    let mut raw =
        Raw { header: vec!["id".into(), "name".into()], files: source.files.clone(), ..Raw::default() };
    let mut seen = std::collections::HashSet::new();
    for (row, &origin) in source.rows.iter().zip(&source.origin) {
        let v = trim(&row[id]);
        if is_null(v, nulls) || !seen.insert(v.to_string()) {
            continue;
        }
        let n = name.map(|i| trim(&row[i])).filter(|n| !is_null(n, nulls)).unwrap_or(v);
        raw.rows.push(vec![v.to_string(), n.to_string()]);
        raw.origin.push(origin);
    }
    Ok(raw)
}

/// The rows as CSV, and the line each row starts on.
pub(super) fn render(raw: &Raw) -> (String, Vec<u32>) {
    let mut out = String::new();
    let mut line = 1u32;
    let mut starts = Vec::with_capacity(raw.rows.len());
    let write = |out: &mut String, cells: &[String]| -> u32 {
        let mut newlines = 1;
        for (i, c) in cells.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            if c.contains([',', '"', '\n', '\r']) {
                out.push('"');
                out.push_str(&c.replace('"', "\"\""));
                out.push('"');
                newlines += c.matches('\n').count() as u32;
            } else {
                out.push_str(c);
            }
        }
        out.push('\n');
        newlines
    };
    line += write(&mut out, &raw.header);
    for row in &raw.rows {
        starts.push(line);
        line += write(&mut out, row);
    }
    (out, starts)
}
