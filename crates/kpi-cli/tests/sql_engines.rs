//! Agreement of the compiled SQL with the native engine, on real engines started here: DuckDB
//! (Python package), PostgreSQL (a throwaway cluster from Debian's packages,
//! tests/engines/postgres.sh) and Spark in local mode (pyspark, Java 17). On the demo data and
//! on a generated medium dataset, both in America/Chicago (DST changes inside the range) with
//! holidays and params from a client config, every value, status, attainment, row count and
//! score of every engine equals the native engine's (numbers within 1e-9 relative).
//!
//! A missing engine skips its test with a message saying what to install; with `CI` set, it
//! fails instead.
use kpi_driver::{AsOf, ConfigInput, DataInput, Request};
use kpi_eval::ScorecardResult;
use kpi_sql::{Cell, Dialect, SqlOptions, COLUMNS_PER_KPI, LEADING_COLUMNS};
use std::path::{Path, PathBuf};
use std::process::Command;

const CONFIG: &str = r#"
timezone = "America/Chicago"
holidays = ["2024-11-28", "2024-12-25", "2025-01-01", "2025-07-04", "2025-12-25", "2026-07-03", "2026-09-07"]
"#;

/// Params of the standard rules in the client config.
const STANDARD_PARAMS: &str = "[params]\nhours_per_day = 7.5\nrealtime_grace = \"15m\"\n";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A dataset, range and instant to compare on.
struct Case {
    name: &'static str,
    rules: PathBuf,
    /// The config's `[params]` table.
    params: &'static str,
    data: PathBuf,
    from: &'static str,
    to: &'static str,
    as_of: &'static str,
}

fn cases() -> Vec<Case> {
    vec![
        // The month in progress at as_of counts its workdays to date.
        Case {
            name: "demo",
            rules: root().join("rules"),
            params: STANDARD_PARAMS,
            data: root().join("examples/demo"),
            from: "2026-06-01",
            to: "2026-10-01",
            as_of: "2026-09-20T15:30:00Z",
        },
        Case {
            name: "medium",
            rules: root().join("rules"),
            params: STANDARD_PARAMS,
            data: medium_data(),
            from: "2024-10-01",
            to: "2026-10-01",
            as_of: "2026-09-15T12:00:00Z",
        },
        // Other groupings and periods, local hours and weekdays across DST, text tests, bands...
        Case {
            name: "medium-constructs",
            rules: root().join("tests/engines/rules/constructs.kpi"),
            params: "[params]\nlate_hour = 17\nhours_per_day = 6\n",
            data: medium_data(),
            from: "2024-10-01",
            to: "2026-10-01",
            as_of: "2026-09-15T12:00:00Z",
        },
    ]
}

/// `kpi generate --scale medium`, generated once into target/.
fn medium_data() -> PathBuf {
    let dir = root().join("target/sql-engines-data/medium");
    if !dir.join(".complete").exists() {
        let status = Command::new(env!("CARGO_BIN_EXE_kpi"))
            .args(["generate", "--scale", "medium", "--out"])
            .arg(&dir)
            .stdout(std::process::Stdio::null())
            .status()
            .expect("kpi generate runs");
        assert!(status.success(), "kpi generate --scale medium failed");
        std::fs::write(dir.join(".complete"), "medium\n").expect("write marker");
    }
    dir
}

/// The scorecards of `rules/` that compile to SQL: the business ones (data contract v1.1) use
/// `open_at()`, KPI values and groupings the compiler does not handle yet (docs/scale-out.md).
const COMPILED: [&str; 5] = ["tech_balanced", "service_delivery", "client_health", "intake", "tech_time"];

fn scorecards(case: &Case) -> Vec<String> {
    match case.rules.is_dir() {
        true => COMPILED.iter().map(|s| s.to_string()).collect(),
        false => Vec::new(),
    }
}

fn request(case: &Case, config: &Path) -> Request {
    Request {
        scorecards: scorecards(case),
        rules: vec![case.rules.clone()],
        config: Some(ConfigInput::File(config.to_path_buf())),
        data: Some(DataInput::Dir(case.data.clone())),
        as_of: AsOf::Text(case.as_of.into()),
        from: Some(case.from.parse().expect("date")),
        to: Some(case.to.parse().expect("date")),
        ..Request::default()
    }
}

