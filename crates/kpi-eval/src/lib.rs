//! Evaluation of checked scorecards over a loaded dataset: periods and groups, KPI plans compiled
//! once over typed columns, chunked kernels, and scoring. KPIs run in parallel (rayon); each KPI's
//! rows are summed in a fixed order, so output is the same on every run.
#![forbid(unsafe_code)]

mod columns;
mod compile;
mod engine;
pub mod groups;
mod info;
mod kernel;
pub mod params;
pub mod periods;
pub mod score;

pub use columns::{columns_read, kpi_columns_read, tables_read};
pub use engine::{Cell, RowDetail};
pub use groups::Groups;
pub use info::describe;
pub use params::{ParamSource, Params};
pub use periods::Period;
pub use score::{Scoring, Status};

use chrono::NaiveDate;
use compile::KpiPlan;
use kpi_data::{ColumnData, Dataset};
use kpi_hir::CmpOp;
use kpi_hir::{Grain, Program, ScorecardDef, Unit};
use kpi_schema::{columns as col, Grouping, TableId};
use rayon::prelude::*;
use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("KPI `{kpi}`: {message}")]
    Plan { kpi: String, message: String },
    #[error("no scorecard `{id}` in the rules{hint}")]
    UnknownScorecard { id: String, hint: String },
    /// The periods to evaluate cannot be settled: a default range over too long a span.
    #[error("scorecard `{scorecard}`: {message}")]
    Range { scorecard: String, message: String },
    /// A KPI reads a table of data contract v1.1 whose file the dataset does not have.
    #[error(
        "scorecard `{scorecard}`, KPI `{kpi}` reads the table `{table}`, but the dataset has no {table} file \
         (`{table}.csv` or `{table}.jsonl`); add it, or name the scorecards to evaluate with `--scorecard ID`"
    )]
    MissingTable { scorecard: String, kpi: String, table: String },
}

/// The longest span, in months, a default range (one not given by both `from` and `to`) may
/// cover: 20 years. Longer spans come from bad timestamps more often than from history, and
/// would mean thousands of rows per group; they need an explicit range.
pub const MAX_DEFAULT_MONTHS: u32 = 240;

/// What to evaluate, and when.
#[derive(Debug, Clone)]
pub struct EvalOptions {
    /// The evaluation instant, microseconds UTC.
    pub as_of: i64,
    /// Evaluate the periods that start in [from, to). Without `to`, the range ends with the last
    /// period complete at `as_of` (or the one in progress, with `include_partial`); without
    /// `from`, it starts with the first period the data touches.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Without `to`, keep the period in progress at `as_of` (marked partial in every output).
    pub include_partial: bool,
    pub holidays: BTreeSet<NaiveDate>,
    pub params: Params,
    /// Timestamps outside this span do not stretch the default range (they are warned of when
    /// the data is loaded; see [`kpi_data::implausible_timestamps`]).
    pub plausible: kpi_data::Plausible,
    /// Only these scorecards (by id); empty means every scorecard of the root rule files.
    pub scorecards: Vec<String>,
    /// The rhai time each KPI may spend in this run, over all its calls ([`DEFAULT_SCRIPT_BUDGET`]).
    pub script_budget: std::time::Duration,
}

/// The default [`EvalOptions::script_budget`]: 60 s of script time per KPI per run.
pub const DEFAULT_SCRIPT_BUDGET: std::time::Duration = kpi_script::Budget::DEFAULT;

#[derive(Debug, Clone)]
pub struct ScorecardResult {
    pub id: String,
    pub title: String,
    pub description: String,
    pub grain: Grain,
    pub group_by: Option<Grouping>,
    pub as_of: i64,
    pub kpis: Vec<KpiInfo>,
    pub rows: Vec<RowResult>,
    /// Errors of rhai functions: their KPI is `no_data` everywhere, the rest is evaluated.
    pub errors: Vec<String>,
}

