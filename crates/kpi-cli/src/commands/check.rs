//! `kpi check`: parse and check rule files without reading any data; with `--config`, the client
//! config too (time zone, holidays, params, KPI overrides, profile), applied as `kpi evaluate`
//! would apply it.
use crate::Outcome;
use kpi_driver::{ConfigInput, Failure, Request};
use kpi_syntax::{Diagnostic, Severity};
use std::io::IsTerminal;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct CheckArgs {
    /// `.kpi` files or directories of them (default: the config's `rules`).
    #[arg(required_unless_present = "config", value_name = "RULES")]
    rules: Vec<PathBuf>,
    /// A client config to check with the rules: time zone, holidays, [params], KPI overrides.
    #[arg(long, value_name = "CLIENT.toml")]
    config: Option<PathBuf>,
    /// A param override to check: NAME=VALUE, written as in a rule file. Repeatable.
    #[arg(long, value_name = "NAME=VALUE")]
    param: Vec<String>,
}

pub fn run(args: CheckArgs) -> Result<Outcome, Box<dyn std::error::Error>> {
    if let Some(toml) = args.rules.iter().find(|p| p.extension().is_some_and(|e| e == "toml")) {
        return Err(format!(
            "`{}` is a client config, not a rule file: check it with `kpi check --config {}`",
            toml.display(),
            toml.display()
        )
        .into());
    }
    if args.config.is_none() && args.param.is_empty() {
        let rules = kpi_check::load(&args.rules);
        let checked = kpi_check::check(&rules);
        return Ok(summary(&rules, &checked.diagnostics, Some(checked.counts()), None));
    }
    let params = super::evaluate::param_overrides(&args.param)?;
    let request = Request {
        rules: args.rules.clone(),
        config: args.config.clone().map(ConfigInput::File),
        params,
        ..Request::default()
    };
    let resolved = kpi_driver::resolve(&request)?;
    let config = args.config.as_ref().map(|c| c.display().to_string());
    let checked = match kpi_driver::check(&request, &resolved) {
        Ok(checked) => checked,
        Err(Failure::Rules { rules, diagnostics }) => return Ok(summary(&rules, &diagnostics, None, config)),
        Err(other) => return Err(other.into()),
    };
    match kpi_driver::configure(&request, &resolved, checked) {
        Ok(configured) => Ok(summary(&configured.rules, &configured.warnings, None, config)),
        Err(Failure::Input(errors)) => {
            for e in errors.lines() {
                eprintln!("error: {e}");
            }
            let n = errors.lines().count();
            eprintln!("{}: {n} error{}", config.as_deref().unwrap_or("--param"), plural(n));
            Ok(Outcome::Failed)
        }
        Err(other) => Err(other.into()),
    }
}

/// Print the diagnostics and the count line (`counts`: errors and warnings found, shown or not;
/// by default those shown); failed when there are errors.
fn summary(
    rules: &kpi_check::Rules,
    diagnostics: &[Diagnostic],
    counts: Option<(usize, usize)>,
    config: Option<String>,
) -> Outcome {
    report(rules, diagnostics);
    let files = rules.sources.files().count();
    let (errors, warnings) = counts.unwrap_or_else(|| {
        let errors = diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
        (errors, diagnostics.len() - errors)
    });
    let config = config.map(|c| format!(" and {c}")).unwrap_or_default();
    eprintln!(
        "checked {files} file{}{config}: {errors} error{}, {warnings} warning{}",
        plural(files),
        plural(errors),
        plural(warnings)
    );
    if errors > 0 {
        Outcome::Failed
    } else {
        Outcome::Ok
    }
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
