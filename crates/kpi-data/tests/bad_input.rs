//! Bad input: every error names file:line:column, the value and what was expected; warnings keep rows.
use kpi_data::{load, load_from_memory, Dataset, LoadErrors, LoadOptions};

const RESOURCES: &str = "id,name\nR1,Ann\nR2,Bob\n";
const TICKETS: &str = "id,created_at,client_id\nT1,2026-03-02T09:00:00Z,\nT2,2026-03-03T09:00:00Z,\n";
const ENTRIES: &str = "id,resource_id,ticket_id,started_at,ended_at,hours,billable\nE1,R1,T1,2026-03-02T09:00:00Z,2026-03-02T10:00:00Z,1,true\n";

fn run(files: &[(&str, &str)], options: &LoadOptions) -> Result<Dataset, LoadErrors> {
    let mut all: Vec<(&str, &str)> =
        vec![("resources.csv", RESOURCES), ("tickets.csv", TICKETS), ("time_entries.csv", ENTRIES)];
    for (name, text) in files {
        all.retain(|(n, _)| n != name);
        if !text.is_empty() || !name.starts_with('-') {
            all.push((name, text));
        }
    }
    all.retain(|(n, _)| !files.iter().any(|(f, _)| f.strip_prefix('-') == Some(n)));
    load_from_memory(&all, options)
}

fn errors(files: &[(&str, &str)]) -> String {
    match run(files, &LoadOptions::default()) {
        Ok(_) => panic!("expected errors"),
        Err(e) => e.to_string(),
    }
}

fn warnings(files: &[(&str, &str)]) -> Vec<String> {
    run(files, &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{e}"))
        .warnings
        .iter()
        .map(|w| w.to_string())
        .collect()
}

#[test]
fn bad_value_names_file_line_column_header_value_and_type() {
    let entries = "id,resource_id,started_at,ended_at,hours,billable\nE1,R1,2026-03-02T09:00:00Z,2026-03-02T10:00:00Z,1.5h,maybe\n";
    assert_eq!(
        errors(&[("time_entries.csv", entries)]),
        "time_entries.csv:2:5: error: column `hours`: invalid number `1.5h`: expected a number like 1.5 (`.` as decimal separator)\n\
         time_entries.csv:2:6: error: column `billable`: invalid bool `maybe`: expected a boolean: true/false, yes/no or 1/0"
    );
}

#[test]
fn line_is_the_record_start_line() {
    let resources = "id,name\nR1,\"multi\nline\"\nR2,Bob\nR2,Dup\n";
    let e = errors(&[("resources.csv", resources)]);
    assert!(
        e.starts_with("resources.csv:5:1: error: column `id`: duplicate id `R2` (first on line 4); "),
        "{e}"
    );
}

#[test]
fn missing_required_column() {
    let entries = "id,resource_id,started_at,ended_at,billable\n";
    assert_eq!(
        errors(&[("time_entries.csv", entries)]),
        "time_entries.csv:1: error: missing required column `hours`; the header has `id`, `resource_id`, `started_at`, `ended_at`, `billable`"
    );
    let resources = "Id,Name\n";
    assert_eq!(
        errors(&[("resources.csv", resources)]),
        "resources.csv:1: error: missing required column `id`; found `Id`: header names are case-sensitive; the header has `Id`, `Name`\n\
         resources.csv:1: error: missing required column `name`; found `Name`: header names are case-sensitive; the header has `Id`, `Name`"
    );
}

#[test]
fn missing_required_value() {
    let tickets = "id,created_at\nT1,\n,2026-03-02T09:00:00Z\n";
    assert_eq!(
        errors(&[("tickets.csv", tickets)]),
        "tickets.csv:2:2: error: column `created_at`: missing value (the column is required)\n\
         tickets.csv:3:1: error: column `id`: missing value (the column is required)"
    );
}

#[test]
fn missing_required_table_and_ambiguous_files() {
    assert_eq!(
        errors(&[("-tickets.csv", "")]),
        "tickets.csv: error: missing required table `tickets`: expected a file `tickets.csv` (or `tickets.jsonl`)"
    );
    assert_eq!(
        errors(&[("tickets.jsonl", "{}")]),
        "tickets.csv: error: both `tickets.csv` and `tickets.jsonl` exist: keep one file per table"
    );
}

#[test]
fn all_errors_are_listed_up_to_a_cap() {
    let mut entries = String::from("id,resource_id,started_at,ended_at,hours,billable\n");
    for i in 0..70 {
        entries.push_str(&format!("E{i},R1,2026-03-02T09:00:00Z,2026-03-02T10:00:00Z,x,1\n"));
    }
    let err = run(&[("time_entries.csv", &entries)], &LoadOptions::default()).unwrap_err();
    assert_eq!(err.count(), 70);
    assert_eq!(err.errors.len(), 50);
    assert_eq!(err.more, 20);
    let text = err.to_string();
    assert!(text.starts_with("time_entries.csv:2:5: error: column `hours`: invalid number `x`"), "{text}");
    assert!(text.ends_with("\n... and 20 more errors"), "{text}");
}

#[test]
fn errors_in_several_files_are_all_listed() {
    let text = errors(&[("resources.csv", "id,name\nR1,\n"), ("tickets.csv", "id,created_at\nT1,never\n")]);
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.starts_with("resources.csv:2:2:"), "{text}");
    assert!(text.contains("\ntickets.csv:2:2:"), "{text}");
}

