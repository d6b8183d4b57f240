//! The columnar cache: a hit gives the same dataset; a stale or corrupt cache is rebuilt, never trusted.
use kpi_data::{
    cache_path, load, load_cached, load_cached_later, CacheOptions, CacheOutcome, Cached, ColumnData,
    Dataset, LoadOptions,
};
use std::path::Path;

const RESOURCES: &str = "id,name,team,hours_per_day,active\nR1,Ann,Desk,8,true\n\nR2,Bob,NOC,,false\n";
const TICKETS: &str = "id,client_id,assigned_resource_id,created_at,completed_at,queue,estimated_hours\n\
T1,C1,R1,2026-03-02T09:00:00Z,2026-03-02T10:00:00Z,Triage,1.5\n\
T2,C9,R2,2026-03-03 08:00,,,\n\
T3,C1,R9,2026-03-04T08:00:00Z,2026-03-01T08:00:00Z,Desk,2\n";
const ENTRIES: &str = "id,resource_id,ticket_id,started_at,ended_at,hours,billable,created_at,note\n\
E1,R1,T1,2026-03-02T09:00:00Z,2026-03-02T09:30:00Z,0.5,true,,first\n\
E2,R2,T1,2026-03-02T09:30:00Z,2026-03-02T09:00:00Z,-1,no,2026-03-02T10:00:00Z,\n";

fn dataset_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("resources.csv"), RESOURCES).unwrap();
    std::fs::write(dir.path().join("tickets.csv"), TICKETS).unwrap();
    std::fs::write(dir.path().join("time_entries.csv"), ENTRIES).unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a table").unwrap();
    dir
}

/// Everything a consumer can see of a dataset, as text.
fn shape(d: &Dataset) -> String {
    let mut out = format!("{:?} {:?} {:?} {:?}\n", d.timezone, d.skipped_rows, d.warnings, d.other_files);
    for t in &d.tables {
        out.push_str(&format!(
            "{} {} {} {:?}\n",
            t.name,
            t.present,
            t.len,
            kpi_schema::TableId::from_name(&t.name).and_then(|id| d.file_of(id))
        ));
        let lines: Vec<Option<usize>> = (0..t.len).map(|r| d.line_of(&t.name, r)).collect();
        out.push_str(&format!("  lines {lines:?}\n"));
        for c in &t.columns {
            out.push_str(&format!("  {} {} {:?} {:?}\n", c.name, c.custom, c.data, c.valid));
        }
    }
    out.push_str(&format!("{:?}\n", d.link_rows(kpi_schema::TableId::TimeEntries, "ticket")));
    out.push_str(&format!("{:?}\n", d.link_rows(kpi_schema::TableId::Tickets, "resource")));
    out
}

fn options() -> LoadOptions {
    LoadOptions::default()
}

fn cached(dir: &Path, cache: &CacheOptions) -> (Dataset, CacheOutcome) {
    load_cached(dir, &options(), cache).unwrap()
}

fn setup() -> (tempfile::TempDir, tempfile::TempDir, CacheOptions) {
    let data = dataset_dir();
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = CacheOptions { dir: cache_dir.path().to_path_buf(), min_bytes: 0 };
    (data, cache_dir, cache)
}

#[test]
fn a_hit_gives_the_same_dataset() {
    let (data, _c, cache) = setup();
    let fresh = load(data.path(), &options()).unwrap();
    let (first, outcome) = cached(data.path(), &cache);
    assert!(matches!(outcome, CacheOutcome::Rebuilt(_)), "{outcome:?}");
    let (second, outcome) = cached(data.path(), &cache);
    assert_eq!(outcome, CacheOutcome::Hit);
    assert_eq!(shape(&fresh), shape(&first));
    assert_eq!(shape(&fresh), shape(&second));
    // Lookups by id work on a dataset read from the cache (its hash index is built on demand).
    assert_eq!(second.table(kpi_schema::TableId::Tickets).row_of_id("T3"), Some(2));
    let ColumnData::Text(queue) = &second.table(kpi_schema::TableId::Tickets).column("queue").unwrap().data
    else {
        panic!()
    };
    assert_eq!(queue.code_of("Desk"), Some(1));
}

#[test]
fn load_options_key_the_cache() {
    let (data, _c, cache) = setup();
    cached(data.path(), &cache);
    let ny = LoadOptions { timezone: "America/New_York".parse().unwrap(), ..options() };
    let (d, outcome) = load_cached(data.path(), &ny, &cache).unwrap();
    assert!(matches!(outcome, CacheOutcome::Rebuilt(_)), "{outcome:?}");
    assert_eq!(shape(&d), shape(&load(data.path(), &ny).unwrap()));
    assert_ne!(cache_path(data.path(), &ny, &cache), cache_path(data.path(), &options(), &cache));
    assert_eq!(cached(data.path(), &cache).1, CacheOutcome::Hit);
}

