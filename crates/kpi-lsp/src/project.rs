//! Which rules and client config an open file belongs to, and their analysis through the shared
//! driver: the same loading, checking and configuring as `kpi check [--config]`.
use crate::text::normalize;
use kpi_driver::{ConfigInput, Failure, Overlay, Request};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The rules and config a file is checked with: what `kpi check` would be run with.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scope {
    /// Rule files and directories.
    pub rules: Vec<PathBuf>,
    /// The client config, if one applies.
    pub config: Option<PathBuf>,
}

/// Open client configs (path -> text), read instead of the disk.
pub type Configs = BTreeMap<PathBuf, String>;

/// The scope of the rule file `file`: the client config that names it (an explicit one, then
/// `client.toml` or another config naming it in its directory, then `client.toml` in a workspace
/// root), else the file's directory, as `kpi check DIR` would check it.
pub fn scope_of(file: &Path, roots: &[PathBuf], explicit: Option<&Path>, configs: &Configs) -> Scope {
    let dir = file.parent().unwrap_or(Path::new("/")).to_path_buf();
    let mut candidates: Vec<PathBuf> = explicit.map(Path::to_path_buf).into_iter().collect();
    candidates.push(dir.join("client.toml"));
    candidates.extend(other_configs(&dir));
    candidates.extend(roots.iter().map(|r| r.join("client.toml")));
    for candidate in candidates {
        let rules = match config_rules(&candidate, configs) {
            Some(Ok(rules)) => rules,
            // A `client.toml` that does not parse is still the folder's config: its errors show.
            Some(Err(())) if candidate.file_name().is_some_and(|n| n == "client.toml") => Vec::new(),
            Some(Err(())) | None => continue,
        };
        if rules.is_empty() {
            // A config without `rules` applies to the rules next to it (or under the root).
            return Scope { rules: vec![dir.clone(), file.to_path_buf()], config: Some(candidate) };
        }
        if rules.iter().any(|r| covers(r, file)) {
            return Scope { rules, config: Some(candidate) };
        }
    }
    Scope { rules: vec![dir, file.to_path_buf()], config: None }
}

/// The `.toml` files of `dir` other than `client.toml`, in name order.
fn other_configs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut found: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|e| e == "toml") && p.file_name().is_some_and(|n| n != "client.toml")
        })
        .filter(|p| p.is_file())
        .collect();
    found.sort();
    found
}

/// The rules a client config names (absolute, normalised); `None` if there is no file at `path`,
/// `Some(Err(()))` if it is not a client config that reads.
fn config_rules(path: &Path, configs: &Configs) -> Option<Result<Vec<PathBuf>, ()>> {
    let config = match configs.get(path) {
        Some(text) => kpi_driver::config::parse(path, text.clone()),
        None if path.is_file() => kpi_driver::config::load(path),
        None => return None,
    };
    Some(config.map(|c| c.rules().iter().map(|r| normalize(r)).collect()).map_err(|_| ()))
}

/// Is `file` the rule file `rule`, or under the directory `rule`?
fn covers(rule: &Path, file: &Path) -> bool {
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => normalize(a) == normalize(b),
    };
    file.ancestors().any(|a| same(rule, a))
}

/// A scope checked: the loaded rules, the program, the effective params, every diagnostic.
#[derive(Debug)]
pub struct Analysis {
    pub rules: kpi_check::Rules,
    /// The checked program before the client config: what the rule files say (for navigation).
    pub checked: kpi_hir::Program,
    /// The program with the client config's overrides applied (for hover).
    pub program: kpi_hir::Program,
    /// Every param's effective value and where it came from.
    pub params: kpi_eval::Params,
    /// The diagnostics of the rules (config applied: W0001 reflects the config's weights).
    pub diagnostics: Vec<kpi_syntax::Diagnostic>,
    /// Problems of the client config: (path, byte offset or none, message).
    pub config_errors: Vec<ConfigError>,
    /// The client config, read.
    pub config: Option<kpi_driver::Config>,
}

/// A problem of the client config, where the driver located it.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    pub path: PathBuf,
    /// 1-based line and column, if the message gives them.
    pub line_col: Option<(u32, u32)>,
    pub message: String,
}

