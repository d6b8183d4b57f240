//! Runs a compiled KPI plan: for each period, scan the population in chunks, keep the rows that
//! pass the filter, and accumulate every aggregate per group; then compute the value per group.
use crate::compile::{KpiPlan, Rows, TimeColumn, VNode};

/// The start and end columns of an `open at` population.
type OpenColumns<'d> = (TimeColumn<'d>, TimeColumn<'d>);
use crate::groups::NO_GROUP;
use crate::kernel::{select, Acc, Arith, Cmp, Env, Instants, Node, NULL_TIME};
use kpi_hir::{AggFunc, Builtin, Instant, RowFunc};

/// Rows evaluated together: large enough to amortise dispatch, small enough for the cache.
const CHUNK: usize = 2048;
const MICROS_PER_HOUR: f64 = 3_600_000_000.0;

/// One KPI's result for one (period, group), before scoring.
#[derive(Debug, Clone, Copy)]
pub struct Cell {
    /// `NaN` when undefined.
    pub value: f64,
    /// Population rows behind the value (after the KPI's `where`).
    pub rows: u64,
    /// The numerator and denominator, when the value is one (a share, ratio, mean or `a / b`).
    pub parts: Option<(f64, f64)>,
}

/// Per-period, per-group values the built-ins need.
pub struct PeriodFacts {
    pub instants: Instants,
    /// Workdays of the period (`NaN` for a snapshot).
    pub workdays: f64,
    /// Available hours per group: workdays x hours per day, summed over the group's active resources.
    pub available_hours: Vec<f64>,
}

/// Evaluate one KPI for every period; `out[period][group]`.
pub fn run(plan: &KpiPlan, facts: &[PeriodFacts], n_groups: usize, tz: chrono_tz::Tz) -> Vec<Vec<Cell>> {
    // Periods are independent: rayon spreads them as well as the KPIs (collect keeps the order).
    use rayon::prelude::*;
    let candidates = candidates(plan, facts, tz);
    facts
        .par_iter()
        .enumerate()
        .map(|(p, f)| run_period(plan, candidates.as_ref(), p, f, n_groups, tz))
        .collect()
}

/// For a population of every row (`Rows::All`, `Rows::OpenAt`): the rows each period has to look
/// at, found in one pass instead of one full scan per period, and the filter's conjuncts left to
/// test per period.
struct Candidates<'p, 'd> {
    /// Per period, a range of `rows` (CSR); `None`: every period scans all of `rows`.
    offsets: Option<Vec<u32>>,
    rows: Vec<u32>,
    /// Conjuncts of the filter that depend on the period in another way than a bound.
    residual: Vec<&'p Node<'d>>,
}

impl Candidates<'_, '_> {
    fn period(&self, p: usize) -> &[u32] {
        match &self.offsets {
            Some(o) => &self.rows[o[p] as usize..o[p + 1] as usize],
            None => &self.rows,
        }
    }
}

/// A conjunct `static op instant` (or `static_test or static op instant`) whose instant grows with
/// the period: it holds on one contiguous range of periods per row.
struct Bound<'p, 'd> {
    unless: Option<&'p Node<'d>>,
    time: &'p Node<'d>,
    op: Cmp,
    instant: Instant,
}

fn conjuncts<'p, 'd>(node: &'p Node<'d>, out: &mut Vec<&'p Node<'d>>) {
    match node {
        Node::And(a, b) => {
            conjuncts(a, out);
            conjuncts(b, out);
        }
        other => out.push(other),
    }
}

fn bound<'p, 'd>(node: &'p Node<'d>) -> Option<Bound<'p, 'd>> {
    let period_instant = |n: &Node| match n {
        Node::Instant(i @ (Instant::PeriodStart | Instant::PeriodEnd)) => Some(*i),
        _ => None,
    };
    match node {
        Node::TimeCmp(op, a, b) if !a.uses_period() => {
            Some(Bound { unless: None, time: a, op: *op, instant: period_instant(b)? })
        }
        Node::TimeCmp(op, a, b) if !b.uses_period() => {
            let flipped = match op {
                Cmp::Lt => Cmp::Gt,
                Cmp::Le => Cmp::Ge,
                Cmp::Gt => Cmp::Lt,
                Cmp::Ge => Cmp::Le,
                Cmp::Eq => Cmp::Eq,
            };
            Some(Bound { unless: None, time: b, op: flipped, instant: period_instant(a)? })
        }
        Node::Or(a, b) if !a.uses_period() => {
            let inner = bound(b)?;
            inner.unless.is_none().then_some(Bound { unless: Some(a), ..inner })
        }
        _ => None,
    }
}

