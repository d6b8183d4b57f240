//! Semantic checking of `.kpi` rules before any data is read: files and imports, names, types,
//! units, row versus aggregate level, duplicates, weights. Produces the [`Program`] the evaluator runs.
#![forbid(unsafe_code)]

mod check;
pub mod hir;
pub mod load;

pub use check::{check, Checked};
pub use hir::*;
pub use load::{load, load_text, load_with, Overlay, Rules};

/// Evaluate a constant expression (literals, params, arithmetic) with `param` giving param values.
pub fn eval_const(e: &TExpr, param: &dyn Fn(&str) -> Option<Value>) -> Option<Value> {
    use kpi_syntax::ast::{BinaryOp, UnaryOp};
    Some(match &e.kind {
        TKind::Const(v) => v.clone(),
        TKind::Param(name) => param(name)?,
        TKind::List(items) => Value::List(items.iter().map(|i| eval_const(i, param)).collect::<Option<_>>()?),
        TKind::Unary(UnaryOp::Neg, inner) => match eval_const(inner, param)? {
            Value::Number(x) => Value::Number(-x),
            _ => return None,
        },
        TKind::Binary(op, l, r) => match (eval_const(l, param)?, eval_const(r, param)?) {
            (Value::Number(a), Value::Number(b)) => Value::Number(match op {
                BinaryOp::Add => a + b,
                BinaryOp::Sub => a - b,
                BinaryOp::Mul => a * b,
                BinaryOp::Div if b != 0.0 => a / b,
                _ => return None,
            }),
            _ => return None,
        },
        _ => return None,
    })
}
