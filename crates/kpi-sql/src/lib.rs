//! Compiles checked scorecards to SQL for DuckDB, PostgreSQL and Spark: for each scorecard, one
//! query whose rows are its (period, group) rows with every KPI's value, status, attainment and
//! row count, and the row score, with the native evaluator's semantics.
//!
//! Periods and their working days are computed here, by the evaluator's own period code
//! ([`kpi_eval::periods`]), and written into the query as literals (local midnights in the
//! client's time zone, as UTC microseconds): every engine then agrees with the evaluator across
//! DST changes, holidays and `as_of` without a calendar of its own. Timestamps are compared as
//! epoch microseconds, numbers as doubles, and predicates are two-valued as in the evaluator.
//! A KPI that cannot compile (a rhai function) is an error naming it, or is left out with a
//! warning ([`SqlOptions::skip_uncompilable`]).
#![forbid(unsafe_code)]

mod agg;
mod card;
mod dialect;
mod expr;
mod kpi;
mod results;

pub use dialect::Dialect;
pub use results::{assemble, Cell, COLUMNS_PER_KPI, LEADING_COLUMNS};

use chrono::NaiveDate;
use kpi_eval::{Params, Period};
use kpi_hir::{FunctionDef, Program};
use kpi_schema::{Grouping, TableSchema};
use std::collections::BTreeSet;

/// What to compile, for which engine, and the evaluation's settings.
#[derive(Debug, Clone)]
pub struct SqlOptions {
    pub dialect: Dialect,
    /// The evaluation instant, microseconds UTC.
    pub as_of: i64,
    /// The periods that start in [from, to); both are needed for a periodic scorecard.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub timezone: chrono_tz::Tz,
    pub holidays: BTreeSet<NaiveDate>,
    pub params: Params,
    /// Only these scorecards (by id); empty: those of the root rule files.
    pub scorecards: Vec<String>,
    /// Tables are read as `schema.prefix + name` (`analytics.psa_tickets`).
    pub schema: Option<String>,
    pub prefix: String,
    /// Leave KPIs that cannot compile out (with a warning) instead of failing.
    pub skip_uncompilable: bool,
}

/// One scorecard's query.
#[derive(Debug, Clone)]
pub struct CompiledScorecard {
    pub id: String,
    pub sql: String,
    /// The periods of its rows, in the order of the `period_index` column.
    pub periods: Vec<Period>,
    /// The KPIs the query computes, in column order (those left out are not here).
    pub kpis: Vec<String>,
    /// Why KPIs were left out (with [`SqlOptions::skip_uncompilable`]).
    pub warnings: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SqlError {
    #[error("KPI `{kpi}` of scorecard `{scorecard}` cannot compile to SQL: {reason}")]
    Uncompilable { scorecard: String, kpi: String, reason: String },
    #[error("no scorecard `{id}` in the rules; the scorecards are: {known}")]
    UnknownScorecard { id: String, known: String },
    #[error("{0}")]
    Input(String),
}

/// Why an expression cannot compile (the KPI is named by the caller).
#[derive(Debug, Clone)]
pub(crate) struct Reason(pub String);

impl Reason {
    pub fn new(message: impl Into<String>) -> Reason {
        Reason(message.into())
    }

    /// A construct the SQL compiler does not handle yet (new in the language or the schema).
    pub fn not_yet(what: impl Into<String>) -> Reason {
        Reason(format!("{} cannot compile to SQL yet", what.into()))
    }
}

/// Compile the selected scorecards of `program` (configured: params and overrides applied).
pub fn compile(program: &Program, options: &SqlOptions) -> Result<Vec<CompiledScorecard>, SqlError> {
    let infos = kpi_eval::describe(program, &options.params, &options.scorecards).map_err(|e| match e {
        kpi_eval::EvalError::UnknownScorecard { id, .. } => SqlError::UnknownScorecard {
            id,
            known: program.scorecards.iter().map(|s| s.id.as_str()).collect::<Vec<_>>().join(", "),
        },
        other => SqlError::Input(other.to_string()),
    })?;
    infos
        .iter()
        .map(|info| {
            let card = program.scorecard(&info.id).expect("described scorecards exist");
            let mut gen = Gen::new(options, &program.functions, card.group_by);
            gen.scorecard(card, &info.kpis)
        })
        .collect()
}

/// The state of one scorecard's compilation: the CTEs written so far.
pub(crate) struct Gen<'a> {
    pub d: Dialect,
    pub opts: &'a SqlOptions,
    pub functions: &'a [FunctionDef],
    pub grouping: Option<Grouping>,
    /// CTEs that KPIs need besides their own (aggregates over related rows or other tables).
    pub ctes: Vec<String>,
    /// Some KPI reads `available_hours()`.
    pub available_hours: bool,
    /// The scorecard's period bounds: every start, then the last end (microseconds UTC).
    pub bounds: Vec<i64>,
}

impl<'a> Gen<'a> {
    fn new(opts: &'a SqlOptions, functions: &'a [FunctionDef], grouping: Option<Grouping>) -> Gen<'a> {
        Gen {
            d: opts.dialect,
            opts,
            functions,
            grouping,
            ctes: Vec::new(),
            available_hours: false,
            bounds: Vec::new(),
        }
    }

    /// A canonical table as the query names it.
    pub fn table(&self, t: &TableSchema) -> String {
        match &self.opts.schema {
            Some(schema) => format!("{schema}.{}{}", self.opts.prefix, t.name),
            None => format!("{}{}", self.opts.prefix, t.name),
        }
    }
}
