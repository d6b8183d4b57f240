//! `kpi evaluate`: check the rules, load the data, evaluate the scorecards, print them.
//! The inputs (rules, data, config, params, as_of) are shared with `kpi explain`.
use crate::config::{self, ParamInput};
use crate::Outcome;
use kpi_check::params::{find_param, param_value_from_text};
use kpi_eval::{EvalOptions, ParamSource, Params};
use std::io::IsTerminal;
use std::path::PathBuf;

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum FormatArg {
    Table,
    Json,
    Csv,
    Markdown,
}

/// What every evaluation reads: rules, data, config, params and the instant.
#[derive(clap::Args)]
pub struct Inputs {
    /// `.kpi` files or directories of them; their scorecards are evaluated (default: the config's `rules`).
    #[arg(value_name = "RULES")]
    pub rules: Vec<PathBuf>,
    /// The dataset directory, one file per table (default: the config's `data`).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// First day of the range: periods that start in [from, to) are evaluated.
    #[arg(long, value_name = "DATE")]
    pub from: Option<chrono::NaiveDate>,
    /// Day after the range.
    #[arg(long, value_name = "DATE")]
    pub to: Option<chrono::NaiveDate>,
    /// The evaluation instant (RFC 3339); default now. Fix it for reproducible output.
    #[arg(long, value_name = "TIMESTAMP")]
    pub as_of: Option<String>,
    /// Client config: timezone, holidays, [params], rules, data, profile, KPI overrides.
    #[arg(long, value_name = "CLIENT.toml")]
    pub config: Option<PathBuf>,
    /// Override a param: NAME=VALUE, written as in a rule file (15m, 80%, Triage). Repeatable.
    #[arg(long, value_name = "NAME=VALUE")]
    pub param: Vec<String>,
    /// A column-mapping profile for a PSA export: autotask, connectwise, or a TOML file.
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
    /// Leave rows with errors out (reported in every format) instead of failing.
    #[arg(long)]
    pub skip_bad_rows: bool,
    /// Parse the data files even when the columnar cache holds them (and do not write it).
    #[arg(long)]
    pub no_cache: bool,
}

/// Checked rules, loaded data and options, ready to evaluate.
pub struct Prepared {
    pub rules: kpi_check::Rules,
    pub program: kpi_hir::Program,
    pub dataset: kpi_data::Dataset,
    pub options: EvalOptions,
    /// The columnar cache of a dataset just parsed, still to be written.
    pub cache_write: Option<super::data::CacheWrite>,
}

impl Prepared {
    /// Writes the pending cache now (for commands that do not overlap it with their own work).
    pub fn write_cache(&mut self) {
        if let Some(w) = self.cache_write.take() {
            w.finish(&self.dataset);
        }
    }
}

/// What of the dataset [`prepare`] loads.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Columns {
    /// Only the columns the scorecards read (and the keys links need).
    Read,
    /// Every column (`kpi explain` lists rows by id).
    All,
}

/// Load and check everything; `Ok(None)` when errors were already reported (exit 1).
pub fn prepare(
    inputs: &Inputs,
    scorecards: Vec<String>,
    columns: Columns,
) -> Result<Option<Prepared>, Box<dyn std::error::Error>> {
    let cfg = inputs.config.as_deref().map(config::load).transpose()?;
    let rule_paths = match (&inputs.rules, &cfg) {
        (paths, _) if !paths.is_empty() => paths.clone(),
        (_, Some(cfg)) if !cfg.config.rules.is_empty() => cfg.rules(),
        _ => {
            return Err(
                "name the rule files or directories (or give them as `rules` in the --config file)".into()
            )
        }
    };
    let data = match (&inputs.data, &cfg) {
        (Some(d), _) => d.clone(),
        (None, Some(cfg)) if cfg.data().is_some() => cfg.data().expect("checked"),
        _ => return Err("name the dataset with --data DIR (or as `data` in the --config file)".into()),
    };
    let started = std::time::Instant::now();
    let rules = kpi_check::load(&rule_paths);
    let checked = kpi_check::check(&rules);
    crate::timing("check", started);
    super::check::report(&rules, &checked.diagnostics);
    if checked.has_errors() {
        let errors = checked.diagnostics.iter().filter(|d| d.is_error()).count();
        eprintln!("the rules have {errors} error{}; nothing evaluated", if errors == 1 { "" } else { "s" });
        return Ok(None);
    }
    let mut program = checked.program;

    let mut params = Params::defaults(&program);
    let mut timezone = chrono_tz::UTC;
    let mut holidays = Default::default();
    let mut profile_spec = inputs.profile.clone();
    if let Some(cfg) = &cfg {
        if let Some(tz) = cfg.timezone()? {
            timezone = tz;
        }
        holidays = cfg.holidays()?.into_iter().collect();
        for (name, value) in &cfg.config.params {
            let source = ParamSource::Config(format!("{} params.{name}", cfg.at(value.span().start)));
            let input = config::param_value(value.get_ref())?;
            let result = find_param(&program, name).and_then(|def| {
                let value = match input {
                    ParamInput::Text(text) => param_value_from_text(def, &text)?,
                    ParamInput::Value(v) => v,
                };
                params.set_value(def, value, source)
            });
            result.map_err(|e| format!("{}: {e}", cfg.at(value.span().start)))?;
        }
        kpi_check::apply_overrides(&mut program, &cfg.overrides())?;
        if profile_spec.is_none() {
            profile_spec = cfg.profile();
        }
    }
    for assignment in &inputs.param {
        let (name, value) = assignment.split_once('=').ok_or_else(|| {
            format!("--param `{assignment}`: write NAME=VALUE, e.g. --param realtime_grace=15m")
        })?;
        find_param(&program, name.trim())
            .and_then(|def| {
                params.set_value(def, param_value_from_text(def, value.trim())?, ParamSource::CommandLine)
            })
            .map_err(|e| format!("--param {assignment}: {e}"))?;
    }
    let as_of = match &inputs.as_of {
        Some(text) => kpi_data::parse_timestamp(text, timezone).ok_or_else(|| {
            format!("--as-of `{text}` is not a timestamp; write RFC 3339, e.g. 2026-04-01T00:00:00Z")
        })?,
        None => chrono::Utc::now().timestamp_micros(),
    };
    if let (Some(from), Some(to)) = (inputs.from, inputs.to) {
        if from >= to {
            return Err(format!("--from {from} is not before --to {to}").into());
        }
    }

    let profile = profile_spec.as_deref().map(kpi_data::Profile::from_name_or_file).transpose()?;
    let columns = match columns {
        Columns::Read => Some(kpi_eval::columns_read(&program, &scorecards)),
        Columns::All => None,
    };
    let load_options = kpi_data::LoadOptions {
        timezone,
        skip_bad_rows: inputs.skip_bad_rows,
        profile,
        columns,
        progress: None,
    };
    let started = std::time::Instant::now();
    let loaded = super::data::load_dataset_later(&data, &load_options, inputs.no_cache);
    crate::timing("load", started);
    let (dataset, cache_write) = match loaded {
        Ok(d) => d,
        Err(errors) => {
            eprintln!("{errors}");
            eprintln!(
                "{}: {} data error{}; nothing evaluated (fix the export, or pass --skip-bad-rows to leave bad rows out)",
                data.display(),
                errors.count(),
                if errors.count() == 1 { "" } else { "s" }
            );
            return Ok(None);
        }
    };
    report_data_warnings(&dataset);
    let options = EvalOptions { as_of, from: inputs.from, to: inputs.to, holidays, params, scorecards };
    Ok(Some(Prepared { rules, program, dataset, options, cache_write }))
}

