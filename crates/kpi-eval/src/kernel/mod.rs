//! Row expressions compiled against the dataset's columns, evaluated a chunk of rows at a time.
//! Nulls: `NaN` for numbers, `i64::MIN` for timestamps, `NULL_CODE` for text; predicates are
//! two-valued (a comparison with a null is false).
mod acc;
mod arith;
mod compare;
mod filter;
mod logic;
mod related;
mod script;
#[cfg(test)]
mod tests;
mod values;

pub use acc::Acc;
pub use arith::Arith;
pub use compare::Cmp;
pub use filter::select;
pub use related::Children;
pub use script::ScriptCall;
pub use values::Values;

use kpi_data::TextColumn;
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
    /// date + hours (or - hours with `sign` -1): whole days are calendar days in the dataset's
    /// zone (`end_date + 1d` is the next local midnight, 23 or 25 hours later across a clock
    /// change); other hours are exact.
    DateShift {
        date: Box<Node<'d>>,
        hours: Box<Node<'d>>,
        sign: f64,
    },
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
            Node::TimeShift { time, hours, .. } | Node::DateShift { date: time, hours, .. } => {
                time.any(test) || hours.any(test)
            }
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

    /// The values of this node for the rows of `sel`, one per row. Each family of nodes has its
    /// own function, with its loops over the rows: one dispatch per node and chunk, none per row.
    pub fn eval(&self, sel: &[u32], env: &Env) -> Values<'d> {
        match self {
            Node::Num(_)
            | Node::Bool(_)
            | Node::Time(_)
            | Node::Text(_)
            | Node::Instant(_)
            | Node::NumCol { .. }
            | Node::BoolCol { .. }
            | Node::TimeCol { .. }
            | Node::TextCol { .. } => self.eval_leaf(sel, env),
            Node::Not(_) | Node::And(..) | Node::Or(..) | Node::IsNull(_) | Node::Coalesce(_) => {
                self.eval_logic(sel, env)
            }
            Node::Neg(_)
            | Node::NumArith(..)
            | Node::TimeDiff(..)
            | Node::TimeShift { .. }
            | Node::DateShift { .. } => self.eval_arith(sel, env),
            Node::NumCmp(..)
            | Node::TimeCmp(..)
            | Node::BoolEq(..)
            | Node::TextMatch { .. }
            | Node::TextCmp(..)
            | Node::NumIn(..) => self.eval_compare(sel, env),
            Node::Func(func, e) => arith::eval_func(*func, e, sel, env),
            Node::Related { .. } => self.eval_related(sel, env),
            Node::Script(call, args) => script::eval_script(call, args, sel, env),
        }
    }
}