/// What every row of a scorecard shares about a KPI.
#[derive(Debug, Clone)]
pub struct KpiInfo {
    pub id: String,
    pub title: String,
    pub description: String,
    pub unit: Unit,
    pub op: CmpOp,
    pub target: f64,
    pub weight: f64,
    pub scoring: Scoring,
    /// Where the KPI was named in the scorecard.
    pub origin: kpi_hir::Origin,
    /// Where the effective target and weight were written: the rule clause, a param, or a config key.
    pub target_source: Provenance,
    pub weight_source: Provenance,
}

/// Where an effective value came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Provenance {
    /// A clause of a rule file.
    Rule(kpi_hir::Origin),
    /// A param, with where its value came from (and where the rule names it).
    Param { name: String, source: ParamSource, used_at: kpi_hir::Origin },
    /// A client config key (`acme.toml:12:1 scorecards.tech_balanced.mttr.target`).
    Config(String),
}

#[derive(Debug, Clone)]
pub struct RowResult {
    pub period: Option<Period>,
    /// The group's key (resource or client id, team or queue label); `None` company-wide.
    pub group: Option<String>,
    pub group_name: Option<String>,
    pub score: Option<f64>,
    /// One per KPI, in the order of [`ScorecardResult::kpis`].
    pub kpis: Vec<KpiResult>,
}

#[derive(Debug, Clone)]
pub struct KpiResult {
    pub value: Option<f64>,
    pub status: Status,
    pub attainment: Option<f64>,
    /// Population rows behind the value.
    pub rows: u64,
    pub parts: Option<(f64, f64)>,
}

/// Evaluate the scorecards of `program` over `dataset`.
pub fn evaluate(
    program: &Program,
    dataset: &Dataset,
    options: &EvalOptions,
) -> Result<Vec<ScorecardResult>, EvalError> {
    let selected = selected_scorecards(program, &options.scorecards)?;
    missing_tables(&selected, dataset)?;
    let frames: Vec<Frame> =
        selected.par_iter().map(|card| Frame::new(card, dataset, options)).collect::<Result<_, _>>()?;
    // Scorecards are compiled one after the other, sharing indexes; each KPI starts running as
    // soon as it is compiled, while the next scorecard compiles. Results land in one slot per
    // KPI, in declared order.
    let total = selected.iter().map(|card| card.kpis.len()).sum();
    let slots: Vec<OnceLock<Vec<Vec<Cell>>>> = (0..total).map(|_| OnceLock::new()).collect();
    let tz = dataset.timezone;
    let mut compiled = Vec::with_capacity(selected.len());
    rayon::scope(|scope| {
        let mut indexes = compile::Indexes::default();
        let mut slot = slots.iter();
        for (card, frame) in selected.iter().zip(&frames) {
            let (kpis, next) = compile_card(card, &program.functions, dataset, options, frame, indexes)?;
            indexes = next;
            for (plan, cell) in kpis.plans.iter().zip(slot.by_ref()) {
                let plan = plan.clone();
                scope.spawn(move |_| {
                    let _ = cell.set(engine::run(&plan, &frame.facts, frame.groups.len(), tz));
                });
            }
            compiled.push(kpis);
        }
        Ok::<(), EvalError>(())
    })?;
    let mut cells = slots.into_iter().map(|cell| cell.into_inner().expect("every KPI ran"));
    let per_card: Vec<Vec<_>> =
        compiled.iter().map(|kpis| cells.by_ref().take(kpis.plans.len()).collect()).collect();
    Ok(selected
        .into_par_iter()
        .zip(&frames)
        .zip(compiled)
        .zip(per_card)
        .map(|(((card, frame), kpis), cells)| finish_card(card, options, frame, kpis, cells))
        .collect())
}

/// A rule that reads an absent table of data contract v1.1 is an error naming it (an absent
/// `surveys` or `clients` file of v1 is still an empty table).
fn missing_tables(selected: &[&ScorecardDef], dataset: &Dataset) -> Result<(), EvalError> {
    match selected.iter().find_map(|card| missing_table(card, dataset)) {
        Some(missing) => Err(missing),
        None => Ok(()),
    }
}

