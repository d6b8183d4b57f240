//! `kpi fmt` over every rule file of the repository: every fixture that parses and every standard
//! scorecard. Formatting keeps the AST and every comment, and formatting twice changes nothing.
use kpi_syntax::format::{format, FormatError};
use kpi_syntax::FileId;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every `#` and `//` comment and every `///` line, trimmed, in order.
fn comments(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut in_body = false;
    for line in text.lines() {
        // A rhai body's `#` and `//` are rhai's, not comments of the rule file.
        let mut rest = line;
        loop {
            if in_body {
                match rest.find("\"\"\"") {
                    Some(i) => {
                        rest = &rest[i + 3..];
                        in_body = false;
                    }
                    None => break,
                }
            }
            let mut in_string = false;
            let mut chars = rest.char_indices().peekable();
            let mut next_rest = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' if in_string => {
                        chars.next();
                    }
                    '"' if !in_string && rest[i..].starts_with("\"\"\"") => {
                        in_body = true;
                        next_rest = Some(&rest[i + 3..]);
                        break;
                    }
                    '"' => in_string = !in_string,
                    '#' if !in_string => {
                        found.push(rest[i..].trim().to_string());
                        break;
                    }
                    '/' if !in_string && rest[i..].starts_with("//") => {
                        found.push(rest[i..].trim().to_string());
                        break;
                    }
                    _ => {}
                }
            }
            match next_rest {
                Some(r) => rest = r,
                None => break,
            }
        }
    }
    found
}

/// Checks one file; `None` when it does not parse (a syntax-error fixture).
fn check(path: &Path) -> Option<String> {
    let Ok(source) = std::fs::read_to_string(path) else { return None };
    let (before, _) = kpi_syntax::parse(FileId(0), &source);
    let once = match format(FileId(0), &source) {
        Ok(text) => text,
        Err(FormatError::Syntax(_)) => return None,
        Err(e) => panic!("{}: {e}", path.display()),
    };
    let (after, diagnostics) = kpi_syntax::parse(FileId(0), &once);
    assert!(
        diagnostics.iter().all(|d| !d.is_error()),
        "{}: the formatted file does not parse",
        path.display()
    );
    assert_eq!(before.to_string(), after.to_string(), "{}: the AST changed", path.display());
    let twice = format(FileId(0), &once).expect("formatted text formats");
    assert_eq!(once, twice, "{}: formatting twice changed the file", path.display());
    let (mut kept, mut had) = (comments(&once), comments(&source));
    kept.sort();
    had.sort();
    assert_eq!(had, kept, "{}: comments lost or added", path.display());
    Some(once)
}

#[test]
fn every_ok_fixture() {
    insta::glob!("../../../tests/fixtures", "ok/*.kpi", |path| {
        let formatted = check(path).expect("an ok fixture parses");
        insta::assert_snapshot!(formatted);
    });
}

#[test]
fn every_err_fixture_that_parses() {
    let mut formatted = 0;
    for entry in std::fs::read_dir(repo().join("tests/fixtures/err")).expect("err fixtures") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "kpi") && check(&path).is_some() {
            formatted += 1;
        }
    }
    assert!(formatted > 10, "only {formatted} err fixtures parse");
}

#[test]
fn every_standard_rule_file_and_example() {
    let mut dirs = vec![repo().join("rules"), repo().join("examples/rules-repo")];
    if let Ok(clients) = std::fs::read_dir(repo().join("examples/clients")) {
        dirs.extend(clients.flatten().map(|e| e.path()));
    }
    let mut files = 0;
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "kpi") {
                check(&path).unwrap_or_else(|| panic!("{} does not parse", path.display()));
                files += 1;
            }
        }
    }
    assert!(files >= 5, "only {files} rule files found");
}

/// The standard rules are kept formatted: `kpi fmt --check rules/` passes in CI.
#[test]
fn the_standard_rules_are_formatted() {
    for entry in std::fs::read_dir(repo().join("rules")).expect("rules/") {
        let path = entry.expect("entry").path();
        let source = std::fs::read_to_string(&path).expect("readable");
        let formatted = format(FileId(0), &source).expect("formats");
        assert!(formatted == source, "{} is not formatted: run `kpi fmt rules/`", path.display());
    }
}

/// Every construct, written carelessly: tabs, CRLF, one-line blocks, comments in odd places.
#[test]
fn a_messy_file_of_every_construct() {
    let source = concat!(
        "import   \"common.kpi\"   # the shared KPIs\r\n",
        "param  x=-3 // negative\n",
        "param list = [ \"a\" ,\"b\", ]\n",
        "/// After hours.\n",
        "fn late( h :number , m: number )->bool = rhai \"\"\"\n",
        "  h >= 18 // rhai's own comment\n",
        "\"\"\"\n",
        "fn biz(h: number) -> bool = rhai file \"biz.rhai\"\n",
        "scorecard  mine extends tech_balanced \"Mine\"{ period month\n",
        "\tper resource\n",
        "  remove cx # no surveys\n",
        "use fcr {}\n",
        "use mttr { # stricter\n",
        "target <= 12h }\n",
        "  kpi k \"K\" {from tickets by completed_at\n",
        "    where a>1 and\n",
        "          b<2   # why\n",
        "            or  - c*2 >= x\n",
        "    value count( )-count(late(hour(created_at),0)) + -1\n",
        "    scoring bands [\n",
        "      1 => 0 ,\n",
        "      (2) => 1,\n",
        "    ]\n",
        "    weight 1 target>=1\n",
        "  }}  # end\n",
    );
    let once = format(FileId(0), source).unwrap_or_else(|e| panic!("{e}"));
    let (before, _) = kpi_syntax::parse(FileId(0), source);
    let (after, _) = kpi_syntax::parse(FileId(0), &once);
    assert_eq!(before.to_string(), after.to_string());
    assert_eq!(format(FileId(0), &once).expect("formats"), once, "idempotent");
    insta::assert_snapshot!(once, @r#"
        import "common.kpi"  # the shared KPIs
        param x = -3         // negative
        param list = ["a", "b",]

        /// After hours.
        fn late(h: number, m: number) -> bool = rhai """
          h >= 18 // rhai's own comment
        """

        fn biz(h: number) -> bool = rhai file "biz.rhai"

        scorecard mine extends tech_balanced "Mine" {
          period month
          per resource
          remove cx  # no surveys
          use fcr

          use mttr {  # stricter
            target <= 12h
          }

          kpi k "K" {
            from    tickets by completed_at
            where   a > 1 and
                    b < 2  # why
                 or -c * 2 >= x
            value   count() - count(late(hour(created_at), 0)) + -1
            scoring bands [
                      1 => 0,
                      (2) => 1,
                    ]
            weight  1
            target  >= 1
          }
        }  # end
    "#);
}
