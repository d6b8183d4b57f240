//! Data contract v1: every rule of file and value reading, on small in-memory datasets.
use kpi_data::{load_from_memory, ColumnData, Dataset, LoadErrors, LoadOptions};

const RESOURCES: &str = "id,name,team\nR1,Ann,Desk\nR2,Bob,Desk\n";
const TICKETS: &str = "id,client_id,assigned_resource_id,created_at\nT1,,R1,2026-03-02T09:00:00Z\nT2,,R2,2026-03-03T09:00:00Z\n";
const ENTRIES: &str = "id,resource_id,ticket_id,started_at,ended_at,hours,billable\nE1,R1,T1,2026-03-02T09:00:00Z,2026-03-02T10:00:00Z,1,true\n";

fn load_with(files: &[(&str, &str)], options: &LoadOptions) -> Result<Dataset, LoadErrors> {
    let mut all: Vec<(&str, &str)> =
        vec![("resources.csv", RESOURCES), ("tickets.csv", TICKETS), ("time_entries.csv", ENTRIES)];
    for (name, text) in files {
        all.retain(|(n, _)| n != name);
        all.push((name, text));
    }
    load_from_memory(&all, options)
}

fn load(files: &[(&str, &str)]) -> Dataset {
    load_with(files, &LoadOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn errors(files: &[(&str, &str)]) -> String {
    match load_with(files, &LoadOptions::default()) {
        Ok(_) => panic!("expected errors"),
        Err(e) => e.to_string(),
    }
}

fn tz(name: &str) -> LoadOptions {
    LoadOptions { timezone: name.parse().unwrap(), ..LoadOptions::default() }
}

fn texts(d: &Dataset, table: &str, column: &str) -> Vec<Option<String>> {
    let ColumnData::Text(t) = &d.table_named(table).unwrap().column(column).unwrap().data else {
        panic!("not text")
    };
    (0..t.len()).map(|r| t.get(r).map(str::to_string)).collect()
}

fn timestamps(d: &Dataset, table: &str, column: &str) -> Vec<String> {
    let col = d.table_named(table).unwrap().column(column).unwrap();
    let ColumnData::Timestamp(v) = &col.data else { panic!("not a timestamp") };
    v.iter()
        .enumerate()
        .map(|(r, &t)| if col.is_valid(r) { kpi_data::format_timestamp(t) } else { "null".into() })
        .collect()
}

#[test]
fn every_table_is_present_in_schema_order() {
    let d = load(&[]);
    let names: Vec<_> = d.tables.iter().map(|t| (t.name.as_str(), t.present, t.len)).collect();
    assert_eq!(
        names,
        vec![
            ("resources", true, 2),
            ("clients", false, 0),
            ("tickets", true, 2),
            ("time_entries", true, 1),
            ("surveys", false, 0),
            ("contracts", false, 0),
            ("devices", false, 0),
            ("billing_items", false, 0),
            ("projects", false, 0),
            ("opportunities", false, 0),
        ]
    );
    // An absent optional table still has every canonical column.
    assert_eq!(d.table(kpi_schema::TableId::Surveys).columns.len(), kpi_schema::SURVEYS.columns.len());
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
}

#[test]
fn bom_shuffled_and_extra_columns() {
    let tickets = "\u{feff}created_at,contract,id,assigned_resource_id\n2026-03-02T09:00:00Z,gold,T1,R1\n2026-03-02T10:00:00Z,,T2,R2\n";
    let d = load(&[("tickets.csv", tickets)]);
    let t = d.table(kpi_schema::TableId::Tickets);
    let names: Vec<_> = t.columns.iter().map(|c| c.name.as_str()).collect();
    let canonical: Vec<_> = kpi_schema::TICKETS.columns.iter().map(|c| c.name).collect();
    assert_eq!(names[..canonical.len()], canonical[..]);
    assert_eq!(names[canonical.len()..], ["contract"]);
    let contract = t.column("contract").unwrap();
    assert!(contract.custom);
    assert_eq!(texts(&d, "tickets", "contract"), vec![Some("gold".to_string()), None]);
    assert_eq!(texts(&d, "tickets", "id"), vec![Some("T1".to_string()), Some("T2".to_string())]);
    assert_eq!(t.row_of_id("T2"), Some(1));
    // An optional column missing from the file is all null.
    assert_eq!(timestamps(&d, "tickets", "completed_at"), vec!["null", "null"]);
}

#[test]
fn crlf_and_quoted_fields() {
    let resources = "id,name,team\r\nR1,\"Smith, Ann\",\"The \"\"A\"\" team\"\r\nR2,\"Bob\nJr\",Desk\r\n";
    let d = load(&[("resources.csv", resources)]);
    assert_eq!(
        texts(&d, "resources", "name"),
        vec![Some("Smith, Ann".to_string()), Some("Bob\nJr".to_string())]
    );
    assert_eq!(texts(&d, "resources", "team")[0].as_deref(), Some("The \"A\" team"));
}

#[test]
fn every_boolean_spelling() {
    let spellings = ["true", "TRUE", "True", "false", "FALSE", "yes", "Yes", "YES", "no", "NO", "1", "0"];
    let mut entries = String::from("id,resource_id,started_at,ended_at,hours,billable\n");
    for (i, s) in spellings.iter().enumerate() {
        entries.push_str(&format!("E{i},R1,2026-03-02T09:00:00Z,2026-03-02T10:00:00Z,1,{s}\n"));
    }
    let d = load(&[("time_entries.csv", &entries)]);
    let ColumnData::Bool(b) = &d.table(kpi_schema::TableId::TimeEntries).column("billable").unwrap().data
    else {
        panic!()
    };
    assert_eq!(b, &[true, true, true, false, false, true, true, true, false, false, true, false]);
}

#[test]
fn numbers_and_ints() {
    let entries = "id,resource_id,started_at,ended_at,hours,billable\nE1,R1,2026-03-02T09:00:00Z,2026-03-02T10:00:00Z,-0.25,1\nE2,R1,2026-03-02T09:00:00Z,2026-03-02T10:00:00Z,12,1\nE3,R1,2026-03-02T09:00:00Z,2026-03-02T10:00:00Z,.5,1\n";
    let d = load(&[("time_entries.csv", entries)]);
    let ColumnData::Number(h) = &d.table(kpi_schema::TableId::TimeEntries).column("hours").unwrap().data
    else {
        panic!()
    };
    assert_eq!(h, &[-0.25, 12.0, 0.5]);
    // An exponent is read (JSON writes large numbers so): "1e3" is 1000.
    for bad in ["1,5", "1e", "NaN", "inf", "+1", "1.2.3", "-", "abc"] {
        let entries = format!("id,resource_id,started_at,ended_at,hours,billable\nE1,R1,2026-03-02T09:00:00Z,2026-03-02T10:00:00Z,\"{bad}\",1\n");
        let e = errors(&[("time_entries.csv", &entries)]);
        assert!(e.contains(&format!("invalid number `{bad}`")), "{bad}: {e}");
    }
    let e = errors(&[("clients.csv", "id,name,endpoints\nC1,Acme,2.5\n")]);
    assert_eq!(
        e,
        "clients.csv:2:3: error: column `endpoints`: invalid int `2.5`: expected an integer like 3"
    );
}

#[test]
fn every_timestamp_form() {
    let forms = [
        ("2026-03-02T09:30:00Z", "2026-03-02T09:30:00Z"),
        ("2026-03-02T09:30:00z", "2026-03-02T09:30:00Z"),
        ("2026-03-02T09:30:00-05:00", "2026-03-02T14:30:00Z"),
        ("2026-03-02T09:30:00+0530", "2026-03-02T04:00:00Z"),
        ("2026-03-02T09:30:00.123456Z", "2026-03-02T09:30:00.123456Z"),
        ("2026-03-02T09:30:00.5+01:00", "2026-03-02T08:30:00.500000Z"),
        // Naive forms are read in the dataset zone (New York, UTC-5 in March before the change).
        ("2026-03-02 09:30", "2026-03-02T14:30:00Z"),
        ("2026-03-02 09:30:15", "2026-03-02T14:30:15Z"),
        ("2026-03-02T09:30", "2026-03-02T14:30:00Z"),
        ("2026-03-02T09:30:15.25", "2026-03-02T14:30:15.250000Z"),
        ("2026-03-02", "2026-03-02T05:00:00Z"),
    ];
    let mut tickets = String::from("id,created_at\n");
    for (i, (form, _)) in forms.iter().enumerate() {
        tickets.push_str(&format!("T{i},{form}\n"));
    }
    let entries = "id,resource_id,started_at,ended_at,hours,billable\n";
    let d = load_with(&[("tickets.csv", &tickets), ("time_entries.csv", entries)], &tz("America/New_York"))
        .unwrap();
    let want: Vec<_> = forms.iter().map(|(_, w)| w.to_string()).collect();
    assert_eq!(timestamps(&d, "tickets", "created_at"), want);
    let expected = "expected a timestamp: RFC 3339 (2026-03-02T09:30:00Z, 2026-03-02T09:30:00-05:00) or YYYY-MM-DD HH:MM[:SS]";
    for (bad, why) in [
        ("2026-02-30 10:00", "2026-02-30 is a day that does not exist (February 2026 has 28 days)"),
        ("2026-13-01T00:00:00Z", "month 13 does not exist"),
        // Day or month first? Refused until a profile states the export's order.
        (
            "02/03/2026 09:30",
            "a date with day and month as numbers is day-first in some exports and month-first in others; state the export's order in the profile: `date_order = \"day-first\"` or `\"month-first\"`",
        ),
        ("2026-03-02T25:00", "25:00 is not a time of day (hours run 00 to 23)"),
        ("2026-03-02T09:30:00+05", expected),
        ("2026-03-02T09:30:00Zjunk", expected),
        ("yesterday", expected),
    ] {
        let e = errors(&[("tickets.csv", &format!("id,created_at\nT1,{bad}\n"))]);
        assert_eq!(
            e,
            format!("tickets.csv:2:2: error: column `created_at`: invalid timestamp `{bad}`: {why}")
        );
    }
}

#[test]
fn month_boundaries_in_a_non_utc_zone() {
    let tickets = "id,created_at\nT1,2026-03-01 00:00\nT2,2026-02-28 23:59:59\nT3,2026-07-01 00:00\nT4,2026-03-01T00:00:00Z\n";
    let entries = "id,resource_id,started_at,ended_at,hours,billable\n";
    let d =
        load_with(&[("tickets.csv", tickets), ("time_entries.csv", entries)], &tz("Europe/Berlin")).unwrap();
    assert_eq!(
        timestamps(&d, "tickets", "created_at"),
        // Midnight of March 1st in Berlin is still February in UTC; July is summer time (UTC+2).
        vec!["2026-02-28T23:00:00Z", "2026-02-28T22:59:59Z", "2026-06-30T22:00:00Z", "2026-03-01T00:00:00Z"]
    );
}

#[test]
fn dst_gap_moves_forward_and_overlap_takes_the_earlier_instant() {
    // New York: 2026-03-08 02:00 EST -> 03:00 EDT; 2026-11-01 02:00 EDT -> 01:00 EST.
    let tickets = "id,created_at\nGAP_BEFORE,2026-03-08 01:59\nGAP,2026-03-08 02:30\nGAP_AFTER,2026-03-08 03:30\nFOLD,2026-11-01 01:30\nFOLD_AFTER,2026-11-01 02:00\nFOLD_EXPLICIT,2026-11-01T01:30:00-05:00\n";
    let entries = "id,resource_id,started_at,ended_at,hours,billable\n";
    let d = load_with(&[("tickets.csv", tickets), ("time_entries.csv", entries)], &tz("America/New_York"))
        .unwrap();
    assert_eq!(
        timestamps(&d, "tickets", "created_at"),
        vec![
            "2026-03-08T06:59:00Z",
            // 02:30 does not exist: read with the offset before the gap (EST), i.e. 03:30 EDT.
            "2026-03-08T07:30:00Z",
            "2026-03-08T07:30:00Z",
            // 01:30 happens twice: the first one (EDT, UTC-4).
            "2026-11-01T05:30:00Z",
            "2026-11-01T07:00:00Z",
            "2026-11-01T06:30:00Z",
        ]
    );
}

#[test]
fn contract_defaults_fill_null_cells() {
    let resources = "id,name,active\nR1,Ann,\nR2,Bob,no\n";
    let clients = "id,name,endpoints\nC1,Acme,\nC2,Beta,40\n";
    let surveys =
        "id,responded_at,score,max_score\nS1,2026-03-02T09:00:00Z,4,\nS2,2026-03-02T09:00:00Z,9,10\n";
    let d = load(&[("resources.csv", resources), ("clients.csv", clients), ("surveys.csv", surveys)]);
    let c = d.table(kpi_schema::TableId::Resources).column("active").unwrap();
    assert!(matches!(&c.data, ColumnData::Bool(v) if v == &[true, false]));
    assert!(c.valid.is_none());
    let c = d.table(kpi_schema::TableId::Clients).column("endpoints").unwrap();
    assert!(matches!(&c.data, ColumnData::Int(v) if v == &[0, 40]));
    let c = d.table(kpi_schema::TableId::Surveys).column("max_score").unwrap();
    assert!(matches!(&c.data, ColumnData::Number(v) if v == &[5.0, 10.0]));
    // Columns absent from the file take their default too.
    let c = d.table(kpi_schema::TableId::Tickets).column("reopen_count").unwrap();
    assert!(matches!(&c.data, ColumnData::Int(v) if v == &[0, 0]));
    assert!(c.valid.is_none());
    // hours_per_day has no default: null stays null.
    let c = d.table(kpi_schema::TableId::Resources).column("hours_per_day").unwrap();
    assert!(!c.is_valid(0) && !c.is_valid(1));
}

#[test]
fn links_resolve_to_rows() {
    let entries = "id,resource_id,ticket_id,started_at,ended_at,hours,billable\nE1,R2,T2,2026-03-03T09:00:00Z,2026-03-03T10:00:00Z,1,1\nE2,R1,,2026-03-03T09:00:00Z,2026-03-03T10:00:00Z,1,1\n";
    let d = load(&[("time_entries.csv", entries)]);
    assert_eq!(d.link_rows(kpi_schema::TableId::TimeEntries, "ticket"), &[1, u32::MAX]);
    assert_eq!(d.link_rows(kpi_schema::TableId::TimeEntries, "resource"), &[1, 0]);
    assert_eq!(d.link_rows(kpi_schema::TableId::Tickets, "resource"), &[0, 1]);
    // clients is absent: no row to point at, and no warning either.
    assert_eq!(d.link_rows(kpi_schema::TableId::Tickets, "client"), &[u32::MAX, u32::MAX]);
}

#[test]
fn json_lines() {
    let tickets = "{\"id\": \"T1\", \"created_at\": \"2026-03-02T09:00:00Z\", \"reopen_count\": 2, \"priority\": null}\n\n{\"id\": 7, \"created_at\": \"2026-03-02 10:00\", \"priority\": \"P1\", \"tags\": [\"a\"]}\n";
    let d = load_with(&[("tickets.jsonl", tickets)], &LoadOptions::default());
    let mut files = vec![
        ("resources.csv", RESOURCES),
        ("time_entries.csv", "id,resource_id,started_at,ended_at,hours,billable\n"),
    ];
    files.push(("tickets.jsonl", tickets));
    drop(d);
    let d = load_from_memory(&files, &LoadOptions::default()).unwrap();
    assert_eq!(texts(&d, "tickets", "id"), vec![Some("T1".to_string()), Some("7".to_string())]);
    assert_eq!(texts(&d, "tickets", "priority"), vec![None, Some("P1".to_string())]);
    assert_eq!(texts(&d, "tickets", "tags"), vec![None, Some("[\"a\"]".to_string())]);
    let c = d.table(kpi_schema::TableId::Tickets).column("reopen_count").unwrap();
    assert!(matches!(&c.data, ColumnData::Int(v) if v == &[2, 0]));
    let bad = "{\"id\": \"T1\", \"created_at\": \"soon\"}\n{\"id\": \"T2\"\n";
    files.pop();
    files.push(("tickets.jsonl", bad));
    let e = load_from_memory(&files, &LoadOptions::default()).unwrap_err().to_string();
    assert_eq!(
        e,
        "tickets.jsonl:1: error: column `created_at`: invalid timestamp `soon`: expected a timestamp: RFC 3339 (2026-03-02T09:30:00Z, 2026-03-02T09:30:00-05:00) or YYYY-MM-DD HH:MM[:SS]\ntickets.jsonl:2: error: invalid JSON: EOF while parsing an object at line 1 column 11"
    );
}

#[test]
fn other_files_are_listed() {
    let d = load(&[("notes.txt", "hi"), ("Tickets_old.csv", "x")]);
    assert_eq!(d.other_files, vec!["notes.txt", "Tickets_old.csv"]);
}
