//! `kpi test`: rule snapshot tests for a client rules repository. Each case in `tests/*.toml`
//! evaluates some rules over a small dataset at a fixed instant; the result is compared with the
//! case's stored snapshot (`tests/snapshots/NAME.snap`) and with the case's `[[expect]]` checks.
//! The format of cases and snapshots is documented in `docs/testing.md`.
use super::evaluate::prepare;
use crate::Outcome;
use kpi_driver::{AsOf, ConfigInput, DataInput, ParamInput, ParamOverride, Request};
use kpi_eval::ParamSource;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};

#[derive(clap::Args)]
pub struct TestArgs {
    /// A rules directory (its cases are `tests/*.toml`), a directory of cases, or one case file.
    #[arg(value_name = "DIR", default_value = ".")]
    dir: PathBuf,
    /// Write the new snapshots of every case (new or changed) as accepted.
    #[arg(long)]
    accept: bool,
}

/// One test case file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    /// What the case is about (shown nowhere but in the file; for reviewers).
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    /// Rule files or directories, relative to the case file (default: the config's `rules`).
    #[serde(default)]
    rules: Vec<String>,
    /// Only these scorecards (default: every scorecard of the rule files).
    #[serde(default)]
    scorecards: Vec<String>,
    /// A client config, relative to the case file.
    config: Option<String>,
    /// The evaluation instant (RFC 3339): required, a test must not depend on the clock.
    as_of: String,
    from: Option<String>,
    to: Option<String>,
    /// A dataset directory, relative to the case file; or `[tables]`.
    data: Option<String>,
    /// Small inline tables: file name (`tickets.csv`) -> contents.
    #[serde(default)]
    tables: BTreeMap<String, String>,
    /// A mapping profile (`autotask`, `connectwise`, or a TOML file relative to the case).
    profile: Option<String>,
    #[serde(default)]
    skip_bad_rows: bool,
    /// Param overrides, as in a client config's `[params]`.
    #[serde(default)]
    params: BTreeMap<String, toml::Value>,
    /// Keep a snapshot of every value (default true); `false` for a case of `[[expect]]` checks only.
    #[serde(default = "yes")]
    snapshot: bool,
    /// Checks of single values.
    #[serde(default)]
    expect: Vec<Expect>,
}

fn yes() -> bool {
    true
}

/// `[[expect]]`: one KPI value or status (or a row's score) of one (period, group).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    /// Needed when the case evaluates several scorecards.
    scorecard: Option<String>,
    /// The period's label (`2026-03`); needed when there are several periods.
    period: Option<String>,
    /// The group's key (`R001`); needed for a grouped scorecard.
    group: Option<String>,
    /// The KPI; without it, the row's score.
    kpi: Option<String>,
    /// The expected value; `"n/a"` for no data.
    value: Option<toml::Value>,
    /// `met`, `missed` or `no_data`.
    status: Option<String>,
    /// How far the value may be from `value` (default 1e-9).
    tolerance: Option<f64>,
}

/// How one case went.
enum Verdict {
    Passed,
    /// A snapshot was written for the first time and waits to be accepted.
    New,
    Accepted,
    Failed,
}

