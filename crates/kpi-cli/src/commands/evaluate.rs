//! `kpi evaluate`: check the rules, load the data, evaluate the scorecards, print them.
use crate::config::{self, ParamInput};
use crate::Outcome;
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

#[derive(clap::Args)]
pub struct EvaluateArgs {
    /// `.kpi` files or directories of them; their scorecards are evaluated.
    #[arg(required = true, value_name = "RULES")]
    rules: Vec<PathBuf>,
    /// The dataset directory (one file per table).
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    /// Evaluate only this scorecard (repeatable).
    #[arg(long, value_name = "ID")]
    scorecard: Vec<String>,
    /// First day of the range: periods that start in [from, to) are evaluated.
    #[arg(long, value_name = "DATE")]
    from: Option<chrono::NaiveDate>,
    /// Day after the range.
    #[arg(long, value_name = "DATE")]
    to: Option<chrono::NaiveDate>,
    /// The evaluation instant (RFC 3339); default now. Fix it for reproducible output.
    #[arg(long, value_name = "TIMESTAMP")]
    as_of: Option<String>,
    /// Client config: timezone, holidays, [params].
    #[arg(long, value_name = "CLIENT.toml")]
    config: Option<PathBuf>,
    /// Override a param: NAME=VALUE, written as in a rule file (15m, 80%, Triage). Repeatable.
    #[arg(long, value_name = "NAME=VALUE")]
    param: Vec<String>,
    /// Output format; default `table` on a terminal, `json` otherwise.
    #[arg(long, value_enum)]
    format: Option<FormatArg>,
    /// Write the output to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// A column-mapping profile for a PSA export: autotask, connectwise, or a TOML file.
    #[arg(long, value_name = "PROFILE")]
    profile: Option<String>,
    /// Leave rows with errors out (reported in every format) instead of failing.
    #[arg(long)]
    skip_bad_rows: bool,
}

pub fn run(args: EvaluateArgs) -> Result<Outcome, Box<dyn std::error::Error>> {
    let loaded_config = args.config.as_deref().map(config::load).transpose()?;
    let rules = kpi_check::load(&args.rules);
    let checked = kpi_check::check(&rules);
    super::check::report(&rules, &checked.diagnostics);
    if checked.has_errors() {
        let errors = checked.diagnostics.iter().filter(|d| d.is_error()).count();
        eprintln!("the rules have {errors} error{}; nothing evaluated", if errors == 1 { "" } else { "s" });
        return Ok(Outcome::Failed);
    }
    let program = checked.program;

    let mut params = Params::defaults(&program);
    let mut timezone = chrono_tz::UTC;
    let mut holidays = Default::default();
    if let Some(cfg) = &loaded_config {
        if let Some(tz) = cfg.timezone()? {
            timezone = tz;
        }
        holidays = cfg.holidays()?.into_iter().collect();
        for (name, value) in &cfg.config.params {
            let source = ParamSource::Config(format!("{}: params.{name}", cfg.path.display()));
            let result = match config::param_value(value.get_ref())? {
                ParamInput::Text(text) => params.set_text(&program, name, &text, source),
                ParamInput::Value(v) => params.set_value(&program, name, v, source),
            };
            result.map_err(|e| format!("{}: {e}", cfg.at(value.span().start)))?;
        }
    }
    for assignment in &args.param {
        let (name, value) = assignment
            .split_once('=')
            .ok_or_else(|| format!("--param `{assignment}`: write NAME=VALUE, e.g. --param realtime_grace=15m"))?;
        params
            .set_text(&program, name.trim(), value.trim(), ParamSource::CommandLine)
            .map_err(|e| format!("--param {assignment}: {e}"))?;
    }
    let as_of = match &args.as_of {
        Some(text) => kpi_data::parse_timestamp(text, timezone)
            .ok_or_else(|| format!("--as-of `{text}` is not a timestamp; write RFC 3339, e.g. 2026-04-01T00:00:00Z"))?,
        None => chrono::Utc::now().timestamp_micros(),
    };
    if let (Some(from), Some(to)) = (args.from, args.to) {
        if from >= to {
            return Err(format!("--from {from} is not before --to {to}").into());
        }
    }

    let profile = args.profile.as_deref().map(kpi_data::Profile::from_name_or_file).transpose()?;
    let load_options = kpi_data::LoadOptions { timezone, skip_bad_rows: args.skip_bad_rows, profile };
    let dataset = match kpi_data::load(&args.data, &load_options) {
        Ok(d) => d,
        Err(errors) => {
            eprintln!("{errors}");
            eprintln!(
                "{}: {} data error{}; nothing evaluated (fix the export, or pass --skip-bad-rows to leave bad rows out)",
                args.data.display(),
                errors.count(),
                if errors.count() == 1 { "" } else { "s" }
            );
            return Ok(Outcome::Failed);
        }
    };
    report_data_warnings(&dataset);

    let options = EvalOptions { as_of, from: args.from, to: args.to, holidays, params, scorecards: args.scorecard };
    let results = kpi_eval::evaluate(&program, &dataset, &options)?;

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
        skipped_rows: dataset.skipped_rows.clone(),
        color: to_terminal && std::env::var_os("NO_COLOR").is_none(),
    };
    let text = kpi_report::render(format, &results, &context);
    match &args.output {
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
    Ok(Outcome::Ok)
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
