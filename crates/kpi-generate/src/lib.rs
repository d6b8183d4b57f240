//! A deterministic synthetic MSP dataset (`kpi generate`): technicians with habits, clients, tickets with SLA milestones, time, surveys.
use rayon::prelude::*;
use std::io::Write;
use std::path::Path;

mod business;
mod month;
mod order;
mod out;
mod rng;
mod world;

use month::{gen_month, MonthOut};
pub use order::Order;
use order::{reorder, Big};
use out::Out;
use rng::Rng;
use world::{clients, techs, World};

/// How big a dataset to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// 10 technicians, 4 months, about 2,000 tickets: the bundled demo.
    Small,
    /// 30 technicians, 24 months, about 100,000 tickets.
    Medium,
    /// 300 technicians, 24 months, about 1,000,000 tickets and 5,000,000 time entries.
    Large,
    /// 3,000 technicians, 24 months, about 10,000,000 tickets and 50,000,000 time entries (7 GB).
    XLarge,
    /// This many technicians over 24 months, at the large scale's ticket rate.
    Technicians(u32),
}

impl std::str::FromStr for Scale {
    type Err = String;
    fn from_str(s: &str) -> Result<Scale, String> {
        match s {
            "small" => Ok(Scale::Small),
            "medium" => Ok(Scale::Medium),
            "large" => Ok(Scale::Large),
            "xlarge" => Ok(Scale::XLarge),
            n => match n.parse::<u32>() {
                Ok(n) if (1..=100_000).contains(&n) => Ok(Scale::Technicians(n)),
                _ => Err(format!(
                    "`{s}` is not a scale: use small, medium, large, xlarge or a number of technicians"
                )),
            },
        }
    }
}

impl Scale {
    /// (technicians, months, tickets per technician per month)
    fn shape(self) -> (u32, u32, f64) {
        match self {
            Scale::Small => (10, 4, 55.0),
            Scale::Medium => (30, 24, 139.0),
            Scale::Large => (300, 24, 139.0),
            Scale::XLarge => (3000, 24, 139.0),
            Scale::Technicians(n) => (n, 24, 139.0),
        }
    }
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    pub seed: u64,
    pub scale: Scale,
    /// The instant the data ends (exclusive), seconds since the epoch, UTC; the first of a month.
    pub end: i64,
    /// The order of the rows of tickets, time entries and surveys.
    pub order: Order,
}

/// The default end of the data: 2026-10-01T00:00:00Z.
pub const DEFAULT_END: i64 = 20_727 * 86_400;

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions { seed: 1, scale: Scale::Small, end: DEFAULT_END, order: Order::Generated }
    }
}

/// Rows and bytes written per file.
#[derive(Debug, Clone, Default)]
pub struct GenerateReport {
    pub files: Vec<(String, usize, u64)>,
}

const TICKET_HEADER: &str = "id,client_id,assigned_resource_id,created_at,completed_at,status,priority,queue,issue_type,ticket_type,source,estimated_hours,first_response_due,first_response_at,resolution_plan_due,resolution_plan_at,resolved_due,resolved_at,due_at,last_activity_at,reopen_count,escalation_count\n";
const ENTRY_HEADER: &str =
    "id,resource_id,ticket_id,started_at,ended_at,hours,billable,created_at,project_id\n";
const SURVEY_HEADER: &str = "id,ticket_id,resource_id,client_id,responded_at,score,max_score\n";

