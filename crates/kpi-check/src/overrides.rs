//! Client config overrides of a checked program: KPI targets, weights, and KPIs switched off.
use crate::params::{as_percent, is_fraction, parse_literal};
use kpi_hir::{CmpOp, Program, TExpr, TKind, Type, Unit, Value};
use kpi_syntax::suggest;

/// One KPI's overrides, as a client config writes them.
#[derive(Debug, Clone, Default)]
pub struct KpiOverride {
    pub scorecard: String,
    pub kpi: String,
    /// `>= 75%`, or `75%` to keep the rule's comparison.
    pub target: Option<String>,
    pub weight: Option<f64>,
    pub enabled: Option<bool>,
    /// Where the override was written, for provenance (`acme.toml:12:1 scorecards.x.y`).
    pub source: String,
}

/// Apply overrides in order; an unknown scorecard or KPI is an error with "did you mean".
pub fn apply_overrides(program: &mut Program, overrides: &[KpiOverride]) -> Result<(), String> {
    for o in overrides {
        let ids: Vec<String> = program.scorecards.iter().map(|s| s.id.clone()).collect();
        let Some(card) = program.scorecards.iter_mut().find(|s| s.id == o.scorecard) else {
            let hint = suggest(&o.scorecard, ids.iter().map(String::as_str)).map_or_else(
                || format!("the scorecards are: {}", ids.join(", ")),
                |c| format!("did you mean `{c}`?"),
            );
            return Err(format!("{}: no scorecard `{}` in the rules; {hint}", o.source, o.scorecard));
        };
        let kpi_ids: Vec<String> = card.kpis.iter().map(|k| k.id.clone()).collect();
        let Some(index) = card.kpis.iter().position(|k| k.id == o.kpi) else {
            let hint = suggest(&o.kpi, kpi_ids.iter().map(String::as_str)).map_or_else(
                || format!("the KPIs of `{}` are: {}", card.id, kpi_ids.join(", ")),
                |c| format!("did you mean `{c}`?"),
            );
            return Err(format!("{}: scorecard `{}` has no KPI `{}`; {hint}", o.source, card.id, o.kpi));
        };
        if o.enabled == Some(false) {
            card.kpis.remove(index);
            continue;
        }
        let kpi = &mut card.kpis[index];
        if let Some(text) = &o.target {
            let (op, value) = parse_target(text, kpi.unit).map_err(|e| format!("{}: {e}", o.source))?;
            if let Some(op) = op {
                kpi.target.op = op;
            }
            kpi.target.value = TExpr {
                kind: TKind::Const(Value::Number(value)),
                ty: Type::Number(kpi.unit),
                span: kpi.target.value.span,
                file: kpi.target.value.file,
            };
            kpi.overrides.target = Some(o.source.clone());
        }
        if let Some(weight) = o.weight {
            if weight < 0.0 || !weight.is_finite() {
                return Err(format!("{}: a weight must be a number of 0 or more, not {weight}", o.source));
            }
            kpi.weight = TExpr {
                kind: TKind::Const(Value::Number(weight)),
                ty: Type::Number(Unit::Plain),
                span: kpi.weight.span,
                file: kpi.weight.file,
            };
            kpi.overrides.weight = Some(o.source.clone());
        }
    }
    Ok(())
}

/// `>= 75%` -> (Some(>=), 0.75); `24h` -> (None, 24.0). The unit must fit the KPI's.
fn parse_target(text: &str, unit: Unit) -> Result<(Option<CmpOp>, f64), String> {
    let text = text.trim();
    let (op, rest) = [(">=", CmpOp::Ge), ("<=", CmpOp::Le), (">", CmpOp::Gt), ("<", CmpOp::Lt)]
        .into_iter()
        .find_map(|(sym, op)| text.strip_prefix(sym).map(|rest| (Some(op), rest)))
        .unwrap_or((None, text));
    let example = match unit {
        Unit::Ratio => "a percentage such as `>= 75%`",
        Unit::Hours => "a duration such as `<= 24h`",
        _ => "a number such as `<= 5`",
    };
    match parse_literal(rest.trim()) {
        Some((Value::Number(x), lit)) if lit.compatible(unit) => {
            if unit == Unit::Ratio && matches!(lit, Unit::Plain | Unit::Number) && !is_fraction(x) {
                let written = text.strip_suffix(rest).unwrap_or("").trim();
                let space = if written.is_empty() { "" } else { " " };
                return Err(format!(
                    "target `{text}` is a plain number but this KPI's value is a ratio: did you mean `{written}{space}{}`? \
                     A ratio target is a percentage; a plain number from 0 to 1 is read as a fraction (0.8 is 80%)",
                    as_percent(x)
                ));
            }
            Ok((op, x))
        }
        _ => Err(format!(
            "target `{text}` does not fit this KPI (its value is in {}): write {example}",
            unit.name()
        )),
    }
}
