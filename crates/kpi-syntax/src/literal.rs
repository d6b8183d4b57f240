//! One literal alone, as `--param` and client configs write values: `15m`, `80%`, `"Triage"`, `[a, b]`.
use crate::ast::{Expr, ExprKind, UnaryOp};
use crate::diagnostic::{codes, Diagnostic, FileId};

/// Parse `text` as one literal of the rule language: a number, percentage, duration, string,
/// boolean, date or `null`, a negated number, or a list of literals. Surrounding whitespace and
/// comments are allowed. Spans are byte offsets into `text` (in file 0). Anything else, or a
/// literal the parser rejects (an impossible date, an unknown escape), is the first error.
#[allow(clippy::result_large_err)] // once per value written as text; boxing buys nothing
pub fn parse_literal(text: &str) -> Result<Expr, Diagnostic> {
    let (expr, diags) = crate::parser::parse_expr(FileId(0), text);
    if let Some(error) = diags.into_iter().find(Diagnostic::is_error) {
        return Err(error);
    }
    let expr = expr.ok_or_else(|| Diagnostic::error(codes::SYNTAX, "expected a value"))?;
    if !is_literal(&expr) {
        return Err(Diagnostic::error(codes::SYNTAX, "expected a literal value")
            .at(FileId(0), expr.span, "not a literal")
            .help("write a number, percentage, duration, text, date or list"));
    }
    Ok(expr)
}

fn is_literal(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Number(_)
        | ExprKind::Percent(_)
        | ExprKind::Duration(_)
        | ExprKind::String(_)
        | ExprKind::Bool(_)
        | ExprKind::Date(_)
        | ExprKind::Null => true,
        ExprKind::Unary { op: UnaryOp::Neg, expr } => is_number(expr),
        ExprKind::List(items) => items.iter().all(is_literal),
        _ => false,
    }
}

fn is_number(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Number(_) | ExprKind::Percent(_) | ExprKind::Duration(_) => true,
        ExprKind::Unary { op: UnaryOp::Neg, expr } => is_number(expr),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_parse_alone() {
        assert_eq!(parse_literal("15m").map(|e| e.kind), Ok(ExprKind::Duration(0.25)));
        assert_eq!(parse_literal(" 80% ").map(|e| e.kind), Ok(ExprKind::Percent(0.8)));
        assert!(matches!(parse_literal("-2").map(|e| e.kind), Ok(ExprKind::Unary { .. })));
        assert!(matches!(parse_literal("[\"a\", \"b\"]").map(|e| e.kind), Ok(ExprKind::List(_))));
    }

    #[test]
    fn anything_else_is_an_error() {
        for text in ["Triage", "1 + 1", "2026-02-30", "5 5", "", "-\"a\"", "param p = 5", "[a]"] {
            assert!(parse_literal(text).is_err(), "{text}");
        }
    }
}
