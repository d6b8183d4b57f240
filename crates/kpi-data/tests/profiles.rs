//! Mapping profiles: small exports in Autotask's and ConnectWise's own field names load into the canonical tables.
use kpi_data::{load, load_from_memory, ColumnData, Dataset, LoadOptions, Profile};
use std::path::Path;

fn fixture(name: &str, profile: &str) -> Dataset {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    let options = LoadOptions {
        timezone: "America/New_York".parse().unwrap(),
        profile: Some(Profile::builtin(profile).unwrap()),
        ..LoadOptions::default()
    };
    load(&dir, &options).unwrap_or_else(|e| panic!("{e}"))
}

fn text(d: &Dataset, table: &str, column: &str) -> Vec<Option<String>> {
    let ColumnData::Text(t) = &d.table_named(table).unwrap().column(column).unwrap().data else {
        panic!("{column} is not text")
    };
    (0..t.len()).map(|r| t.get(r).map(str::to_string)).collect()
}

fn ts(d: &Dataset, table: &str, column: &str) -> Vec<String> {
    let col = d.table_named(table).unwrap().column(column).unwrap();
    let ColumnData::Timestamp(v) = &col.data else { panic!() };
    v.iter()
        .enumerate()
        .map(|(r, &t)| if col.is_valid(r) { kpi_data::format_timestamp(t) } else { "null".into() })
        .collect()
}

fn s(v: &[Option<&str>]) -> Vec<Option<String>> {
    v.iter().map(|x| x.map(str::to_string)).collect()
}

#[test]
fn autotask_export() {
    let d = fixture("autotask", "autotask");
    // SurveyResults have no resource (the profile maps none): the survey takes its ticket's.
    let warnings: Vec<String> = d.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(
        warnings,
        ["SurveyResults.csv: warning: 1 survey has no resource_id: it counts for its ticket's assigned_resource_id"]
    );
    assert_eq!(text(&d, "resources", "name"), s(&[Some("Ann Adams"), Some("Bob Brooks")]));
    // Resources have no department field in Autotask's API: the profile maps no team.
    assert_eq!(text(&d, "resources", "team"), s(&[None, None]));
    assert!(
        matches!(&d.table(kpi_schema::TableId::Resources).column("active").unwrap().data, ColumnData::Bool(v) if v == &[true, false])
    );
    assert!(
        matches!(&d.table(kpi_schema::TableId::Clients).column("endpoints").unwrap().data, ColumnData::Int(v) if v == &[0, 42])
    );
    assert_eq!(
        text(&d, "tickets", "ticket_type"),
        s(&[Some("incident"), Some("alert"), Some("change_request")])
    );
    assert_eq!(text(&d, "tickets", "status"), s(&[Some("Complete"), Some("New"), Some("Waiting Customer")]));
    assert_eq!(text(&d, "tickets", "priority"), s(&[Some("Medium"), Some("Critical"), Some("Low")]));
    // US-style local times are read in the dataset zone; ISO values with Z are kept as they are.
    assert_eq!(
        ts(&d, "tickets", "created_at"),
        vec!["2026-03-02T14:15:00Z", "2026-03-02T15:00:00Z", "2026-03-04T04:00:00Z"]
    );
    assert_eq!(ts(&d, "tickets", "due_at"), vec!["2026-03-04T22:00:00Z", "null", "2026-03-20T04:00:00Z"]);
    assert_eq!(ts(&d, "tickets", "resolved_at")[0], "2026-03-02T18:30:00Z");
    assert_eq!(text(&d, "tickets", "assigned_resource_id")[1], None);
    // isNonBillable is inverted into billable.
    assert!(
        matches!(&d.table(kpi_schema::TableId::TimeEntries).column("billable").unwrap().data, ColumnData::Bool(v) if v == &[true, false, true])
    );
    assert_eq!(
        text(&d, "time_entries", "summaryNotes")[0].as_deref(),
        Some("Checked printer, \"spooler\" restarted")
    );
    assert_eq!(d.link_rows(kpi_schema::TableId::TimeEntries, "ticket"), &[0, 0, u32::MAX]);
    assert_eq!(d.link_rows(kpi_schema::TableId::Tickets, "client"), &[1, 1, 0]);
    let surveys = d.table(kpi_schema::TableId::Surveys);
    assert_eq!(text(&d, "surveys", "resource_id"), [text(&d, "tickets", "assigned_resource_id")[0].clone()]);
    assert!(matches!(&surveys.column("score").unwrap().data, ColumnData::Number(v) if v == &[4.5]));
    assert!(matches!(&surveys.column("max_score").unwrap().data, ColumnData::Number(v) if v == &[5.0]));
    // Unmapped source columns are kept as custom columns.
    let custom: Vec<_> = d
        .table(kpi_schema::TableId::Tickets)
        .columns
        .iter()
        .filter(|c| c.custom)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(custom, ["ticketNumber"]);
    assert_eq!(d.file_of(kpi_schema::TableId::TimeEntries), Some("TimeEntries.csv"));
}

