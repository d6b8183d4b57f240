//! What `--output`, `kpi fmt` and `kpi test --accept` do to what is already at a path: devices
//! and FIFOs are written in place, symbolic links are kept, files keep their mode, and every
//! failure names the path.
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `kpi evaluate` of the demo's intake snapshot (small and quick), as JSON to `output`.
fn evaluate_to(output: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kpi"))
        .current_dir(repo())
        .args(["evaluate", "rules", "--data", "examples/demo", "--scorecard", "intake"])
        .args(["--as-of", "2026-10-01T00:00:00Z", "--format", "json", "--no-cache", "--output"])
        .arg(output)
        .env("NO_COLOR", "1")
        .output()
        .expect("kpi runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn output_through_a_symlink_keeps_the_link_and_writes_its_target() {
    let dir = tempfile::tempdir().expect("tempdir");
    let target = dir.path().join("scores.json");
    std::fs::write(&target, "old").expect("write");
    let link = dir.path().join("latest.json");
    std::os::unix::fs::symlink("scores.json", &link).expect("symlink");
    let out = evaluate_to(&link);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(std::fs::symlink_metadata(&link).expect("link").file_type().is_symlink());
    assert!(std::fs::read_to_string(&target).expect("read").contains("\"intake\""));
}

#[test]
fn output_to_a_fifo_writes_into_it_in_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("pipe");
    assert!(Command::new("mkfifo").arg(&fifo).status().expect("mkfifo").success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).expect("read the fifo"))
    };
    let out = evaluate_to(&fifo);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(reader.join().expect("reader").contains("\"intake\""));
    assert!(std::fs::symlink_metadata(&fifo).expect("fifo").file_type().is_fifo());
}

#[test]
fn output_to_dev_null_leaves_the_device() {
    let out = evaluate_to(Path::new("/dev/null"));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(std::fs::metadata("/dev/null").expect("dev null").file_type().is_char_device());
}

#[test]
fn a_full_disk_is_an_error_that_names_the_path() {
    if !Path::new("/dev/full").exists() {
        eprintln!("skipped: this system has no /dev/full");
        return;
    }
    let out = evaluate_to(Path::new("/dev/full"));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("cannot write `/dev/full`") && err.contains("disk is full"), "{err}");
}

#[test]
fn an_output_in_a_missing_directory_names_the_path_and_leaves_no_temp_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = evaluate_to(&dir.path().join("nope/scores.json"));
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("nope/scores.json"), "{}", stderr(&out));
    assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 0);
}

#[test]
fn fmt_keeps_a_files_mode() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("messy.kpi");
    std::fs::write(&file, "param  x=3\n").expect("write");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let out = Command::new(env!("CARGO_BIN_EXE_kpi")).arg("fmt").arg(&file).output().expect("runs");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&file).expect("read"), "param x = 3\n");
    assert_eq!(std::fs::metadata(&file).expect("meta").permissions().mode() & 0o777, 0o640);
    let names: Vec<_> =
        std::fs::read_dir(dir.path()).expect("list").map(|e| e.expect("entry").file_name()).collect();
    assert_eq!(names, ["messy.kpi"], "no temporary file is left");
}