/// Writes `resources.csv`, `clients.csv`, `tickets.csv`, `time_entries.csv`, `surveys.csv` and the
/// business tables (`projects.csv`, `contracts.csv`, `devices.csv`, `billing_items.csv`,
/// `opportunities.csv`) into `out` (created if needed). The same options always give byte-identical files.
pub fn generate(out_dir: &Path, options: &GenerateOptions) -> std::io::Result<GenerateReport> {
    std::fs::create_dir_all(out_dir)?;
    let (n_techs, months, rate) = options.scale.shape();
    let mut rng = Rng::new(options.seed, 1);
    let techs = techs(&mut rng, n_techs, months);
    let clients = clients(&mut rng, (n_techs * 2).max(12));
    let client_weights = clients.iter().map(|c| f64::from(c.endpoints) + 15.0).collect();
    let projects = business::projects(options.seed, clients.len(), options.end, months);
    let mut client_projects = vec![Vec::new(); clients.len()];
    for (i, p) in projects.iter().enumerate() {
        client_projects[p.client].push(i);
    }
    let world = World {
        techs,
        clients,
        client_weights,
        end: options.end,
        months,
        seed: options.seed,
        rate,
        projects,
        client_projects,
    };
    let mut report = GenerateReport::default();

    let mut o = Out(Vec::new());
    o.s("id,name,team,hours_per_day,active,cost_per_hour\n");
    for (t, cost) in world.techs.iter().zip(business::costs(&world)) {
        o.s(&t.id).c().s(&t.name).c().s(t.team).c();
        if let Some(h) = t.hours_per_day {
            o.quarter(h);
        }
        o.c().s(if t.active { "true" } else { "false" }).c().quarter(cost).nl();
    }
    write_file(out_dir, "resources.csv", &o.0, world.techs.len(), &mut report)?;
    let mut o = Out(Vec::new());
    o.s("id,name,endpoints\n");
    for c in &world.clients {
        o.s(&c.id).c().s(&c.name).c().n(u64::from(c.endpoints)).nl();
    }
    write_file(out_dir, "clients.csv", &o.0, world.clients.len(), &mut report)?;

    // Ticket counts per month and technician are drawn up front so ids can be numbered in order
    // while months are generated in parallel.
    let counts: Vec<Vec<u32>> = (0..months)
        .map(|m| {
            world
                .techs
                .iter()
                .map(|t| {
                    if m > t.last_month {
                        0
                    } else {
                        (rate * t.load * rng.range(0.85, 1.15)).round() as u32
                    }
                })
                .collect()
        })
        .collect();
    let mut first_ids = Vec::with_capacity(months as usize);
    let mut next = 100_001u64;
    for c in &counts {
        first_ids.push(next);
        next += c.iter().map(|&n| u64::from(n)).sum::<u64>();
    }
    let files = ["tickets.csv", "time_entries.csv", "surveys.csv"];
    let mut writers = Vec::new();
    for (f, h) in files.iter().zip([TICKET_HEADER, ENTRY_HEADER, SURVEY_HEADER]) {
        let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(out_dir.join(f))?);
        w.write_all(h.as_bytes())?;
        writers.push((w, h.len() as u64, 0usize));
    }
    // Any order but the generated one needs whole files before a row is written.
    let mut held = (options.order != Order::Generated).then(|| [Vec::new(), Vec::new(), Vec::new()]);
    let mut project_hours = vec![0.0; world.projects.len()];
    let batch = (rayon::current_num_threads() * 2).max(2) as u32;
    let mut m = 0;
    while m < months {
        let upto = (m + batch).min(months);
        let outs: Vec<MonthOut> = (m..upto)
            .into_par_iter()
            .map(|mi| gen_month(&world, mi, &counts[mi as usize], first_ids[mi as usize]))
            .collect();
        for mo in outs {
            project_hours.iter_mut().zip(&mo.project_hours).for_each(|(a, b)| *a += b);
            for (k, buf) in [&mo.tickets, &mo.entries, &mo.surveys].into_iter().enumerate() {
                match &mut held {
                    Some(bodies) => bodies[k].extend_from_slice(&buf.0),
                    None => writers[k].0.write_all(&buf.0)?,
                }
                writers[k].1 += buf.0.len() as u64;
                writers[k].2 += mo.counts[k];
            }
        }
        m = upto;
    }
    if let Some(bodies) = held {
        let bigs = [Big::Tickets, Big::Entries, Big::Surveys];
        for (k, big) in bigs.into_iter().enumerate() {
            let body = reorder(&bodies[k], big, options.order, options.seed, &bodies[0]);
            writers[k].0.write_all(&body)?;
        }
    }
    for (f, (mut w, bytes, rows)) in files.iter().zip(writers) {
        w.flush()?;
        report.files.push((f.to_string(), rows, bytes));
    }
    let (bytes, rows) = business::write_projects(&world, &project_hours);
    write_file(out_dir, "projects.csv", &bytes, rows, &mut report)?;
    for (name, bytes, rows) in business::write_business(&world) {
        write_file(out_dir, name, &bytes, rows, &mut report)?;
    }
    Ok(report)
}

fn write_file(
    dir: &Path,
    name: &str,
    bytes: &[u8],
    rows: usize,
    report: &mut GenerateReport,
) -> std::io::Result<()> {
    std::fs::write(dir.join(name), bytes)?;
    report.files.push((name.to_string(), rows, bytes.len() as u64));
    Ok(())
}