/// The periods `[lo, hi)` where `t op instants[p]` holds, for instants that never decrease.
fn period_range(t: i64, op: Cmp, instants: &[i64]) -> (u32, u32) {
    if t == NULL_TIME {
        return (0, 0);
    }
    let n = instants.len() as u32;
    let ge = instants.partition_point(|&x| x < t) as u32;
    let gt = instants.partition_point(|&x| x <= t) as u32;
    match op {
        Cmp::Lt => (gt, n),
        Cmp::Le => (ge, n),
        Cmp::Gt => (0, ge),
        Cmp::Ge => (0, gt),
        Cmp::Eq => (ge, gt),
    }
}

/// The candidate rows of each period for a population of every row, or `None` to scan per period.
fn candidates<'p, 'd>(
    plan: &'p KpiPlan<'d>,
    facts: &[PeriodFacts],
    tz: chrono_tz::Tz,
) -> Option<Candidates<'p, 'd>> {
    use rayon::prelude::*;
    if matches!(plan.rows, Rows::Bucketed(_)) || facts.is_empty() {
        return None;
    }
    if plan.filter.as_ref().is_some_and(|f| f.has_script()) {
        return None;
    }
    let env = Env { instants: facts[0].instants, tz };
    if facts.iter().any(|f| f.instants.as_of != env.instants.as_of) {
        return None;
    }
    let instants = |i: Instant| -> Option<Vec<i64>> {
        let v: Vec<i64> = facts.iter().map(|f| f.instants.get(i)).collect();
        (v.windows(2).all(|w| w[0] <= w[1]) && !v.contains(&NULL_TIME)).then_some(v)
    };
    let mut fixed = Vec::new();
    let mut bounds = Vec::new();
    let mut residual = Vec::new();
    let mut all = Vec::new();
    if let Some(f) = &plan.filter {
        conjuncts(f, &mut all);
    }
    for c in all {
        if !c.uses_period() {
            fixed.push(c);
        } else if let Some(b) = bound(c).and_then(|b| Some((instants(b.instant)?, b))) {
            bounds.push(b);
        } else {
            residual.push(c);
        }
    }
    // `open at` an instant: created at or before it, and not completed by it.
    let open = match plan.rows {
        Rows::OpenAt(i) => Some((plan.open_columns?, instants(i)?)),
        _ => None,
    };
    let periods = facts.len() as u32;
    let ranged = !bounds.is_empty() || open.as_ref().is_some_and(|(_, t)| t.first() != t.last());
    // One pass over the table (in parallel blocks): the rows that pass the fixed conjuncts, with
    // the range of periods the bounds allow.
    let blocks: Vec<Vec<(u32, u32, u32)>> = (0..plan.table_len.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            let start = c * CHUNK;
            let end = (start + CHUNK).min(plan.table_len);
            // The periods a row is open in (all of them without `open at`); tested first: it is cheap.
            let open_range = |r: u32| match &open {
                Some((((created, created_valid), (completed, completed_valid)), t)) => {
                    let i = r as usize;
                    let c = if created_valid.is_none_or(|v| v[i]) { created[i] } else { NULL_TIME };
                    let lo = period_range(c, Cmp::Le, t).0;
                    let hi = if completed_valid.is_none_or(|v| v[i]) {
                        period_range(completed[i], Cmp::Gt, t).1
                    } else {
                        periods
                    };
                    (lo, hi)
                }
                None => (0, periods),
            };
            let all: Vec<u32> = (start as u32..end as u32).collect();
            let mut sel = select(&all, |r| {
                let (lo, hi) = open_range(r);
                plan.groups[r as usize] != NO_GROUP && lo < hi
            });
            for f in &fixed {
                if sel.is_empty() {
                    break;
                }
                sel = f.filter(&sel, &env);
            }
            let mut out: Vec<(u32, u32, u32)> = sel
                .iter()
                .map(|&r| {
                    let (lo, hi) = open_range(r);
                    (r, lo, hi)
                })
                .collect();
            for (t, b) in &bounds {
                let times = b.time.eval(&sel, &env).time();
                let unless = b.unless.map(|u| u.eval(&sel, &env).bool());
                for (k, (_, lo, hi)) in out.iter_mut().enumerate() {
                    if unless.as_ref().is_some_and(|u| u[k]) {
                        continue;
                    }
                    let (a, z) = period_range(times[k], b.op, t);
                    *lo = (*lo).max(a);
                    *hi = (*hi).min(z);
                }
            }
            out.retain(|&(_, lo, hi)| lo < hi);
            out
        })
        .collect();
    let found = blocks.iter().flatten();
    if !ranged {
        return Some(Candidates { offsets: None, rows: found.map(|&(r, _, _)| r).collect(), residual });
    }
    let (offsets, rows) = rows_per_period(found, periods as usize);
    Some(Candidates { offsets: Some(offsets), rows, residual })
}

