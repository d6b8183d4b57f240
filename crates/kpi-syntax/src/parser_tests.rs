//! Short parser cases with inline snapshots: how expressions group, what literals become, and
//! the messages of a few syntax errors.
use super::*;
use crate::SourceMap;

/// The expression of `param x = <source>`, fully bracketed, or the rendered errors.
fn expr(source: &str) -> String {
    let text = format!("param x = {source}\n");
    let (module, diags) = parse(FileId(0), &text);
    if !diags.is_empty() {
        return errors(&text, &diags);
    }
    match module.items.as_slice() {
        [Item::Param(p)] => p.default.to_string(),
        other => format!("{other:?}"),
    }
}

fn errors(text: &str, diags: &[Diagnostic]) -> String {
    let mut sources = SourceMap::default();
    sources.add("test.kpi", text);
    diags.iter().map(|d| d.render(&sources, false)).collect()
}

/// The rendered diagnostics of a whole file.
fn file_errors(text: &str) -> String {
    errors(text, &parse(FileId(0), text).1)
}

#[test]
fn arithmetic_precedence() {
    insta::assert_snapshot!(expr("1 + 2 * 3 - 4 / 5"), @"((1 + (2 * 3)) - (4 / 5))");
    insta::assert_snapshot!(expr("(1 + 2) * 3"), @"((1 + 2) * 3)");
    insta::assert_snapshot!(expr("10 - 2 - 3"), @"((10 - 2) - 3)");
    insta::assert_snapshot!(expr("-a * b"), @"((-a) * b)");
    insta::assert_snapshot!(expr("- - 1"), @"(-(-1))");
}

#[test]
fn boolean_precedence() {
    insta::assert_snapshot!(expr("a or b and c"), @"(a or (b and c))");
    insta::assert_snapshot!(expr("not a = 1 and b"), @"((not (a = 1)) and b)");
    insta::assert_snapshot!(expr("a + 1 > b * 2"), @"((a + 1) > (b * 2))");
    insta::assert_snapshot!(expr("not not a"), @"(not (not a))");
}

