//! The `.kpi` language front end: the pest grammar (`grammar/kpi.pest`), the typed AST with spans,
//! and the diagnostics every later stage reports through.
#![forbid(unsafe_code)]

pub mod ast;
pub mod diagnostic;
mod display;
pub mod format;
pub mod keywords;
mod literal;
mod parser;
mod suggest;

pub use diagnostic::{codes, Diagnostic, FileId, Severity, SourceFile, SourceMap};
pub use keywords::Keyword;
pub use literal::parse_literal;
pub use parser::{decode, parse, strip_bom, MAX_NESTING, MAX_OPERATORS, MAX_SYNTAX_ERRORS};
pub use suggest::suggest;
