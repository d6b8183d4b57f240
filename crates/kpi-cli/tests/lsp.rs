//! `kpi lsp`: the language server, driven over stdio by a JSON-RPC client, as an editor would.
mod lsp_client;

use lsp_client::{at, position, repo, uri, Client};
use serde_json::{json, Value};
use std::path::Path;

const LIB: &str = r#"/// Hours a technician may go without logging time.
param grace = 30m

/// Tickets closed.
kpi closed "Closed Tickets" {
  from   tickets by completed_at
  value  count()
  target >= 10
  weight 40
}
"#;

const MAIN: &str = r#"import "lib.kpi"

/// The monthly card.
scorecard card "Card" {
  period month
  per resource

  use closed

  /// Time entries in within the grace period.
  kpi quick "Quick Entry" {
    from   time_entries by started_at
    where  resource.active
    value  share(created_at - ended_at <= grace)
    target >= 90%
    weight 60
  }
}
"#;

/// A directory with `lib.kpi` and `main.kpi`, and optionally `client.toml`.
fn workspace(config: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("lib.kpi"), LIB).unwrap();
    std::fs::write(dir.path().join("main.kpi"), MAIN).unwrap();
    if let Some(config) = config {
        std::fs::write(dir.path().join("client.toml"), config).unwrap();
    }
    dir
}

fn root(dir: &tempfile::TempDir) -> std::path::PathBuf {
    dir.path().canonicalize().unwrap()
}

fn codes(diagnostics: &[Value]) -> Vec<&str> {
    diagnostics.iter().map(|d| d["code"].as_str().unwrap_or("")).collect()
}

fn markdown(hover: &Value) -> String {
    hover["contents"]["value"].as_str().unwrap_or_else(|| panic!("no hover: {hover}")).to_string()
}

#[test]
fn diagnostics_as_you_type_each_in_its_own_file() {
    let dir = workspace(None);
    let root = root(&dir);
    let (main, lib) = (root.join("main.kpi"), root.join("lib.kpi"));
    let mut client = Client::start(&root);
    client.open(&main, MAIN);
    assert_eq!(client.diagnostics(&uri(&main)), Vec::<Value>::new());

    // An unknown field, typed but not saved: the same code, message and help as `kpi check`.
    let typo = MAIN.replace("resource.active", "resource.activ");
    client.change(&main, 2, &typo);
    let diagnostics = client.diagnostics(&uri(&main));
    assert_eq!(codes(&diagnostics), ["E0102"], "{diagnostics:?}");
    let d = &diagnostics[0];
    let message = d["message"].as_str().unwrap();
    assert!(message.contains("activ") && message.contains("help: did you mean `active`?"), "{message}");
    assert_eq!(d["severity"], 1);
    assert_eq!(d["source"], "kpi");
    assert_eq!(d["range"]["start"], position(&typo, "activ", 0, 0), "{d}");

    // Fixed again: the diagnostics are cleared.
    client.change(&main, 3, MAIN);
    assert_eq!(client.diagnostics(&uri(&main)), Vec::<Value>::new());

    // An error in the imported file (on disk, not open) is published to that file.
    std::fs::write(&lib, LIB.replace("completed_at", "completed")).unwrap();
    client.notify("workspace/didChangeWatchedFiles", json!({ "changes": [{ "uri": uri(&lib), "type": 2 }] }));
    let in_lib = client.diagnostics(&uri(&lib));
    assert_eq!(codes(&in_lib), ["E0102"], "{in_lib:?}");
    assert_eq!(in_lib[0]["range"]["start"]["line"], 5);
    assert_eq!(client.shutdown(), 0);
}

#[test]
fn a_warning_and_a_syntax_error() {
    let dir = workspace(None);
    let root = root(&dir);
    let main = root.join("main.kpi");
    let mut client = Client::start(&root);
    client.open(&main, &MAIN.replace("weight 60", "weight 50"));
    let diagnostics = client.diagnostics(&uri(&main));
    assert_eq!(codes(&diagnostics), ["W0001"], "{diagnostics:?}");
    assert_eq!(diagnostics[0]["severity"], 2);
    client.change(&main, 2, &MAIN.replace("period month", "period month )("));
    let diagnostics = client.diagnostics(&uri(&main));
    assert!(codes(&diagnostics).contains(&"E0100"), "{diagnostics:?}");
}