#[test]
fn null_tests_and_membership() {
    insta::assert_snapshot!(expr("a is not null or b is null"), @"((a is not null) or (b is null))");
    insta::assert_snapshot!(expr("a + 1 is null"), @"((a + 1) is null)");
    insta::assert_snapshot!(expr("t not in [\"x\", \"y\"]"), @r#"(t not in ["x", "y"])"#);
    insta::assert_snapshot!(expr("t in xs and not t in ys"), @"((t in xs) and (not (t in ys)))");
    insta::assert_snapshot!(expr("s starts_with \"Wait\" or s ends_with \"x\" or s contains \"y\""), @r#"(((s starts_with "Wait") or (s ends_with "x")) or (s contains "y"))"#);
}

#[test]
fn literals() {
    insta::assert_snapshot!(expr("1h30m"), @"hours(1.5)");
    insta::assert_snapshot!(expr("30m"), @"hours(0.5)");
    insta::assert_snapshot!(expr("2d"), @"hours(48)");
    insta::assert_snapshot!(expr("1w"), @"hours(168)");
    insta::assert_snapshot!(expr("90s"), @"hours(0.025)");
    insta::assert_snapshot!(expr("80%"), @"ratio(0.8)");
    insta::assert_snapshot!(expr("12.5%"), @"ratio(0.125)");
    insta::assert_snapshot!(expr("0.25"), @"0.25");
    insta::assert_snapshot!(expr("2026-01-31"), @"date(2026-01-31)");
    insta::assert_snapshot!(expr("[1, 2, 3,]"), @"[1, 2, 3]");
    insta::assert_snapshot!(expr("[]"), @"[]");
    insta::assert_snapshot!(expr("null"), @"null");
    insta::assert_snapshot!(expr("true"), @"true");
}

#[test]
fn string_escapes() {
    insta::assert_snapshot!(expr(r#""a \"quoted\" word""#), @r#""a \"quoted\" word""#);
    insta::assert_snapshot!(expr(r#""tab\tnew\nline\\""#), @r#""tab\tnew\nline\\""#);
    insta::assert_snapshot!(expr("\"caf\u{e9}\""), @r#""café""#);
}

#[test]
fn calls_paths_and_filters() {
    insta::assert_snapshot!(expr("sum(hours where billable)"), @"sum(hours where billable)");
    insta::assert_snapshot!(expr("count(time_entries) < 2"), @"(count(time_entries) < 2)");
    insta::assert_snapshot!(expr("ticket.client.endpoints"), @"ticket.client.endpoints");
    insta::assert_snapshot!(expr("ratio(a, b where c)"), @"ratio(a, b where c)");
    insta::assert_snapshot!(expr("custom(\"contract\")"), @r#"custom("contract")"#);
}

#[test]
fn spans_stop_at_the_last_token() {
    // pest keeps trailing whitespace and comments in a rule that ends in an empty repetition.
    let text = "param x = a.b   # comment\n";
    let (module, _) = parse(FileId(0), text);
    let Item::Param(p) = &module.items[0] else { panic!("a param") };
    assert_eq!(&text[p.default.span.range()], "a.b");
}

#[test]
fn unknown_escape() {
    insta::assert_snapshot!(expr(r#""a\qb""#), @r#"
    [E0100] Error: unknown escape `\q` in a string
       ╭─[ test.kpi:1:11 ]
       │
     1 │ param x = "a\qb"
       │           ───┬──
       │              ╰──── in this string
       │
       │ Help: the escapes are \" \\ \n and \t
    ───╯
    "#);
}

#[test]
fn missing_operand() {
    insta::assert_snapshot!(expr("1 +"), @r#"
    [E0100] Error: expected a value, found the end of the line
       ╭─[ test.kpi:1:14 ]
       │
     1 │ param x = 1 +
       │              │
       │              ╰─ expected a value
       │
       │ Help: a value is a number, percentage, duration, text, field, param or call; is a `)` or `]` missing?
    ───╯
    "#);
}

#[test]
fn unclosed_bracket() {
    insta::assert_snapshot!(expr("(1 + 2"), @r#"
    [E0100] Error: expected an operator, found the end of the line
       ╭─[ test.kpi:1:17 ]
       │
     1 │ param x = (1 + 2
       │                 │
       │                 ╰─ expected an operator
       │
       │ Help: check for a missing `)` or `]`, or an operator between two values
    ───╯
    "#);
}

#[test]
fn no_such_date() {
    insta::assert_snapshot!(expr("2026-02-29"), @r#"
    [E0100] Error: `2026-02-29` is not a date: 2026 is not a leap year
       ╭─[ test.kpi:1:11 ]
       │
     1 │ param x = 2026-02-29
       │           ─────┬────
       │                ╰────── no such date
       │
       │ Help: dates are written YYYY-MM-DD, e.g. 2026-01-31
    ───╯
    "#);
}

#[test]
fn misspelled_clause() {
    insta::assert_snapshot!(file_errors("kpi k {\n  from tickets\n  valeu count()\n}\n"), @r#"
    [E0100] Error: expected a clause (from, where, value, unit, target, weight, scoring, min_rows) or `}`, found `valeu`
       ╭─[ test.kpi:3:3 ]
       │
     3 │   valeu count()
       │   ──┬──
       │     ╰──── expected a clause (from, where, value, unit, target, weight, scoring, min_rows) or `}`
       │
       │ Help: did you mean `value`?
    ───╯
    "#);
}

#[test]
fn stray_word_at_top_level() {
    insta::assert_snapshot!(file_errors("hello world\n"), @r#"
    [E0100] Error: expected a declaration (import, param, fn, scorecard, kpi), found `hello`
       ╭─[ test.kpi:1:1 ]
       │
     1 │ hello world
       │ ──┬──
       │   ╰──── expected a declaration (import, param, fn, scorecard, kpi)
       │
       │ Help: a file holds import, param, fn, scorecard and kpi declarations; is a `{` or `}` out of place?
    ───╯
    "#);
}

/// A date with a digit too many (or too few) is not arithmetic: `2026-01-011` is not 2026 - 1 - 11.
#[test]
fn date_typos_are_not_arithmetic() {
    for text in ["2026-01-011", "2026-1-5", "2026-01-1", "10-2-3", "2026-01-01x", "02026-01-01"] {
        let out = expr(text);
        assert!(out.contains("[E0100]") && out.contains("is not a date"), "{text}: {out}");
    }
    // Spaced out, it is a subtraction; a date minus a number still parses (the checker judges it).
    insta::assert_snapshot!(expr("10 - 2 - 3"), @"((10 - 2) - 3)");
    insta::assert_snapshot!(expr("2026-01-05-3"), @"(date(2026-01-05) - 3)");
    insta::assert_snapshot!(expr("2026-01-011"), @r#"
    [E0100] Error: `2026-01-011` is not a date
       ╭─[ test.kpi:1:11 ]
       │
     1 │ param x = 2026-01-011
       │           ─────┬─────
       │                ╰─────── not YYYY-MM-DD
       │
       │ Help: dates are written YYYY-MM-DD, e.g. 2026-01-31; to subtract, put spaces around `-`: `2026 - 01 - 011`
    ───╯
    "#);
}

#[test]
fn a_day_that_does_not_exist() {
    insta::assert_snapshot!(expr("2026-06-31"), @r#"
    [E0100] Error: `2026-06-31` is not a date: June has 30 days
       ╭─[ test.kpi:1:11 ]
       │
     1 │ param x = 2026-06-31
       │           ─────┬────
       │                ╰────── no such date
       │
       │ Help: dates are written YYYY-MM-DD, e.g. 2026-01-31
    ───╯
    "#);
    assert!(expr("2026-13-01").contains("month 13"), "{}", expr("2026-13-01"));
    assert!(expr("2026-02-29").contains("not a leap year"), "{}", expr("2026-02-29"));
    assert_eq!(expr("2028-02-29"), "date(2028-02-29)");
}

/// A literal too large for a 64-bit float would be infinite, and every score computed from it
/// meaningless (400 nines once made a KPI `no_data` and its row score 100).
#[test]
fn numbers_that_overflow_are_errors() {
    let nines = "9".repeat(400);
    for text in [nines.clone(), format!("{nines}%"), format!("{nines}h")] {
        let out = expr(&text);
        assert!(out.contains("[E0100]") && out.contains("is too large a number"), "{out}");
    }
    assert_eq!(expr("179769313486231570000000000000000000"), "179769313486231570000000000000000000");
}
