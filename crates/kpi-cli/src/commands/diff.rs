//! `kpi diff`: what changed between two evaluations, value by value. Either two saved
//! `kpi evaluate --format json` outputs (v2, or v1: one scorecard object or an array of them), or
//! evaluations run here: old and new rules (or configs) over the same data, the same rules over
//! old and new data, or both, in which case every combination is evaluated and each change is
//! put down to the rules, the data, or both.
use crate::Outcome;
use kpi_driver::{AsOf, ConfigInput, DataInput, Request};
use kpi_eval::ScorecardResult;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum DiffFormat {
    Table,
    Json,
}

#[derive(clap::Args)]
pub struct DiffArgs {
    /// Two outputs of `kpi evaluate --format json`: OLD.json NEW.json.
    #[arg(value_name = "FILE", num_args = 0..=2)]
    files: Vec<PathBuf>,
    /// Rule files or directories to evaluate; two (OLD NEW) compare two versions of the rules.
    #[arg(long, num_args = 1..=2, value_name = "RULES")]
    rules: Vec<PathBuf>,
    /// Dataset directories; two (OLD_DIR NEW_DIR) compare two exports.
    #[arg(long, num_args = 1..=2, value_name = "DIR")]
    data: Vec<PathBuf>,
    /// Client configs; two (OLD NEW) count as a change of the rules.
    #[arg(long, num_args = 1..=2, value_name = "CLIENT.toml")]
    config: Vec<PathBuf>,
    /// Override a param in every evaluation: NAME=VALUE. Repeatable.
    #[arg(long, value_name = "NAME=VALUE")]
    param: Vec<String>,
    /// The evaluation instant of every evaluation (RFC 3339); default now, the same for all.
    #[arg(long, value_name = "TIMESTAMP")]
    as_of: Option<String>,
    /// First day of the range, as for `kpi evaluate`.
    #[arg(long, value_name = "DATE")]
    from: Option<chrono::NaiveDate>,
    /// Day after the range, as for `kpi evaluate`.
    #[arg(long, value_name = "DATE")]
    to: Option<chrono::NaiveDate>,
    /// Only this scorecard (repeatable).
    #[arg(long, value_name = "ID")]
    scorecard: Vec<String>,
    #[arg(long, value_enum, default_value = "table")]
    format: DiffFormat,
    /// Write the output to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// Where a value sits: scorecard, period label (`snapshot`), group key (`all`), KPI (`None`:
/// the row's score).
type Key = (String, String, String, Option<String>);

/// One value of an evaluation.
#[derive(Debug, Clone)]
struct Cell {
    value: Option<f64>,
    status: Option<String>,
    unit: Option<String>,
}

impl PartialEq for Cell {
    fn eq(&self, other: &Cell) -> bool {
        let same = match (self.value, other.value) {
            (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0),
            (a, b) => a.is_none() && b.is_none(),
        };
        same && self.status == other.status
    }
}

/// Every value of one evaluation.
type Cells = BTreeMap<Key, Cell>;

/// What moved a change.
#[derive(Clone, Copy)]
enum Cause {
    Rules,
    Data,
    Both,
}

impl Cause {
    fn name(self) -> &'static str {
        match self {
            Cause::Rules => "rules",
            Cause::Data => "data",
            Cause::Both => "both",
        }
    }
}

struct Change {
    key: Key,
    old: Option<Cell>,
    new: Option<Cell>,
    cause: Option<Cause>,
}

