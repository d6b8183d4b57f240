//! Effective param values: rule defaults, overridden by client config, overridden by `--param`.
use kpi_hir::{ParamDef, Program, Type, Value};
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

    /// The effective value of param `name`, with where it came from.
    pub fn get(&self, name: &str) -> Option<&ParamValue> {
        self.values.get(name)
    }

    /// The effective value of param `name`.
    pub fn value(&self, name: &str) -> Option<Value> {
        self.values.get(name).map(|p| p.value.clone())
    }

    /// Override param `def` with a typed value: a TOML number or boolean, or text converted by
    /// `kpi_check::params::param_value_from_text` (`kpi_check::params::find_param` finds `def`).
    pub fn set_value(&mut self, def: &ParamDef, value: Value, source: ParamSource) -> Result<(), String> {
        let fits = matches!(
            (&def.ty, &value),
            (Type::Number(_), Value::Number(_))
                | (Type::Bool, Value::Bool(_))
                | (Type::Text, Value::Text(_))
                | (Type::Date, Value::Date(_))
                | (Type::List(_), Value::List(_))
        );
        if !fits {
            return Err(format!("param `{}` is {}; got {}", def.name, def.ty.describe(), describe(&value)));
        }
        self.values.insert(def.name.clone(), ParamValue { value, source });
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
