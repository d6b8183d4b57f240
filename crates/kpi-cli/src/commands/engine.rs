//! `kpi evaluate --engine postgres --db URL`: the scorecards compiled to SQL (kpi-sql), run on
//! PostgreSQL through a pure-Rust client, and read back into the evaluator's results, so every
//! output format renders warehouse data as it renders the native engine's.
use super::evaluate::Inputs;
use kpi_driver::Columns;
use kpi_eval::ScorecardResult;
use kpi_sql::{Cell, Dialect};

/// Which engine evaluates.
#[derive(Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum EngineArg {
    /// kpi's own columnar engine over --data.
    #[default]
    Native,
    /// PostgreSQL at --db, reading the canonical tables.
    Postgres,
}

#[derive(clap::Args)]
pub struct EngineArgs {
    /// Where the scorecards are evaluated: natively, or by PostgreSQL on the tables at --db
    /// (periodic scorecards then need --from and --to).
    #[arg(long, value_enum, default_value = "native")]
    pub engine: EngineArg,
    /// The database of --engine postgres: `host=/run/postgresql dbname=msp user=kpi` or
    /// `postgresql://user@host/db`.
    #[arg(long, value_name = "URL", required_if_eq("engine", "postgres"))]
    pub db: Option<String>,
    /// Read the tables from this schema of --db.
    #[arg(long, value_name = "SCHEMA")]
    pub db_schema: Option<String>,
    /// Read the tables with this prefix on their names.
    #[arg(long, value_name = "PREFIX", default_value = "")]
    pub db_table_prefix: String,
}

/// Evaluate on PostgreSQL; `Ok(None)` when errors were already reported.
pub fn evaluate(
    inputs: &Inputs,
    engine: &EngineArgs,
    scorecards: &[String],
) -> Result<Option<Vec<ScorecardResult>>, Box<dyn std::error::Error>> {
    let db = engine.db.as_deref().ok_or("--engine postgres needs --db URL")?;
    let request = inputs.request(scorecards.to_vec(), Columns::Read)?;
    let Some(configured) = super::list::configure(&request)? else { return Ok(None) };
    let target = super::sql::SqlTarget {
        from: inputs.from,
        to: inputs.to,
        as_of: inputs.as_of.clone(),
        schema: engine.db_schema.clone(),
        table_prefix: engine.db_table_prefix.clone(),
    };
    let options = super::sql::sql_options(&configured, Dialect::Postgres, &target, scorecards)?;
    let compiled = kpi_sql::compile(&configured.program, &options)?;
    let started = std::time::Instant::now();
    let mut client = postgres::Client::connect(db, postgres::NoTls)
        .map_err(|e| format!("--db `{db}`: cannot connect: {e}"))?;
    crate::timing("connect", started);
    let mut results = Vec::with_capacity(compiled.len());
    for card in &compiled {
        let started = std::time::Instant::now();
        let rows = client
            .query(card.sql.as_str(), &[])
            .map_err(|e| format!("scorecard `{}` on PostgreSQL: {e}", card.id))?;
        let rows = rows.iter().map(cells).collect::<Result<Vec<_>, String>>()?;
        crate::timing(&format!("query {}", card.id), started);
        results.push(kpi_sql::assemble(&configured.program, &options, card, rows)?);
    }
    Ok(Some(results))
}

/// A result row as typed cells.
fn cells(row: &postgres::Row) -> Result<Vec<Cell>, String> {
    use postgres::types::Type;
    (0..row.len())
        .map(|i| {
            let ty = row.columns()[i].type_();
            let cell = if *ty == Type::INT4 {
                row.try_get::<_, Option<i32>>(i).map(|v| v.map_or(Cell::Null, |x| Cell::Int(x.into())))
            } else if *ty == Type::INT8 {
                row.try_get::<_, Option<i64>>(i).map(|v| v.map_or(Cell::Null, Cell::Int))
            } else if *ty == Type::FLOAT8 {
                row.try_get::<_, Option<f64>>(i).map(|v| v.map_or(Cell::Null, Cell::Float))
            } else {
                row.try_get::<_, Option<String>>(i).map(|v| v.map_or(Cell::Null, Cell::Text))
            };
            cell.map_err(|e| format!("column `{}`: {e}", row.columns()[i].name()))
        })
        .collect()
}
