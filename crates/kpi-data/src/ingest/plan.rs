//! Planning a table from its file's header: where each column comes from, and which are loaded.
use super::discover::{is_jsonl, quoted_list};
use crate::build::ColBuf;
use crate::error::DataError;
use crate::profile::{ColumnMapping, TableMapping};
use crate::Projection;
use kpi_schema::{ColumnType, TableSchema, TABLES};
use std::collections::{BTreeSet, HashMap};

/// Where one canonical column's raw text comes from in a record.
#[derive(Debug, Clone)]
pub(super) enum SourceFields {
    Absent,
    Field(usize),
    /// Index into the row's joined values.
    Join(usize),
}

#[derive(Debug)]
pub(super) struct Source<'p> {
    pub(super) fields: SourceFields,
    pub(super) mapping: Option<&'p ColumnMapping>,
    /// How errors name the column: the source header, with the canonical name when different.
    pub(super) label: String,
}

/// How a file's fields feed a table's columns.
#[derive(Debug)]
pub(super) struct Plan<'p> {
    pub(super) schema: &'static TableSchema,
    pub(super) file: String,
    pub(super) header: Vec<String>,
    pub(super) sources: Vec<Source<'p>>,
    pub(super) joins: Vec<Vec<usize>>,
    /// The schema columns loaded (all but those a projection leaves out), in schema order.
    pub(super) loaded: Vec<usize>,
    /// Custom columns loaded: (field index, name).
    pub(super) custom: Vec<(usize, String)>,
    pub(super) formats: &'p [String],
    /// JSON Lines: a field position means nothing, errors name the key only.
    pub(super) jsonl: bool,
}

/// The plan of a file with this `header`; errors for duplicate names and missing required columns.
pub(super) fn plan<'p>(h: Header<'_, 'p>, header: Vec<String>) -> Result<Plan<'p>, Vec<DataError>> {
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
        jsonl: is_jsonl(file),
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
pub(super) struct Header<'a, 'p> {
    pub(super) table: usize,
    pub(super) file: &'a str,
    pub(super) mapping: Option<&'p TableMapping>,
    pub(super) formats: &'p [String],
    /// The columns a projection loads; `None` for all.
    pub(super) wanted: Option<&'a BTreeSet<String>>,
}

/// The columns of `schema` a projection loads: those it lists, the keys links need (each link's
/// own column) and every required column (the `id` among them). Ids and required values are
/// validated whatever the rules read, so the rows a load keeps or leaves out never depend on
/// the projection (`kpi evaluate` and `kpi data check` see the same rows).
pub(super) fn wanted_columns(schema: &TableSchema, projection: &Projection) -> BTreeSet<String> {
    let mut wanted = projection.get(schema.name).cloned().unwrap_or_default();
    wanted.extend(schema.columns.iter().filter(|c| c.required).map(|c| c.name.to_string()));
    wanted.extend(schema.links.iter().map(|l| l.column.to_string()));
    wanted
}

/// Builders for a plan's loaded columns: schema columns, then custom ones.
pub(super) fn plan_columns(plan: &Plan, chunk: bool) -> Vec<ColBuf> {
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
