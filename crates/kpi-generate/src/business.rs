//! The business tables of data contract v1.1 (contracts, devices, billing items, projects,
//! opportunities) and the labour cost of technicians, drawn from their own random streams so
//! the ticket and time tables come out exactly as before.
use crate::month::month_start;
use crate::out::Out;
use crate::rng::Rng;
use crate::world::{World, DAY, HOUR};

/// Random streams of the business tables (the ticket months use 1000 + month).
const STREAM_PROJECTS: u64 = 50_001;
const STREAM_CONTRACTS: u64 = 50_002;
const STREAM_DEVICES: u64 = 50_003;
const STREAM_BILLING: u64 = 50_004;
const STREAM_SALES: u64 = 50_005;
const STREAM_COSTS: u64 = 50_006;

/// A project of a client: time entries of the client's project tickets book to it while it runs.
pub(crate) struct Project {
    pub(crate) id: String,
    pub(crate) client: usize,
    pub(crate) start: i64,
    pub(crate) due: i64,
    pub(crate) completed: Option<i64>,
    /// Budgeted hours as a share of the hours the project will take (< 1: over budget).
    budget_factor: f64,
}

/// The projects, per client in start order; drawn before the months so entries can book to them.
pub(crate) fn projects(seed: u64, n_clients: usize, end: i64, months: u32) -> Vec<Project> {
    let mut rng = Rng::new(seed, STREAM_PROJECTS);
    let first = month_start(end, months, 0);
    let mut out = Vec::new();
    for client in 0..n_clients {
        let n = rng.below(u64::from(months / 3 + 2));
        let mut starts: Vec<i64> =
            (0..n).map(|_| first - 30 * DAY + (rng.unit() * (end - first) as f64) as i64).collect();
        starts.sort_unstable();
        for start in starts {
            let start = start.div_euclid(DAY) * DAY;
            let planned = (20 + rng.below(100)) as i64 * DAY;
            let took = (planned as f64 * rng.range(0.7, 1.4)) as i64;
            let done = start + took + 15 * HOUR;
            out.push(Project {
                id: String::new(),
                client,
                start,
                due: start + planned,
                completed: (done < end).then_some(done),
                budget_factor: rng.range(0.75, 1.6),
            });
        }
    }
    for (i, p) in out.iter_mut().enumerate() {
        p.id = format!("P{:04}", i + 1);
    }
    out
}

/// The project a client's project-ticket work at `t` books to: the first one running then.
pub(crate) fn project_at(w: &World, client: usize, t: i64) -> Option<usize> {
    w.client_projects[client]
        .iter()
        .copied()
        .find(|&p| w.projects[p].start <= t && w.projects[p].completed.is_none_or(|c| t < c))
}

fn date(o: &mut Out, secs: i64) {
    let mut t = Out(Vec::new());
    t.t(secs);
    o.0.extend_from_slice(&t.0[..10]);
}

fn money(o: &mut Out, v: f64) {
    let cents = (v * 100.0).round().max(0.0) as u64;
    o.n(cents / 100).s(".");
    if cents % 100 < 10 {
        o.s("0");
    }
    o.n(cents % 100);
}

/// Loaded cost per hour of each technician.
pub(crate) fn costs(w: &World) -> Vec<f64> {
    let mut rng = Rng::new(w.seed, STREAM_COSTS);
    w.techs.iter().map(|_| (rng.range(38.0, 72.0) * 4.0).round() / 4.0).collect()
}

/// `projects.csv`: budgets from the hours the projects' entries add up to.
pub(crate) fn write_projects(w: &World, hours: &[f64]) -> (Vec<u8>, usize) {
    let mut o = Out(Vec::new());
    o.s("id,client_id,name,budget_hours,start_date,due_date,completed_at\n");
    for (p, h) in w.projects.iter().zip(hours) {
        let c = &w.clients[p.client];
        o.s(&p.id).c().s(&c.id).c().s("Project ").s(&p.id[1..]).s(" for ").s(&c.name).c();
        o.quarter((h * p.budget_factor / 4.0).round().max(1.0) * 4.0).c();
        date(&mut o, p.start);
        o.c();
        date(&mut o, p.due);
        o.c().opt_t(p.completed).nl();
    }
    (o.0, w.projects.len())
}

const CONTRACT_TYPES: &[(&str, f64)] = &[
    ("managed", 60.0),
    ("block_hours", 12.0),
    ("time_and_materials", 12.0),
    ("retainer", 8.0),
    ("fixed_price", 8.0),
];

