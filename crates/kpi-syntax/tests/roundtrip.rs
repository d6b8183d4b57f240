//! Generated rule files: every file that parses formats, formatting keeps its meaning (the
//! formatter's own check compares the ASTs) and formatting twice changes nothing. The generator
//! mixes well-formed declarations with near misses (dates next to digits, leading zeros, stray
//! operators, comments everywhere) so that the parser's edges are walked too.
//!
//! `KPI_FUZZ_CASES=1000000 cargo test --release -p kpi-syntax --test roundtrip` runs a long
//! campaign; `KPI_FUZZ_SEED` starts it elsewhere.
use kpi_syntax::format::{format, FormatError};
use kpi_syntax::{parse, FileId};

/// A small deterministic generator (xorshift64*): no dependency, and a failing case is
/// reproduced from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const NAMES: &[&str] = &[
    "status",
    "priority",
    "hours",
    "billable",
    "created_at",
    "resolved_at",
    "reopen_count",
    "ticket",
    "resource",
    "client",
    "x",
    "backlog_max",
    "a_1",
    "as_of",
    "period_end",
];
const CALLS: &[&str] = &["count", "share", "sum", "avg", "ratio", "workdays", "hours_between", "max"];
const INFIX: &[&str] = &[
    "+",
    "-",
    "*",
    "/",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "and",
    "or",
    "in",
    "not in",
    "starts_with",
    "contains",
];

fn literal(rng: &mut Rng) -> String {
    match rng.below(12) {
        0 => format!("{}", rng.below(1000)),
        1 => format!("{}.{}", rng.below(100), rng.below(100)),
        2 => format!("{}%", rng.below(101)),
        3 => format!("{}{}", rng.below(90), rng.pick(&["m", "h", "d", "w", "s"])),
        4 => format!("{}h{}m", rng.below(24), rng.below(60)),
        5 => format!("2026-{:02}-{:02}", 1 + rng.below(12), 1 + rng.below(28)),
        // Near misses: a date with a digit too many, leading zeros, a date minus a number.
        6 => format!("2026-{:02}-{:03}", 1 + rng.below(12), rng.below(40)),
        7 => format!("0{}", rng.below(100)),
        8 => format!("\"{}\"", rng.pick(&["Closed", "P1", "a \\\" quote", "", "#not a comment", "//x"])),
        9 => rng.pick(&["true", "false", "null"]).to_string(),
        10 => format!("2026-{:02}-{:02}-{}", 1 + rng.below(12), 1 + rng.below(28), rng.below(9)),
        _ => format!("{}.5%", rng.below(100)),
    }
}

fn expr(rng: &mut Rng, depth: usize) -> String {
    if depth == 0 || rng.chance(30) {
        return match rng.below(3) {
            0 => literal(rng),
            1 => rng.pick(NAMES).to_string(),
            _ => format!("{}.{}", rng.pick(&["ticket", "resource", "client"]), rng.pick(NAMES)),
        };
    }
    match rng.below(9) {
        0 => format!("({})", expr(rng, depth - 1)),
        1 => format!("-{}", expr(rng, depth - 1)),
        2 => format!("not {}", expr(rng, depth - 1)),
        3 => format!("{} is {}null", expr(rng, depth - 1), if rng.chance(50) { "not " } else { "" }),
        4 => {
            let args: Vec<String> = (0..rng.below(3)).map(|_| arg(rng, depth - 1)).collect();
            format!("{}({})", rng.pick(CALLS), args.join(", "))
        }
        5 => {
            let items: Vec<String> = (0..rng.below(4)).map(|_| expr(rng, depth - 1)).collect();
            format!("[{}{}]", items.join(", "), if rng.chance(20) { "," } else { "" })
        }
        _ => format!("{} {} {}", expr(rng, depth - 1), rng.pick(INFIX), expr(rng, depth - 1)),
    }
}

fn arg(rng: &mut Rng, depth: usize) -> String {
    if rng.chance(30) {
        format!("{} where {}", expr(rng, depth), expr(rng, depth))
    } else {
        expr(rng, depth)
    }
}

fn comment(rng: &mut Rng) -> &'static str {
    match rng.below(8) {
        0 => "  # a note",
        1 => " // why",
        _ => "",
    }
}

