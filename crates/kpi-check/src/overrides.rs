//! Client config overrides of a checked program: KPI targets, weights, and KPIs switched off;
//! and the checks that depend on them, run again after them.
use crate::params::{as_percent, is_fraction, parse_literal};
use kpi_hir::{CmpOp, Program, TExpr, TKind, Type, Unit, Value};
use kpi_syntax::{codes, suggest, Diagnostic};

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

/// W0001 for every scorecard of `program` whose weights, with the params' values from `param`,
/// do not sum to 100: run after a client config changed weights, switched KPIs off or set the
/// params weights are written with, it warns exactly as the same edit in a `.kpi` file would.
pub fn weight_warnings(program: &Program, param: &dyn Fn(&str) -> Option<Value>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for card in &program.scorecards {
        let total: f64 = card
            .kpis
            .iter()
            .filter_map(|k| match kpi_hir::eval_const(&k.weight, param) {
                Some(Value::Number(x)) => Some(x),
                _ => None,
            })
            .sum();
        if !card.kpis.is_empty() && (total - 100.0).abs() > 1e-9 {
            let (file, span) = crate::lower::site(card.origin.file, card.origin.span);
            out.push(crate::diagnostics::weights_sum(file, span, &card.id, total));
        }
    }
    out
}

/// `diagnostics` without the W0001 warnings of the checker, with those of [`weight_warnings`]
/// instead, in the checker's order (file, position, code, message).
pub fn recheck_weights(
    diagnostics: Vec<Diagnostic>,
    program: &Program,
    param: &dyn Fn(&str) -> Option<Value>,
) -> Vec<Diagnostic> {
    let mut out: Vec<Diagnostic> = diagnostics.into_iter().filter(|d| d.code != codes::WEIGHTS_SUM).collect();
    out.extend(weight_warnings(program, param));
    out.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()).then_with(|| a.message.cmp(&b.message)));
    out
}
