//! The words of the language: one table for the parser, its hints and the formatter.
//!
//! The grammar (`grammar/kpi.pest`) spells them too, as `kw_*` rules and the `reserved` list; pest
//! cannot read this table, so a new keyword goes in both.

/// A word with a meaning of its own: it starts a declaration or a clause, or is part of one or of
/// an expression.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Keyword {
    Import,
    Param,
    Fn,
    Rhai,
    File,
    Scorecard,
    Extends,
    Remove,
    Period,
    Per,
    Use,
    Kpi,
    From,
    By,
    Open,
    At,
    Where,
    Value,
    Unit,
    Target,
    Weight,
    Scoring,
    Bands,
    MinRows,
    Not,
    And,
    Or,
    In,
    Is,
    Null,
    True,
    False,
    StartsWith,
    EndsWith,
    Contains,
}

/// Every keyword.
pub const KEYWORDS: &[Keyword] = &[
    Keyword::Import,
    Keyword::Param,
    Keyword::Fn,
    Keyword::Rhai,
    Keyword::File,
    Keyword::Scorecard,
    Keyword::Extends,
    Keyword::Remove,
    Keyword::Period,
    Keyword::Per,
    Keyword::Use,
    Keyword::Kpi,
    Keyword::From,
    Keyword::By,
    Keyword::Open,
    Keyword::At,
    Keyword::Where,
    Keyword::Value,
    Keyword::Unit,
    Keyword::Target,
    Keyword::Weight,
    Keyword::Scoring,
    Keyword::Bands,
    Keyword::MinRows,
    Keyword::Not,
    Keyword::And,
    Keyword::Or,
    Keyword::In,
    Keyword::Is,
    Keyword::Null,
    Keyword::True,
    Keyword::False,
    Keyword::StartsWith,
    Keyword::EndsWith,
    Keyword::Contains,
];

/// The words that start a top-level declaration.
pub static DECLARATION_WORDS: [&str; 5] =
    words([Keyword::Import, Keyword::Param, Keyword::Fn, Keyword::Scorecard, Keyword::Kpi]);

/// The words that start a line directly inside a scorecard.
pub static SCORECARD_WORDS: [&str; 5] =
    words([Keyword::Period, Keyword::Per, Keyword::Kpi, Keyword::Use, Keyword::Remove]);

/// The words that start a KPI's clauses.
pub static CLAUSE_WORDS: [&str; 8] = words([
    Keyword::From,
    Keyword::Where,
    Keyword::Value,
    Keyword::Unit,
    Keyword::Target,
    Keyword::Weight,
    Keyword::Scoring,
    Keyword::MinRows,
]);

impl Keyword {
    pub const fn as_str(self) -> &'static str {
        match self {
            Keyword::Import => "import",
            Keyword::Param => "param",
            Keyword::Fn => "fn",
            Keyword::Rhai => "rhai",
            Keyword::File => "file",
            Keyword::Scorecard => "scorecard",
            Keyword::Extends => "extends",
            Keyword::Remove => "remove",
            Keyword::Period => "period",
            Keyword::Per => "per",
            Keyword::Use => "use",
            Keyword::Kpi => "kpi",
            Keyword::From => "from",
            Keyword::By => "by",
            Keyword::Open => "open",
            Keyword::At => "at",
            Keyword::Where => "where",
            Keyword::Value => "value",
            Keyword::Unit => "unit",
            Keyword::Target => "target",
            Keyword::Weight => "weight",
            Keyword::Scoring => "scoring",
            Keyword::Bands => "bands",
            Keyword::MinRows => "min_rows",
            Keyword::Not => "not",
            Keyword::And => "and",
            Keyword::Or => "or",
            Keyword::In => "in",
            Keyword::Is => "is",
            Keyword::Null => "null",
            Keyword::True => "true",
            Keyword::False => "false",
            Keyword::StartsWith => "starts_with",
            Keyword::EndsWith => "ends_with",
            Keyword::Contains => "contains",
        }
    }

    /// The keyword spelled `word`, if it is one.
    pub fn from_word(word: &str) -> Option<Keyword> {
        KEYWORDS.iter().copied().find(|k| k.as_str() == word)
    }

    /// A word that can start a value: `not x`, `null`, `true`, `false`.
    pub const fn starts_value(self) -> bool {
        matches!(self, Keyword::Not | Keyword::Null | Keyword::True | Keyword::False)
    }

    /// A word of an operator: `not`, `and`, `or`, `in`, `is (not) null`, `starts_with`, ...
    pub const fn is_operator(self) -> bool {
        matches!(
            self,
            Keyword::Not
                | Keyword::And
                | Keyword::Or
                | Keyword::In
                | Keyword::Is
                | Keyword::StartsWith
                | Keyword::EndsWith
                | Keyword::Contains
        )
    }
}

/// The words of some keywords, at compile time (the parser's hints want `&'static [&'static str]`).
const fn words<const N: usize>(keywords: [Keyword; N]) -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = keywords[i].as_str();
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_keyword_once_and_found_by_its_word() {
        for (i, k) in KEYWORDS.iter().enumerate() {
            assert_eq!(Keyword::from_word(k.as_str()), Some(*k));
            assert!(!KEYWORDS[..i].contains(k), "{k:?} twice");
        }
        assert_eq!(Keyword::from_word("kpis"), None);
    }

    /// The grammar spells every keyword, and every word of a `kw_` rule is in the table.
    #[test]
    fn the_grammar_agrees() {
        let grammar = include_str!("../../../grammar/kpi.pest");
        for k in KEYWORDS {
            assert!(grammar.contains(&format!("\"{}\"", k.as_str())), "{k:?} is not in the grammar");
        }
        for line in grammar.lines().filter(|l| l.starts_with("kw_")) {
            let word = line.split('"').nth(1).expect("a kw_ rule's word");
            assert!(Keyword::from_word(word).is_some(), "`{word}` is not in KEYWORDS");
        }
    }
}
