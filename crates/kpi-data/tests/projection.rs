//! Column projection: only the listed columns and the link keys are loaded, with the same values.
use kpi_data::{load, load_from_memory, Dataset, LoadOptions, Projection};
use std::path::Path;

fn projection(items: &[(&str, &[&str])]) -> Projection {
    items.iter().map(|(t, cols)| (t.to_string(), cols.iter().map(|c| c.to_string()).collect())).collect()
}

fn names(d: &Dataset, table: &str) -> Vec<String> {
    d.table_named(table).expect("a canonical table").columns.iter().map(|c| c.name.clone()).collect()
}

#[test]
fn listed_columns_and_link_keys_with_the_same_values() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo");
    let full = load(&dir, &LoadOptions::default()).unwrap();
    let columns = projection(&[
        ("tickets", &["status", "created_at", "no_such_column"]),
        ("time_entries", &["hours"]),
        ("surveys", &["score"]),
        ("no_such_table", &["id"]),
    ]);
    let options = LoadOptions { columns: Some(columns), ..LoadOptions::default() };
    let d = load(&dir, &options).unwrap();
    // Required columns are always loaded (validated whatever the rules read).
    assert_eq!(names(&d, "resources"), ["id", "name"]);
    assert_eq!(names(&d, "clients"), ["id", "name"]);
    assert_eq!(names(&d, "tickets"), ["id", "client_id", "assigned_resource_id", "created_at", "status"]);
    assert_eq!(
        names(&d, "time_entries"),
        ["id", "resource_id", "ticket_id", "started_at", "ended_at", "hours", "billable", "project_id"]
    );
    assert_eq!(
        names(&d, "surveys"),
        ["id", "ticket_id", "resource_id", "client_id", "responded_at", "score"]
    );
    for (t, f) in d.tables.iter().zip(&full.tables) {
        assert_eq!(t.len, f.len);
        for c in &t.columns {
            assert_eq!(
                format!("{c:?}"),
                format!("{:?}", f.column(&c.name).unwrap()),
                "{}.{}",
                t.name,
                c.name
            );
        }
        for link in kpi_schema::table(&t.name).unwrap().links {
            let id = kpi_schema::TableId::from_name(&t.name).expect("canonical");
            assert_eq!(d.link_rows(id, link.name), full.link_rows(id, link.name));
        }
    }
    assert_eq!(d.warnings, full.warnings);
}

const RESOURCES: &str = "id,name\nR1,Ann\n";
const TICKETS: &str = "id,created_at\nT1,2026-03-02T09:00:00Z\n";

fn run(entries: &str, columns: &[&str]) -> Result<Dataset, String> {
    let files = [("resources.csv", RESOURCES), ("tickets.csv", TICKETS), ("time_entries.csv", entries)];
    let options =
        LoadOptions { columns: Some(projection(&[("time_entries", columns)])), ..LoadOptions::default() };
    load_from_memory(&files, &options).map_err(|e| e.to_string())
}

#[test]
fn only_loaded_cells_are_checked_but_every_row_is() {
    let head = "id,resource_id,started_at,ended_at,hours,billable,note\n";
    let bad_hours = format!("{head}E1,R1,2026-03-02T09:00:00Z,,1.5h,true,x\nE1,R1,x,x,1,true,y\n");
    // Bad values of a required column and a duplicate id are errors whatever the rules read:
    // the rows a load keeps never depend on the projection.
    let e = run(&bad_hours, &["note"]).unwrap_err();
    assert!(e.contains("time_entries.csv:2:5: error: column `hours`: invalid number `1.5h`"), "{e}");
    let twice = format!("{head}E1,R1,2026-03-02T09:00:00Z,2026-03-02T10:00:00Z,1,true,x\n").repeat(1);
    let twice = twice.clone() + &twice[head.len()..];
    let e = run(&twice, &["note"]).unwrap_err();
    assert!(e.contains("duplicate id `E1` (first on line 2)"), "{e}");
    // Bad values in an optional column not loaded: not looked at.
    let bad_ticket = format!("{head}E1,R1,2026-03-02T09:00:00Z,2026-03-02T09:00:00Z,1,true,x\n")
        .replace("note", "created_at");
    let d = run(&bad_ticket, &["billable"]).unwrap();
    assert_eq!(d.table(kpi_schema::TableId::TimeEntries).len, 1);
    // The row structure is checked on every row, and the header's required columns.
    let short = format!("{head}E1,R1,2026-03-02T09:00:00Z\n");
    let e = run(&short, &[]).unwrap_err();
    assert!(e.contains("the row has 3 fields but the header has 7"), "{e}");
    let e = run("id,resource_id,started_at,ended_at,billable\n", &[]).unwrap_err();
    assert!(e.contains("missing required column `hours`"), "{e}");
}