pub fn run(args: DiffArgs) -> Result<Outcome, Box<dyn std::error::Error>> {
    let changes = if !args.files.is_empty() {
        if args.files.len() != 2 || !args.rules.is_empty() || !args.data.is_empty() || !args.config.is_empty()
        {
            return usage(
                "give two JSON files (kpi diff OLD.json NEW.json), or --rules and --data to evaluate \
                 (kpi diff --rules OLD NEW --data DIR, or --rules R --data OLD_DIR NEW_DIR)",
            );
        }
        let old = read_json(&args.files[0])?;
        let new = read_json(&args.files[1])?;
        compare(&old, &new).into_iter().map(|(key, old, new)| Change { key, old, new, cause: None }).collect()
    } else {
        let rule_versions = args.rules.len().max(args.config.len());
        if rule_versions < 2 && args.data.len() < 2 {
            return usage(
                "name two versions to compare: --rules OLD NEW, --config OLD NEW or --data OLD_DIR NEW_DIR \
                 (or two JSON files)",
            );
        }
        if args.rules.is_empty() && args.config.is_empty() {
            return usage("name the rules with --rules (or a --config that names them)");
        }
        match attributed(&args)? {
            Some(changes) => changes,
            None => return Ok(Outcome::Failed),
        }
    };
    let text = match args.format {
        DiffFormat::Table => table(&changes),
        DiffFormat::Json => {
            let mut text = serde_json::to_string_pretty(&changes_json(&changes))?;
            text.push('\n');
            text
        }
    };
    super::evaluate::emit(args.output.as_deref(), &text)?;
    Ok(Outcome::Ok)
}

fn usage(message: &str) -> Result<Outcome, Box<dyn std::error::Error>> {
    eprintln!("error: {message}");
    Ok(Outcome::Usage)
}

/// The keys whose cells differ between `old` and `new` (added and removed ones too).
fn compare(old: &Cells, new: &Cells) -> Vec<(Key, Option<Cell>, Option<Cell>)> {
    let keys: BTreeSet<&Key> = old.keys().chain(new.keys()).collect();
    keys.into_iter()
        .filter_map(|key| {
            let (a, b) = (old.get(key), new.get(key));
            (a != b).then(|| (key.clone(), a.cloned(), b.cloned()))
        })
        .collect()
}

/// Evaluate every combination of the rule and data versions, and put each change between the
/// old-old and the new-new evaluation down to the rules, the data, or both. `None`: an evaluation
/// failed (reported on stderr).
fn attributed(args: &DiffArgs) -> Result<Option<Vec<Change>>, Box<dyn std::error::Error>> {
    let as_of = match &args.as_of {
        Some(text) => AsOf::Text(text.clone()),
        None => AsOf::Micros(chrono::Utc::now().timestamp_micros()),
    };
    let rule_versions = args.rules.len().max(args.config.len()).max(1);
    let data_versions = args.data.len().max(1);
    let mut results: BTreeMap<(usize, usize), Cells> = BTreeMap::new();
    for r in 0..rule_versions {
        for d in 0..data_versions {
            let pick = |list: &[PathBuf], n: usize| list.get(n).or(list.first()).cloned();
            let request = Request {
                rules: pick(&args.rules, r).into_iter().collect(),
                config: pick(&args.config, r).map(ConfigInput::File),
                data: pick(&args.data, d).map(DataInput::Dir),
                params: super::evaluate::param_overrides(&args.param)?,
                as_of: as_of.clone(),
                from: args.from,
                to: args.to,
                scorecards: args.scorecard.clone(),
                ..Request::default()
            };
            let Some(session) = super::evaluate::prepare(request)? else { return Ok(None) };
            let evaluated = session.evaluate()?;
            for e in evaluated.iter().flat_map(|r| &r.errors) {
                eprintln!("error: {e}");
            }
            results.insert((r, d), cells_of_results(&evaluated));
        }
    }
    let (rn, dn) = (rule_versions - 1, data_versions - 1);
    let get = |r: usize, d: usize, key: &Key| results[&(r, d)].get(key).cloned();
    let changes = compare(&results[&(0, 0)], &results[&(rn, dn)])
        .into_iter()
        .map(|(key, old, new)| {
            // Did changing the rules move it, at either version of the data; and the data, at
            // either version of the rules?
            let rules =
                rn > 0 && (get(0, 0, &key) != get(rn, 0, &key) || get(0, dn, &key) != get(rn, dn, &key));
            let data =
                dn > 0 && (get(0, 0, &key) != get(0, dn, &key) || get(rn, 0, &key) != get(rn, dn, &key));
            let cause = match (rules, data) {
                (true, false) => Cause::Rules,
                (false, true) => Cause::Data,
                _ => Cause::Both,
            };
            Change { key, old, new, cause: Some(cause) }
        })
        .collect();
    Ok(Some(changes))
}

