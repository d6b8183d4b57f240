//! Timestamps far outside a dataset's plausible span: warnings with file:line, rows kept.
use kpi_data::{implausible_timestamps, load_from_memory, LoadOptions, Plausible};

fn date(s: &str) -> chrono::NaiveDate {
    s.parse().unwrap()
}

#[test]
fn timestamps_outside_the_plausible_span_are_warnings_with_their_line() {
    let tickets = "id,created_at,completed_at,note\n\
        T1,2026-03-02T09:00:00Z,,\"two\nlines\"\n\
        T2,0001-01-01T00:00:00Z,2026-03-03T09:00:00Z,\n\
        T3,2026-03-04T09:00:00Z,9999-12-31T23:59:59Z,\n\
        T4,1989-12-31T23:59:59Z,,\n\
        T5,1990-01-01T00:00:00Z,,\n";
    let files = [
        ("resources.csv", "id,name\nR1,Ann\n"),
        ("tickets.csv", tickets),
        ("time_entries.csv", "id,resource_id,started_at,ended_at,hours,billable\nE1,R1,2026-03-02T09:00:00Z,2126-03-02T10:00:00Z,1,1\n"),
    ];
    let d = load_from_memory(&files, &LoadOptions::default()).unwrap();
    assert_eq!(d.table(kpi_schema::TableId::Tickets).len, 5, "rows are kept");
    assert_eq!(d.line_of("tickets", 1), Some(4));
    let as_of = kpi_data::parse_timestamp("2026-10-01T00:00:00Z", kpi_data::Tz::UTC).unwrap();
    let span = Plausible::around(as_of, None, None, kpi_data::Tz::UTC);
    assert_eq!((span.from, span.to), (date("1990-01-01"), date("2028-10-01")));
    let w: Vec<String> = implausible_timestamps(&d, &span).iter().map(|w| w.to_string()).collect();
    assert_eq!(
        w,
        [
            "tickets.csv:4: warning: created_at 0001-01-01T00:00:00Z is outside the plausible span 1990-01-01 .. 2028-10-01 (the row is kept; the default period range ignores it)",
            "tickets.csv:6: warning: created_at 1989-12-31T23:59:59Z is outside the plausible span 1990-01-01 .. 2028-10-01 (the row is kept; the default period range ignores it)",
            "tickets.csv:5: warning: completed_at 9999-12-31T23:59:59Z is outside the plausible span 1990-01-01 .. 2028-10-01 (the row is kept; the default period range ignores it)",
            "time_entries.csv:2: warning: ended_at 2126-03-02T10:00:00Z is outside the plausible span 1990-01-01 .. 2028-10-01 (the row is kept; the default period range ignores it)",
        ]
    );
    // The span is configurable; dates are local midnights in the dataset's zone.
    let wide =
        Plausible::around(as_of, Some(date("0001-01-01")), Some(date("9999-12-31")), kpi_data::Tz::UTC);
    let w = implausible_timestamps(&d, &wide);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].message.starts_with("completed_at 9999-12-31T23:59:59Z"), "{w:?}");
    assert!(implausible_timestamps(&d, &Plausible::ANY).is_empty());
}

#[test]
fn many_implausible_timestamps_are_summarised() {
    let mut tickets = String::from("id,created_at\n");
    for i in 0..25 {
        tickets.push_str(&format!("T{i},1900-01-01\n"));
    }
    let files = [
        ("resources.csv", "id,name\nR1,Ann\n"),
        ("tickets.csv", tickets.as_str()),
        ("time_entries.csv", "id,resource_id,started_at,ended_at,hours,billable\n"),
    ];
    let d = load_from_memory(&files, &LoadOptions::default()).unwrap();
    let span = Plausible::around(0, None, None, kpi_data::Tz::UTC);
    let w = implausible_timestamps(&d, &span);
    assert_eq!(w.len(), 21);
    assert_eq!(
        w[20].to_string(),
        "tickets.csv: warning: 5 more rows with created_at outside the plausible span"
    );
    assert_eq!(w[20].count, 5);
}