pub fn run(args: TestArgs) -> Result<Outcome, Box<dyn std::error::Error>> {
    let cases = discover(&args.dir)?;
    if cases.is_empty() {
        return Err(format!(
            "no test cases in {} (a case is a `tests/NAME.toml` file; see docs/testing.md)",
            args.dir.display()
        )
        .into());
    }
    let in_ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0");
    if in_ci && args.accept {
        return Err("--accept is refused when CI is set: a person reviews and accepts snapshots; \
                    run `kpi test --accept` locally and commit them"
            .into());
    }
    let (mut passed, mut failed, mut new, mut accepted) = (0, 0, 0, 0);
    for case in &cases {
        let shown = case.display();
        match run_case(case, args.accept) {
            Ok((Verdict::Passed, report)) => {
                passed += 1;
                println!("ok       {shown}{report}");
            }
            Ok((Verdict::Accepted, report)) => {
                accepted += 1;
                println!("accepted {shown}{report}");
            }
            Ok((Verdict::New, report)) => {
                new += 1;
                println!("new      {shown}{report}");
            }
            Ok((Verdict::Failed, report)) => {
                failed += 1;
                println!("FAILED   {shown}{report}");
            }
            Err(e) => {
                failed += 1;
                println!("FAILED   {shown}: {e}");
            }
        }
    }
    let failing = failed > 0 || in_ci && new > 0;
    println!();
    println!(
        "test result: {}. {passed} passed; {failed} failed; {new} new; {accepted} accepted",
        if failing { "FAILED" } else { "ok" }
    );
    if new > 0 {
        println!(
            "{new} new snapshot{} pending: review the `.snap.new` file{}, then run `kpi test --accept`{}",
            if new == 1 { "" } else { "s" },
            if new == 1 { "" } else { "s" },
            if in_ci { " (pending snapshots fail when CI is set)" } else { "" }
        );
    }
    if failed > 0 && !args.accept {
        println!("if the changes are intended, run `kpi test --accept` and commit the snapshots");
    }
    Ok(if failing { Outcome::Failed } else { Outcome::Ok })
}

/// Run one case and write its results as its accepted snapshot (for `kpi init`); an error when
/// the case fails (an `[[expect]]` that does not hold, rule or data errors).
pub fn accept(case: &Path) -> Result<(), Box<dyn std::error::Error>> {
    match run_case(case, true)? {
        (Verdict::Failed, report) => Err(report.trim().to_string().into()),
        _ => Ok(()),
    }
}

/// The case files: `DIR/tests/*.toml`, `DIR/*.toml` if DIR holds no `tests/`, or DIR itself.
fn discover(dir: &Path) -> Result<Vec<PathBuf>, String> {
    if dir.is_file() {
        return Ok(vec![dir.to_path_buf()]);
    }
    if !dir.is_dir() {
        return Err(format!("{}: no such directory", dir.display()));
    }
    let tests = dir.join("tests");
    let search = if tests.is_dir() { tests } else { dir.to_path_buf() };
    let entries = std::fs::read_dir(&search).map_err(|e| format!("{}: {e}", search.display()))?;
    let mut cases: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "toml"))
        .collect();
    cases.sort();
    Ok(cases)
}

/// `tests/snapshots/NAME.snap` beside the case `tests/NAME.toml`.
fn snapshot_path(case: &Path) -> PathBuf {
    let stem = case.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    case.parent().unwrap_or(Path::new(".")).join("snapshots").join(format!("{stem}.snap"))
}

fn pending_path(snapshot: &Path) -> PathBuf {
    let mut name = snapshot.as_os_str().to_owned();
    name.push(".new");
    PathBuf::from(name)
}

fn run_case(path: &Path, accept: bool) -> Result<(Verdict, String), Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read it: {e}"))?;
    let case: Case = toml::from_str(&text).map_err(|e| format!("not a test case: {e}"))?;
    let results = evaluate(path, &case)?;
    let mut report = String::new();
    let mut failed = false;

    for (n, expect) in case.expect.iter().enumerate() {
        if let Err(message) = check_expect(expect, &results) {
            failed = true;
            let _ = write!(report, "\n  expect #{}: {message}", n + 1);
        }
    }
    for result in &results {
        for error in &result.errors {
            let _ = write!(report, "\n  note: scorecard {}: {error}", result.id);
        }
    }
    if !case.snapshot {
        return Ok((if failed { Verdict::Failed } else { Verdict::Passed }, report));
    }

    let snapshot = render_snapshot(path, &results);
    let stored_path = snapshot_path(path);
    let pending = pending_path(&stored_path);
    let stored = match std::fs::read_to_string(&stored_path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(format!(
                "cannot read the snapshot `{}`: {e}; it must be a UTF-8 text file (remove it and run \
                 `kpi test` to write a new one)",
                stored_path.display()
            )
            .into())
        }
    };
    if stored.as_deref() == Some(snapshot.as_str()) {
        let _ = std::fs::remove_file(&pending);
        return Ok((if failed { Verdict::Failed } else { Verdict::Passed }, report));
    }
    if accept {
        create_dir(stored_path.parent())?;
        crate::write_file(&stored_path, snapshot.as_bytes())?;
        let _ = std::fs::remove_file(&pending);
        let _ = write!(report, "\n  wrote {}", stored_path.display());
        return Ok((if failed { Verdict::Failed } else { Verdict::Accepted }, report));
    }
    create_dir(pending.parent())?;
    crate::write_file(&pending, snapshot.as_bytes())?;
    match stored {
        None => {
            let _ = write!(report, "\n  no snapshot yet; the new one is {}", pending.display());
            Ok((if failed { Verdict::Failed } else { Verdict::New }, report))
        }
        Some(old) => {
            let (changes, count) = diff(&old, &snapshot);
            let _ = write!(
                report,
                "\n  the results differ from {} ({count} change{}; new snapshot in {}):{changes}",
                stored_path.display(),
                if count == 1 { "" } else { "s" },
                pending.display()
            );
            Ok((Verdict::Failed, report))
        }
    }
}