#[test]
fn connectwise_export() {
    let d = fixture("connectwise", "connectwise");
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    assert_eq!(text(&d, "resources", "id"), s(&[Some("jsmith"), Some("pdoe")]));
    assert!(
        matches!(&d.table(kpi_schema::TableId::Resources).column("active").unwrap().data, ColumnData::Bool(v) if v == &[true, false])
    );
    assert!(
        matches!(&d.table(kpi_schema::TableId::Resources).column("hours_per_day").unwrap().data, ColumnData::Number(v) if v == &[8.0, 7.5])
    );
    assert_eq!(text(&d, "tickets", "ticket_type"), s(&[Some("incident"), Some("service_request")]));
    assert_eq!(text(&d, "tickets", "queue"), s(&[Some("Help Desk"), Some("Triage")]));
    assert_eq!(ts(&d, "tickets", "created_at"), vec!["2026-03-02T14:00:00Z", "2026-03-03T09:00:00Z"]);
    assert_eq!(ts(&d, "tickets", "first_response_at"), vec!["2026-03-02T14:10:00Z", "null"]);
    assert!(
        matches!(&d.table(kpi_schema::TableId::Tickets).column("estimated_hours").unwrap().data, ColumnData::Number(v) if v == &[2.0, 1.0])
    );
    assert!(
        matches!(&d.table(kpi_schema::TableId::TimeEntries).column("billable").unwrap().data, ColumnData::Bool(v) if v == &[true, false, false])
    );
    assert_eq!(d.link_rows(kpi_schema::TableId::TimeEntries, "resource"), &[0, 0, 1]);
    assert_eq!(d.link_rows(kpi_schema::TableId::Tickets, "client"), &[0, 1]);
    assert!(!d.table(kpi_schema::TableId::Surveys).present);
}

#[test]
fn profile_errors_name_the_source_column() {
    let profile = Profile::builtin("autotask").unwrap();
    let options = LoadOptions { profile: Some(profile), ..LoadOptions::default() };
    let files = [
        ("Resources.csv", "id,firstName,lastName\n1,Ann,Adams\n"),
        ("Tickets.csv", "id,createDate\n7,31/12/2026\n"),
        ("TimeEntries.csv", "id,resourceID,startDateTime,endDateTime,hoursWorked\n"),
    ];
    let e = load_from_memory(&files, &options).unwrap_err().to_string();
    assert_eq!(
        e,
        "TimeEntries.csv:1: error: missing required column `billable` (the profile reads it from `isNonBillable`); the header has `id`, `resourceID`, `startDateTime`, `endDateTime`, `hoursWorked`\n\
         Tickets.csv:2:2: error: column `createDate (created_at)`: invalid timestamp `31/12/2026`: a date with day and month as numbers is day-first in some exports and month-first in others; state the export's order in the profile: `date_order = \"day-first\"` or `\"month-first\"`"
    );
}

