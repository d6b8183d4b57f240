//! A deterministic synthetic MSP dataset: technicians with habits, clients, tickets with SLA milestones, time, surveys.
use crate::value::{days_from_civil, write_timestamp};
use rayon::prelude::*;
use std::io::Write;
use std::path::Path;

/// How big a dataset to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// 10 technicians, 4 months, about 2,000 tickets: the bundled demo.
    Small,
    /// 30 technicians, 24 months, about 100,000 tickets.
    Medium,
    /// 300 technicians, 24 months, about 1,000,000 tickets and 5,000,000 time entries.
    Large,
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
            n => match n.parse::<u32>() {
                Ok(n) if (1..=100_000).contains(&n) => Ok(Scale::Technicians(n)),
                _ => {
                    Err(format!("`{s}` is not a scale: use small, medium, large or a number of technicians"))
                }
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
}

/// The default end of the data: 2026-10-01T00:00:00Z.
pub const DEFAULT_END: i64 = 20_727 * 86_400;

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions { seed: 1, scale: Scale::Small, end: DEFAULT_END }
    }
}

/// Rows and bytes written per file.
#[derive(Debug, Clone, Default)]
pub struct GenerateReport {
    pub files: Vec<(String, usize, u64)>,
}

/// SplitMix64: tiny, fast and fixed, so output never changes with a dependency's version.
#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64, stream: u64) -> Rng {
        let mut r = Rng(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03));
        r.next();
        r
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    /// Exponential with the given mean.
    fn exp(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.unit()).ln()
    }
    fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut x = self.unit() * total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }
}

const FIRST: &[&str] = &[
    "Ann", "Bob", "Carla", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jamal", "Kira", "Liam", "Maya",
    "Nico", "Olga", "Pavel", "Quinn", "Rosa", "Sam", "Tara", "Umar", "Vera", "Wes", "Xena", "Yusuf", "Zoe",
];
const LAST: &[&str] = &[
    "Adams", "Brooks", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jensen", "Kowalski",
    "Lopez", "Meyer", "Novak", "Okafor", "Patel", "Quinlan", "Rossi", "Silva", "Tanaka", "Ueda", "Varga",
    "Weber", "Young",
];
const TEAMS: &[&str] = &["Service Desk", "Field Services", "NOC", "Projects"];
const COMPANY_A: &[&str] = &[
    "Acme",
    "Blue Harbor",
    "Cedar",
    "Delta",
    "Evergreen",
    "Fairview",
    "Granite",
    "Horizon",
    "Ironwood",
    "Juniper",
    "Keystone",
    "Lakeside",
    "Maple",
    "Northwind",
    "Oakridge",
    "Pinnacle",
    "Quarry",
    "Riverside",
    "Summit",
    "Trident",
];
const COMPANY_B: &[&str] = &[
    "Dental",
    "Law Group",
    "Logistics",
    "Clinic",
    "Accounting",
    "Builders",
    "Realty",
    "Foods",
    "Schools",
    "Labs",
];
const ISSUE_TYPES: &[&str] =
    &["Hardware", "Software", "Network", "Email", "Security", "User Account", "Printing"];

/// ticket_type labels and how often each occurs.
const TYPES: &[(&str, f64)] = &[
    ("incident", 35.0),
    ("service_request", 30.0),
    ("alert", 12.0),
    ("change_request", 7.0),
    ("maintenance", 6.0),
    ("project", 6.0),
    ("problem", 4.0),
];
/// Priority, weight, SLA hours for first response, resolution plan, resolution.
const PRIORITIES: &[(&str, f64, [f64; 3])] = &[
    ("Critical", 5.0, [0.25, 1.0, 4.0]),
    ("High", 20.0, [1.0, 4.0, 8.0]),
    ("Medium", 50.0, [2.0, 8.0, 24.0]),
    ("Low", 25.0, [4.0, 16.0, 72.0]),
];

/// A technician and their habits.
struct Tech {
    id: String,
    name: String,
    team: &'static str,
    hours_per_day: Option<f64>,
    /// Months (index) in which the technician works; inactive ones left before the end.
    last_month: u32,
    active: bool,
    /// Share of the ticket load.
    load: f64,
    /// Billable utilisation aimed at.
    utilization: f64,
    /// Chance an entry is recorded late (hours or days after the work).
    late_entry: f64,
    /// Multiplies time to respond and resolve.
    slowness: f64,
    /// Chance a ticket is solved in a single entry.
    single_entry: f64,
    /// Mean survey score on a 5-point scale.
    satisfaction: f64,
}