/// The native results, and the compiled SQL of every scorecard (with the options used).
fn native_and_sql(
    case: &Case,
    dialect: Dialect,
    config: &Path,
) -> (Vec<ScorecardResult>, kpi_hir::Program, SqlOptions, Vec<kpi_sql::CompiledScorecard>) {
    let session = kpi_driver::prepare(&request(case, config)).expect("native evaluation prepares");
    let native = session.evaluate().expect("native evaluation");
    let options = SqlOptions {
        dialect,
        as_of: session.options.as_of,
        from: session.options.from,
        to: session.options.to,
        timezone: session.dataset.timezone,
        holidays: session.options.holidays.clone(),
        params: session.options.params.clone(),
        scorecards: scorecards(case),
        schema: None,
        prefix: String::new(),
        skip_uncompilable: false,
    };
    let compiled = kpi_sql::compile(&session.program, &options).expect("the standard rules compile");
    (native, session.program, options, compiled)
}

/// One CSV line's fields (RFC 4180 quoting).
fn csv_fields(line: &str) -> Vec<String> {
    let (mut fields, mut field, mut quoted, mut chars) =
        (Vec::new(), String::new(), false, line.chars().peekable());
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut field)),
            (c, _) => field.push(c),
        }
    }
    fields.push(field);
    fields
}

/// An engine's CSV output as typed cells (empty is null).
fn read_csv(path: &Path) -> Vec<Vec<Cell>> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|line| {
            csv_fields(line)
                .into_iter()
                .enumerate()
                .map(|(i, f)| {
                    let kpi_column = i.checked_sub(LEADING_COLUMNS).map(|k| k % COLUMNS_PER_KPI);
                    match (f.as_str(), i, kpi_column) {
                        ("", _, _) => Cell::Null,
                        (_, 0, _) | (_, _, Some(3)) => Cell::Int(f.parse().expect("an integer")),
                        (_, 1..=3, _) | (_, _, Some(1)) => Cell::Text(f),
                        _ => Cell::Float(f.parse().unwrap_or_else(|_| panic!("a number: {f}"))),
                    }
                })
                .collect()
        })
        .collect()
}

fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => x == y || (x - y).abs() <= 1e-9 * x.abs().max(y.abs()),
        _ => false,
    }
}

