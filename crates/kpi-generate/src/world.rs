//! The cast of a dataset: technicians with habits, clients, the label sets tickets draw from.
use crate::rng::Rng;

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
pub(crate) const ISSUE_TYPES: &[&str] =
    &["Hardware", "Software", "Network", "Email", "Security", "User Account", "Printing"];

/// ticket_type labels and how often each occurs.
pub(crate) const TYPES: &[(&str, f64)] = &[
    ("incident", 35.0),
    ("service_request", 30.0),
    ("alert", 12.0),
    ("change_request", 7.0),
    ("maintenance", 6.0),
    ("project", 6.0),
    ("problem", 4.0),
];
/// Priority, weight, SLA hours for first response, resolution plan, resolution.
pub(crate) const PRIORITIES: &[(&str, f64, [f64; 3])] = &[
    ("Critical", 5.0, [0.25, 1.0, 4.0]),
    ("High", 20.0, [1.0, 4.0, 8.0]),
    ("Medium", 50.0, [2.0, 8.0, 24.0]),
    ("Low", 25.0, [4.0, 16.0, 72.0]),
];

/// A technician and their habits.
pub(crate) struct Tech {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) team: &'static str,
    pub(crate) hours_per_day: Option<f64>,
    /// Months (index) in which the technician works; inactive ones left before the end.
    pub(crate) last_month: u32,
    pub(crate) active: bool,
    /// Share of the ticket load.
    pub(crate) load: f64,
    /// Billable utilisation aimed at.
    pub(crate) utilization: f64,
    /// Chance an entry is recorded late (hours or days after the work).
    pub(crate) late_entry: f64,
    /// Multiplies time to respond and resolve.
    pub(crate) slowness: f64,
    /// Chance a ticket is solved in a single entry.
    pub(crate) single_entry: f64,
    /// Mean survey score on a 5-point scale.
    pub(crate) satisfaction: f64,
}

pub(crate) struct Client {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) endpoints: u32,
    /// This client's surveys use a 10-point scale.
    pub(crate) ten_point: bool,
}

pub(crate) const HOUR: i64 = 3600;
pub(crate) const DAY: i64 = 86_400;

pub(crate) fn techs(rng: &mut Rng, n: u32, months: u32) -> Vec<Tech> {
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

pub(crate) fn clients(rng: &mut Rng, n: u32) -> Vec<Client> {
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

/// Everything a month of tickets is drawn from.
pub(crate) struct World {
    pub(crate) techs: Vec<Tech>,
    pub(crate) clients: Vec<Client>,
    pub(crate) client_weights: Vec<f64>,
    pub(crate) end: i64,
    pub(crate) months: u32,
    pub(crate) seed: u64,
    /// Tickets per technician-month.
    pub(crate) rate: f64,
    pub(crate) projects: Vec<crate::business::Project>,
    /// Indexes into `projects` per client.
    pub(crate) client_projects: Vec<Vec<usize>>,
}
