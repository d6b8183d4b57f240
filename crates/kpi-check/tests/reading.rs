//! What rule files may read: only regular files, of bounded size, read with a bounded reader;
//! imports only `.kpi` files and `rhai file` only `.rhai` files; a file that is not text is said
//! to be so without being quoted; a directory's symlink loops are walked once. Each case runs on
//! a thread with a deadline, so a hang fails the test instead of stopping it.
#![cfg(unix)]
use kpi_syntax::{codes, Diagnostic};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Load and check `paths` on a thread; the diagnostics rendered, or a failure after 10 s.
fn check(paths: Vec<PathBuf>) -> (Vec<Diagnostic>, String) {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rules = kpi_check::load(&paths);
        let checked = kpi_check::check(&rules);
        let rendered: String = checked.diagnostics.iter().map(|d| d.render(&rules.sources, false)).collect();
        let _ = tx.send((checked.diagnostics, rendered));
    });
    rx.recv_timeout(Duration::from_secs(10)).expect("loading must end, and quickly")
}

/// Does `rendered` quote the environment (as /proc/self/environ holds it: set at exec time)?
fn quotes_environment(rendered: &str) -> bool {
    std::env::vars().any(|(k, v)| !v.is_empty() && rendered.contains(&format!("{k}={v}")))
}

fn codes_of(diags: &[Diagnostic]) -> Vec<&'static str> {
    diags.iter().map(|d| d.code).collect()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

const KPI: &str = "kpi k {\n  from tickets\n  value count()\n  target >= 1\n  weight 100\n}\n";

#[test]
fn a_device_named_on_the_command_line_is_refused() {
    for device in ["/dev/zero", "/dev/urandom", "/dev/null"] {
        let (diags, rendered) = check(vec![PathBuf::from(device)]);
        assert_eq!(codes_of(&diags), [codes::UNREADABLE], "{device}: {rendered}");
        assert!(rendered.contains("is a character device"), "{rendered}");
    }
}

#[test]
fn a_fifo_is_refused_without_opening_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fifo = dir.path().join("pipe.kpi");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let (diags, rendered) = check(vec![fifo]);
    assert_eq!(codes_of(&diags), [codes::UNREADABLE], "{rendered}");
    assert!(rendered.contains("is a FIFO"), "{rendered}");
    // In a directory, it is not a rule file either.
    write(dir.path(), "ok.kpi", KPI);
    let (diags, rendered) = check(vec![dir.path().to_path_buf()]);
    assert!(diags.is_empty(), "{rendered}");
}

#[test]
fn importing_what_is_not_a_kpi_file_is_refused_and_not_quoted() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::env::set_var("KPI_TEST_SECRET", "hunter2");
    for target in ["/proc/self/environ", "/etc/passwd", "/dev/zero", "notes.txt"] {
        write(dir.path(), "notes.txt", "KPI_TEST_SECRET=hunter2\n");
        let main = write(dir.path(), "main.kpi", &format!("import \"{target}\"\n{KPI}"));
        let (diags, rendered) = check(vec![main]);
        assert_eq!(codes_of(&diags), [codes::IMPORT_NOT_RULES], "{target}: {rendered}");
        assert!(rendered.contains("only .kpi files can be imported"), "{rendered}");
        assert!(!rendered.contains("hunter2") && !rendered.contains("root:"), "{rendered}");
        assert!(!quotes_environment(&rendered), "{rendered}");
    }
}

#[test]
fn a_rule_file_that_is_not_text_is_said_to_be_so_without_quoting_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::env::set_var("KPI_TEST_SECRET", "hunter2");
    let link = dir.path().join("environ.kpi");
    std::os::unix::fs::symlink("/proc/self/environ", &link).expect("symlink");
    let binary = dir.path().join("binary.kpi");
    std::fs::write(&binary, b"param x = 1\n\0\0\x01\x02secret\xff\xfe\n").expect("write");
    for path in [link, binary] {
        let (diags, rendered) = check(vec![path.clone()]);
        assert_eq!(codes_of(&diags), [codes::INVALID_UTF8], "{}: {rendered}", path.display());
        assert!(rendered.contains("is not a text file"), "{rendered}");
        assert!(!rendered.contains("hunter2") && !rendered.contains("secret"), "{rendered}");
        assert!(!quotes_environment(&rendered), "{rendered}");
    }
}

