//! `not`, `and`, `or`, null tests and `coalesce`.
use super::{Env, Node, Values};

impl<'d> Node<'d> {
    /// `not`, `and`, `or`, `is null` and `coalesce`.
    pub(super) fn eval_logic(&self, sel: &[u32], env: &Env) -> Values<'d> {
        match self {
            Node::Not(e) => Values::Bool(e.eval(sel, env).bool().into_iter().map(|b| !b).collect()),
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
            _ => unreachable!("not a logic node"),
        }
    }
}