/// The rows of each period `[lo, hi)` of `(row, lo, hi)`, each in row order (as a full scan would
/// see them), as CSR offsets and rows.
fn rows_per_period<'a>(
    found: impl Iterator<Item = &'a (u32, u32, u32)> + Clone,
    periods: usize,
) -> (Vec<u32>, Vec<u32>) {
    let mut offsets = vec![0u32; periods + 1];
    for &(_, lo, hi) in found.clone() {
        for p in lo..hi {
            offsets[p as usize + 1] += 1;
        }
    }
    for p in 0..periods {
        offsets[p + 1] += offsets[p];
    }
    let mut next = offsets.clone();
    let mut rows = vec![0u32; offsets[periods] as usize];
    for &(r, lo, hi) in found {
        for p in lo..hi {
            rows[next[p as usize] as usize] = r;
            next[p as usize] += 1;
        }
    }
    (offsets, rows)
}

fn run_period(
    plan: &KpiPlan,
    candidates: Option<&Candidates>,
    period: usize,
    facts: &PeriodFacts,
    n_groups: usize,
    tz: chrono_tz::Tz,
) -> Vec<Cell> {
    let env = Env { instants: facts.instants, tz };
    let mut population = vec![0u64; n_groups];
    let mut accs: Vec<Vec<Acc>> = plan.aggs.iter().map(|_| vec![Acc::default(); n_groups]).collect();
    let population_aggs: Vec<usize> =
        (0..plan.aggs.len()).filter(|&i| plan.aggs[i].table.is_none()).collect();
    let open_at = match &plan.rows {
        Rows::OpenAt(instant) if candidates.is_none() => Some(facts.instants.get(*instant)),
        _ => None,
    };
    // Scripts see the rows in the same order and number as ever; other filters test the cheap
    // checks first and `and` their conjuncts on the rows still kept.
    let scripted = plan.filter.as_ref().is_some_and(|f| f.has_script());
    let mut filters: Vec<&Node> = Vec::new();
    match candidates {
        Some(c) => filters.extend(c.residual.iter().copied()),
        None => filters.extend(plan.filter.as_ref()),
    }

    let mut scan = |chunk: &[u32]| {
        let keep: Vec<u32> = if scripted {
            let pass = plan.filter.as_ref().map(|f| f.eval(chunk, &env).bool());
            let mut keep = Vec::with_capacity(chunk.len());
            for (i, &row) in chunk.iter().enumerate() {
                if pass.as_ref().is_some_and(|p| !p[i]) || plan.groups[row as usize] == NO_GROUP {
                    continue;
                }
                if open_at.is_some_and(|t| !is_open(plan.open_columns, row, t)) {
                    continue;
                }
                keep.push(row);
            }
            keep
        } else {
            let mut keep = match open_at {
                Some(t) => select(chunk, |row| {
                    plan.groups[row as usize] != NO_GROUP && is_open(plan.open_columns, row, t)
                }),
                None => select(chunk, |row| plan.groups[row as usize] != NO_GROUP),
            };
            for f in &filters {
                if keep.is_empty() {
                    break;
                }
                keep = f.filter(&keep, &env);
            }
            keep
        };
        tally(&keep, &plan.groups, n_groups, |g, n| population[g] += n);
        if keep.is_empty() {
            return;
        }
        for &a in &population_aggs {
            accumulate(&plan.aggs[a], &keep, &plan.groups, &env, &mut accs[a]);
        }
    };
    match (&plan.rows, candidates) {
        (Rows::Bucketed(b), _) => {
            let rows = &b.rows[b.offsets[period] as usize..b.offsets[period + 1] as usize];
            rows.chunks(CHUNK).for_each(&mut scan);
        }
        (_, Some(c)) => c.period(period).chunks(CHUNK).for_each(&mut scan),
        (Rows::All | Rows::OpenAt(_), None) => for_each_chunk(plan.table_len, &mut scan),
    }
    // Aggregates over another table's rows of the group, whatever the period, or over the
    // population of another KPI in this period.
    for (a, agg) in plan.aggs.iter().enumerate() {
        let Some((_, groups)) = &agg.table else { continue };
        let acc = &mut accs[a];
        match &agg.placed {
            None => for_each_chunk(groups.len(), &mut |chunk: &[u32]| {
                let keep = select(chunk, |r| groups[r as usize] != NO_GROUP);
                accumulate(agg, &keep, groups, &env, acc);
            }),
            Some(placed) => accumulate_placed(agg, placed, groups, period, facts, &env, acc),
        }
    }
    (0..n_groups)
        .map(|g| {
            let agg_values: Vec<f64> = plan
                .aggs
                .iter()
                .zip(&accs)
                .map(|(agg, acc)| acc[g].finish(agg.agg, !agg.args.is_empty()))
                .collect();
            let mut value = eval_value(&plan.value, &agg_values, facts, g);
            if plan.min_rows.is_some_and(|m| (population[g] as f64) < m) || !value.is_finite() {
                value = f64::NAN;
            }
            let parts = parts(&plan.value, plan, &accs, &agg_values, facts, g);
            Cell { value, rows: population[g], parts }
        })
        .collect()
}

