//! The client config (`--config CLIENT.toml`): time zone, holidays and param overrides.
//! Unknown keys and bad values are errors with the file's line and column.
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    /// IANA time zone of naive timestamps and of calendar periods; default UTC.
    pub timezone: Option<Spanned<String>>,
    /// Dates excluded from workdays.
    #[serde(default)]
    pub holidays: Vec<Spanned<String>>,
    /// Param overrides.
    #[serde(default)]
    pub params: BTreeMap<String, Spanned<toml::Value>>,
    /// The rule files and directories the client uses, relative to this file.
    #[serde(default)]
    pub rules: Vec<Spanned<String>>,
    /// The client's dataset directory, relative to this file.
    pub data: Option<Spanned<String>>,
    /// The mapping profile of the client's PSA export: `autotask`, `connectwise`, or a TOML file.
    pub profile: Option<Spanned<String>>,
    /// Per-scorecard, per-KPI overrides: `[scorecards.tech_balanced.utilization]`.
    #[serde(default)]
    pub scorecards: BTreeMap<String, BTreeMap<String, Spanned<KpiOverride>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KpiOverride {
    /// `">= 75%"`, `"75%"` (keeps the rule's comparison), `"24h"` or a number.
    pub target: Option<TargetValue>,
    pub weight: Option<f64>,
    /// `false` switches the KPI off for this client.
    pub enabled: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum TargetValue {
    Text(String),
    Number(f64),
}

/// A client config read and parsed, with its text kept for error locations.
#[derive(Debug)]
pub struct Config {
    pub path: PathBuf,
    pub text: String,
    pub config: ClientConfig,
}

impl Config {
    /// `path:line:col` of a byte offset.
    pub fn at(&self, offset: usize) -> String {
        let (line, col) = kpi_syntax::diagnostic::line_col(&self.text, offset);
        format!("{}:{line}:{col}", self.path.display())
    }

    pub fn timezone(&self) -> Result<Option<chrono_tz::Tz>, String> {
        let Some(tz) = &self.config.timezone else { return Ok(None) };
        tz.get_ref().parse().map(Some).map_err(|_| {
            format!(
                "{}: unknown time zone `{}`; use an IANA name such as America/Chicago or Europe/London",
                self.at(tz.span().start),
                tz.get_ref()
            )
        })
    }

    /// A path written in the config, relative to the config's directory.
    pub fn relative(&self, path: &str) -> PathBuf {
        let base = self.path.parent().unwrap_or(Path::new(""));
        base.join(path)
    }

    pub fn rules(&self) -> Vec<PathBuf> {
        self.config.rules.iter().map(|r| self.relative(r.get_ref())).collect()
    }

    pub fn data(&self) -> Option<PathBuf> {
        self.config.data.as_ref().map(|d| self.relative(d.get_ref()))
    }

    /// A built-in profile name stays a name; anything else is a file relative to the config.
    pub fn profile(&self) -> Option<String> {
        self.config.profile.as_ref().map(|p| {
            let p = p.get_ref();
            if kpi_data::Profile::builtin_source(p).is_some() {
                p.clone()
            } else {
                self.relative(p).display().to_string()
            }
        })
    }

    /// The KPI overrides, with where each was written.
    pub fn overrides(&self) -> Vec<kpi_check::KpiOverride> {
        let mut out = Vec::new();
        for (card, kpis) in &self.config.scorecards {
            for (kpi, o) in kpis {
                let at = self.at(o.span().start);
                let o = o.get_ref();
                out.push(kpi_check::KpiOverride {
                    scorecard: card.clone(),
                    kpi: kpi.clone(),
                    target: o.target.as_ref().map(|t| match t {
                        TargetValue::Text(s) => s.clone(),
                        TargetValue::Number(x) => x.to_string(),
                    }),
                    weight: o.weight,
                    enabled: o.enabled,
                    source: format!("{at} scorecards.{card}.{kpi}"),
                });
            }
        }
        out
    }

    pub fn holidays(&self) -> Result<Vec<chrono::NaiveDate>, String> {
        self.config
            .holidays
            .iter()
            .map(|h| {
                h.get_ref().parse().map_err(|_| {
                    format!(
                        "{}: `{}` is not a date; write holidays as \"YYYY-MM-DD\"",
                        self.at(h.span().start),
                        h.get_ref()
                    )
                })
            })
            .collect()
    }
}

/// Read and parse a client config file.
/// A client config is a regular file of at most 1 MB (a device or a FIFO is refused unread).
pub fn load(path: &Path) -> Result<Config, String> {
    let cannot = |e: &dyn std::fmt::Display| format!("cannot read config `{}`: {e}", path.display());
    let bytes = kpi_check::load::read_regular(path, MAX_CONFIG_BYTES).map_err(|e| cannot(&e))?;
    let text = String::from_utf8(bytes).map_err(|_| cannot(&"it is not UTF-8 text"))?;
    parse(path, text)
}

/// Client configs larger than this are refused (a real one is a few hundred bytes).
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// Parse a client config's text; `path` names it in messages and anchors its relative paths.
pub fn parse(path: &Path, text: String) -> Result<Config, String> {
    let config: ClientConfig = toml::from_str(&text).map_err(|e| {
        let location = e.span().map(|s| {
            let (line, col) = kpi_syntax::diagnostic::line_col(&text, s.start);
            format!("{}:{line}:{col}", path.display())
        });
        let message = e.message().to_string();
        let hint = did_you_mean_key(&message);
        format!("{}: {message}{hint}", location.unwrap_or_else(|| path.display().to_string()))
    })?;
    Ok(Config { path: path.to_path_buf(), text, config })
}

/// serde lists the expected keys; point at the closest one.
fn did_you_mean_key(message: &str) -> String {
    let Some(rest) = message.strip_prefix("unknown field `") else { return String::new() };
    let Some((unknown, expected)) = rest.split_once('`') else { return String::new() };
    let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    kpi_syntax::suggest(unknown, candidates).map(|c| format!(" (did you mean `{c}`?)")).unwrap_or_default()
}

/// A TOML value as a param value: strings go through the rule language's literal syntax.
pub fn param_value(value: &toml::Value) -> Result<ParamInput, String> {
    Ok(match value {
        toml::Value::String(s) => ParamInput::Text(s.clone()),
        toml::Value::Integer(i) => ParamInput::Value(kpi_hir::Value::Number(*i as f64)),
        toml::Value::Float(f) => ParamInput::Value(kpi_hir::Value::Number(*f)),
        toml::Value::Boolean(b) => ParamInput::Value(kpi_hir::Value::Bool(*b)),
        toml::Value::Array(items) => ParamInput::Value(kpi_hir::Value::List(
            items
                .iter()
                .map(|i| match i {
                    toml::Value::String(s) => Ok(kpi_hir::Value::Text(s.clone())),
                    toml::Value::Integer(i) => Ok(kpi_hir::Value::Number(*i as f64)),
                    toml::Value::Float(f) => Ok(kpi_hir::Value::Number(*f)),
                    _ => Err("list items must be text or numbers".to_string()),
                })
                .collect::<Result<_, _>>()?,
        )),
        other => return Err(format!("a param cannot be a {}", other.type_str())),
    })
}

/// A param value before it is checked against the param's type: text in the rule language's
/// literal syntax (`15m`, `80%`), or a typed value.
#[derive(Debug, Clone)]
pub enum ParamInput {
    Text(String),
    Value(kpi_hir::Value),
}
