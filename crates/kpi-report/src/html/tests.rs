//! HTML escaping, determinism, and a report of awkward results that stays well formed.
use super::{escape, html};
use crate::test_fixtures::{contexts, monthly, result_sets, NASTY};

#[test]
fn escaping_covers_markup_quotes_and_control_characters() {
    assert_eq!(escape("<b>&\"x\"'</b>"), "&lt;b&gt;&amp;&quot;x&quot;&#39;&lt;/b&gt;");
    assert_eq!(escape("a\u{0}b\u{7f}c\td\r\n"), "a\u{FFFD}b\u{FFFD}c\td\n\n");
    assert_eq!(escape("Zürich ✓ 😀"), "Zürich ✓ 😀");
}

#[test]
fn nasty_text_never_reaches_the_markup_raw() {
    let page = html(&[monthly()], &contexts()[1]);
    assert!(!page.contains(NASTY));
    assert!(page.contains(&escape(NASTY)));
    // Every tag that opens is one of ours: no `<` comes from the data.
    for (i, _) in page.match_indices('<') {
        let next = page[i + 1..].chars().next().unwrap_or(' ');
        assert!(next.is_ascii_alphabetic() || next == '/' || next == '!', "stray `<` at {i}");
    }
    assert!(!page.contains('\u{0}'));
}

#[test]
fn the_same_results_give_the_same_bytes() {
    for results in result_sets() {
        for context in contexts() {
            let first = html(&results, &context);
            assert_eq!(first, html(&results, &context));
            assert!(first.starts_with("<!DOCTYPE html>") && first.ends_with("</html>\n"));
        }
    }
}

#[test]
fn nothing_is_fetched() {
    let page = html(&[monthly()], &contexts()[0]);
    for needle in ["<script", "<link", "src=", "url(", "@import", "href=\"http"] {
        assert!(!page.contains(needle), "{needle}");
    }
}
