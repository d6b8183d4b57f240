//! Hostile input: deep nesting, long operator chains, huge files, garbage, invalid UTF-8.
//! Each case runs parse and check on a thread with the default 2 MB test stack, and must end in
//! diagnostics (or a clean result), never a panic or a stack overflow, and quickly.
use kpi_syntax::{codes, Diagnostic};
use std::time::{Duration, Instant};

/// The stack a test thread gets by default; the cases must fit in it.
const TEST_STACK: usize = 2 * 1024 * 1024;

/// Parse and check `text` on a fresh 2 MB thread; return the diagnostics' codes.
fn check_text(text: String) -> Vec<Diagnostic> {
    std::thread::Builder::new()
        .stack_size(TEST_STACK)
        .spawn(move || {
            let rules = kpi_check::load_text("hostile.kpi", &text);
            kpi_check::check(&rules).diagnostics
        })
        .expect("spawn")
        .join()
        .expect("parse and check must not panic")
}

/// As [`check_text`], with the loaded rules and the whole result.
fn check_rules(text: String) -> (kpi_check::Rules, kpi_check::Checked) {
    std::thread::Builder::new()
        .stack_size(TEST_STACK)
        .spawn(move || {
            let rules = kpi_check::load_text("hostile.kpi", &text);
            let checked = kpi_check::check(&rules);
            (rules, checked)
        })
        .expect("spawn")
        .join()
        .expect("parse and check must not panic")
}

fn codes_of(diags: &[Diagnostic]) -> Vec<&'static str> {
    diags.iter().map(|d| d.code).collect()
}

fn timed<T>(limit: Duration, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    assert!(took < limit, "took {took:?}, limit {limit:?}");
    out
}

fn kpi_with_value(value: &str) -> String {
    format!("kpi k {{\n  from tickets by completed_at\n  value {value}\n  target >= 1\n  weight 100\n}}\n")
}

#[test]
fn ten_thousand_nested_parentheses() {
    let value = format!("{}count(){}", "(".repeat(10_000), ")".repeat(10_000));
    let diags = check_text(kpi_with_value(&value));
    assert_eq!(codes_of(&diags), [codes::TOO_DEEP]);
}

#[test]
fn nesting_at_the_limit_is_accepted() {
    let depth = kpi_syntax::MAX_NESTING - 2; // the KPI's braces count too
    let value = format!("{}count(){}", "(".repeat(depth), ")".repeat(depth));
    let diags = check_text(kpi_with_value(&value));
    assert!(diags.is_empty(), "{diags:#?}");
}

#[test]
fn ten_thousand_nested_lists_brackets_and_braces() {
    for (open, close) in [("[", "]"), ("{", "}"), ("count(", ")")] {
        let value = format!("{}1{}", open.repeat(10_000), close.repeat(10_000));
        let diags = check_text(kpi_with_value(&value));
        assert_eq!(codes_of(&diags), [codes::TOO_DEEP], "{open}");
    }
}

#[test]
fn ten_thousand_nots() {
    let text = format!(
        "kpi k {{\n  from tickets\n  where {}true\n  value count()\n  target >= 1\n  weight 100\n}}\n",
        "not ".repeat(10_000)
    );
    let diags = check_text(text);
    assert_eq!(codes_of(&diags), [codes::TOO_DEEP]);
}

#[test]
fn ten_thousand_minuses() {
    for minus in ["- ", "-"] {
        let diags = check_text(kpi_with_value(&format!("{}count()", minus.repeat(10_000))));
        assert_eq!(codes_of(&diags), [codes::TOO_DEEP], "{minus:?}");
    }
}

