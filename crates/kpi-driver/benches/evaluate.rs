//! Planning and evaluating the standard scorecards (`rules/`, all four) over a generated dataset
//! (20 technicians, 24 months: about 66,000 tickets and 340,000 time entries), loaded once:
//! `plan` compiles every KPI and builds the shared indexes (period buckets, children, row
//! groups); `evaluate` is the whole of `kpi_eval::evaluate`, plan included.
//!
//! `cargo bench -p kpi-driver --bench evaluate`. The `large` dataset is measured end to end by
//! `bench/run.sh` (docs/performance.md); this is the quick loop for work on the engine.
use criterion::{criterion_group, criterion_main, Criterion};
use kpi_data::LoadOptions;
use kpi_eval::{EvalOptions, Params};
use kpi_generate::{generate, GenerateOptions, Scale};
use std::hint::black_box;
use std::path::PathBuf;

fn bench(c: &mut Criterion) {
    let data = tempfile::tempdir().expect("a temporary directory");
    let generated = GenerateOptions { scale: Scale::Technicians(20), ..GenerateOptions::default() };
    generate(data.path(), &generated).expect("generated data");
    let dataset = kpi_data::load(data.path(), &LoadOptions::default()).expect("the dataset loads");

    let rules = kpi_check::load(&[PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../rules")]);
    let checked = kpi_check::check(&rules);
    assert!(!checked.has_errors(), "the standard rules check");
    let program = checked.program;
    let options = EvalOptions {
        include_partial: false,
        as_of: kpi_data::parse_timestamp("2026-10-01T00:00:00Z", kpi_data::Tz::UTC).expect("a timestamp"),
        from: "2024-10-01".parse().ok(),
        to: "2026-10-01".parse().ok(),
        holidays: Default::default(),
        params: Params::defaults(&program),
        scorecards: Vec::new(),
        script_budget: kpi_eval::DEFAULT_SCRIPT_BUDGET,
        plausible: kpi_data::Plausible::ANY,
    };

    let mut group = c.benchmark_group("standard scorecards");
    group.sample_size(20);
    group.bench_function("plan", |b| {
        b.iter(|| black_box(kpi_eval::plan(&program, &dataset, &options).expect("plans")))
    });
    group.bench_function("evaluate", |b| {
        b.iter(|| black_box(kpi_eval::evaluate(&program, &dataset, &options).expect("evaluates").len()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