#[test]
fn skip_bad_rows_leaves_them_out_and_counts_them() {
    let entries = "id,resource_id,started_at,ended_at,hours,billable\nE1,R1,2026-03-02T09:00:00Z,2026-03-02T10:00:00Z,x,1\nE2,R1,2026-03-02T09:00:00Z,2026-03-02T10:00:00Z,2,1\nE3,R1,2026-03-02T09:00:00Z,2026-03-02T10:00:00Z,3,1.5\nE4,R1\n";
    let options = LoadOptions { skip_bad_rows: true, ..LoadOptions::default() };
    let d = run(
        &[("time_entries.csv", entries), ("tickets.csv", "id,created_at\nT1,bad\nT2,2026-03-02T09:00:00Z\n")],
        &options,
    )
    .unwrap();
    assert_eq!(d.table(kpi_schema::TableId::TimeEntries).len, 1);
    assert_eq!(d.skipped("time_entries"), 3);
    assert_eq!(d.skipped("tickets"), 1);
    assert_eq!(d.skipped_rows.len(), 2);
    let w: Vec<String> = d.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(
        w,
        vec![
            "tickets.csv:2: warning: row left out: field 2, column `created_at`: invalid timestamp `bad`: expected a timestamp: RFC 3339 (2026-03-02T09:30:00Z, 2026-03-02T09:30:00-05:00) or YYYY-MM-DD HH:MM[:SS]",
            "time_entries.csv:2: warning: row left out: field 5, column `hours`: invalid number `x`: expected a number like 1.5 (`.` as decimal separator)",
            "time_entries.csv:4: warning: row left out: field 6, column `billable`: invalid bool `1.5`: expected a boolean: true/false, yes/no or 1/0",
            "time_entries.csv:5: warning: row left out: field 3, column `started_at`: the row has 2 fields but the header has 6 (a truncated line?)",
        ]
    );
    // File-level problems still fail with skip_bad_rows.
    assert!(run(&[("tickets.csv", "id\n")], &options).is_err());
}