#[test]
fn prefix_chains_inside_every_bracket_level() {
    // Each level alone is within the limits, but together they would build a tree thousands deep.
    let level = "not ".repeat(kpi_syntax::MAX_OPERATORS - 1);
    let depth = kpi_syntax::MAX_NESTING - 4;
    let condition = format!("{}true{}", format!("{level}(").repeat(depth), ")".repeat(depth));
    let text = format!(
        "kpi k {{\n  from tickets\n  where {condition}\n  value count()\n  target >= 1\n  weight 100\n}}\n"
    );
    let diags = check_text(text);
    assert_eq!(codes_of(&diags), [codes::TOO_DEEP]);

    let chain = format!("{}1", "1 + ".repeat(kpi_syntax::MAX_OPERATORS - 1));
    let value = format!("{}count(){}", format!("{chain} + (").repeat(depth), ")".repeat(depth));
    let diags = check_text(kpi_with_value(&value));
    assert_eq!(codes_of(&diags), [codes::TOO_DEEP]);
}

#[test]
fn hundred_thousand_term_sum() {
    let value = format!("{}count()", "1 + ".repeat(100_000));
    let diags = timed(Duration::from_secs(5), || check_text(kpi_with_value(&value)));
    assert_eq!(codes_of(&diags), [codes::TOO_DEEP]);
}

#[test]
fn operators_at_the_limit_are_accepted() {
    let value = format!("{}count()", "1 + ".repeat(kpi_syntax::MAX_OPERATORS));
    let diags = check_text(kpi_with_value(&value));
    assert!(diags.is_empty(), "{diags:#?}");
}

/// Ten megabytes of valid, distinct KPIs: parsed and checked, every one of them.
#[test]
fn ten_megabytes_of_kpis() {
    let mut text = String::with_capacity(10 << 20);
    let mut n = 0;
    while text.len() < 10 << 20 {
        text.push_str(&format!(
            "/// KPI number {n}.\nkpi k{n} \"KPI {n}\" {{\n  from tickets by completed_at\n  where ticket_type in [\"incident\", \"problem\"] and reopen_count > 0\n  value share(escalation_count > 0)\n  target <= 10%\n  weight 1\n}}\n"
        ));
        n += 1;
    }
    let diags = timed(Duration::from_secs(60), || check_text(text));
    assert!(diags.is_empty(), "{:#?}", &diags[..diags.len().min(3)]);
}

/// Ten megabytes of the same KPI: one duplicate-id error per copy, found quickly; the first 50
/// are shown, the rest counted.
#[test]
fn ten_megabytes_of_duplicates() {
    let kpi = "kpi k {\n  from tickets\n  value count()\n  target >= 1\n  weight 1\n}\n";
    let text = kpi.repeat((10 << 20) / kpi.len());
    let copies = (10 << 20) / kpi.len();
    let checked = timed(Duration::from_secs(60), || check_rules(text).1);
    let shown = kpi_check::MAX_DIAGNOSTICS_PER_FILE;
    assert_eq!(checked.diagnostics.len(), shown + 1);
    assert!(checked.diagnostics[..shown].iter().all(|d| d.code == codes::DUPLICATE_ID));
    assert_eq!(checked.diagnostics[shown].code, codes::TOO_MANY);
    assert_eq!(checked.counts(), (copies - 1, 0));
}

/// 16,000 duplicate KPIs, checked and every diagnostic shown rendered as `kpi check` prints
/// them: each diagnostic shows the lines it needs, not the whole file, and at most 50 of a file
/// are rendered (19 s in release before; see docs/reliability.md).
#[test]
fn sixteen_thousand_duplicates_check_and_render_quickly() {
    let kpi = "kpi dup {\n  from tickets by completed_at\n  value count()\n  target >= 1\n  weight 1\n}\n";
    let text = kpi.repeat(16_000);
    let (rendered, checked) = timed(Duration::from_secs(5), || {
        let (rules, checked) = check_rules(text);
        let rendered: String = checked.diagnostics.iter().map(|d| d.render(&rules.sources, false)).collect();
        (rendered, checked)
    });
    assert_eq!(checked.counts(), (15_999, 0));
    assert_eq!(checked.diagnostics.len(), kpi_check::MAX_DIAGNOSTICS_PER_FILE + 1);
    assert!(
        rendered.contains("warning[W0003]: ... and 15949 more errors in `hostile.kpi` not shown"),
        "{rendered}"
    );
    // Far-apart lines keep their numbers.
    assert!(rendered.contains(" 301 │ kpi dup {"), "{rendered}");
}

