//! `kpi generate`: a deterministic synthetic MSP dataset.
use crate::Outcome;
use kpi_generate::{generate, GenerateOptions, Order, Scale};

#[derive(clap::Args)]
pub struct GenerateArgs {
    /// Directory to write the CSV files into (created if needed).
    #[arg(long)]
    out: std::path::PathBuf,
    /// Seed of the generator: the same seed gives byte-identical files.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// small (10 technicians, 4 months), medium (30, 24 months), large (300, 24 months, about
    /// 1M tickets and 5M time entries), xlarge (3,000, 24 months, about 10M tickets and 50M time
    /// entries, 7 GB) or a number of technicians (24 months).
    #[arg(long, default_value = "small")]
    scale: Scale,
    /// The order of the rows of tickets, time entries and surveys: time (each row's own instant),
    /// id, client (time entries by their ticket's client), random (drawn from the seed), or
    /// generated (the default: month by month, tickets in creation order, then their time).
    #[arg(long, default_value = "generated")]
    order: Order,
}

pub fn run(args: GenerateArgs) -> Result<Outcome, Box<dyn std::error::Error>> {
    let options = GenerateOptions {
        seed: args.seed,
        scale: args.scale,
        order: args.order,
        ..GenerateOptions::default()
    };
    let report =
        generate(&args.out, &options).map_err(|e| format!("cannot write {}: {e}", args.out.display()))?;
    for (file, rows, bytes) in &report.files {
        println!("{:<18} {:>10} rows {:>14} bytes", file, rows, bytes);
    }
    println!("data ends 2026-10-01T00:00:00Z (evaluate with --as-of 2026-10-01T00:00:00Z)");
    Ok(Outcome::Ok)
}
