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
    /// The rhai time each KPI may spend per run, a duration such as `"90s"` or `"2m"`; default 60 s.
    pub script_budget: Option<Spanned<String>>,
    /// The plausible span of the data's timestamps: `"YYYY-MM-DD"`; default 1990-01-01 and two
    /// years after the evaluation instant. Timestamps outside it are warned of and do not
    /// stretch the default period range.
    pub plausible_from: Option<Spanned<String>>,
    pub plausible_to: Option<Spanned<String>>,
    /// Per-scorecard, per-KPI overrides: `[scorecards.tech_balanced.utilization]`.
    #[serde(default)]
    pub scorecards: BTreeMap<String, BTreeMap<String, Spanned<KpiOverride>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KpiOverride {
    /// `">= 75%"`, `"75%"` (keeps the rule's comparison), `"24h"` or a number.
    pub target: Option<Spanned<TargetValue>>,
    /// A number of 0 or more.
    pub weight: Option<Spanned<f64>>,
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
                    target: o.target.as_ref().map(|t| match t.get_ref() {
                        TargetValue::Text(s) => s.clone(),
                        TargetValue::Number(x) => x.to_string(),
                    }),
                    weight: o.weight.as_ref().map(|w| *w.get_ref()),
                    enabled: o.enabled,
                    source: format!("{at} scorecards.{card}.{kpi}"),
                });
            }
        }
        out
    }

    /// A date key of the plausible span (`plausible_from`, `plausible_to`).
    pub fn plausible_date(
        &self,
        value: &Option<Spanned<String>>,
        key: &str,
    ) -> Result<Option<chrono::NaiveDate>, String> {
        let Some(v) = value else { return Ok(None) };
        v.get_ref().parse().map(Some).map_err(|_| {
            format!(
                "{}: {key} `{}` is not a date; write \"YYYY-MM-DD\"",
                self.at(v.span().start),
                v.get_ref()
            )
        })
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
    let config = Config { path: path.to_path_buf(), text, config };
    config.check_numbers()?;
    Ok(config)
}

impl Config {
    /// Weights and numeric targets of KPI overrides that no scorecard can use: not finite, or a
    /// negative weight. (Params are checked as they are applied, see [`param_value`] and
    /// [`check_param`].)
    fn check_numbers(&self) -> Result<(), String> {
        for kpis in self.config.scorecards.values() {
            for o in kpis.values() {
                if let Some(w) = &o.get_ref().weight {
                    let x = *w.get_ref();
                    if !x.is_finite() || x < 0.0 {
                        return Err(format!(
                            "{}: weight `{}` is not a number a weight can take (write a number of 0 or more)",
                            self.at(w.span().start),
                            toml_number(x)
                        ));
                    }
                }
                if let Some(t) = &o.get_ref().target {
                    if let TargetValue::Number(x) = t.get_ref() {
                        if !x.is_finite() {
                            return Err(format!(
                                "{}: target `{}` is not a number a target can take (write a finite number)",
                                self.at(t.span().start),
                                toml_number(*x)
                            ));
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// A float as TOML writes it (`nan`, `inf`, `-inf`, `-0.5`).
fn toml_number(x: f64) -> String {
    match x {
        _ if x.is_nan() => "nan".into(),
        f64::INFINITY => "inf".into(),
        f64::NEG_INFINITY => "-inf".into(),
        _ => x.to_string(),
    }
}

fn finite(x: f64) -> Result<f64, String> {
    if x.is_finite() {
        Ok(x)
    } else {
        Err(format!("`{}` is not a number a param can take (write a finite number)", toml_number(x)))
    }
}

/// What a param's value must be beyond its type, whoever sets it (config, `--param`, a caller):
/// numbers are finite, and `hours_per_day` (the evaluator's capacity of a technician without
/// their own) is in (0, 24].
pub fn check_param(name: &str, value: &kpi_hir::Value) -> Result<(), String> {
    match value {
        kpi_hir::Value::Number(x) => {
            finite(*x)?;
            if name == "hours_per_day" && !(*x > 0.0 && *x <= 24.0) {
                return Err(format!("hours_per_day must be more than 0 and at most 24, not {x}"));
            }
        }
        kpi_hir::Value::List(items) => items.iter().try_for_each(|i| check_param("", i))?,
        _ => {}
    }
    Ok(())
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
        toml::Value::Float(f) => ParamInput::Value(kpi_hir::Value::Number(finite(*f)?)),
        toml::Value::Boolean(b) => ParamInput::Value(kpi_hir::Value::Bool(*b)),
        toml::Value::Array(items) => ParamInput::Value(kpi_hir::Value::List(
            items
                .iter()
                .map(|i| match i {
                    toml::Value::String(s) => Ok(kpi_hir::Value::Text(s.clone())),
                    toml::Value::Integer(i) => Ok(kpi_hir::Value::Number(*i as f64)),
                    toml::Value::Float(f) => Ok(kpi_hir::Value::Number(finite(*f)?)),
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
