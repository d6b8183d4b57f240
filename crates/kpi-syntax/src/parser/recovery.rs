//! Syntax errors: a bad line re-parsed strictly to say what was expected, and the words for it.
use super::{keyword, span, Builder, KpiParser, Rule, MAX_SYNTAX_ERRORS};
use crate::ast::Span;
use crate::diagnostic::{codes, Diagnostic, FileId};
use crate::keywords::{Keyword, CLAUSE_WORDS, DECLARATION_WORDS, SCORECARD_WORDS};
use pest::error::InputLocation;
use pest::iterators::Pair;
use pest::Parser as _;
use std::sync::LazyLock;

impl Builder<'_> {
    /// Report a line that no rule accepted, by re-parsing it strictly to learn what was expected.
    pub(super) fn bad_line(&mut self, pair: Pair<Rule>, context: Context) {
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

    pub(super) fn syntax_error(&mut self, err: pest::error::Error<Rule>, offset: usize) {
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

/// Where a line stands: what may start it, and what to suggest.
#[derive(Clone, Copy)]
pub(super) enum Context {
    TopLevel,
    Scorecard,
    Kpi,
    Use,
}

/// The messages' lists of the words that start a line, spelled once from the keyword table.
struct LineStarts {
    /// `a declaration (import, param, fn, scorecard, kpi)`.
    declaration: String,
    declaration_help: String,
    /// `` `period`, `per`, `kpi`, `use`, `remove` or `}` ``.
    scorecard: String,
    /// `a clause (from, where, ..., min_rows)`.
    clause: String,
    clause_or_brace: String,
    clause_help: String,
}

static LINE_STARTS: LazyLock<LineStarts> = LazyLock::new(|| {
    let clause = format!("a clause ({})", CLAUSE_WORDS.join(", "));
    let quoted: Vec<String> = SCORECARD_WORDS.iter().map(|w| format!("`{w}`")).collect();
    LineStarts {
        declaration: format!("a declaration ({})", DECLARATION_WORDS.join(", ")),
        declaration_help: format!(
            "a file holds {} declarations; is a `{{` or `}}` out of place?",
            word_list(&DECLARATION_WORDS, "and")
        ),
        scorecard: format!("{} or `}}`", quoted.join(", ")),
        clause_or_brace: format!("{clause} or `}}`"),
        clause,
        clause_help: format!("a KPI's lines start with {}", word_list(&CLAUSE_WORDS, "or")),
    }
});

/// `a, b and c`.
fn word_list(words: &[&str], last: &str) -> String {
    match words.split_last() {
        Some((end, [])) => end.to_string(),
        Some((end, rest)) => format!("{} {last} {end}", rest.join(", ")),
        None => String::new(),
    }
}

impl Context {
    /// What may start a line here, in words and as the keywords themselves.
    fn line_starts(self) -> (&'static str, &'static [&'static str]) {
        let starts = &*LINE_STARTS;
        match self {
            Context::TopLevel => (&starts.declaration, &DECLARATION_WORDS),
            Context::Scorecard => (&starts.scorecard, &SCORECARD_WORDS),
            Context::Kpi | Context::Use => (&starts.clause_or_brace, &CLAUSE_WORDS),
        }
    }

    fn help(self) -> &'static str {
        match self {
            Context::TopLevel => &LINE_STARTS.declaration_help,
            Context::Scorecard => "a scorecard holds its period, its grouping and its KPIs",
            Context::Kpi | Context::Use => &LINE_STARTS.clause_help,
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
    let mut keywords: Vec<Keyword> = Vec::new();
    for rule in rules {
        if let Some(k) = keyword(*rule) {
            if !keywords.contains(&k) {
                keywords.push(k);
            }
            continue;
        }
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
            | Rule::min_rows_clause => &LINE_STARTS.clause,
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
        keywords.retain(|k| !k.starts_value());
    }
    if words.contains(&"an operator") {
        keywords.retain(|k| !k.is_operator());
    }
    let quoted: Vec<String> = keywords.iter().map(|k| format!("`{}`", k.as_str())).collect();
    words.extend(quoted.iter().map(String::as_str));
    match words.len() {
        0 => "something else".into(),
        1 => words[0].into(),
        n => format!("{} or {}", words[..n - 1].join(", "), words[n - 1]),
    }
}

fn help_for_expected(expected: &str) -> String {
    if expected.contains("a clause") {
        LINE_STARTS.clause_help.clone()
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The lists built from the keyword table read as the messages always did.
    #[test]
    fn line_starts_from_the_keyword_table() {
        let clauses = "from, where, value, unit, target, weight, scoring";
        assert_eq!(Context::TopLevel.line_starts().0, "a declaration (import, param, fn, scorecard, kpi)");
        assert_eq!(Context::Scorecard.line_starts().0, "`period`, `per`, `kpi`, `use`, `remove` or `}`");
        assert_eq!(Context::Kpi.line_starts().0, format!("a clause ({clauses}, min_rows) or `}}`"));
        assert_eq!(
            Context::TopLevel.help(),
            "a file holds import, param, fn, scorecard and kpi declarations; is a `{` or `}` out of place?"
        );
        assert_eq!(Context::Use.help(), format!("a KPI's lines start with {clauses} or min_rows"));
        assert_eq!(expected_words(&[Rule::where_clause]), format!("a clause ({clauses}, min_rows)"));
        assert_eq!(help_for_expected(&LINE_STARTS.clause), Context::Kpi.help());
    }
}
