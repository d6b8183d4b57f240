//! From source text to the typed AST: pest does the grammar, one `build_x` per rule does the rest.
//! Nothing downstream sees a pest `Pair`.
mod clauses;
mod expressions;
mod items;
mod recovery;

use crate::ast::*;
use crate::diagnostic::{codes, Diagnostic, FileId};
use crate::keywords::Keyword;
use pest::iterators::Pair;
use pest::Parser as _;

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

/// The keyword of a keyword rule.
fn keyword(rule: Rule) -> Option<Keyword> {
    Some(match rule {
        Rule::kw_import => Keyword::Import,
        Rule::kw_param => Keyword::Param,
        Rule::kw_scorecard => Keyword::Scorecard,
        Rule::kw_extends => Keyword::Extends,
        Rule::kw_remove => Keyword::Remove,
        Rule::kw_period => Keyword::Period,
        Rule::kw_per => Keyword::Per,
        Rule::kw_use => Keyword::Use,
        Rule::kw_kpi => Keyword::Kpi,
        Rule::kw_from => Keyword::From,
        Rule::kw_by => Keyword::By,
        Rule::kw_open => Keyword::Open,
        Rule::kw_at => Keyword::At,
        Rule::kw_where => Keyword::Where,
        Rule::kw_value => Keyword::Value,
        Rule::kw_unit => Keyword::Unit,
        Rule::kw_target => Keyword::Target,
        Rule::kw_weight => Keyword::Weight,
        Rule::kw_scoring => Keyword::Scoring,
        Rule::kw_bands => Keyword::Bands,
        Rule::kw_min_rows => Keyword::MinRows,
        Rule::kw_not => Keyword::Not,
        Rule::kw_in => Keyword::In,
        Rule::kw_is => Keyword::Is,
        Rule::kw_null => Keyword::Null,
        Rule::kw_true => Keyword::True,
        Rule::kw_false => Keyword::False,
        Rule::kw_fn => Keyword::Fn,
        Rule::kw_rhai => Keyword::Rhai,
        Rule::kw_file => Keyword::File,
        _ => return None,
    })
}

#[cfg(test)]
#[path = "parser_tests.rs"]
mod tests;