/// Check a scope: resolve (read the config), load and check the rules (from `overlay` for open
/// files), then apply the config and its params as `kpi check --config` does.
pub fn analyze(scope: &Scope, overlay: &Overlay, configs: &Configs) -> Analysis {
    let config = scope.config.as_ref().map(|path| match configs.get(path) {
        Some(text) => ConfigInput::Text { path: path.clone(), text: text.clone() },
        None => ConfigInput::File(path.clone()),
    });
    let mut request =
        Request { rules: scope.rules.clone(), overlay: overlay.clone(), config, ..Request::default() };
    let mut config_errors = Vec::new();
    let resolved = match kpi_driver::resolve(&request) {
        Ok(resolved) => resolved,
        Err(failure) => {
            config_errors.extend(config_failure(scope, failure));
            request.config = None;
            kpi_driver::Resolved { config: None, rules: scope.rules.clone(), data: None }
        }
    };
    let rules = kpi_check::load_with(&resolved.rules, &request.overlay);
    let result = kpi_check::check(&rules);
    let checked = result.program.clone();
    if result.has_errors() || resolved.config.is_none() {
        let params = kpi_eval::Params::defaults(&result.program);
        return Analysis {
            rules,
            checked,
            program: result.program,
            params,
            diagnostics: result.diagnostics,
            config_errors,
            config: resolved.config,
        };
    }
    let timings = kpi_driver::Timings::default();
    let input = kpi_driver::Checked { rules, program: result.program, warnings: result.diagnostics, timings };
    match kpi_driver::configure(&request, &resolved, input) {
        Ok(configured) => Analysis {
            rules: configured.rules,
            checked,
            program: configured.program,
            params: configured.params,
            diagnostics: configured.warnings,
            config_errors,
            config: resolved.config,
        },
        Err(failure) => {
            // The config does not apply: its errors, and the rules as they are.
            config_errors.extend(config_failure(scope, failure));
            let rules = kpi_check::load_with(&resolved.rules, &request.overlay);
            let result = kpi_check::check(&rules);
            Analysis {
                params: kpi_eval::Params::defaults(&result.program),
                rules,
                checked,
                program: result.program,
                diagnostics: result.diagnostics,
                config_errors,
                config: resolved.config,
            }
        }
    }
}

/// The driver's message about a config, one error per line, each `path:line:col: message` when
/// it has a place in the config (a line that does not start with the path continues the one before).
fn config_failure(scope: &Scope, failure: Failure) -> Vec<ConfigError> {
    let Some(path) = scope.config.clone() else { return Vec::new() };
    let shown = path.display().to_string();
    let mut errors: Vec<ConfigError> = Vec::new();
    for line in failure.to_string().lines() {
        let located = line.strip_prefix(&shown).and_then(|rest| {
            let (l, rest) = leading_number(rest.strip_prefix(':')?)?;
            let (c, rest) = leading_number(rest.strip_prefix(':')?)?;
            let message = rest.strip_prefix(':').unwrap_or(rest).trim_start();
            Some(((l, c), message.to_string()))
        });
        match (located, errors.last_mut()) {
            (Some((line_col, message)), _) => {
                errors.push(ConfigError { path: path.clone(), line_col: Some(line_col), message })
            }
            (None, Some(previous)) if !line.starts_with(&shown) => {
                previous.message.push('\n');
                previous.message.push_str(line);
            }
            (None, _) => {
                errors.push(ConfigError { path: path.clone(), line_col: None, message: line.to_string() })
            }
        }
    }
    errors
}

/// The number at the start of `text`, and the rest.
fn leading_number(text: &str) -> Option<(u32, &str)> {
    let digits = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    Some((text[..digits].parse().ok()?, &text[digits..]))
}

impl Analysis {
    /// The loaded file at `path`, if this scope read it.
    pub fn file(&self, path: &Path) -> Option<kpi_syntax::FileId> {
        let wanted = normalize(path);
        self.rules.sources.files().find(|(_, f)| normalize(Path::new(&f.path)) == wanted).map(|(id, _)| id)
    }

    /// The parsed module of a file.
    pub fn module(&self, file: kpi_syntax::FileId) -> Option<&kpi_syntax::ast::Module> {
        self.rules.modules.iter().find(|m| m.file == file).map(|m| &m.module)
    }

    /// The path of a loaded file.
    pub fn path(&self, file: kpi_syntax::FileId) -> PathBuf {
        PathBuf::from(&self.rules.sources.get(file).path)
    }

    pub fn text(&self, file: kpi_syntax::FileId) -> &str {
        &self.rules.sources.get(file).text
    }
}
