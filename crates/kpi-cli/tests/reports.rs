//! The client reports of `kpi evaluate` on the demo data, through the built binary: the HTML
//! report opened in headless Chromium (a screenshot, no console errors, every scorecard title in
//! the DOM, nothing fetched), and the Excel workbook read back with calamine (every value of the
//! JSON output in its sheets, the chart parts in the zip, the same bytes on every run).
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";
/// Chromium is killed after this long.
const CHROMIUM_DEADLINE: Duration = Duration::from_secs(60);

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repository root")
}

fn evaluate(extra: &[&str]) -> Output {
    let mut args = vec!["evaluate", "rules", "--data", "examples/demo", "--as-of", "2026-10-01T00:00:00Z"];
    args.extend(extra);
    let out =
        Command::new(env!("CARGO_BIN_EXE_kpi")).args(&args).current_dir(repo()).output().expect("kpi runs");
    assert!(out.status.success(), "kpi {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// Write the demo report in `format` to `dir/name` and return its path.
fn report(dir: &Path, format: &str, name: &str) -> PathBuf {
    let path = dir.join(name);
    evaluate(&["--format", format, "--output", path.to_str().expect("UTF-8 temp path")]);
    path
}

/// The scorecards of the JSON output, whatever its top-level shape (v1: an object or an array;
/// v2: `{"version": 2, "scorecards": [...]}`).
fn json_scorecards() -> Vec<serde_json::Value> {
    let out = evaluate(&["--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON output");
    match json {
        serde_json::Value::Array(cards) => cards,
        serde_json::Value::Object(ref o) if o.contains_key("scorecards") => {
            o["scorecards"].as_array().expect("scorecards").clone()
        }
        card => vec![card],
    }
}

/// Run chromium headless on `page` with `action` flags; `None` when it is not installed.
/// Returns (stdout, stderr).
fn chromium(page: &Path, profile: &Path, action: &[&str]) -> Option<(String, String)> {
    if !Path::new(CHROMIUM).exists() {
        println!("chromium not found: install Debian's chromium package (.ci/run does)");
        assert!(std::env::var_os("CI").is_none(), "chromium not found: install Debian's chromium package");
        return None;
    }
    let mut command = Command::new(CHROMIUM);
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(action)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("chromium starts");
    // Read both pipes on threads, so that a chatty chromium never blocks on a full pipe.
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    loop {
        if child.try_wait().expect("wait for chromium").is_some() {
            break;
        }
        if started.elapsed() > CHROMIUM_DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium took over {CHROMIUM_DEADLINE:?}: killed");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Some((out.join().expect("stdout reader"), err.join().expect("stderr reader")))
}

/// Console messages chromium logged (our page has no script: any is a problem, such as a
/// resource that failed to load).
fn console_errors(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught")).collect()
}

#[test]
fn html_report_renders_in_headless_chromium() {
    let dir = tempfile::tempdir().expect("temp dir");
    let page = report(dir.path(), "html", "report.html");
    let shot = dir.path().join("report.png");
    let profile = tempfile::tempdir().expect("profile dir");
    let screenshot = format!("--screenshot={}", shot.display());
    let Some((_, stderr)) = chromium(&page, profile.path(), &[&screenshot, "--window-size=1280,2000"]) else {
        return;
    };
    assert_eq!(console_errors(&stderr), Vec::<&str>::new(), "console errors");
    let png = std::fs::read(&shot).expect("chromium wrote the screenshot");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    let (width, height) = (
        u32::from_be_bytes(png[16..20].try_into().unwrap()),
        u32::from_be_bytes(png[20..24].try_into().unwrap()),
    );
    assert_eq!((width, height), (1280, 2000));
    // A blank 1280x2000 page compresses to a few kilobytes; the report is charts and tables.
    assert!(png.len() > 50_000, "screenshot of {} bytes looks empty", png.len());

    let profile = tempfile::tempdir().expect("profile dir");
    let (dom, stderr) = chromium(&page, profile.path(), &["--dump-dom"]).expect("chromium ran once already");
    assert_eq!(console_errors(&stderr), Vec::<&str>::new(), "console errors");
    for card in json_scorecards() {
        let title = card["title"].as_str().expect("title");
        assert!(dom.contains(&format!("<h2>{title}</h2>")), "no heading for {title} in the DOM");
    }
    assert!(dom.matches("<svg class=\"trend\"").count() >= 18, "a trend chart per KPI with periods");
}

#[test]
fn html_report_references_nothing_on_the_network() {
    let dir = tempfile::tempdir().expect("temp dir");
    let html = std::fs::read_to_string(report(dir.path(), "html", "report.html")).expect("report");
    for needle in
        ["src=\"http", "href=\"http", "src='http", "href='http", "<script src", "<link", "@import", "url("]
    {
        assert!(!html.contains(needle), "the report references `{needle}`");
    }
    // The SVG namespace is a name, not a fetch; nothing else may name a URL.
    let urls = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    assert!(!urls.contains("http://") && !urls.contains("https://"), "a URL in the report");
    assert!(html.starts_with("<!DOCTYPE html>"));
}

/// Every cell of every sheet: numbers and texts.
fn workbook_cells(path: &Path) -> (Vec<String>, Vec<f64>, Vec<String>) {
    use calamine::{open_workbook, Data, Reader, Xlsx};
    let mut book: Xlsx<_> = open_workbook(path).expect("calamine opens the workbook");
    let names = book.sheet_names().to_vec();
    let (mut numbers, mut texts) = (Vec::new(), Vec::new());
    for name in &names {
        let range = book.worksheet_range(name).expect("sheet");
        for cell in range.used_cells() {
            match cell.2 {
                Data::Float(x) => numbers.push(*x),
                Data::Int(i) => numbers.push(*i as f64),
                Data::String(s) => texts.push(s.clone()),
                _ => {}
            }
        }
    }
    (names, numbers, texts)
}

#[test]
fn xlsx_holds_every_value_of_the_json_output() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = report(dir.path(), "xlsx", "scorecards.xlsx");
    let (sheets, mut numbers, texts) = workbook_cells(&path);
    numbers.sort_by(f64::total_cmp);
    let found = |x: f64| {
        let i = numbers.partition_point(|&n| n < x - 1e-9);
        numbers.get(i).is_some_and(|&n| (n - x).abs() <= 1e-9)
    };
    let cards = json_scorecards();
    for name in ["Summary", "Charts", "Values", "Definitions"] {
        assert!(sheets.iter().any(|s| s == name), "no {name} sheet in {sheets:?}");
    }
    let mut checked = 0;
    for card in &cards {
        let id = card["scorecard"].as_str().expect("id");
        assert!(sheets.iter().any(|s| s == id), "no sheet for {id}");
        for row in card["rows"].as_array().expect("rows") {
            if let Some(score) = row["score"].as_f64() {
                assert!(found(score), "{id}: score {score} not in the workbook");
            }
            for kpi in row["kpis"].as_array().expect("kpis") {
                for field in ["value", "attainment", "weight"] {
                    if let Some(x) = kpi[field].as_f64() {
                        assert!(found(x), "{id}/{}: {field} {x} not in the workbook", kpi["id"]);
                        checked += 1;
                    }
                }
                let target = kpi["target"]["value"].as_f64().expect("target");
                assert!(found(target), "{id}/{}: target {target} not in the workbook", kpi["id"]);
                let status = kpi["status"].as_str().expect("status");
                assert!(texts.iter().any(|t| t == status));
            }
        }
    }
    assert!(checked > 1000, "only {checked} values checked");

    let zip = std::fs::read(&path).expect("workbook");
    let charts: usize = cards
        .iter()
        .filter(|c| c["grain"] != "snapshot")
        .map(|c| c["rows"][0]["kpis"].as_array().map_or(0, Vec::len))
        .sum();
    for n in 1..=charts {
        let part = format!("xl/charts/chart{n}.xml");
        assert!(zip.windows(part.len()).any(|w| w == part.as_bytes()), "no {part} in the workbook");
    }
}

#[test]
fn xlsx_is_byte_identical_across_runs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = std::fs::read(report(dir.path(), "xlsx", "a.xlsx")).expect("first");
    let second = std::fs::read(report(dir.path(), "xlsx", "b.xlsx")).expect("second");
    assert!(first == second, "two renders of the same inputs differ");
    let html_a = std::fs::read(report(dir.path(), "html", "a.html")).expect("html");
    let html_b = std::fs::read(report(dir.path(), "html", "b.html")).expect("html");
    assert!(html_a == html_b, "two HTML reports of the same inputs differ");
}