/// An aggregate over another KPI's population (a KPI named in this one's value), in `period`.
fn accumulate_placed(
    agg: &crate::compile::AggPlan,
    placed: &crate::compile::Placed,
    groups: &[u32],
    period: usize,
    facts: &PeriodFacts,
    env: &Env,
    acc: &mut [Acc],
) {
    let open_at = match &placed.rows {
        Rows::OpenAt(instant) => Some(facts.instants.get(*instant)),
        _ => None,
    };
    let mut scan = |chunk: &[u32]| {
        let mut keep = select(chunk, |r| {
            groups[r as usize] != NO_GROUP && open_at.is_none_or(|t| is_open(placed.open_columns, r, t))
        });
        if let Some(f) = placed.filter.as_ref().filter(|_| !keep.is_empty()) {
            keep = f.filter(&keep, env);
        }
        accumulate(agg, &keep, groups, env, acc);
    };
    match &placed.rows {
        Rows::Bucketed(b) => b.rows[b.offsets[period] as usize..b.offsets[period + 1] as usize]
            .chunks(CHUNK)
            .for_each(&mut scan),
        Rows::All | Rows::OpenAt(_) => for_each_chunk(groups.len(), &mut scan),
    }
}

/// Open at `t`: created (started) at or before it, and not completed (ended) by it.
fn is_open(open_columns: Option<OpenColumns>, row: u32, t: i64) -> bool {
    let Some(((created, created_valid), (completed, completed_valid))) = open_columns else {
        return true;
    };
    let r = row as usize;
    let created_ok = created_valid.is_none_or(|v| v[r]) && created[r] <= t;
    let completed_null = completed_valid.is_some_and(|v| !v[r]);
    created_ok && (completed_null || completed[r] > t)
}

fn for_each_chunk(len: usize, f: &mut dyn FnMut(&[u32])) {
    let mut buf: Vec<u32> = Vec::with_capacity(CHUNK);
    let mut start = 0;
    while start < len {
        let end = (start + CHUNK).min(len);
        buf.clear();
        buf.extend(start as u32..end as u32);
        f(&buf);
        start = end;
    }
}

