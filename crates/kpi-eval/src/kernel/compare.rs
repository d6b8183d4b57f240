//! Comparisons of numbers, timestamps, booleans and texts, and `in` lists.
use super::{Env, Node, Values, NULL_TIME};
use kpi_data::NULL_CODE;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Cmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    // Called per row by the filters (another module): #[inline] keeps them in the loop.
    #[inline]
    pub(super) fn num(self, a: f64, b: f64) -> bool {
        match self {
            Cmp::Eq => a == b,
            Cmp::Lt => a < b,
            Cmp::Le => a <= b,
            Cmp::Gt => a > b,
            Cmp::Ge => a >= b,
        }
    }

    #[inline]
    pub(super) fn time(self, a: i64, b: i64) -> bool {
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

impl<'d> Node<'d> {
    /// `= < <= > >=` on numbers, timestamps and texts, `=` on booleans, text tests against
    /// constants, `in` on numbers.
    pub(super) fn eval_compare(&self, sel: &[u32], env: &Env) -> Values<'d> {
        let n = sel.len();
        match self {
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
            _ => unreachable!("not a comparison"),
        }
    }
}