#[test]
fn the_client_config_is_applied() {
    let config = "[params]\ngrace = \"15m\"\n\n[scorecards.card.closed]\ntarget = \">= 12\"\nweight = 30\n";
    let dir = workspace(Some(config));
    let root = root(&dir);
    let main = root.join("main.kpi");
    let mut client = Client::start(&root);
    client.open(&main, MAIN);
    // The config's weight makes the weights sum to 90: W0001, as `kpi check --config` says.
    let diagnostics = client.diagnostics(&uri(&main));
    assert_eq!(codes(&diagnostics), ["W0001"], "{diagnostics:?}");

    let param = markdown(&client.result("textDocument/hover", at(&main, position(MAIN, "<= grace", 0, 4))));
    assert!(param.contains("**param `grace`**") && param.contains("default: 30m"), "{param}");
    assert!(
        param.contains("value: 15m, from the client config") && param.contains("params.grace"),
        "{param}"
    );

    let kpi = markdown(&client.result("textDocument/hover", at(&main, position(MAIN, "use closed", 0, 5))));
    assert!(kpi.contains(">= 12 (client config") && kpi.contains("scorecards.card.closed"), "{kpi}");
    assert!(kpi.contains("weight 30 (client config"), "{kpi}");

    // A config that names a KPI the rules do not have: an error in client.toml, where it is.
    let toml = root.join("client.toml");
    std::fs::write(&toml, config.replace("card.closed", "card.clsoed")).unwrap();
    client
        .notify("workspace/didChangeWatchedFiles", json!({ "changes": [{ "uri": uri(&toml), "type": 2 }] }));
    let in_config = client.diagnostics(&uri(&toml));
    assert_eq!(in_config.len(), 1, "{in_config:?}");
    let message = in_config[0]["message"].as_str().unwrap();
    assert!(message.contains("no KPI `clsoed`") && message.contains("did you mean `closed`?"), "{message}");
    assert_eq!(in_config[0]["range"]["start"]["line"], 3);

    // A client.toml that is not TOML: its error in it, and the rules still checked without it.
    std::fs::write(&toml, "[params]\ngrace = = 1\n").unwrap();
    client
        .notify("workspace/didChangeWatchedFiles", json!({ "changes": [{ "uri": uri(&toml), "type": 2 }] }));
    let in_config = client.diagnostics(&uri(&toml));
    assert_eq!(in_config.len(), 1, "{in_config:?}");
    assert_eq!(in_config[0]["range"]["start"]["line"], 1, "{in_config:?}");
    assert_eq!(client.diagnostics(&uri(&main)), Vec::<Value>::new());
}

#[test]
fn hover_on_the_standard_rules_and_a_client() {
    let repo = repo();
    let acme = repo.join("examples/clients/acme/acme.kpi");
    let text = std::fs::read_to_string(&acme).unwrap();
    let mut client = Client::start(&repo);
    client.open(&acme, &text);
    let utilization =
        markdown(&client.result("textDocument/hover", at(&acme, position(&text, "use utilization", 0, 6))));
    for expected in [
        "**kpi `utilization`** \"Resource Utilization\"",
        "unit: ratio",
        "in `acme_tech`: target >= 70% (examples/clients/acme/acme.kpi:15) · weight 25",
        "in `tech_balanced`: target >= 80% (rules/common.kpi:",
        "weight 20 (rules/tech_balanced.kpi:",
    ] {
        assert!(utilization.contains(expected), "`{expected}` not in:\n{utilization}");
    }
    // acme.toml overrides one_hour_response's target and weight, and mttr_target.
    let one_hour =
        markdown(&client.result("textDocument/hover", at(&acme, position(&text, "one_hour_response", 0, 1))));
    assert!(
        one_hour.contains(">= 85% (client config")
            && one_hour.contains("scorecards.acme_tech.one_hour_response"),
        "{one_hour}"
    );
    let field = markdown(
        &client.result("textDocument/hover", at(&acme, position(&text, "first_response_at is", 0, 2))),
    );
    assert!(field.contains("**field `tickets.first_response_at`**: timestamp"), "{field}");
    let table =
        markdown(&client.result("textDocument/hover", at(&acme, position(&text, "from   tickets", 0, 8))));
    assert!(table.contains("**table `tickets`**") && table.contains("`created_at`: timestamp"), "{table}");
    let function =
        markdown(&client.result("textDocument/hover", at(&acme, position(&text, "share(outside", 0, 7))));
    assert!(
        function.contains("**fn `outside_business_hours`**") && function.contains("business hours"),
        "{function}"
    );
    let hours = markdown(&client.result(
        "textDocument/hover",
        at(
            &repo.join("rules/tech_balanced.kpi"),
            position(&read("rules/tech_balanced.kpi"), "<= realtime_grace", 0, 4),
        ),
    ));
    assert!(hours.contains("value: 30m, the default at rules/common.kpi:"), "{hours}");
    // Nothing under the cursor, or a position past the end: no hover, no failure.
    assert_eq!(
        client.result("textDocument/hover", at(&acme, json!({ "line": 0, "character": 0 }))),
        Value::Null
    );
    assert_eq!(
        client.result("textDocument/hover", at(&acme, json!({ "line": 9999, "character": 9999 }))),
        Value::Null
    );
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap()
}

