//! `kpi fmt`: the one canonical layout of a `.kpi` file, keeping every comment.
//!
//! The AST gives the structure (items, blocks, clauses); the text of each line comes from the
//! source, with its spacing normalised. So an expression keeps its words, brackets and line breaks
//! exactly as written, while indentation, blank lines, clause alignment and spacing between tokens
//! are decided here:
//!
//! - two spaces of indent per block; `{` ends its header line, `}` stands on its own line;
//! - the clause keywords of a block padded to the longest one (`from   `, `value  `, `target `);
//! - a continuation line of a multi-line clause is indented to the clause's value column, and an
//!   operator that starts it (`and`, `or`, `+`, ...) hangs to the left of that column;
//! - one space between tokens, none inside brackets or before `,`; strings, durations and rhai
//!   bodies (`"""..."""`) are copied byte for byte;
//! - a blank line around every block (scorecard, KPI, `use` with clauses, multi-line `fn`); other
//!   blank lines are kept as written, at most one in a row;
//! - doc comments (`///`) are printed from the AST; a `#` or `//` comment stays on its line (after
//!   code, or on a line of its own), and the trailing comments of adjacent lines are aligned. A
//!   comment written inside a declaration's head (between `///` lines and the keyword) moves just
//!   above the keyword.
//!
//! Files with syntax errors are refused, and a result whose AST differs from the input's is never
//! returned (see [`FormatError::Changed`]).
use crate::ast::*;
use crate::keywords::Keyword;
use crate::{parse, Diagnostic, FileId};

/// Why a file could not be formatted.
#[derive(Debug)]
pub enum FormatError {
    /// The file does not parse; these are its diagnostics.
    Syntax(Vec<Diagnostic>),
    /// The layout would have changed the meaning of the file (a formatter bug): nothing is written.
    Changed,
}

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FormatError::Syntax(d) => write!(f, "{} syntax error(s)", d.iter().filter(|d| d.is_error()).count()),
            FormatError::Changed => f.write_str(
                "kpi fmt could not lay this file out without changing its meaning (a bug in kpi fmt; the file is left as it is)",
            ),
        }
    }
}

impl std::error::Error for FormatError {}

/// The canonical layout of `source`. `file` only labels the diagnostics of a file that does not parse.
pub fn format(file: FileId, source: &str) -> Result<String, FormatError> {
    let (module, diagnostics) = parse(file, source);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(FormatError::Syntax(diagnostics));
    }
    let mut printer = Printer { src: source, out: Vec::new() };
    let nodes: Vec<Node> = module.items.iter().map(Node::Item).collect();
    printer.block(&nodes, 0, source.len(), 0);
    let formatted = render(&printer.out);
    // The safety net: never hand back a file that means something else.
    let (again, diagnostics) = parse(file, &formatted);
    if diagnostics.iter().any(Diagnostic::is_error) || again.to_string() != module.to_string() {
        return Err(FormatError::Changed);
    }
    Ok(formatted)
}

/// One output line before rendering.
enum Out {
    Blank,
    /// Code (may be empty for a comment on its own line) and its trailing comment.
    Line {
        indent: usize,
        code: String,
        comment: Option<String>,
    },
}

