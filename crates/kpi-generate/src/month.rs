//! One month of tickets, their time entries and surveys, drawn from the month's own random stream.
use crate::business::project_at;
use crate::out::{civil_from_days, days_from_civil, Out};
use crate::rng::Rng;
use crate::world::{Client, Tech, World, DAY, HOUR, ISSUE_TYPES, PRIORITIES, TYPES};

/// The first instant of month `m` counted back from `end` (month 0 is the earliest).
pub(crate) fn month_start(end: i64, months: u32, m: u32) -> i64 {
    let (y, mo, _) = civil_from_days(end.div_euclid(DAY));
    let total = y * 12 + i64::from(mo) - 1 - i64::from(months) + i64::from(m);
    days_from_civil(total.div_euclid(12), (total.rem_euclid(12) + 1) as u32, 1) * DAY
}

pub(crate) struct MonthOut {
    pub(crate) tickets: Out,
    pub(crate) entries: Out,
    pub(crate) surveys: Out,
    /// Rows of tickets, time entries and surveys.
    pub(crate) counts: [usize; 3],
    /// Hours booked to each project this month.
    pub(crate) project_hours: Vec<f64>,
}

/// A ticket drafted before ids are given in creation order.
struct Draft {
    created: i64,
    tech: Option<usize>,
    rng: Rng,
}

pub(crate) fn gen_month(w: &World, m: u32, counts: &[u32], first_id: u64) -> MonthOut {
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
        project_hours: vec![0.0; w.projects.len()],
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
            e.t(started).c().t(ended).c().quarter(hours).c().s("false").c().t(recorded).c().nl();
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

/// Hours as whole seconds.
/// The index of a client in the world's list (ids are `C0001`, `C0002`, ... in order).
fn client_index(c: &Client) -> usize {
    c.id[1..].parse::<usize>().map_or(0, |n| n - 1)
}

fn hours(h: f64) -> i64 {
    (h * 3600.0) as i64
}

/// A ticket drawn before its time entries: what it is and how far its life got by the end.
struct Life<'w> {
    ty: &'static str,
    priority: &'static str,
    client: &'w Client,
    source: &'static str,
    queue: &'static str,
    estimate: Option<f64>,
    /// SLA due times: first response, resolution plan, resolution.
    due: [i64; 3],
    responded: Option<i64>,
    planned: Option<i64>,
    resolved: Option<i64>,
    completed: Option<i64>,
    status: &'static str,
    due_at: Option<i64>,
    reopens: u64,
    escalations: u64,
}

fn ticket(w: &World, out: &mut MonthOut, number: u64, d: Draft) {
    let Draft { created, tech, mut rng } = d;
    let end = w.end;
    let life = life(w, created, tech, &mut rng);
    // Time entries across the ticket's life.
    let mut last_activity = life.responded.unwrap_or(created);
    if let Some(ti) = tech {
        last_activity = time_entries(w, out, number, &life, created, ti, &mut rng).max(last_activity);
    }
    if let Some(c) = life.completed {
        last_activity = last_activity.max(c);
    }
    if life.status == "Waiting Customer" && rng.chance(0.5) {
        // A ticket waiting on the client without news for a while.
        last_activity = last_activity.min(end - hours(rng.range(50.0, 300.0))).max(created);
    }
    let last_activity = last_activity.min(end - 1);
    let t = tech.map(|i| &w.techs[i]);
    ticket_row(&mut out.tickets, number, &life, t, created, last_activity, &mut rng);
    out.counts[0] += 1;
    if let (Some(c), Some(t)) = (life.completed, t) {
        survey(out, number, &life, t, c, end, &mut rng);
    }
}

/// Draws the ticket's kind, SLA and milestones (reached ones only before the end of the data).
fn life<'w>(w: &'w World, created: i64, tech: Option<usize>, rng: &mut Rng) -> Life<'w> {
    let slowness = tech.map_or(1.0, |i| w.techs[i].slowness);
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
    let reached = |x: i64| if x < w.end && tech.is_some() { Some(x) } else { None };
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
    let due_at = match status {
        "On Hold" => Some(created + rng.below(20 * DAY as u64) as i64 + DAY),
        _ if ty == "project" => Some(resolve_due),
        _ => None,
    };
    Life {
        ty,
        priority,
        client,
        source,
        queue,
        estimate,
        due: [response_due, plan_due, resolve_due],
        responded,
        planned,
        resolved,
        completed,
        status,
        due_at,
        reopens,
        escalations,
    }
}

