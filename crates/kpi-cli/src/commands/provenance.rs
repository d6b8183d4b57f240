//! Where an effective target or weight came from, as `kpi explain` and `kpi list` print it.
use kpi_eval::{ParamSource, Provenance};

/// `FILE:LINE:COL` of a place in the rules.
pub fn location(origin: kpi_hir::Origin, rules: &kpi_check::Rules) -> String {
    let file = kpi_syntax::FileId(origin.file.0);
    let (line, col) = rules.sources.line_col(file, origin.span.start);
    format!("{}:{line}:{col}", rules.sources.get(file).path)
}

/// A rule clause (`FILE:LINE:COL`), a config key, or a param and who set its value.
pub fn describe(p: &Provenance, rules: &kpi_check::Rules, program: &kpi_hir::Program) -> String {
    match p {
        Provenance::Rule(origin) => location(*origin, rules),
        Provenance::Config(key) => key.clone(),
        Provenance::Param { name, source, used_at } => {
            let value_from = match source {
                ParamSource::Default => match program.param(name) {
                    Some(def) => format!("its default at {}", location(def.origin, rules)),
                    None => "its default".to_string(),
                },
                ParamSource::Config(key) => key.clone(),
                ParamSource::CommandLine => "--param on the command line".to_string(),
            };
            format!("param `{name}` ({}), set by {value_from}", location(*used_at, rules))
        }
    }
}
