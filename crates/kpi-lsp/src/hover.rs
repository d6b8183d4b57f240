//! Hover: what a KPI, param, column, scorecard or function is, and where its values come from.
use crate::index::Symbol;
use crate::project::Analysis;
use kpi_eval::ParamSource;
use kpi_hir::{KpiDef, TExpr, TKind, Type, Unit, Value};
use kpi_syntax::ast::{Item, Member};
use kpi_syntax::FileId;
use std::fmt::Write as _;
use std::path::Path;

/// The Markdown shown for `symbol`; `root` shortens the paths shown.
pub fn hover(analysis: &Analysis, symbol: &Symbol, root: Option<&Path>) -> Option<String> {
    let here = Here { analysis, root };
    match symbol {
        Symbol::Kpi(id) => here.kpi(id),
        Symbol::Param(name) => here.param(name),
        Symbol::Column { table, column } => column_doc(table, column),
        Symbol::Table(name) => table_doc(name),
        Symbol::Scorecard(id) => here.scorecard(id),
        Symbol::Function(name) => here.function(name),
        Symbol::Import(path) => Some(format!("rule file `{}`", here.shown(path))),
        Symbol::Script(path) => Some(format!("rhai script `{}`", here.shown(path))),
    }
}

struct Here<'a> {
    analysis: &'a Analysis,
    root: Option<&'a Path>,
}

impl Here<'_> {
    fn shown(&self, path: &Path) -> String {
        let relative = self.root.and_then(|r| path.strip_prefix(r).ok()).unwrap_or(path);
        relative.display().to_string()
    }

    /// `file:line` of a byte offset.
    fn place(&self, file: FileId, offset: u32) -> String {
        let sources = &self.analysis.rules.sources;
        if file.0 as usize >= sources.files().count() {
            return "?".into();
        }
        let (line, _) = sources.line_col(file, offset);
        format!("{}:{line}", self.shown(&self.analysis.path(file)))
    }

    /// The source text of a checked expression.
    fn written(&self, e: &TExpr) -> String {
        let file = FileId(e.file.0);
        let text = self.analysis.text(file);
        text.get(e.span.range())
            .map_or_else(|| "?".into(), |s| s.split_whitespace().collect::<Vec<_>>().join(" "))
    }

    fn kpi(&self, id: &str) -> Option<String> {
        let defs: Vec<(&str, &KpiDef)> = self
            .analysis
            .program
            .scorecards
            .iter()
            .flat_map(|s| s.kpis.iter().filter(|k| k.id == id).map(move |k| (s.id.as_str(), k)))
            .collect();
        let mut out = String::new();
        let Some((_, first)) = defs.first() else {
            return self.unchecked_kpi(id);
        };
        let _ = writeln!(out, "**kpi `{id}`** \"{}\"\n", first.title);
        if !first.description.is_empty() {
            let _ = writeln!(out, "{}\n", first.description);
        }
        let _ = writeln!(
            out,
            "unit: {} · from `{}` · defined at {}\n",
            first.unit.name(),
            first.population.table.name,
            self.place(FileId(first.origin.file.0), first.origin.span.start)
        );
        for (card, kpi) in defs {
            let _ = writeln!(out, "- in `{card}`: target {} · weight {}", self.target(kpi), self.weight(kpi));
        }
        Some(out)
    }

    /// A KPI no scorecard uses (so not in the checked program): its doc and clauses as written.
    fn unchecked_kpi(&self, id: &str) -> Option<String> {
        for loaded in &self.analysis.rules.modules {
            for item in &loaded.module.items {
                let kpi = match item {
                    Item::Kpi(k) if k.id.name == id => k,
                    Item::Scorecard(s) => match s.members.iter().find_map(|m| match m {
                        Member::Kpi(k) if k.id.name == id => Some(k),
                        _ => None,
                    }) {
                        Some(k) => k,
                        None => continue,
                    },
                    _ => continue,
                };
                let title = kpi.title.as_ref().map(|t| format!(" \"{}\"", t.value)).unwrap_or_default();
                return Some(format!(
                    "**kpi `{id}`**{title}\n\n{}\n\n(used by no scorecard)",
                    kpi.doc.join("\n")
                ));
            }
        }
        None
    }

    fn target(&self, kpi: &KpiDef) -> String {
        let op = kpi.target.op.symbol();
        if let Some(source) = &kpi.overrides.target {
            let value = self.value_of(&kpi.target.value, kpi.unit);
            return format!("{op} {value} (client config {source})");
        }
        let written = self.written(&kpi.target.value);
        let at = self.place(FileId(kpi.target_origin.file.0), kpi.target_origin.span.start);
        match &kpi.target.value.kind {
            TKind::Param(name) => format!("{op} `{written}` = {} ({at})", self.param_value(name)),
            _ => format!("{op} {written} ({at})"),
        }
    }

    fn weight(&self, kpi: &KpiDef) -> String {
        if let Some(source) = &kpi.overrides.weight {
            return format!("{} (client config {source})", self.value_of(&kpi.weight, Unit::Number));
        }
        let written = self.written(&kpi.weight);
        let at = self.place(FileId(kpi.weight_origin.file.0), kpi.weight_origin.span.start);
        match &kpi.weight.kind {
            TKind::Param(name) => format!("`{written}` = {} ({at})", self.param_value(name)),
            _ => format!("{written} ({at})"),
        }
    }

    /// A constant (or param) expression's value, formatted in `unit`.
    fn value_of(&self, e: &TExpr, unit: Unit) -> String {
        let params = &self.analysis.params;
        match kpi_hir::eval_const(e, &|name| params.value(name)) {
            Some(v) => format_value(&v, &Type::Number(unit)),
            None => self.written(e),
        }
    }

    /// A param's effective value and where it comes from.
    fn param_value(&self, name: &str) -> String {
        let Some(def) = self.analysis.program.param(name) else { return "?".into() };
        let Some(effective) = self.analysis.params.get(name) else { return "?".into() };
        let value = format_value(&effective.value, &def.ty);
        match &effective.source {
            ParamSource::Default => {
                format!(
                    "{value}, the default at {}",
                    self.place(FileId(def.origin.file.0), def.origin.span.start)
                )
            }
            ParamSource::Config(key) => format!("{value}, from the client config {key}"),
            ParamSource::CommandLine => format!("{value}, from --param"),
        }
    }

    fn param(&self, name: &str) -> Option<String> {
        let def = self.analysis.program.param(name)?;
        let mut out = format!("**param `{name}`**: {}\n\n", def.ty.describe());
        if !def.doc.is_empty() {
            let _ = writeln!(out, "{}\n", def.doc);
        }
        let _ = writeln!(out, "default: {}\n", format_value(&def.default, &def.ty));
        let _ = writeln!(out, "value: {}", self.param_value(name));
        Some(out)
    }

    fn scorecard(&self, id: &str) -> Option<String> {
        let card = self.analysis.program.scorecard(id)?;
        let mut out = format!("**scorecard `{id}`** \"{}\"\n\n", card.title);
        if !card.doc.is_empty() {
            let _ = writeln!(out, "{}\n", card.doc);
        }
        let per = card.group_by.map_or_else(|| "the company".to_string(), |g| g.name().to_string());
        let _ = writeln!(out, "period {} · per {per} · {} KPIs", card.grain.name(), card.kpis.len());
        Some(out)
    }

    fn function(&self, name: &str) -> Option<String> {
        let f = self.analysis.program.functions.iter().find(|f| f.name == name)?;
        let at = self.place(FileId(f.origin.file.0), f.origin.span.start);
        Some(format!("**fn `{name}`** (rhai, {at})\n\n{}", f.doc))
    }
}

