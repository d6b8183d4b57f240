//! The VS Code grammar (`editors/vscode/syntaxes/kpi.tmLanguage.json`) spells the keywords of
//! `kpi_syntax::keywords` and the built-in functions of the checker: a word added to the language
//! must be added to the highlighting too.
use serde_json::Value;

fn grammar() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../editors/vscode/syntaxes/kpi.tmLanguage.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("read the grammar"))
        .expect("the grammar is JSON")
}

/// The words of the `\b(?:a|b|c)\b` or `\b(a|b|c)\s*...` alternations of a repository entry.
fn words(grammar: &Value, entry: &str) -> Vec<String> {
    let mut out = Vec::new();
    for pattern in grammar["repository"][entry]["patterns"].as_array().expect("patterns") {
        let Some(regex) = pattern["match"].as_str() else { continue };
        let Some(start) = regex.find("(?:").map(|i| i + 3).or_else(|| regex.find('(').map(|i| i + 1)) else {
            continue;
        };
        let Some(len) = regex[start..].find(')') else { continue };
        out.extend(regex[start..start + len].split('|').map(String::from));
    }
    out
}

#[test]
fn every_keyword_is_highlighted() {
    let grammar = grammar();
    let mut highlighted = words(&grammar, "keywords");
    highlighted.extend(words(&grammar, "literals"));
    for keyword in kpi_syntax::keywords::KEYWORDS {
        assert!(
            highlighted.iter().any(|w| w == keyword.as_str()),
            "`{}` is not in the grammar",
            keyword.as_str()
        );
    }
}

#[test]
fn the_builtin_functions_are_the_checkers() {
    let grammar = grammar();
    let builtins = words(&grammar, "calls");
    let builtins: Vec<&str> =
        builtins.iter().map(String::as_str).take_while(|w| *w != "[A-Za-z_][A-Za-z0-9_]*").collect();
    assert_eq!(builtins, kpi_check::FUNCTIONS);
}
