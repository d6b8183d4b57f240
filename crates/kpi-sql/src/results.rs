//! The rows a compiled query returns, read back into the evaluator's results, so that every
//! report renders SQL engines' results as it renders the native engine's.
use crate::{CompiledScorecard, SqlOptions};
use kpi_eval::{KpiResult, RowResult, ScorecardResult, Status};
use kpi_hir::{Grain, Program};

/// Columns before the KPIs': `period_index`, `period`, `group_key`, `group_name`, `score`.
pub const LEADING_COLUMNS: usize = 5;
/// Columns per KPI: `{id}__value`, `{id}__status`, `{id}__attainment`, `{id}__rows`.
pub const COLUMNS_PER_KPI: usize = 4;

/// A value of a result row, as a client library reads it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Float(f64),
    Text(String),
}

impl Cell {
    fn float(&self) -> Result<Option<f64>, String> {
        match self {
            Cell::Null => Ok(None),
            Cell::Float(x) if x.is_finite() => Ok(Some(if *x == 0.0 { 0.0 } else { *x })),
            Cell::Float(_) => Ok(None),
            Cell::Int(i) => Ok(Some(*i as f64)),
            Cell::Text(t) => Err(format!("a number was expected, not `{t}`")),
        }
    }

    fn int(&self) -> Result<i64, String> {
        match self {
            Cell::Int(i) => Ok(*i),
            Cell::Float(x) if x.fract() == 0.0 => Ok(*x as i64),
            other => Err(format!("an integer was expected, not {other:?}")),
        }
    }

    fn text(&self) -> Result<Option<String>, String> {
        match self {
            Cell::Null => Ok(None),
            Cell::Text(t) => Ok(Some(t.clone())),
            other => Err(format!("a text was expected, not {other:?}")),
        }
    }
}

/// The result of `compiled`'s query (`rows`, in its column order) as the evaluator's result.
pub fn assemble(
    program: &Program,
    options: &SqlOptions,
    compiled: &CompiledScorecard,
    rows: Vec<Vec<Cell>>,
) -> Result<ScorecardResult, String> {
    let described = kpi_eval::describe(program, &options.params, std::slice::from_ref(&compiled.id))
        .map_err(|e| e.to_string())?;
    let mut result = described.into_iter().next().ok_or("no scorecard described")?;
    result.kpis.retain(|k| compiled.kpis.contains(&k.id));
    result.as_of = options.as_of;
    let width = LEADING_COLUMNS + COLUMNS_PER_KPI * result.kpis.len();
    let mut read = Vec::with_capacity(rows.len());
    for row in rows {
        if row.len() != width {
            return Err(format!("scorecard `{}`: a row of {} columns, not {width}", compiled.id, row.len()));
        }
        read.push(
            read_row(&result, compiled, &row).map_err(|e| format!("scorecard `{}`: {e}", compiled.id))?,
        );
    }
    // The evaluator's order: periods in time order, groups by key.
    read.sort_by(|a, b| (a.0, &a.1.group).cmp(&(b.0, &b.1.group)));
    result.rows = read.into_iter().map(|(_, row)| row).collect();
    Ok(result)
}

fn read_row(
    result: &ScorecardResult,
    compiled: &CompiledScorecard,
    row: &[Cell],
) -> Result<(usize, RowResult), String> {
    let index = usize::try_from(row[0].int()?).map_err(|e| e.to_string())?;
    let period = compiled.periods.get(index).ok_or_else(|| format!("no period {index}"))?;
    let kpis = row[LEADING_COLUMNS..]
        .chunks(COLUMNS_PER_KPI)
        .map(|cells| {
            let status = match cells[1].text()?.as_deref() {
                Some("met") => Status::Met,
                Some("missed") => Status::Missed,
                Some("no_data") => Status::NoData,
                other => return Err(format!("a status of {other:?}")),
            };
            Ok(KpiResult {
                value: cells[0].float()?,
                status,
                attainment: cells[2].float()?,
                rows: u64::try_from(cells[3].int()?).map_err(|e| e.to_string())?,
                parts: None,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok((
        index,
        RowResult {
            period: (result.grain != Grain::Snapshot).then(|| period.clone()),
            group: match result.group_by {
                Some(_) => row[2].text()?,
                None => None,
            },
            group_name: row[3].text()?,
            score: row[4].float()?,
            kpis,
        },
    ))
}