/// What a block holds, in source order.
#[derive(Clone, Copy)]
enum Node<'a> {
    Item(&'a Item),
    Member(&'a Member),
    /// A clause, and the width its block pads keywords to.
    Clause(&'a Clause, usize),
}

struct Printer<'a> {
    src: &'a str,
    out: Vec<Out>,
}

/// How the continuation lines of a region are indented.
#[derive(Clone, Copy)]
enum Continuation {
    /// At this column, with a leading operator hanging to its left (clauses).
    Hanging(usize),
    /// At this column.
    Plain(usize),
}

/// Words and symbols that, starting a continuation line, hang left of the value column.
const HANGING_OPERATORS: &[&str] =
    &["and", "or", "+", "-", "*", "/", "=", "==", "!=", "<", "<=", ">", ">=", "in", "not in"];

impl<'a> Printer<'a> {
    fn bytes(&self) -> &'a [u8] {
        self.src.as_bytes()
    }

    /// Whether a `#` or `//` comment (not a `///` doc comment) starts at `i`.
    fn comment_at(&self, i: usize) -> bool {
        let rest = &self.src[i..];
        rest.starts_with('#') || rest.starts_with("//") && !rest.starts_with("///")
    }

    fn line_end(&self, i: usize) -> usize {
        self.src[i..].find('\n').map_or(self.src.len(), |n| i + n)
    }

    /// The first offset at or after `i` that is neither whitespace nor a comment.
    fn skip_trivia(&self, mut i: usize) -> usize {
        let b = self.bytes();
        while i < b.len() {
            if b[i].is_ascii_whitespace() {
                i += 1;
            } else if self.comment_at(i) {
                i = self.line_end(i);
            } else {
                break;
            }
        }
        i
    }

    /// Siblings from `start` to `end` (a `}` or the end of the file), with the comments between them.
    fn block(&mut self, nodes: &[Node], start: usize, end: usize, indent: usize) {
        let mut prev: Option<Node> = None;
        let mut at = start;
        for &node in nodes {
            let force_blank = prev.is_some_and(|p| self.is_block(p)) || self.is_block(node);
            let node_start = self.gap(at, end, indent, prev.is_some(), force_blank);
            self.node(node, node_start, indent);
            at = self.node_end(node);
            prev = Some(node);
        }
        self.gap(at, end, indent, prev.is_some(), false);
    }

    /// The trivia from `from` up to the next code: a comment on the line of the previous code
    /// trails it; others get their own lines. Returns where the code starts.
    fn gap(&mut self, from: usize, limit: usize, indent: usize, has_prev: bool, force_blank: bool) -> usize {
        let b = self.bytes();
        let (mut i, mut newlines, mut first_slot) = (from, 0usize, true);
        loop {
            while i < limit && b[i].is_ascii_whitespace() {
                newlines += usize::from(b[i] == b'\n');
                i += 1;
            }
            if i >= limit || !self.comment_at(i) {
                break;
            }
            let end = self.line_end(i);
            let text = self.src[i..end].trim_end().to_string();
            let trails = newlines == 0
                && from > 0
                && matches!(self.out.last(), Some(Out::Line { code, comment: None, .. }) if !code.is_empty());
            if trails {
                if let Some(Out::Line { comment, .. }) = self.out.last_mut() {
                    *comment = Some(text);
                }
            } else {
                let blank =
                    if first_slot { has_prev && (force_blank || newlines >= 2) } else { newlines >= 2 };
                if blank {
                    self.out.push(Out::Blank);
                }
                self.out.push(Out::Line { indent, code: String::new(), comment: Some(text) });
                first_slot = false;
            }
            newlines = 0;
            i = end;
        }
        if i < limit {
            let blank = if first_slot { has_prev && (force_blank || newlines >= 2) } else { newlines >= 2 };
            if blank {
                self.out.push(Out::Blank);
            }
        }
        i
    }

    fn is_block(&self, node: Node) -> bool {
        match node {
            Node::Item(Item::Scorecard(_) | Item::Kpi(_)) | Node::Member(Member::Kpi(_)) => true,
            Node::Item(Item::Use(u)) | Node::Member(Member::Use(u)) => self.use_has_block(u),
            Node::Item(Item::Function(f)) => self.src[f.span.range()].contains('\n'),
            _ => false,
        }
    }

    /// A `use` printed with braces: it has clauses, or comments between its braces.
    fn use_has_block(&self, u: &UseKpi) -> bool {
        self.src[..u.span.end as usize].ends_with('}') && (!u.clauses.is_empty() || self.has_comment(u))
    }

    fn has_comment(&self, u: &UseKpi) -> bool {
        let head_end = u.title.as_ref().map_or(u.id.span.end, |t| t.span.end) as usize;
        let (mut i, end) = (head_end, u.span.end as usize);
        while i < end {
            if self.comment_at(i) {
                return true;
            }
            i += 1;
        }
        false
    }

    fn node_end(&self, node: Node) -> usize {
        (match node {
            Node::Item(Item::Import(x)) => x.span.end,
            Node::Item(Item::Param(x)) => x.span.end,
            Node::Item(Item::Function(x)) => x.span.end,
            Node::Item(Item::Scorecard(x)) => x.span.end,
            Node::Item(Item::Kpi(x)) | Node::Member(Member::Kpi(x)) => x.span.end,
            Node::Item(Item::Use(x)) | Node::Member(Member::Use(x)) => x.span.end,
            Node::Member(Member::Period(x) | Member::Per(x) | Member::Remove(x)) => x.span.end,
            Node::Clause(c, _) => c.span.end,
        }) as usize
    }

    fn node(&mut self, node: Node, start: usize, indent: usize) {
        let plain = Continuation::Plain(indent + 4);
        match node {
            Node::Item(Item::Import(x)) => {
                let at = self.docs(&x.doc, start, indent);
                self.region(at, x.span.end as usize, indent, plain);
            }
            Node::Item(Item::Param(x)) => {
                let at = self.docs(&x.doc, start, indent);
                self.region(at, x.span.end as usize, indent, plain);
            }
            Node::Item(Item::Function(x)) => {
                let at = self.docs(&x.doc, start, indent);
                self.region(at, x.span.end as usize, indent, plain);
            }
            Node::Item(Item::Scorecard(s)) => {
                let at = self.docs(&s.doc, start, indent);
                let head_end = [
                    Some(s.id.span.end),
                    s.extends.as_ref().map(|e| e.span.end),
                    s.title.as_ref().map(|t| t.span.end),
                ]
                .into_iter()
                .flatten()
                .max()
                .unwrap_or(s.id.span.end) as usize;
                let members: Vec<Node> = s.members.iter().map(Node::Member).collect();
                self.braced(at, head_end, s.span.end as usize, &members, indent);
            }
            Node::Item(Item::Kpi(k)) | Node::Member(Member::Kpi(k)) => {
                let at = self.docs(&k.doc, start, indent);
                let head_end = k.title.as_ref().map_or(k.id.span.end, |t| t.span.end) as usize;
                self.clauses(at, head_end, k.span.end as usize, &k.clauses, indent);
            }
            Node::Item(Item::Use(u)) | Node::Member(Member::Use(u)) => {
                let at = self.docs(&u.doc, start, indent);
                let head_end = u.title.as_ref().map_or(u.id.span.end, |t| t.span.end) as usize;
                if self.use_has_block(u) {
                    self.clauses(at, head_end, u.span.end as usize, &u.clauses, indent);
                } else {
                    self.region(at, head_end, indent, plain);
                }
            }
            Node::Member(Member::Period(x) | Member::Per(x) | Member::Remove(x)) => {
                self.region(start, x.span.end as usize, indent, plain);
            }
            Node::Clause(clause, width) => {
                let first = self.out.len();
                self.region(
                    start,
                    clause.span.end as usize,
                    indent,
                    Continuation::Hanging(indent + width + 1),
                );
                let keyword = clause.kind.keyword();
                if let Some(Out::Line { code, .. }) = self.out.get_mut(first) {
                    if let Some(rest) = code.strip_prefix(keyword).and_then(|r| r.strip_prefix(' ')) {
                        *code = format!("{keyword:width$} {rest}");
                    }
                }
            }
        }
    }

    fn clauses(&mut self, at: usize, head_end: usize, end: usize, clauses: &[Clause], indent: usize) {
        let width = clauses.iter().map(|c| c.kind.keyword().len()).max().unwrap_or(0);
        let nodes: Vec<Node> = clauses.iter().map(|c| Node::Clause(c, width)).collect();
        self.braced(at, head_end, end, &nodes, indent);
    }

    /// `head {`, the children, `}`; `end` is just after the `}`.
    fn braced(&mut self, at: usize, head_end: usize, end: usize, children: &[Node], indent: usize) {
        let brace = self.skip_trivia(head_end);
        debug_assert_eq!(self.bytes().get(brace), Some(&b'{'), "the `{{` after a block's head");
        self.region(at, brace + 1, indent, Continuation::Plain(indent + 4));
        let close = end - 1;
        debug_assert_eq!(self.bytes().get(close), Some(&b'}'), "the `}}` closing a block");
        self.block(children, brace + 1, close, indent + 2);
        self.out.push(Out::Line { indent, code: "}".into(), comment: None });
    }

    /// Print the doc comments from the AST, then the comments written among them; returns where
    /// the declaration's keyword starts.
    fn docs(&mut self, doc: &[String], start: usize, indent: usize) -> usize {
        let b = self.bytes();
        let mut i = start;
        let mut moved = Vec::new();
        loop {
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if self.src[i..].starts_with("///") {
                i = self.line_end(i);
            } else if self.comment_at(i) {
                let end = self.line_end(i);
                moved.push(self.src[i..end].trim_end().to_string());
                i = end;
            } else {
                break;
            }
        }
        for line in doc {
            self.out.push(Out::Line { indent, code: format!("/// {line}"), comment: None });
        }
        for comment in moved {
            self.out.push(Out::Line { indent, code: String::new(), comment: Some(comment) });
        }
        i
    }

    /// The source from `start` to `end`, one output line per source line, spacing normalised.
    /// Continuation lines go two columns deeper per bracket left open by the lines before them.
    fn region(&mut self, start: usize, end: usize, indent: usize, continuation: Continuation) {
        for (n, line) in normalize(&self.src[start..end]).into_iter().enumerate() {
            let depth = 2 * line.depth;
            let indent = match continuation {
                _ if n == 0 => indent,
                Continuation::Plain(col) if line.depth == 0 => col,
                Continuation::Plain(_) => indent + depth,
                Continuation::Hanging(col) => {
                    let op = HANGING_OPERATORS
                        .iter()
                        .filter(|op| line.code.strip_prefix(**op).is_some_and(|r| r.starts_with(' ')))
                        .max_by_key(|op| op.len());
                    match op {
                        Some(op) if col + depth > indent + 2 + op.len() => col + depth - op.len() - 1,
                        _ => col + depth,
                    }
                }
            };
            self.out.push(Out::Line { indent, code: line.code, comment: line.comment });
        }
    }
}

