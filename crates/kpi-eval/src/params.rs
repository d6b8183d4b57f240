//! Effective param values: rule defaults, overridden by client config, overridden by `--param`.
use kpi_check::{ParamDef, Program, Type, Unit, Value};
use kpi_syntax::ast::{ExprKind, Item, UnaryOp};
use std::collections::BTreeMap;

/// Where a param's effective value came from.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum ParamSource {
    /// The default in the rule file.
    Default,
    /// A client config key, e.g. `acme.toml: params.hours_per_day`.
    Config(String),
    /// `--param NAME=VALUE` on the command line.
    CommandLine,
}

#[derive(Debug, Clone)]
pub struct ParamValue {
    pub value: Value,
    pub source: ParamSource,
}

/// The value of every param of a program.
#[derive(Debug, Clone, Default)]
pub struct Params {
    values: BTreeMap<String, ParamValue>,
}

impl Params {
    /// The rule defaults of every param.
    pub fn defaults(program: &Program) -> Params {
        let values = program
            .params
            .iter()
            .map(|p| (p.name.clone(), ParamValue { value: p.default.clone(), source: ParamSource::Default }))
            .collect();
        Params { values }
    }

    pub fn get(&self, name: &str) -> Option<&ParamValue> {
        self.values.get(name)
    }

    pub fn value(&self, name: &str) -> Option<Value> {
        self.values.get(name).map(|p| p.value.clone())
    }

    /// Override `name` with a value written as text (`15m`, `80%`, `Triage`, `[a, b]`).
    pub fn set_text(
        &mut self,
        program: &Program,
        name: &str,
        text: &str,
        source: ParamSource,
    ) -> Result<(), String> {
        let def = program.param(name).ok_or_else(|| unknown_param(program, name))?;
        let value = value_from_text(def, text)?;
        self.values.insert(name.to_string(), ParamValue { value, source });
        Ok(())
    }

    /// Override `name` with a value already typed (a TOML number or boolean).
    pub fn set_value(
        &mut self,
        program: &Program,
        name: &str,
        value: Value,
        source: ParamSource,
    ) -> Result<(), String> {
        let def = program.param(name).ok_or_else(|| unknown_param(program, name))?;
        let fits = matches!(
            (&def.ty, &value),
            (Type::Number(_), Value::Number(_))
                | (Type::Bool, Value::Bool(_))
                | (Type::Text, Value::Text(_))
                | (Type::List(_), Value::List(_))
        );
        if !fits {
            return Err(format!("param `{name}` is {}; got {}", def.ty.describe(), describe(&value)));
        }
        self.values.insert(name.to_string(), ParamValue { value, source });
        Ok(())
    }
}

fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a true/false value",
        Value::Number(_) => "a number",
        Value::Text(_) => "text",
        Value::Date(_) => "a date",
        Value::List(_) => "a list",
    }
}

fn unknown_param(program: &Program, name: &str) -> String {
    let mut best: Option<(usize, &str)> = None;
    for p in &program.params {
        let d = strsim::levenshtein(name, &p.name);
        if d <= 2.max(name.len() / 3) && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, &p.name));
        }
    }
    match best {
        Some((_, s)) => format!("no param `{name}` in the rules; did you mean `{s}`?"),
        None => {
            let names: Vec<&str> = program.params.iter().map(|p| p.name.as_str()).collect();
            format!("no param `{name}` in the rules; the params are: {}", names.join(", "))
        }
    }
}

/// Parse a param value written as in a rule file; bare words are accepted for text params.
pub fn value_from_text(def: &ParamDef, text: &str) -> Result<Value, String> {
    let expected = match &def.ty {
        Type::Number(Unit::Hours) => "a duration such as 30m, 8h or 2d",
        Type::Number(Unit::Ratio) => "a percentage such as 80% or a fraction such as 0.8",
        Type::Number(_) => "a number",
        Type::Text => "text",
        Type::Bool => "true or false",
        Type::Date => "a date YYYY-MM-DD",
        Type::List(_) => "a list such as [\"a\", \"b\"] or a,b",
        _ => "a value",
    };
    let bad = || format!("`{text}` is not a valid value for param `{}`: expected {expected}", def.name);
    let parsed = parse_literal(text);
    match (&def.ty, parsed) {
        (Type::Number(unit), Some((Value::Number(x), lit_unit))) => {
            if lit_unit.compatible(*unit) {
                Ok(Value::Number(x))
            } else {
                Err(bad())
            }
        }
        (Type::Bool, Some((v @ Value::Bool(_), _))) => Ok(v),
        (Type::Date, Some((v @ Value::Date(_), _))) => Ok(v),
        (Type::Text, Some((v @ Value::Text(_), _))) => Ok(v),
        (Type::Text, _) => Ok(Value::Text(text.to_string())),
        (Type::List(_), Some((v @ Value::List(_), _))) => Ok(v),
        (Type::List(elem), _) if **elem == Type::Text || **elem == Type::Null => Ok(Value::List(
            text.split(',')
                .map(|s| Value::Text(s.trim().to_string()))
                .filter(|v| *v != Value::Text(String::new()))
                .collect(),
        )),
        _ => Err(bad()),
    }
}

/// A literal as the rule language writes it, with the unit its spelling implies.
pub(crate) fn parse_literal(text: &str) -> Option<(Value, Unit)> {
    let source = format!("param p = {text}");
    let (module, diags) = kpi_syntax::parse(kpi_syntax::FileId(0), &source);
    if diags.iter().any(|d| d.is_error()) {
        return None;
    }
    let [Item::Param(p)] = module.items.as_slice() else { return None };
    literal(&p.default.kind)
}

fn literal(kind: &ExprKind) -> Option<(Value, Unit)> {
    Some(match kind {
        ExprKind::Number(x) => (Value::Number(*x), Unit::Plain),
        ExprKind::Percent(x) => (Value::Number(*x), Unit::Ratio),
        ExprKind::Duration(x) => (Value::Number(*x), Unit::Hours),
        ExprKind::String(s) => (Value::Text(s.clone()), Unit::Plain),
        ExprKind::Bool(b) => (Value::Bool(*b), Unit::Plain),
        ExprKind::Date(d) => (Value::Date(d.clone()), Unit::Plain),
        ExprKind::Unary { op: UnaryOp::Neg, expr } => match literal(&expr.kind)? {
            (Value::Number(x), u) => (Value::Number(-x), u),
            _ => return None,
        },
        ExprKind::List(items) => (
            Value::List(items.iter().map(|i| literal(&i.kind).map(|(v, _)| v)).collect::<Option<_>>()?),
            Unit::Plain,
        ),
        _ => return None,
    })
}
