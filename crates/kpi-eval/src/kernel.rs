//! Row expressions compiled against the dataset's columns, evaluated a chunk of rows at a time.
//! Nulls: `NaN` for numbers, `i64::MIN` for timestamps, `NULL_CODE` for text; predicates are
//! two-valued (a comparison with a null is false).
use kpi_data::{TextColumn, NULL_CODE};
use kpi_hir::{AggFunc, Instant, RowFunc};
use std::sync::Arc;

pub const NULL_TIME: i64 = i64::MIN;
const MICROS_PER_HOUR: f64 = 3_600_000_000.0;

/// The instants of the period being evaluated.
#[derive(Debug, Clone, Copy)]
pub struct Instants {
    pub as_of: i64,
    pub period_start: i64,
    pub period_end: i64,
}

impl Instants {
    pub fn get(&self, i: Instant) -> i64 {
        match i {
            Instant::AsOf => self.as_of,
            Instant::PeriodStart => self.period_start,
            Instant::PeriodEnd => self.period_end,
        }
    }
}

/// Where a column's rows come from: the current rows, or rows reached through many-to-one links.
#[derive(Clone)]
pub struct Via<'d> {
    pub links: Vec<&'d [u32]>,
}

impl Via<'_> {
    /// The row of the column's table for each selected row (`u32::MAX`: none).
    fn rows(&self, sel: &[u32]) -> Option<Vec<u32>> {
        if self.links.is_empty() {
            return None;
        }
        let mut rows: Vec<u32> = sel.to_vec();
        for link in &self.links {
            for r in rows.iter_mut() {
                if *r != u32::MAX {
                    *r = link[*r as usize];
                }
            }
        }
        Some(rows)
    }
}