/// A column: its table, type, unit and what it holds.
fn column_doc(table: &str, column: &str) -> Option<String> {
    let schema = kpi_schema::table(table)?.column(column)?;
    let unit = match schema.unit {
        Some(kpi_schema::ColumnUnit::Hours) => " · unit hours",
        Some(kpi_schema::ColumnUnit::Count) => " · unit count",
        Some(kpi_schema::ColumnUnit::Number) => " · unit number",
        Some(kpi_schema::ColumnUnit::Currency) => " · unit currency",
        None => "",
    };
    let required = if schema.required { " · required" } else { "" };
    Some(format!("**field `{table}.{column}`**: {}{unit}{required}\n\n{}", schema.ty.name(), schema.doc))
}

/// A table: what it holds, its fields and links.
fn table_doc(name: &str) -> Option<String> {
    let table = kpi_schema::table(name)?;
    let mut out = format!("**table `{name}`**: {}\n\n", table.doc);
    for c in table.columns {
        let _ = writeln!(out, "- `{}`: {} ({})", c.name, c.ty.name(), c.doc);
    }
    for l in table.links {
        let _ = writeln!(out, "- `{}`: link to `{}`", l.name, l.table);
    }
    Some(out)
}

/// A value as a rule file would write it: `80%`, `30m`, `24h`, `"text"`, `[a, b]`.
pub fn format_value(value: &Value, ty: &Type) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(x) => match ty {
            Type::Number(Unit::Ratio) => format!("{}%", trim(x * 100.0)),
            Type::Number(Unit::Hours) if *x != 0.0 && x.abs() < 1.0 => format!("{}m", trim(x * 60.0)),
            Type::Number(Unit::Hours) => format!("{}h", trim(*x)),
            _ => trim(*x),
        },
        Value::Text(s) => format!("{s:?}"),
        Value::Date(d) => d.clone(),
        Value::List(items) => {
            let inner = match ty {
                Type::List(t) => t.as_ref().clone(),
                other => other.clone(),
            };
            let items: Vec<String> = items.iter().map(|i| format_value(i, &inner)).collect();
            format!("[{}]", items.join(", "))
        }
    }
}

fn trim(x: f64) -> String {
    let rounded = (x * 1e6).round() / 1e6;
    format!("{rounded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_as_written() {
        assert_eq!(format_value(&Value::Number(0.8), &Type::Number(Unit::Ratio)), "80%");
        assert_eq!(format_value(&Value::Number(0.5), &Type::Number(Unit::Hours)), "30m");
        assert_eq!(format_value(&Value::Number(24.0), &Type::Number(Unit::Hours)), "24h");
        assert_eq!(format_value(&Value::Number(7.5), &Type::Number(Unit::Plain)), "7.5");
        let list = Value::List(vec![Value::Text("a".into())]);
        assert_eq!(format_value(&list, &Type::List(Box::new(Type::Text))), "[\"a\"]");
    }
}
