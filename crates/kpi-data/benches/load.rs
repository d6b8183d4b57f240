//! Load time of a generated dataset (10 technicians, 24 months: about 33,000 tickets and
//! 170,000 time entries, 25 MB of CSV): parsing every column, parsing only the columns the
//! standard scorecards read, and a hit of the columnar cache.
//!
//! `cargo bench -p kpi-data --bench load`. The whole `large` dataset is measured end to end by
//! `bench/run.sh` (docs/performance.md); this is the quick loop for work on the loader.
use criterion::{criterion_group, criterion_main, Criterion};
use kpi_data::{load, load_cached, CacheOptions, CacheOutcome, LoadOptions, Projection};
use kpi_generate::{generate, GenerateOptions, Scale};
use std::hint::black_box;

/// Roughly the columns `rules/` reads (the exact set is `kpi_eval::columns_read`).
fn standard_projection() -> Projection {
    let mut p = Projection::new();
    let mut add = |table: &str, columns: &[&str]| {
        p.insert(table.to_string(), columns.iter().map(|c| c.to_string()).collect());
    };
    add(
        "time_entries",
        &["resource_id", "ticket_id", "started_at", "ended_at", "hours", "billable", "created_at"],
    );
    add(
        "tickets",
        &[
            "created_at",
            "completed_at",
            "status",
            "priority",
            "queue",
            "ticket_type",
            "source",
            "estimated_hours",
        ],
    );
    add("resources", &["id", "name", "team", "hours_per_day", "active"]);
    add("clients", &["id", "name", "endpoints"]);
    p
}

fn bench(c: &mut Criterion) {
    let data = tempfile::tempdir().expect("a temporary directory");
    let options = GenerateOptions { scale: Scale::Technicians(10), ..GenerateOptions::default() };
    generate(data.path(), &options).expect("generated data");
    let all = LoadOptions::default();
    let projected = LoadOptions { columns: Some(standard_projection()), ..LoadOptions::default() };

    let mut group = c.benchmark_group("load");
    group.sample_size(10);
    group.bench_function("csv, every column", |b| {
        b.iter(|| black_box(load(data.path(), &all).unwrap().tables.len()))
    });
    group.bench_function("csv, standard projection", |b| {
        b.iter(|| black_box(load(data.path(), &projected).unwrap().tables.len()))
    });
    let cache_dir = tempfile::tempdir().expect("a temporary directory");
    let cache = CacheOptions { dir: cache_dir.path().to_path_buf(), min_bytes: 0 };
    load_cached(data.path(), &projected, &cache).expect("the cache is written");
    group.bench_function("cache hit, standard projection", |b| {
        b.iter(|| {
            let (d, outcome) = load_cached(data.path(), &projected, &cache).unwrap();
            assert_eq!(outcome, CacheOutcome::Hit);
            black_box(d.tables.len())
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