#[derive(Clone, Copy)]
pub enum NumSource<'d> {
    F64(&'d [f64]),
    I64(&'d [i64]),
}

/// Children of each parent row (a ticket's time entries), built once per relation.
#[derive(Debug)]
pub struct Children {
    /// Parent `p`'s children are positions `offsets[p]..offsets[p + 1]` of `rows`.
    pub offsets: Vec<u32>,
    /// `None` when every child has a parent and the children are in parent order (as exports
    /// usually are): position `i` is child row `i`.
    rows: Option<Vec<u32>>,
    /// Rows of the child table.
    child_len: usize,
}

impl Children {
    /// From the child table's link to the parent (`u32::MAX` = no parent).
    pub fn build(parent_len: usize, child_to_parent: &[u32]) -> Children {
        use rayon::prelude::*;
        let n = child_to_parent.len() as u32;
        let in_order = child_to_parent.par_windows(2).all(|w| w[0] <= w[1])
            && child_to_parent.last().is_none_or(|&p| (p as usize) < parent_len);
        if in_order {
            // Parent p's children start where the first child of a parent >= p is.
            let mut offsets = Vec::with_capacity(parent_len + 1);
            for (child, &p) in child_to_parent.iter().enumerate() {
                offsets.resize((p as usize + 1).max(offsets.len()), child as u32);
            }
            offsets.resize(parent_len + 1, n);
            return Children { offsets, rows: None, child_len: child_to_parent.len() };
        }
        let mut offsets = vec![0u32; parent_len + 1];
        for &p in child_to_parent {
            if p != u32::MAX {
                offsets[p as usize + 1] += 1;
            }
        }
        for i in 0..parent_len {
            offsets[i + 1] += offsets[i];
        }
        let mut rows = vec![0u32; offsets[parent_len] as usize];
        let mut next = offsets.clone();
        for (child, &p) in child_to_parent.iter().enumerate() {
            if p != u32::MAX {
                rows[next[p as usize] as usize] = child as u32;
                next[p as usize] += 1;
            }
        }
        Children { offsets, rows: Some(rows), child_len: child_to_parent.len() }
    }

    /// The children of `parent`, appended to `out`.
    fn extend(&self, parent: u32, out: &mut Vec<u32>) {
        let (a, b) = (self.offsets[parent as usize], self.offsets[parent as usize + 1]);
        match &self.rows {
            Some(rows) => out.extend_from_slice(&rows[a as usize..b as usize]),
            None => out.extend(a..b),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Cmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    fn num(self, a: f64, b: f64) -> bool {
        match self {
            Cmp::Eq => a == b,
            Cmp::Lt => a < b,
            Cmp::Le => a <= b,
            Cmp::Gt => a > b,
            Cmp::Ge => a >= b,
        }
    }

    fn time(self, a: i64, b: i64) -> bool {
        a != NULL_TIME
            && b != NULL_TIME
            && match self {
                Cmp::Eq => a == b,
                Cmp::Lt => a < b,
                Cmp::Le => a <= b,
                Cmp::Gt => a > b,
                Cmp::Ge => a >= b,
            }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Arith {
    Add,
    Sub,
    Mul,
    Div,
}

impl Arith {
    pub fn apply(self, a: f64, b: f64) -> f64 {
        match self {
            Arith::Add => a + b,
            Arith::Sub => a - b,
            Arith::Mul => a * b,
            // x / 0 is undefined: null, never infinity.
            Arith::Div if b == 0.0 => f64::NAN,
            Arith::Div => a / b,
        }
    }
}

/// A compiled row expression.
pub enum Node<'d> {
    Num(f64),
    Bool(bool),
    Time(i64),
    /// A text constant that meets no column (compared only through [`Node::TextMatch`]).
    Text(String),
    Instant(Instant),
    NumCol {
        via: Via<'d>,
        values: NumSource<'d>,
        valid: Option<&'d [bool]>,
    },
    BoolCol {
        via: Via<'d>,
        values: &'d [bool],
        valid: Option<&'d [bool]>,
    },
    TimeCol {
        via: Via<'d>,
        values: &'d [i64],
        valid: Option<&'d [bool]>,
    },
    TextCol {
        via: Via<'d>,
        column: &'d TextColumn,
    },
    Not(Box<Node<'d>>),
    Neg(Box<Node<'d>>),
    And(Box<Node<'d>>, Box<Node<'d>>),
    Or(Box<Node<'d>>, Box<Node<'d>>),
    NumArith(Arith, Box<Node<'d>>, Box<Node<'d>>),
    /// timestamp - timestamp, in hours.
    TimeDiff(Box<Node<'d>>, Box<Node<'d>>),
    /// timestamp + hours (or - hours with `sign` -1).
    TimeShift {
        time: Box<Node<'d>>,
        hours: Box<Node<'d>>,
        sign: f64,
    },
    NumCmp(Cmp, Box<Node<'d>>, Box<Node<'d>>),
    TimeCmp(Cmp, Box<Node<'d>>, Box<Node<'d>>),
    BoolEq(Box<Node<'d>>, Box<Node<'d>>),
    /// A text column tested against constants: one answer per dictionary code.
    TextMatch {
        text: Box<Node<'d>>,
        answers: Vec<bool>,
    },
    /// Two texts that are both computed per row (rare): compared as strings.
    TextCmp(Cmp, Box<Node<'d>>, Box<Node<'d>>),
    NumIn(Box<Node<'d>>, Vec<f64>),
    IsNull(Box<Node<'d>>),
    Coalesce(Vec<Node<'d>>),
    Func(RowFunc, Box<Node<'d>>),
    Related {
        children: Arc<Children>,
        agg: AggFunc,
        args: Vec<Node<'d>>,
        filter: Option<Box<Node<'d>>>,
    },
    /// A rhai function called once per row.
    Script(Arc<ScriptCall>, Vec<Node<'d>>),
}

/// A compiled rhai function as one KPI uses it; the first error stops further calls.
#[derive(Debug)]
pub struct ScriptCall {
    pub script: kpi_script::Script,
    /// Where the function is declared, for messages.
    pub declared_at: String,
    pub error: std::sync::Mutex<Option<String>>,
}

impl ScriptCall {
    pub fn failed(&self) -> bool {
        self.error.lock().map_or(true, |e| e.is_some())
    }

    /// Call with one set of arguments; `None` (null) after an error, which is kept.
    pub fn call(
        &self,
        scope: &mut kpi_script::rhai_scope::Scope<'static>,
        args: Vec<kpi_script::ScriptValue>,
    ) -> Option<f64> {
        if self.failed() {
            return None;
        }
        match self.script.call(scope, args) {
            Ok(kpi_script::ScriptValue::Number(x)) => Some(x),
            Ok(kpi_script::ScriptValue::Bool(b)) => Some(if b { 1.0 } else { 0.0 }),
            Ok(_) => None,
            Err(e) => {
                if let Ok(mut slot) = self.error.lock() {
                    slot.get_or_insert_with(|| {
                        format!("rhai function `{}` ({}): {e}", self.script.name, self.declared_at)
                    });
                }
                None
            }
        }
    }
}

/// The values of a node for a selection of rows.
pub enum Values<'d> {
    Num(Vec<f64>),
    Bool(Vec<bool>),
    Time(Vec<i64>),
    Text(Vec<u32>, Option<&'d TextColumn>),
}

impl<'d> Values<'d> {
    pub fn num(self) -> Vec<f64> {
        match self {
            Values::Num(v) => v,
            Values::Time(v) => {
                v.into_iter().map(|t| if t == NULL_TIME { f64::NAN } else { t as f64 }).collect()
            }
            Values::Bool(v) => v.into_iter().map(|b| if b { 1.0 } else { 0.0 }).collect(),
            Values::Text(v, _) => vec![f64::NAN; v.len()],
        }
    }

    pub fn bool(self) -> Vec<bool> {
        match self {
            Values::Bool(v) => v,
            Values::Num(v) => v.into_iter().map(|x| x != 0.0 && !x.is_nan()).collect(),
            Values::Time(v) => vec![false; v.len()],
            Values::Text(v, _) => vec![false; v.len()],
        }
    }

    pub fn time(self) -> Vec<i64> {
        match self {
            Values::Time(v) => v,
            Values::Num(v) => v.into_iter().map(|x| if x.is_nan() { NULL_TIME } else { x as i64 }).collect(),
            other => vec![NULL_TIME; other.len()],
        }
    }

    fn len(&self) -> usize {
        match self {
            Values::Num(v) => v.len(),
            Values::Bool(v) => v.len(),
            Values::Time(v) => v.len(),
            Values::Text(v, _) => v.len(),
        }
    }

    /// Row `i` as a script argument.
    fn script_value(&self, i: usize) -> kpi_script::ScriptValue {
        use kpi_script::ScriptValue as V;
        match self {
            Values::Num(v) if v[i].is_nan() => V::Null,
            Values::Num(v) => V::Number(v[i]),
            Values::Bool(v) => V::Bool(v[i]),
            Values::Time(v) if v[i] == NULL_TIME => V::Null,
            Values::Time(v) => V::Number(v[i] as f64),
            Values::Text(codes, dict) => match dict.and_then(|d| d.text(codes[i])) {
                Some(s) => V::Text(s.to_string()),
                None => V::Null,
            },
        }
    }

    fn is_null(&self) -> Vec<bool> {
        match self {
            Values::Num(v) => v.iter().map(|x| x.is_nan()).collect(),
            Values::Time(v) => v.iter().map(|&t| t == NULL_TIME).collect(),
            Values::Text(v, _) => v.iter().map(|&c| c == NULL_CODE).collect(),
            Values::Bool(v) => vec![false; v.len()],
        }
    }
}

fn gather<T: Copy>(values: &[T], valid: Option<&[bool]>, via: &Via, sel: &[u32], null: T) -> Vec<T> {
    let read = |r: u32| {
        if r == u32::MAX || valid.is_some_and(|v| !v[r as usize]) {
            null
        } else {
            values[r as usize]
        }
    };
    match via.rows(sel) {
        Some(rows) => rows.into_iter().map(read).collect(),
        None => sel.iter().map(|&r| read(r)).collect(),
    }
}

/// The rows of `sel` that pass `keep`, in order: written unconditionally and counted, without
/// branches or regrowing (filters run on every chunk of every KPI).
#[inline]
pub fn select(sel: &[u32], mut keep: impl FnMut(u32) -> bool) -> Vec<u32> {
    let mut out = vec![0u32; sel.len()];
    let mut kept = 0;
    for &r in sel {
        out[kept] = r;
        kept += keep(r) as usize;
    }
    out.truncate(kept);
    out
}

/// The rows of `sel` not in `part` (a subsequence of `sel`).
fn minus(sel: &[u32], part: &[u32]) -> Vec<u32> {
    let mut next = 0;
    select(sel, |r| {
        let taken = part.get(next) == Some(&r);
        next += taken as usize;
        !taken
    })
}

/// The union of two disjoint subsequences of `sel`, in the order of `sel`.
fn merge(sel: &[u32], a: &[u32], b: &[u32]) -> Vec<u32> {
    let (mut i, mut j) = (0, 0);
    select(sel, |r| {
        let in_a = a.get(i) == Some(&r);
        let in_b = !in_a && b.get(j) == Some(&r);
        i += in_a as usize;
        j += in_b as usize;
        in_a || in_b
    })
}

/// The row of a column's table for population row `r` (following `via`), when present and valid.
#[inline]
fn read(via: &Via, r: u32, valid: Option<&[bool]>) -> Option<usize> {
    let mut x = r;
    for link in &via.links {
        if x == u32::MAX {
            break;
        }
        x = link[x as usize];
    }
    (x != u32::MAX && valid.is_none_or(|v| v[x as usize])).then_some(x as usize)
}

/// How rows reach a timestamp column, its values and its null mask.
type TimeColumnParts<'a, 'd> = (&'a Via<'d>, &'d [i64], Option<&'d [bool]>);

/// Local hour and ISO weekday need the dataset's time zone.
#[derive(Clone, Copy)]
pub struct Env {
    pub instants: Instants,
    pub tz: chrono_tz::Tz,
}

impl<'d> Node<'d> {
    /// True when this node or one below it satisfies `test`.
    pub fn any(&self, test: &dyn Fn(&Node) -> bool) -> bool {
        if test(self) {
            return true;
        }
        match self {
            Node::Num(_)
            | Node::Bool(_)
            | Node::Time(_)
            | Node::Text(_)
            | Node::Instant(_)
            | Node::NumCol { .. }
            | Node::BoolCol { .. }
            | Node::TimeCol { .. }
            | Node::TextCol { .. } => false,
            Node::Not(e) | Node::Neg(e) | Node::NumIn(e, _) | Node::IsNull(e) | Node::Func(_, e) => {
                e.any(test)
            }
            Node::TextMatch { text, .. } => text.any(test),
            Node::And(a, b)
            | Node::Or(a, b)
            | Node::NumArith(_, a, b)
            | Node::TimeDiff(a, b)
            | Node::NumCmp(_, a, b)
            | Node::TimeCmp(_, a, b)
            | Node::BoolEq(a, b)
            | Node::TextCmp(_, a, b) => a.any(test) || b.any(test),
            Node::TimeShift { time, hours, .. } => time.any(test) || hours.any(test),
            Node::Coalesce(items) | Node::Script(_, items) => items.iter().any(|i| i.any(test)),
            Node::Related { args, filter, .. } => {
                args.iter().any(|a| a.any(test)) || filter.as_ref().is_some_and(|f| f.any(test))
            }
        }
    }

    /// Calls a rhai function (whose errors and call counts must not depend on evaluation order).
    pub fn has_script(&self) -> bool {
        self.any(&|n| matches!(n, Node::Script(..)))
    }

    /// The value of a timestamp constant or instant.
    fn time_constant(&self, env: &Env) -> Option<i64> {
        match self {
            Node::Time(t) => Some(*t),
            Node::Instant(i) => Some(env.instants.get(*i)),
            _ => None,
        }
    }

    /// A true-or-false row test (a comparison, a boolean column, `and`, `or`, `not`, ...).
    pub fn is_predicate(&self) -> bool {
        matches!(
            self,
            Node::Bool(_)
                | Node::BoolCol { .. }
                | Node::Not(_)
                | Node::And(..)
                | Node::Or(..)
                | Node::NumCmp(..)
                | Node::TimeCmp(..)
                | Node::BoolEq(..)
                | Node::TextMatch { .. }
                | Node::TextCmp(..)
                | Node::NumIn(..)
                | Node::IsNull(_)
        )
    }

    /// Reads `period_start` or `period_end`.
    pub fn uses_period(&self) -> bool {
        self.any(&|n| matches!(n, Node::Instant(Instant::PeriodStart | Instant::PeriodEnd)))
    }

    /// The rows of `sel` for which this predicate holds, in order. An `and` tests its right side
    /// only on the rows its left side kept (callers skip this for predicates with scripts).
    pub fn filter(&self, sel: &[u32], env: &Env) -> Vec<u32> {
        match self {
            Node::And(a, b) => {
                let left = a.filter(sel, env);
                if left.is_empty() {
                    return left;
                }
                b.filter(&left, env)
            }
            Node::Bool(true) => sel.to_vec(),
            Node::Bool(false) => Vec::new(),
            Node::Or(a, b) => {
                // The right side is tested only on the rows the left side left out.
                let left = a.filter(sel, env);
                if left.len() == sel.len() {
                    return left;
                }
                let rest = minus(sel, &left);
                let right = b.filter(&rest, env);
                merge(sel, &left, &right)
            }
            Node::Not(e) => minus(sel, &e.filter(sel, env)),
            other => other.filter_columns(sel, env).unwrap_or_else(|| {
                let pass = other.eval(sel, env).bool();
                let mut i = 0;
                select(sel, |_| {
                    i += 1;
                    pass[i - 1]
                })
            }),
        }
    }

    /// A timestamp column: how rows reach it, its values and its null mask.
    fn time_column(&self) -> Option<TimeColumnParts<'_, 'd>> {
        match self {
            Node::TimeCol { via, values, valid } => Some((via, values, *valid)),
            _ => None,
        }
    }

    /// The common tests on one or two columns, in one pass over `sel` without intermediate
    /// vectors; `None` for any other shape.
    fn filter_columns(&self, sel: &[u32], env: &Env) -> Option<Vec<u32>> {
        let time_at = |(via, values, valid): TimeColumnParts, r: u32| {
            read(via, r, valid).map_or(NULL_TIME, |x| values[x])
        };
        Some(match self {
            Node::IsNull(e) => {
                let (via, _, valid) = e.time_column()?;
                select(sel, |r| read(via, r, valid).is_none())
            }
            Node::BoolCol { via, values, valid } => {
                select(sel, |r| read(via, r, *valid).is_some_and(|x| values[x]))
            }
            Node::TextMatch { text, answers } => {
                let Node::TextCol { via, column } = &**text else { return None };
                select(sel, |r| {
                    read(via, r, None).is_some_and(|x| {
                        let c = column.codes[x];
                        c != NULL_CODE && answers.get(c as usize).copied().unwrap_or(false)
                    })
                })
            }
            Node::TimeCmp(op, a, b) => {
                let a = a.time_column()?;
                match b.time_constant(env) {
                    Some(t) => select(sel, |r| op.time(time_at(a, r), t)),
                    None => {
                        let b = b.time_column()?;
                        select(sel, |r| op.time(time_at(a, r), time_at(b, r)))
                    }
                }
            }
            Node::NumCmp(op, a, b) => {
                let Node::Num(k) = **b else { return None };
                match &**a {
                    // `end - start <= 4h`: a duration in hours against a constant.
                    Node::TimeDiff(x, y) => {
                        let ((via_x, x, valid_x), (via_y, y, valid_y)) = (x.time_column()?, y.time_column()?);
                        select(sel, |r| match (read(via_x, r, valid_x), read(via_y, r, valid_y)) {
                            (Some(i), Some(j)) => op.num((x[i] - y[j]) as f64 / MICROS_PER_HOUR, k),
                            _ => false,
                        })
                    }
                    Node::NumCol { via, values: NumSource::F64(v), valid } => {
                        select(sel, |r| read(via, r, *valid).is_some_and(|x| op.num(v[x], k)))
                    }
                    Node::NumCol { via, values: NumSource::I64(v), valid } => {
                        select(sel, |r| read(via, r, *valid).is_some_and(|x| op.num(v[x] as f64, k)))
                    }
                    _ => return None,
                }
            }
            _ => return None,
        })
    }

    pub fn eval(&self, sel: &[u32], env: &Env) -> Values<'d> {
        let n = sel.len();
        match self {
            Node::Num(x) => Values::Num(vec![*x; n]),
            Node::Bool(b) => Values::Bool(vec![*b; n]),
            Node::Time(t) => Values::Time(vec![*t; n]),
            Node::Text(_) => Values::Text(vec![NULL_CODE; n], None),
            Node::Instant(i) => Values::Time(vec![env.instants.get(*i); n]),
            Node::NumCol { via, values, valid } => Values::Num(match values {
                NumSource::F64(v) => gather(v, *valid, via, sel, f64::NAN),
                NumSource::I64(v) => {
                    let ints = gather(v, *valid, via, sel, i64::MIN);
                    ints.into_iter().map(|x| if x == i64::MIN { f64::NAN } else { x as f64 }).collect()
                }
            }),
            Node::BoolCol { via, values, valid } => Values::Bool(gather(values, *valid, via, sel, false)),
            Node::TimeCol { via, values, valid } => Values::Time(gather(values, *valid, via, sel, NULL_TIME)),
            Node::TextCol { via, column } => {
                Values::Text(gather(&column.codes, None, via, sel, NULL_CODE), Some(column))
            }
            Node::Not(e) => Values::Bool(e.eval(sel, env).bool().into_iter().map(|b| !b).collect()),
            Node::Neg(e) => Values::Num(e.eval(sel, env).num().into_iter().map(|x| -x).collect()),
            Node::And(a, b) => {
                let mut l = a.eval(sel, env).bool();
                let r = b.eval(sel, env).bool();
                l.iter_mut().zip(r).for_each(|(x, y)| *x &= y);
                Values::Bool(l)
            }
            Node::Or(a, b) => {
                let mut l = a.eval(sel, env).bool();
                let r = b.eval(sel, env).bool();
                l.iter_mut().zip(r).for_each(|(x, y)| *x |= y);
                Values::Bool(l)
            }
            Node::NumArith(op, a, b) => {
                let mut l = a.eval(sel, env).num();
                let r = b.eval(sel, env).num();
                l.iter_mut().zip(r).for_each(|(x, y)| *x = op.apply(*x, y));
                Values::Num(l)
            }
            Node::TimeDiff(a, b) => {
                let l = a.eval(sel, env).time();
                let r = b.eval(sel, env).time();
                Values::Num(
                    l.into_iter()
                        .zip(r)
                        .map(|(x, y)| {
                            if x == NULL_TIME || y == NULL_TIME {
                                f64::NAN
                            } else {
                                (x - y) as f64 / MICROS_PER_HOUR
                            }
                        })
                        .collect(),
                )
            }
            Node::TimeShift { time, hours, sign } => {
                let t = time.eval(sel, env).time();
                let h = hours.eval(sel, env).num();
                Values::Time(
                    t.into_iter()
                        .zip(h)
                        .map(|(t, h)| {
                            if t == NULL_TIME || h.is_nan() {
                                NULL_TIME
                            } else {
                                t + (sign * h * MICROS_PER_HOUR).round() as i64
                            }
                        })
                        .collect(),
                )
            }
            Node::NumCmp(op, a, b) => {
                let l = a.eval(sel, env).num();
                let r = b.eval(sel, env).num();
                Values::Bool(l.into_iter().zip(r).map(|(x, y)| op.num(x, y)).collect())
            }
            Node::TimeCmp(op, a, b) => {
                let l = a.eval(sel, env).time();
                let r = b.eval(sel, env).time();
                Values::Bool(l.into_iter().zip(r).map(|(x, y)| op.time(x, y)).collect())
            }
            Node::BoolEq(a, b) => {
                let l = a.eval(sel, env).bool();
                let r = b.eval(sel, env).bool();
                Values::Bool(l.into_iter().zip(r).map(|(x, y)| x == y).collect())
            }
            Node::TextMatch { text, answers } => match text.eval(sel, env) {
                Values::Text(codes, _) => Values::Bool(
                    codes
                        .into_iter()
                        .map(|c| c != NULL_CODE && answers.get(c as usize).copied().unwrap_or(false))
                        .collect(),
                ),
                other => Values::Bool(vec![false; other.len()]),
            },
            Node::TextCmp(op, a, b) => {
                let (Values::Text(l, Some(lc)), Values::Text(r, Some(rc))) =
                    (a.eval(sel, env), b.eval(sel, env))
                else {
                    return Values::Bool(vec![false; n]);
                };
                Values::Bool(
                    l.into_iter()
                        .zip(r)
                        .map(|(x, y)| match (lc.text(x), rc.text(y)) {
                            (Some(x), Some(y)) => match op {
                                Cmp::Eq => x == y,
                                Cmp::Lt => x < y,
                                Cmp::Le => x <= y,
                                Cmp::Gt => x > y,
                                Cmp::Ge => x >= y,
                            },
                            _ => false,
                        })
                        .collect(),
                )
            }
            Node::NumIn(e, list) => {
                Values::Bool(e.eval(sel, env).num().into_iter().map(|x| list.contains(&x)).collect())
            }
            Node::IsNull(e) => match e.as_ref() {
                // Computed booleans are never null; a boolean column is null where its cell is.
                Node::BoolCol { via, valid, .. } => {
                    let present = |r: u32| r != u32::MAX && valid.is_none_or(|v| v[r as usize]);
                    Values::Bool(match via.rows(sel) {
                        Some(rows) => rows.into_iter().map(|r| !present(r)).collect(),
                        None => sel.iter().map(|&r| !present(r)).collect(),
                    })
                }
                _ => Values::Bool(e.eval(sel, env).is_null()),
            },
            Node::Coalesce(items) => {
                let mut out = items[0].eval(sel, env);
                for item in &items[1..] {
                    let nulls = out.is_null();
                    if !nulls.iter().any(|&x| x) {
                        break;
                    }
                    let next = item.eval(sel, env);
                    out = match (out, next) {
                        (Values::Num(mut a), b) => {
                            let b = b.num();
                            a.iter_mut().zip(b).zip(&nulls).for_each(|((x, y), &null)| {
                                if null {
                                    *x = y
                                }
                            });
                            Values::Num(a)
                        }
                        (Values::Time(mut a), b) => {
                            let b = b.time();
                            a.iter_mut().zip(b).zip(&nulls).for_each(|((x, y), &null)| {
                                if null {
                                    *x = y
                                }
                            });
                            Values::Time(a)
                        }
                        (Values::Text(mut a, dict), Values::Text(b, bdict))
                            if dict.is_none()
                                || bdict.is_none()
                                || std::ptr::eq(dict.unwrap(), bdict.unwrap()) =>
                        {
                            a.iter_mut().zip(b).zip(&nulls).for_each(|((x, y), &null)| {
                                if null {
                                    *x = y
                                }
                            });
                            Values::Text(a, dict.or(bdict))
                        }
                        (other, _) => other,
                    };
                }
                out
            }
            Node::Func(func, e) => {
                let v = e.eval(sel, env);
                match func {
                    RowFunc::Abs => Values::Num(v.num().into_iter().map(f64::abs).collect()),
                    RowFunc::Round => Values::Num(v.num().into_iter().map(f64::round).collect()),
                    RowFunc::Hour | RowFunc::Weekday => {
                        use chrono::{Datelike, Timelike};
                        let tz = env.tz;
                        Values::Num(
                            v.time()
                                .into_iter()
                                .map(|t| {
                                    if t == NULL_TIME {
                                        return f64::NAN;
                                    }
                                    let Some(utc) = chrono::DateTime::from_timestamp_micros(t) else {
                                        return f64::NAN;
                                    };
                                    let local = utc.with_timezone(&tz);
                                    if *func == RowFunc::Hour {
                                        local.hour() as f64
                                    } else {
                                        local.weekday().number_from_monday() as f64
                                    }
                                })
                                .collect(),
                        )
                    }
                    RowFunc::Coalesce => v,
                }
            }
            Node::Script(call, args) => {
                let columns: Vec<Values> = args.iter().map(|a| a.eval(sel, env)).collect();
                let mut scope = kpi_script::scope();
                let mut out = Vec::with_capacity(n);
                for i in 0..n {
                    let values = columns.iter().map(|c| c.script_value(i)).collect();
                    out.push(call.call(&mut scope, values).unwrap_or(f64::NAN));
                }
                if call.script.returns == kpi_script::ScriptType::Bool {
                    Values::Bool(out.into_iter().map(|x| x == 1.0).collect())
                } else {
                    Values::Num(out)
                }
            }
            Node::Related { children, agg: AggFunc::Count, args, filter: None } if args.is_empty() => {
                // count(children): the index already knows how many each parent has.
                let count = |p: u32| {
                    let p = p as usize;
                    (children.offsets[p + 1] - children.offsets[p]) as f64
                };
                Values::Num(sel.iter().map(|&p| if p == u32::MAX { 0.0 } else { count(p) }).collect())
            }
            Node::Related { children, agg, args, filter } => {
                let mut child_sel = Vec::new();
                let mut owner = Vec::new();
                for (slot, &parent) in sel.iter().enumerate() {
                    if parent == u32::MAX {
                        continue;
                    }
                    let before = child_sel.len();
                    children.extend(parent, &mut child_sel);
                    owner.extend(std::iter::repeat_n(slot as u32, child_sel.len() - before));
                }
                // Without scripts only the children the filter keeps are looked at; scripts see all.
                let scripted =
                    filter.as_ref().is_some_and(|f| f.has_script()) || args.iter().any(|a| a.has_script());
                let (child_sel, owner, keep) = match filter {
                    Some(f) if !scripted => {
                        let kept = if child_sel.len() > children.child_len / 4 {
                            // Most of the child table, in parent order (random reads): test every
                            // child row in table order instead, then look the answers up.
                            let mut pass = vec![false; children.child_len];
                            let all: Vec<u32> = (0..children.child_len as u32).collect();
                            for chunk in all.chunks(1 << 16) {
                                f.filter(chunk, env).into_iter().for_each(|r| pass[r as usize] = true);
                            }
                            select(&child_sel, |r| pass[r as usize])
                        } else {
                            f.filter(&child_sel, env)
                        };
                        let mut next = 0;
                        let mut kept_owner = Vec::with_capacity(kept.len());
                        for (&r, &o) in child_sel.iter().zip(&owner) {
                            if kept.get(next) == Some(&r) {
                                kept_owner.push(o);
                                next += 1;
                            }
                        }
                        (kept, kept_owner, None)
                    }
                    f => {
                        let keep = f.as_ref().map(|f| f.eval(&child_sel, env).bool());
                        (child_sel, owner, keep)
                    }
                };
                let values: Vec<Vec<f64>> = args.iter().map(|a| a.eval(&child_sel, env).num()).collect();
                let mut acc = vec![Acc::default(); n];
                for (i, &slot) in owner.iter().enumerate() {
                    if keep.as_ref().is_some_and(|k| !k[i]) {
                        continue;
                    }
                    acc[slot as usize].add(*agg, &values, i);
                }
                Values::Num(acc.iter().map(|a| a.finish(*agg, !args.is_empty())).collect())
            }
        }
    }
}

/// The running state of one aggregate for one group.
#[derive(Debug, Clone, Copy)]
pub struct Acc {
    /// Rows counted (that passed every filter).
    pub rows: u64,
    /// Rows whose condition held (count(cond), share).
    pub hits: u64,
    /// Non-null values seen (avg).
    pub values: u64,
    pub sum: f64,
    /// The denominator's sum (ratio).
    pub sum2: f64,
    pub min: f64,
    pub max: f64,
}

impl Default for Acc {
    fn default() -> Acc {
        Acc { rows: 0, hits: 0, values: 0, sum: 0.0, sum2: 0.0, min: f64::INFINITY, max: f64::NEG_INFINITY }
    }
}

impl Acc {
    /// Add row `i` of the evaluated arguments.
    #[inline]
    pub fn add(&mut self, agg: AggFunc, args: &[Vec<f64>], i: usize) {
        self.rows += 1;
        let Some(first) = args.first() else { return };
        let x = first[i];
        match agg {
            AggFunc::Count | AggFunc::Share => {
                if x != 0.0 && !x.is_nan() {
                    self.hits += 1;
                }
            }
            AggFunc::Sum | AggFunc::Avg | AggFunc::Min | AggFunc::Max => {
                if !x.is_nan() {
                    self.values += 1;
                    self.sum += x;
                    self.min = self.min.min(x);
                    self.max = self.max.max(x);
                }
            }
            AggFunc::Ratio => {
                let y = args[1][i];
                if !x.is_nan() {
                    self.sum += x;
                }
                if !y.is_nan() {
                    self.sum2 += y;
                }
            }
        }
    }

    /// The aggregate's value; `NaN` when undefined (an empty mean, a zero denominator).
    pub fn finish(&self, agg: AggFunc, has_arg: bool) -> f64 {
        match agg {
            AggFunc::Count if has_arg => self.hits as f64,
            AggFunc::Count => self.rows as f64,
            AggFunc::Sum => self.sum,
            AggFunc::Avg | AggFunc::Min | AggFunc::Max if self.values == 0 => f64::NAN,
            AggFunc::Avg => self.sum / self.values as f64,
            AggFunc::Min => self.min,
            AggFunc::Max => self.max,
            AggFunc::Share if self.rows == 0 => f64::NAN,
            AggFunc::Share => self.hits as f64 / self.rows as f64,
            AggFunc::Ratio => Arith::Div.apply(self.sum, self.sum2),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn children_of(c: &Children, parents: usize) -> Vec<Vec<u32>> {
        (0..parents as u32)
            .map(|p| {
                let mut out = Vec::new();
                c.extend(p, &mut out);
                out
            })
            .collect()
    }

    /// A column for the test: leaked, so that nodes can borrow it for the whole test.
    fn column<T: Clone>(values: Vec<T>) -> &'static [T] {
        Box::leak(values.into_boxed_slice())
    }

    /// Every fast path of `Node::filter` keeps exactly the rows `Node::eval` says are true, with
    /// nulls, through links, on selections with gaps.
    #[test]
    fn filter_agrees_with_eval() {
        const N: u64 = 500;
        // xorshift: deterministic columns, each with its own mix of values and nulls.
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move |m: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % m
        };
        let half_hour = 1_800_000_000i64;
        let t1 = column((0..N).map(|_| next(20) as i64 * half_hour).collect());
        let t2 = column((0..N).map(|_| next(20) as i64 * half_hour).collect());
        let v1 = column((0..N).map(|_| next(4) != 0).collect());
        let v2 = column((0..N).map(|_| next(4) != 0).collect());
        let f64s = column((0..N).map(|_| next(7) as f64 - 2.0).collect());
        let i64s = column((0..N).map(|_| next(5) as i64).collect());
        let flags = column((0..N).map(|_| next(2) == 1).collect());
        // A link to another row of the same table, or none.
        let link = column((0..N).map(|_| if next(6) == 0 { u32::MAX } else { next(N) as u32 }).collect());

        let direct = || Via { links: Vec::new() };
        let linked = || Via { links: vec![link] };
        let time = |values, valid, via| Box::new(Node::TimeCol { via, values, valid: Some(valid) });
        let k = |x: f64| Box::new(Node::Num(x));
        let nodes: Vec<Node<'static>> = vec![
            Node::Or(
                Box::new(Node::Not(Box::new(Node::IsNull(time(t1, v1, direct()))))),
                Box::new(Node::TimeCmp(
                    Cmp::Lt,
                    time(t2, v2, direct()),
                    Box::new(Node::Time(15 * half_hour)),
                )),
            ),
            Node::TimeCmp(Cmp::Le, time(t1, v1, direct()), time(t2, v2, linked())),
            Node::NumCmp(
                Cmp::Le,
                Box::new(Node::TimeDiff(time(t1, v1, linked()), time(t2, v2, direct()))),
                k(1.5),
            ),
            Node::NumCmp(
                Cmp::Gt,
                Box::new(Node::NumCol { via: direct(), values: NumSource::F64(f64s), valid: None }),
                k(0.0),
            ),
            Node::NumCmp(
                Cmp::Eq,
                Box::new(Node::NumCol { via: linked(), values: NumSource::I64(i64s), valid: Some(v2) }),
                k(2.0),
            ),
            Node::Not(Box::new(Node::BoolCol { via: linked(), values: flags, valid: Some(v1) })),
            Node::And(
                Box::new(Node::IsNull(time(t2, v2, linked()))),
                Box::new(Node::Or(
                    Box::new(Node::Bool(false)),
                    Box::new(Node::BoolCol { via: direct(), values: flags, valid: None }),
                )),
            ),
        ];
        let env = Env { instants: Instants { as_of: 0, period_start: 0, period_end: 0 }, tz: chrono_tz::UTC };
        let every: Vec<u32> = (0..N as u32).collect();
        let gappy: Vec<u32> = (0..N as u32).filter(|r| r % 3 != 1).collect();
        for (i, node) in nodes.iter().enumerate() {
            for sel in [&every, &gappy] {
                let pass = node.eval(sel, &env).bool();
                let expected: Vec<u32> =
                    sel.iter().zip(&pass).filter(|(_, p)| **p).map(|(r, _)| *r).collect();
                assert!(!expected.is_empty() && expected.len() < sel.len(), "node {i} should split the rows");
                assert_eq!(node.filter(sel, &env), expected, "node {i}");
            }
        }
    }

    #[test]
    fn children_in_parent_order_or_not_with_orphans() {
        let sorted = Children::build(3, &[0, 0, 2, 2, 2]);
        assert!(sorted.rows.is_none());
        assert_eq!(children_of(&sorted, 3), [vec![0u32, 1], vec![], vec![2, 3, 4]]);
        let shuffled = Children::build(3, &[2, 0, u32::MAX, 2, 0]);
        assert_eq!(children_of(&shuffled, 3), [vec![1u32, 4], vec![], vec![0, 3]]);
        let orphan_last = Children::build(2, &[0, 1, u32::MAX]);
        assert_eq!(children_of(&orphan_last, 2), [vec![0], vec![1]]);
        let gaps = Children::build(5, &[1, 1, 3]);
        assert!(gaps.rows.is_none());
        assert_eq!(children_of(&gaps, 5), [vec![], vec![0u32, 1], vec![], vec![2], vec![]]);
        assert_eq!(children_of(&Children::build(2, &[]), 2), [Vec::<u32>::new(), vec![]]);
    }
}