/// A source line with its spacing normalised.
struct SourceLine {
    code: String,
    comment: Option<String>,
    /// Brackets open before the line, less those it starts by closing.
    depth: usize,
}

/// Symbols of two characters, one token each.
const PAIRS: &[&str] = &[">=", "<=", "!=", "==", "=>", "->"];

/// Split `text` into lines of tokens and trailing comments, the tokens of a line joined by the
/// canonical spacing (see [`space_between`]); empty lines are dropped. String literals and `"""`
/// bodies are single tokens, copied as they are (a body may span lines).
fn normalize(text: &str) -> Vec<SourceLine> {
    let b = text.as_bytes();
    let mut lines = Vec::new();
    // Every token of the region, so that a line's first `-` knows what came before it.
    let (mut tokens, mut line_start, mut comment) = (Vec::<&str>::new(), 0, None::<String>);
    let flush =
        |tokens: &[&str], line_start: usize, comment: &mut Option<String>, lines: &mut Vec<SourceLine>| {
            if tokens.len() > line_start || comment.is_some() {
                let opened = |t: &&&str| matches!(**t, "(" | "[" | "{");
                let closed = |t: &&&str| matches!(**t, ")" | "]" | "}");
                let before = &tokens[..line_start];
                let leading_closers = tokens[line_start..].iter().take_while(closed).count();
                let depth = (before.iter().filter(opened).count())
                    .saturating_sub(before.iter().filter(closed).count() + leading_closers);
                let mut code = String::new();
                for k in line_start..tokens.len() {
                    if k > line_start && space_between(&tokens[..k], tokens[k]) {
                        code.push(' ');
                    }
                    code.push_str(tokens[k]);
                }
                lines.push(SourceLine { code, comment: comment.take(), depth });
            }
        };
    let mut i = 0;
    while i < b.len() {
        let rest = &text[i..];
        if b[i] == b'\n' {
            flush(&tokens, line_start, &mut comment, &mut lines);
            line_start = tokens.len();
            i += 1;
        } else if b[i].is_ascii_whitespace() {
            i += 1;
        } else if rest.starts_with('#') || rest.starts_with("//") && !rest.starts_with("///") {
            let end = rest.find('\n').map_or(b.len(), |n| i + n);
            comment = Some(text[i..end].trim_end().to_string());
            i = end;
        } else {
            let end = i + token_len(rest);
            tokens.push(&text[i..end]);
            i = end;
        }
    }
    flush(&tokens, line_start, &mut comment, &mut lines);
    lines
}

