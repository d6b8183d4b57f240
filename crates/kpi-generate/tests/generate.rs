//! `kpi generate`: deterministic output that loads cleanly, and the committed demo dataset.
use kpi_data::{load, ColumnData, LoadOptions};
use kpi_generate::{generate, GenerateOptions, Scale};
use std::path::Path;

#[test]
fn same_seed_same_bytes_and_loads_without_warnings() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let options = GenerateOptions { seed: 7, scale: Scale::Small, ..GenerateOptions::default() };
    generate(a.path(), &options).unwrap();
    generate(b.path(), &options).unwrap();
    for f in ["resources.csv", "clients.csv", "tickets.csv", "time_entries.csv", "surveys.csv"] {
        assert_eq!(std::fs::read(a.path().join(f)).unwrap(), std::fs::read(b.path().join(f)).unwrap(), "{f}");
    }
    let d = load(a.path(), &LoadOptions::default()).unwrap();
    assert!(d.warnings.is_empty(), "{:?}", &d.warnings[..d.warnings.len().min(5)]);
    let tickets = d.table(kpi_data::TableId::Tickets);
    assert!(tickets.len > 1500, "{}", tickets.len);
    let ColumnData::Text(types) = &tickets.column("ticket_type").unwrap().data else { panic!() };
    for t in ["incident", "service_request", "problem", "change_request", "alert", "project", "maintenance"] {
        assert!(types.code_of(t).is_some(), "{t}");
    }
    // Nothing happens at or after the end of the data.
    let ColumnData::Timestamp(created) = &tickets.column("created_at").unwrap().data else { panic!() };
    assert!(created.iter().all(|&t| t < kpi_generate::DEFAULT_END * 1_000_000));
}

#[test]
fn committed_demo_is_the_seed_1_small_dataset() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo");
    let fresh = tempfile::tempdir().unwrap();
    generate(fresh.path(), &GenerateOptions::default()).unwrap();
    for f in ["resources.csv", "clients.csv", "tickets.csv", "time_entries.csv", "surveys.csv"] {
        let committed = std::fs::read(demo.join(f)).unwrap();
        assert!(
            committed == std::fs::read(fresh.path().join(f)).unwrap(),
            "examples/demo/{f} is stale: regenerate it with `kpi generate --out examples/demo --seed 1`"
        );
    }
    let d = load(&demo, &LoadOptions::default()).unwrap();
    let resources = d.table(kpi_data::TableId::Resources);
    let ColumnData::Bool(active) = &resources.column("active").unwrap().data else { panic!() };
    assert!(active.contains(&false));
    let ColumnData::Int(endpoints) = &d.table(kpi_data::TableId::Clients).column("endpoints").unwrap().data
    else {
        panic!()
    };
    assert!(endpoints.contains(&0));
    let ColumnData::Text(status) = &d.table(kpi_data::TableId::Tickets).column("status").unwrap().data else {
        panic!()
    };
    for s in ["Complete", "New", "In Progress", "Waiting Customer", "On Hold"] {
        assert!(status.code_of(s).is_some(), "{s}");
    }
}

#[test]
fn scale_names() {
    assert_eq!("small".parse::<Scale>(), Ok(Scale::Small));
    assert_eq!("42".parse::<Scale>(), Ok(Scale::Technicians(42)));
    assert!("huge".parse::<Scale>().unwrap_err().contains("not a scale"));
}

#[test]
fn timestamps_read_back_as_written() {
    // The generator formats timestamps itself; the loader must read each back to the same text.
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), &GenerateOptions { seed: 3, ..GenerateOptions::default() }).unwrap();
    let entries = std::fs::read_to_string(dir.path().join("time_entries.csv")).unwrap();
    let mut seen = 0;
    for line in entries.lines().skip(1) {
        for cell in line.split(',').filter(|c| c.ends_with('Z')) {
            let t = kpi_data::parse_timestamp(cell, kpi_data::Tz::UTC).unwrap();
            assert_eq!(kpi_data::format_timestamp(t), cell);
            seen += 1;
        }
    }
    assert!(seen > 10_000, "{seen}");
}