/// A contract drawn for a client: (type, start, end date, monthly value).
struct Contract {
    client: usize,
    ty: &'static str,
    start: i64,
    end: Option<i64>,
    monthly: f64,
}

fn draw_contracts(w: &World) -> Vec<Contract> {
    let mut rng = Rng::new(w.seed, STREAM_CONTRACTS);
    let first = month_start(w.end, w.months, 0);
    let mut out = Vec::new();
    for (ci, c) in w.clients.iter().enumerate() {
        let n = 1 + rng.below(3) as usize;
        for k in 0..n {
            let ty = if k == 0 {
                "managed"
            } else {
                CONTRACT_TYPES[rng.weighted(&CONTRACT_TYPES.iter().map(|t| t.1).collect::<Vec<_>>())].0
            };
            let start = (first - (rng.below(700) as i64 + 10) * DAY).div_euclid(DAY) * DAY;
            // Evergreen, a year or three, a short trial; some end soon after the data.
            let end = match rng.below(6) {
                0 => None,
                1 => Some(start + (rng.below(150) as i64 + 30) * DAY),
                2 => Some(w.end + (rng.below(90) as i64) * DAY),
                _ => Some(start + (365 * (1 + rng.below(3) as i64) - 1) * DAY),
            };
            let weight = f64::from(c.endpoints) + 15.0;
            let monthly =
                if ty == "managed" { weight * rng.range(24.0, 60.0) } else { rng.range(500.0, 3000.0) };
            out.push(Contract { client: ci, ty, start, end, monthly });
        }
    }
    out
}

/// `contracts.csv`, `devices.csv`, `billing_items.csv` and `opportunities.csv`.
pub(crate) fn write_business(w: &World) -> Vec<(&'static str, Vec<u8>, usize)> {
    let contracts = draw_contracts(w);
    let mut o = Out(Vec::new());
    o.s("id,client_id,name,contract_type,start_date,end_date,monthly_value\n");
    for (i, k) in contracts.iter().enumerate() {
        o.s("K").n(i as u64 + 1001).c().s(&w.clients[k.client].id).c().s(k.ty).s(" - ");
        o.s(&w.clients[k.client].name).c().s(k.ty).c();
        date(&mut o, k.start);
        o.c();
        if let Some(e) = k.end {
            date(&mut o, e);
        }
        o.c();
        money(&mut o, k.monthly);
        o.nl();
    }
    let contract_files = vec![
        ("contracts.csv", o.0, contracts.len()),
        devices(w, &contracts),
        billing(w, &contracts),
        opportunities(w),
    ];
    contract_files
}

const DEVICE_TYPES: &[(&str, f64)] =
    &[("workstation", 45.0), ("laptop", 30.0), ("server", 8.0), ("network", 8.0), ("printer", 9.0)];

fn devices(w: &World, contracts: &[Contract]) -> (&'static str, Vec<u8>, usize) {
    let mut rng = Rng::new(w.seed, STREAM_DEVICES);
    let first = month_start(w.end, w.months, 0);
    let mut o = Out(Vec::new());
    o.s("id,client_id,contract_id,device_type,discovered_at,reviewed_at,retired_at\n");
    let mut n = 0u64;
    for (ci, c) in w.clients.iter().enumerate() {
        let managed = contracts.iter().position(|k| k.client == ci && k.ty == "managed");
        let estate = (c.endpoints / 10).max(2);
        let new_per_month = rng.range(0.5, 4.0);
        let total = estate + (new_per_month * f64::from(w.months)) as u32;
        for d in 0..total {
            let discovered = if d < estate {
                first - (rng.below(900) as i64 + 1) * DAY + rng.below(DAY as u64) as i64
            } else {
                first + (rng.unit() * (w.end - first) as f64) as i64
            };
            // Recent discoveries may still wait for a review.
            let reviewed = if discovered > w.end - 45 * DAY && rng.chance(0.35) {
                None
            } else {
                Some(discovered + (rng.exp(4.0) * DAY as f64) as i64).filter(|&r| r < w.end)
            };
            let retired = rng
                .chance(0.06)
                .then(|| discovered + (rng.range(0.1, 1.0) * (w.end - discovered) as f64) as i64);
            let ty = DEVICE_TYPES[rng.weighted(&DEVICE_TYPES.iter().map(|t| t.1).collect::<Vec<_>>())].0;
            n += 1;
            o.s("D").n(100_000 + n).c().s(&c.id).c();
            if let (Some(k), true) = (managed, rng.chance(0.85)) {
                o.s("K").n(k as u64 + 1001);
            }
            o.c().s(ty).c().t(discovered).c().opt_t(reviewed).c().opt_t(retired.filter(|&r| r < w.end)).nl();
        }
    }
    ("devices.csv", o.0, n as usize)
}

