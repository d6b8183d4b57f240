//! The keys of a client config that name a KPI (`[scorecards.CARD.KPI]`) or a param
//! (`[params] NAME = ...`), found in its text, so that a rename reaches the config too.
use crate::index::Symbol;

/// The byte ranges of `text` (a client config) where `symbol` is named as a key.
pub fn key_ranges(text: &str, symbol: &Symbol) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut section: Vec<String> = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim_start();
        if trimmed.starts_with('#') || trimmed.starts_with("[[") {
            continue;
        }
        let (path, on_line) = if let Some(header) = trimmed.strip_prefix('[') {
            let Some(end) = header.find(']') else { continue };
            let parts = parts(&header[..end], start + indent + 1);
            section = parts.iter().map(|(p, _)| p.clone()).collect();
            (parts, 0)
        } else if let Some(eq) = trimmed.find('=') {
            let keys = parts(&trimmed[..eq], start + indent);
            let mut path: Vec<(String, std::ops::Range<usize>)> =
                section.iter().map(|s| (s.clone(), 0..0)).collect();
            let first = path.len();
            path.extend(keys);
            (path, first)
        } else {
            continue;
        };
        let names = |i: usize, expected: &str| path.get(i).is_some_and(|(p, _)| p == expected);
        let wanted = match symbol {
            Symbol::Param(name) if path.len() >= 2 && names(0, "params") && names(1, name) => Some(1),
            Symbol::Kpi(id) if path.len() >= 3 && names(0, "scorecards") && names(2, id) => Some(2),
            _ => None,
        };
        if let Some(i) = wanted.filter(|&i| i >= on_line) {
            out.push(path[i].1.clone());
        }
    }
    out
}

/// The dotted parts of a key (`a.b."c d"`), each unquoted, with its byte range (`base` is the
/// offset of `key` in the text).
fn parts(key: &str, base: usize) -> Vec<(String, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    let mut at = 0;
    for part in key.split('.') {
        let lead = part.len() - part.trim_start().len();
        let word = part.trim();
        let (word, quote) = match word.strip_prefix('"').and_then(|w| w.strip_suffix('"')) {
            Some(inner) => (inner, 1),
            None => (word, 0),
        };
        let start = base + at + lead + quote;
        out.push((word.to_string(), start..start + word.len()));
        at += part.len() + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_that_name_a_kpi_or_a_param() {
        let text = "rules = [\"a.kpi\"]\n[params]\ngrace = \"15m\" # grace\nother = 1\n\n\
                    [scorecards.card.closed]\ntarget = \">= 3\"\n[scorecards.card]\nclosed = { weight = 3 }\n\
                    \"closed\".enabled = false\n";
        let shown = |symbol: &Symbol| -> Vec<&str> {
            key_ranges(text, symbol).into_iter().map(|r| &text[r]).collect()
        };
        assert_eq!(shown(&Symbol::Param("grace".into())), ["grace"]);
        assert_eq!(key_ranges(text, &Symbol::Param("grace".into()))[0].start, text.find("grace =").unwrap());
        assert_eq!(shown(&Symbol::Kpi("closed".into())), ["closed", "closed", "closed"]);
        assert!(shown(&Symbol::Kpi("card".into())).is_empty());
        assert!(shown(&Symbol::Param("weight".into())).is_empty());
    }
}