/// The length of the token at the start of `rest` (not whitespace, not a comment).
fn token_len(rest: &str) -> usize {
    let b = rest.as_bytes();
    let run = |from: usize, ok: fn(u8) -> bool| from + b[from..].iter().take_while(|&&c| ok(c)).count();
    if let Some(body) = rest.strip_prefix("\"\"\"") {
        return body.find("\"\"\"").map_or(b.len(), |n| 3 + n + 3);
    }
    match b[0] {
        b'"' => {
            let mut j = 1;
            while j < b.len() && b[j] != b'"' && b[j] != b'\n' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            (j + 1).min(b.len())
        }
        c if c.is_ascii_alphabetic() || c == b'_' => run(1, |c| c.is_ascii_alphanumeric() || c == b'_'),
        c if c.is_ascii_digit() => {
            let is_date = b.len() >= 10
                && b[..10].iter().enumerate().all(|(k, c)| {
                    if k == 4 || k == 7 {
                        *c == b'-'
                    } else {
                        c.is_ascii_digit()
                    }
                });
            if is_date {
                10
            } else {
                run(1, |c| c.is_ascii_alphanumeric() || c == b'.' || c == b'%' || c == b'_')
            }
        }
        _ if PAIRS.iter().any(|p| rest.starts_with(p)) => 2,
        _ => rest.chars().next().map_or(1, char::len_utf8),
    }
}