/// The first KPI of `card` that reads a table the dataset has no file for (the optional tables
/// of data contract v1.1), as the error that names them; `None` when the card can run.
pub fn missing_table(card: &ScorecardDef, dataset: &Dataset) -> Option<EvalError> {
    for kpi in &card.kpis {
        for name in columns::tables_read(kpi) {
            let table = kpi_schema::table(name).expect("tables_read names canonical tables");
            if table.needs_file_when_read && !dataset.table(table.id).present {
                return Some(EvalError::MissingTable {
                    scorecard: card.id.clone(),
                    kpi: kpi.id.clone(),
                    table: name.to_string(),
                });
            }
        }
    }
    None
}

/// The scorecards `options` names, in its order; without names, those of the root rule files.
fn selected_scorecards<'p>(
    program: &'p Program,
    scorecards: &[String],
) -> Result<Vec<&'p ScorecardDef>, EvalError> {
    let mut selected: Vec<&ScorecardDef> = Vec::new();
    if scorecards.is_empty() {
        selected.extend(program.scorecards.iter().filter(|s| s.root));
    } else {
        for id in scorecards {
            let card = program.scorecard(id).ok_or_else(|| {
                let ids: Vec<&str> = program.scorecards.iter().map(|s| s.id.as_str()).collect();
                EvalError::UnknownScorecard {
                    id: id.clone(),
                    hint: format!("; the scorecards are: {}", ids.join(", ")),
                }
            })?;
            selected.push(card);
        }
    }
    Ok(selected)
}

/// The planning half of [`evaluate`], for benchmarks: compiles every KPI of the scorecards and
/// builds the indexes they share, without running them. Returns how many KPIs were compiled.
pub fn plan(program: &Program, dataset: &Dataset, options: &EvalOptions) -> Result<usize, EvalError> {
    let selected = selected_scorecards(program, &options.scorecards)?;
    missing_tables(&selected, dataset)?;
    let frames: Vec<Frame> =
        selected.iter().map(|card| Frame::new(card, dataset, options)).collect::<Result<_, _>>()?;
    let mut indexes = compile::Indexes::default();
    let mut compiled = 0;
    for (card, frame) in selected.iter().zip(&frames) {
        let (kpis, next) = compile_card(card, &program.functions, dataset, options, frame, indexes)?;
        compiled += kpis.plans.len();
        indexes = next;
    }
    Ok(compiled)
}

fn provenance(
    e: &kpi_hir::TExpr,
    clause: kpi_hir::Origin,
    config: &Option<String>,
    params: &Params,
) -> Provenance {
    if let Some(key) = config {
        return Provenance::Config(key.clone());
    }
    match &e.kind {
        kpi_hir::TKind::Param(name) => Provenance::Param {
            name: name.clone(),
            source: params.get(name).map_or(ParamSource::Default, |p| p.source.clone()),
            used_at: clause,
        },
        _ => Provenance::Rule(clause),
    }
}

/// A scorecard's periods, groups, and what the built-ins need per period.
struct Frame {
    periods: Vec<Period>,
    groups: Groups,
    facts: Vec<engine::PeriodFacts>,
}

impl Frame {
    fn new(card: &ScorecardDef, dataset: &Dataset, options: &EvalOptions) -> Result<Frame, EvalError> {
        let periods = scorecard_periods(card.grain, dataset, options)
            .map_err(|message| EvalError::Range { scorecard: card.id.clone(), message })?;
        let groups = groups::groups(dataset, card.group_by);
        let facts = period_facts(card, &periods, &groups, dataset, options);
        Ok(Frame { periods, groups, facts })
    }
}

/// A scorecard's KPIs, compiled.
struct CompiledKpis<'d> {
    infos: Vec<KpiInfo>,
    plans: Vec<Arc<KpiPlan<'d>>>,
}

