//! The pipeline as a library: rules, a client config, params and data in; the checked program,
//! the loaded dataset and the scorecard results out.
//!
//! Every command of `kpi` that evaluates goes through here, in stages a caller can stop after:
//! [`resolve`] (read the client config, settle what to read), [`check`] (load and check the rules),
//! [`load`] (apply the config and params, load the data), then [`Session::evaluate`] or
//! [`Session::explain`]. [`prepare`] runs the first three. Nothing here prints or exits: problems
//! come back as [`Failure`] values, warnings as diagnostics in what is returned.
#![forbid(unsafe_code)]

pub mod config;
mod data;

pub use config::{Config, ParamInput};
pub use data::{load_data, DataInput, LoadedData, PendingCache};
pub use kpi_check::Overlay;

use kpi_eval::{EvalOptions, ParamSource, Params};
use kpi_syntax::Diagnostic;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Everything an evaluation reads, as typed values.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// `.kpi` files or directories of them; empty: the config's `rules`.
    pub rules: Vec<PathBuf>,
    /// Rule files held in memory, read instead of the disk (and imported from like files).
    pub overlay: Overlay,
    /// The client config: time zone, holidays, params, rules, data, profile, KPI overrides.
    pub config: Option<ConfigInput>,
    /// Param overrides, applied after the config's `[params]`, in order.
    pub params: Vec<ParamOverride>,
    /// The dataset; `None`: the config's `data`.
    pub data: Option<DataInput>,
    /// A column-mapping profile (`autotask`, `connectwise` or a TOML file); `None`: the config's.
    pub profile: Option<String>,
    pub as_of: AsOf,
    /// Evaluate the periods that start in [from, to); without `to`, up to the last period
    /// complete at `as_of`.
    pub from: Option<chrono::NaiveDate>,
    pub to: Option<chrono::NaiveDate>,
    /// Without `to`, keep the period in progress at `as_of` too (marked partial).
    pub include_partial: bool,
    /// The plausible span of the data's timestamps (local midnights); `None`: the config's, else
    /// 1990-01-01 and two years after `as_of`. Timestamps outside it are warned of and do not
    /// stretch the default period range.
    pub plausible_from: Option<chrono::NaiveDate>,
    pub plausible_to: Option<chrono::NaiveDate>,
    /// Only these scorecards (by id); empty: every scorecard of the root rule files.
    pub scorecards: Vec<String>,
    pub columns: Columns,
    /// Leave rows with errors out (counted in the dataset) instead of failing.
    pub skip_bad_rows: bool,
    /// Where the columnar cache lives; `None` parses the data files every time.
    pub cache: Option<kpi_data::CacheOptions>,
    /// Counts the bytes of data files parsed so far, for a progress bar.
    pub progress: Option<Arc<AtomicU64>>,
    /// The rhai time each KPI may spend in the run; `None`: the config's `script_budget`, else
    /// [`kpi_eval::DEFAULT_SCRIPT_BUDGET`] (60 s). A KPI whose scripts spend it is `no_data`, with
    /// an error in [`kpi_eval::ScorecardResult::errors`].
    pub script_budget: Option<Duration>,
}

/// A client config from a file or from memory.
#[derive(Debug, Clone)]
pub enum ConfigInput {
    File(PathBuf),
    /// The text of a config; `path` names it in messages and anchors its relative paths.
    Text {
        path: PathBuf,
        text: String,
    },
}

/// One param override: `--param NAME=VALUE`, or a value given by a program.
#[derive(Debug, Clone)]
pub struct ParamOverride {
    pub name: String,
    pub value: ParamInput,
    pub source: ParamSource,
}

/// The evaluation instant.
#[derive(Debug, Clone, Default)]
pub enum AsOf {
    /// The clock: output then depends on when it runs.
    #[default]
    Now,
    /// RFC 3339 text (a timestamp without offset is read in the client's time zone).
    Text(String),
    /// Microseconds since the Unix epoch, UTC.
    Micros(i64),
}

/// What of the dataset [`load`] reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Columns {
    /// Only the columns the selected scorecards read (and the keys links need).
    #[default]
    Read,
    /// Every column (to list rows by id).
    All,
}

