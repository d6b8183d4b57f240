//! `kpi evaluate`: check the rules, load the data, evaluate the scorecards, print them.
//! The inputs (rules, data, config, params, as_of) are shared with `kpi explain`.
use crate::Outcome;
use kpi_driver::{
    AsOf, Columns, ConfigInput, DataInput, Failure, ParamInput, ParamOverride, Request, Session, Timings,
};
use kpi_eval::ParamSource;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum FormatArg {
    Table,
    Json,
    Csv,
    Markdown,
    /// A self-contained HTML report (inline CSS and SVG), to mail or print.
    Html,
    /// An Excel workbook; binary, so written with --output FILE.xlsx.
    Xlsx,
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
    /// Day after the range (default: the end of the last period complete at --as-of).
    #[arg(long, value_name = "DATE")]
    pub to: Option<chrono::NaiveDate>,
    /// Without --to, keep the period still in progress at --as-of (marked partial).
    #[arg(long)]
    pub include_partial: bool,
    /// Timestamps before this day are implausible: warned of, and left out of the default
    /// range (default: the config's `plausible_from`, else 1990-01-01).
    #[arg(long, value_name = "DATE")]
    pub plausible_from: Option<chrono::NaiveDate>,
    /// Timestamps from this day on are implausible (default: the config's `plausible_to`, else
    /// two years after --as-of).
    #[arg(long, value_name = "DATE")]
    pub plausible_to: Option<chrono::NaiveDate>,
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
    /// Rhai time each KPI may spend in this run, over all its rows (default: the config's
    /// `script_budget`, else 60); a KPI that spends it is no_data, with an error.
    #[arg(long, value_name = "SECONDS", value_parser = seconds)]
    pub script_budget: Option<std::time::Duration>,
}

/// `--script-budget`: a positive number of seconds.
fn seconds(text: &str) -> Result<std::time::Duration, String> {
    let bad = || format!("`{text}` is not a number of seconds above 0, e.g. 90 or 0.5");
    match text.trim().parse::<f64>().map(std::time::Duration::try_from_secs_f64) {
        Ok(Ok(d)) if !d.is_zero() => Ok(d),
        _ => Err(bad()),
    }
}

/// `--param NAME=VALUE` flags as the driver's param overrides.
pub fn param_overrides(assignments: &[String]) -> Result<Vec<ParamOverride>, String> {
    assignments
        .iter()
        .map(|assignment| {
            let (name, value) = assignment.split_once('=').ok_or_else(|| {
                format!("--param `{assignment}`: write NAME=VALUE, e.g. --param realtime_grace=15m")
            })?;
            Ok(ParamOverride {
                name: name.trim().to_string(),
                value: ParamInput::Text(value.trim().to_string()),
                source: ParamSource::CommandLine,
            })
        })
        .collect()
}

impl Inputs {
    /// The driver's request for these flags.
    pub fn request(&self, scorecards: Vec<String>, columns: Columns) -> Result<Request, String> {
        let params = param_overrides(&self.param)?;
        let cache = match self.no_cache {
            true => None,
            false => kpi_data::CacheOptions::default_dir()
                .map(|dir| kpi_data::CacheOptions { dir, min_bytes: super::data::CACHE_MIN_BYTES }),
        };
        Ok(Request {
            rules: self.rules.clone(),
            overlay: Default::default(),
            config: self.config.clone().map(ConfigInput::File),
            params,
            data: self.data.clone().map(DataInput::Dir),
            profile: self.profile.clone(),
            as_of: self.as_of.clone().map_or(AsOf::Now, AsOf::Text),
            from: self.from,
            to: self.to,
            include_partial: self.include_partial,
            plausible_from: self.plausible_from,
            plausible_to: self.plausible_to,
            scorecards,
            columns,
            skip_bad_rows: self.skip_bad_rows,
            cache,
            progress: None,
            script_budget: self.script_budget,
        })
    }
}

