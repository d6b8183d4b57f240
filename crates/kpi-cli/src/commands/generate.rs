//! `kpi generate`: a deterministic synthetic MSP dataset.
use crate::Outcome;

#[derive(clap::Args)]
pub struct GenerateArgs {
    #[arg(long)]
    out: std::path::PathBuf,
}

pub fn run(_args: GenerateArgs) -> Result<Outcome, Box<dyn std::error::Error>> {
    Err("kpi generate is not built yet".into())
}
