//! One module per `kpi` subcommand.
pub mod data;
pub mod generate;