/// Run the driver up to loaded data, reporting diagnostics and data warnings on stderr as each
/// stage ends; `Ok(None)` when errors were already reported (exit 1).
pub fn prepare(request: Request) -> Result<Option<Session>, Box<dyn std::error::Error>> {
    let resolved = kpi_driver::resolve(&request)?;
    let data = resolved.require_data()?.clone();
    let checked = match kpi_driver::check(&request, &resolved) {
        Ok(checked) => checked,
        Err(Failure::Rules { rules, diagnostics }) => {
            super::check::report(&rules, &diagnostics);
            let errors = diagnostics.iter().filter(|d| d.is_error()).count();
            eprintln!(
                "the rules have {errors} error{}; nothing evaluated",
                if errors == 1 { "" } else { "s" }
            );
            return Ok(None);
        }
        Err(other) => return Err(other.into()),
    };
    let configured = kpi_driver::configure(&request, &resolved, checked)?;
    crate::timings(&configured.timings);
    super::check::report(&configured.rules, &configured.warnings);
    let shown = configured.timings.0.len();
    // The bar follows the bytes of the files parsed (a cache hit parses none, quickly).
    let taken = Arc::new(AtomicU64::new(0));
    let skip_bad_rows = request.skip_bad_rows;
    let request = Request { progress: Some(taken.clone()), ..request };
    let started = std::time::Instant::now();
    let progress = match &data {
        DataInput::Dir(dir) => super::data::Progress::bytes(
            &format!("loading {}", dir.display()),
            super::data::data_bytes(dir),
            taken,
        ),
        DataInput::Tables { .. } => super::data::Progress::start("loading"),
    };
    let check_command = super::data::check_command(
        &data.location(),
        configured.profile.as_ref().map(|p| p.origin.as_str()),
        configured.timezone,
        skip_bad_rows,
    );
    let loaded = kpi_driver::load_configured(&request, resolved, configured);
    drop(progress);
    let session = match loaded {
        Ok(session) => session,
        Err(Failure::Data { location, errors }) => {
            eprintln!("{errors}");
            eprintln!(
                "{}: {}; nothing evaluated{}",
                location.display(),
                super::data::count(errors.count(), "data error"),
                super::data::skip_hint(
                    &errors,
                    skip_bad_rows,
                    "(fix the export, or pass --skip-bad-rows to leave bad rows out)"
                )
            );
            return Ok(None);
        }
        Err(other) => return Err(other.into()),
    };
    crate::timings(&Timings(session.timings.0[shown..].to_vec()));
    if let Some((outcome, path)) = &session.cache_outcome {
        super::data::debug_cache(outcome, path, started);
    }
    report_data_warnings(&session.dataset, &session.implausible, &check_command);
    for message in &session.left_out {
        eprintln!("warning: {message}");
    }
    Ok(Some(session))
}

/// Write a session's pending cache, telling what it did under `KPI_CACHE_DEBUG`.
pub fn write_cache(session: &mut Session, started: std::time::Instant) {
    if let Some((outcome, path)) = session.write_cache() {
        super::data::debug_cache(&outcome, &path, started);
    }
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
    /// Evaluate again whenever a rule, config or data file changes (until interrupted).
    #[arg(long)]
    watch: bool,
    #[command(flatten)]
    engine: super::engine::EngineArgs,
}