#[test]
fn a_touched_file_with_the_same_bytes_keeps_the_cache() {
    let (data, _c, cache) = setup();
    cached(data.path(), &cache);
    let file = std::fs::File::options().write(true).open(data.path().join("tickets.csv")).unwrap();
    file.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(60)).unwrap();
    assert_eq!(cached(data.path(), &cache).1, CacheOutcome::Hit);
}

#[test]
fn a_changed_file_rebuilds_the_cache() {
    let (data, _c, cache) = setup();
    cached(data.path(), &cache);
    // Same size, new mtime, other bytes.
    let edited = TICKETS.replace("Triage", "Triagf");
    std::fs::write(data.path().join("tickets.csv"), &edited).unwrap();
    let file = std::fs::File::options().write(true).open(data.path().join("tickets.csv")).unwrap();
    file.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(60)).unwrap();
    let (d, outcome) = cached(data.path(), &cache);
    assert!(matches!(&outcome, CacheOutcome::Rebuilt(r) if r.contains("tickets.csv")), "{outcome:?}");
    assert_eq!(shape(&d), shape(&load(data.path(), &options()).unwrap()));
    // Other size.
    std::fs::write(data.path().join("tickets.csv"), TICKETS.replace("Triage", "Triage2")).unwrap();
    let (_, outcome) = cached(data.path(), &cache);
    assert!(matches!(&outcome, CacheOutcome::Rebuilt(r) if r.contains("size")), "{outcome:?}");
    // A new file in the directory (it may be a table).
    std::fs::write(data.path().join("surveys.csv"), "id,responded_at,score\nS1,2026-03-02T09:00:00Z,4\n")
        .unwrap();
    let (d, outcome) = cached(data.path(), &cache);
    assert!(matches!(outcome, CacheOutcome::Rebuilt(_)), "{outcome:?}");
    assert!(d.table(kpi_schema::TableId::Surveys).present);
}

#[test]
fn a_corrupt_cache_is_rebuilt_never_trusted() {
    let (data, _c, cache) = setup();
    let (fresh, _) = cached(data.path(), &cache);
    let path = cache_path(data.path(), &options(), &cache);
    let good = std::fs::read(&path).unwrap();
    let mut cases: Vec<(String, Vec<u8>)> = vec![
        ("empty".into(), Vec::new()),
        ("truncated".into(), good[..good.len() / 2].to_vec()),
        ("one byte short".into(), good[..good.len() - 1].to_vec()),
        ("one byte more".into(), [&good[..], &[0]].concat()),
    ];
    let mut version = good.clone();
    version[8] ^= 0xFF;
    cases.push(("other format version".into(), version));
    // Flip one bit at many places: header, column blobs, meta.
    for at in (0..good.len()).step_by((good.len() / 97).max(1)) {
        let mut bad = good.clone();
        bad[at] ^= 0x10;
        cases.push((format!("bit flipped at {at}"), bad));
    }
    for (what, bytes) in cases {
        std::fs::write(&path, &bytes).unwrap();
        let (d, outcome) = cached(data.path(), &cache);
        assert!(matches!(outcome, CacheOutcome::Rebuilt(_)), "{what}: {outcome:?}");
        assert_eq!(shape(&d), shape(&fresh), "{what}");
        assert_eq!(std::fs::read(&path).unwrap(), good, "{what}: rewritten");
    }
}

/// `good` with its meta section replaced by `meta`, the header's length and checksum made to agree.
fn with_meta(good: &[u8], meta: &[u8]) -> Vec<u8> {
    let offset = u64::from_le_bytes(good[16..24].try_into().unwrap()) as usize;
    let mut bytes = [&good[..offset], meta].concat();
    bytes[24..32].copy_from_slice(&(meta.len() as u64).to_le_bytes());
    bytes[32..40].copy_from_slice(&xxhash_rust::xxh3::xxh3_64(meta).to_le_bytes());
    bytes
}