/// Several files: at most 200 diagnostics in all, the rest counted per file.
#[test]
fn diagnostics_are_capped_per_run() {
    let dir = tempfile::tempdir().expect("temp dir");
    for i in 0..10 {
        let params: String = (0..60).map(|p| format!("param p{i}_{p} = {p}\n")).collect();
        std::fs::write(dir.path().join(format!("f{i}.kpi")), params).expect("write");
    }
    let rules = kpi_check::load(&[dir.path().to_path_buf()]);
    let checked = kpi_check::check(&rules);
    let shown = checked.diagnostics.iter().filter(|d| d.code == codes::UNUSED_PARAM).count();
    assert_eq!(shown, kpi_check::MAX_DIAGNOSTICS_PER_RUN);
    assert_eq!(checked.counts(), (0, 600));
    let summaries: Vec<&str> = checked
        .diagnostics
        .iter()
        .filter(|d| d.code == codes::TOO_MANY)
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(summaries.len(), 10, "{summaries:#?}");
    assert!(summaries[0].starts_with("... and 10 more warnings in"), "{summaries:#?}");
    assert!(summaries[9].starts_with("... and 60 more warnings in"), "{summaries:#?}");
}

/// Errors are shown before warnings when a file has more than the cap: an error is never hidden
/// behind 50 warnings.
#[test]
fn errors_come_before_warnings_in_what_is_shown() {
    let params: String = (0..60).map(|p| format!("param p{p} = {p}\n")).collect();
    let (_, checked) = check_rules(format!("{params}kpi k {{ }}\n"));
    assert!(checked.diagnostics.iter().any(|d| d.code == codes::MISSING_CLAUSE));
    assert_eq!(checked.counts(), (1, 60));
    assert!(checked.has_errors());
}

/// A diagnostic on a line of megabytes shows a window of it around the label.
#[test]
fn very_long_lines_are_cut_around_the_label() {
    let text = format!("param p = {}1 + \"x\"\nparam q = 2\n", "1 + ".repeat(250_000 / 4));
    let (rules, checked) = check_rules(text);
    let rendered: String = checked.diagnostics.iter().map(|d| d.render(&rules.sources, false)).collect();
    assert!(rendered.len() < 5_000, "{} bytes:\n{}", rendered.len(), &rendered[..rendered.len().min(3000)]);
    assert!(rendered.contains("..."), "{rendered}");
}

/// A small xorshift generator, so the garbage is the same on every run.
fn garbage(len: usize, mut keep: impl FnMut(u8) -> Option<u8>) -> Vec<u8> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        for byte in state.to_le_bytes() {
            if let Some(b) = keep(byte) {
                out.push(b);
            }
        }
    }
    out.truncate(len);
    out
}

#[test]
fn ten_megabytes_of_random_bytes() {
    let bytes = garbage(10 << 20, Some);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("garbage.kpi");
    std::fs::write(&path, &bytes).expect("write");
    let diags = timed(Duration::from_secs(20), || {
        std::thread::Builder::new()
            .stack_size(TEST_STACK)
            .spawn(move || kpi_check::check(&kpi_check::load(&[path])).diagnostics)
            .expect("spawn")
            .join()
            .expect("no panic")
    });
    assert_eq!(codes_of(&diags), [codes::INVALID_UTF8]);

    // The same bytes decoded leniently reach the parser.
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let diags = timed(Duration::from_secs(20), || check_text(text));
    assert!(!diags.is_empty() && diags.iter().any(Diagnostic::is_error));
}