/// Writes the time entries of a ticket assigned to technician `ti`; returns when the last ended
/// (`i64::MIN` when none did).
fn time_entries(
    w: &World,
    out: &mut MonthOut,
    number: u64,
    life: &Life,
    created: i64,
    ti: usize,
    rng: &mut Rng,
) -> i64 {
    let end = w.end;
    let mut last_ended = i64::MIN;
    let mut entry_count = 0u64;
    let tech = &w.techs[ti];
    let n = if rng.chance(tech.single_entry) { 1 } else { 3 + rng.below(18) };
    let until = life.completed.unwrap_or(end).min(end);
    // About 5.1 entries per ticket; 1.15 makes up for non-billable and dropped entries.
    let mean = 1.15 * tech.utilization * 21.0 * 8.0 / (w.rate * tech.load * 5.1);
    let billable_p = match life.ty {
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
        let worker = if life.escalations > 0 && k % 3 == 2 { (ti + 1) % w.techs.len() } else { ti };
        if w.techs[worker].last_month < month_of(w, started) {
            continue;
        }
        entry_count += 1;
        let e = &mut out.entries;
        e.s("T").n(number).s("-").n(k + 1).c().s(&w.techs[worker].id).c().s("T").n(number).c();
        e.t(started).c().t(ended).c().quarter(h).c().s(if rng.chance(billable_p) { "true" } else { "false" });
        e.c().t(recorded).c();
        // Work on a project ticket books to the client's project running then, if any.
        let project =
            if life.ty == "project" { project_at(w, client_index(life.client), started) } else { None };
        if let Some(p) = project {
            e.s(&w.projects[p].id);
            out.project_hours[p] += h;
        }
        e.nl();
        last_ended = last_ended.max(ended);
    }
    out.counts[1] += entry_count as usize;
    last_ended
}

fn ticket_row(
    o: &mut Out,
    number: u64,
    life: &Life,
    t: Option<&Tech>,
    created: i64,
    last_activity: i64,
    rng: &mut Rng,
) {
    let l = life;
    o.s("T").n(number).c().s(&l.client.id).c();
    if let Some(t) = t {
        o.s(&t.id);
    }
    o.c().t(created).c().opt_t(l.completed).c().s(l.status).c().s(l.priority).c().s(l.queue).c();
    o.s(ISSUE_TYPES[rng.below(ISSUE_TYPES.len() as u64) as usize]).c().s(l.ty).c().s(l.source).c();
    if let Some(e) = l.estimate {
        o.quarter(e);
    }
    o.c().t(l.due[0]).c().opt_t(l.responded).c().t(l.due[1]).c().opt_t(l.planned).c().t(l.due[2]).c();
    o.opt_t(l.resolved).c().opt_t(l.due_at).c().t(last_activity).c().n(l.reopens).c().n(l.escalations).nl();
}

/// About one completed ticket in ten gets a survey answer.
fn survey(out: &mut MonthOut, number: u64, life: &Life, t: &Tech, completed: i64, end: i64, rng: &mut Rng) {
    if !rng.chance(0.1) {
        return;
    }
    let responded_at = completed + hours(rng.range(0.5, 72.0));
    if responded_at >= end {
        return;
    }
    let five = (t.satisfaction + rng.range(-1.2, 0.9)).round().clamp(1.0, 5.0);
    let client = life.client;
    let s = &mut out.surveys;
    s.s("S").n(number).c().s("T").n(number).c().s(&t.id).c().s(&client.id).c().t(responded_at).c();
    if client.ten_point {
        s.n((five * 2.0 - rng.below(2) as f64).max(0.0) as u64).c().s("10").nl();
    } else {
        s.n(five as u64).c().nl();
    }
    out.counts[2] += 1;
}

fn month_of(w: &World, t: i64) -> u32 {
    (0..w.months).rev().find(|&m| month_start(w.end, w.months, m) <= t).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DEFAULT_END;

    #[test]
    fn month_starts() {
        assert_eq!(month_start(DEFAULT_END, 4, 0), days_from_civil(2026, 6, 1) * DAY);
        assert_eq!(month_start(DEFAULT_END, 24, 0), days_from_civil(2024, 10, 1) * DAY);
        assert_eq!(month_start(DEFAULT_END, 4, 4), DEFAULT_END);
    }
}
