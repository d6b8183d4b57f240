//! Predicates as filters: the rows a test keeps, as a selection vector.
use super::{Env, Node, NumSource, Via, MICROS_PER_HOUR, NULL_TIME};
use kpi_data::NULL_CODE;

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

impl<'d> Node<'d> {
    /// The value of a timestamp constant or instant.
    fn time_constant(&self, env: &Env) -> Option<i64> {
        match self {
            Node::Time(t) => Some(*t),
            Node::Instant(i) => Some(env.instants.get(*i)),
            _ => None,
        }
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
}