#[test]
fn warnings_keep_the_row() {
    let tickets = "id,created_at,client_id,first_response_at,completed_at,resolved_due\nT1,2026-03-02T09:00:00Z,C9,2026-03-02T08:00:00Z,2026-03-01T00:00:00Z,2026-03-02T09:00:00Z\nT2,2026-03-03T09:00:00Z,C1,,,\n";
    let entries = "id,resource_id,ticket_id,started_at,ended_at,hours,billable\nE1,R7,T9,2026-03-02T09:00:00Z,2026-03-02T08:00:00Z,-1,true\n";
    let d = run(
        &[("tickets.csv", tickets), ("time_entries.csv", entries), ("clients.csv", "id,name\nC1,Acme\n")],
        &LoadOptions::default(),
    )
    .unwrap();
    assert_eq!(d.table(kpi_schema::TableId::Tickets).len, 2);
    assert_eq!(d.table(kpi_schema::TableId::TimeEntries).len, 1);
    let w: Vec<String> = d.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(
        w,
        vec![
            "tickets.csv:2: warning: client_id `C9` is not an id in clients.csv (the row is kept)",
            "time_entries.csv:2: warning: resource_id `R7` is not an id in resources.csv (the row is kept)",
            "time_entries.csv:2: warning: ticket_id `T9` is not an id in tickets.csv (the row is kept)",
            "tickets.csv:2: warning: completed_at 2026-03-01T00:00:00Z is before created_at 2026-03-02T09:00:00Z",
            "tickets.csv:2: warning: first_response_at 2026-03-02T08:00:00Z is before created_at 2026-03-02T09:00:00Z",
            "time_entries.csv:2: warning: ended_at 2026-03-02T08:00:00Z is before started_at 2026-03-02T09:00:00Z",
            "time_entries.csv:2: warning: negative hours -1",
        ]
    );
}

#[test]
fn many_warnings_are_summarised() {
    let mut entries = String::from("id,resource_id,started_at,ended_at,hours,billable\n");
    for i in 0..25 {
        entries.push_str(&format!("E{i},R1,2026-03-02T09:00:00Z,2026-03-02T10:00:00Z,-1,1\n"));
    }
    let w = warnings(&[("time_entries.csv", &entries)]);
    assert_eq!(w.len(), 21);
    assert_eq!(w[20], "time_entries.csv: warning: 5 more rows with negative hours");
}

#[test]
fn empty_file() {
    assert_eq!(
        errors(&[("tickets.csv", "")]),
        "tickets.csv: error: the file is empty (0 bytes): expected a header row naming the columns (at least id, created_at)"
    );
}

#[test]
fn header_only_file_is_fine() {
    let w = warnings(&[("time_entries.csv", "id,resource_id,started_at,ended_at,hours,billable\n")]);
    assert_eq!(w, vec!["time_entries.csv: warning: the file has a header but no rows"]);
}

#[test]
fn another_delimiter_is_detected() {
    // A header of one field holding `;` or tabs: the file is read again with the delimiter found.
    for resources in ["id;name\nR1;Ann\n", "id\tname\nR1\tAnn\n"] {
        let d = run(&[("resources.csv", resources)], &LoadOptions::default()).unwrap();
        assert_eq!(d.table(kpi_schema::TableId::Resources).row_of_id("R1"), Some(0));
    }
    // Its errors still name the file and its own lines.
    let e = errors(&[("resources.csv", "id;name\nR1;Ann\nR1;Bob\n")]);
    assert!(
        e.starts_with("resources.csv:3:1: error: column `id`: duplicate id `R1` (first on line 2)"),
        "{e}"
    );
}

#[test]
fn truncated_last_line() {
    assert_eq!(
        errors(&[("resources.csv", "id,name\nR1,Ann\nR2,\"Bo")]),
        "resources.csv:3:2: error: column `name`: unterminated quoted field: the file ends inside quotes (truncated export?)"
    );
    assert_eq!(
        errors(&[("time_entries.csv", "id,resource_id,started_at,ended_at,hours,billable\nE1,R1,2026-03-02T09:00:00Z,2026-03-0")]),
        "time_entries.csv:2:5: error: column `hours`: the row has 4 fields but the header has 6 (a truncated line?)"
    );
    assert_eq!(
        errors(&[("resources.csv", "id,name\nR1,Ann,extra\n")]),
        "resources.csv:2:3: error: the row has 3 fields but the header has 2 (an unquoted `,` inside a value?)"
    );
}