fn docs(rng: &mut Rng, out: &mut String, indent: &str) {
    for _ in 0..rng.below(3) {
        out.push_str(&format!("{indent}/// {}\n", rng.pick(&["What it measures.", "", "Target 80 %."])));
    }
}

fn kpi_clauses(rng: &mut Rng, out: &mut String, indent: &str) {
    let clauses = [
        "from tickets by created_at",
        "from time_entries",
        "from tickets open at as_of",
        "where EXPR",
        "value EXPR",
        "target >= EXPR",
        "target < EXPR",
        "weight EXPR",
        "unit hours",
        "scoring pass_fail",
        "scoring bands [EXPR => EXPR, EXPR => EXPR]",
        "min_rows EXPR",
    ];
    for _ in 0..rng.below(7) {
        let mut clause = rng.pick(&clauses).to_string();
        while let Some(i) = clause.find("EXPR") {
            let depth = rng.below(4);
            clause.replace_range(i..i + 4, &expr(rng, depth));
        }
        out.push_str(&format!("{indent}  {clause}{}\n", comment(rng)));
    }
}

fn kpi(rng: &mut Rng, out: &mut String, indent: &str, keyword: &str) {
    docs(rng, out, indent);
    let title = if rng.chance(50) { " \"A title\"" } else { "" };
    out.push_str(&format!("{indent}{keyword} {}{title} {{{}\n", rng.pick(NAMES), comment(rng)));
    kpi_clauses(rng, out, indent);
    out.push_str(&format!("{indent}}}\n"));
}

fn file(rng: &mut Rng) -> String {
    let mut out = String::new();
    for _ in 0..1 + rng.below(5) {
        if rng.chance(20) {
            out.push('\n');
        }
        match rng.below(6) {
            0 => out.push_str(&format!("import \"common.kpi\"{}\n", comment(rng))),
            1 => {
                docs(rng, &mut out, "");
                let depth = rng.below(3);
                out.push_str(&format!("param {} = {}{}\n", rng.pick(NAMES), expr(rng, depth), comment(rng)));
            }
            2 => out.push_str(&format!(
                "fn f(x: number) -> bool = rhai \"\"\"\n  x > {} # rhai's own comment\n\"\"\"\n",
                rng.below(10)
            )),
            3 | 4 => kpi(rng, &mut out, "", "kpi"),
            _ => {
                docs(rng, &mut out, "");
                let extends = if rng.chance(30) { " extends base" } else { "" };
                out.push_str(&format!("scorecard card{extends} \"Card\" {{\n"));
                for _ in 0..rng.below(5) {
                    match rng.below(5) {
                        0 => {
                            out.push_str(&format!("  period {}\n", rng.pick(&["month", "week", "snapshot"])))
                        }
                        1 => out.push_str(&format!("  per {}\n", rng.pick(&["resource", "client"]))),
                        2 => out.push_str(&format!("  remove {}\n", rng.pick(NAMES))),
                        3 => kpi(rng, &mut out, "  ", "use"),
                        _ => kpi(rng, &mut out, "  ", "kpi"),
                    }
                }
                out.push_str("}\n");
            }
        }
    }
    out
}

fn cases() -> (u64, u64) {
    let var =
        |name: &str, default: u64| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    (var("KPI_FUZZ_SEED", 1), var("KPI_FUZZ_CASES", 3_000))
}

#[test]
fn every_file_that_parses_formats_to_the_same_meaning_and_is_stable() {
    let (seed, count) = cases();
    let mut parsed = 0;
    for case in seed..seed + count {
        let mut rng = Rng(case.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let text = file(&mut rng);
        let (_, diagnostics) = parse(FileId(0), &text);
        if diagnostics.iter().any(|d| d.is_error()) {
            continue;
        }
        parsed += 1;
        let formatted = match format(FileId(0), &text) {
            Ok(formatted) => formatted,
            Err(FormatError::Changed) => panic!("case {case}: fmt refuses a file that parses:\n{text}"),
            Err(e) => panic!("case {case}: {e}\n{text}"),
        };
        let again = format(FileId(0), &formatted).unwrap_or_else(|e| panic!("case {case}: {e}\n{formatted}"));
        assert_eq!(again, formatted, "case {case}: formatting twice changed the file:\n{text}");
    }
    // The generator is useful only while most files parse.
    assert!(parsed * 4 > count, "only {parsed} of {count} generated files parse");
}