#[test]
fn custom_profile_from_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("client.toml");
    std::fs::write(
        &path,
        "name = \"client\"\n[tickets]\nfile = \"export.csv\"\n[tickets.columns]\nid = \"Ticket #\"\ncreated_at = { from = \"Opened\", format = \"%d.%m.%Y %H:%M\" }\nticket_type = { from = \"Kind\", values = { \"Störung\" = \"incident\" } }\n",
    )
    .unwrap();
    let profile = Profile::from_file(&path).unwrap();
    let files = [
        ("resources.csv", "id,name\nR1,Ann\n"),
        ("export.csv", "Ticket #,Opened,Kind\n1,31.12.2026 23:30,Störung\n"),
        ("time_entries.csv", "id,resource_id,started_at,ended_at,hours,billable\n"),
    ];
    let d =
        load_from_memory(&files, &LoadOptions { profile: Some(profile), ..LoadOptions::default() }).unwrap();
    assert_eq!(ts(&d, "tickets", "created_at"), vec!["2026-12-31T23:30:00Z"]);
    assert_eq!(text(&d, "tickets", "ticket_type"), s(&[Some("incident")]));
    std::fs::write(&path, "[tickets.columns]\nid = { from = \"x\", invert = true }\n").unwrap();
    let e = Profile::from_file(&path).unwrap_err().to_string();
    assert!(e.ends_with("[tickets.columns] `id`: `invert` needs a bool column, not text"), "{e}");
    std::fs::write(&path, "[tickets]\nfiles = \"x\"\n").unwrap();
    let e = Profile::from_file(&path).unwrap_err().to_string();
    assert!(e.contains("line 2, column 1") && e.contains("unknown field `files`"), "{e}");
    assert!(Profile::builtin("halo").unwrap_err().to_string().contains("no built-in profile `halo`"));
}

/// The business tables of data contract v1.1 in the PSAs' own field names: Autotask `Contracts`
/// (the contractType picklist, API date-times) and `Opportunities` (status to outcome), ConnectWise
/// `agreements` (dates as API date-times) and `members.hourlyCost`.
#[test]
fn business_tables_from_autotask_and_connectwise_exports() {
    let autotask = Profile::builtin("autotask").unwrap();
    let options = LoadOptions { profile: Some(autotask), ..LoadOptions::default() };
    let files = [
        ("Resources.csv", "id,firstName,lastName\n4,Ann,Adams\n"),
        ("Tickets.csv", "id,createDate\n1,2026-03-02T09:00:00Z\n"),
        ("TimeEntries.csv", "id,resourceID,startDateTime,endDateTime,hoursWorked,isNonBillable\n"),
        (
            "Contracts.csv",
            "id,companyID,contractName,contractType,startDate,endDate\n\
             30,7,Managed Gold,7,2026-01-01T00:00:00,2026-12-31T00:00:00\n31,7,Block,4,2026-02-01T00:00:00,2026-02-28T00:00:00\n",
        ),
        (
            "Opportunities.csv",
            "id,companyID,ownerResourceID,amount,createDate,closedDate,status\n\
             50,7,4,12000,2026-01-05T10:00:00Z,2026-02-01T10:00:00Z,3\n51,7,4,800,2026-01-05T10:00:00Z,,1\n",
        ),
    ];
    let d = load_from_memory(&files, &options).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(text(&d, "contracts", "contract_type"), s(&[Some("managed"), Some("block_hours")]));
    assert_eq!(ts(&d, "contracts", "start_date"), vec!["2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"]);
    assert_eq!(ts(&d, "contracts", "end_date"), vec!["2026-12-31T00:00:00Z", "2026-02-28T00:00:00Z"]);
    assert_eq!(text(&d, "opportunities", "outcome"), s(&[Some("won"), Some("1")]));

    let connectwise = Profile::builtin("connectwise").unwrap();
    let options = LoadOptions { profile: Some(connectwise), ..LoadOptions::default() };
    let files = [
        ("members.csv", "identifier,firstName,lastName,hourlyCost\nann,Ann,Adams,55.5\n"),
        ("tickets.csv", "id,dateEntered\n1,2026-03-02T09:00:00Z\n"),
        (
            "time_entries.csv",
            "id,member/identifier,chargeToId,chargeToType,timeStart,timeEnd,actualHours,billableOption\n",
        ),
        (
            "agreements.csv",
            "id,company/identifier,name,type/name,startDate,endDate,billAmount\n\
             9,acme,Managed,Managed Services,2026-01-01T00:00:00Z,,1500\n",
        ),
    ];
    let d = load_from_memory(&files, &options).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        &d.table(kpi_schema::TableId::Resources).column("cost_per_hour").unwrap().data,
        ColumnData::Number(v) if v == &[55.5]
    ));
    assert_eq!(text(&d, "contracts", "client_id"), s(&[Some("acme")]));
    assert_eq!(ts(&d, "contracts", "start_date"), vec!["2026-01-01T00:00:00Z"]);
    assert_eq!(ts(&d, "contracts", "end_date"), vec!["null"]);
}
