//! The loader over blocks and chunks of every size, from memory and from mapped files.
use super::blocks::{BLOCK_BYTES, CHUNK_BYTES};
use super::*;

/// Everything a load gives, as text.
fn shown(files: &[(&str, &str)], options: &LoadOptions, sizes: Sizes) -> String {
    describe(from_memory(files, options, sizes))
}

/// The same, the files written to a directory (regular files, mapped a window at a time).
fn shown_from_files(files: &[(&str, &str)], options: &LoadOptions, sizes: Sizes) -> String {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    describe(load_dir(dir.path(), options, sizes))
}

fn describe(result: Result<Dataset, LoadErrors>) -> String {
    match result {
        Err(e) => format!("errors ({}):\n{e}", e.count()),
        Ok(d) => {
            let mut out = format!("{:?}\n{:?}\n{:?}\n", d.tables, d.warnings, d.skipped_rows);
            for (schema, table) in TABLES.iter().zip(&d.tables) {
                for link in schema.links {
                    out += &format!(
                        "{}.{}: {:?}\n",
                        table.name,
                        link.name,
                        d.link_rows(
                            kpi_schema::TableId::from_name(&table.name).expect("canonical"),
                            link.name
                        )
                    );
                }
            }
            out
        }
    }
}

fn entries(bad: bool) -> String {
    entries_with(bad, bad)
}

/// Time entries with bad values and short rows (`bad`) and duplicate ids (`duplicates`).
fn entries_with(bad: bool, duplicates: bool) -> String {
    let mut s = String::from("\u{feff}id,resource_id,ticket_id,started_at,ended_at,hours,billable,note\r\n");
    for i in 0..3000 {
        let note = match i % 7 {
            0 => "\"multi\nline, \"\"quoted\"\"\"".to_string(),
            1 => String::new(),
            n => format!("n{n}"),
        };
        let hours = if bad && i % 97 == 5 { "1.5h".to_string() } else { format!("{}", i % 4) };
        let id = if duplicates && i % 251 == 7 { "E3".to_string() } else { format!("E{i}") };
        s += &format!(
            "{id},R{},T{},2026-03-02T09:00:00Z,2026-03-02T10:00:00Z,{hours},true,{note}\r\n",
            1 + i % 3,
            i / 3
        );
        if i % 500 == 0 {
            s += "\r\n";
        }
        if bad && i % 700 == 3 {
            s += "E9x,R1\r\n";
        }
    }
    s
}

#[test]
fn blocks_and_chunks_of_any_size_load_the_same() {
    let resources = "id,name\nR1,Ann\nR2,Bob\nR3,Cy\n";
    let mut tickets = String::from("id,created_at\n");
    for t in 0..1000 {
        tickets += &format!("T{t},2026-03-02T09:00:00Z\n");
    }
    for (bad, duplicates) in [(false, false), (true, false), (true, true)] {
        let entries = entries_with(bad, duplicates);
        let files =
            [("resources.csv", resources), ("tickets.csv", tickets.as_str()), ("time_entries.csv", &entries)];
        for skip in [false, true] {
            let options = LoadOptions { skip_bad_rows: skip, ..LoadOptions::default() };
            let want = shown(&files, &options, SIZES);
            let sizes = [(1, 1), (50, 7), (1000, 100), (4096, 4096), (100_000, 1000)];
            // Mapping a window per byte is slow: mapped files start at 50 bytes.
            let both = [false, true].into_iter().flat_map(|m| sizes.map(|s| (m, s)));
            for (mapped, (block, chunk)) in both.filter(|&(m, (b, _))| !m || b > 1) {
                let sizes = Sizes { block, chunk };
                let got = if mapped {
                    shown_from_files(&files, &options, sizes)
                } else {
                    shown(&files, &options, sizes)
                };
                let at = got.bytes().zip(want.bytes()).position(|(a, b)| a != b).unwrap_or(got.len());
                let near = |s: &str| {
                    s.get(at.saturating_sub(200)..(at + 200).min(s.len())).unwrap_or("").to_string()
                };
                assert!(
                    got == want,
                    "bad {bad}, skip {skip}, mapped {mapped}, block {block}, chunk {chunk}: got\n{}\nwant\n{}",
                    near(&got),
                    near(&want)
                );
            }
            // A duplicate id fails the load even with skip_bad_rows: no row of the id is chosen.
            assert_eq!(want.contains("errors"), bad && (!skip || duplicates), "{want}");
        }
    }
}

