//! `kpi evaluate --watch`: evaluate, print, then poll the rule files (with their imports and rhai
//! scripts), the client config and the data files every 500 ms, and evaluate and print again when
//! any of them changes. Errors are printed and the watch goes on; it ends when interrupted.
use crate::Outcome;
use kpi_driver::{ConfigInput, DataInput, Request, Session};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// How often the files are looked at.
const POLL: Duration = Duration::from_millis(500);

/// What a file looked like: its modification time and length (`None`: it is missing).
type Stamp = Option<(SystemTime, u64)>;

/// Evaluate with `print` whenever what `request` reads changes. Returns only on a bad flag.
pub fn run<R, P>(request: R, print: P) -> Result<Outcome, Box<dyn std::error::Error>>
where
    R: Fn() -> Result<Request, String>,
    P: Fn(&Session) -> Result<Outcome, Box<dyn std::error::Error>>,
{
    // A bad flag (a malformed --param) will not get better by waiting.
    request()?;
    // The files of the last evaluation that got as far as the rules: imports and scripts
    // included, kept while the rules have errors.
    let mut sources: BTreeSet<PathBuf> = BTreeSet::new();
    loop {
        let request = request()?;
        // Stamped before reading, so that an edit saved during the evaluation is seen.
        let mut before = stamps(&watched(&request, &sources));
        let started = std::time::Instant::now();
        match evaluate(&request, &print) {
            Ok((read, outcome)) => {
                sources = read;
                let verdict = if matches!(outcome, Outcome::Ok) { "ok" } else { "with errors (above)" };
                eprintln!(
                    "watch: evaluated {verdict} in {:.2} s; waiting for changes (Ctrl-C to stop)",
                    started.elapsed().as_secs_f64()
                );
            }
            Err(message) => {
                if !message.is_empty() {
                    eprintln!("error: {message}");
                }
                eprintln!("watch: waiting for changes (Ctrl-C to stop)");
            }
        }
        // Files first read by this evaluation (a new import) are stamped as they are now; files
        // it no longer reads are forgotten.
        let read = stamps(&watched(&request, &sources));
        before.retain(|file, _| read.contains_key(file));
        for (file, stamp) in read {
            before.entry(file).or_insert(stamp);
        }
        loop {
            std::thread::sleep(POLL);
            let now = stamps(&watched(&request, &sources));
            let changed = now.iter().any(|(file, stamp)| before.get(file) != Some(stamp))
                || before.keys().any(|file| !now.contains_key(file));
            if changed {
                break;
            }
        }
        eprintln!("watch: a file changed; evaluating again");
    }
}

/// One evaluation: the source files it read and its outcome, or the error (empty when already
/// reported on stderr).
fn evaluate<P>(request: &Request, print: &P) -> Result<(BTreeSet<PathBuf>, Outcome), String>
where
    P: Fn(&Session) -> Result<Outcome, Box<dyn std::error::Error>>,
{
    let session = super::evaluate::prepare(request.clone()).map_err(|e| e.to_string())?;
    let Some(mut session) = session else { return Err(String::new()) };
    let sources = session.rules.sources.files().map(|(_, f)| PathBuf::from(&f.path)).collect();
    let started = std::time::Instant::now();
    let outcome = print(&session).map_err(|e| e.to_string())?;
    super::evaluate::write_cache(&mut session, started);
    Ok((sources, outcome))
}

/// Every file whose change means evaluating again: the rule paths (directories searched), the
/// files the last evaluation read, the config with the rules and data it names, and the data.
fn watched(request: &Request, sources: &BTreeSet<PathBuf>) -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = request.rules.clone();
    roots.extend(sources.iter().cloned());
    if let Some(ConfigInput::File(config)) = &request.config {
        roots.push(config.clone());
        if let Ok(resolved) = kpi_driver::resolve(request) {
            roots.extend(resolved.rules);
            if let Some(DataInput::Dir(dir)) = resolved.data {
                roots.push(dir);
            }
        }
    }
    if let Some(DataInput::Dir(dir)) = &request.data {
        roots.push(dir.clone());
    }
    let mut files = BTreeSet::new();
    for root in roots {
        walk(&root, &mut files, 0);
    }
    files.into_iter().collect()
}

/// `path` itself, or the files under it (a few levels deep, hidden entries skipped).
fn walk(path: &Path, files: &mut BTreeSet<PathBuf>, depth: usize) {
    match std::fs::read_dir(path) {
        Ok(entries) if depth < 4 => {
            for entry in entries.flatten() {
                if !entry.file_name().to_string_lossy().starts_with('.') {
                    walk(&entry.path(), files, depth + 1);
                }
            }
        }
        Ok(_) => {}
        Err(_) => {
            files.insert(path.to_path_buf());
        }
    }
}

fn stamps(files: &[PathBuf]) -> BTreeMap<PathBuf, Stamp> {
    files
        .iter()
        .map(|f| {
            let stamp =
                std::fs::metadata(f).ok().map(|m| (m.modified().unwrap_or(SystemTime::UNIX_EPOCH), m.len()));
            (f.clone(), stamp)
        })
        .collect()
}
