//! `kpi fmt` on files in a temporary directory: rewriting, `--check`, refusing broken files.
use insta_cmd::assert_cmd_snapshot;
use std::path::Path;
use std::process::Command;

fn kpi(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kpi"));
    command.current_dir(dir).env("NO_COLOR", "1");
    command
}

const MESSY: &str =
    "param  x=3\nkpi k { from tickets\nvalue count( )  # all of them\n  target <= x weight 1 }\n";

#[test]
fn check_lists_the_files_that_would_change_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
    std::fs::write(dir.path().join("sub/messy.kpi"), MESSY).expect("write");
    std::fs::write(dir.path().join("tidy.kpi"), "param x = 3\n").expect("write");
    assert_cmd_snapshot!(kpi(dir.path()).args(["fmt", "--check", "."]), @r"
    success: false
    exit_code: 1
    ----- stdout -----
    ./sub/messy.kpi

    ----- stderr -----
    1 of 2 files not formatted; run `kpi fmt` on them
    ");
    assert_eq!(std::fs::read_to_string(dir.path().join("sub/messy.kpi")).expect("read"), MESSY);
}

#[test]
fn fmt_rewrites_in_place_and_then_check_passes() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("messy.kpi"), MESSY).expect("write");
    let out = kpi(dir.path()).args(["fmt", "messy.kpi"]).output().expect("runs");
    assert!(out.status.success());
    insta::assert_snapshot!(std::fs::read_to_string(dir.path().join("messy.kpi")).expect("read"), @r"
    param x = 3

    kpi k {
      from   tickets
      value  count()  # all of them
      target <= x
      weight 1
    }
    ");
    let again = kpi(dir.path()).args(["fmt", "--check", "messy.kpi"]).output().expect("runs");
    assert!(again.status.success(), "formatted once, nothing left to change");
    // Written via a temporary file and a rename: no temporary file is left behind.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["messy.kpi"]);
}

#[test]
fn a_file_with_syntax_errors_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broken = "kpi k {\n  from tickets\n  valu count()\n}\n";
    std::fs::write(dir.path().join("broken.kpi"), broken).expect("write");
    assert_cmd_snapshot!(kpi(dir.path()).args(["fmt", "broken.kpi"]), @r"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    [E0100] Error: expected a clause (from, where, value, unit, target, weight, scoring, min_rows) or `}`, found `valu`
       ╭─[ broken.kpi:3:3 ]
       │
     3 │   valu count()
       │   ──┬─
       │     ╰─── expected a clause (from, where, value, unit, target, weight, scoring, min_rows) or `}`
       │
       │ Help: did you mean `value`?
    ───╯
    broken.kpi: not formatted, it has syntax errors
    1 file: 0 formatted, 0 unchanged, 1 with errors left as they are
    ");
    assert_eq!(std::fs::read_to_string(dir.path().join("broken.kpi")).expect("read"), broken);
}

#[test]
fn the_standard_rules_are_formatted() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = kpi(&repo).args(["fmt", "--check", "rules", "examples"]).output().expect("runs");
    assert!(out.status.success(), "run `kpi fmt rules examples`:\n{}", String::from_utf8_lossy(&out.stdout));
}

/// A symbolic link back up the tree is walked once, a `.kpi` link to a device is not read, and
/// a file with a byte order mark is written without it.
#[cfg(unix)]
#[test]
fn links_devices_and_byte_order_marks() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
    std::fs::write(dir.path().join("sub/messy.kpi"), MESSY).expect("write");
    std::os::unix::fs::symlink("..", dir.path().join("sub/up")).expect("symlink");
    std::os::unix::fs::symlink(".", dir.path().join("self")).expect("symlink");
    let (tx, rx) = std::sync::mpsc::channel();
    let mut command = kpi(dir.path());
    std::thread::spawn(move || {
        let _ = tx.send(command.args(["fmt", "--check", "."]).output());
    });
    let out = rx.recv_timeout(std::time::Duration::from_secs(20)).expect("fmt ends").expect("runs");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "./sub/messy.kpi\n");

    std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero.kpi")).expect("symlink");
    let out = kpi(dir.path()).args(["fmt", "zero.kpi"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("zero.kpi: cannot read it: it is a character device")
    );
    let out = kpi(dir.path()).args(["fmt", "/etc/passwd"]).output().expect("runs");
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a .kpi rule file"), "{out:?}");

    std::fs::write(dir.path().join("bom.kpi"), "\u{FEFF}param x = 3\n").expect("write");
    let out = kpi(dir.path()).args(["fmt", "bom.kpi"]).output().expect("runs");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(std::fs::read(dir.path().join("bom.kpi")).expect("read"), b"param x = 3\n");
}
