//! The workbook: deterministic bytes, a zip with the parts Excel needs, awkward input survives.
use super::{xlsx, SheetNames};
use crate::test_fixtures::{contexts, monthly, result_sets, snapshot};

#[test]
fn the_same_results_give_the_same_bytes() {
    for results in result_sets() {
        for context in contexts() {
            let first = xlsx(&results, &context).expect("a workbook");
            assert!(first.starts_with(b"PK\x03\x04"), "a zip");
            assert_eq!(first, xlsx(&results, &context).expect("a workbook"));
        }
    }
}

#[test]
fn a_scorecard_with_periods_gets_charts_and_a_snapshot_none() {
    let with = xlsx(&[monthly()], &contexts()[0]).unwrap();
    let without = xlsx(&[snapshot()], &contexts()[0]).unwrap();
    let needle = b"xl/charts/chart1.xml";
    let has_chart = |bytes: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    assert!(has_chart(&with));
    assert!(!has_chart(&without));
}

#[test]
fn sheet_names_are_unique_short_and_clean() {
    let mut names = SheetNames::default();
    assert_eq!(names.take("Summary"), "Summary");
    assert_eq!(names.take("summary"), "summary (2)");
    assert_eq!(names.take("a/b:c*d?[e]"), "a_b_c_d__e_");
    assert_eq!(names.take("history"), "history (2)");
    let long = names.take(&"x".repeat(40));
    assert_eq!(long.chars().count(), 31);
    assert_eq!(names.take(&"x".repeat(40)), format!("{} (2)", "x".repeat(27)));
    assert_eq!(names.take("''"), "Sheet");
}