fn compile_card<'d>(
    card: &ScorecardDef,
    functions: &'d [kpi_hir::FunctionDef],
    dataset: &'d Dataset,
    options: &'d EvalOptions,
    frame: &'d Frame,
    indexes: compile::Indexes,
) -> Result<(CompiledKpis<'d>, compile::Indexes), EvalError> {
    let mut compiler = compile::Compiler::new(
        dataset,
        &options.params,
        (card.grain, &frame.periods),
        &frame.groups,
        functions,
        indexes,
        options.script_budget,
    );
    let mut infos = Vec::new();
    let mut plans = Vec::new();
    for kpi in &card.kpis {
        plans.push(Arc::new(compiler.kpi(kpi)?));
        infos.push(info::kpi_info(kpi, &options.params, |e| compiler.const_number(e))?);
    }
    Ok((CompiledKpis { infos, plans }, compiler.into_indexes()))
}

/// Scores the KPI values of a scorecard into its rows. `cells[kpi][period][group]`.
fn finish_card(
    card: &ScorecardDef,
    options: &EvalOptions,
    frame: &Frame,
    compiled: CompiledKpis,
    mut cells: Vec<Vec<Vec<Cell>>>,
) -> ScorecardResult {
    let CompiledKpis { infos, plans } = compiled;
    let Frame { periods, groups, facts } = frame;
    // A KPI whose script failed has no trustworthy value anywhere.
    let mut errors = Vec::new();
    for ((plan, info), cells) in plans.iter().zip(&infos).zip(cells.iter_mut()) {
        for call in &plan.scripts {
            if let Some(message) = call.error.lock().ok().and_then(|e| e.clone()) {
                errors.push(format!("KPI `{}` of `{}`: {message}", info.id, card.id));
                cells.iter_mut().flatten().for_each(|c| {
                    c.value = f64::NAN;
                    c.parts = None;
                });
            }
        }
    }
    let mut rows = Vec::with_capacity(facts.len() * groups.len());
    let snapshot = card.grain == Grain::Snapshot;
    for p in 0..facts.len() {
        for g in 0..groups.len() {
            let kpis: Vec<KpiResult> = infos
                .iter()
                .zip(&cells)
                .map(|(info, cells)| {
                    let cell = cells[p][g];
                    let value = if cell.value.is_finite() { Some(normalize_zero(cell.value)) } else { None };
                    KpiResult {
                        value,
                        status: score::status(value, info.op, info.target),
                        attainment: score::attainment(value, info.op, info.target, &info.scoring),
                        rows: cell.rows,
                        parts: cell.parts,
                    }
                })
                .collect();
            let score = score::score(infos.iter().zip(&kpis).map(|(i, k)| (i.weight, k.attainment)));
            rows.push(RowResult {
                period: if snapshot { None } else { Some(periods[p].clone()) },
                group: card.group_by.map(|_| groups.keys[g].clone()),
                group_name: groups.names[g].clone(),
                score,
                kpis,
            });
        }
    }
    ScorecardResult {
        id: card.id.clone(),
        title: card.title.clone(),
        description: card.doc.clone(),
        grain: card.grain,
        group_by: card.group_by,
        as_of: options.as_of,
        kpis: infos,
        rows,
        errors,
    }
}

/// One row of a scorecard taken apart: the row, and the rows of data behind each KPI.
#[derive(Debug, Clone)]
pub struct Explanation {
    pub scorecard: ScorecardResult,
    /// Index into `scorecard.rows`.
    pub row: usize,
    /// Per KPI (in `scorecard.kpis` order), the population rows behind its value.
    pub details: Vec<Vec<RowDetail>>,
}