pub fn run(mut args: EvaluateArgs) -> Result<Outcome, Box<dyn std::error::Error>> {
    // Usage errors (exit 2), before anything is loaded.
    if args.format.is_none() {
        if let Some(path) = &args.output {
            match format_of(path) {
                Ok(format) => args.format = Some(format),
                Err(message) => clap::Error::raw(clap::error::ErrorKind::InvalidValue, message).exit(),
            }
        }
    }
    if matches!(args.format, Some(FormatArg::Xlsx))
        && args.output.is_none()
        && std::io::stdout().is_terminal()
    {
        clap::Error::raw(
            clap::error::ErrorKind::ArgumentConflict,
            "an Excel workbook is binary and stdout is a terminal: write it to a file with \
             --output FILE.xlsx (or redirect stdout)\n",
        )
        .exit();
    }
    if args.engine.engine == super::engine::EngineArg::Postgres {
        let Some(results) = super::engine::evaluate(&args.inputs, &args.engine, &args.scorecard)? else {
            return Ok(Outcome::Failed);
        };
        return print_results(&args, &results, Default::default());
    }
    if args.watch {
        let request = || args.inputs.request(args.scorecard.clone(), Columns::Read);
        return super::watch::run(request, |session| evaluate_and_print(&args, session));
    }
    let started = std::time::Instant::now();
    let request = args.inputs.request(args.scorecard.clone(), Columns::Read)?;
    let Some(mut prepared) = prepare(request)? else {
        return Ok(Outcome::Failed);
    };
    // A cache to write only reads the dataset: it is written while the scorecards are evaluated.
    let cache_write = prepared.cache.take();
    let outcome = std::thread::scope(|scope| {
        let writer = cache_write.map(|w| {
            scope.spawn(|| {
                let (outcome, path) = w.write(&prepared.dataset);
                super::data::debug_cache(&outcome, &path, started);
            })
        });
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
    prepared: &Session,
) -> Result<Outcome, Box<dyn std::error::Error>> {
    let progress = super::data::Progress::start("evaluating");
    let started = std::time::Instant::now();
    let results = prepared.evaluate()?;
    crate::timing("evaluate", started);
    drop(progress);
    let report = kpi_report::Context {
        skipped_rows: prepared.dataset.skipped_rows.clone(),
        rule_files: prepared
            .rules
            .sources
            .files()
            .map(|(_, file)| kpi_report::RuleFile::new(file.path.clone(), &file.text))
            .collect(),
        ..Default::default()
    };
    let outcome = print_results(args, &results, report);
    if !args.watch {
        std::mem::forget(results);
    }
    outcome
}

/// Render results in the chosen format, to the output file or stdout; errors of KPIs on stderr.
fn print_results(
    args: &EvaluateArgs,
    results: &[kpi_eval::ScorecardResult],
    report: kpi_report::Context,
) -> Result<Outcome, Box<dyn std::error::Error>> {
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let format = match args.format {
        Some(FormatArg::Table) => kpi_report::Format::Table,
        Some(FormatArg::Json) => kpi_report::Format::Json,
        Some(FormatArg::Csv) => kpi_report::Format::Csv,
        Some(FormatArg::Markdown) => kpi_report::Format::Markdown,
        Some(FormatArg::Html) => kpi_report::Format::Html,
        Some(FormatArg::Xlsx) => kpi_report::Format::Xlsx,
        None if to_terminal => kpi_report::Format::Table,
        None => kpi_report::Format::Json,
    };
    let context = kpi_report::Context {
        color: to_terminal && std::env::var_os("NO_COLOR").is_none(),
        width: terminal_width(to_terminal),
        ..report
    };
    let started = std::time::Instant::now();
    let text = if format == kpi_report::Format::Json {
        // Written as it is made: never the whole report in memory.
        emit_with(args.output.as_deref(), &mut |out| kpi_report::json_to(results, &context, out))?;
        crate::timing("render and write", started);
        Vec::new()
    } else {
        let text = kpi_report::render(format, results, &context)?;
        crate::timing("render", started);
        let started = std::time::Instant::now();
        emit(args.output.as_deref(), &text)?;
        crate::timing("write", started);
        text
    };
    let errors: Vec<&String> = results.iter().flat_map(|r| &r.errors).collect();
    for e in &errors {
        eprintln!("error: {e}");
    }
    let outcome = if errors.is_empty() { Outcome::Ok } else { Outcome::Failed };
    if !args.watch {
        std::mem::forget(text);
    }
    Ok(outcome)
}

/// The format an output file's extension names; an unknown one is an error listing them.
fn format_of(path: &std::path::Path) -> Result<FormatArg, String> {
    let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    Ok(match extension.as_str() {
        "html" | "htm" => FormatArg::Html,
        "xlsx" => FormatArg::Xlsx,
        "json" => FormatArg::Json,
        "csv" => FormatArg::Csv,
        "md" | "markdown" => FormatArg::Markdown,
        "txt" => FormatArg::Table,
        _ => {
            return Err(format!(
                "--output {}: cannot tell the format from {}; name the file .html, .xlsx, .json, \
                 .csv, .md or .txt, or pass --format\n",
                path.display(),
                if extension.is_empty() {
                    "a file without an extension".to_string()
                } else {
                    format!("the extension `.{extension}`")
                }
            ))
        }
    })
}

/// The terminal's columns, when the table goes to one: `COLUMNS` if set, else asked of it.
fn terminal_width(to_terminal: bool) -> Option<usize> {
    if !to_terminal {
        return None;
    }
    let columns = std::env::var("COLUMNS").ok().and_then(|c| c.trim().parse().ok());
    columns.or_else(|| console::Term::stdout().size_checked().map(|(_, width)| usize::from(width)))
}

/// Write to a file (atomically) or stdout; a closed pipe is not an error.
pub fn emit(
    output: Option<&std::path::Path>,
    bytes: impl AsRef<[u8]>,
) -> Result<(), Box<dyn std::error::Error>> {
    let bytes = bytes.as_ref();
    emit_with(output, &mut |out| out.write_all(bytes))
}

/// [`emit`] of what `write` writes, as it writes it.
fn emit_with(
    output: Option<&std::path::Path>,
    write: &mut dyn FnMut(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<(), Box<dyn std::error::Error>> {
    match output {
        Some(path) => crate::write_file_with(path, write)?,
        None => {
            use std::io::Write;
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            if let Err(e) = write(&mut out).and_then(|_| out.flush()) {
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    return Err(e.into());
                }
            }
        }
    }
    Ok(())
}

/// Data warnings on stderr: implausible timestamps first (they leave the default range), then
/// the first few of the load's, and how many in all.
fn report_data_warnings(
    dataset: &kpi_data::Dataset,
    implausible: &[kpi_data::DataWarning],
    check_command: &str,
) {
    const SHOWN: usize = 10;
    let all: Vec<&kpi_data::DataWarning> = implausible.iter().chain(&dataset.warnings).collect();
    for w in all.iter().take(SHOWN) {
        eprintln!("{w}");
    }
    if all.len() > SHOWN {
        eprintln!(
            "... and {} (`{check_command}` lists them all)",
            super::data::count(all.len() - SHOWN, "more data warning")
        );
    }
}
