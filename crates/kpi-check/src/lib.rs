//! Semantic checking of `.kpi` rules before any data is read: files and imports, names, types,
//! units, levels, duplicates, weights. Produces the [`kpi_hir::Program`] the evaluator runs.
#![forbid(unsafe_code)]

mod check;
mod diagnostics;
pub mod load;
mod lower;
mod overrides;
pub mod params;

pub use check::{check, Checked, FUNCTIONS, INSTANTS, MAX_DIAGNOSTICS_PER_FILE, MAX_DIAGNOSTICS_PER_RUN};
pub use load::{load, load_text, load_with, Overlay, Rules};
pub use overrides::{apply_overrides, recheck_weights, weight_warnings, KpiOverride};
