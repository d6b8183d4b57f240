//! `kpi evaluate --watch` as a real process: it writes its output, re-evaluates when a rule file
//! changes, reports a broken rule file and keeps watching until the file is fixed.
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const RULES: &str = r#"scorecard fixture "Fixture" {
  period month
  per resource

  kpi fcr "First Contact Resolution" {
    from   tickets by completed_at
    value  share(count(time_entries) < 2)
    target >= 70%
    weight 100
  }
}
"#;

/// Ends the watching process however the test ends.
struct Watcher(Child);

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Poll `what` every 100 ms for up to 20 s.
fn wait_for(description: &str, what: impl Fn() -> bool) {
    let started = Instant::now();
    while !what() {
        assert!(started.elapsed() < Duration::from_secs(20), "gave up waiting: {description}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[test]
fn evaluate_watch_reevaluates_when_a_rule_file_changes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    std::fs::create_dir(dir.join("data")).expect("mkdir");
    std::fs::write(
        dir.join("data/resources.csv"),
        "id,name,team,hours_per_day,active\nR001,Ada,Desk,8,true\n",
    )
    .expect("write");
    std::fs::write(
        dir.join("data/tickets.csv"),
        "id,client_id,assigned_resource_id,created_at,completed_at\n\
         T1,C001,R001,2026-03-02T09:00:00Z,2026-03-02T11:00:00Z\n",
    )
    .expect("write");
    std::fs::write(
        dir.join("data/time_entries.csv"),
        "id,resource_id,ticket_id,started_at,ended_at,hours,billable\n",
    )
    .expect("write");
    std::fs::write(dir.join("rules.kpi"), RULES).expect("write");
    let stderr = std::fs::File::create(dir.join("stderr.txt")).expect("stderr file");
    let child = Command::new(env!("CARGO_BIN_EXE_kpi"))
        .args([
            "evaluate",
            "rules.kpi",
            "--data",
            "data",
            "--watch",
            "--format",
            "json",
            "--output",
            "out.json",
        ])
        .args(["--as-of", "2026-04-01T00:00:00Z", "--from", "2026-03-01", "--to", "2026-04-01"])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .expect("kpi starts");
    let _watcher = Watcher(child);
    let out = dir.join("out.json");

    wait_for("the first output", || read(&out).contains("\"status\": \"met\""));
    let first = read(&out);

    // A broken rule file is reported, and the watch goes on.
    std::fs::write(dir.join("rules.kpi"), RULES.replace("target >= 70%", "target >= ")).expect("write");
    wait_for("the error to be reported", || read(&dir.join("stderr.txt")).contains("error"));
    assert_eq!(read(&out), first, "a failed evaluation leaves the last output alone");

    // Fixed, with a target that Ada's first contact resolution of 100 % misses.
    std::fs::write(dir.join("rules.kpi"), RULES.replace("target >= 70%", "target <= 50%")).expect("write");
    wait_for("the output to change", || {
        let now = read(&out);
        now.contains("\"status\": \"missed\"") && now != first
    });
    let log = read(&dir.join("stderr.txt"));
    assert!(log.contains("watch: a file changed; evaluating again"), "{log}");
}