struct Client {
    id: String,
    name: String,
    endpoints: u32,
    /// This client's surveys use a 10-point scale.
    ten_point: bool,
}

const HOUR: i64 = 3600;
const DAY: i64 = 86_400;

fn techs(rng: &mut Rng, n: u32, months: u32) -> Vec<Tech> {
    (0..n)
        .map(|i| {
            let mut name = format!(
                "{} {}",
                FIRST[rng.below(FIRST.len() as u64) as usize],
                LAST[i as usize % LAST.len()]
            );
            if i as usize >= LAST.len() {
                name.push_str(&format!(" {}", i / LAST.len() as u32 + 1));
            }
            // Fixed habit archetypes by position, so even the small demo has each kind.
            let archetype = i % 10;
            let inactive = archetype == 7 || (n > 20 && rng.chance(0.03));
            let last_month =
                if inactive { months.saturating_sub(1 + months / 3).max(1) - 1 } else { months - 1 };
            Tech {
                id: format!("R{:03}", i + 1),
                name,
                team: TEAMS[(i as usize) % TEAMS.len()],
                hours_per_day: match archetype {
                    4 => Some(6.0),
                    9 => None,
                    _ => Some(8.0),
                },
                last_month,
                active: !inactive,
                load: rng.range(0.7, 1.3),
                utilization: match archetype {
                    1 => rng.range(1.0, 1.15), // over-utilised
                    3 => rng.range(0.45, 0.6), // under-utilised
                    _ => rng.range(0.72, 0.92),
                },
                late_entry: if archetype == 2 || archetype == 6 {
                    rng.range(0.5, 0.8)
                } else {
                    rng.range(0.0, 0.08)
                },
                slowness: if archetype == 5 { rng.range(2.0, 3.0) } else { rng.range(0.6, 1.2) },
                single_entry: rng.range(0.5, 0.72),
                satisfaction: if archetype == 5 { rng.range(3.4, 4.0) } else { rng.range(4.2, 4.9) },
            }
        })
        .collect()
}

fn clients(rng: &mut Rng, n: u32) -> Vec<Client> {
    (0..n)
        .map(|i| {
            let a = COMPANY_A[i as usize % COMPANY_A.len()];
            let b = COMPANY_B[(i as usize / COMPANY_A.len() + i as usize) % COMPANY_B.len()];
            let mut name = format!("{a} {b}");
            if i as usize >= COMPANY_A.len() * COMPANY_B.len() {
                name.push_str(&format!(" {}", i + 1));
            }
            Client {
                id: format!("C{:04}", i + 1),
                name,
                // The second client has no endpoint contract (a break-fix client).
                endpoints: if i == 1 { 0 } else { (rng.exp(220.0) + 20.0).min(5000.0) as u32 },
                ten_point: i % 5 == 4,
            }
        })
        .collect()
}

/// A growing output buffer with cheap formatting.
struct Out(Vec<u8>);

