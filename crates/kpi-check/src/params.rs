//! Param values written as text (`--param`, client configs), checked against the program's params.
use kpi_hir::{ParamDef, Program, Scoring, TExpr, TKind, Type, Unit, Value};
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
/// type; bare words are accepted for text params, and `a,b` for lists of text. A plain number for
/// a ratio param must be a fraction (see [`param_value`], which also knows how the rules use a
/// param whose default is a plain number).
pub fn param_value_from_text(def: &ParamDef, text: &str) -> Result<Value, String> {
    let unit = match def.ty {
        Type::Number(u) => u,
        _ => Unit::Plain,
    };
    value_from_text(def, unit, text)
}

/// How a param value was given: text in the rule language's literal syntax (`--param`, a TOML
/// string), or a typed value (a TOML number, boolean or array; a number is a plain number).
#[derive(Debug, Clone, Copy)]
pub enum Written<'a> {
    Text(&'a str),
    Value(&'a Value),
}

/// A param value for `def`, checked against the unit the param is read in ([`param_unit`]):
/// `--param backlog_max=3h` is an error when `backlog_max` is a count target, and
/// `--param goal=80` when `goal` is a percentage (did you mean `80%`?).
pub fn param_value(program: &Program, def: &ParamDef, written: Written) -> Result<Value, String> {
    let unit = param_unit(program, def);
    match written {
        Written::Text(text) => value_from_text(def, unit, text),
        Written::Value(Value::Number(x)) if matches!(def.ty, Type::Number(_)) => {
            number_fits(*x, Unit::Plain, unit)
                .map_err(|why| format!("{x} is not a valid value for param `{}`: {why}", def.name))?;
            Ok(Value::Number(*x))
        }
        Written::Value(v) => Ok(v.clone()),
    }
}

/// The unit values of param `def` are read in: its default's; for a plain number, the unit of the
/// KPI targets and bands it stands for and of the values it is compared with or added to, when
/// they agree (`param backlog_max = 5` with `target <= backlog_max` on a count is a count).
pub fn param_unit(program: &Program, def: &ParamDef) -> Unit {
    match def.ty {
        Type::Number(u) if !matches!(u, Unit::Plain | Unit::Number) => return u,
        Type::Number(_) => {}
        _ => return Unit::Plain,
    }
    let mut units = std::collections::HashSet::new();
    let is_param = |e: &TExpr| matches!(&e.kind, TKind::Param(n) if *n == def.name);
    for kpi in program.scorecards.iter().flat_map(|s| &s.kpis) {
        if is_param(&kpi.target.value) {
            units.insert(kpi.unit);
        }
        if let Scoring::Bands(points) = &kpi.scoring {
            if points.iter().any(|(v, _)| is_param(v)) {
                units.insert(kpi.unit);
            }
        }
        let exprs = [Some(&kpi.value), kpi.population.filter.as_ref(), kpi.min_rows.as_ref()];
        for e in exprs.into_iter().flatten() {
            met_units(e, &def.name, &mut units);
        }
    }
    units.retain(|u| !matches!(u, Unit::Plain | Unit::Number));
    match units.len() {
        1 => units.into_iter().next().unwrap_or(Unit::Plain),
        _ => Unit::Plain,
    }
}

/// The units param `name` meets in `e`: the other side of a comparison, `+` or `-`.
fn met_units(e: &TExpr, name: &str, out: &mut std::collections::HashSet<Unit>) {
    use kpi_hir::BinaryOp::*;
    match &e.kind {
        TKind::Binary(op, l, r) => {
            if matches!(op, Add | Sub | Eq | Ne | Lt | Le | Gt | Ge) {
                for (a, b) in [(l, r), (r, l)] {
                    if matches!(&a.kind, TKind::Param(n) if n == name) {
                        if let Type::Number(u) = b.ty {
                            out.insert(u);
                        }
                    }
                }
            }
            met_units(l, name, out);
            met_units(r, name, out);
        }
        TKind::List(items) | TKind::Call(_, items) | TKind::Script { args: items, .. } => {
            items.iter().for_each(|i| met_units(i, name, out))
        }
        TKind::Unary(_, inner) | TKind::IsNull { expr: inner, .. } => met_units(inner, name, out),
        TKind::Aggregate { args, filter, .. } => {
            args.iter().chain(filter.as_deref()).for_each(|i| met_units(i, name, out))
        }
        TKind::Related { args, filter, .. } => {
            args.iter().chain(filter.as_deref()).for_each(|i| met_units(i, name, out))
        }
        _ => {}
    }
}

/// A plain number where a ratio is meant is a fraction: 0 to 1.
pub fn is_fraction(x: f64) -> bool {
    (0.0..=1.0).contains(&x)
}

/// `80` as the percentage it was probably meant to be: `80%`.
pub fn as_percent(x: f64) -> String {
    format!("{x}%")
}

/// Does a number written in unit `written` fit unit `unit`? A plain number for a ratio must be a
/// fraction; otherwise the units must be compatible. The error says what to write.
pub(crate) fn number_fits(x: f64, written: Unit, unit: Unit) -> Result<(), String> {
    if !written.compatible(unit) {
        return Err(format!("it is {} but the param is {}", describe(written), describe(unit)));
    }
    if unit == Unit::Ratio && matches!(written, Unit::Plain | Unit::Number) && !is_fraction(x) {
        return Err(format!(
            "did you mean `{}`? A ratio is a percentage; a plain number from 0 to 1 is read as a fraction (0.8 is 80%)",
            as_percent(x)
        ));
    }
    Ok(())
}

fn describe(unit: Unit) -> String {
    match unit {
        Unit::Plain => "a plain number".into(),
        u => Type::Number(u).describe(),
    }
}

fn value_from_text(def: &ParamDef, unit: Unit, text: &str) -> Result<Value, String> {
    let expected = match (&def.ty, unit) {
        (Type::Number(_), Unit::Hours) => "a duration such as 30m, 8h or 2d",
        (Type::Number(_), Unit::Ratio) => "a percentage such as 80% or a fraction such as 0.8",
        (Type::Number(_), Unit::Count) => "a count such as 5",
        (Type::Number(_), _) => "a number",
        (Type::Text, _) => "text",
        (Type::Bool, _) => "true or false",
        (Type::Date, _) => "a date YYYY-MM-DD",
        (Type::List(_), _) => "a list such as [\"a\", \"b\"] or a,b",
        _ => "a value",
    };
    let bad = || format!("`{text}` is not a valid value for param `{}`: expected {expected}", def.name);
    let parsed = parse_literal(text);
    match (&def.ty, parsed) {
        (Type::Number(_), Some((Value::Number(x), lit_unit))) => match number_fits(x, lit_unit, unit) {
            Ok(()) => Ok(Value::Number(x)),
            Err(_) if !lit_unit.compatible(unit) => Err(bad()),
            Err(why) => Err(format!("`{text}` is not a valid value for param `{}`: {why}", def.name)),
        },
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

    /// Params as the rules use them: a ratio, a plain fraction and a plain count standing for
    /// targets, and a plain number no target uses.
    fn used_program() -> Program {
        let rules = crate::load_text(
            "u.kpi",
            "param goal = 80%\nparam share_max = 0.25\nparam backlog_max = 5\nparam per_day = 8\n\
             scorecard s {\n\
               kpi a { from tickets by completed_at value share(reopen_count > 0) target <= share_max weight 25 }\n\
               kpi b { from tickets by completed_at value share(reopen_count = 0) target >= goal weight 25 }\n\
               kpi c { from tickets open at as_of value count() target <= backlog_max weight 25 }\n\
               kpi d { from tickets by completed_at value count() * per_day target >= 1 weight 25 }\n\
             }\n",
        );
        let checked = crate::check(&rules);
        assert!(!checked.has_errors(), "{:#?}", checked.diagnostics);
        checked.program
    }

    fn used(name: &str, written: Written) -> Result<Value, String> {
        let program = used_program();
        param_value(&program, find_param(&program, name)?, written)
    }

    #[test]
    fn a_plain_number_for_a_ratio_is_a_fraction() {
        assert_eq!(used("goal", Written::Text("0.85")), Ok(Value::Number(0.85)));
        assert_eq!(used("goal", Written::Text("85%")), Ok(Value::Number(0.85)));
        assert_eq!(used("goal", Written::Value(&Value::Number(1.0))), Ok(Value::Number(1.0)));
        for bad in [Written::Text("80"), Written::Value(&Value::Number(80.0))] {
            let err = used("goal", bad).unwrap_err();
            assert!(err.contains("did you mean `80%`?"), "{err}");
        }
        // A plain default that stands for a ratio target is a ratio too.
        assert_eq!(used("share_max", Written::Text("30%")), Ok(Value::Number(0.3)));
        let err = used("share_max", Written::Text("30")).unwrap_err();
        assert!(err.contains("did you mean `30%`?"), "{err}");
        // The param alone, without the rules that use it, knows its own default's unit.
        let program = used_program();
        let goal = find_param(&program, "goal").unwrap();
        assert!(param_value_from_text(goal, "80").unwrap_err().contains("did you mean `80%`?"));
    }

    #[test]
    fn a_duration_for_a_count_is_an_error() {
        let err = used("backlog_max", Written::Text("3h")).unwrap_err();
        assert_eq!(err, "`3h` is not a valid value for param `backlog_max`: expected a count such as 5");
        assert_eq!(used("backlog_max", Written::Text("3")), Ok(Value::Number(3.0)));
        // A plain number that stands for no unit takes any number, as in a rule file.
        assert_eq!(used("per_day", Written::Text("7.5h")), Ok(Value::Number(7.5)));
        assert_eq!(used("per_day", Written::Value(&Value::Number(7.5))), Ok(Value::Number(7.5)));
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