#[test]
fn invalid_utf8_is_found_in_any_block() {
    let mut entries = entries(false).into_bytes();
    let at = entries.len() - 30;
    entries[at] = 0xF6;
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("resources.csv", b"id,name\nR1,Ann\n".to_vec()),
        ("tickets.csv", b"id,created_at\n".to_vec()),
        ("time_entries.csv", entries),
    ];
    let names = files.iter().map(|(n, _)| n.to_string()).collect::<Vec<_>>();
    let open = |name: &str| -> std::io::Result<Opened<'_>> {
        let (_, b) = files.iter().find(|(n, _)| *n == name).expect("a test file");
        Ok((Input::Reader(Box::new(&b[..])), b.len() as u64))
    };
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in &files {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    for (block, chunk) in [(1, 1), (50, 7), (100_000, 1000), (BLOCK_BYTES, CHUNK_BYTES)] {
        let sizes = Sizes { block, chunk };
        let read = load_with(names.clone(), open, &LoadOptions::default(), sizes, false).unwrap_err();
        // Mapping a window per byte is slow.
        let mapped = (block > 1).then(|| load_dir(dir.path(), &LoadOptions::default(), sizes).unwrap_err());
        for e in std::iter::once(read).chain(mapped) {
            assert_eq!(
                e.to_string(),
                "time_entries.csv:3436: error: invalid UTF-8 (byte 0xF6 at character 38): save the export as UTF-8 (Excel: \"CSV UTF-8\")",
                "block {block}, chunk {chunk}"
            );
        }
    }
}

/// A quote inside an unquoted value (`27" monitor`) is text; it must not flip the chunk
/// splitter's idea of being inside quotes, which would cut a later quoted value in two.
#[test]
fn a_quote_inside_an_unquoted_value_does_not_move_chunk_boundaries() {
    let mut resources = String::from("id,name,note\n");
    for i in 0..200 {
        let note = match i % 5 {
            0 => "27\" monitor".to_string(),
            1 => "\"two\nlines, \"\"quoted\"\"\"".to_string(),
            _ => format!("n{i}"),
        };
        resources += &format!("R{i},Name {i},{note}\n");
    }
    let tickets = "id,created_at\n";
    let entries = "id,resource_id,started_at,ended_at,hours,billable\n";
    let files =
        [("resources.csv", resources.as_str()), ("tickets.csv", tickets), ("time_entries.csv", entries)];
    let want = shown(&files, &LoadOptions::default(), SIZES);
    assert!(!want.starts_with("errors"), "{want}");
    for chunk in [1, 7, 30, 64, 100, 1000] {
        for skip in [false, true] {
            let options = LoadOptions { skip_bad_rows: skip, ..LoadOptions::default() };
            let got = shown(&files, &options, Sizes { block: 4096, chunk });
            assert!(got == want, "chunk {chunk}, skip {skip}:\n{}", &got[..got.len().min(600)]);
        }
    }
}

#[test]
fn a_survey_without_a_resource_counts_for_its_tickets_technician() {
    let resources = "id,name,active\nR1,Ann,true\nR2,Bob,true\n";
    let tickets = "id,client_id,assigned_resource_id,created_at,status,priority,ticket_type\n\
                   T1,C1,R1,2026-03-02T09:00:00Z,New,P1,incident\n\
                   T2,C1,R2,2026-03-02T09:00:00Z,New,P1,incident\n\
                   T3,C1,,2026-03-02T09:00:00Z,New,P1,incident\n";
    let clients = "id,name\nC1,Acme\n";
    let resource = |d: &Dataset| {
        let t = d.table(kpi_schema::TableId::Surveys);
        let crate::ColumnData::Text(c) = &t.column("resource_id").unwrap().data else { panic!("text") };
        (0..t.len).map(|r| c.get(r).map(str::to_string)).collect::<Vec<_>>()
    };
    // A column with nulls: the null of a ticket with a technician is filled, a given one kept.
    let surveys = "id,ticket_id,resource_id,responded_at,score\n\
                   S1,T1,,2026-03-04T00:00:00Z,4\nS2,T1,R2,2026-03-04T00:00:00Z,5\nS3,T3,,2026-03-04T00:00:00Z,5\n";
    let files = [
        ("resources.csv", resources),
        ("clients.csv", clients),
        ("tickets.csv", tickets),
        ("time_entries.csv", "id,resource_id,ticket_id,started_at,ended_at,hours,billable\n"),
        ("surveys.csv", surveys),
    ];
    let d = load_from_memory(&files, &LoadOptions::default()).unwrap();
    assert_eq!(resource(&d), [Some("R1".into()), Some("R2".into()), None]);
    assert_eq!(d.link_rows(kpi_schema::TableId::Surveys, "resource"), [0, 1, u32::MAX]);
    let w: Vec<String> = d.warnings.iter().map(|w| w.to_string()).collect();
    assert!(w.iter().any(|w| w.contains("1 survey has no resource_id: it counts for its ticket's")), "{w:?}");
    // No column at all: every survey takes its ticket's technician.
    let files = [
        files[0],
        files[1],
        files[2],
        files[3],
        (
            "surveys.csv",
            "id,ticket_id,responded_at,score\nS1,T2,2026-03-04T00:00:00Z,4\nS2,T1,2026-03-04T00:00:00Z,5\n",
        ),
    ];
    let d = load_from_memory(&files, &LoadOptions::default()).unwrap();
    assert_eq!(resource(&d), [Some("R2".into()), Some("R1".into())]);
}

