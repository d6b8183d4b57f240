//! Param values written as text (`--param`, client configs), checked against the program's params.
use kpi_hir::{ParamDef, Program, Type, Unit, Value};
use kpi_syntax::ast::{ExprKind, UnaryOp};

/// The param `name` of `program`; an unknown name is an error naming the closest param, or all.
pub fn find_param<'p>(program: &'p Program, name: &str) -> Result<&'p ParamDef, String> {
    program.param(name).ok_or_else(|| unknown_param(program, name))
}

fn unknown_param(program: &Program, name: &str) -> String {
    match kpi_syntax::suggest(name, program.params.iter().map(|p| p.name.as_str())) {
        Some(s) => format!("no param `{name}` in the rules; did you mean `{s}`?"),
        None => {
            let names: Vec<&str> = program.params.iter().map(|p| p.name.as_str()).collect();
            format!("no param `{name}` in the rules; the params are: {}", names.join(", "))
        }
    }
}

/// A param value written as in a rule file (`15m`, `80%`, `2026-01-01`, `[a, b]`), for `def`'s
/// type; bare words are accepted for text params, and `a,b` for lists of text.
pub fn param_value_from_text(def: &ParamDef, text: &str) -> Result<Value, String> {
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
    literal(&kpi_syntax::parse_literal(text).ok()?.kind)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn program() -> Program {
        let rules = crate::load_text(
            "p.kpi",
            "param grace = 15m\nparam goal = 80%\nparam queue = \"Triage\"\nparam types = [\"a\"]\nparam start = 2026-01-01",
        );
        crate::check(&rules).program
    }

    fn value(name: &str, text: &str) -> Result<Value, String> {
        let program = program();
        param_value_from_text(find_param(&program, name)?, text)
    }

    #[test]
    fn values_are_written_as_in_rule_files() {
        assert_eq!(value("grace", "30m"), Ok(Value::Number(0.5)));
        assert_eq!(value("goal", "0.9"), Ok(Value::Number(0.9)));
        assert_eq!(value("queue", "Dispatch"), Ok(Value::Text("Dispatch".into())));
        assert_eq!(
            value("types", "x, y"),
            Ok(Value::List(vec![Value::Text("x".into()), Value::Text("y".into())]))
        );
        assert_eq!(value("start", "2026-02-01"), Ok(Value::Date("2026-02-01".into())));
    }

    #[test]
    fn wrong_values_and_names_say_what_was_expected() {
        assert_eq!(
            value("grace", "80%"),
            Err("`80%` is not a valid value for param `grace`: expected a duration such as 30m, 8h or 2d"
                .into())
        );
        assert_eq!(
            value("gracee", "1h"),
            Err("no param `gracee` in the rules; did you mean `grace`?".into())
        );
        assert_eq!(
            value("nothing_like_it", "1"),
            Err("no param `nothing_like_it` in the rules; the params are: grace, goal, queue, types, start"
                .into())
        );
    }
}
