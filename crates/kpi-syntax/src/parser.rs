//! From source text to the typed AST: pest does the grammar, one `build_x` per rule does the rest.
//! Nothing downstream sees a pest `Pair`.
use crate::ast::*;
use crate::diagnostic::{codes, Diagnostic, FileId};
use pest::error::InputLocation;
use pest::iterators::Pair;
use pest::pratt_parser::{Assoc, Op, PrattParser};
use pest::Parser as _;
use std::sync::LazyLock;

#[derive(pest_derive::Parser)]
#[grammar = "../../grammar/kpi.pest"]
struct KpiParser;

/// Deepest bracket nesting accepted; pest's recursion is bounded by this, not by its call limit.
pub const MAX_NESTING: usize = 64;
/// Most operators in one expression, counting those inside its brackets, calls and lists: every
/// stage after parsing recurses over the tree, so together with [`MAX_NESTING`] this bounds its depth.
pub const MAX_OPERATORS: usize = 256;
/// Most syntax errors reported per file; the rest are counted.
pub const MAX_SYNTAX_ERRORS: usize = 50;

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

/// Decode a rule file; invalid UTF-8 is a diagnostic at the first bad byte. A UTF-8 byte order
/// mark at the start (some Windows editors write one) is dropped.
#[allow(clippy::result_large_err)] // once per file, on the error path; boxing buys nothing
pub fn decode(file: FileId, mut bytes: Vec<u8>) -> Result<String, (String, Diagnostic)> {
    if bytes.starts_with(BOM) {
        bytes.drain(..BOM.len());
    }
    String::from_utf8(bytes).map_err(|err| {
        let at = err.utf8_error().valid_up_to();
        let lossy = String::from_utf8_lossy(err.as_bytes()).into_owned();
        let diag = Diagnostic::error(codes::INVALID_UTF8, "this file is not valid UTF-8")
            // In the lossy text the bad byte became U+FFFD: label the whole character.
            .at(file, Span::new(at, at + char::REPLACEMENT_CHARACTER.len_utf8()), "invalid byte here")
            .help("save the file as UTF-8 text; rule files are plain text");
        (lossy, diag)
    })
}

/// The UTF-8 byte order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// `text` without a leading byte order mark (for rule text that did not come through [`decode`]).
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{FEFF}').unwrap_or(text)
}

/// Parse one rule file. Always returns a module: what could be parsed, plus every error found.
pub fn parse(file: FileId, text: &str) -> (Module, Vec<Diagnostic>) {
    let mut builder = Builder::new(file, text);
    let brackets = scan_brackets(file, text);
    if let Some(diag) = brackets.too_deep {
        return (Module::default(), vec![diag]);
    }
    let mut module = match KpiParser::parse(Rule::file, text) {
        Ok(mut pairs) => builder.build_file(pairs.next().expect("file rule yields one pair")),
        Err(err) => {
            builder.syntax_error(err, 0);
            Module::default()
        }
    };
    if let Some((at, diag)) = brackets.unclosed {
        // Stop at the `{` left open: what follows it was read out of its block, and every error
        // there would be a consequence. The syntax errors before its line stand; the module is
        // left empty, so that checking blames nothing on the declarations it swallowed.
        let line_start = text[..at].rfind('\n').map_or(0, |n| n + 1) as u32;
        builder.diags.retain(|d| d.primary.as_ref().is_some_and(|p| p.span.start < line_start));
        builder.syntax_errors = builder.diags.len();
        module = Module::default();
        builder.diags.push(diag);
        builder.syntax_errors += 1;
    }
    if builder.syntax_errors > MAX_SYNTAX_ERRORS {
        let more = builder.syntax_errors - MAX_SYNTAX_ERRORS;
        builder.diags.push(
            Diagnostic::warning(codes::TOO_MANY, format!("{more} more syntax errors in this file not shown"))
                .help("fix the errors above first; is this really a .kpi rule file?"),
        );
    }
    (module, builder.diags)
}

/// Parse `text` as one expression alone (see [`crate::parse_literal`]), with the same limits as
/// a rule file's; `None` when it does not parse.
pub(crate) fn parse_expr(file: FileId, text: &str) -> (Option<Expr>, Vec<Diagnostic>) {
    if let Some(diag) = check_nesting(file, text) {
        return (None, vec![diag]);
    }
    let mut builder = Builder::new(file, text);
    let expr = match KpiParser::parse(Rule::expr_text, text) {
        Ok(mut pairs) => Some(builder.build_expr(pairs.next().expect("expr_text yields the expression"))),
        Err(err) => {
            builder.syntax_error(err, 0);
            None
        }
    };
    (expr, builder.diags)
}

/// What a lexical pass over the brackets finds before pest runs.
#[derive(Default)]
struct Brackets {
    /// Nested deeper than [`MAX_NESTING`]: pest's recursion is bounded by nesting, so this is
    /// found before pest runs.
    too_deep: Option<Diagnostic>,
    /// The `{` left open in a file with more `{` than `}`, and the diagnostic that says so.
    unclosed: Option<(usize, Diagnostic)>,
}