/// Every value, status, attainment, row count and score; returns how many were compared.
///
/// One allowance: a value that lands on its target to the last bits (a mean of 0.9 against
/// `>= 90%`) is 0.9 or 0.8999999999999999 depending on the order its terms were summed, which
/// parallel engines do not fix; its status may then differ, the value still within 1e-9. Such
/// ties are counted and printed, never silently passed.
fn compare(engine: &str, case: &str, native: &[ScorecardResult], sql: &[ScorecardResult]) -> usize {
    let mut wrong = Vec::new();
    let mut ties = Vec::new();
    let mut compared = 0;
    assert_eq!(native.len(), sql.len(), "{engine} {case}: scorecards");
    for (n, s) in native.iter().zip(sql) {
        assert_eq!(n.rows.len(), s.rows.len(), "{engine} {case} {}: rows", n.id);
        for (nr, sr) in n.rows.iter().zip(&s.rows) {
            let at =
                format!("{engine} {case} {} {:?} {:?}", n.id, nr.period.as_ref().map(|p| &p.label), nr.group);
            assert_eq!(
                (&nr.period, &nr.group, &nr.group_name),
                (&sr.period, &sr.group, &sr.group_name),
                "{at}"
            );
            compared += 1;
            if !close(nr.score, sr.score) {
                wrong.push(format!("{at} score: native {:?}, {engine} {:?}", nr.score, sr.score));
            }
            for ((info, nk), sk) in n.kpis.iter().zip(&nr.kpis).zip(&sr.kpis) {
                compared += 4;
                let tie = nk.status != sk.status
                    && close(nk.value, Some(info.target))
                    && close(sk.value, Some(info.target));
                if tie && close(nk.value, sk.value) {
                    ties.push(format!(
                        "{at} {}: native {:?} {:?}, {engine} {:?} {:?}",
                        info.id, nk.value, nk.status, sk.value, sk.status
                    ));
                    continue;
                }
                if !close(nk.value, sk.value)
                    || nk.status != sk.status
                    || !close(nk.attainment, sk.attainment)
                    || nk.rows != sk.rows
                {
                    wrong.push(format!(
                        "{at} {}: native {:?} {:?} {:?} {}, {engine} {:?} {:?} {:?} {}",
                        info.id,
                        nk.value,
                        nk.status,
                        nk.attainment,
                        nk.rows,
                        sk.value,
                        sk.status,
                        sk.attainment,
                        sk.rows
                    ));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} mismatches, e.g.:\n{}",
        wrong.len(),
        wrong[..wrong.len().min(20)].join("\n")
    );
    eprintln!(
        "{engine} {case}: {compared} values agree with the native engine; {} statuses on a target tie differ by summation order{}",
        ties.len(),
        ties.iter().map(|t| format!("\n  {t}")).collect::<String>()
    );
    compared
}

/// Whether `check` succeeds; otherwise skip (or fail under CI) saying what to install.
fn available(engine: &str, check: &mut Command, install: &str) -> bool {
    let ok = check
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        let message = format!("{engine} is not available: {install}");
        assert!(std::env::var_os("CI").is_none(), "{message}");
        eprintln!("SKIPPED: {message}");
    }
    ok
}

fn python_has(module: &str) -> Command {
    let mut c = Command::new("python3");
    c.args(["-c", &format!("import {module}")]);
    c
}

/// Writes every compiled scorecard to `dir/<id>.sql`.
fn write_sql(dir: &Path, compiled: &[kpi_sql::CompiledScorecard]) {
    std::fs::create_dir_all(dir).expect("sql dir");
    for card in compiled {
        std::fs::write(dir.join(format!("{}.sql", card.id)), &card.sql).expect("write sql");
    }
}

/// Reads `out/<id>.csv` of every scorecard back as results.
fn engine_results(
    out: &Path,
    program: &kpi_hir::Program,
    options: &SqlOptions,
    compiled: &[kpi_sql::CompiledScorecard],
) -> Vec<ScorecardResult> {
    compiled
        .iter()
        .map(|card| {
            let rows = read_csv(&out.join(format!("{}.csv", card.id)));
            kpi_sql::assemble(program, options, card, rows).expect("engine rows read back")
        })
        .collect()
}

fn run(command: &mut Command) {
    let out = command.output().expect("runs");
    assert!(out.status.success(), "{:?} failed:\n{}", command, String::from_utf8_lossy(&out.stderr));
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
}

/// Runs `runner` over every case's SQL and compares; `runner` gets (data, sql dir, out dir) triples.
fn agree(engine: &str, dialect: Dialect, runner: impl FnOnce(&[(PathBuf, PathBuf, PathBuf)])) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut prepared = Vec::new();
    let mut jobs = Vec::new();
    for case in cases() {
        let config = tmp.path().join(format!("{}.toml", case.name));
        std::fs::write(&config, format!("{CONFIG}\n{}", case.params)).expect("config");
        let (native, program, options, compiled) = native_and_sql(&case, dialect, &config);
        let (sql, out) =
            (tmp.path().join(format!("{}-sql", case.name)), tmp.path().join(format!("{}-out", case.name)));
        write_sql(&sql, &compiled);
        jobs.push((case.data.clone(), sql, out.clone()));
        prepared.push((case, native, program, options, compiled, out));
    }
    runner(&jobs);
    for (case, native, program, options, compiled, out) in prepared {
        let sql = engine_results(&out, &program, &options, &compiled);
        compare(engine, case.name, &native, &sql);
    }
}

#[test]
fn duckdb_agrees_with_the_native_engine() {
    if !available("DuckDB", &mut python_has("duckdb"), "pip install duckdb") {
        return;
    }
    agree("duckdb", Dialect::DuckDb, |jobs| {
        for (data, sql, out) in jobs {
            run(Command::new("python3")
                .arg(root().join("tests/engines/duckdb_run.py"))
                .args([data, sql, out]));
        }
    });
}

#[test]
fn spark_agrees_with_the_native_engine() {
    if !available("Spark (pyspark)", &mut python_has("pyspark"), "pip install pyspark")
        || !available(
            "Java",
            Command::new("java").arg("-version"),
            "apt-get install -y openjdk-17-jre-headless",
        )
    {
        return;
    }
    agree("spark", Dialect::Spark, |jobs| {
        let mut command = Command::new("python3");
        command.arg(root().join("tests/engines/spark_run.py")).env("SPARK_LOCAL_IP", "127.0.0.1");
        for (data, sql, out) in jobs {
            command.args([data, sql, out]);
        }
        run(&mut command);
    });
}

