//! Extra columns a profile types (`[tickets.extra] made_sla = { type = "bool" }`): loaded as text
//! under the extra's name, then mapped (`values`, without regard to case) and typed here, each
//! distinct value once. A value of the wrong type is null, with a warning on its line.
use super::checks::Warnings;
use super::merge::Lines;
use crate::profile::{ExtraColumn, ExtraType, Profile};
use crate::value::{parse_bool, parse_number, parse_timestamp_format, parse_timestamp_with, ZoneResolver};
use crate::{Buf, ColumnData, Table};
use kpi_schema::TABLES;

/// Types the extra columns `profile` declares, in every table read.
pub(super) fn type_extra_columns(
    tables: &mut [Table],
    profile: Option<&Profile>,
    tz: chrono_tz::Tz,
    files: &[String],
    lines: &[Lines],
    warnings: &mut Warnings,
) {
    let Some(profile) = profile else { return };
    let tz = profile.zone().unwrap_or(tz);
    for (ti, schema) in TABLES.iter().enumerate() {
        let Some(mapping) = profile.table(schema.name) else { continue };
        for (name, extra) in &mapping.extra {
            let table = &mut tables[ti];
            let len = table.len;
            let Some(column) = table.columns.iter_mut().find(|c| c.custom && &c.name == name) else {
                continue;
            };
            let ColumnData::Text(text) = &column.data else { continue };
            let mut zone = ZoneResolver::new(tz);
            // Each distinct text once: its typed value, or why it has none.
            let typed: Vec<Result<Option<Typed>, String>> = text
                .dict
                .iter()
                .map(|s| type_value(s, extra, &profile.timestamp_formats, &mut zone))
                .collect();
            let mut valid = vec![true; len];
            let mut values = Values::new(extra.ty, len);
            for (row, slot) in valid.iter_mut().enumerate() {
                let code = text.codes[row];
                let value = match typed.get(code as usize) {
                    None => None,
                    Some(Ok(v)) => v.clone(),
                    Some(Err(why)) => {
                        let shown = text.text(code).unwrap_or("");
                        warnings.push(
                            &files[ti],
                            "extra-value",
                            lines[ti].get(row) as usize,
                            format!("extra column `{name}`: `{shown}` is not {why}; read as null"),
                        );
                        None
                    }
                };
                *slot = value.is_some();
                values.push(value);
            }
            column.data = values.finish();
            column.valid = (!valid.iter().all(|&v| v)).then(|| Buf::from(valid));
        }
    }
}

#[derive(Clone)]
enum Typed {
    Bool(bool),
    Number(f64),
    Text(String),
    Timestamp(i64),
}

fn type_value(
    s: &str,
    extra: &ExtraColumn,
    formats: &[String],
    zone: &mut ZoneResolver,
) -> Result<Option<Typed>, String> {
    if extra.null.iter().any(|n| n.eq_ignore_ascii_case(s.trim())) {
        return Ok(None);
    }
    let s =
        extra.values.iter().find(|(k, _)| k.eq_ignore_ascii_case(s.trim())).map_or(s, |(_, v)| v.as_str());
    if s.trim().is_empty() {
        return Ok(None);
    }
    match extra.ty {
        ExtraType::Text => Ok(Some(Typed::Text(s.to_string()))),
        ExtraType::Bool => parse_bool(s)
            .map(|b| Some(Typed::Bool(b)))
            .ok_or_else(|| "a bool (true/false, yes/no, 1/0; map others with `values`)".to_string()),
        ExtraType::Number => {
            parse_number(s).map(|x| Some(Typed::Number(x))).ok_or_else(|| "a number".to_string())
        }
        ExtraType::Timestamp => extra
            .format
            .iter()
            .chain(formats)
            .find_map(|f| parse_timestamp_format(s, f, zone))
            .or_else(|| parse_timestamp_with(s, zone))
            .map(|t| Some(Typed::Timestamp(t)))
            .ok_or_else(|| "a timestamp (give its `format`)".to_string()),
    }
}

/// A typed column being built.
enum Values {
    Bool(Vec<bool>),
    Number(Vec<f64>),
    Text(crate::TextColumn),
    Timestamp(Vec<i64>),
}

impl Values {
    fn new(ty: ExtraType, len: usize) -> Values {
        match ty {
            ExtraType::Bool => Values::Bool(Vec::with_capacity(len)),
            ExtraType::Number => Values::Number(Vec::with_capacity(len)),
            ExtraType::Text => Values::Text(crate::TextColumn::new()),
            ExtraType::Timestamp => Values::Timestamp(Vec::with_capacity(len)),
        }
    }

    fn push(&mut self, v: Option<Typed>) {
        match (self, v) {
            (Values::Bool(out), Some(Typed::Bool(b))) => out.push(b),
            (Values::Bool(out), _) => out.push(false),
            (Values::Number(out), Some(Typed::Number(x))) => out.push(x),
            (Values::Number(out), _) => out.push(f64::NAN),
            (Values::Text(out), Some(Typed::Text(s))) => out.push(Some(&s)),
            (Values::Text(out), _) => out.push(None),
            (Values::Timestamp(out), Some(Typed::Timestamp(t))) => out.push(t),
            (Values::Timestamp(out), _) => out.push(0),
        }
    }

    fn finish(self) -> ColumnData {
        match self {
            Values::Bool(v) => ColumnData::Bool(Buf::from(v)),
            Values::Number(v) => ColumnData::Number(Buf::from(v)),
            Values::Text(t) => ColumnData::Text(t),
            Values::Timestamp(v) => ColumnData::Timestamp(Buf::from(v)),
        }
    }
}