fn create_dir(dir: Option<&Path>) -> Result<(), String> {
    match dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot create `{}`: {e}", dir.display()))
        }
        None => Ok(()),
    }
}

/// Evaluate the case through the driver, as `kpi evaluate` would with the same inputs.
fn evaluate(path: &Path, case: &Case) -> Result<Vec<kpi_eval::ScorecardResult>, Box<dyn std::error::Error>> {
    let base = path.parent().unwrap_or(Path::new("."));
    let relative = |p: &str| clean(&base.join(p));
    let data = match (case.tables.is_empty(), &case.data) {
        (true, data) => data.as_deref().map(|d| DataInput::Dir(relative(d))),
        (false, Some(_)) => return Err("give either `data` (a directory) or `[tables]`, not both".into()),
        (false, None) => {
            let mut files = Vec::new();
            for (name, contents) in &case.tables {
                if name.contains(['/', '\\']) || name.starts_with('.') {
                    return Err(format!("[tables] `{name}`: name a file like `tickets.csv`").into());
                }
                files.push((name.clone(), contents.trim_start_matches('\n').to_string()));
            }
            Some(DataInput::Tables { name: clean(path), files })
        }
    };
    let date = |key: &str, text: &Option<String>| -> Result<Option<chrono::NaiveDate>, String> {
        text.as_deref()
            .map(|t| {
                t.parse().map_err(|_| format!("bad case: `{key}` = `{t}` is not a date; write YYYY-MM-DD"))
            })
            .transpose()
    };
    let profile = case.profile.as_ref().map(|profile| {
        let local = base.join(profile);
        if local.is_file() {
            clean(&local).to_string_lossy().into_owned()
        } else {
            profile.clone()
        }
    });
    let params = case
        .params
        .iter()
        .map(|(name, value)| {
            Ok(ParamOverride {
                name: name.clone(),
                value: ParamInput::Text(param_text(value)?),
                source: ParamSource::Config(format!("{} params.{name}", path.display())),
            })
        })
        .collect::<Result<_, String>>()?;
    let request = Request {
        rules: case.rules.iter().map(|r| relative(r)).collect(),
        config: case.config.as_deref().map(|c| ConfigInput::File(relative(c))),
        params,
        data,
        profile,
        as_of: AsOf::Text(case.as_of.clone()),
        from: date("from", &case.from)?,
        to: date("to", &case.to)?,
        scorecards: case.scorecards.clone(),
        skip_bad_rows: case.skip_bad_rows,
        ..Request::default()
    };
    let prepared = prepare(request)?.ok_or("the rules or the data have errors (above); nothing evaluated")?;
    Ok(prepared.evaluate()?)
}

/// A `[params]` value as `--param` text: `"15m"` -> 15m, `7.5` -> 7.5, `["a", "b"]` -> ["a", "b"].
fn param_text(value: &toml::Value) -> Result<String, String> {
    Ok(match value {
        toml::Value::String(s) => s.clone(),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => f.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::Array(items) => {
            let items: Result<Vec<String>, String> = items
                .iter()
                .map(|v| match v {
                    toml::Value::String(s) => Ok(format!("{s:?}")),
                    other => param_text(other),
                })
                .collect();
            format!("[{}]", items?.join(", "))
        }
        other => return Err(format!("[params]: cannot use {other} as a param value")),
    })
}

