//! One module per `kpi` subcommand.
pub mod check;
pub mod completions;
pub mod data;
pub mod diff;
pub mod engine;
pub mod evaluate;
pub mod explain;
pub mod fmt;
pub mod generate;
pub mod init;
pub mod list;
pub mod provenance;
pub mod sql;
pub mod test;
pub mod watch;