#[test]
fn invalid_utf8() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("resources.csv"), b"id,name\nR1,Ann\nR2,Bj\xF6rn\n").unwrap();
    std::fs::write(dir.path().join("tickets.csv"), TICKETS).unwrap();
    std::fs::write(dir.path().join("time_entries.csv"), ENTRIES).unwrap();
    let e = load(dir.path(), &LoadOptions::default()).unwrap_err().to_string();
    assert_eq!(
        e,
        "resources.csv:3: error: invalid UTF-8 (byte 0xF6 at character 6): save the export as UTF-8 (Excel: \"CSV UTF-8\")"
    );
}

#[test]
fn bom_file_on_disk_and_missing_directory() {
    let dir = tempfile::tempdir().unwrap();
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend_from_slice(RESOURCES.as_bytes());
    std::fs::write(dir.path().join("resources.csv"), bom).unwrap();
    std::fs::write(dir.path().join("tickets.csv"), TICKETS).unwrap();
    std::fs::write(dir.path().join("time_entries.csv"), ENTRIES).unwrap();
    std::fs::create_dir(dir.path().join("old")).unwrap();
    let d = load(dir.path(), &LoadOptions::default()).unwrap();
    assert_eq!(d.table(kpi_schema::TableId::Resources).row_of_id("R1"), Some(0));
    assert_eq!(d.other_files, vec!["old/"]);
    let e = load(&dir.path().join("nope"), &LoadOptions::default()).unwrap_err().to_string();
    assert!(e.contains("cannot read the dataset directory"), "{e}");
}

#[test]
fn duplicates_across_parallel_chunks() {
    // Big enough for several parse chunks; the duplicate sits far from the original.
    let mut entries = String::from("id,resource_id,started_at,ended_at,hours,billable,note\n");
    for i in 0..120_000 {
        entries.push_str(&format!(
            "E{i},R{},2026-03-02T09:00:00Z,2026-03-02T10:00:00Z,0.5,1,n{}\n",
            1 + i % 2,
            i % 7
        ));
    }
    entries.push_str("E5,R1,2026-03-02T09:00:00Z,2026-03-02T10:00:00Z,0.5,1,x\n");
    let e = errors(&[("time_entries.csv", &entries)]);
    assert!(
        e.starts_with("time_entries.csv:120002:1: error: column `id`: duplicate id `E5` (first on line 7)"),
        "{e}"
    );
    // --skip-bad-rows does not pick one of the rows of an id.
    let options = LoadOptions { skip_bad_rows: true, ..LoadOptions::default() };
    let e = run(&[("time_entries.csv", &entries)], &options).unwrap_err().to_string();
    assert!(e.contains("duplicate id `E5`"), "{e}");
    entries.truncate(entries.len() - "E5,R1,2026-03-02T09:00:00Z,2026-03-02T10:00:00Z,0.5,1,x\n".len());
    let d = run(&[("time_entries.csv", &entries)], &options).unwrap();
    let t = d.table(kpi_schema::TableId::TimeEntries);
    assert_eq!(t.len, 120_000);
    assert_eq!(t.row_of_id("E119999"), Some(119_999));
    assert_eq!(d.link_rows(kpi_schema::TableId::TimeEntries, "resource")[119_999], 1);
    let kpi_data::ColumnData::Text(note) = &t.column("note").unwrap().data else { panic!() };
    assert_eq!(note.dict.len(), 7);
    assert_eq!(note.get(119_999), Some("n5"));
}

