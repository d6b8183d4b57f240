//! Aggregates over a row's children (`count(time_entries where ...)` on a ticket).
use super::{select, Acc, Env, Node, Values};
use kpi_hir::AggFunc;

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

impl<'d> Node<'d> {
    /// An aggregate over each selected row's children.
    pub(super) fn eval_related(&self, sel: &[u32], env: &Env) -> Values<'d> {
        let n = sel.len();
        match self {
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
            _ => unreachable!("not a related aggregate"),
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
