//! Row order does not matter: the same generated data written in each `kpi generate --order`
//! gives the same scorecards, cold (parsing the CSV files, rows put in time order) and warm (from
//! the cache, which holds the rows in that order).
use std::path::Path;
use std::process::Command;

fn kpi(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_kpi")).args(args).output().expect("kpi runs");
    assert!(out.status.success(), "kpi {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

fn generate(dir: &Path, order: &str) {
    // 20 technicians: about 67,000 tickets and 340,000 time entries, over the 65,536 rows from
    // which a table is put in time order.
    let out = dir.display().to_string();
    kpi(&["generate", "--out", &out, "--scale", "20", "--order", order]);
}

fn evaluate(data: &Path, cache: bool) -> serde_json::Value {
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules");
    let (rules, data) = (rules.display().to_string(), data.display().to_string());
    let mut args = vec![
        "evaluate",
        &rules,
        "--data",
        &data,
        "--as-of",
        "2026-10-01T00:00:00Z",
        "--from",
        "2026-01-01",
        "--to",
        "2026-10-01",
        "--format",
        "json",
    ];
    if !cache {
        args.push("--no-cache");
    }
    serde_json::from_str(&kpi(&args)).expect("JSON output")
}

/// Equal, numbers within 1e-9 relative (sums may add in another order).
fn assert_same(a: &serde_json::Value, b: &serde_json::Value, at: &str) {
    use serde_json::Value as V;
    match (a, b) {
        (V::Number(x), V::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!((x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0), "{at}: {x} != {y}");
        }
        (V::Array(x), V::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{at}: lengths differ");
            for (i, (x, y)) in x.iter().zip(y).enumerate() {
                assert_same(x, y, &format!("{at}[{i}]"));
            }
        }
        (V::Object(x), V::Object(y)) => {
            assert_eq!(x.keys().collect::<Vec<_>>(), y.keys().collect::<Vec<_>>(), "{at}: keys differ");
            for (k, x) in x {
                assert_same(x, &y[k], &format!("{at}.{k}"));
            }
        }
        _ => assert_eq!(a, b, "{at}"),
    }
}

#[test]
fn every_row_order_gives_the_same_scorecards_cold_and_warm() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("generated");
    generate(&base, "generated");
    let expected = evaluate(&base, false);
    assert!(expected["scorecards"].as_array().is_some_and(|s| s.len() >= 4));
    for order in ["random", "client", "time", "id"] {
        let data = dir.path().join(order);
        generate(&data, order);
        let tickets = std::fs::read_to_string(data.join("tickets.csv")).unwrap();
        let base_tickets = std::fs::read_to_string(base.join("tickets.csv")).unwrap();
        if order != "time" && order != "id" {
            assert_ne!(tickets, base_tickets, "--order {order} wrote the tickets in the generated order");
        }
        assert_same(&evaluate(&data, false), &expected, &format!("{order}, cold"));
        // The first run writes the cache, the second reads it.
        assert_same(&evaluate(&data, true), &expected, &format!("{order}, first run"));
        assert_same(&evaluate(&data, true), &expected, &format!("{order}, warm"));
    }
}