/// Why the pipeline stopped.
#[derive(Debug)]
pub enum Failure {
    /// An input is wrong or missing: a config value, a param, a flag. The message says where and
    /// what to do.
    Input(String),
    /// The rules have errors: every diagnostic found, with the sources to render them.
    Rules { rules: kpi_check::Rules, diagnostics: Vec<Diagnostic> },
    /// The data has errors (every one, capped, with file:line:column).
    Data { location: PathBuf, errors: kpi_data::LoadErrors },
}

impl From<String> for Failure {
    fn from(message: String) -> Failure {
        Failure::Input(message)
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Input(message) => f.write_str(message),
            Failure::Rules { rules, diagnostics } => {
                for d in diagnostics {
                    f.write_str(&d.render(&rules.sources, false))?;
                }
                let errors = diagnostics.iter().filter(|d| d.is_error()).count();
                write!(f, "the rules have {errors} error{}; nothing evaluated", plural(errors))
            }
            Failure::Data { location, errors } => write!(
                f,
                "{errors}\n{}: {} data error{}; nothing evaluated",
                location.display(),
                errors.count(),
                plural(errors.count())
            ),
        }
    }
}

impl std::error::Error for Failure {}

/// The request with the client config read: the rules and data to read are settled.
#[derive(Debug)]
pub struct Resolved {
    pub config: Option<Config>,
    pub rules: Vec<PathBuf>,
    pub data: Option<DataInput>,
}

/// Read the client config and settle which rules and data to read (`data: None` when neither the
/// request nor the config names any: [`load`] then fails).
pub fn resolve(request: &Request) -> Result<Resolved, Failure> {
    let config = match &request.config {
        Some(ConfigInput::File(path)) => Some(config::load(path)?),
        Some(ConfigInput::Text { path, text }) => Some(config::parse(path, text.clone())?),
        None => None,
    };
    let rules = match &config {
        _ if !request.rules.is_empty() => request.rules.clone(),
        Some(cfg) if !cfg.config.rules.is_empty() => cfg.rules(),
        _ if !request.overlay.is_empty() => request.overlay.keys().cloned().collect(),
        _ => {
            return Err(Failure::Input(
                "name the rule files or directories (or give them as `rules` in the --config file)".into(),
            ))
        }
    };
    let data = request.data.clone().or_else(|| config.as_ref()?.data().map(DataInput::Dir));
    Ok(Resolved { config, rules, data })
}

/// Rules loaded and checked cleanly (warnings aside).
#[derive(Debug)]
pub struct Checked {
    pub rules: kpi_check::Rules,
    pub program: kpi_hir::Program,
    /// Warnings of the checker (errors stop at [`Failure::Rules`]).
    pub warnings: Vec<Diagnostic>,
    pub timings: Timings,
}

impl Resolved {
    /// The dataset to read, or what to do when none is named.
    pub fn require_data(&self) -> Result<&DataInput, Failure> {
        self.data.as_ref().ok_or_else(|| {
            Failure::Input("name the dataset with --data DIR (or as `data` in the --config file)".into())
        })
    }
}

/// Load and check the rules.
pub fn check(request: &Request, resolved: &Resolved) -> Result<Checked, Failure> {
    let mut timings = Timings::default();
    let started = Instant::now();
    let rules = kpi_check::load_with(&resolved.rules, &request.overlay);
    let checked = kpi_check::check(&rules);
    timings.add("check", started);
    if checked.has_errors() {
        return Err(Failure::Rules { rules, diagnostics: checked.diagnostics });
    }
    Ok(Checked { rules, program: checked.program, warnings: checked.diagnostics, timings })
}

/// Checked rules and loaded data, ready to evaluate.
pub struct Session {
    pub rules: kpi_check::Rules,
    /// The checked program with the client config's overrides applied.
    pub program: kpi_hir::Program,
    pub dataset: kpi_data::Dataset,
    pub options: EvalOptions,
    /// Warnings of the checker, after the client config (see [`Configured::warnings`]).
    pub warnings: Vec<Diagnostic>,
    /// The columnar cache of a dataset just parsed, still to be written (see [`PendingCache`]).
    pub cache: Option<PendingCache>,
    /// What the cache did when the dataset was loaded, and where (a hit, or why not).
    pub cache_outcome: Option<(kpi_data::CacheOutcome, PathBuf)>,
    /// Timestamps outside the plausible span ([`EvalOptions::plausible`]), with their lines.
    pub implausible: Vec<kpi_data::DataWarning>,
    /// Scorecards left out of a run that did not name any, because they read a table the
    /// export does not have: one message each.
    pub left_out: Vec<String>,
    pub timings: Timings,
}