fn targets(locations: &Value) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = locations
        .as_array()
        .unwrap_or_else(|| panic!("not locations: {locations}"))
        .iter()
        .map(|l| {
            let file = l["uri"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
            (file, l["range"]["start"]["line"].as_u64().unwrap())
        })
        .collect();
    out.sort();
    out
}

fn line_of(text: &str, needle: &str) -> u64 {
    text[..text.find(needle).unwrap_or_else(|| panic!("{needle}"))].matches('\n').count() as u64
}

#[test]
fn go_to_definition() {
    let repo = repo();
    let acme = repo.join("examples/clients/acme/acme.kpi");
    let text = std::fs::read_to_string(&acme).unwrap();
    let tech = read("rules/tech_balanced.kpi");
    let common = read("rules/common.kpi");
    let mut client = Client::start(&repo);
    client.open(&acme, &text);
    let mut definition = |needle: &str, shift: usize| {
        let found = client.result("textDocument/definition", at(&acme, position(&text, needle, 0, shift)));
        targets(&found)
    };
    // `use` of a KPI defined in another scorecard of another file.
    assert_eq!(definition("use fcr", 5), [("tech_balanced.kpi".into(), line_of(&tech, "kpi fcr"))]);
    assert_eq!(
        definition("use utilization", 5),
        [("common.kpi".into(), line_of(&common, "kpi utilization"))]
    );
    // `extends`, `remove`, an import, a rhai script file, a rhai function call.
    assert_eq!(
        definition("extends tech_balanced", 9),
        [("tech_balanced.kpi".into(), line_of(&tech, "scorecard tech_balanced"))]
    );
    assert_eq!(definition("remove cx", 8), [("tech_balanced.kpi".into(), line_of(&tech, "kpi cx"))]);
    assert_eq!(definition("tech_balanced.kpi\"", 2), [("tech_balanced.kpi".into(), 0)]);
    assert_eq!(definition("business_hours.rhai", 3), [("business_hours.rhai".into(), 0)]);
    assert_eq!(
        definition("outside_business_hours(hour", 3),
        [("acme.kpi".into(), line_of(&text, "fn outside_business_hours"))]
    );
    // A param used in the standard rules.
    let found = client.result(
        "textDocument/definition",
        at(&repo.join("rules/tech_balanced.kpi"), position(&tech, "<= realtime_grace", 0, 5)),
    );
    assert_eq!(targets(&found), [("common.kpi".into(), line_of(&common, "param realtime_grace"))]);
    // On a keyword: nothing.
    assert_eq!(
        client.result("textDocument/definition", at(&acme, position(&text, "scorecard acme_tech", 0, 2))),
        Value::Null
    );
}

#[test]
fn find_references() {
    let repo = repo();
    let tech_path = repo.join("rules/tech_balanced.kpi");
    let tech = read("rules/tech_balanced.kpi");
    let common = read("rules/common.kpi");
    let mut client = Client::start(&repo);
    client.open(&tech_path, &tech);
    let params = |include: bool| {
        let mut p = at(&tech_path, position(&tech, "<= realtime_grace", 0, 5));
        p["context"] = json!({ "includeDeclaration": include });
        p
    };
    let with = targets(&client.result("textDocument/references", params(true)));
    assert_eq!(
        with,
        [
            ("common.kpi".to_string(), line_of(&common, "param realtime_grace")),
            ("tech_balanced.kpi".to_string(), line_of(&tech, "<= realtime_grace")),
        ]
    );
    let without = targets(&client.result("textDocument/references", params(false)));
    assert_eq!(without, [("tech_balanced.kpi".to_string(), line_of(&tech, "<= realtime_grace"))]);
    // A KPI: its definition and every `use` of it in the rules directory.
    let mut p = at(&tech_path, position(&tech, "use mttr", 0, 5));
    p["context"] = json!({ "includeDeclaration": true });
    let kpi = targets(&client.result("textDocument/references", p));
    assert!(kpi.contains(&("common.kpi".to_string(), line_of(&common, "kpi mttr"))), "{kpi:?}");
    assert!(kpi.contains(&("tech_balanced.kpi".to_string(), line_of(&tech, "use mttr"))), "{kpi:?}");
    assert!(kpi.len() >= 3, "mttr is used by more than one scorecard: {kpi:?}");
}

