//! Expressions (operator precedence with pest's Pratt parser), literals and strings.
use super::{build_ident, last_inner, span, Builder, IntoChildren, Rule, MAX_OPERATORS};
use crate::ast::*;
use crate::diagnostic::{codes, Diagnostic, FileId};
use pest::iterators::Pair;
use pest::pratt_parser::{Assoc, Op, PrattParser};
use std::sync::LazyLock;

/// Operator precedence, loosest first.
static PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    PrattParser::new()
        .op(Op::infix(Rule::op_or, Assoc::Left))
        .op(Op::infix(Rule::op_and, Assoc::Left))
        .op(Op::prefix(Rule::op_not))
        .op(Op::infix(Rule::op_compare, Assoc::Left) | Op::infix(Rule::op_not_in, Assoc::Left))
        .op(Op::postfix(Rule::op_is_null) | Op::postfix(Rule::op_is_not_null))
        .op(Op::infix(Rule::op_additive, Assoc::Left))
        .op(Op::infix(Rule::op_multiplicative, Assoc::Left))
        .op(Op::prefix(Rule::op_neg))
});

impl Builder<'_> {
    pub(super) fn build_string(&mut self, pair: Pair<Rule>) -> Text {
        let span = span(&pair);
        let raw = pair.into_children().next().map_or("", |p| p.as_str());
        let mut value = String::with_capacity(raw.len());
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                value.push(c);
                continue;
            }
            match chars.next() {
                Some('n') => value.push('\n'),
                Some('t') => value.push('\t'),
                Some(c @ ('"' | '\\')) => value.push(c),
                Some(other) => {
                    self.diags.push(
                        Diagnostic::error(codes::SYNTAX, format!("unknown escape `\\{other}` in a string"))
                            .at(self.file, span, "in this string")
                            .help("the escapes are \\\" \\\\ \\n and \\t"),
                    );
                    value.push(other);
                }
                None => {}
            }
        }
        Text { value, span }
    }

    /// Build an expression. The operator budget is shared by the whole outermost expression:
    /// `not not ... (not not ... (...))` stays within the limit at each bracket level, but not in all.
    pub(super) fn build_expr(&mut self, pair: Pair<Rule>) -> Expr {
        if self.expr_depth == 0 {
            self.expr_operators = 0;
            self.expr_too_big = false;
        }
        self.expr_depth += 1;
        let expr = self.build_expr_within_budget(pair);
        self.expr_depth -= 1;
        expr
    }

    fn build_expr_within_budget(&mut self, pair: Pair<Rule>) -> Expr {
        let whole = span(&pair);
        let parts: Vec<Pair<Rule>> = pair.into_children().collect();
        let is_operand =
            |rule: Rule| matches!(rule, Rule::paren | Rule::list | Rule::name) || is_literal(rule);
        self.expr_operators += parts.iter().filter(|p| !is_operand(p.as_rule())).count();
        if self.expr_operators > MAX_OPERATORS {
            if !self.expr_too_big {
                self.expr_too_big = true;
                self.diags.push(
                    Diagnostic::error(
                        codes::TOO_DEEP,
                        format!("expression with more than {MAX_OPERATORS} operators"),
                    )
                    .at(self.file, whole, "this expression")
                    .help("split it into several KPIs or params"),
                );
            }
            return Expr { kind: ExprKind::Invalid, span: whole };
        }
        PRATT
            .map_primary(|p| self.build_primary(p))
            .map_prefix(|op, expr| {
                let kind = match op.as_rule() {
                    Rule::op_not => UnaryOp::Not,
                    Rule::op_neg => UnaryOp::Neg,
                    r => unreachable!("{r:?} in build_expr prefix"),
                };
                Expr {
                    span: span(&op).to(expr.span),
                    kind: ExprKind::Unary { op: kind, expr: Box::new(expr) },
                }
            })
            .map_postfix(|expr, op| {
                let negated = op.as_rule() == Rule::op_is_not_null;
                Expr {
                    span: expr.span.to(span(&op)),
                    kind: ExprKind::IsNull { expr: Box::new(expr), negated },
                }
            })
            .map_infix(|left, op, right| {
                let op = match op.as_str() {
                    "or" => BinaryOp::Or,
                    "and" => BinaryOp::And,
                    "=" | "==" => BinaryOp::Eq,
                    "!=" => BinaryOp::Ne,
                    "<" => BinaryOp::Lt,
                    "<=" => BinaryOp::Le,
                    ">" => BinaryOp::Gt,
                    ">=" => BinaryOp::Ge,
                    "in" => BinaryOp::In,
                    "starts_with" => BinaryOp::StartsWith,
                    "ends_with" => BinaryOp::EndsWith,
                    "contains" => BinaryOp::Contains,
                    "+" => BinaryOp::Add,
                    "-" => BinaryOp::Sub,
                    "*" => BinaryOp::Mul,
                    "/" => BinaryOp::Div,
                    _ if op.as_rule() == Rule::op_not_in => BinaryOp::NotIn,
                    s => unreachable!("{s:?} in build_expr infix"),
                };
                Expr {
                    span: left.span.to(right.span),
                    kind: ExprKind::Binary { op, left: Box::new(left), right: Box::new(right) },
                }
            })
            .parse(parts.into_iter())
    }

    fn build_primary(&mut self, pair: Pair<Rule>) -> Expr {
        let span = span(&pair);
        let text = pair.as_str();
        let kind = match pair.as_rule() {
            Rule::paren => return self.build_expr(last_inner(pair)),
            Rule::list => ExprKind::List(pair.into_children().map(|p| self.build_expr(p)).collect()),
            Rule::number | Rule::percent | Rule::duration => {
                let kind = match pair.as_rule() {
                    Rule::number => ExprKind::Number(text.parse().unwrap_or(f64::NAN)),
                    Rule::percent => {
                        ExprKind::Percent(text[..text.len() - 1].parse::<f64>().unwrap_or(f64::NAN) / 100.0)
                    }
                    _ => ExprKind::Duration(parse_duration_hours(text)),
                };
                let (ExprKind::Number(x) | ExprKind::Percent(x) | ExprKind::Duration(x)) = kind else {
                    unreachable!("a numeric literal in build_primary")
                };
                if x.is_finite() {
                    kind
                } else {
                    self.diags.push(number_too_large(self.file, span, text));
                    ExprKind::Invalid
                }
            }
            Rule::date => {
                if let Err(why) = check_date(text) {
                    self.diags.push(
                        Diagnostic::error(codes::SYNTAX, format!("`{text}` is not a date: {why}"))
                            .at(self.file, span, "no such date")
                            .help("dates are written YYYY-MM-DD, e.g. 2026-01-31"),
                    );
                }
                ExprKind::Date(text.to_string())
            }
            Rule::not_a_date => {
                let spaced = text.replace('-', " - ");
                self.diags.push(
                    Diagnostic::error(codes::SYNTAX, format!("`{text}` is not a date"))
                        .at(self.file, span, "not YYYY-MM-DD")
                        .help(format!(
                            "dates are written YYYY-MM-DD, e.g. 2026-01-31; to subtract, put spaces around `-`: `{spaced}`"
                        )),
                );
                ExprKind::Invalid
            }
            Rule::string => ExprKind::String(self.build_string(pair).value),
            Rule::boolean => ExprKind::Bool(text == "true"),
            Rule::null => ExprKind::Null,
            Rule::name => {
                let mut inner = pair.into_children().peekable();
                let first = inner.next().expect("a name");
                if inner.peek().is_none_or(|p| p.as_rule() != Rule::call_args) {
                    let rest = inner.map(build_ident);
                    return Expr {
                        kind: ExprKind::Path(std::iter::once(build_ident(first)).chain(rest).collect()),
                        span,
                    };
                }
                let name = build_ident(first);
                let args = inner
                    .next()
                    .expect("call arguments")
                    .into_children()
                    .map(|arg| {
                        let mut a = arg.into_children();
                        let value = self.build_expr(a.next().expect("argument"));
                        let filter = a.next().map(|f| self.build_expr(f));
                        Arg { value, filter }
                    })
                    .collect();
                ExprKind::Call { name, args }
            }
            r => unreachable!("{r:?} in build_primary"),
        };
        Expr { kind, span }
    }
}