/// Checked rules with the client config and the params applied: everything but the data. This
/// is what `kpi check --config` validates, and what [`load`] reads the data for.
#[derive(Debug)]
pub struct Configured {
    pub rules: kpi_check::Rules,
    /// The checked program with the config's KPI overrides applied.
    pub program: kpi_hir::Program,
    /// Warnings of the checker, checked again where the config can change them: W0001 (weights
    /// that do not sum to 100) reflects the config's weights, switched-off KPIs and params.
    pub warnings: Vec<Diagnostic>,
    pub timezone: chrono_tz::Tz,
    pub holidays: std::collections::BTreeSet<chrono::NaiveDate>,
    /// Every param's effective value: rule default, then the config's `[params]`, then the request's.
    pub params: Params,
    /// The mapping profile, read and parsed (the request's, else the config's).
    pub profile: Option<kpi_data::Profile>,
    /// The rhai time each KPI may spend per run (the request's, else the config's, else 60 s).
    pub script_budget: Duration,
    /// The plausible span of the data's timestamps, as dates (the request's, else the config's;
    /// `None`: the default around `as_of`).
    pub plausible_from: Option<chrono::NaiveDate>,
    pub plausible_to: Option<chrono::NaiveDate>,
    pub timings: Timings,
}

impl Configured {
    /// The selected scorecards (empty: those of the root rule files) with each KPI's title, unit,
    /// effective target and weight, and where each came from, without reading any data: results
    /// with no rows (`kpi list`).
    pub fn describe(&self, scorecards: &[String]) -> Result<Vec<kpi_eval::ScorecardResult>, Failure> {
        kpi_eval::describe(&self.program, &self.params, scorecards).map_err(|e| Failure::Input(e.to_string()))
    }
}

/// Apply the client config (time zone, holidays, `[params]`, KPI overrides, profile) and the
/// request's params to checked rules, without reading any data. Every error of the config and the
/// params is found, not only the first: [`Failure::Input`] lists them one per line.
pub fn configure(request: &Request, resolved: &Resolved, checked: Checked) -> Result<Configured, Failure> {
    let Checked { rules, mut program, warnings, mut timings } = checked;
    let started = Instant::now();
    let mut errors: Vec<String> = Vec::new();
    let mut configured = Configured {
        warnings: Vec::new(),
        timezone: chrono_tz::UTC,
        holidays: Default::default(),
        params: Params::defaults(&program),
        profile: None,
        script_budget: kpi_eval::DEFAULT_SCRIPT_BUDGET,
        plausible_from: request.plausible_from,
        plausible_to: request.plausible_to,
        rules,
        program: kpi_hir::Program::default(),
        timings: Timings::default(),
    };
    let mut profile = request.profile.clone();
    if let Some(cfg) = resolved.config.as_ref() {
        match cfg.timezone() {
            Ok(Some(tz)) => configured.timezone = tz,
            Ok(None) => {}
            Err(e) => errors.push(e),
        }
        match cfg.holidays() {
            Ok(days) => configured.holidays = days.into_iter().collect(),
            Err(e) => errors.push(e),
        }
        match cfg.plausible_date(&cfg.config.plausible_from, "plausible_from") {
            Ok(date) => configured.plausible_from = configured.plausible_from.or(date),
            Err(e) => errors.push(e),
        }
        match cfg.plausible_date(&cfg.config.plausible_to, "plausible_to") {
            Ok(date) => configured.plausible_to = configured.plausible_to.or(date),
            Err(e) => errors.push(e),
        }
        if let Some(budget) = &cfg.config.script_budget {
            match script_budget(budget.get_ref()) {
                Ok(b) => configured.script_budget = b,
                Err(e) => errors.push(format!("{}: script_budget {e}", cfg.at(budget.span().start))),
            }
        }
        for (name, value) in &cfg.config.params {
            let at = cfg.at(value.span().start);
            let source = ParamSource::Config(format!("{at} params.{name}"));
            let set = config::param_value(value.get_ref())
                .and_then(|input| set_param(&mut configured.params, &program, name, input, source));
            if let Err(e) = set {
                errors.push(format!("{at}: {e}"));
            }
        }
        for o in cfg.overrides() {
            if let Err(e) = kpi_check::apply_overrides(&mut program, std::slice::from_ref(&o)) {
                errors.push(e);
            }
        }
        if profile.is_none() {
            profile = cfg.profile();
        }
    }
    match request.script_budget {
        Some(budget) if budget.is_zero() => {
            errors.push("the script budget must be more than 0 seconds".into())
        }
        Some(budget) => configured.script_budget = budget,
        None => {}
    }
    for p in &request.params {
        let set = set_param(&mut configured.params, &program, &p.name, p.value.clone(), p.source.clone());
        if let Err(e) = set {
            errors.push(match (&p.source, &p.value) {
                (ParamSource::CommandLine, ParamInput::Text(text)) => {
                    format!("--param {}={text}: {e}", p.name)
                }
                _ => e,
            });
        }
    }
    match profile.as_deref().map(kpi_data::Profile::from_name_or_file).transpose() {
        Ok(p) => configured.profile = p,
        Err(e) => errors.push(e.to_string()),
    }
    if !errors.is_empty() {
        return Err(Failure::Input(errors.join("\n")));
    }
    let params = &configured.params;
    configured.warnings = kpi_check::recheck_weights(warnings, &program, &|name| params.value(name));
    configured.program = program;
    timings.add("configure", started);
    configured.timings = timings;
    Ok(configured)
}