fn cells_of_results(results: &[ScorecardResult]) -> Cells {
    let mut cells = Cells::new();
    for card in results {
        for row in &card.rows {
            let period = row.period.as_ref().map_or("snapshot".to_string(), |p| p.label.clone());
            let group = row.group.clone().unwrap_or_else(|| "all".into());
            let key = |kpi: Option<String>| (card.id.clone(), period.clone(), group.clone(), kpi);
            cells.insert(key(None), Cell { value: row.score, status: None, unit: None });
            for (info, kpi) in card.kpis.iter().zip(&row.kpis) {
                cells.insert(
                    key(Some(info.id.clone())),
                    Cell {
                        value: kpi.value,
                        status: Some(kpi.status.name().to_string()),
                        unit: Some(info.unit.name().to_string()),
                    },
                );
            }
        }
    }
    cells
}

/// The values of a `kpi evaluate --format json` file: v2 (`{"version": 2, "scorecards": [...]}`)
/// or v1 (a scorecard object, or an array of them).
fn read_json(path: &Path) -> Result<Cells, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let json: Value = serde_json::from_str(&text).map_err(|e| {
        format!("{}: not JSON ({e}); give outputs of `kpi evaluate --format json`", path.display())
    })?;
    let cards: Vec<&Value> = match &json {
        Value::Object(o) if o.get("scorecards").is_some_and(Value::is_array) => {
            o["scorecards"].as_array().into_iter().flatten().collect()
        }
        Value::Object(o) if o.contains_key("scorecard") => vec![&json],
        Value::Array(items) => items.iter().collect(),
        _ => {
            return Err(format!(
                "{}: not an output of `kpi evaluate --format json` (no `scorecards` or `scorecard`)",
                path.display()
            ))
        }
    };
    let mut cells = Cells::new();
    for card in cards {
        cells_of_json(card, &mut cells).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(cells)
}

fn cells_of_json(card: &Value, cells: &mut Cells) -> Result<(), String> {
    let id = card["scorecard"].as_str().ok_or("a scorecard without `scorecard` (its id)")?;
    for row in card["rows"].as_array().ok_or_else(|| format!("scorecard `{id}` has no `rows`"))? {
        let period = match &row["period"] {
            Value::Null => "snapshot".to_string(),
            p => p["label"]
                .as_str()
                .ok_or_else(|| format!("scorecard `{id}`: a period without `label`"))?
                .into(),
        };
        let group = match &row["group"] {
            Value::Object(g) if !g.is_empty() => g
                .values()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), String::from))
                .collect::<Vec<_>>()
                .join("/"),
            _ => "all".to_string(),
        };
        let key = |kpi: Option<String>| (id.to_string(), period.clone(), group.clone(), kpi);
        cells.insert(key(None), Cell { value: row["score"].as_f64(), status: None, unit: None });
        for kpi in row["kpis"].as_array().into_iter().flatten() {
            let kpi_id = kpi["id"].as_str().ok_or_else(|| format!("scorecard `{id}`: a KPI without `id`"))?;
            cells.insert(
                key(Some(kpi_id.to_string())),
                Cell {
                    value: kpi["value"].as_f64(),
                    status: kpi["status"].as_str().map(String::from),
                    unit: kpi["unit"].as_str().map(String::from),
                },
            );
        }
    }
    Ok(())
}

/// A value in its unit, with its status: `82.5 % met`, `3.20 h missed`, `87.4` (a score).
fn show(cell: &Option<Cell>) -> String {
    let Some(cell) = cell else { return "-".into() };
    let value = match cell.unit.as_deref().and_then(kpi_hir::Unit::from_name) {
        Some(unit) => kpi_report::display_value(cell.value, unit),
        None => cell.value.map_or("n/a".into(), |v| format!("{v:.1}")),
    };
    match &cell.status {
        Some(status) => format!("{value} {status}"),
        None => value,
    }
}