/// A throwaway PostgreSQL cluster, stopped and removed when dropped.
struct Postgres {
    dir: PathBuf,
}

impl Postgres {
    fn start(dir: PathBuf, data: &Path) -> Postgres {
        run(Command::new(root().join("tests/engines/postgres.sh")).arg("start").arg(&dir).arg(data));
        Postgres { dir }
    }

    fn url(&self) -> String {
        format!("host={} dbname=kpi user=postgres", self.dir.display())
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = Command::new(root().join("tests/engines/postgres.sh")).arg("stop").arg(&self.dir).status();
    }
}

fn postgres_available() -> bool {
    available(
        "PostgreSQL",
        Command::new("bash")
            .args(["-c", "command -v psql && (command -v pg_ctl || ls /usr/lib/postgresql/*/bin/pg_ctl)"]),
        "apt-get install -y postgresql",
    )
}

#[test]
fn postgres_agrees_with_the_native_engine() {
    if !postgres_available() {
        return;
    }
    let base = tempfile::tempdir().expect("tempdir");
    agree("postgres", Dialect::Postgres, |jobs| {
        for (i, (data, sql, out)) in jobs.iter().enumerate() {
            let pg = Postgres::start(base.path().join(format!("pg{i}")), data);
            run(Command::new(root().join("tests/engines/postgres.sh"))
                .arg("query")
                .arg(&pg.dir)
                .arg(sql)
                .arg(out));
        }
    });
}

/// Numbers within 1e-9 relative, everything else equal.
fn json_close(a: &serde_json::Value, b: &serde_json::Value, at: &str, wrong: &mut Vec<String>) {
    use serde_json::Value as V;
    match (a, b) {
        (V::Number(x), V::Number(y)) => {
            if !close(x.as_f64(), y.as_f64()) {
                wrong.push(format!("{at}: {x} vs {y}"));
            }
        }
        (V::Array(x), V::Array(y)) if x.len() == y.len() => {
            x.iter().zip(y).enumerate().for_each(|(i, (x, y))| json_close(x, y, &format!("{at}[{i}]"), wrong))
        }
        (V::Object(x), V::Object(y)) if x.len() == y.len() => {
            for (k, v) in x {
                match y.get(k) {
                    Some(w) => json_close(v, w, &format!("{at}.{k}"), wrong),
                    None => wrong.push(format!("{at}.{k} missing")),
                }
            }
        }
        _ if a == b => {}
        _ => wrong.push(format!("{at}: {a} vs {b}")),
    }
}

#[test]
fn evaluate_on_postgres_renders_the_native_report() {
    if !postgres_available() {
        return;
    }
    let base = tempfile::tempdir().expect("tempdir");
    let demo = root().join("examples/demo");
    let pg = Postgres::start(base.path().join("pg"), &demo);
    let range =
        ["--from", "2026-06-01", "--to", "2026-10-01", "--as-of", "2026-10-01T00:00:00Z", "--format", "json"];
    let kpi = |extra: &[&str]| {
        let cards = COMPILED.iter().flat_map(|id| ["--scorecard", id]);
        let out = Command::new(env!("CARGO_BIN_EXE_kpi"))
            .arg("evaluate")
            .arg(root().join("rules"))
            .args(cards)
            .args(range)
            .args(extra)
            .output()
            .expect("kpi runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).expect("utf-8")
    };
    let native = kpi(&["--data", demo.to_str().expect("path"), "--no-cache"]);
    let url = pg.url();
    let engine = kpi(&["--engine", "postgres", "--db", &url]);
    let (a, b): (serde_json::Value, serde_json::Value) =
        (serde_json::from_str(&native).expect("json"), serde_json::from_str(&engine).expect("json"));
    let mut wrong = Vec::new();
    json_close(&a, &b, "$", &mut wrong);
    assert!(
        wrong.is_empty(),
        "{} differences, e.g.:\n{}",
        wrong.len(),
        wrong[..wrong.len().min(20)].join("\n")
    );
    eprintln!(
        "postgres: the JSON report equals the native one ({} bytes; byte-identical: {})",
        native.len(),
        native == engine
    );
}