/// Apply the client config and the params to the checked program ([`configure`]), and load the data.
pub fn load(request: &Request, resolved: Resolved, checked: Checked) -> Result<Session, Failure> {
    let configured = configure(request, &resolved, checked)?;
    load_configured(request, resolved, configured)
}

/// Load the data for rules already configured ([`configure`]).
pub fn load_configured(
    request: &Request,
    resolved: Resolved,
    configured: Configured,
) -> Result<Session, Failure> {
    let Configured {
        rules,
        program,
        warnings,
        timezone,
        holidays,
        params,
        profile,
        script_budget,
        plausible_from,
        plausible_to,
        mut timings,
    } = configured;
    let data = resolved.require_data()?;
    let as_of = match &request.as_of {
        AsOf::Micros(micros) => *micros,
        AsOf::Now => chrono::Utc::now().timestamp_micros(),
        AsOf::Text(text) => kpi_data::parse_timestamp(text, timezone).ok_or_else(|| {
            format!("--as-of `{text}` is not a timestamp; write RFC 3339, e.g. 2026-04-01T00:00:00Z")
        })?,
    };
    if let (Some(from), Some(to)) = (request.from, request.to) {
        if from >= to {
            return Err(Failure::Input(format!("--from {from} is not before --to {to}")));
        }
    }
    let plausible = kpi_data::Plausible::around(as_of, plausible_from, plausible_to, timezone);
    if plausible.from >= plausible.to {
        return Err(Failure::Input(format!(
            "the plausible span {} .. {} is empty: its start must be before its end (--plausible-from, --plausible-to)",
            plausible.from, plausible.to
        )));
    }
    let columns = match request.columns {
        Columns::Read => Some(kpi_eval::columns_read(&program, &request.scorecards)),
        Columns::All => None,
    };
    let options = kpi_data::LoadOptions {
        timezone,
        skip_bad_rows: request.skip_bad_rows,
        profile,
        columns,
        progress: request.progress.clone(),
    };
    let started = Instant::now();
    let loaded = data::load_data(data, &options, request.cache.as_ref());
    timings.add("load", started);
    let loaded = loaded.map_err(|errors| Failure::Data { location: data.location(), errors })?;
    let implausible = kpi_data::implausible_timestamps(&loaded.dataset, &plausible);
    let (scorecards, left_out) = runnable_scorecards(&program, &loaded.dataset, &request.scorecards);
    let options = EvalOptions {
        as_of,
        from: request.from,
        to: request.to,
        include_partial: request.include_partial,
        holidays,
        params,
        scorecards,
        script_budget,
        plausible,
    };
    Ok(Session {
        left_out,
        rules,
        program,
        dataset: loaded.dataset,
        options,
        warnings,
        cache: loaded.pending,
        cache_outcome: loaded.outcome,
        implausible,
        timings,
    })
}