/// `1h30m` -> 1.5 (hours).
fn parse_duration_hours(text: &str) -> f64 {
    let mut hours = 0.0;
    let mut number_start = 0;
    for (i, c) in text.char_indices() {
        let per_unit = match c {
            's' => 1.0 / 3600.0,
            'm' => 1.0 / 60.0,
            'h' => 1.0,
            'd' => 24.0,
            'w' => 168.0,
            _ => continue,
        };
        hours += text[number_start..i].parse::<f64>().unwrap_or(f64::NAN) * per_unit;
        number_start = i + 1;
    }
    hours
}

fn is_literal(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::date
            | Rule::not_a_date
            | Rule::duration
            | Rule::percent
            | Rule::number
            | Rule::string
            | Rule::boolean
            | Rule::null
    )
}

/// A numeric literal too large for a 64-bit float: it would be infinite, and every value computed
/// from it meaningless.
fn number_too_large(file: FileId, span: Span, text: &str) -> Diagnostic {
    let shown: String = text.chars().take(24).collect();
    let ellipsis = if text.chars().count() > 24 { "..." } else { "" };
    Diagnostic::error(codes::SYNTAX, format!("`{shown}{ellipsis}` is too large a number"))
        .at(file, span, "too large")
        .help("numbers in rules are at most about 1.8e308; is a digit repeated by mistake?")
}

/// Why `YYYY-MM-DD` is not a day of the calendar, if it is not.
fn check_date(text: &str) -> Result<(), String> {
    let num = |r: std::ops::Range<usize>| text[r].parse::<u32>().unwrap_or(0);
    let (year, month, day) = (num(0..4), num(5..7), num(8..10));
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(format!("there is no month {month}")),
    };
    match day {
        0 => Err("there is no day 0".into()),
        29 if month == 2 && !leap => Err(format!("{year} is not a leap year")),
        d if d > days => Err(format!("{} has {days} days", MONTHS[month as usize - 1])),
        _ => Ok(()),
    }
}