#[test]
fn messages_count_in_the_singular_for_one() {
    let mut entries = String::from("id,resource_id,started_at,ended_at,hours,billable\n");
    for i in 0..51 {
        entries.push_str(&format!("E{i},R1,2026-03-02T09:00:00Z,2026-03-02T10:00:00Z,x,1\n"));
    }
    let text = errors(&[("time_entries.csv", &entries)]);
    assert!(text.ends_with("\n... and 1 more error"), "{text}");
    let mut entries = String::from("id,resource_id,started_at,ended_at,hours,billable\n");
    for i in 0..21 {
        entries.push_str(&format!("E{i},R1,2026-03-02T09:00:00Z,2026-03-02T10:00:00Z,-1,1\n"));
    }
    let w = warnings(&[("time_entries.csv", &entries)]);
    assert_eq!(w[20], "time_entries.csv: warning: 1 more row with negative hours");
    assert_eq!(
        errors(&[("resources.csv", "id,name,team\nR1\n")]),
        "resources.csv:2:2: error: column `name`: the row has 1 field but the header has 3 (a truncated line?)"
    );
}

#[test]
fn errors_say_whether_skipping_rows_would_help() {
    let rows = run(&[("tickets.csv", "id,created_at\nT1,never\n")], &LoadOptions::default()).unwrap_err();
    assert!(rows.row_level(), "{rows}");
    let file = run(&[("tickets.csv", "id\nT1\n")], &LoadOptions::default()).unwrap_err();
    assert!(!file.row_level(), "{file}");
    // Past the cap, the errors only counted still say what they were.
    let mut entries = String::from("id,resource_id,started_at,ended_at,hours,billable\n");
    for i in 0..60 {
        entries.push_str(&format!("E{i},R1,2026-03-02T09:00:00Z,2026-03-02T10:00:00Z,x,1\n"));
    }
    let many =
        run(&[("time_entries.csv", &entries), ("tickets.csv", "id\n")], &LoadOptions::default()).unwrap_err();
    assert!(!many.row_level(), "{many}");
    let many = run(&[("time_entries.csv", &entries)], &LoadOptions::default()).unwrap_err();
    assert!(many.row_level(), "{many}");
}

#[test]
fn a_day_that_does_not_exist_is_called_so() {
    assert_eq!(
        errors(&[("tickets.csv", "id,created_at\nT1,2026-06-31T09:00:00Z\nT2,2026-02-29\nT3,2026-13-01 10:00\nT4,2026-03-02T24:30:00Z\n")]),
        "tickets.csv:2:2: error: column `created_at`: invalid timestamp `2026-06-31T09:00:00Z`: 2026-06-31 is a day that does not exist (June 2026 has 30 days)\n\
         tickets.csv:3:2: error: column `created_at`: invalid timestamp `2026-02-29`: 2026-02-29 is a day that does not exist (February 2026 has 28 days)\n\
         tickets.csv:4:2: error: column `created_at`: invalid timestamp `2026-13-01 10:00`: month 13 does not exist\n\
         tickets.csv:5:2: error: column `created_at`: invalid timestamp `2026-03-02T24:30:00Z`: 24:30:00 is not a time of day (hours run 00 to 23)"
    );
}

#[test]
fn the_json_error_of_a_first_line_is_reported() {
    let text = errors(&[("-resources.csv", ""), ("resources.jsonl", "{\"id\": \"R1\", \"name\": \"Ann\"\n")]);
    assert!(text.starts_with("resources.jsonl:1: error: invalid JSON: "), "{text}");
    let text = errors(&[
        ("-resources.csv", ""),
        ("resources.jsonl", "{\"id\": \"R1\" \"name\": \"Ann\"}\n{\"id\": \"R2\", \"name\": \"Bob\"}\n"),
    ]);
    assert!(text.starts_with("resources.jsonl:1: error: invalid JSON: "), "{text}");
}

#[test]
fn cr_line_endings_are_named() {
    let expect = "resources.csv:1: error: the file uses CR line endings (classic Mac OS): kpi reads LF or CRLF line endings; re-save the export with Unix (LF) or Windows (CRLF) line endings";
    assert_eq!(errors(&[("resources.csv", "id,name\rR1,Ann\rR2,Bob\r")]), expect);
    assert_eq!(errors(&[("resources.csv", "id,name\rR1,Ann\rR1,Bob\r")]), expect);
    assert_eq!(
        errors(&[
            ("-resources.csv", ""),
            ("resources.jsonl", "{\"id\": \"R1\", \"name\": \"Ann\"}\r{\"id\": \"R2\", \"name\": \"Bob\"}\r")
        ]),
        expect.replace("resources.csv", "resources.jsonl")
    );
}