/// `tests/../acme.kpi` -> `acme.kpi`: paths as people write them, in diagnostics and reports.
fn clean(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir if out.file_name().is_some() && !out.ends_with("..") => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// A number as the snapshot shows it: at most 6 decimals, no trailing zeros (`0.8125`, `87.5`, `3`).
fn number(x: f64) -> String {
    let text = format!("{x:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".into()
    } else {
        text.into()
    }
}

fn group_label(group: Option<&str>) -> String {
    match group {
        None => "all".into(),
        Some(g) if g.is_empty() || g.contains(|c: char| c.is_whitespace() || c == ':' || c == '"') => {
            format!("{g:?}")
        }
        Some(g) => g.into(),
    }
}

/// One line per (scorecard, period, group, KPI) and one per row score: `key: result`.
fn render_snapshot(case: &Path, results: &[kpi_eval::ScorecardResult]) -> String {
    let name = case.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut out = format!(
        "# kpi test snapshot of {name}: scorecard period group kpi: value status (target, weight)\n\
         # Review changes to this file like code; accept them with `kpi test --accept`.\n"
    );
    for result in results {
        let _ = writeln!(out, "\n# {} \"{}\"", result.id, result.title);
        for error in &result.errors {
            let _ = writeln!(out, "{} error: {error}", result.id);
        }
        for row in &result.rows {
            let period = row.period.as_ref().map_or("snapshot", |p| p.label.as_str());
            let key = format!("{} {period} {}", result.id, group_label(row.group.as_deref()));
            for (kpi, value) in result.kpis.iter().zip(&row.kpis) {
                let shown = value.value.map_or_else(|| "n/a".to_string(), number);
                let _ = writeln!(
                    out,
                    "{key} {}: {shown} {} (target {} {}, weight {})",
                    kpi.id,
                    value.status.name(),
                    kpi.op.symbol(),
                    number(kpi.target),
                    number(kpi.weight)
                );
            }
            let _ = writeln!(out, "{key} score: {}", row.score.map_or_else(|| "n/a".to_string(), number));
        }
    }
    out
}

/// The changes between two snapshots, by key: what changed, what is new, what is gone.
fn diff(old: &str, new: &str) -> (String, usize) {
    let lines = |text: &str| -> Vec<(String, String)> {
        text.lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| match l.split_once(": ") {
                Some((k, v)) => (k.to_string(), v.to_string()),
                None => (l.to_string(), String::new()),
            })
            .collect()
    };
    let (old, new) = (lines(old), lines(new));
    let old_map: BTreeMap<&str, &str> = old.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let new_map: BTreeMap<&str, &str> = new.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (mut out, mut count) = (String::new(), 0);
    for (key, value) in &new {
        match old_map.get(key.as_str()) {
            Some(before) if before == value => {}
            Some(before) => {
                count += 1;
                let _ = write!(out, "\n  {key}\n      was: {before}\n      now: {value}");
            }
            None => {
                count += 1;
                let _ = write!(out, "\n  {key}\n      new: {value}");
            }
        }
    }
    for (key, value) in &old {
        if !new_map.contains_key(key.as_str()) {
            count += 1;
            let _ = write!(out, "\n  {key}\n     gone: {value}");
        }
    }
    if out.is_empty() {
        // Only the comments or the order changed.
        out.push_str("\n  (only the order or the comments of the snapshot changed)");
    }
    (out, count)
}