#[derive(clap::Args)]
pub struct EvaluateArgs {
    #[command(flatten)]
    inputs: Inputs,
    /// Evaluate only this scorecard (repeatable).
    #[arg(long, value_name = "ID")]
    scorecard: Vec<String>,
    /// Output format; default `table` on a terminal, `json` otherwise.
    #[arg(long, value_enum)]
    format: Option<FormatArg>,
    /// Write the output to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn run(args: EvaluateArgs) -> Result<Outcome, Box<dyn std::error::Error>> {
    let Some(mut prepared) = prepare(&args.inputs, args.scorecard.clone(), Columns::Read)? else {
        return Ok(Outcome::Failed);
    };
    // A cache to write only reads the dataset: it is written while the scorecards are evaluated.
    let cache_write = prepared.cache_write.take();
    let outcome = std::thread::scope(|scope| {
        let writer = cache_write.map(|w| scope.spawn(|| w.finish(&prepared.dataset)));
        let outcome = evaluate_and_print(&args, &prepared);
        if let Some(writer) = writer {
            // A panic while caching costs only the cache.
            let _ = writer.join();
        }
        outcome
    });
    // The process ends here: leave the dataset to the OS instead of freeing hundreds of
    // megabytes piece by piece.
    std::mem::forget(prepared);
    outcome
}

fn evaluate_and_print(
    args: &EvaluateArgs,
    prepared: &Prepared,
) -> Result<Outcome, Box<dyn std::error::Error>> {
    let progress = super::data::Progress::start("evaluating");
    let started = std::time::Instant::now();
    let results = kpi_eval::evaluate(&prepared.program, &prepared.dataset, &prepared.options)?;
    crate::timing("evaluate", started);
    drop(progress);

    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let format = match args.format {
        Some(FormatArg::Table) => kpi_report::Format::Table,
        Some(FormatArg::Json) => kpi_report::Format::Json,
        Some(FormatArg::Csv) => kpi_report::Format::Csv,
        Some(FormatArg::Markdown) => kpi_report::Format::Markdown,
        None if to_terminal => kpi_report::Format::Table,
        None => kpi_report::Format::Json,
    };
    let context = kpi_report::Context {
        skipped_rows: prepared.dataset.skipped_rows.clone(),
        color: to_terminal && std::env::var_os("NO_COLOR").is_none(),
    };
    let started = std::time::Instant::now();
    let text = kpi_report::render(format, &results, &context);
    crate::timing("render", started);
    let started = std::time::Instant::now();
    emit(args.output.as_deref(), &text)?;
    crate::timing("write", started);
    let errors: Vec<&String> = results.iter().flat_map(|r| &r.errors).collect();
    for e in &errors {
        eprintln!("error: {e}");
    }
    let outcome = if errors.is_empty() { Outcome::Ok } else { Outcome::Failed };
    std::mem::forget((results, text));
    Ok(outcome)
}

/// Write to a file (atomically) or stdout; a closed pipe is not an error.
pub fn emit(output: Option<&std::path::Path>, text: &str) -> Result<(), Box<dyn std::error::Error>> {
    match output {
        Some(path) => crate::write_atomically(path, text.as_bytes())?,
        None => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    return Err(e.into());
                }
            }
        }
    }
    Ok(())
}

/// Data warnings on stderr: the first few, and how many in all.
fn report_data_warnings(dataset: &kpi_data::Dataset) {
    const SHOWN: usize = 10;
    for w in dataset.warnings.iter().take(SHOWN) {
        eprintln!("{w}");
    }
    if dataset.warnings.len() > SHOWN {
        eprintln!(
            "... and {} more data warnings (`kpi data check --data DIR` lists them all)",
            dataset.warnings.len() - SHOWN
        );
    }
}