/// How far a value moved, in its unit: `-7.5 pp`, `+2.10 h`, `-3.1`.
fn delta(change: &Change) -> String {
    let (Some(old), Some(new)) = (&change.old, &change.new) else {
        return if change.old.is_none() { "added" } else { "removed" }.into();
    };
    let (Some(a), Some(b)) = (old.value, new.value) else { return "".into() };
    let d = b - a;
    if d.abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0) {
        return "".into();
    }
    match new.unit.as_deref() {
        Some("ratio") => format!("{:+.1} pp", d * 100.0),
        Some("hours") => format!("{d:+.2} h"),
        Some("count") if d.fract() == 0.0 => format!("{d:+.0}"),
        _ => format!("{d:+.1}"),
    }
}

fn table(changes: &[Change]) -> String {
    if changes.is_empty() {
        return "no changes\n".into();
    }
    let attributed = changes.iter().any(|c| c.cause.is_some());
    let mut header = vec!["SCORECARD", "PERIOD", "GROUP", "KPI", "OLD", "NEW", "CHANGE"];
    if attributed {
        header.push("CAUSE");
    }
    let rows: Vec<Vec<String>> = changes
        .iter()
        .map(|c| {
            let (card, period, group, kpi) = &c.key;
            let mut row = vec![
                card.clone(),
                period.clone(),
                group.clone(),
                kpi.clone().unwrap_or_else(|| "score".into()),
                show(&c.old),
                show(&c.new),
                delta(c),
            ];
            if let Some(cause) = c.cause {
                row.push(cause.name().into());
            }
            row
        })
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|i| rows.iter().map(|r| r[i].chars().count()).chain([header[i].len()]).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    let line = |cells: Vec<&str>, out: &mut String| {
        let mut l = String::new();
        for (i, cell) in cells.iter().enumerate() {
            let _ = write!(l, "{cell:<w$}  ", w = widths[i]);
        }
        let _ = writeln!(out, "{}", l.trim_end());
    };
    line(header, &mut out);
    for r in &rows {
        line(r.iter().map(String::as_str).collect(), &mut out);
    }
    let _ = writeln!(out, "\n{}", summary(changes));
    out
}

/// `3 changes: 2 changed, 1 added; 2 moved by the rules, 1 by the data`.
fn summary(changes: &[Change]) -> String {
    let count = |f: &dyn Fn(&Change) -> bool| changes.iter().filter(|c| f(c)).count();
    let changed = count(&|c| c.old.is_some() && c.new.is_some());
    let added = count(&|c| c.old.is_none());
    let removed = count(&|c| c.new.is_none());
    let mut text = format!(
        "{} change{}: {changed} changed, {added} added, {removed} removed",
        changes.len(),
        if changes.len() == 1 { "" } else { "s" }
    );
    if changes.iter().any(|c| c.cause.is_some()) {
        let by = |cause: &str| count(&|c| c.cause.is_some_and(|x| x.name() == cause));
        let _ = write!(
            text,
            "; moved by the rules {}, by the data {}, by both {}",
            by("rules"),
            by("data"),
            by("both")
        );
    }
    text
}

fn changes_json(changes: &[Change]) -> Value {
    let cell = |c: &Option<Cell>| c.as_ref().map(|c| json!({"value": c.value, "status": c.status}));
    let items: Vec<Value> = changes
        .iter()
        .map(|c| {
            let (card, period, group, kpi) = &c.key;
            json!({
                "scorecard": card,
                "period": period,
                "group": group,
                "kpi": kpi,
                "change": match (&c.old, &c.new) {
                    (None, _) => "added",
                    (_, None) => "removed",
                    _ => "changed",
                },
                "old": cell(&c.old),
                "new": cell(&c.new),
                "cause": c.cause.map(Cause::name),
            })
        })
        .collect();
    json!({ "changes": items })
}