/// Check one `[[expect]]` against the results.
fn check_expect(expect: &Expect, results: &[kpi_eval::ScorecardResult]) -> Result<(), String> {
    let card = match &expect.scorecard {
        Some(id) => results.iter().find(|r| &r.id == id).ok_or_else(|| {
            let ids: Vec<&str> = results.iter().map(|r| r.id.as_str()).collect();
            format!("no scorecard `{id}` in the results (there are: {})", ids.join(", "))
        })?,
        None if results.len() == 1 => &results[0],
        None => return Err("name the `scorecard`: the case evaluates several".into()),
    };
    let rows: Vec<&kpi_eval::RowResult> = card
        .rows
        .iter()
        .filter(|r| {
            expect
                .period
                .as_deref()
                .is_none_or(|p| r.period.as_ref().map_or("snapshot", |x| x.label.as_str()) == p)
                && expect.group.as_deref().is_none_or(|g| r.group.as_deref() == Some(g))
        })
        .collect();
    let row = match rows.as_slice() {
        [row] => *row,
        [] => {
            return Err(format!(
                "{}: no row for period {} group {}",
                card.id,
                expect.period.as_deref().unwrap_or("(any)"),
                expect.group.as_deref().unwrap_or("(any)")
            ))
        }
        _ => {
            return Err(format!("{}: {} rows match; name the `period` and the `group`", card.id, rows.len()))
        }
    };
    let period = row.period.as_ref().map_or("snapshot", |p| p.label.as_str());
    let at = format!("{} {period} {}", card.id, group_label(row.group.as_deref()));
    let (what, actual, status) = match &expect.kpi {
        Some(kpi) => {
            let index = card.kpis.iter().position(|k| &k.id == kpi).ok_or_else(|| {
                let ids: Vec<&str> = card.kpis.iter().map(|k| k.id.as_str()).collect();
                format!("{}: no KPI `{kpi}` (there are: {})", card.id, ids.join(", "))
            })?;
            let result = &row.kpis[index];
            (format!("{at} {kpi}"), result.value, Some(result.status.name()))
        }
        None => (format!("{at} score"), row.score, None),
    };
    if let Some(expected) = &expect.value {
        let shown = actual.map_or_else(|| "n/a".to_string(), number);
        let ok = match (expected, actual) {
            (toml::Value::String(s), None) if s == "n/a" => true,
            (toml::Value::String(s), _) if s == "n/a" => false,
            (v, Some(actual)) => {
                let expected = v
                    .as_float()
                    .or_else(|| v.as_integer().map(|i| i as f64))
                    .ok_or_else(|| format!("{what}: `value` must be a number or \"n/a\", not {v}"))?;
                (actual - expected).abs() <= expect.tolerance.unwrap_or(1e-9)
            }
            (_, None) => false,
        };
        if !ok {
            let tolerance = expect.tolerance.map_or_else(String::new, |t| format!(" ± {}", number(t)));
            return Err(format!("{what}: expected {expected}{tolerance}, got {shown}"));
        }
    }
    if let Some(expected) = &expect.status {
        let Some(status) = status else { return Err(format!("{what}: a row's score has no status")) };
        if expected != status {
            return Err(format!("{what}: expected status {expected}, got {status}"));
        }
    }
    if expect.value.is_none() && expect.status.is_none() {
        return Err(format!("{what}: say what to expect: `value` (with `tolerance`) or `status`"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short_and_stable() {
        assert_eq!(number(0.8125), "0.8125");
        assert_eq!(number(87.5), "87.5");
        assert_eq!(number(3.0), "3");
        assert_eq!(number(1.0 / 3.0), "0.333333");
        assert_eq!(number(-0.0000001), "0");
    }

    #[test]
    fn paths_are_cleaned_lexically() {
        assert_eq!(clean(Path::new("repo/tests/../client.kpi")), PathBuf::from("repo/client.kpi"));
        assert_eq!(clean(Path::new("tests/../../rules")), PathBuf::from("../rules"));
        assert_eq!(clean(Path::new("./x")), PathBuf::from("x"));
    }

    #[test]
    fn the_diff_names_each_changed_line_by_its_key() {
        let old = "# c\nsc 2026-03 R001 fcr: 0.5 met (target >= 0.4, weight 10)\nsc 2026-03 R001 score: 80\n";
        let new = "# c\nsc 2026-03 R001 fcr: 0.5 met (target >= 0.4, weight 15)\nsc 2026-03 R001 score: 80\nsc 2026-03 R002 score: 1\n";
        let (text, count) = diff(old, new);
        assert_eq!(count, 2);
        assert_eq!(
            text,
            "\n  sc 2026-03 R001 fcr\n      was: 0.5 met (target >= 0.4, weight 10)\n      now: 0.5 met (target >= 0.4, weight 15)\n  sc 2026-03 R002 score\n      new: 1"
        );
    }
}
