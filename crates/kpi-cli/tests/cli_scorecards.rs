//! Every standard scorecard file in `rules/`, one snapshot each (`insta::glob!`): its scorecards
//! evaluated on the demo data for September 2026, as CSV.
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repository root")
}

#[test]
fn every_standard_rule_file_on_the_demo_data() {
    insta::glob!("../../../rules", "*.kpi", |path| {
        let relative = path.canonicalize().expect("path").strip_prefix(repo()).expect("inside").to_path_buf();
        let out = Command::new(env!("CARGO_BIN_EXE_kpi"))
            .current_dir(repo())
            .arg("evaluate")
            .arg(&relative)
            .args(["--data", "examples/demo", "--as-of", "2026-10-01T00:00:00Z"])
            .args(["--from", "2026-09-01", "--to", "2026-10-01", "--format", "csv"])
            .output()
            .expect("kpi runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        insta::assert_snapshot!(String::from_utf8_lossy(&out.stdout));
    });
}
