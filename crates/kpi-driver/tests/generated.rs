//! Generated datasets through the standard rules: whatever the data holds (nulls everywhere,
//! unknown references, zero and huge hours, timestamps around DST changes and years apart, due
//! times before creation), the pipeline either evaluates or reports data errors; it never panics,
//! and every score is finite and within 0..=100.
//!
//! `KPI_FUZZ_CASES=2000 cargo test --release -p kpi-driver --test generated` runs a long
//! campaign; `KPI_FUZZ_SEED` starts it elsewhere.
use kpi_driver::{AsOf, DataInput, Failure, Request};
use std::fmt::Write as _;
use std::path::Path;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// A timestamp: mostly in 2026 around the DST changes of America/Chicago, sometimes naive,
/// sometimes years away, sometimes empty.
fn timestamp(rng: &mut Rng) -> String {
    if rng.chance(15) {
        return String::new();
    }
    let (year, month, day) = match rng.below(10) {
        0 => (2026, 3, 8),
        1 => (2026, 11, 1),
        2 => (2019 + rng.below(12), 1 + rng.below(12), 1 + rng.below(28)),
        _ => (2026, 1 + rng.below(12), 1 + rng.below(28)),
    };
    let (hour, minute) = (rng.below(24), rng.below(60));
    let zone = rng.pick(&["Z", "", "-05:00", "+01:00"]);
    format!("{year}-{month:02}-{day:02}T{hour:02}:{minute:02}:00{zone}")
}

fn maybe<'a>(rng: &mut Rng, value: &'a str) -> &'a str {
    if rng.chance(10) {
        ""
    } else {
        value
    }
}

fn number(rng: &mut Rng) -> String {
    match rng.below(8) {
        0 => String::new(),
        1 => "0".into(),
        2 => format!("{}", rng.below(100_000)),
        3 => format!("-{}", rng.below(10)),
        _ => format!("{}.{}", rng.below(10), rng.below(100)),
    }
}

fn dataset(rng: &mut Rng) -> Vec<(String, String)> {
    let (resources, clients, tickets) = (1 + rng.below(6), 1 + rng.below(4), rng.below(60));
    let resource = |rng: &mut Rng| format!("R{}", rng.below(resources + 1));
    let client = |rng: &mut Rng| format!("C{}", rng.below(clients + 1));
    let ticket = |rng: &mut Rng| format!("T{}", rng.below(tickets + 2));

    let mut text = String::from("id,name,team,hours_per_day,active\n");
    for r in 0..resources {
        let team = rng.pick(&["", "Blue", "Red"]);
        let active = rng.pick(&["", "true", "false"]);
        let _ = writeln!(text, "R{r},Tech {r},{team},{},{active}", number(rng));
    }
    let mut files = vec![("resources.csv".to_string(), text)];

    let mut text = String::from("id,name,endpoints\n");
    for c in 0..clients {
        let _ = writeln!(text, "C{c},Client {c},{}", number(rng));
    }
    files.push(("clients.csv".into(), text));

    let mut text = String::from(
        "id,client_id,assigned_resource_id,created_at,completed_at,status,priority,queue,issue_type,\
         ticket_type,source,estimated_hours,first_response_due,first_response_at,resolution_plan_due,\
         resolution_plan_at,resolved_due,resolved_at,due_at,last_activity_at,reopen_count,escalation_count\n",
    );
    for t in 0..tickets {
        let created = loop {
            let ts = timestamp(rng);
            if !ts.is_empty() {
                break ts;
            }
        };
        let (client, resource) = (client(rng), resource(rng));
        let _ = write!(text, "T{t},{client},{},{created},", maybe(rng, &resource));
        let _ =
            write!(text, "{},{},", timestamp(rng), rng.pick(&["Complete", "New", "In Progress", "Waiting"]));
        let _ = write!(
            text,
            "{},{},",
            rng.pick(&["", "Low", "Critical"]),
            rng.pick(&["", "Level I Support", "Triage"])
        );
        let _ = write!(text, "{},", rng.pick(&["", "Hardware", "Network"]));
        let _ = write!(
            text,
            "{},",
            rng.pick(&["", "incident", "service_request", "problem", "alert", "project"])
        );
        let _ = write!(text, "{},{},", rng.pick(&["", "email", "phone", "portal"]), number(rng));
        for _ in 0..8 {
            let _ = write!(text, "{},", timestamp(rng));
        }
        let _ = writeln!(text, "{},{}", rng.below(3), rng.below(3));
    }
    files.push(("tickets.csv".into(), text));

    let mut text = String::from("id,resource_id,ticket_id,started_at,ended_at,hours,billable,created_at\n");
    for e in 0..rng.below(80) {
        let (resource, ticket) = (resource(rng), ticket(rng));
        let (started, ended, hours) = (timestamp(rng), timestamp(rng), number(rng));
        let billable = rng.pick(&["", "true", "false"]);
        let _ = writeln!(
            text,
            "E{e},{resource},{},{started},{ended},{hours},{billable},{}",
            maybe(rng, &ticket),
            timestamp(rng)
        );
    }
    files.push(("time_entries.csv".into(), text));

    let mut text = String::from("id,ticket_id,resource_id,client_id,responded_at,score,max_score\n");
    for s in 0..rng.below(20) {
        let (ticket, resource, client) = (ticket(rng), resource(rng), client(rng));
        let max = rng.pick(&["", "5", "10", "0"]);
        let _ =
            writeln!(text, "S{s},{ticket},{resource},{client},{},{},{max}", timestamp(rng), rng.below(11));
    }
    files.push(("surveys.csv".into(), text));
    files
}

#[test]
fn the_standard_scorecards_never_panic_on_generated_data() {
    let var =
        |name: &str, default: u64| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    let (seed, count) = (var("KPI_FUZZ_SEED", 1), var("KPI_FUZZ_CASES", 40));
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules");
    let (mut evaluated, mut refused) = (0, 0);
    for case in seed..seed + count {
        let mut rng = Rng(case.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let files = dataset(&mut rng);
        let request = Request {
            rules: vec![rules.clone()],
            data: Some(DataInput::Tables { name: format!("case {case}").into(), files }),
            as_of: AsOf::Text("2026-10-01T00:00:00Z".into()),
            skip_bad_rows: rng.chance(50),
            // The business scorecards read tables of data contract v1.1 that these datasets
            // leave out (an error naming them, tested in the catalogue).
            scorecards: ["tech_balanced", "service_delivery", "client_health", "intake"]
                .map(String::from)
                .to_vec(),
            ..Request::default()
        };
        match kpi_driver::prepare(&request) {
            Ok(session) => {
                evaluated += 1;
                for card in session.evaluate().unwrap_or_else(|e| panic!("case {case}: {e}")) {
                    for row in &card.rows {
                        if let Some(score) = row.score {
                            assert!(
                                (0.0..=100.0).contains(&score),
                                "case {case}: {} scores {score}",
                                card.id
                            );
                        }
                        for kpi in &row.kpis {
                            assert!(kpi.value.is_none_or(f64::is_finite), "case {case}: {:?}", kpi.value);
                        }
                    }
                }
            }
            Err(Failure::Data { .. }) => refused += 1,
            Err(other) => panic!("case {case}: {other}"),
        }
    }
    assert!(evaluated * 3 >= count, "only {evaluated} of {count} datasets evaluated ({refused} refused)");
}
