//! Planning a table from its file's header: where each column comes from, and which are loaded.
use super::discover::{is_jsonl, quoted_list};
use crate::build::ColBuf;
use crate::error::DataError;
use crate::profile::{ColumnMapping, DateOrder, TableMapping};
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
    /// The field of the mapping's `when` condition.
    pub(super) when: Option<usize>,
    /// For an SLA flag: the position in [`Plan::loaded`] of the milestone reached.
    pub(super) reached: Option<usize>,
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
    /// The profile's null tokens.
    pub(super) nulls: &'p [String],
    pub(super) date_order: Option<DateOrder>,
    /// JSON Lines: a field position means nothing, errors name the key only.
    pub(super) jsonl: bool,
}

/// The plan of a file with this `header`; errors for duplicate names and missing required columns.
pub(super) fn plan<'p>(h: Header<'_, 'p>, header: Vec<String>) -> Result<Plan<'p>, Vec<DataError>> {
    let (schema, file, mapping, formats) = (&TABLES[h.table], h.file, h.mapping, h.formats);
    // An SLA flag is read with its milestone: loading the due column loads the reached one.
    let flag_reached: Vec<&str> = mapping
        .iter()
        .flat_map(|m| &m.columns)
        .filter(|(name, _)| h.wanted.is_none_or(|w| w.contains(name.as_str())))
        .filter_map(|(_, m)| m.reached.as_deref())
        .collect();
    let wanted = |name: &str| match h.wanted {
        None => true,
        Some(w) => w.contains(name) || flag_reached.contains(&name),
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
        if let Some(flag) = m.and_then(|m| m.met.as_deref()) {
            if let Some(&i) = position.get(flag) {
                used[i] = true;
                fields = SourceFields::Field(i);
                label = format!("{flag} ({})", col.name);
            }
        } else if let Some(m) = m.filter(|m| !m.join.is_empty()) {
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
        let when = match m.and_then(|m| m.when.as_ref()) {
            Some(c) => match position.get(c.column.as_str()) {
                Some(&i) => Some(i),
                None => {
                    errors.push(DataError::at(
                        file,
                        1,
                        format!(
                            "the condition of `{}` reads column `{}`, which is not in the header",
                            col.name, c.column
                        ),
                    ));
                    None
                }
            },
            None => None,
        };
        sources.push(Source { fields, mapping: m, when, reached: None, label });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    // Extra columns of the profile: their first source present, under the extra's name (a
    // source may also feed a canonical column: `made_sla` as an SLA flag and as a bool).
    let mut extras: Vec<(usize, String)> = Vec::new();
    for (name, x) in mapping.iter().flat_map(|m| &m.extra) {
        let found = x.from.iter().map(|s| s.as_str()).chain([name.as_str()]).find_map(|n| position.get(n));
        if let Some(&i) = found {
            used[i] = true;
            if wanted(name) {
                extras.push((i, name.clone()));
            }
        }
    }
    let mut custom: Vec<(usize, String)> = header
        .iter()
        .enumerate()
        .filter(|(i, _)| !used[*i])
        .map(|(i, h)| (i, if h.is_empty() { format!("column_{}", i + 1) } else { h.clone() }))
        .filter(|(_, name)| wanted(name))
        .collect();
    custom.extend(extras);
    let loaded: Vec<usize> = (0..schema.columns.len()).filter(|&i| wanted(schema.columns[i].name)).collect();
    for source in &mut sources {
        if let Some(r) = source.mapping.and_then(|m| m.reached.as_deref()) {
            source.reached = loaded.iter().position(|&ci| schema.columns[ci].name == r);
        }
    }
    Ok(Plan {
        schema,
        file: file.to_string(),
        header,
        sources,
        joins,
        loaded,
        custom,
        formats,
        nulls: h.nulls,
        date_order: h.date_order,
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
                    format!("the header is one field containing {shown}: looks like {shown}-separated; set the delimiter in the profile (`delimiter = \";\"`) or re-export with `,`"),
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
    pub(super) nulls: &'p [String],
    pub(super) date_order: Option<DateOrder>,
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