#[test]
fn meta_that_does_not_decode_is_rebuilt_never_trusted() {
    let (data, _c, cache) = setup();
    let (fresh, _) = cached(data.path(), &cache);
    let path = cache_path(data.path(), &options(), &cache);
    let good = std::fs::read(&path).unwrap();
    let offset = u64::from_le_bytes(good[16..24].try_into().unwrap()) as usize;
    let meta = &good[offset..];
    let mut cases: Vec<(String, Vec<u8>)> = vec![
        ("no meta".into(), Vec::new()),
        ("meta cut short".into(), meta[..meta.len() / 2].to_vec()),
        ("meta one byte short".into(), meta[..meta.len() - 1].to_vec()),
        ("meta with a byte more".into(), [meta, &[0]].concat()),
        ("meta of 0xFF".into(), vec![0xFF; meta.len()]),
    ];
    let cut = cases.len();
    // Every third byte of the meta changed in turn, with a checksum that agrees: lengths, counts, tags
    // and blob ids out of range must be caught by the decoder or the checks after it, never
    // panic. (A forged checksum over a changed name or warning may still be a hit.)
    for at in (0..meta.len()).step_by(3) {
        let mut bad = meta.to_vec();
        bad[at] ^= if at % 2 == 0 { 0xFF } else { 0x01 };
        cases.push((format!("meta byte {at} changed"), bad));
    }
    for (i, (what, meta)) in cases.into_iter().enumerate() {
        std::fs::write(&path, with_meta(&good, &meta)).unwrap();
        let (d, outcome) = cached(data.path(), &cache);
        if outcome == CacheOutcome::Hit && i >= cut {
            continue;
        }
        assert!(matches!(outcome, CacheOutcome::Rebuilt(_)), "{what}: {outcome:?}");
        assert_eq!(shape(&d), shape(&fresh), "{what}");
        assert_eq!(std::fs::read(&path).unwrap(), good, "{what}: rewritten");
    }
}

#[test]
fn small_datasets_and_load_errors_are_not_cached() {
    let data = dataset_dir();
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = CacheOptions { dir: cache_dir.path().to_path_buf(), min_bytes: 1 << 20 };
    let (_, outcome) = cached(data.path(), &cache);
    assert!(matches!(outcome, CacheOutcome::NotCached(_)), "{outcome:?}");
    assert!(!cache_path(data.path(), &options(), &cache).exists());
    std::fs::write(data.path().join("tickets.csv"), "id,created_at\nT1,yesterday\n").unwrap();
    let cache = CacheOptions { min_bytes: 0, ..cache };
    assert!(load_cached(data.path(), &options(), &cache).is_err());
    assert!(!cache_path(data.path(), &options(), &cache).exists());
}

fn projected(columns: &[(&str, &str)]) -> LoadOptions {
    let mut p = kpi_data::Projection::new();
    for (t, c) in columns {
        p.entry(t.to_string()).or_default().insert(c.to_string());
    }
    LoadOptions { columns: Some(p), ..options() }
}

fn names(d: &Dataset, table: &str) -> Vec<String> {
    d.table_named(table).expect("a canonical table").columns.iter().map(|c| c.name.clone()).collect()
}

#[test]
fn a_projected_cache_serves_the_columns_it_holds_and_widens_for_others() {
    let (data, _c, cache) = setup();
    let queue = projected(&[("tickets", "queue")]);
    let hours = projected(&[("time_entries", "hours"), ("tickets", "estimated_hours")]);
    let load = |o: &LoadOptions| load_cached(data.path(), o, &cache).unwrap();
    assert!(matches!(load(&queue).1, CacheOutcome::Rebuilt(_)));
    let (d, outcome) = load(&queue);
    assert_eq!(outcome, CacheOutcome::Hit);
    // What was asked for, the keys links need and the required columns (always validated).
    assert_eq!(names(&d, "tickets"), ["id", "client_id", "assigned_resource_id", "created_at", "queue"]);
    assert_eq!(
        names(&d, "time_entries"),
        ["id", "resource_id", "ticket_id", "started_at", "ended_at", "hours", "billable", "project_id"]
    );
    assert_eq!(d.link_rows(kpi_schema::TableId::TimeEntries, "ticket"), [0, 0]);
    // Other columns: rebuilt holding both sets, so neither evicts the other.
    let (_, outcome) = load(&hours);
    assert!(matches!(&outcome, CacheOutcome::Rebuilt(r) if r.contains("lacks columns")), "{outcome:?}");
    assert_eq!(load(&hours).1, CacheOutcome::Hit);
    assert_eq!(load(&queue).1, CacheOutcome::Hit);
    // Every column: rebuilt once more, then everything hits, with the same data as a fresh load.
    assert!(matches!(load(&options()).1, CacheOutcome::Rebuilt(_)));
    let (all, outcome) = load(&options());
    assert_eq!(outcome, CacheOutcome::Hit);
    assert_eq!(shape(&all), shape(&kpi_data::load(data.path(), &options()).unwrap()));
    assert_eq!(load(&hours).1, CacheOutcome::Hit);
}

fn queue_of(d: &Dataset, row: usize) -> String {
    let ColumnData::Text(q) = &d.table(kpi_schema::TableId::Tickets).column("queue").unwrap().data else {
        panic!()
    };
    q.get(row).unwrap_or("").to_string()
}