/// The scorecards to evaluate. Named ones are all kept: one that reads a table the export does
/// not have fails the evaluation, naming it. Without names, every root scorecard is meant, and
/// those that read a missing optional table (a tickets-only export has no billing) are left out
/// with a warning each, as long as at least one can run.
fn runnable_scorecards(
    program: &kpi_hir::Program,
    dataset: &kpi_data::Dataset,
    named: &[String],
) -> (Vec<String>, Vec<String>) {
    if !named.is_empty() {
        return (named.to_vec(), Vec::new());
    }
    let roots: Vec<&kpi_hir::ScorecardDef> = program.scorecards.iter().filter(|s| s.root).collect();
    let missing: Vec<Option<kpi_eval::EvalError>> =
        roots.iter().map(|card| kpi_eval::missing_table(card, dataset)).collect();
    if missing.iter().all(Option::is_some) {
        // Nothing can run: evaluating reports the first missing table as the error.
        return (Vec::new(), Vec::new());
    }
    let run = roots.iter().zip(&missing).filter(|(_, m)| m.is_none()).map(|(c, _)| c.id.clone());
    let left_out = missing
        .iter()
        .flatten()
        .map(|m| match m {
            kpi_eval::EvalError::MissingTable { scorecard, kpi, table } => format!(
                "scorecard `{scorecard}` left out: its KPI `{kpi}` reads the table `{table}` and the \
                 dataset has no {table} file ({table}.csv or {table}.jsonl)"
            ),
            other => other.to_string(),
        })
        .collect();
    (run.collect(), left_out)
}

/// Every stage in one call: [`resolve`], [`check`], [`load`].
pub fn prepare(request: &Request) -> Result<Session, Failure> {
    let resolved = resolve(request)?;
    let checked = check(request, &resolved)?;
    load(request, resolved, checked)
}

/// A `script_budget` written as a duration of the rule language (`90s`, `2m`, `1m30s`).
fn script_budget(text: &str) -> Result<Duration, String> {
    let bad = || format!("`{text}` is not a duration: write one such as \"90s\" or \"2m\"");
    let hours = match kpi_syntax::parse_literal(text.trim()).map(|e| e.kind) {
        Ok(kpi_syntax::ast::ExprKind::Duration(hours)) => hours,
        _ => return Err(bad()),
    };
    // Durations are hours in the rule language; whole microseconds keep `90s` exactly 90 s.
    let micros = (hours * 3.6e9).round();
    if !micros.is_finite() {
        return Err(bad());
    }
    match Duration::from_micros(micros as u64) {
        budget if budget.is_zero() => Err(format!("`{text}` must be more than 0 seconds")),
        budget => Ok(budget),
    }
}

fn set_param(
    params: &mut Params,
    program: &kpi_hir::Program,
    name: &str,
    value: ParamInput,
    source: ParamSource,
) -> Result<(), String> {
    use kpi_check::params::{find_param, param_value, Written};
    let def = find_param(program, name)?;
    let value = match &value {
        ParamInput::Text(text) => param_value(program, def, Written::Text(text))?,
        ParamInput::Value(v) => param_value(program, def, Written::Value(v))?,
    };
    config::check_param(name, &value)?;
    params.set_value(def, value, source)
}

impl Session {
    /// Evaluate the selected scorecards.
    pub fn evaluate(&self) -> Result<Vec<kpi_eval::ScorecardResult>, kpi_eval::EvalError> {
        kpi_eval::evaluate(&self.program, &self.dataset, &self.options)
    }

    /// One scorecard row taken apart.
    pub fn explain(
        &self,
        scorecard: &str,
        period: Option<&str>,
        group: Option<&str>,
    ) -> Result<kpi_eval::Explanation, String> {
        kpi_eval::explain(&self.program, &self.dataset, &self.options, scorecard, period, group)
    }

    /// Write the pending columnar cache now (a failure costs only the cache: the next run parses).
    pub fn write_cache(&mut self) -> Option<(kpi_data::CacheOutcome, PathBuf)> {
        let pending = self.cache.take()?;
        Some(pending.write(&self.dataset))
    }
}

/// How long each stage took, in order (for `KPI_TIMINGS`).
#[derive(Debug, Clone, Default)]
pub struct Timings(pub Vec<(&'static str, Duration)>);

impl Timings {
    fn add(&mut self, stage: &'static str, since: Instant) {
        self.0.push((stage, since.elapsed()));
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