fn hours(d: &Dataset) -> Vec<f64> {
    match &d.table(kpi_schema::TableId::TimeEntries).column("hours").unwrap().data {
        kpi_data::ColumnData::Number(v) => v.to_vec(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn numbers_that_overflow_are_errors_and_the_largest_finite_is_read() {
    let entry = |h: &str| {
        format!("id,resource_id,started_at,ended_at,hours,billable\nE1,R1,2026-03-02T09:00:00Z,2026-03-02T10:00:00Z,{h},1\n")
    };
    let nines = "9".repeat(400);
    for (h, want) in [
        ("1.7976931348623157e308", f64::MAX),
        ("-1.7976931348623157E+308", -f64::MAX),
        ("2.5e-3", 0.0025),
        ("1e-400", 0.0),
        (&nines[..300], nines[..300].parse().unwrap()),
    ] {
        let d = run(&[("time_entries.csv", &entry(h))], &LoadOptions::default())
            .unwrap_or_else(|e| panic!("{h}: {e}"));
        assert_eq!(hours(&d), [want], "{h}");
    }
    let shown = format!("{}...", &nines[..60]);
    for (h, shown) in [(nines.as_str(), shown.as_str()), ("1e400", "1e400"), ("-1.8e308", "-1.8e308")] {
        assert_eq!(
            errors(&[("time_entries.csv", &entry(h))]),
            format!("time_entries.csv:2:5: error: column `hours`: number `{shown}` is out of range: its magnitude exceeds the largest number (about 1.8e308)")
        );
    }
    for h in ["NaN", "nan", "inf", "-inf", "Infinity", "1e", "e5", "1.5.2", "+-1"] {
        assert_eq!(
            errors(&[("time_entries.csv", &entry(h))]),
            format!("time_entries.csv:2:5: error: column `hours`: invalid number `{h}`: expected a number like 1.5 (`.` as decimal separator)")
        );
    }
    // JSON Lines: numbers keep their JSON form (an exponent), huge ones are errors.
    let jsonl = |h: &str| {
        format!("{{\"id\":\"E1\",\"resource_id\":\"R1\",\"started_at\":\"2026-03-02T09:00:00Z\",\"ended_at\":\"2026-03-02T10:00:00Z\",\"hours\":{h},\"billable\":true}}\n")
    };
    let d = run(
        &[("-time_entries.csv", ""), ("time_entries.jsonl", &jsonl("1.7976931348623157e308"))],
        &LoadOptions::default(),
    )
    .unwrap();
    assert_eq!(hours(&d), [f64::MAX]);
    let e = errors(&[("-time_entries.csv", ""), ("time_entries.jsonl", &jsonl("1e400"))]);
    assert!(e.starts_with("time_entries.jsonl:1: error: "), "{e}");
    // Integers too large for 64 bits.
    let tickets = "id,created_at,reopen_count\nT1,2026-03-02T09:00:00Z,9223372036854775807\nT2,2026-03-02T09:00:00Z,99999999999999999999\n";
    assert_eq!(
        errors(&[("tickets.csv", tickets)]),
        "tickets.csv:3:3: error: column `reopen_count`: integer `99999999999999999999` is out of range: it does not fit in 64 bits"
    );
}

/// A ticket left out for errors leaves its time entries pointing nowhere: one warning with a
/// count, not one per entry; references to ids that never existed are still listed one by one.
#[test]
fn references_to_rows_left_out_are_one_warning_with_a_count() {
    let tickets = "id,created_at\nT1,never\nT2,2026-03-03T09:00:00Z\nT3,2026-03-04T09:00:00Z,extra\n";
    let mut entries = String::from("id,resource_id,ticket_id,started_at,ended_at,hours,billable\n");
    for i in 0..30 {
        let ticket = ["T1", "T2", "T3"][i % 3];
        entries.push_str(&format!("E{i},R1,{ticket},2026-03-02T09:00:00Z,2026-03-02T10:00:00Z,1,1\n"));
    }
    entries.push_str("E99,R1,T9,2026-03-02T09:00:00Z,2026-03-02T10:00:00Z,1,1\n");
    let options = LoadOptions { skip_bad_rows: true, ..LoadOptions::default() };
    let d = run(&[("tickets.csv", tickets), ("time_entries.csv", &entries)], &options).unwrap();
    assert_eq!(d.table(kpi_schema::TableId::TimeEntries).len, 31);
    let w: Vec<String> = d.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(
        w,
        [
            "tickets.csv:2: warning: row left out: field 2, column `created_at`: invalid timestamp `never`: expected a timestamp: RFC 3339 (2026-03-02T09:30:00Z, 2026-03-02T09:30:00-05:00) or YYYY-MM-DD HH:MM[:SS]",
            "tickets.csv:4: warning: row left out: the row has 3 fields but the header has 2 (an unquoted `,` inside a value?)",
            "time_entries.csv:32: warning: ticket_id `T9` is not an id in tickets.csv (the row is kept)",
            "time_entries.csv:2: warning: 20 rows (the first on this line) have a ticket_id of a row left out of tickets.csv for errors (`T1`, `T3`): the rows are kept, without their ticket",
        ]
    );
    assert_eq!(d.warnings[3].count, 20);
}

#[test]
fn a_duplicate_header_name_and_a_blank_file() {
    assert_eq!(
        errors(&[("resources.csv", "id,name,name\nR1,Ann,Bob\n")]),
        "resources.csv:1:3: error: column `name` appears twice in the header (fields 2 and 3)"
    );
    assert_eq!(
        errors(&[("tickets.csv", "  \n\r\n\n")]),
        "tickets.csv: error: the file is blank: expected a header row naming the columns (at least id, created_at)"
    );
}

#[test]
fn a_duplicate_id_fails_even_with_skip_bad_rows_and_says_how_to_collapse() {
    let entries = format!("{ENTRIES}E1,R1,T1,2026-03-02T11:00:00Z,2026-03-02T12:00:00Z,1,true\n");
    let options = LoadOptions { skip_bad_rows: true, ..LoadOptions::default() };
    let e = run(&[("time_entries.csv", &entries)], &options).unwrap_err();
    assert!(!e.row_level(), "a duplicate is no row error --skip-bad-rows may leave out");
    let text = e.to_string();
    assert!(text.contains("duplicate id `E1` (first on line 2)"), "{text}");
    assert!(text.contains("[time_entries.collapse]") && text.contains("keep = \"last\""), "{text}");
}

#[test]
fn rows_left_out_beyond_the_listed_ones_are_counted_as_rows_of_their_table() {
    // 1200 bad rows of two errors each in time_entries, none in tickets (read before it).
    let mut entries = String::from("id,resource_id,ticket_id,started_at,ended_at,hours,billable\n");
    for i in 0..1200 {
        entries.push_str(&format!("E{i},R1,T1,x,2026-03-02T10:00:00Z,1h,true\n"));
    }
    let options = LoadOptions { skip_bad_rows: true, ..LoadOptions::default() };
    let d = run(&[("time_entries.csv", &entries)], &options).unwrap();
    assert_eq!(d.skipped("time_entries"), 1200);
    let rows: usize = d.warnings.iter().filter(|w| w.file == "time_entries.csv").map(|w| w.count).sum();
    assert_eq!(rows, 1200, "one warning per row, then counts of rows");
    assert!(d.warnings.iter().all(|w| w.file == "time_entries.csv"), "{:?}", d.warnings);
    let more: Vec<String> = d.warnings.iter().filter(|w| w.line == 0).map(|w| w.to_string()).collect();
    assert_eq!(
        more,
        [
            "time_entries.csv: warning: 700 more rows of time_entries left out for errors",
            "time_entries.csv: warning: 480 more rows like these"
        ]
    );
}
