//! Parse and check time of named, realistic rule sets: one typical scorecard file with the file it
//! imports, and every standard rule file.
//!
//! Measured (`cargo bench -p kpi-check --bench check -- --quick`, 2 shared and busy cores, so
//! wall times vary by +-30 %; callgrind instruction counts of the parse are the steady measure):
//!
//! | tech_balanced + common | before the grammar rework | after |
//! |---|---|---|
//! | parse only (callgrind) | 4.0 M instructions | 2.9 M instructions |
//! | parse only | ~0.70-0.95 ms | ~0.45-0.70 ms |
//! | parse+check | ~0.65-1.0 ms | ~0.5-0.8 ms |
//! | check only | ~0.05 ms | ~0.05 ms |
//!
//! Most of what is left is pest's own cost per rule, sequence, repetition and lookahead call (a
//! native stack probe, attempt tracking for error messages, the token queue).
use criterion::{criterion_group, criterion_main, Criterion};
use kpi_syntax::FileId;
use std::hint::black_box;
use std::path::{Path, PathBuf};

fn rules_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules")
}

/// The texts of some rule files, read once: the bench measures parsing and checking, not the disk.
fn texts(names: &[&str]) -> Vec<(String, String)> {
    names
        .iter()
        .map(|name| (name.to_string(), std::fs::read_to_string(rules_dir().join(name)).expect("rule file")))
        .collect()
}

/// Parse every text and check them together, as `kpi check` does after reading the files.
fn parse_and_check(files: &[(String, String)]) -> usize {
    let rules = parsed_rules(files);
    let checked = kpi_check::check(&rules);
    assert!(!checked.has_errors());
    checked.program.scorecards.len()
}

fn parsed_rules(files: &[(String, String)]) -> kpi_check::Rules {
    let mut rules = kpi_check::Rules::default();
    for (path, text) in files {
        let file = rules.sources.add(path.as_str(), text.as_str());
        let (module, diags) = kpi_syntax::parse(file, text);
        rules.diagnostics.extend(diags);
        rules.modules.push(kpi_check::load::LoadedModule { file, module, root: true });
    }
    rules
}

fn bench(c: &mut Criterion) {
    let typical = texts(&["tech_balanced.kpi", "common.kpi"]);
    c.bench_function("parse+check tech_balanced.kpi + common.kpi", |b| {
        b.iter(|| parse_and_check(black_box(&typical)))
    });
    // The two halves, to see where the time goes.
    c.bench_function("parse only tech_balanced.kpi + common.kpi", |b| {
        b.iter(|| {
            typical
                .iter()
                .map(|(_, text)| kpi_syntax::parse(FileId(0), black_box(text)).0.items.len())
                .sum::<usize>()
        })
    });
    let parsed = parsed_rules(&typical);
    c.bench_function("check only tech_balanced.kpi + common.kpi", |b| {
        b.iter(|| kpi_check::check(black_box(&parsed)).program.scorecards.len())
    });

    let mut names: Vec<String> = std::fs::read_dir(rules_dir())
        .expect("rules/")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".kpi"))
        .collect();
    names.sort();
    let all = texts(&names.iter().map(String::as_str).collect::<Vec<_>>());
    c.bench_function("parse+check rules/ (all files)", |b| b.iter(|| parse_and_check(black_box(&all))));

    c.bench_function("load+check rules/ from disk", |b| {
        b.iter(|| kpi_check::check(&kpi_check::load(black_box(&[rules_dir()]))).program.scorecards.len())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
