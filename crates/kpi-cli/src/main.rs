//! `kpi`: the command line. Parses arguments, runs one command, maps failures to exit codes.
#![forbid(unsafe_code)]

mod commands;
mod write;

pub use write::{write_file, write_file_with};

use clap::{CommandFactory, Parser, Subcommand};
use std::process::ExitCode;

/// KPI rules for MSP scorecards: declare KPIs, targets and weights in `.kpi` files and evaluate
/// them over PSA ticket and time-entry exports.
#[derive(Parser)]
#[command(name = "kpi", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse and check rule files (no data is read).
    Check(commands::check::CheckArgs),
    /// Evaluate scorecards over a dataset and print them.
    Evaluate(commands::evaluate::EvaluateArgs),
    /// Take one scorecard row apart: values, numerators, rows behind them, where targets came from.
    Explain(commands::explain::ExplainArgs),
    /// Check a dataset export before evaluating it: rows, date ranges, nulls, warnings.
    #[command(subcommand)]
    Data(commands::data::DataCommand),
    /// Write a deterministic synthetic MSP dataset.
    Generate(commands::generate::GenerateArgs),
    /// Run a rules directory's test cases (`tests/*.toml`) against their stored snapshots.
    Test(commands::test::TestArgs),
    /// Rewrite `.kpi` files in the canonical layout (`--check`: only list those that would change).
    Fmt(commands::fmt::FmtArgs),
    /// Start a client folder: client.toml, rules extending the standard scorecards, a test, CI files.
    Init(commands::init::InitArgs),
    /// List scorecards and their KPIs: titles, units, effective targets and weights, and where
    /// each came from (no data is read).
    List(commands::list::ListArgs),
    /// Compare two evaluations: which values, statuses and scores changed, and whether the rules
    /// or the data moved them.
    Diff(commands::diff::DiffArgs),
    /// Compile scorecards to SQL for DuckDB, PostgreSQL or Spark, to run where the data is.
    Sql(commands::sql::SqlArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell).
    Completions(commands::completions::CompletionsArgs),
    /// Run the language server on stdin and stdout (for editors: diagnostics, hover, completion, ...).
    Lsp,
}

/// What a command reports back: success, or failure already explained on stderr.
pub enum Outcome {
    Ok,
    /// The rules or data have errors (exit 1).
    Failed,
    /// The command line asks for something that cannot be done, already explained (exit 2).
    Usage,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => commands::check::run(args),
        Command::Evaluate(args) => commands::evaluate::run(args),
        Command::Explain(args) => commands::explain::run(args),
        Command::Data(cmd) => commands::data::run(cmd),
        Command::Generate(args) => commands::generate::run(args),
        Command::Test(args) => commands::test::run(args),
        Command::Fmt(args) => commands::fmt::run(args),
        Command::Init(args) => commands::init::run(args),
        Command::List(args) => commands::list::run(args),
        Command::Diff(args) => commands::diff::run(args),
        Command::Sql(args) => commands::sql::run(args),
        Command::Completions(args) => commands::completions::run(args, Cli::command()),
        Command::Lsp => match kpi_lsp::run_stdio() {
            Ok(0) => Ok(Outcome::Ok),
            Ok(_) => Ok(Outcome::Failed),
            Err(e) => Err(format!("kpi lsp: {e}").into()),
        },
    };
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Failed) => ExitCode::from(1),
        Ok(Outcome::Usage) => ExitCode::from(2),
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(1)
        }
    }
}

/// With `KPI_TIMINGS` set, how long each of the driver's stages took, on stderr.
pub fn timings(timings: &kpi_driver::Timings) {
    if std::env::var_os("KPI_TIMINGS").is_some() {
        for (stage, took) in &timings.0 {
            eprintln!("timing: {stage} {:.3} s", took.as_secs_f64());
        }
    }
}

/// With `KPI_TIMINGS` set, how long each stage took, on stderr (`timing: load 0.052 s`).
pub fn timing(stage: &str, since: std::time::Instant) {
    if std::env::var_os("KPI_TIMINGS").is_some() {
        eprintln!("timing: {stage} {:.3} s", since.elapsed().as_secs_f64());
    }
}