/// Reject bracket nesting deeper than [`MAX_NESTING`] before pest recurses into it.
fn check_nesting(file: FileId, text: &str) -> Option<Diagnostic> {
    scan_brackets(file, text).too_deep
}

/// One pass over the brackets outside strings, comments and rhai bodies: how deep they nest,
/// and, when some `{` is never closed, which one. Pest's recovery would otherwise read the KPIs
/// after a missing `}` as clauses of the KPI above it and blame every one of them. The `{` left
/// open is the one whose block a `}` less indented than its own line closes (the indentation says
/// the `}` was meant for an outer block), or else the innermost still open at the end.
fn scan_brackets(file: FileId, text: &str) -> Brackets {
    let bytes = text.as_bytes();
    let (mut depth, mut i) = (0usize, 0usize);
    // Open `{`: (offset, indentation of its line).
    let mut open: Vec<(usize, usize)> = Vec::new();
    let mut closes = 0usize;
    let mut misplaced_close: Option<(usize, usize)> = None;
    // Where the current line starts, and whether code was seen on it yet.
    let (mut line_start, mut code_on_line) = (0usize, false);
    let indent_at =
        |line_start: usize| bytes[line_start..].iter().take_while(|&&b| b == b' ' || b == b'\t').count();
    while i < bytes.len() {
        let b = bytes[i];
        let first_on_line = !code_on_line && !b.is_ascii_whitespace();
        if !b.is_ascii_whitespace() {
            code_on_line = true;
        }
        match b {
            b'\n' => {
                line_start = i + 1;
                code_on_line = false;
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                // A rhai body: its own brackets are rhai's business.
                i = text[i + 3..].find("\"\"\"").map_or(bytes.len(), |n| i + 3 + n + 2);
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                if bytes.get(i) == Some(&b'\n') {
                    continue;
                }
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    let diag = Diagnostic::error(
                        codes::TOO_DEEP,
                        format!("brackets nested more than {MAX_NESTING} deep"),
                    )
                    .at(file, Span::new(i, i + 1), "too deep here")
                    .help("split the expression into smaller KPIs or params");
                    return Brackets { too_deep: Some(diag), unclosed: None };
                }
                if b == b'{' {
                    open.push((i, indent_at(line_start)));
                }
            }
            b')' | b']' | b'}' => {
                depth = depth.saturating_sub(1);
                if b == b'}' {
                    closes += 1;
                    if let Some((at, indent)) = open.pop() {
                        if first_on_line && indent > indent_at(line_start) && misplaced_close.is_none() {
                            misplaced_close = Some((at, indent));
                        }
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    let opens = closes + open.len();
    if opens <= closes {
        return Brackets::default();
    }
    let Some((at, indent)) = misplaced_close.or_else(|| open.last().copied()) else {
        return Brackets::default();
    };
    Brackets { too_deep: None, unclosed: Some((at, unclosed_brace(file, text, at, indent))) }
}

/// "unclosed `{` opened at L:C", with where its `}` belongs: before the next line that is not
/// indented deeper than the line of the `{`.
fn unclosed_brace(file: FileId, text: &str, at: usize, indent: usize) -> Diagnostic {
    let (line, col) = crate::diagnostic::line_col(text, at);
    let after = text[at..].find('\n').map_or(text.len(), |n| at + n + 1);
    let mut offset = after;
    let mut next = None;
    for l in text[after..].split_inclusive('\n') {
        let code = l.trim();
        let is_comment = code.starts_with('#') || code.starts_with("//");
        let depth = l.len() - l.trim_start_matches([' ', '\t']).len();
        if !code.is_empty() && !is_comment && depth <= indent {
            next = Some((offset, code));
            break;
        }
        offset += l.len();
    }
    let help = match next {
        Some((offset, code)) => {
            let (next_line, _) = crate::diagnostic::line_col(text, offset);
            let code: String = code.chars().take(40).collect();
            format!("add the `}}` that closes it before line {next_line} (`{code}`)")
        }
        None => "add the `}` that closes it at the end of the file".to_string(),
    };
    Diagnostic::error(codes::SYNTAX, format!("unclosed `{{` opened at {line}:{col}"))
        .at(file, Span::new(at, at + 1), "this `{` is never closed")
        .help(help)
}

struct Builder<'a> {
    file: FileId,
    text: &'a str,
    diags: Vec<Diagnostic>,
    syntax_errors: usize,
    /// Line number of the last unparsable line, so a run of them is reported once.
    last_bad_line: Option<usize>,
    /// How deep `build_expr` is in the outermost expression being built.
    expr_depth: usize,
    /// Operators of the outermost expression so far, at every bracket level.
    expr_operators: usize,
    /// The outermost expression already has its "too many operators" error.
    expr_too_big: bool,
    /// A byte offset and its line, where [`Builder::line_of`] counts on from.
    line_cursor: (usize, usize),
}

/// The pair's span, without the whitespace and comments pest leaves at its end when the rule ends
/// in a repetition or option that matched nothing (`path = { ident ~ ("." ~ ident)* }`): a label
/// under `missing` must not run on to the next line.
fn span(pair: &Pair<Rule>) -> Span {
    let s = pair.as_span();
    // Fast paths, without walking down the last children: no comment on the last line means the
    // trivia is whitespace, which no token ends in but the atomic lines and texts without children.
    let text = s.as_str();
    let trimmed = text.trim_end_matches([' ', '\t', '\r', '\n']);
    let last_line = &trimmed[trimmed.rfind('\n').map_or(0, |i| i + 1)..];
    if !last_line.contains('#') && !last_line.contains("//") {
        if trimmed.len() == text.len() || pair.clone().into_inner().next().is_none() {
            return Span::new(s.start(), s.end());
        }
        return Span::new(s.start(), s.start() + trimmed.len());
    }
    let end = match pair.clone().into_inner().last() {
        Some(last) => {
            let last_end = span(&last).end as usize;
            if is_trivia(&pair.get_input()[last_end..s.end()]) {
                last_end
            } else {
                s.end()
            }
        }
        None => s.end(),
    };
    Span::new(s.start(), end)
}

/// Only whitespace and comments (not doc comments).
fn is_trivia(mut text: &str) -> bool {
    loop {
        text = text.trim_start_matches([' ', '\t', '\r', '\n']);
        if text.is_empty() {
            return true;
        }
        if text.starts_with('#') || text.starts_with("//") && !text.starts_with("///") {
            text = text.find('\n').map_or("", |i| &text[i..]);
        } else {
            return false;
        }
    }
}

impl<'a> Builder<'a> {
    fn new(file: FileId, text: &'a str) -> Builder<'a> {
        Builder {
            file,
            text,
            diags: Vec::new(),
            syntax_errors: 0,
            last_bad_line: None,
            expr_depth: 0,
            expr_operators: 0,
            expr_too_big: false,
            line_cursor: (0, 1),
        }
    }

    fn build_file(&mut self, pair: Pair<Rule>) -> Module {
        let mut items = Vec::new();
        let mut inner = pair.into_children();
        while let Some(p) = inner.next() {
            match p.as_rule() {
                Rule::docs => {
                    let docs = Docs::new(p);
                    let p = inner.next().expect("a declaration after its docs");
                    items.push(match p.as_rule() {
                        Rule::import_decl => Item::Import(self.build_import(docs, p)),
                        Rule::param_decl => Item::Param(self.build_param(docs, p)),
                        Rule::fn_decl => Item::Function(self.build_function(docs, p)),
                        Rule::scorecard => Item::Scorecard(self.build_scorecard(docs, p)),
                        Rule::kpi => Item::Kpi(self.build_kpi(docs, p)),
                        Rule::use_kpi => Item::Use(self.build_use(docs, p)),
                        r => unreachable!("{r:?} after docs in build_file"),
                    });
                }
                Rule::stray_line => self.bad_line(p, Context::TopLevel),
                Rule::EOI => {}
                r => unreachable!("{r:?} in build_file"),
            }
        }
        Module { items }
    }

    fn build_import(&mut self, docs: Docs, pair: Pair<Rule>) -> Import {
        let span = docs.span_with(&pair);
        let doc = docs.lines;
        let mut inner = pair.into_children();
        let path = self.build_string(inner.next().expect("import path"));
        Import { doc, path, span }
    }

    fn build_param(&mut self, docs: Docs, pair: Pair<Rule>) -> Param {
        let span = docs.span_with(&pair);
        let doc = docs.lines;
        let mut inner = pair.into_children();
        let name = build_ident(inner.next().expect("param name"));
        let default = self.build_expr(inner.next().expect("param value"));
        Param { doc, name, default, span }
    }

    fn build_function(&mut self, docs: Docs, pair: Pair<Rule>) -> Function {
        let span = docs.span_with(&pair);
        let doc = docs.lines;
        let mut inner = pair.into_children();
        let name = build_ident(inner.next().expect("function name"));
        let mut params = Vec::new();
        let mut returns = None;
        let mut body = None;
        for p in inner {
            match p.as_rule() {
                Rule::fn_param => {
                    let mut parts = p.into_children();
                    let param = build_ident(parts.next().expect("param name"));
                    let ty = build_ident(parts.next().expect("param type"));
                    params.push((param, ty));
                }
                Rule::ident => returns = Some(build_ident(p)),
                Rule::script_file => body = Some(ScriptSource::File(self.build_string(last_inner(p)))),
                Rule::script_body => {
                    let text = last_inner(p);
                    body =
                        Some(ScriptSource::Inline { code: text.as_str().to_string(), span: span_of(&text) });
                }
                r => unreachable!("{r:?} in build_function"),
            }
        }
        Function {
            doc,
            name,
            params,
            returns: returns.expect("return type"),
            body: body.expect("function body"),
            span,
        }
    }

    fn build_scorecard(&mut self, docs: Docs, pair: Pair<Rule>) -> Scorecard {
        let span = docs.span_with(&pair);
        let doc = docs.lines;
        let mut inner = pair.into_children();
        let id = build_ident(inner.next().expect("scorecard id"));
        let mut title = None;
        let mut extends = None;
        let mut members = Vec::new();
        while let Some(p) = inner.next() {
            match p.as_rule() {
                Rule::extends_clause => extends = Some(build_ident(last_inner(p))),
                Rule::remove_kpi => members.push(Member::Remove(build_ident(last_inner(p)))),
                Rule::string => title = Some(self.build_string(p)),
                Rule::period_clause => members.push(Member::Period(build_ident(last_inner(p)))),
                Rule::per_clause => members.push(Member::Per(build_ident(last_inner(p)))),
                Rule::docs => {
                    let docs = Docs::new(p);
                    let p = inner.next().expect("a KPI after its docs");
                    members.push(match p.as_rule() {
                        Rule::kpi => Member::Kpi(self.build_kpi(docs, p)),
                        Rule::use_kpi => Member::Use(self.build_use(docs, p)),
                        r => unreachable!("{r:?} after docs in build_scorecard"),
                    });
                }
                Rule::bad_line => self.bad_line(p, Context::Scorecard),
                r => unreachable!("{r:?} in build_scorecard"),
            }
        }
        Scorecard { doc, id, extends, title, members, span }
    }

    fn build_kpi(&mut self, docs: Docs, pair: Pair<Rule>) -> Kpi {
        let (doc, id, title, clauses, span) = self.build_kpi_parts(docs, pair, Context::Kpi);
        Kpi { doc, id, title, clauses, span }
    }

    fn build_use(&mut self, docs: Docs, pair: Pair<Rule>) -> UseKpi {
        let (doc, id, title, clauses, span) = self.build_kpi_parts(docs, pair, Context::Use);
        UseKpi { doc, id, title, clauses, span }
    }

    #[allow(clippy::type_complexity)]
    fn build_kpi_parts(
        &mut self,
        docs: Docs,
        pair: Pair<Rule>,
        context: Context,
    ) -> (Vec<String>, Ident, Option<Text>, Vec<Clause>, Span) {
        let span = docs.span_with(&pair);
        let doc = docs.lines;
        let mut inner = pair.into_children();
        let id = build_ident(inner.next().expect("kpi id"));
        let mut title = None;
        let mut clauses = Vec::new();
        for p in inner {
            match p.as_rule() {
                Rule::string => title = Some(self.build_string(p)),
                Rule::bad_line => self.bad_line(p, context),
                _ => clauses.push(self.build_clause(p)),
            }
        }
        (doc, id, title, clauses, span)
    }

    fn build_clause(&mut self, pair: Pair<Rule>) -> Clause {
        let span = span(&pair);
        let rule = pair.as_rule();
        let mut inner = pair.into_children();
        let kind = match rule {
            Rule::from_clause => {
                let table = build_ident(inner.next().expect("from table"));
                let placement = inner.next().map(|p| match p.as_rule() {
                    Rule::by_placement => Placement::By(build_ident(last_inner(p))),
                    Rule::open_placement => Placement::OpenAt(build_ident(last_inner(p))),
                    r => unreachable!("{r:?} in build_clause placement"),
                });
                ClauseKind::From { table, placement }
            }
            Rule::where_clause => ClauseKind::Where(self.build_expr(inner.next().expect("where expr"))),
            Rule::value_clause => ClauseKind::Value(self.build_expr(inner.next().expect("value expr"))),
            Rule::unit_clause => ClauseKind::Unit(build_ident(inner.next().expect("unit"))),
            Rule::target_clause => {
                let op = match inner.next().expect("cmp op").as_str() {
                    ">=" => CmpOp::Ge,
                    ">" => CmpOp::Gt,
                    "<=" => CmpOp::Le,
                    "<" => CmpOp::Lt,
                    s => unreachable!("{s:?} in build_clause cmp_op"),
                };
                ClauseKind::Target { op, value: self.build_expr(inner.next().expect("target value")) }
            }
            Rule::weight_clause => ClauseKind::Weight(self.build_expr(inner.next().expect("weight"))),
            Rule::min_rows_clause => ClauseKind::MinRows(self.build_expr(inner.next().expect("min_rows"))),
            Rule::scoring_clause => {
                let p = inner.next().expect("scoring method");
                ClauseKind::Scoring(match p.as_rule() {
                    Rule::ident => Scoring::Named(build_ident(p)),
                    Rule::bands => {
                        let bands_span = span_of(&p);
                        let points = p
                            .into_children()
                            .map(|band| {
                                let mut b = band.into_children();
                                let value = self.build_expr(b.next().expect("band value"));
                                let score = self.build_expr(b.next().expect("band attainment"));
                                (value, score)
                            })
                            .collect();
                        Scoring::Bands { points, span: bands_span }
                    }
                    r => unreachable!("{r:?} in build_clause scoring"),
                })
            }
            r => unreachable!("{r:?} in build_clause"),
        };
        Clause { kind, span }
    }

    fn build_string(&mut self, pair: Pair<Rule>) -> Text {
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
    fn build_expr(&mut self, pair: Pair<Rule>) -> Expr {
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
            Rule::number => ExprKind::Number(text.parse().unwrap_or(f64::NAN)),
            Rule::percent => {
                ExprKind::Percent(text[..text.len() - 1].parse::<f64>().unwrap_or(f64::NAN) / 100.0)
            }
            Rule::duration => ExprKind::Duration(parse_duration_hours(text)),
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

    /// Report a line that no rule accepted, by re-parsing it strictly to learn what was expected.
    fn bad_line(&mut self, pair: Pair<Rule>, context: Context) {
        let start = pair.as_span().start();
        let line = self.line_of(start);
        let follows_bad_line = self.last_bad_line == Some(line.saturating_sub(1))
            || self.text[..start].trim_end().ends_with('{')
                && self.last_bad_line.is_some_and(|l| l + 1 >= line);
        self.last_bad_line = Some(line);
        if follows_bad_line {
            return;
        }
        if self.syntax_errors >= MAX_SYNTAX_ERRORS {
            // Only counted from here on: no need to learn what was expected.
            self.syntax_errors += 1;
            return;
        }
        // A bad line that starts after a clause on the same line: the clause ended too early, so
        // re-parse the whole line to say where and why.
        let line_start = self.text[..start].rfind('\n').map_or(0, |i| i + 1);
        let (from, text) = if self.text[line_start..start].trim().is_empty() {
            (start, pair.as_str())
        } else {
            (line_start, &self.text[line_start..pair.as_span().end()])
        };
        let text = text.trim_end();
        let code_at = from + (text.len() - text.trim_start().len());
        if let Some(diag) = non_ascii(self.file, text.trim_start(), code_at)
            .or_else(|| param_annotation(self.file, text.trim_start(), code_at))
        {
            self.push_syntax(diag);
            return;
        }
        match KpiParser::parse(Rule::strict_line, text.trim_start()) {
            Ok(mut pairs) => {
                // `docs` come before the declarations they may document: the rule is the next.
                let rule = pairs.find(|p| p.as_rule() != Rule::docs).map(|p| p.as_rule());
                let found = span(&pair);
                self.push_syntax(misplaced(rule, context, text.trim_start()).at(
                    self.file,
                    found,
                    "not allowed here",
                ));
            }
            Err(err) if error_pos(&err) == 0 => {
                // The line's first word starts nothing: say what may start a line here.
                let at = from + (text.len() - text.trim_start().len());
                let found = found_token(self.text, at);
                let (expected, words) = context.line_starts();
                let word = &self.text[at..at + found_len(self.text, at)];
                if let Some(shape) = line_shape(word) {
                    // The keyword is right; what follows it is not.
                    let end = from + text.len();
                    self.push_syntax(
                        Diagnostic::error(codes::SYNTAX, format!("this `{word}` line does not parse"))
                            .at(self.file, Span::new(at, end), format!("expected {shape}"))
                            .help(format!("write it as {shape}; see `{word}` in docs/language.md")),
                    );
                    return;
                }
                let help = match crate::suggest(found.trim_matches('`'), words.iter().copied()) {
                    Some(word) => format!("did you mean `{word}`?"),
                    None => context.help().to_string(),
                };
                let label_end = at + found_len(self.text, at);
                self.push_syntax(
                    Diagnostic::error(codes::SYNTAX, format!("expected {expected}, found {found}"))
                        .at(self.file, Span::new(at, label_end), format!("expected {expected}"))
                        .help(help),
                );
            }
            Err(err) => self.syntax_error(err, from + (text.len() - text.trim_start().len())),
        }
    }

    /// The 1-based line of `offset`. Bad lines come in file order, so count on from the last one:
    /// a file of many bad lines must not be rescanned from the start for each.
    fn line_of(&mut self, offset: usize) -> usize {
        let (from, line) = match self.line_cursor {
            (at, line) if at <= offset => (at, line),
            _ => (0, 1),
        };
        let line = line + self.text.as_bytes()[from..offset].iter().filter(|&&b| b == b'\n').count();
        self.line_cursor = (offset, line);
        line
    }

    fn syntax_error(&mut self, err: pest::error::Error<Rule>, offset: usize) {
        let (pos, end) = match err.location {
            InputLocation::Pos(p) => (p, p),
            InputLocation::Span((s, e)) => (s, e),
        };
        let (start, end) = (offset + pos, offset + end.max(pos));
        let found = found_token(self.text, start);
        let expected = match &err.variant {
            pest::error::ErrorVariant::ParsingError { positives, .. } => expected_words(positives),
            pest::error::ErrorVariant::CustomError { message } => message.clone(),
        };
        let message = format!("expected {expected}, found {found}");
        let label_end = if end > start { end } else { start + found_len(self.text, start) };
        let diag = Diagnostic::error(codes::SYNTAX, message)
            .at(self.file, Span::new(start, label_end), format!("expected {expected}"))
            .help(help_for_expected(&expected));
        self.push_syntax(diag);
    }

    fn push_syntax(&mut self, diag: Diagnostic) {
        self.syntax_errors += 1;
        if self.syntax_errors <= MAX_SYNTAX_ERRORS {
            self.diags.push(diag);
        }
    }
}

#[derive(Clone, Copy)]
enum Context {
    TopLevel,
    Scorecard,
    Kpi,
    Use,
}

impl Context {
    /// What may start a line here, in words and as the keywords themselves.
    fn line_starts(self) -> (&'static str, &'static [&'static str]) {
        match self {
            Context::TopLevel => (
                "a declaration (import, param, fn, scorecard, kpi)",
                &["import", "param", "fn", "scorecard", "kpi"],
            ),
            Context::Scorecard => {
                ("`period`, `per`, `kpi`, `use`, `remove` or `}`", &["period", "per", "kpi", "use", "remove"])
            }
            Context::Kpi | Context::Use => (
                "a clause (from, where, value, unit, target, weight, scoring, min_rows) or `}`",
                &["from", "where", "value", "unit", "target", "weight", "scoring", "min_rows"],
            ),
        }
    }

    fn help(self) -> &'static str {
        match self {
            Context::TopLevel => {
                "a file holds import, param, fn, scorecard and kpi declarations; is a `{` or `}` out of place?"
            }
            Context::Scorecard => "a scorecard holds its period, its grouping and its KPIs",
            Context::Kpi | Context::Use => {
                "a KPI's lines start with from, where, value, unit, target, weight, scoring or min_rows"
            }
        }
    }
}

fn error_pos(err: &pest::error::Error<Rule>) -> usize {
    match err.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    }
}

/// The message for a line that parses, but not where it stands.
fn misplaced(rule: Option<Rule>, context: Context, text: &str) -> Diagnostic {
    let keyword = text.split_whitespace().next().unwrap_or("");
    let (message, help) = match (rule, context) {
        (Some(Rule::kpi_head | Rule::scorecard_head), Context::Kpi | Context::Use) => (
            format!("`{keyword}` starts inside a KPI that was not closed"),
            "add the missing `}` that ends the KPI above".to_string(),
        ),
        (Some(Rule::scorecard_head), Context::Scorecard) => (
            "`scorecard` starts inside a scorecard that was not closed".to_string(),
            "add the missing `}` that ends the scorecard above".to_string(),
        ),
        (Some(Rule::period_clause | Rule::per_clause | Rule::remove_kpi), _) => (
            format!("`{keyword}` belongs directly inside a scorecard"),
            "move it to the scorecard's body, before its KPIs".to_string(),
        ),
        (Some(Rule::import_decl | Rule::param_decl), _) => (
            format!("`{keyword}` belongs at the top level of a file"),
            "move it outside every scorecard and KPI".to_string(),
        ),
        _ => (
            format!("`{keyword}` is a KPI clause and belongs inside `kpi {{ ... }}` or `use ... {{ ... }}`"),
            "move it into a KPI".to_string(),
        ),
    };
    Diagnostic::error(codes::SYNTAX, message).help(help)
}

/// The shape of a line that starts with `keyword`, for a line whose keyword is right but whose
/// rest is not.
fn line_shape(keyword: &str) -> Option<&'static str> {
    Some(match keyword {
        "import" => "`import \"file.kpi\"`",
        "param" => "`param NAME = VALUE`",
        "fn" => "`fn NAME(x: number) -> bool = rhai \"\"\" ... \"\"\"`",
        "scorecard" => "`scorecard ID \"Title\" {`",
        "kpi" => "`kpi ID \"Title\" {`",
        "use" => "`use ID`, `use ID \"Title\"` or `use ID { ... }`",
        "period" => "`period month`",
        "per" => "`per resource`",
        "remove" => "`remove ID`",
        "from" => "`from TABLE`, `from TABLE by COLUMN` or `from TABLE open at INSTANT`",
        "where" => "`where CONDITION`",
        "value" => "`value EXPRESSION`",
        "unit" => "`unit ratio`",
        "target" => "`target >= VALUE`",
        "weight" => "`weight NUMBER`",
        "scoring" => "`scoring attainment`, `scoring pass_fail` or `scoring bands [...]`",
        "min_rows" => "`min_rows NUMBER`",
        _ => return None,
    })
}

/// A character outside strings and comments that is not ASCII: names are ASCII, and typographic
/// quotes, dashes and comparison signs are not operators. `line` starts at byte `at` of the file.
fn non_ascii(file: FileId, line: &str, at: usize) -> Option<Diagnostic> {
    let b = line.as_bytes();
    let mut i = 0;
    let found = loop {
        if i >= b.len() {
            return None;
        }
        match b[i] {
            b'"' if line[i..].starts_with("\"\"\"") => {
                i = line[i + 3..].find("\"\"\"").map_or(b.len(), |n| i + 3 + n + 3);
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'#' => return None,
            b'/' if b.get(i + 1) == Some(&b'/') => return None,
            c if c.is_ascii() => i += 1,
            _ => break i,
        }
    };
    let c = line[found..].chars().next()?;
    let is_name_char = |c: char| c.is_alphanumeric() || c == '_';
    if c.is_alphanumeric() {
        let start = line[..found].rfind(|c: char| !is_name_char(c)).map_or(0, |k| k + 1);
        let end = line[found..].find(|c: char| !is_name_char(c)).map_or(line.len(), |k| found + k);
        let word = &line[start..end];
        return Some(
            Diagnostic::error(codes::SYNTAX, format!("`{word}` is not a name: `{c}` is not ASCII"))
                .at(file, Span::new(at + start, at + end), "not a name")
                .help("names (of params, KPIs, scorecards, fields) are ASCII letters, digits and `_`; text with accents belongs in a string, \"like this\""),
        );
    }
    let help = match c {
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{2018}' | '\u{2019}' | '\u{00AB}' | '\u{00BB}' => {
            "a typographic quote: write text between straight double quotes, \"like this\"".to_string()
        }
        '\u{2013}' | '\u{2014}' | '\u{2212}' => "a typographic dash: write `-`".to_string(),
        '\u{2265}' => "write `>=`".to_string(),
        '\u{2264}' => "write `<=`".to_string(),
        '\u{2260}' => "write `!=`".to_string(),
        '\u{00D7}' => "write `*`".to_string(),
        '\u{00F7}' => "write `/`".to_string(),
        '\u{00A0}' | '\u{2000}'..='\u{200B}' | '\u{202F}' | '\u{3000}' => {
            "a non-breaking or typographic space: write a plain space".to_string()
        }
        _ => "outside strings and comments, rule files are ASCII".to_string(),
    };
    let shown = if c.is_whitespace() || c.is_control() { String::new() } else { format!("`{c}` ") };
    Some(
        Diagnostic::error(codes::SYNTAX, format!("unexpected character {shown}(U+{:04X})", c as u32))
            .at(file, Span::new(at + found, at + found + c.len_utf8()), "not allowed here")
            .help(help),
    )
}

/// `param x: ratio = 50%`: a param's type is its default's, so it takes no annotation.
fn param_annotation(file: FileId, line: &str, at: usize) -> Option<Diagnostic> {
    let rest = line.strip_prefix("param")?;
    let name_start = rest.len() - rest.trim_start().len();
    if name_start == 0 {
        return None;
    }
    let rest = rest.trim_start();
    let name_len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
    let name = &rest[..name_len];
    let after = rest[name_len..].trim_start();
    if name.is_empty() || !after.starts_with(':') {
        return None;
    }
    let colon = line.len() - after.len();
    let (end, value) = match after.find('=') {
        Some(eq) => (colon + eq, after[eq + 1..].trim()),
        None => (line.len(), "VALUE"),
    };
    let annotation_end = colon + line[colon..end].trim_end().len();
    Some(
        Diagnostic::error(codes::SYNTAX, format!("param `{name}` takes no type annotation"))
            .at(file, Span::new(at + colon, at + annotation_end), "remove this")
            .help(format!("a param's type is its default's: write `param {name} = {value}`")),
    )
}

fn found_len(text: &str, start: usize) -> usize {
    let rest = &text[start.min(text.len())..];
    match rest.chars().next() {
        None | Some('\n') => 0,
        Some(c) if c.is_alphanumeric() || c == '_' => {
            rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len())
        }
        Some(c) => c.len_utf8(),
    }
}

fn found_token(text: &str, start: usize) -> String {
    let rest = &text[start.min(text.len())..];
    match rest.chars().next() {
        None => "the end of the file".into(),
        Some('\n' | '\r') => "the end of the line".into(),
        Some(c) if c.is_control() => format!("the control character U+{:04X}", c as u32),
        Some(_) => {
            // A word can be a whole 10 MB line of garbage: quote the start of it.
            let word = &rest[..found_len(text, start)];
            match word.char_indices().nth(40) {
                Some((cut, _)) => format!("`{}...`", &word[..cut]),
                None => format!("`{word}`"),
            }
        }
    }
}

/// Human words for what the grammar expected (pest's rule names are for the grammar's authors).
fn expected_words(rules: &[Rule]) -> String {
    let mut words: Vec<&str> = Vec::new();
    let mut owned: Vec<String> = Vec::new();
    for rule in rules {
        let word = match rule {
            Rule::op_or
            | Rule::op_and
            | Rule::op_compare
            | Rule::op_not_in
            | Rule::op_additive
            | Rule::op_multiplicative
            | Rule::op_is_null
            | Rule::op_is_not_null => "an operator",
            Rule::expr
            | Rule::paren
            | Rule::list
            | Rule::name
            | Rule::call_args
            | Rule::number
            | Rule::percent
            | Rule::duration
            | Rule::date
            | Rule::not_a_date
            | Rule::string
            | Rule::boolean
            | Rule::null
            | Rule::op_not
            | Rule::op_neg
            | Rule::arg => "a value",
            Rule::ident => "a name",
            Rule::cmp_op => "a comparison (>=, >, <=, <)",
            Rule::by_placement | Rule::open_placement => "`by COLUMN` or `open at INSTANT`",
            Rule::bands => "`bands [...]`",
            Rule::band => "a band `VALUE => ATTAINMENT`",
            Rule::EOI => "the end of the line",
            r if keyword(*r).is_some() => {
                let word = format!("`{}`", keyword(*r).unwrap_or_default());
                if !owned.contains(&word) {
                    owned.push(word);
                }
                continue;
            }
            Rule::import_decl
            | Rule::param_decl
            | Rule::fn_decl
            | Rule::scorecard_head
            | Rule::kpi_head
            | Rule::use_head => "a declaration (import, param, scorecard, kpi, use)",
            Rule::period_clause | Rule::per_clause | Rule::remove_kpi | Rule::extends_clause => {
                "`period`, `per`, `remove` or `extends`"
            }
            Rule::from_clause
            | Rule::where_clause
            | Rule::value_clause
            | Rule::unit_clause
            | Rule::target_clause
            | Rule::weight_clause
            | Rule::scoring_clause
            | Rule::min_rows_clause => {
                "a clause (from, where, value, unit, target, weight, scoring, min_rows)"
            }
            Rule::scorecard | Rule::kpi | Rule::use_kpi => {
                "a declaration (import, param, scorecard, kpi, use)"
            }
            _ => "something else",
        };
        if !words.contains(&word) {
            words.push(word);
        }
    }
    // Keywords that start a value or an operator are already said by "a value" and "an operator".
    if words.contains(&"a value") {
        words.retain(|w| *w != "a name");
        owned.retain(|w| !["`not`", "`null`", "`true`", "`false`"].contains(&w.as_str()));
    }
    if words.contains(&"an operator") {
        let operators =
            ["`not`", "`and`", "`or`", "`in`", "`is`", "`starts_with`", "`ends_with`", "`contains`"];
        owned.retain(|w| !operators.contains(&w.as_str()));
    }
    let mut words: Vec<&str> = words;
    words.extend(owned.iter().map(String::as_str));
    match words.len() {
        0 => "something else".into(),
        1 => words[0].into(),
        n => format!("{} or {}", words[..n - 1].join(", "), words[n - 1]),
    }
}

fn help_for_expected(expected: &str) -> String {
    if expected.contains("a clause") {
        "a KPI's lines start with from, where, value, unit, target, weight, scoring or min_rows".into()
    } else if expected.contains("a declaration") {
        "a file holds import, param, scorecard and kpi declarations".into()
    } else if expected.contains("comparison") {
        "write the target as `target >= 80%` or `target <= 24h`".into()
    } else if expected.contains("an operator") {
        "check for a missing `)` or `]`, or an operator between two values".into()
    } else if expected.contains("a value") {
        "a value is a number, percentage, duration, text, field, param or call; is a `)` or `]` missing?"
            .into()
    } else {
        "see docs/language.md for the syntax of each construct".into()
    }
}

/// A declaration's doc comments, parsed before it (`docs ~ (kpi | ...)`) so that no alternative
/// parses them again.
struct Docs {
    lines: Vec<String>,
    start: usize,
}

impl Docs {
    fn new(pair: Pair<Rule>) -> Docs {
        let start = pair.as_span().start();
        let lines = pair
            .into_children()
            .map(|doc| {
                let text = doc.into_children().next().map_or("", |t| t.as_str());
                text.strip_prefix(' ').unwrap_or(text).trim_end().to_string()
            })
            .collect();
        Docs { lines, start }
    }

    /// The span of the declaration with its docs.
    fn span_with(&self, decl: &Pair<Rule>) -> Span {
        Span::new(self.start, span(decl).end as usize)
    }
}

fn build_ident(pair: Pair<Rule>) -> Ident {
    Ident { name: pair.as_str().to_string(), span: span(&pair) }
}

fn span_of(pair: &Pair<Rule>) -> Span {
    span(pair)
}

fn last_inner(pair: Pair<Rule>) -> Pair<Rule> {
    pair.into_children().last().expect("rule has an inner pair")
}

/// Keywords are atomic rules (so that `param` cannot match the start of `paramx`); the AST skips them.
type Children<'i> = std::iter::Filter<pest::iterators::Pairs<'i, Rule>, fn(&Pair<'i, Rule>) -> bool>;

trait IntoChildren<'i> {
    fn into_children(self) -> Children<'i>;
}

impl<'i> IntoChildren<'i> for Pair<'i, Rule> {
    fn into_children(self) -> Children<'i> {
        self.into_inner().filter(|p| keyword(p.as_rule()).is_none())
    }
}

/// The word of a keyword rule.
fn keyword(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::kw_import => "import",
        Rule::kw_param => "param",
        Rule::kw_scorecard => "scorecard",
        Rule::kw_extends => "extends",
        Rule::kw_remove => "remove",
        Rule::kw_period => "period",
        Rule::kw_per => "per",
        Rule::kw_use => "use",
        Rule::kw_kpi => "kpi",
        Rule::kw_from => "from",
        Rule::kw_by => "by",
        Rule::kw_open => "open",
        Rule::kw_at => "at",
        Rule::kw_where => "where",
        Rule::kw_value => "value",
        Rule::kw_unit => "unit",
        Rule::kw_target => "target",
        Rule::kw_weight => "weight",
        Rule::kw_scoring => "scoring",
        Rule::kw_bands => "bands",
        Rule::kw_min_rows => "min_rows",
        Rule::kw_not => "not",
        Rule::kw_and => "and",
        Rule::kw_or => "or",
        Rule::kw_in => "in",
        Rule::kw_is => "is",
        Rule::kw_null => "null",
        Rule::kw_true => "true",
        Rule::kw_false => "false",
        Rule::kw_starts_with => "starts_with",
        Rule::kw_ends_with => "ends_with",
        Rule::kw_contains => "contains",
        Rule::kw_fn => "fn",
        Rule::kw_rhai => "rhai",
        Rule::kw_file => "file",
        _ => return None,
    })
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

#[cfg(test)]
#[path = "parser_tests.rs"]
mod tests;
