//! Fixture files at the repository's top level, one snapshot per file and stage:
//! `tests/fixtures/ok/*.kpi` -> the AST and a summary of the checked program (no errors);
//! `tests/fixtures/err/*.kpi` -> every rendered diagnostic.
use kpi_check::{Checked, Rules};
use kpi_hir::{AggSource, KpiDef, Placement, Program, Scoring, TKind};
use kpi_syntax::{codes, Diagnostic, FileId};
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// `insta::glob!` paths are absolute; the loader shows paths as given, so give it one relative to
/// this crate (the test's working directory), then show it relative to the repository.
fn relative(path: &Path) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repository root");
    let inside = path
        .canonicalize()
        .expect("fixture path")
        .strip_prefix(&root)
        .expect("inside the repository")
        .to_path_buf();
    Path::new("../..").join(inside)
}

fn load_and_check(paths: &[PathBuf]) -> (Rules, Checked) {
    let rules = kpi_check::load(paths);
    let checked = kpi_check::check(&rules);
    (rules, checked)
}

/// Every diagnostic rendered without colour, as `kpi check` prints them, then a count.
fn render_all(rules: &Rules, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        out.push_str(&d.render(&rules.sources, false));
        out.push('\n');
    }
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let _ = writeln!(out, "errors: {errors}, warnings: {}", diagnostics.len() - errors);
    out.replace("../../tests/", "tests/")
}

/// What the checker made of the rules, one line per param, scorecard and KPI.
fn summary(program: &Program) -> String {
    let mut out = String::new();
    for p in &program.params {
        let _ = writeln!(out, "param {}: {} = {:?}", p.name, p.ty.describe(), p.default);
    }
    for s in &program.scorecards {
        let per = s.group_by.map_or("(none)", |g| g.name());
        let root = if s.root { "" } else { " (imported)" };
        let _ = writeln!(out, "scorecard {} {:?}: {} per {per}{root}", s.id, s.title, s.grain.name());
        for k in &s.kpis {
            kpi_summary(&mut out, k);
        }
    }
    out
}

fn kpi_summary(out: &mut String, k: &KpiDef) {
    let placement = match &k.population.placement {
        Placement::All => "all rows".to_string(),
        Placement::By(column) => format!("by {column}"),
        Placement::OpenAt(instant) => format!("open at {}", instant.name()),
    };
    let filter = if k.population.filter.is_some() { ", filtered" } else { "" };
    let _ = writeln!(out, "  kpi {} {:?}: {} {placement}{filter}", k.id, k.title, k.population.table.name);
    let target = match &k.target.value.kind {
        TKind::Param(name) => format!("param {name}"),
        _ => constant(&k.target.value),
    };
    let scoring = match &k.scoring {
        Scoring::Attainment => "attainment".to_string(),
        Scoring::PassFail => "pass_fail".to_string(),
        Scoring::Bands(points) => {
            let points: Vec<String> =
                points.iter().map(|(v, a)| format!("{} => {}", constant(v), constant(a))).collect();
            format!("bands [{}]", points.join(", "))
        }
    };
    let min_rows = k.min_rows.as_ref().map_or_else(String::new, |m| format!(", min_rows {}", constant(m)));
    let _ = writeln!(
        out,
        "    value {} ({}), target {} {target}, weight {}, {scoring}{min_rows}",
        k.unit.name(),
        levels(&k.value),
        k.target.op.symbol(),
        constant(&k.weight),
    );
    if let Some(first) = k.description.lines().next() {
        let _ = writeln!(out, "    /// {first}");
    }
}

fn constant(e: &kpi_hir::TExpr) -> String {
    match kpi_hir::eval_const(e, &|_| None) {
        Some(kpi_hir::Value::Number(x)) => format!("{x}"),
        Some(v) => format!("{v:?}"),
        None => match &e.kind {
            TKind::Param(name) => format!("param {name}"),
            _ => "?".into(),
        },
    }
}

/// The sources the value aggregates: the population, other tables, built-ins.
fn levels(e: &kpi_hir::TExpr) -> String {
    fn walk(e: &kpi_hir::TExpr, out: &mut BTreeSet<String>) {
        match &e.kind {
            TKind::Aggregate { source: AggSource::Population, agg, .. } => {
                out.insert(format!("{agg:?}").to_lowercase());
            }
            TKind::Aggregate { source: AggSource::Table(t), agg, .. } => {
                out.insert(format!("{} of {}", format!("{agg:?}").to_lowercase(), t.name));
            }
            TKind::Builtin(b) => {
                out.insert(format!("{b:?}"));
            }
            TKind::List(items) | TKind::Call(_, items) => items.iter().for_each(|i| walk(i, out)),
            TKind::Unary(_, inner) | TKind::IsNull { expr: inner, .. } => walk(inner, out),
            TKind::Binary(_, l, r) => {
                walk(l, out);
                walk(r, out);
            }
            _ => {}
        }
    }
    let mut found = BTreeSet::new();
    walk(e, &mut found);
    found.into_iter().collect::<Vec<_>>().join(", ")
}