/// Explain one (period, group) row of a scorecard. `period` is a label such as `2026-09` (ignored
/// for a snapshot); `group` a resource or client id, team or queue (ignored company-wide).
pub fn explain(
    program: &Program,
    dataset: &Dataset,
    options: &EvalOptions,
    scorecard: &str,
    period: Option<&str>,
    group: Option<&str>,
) -> Result<Explanation, String> {
    let card = program.scorecard(scorecard).ok_or_else(|| {
        let ids: Vec<&str> = program.scorecards.iter().map(|s| s.id.as_str()).collect();
        format!("no scorecard `{scorecard}`; the scorecards are: {}", ids.join(", "))
    })?;
    let periods = scorecard_periods(card.grain, dataset, options)
        .map_err(|message| EvalError::Range { scorecard: card.id.clone(), message }.to_string())?;
    let p = if card.grain == Grain::Snapshot {
        0
    } else {
        let labels: Vec<&str> = periods.iter().map(|p| p.label.as_str()).collect();
        let wanted =
            period.ok_or_else(|| format!("name a period with --period, one of: {}", labels.join(", ")))?;
        labels
            .iter()
            .position(|l| *l == wanted)
            .ok_or_else(|| format!("no period `{wanted}` in range; the periods are: {}", labels.join(", ")))?
    };
    let groups = groups::groups(dataset, card.group_by);
    let g = match card.group_by {
        None => 0,
        Some(grouping) => {
            let wanted = group.ok_or_else(|| format!("name a {} with --group", grouping.name()))?;
            groups.keys.iter().position(|k| k == wanted).ok_or_else(|| {
                let mut close: Vec<&str> =
                    groups.keys.iter().map(String::as_str).filter(|k| k.contains(wanted)).collect();
                close.truncate(10);
                format!(
                    "no {} `{wanted}` in this scorecard (inactive resources have no rows){}",
                    grouping.name(),
                    if close.is_empty() { String::new() } else { format!("; similar: {}", close.join(", ")) }
                )
            })?
        }
    };
    let frame = Frame::new(card, dataset, options).map_err(|e| e.to_string())?;
    let (kpis, _) = compile_card(card, &program.functions, dataset, options, &frame, Default::default())
        .map_err(|e| e.to_string())?;
    let tz = dataset.timezone;
    let details =
        kpis.plans.iter().map(|plan| engine::rows_behind(plan, p, g, &frame.facts[p], tz)).collect();
    let cells =
        kpis.plans.par_iter().map(|plan| engine::run(plan, &frame.facts, frame.groups.len(), tz)).collect();
    let result = finish_card(card, options, &frame, kpis, cells);
    Ok(Explanation { row: p * groups.len() + g, scorecard: result, details })
}

/// `-0.0` prints as `-0`; a KPI value of zero is zero.
fn normalize_zero(x: f64) -> f64 {
    if x == 0.0 {
        0.0
    } else {
        x
    }
}

/// The periods to evaluate: those starting in [from, to), or those the data's activity touches
/// (ticket creation and time entry starts within the plausible span), up to `as_of`. A snapshot
/// has one pseudo-period. A range not given by both `from` and `to` may cover at most
/// [`MAX_DEFAULT_MONTHS`]; a longer one is an error saying to name the range.
fn scorecard_periods(grain: Grain, dataset: &Dataset, options: &EvalOptions) -> Result<Vec<Period>, String> {
    let tz = dataset.timezone;
    if grain == Grain::Snapshot {
        let date = periods::local_date(options.as_of, tz);
        return Ok(vec![Period {
            label: String::new(),
            start_date: date,
            end_date: date,
            start: options.as_of,
            end: options.as_of,
        }]);
    }
    match (options.from, options.to) {
        (Some(from), Some(to)) => Ok(periods::periods_between(grain, tz, from, to)),
        (from, to) => {
            let mut range: Option<(i64, i64)> = None;
            for column in [col::TICKET_CREATED_AT, col::TIME_ENTRY_STARTED_AT] {
                if let Some(c) = dataset.table(column.table).column(column.name) {
                    if let ColumnData::Timestamp(v) = &c.data {
                        let valid = c.valid.as_deref();
                        for (r, &t) in v.iter().enumerate() {
                            if t <= options.as_of
                                && options.plausible.contains(t)
                                && valid.is_none_or(|m| m[r])
                            {
                                range = Some(range.map_or((t, t), |(a, b)| (a.min(t), b.max(t))));
                            }
                        }
                    }
                }
            }
            let Some((first, last)) = range else { return Ok(Vec::new()) };
            // Checked before the periods are made: a year-1 timestamp taken as plausible would
            // make hundreds of thousands of them.
            let (start, end) = (
                from.unwrap_or_else(|| periods::local_date(first, tz)),
                to.map_or_else(|| periods::local_date(last, tz), |t| t.pred_opt().unwrap_or(t)),
            );
            let months = months_spanned(start, end);
            if months > MAX_DEFAULT_MONTHS {
                return Err(format!(
                    "the data's activity spans {start} .. {end} ({months} months), more than the {MAX_DEFAULT_MONTHS} months a default range may cover: name the periods to evaluate (--from and --to)"
                ));
            }
            let mut ps = periods::periods_covering(grain, tz, first, last);
            ps.retain(|p| from.is_none_or(|f| p.start_date >= f) && to.is_none_or(|t| p.start_date < t));
            if let (Some(from), None) = (from, to) {
                if ps.is_empty() || ps[0].start_date > from {
                    let end = ps.last().map_or(from, |p| p.end_date);
                    ps = periods::periods_between(grain, tz, from, end.max(from));
                }
            }
            if to.is_none() && !options.include_partial {
                ps.retain(|p| !p.is_partial(options.as_of));
            }
            Ok(ps)
        }
    }
}