fn accumulate(agg: &crate::compile::AggPlan, rows: &[u32], groups: &[u32], env: &Env, acc: &mut [Acc]) {
    if rows.is_empty() {
        return;
    }
    let scripted =
        agg.filter.as_ref().is_some_and(|f| f.has_script()) || agg.args.iter().any(|a| a.has_script());
    if scripted {
        // Scripts see every row of the chunk, in order, whatever the aggregate's `where` says.
        let pass = agg.filter.as_ref().map(|f| f.eval(rows, env).bool());
        let args: Vec<Vec<f64>> = agg.args.iter().map(|a| a.eval(rows, env).num()).collect();
        for (i, &row) in rows.iter().enumerate() {
            let g = groups[row as usize];
            if pass.as_ref().is_none_or(|p| p[i]) && g != NO_GROUP {
                acc[g as usize].add(agg.agg, &args, i);
            }
        }
        return;
    }
    // Otherwise only the rows the aggregate's `where` keeps are looked at; a counted condition
    // is a filter too.
    let kept;
    let rows = match &agg.filter {
        Some(f) => {
            kept = f.filter(rows, env);
            kept.as_slice()
        }
        None => rows,
    };
    let n_groups = acc.len();
    match (agg.agg, agg.args.as_slice()) {
        (AggFunc::Count | AggFunc::Share, []) => tally(rows, groups, n_groups, |g, n| acc[g].rows += n),
        (AggFunc::Count | AggFunc::Share, [condition]) if condition.is_predicate() => {
            tally(rows, groups, n_groups, |g, n| acc[g].rows += n);
            tally(&condition.filter(rows, env), groups, n_groups, |g, n| acc[g].hits += n);
        }
        _ => {
            let args: Vec<Vec<f64>> = agg.args.iter().map(|a| a.eval(rows, env).num()).collect();
            for (i, &row) in rows.iter().enumerate() {
                debug_assert_ne!(groups[row as usize], NO_GROUP);
                acc[groups[row as usize] as usize].add(agg.agg, &args, i);
            }
        }
    }
}

/// Counts rows per group (`add(group, count)`); with one group (company-wide) there is
/// nothing to look up, and no chain of increments to one counter.
#[inline]
fn tally(rows: &[u32], groups: &[u32], n_groups: usize, mut add: impl FnMut(usize, u64)) {
    if n_groups == 1 {
        add(0, rows.len() as u64);
        return;
    }
    for &row in rows {
        debug_assert_ne!(groups[row as usize], NO_GROUP);
        add(groups[row as usize] as usize, 1);
    }
}

fn eval_value(v: &VNode, aggs: &[f64], facts: &PeriodFacts, g: usize) -> f64 {
    match v {
        VNode::Num(x) => *x,
        VNode::Instant(i) => facts.instants.get(*i) as f64,
        VNode::Agg(i) => aggs[*i],
        VNode::Builtin(Builtin::Workdays) => facts.workdays,
        VNode::Builtin(Builtin::AvailableHours) => facts.available_hours.get(g).copied().unwrap_or(f64::NAN),
        VNode::Neg(e) => -eval_value(e, aggs, facts, g),
        VNode::Arith(op, a, b) => op.apply(eval_value(a, aggs, facts, g), eval_value(b, aggs, facts, g)),
        VNode::TimeDiff(a, b) => {
            (eval_value(a, aggs, facts, g) - eval_value(b, aggs, facts, g)) / MICROS_PER_HOUR
        }
        VNode::Coalesce(items) => {
            items.iter().map(|i| eval_value(i, aggs, facts, g)).find(|x| !x.is_nan()).unwrap_or(f64::NAN)
        }
        VNode::Script(call, args) => {
            let values = args
                .iter()
                .map(|a| {
                    let x = eval_value(a, aggs, facts, g);
                    if x.is_nan() {
                        kpi_script::ScriptValue::Null
                    } else {
                        kpi_script::ScriptValue::Number(x)
                    }
                })
                .collect();
            call.call(&mut kpi_script::scope(), values).unwrap_or(f64::NAN)
        }
        VNode::Func(func, e) => {
            let x = eval_value(e, aggs, facts, g);
            match func {
                RowFunc::Abs => x.abs(),
                RowFunc::Round => x.round(),
                _ => {
                    let t = if x.is_nan() { NULL_TIME } else { x as i64 };
                    let node = crate::kernel::Node::Func(*func, Box::new(crate::kernel::Node::Time(t)));
                    node.eval(&[0], &Env { instants: facts.instants, tz: chrono_tz::UTC }).num()[0]
                }
            }
        }
    }
}

