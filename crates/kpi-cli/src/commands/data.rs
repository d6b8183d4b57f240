//! `kpi data check`: summarise a dataset export.
use crate::Outcome;

#[derive(clap::Subcommand)]
pub enum DataCommand {
    /// Load a dataset and print a summary table.
    Check {
        #[arg(long)]
        data: std::path::PathBuf,
    },
}

pub fn run(_cmd: DataCommand) -> Result<Outcome, Box<dyn std::error::Error>> {
    Err("kpi data check is not built yet".into())
}