/// Whether a space goes between the tokens before (`before`, non-empty) and `token`: one space,
/// except inside brackets, around `.`, before `,` and `:`, between a function's name and its `(`,
/// and after a unary minus.
fn space_between(before: &[&str], token: &str) -> bool {
    let prev = before[before.len() - 1];
    let is_word = |t: &str| t.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
    if matches!(prev, "(" | "[" | ".") || matches!(token, ")" | "]" | "," | ":" | ".") {
        return false;
    }
    // After a keyword, `(` and `-` start an operand (`not (a or b)`), not a call or a subtraction.
    if token == "(" && is_word(prev) && Keyword::from_word(prev).is_none() {
        return false;
    }
    if prev == "-" {
        // Unary when it does not follow an operand.
        let operand_before = before.len() >= 2 && {
            let p = before[before.len() - 2];
            matches!(p, ")" | "]")
                || p.starts_with('"')
                || p.starts_with(|c: char| c.is_ascii_digit())
                || is_word(p) && Keyword::from_word(p).is_none()
        };
        return operand_before;
    }
    true
}

/// The lines as text: trailing comments of adjacent lines aligned two spaces after the longest code.
fn render(out: &[Out]) -> String {
    let width = |indent: usize, code: &str| indent + code.rsplit('\n').next().unwrap_or("").chars().count();
    let mut columns = vec![0; out.len()];
    let mut i = 0;
    while i < out.len() {
        let trailing = |o: &Out| matches!(o, Out::Line { code, comment: Some(_), .. } if !code.is_empty());
        if !trailing(&out[i]) {
            i += 1;
            continue;
        }
        let run_end = (i..out.len()).find(|&j| !trailing(&out[j])).unwrap_or(out.len());
        let column = out[i..run_end]
            .iter()
            .map(|o| match o {
                Out::Line { indent, code, .. } => width(*indent, code),
                Out::Blank => 0,
            })
            .max()
            .unwrap_or(0)
            + 2;
        columns[i..run_end].iter_mut().for_each(|c| *c = column);
        i = run_end;
    }
    let mut text = String::new();
    let mut blank_pending = false;
    for (o, column) in out.iter().zip(columns) {
        match o {
            Out::Blank => blank_pending = !text.is_empty(),
            Out::Line { indent, code, comment } => {
                if blank_pending {
                    text.push('\n');
                    blank_pending = false;
                }
                let mut line = format!("{:indent$}{code}", "");
                if let Some(comment) = comment {
                    if !code.is_empty() {
                        let pad = column.saturating_sub(width(*indent, code)).max(1);
                        line.push_str(&" ".repeat(pad));
                    }
                    line.push_str(comment);
                }
                text.push_str(line.trim_end());
                text.push('\n');
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(source: &str) -> String {
        format(FileId(0), source).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn lays_out_a_kpi_in_the_house_style() {
        let source = "kpi fcr \"First Contact\" { from tickets by completed_at\n value share( count(time_entries) < 2 )\n\n\n  target >= 70%  # the catalogue's\n weight 10 }";
        insta::assert_snapshot!(fmt(source), @r#"
        kpi fcr "First Contact" {
          from   tickets by completed_at
          value  share(count(time_entries) < 2)

          target >= 70%  # the catalogue's
          weight 10
        }
        "#);
    }

    #[test]
    fn hangs_operators_of_multi_line_conditions() {
        let source = "kpi b {\nfrom tickets\nwhere created_at < period_end\n  and (completed_at is null)\n      or x > 1\nvalue count()\ntarget <= 5\nweight 5\n}\n";
        insta::assert_snapshot!(fmt(source), @r"
        kpi b {
          from   tickets
          where  created_at < period_end
             and (completed_at is null)
              or x > 1
          value  count()
          target <= 5
          weight 5
        }
        ");
    }

    #[test]
    fn keeps_rhai_bodies_byte_for_byte() {
        let source = "fn f(x :number)->bool=rhai \"\"\"\n    x  >  1 # not a kpi comment\n\"\"\"   # after\n";
        insta::assert_snapshot!(fmt(source), @r#"
        fn f(x: number) -> bool = rhai """
            x  >  1 # not a kpi comment
        """  # after
        "#);
    }

    #[test]
    fn moves_a_comment_inside_a_head_above_the_keyword() {
        let source = "/// Doc.\n// note\nparam x = 1\n";
        insta::assert_snapshot!(fmt(source), @r"
        /// Doc.
        // note
        param x = 1
        ");
    }

    #[test]
    fn refuses_a_file_with_syntax_errors() {
        assert!(matches!(format(FileId(0), "kpi x {\n  frm tickets\n}\n"), Err(FormatError::Syntax(_))));
    }
}
