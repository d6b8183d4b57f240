//! The architecture invariants of docs/architecture.md, kept by tests: which crate may depend on
//! which (read from `cargo metadata`, every kind of dependency), and which crates do no I/O.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Each crate of the workspace and the workspace crates it may depend on (normal, build and dev
/// dependencies alike). Stages depend only on the stages before them; only the driver and the
/// CLI see the whole pipeline.
const ALLOWED: &[(&str, &[&str])] = &[
    ("kpi-schema", &[]),
    ("kpi-script", &[]),
    ("kpi-syntax", &[]),
    ("kpi-hir", &["kpi-schema", "kpi-script"]),
    ("kpi-check", &["kpi-schema", "kpi-script", "kpi-syntax", "kpi-hir"]),
    ("kpi-data", &["kpi-schema"]),
    ("kpi-generate", &["kpi-schema", "kpi-data"]),
    ("kpi-eval", &["kpi-schema", "kpi-script", "kpi-hir", "kpi-data"]),
    ("kpi-report", &["kpi-schema", "kpi-hir", "kpi-data", "kpi-eval"]),
    ("kpi-sql", &["kpi-schema", "kpi-script", "kpi-hir", "kpi-data", "kpi-eval"]),
    (
        "kpi-driver",
        &[
            "kpi-schema",
            "kpi-script",
            "kpi-syntax",
            "kpi-hir",
            "kpi-check",
            "kpi-data",
            "kpi-eval",
            "kpi-generate",
        ],
    ),
    (
        "kpi-lsp",
        &["kpi-schema", "kpi-script", "kpi-syntax", "kpi-hir", "kpi-check", "kpi-eval", "kpi-driver"],
    ),
    (
        "kpi-cli",
        &[
            "kpi-schema",
            "kpi-script",
            "kpi-syntax",
            "kpi-hir",
            "kpi-check",
            "kpi-data",
            "kpi-eval",
            "kpi-report",
            "kpi-sql",
            "kpi-driver",
            "kpi-generate",
            "kpi-lsp",
        ],
    ),
];

/// Tests and benchmarks of any crate may use the synthetic dataset generator.
const ANY_DEV: &[&str] = &["kpi-generate"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Workspace crate -> the workspace crates it names as dependencies of any kind.
fn workspace_edges() -> BTreeMap<String, BTreeSet<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
        .current_dir(root())
        .output()
        .expect("cargo metadata runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let metadata: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata is JSON");
    let packages = metadata["packages"].as_array().expect("packages");
    let names: BTreeSet<String> =
        packages.iter().map(|p| p["name"].as_str().expect("name").to_string()).collect();
    packages
        .iter()
        .map(|p| {
            let deps = p["dependencies"]
                .as_array()
                .expect("dependencies")
                .iter()
                .filter(|d| {
                    !(d["kind"] == "dev" && ANY_DEV.contains(&d["name"].as_str().unwrap_or_default()))
                })
                .map(|d| d["name"].as_str().expect("dependency name").to_string())
                .filter(|d| names.contains(d))
                .collect();
            (p["name"].as_str().expect("name").to_string(), deps)
        })
        .collect()
}

fn forbidden_edges(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut wrong = Vec::new();
    for (krate, deps) in edges {
        let Some(ok) = allowed.get(krate.as_str()) else {
            wrong.push(format!(
                "{krate} is not in the invariants: add it to ALLOWED and to docs/architecture.md"
            ));
            continue;
        };
        for dep in deps {
            if !ok.contains(&dep.as_str()) {
                wrong.push(format!("{krate} -> {dep}"));
            }
        }
    }
    wrong
}

#[test]
fn crates_depend_only_on_the_stages_before_them() {
    let wrong = forbidden_edges(&workspace_edges());
    assert!(wrong.is_empty(), "dependencies the architecture forbids:\n  {}", wrong.join("\n  "));
}

#[test]
fn a_forbidden_edge_is_caught() {
    let mut edges = workspace_edges();
    edges.get_mut("kpi-eval").expect("kpi-eval").insert("kpi-syntax".into());
    assert_eq!(forbidden_edges(&edges), ["kpi-eval -> kpi-syntax"]);
}

/// Architecture invariant: the syntax, the checked program, the evaluator and the reports do no
/// I/O and never print: they take values and return values. Reading files is the job of
/// kpi-check's loader, kpi-data and the driver; writing, of the CLI.
#[test]
fn the_pure_stages_do_no_io() {
    const PURE: &[&str] = &["kpi-syntax", "kpi-hir", "kpi-eval", "kpi-report", "kpi-sql"];
    const IO: &[&str] = &[
        "std::fs",
        "fs::",
        "File::open",
        "File::create",
        "OpenOptions",
        "println!",
        "eprintln!",
        "print!(",
        "eprint!(",
        "stdout()",
        "stderr()",
    ];
    let mut found = Vec::new();
    for krate in PURE {
        let mut files = Vec::new();
        sources(&root().join("crates").join(krate).join("src"), &mut files);
        for file in files {
            let text = std::fs::read_to_string(&file).expect("read source");
            // Unit tests at the end of a file may print and read fixtures.
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            for (n, line) in code.lines().enumerate() {
                let line = line.trim_start();
                if line.starts_with("//") {
                    continue;
                }
                if let Some(what) = IO.iter().find(|io| line.contains(*io)) {
                    found.push(format!("{}:{}: {what}", file.display(), n + 1));
                }
            }
        }
    }
    assert!(found.is_empty(), "I/O in a stage that must do none:\n  {}", found.join("\n  "));
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("list sources") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("tests.rs") {
            out.push(path);
        }
    }
}

/// No source file outside tests over 800 lines, so that each file has one job.
#[test]
fn no_source_file_is_over_800_lines() {
    let mut files = Vec::new();
    sources(&root().join("crates"), &mut files);
    let long: Vec<String> = files
        .iter()
        .filter(|f| !f.components().any(|c| c.as_os_str() == "tests" || c.as_os_str() == "benches"))
        .filter_map(|f| {
            let lines = std::fs::read_to_string(f).expect("read").lines().count();
            (lines > 800).then(|| format!("{} ({lines} lines)", f.display()))
        })
        .collect();
    assert!(long.is_empty(), "split these by job:\n  {}", long.join("\n  "));
}

/// No function outside tests over 120 lines (rustfmt's layout: a `fn` line and the `}` at its
/// indentation), so that each function does one thing.
#[test]
fn no_function_is_over_120_lines() {
    let mut files = Vec::new();
    sources(&root().join("crates"), &mut files);
    let mut long = Vec::new();
    for file in files
        .iter()
        .filter(|f| !f.components().any(|c| c.as_os_str() == "tests" || c.as_os_str() == "benches"))
    {
        let text = std::fs::read_to_string(file).expect("read");
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let lines: Vec<&str> = code.lines().collect();
        for (start, line) in lines.iter().enumerate() {
            let trimmed = line.trim_start();
            let is_fn = ["fn ", "pub fn ", "pub(crate) fn ", "const fn ", "pub const fn ", "unsafe fn "]
                .iter()
                .any(|p| trimmed.starts_with(p));
            if !is_fn || trimmed.ends_with(';') {
                continue;
            }
            let close = format!("{}}}", &line[..line.len() - trimmed.len()]);
            if let Some(len) = lines[start..].iter().position(|l| *l == close) {
                if len + 1 > 120 {
                    long.push(format!("{}:{} ({} lines)", file.display(), start + 1, len + 1));
                }
            }
        }
    }
    assert!(long.is_empty(), "split these functions:\n  {}", long.join("\n  "));
}
