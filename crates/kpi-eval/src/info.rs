//! What a scorecard's KPIs are before any data is read: effective targets and weights, with
//! where each came from (`kpi list`, and the header every evaluated scorecard carries).
use crate::{provenance, selected_scorecards, EvalError, KpiInfo, Params, ScorecardResult, Scoring};
use kpi_hir::{KpiDef, Program, TExpr};

/// A KPI's info, with `number` folding its constant expressions (targets, weights, bands).
pub(crate) fn kpi_info(
    kpi: &KpiDef,
    params: &Params,
    number: impl Fn(&TExpr) -> Result<f64, EvalError>,
) -> Result<KpiInfo, EvalError> {
    let scoring = match &kpi.scoring {
        kpi_hir::Scoring::Attainment => Scoring::Attainment,
        kpi_hir::Scoring::PassFail => Scoring::PassFail,
        kpi_hir::Scoring::Bands(points) => Scoring::Bands(
            points.iter().map(|(v, a)| Ok((number(v)?, number(a)?))).collect::<Result<_, EvalError>>()?,
        ),
    };
    Ok(KpiInfo {
        id: kpi.id.clone(),
        title: kpi.title.clone(),
        description: kpi.description.clone(),
        unit: kpi.unit,
        op: kpi.target.op,
        target: number(&kpi.target.value)?,
        weight: number(&kpi.weight)?,
        scoring,
        origin: kpi.origin,
        target_source: provenance(&kpi.target.value, kpi.target_origin, &kpi.overrides.target, params),
        weight_source: provenance(&kpi.weight, kpi.weight_origin, &kpi.overrides.weight, params),
    })
}

/// The scorecards named in `scorecards` (empty: those of the root rule files) with their KPIs'
/// effective targets, weights and provenance under `params`, and no rows: what the rules say
/// before any data is read. `as_of` is 0.
pub fn describe(
    program: &Program,
    params: &Params,
    scorecards: &[String],
) -> Result<Vec<ScorecardResult>, EvalError> {
    selected_scorecards(program, scorecards)?
        .into_iter()
        .map(|card| {
            let kpis = card
                .kpis
                .iter()
                .map(|kpi| {
                    kpi_info(kpi, params, |e| match kpi_hir::eval_const(e, &|name| params.value(name)) {
                        Some(kpi_hir::Value::Number(x)) => Ok(x),
                        _ => Err(EvalError::Plan {
                            kpi: kpi.id.clone(),
                            message: "a target, weight or scoring band that is not a number".into(),
                        }),
                    })
                })
                .collect::<Result<_, _>>()?;
            Ok(ScorecardResult {
                id: card.id.clone(),
                title: card.title.clone(),
                description: card.doc.clone(),
                grain: card.grain,
                group_by: card.group_by,
                as_of: 0,
                kpis,
                rows: Vec::new(),
                errors: Vec::new(),
            })
        })
        .collect()
}