/// The numerator and denominator behind a value, for explanations.
fn parts(
    v: &VNode,
    plan: &KpiPlan,
    accs: &[Vec<Acc>],
    aggs: &[f64],
    facts: &PeriodFacts,
    g: usize,
) -> Option<(f64, f64)> {
    match v {
        VNode::Arith(Arith::Div, a, b) => {
            Some((eval_value(a, aggs, facts, g), eval_value(b, aggs, facts, g)))
        }
        VNode::Agg(i) => {
            let acc = &accs[*i][g];
            match plan.aggs[*i].agg {
                kpi_hir::AggFunc::Share => Some((acc.hits as f64, acc.rows as f64)),
                kpi_hir::AggFunc::Avg => Some((acc.sum, acc.values as f64)),
                kpi_hir::AggFunc::Ratio => Some((acc.sum, acc.sum2)),
                _ => None,
            }
        }
        _ => None,
    }
}

/// A population row behind a KPI value, for explanations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RowDetail {
    /// The row of the population table.
    pub row: u32,
    /// The value the first aggregate reads from this row (hours, a duration, 1/0 for a condition).
    pub value: Option<f64>,
    /// The row passes the first aggregate's own `where` (is counted in its sum or share).
    pub counted: bool,
    /// `value` is a condition (1 true, 0 false), as in `share(...)` and `count(...)`.
    pub condition: bool,
}

/// The population rows of (period, group) for a KPI: what a service manager brings to a coaching
/// conversation (which tickets missed the SLA, which entries were late).
pub fn rows_behind(
    plan: &KpiPlan,
    period: usize,
    group: usize,
    facts: &PeriodFacts,
    tz: chrono_tz::Tz,
) -> Vec<RowDetail> {
    let env = Env { instants: facts.instants, tz };
    let mut rows: Vec<u32> = Vec::new();
    let open_at = match &plan.rows {
        Rows::OpenAt(instant) => Some(facts.instants.get(*instant)),
        _ => None,
    };
    let mut collect = |chunk: &[u32]| {
        let pass = plan.filter.as_ref().map(|f| f.eval(chunk, &env).bool());
        for (i, &row) in chunk.iter().enumerate() {
            if pass.as_ref().is_some_and(|p| !p[i]) || plan.groups[row as usize] != group as u32 {
                continue;
            }
            if open_at.is_some_and(|t| !is_open(plan.open_columns, row, t)) {
                continue;
            }
            rows.push(row);
        }
    };
    match &plan.rows {
        Rows::Bucketed(b) => b.rows[b.offsets[period] as usize..b.offsets[period + 1] as usize]
            .chunks(CHUNK)
            .for_each(&mut collect),
        Rows::All | Rows::OpenAt(_) => for_each_chunk(plan.table_len, &mut collect),
    }
    let Some(agg) = plan.aggs.iter().find(|a| a.table.is_none()) else {
        return rows
            .into_iter()
            .map(|row| RowDetail { row, value: None, counted: true, condition: false })
            .collect();
    };
    let values = agg.args.first().map(|a| a.eval(&rows, &env).num());
    let counted = agg.filter.as_ref().map(|f| f.eval(&rows, &env).bool());
    let condition = matches!(agg.agg, kpi_hir::AggFunc::Count | kpi_hir::AggFunc::Share);
    rows.iter()
        .enumerate()
        .map(|(i, &row)| RowDetail {
            row,
            value: values.as_ref().map(|v| v[i]).filter(|x| !x.is_nan()),
            counted: counted.as_ref().is_none_or(|c| c[i]),
            condition,
        })
        .collect()
}