fn labels(items: &Value) -> Vec<String> {
    let items = items.as_array().or_else(|| items["items"].as_array()).unwrap_or_else(|| panic!("{items}"));
    items.iter().map(|i| i["label"].as_str().unwrap().to_string()).collect()
}

#[test]
fn completion() {
    let dir = workspace(None);
    let root = root(&dir);
    let main = root.join("main.kpi");
    let mut client = Client::start(&root);
    // Typing `resource.` in a where clause: the fields and links of the resources table.
    let typing = MAIN.replace("where  resource.active", "where  resource.");
    client.open(&main, &typing);
    let after_dot =
        labels(&client.result("textDocument/completion", at(&main, position(&typing, "resource.", 0, 9))));
    for field in ["active", "team", "hours_per_day", "name"] {
        assert!(after_dot.contains(&field.to_string()), "{field} not in {after_dot:?}");
    }
    assert!(!after_dot.contains(&"started_at".to_string()), "{after_dot:?}");
    // In a KPI's value: the table's fields and links, params, functions, instants, keywords.
    let inside =
        labels(&client.result("textDocument/completion", at(&main, position(&typing, "share(", 0, 6))));
    for expected in [
        "hours",
        "billable",
        "ticket",
        "resource",
        "grace",
        "share",
        "available_hours",
        "coalesce",
        "period_end",
        "where",
        "and",
    ] {
        assert!(inside.contains(&expected.to_string()), "{expected} not in {inside:?}");
    }
    // Every function the checker knows.
    for f in [
        "count", "sum", "avg", "min", "max", "ratio", "abs", "round", "hour", "weekday", "custom", "workdays",
    ] {
        assert!(inside.contains(&f.to_string()), "{f} not in {inside:?}");
    }
    // After `from`: the tables; after `use`: the KPIs; after `per`: the groupings.
    let tables = labels(
        &client.result("textDocument/completion", at(&main, position(&typing, "from   time_entries", 0, 7))),
    );
    let canonical: Vec<&str> = kpi_schema::TABLES.iter().map(|t| t.name).collect();
    assert_eq!(tables, canonical);
    assert!(tables.contains(&"billing_items".to_string()));
    let kpis =
        labels(&client.result("textDocument/completion", at(&main, position(&typing, "use closed", 0, 4))));
    assert!(kpis.contains(&"closed".to_string()) && kpis.contains(&"quick".to_string()), "{kpis:?}");
    let per =
        labels(&client.result("textDocument/completion", at(&main, position(&typing, "per resource", 0, 4))));
    assert!(per.contains(&"client".to_string()) && per.contains(&"queue".to_string()), "{per:?}");
    // After `extends`: the scorecards.
    let extending = format!("{MAIN}\nscorecard other extends ");
    client.change(&main, 2, &extending);
    let end =
        json!({ "line": extending.matches('\n').count(), "character": "scorecard other extends ".len() });
    let cards = labels(&client.result("textDocument/completion", at(&main, end)));
    assert_eq!(cards, ["card"]);
    client.change(&main, 3, &typing);
    // At the top level: the declaration keywords; in a scorecard, its own.
    let top =
        labels(&client.result("textDocument/completion", at(&main, json!({ "line": 1, "character": 0 }))));
    assert!(top.contains(&"scorecard".to_string()) && top.contains(&"param".to_string()), "{top:?}");
    assert!(!top.contains(&"hours".to_string()), "{top:?}");
    let card =
        labels(&client.result("textDocument/completion", at(&main, position(&typing, "  use closed", 0, 0))));
    assert!(card.contains(&"remove".to_string()) && card.contains(&"period".to_string()), "{card:?}");
}