/// A file replaced between the parse and the cache write (an export tool renaming a new file
/// into place): the cache holds what was parsed, stamped as such, so the next run sees a file
/// other than the one cached and parses it.
#[test]
fn a_file_replaced_between_the_parse_and_the_cache_write_is_parsed_again() {
    let (data, _c, cache) = setup();
    let (parsed, later) = load_cached_later(data.path(), &options(), &cache).unwrap();
    assert_eq!(queue_of(&parsed, 0), "Triage");
    let Cached::Pending(write) = later else { panic!("nothing to write") };
    // Same size, other bytes, written beside and renamed into place.
    let tickets = data.path().join("tickets.csv");
    std::fs::write(data.path().join("tickets.new"), TICKETS.replace("Triage", "Triagf")).unwrap();
    std::fs::rename(data.path().join("tickets.new"), &tickets).unwrap();
    assert!(matches!(write.write(&parsed), CacheOutcome::Rebuilt(_)));
    let (d, outcome) = cached(data.path(), &cache);
    assert!(matches!(&outcome, CacheOutcome::Rebuilt(r) if r.contains("tickets.csv")), "{outcome:?}");
    assert_eq!(queue_of(&d, 0), "Triagf");
    assert_eq!(cached(data.path(), &cache).1, CacheOutcome::Hit);

    // Rewritten in place (same size, same inode), its modification time set back.
    std::fs::remove_file(cache_path(data.path(), &options(), &cache)).unwrap();
    let (parsed, later) = load_cached_later(data.path(), &options(), &cache).unwrap();
    assert_eq!(queue_of(&parsed, 0), "Triagf");
    let Cached::Pending(write) = later else { panic!("nothing to write") };
    let mtime = std::fs::metadata(&tickets).unwrap().modified().unwrap();
    std::fs::write(&tickets, TICKETS).unwrap();
    std::fs::File::options().write(true).open(&tickets).unwrap().set_modified(mtime).unwrap();
    assert!(matches!(write.write(&parsed), CacheOutcome::Rebuilt(_)));
    let (d, outcome) = cached(data.path(), &cache);
    assert!(matches!(&outcome, CacheOutcome::Rebuilt(r) if r.contains("tickets.csv")), "{outcome:?}");
    assert_eq!(queue_of(&d, 0), "Triage");
}

/// Temporary files that killed runs left in the cache directory are removed by the next write;
/// a fresh one of a live process is left alone.
#[test]
fn temporary_files_of_killed_runs_are_cleaned_up() {
    let (data, c, cache) = setup();
    let name =
        cache_path(data.path(), &options(), &cache).file_name().unwrap().to_string_lossy().into_owned();
    // A process id above Linux's maximum (2^22) never runs; one of a live process, made old.
    let dead = c.path().join(format!(".{name}.4194305.tmp"));
    let live = c.path().join(format!(".other.kpicache.{}.tmp", std::process::id()));
    std::fs::write(&dead, "half a cache").unwrap();
    let old_live = c.path().join(".old.kpicache.1.tmp");
    std::fs::write(&old_live, "half a cache").unwrap();
    std::fs::File::options()
        .write(true)
        .open(&old_live)
        .unwrap()
        .set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(3600))
        .unwrap();
    std::fs::write(&live, "being written").unwrap();
    let unrelated = c.path().join("notes.tmp");
    std::fs::write(&unrelated, "not ours").unwrap();
    assert!(matches!(cached(data.path(), &cache).1, CacheOutcome::Rebuilt(_)));
    if cfg!(target_os = "linux") {
        assert!(!dead.exists(), "a dead process's file is removed");
    }
    assert!(!old_live.exists(), "a file untouched for an hour is removed");
    assert!(live.exists(), "a fresh file of a live process stays");
    assert!(unrelated.exists(), "files not of the cache stay");
}

/// Every I/O error of the cache names the path it concerns.
#[test]
fn cache_io_errors_name_the_path() {
    let (data, c, _) = setup();
    // The cache directory is a file: nothing can be written under it.
    let blocker = c.path().join("not-a-dir");
    std::fs::write(&blocker, "").unwrap();
    let cache = CacheOptions { dir: blocker.join("kpi"), min_bytes: 0 };
    let (_, outcome) = cached(data.path(), &cache);
    let CacheOutcome::NotCached(why) = &outcome else { panic!("{outcome:?}") };
    assert!(why.contains(&blocker.join("kpi").display().to_string()), "{why}");
    // No cache yet: the reason names where it was looked for.
    let cache = CacheOptions { dir: c.path().join("fresh"), min_bytes: 0 };
    let (_, outcome) = cached(data.path(), &cache);
    let CacheOutcome::Rebuilt(why) = &outcome else { panic!("{outcome:?}") };
    assert!(why.contains(&cache_path(data.path(), &options(), &cache).display().to_string()), "{why}");
}