/// Printable garbage without brackets gets past the nesting check to the parser's line recovery.
#[test]
fn ten_megabytes_of_printable_garbage() {
    let mut column = 0;
    let bytes = garbage(10 << 20, |b| {
        column += 1;
        match b {
            b'(' | b')' | b'[' | b']' | b'{' | b'}' => None,
            b' '..=b'~' => Some(b),
            _ if b % 40 == 0 => {
                column = 0;
                Some(b'\n')
            }
            _ => None,
        }
    });
    let text = String::from_utf8(bytes).expect("ascii");
    let diags = timed(Duration::from_secs(20), || check_text(text));
    let syntax = diags.iter().filter(|d| d.code == codes::SYNTAX).count();
    assert_eq!(syntax, kpi_syntax::MAX_SYNTAX_ERRORS, "{:?}", codes_of(&diags));
    assert_eq!(diags.iter().filter(|d| d.code == codes::TOO_MANY).count(), 1);
}

/// One 10 MB line: the strict re-parse that explains a bad line must not take long on it.
#[test]
fn one_ten_megabyte_line() {
    for unit in ["x", "1 + ", "a.", "\"", "not ", "kpi "] {
        let text = unit.repeat((10 << 20) / unit.len());
        let diags = timed(Duration::from_secs(20), || check_text(text));
        assert!(diags.iter().any(Diagnostic::is_error), "{unit:?}");
    }
}

#[test]
fn invalid_utf8_names_the_first_bad_byte() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("latin1.kpi");
    std::fs::write(&path, b"param caf\xe9 = 1\n").expect("write");
    let rules = kpi_check::load(&[path]);
    let checked = kpi_check::check(&rules);
    assert_eq!(codes_of(&checked.diagnostics), [codes::INVALID_UTF8]);
    let p = checked.diagnostics[0].primary.as_ref().expect("a location");
    assert_eq!(p.span.start, 9);
    assert_eq!(rules.sources.line_col(p.file, p.span.start), (1, 10));
}

#[test]
fn empty_and_comment_only_files_are_clean() {
    for text in ["", "\n\n", "# nothing here\n// nor here\n", "# no newline at the end", "   \t  "] {
        let diags = check_text(text.to_string());
        assert!(diags.is_empty(), "{text:?}: {diags:#?}");
    }
}

#[test]
fn doc_comments_with_nothing_to_document() {
    let diags = check_text("/// a doc comment at the end of the file\n".into());
    assert_eq!(codes_of(&diags), [codes::SYNTAX]);
}

#[test]
fn control_characters_and_nul_bytes() {
    let diags = check_text("kpi k {\n  value \0\u{1b}[31m\n}\n\u{7f}\n".into());
    assert!(diags.iter().all(|d| d.code == codes::SYNTAX || d.code == codes::MISSING_CLAUSE), "{diags:#?}");
    assert!(!diags.is_empty());
}

#[test]
fn deep_imports_and_many_files_do_not_overflow() {
    // A chain of 500 files, each importing the next: loading recurses once per import, so the
    // chain is cut at `MAX_IMPORT_DEPTH` with an error.
    let dir = tempfile::tempdir().expect("temp dir");
    for i in 0..500 {
        let next = if i + 1 < 500 { format!("import \"f{}.kpi\"\n", i + 1) } else { String::new() };
        std::fs::write(dir.path().join(format!("f{i}.kpi")), format!("{next}param p{i} = {i}\n"))
            .expect("write");
    }
    let first = dir.path().join("f0.kpi");
    let (rules, diags) = std::thread::Builder::new()
        .stack_size(TEST_STACK)
        .spawn(move || {
            let rules = kpi_check::load(&[first]);
            let diags = kpi_check::check(&rules).diagnostics;
            (rules, diags)
        })
        .expect("spawn")
        .join()
        .expect("no panic");
    let other: Vec<String> = diags
        .iter()
        .filter(|d| d.code != codes::UNUSED_PARAM)
        .map(|d| d.render(&rules.sources, false))
        .collect();
    assert_eq!(other.len(), 1, "{}", other.join("\n"));
    assert!(other[0].contains("[E0002] Error: imports nested more than 64 deep"), "{}", other[0]);
    assert_eq!(rules.sources.files().count(), kpi_check::load::MAX_IMPORT_DEPTH);
}