fn billing(w: &World, contracts: &[Contract]) -> (&'static str, Vec<u8>, usize) {
    let mut rng = Rng::new(w.seed, STREAM_BILLING);
    let mut o = Out(Vec::new());
    o.s("id,client_id,contract_id,posted_at,amount,cost,kind\n");
    let mut n = 0u64;
    let mut item =
        |o: &mut Out, client: &str, contract: Option<usize>, at: i64, amount: f64, cost: f64, kind: &str| {
            n += 1;
            o.s("B").n(1_000_000 + n).c().s(client).c();
            if let Some(k) = contract {
                o.s("K").n(k as u64 + 1001);
            }
            o.c().t(at).c();
            money(o, amount);
            o.c();
            money(o, cost);
            o.c().s(kind).nl();
        };
    for m in 0..w.months {
        let start = month_start(w.end, w.months, m);
        let stop = month_start(w.end, w.months, m + 1);
        for (ki, k) in contracts.iter().enumerate() {
            let active = k.start < stop && k.end.is_none_or(|e| e + DAY > start);
            if active && matches!(k.ty, "managed" | "retainer" | "block_hours") {
                item(
                    &mut o,
                    &w.clients[k.client].id,
                    Some(ki),
                    start + DAY + 9 * HOUR,
                    k.monthly,
                    0.0,
                    "recurring",
                );
            }
        }
        for c in &w.clients {
            if rng.chance(0.35) {
                let at = start + (rng.unit() * (stop - start - DAY) as f64) as i64;
                let amount = rng.range(300.0, 6000.0);
                item(&mut o, &c.id, None, at, amount, amount * rng.range(0.7, 0.88), "product");
            }
            if rng.chance(0.25) {
                let at = start + (rng.unit() * (stop - start - DAY) as f64) as i64;
                item(&mut o, &c.id, None, at, rng.range(400.0, 4000.0), 0.0, "labour");
            }
        }
    }
    ("billing_items.csv", o.0, n as usize)
}

const CATEGORIES: &[(&str, f64, f64)] = &[
    ("managed services", 35.0, 30_000.0),
    ("project", 30.0, 18_000.0),
    ("hardware", 25.0, 8_000.0),
    ("security", 10.0, 12_000.0),
];
const WON: &[&str] = &["price", "relationship", "referral", "technical fit"];
const LOST: &[&str] = &["price", "competitor", "no decision", "timing", "scope"];

fn opportunities(w: &World) -> (&'static str, Vec<u8>, usize) {
    let mut rng = Rng::new(w.seed, STREAM_SALES);
    let mut o = Out(Vec::new());
    o.s("id,client_id,owner_resource_id,category,amount,created_at,closed_at,outcome,reason\n");
    let mut n = 0u64;
    let per_month = (w.techs.len() as u64 / 2 + 4).max(4);
    for m in 0..w.months {
        let start = month_start(w.end, w.months, m);
        let stop = month_start(w.end, w.months, m + 1);
        for _ in 0..per_month + rng.below(per_month) {
            let created = start + (rng.unit() * (stop - start) as f64) as i64;
            let (category, _, mean) =
                CATEGORIES[rng.weighted(&CATEGORIES.iter().map(|c| c.1).collect::<Vec<_>>())];
            let amount = (rng.exp(mean) + 500.0).round();
            let closed = Some(created + (rng.exp(40.0) * DAY as f64) as i64)
                .filter(|&c| c < w.end && rng.chance(0.85));
            n += 1;
            o.s("O").n(10_000 + n).c();
            if rng.chance(0.7) {
                o.s(&w.clients[rng.below(w.clients.len() as u64) as usize].id);
            }
            let owner = &w.techs[rng.below(w.techs.len() as u64) as usize].id;
            o.c().s(owner).c().s(category).c().n(amount as u64).c().t(created).c().opt_t(closed).c();
            if closed.is_some() {
                if rng.chance(0.3) {
                    o.s("won").c().s(WON[rng.below(WON.len() as u64) as usize]);
                } else {
                    o.s("lost").c().s(LOST[rng.below(LOST.len() as u64) as usize]);
                }
            } else {
                o.c();
            }
            o.nl();
        }
    }
    ("opportunities.csv", o.0, n as usize)
}