#[test]
fn formatting_is_kpi_fmt() {
    let dir = workspace(None);
    let root = root(&dir);
    let main = root.join("main.kpi");
    let messy =
        MAIN.replace("  period month", "period    month").replace("    value  share", "  value share");
    let mut client = Client::start(&root);
    client.open(&main, &messy);
    let edits = client.result(
        "textDocument/formatting",
        json!({
            "textDocument": { "uri": uri(&main) },
            "options": { "tabSize": 2, "insertSpaces": true },
        }),
    );
    let edits = edits.as_array().expect("edits");
    assert_eq!(edits.len(), 1, "{edits:?}");
    let expected = kpi_syntax::format::format(kpi_syntax::FileId(0), &messy).expect("formats");
    assert_eq!(edits[0]["newText"], expected);
    assert_eq!(expected, MAIN);
    assert_eq!(edits[0]["range"]["start"], json!({ "line": 0, "character": 0 }));
    // Formatted already: no edits. With syntax errors: none either (like `kpi fmt`, which refuses).
    client.change(&main, 2, MAIN);
    let none = client.result(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": uri(&main) }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    assert_eq!(none, json!([]));
    client.change(&main, 3, "kpi {{{");
    let broken = client.result(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": uri(&main) }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    assert_eq!(broken, Value::Null);
}

fn rename(client: &mut Client, path: &Path, text: &str, needle: &str, shift: usize, new_name: &str) -> Value {
    let mut params = at(path, position(text, needle, 0, shift));
    params["newName"] = json!(new_name);
    client.request("textDocument/rename", params)
}

/// The text of each file after a workspace edit.
fn apply(edit: &Value, files: &[(&Path, &str)]) -> Vec<String> {
    files
        .iter()
        .map(|(path, text)| {
            let mut edits: Vec<&Value> =
                edit["changes"][uri(path)].as_array().map(|a| a.iter().collect()).unwrap_or_default();
            edits.sort_by_key(|e| {
                std::cmp::Reverse((
                    e["range"]["start"]["line"].as_u64(),
                    e["range"]["start"]["character"].as_u64(),
                ))
            });
            let mut lines: Vec<String> = text.split('\n').map(String::from).collect();
            for e in edits {
                let (l, s, end) = (
                    e["range"]["start"]["line"].as_u64().unwrap() as usize,
                    e["range"]["start"]["character"].as_u64().unwrap() as usize,
                    e["range"]["end"]["character"].as_u64().unwrap() as usize,
                );
                lines[l].replace_range(s..end, e["newText"].as_str().unwrap());
            }
            lines.join("\n")
        })
        .collect()
}

#[test]
fn rename_a_kpi_and_a_param_across_files() {
    let dir = workspace(None);
    let root = root(&dir);
    let (main, lib) = (root.join("main.kpi"), root.join("lib.kpi"));
    let mut client = Client::start(&root);
    client.open(&main, MAIN);
    let prepared = client.result("textDocument/prepareRename", at(&main, position(MAIN, "use closed", 0, 6)));
    assert_eq!(prepared["placeholder"], "closed");

    let edit = rename(&mut client, &main, MAIN, "use closed", 6, "resolved");
    let edit = &edit["result"];
    let after = apply(edit, &[(&main, MAIN), (&lib, LIB)]);
    assert_eq!(after[0], MAIN.replace("use closed", "use resolved"));
    assert_eq!(after[1], LIB.replace("kpi closed", "kpi resolved"));

    let edit = rename(&mut client, &main, MAIN, "<= grace", 3, "entry_grace");
    let after = apply(&edit["result"], &[(&main, MAIN), (&lib, LIB)]);
    assert_eq!(after[0], MAIN.replace("<= grace", "<= entry_grace"));
    assert_eq!(after[1], LIB.replace("param grace", "param entry_grace"));

    // Not a name, a keyword, a name taken, a field: refused with a reason.
    for (needle, shift, name) in
        [("use closed", 6, "two words"), ("use closed", 6, "kpi"), ("use closed", 6, "quick")]
    {
        let refused = rename(&mut client, &main, MAIN, needle, shift, name);
        assert!(refused["error"]["message"].as_str().is_some(), "{name}: {refused}");
    }
    let field = rename(&mut client, &main, MAIN, "resource.active", 10, "x");
    assert!(field["error"]["message"].as_str().unwrap().contains("only a KPI or a param"), "{field}");
}

#[test]
fn document_symbols() {
    let dir = workspace(None);
    let root = root(&dir);
    let (main, lib) = (root.join("main.kpi"), root.join("lib.kpi"));
    let mut client = Client::start(&root);
    client.open(&main, MAIN);
    let symbols =
        client.result("textDocument/documentSymbol", json!({ "textDocument": { "uri": uri(&main) } }));
    let card = &symbols[0];
    assert_eq!((card["name"].as_str(), card["kind"].as_u64()), (Some("card"), Some(2)), "{symbols}");
    let children: Vec<&str> =
        card["children"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(children, ["closed", "quick"]);
    // A file not open: read from disk.
    let symbols =
        client.result("textDocument/documentSymbol", json!({ "textDocument": { "uri": uri(&lib) } }));
    let names: Vec<&str> = symbols.as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["grace", "closed"]);
}

#[test]
fn bad_input_gets_error_responses_and_the_server_carries_on() {
    let mut client = Client::spawn();
    // Before `initialize`: not initialized.
    let early = client.request("textDocument/hover", json!({}));
    assert_eq!(early["error"]["code"], -32002, "{early}");
    let init = client.request("initialize", json!({ "capabilities": {} }));
    assert!(init["result"]["capabilities"].is_object(), "{init}");
    client.notify("initialized", json!({}));
    // Not JSON: a parse error, id null.
    client.send_raw(b"Content-Length: 9\r\n\r\n{not json");
    let parse = client.response(&Value::Null);
    assert_eq!(parse["error"]["code"], -32700, "{parse}");
    // A header that is not one.
    client.send_raw(b"garbage\r\n\r\n");
    assert_eq!(client.response(&Value::Null)["error"]["code"], -32700);
    // Unknown method, bad params, a URI that is not a file, notifications with bad params.
    assert_eq!(client.request("textDocument/unknown", json!({}))["error"]["code"], -32601);
    assert_eq!(client.request("textDocument/hover", json!({ "textDocument": 5 }))["error"]["code"], -32602);
    let untitled = client.request("textDocument/hover", json!({ "textDocument": { "uri": "untitled:Untitled-1" }, "position": { "line": 0, "character": 0 } }));
    assert_eq!(untitled["error"]["code"], -32602, "{untitled}");
    client.notify("textDocument/didOpen", json!({ "textDocument": "nope" }));
    client.notify("textDocument/didChange", json!(42));
    // Rules that are garbage, with NUL bytes and deep nesting: diagnostics, no crash.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().canonicalize().unwrap().join("bad.kpi");
    client.open(
        &path,
        &format!("kpi x {{ value {}1{} }}\n\u{0}\u{7f}ü \"unterminated", "(".repeat(500), ")".repeat(500)),
    );
    let diagnostics = client.diagnostics(&uri(&path));
    assert!(!diagnostics.is_empty());
    for method in [
        "textDocument/hover",
        "textDocument/definition",
        "textDocument/completion",
        "textDocument/prepareRename",
    ] {
        let response = client.request(method, at(&path, json!({ "line": 0, "character": 300 })));
        assert!(response.get("result").is_some() || response.get("error").is_some(), "{method}: {response}");
    }
    // The server still answers, then shuts down cleanly.
    assert_eq!(client.shutdown(), 0);
}

#[test]
fn exit_without_shutdown_is_exit_code_1() {
    let mut client = Client::start(Path::new("/"));
    client.notify("exit", json!(null));
    assert_eq!(client.wait(), 1);
}

#[test]
fn rename_reaches_the_client_config_and_incremental_changes_apply() {
    let config = "[params]\ngrace = \"15m\"\n\n[scorecards.card.closed]\nweight = 40\n";
    let dir = workspace(Some(config));
    let root = root(&dir);
    let (main, lib, toml) = (root.join("main.kpi"), root.join("lib.kpi"), root.join("client.toml"));
    let mut client = Client::start(&root);
    client.open(&main, MAIN);
    let edit = rename(&mut client, &main, MAIN, "use closed", 6, "resolved");
    let after = apply(&edit["result"], &[(&main, MAIN), (&lib, LIB), (&toml, config)]);
    assert_eq!(after[2], config.replace("card.closed", "card.resolved"));
    let edit = rename(&mut client, &main, MAIN, "<= grace", 3, "entry_grace");
    let after = apply(&edit["result"], &[(&main, MAIN), (&lib, LIB), (&toml, config)]);
    assert_eq!(after[2], config.replace("grace =", "entry_grace ="));

    // A client that sends ranges despite full sync: the change lands where it says.
    let line = position(MAIN, "resource.active", 0, 0);
    let end = json!({ "line": line["line"], "character": line["character"].as_u64().unwrap() + 15 });
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": uri(&main), "version": 2 },
            "contentChanges": [{ "range": { "start": line, "end": end }, "text": "resource.actve" }],
        }),
    );
    let diagnostics = client.diagnostics(&uri(&main));
    assert_eq!(codes(&diagnostics), ["E0102"], "{diagnostics:?}");
}
