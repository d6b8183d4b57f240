//! One module per `kpi` subcommand.
pub mod check;
pub mod data;
pub mod evaluate;
pub mod explain;
pub mod fmt;
pub mod generate;
pub mod test;
