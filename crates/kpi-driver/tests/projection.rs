//! `columns_read` misses nothing: every scorecard of every rule file in the repository gives the
//! same results on the demo data with only the columns it names as with all of them. (Debug
//! builds also refuse to read a canonical column that was not loaded.)
use kpi_data::{Dataset, LoadOptions, Table};
use kpi_eval::{EvalOptions, Params};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `full` with only the columns of `projection` and the link keys.
fn projected(full: &Dataset, projection: &kpi_data::Projection) -> Dataset {
    let tables = full
        .tables
        .iter()
        .map(|t| Table {
            columns: t
                .columns
                .iter()
                .filter(|c| {
                    kpi_data::is_key_column(&t.name, &c.name)
                        || projection.get(&t.name).is_some_and(|p| p.contains(&c.name))
                })
                .cloned()
                .collect(),
            ..t.clone()
        })
        .collect();
    Dataset::new(full.timezone, tables)
}

fn same_results(rules: &[PathBuf], full: &Dataset) -> usize {
    let loaded = kpi_check::load(rules);
    let checked = kpi_check::check(&loaded);
    assert!(!checked.diagnostics.iter().any(|d| d.is_error()), "{rules:?} do not check");
    let program = checked.program;
    let mut compared = 0;
    for card in &program.scorecards {
        let ids = vec![card.id.clone()];
        let options = EvalOptions {
            include_partial: false,
            as_of: kpi_data::parse_timestamp("2026-10-01T00:00:00Z", full.timezone).unwrap(),
            from: None,
            to: None,
            holidays: Default::default(),
            params: Params::defaults(&program),
            scorecards: ids.clone(),
            script_budget: kpi_eval::DEFAULT_SCRIPT_BUDGET,
            plausible: kpi_data::Plausible::ANY,
        };
        let narrow = projected(full, &kpi_eval::columns_read(&program, &ids));
        let want = format!("{:?}", kpi_eval::evaluate(&program, full, &options));
        let got = format!("{:?}", kpi_eval::evaluate(&program, &narrow, &options));
        assert_eq!(got, want, "scorecard `{}` of {rules:?} differs with only the columns it reads", card.id);
        compared += 1;
    }
    compared
}

#[test]
fn every_rule_file_reads_only_the_columns_it_names() {
    let demo = root().join("examples/demo");
    let full = kpi_data::load(&demo, &LoadOptions::default()).expect("the demo data loads");
    let mut sets: Vec<Vec<PathBuf>> = vec![vec![root().join("rules")]];
    sets.push(vec![root().join("examples/clients/acme/acme.kpi")]);
    let fixtures = root().join("tests/fixtures/ok");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&fixtures)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "kpi"))
        .collect();
    files.sort();
    sets.extend(files.into_iter().map(|f| vec![f]));
    let compared: usize = sets.iter().map(|s| same_results(s, &full)).sum();
    assert!(compared >= 8, "only {compared} scorecards compared");
    assert!(Path::new(&demo).join("tickets.csv").exists());
}