#[test]
fn ok_fixtures() {
    insta::glob!("../../../tests/fixtures", "ok/*.kpi", |path| {
        let text = std::fs::read_to_string(path).expect("fixture");
        let (module, parse_diags) = kpi_syntax::parse(FileId(0), &text);
        assert!(parse_diags.is_empty(), "{parse_diags:#?}");
        insta::assert_snapshot!("ast", module.to_string());

        let (rules, checked) = load_and_check(&[relative(path)]);
        assert!(checked.diagnostics.is_empty(), "{}", render_all(&rules, &checked.diagnostics));
        insta::assert_snapshot!("check", summary(&checked.program));
    });
}

#[test]
fn err_fixtures() {
    insta::glob!("../../../tests/fixtures", "err/*.kpi", |path| {
        let (rules, checked) = load_and_check(&[relative(path)]);
        assert!(checked.has_errors() || !checked.diagnostics.is_empty(), "no diagnostics");
        // A fixture named after a code must produce that code.
        let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        if let Some(code) = name.split('_').next().filter(|c| c.len() == 5) {
            assert!(checked.diagnostics.iter().any(|d| d.code == code), "{name} does not report {code}");
        }
        insta::assert_snapshot!(render_all(&rules, &checked.diagnostics));
    });
}

/// Every code of `kpi_syntax::codes` has a fixture that reports it.
#[test]
fn every_code_has_a_fixture() {
    let source = include_str!("../../kpi-syntax/src/diagnostic.rs");
    let all: BTreeSet<&str> =
        source.lines().filter_map(|l| l.trim().strip_prefix("pub const ")?.split('"').nth(1)).collect();
    assert!(all.len() > 25, "{all:?}");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/err");
    let mut seen = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).expect("err fixtures") {
        let path = entry.expect("entry").path();
        let (_, checked) = load_and_check(&[path]);
        seen.extend(checked.diagnostics.iter().map(|d| d.code));
    }
    seen.insert(codes::UNREADABLE); // from `unreadable_paths`: only paths named on the command line
    let missing: Vec<&&str> = all.iter().filter(|c| !seen.contains(**c)).collect();
    assert!(missing.is_empty(), "codes without a fixture: {missing:?}");
}

/// The ten mistakes of `ten_mistakes.kpi`: ten errors, each at its line and column.
#[test]
fn ten_mistakes_are_all_reported_where_they_are() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/err/ten_mistakes.kpi");
    let (rules, checked) = load_and_check(&[path]);
    let found: Vec<(String, usize, usize)> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| {
            let p = d.primary.as_ref().expect("a location");
            let (line, col) = rules.sources.line_col(p.file, p.span.start);
            (d.code.to_string(), line, col)
        })
        .collect();
    let expected = [
        ("E0106", 6, 10),  // period monthly
        ("E0101", 9, 12),  // from time_entry
        ("E0102", 17, 12), // priorty
        ("E0203", 19, 15), // a ratio with a target in hours
        ("E0201", 25, 12), // a timestamp compared with a number
        ("E0202", 26, 12), // hours + a ratio
        ("E0103", 34, 15), // mtr_target
        ("E0105", 40, 12), // cont()
        ("E0100", 42, 12), // weight = 10
        ("E0104", 45, 7),  // use utilisation
    ];
    let expected: Vec<(String, usize, usize)> =
        expected.iter().map(|(c, l, col)| (c.to_string(), *l, *col)).collect();
    assert_eq!(found, expected);
    assert_eq!(found.len(), 10);
    assert!(checked.diagnostics.iter().all(|d| d.help.is_some()), "every mistake has a help line");
}

/// Paths on the command line that cannot be read: E0003, with no source to show.
#[test]
fn unreadable_paths() {
    let fixtures = Path::new("../../tests/fixtures");
    let (rules, checked) =
        load_and_check(&[fixtures.join("imports/empty_dir"), fixtures.join("imports/does_not_exist.kpi")]);
    assert!(checked.diagnostics.iter().all(|d| d.code == codes::UNREADABLE));
    let rendered = render_all(&rules, &checked.diagnostics);
    // The OS error text differs between systems; keep the part before it.
    let stable: String =
        rendered.lines().map(|l| l.split(": No such").next().unwrap_or(l)).collect::<Vec<_>>().join("\n");
    insta::assert_snapshot!(stable, @r"
    error[E0003]: cannot read `tests/fixtures/imports/does_not_exist.kpi`
      = help: check the path; rules are .kpi files or directories of them

    error[E0003]: no .kpi files in `tests/fixtures/imports/empty_dir`
      = help: name a .kpi file or a directory that holds some

    errors: 2, warnings: 0
    ");
}

/// The standard rules: clean, and what they define.
#[test]
fn standard_rules() {
    let (rules, checked) = load_and_check(&[PathBuf::from("../../rules")]);
    assert!(checked.diagnostics.is_empty(), "{}", render_all(&rules, &checked.diagnostics));
    insta::assert_snapshot!(summary(&checked.program));
}
