//! Semantic checking of `.kpi` rules before any data is read: files and imports, names, types,
//! units, row versus aggregate level, duplicates, weights. Produces the checked program
//! ([`kpi_hir::Program`]) the evaluator runs, and checks what a client config changes in it.
#![forbid(unsafe_code)]

mod check;
mod diagnostics;
pub mod load;
mod lower;
mod overrides;
pub mod params;

pub use check::{check, Checked};
pub use load::{load, load_text, Rules};
pub use overrides::{apply_overrides, KpiOverride};
