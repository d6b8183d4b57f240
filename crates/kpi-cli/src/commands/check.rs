//! `kpi check`: parse and check rule files without reading any data.
use crate::Outcome;
use kpi_syntax::Severity;
use std::io::IsTerminal;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct CheckArgs {
    /// `.kpi` files or directories of them.
    #[arg(required = true, value_name = "RULES")]
    rules: Vec<PathBuf>,
}

pub fn run(args: CheckArgs) -> Result<Outcome, Box<dyn std::error::Error>> {
    let rules = kpi_check::load(&args.rules);
    let checked = kpi_check::check(&rules);
    report(&rules, &checked.diagnostics);
    let files = rules.sources.files().count();
    let errors = checked.diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
    let warnings = checked.diagnostics.len() - errors;
    eprintln!(
        "checked {files} file{}: {errors} error{}, {warnings} warning{}",
        plural(files),
        plural(errors),
        plural(warnings)
    );
    Ok(if errors > 0 { Outcome::Failed } else { Outcome::Ok })
}

/// Render diagnostics on stderr, coloured only on a terminal.
pub fn report(rules: &kpi_check::Rules, diagnostics: &[kpi_syntax::Diagnostic]) {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    for d in diagnostics {
        eprint!("{}", d.render(&rules.sources, color));
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