/// Calendar months from the month of `start` to that of `end`, both counted (0 when `end` is
/// before `start`).
fn months_spanned(start: NaiveDate, end: NaiveDate) -> u32 {
    use chrono::Datelike;
    let month = |d: NaiveDate| i64::from(d.year()) * 12 + i64::from(d.month0());
    (month(end) - month(start) + 1).clamp(0, i64::from(u32::MAX)) as u32
}

fn period_facts(
    card: &ScorecardDef,
    periods: &[Period],
    groups: &Groups,
    dataset: &Dataset,
    options: &EvalOptions,
) -> Vec<engine::PeriodFacts> {
    let snapshot = card.grain == Grain::Snapshot;
    // Hours per day of each resource row (its own, or the param), and its group.
    let default_hpd = match options.params.value("hours_per_day") {
        Some(kpi_hir::Value::Number(x)) => x,
        _ => 8.0,
    };
    let resources = dataset.table(TableId::Resources);
    let hpd: Vec<f64> = match resources.column(col::RESOURCE_HOURS_PER_DAY.name) {
        Some(c) => match &c.data {
            ColumnData::Number(v) => {
                (0..resources.len).map(|r| if c.is_valid(r) { v[r] } else { default_hpd }).collect()
            }
            _ => vec![default_hpd; resources.len],
        },
        None => vec![default_hpd; resources.len],
    };
    let active: Vec<bool> = match resources.column(col::RESOURCE_ACTIVE.name).map(|c| (&c.data, c)) {
        Some((ColumnData::Bool(v), c)) => (0..resources.len).map(|r| !c.is_valid(r) || v[r]).collect(),
        _ => vec![true; resources.len],
    };
    let resource_groups = groups::row_groups(dataset, TableId::Resources, groups);
    let mut hours_per_group = vec![0.0; groups.len()];
    for r in 0..resources.len {
        let g = resource_groups[r];
        if active[r] && g != groups::NO_GROUP {
            hours_per_group[g as usize] += hpd[r];
        }
    }
    periods
        .iter()
        .map(|p| {
            let instants = kernel::Instants {
                as_of: options.as_of,
                period_start: if snapshot { options.as_of } else { p.start },
                period_end: if snapshot { options.as_of } else { p.end.min(options.as_of) },
            };
            let workdays = if snapshot {
                f64::NAN
            } else {
                periods::workdays_to(p, p.end.min(options.as_of), dataset.timezone, &options.holidays) as f64
            };
            engine::PeriodFacts {
                instants,
                workdays,
                available_hours: hours_per_group.iter().map(|h| h * workdays).collect(),
            }
        })
        .collect()
}
