//! `configure`: a client config applied to checked rules without data, its warnings and errors
//! returned as values.
use kpi_driver::{ConfigInput, Failure, Request};
use std::path::PathBuf;

const RULES: &str = r#"
param w = 50

scorecard s {
  kpi a {
    from   tickets by completed_at
    value  share(reopen_count > 0)
    target <= 5%
    weight w
  }
  kpi b {
    from   tickets by completed_at
    value  count()
    target >= 1
    weight 50
  }
}
"#;

fn request(config: &str) -> Request {
    let mut request = Request {
        config: Some(ConfigInput::Text { path: PathBuf::from("client.toml"), text: config.to_string() }),
        ..Request::default()
    };
    request.overlay.insert(PathBuf::from("rules.kpi"), RULES.to_string());
    request
}

fn configure(config: &str) -> Result<kpi_driver::Configured, Failure> {
    let request = request(config);
    let resolved = kpi_driver::resolve(&request)?;
    let checked = kpi_driver::check(&request, &resolved)?;
    assert!(checked.warnings.is_empty(), "{:?}", checked.warnings);
    kpi_driver::configure(&request, &resolved, checked)
}

fn warnings(config: &str) -> Vec<String> {
    match configure(config) {
        Ok(c) => c.warnings.iter().map(|d| format!("{} {}", d.code, d.message)).collect(),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn weights_are_checked_again_after_the_config() {
    assert!(warnings("").is_empty());
    assert_eq!(warnings("[scorecards.s.b]\nweight = 55\n"), ["W0001 the weights of `s` sum to 105"]);
    assert_eq!(warnings("[params]\nw = 40\n"), ["W0001 the weights of `s` sum to 90"]);
    assert_eq!(warnings("[scorecards.s.a]\nenabled = false\n"), ["W0001 the weights of `s` sum to 50"]);
    assert!(warnings("[params]\nw = 45\n[scorecards.s.b]\nweight = 55\n").is_empty());
}

#[test]
fn every_error_of_the_config_is_returned() {
    let err = configure("timezone = \"Nowhere\"\n[params]\nw = \"x\"\n[scorecards.s.a]\ntarget = \"<= 5\"\n")
        .map(|_| ())
        .unwrap_err();
    let Failure::Input(message) = err else { panic!("{err}") };
    let lines: Vec<&str> = message.lines().collect();
    assert_eq!(lines.len(), 3, "{message}");
    assert!(lines[0].starts_with("client.toml:1:12: unknown time zone `Nowhere`"), "{message}");
    assert!(lines[1].starts_with("client.toml:3:5: "), "{message}");
    assert!(lines[2].contains("did you mean `<= 5%`?"), "{message}");
}

/// `Configured::describe` gives, without data, the KPI info an evaluation reports: the same
/// effective targets and weights, from the same places.
#[test]
fn describe_without_data_agrees_with_an_evaluation() {
    let config = "[params]\nw = 40\n[scorecards.s.b]\ntarget = \">= 2\"\nweight = 60\n";
    let configured = configure(config).expect("configured");
    let described = configured.describe(&[]).expect("described");
    assert_eq!(described.len(), 1);
    assert!(described[0].rows.is_empty());

    let mut request = request(config);
    request.data = Some(kpi_driver::DataInput::Tables {
        name: PathBuf::from("memory"),
        files: vec![
            ("resources.csv".into(), "id,name\n".into()),
            ("tickets.csv".into(), "id,created_at,completed_at,reopen_count\n".into()),
            ("time_entries.csv".into(), "id,resource_id,started_at,ended_at,hours,billable\n".into()),
        ],
    });
    request.as_of = kpi_driver::AsOf::Text("2026-04-01T00:00:00Z".into());
    let evaluated = kpi_driver::prepare(&request).expect("prepared").evaluate().expect("evaluated");
    let (a, b) = (&described[0].kpis, &evaluated[0].kpis);
    assert_eq!(a.len(), b.len());
    for (a, b) in a.iter().zip(b) {
        assert_eq!((&a.id, a.op, a.target, a.weight), (&b.id, b.op, b.target, b.weight));
        assert_eq!(a.target_source, b.target_source, "{}", a.id);
        assert_eq!(a.weight_source, b.weight_source, "{}", a.id);
    }
    assert_eq!((a[0].weight, a[1].target, a[1].weight), (40.0, 2.0, 60.0));
    assert!(matches!(&a[0].weight_source, kpi_eval::Provenance::Param { name, .. } if name == "w"));
    assert!(
        matches!(&a[1].target_source, kpi_eval::Provenance::Config(key) if key.contains("scorecards.s.b"))
    );

    let unknown = configured.describe(&["nope".to_string()]).expect_err("no such scorecard");
    assert!(unknown.to_string().contains("no scorecard `nope`"), "{unknown}");
}
