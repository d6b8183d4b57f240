//! `kpi sql`: the scorecards compiled to SQL for DuckDB, PostgreSQL or Spark (kpi-sql), after the
//! client config and `--param` are applied, so the rules run where the data already is.
use crate::Outcome;
use kpi_driver::{ConfigInput, Configured, Request};
use kpi_sql::{Dialect, SqlOptions};
use std::path::PathBuf;

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum DialectArg {
    Duckdb,
    Postgres,
    Spark,
}

impl DialectArg {
    pub fn dialect(self) -> Dialect {
        match self {
            DialectArg::Duckdb => Dialect::DuckDb,
            DialectArg::Postgres => Dialect::Postgres,
            DialectArg::Spark => Dialect::Spark,
        }
    }
}

/// What the SQL is compiled for: the range, the instant and the tables' names.
#[derive(clap::Args, Clone)]
pub struct SqlTarget {
    /// First day of the range: periods that start in [from, to). Needed by periodic scorecards,
    /// as the SQL does not read the data's span.
    #[arg(long, value_name = "DATE")]
    pub from: Option<chrono::NaiveDate>,
    /// Day after the range.
    #[arg(long, value_name = "DATE")]
    pub to: Option<chrono::NaiveDate>,
    /// The evaluation instant (RFC 3339); default now.
    #[arg(long, value_name = "TIMESTAMP")]
    pub as_of: Option<String>,
    /// Read the tables from this schema (`SCHEMA.tickets`).
    #[arg(long, value_name = "SCHEMA")]
    pub schema: Option<String>,
    /// Read the tables with this prefix on their names (`psa_tickets`).
    #[arg(long, value_name = "PREFIX", default_value = "")]
    pub table_prefix: String,
}

#[derive(clap::Args)]
pub struct SqlArgs {
    /// `.kpi` files or directories of them (default: the config's `rules`).
    #[arg(required_unless_present = "config", value_name = "RULES")]
    rules: Vec<PathBuf>,
    /// The SQL engine to write for.
    #[arg(long, value_enum)]
    dialect: DialectArg,
    /// Only this scorecard (repeatable; default: every scorecard of the rule files named).
    #[arg(long, value_name = "ID")]
    scorecard: Vec<String>,
    /// A client config: time zone, holidays, params and KPI overrides are applied.
    #[arg(long, value_name = "CLIENT.toml")]
    config: Option<PathBuf>,
    /// Override a param: NAME=VALUE, written as in a rule file. Repeatable.
    #[arg(long, value_name = "NAME=VALUE")]
    param: Vec<String>,
    #[command(flatten)]
    target: SqlTarget,
    /// Leave out KPIs that cannot compile (rhai functions), with a warning, instead of failing.
    #[arg(long)]
    skip_uncompilable: bool,
    /// Write the SQL to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn run(args: SqlArgs) -> Result<Outcome, Box<dyn std::error::Error>> {
    let request = Request {
        rules: args.rules.clone(),
        config: args.config.clone().map(ConfigInput::File),
        params: super::evaluate::param_overrides(&args.param)?,
        ..Request::default()
    };
    let Some(configured) = super::list::configure(&request)? else { return Ok(Outcome::Failed) };
    let options = sql_options(&configured, args.dialect.dialect(), &args.target, &args.scorecard)?;
    let options = SqlOptions { skip_uncompilable: args.skip_uncompilable, ..options };
    let compiled = match kpi_sql::compile(&configured.program, &options) {
        Ok(compiled) => compiled,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(Outcome::Failed);
        }
    };
    let mut text = String::new();
    for card in &compiled {
        for w in &card.warnings {
            eprintln!("warning: {w}");
        }
        text.push_str(&card.sql);
        text.push_str(";\n\n");
    }
    super::evaluate::emit(args.output.as_deref(), text.trim_end_matches('\n'))?;
    if args.output.is_none() {
        super::evaluate::emit(None, "\n")?;
    }
    Ok(Outcome::Ok)
}

/// The compiler's options for configured rules: time zone, holidays and params from the config.
pub fn sql_options(
    configured: &Configured,
    dialect: Dialect,
    target: &SqlTarget,
    scorecards: &[String],
) -> Result<SqlOptions, String> {
    let as_of = match &target.as_of {
        None => chrono::Utc::now().timestamp_micros(),
        Some(text) => kpi_data::parse_timestamp(text, configured.timezone).ok_or_else(|| {
            format!("--as-of `{text}` is not a timestamp; write RFC 3339, e.g. 2026-04-01T00:00:00Z")
        })?,
    };
    if let (Some(from), Some(to)) = (target.from, target.to) {
        if from >= to {
            return Err(format!("--from {from} is not before --to {to}"));
        }
    }
    Ok(SqlOptions {
        dialect,
        as_of,
        from: target.from,
        to: target.to,
        timezone: configured.timezone,
        holidays: configured.holidays.clone(),
        params: configured.params.clone(),
        scorecards: scorecards.to_vec(),
        schema: target.schema.clone(),
        prefix: target.table_prefix.clone(),
        skip_uncompilable: false,
    })
}
