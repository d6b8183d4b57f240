//! Filters agree with evaluation.
use super::*;

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
            Box::new(Node::TimeCmp(Cmp::Lt, time(t2, v2, direct()), Box::new(Node::Time(15 * half_hour)))),
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
            let expected: Vec<u32> = sel.iter().zip(&pass).filter(|(_, p)| **p).map(|(r, _)| *r).collect();
            assert!(!expected.is_empty() && expected.len() < sel.len(), "node {i} should split the rows");
            assert_eq!(node.filter(sel, &env), expected, "node {i}");
        }
    }
}