impl Out {
    fn s(&mut self, s: &str) -> &mut Self {
        self.0.extend_from_slice(s.as_bytes());
        self
    }
    fn c(&mut self) -> &mut Self {
        self.0.push(b',');
        self
    }
    fn n(&mut self, mut v: u64) -> &mut Self {
        let mut buf = [0u8; 20];
        let mut i = buf.len();
        loop {
            i -= 1;
            buf[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        self.0.extend_from_slice(&buf[i..]);
        self
    }
    /// A non-negative multiple of 0.25.
    fn quarter(&mut self, v: f64) -> &mut Self {
        let q = (v * 4.0).round().max(0.0) as u64;
        self.n(q / 4);
        match q % 4 {
            1 => self.s(".25"),
            2 => self.s(".5"),
            3 => self.s(".75"),
            _ => self,
        }
    }
    fn t(&mut self, secs: i64) -> &mut Self {
        write_timestamp(&mut self.0, secs);
        self
    }
    fn opt_t(&mut self, secs: Option<i64>) -> &mut Self {
        if let Some(s) = secs {
            self.t(s);
        }
        self
    }
    fn nl(&mut self) {
        self.0.push(b'\n');
    }
}

/// The first instant of month `m` counted back from `end` (month 0 is the earliest).
fn month_start(end: i64, months: u32, m: u32) -> i64 {
    let (y, mo, _) = crate::value::civil_from_days(end.div_euclid(DAY));
    let total = y * 12 + i64::from(mo) - 1 - i64::from(months) + i64::from(m);
    days_from_civil(total.div_euclid(12), (total.rem_euclid(12) + 1) as u32, 1) * DAY
}

struct MonthOut {
    tickets: Out,
    entries: Out,
    surveys: Out,
    counts: [usize; 3],
}

struct World {
    techs: Vec<Tech>,
    clients: Vec<Client>,
    client_weights: Vec<f64>,
    end: i64,
    months: u32,
    seed: u64,
    /// Tickets per technician-month.
    rate: f64,
}

/// A ticket drafted before ids are given in creation order.
struct Draft {
    created: i64,
    tech: Option<usize>,
    rng: Rng,
}

fn gen_month(w: &World, m: u32, counts: &[u32], first_id: u64) -> MonthOut {
    let start = month_start(w.end, w.months, m);
    let stop = month_start(w.end, w.months, m + 1);
    let mut rng = Rng::new(w.seed, 1000 + u64::from(m));
    let mut drafts = Vec::new();
    for (ti, &n) in counts.iter().enumerate() {
        for _ in 0..n {
            let created = created_time(&mut rng, start, stop);
            // Tickets of the last days may still sit unassigned in triage.
            let tech = if created > w.end - 2 * DAY && rng.chance(0.3) { None } else { Some(ti) };
            drafts.push(Draft { created, tech, rng: Rng::new(rng.next(), 7) });
        }
    }
    drafts.sort_by_key(|d| d.created);
    let mut out = MonthOut {
        tickets: Out(Vec::with_capacity(drafts.len() * 300)),
        entries: Out(Vec::with_capacity(drafts.len() * 500)),
        surveys: Out(Vec::new()),
        counts: [0; 3],
    };
    for (i, d) in drafts.into_iter().enumerate() {
        ticket(w, &mut out, first_id + i as u64, d);
    }
    // Internal (non-ticket) time: meetings, training.
    for (ti, t) in w.techs.iter().enumerate() {
        if m > t.last_month {
            continue;
        }
        let n = 3 + rng.below(5);
        for k in 0..n {
            let started = day_time(&mut rng, start, stop, 9, 17);
            let hours = [0.5, 1.0, 1.5, 2.0][rng.below(4) as usize];
            let ended = started + (hours * 3600.0) as i64;
            let recorded = ended + (rng.exp(0.3) * 3600.0) as i64;
            if recorded >= w.end {
                continue;
            }
            let e = &mut out.entries;
            e.s("I").n(u64::from(m) + 1).s("-").n(ti as u64 + 1).s("-").n(k + 1).c().s(&t.id).c().c();
            e.t(started).c().t(ended).c().quarter(hours).c().s("false").c().t(recorded).nl();
            out.counts[1] += 1;
        }
    }
    out
}

/// A creation time: weekdays in office hours mostly, some nights and weekends.
fn created_time(rng: &mut Rng, start: i64, stop: i64) -> i64 {
    if rng.chance(0.12) {
        return start + rng.below((stop - start) as u64) as i64;
    }
    day_time(rng, start, stop, 8, 18)
}

fn day_time(rng: &mut Rng, start: i64, stop: i64, from_hour: i64, to_hour: i64) -> i64 {
    let days = (stop - start) / DAY;
    for _ in 0..8 {
        let day = start / DAY + rng.below(days as u64) as i64;
        // 1970-01-01 was a Thursday: weekday 0 = Monday.
        if (day + 3).rem_euclid(7) < 5 {
            return day * DAY + from_hour * HOUR + rng.below(((to_hour - from_hour) * HOUR) as u64) as i64;
        }
    }
    start + from_hour * HOUR
}

fn ticket(w: &World, out: &mut MonthOut, number: u64, d: Draft) {
    let Draft { created, tech, mut rng } = d;
    let end = w.end;
    let t = tech.map(|i| &w.techs[i]);
    let slowness = t.map_or(1.0, |t| t.slowness);
    let ty = TYPES[rng.weighted(&TYPES.iter().map(|t| t.1).collect::<Vec<_>>())].0;
    let (priority, _, sla) = PRIORITIES[rng.weighted(&PRIORITIES.iter().map(|p| p.1).collect::<Vec<_>>())];
    let client = &w.clients[rng.weighted(&w.client_weights)];
    let source = match ty {
        "alert" => "monitoring",
        "maintenance" => "scheduled",
        _ => ["phone", "email", "portal", "email"][rng.below(4) as usize],
    };
    let mut queue = match ty {
        "alert" => "Monitoring Alerts",
        "project" => "Projects",
        _ if rng.chance(0.7) => "Level I Support",
        _ => "Level II Support",
    };
    let estimate = match ty {
        "alert" => None,
        "project" => Some([4.0, 8.0, 16.0, 24.0][rng.below(4) as usize]),
        _ => Some([0.5, 1.0, 1.0, 2.0, 4.0][rng.below(5) as usize]),
    };
    let hours = |h: f64| (h * 3600.0) as i64;
    let response_due = created + hours(sla[0]);
    let plan_due = created + hours(sla[1]);
    let resolve_due = created + hours(sla[2] * if ty == "project" { 10.0 } else { 1.0 });
    // Reached times scatter around a fraction of the target, so most are met and slow techs miss more.
    let responded = created + hours(sla[0] * rng.exp(0.45) * slowness).max(60);
    let planned = responded + hours(sla[1] * rng.exp(0.4) * slowness);
    let mut resolved =
        planned + hours(sla[2] * rng.exp(0.35) * slowness * if ty == "project" { 8.0 } else { 1.0 });
    let reopens = if rng.chance(0.04 * slowness) { 1 + rng.below(2) } else { 0 };
    let escalations = if rng.chance(0.06 * slowness) { 1 + rng.below(2) } else { 0 };
    if reopens > 0 {
        resolved += hours(rng.range(4.0, 72.0));
    }
    let completed = resolved + hours(rng.exp(0.5));
    let reached = |x: i64| if x < end && tech.is_some() { Some(x) } else { None };
    let responded = reached(responded);
    let planned = responded.and(reached(planned));
    let resolved = planned.and(reached(resolved));
    let completed = resolved.and(reached(completed));
    let status = match (completed, responded) {
        (Some(_), _) => "Complete",
        (None, None) => {
            queue = "Triage";
            "New"
        }
        _ => {
            ["In Progress", "Waiting Customer", "On Hold", "On Hold", "Waiting Vendor"][rng.below(5) as usize]
        }
    };
    let due = match status {
        "On Hold" => Some(created + rng.below(20 * DAY as u64) as i64 + DAY),
        _ if ty == "project" => Some(resolve_due),
        _ => None,
    };

    // Time entries across the ticket's life.
    let mut last_activity = responded.unwrap_or(created);
    let mut entry_count = 0u64;
    if let Some(ti) = tech {
        let tech = &w.techs[ti];
        let n = if rng.chance(tech.single_entry) { 1 } else { 3 + rng.below(18) };
        let until = completed.unwrap_or(end).min(end);
        // About 5.1 entries per ticket; 1.15 makes up for non-billable and dropped entries.
        let mean = 1.15 * tech.utilization * 21.0 * 8.0 / (w.rate * tech.load * 5.1);
        let billable_p = match ty {
            "alert" => 0.7,
            "maintenance" => 0.5,
            _ => 0.93,
        };
        for k in 0..n {
            let span = (until - created).max(900);
            let started = created + (span as f64 * (k as f64 + rng.unit()) / n as f64) as i64;
            let h = (mean * rng.range(0.3, 1.7)).max(0.25);
            let h = (h * 4.0).round() / 4.0;
            let ended = started + hours(h);
            let recorded = if rng.chance(tech.late_entry) {
                ended + hours(rng.range(2.0, 96.0))
            } else {
                ended + hours(rng.exp(0.15))
            };
            if recorded >= end || ended >= end {
                continue;
            }
            // Escalated tickets get some work from a colleague.
            let worker = if escalations > 0 && k % 3 == 2 { (ti + 1) % w.techs.len() } else { ti };
            if w.techs[worker].last_month < month_of(w, started) {
                continue;
            }
            entry_count += 1;
            let e = &mut out.entries;
            e.s("T").n(number).s("-").n(k + 1).c().s(&w.techs[worker].id).c().s("T").n(number).c();
            e.t(started).c().t(ended).c().quarter(h).c().s(if rng.chance(billable_p) {
                "true"
            } else {
                "false"
            });
            e.c().t(recorded).nl();
            last_activity = last_activity.max(ended);
        }
    }
    out.counts[1] += entry_count as usize;
    if let Some(c) = completed {
        last_activity = last_activity.max(c);
    }
    if status == "Waiting Customer" && rng.chance(0.5) {
        // A ticket waiting on the client without news for a while.
        last_activity = last_activity.min(end - hours(rng.range(50.0, 300.0))).max(created);
    }
    let last_activity = last_activity.min(end - 1);

    let o = &mut out.tickets;
    o.s("T").n(number).c().s(&client.id).c();
    if let Some(t) = t {
        o.s(&t.id);
    }
    o.c().t(created).c().opt_t(completed).c().s(status).c().s(priority).c().s(queue).c();
    o.s(ISSUE_TYPES[rng.below(ISSUE_TYPES.len() as u64) as usize]).c().s(ty).c().s(source).c();
    if let Some(e) = estimate {
        o.quarter(e);
    }
    o.c().t(response_due).c().opt_t(responded).c().t(plan_due).c().opt_t(planned).c().t(resolve_due).c();
    o.opt_t(resolved).c().opt_t(due).c().t(last_activity).c().n(reopens).c().n(escalations).nl();
    out.counts[0] += 1;

    // About one completed ticket in ten gets a survey answer.
    if let (Some(c), Some(t)) = (completed, t) {
        if rng.chance(0.1) {
            let responded_at = c + hours(rng.range(0.5, 72.0));
            if responded_at < end {
                let five = (t.satisfaction + rng.range(-1.2, 0.9)).round().clamp(1.0, 5.0);
                let s = &mut out.surveys;
                s.s("S")
                    .n(number)
                    .c()
                    .s("T")
                    .n(number)
                    .c()
                    .s(&t.id)
                    .c()
                    .s(&client.id)
                    .c()
                    .t(responded_at)
                    .c();
                if client.ten_point {
                    s.n((five * 2.0 - rng.below(2) as f64).max(0.0) as u64).c().s("10").nl();
                } else {
                    s.n(five as u64).c().nl();
                }
                out.counts[2] += 1;
            }
        }
    }
}

fn month_of(w: &World, t: i64) -> u32 {
    (0..w.months).rev().find(|&m| month_start(w.end, w.months, m) <= t).unwrap_or(0)
}

const TICKET_HEADER: &str = "id,client_id,assigned_resource_id,created_at,completed_at,status,priority,queue,issue_type,ticket_type,source,estimated_hours,first_response_due,first_response_at,resolution_plan_due,resolution_plan_at,resolved_due,resolved_at,due_at,last_activity_at,reopen_count,escalation_count\n";
const ENTRY_HEADER: &str = "id,resource_id,ticket_id,started_at,ended_at,hours,billable,created_at\n";
const SURVEY_HEADER: &str = "id,ticket_id,resource_id,client_id,responded_at,score,max_score\n";

/// Writes `resources.csv`, `clients.csv`, `tickets.csv`, `time_entries.csv` and `surveys.csv` into
/// `out` (created if needed). The same options always give byte-identical files.
pub fn generate(out_dir: &Path, options: &GenerateOptions) -> std::io::Result<GenerateReport> {
    std::fs::create_dir_all(out_dir)?;
    let (n_techs, months, rate) = options.scale.shape();
    let mut rng = Rng::new(options.seed, 1);
    let techs = techs(&mut rng, n_techs, months);
    let clients = clients(&mut rng, (n_techs * 2).max(12));
    let client_weights = clients.iter().map(|c| f64::from(c.endpoints) + 15.0).collect();
    let world = World { techs, clients, client_weights, end: options.end, months, seed: options.seed, rate };
    let mut report = GenerateReport::default();

    let mut o = Out(Vec::new());
    o.s("id,name,team,hours_per_day,active\n");
    for t in &world.techs {
        o.s(&t.id).c().s(&t.name).c().s(t.team).c();
        if let Some(h) = t.hours_per_day {
            o.quarter(h);
        }
        o.c().s(if t.active { "true" } else { "false" }).nl();
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
    let batch = (rayon::current_num_threads() * 2).max(2) as u32;
    let mut m = 0;
    while m < months {
        let upto = (m + batch).min(months);
        let outs: Vec<MonthOut> = (m..upto)
            .into_par_iter()
            .map(|mi| gen_month(&world, mi, &counts[mi as usize], first_ids[mi as usize]))
            .collect();
        for mo in outs {
            for (k, buf) in [&mo.tickets, &mo.entries, &mo.surveys].into_iter().enumerate() {
                writers[k].0.write_all(&buf.0)?;
                writers[k].1 += buf.0.len() as u64;
                writers[k].2 += mo.counts[k];
            }
        }
        m = upto;
    }
    for (f, (mut w, bytes, rows)) in files.iter().zip(writers) {
        w.flush()?;
        report.files.push((f.to_string(), rows, bytes));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_starts() {
        assert_eq!(month_start(DEFAULT_END, 4, 0), days_from_civil(2026, 6, 1) * DAY);
        assert_eq!(month_start(DEFAULT_END, 24, 0), days_from_civil(2024, 10, 1) * DAY);
        assert_eq!(month_start(DEFAULT_END, 4, 4), DEFAULT_END);
    }
}