#[test]
fn a_file_that_is_not_a_kpi_file_is_not_read_as_rules() {
    let dir = tempfile::tempdir().expect("temp dir");
    let notes = write(dir.path(), "notes.txt", "KPI_TEST_SECRET=hunter2\n");
    let (diags, rendered) = check(vec![notes, PathBuf::from("/etc/passwd")]);
    assert_eq!(codes_of(&diags), [codes::UNREADABLE, codes::UNREADABLE], "{rendered}");
    assert!(rendered.contains("is not a .kpi rule file"), "{rendered}");
    assert!(!rendered.contains("hunter2") && !rendered.contains("root:"), "{rendered}");
    let config = write(dir.path(), "client.toml", "timezone = \"UTC\"\n");
    let (_, rendered) = check(vec![config]);
    assert!(rendered.contains("is a client config"), "{rendered}");
    assert!(rendered.contains("kpi check --config"), "{rendered}");
}

#[test]
fn rhai_files_are_rhai_files_and_regular_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "fine.rhai", "fn f(x) { x + 1.0 }\n");
    for (target, expected) in [
        ("/dev/zero", "only .rhai files"),
        ("/proc/self/environ", "only .rhai files"),
        ("zero.rhai", "is a character device"),
    ] {
        let _ = std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero.rhai"));
        let rules = format!(
            "fn f(x: number) -> number = rhai file \"{target}\"\nkpi k {{\n  from tickets\n  value f(count())\n  target >= 1\n  weight 100\n}}\n"
        );
        let main = write(dir.path(), "main.kpi", &rules);
        let (diags, rendered) = check(vec![main]);
        assert_eq!(codes_of(&diags), [codes::SCRIPT], "{target}: {rendered}");
        assert!(rendered.contains(expected), "{target}: {rendered}");
    }
}

#[test]
fn a_symlink_loop_in_a_rules_directory_is_walked_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(rules.join("sub")).expect("dirs");
    write(&rules, "a.kpi", KPI);
    write(&rules.join("sub"), "b.kpi", "param b = 1\n");
    std::os::unix::fs::symlink(&rules, rules.join("sub/loop")).expect("symlink");
    std::os::unix::fs::symlink("..", rules.join("sub/up")).expect("symlink");
    std::os::unix::fs::symlink(".", rules.join("self")).expect("symlink");
    let (diags, rendered) = check(vec![rules]);
    // b.kpi once: one unused param, not one per path that leads to it.
    assert_eq!(codes_of(&diags), [codes::UNUSED_PARAM], "{rendered}");
}

#[test]
fn a_file_that_grows_past_the_limit_is_cut_by_the_reader() {
    // /dev/zero through a `.kpi` name that is a symlink is still a device: refused before reading.
    let dir = tempfile::tempdir().expect("temp dir");
    let link = dir.path().join("zero.kpi");
    std::os::unix::fs::symlink("/dev/zero", &link).expect("symlink");
    let (diags, rendered) = check(vec![link]);
    assert_eq!(codes_of(&diags), [codes::UNREADABLE], "{rendered}");
    // The bounded reader itself: never more than the limit plus one byte.
    let big = write(dir.path(), "big.kpi", &"#".repeat(1000));
    match kpi_check::load::read_regular(&big, 100) {
        Err(kpi_check::load::ReadError::TooLarge(n)) => assert_eq!(n, 1000),
        other => panic!("{other:?}"),
    }
    assert_eq!(kpi_check::load::read_regular(&big, 1000).map(|b| b.len()).ok(), Some(1000));
}
