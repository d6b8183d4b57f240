//! `kpi explain`: one scorecard row taken apart — each KPI's value, numerator and denominator, the
//! rows behind it, and where its target and weight came from.
use super::evaluate::{emit, prepare, write_cache, Inputs};
use crate::Outcome;
use kpi_data::ColumnData;
use kpi_driver::{Columns, Session};
use kpi_eval::{Explanation, Provenance, RowDetail, Status};
use kpi_report::{display_target, display_value, trim_number};
use std::fmt::Write as _;

#[derive(clap::Args)]
pub struct ExplainArgs {
    #[command(flatten)]
    inputs: Inputs,
    /// The scorecard to explain.
    #[arg(long, value_name = "ID")]
    scorecard: String,
    /// The period, as labelled in the output (e.g. 2026-09); not needed for a snapshot.
    #[arg(long, value_name = "LABEL")]
    period: Option<String>,
    /// The group: a resource or client id, a team or a queue; not needed company-wide.
    #[arg(long, value_name = "KEY")]
    group: Option<String>,
    /// List the ids of the rows behind each KPI (which tickets missed, which entries were late).
    #[arg(long)]
    rows: bool,
    /// At most this many row ids per KPI with --rows.
    #[arg(long, default_value_t = 50)]
    limit: usize,
    /// Write the explanation to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    output: Option<std::path::PathBuf>,
}

pub fn run(args: ExplainArgs) -> Result<Outcome, Box<dyn std::error::Error>> {
    let started = std::time::Instant::now();
    let mut request = args.inputs.request(vec![args.scorecard.clone()], Columns::All)?;
    // A period named with --period is explained even when it is still in progress.
    request.include_partial = true;
    let Some(mut prepared) = prepare(request)? else {
        return Ok(Outcome::Failed);
    };
    write_cache(&mut prepared, started);
    let explanation = prepared.explain(&args.scorecard, args.period.as_deref(), args.group.as_deref())?;
    let text = render(&explanation, &prepared, &args);
    emit(args.output.as_deref(), &text)?;
    Ok(Outcome::Ok)
}

fn render(e: &Explanation, prepared: &Session, args: &ExplainArgs) -> String {
    let card = &e.scorecard;
    let row = &card.rows[e.row];
    let mut out = String::new();
    let period = row
        .period
        .as_ref()
        .map_or("snapshot".to_string(), |p| format!("{} ({} to {})", p.label, p.start_date, p.end_date));
    let group = match (card.group_by, &row.group) {
        (Some(g), Some(key)) => match &row.group_name {
            Some(name) => format!(" · {} {key} ({name})", g.name()),
            None => format!(" · {} {key}", g.name()),
        },
        _ => String::new(),
    };
    let _ = writeln!(out, "{} ({}) · {period}{group}", card.title, card.id);
    let score = row.score.map_or("n/a (no KPI has data)".to_string(), |s| format!("{s:.1}"));
    let _ = writeln!(out, "as of {} · score {score}", kpi_data::format_timestamp(card.as_of));
    let total_weight: f64 =
        card.kpis.iter().zip(&row.kpis).filter(|(_, k)| k.attainment.is_some()).map(|(i, _)| i.weight).sum();
    let program = &prepared.program;
    let kpi_defs = &program.scorecard(&card.id).expect("explained scorecard").kpis;
    for (i, (info, k)) in card.kpis.iter().zip(&row.kpis).enumerate() {
        let _ = writeln!(out);
        let status = match k.status {
            Status::Met => "met",
            Status::Missed => "MISSED",
            Status::NoData => "no data",
        };
        let _ =
            writeln!(out, "{} · {}: {} ({status})", info.id, info.title, display_value(k.value, info.unit));
        for line in info.description.lines() {
            let _ = writeln!(out, "    {line}");
        }
        if let Some((num, den)) = k.parts {
            let _ = writeln!(out, "  computed as  {} / {}", trim(num), trim(den));
        }
        let table = kpi_defs[i].population.table;
        let _ = writeln!(out, "  rows         {} {}", k.rows, table.name);
        let _ = writeln!(
            out,
            "  target       {}  from {}",
            display_target(info.op, info.target, info.unit),
            provenance(&info.target_source, prepared)
        );
        let _ = writeln!(
            out,
            "  weight       {}  from {}",
            trim_number(info.weight),
            provenance(&info.weight_source, prepared)
        );
        match k.attainment {
            Some(a) if total_weight > 0.0 => {
                let _ = writeln!(
                    out,
                    "  attainment   {a:.3}: {:.1} of the row's 100 points",
                    100.0 * a * info.weight / total_weight
                );
            }
            _ => {
                let _ = writeln!(out, "  attainment   none: no data, so the KPI is left out of the score");
            }
        }
        if args.rows {
            if let Some(details) = e.details.get(i) {
                let _ = writeln!(out, "  rows behind it ({}):", details.len());
                let ids = id_column(&prepared.dataset, table.id);
                for d in details.iter().take(args.limit) {
                    let id = ids.as_ref().and_then(|t| t.get(d.row as usize)).unwrap_or("?");
                    let _ = writeln!(out, "    {id}  {}", describe(d));
                }
                if details.len() > args.limit {
                    let _ = writeln!(out, "    ... and {} more (raise --limit)", details.len() - args.limit);
                }
            }
        }
    }
    out
}

fn describe(d: &RowDetail) -> String {
    let value = match (d.value, d.condition) {
        (Some(v), true) => if v != 0.0 { "yes" } else { "no" }.to_string(),
        (Some(v), false) => trim(v),
        (None, _) => "no value".to_string(),
    };
    if d.counted {
        value
    } else {
        format!("{value} (not counted: fails the aggregate's `where`)")
    }
}

fn trim(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.3}").trim_end_matches('0').to_string()
    }
}

fn id_column(dataset: &kpi_data::Dataset, table: kpi_schema::TableId) -> Option<&kpi_data::TextColumn> {
    match &dataset.table(table).column(kpi_schema::columns::ID)?.data {
        ColumnData::Text(t) => Some(t),
        _ => None,
    }
}

fn provenance(p: &Provenance, prepared: &Session) -> String {
    super::provenance::describe(p, &prepared.rules, &prepared.program)
}
