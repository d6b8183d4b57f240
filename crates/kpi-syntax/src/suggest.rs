//! "Did you mean": the closest of some known names to one that is not known.

/// The candidate closest to `name` by edit distance (Levenshtein, in characters), when it is
/// close enough to be a likely misspelling: at most a third of the longer word's length, and
/// always at least 2 edits. Ties go to the alphabetically first candidate.
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let len = name.chars().count();
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        let candidate_len = candidate.chars().count();
        let limit = (len.max(candidate_len) / 3).max(2);
        // The distance is at least the difference in length: a long token costs nothing here.
        if len.abs_diff(candidate_len) > limit {
            continue;
        }
        let d = strsim::levenshtein(name, candidate);
        if d <= limit && best.is_none_or(|(bd, bc)| d < bd || (d == bd && candidate < bc)) {
            best = Some((d, candidate));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::suggest;

    #[test]
    fn the_closest_name_within_a_third_of_its_length() {
        assert_eq!(suggest("priorty", ["priority", "status", "queue"]), Some("priority"));
        assert_eq!(suggest("valeu", ["value", "weight"]), Some("value"));
        assert_eq!(suggest("utilisation_rate", ["utilization"]), None);
        assert_eq!(suggest("xyz", ["count", "sum"]), None);
        // Ties: the alphabetically first.
        assert_eq!(suggest("ab", ["ba", "aa"]), Some("aa"));
        assert_eq!(suggest(&"x".repeat(10_000), ["scorecard"]), None);
    }
}