#[test]
fn a_profiles_extra_columns_are_typed_and_mapped_without_regard_to_case() {
    let profile = crate::Profile::from_toml(
        r#"
[tickets.extra]
sla = { from = ["SLA Met", "sla_met"], type = "bool", values = { "Met" = "true", "Not met" = "false" } }
reassignments = { type = "number", null = "n/a" }
closed = { type = "timestamp", format = "%d/%m/%Y %H:%M" }
note = { type = "text", values = { "x" = "cross" } }
"#,
        "p.toml",
    )
    .unwrap();
    let tickets = "id,client_id,assigned_resource_id,created_at,status,priority,ticket_type,SLA Met,reassignments,closed,note\n\
                   T1,C1,R1,2026-03-02T09:00:00Z,New,P1,incident,MET,2,28/02/2026 16:03,X\n\
                   T2,C1,R1,2026-03-02T09:00:00Z,New,P1,incident,not met,N/A,,y\n\
                   T3,C1,R1,2026-03-02T09:00:00Z,New,P1,incident,maybe,1.5,01/03/2026 00:00,\n";
    let files = [
        ("resources.csv", "id,name\nR1,Ann\n"),
        ("clients.csv", "id,name\nC1,Acme\n"),
        ("tickets.csv", tickets),
        ("time_entries.csv", "id,resource_id,ticket_id,started_at,ended_at,hours,billable\n"),
    ];
    let options = LoadOptions { profile: Some(profile), ..LoadOptions::default() };
    let d = load_from_memory(&files, &options).unwrap();
    let t = d.table(kpi_schema::TableId::Tickets);
    let col = |name: &str| t.column(name).unwrap_or_else(|| panic!("{name}"));
    let valid = |name: &str| (0..t.len).map(|r| col(name).is_valid(r)).collect::<Vec<_>>();
    assert!(matches!(&col("sla").data, crate::ColumnData::Bool(v) if v[..2] == [true, false]));
    assert_eq!(valid("sla"), [true, true, false]);
    assert!(matches!(&col("reassignments").data, crate::ColumnData::Number(v) if v[0] == 2.0 && v[2] == 1.5));
    assert_eq!(valid("reassignments"), [true, false, true]);
    let crate::ColumnData::Timestamp(closed) = &col("closed").data else { panic!("timestamp") };
    assert_eq!(crate::format_timestamp(closed[0]), "2026-02-28T16:03:00Z");
    assert_eq!(valid("closed"), [true, false, true]);
    let crate::ColumnData::Text(note) = &col("note").data else { panic!("text") };
    assert_eq!((note.get(0), note.get(1), note.get(2)), (Some("cross"), Some("y"), None));
    assert!(col("sla").custom && t.loaded("SLA Met").is_none(), "the source header is read as the extra");
    let w: Vec<String> = d.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(
        w[1..],
        ["tickets.csv:4: warning: extra column `sla`: `maybe` is not a bool (true/false, yes/no, 1/0; map others with `values`); read as null"]
    );
    // An extra may not shadow a canonical column.
    let err =
        crate::Profile::from_toml("[tickets.extra]\nqueue = { type = \"text\" }\n", "p.toml").unwrap_err();
    assert!(err.to_string().contains("is a canonical column of `tickets`"), "{err}");
}
