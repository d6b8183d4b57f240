//! `kpi data check`: load a dataset export and summarise it, so a consultant can trust it before evaluating.
use crate::Outcome;
use kpi_data::{summarize, LoadOptions, Profile};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[derive(clap::Subcommand)]
pub enum DataCommand {
    /// Load a dataset and print a summary table: rows, date range, nulls in key columns, warnings.
    Check {
        /// The dataset directory (one file per table).
        #[arg(long)]
        data: std::path::PathBuf,
        /// A mapping profile: a built-in name (autotask, autotask-ui, connectwise, halopsa, servicenow,
        /// servicenow-events) or a TOML file.
        #[arg(long)]
        profile: Option<String>,
        /// Time zone of naive timestamps and of calendar months (IANA name).
        #[arg(long, default_value = "UTC")]
        timezone: String,
        /// Leave rows with errors out (and report how many) instead of failing.
        #[arg(long)]
        skip_bad_rows: bool,
        /// Parse the files even when the columnar cache holds them (and do not write it).
        #[arg(long)]
        no_cache: bool,
        /// Timestamps before this day are warned of as implausible (default 1990-01-01).
        #[arg(long, value_name = "DATE")]
        plausible_from: Option<chrono::NaiveDate>,
        /// Timestamps from this day on are warned of as implausible (default: two years from today).
        #[arg(long, value_name = "DATE")]
        plausible_to: Option<chrono::NaiveDate>,
        /// Rule files or directories: list each KPI of their scorecards that reads a column the
        /// export lacks or leaves null in every row (it has no data, or only the default).
        #[arg(value_name = "RULES")]
        rules: Vec<std::path::PathBuf>,
    },
}

/// Datasets smaller than this are parsed every time: a snapshot would not be faster.
pub const CACHE_MIN_BYTES: u64 = 8 << 20;

/// Loads a dataset through the columnar cache (unless `no_cache`), with a progress bar.
pub fn load_dataset(
    dir: &std::path::Path,
    options: &LoadOptions,
    no_cache: bool,
) -> Result<kpi_data::Dataset, kpi_data::LoadErrors> {
    let taken = Arc::new(AtomicU64::new(0));
    let options = &LoadOptions { progress: Some(taken.clone()), ..options.clone() };
    let progress = Progress::bytes(&format!("loading {}", dir.display()), data_bytes(dir), taken);
    let started = std::time::Instant::now();
    let cache = match no_cache {
        true => None,
        false => kpi_data::CacheOptions::default_dir()
            .map(|dir| kpi_data::CacheOptions { dir, min_bytes: CACHE_MIN_BYTES }),
    };
    let input = kpi_driver::DataInput::Dir(dir.to_path_buf());
    let loaded = kpi_driver::load_data(&input, options, cache.as_ref());
    drop(progress);
    let mut loaded = loaded?;
    if let Some((outcome, path)) = &loaded.outcome {
        debug_cache(outcome, path, started);
    }
    if let Some(pending) = loaded.pending.take() {
        let (outcome, path) = pending.write(&loaded.dataset);
        debug_cache(&outcome, &path, started);
    }
    Ok(loaded.dataset)
}

/// The size of the files in `dir`, for the progress bar (0 if it cannot be listed).
pub fn data_bytes(dir: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries.filter_map(|e| e.ok()?.metadata().ok()).filter(|m| m.is_file()).map(|m| m.len()).sum()
}

/// With `KPI_CACHE_DEBUG` set, what the cache did and how long loading (and caching) took.
pub fn debug_cache(outcome: &kpi_data::CacheOutcome, path: &std::path::Path, started: std::time::Instant) {
    if std::env::var_os("KPI_CACHE_DEBUG").is_some() {
        eprintln!("cache: {outcome:?} ({}) in {:.3} s", path.display(), started.elapsed().as_secs_f64());
    }
}

/// A spinner on stderr for work that takes over a second: only on a terminal, never in CI.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    done: Arc<AtomicBool>,
}

impl Progress {
    /// A spinner with `message` and the time taken.
    pub fn start(message: &str) -> Progress {
        Progress::new(message, None)
    }

    /// A bar of `total` bytes, filled as `taken` grows.
    pub fn bytes(message: &str, total: u64, taken: Arc<AtomicU64>) -> Progress {
        Progress::new(message, Some((total, taken)))
    }

    fn new(message: &str, bytes: Option<(u64, Arc<AtomicU64>)>) -> Progress {
        use std::io::IsTerminal;
        let done = Arc::new(AtomicBool::new(false));
        if !std::io::stderr().is_terminal() || std::env::var_os("CI").is_some() {
            return Progress { bar: None, done };
        }
        let (length, template) = match &bytes {
            Some((total, _)) => {
                (Some(*total), "{spinner} {msg} [{bar:30}] {bytes}/{total_bytes} ({elapsed})")
            }
            None => (None, "{spinner} {msg} ({elapsed})"),
        };
        let bar = indicatif::ProgressBar::with_draw_target(length, indicatif::ProgressDrawTarget::hidden());
        bar.set_style(
            indicatif::ProgressStyle::with_template(template)
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar.set_message(message.to_string());
        // Shown only once the work has taken a second.
        let (shown, flag) = (bar.clone(), done.clone());
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(1));
            if flag.load(Ordering::SeqCst) {
                return;
            }
            shown.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            shown.enable_steady_tick(Duration::from_millis(120));
            if let Some((_, taken)) = bytes {
                while !flag.load(Ordering::SeqCst) {
                    shown.set_position(taken.load(Ordering::Relaxed));
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        });
        Progress { bar: Some(bar), done }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.done.store(true, Ordering::SeqCst);
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

pub fn run(cmd: DataCommand) -> Result<Outcome, Box<dyn std::error::Error>> {
    let DataCommand::Check {
        data,
        profile,
        timezone,
        skip_bad_rows,
        no_cache,
        plausible_from,
        plausible_to,
        rules,
    } = cmd;
    let timezone: kpi_data::Tz = timezone
        .parse()
        .map_err(|_| format!("unknown time zone `{timezone}` (use an IANA name like America/New_York)"))?;
    let profile = profile.map(|p| Profile::from_name_or_file(&p)).transpose()?;
    let options = LoadOptions { timezone, skip_bad_rows, profile, ..LoadOptions::default() };
    let plausible = kpi_data::Plausible::around(
        chrono::Utc::now().timestamp_micros(),
        plausible_from,
        plausible_to,
        timezone,
    );
    if plausible.from >= plausible.to {
        return Err(format!(
            "the plausible span {} .. {} is empty: --plausible-from must be before --plausible-to",
            plausible.from, plausible.to
        )
        .into());
    }
    // The rules first: their errors stop the check before the data is read.
    let program = match rules.is_empty() {
        true => None,
        false => {
            let request = kpi_driver::Request { rules: rules.clone(), ..kpi_driver::Request::default() };
            let checked = kpi_driver::resolve(&request).and_then(|r| kpi_driver::check(&request, &r));
            match checked {
                Ok(c) => Some(c.program),
                Err(e) => {
                    eprintln!("{e}");
                    return Ok(Outcome::Failed);
                }
            }
        }
    };
    let started = std::time::Instant::now();
    let mut dataset = match load_dataset(&data, &options, no_cache) {
        Ok(d) => d,
        Err(errors) => {
            eprintln!("{errors}");
            eprintln!(
                "{}: {}; nothing loaded{}",
                data.display(),
                count(errors.count(), "error"),
                skip_hint(&errors, skip_bad_rows, "(use --skip-bad-rows to leave bad rows out)")
            );
            return Ok(Outcome::Failed);
        }
    };
    let elapsed = started.elapsed();
    // Implausible timestamps first: they are what a consultant fixes before evaluating.
    let implausible = kpi_data::implausible_timestamps(&dataset, &plausible);
    dataset.warnings.splice(0..0, implausible);
    for w in &dataset.warnings {
        eprintln!("{w}");
    }
    println!("{}", render(&dataset));
    if let Some(profile) = &options.profile {
        print!("{}", mapping(profile, &dataset));
    }
    if let Some(program) = &program {
        print!("{}", kpis_without_data(program, options.profile.as_ref(), &dataset));
    }
    println!("time zone {}; loaded in {:.2} s", dataset.timezone, elapsed.as_secs_f64());
    Ok(Outcome::Ok)
}

/// The summary table, one row per canonical table.
fn render(dataset: &kpi_data::Dataset) -> String {
    let mut rows = vec![[
        "table".to_string(),
        "file".into(),
        "rows".into(),
        "skipped".into(),
        "date range".into(),
        "nulls in key columns".into(),
        "warnings".into(),
    ]];
    for s in summarize(dataset) {
        let range = match &s.date_range {
            Some((col, lo, hi)) => format!("{col} {lo} .. {hi}"),
            None => "-".into(),
        };
        let nulls: Vec<String> = s.nulls.iter().map(|(c, n)| format!("{c} {n}")).collect();
        rows.push([
            s.name.clone(),
            s.file.clone().unwrap_or_else(|| "(absent)".into()),
            s.rows.to_string(),
            s.skipped.to_string(),
            range,
            if nulls.is_empty() { "-".into() } else { nulls.join(", ") },
            s.warnings.to_string(),
        ]);
    }
    let widths: Vec<usize> =
        (0..7).map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for (ri, r) in rows.iter().enumerate() {
        let cells: Vec<String> = r
            .iter()
            .zip(&widths)
            .enumerate()
            .map(
                |(i, (c, w))| {
                    if i == 2 || i == 3 || i == 6 {
                        format!("{c:>w$}")
                    } else {
                        format!("{c:<w$}")
                    }
                },
            )
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
        if ri == 0 {
            out.push_str(&widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("  "));
            out.push('\n');
        }
    }
    for s in summarize(dataset) {
        if !s.custom_columns.is_empty() {
            out.push_str(&format!("custom columns of {}: {}\n", s.name, s.custom_columns.join(", ")));
        }
    }
    if !dataset.skipped_rows.is_empty() {
        let parts: Vec<String> = dataset.skipped_rows.iter().map(|(t, n)| format!("{t} {n}")).collect();
        out.push_str(&format!("rows left out for errors: {}\n", parts.join(", ")));
    }
    if !dataset.other_files.is_empty() {
        out.push_str(&format!("other files, not read: {}\n", dataset.other_files.join(", ")));
    }
    let warnings: usize = dataset.warnings.iter().map(|w| w.count).sum();
    out.push_str(&count(warnings, "warning"));
    out
}

/// The profile's mapping as the load used it: per table, the source of each canonical column,
/// what was derived or collapsed, and the columns with no value in any row (their KPIs have no
/// data).
fn mapping(profile: &Profile, dataset: &kpi_data::Dataset) -> String {
    let mut out =
        format!("mapping ({}):\n", if profile.name.is_empty() { &profile.origin } else { &profile.name });
    for table in &dataset.tables {
        let Some(schema) = kpi_schema::table(&table.name) else { continue };
        let m = profile.table(&table.name);
        let mut line = format!("  {}:", table.name);
        if let Some(note) = dataset.reshaped.get(&table.name) {
            line.push_str(&format!(" [{note}]"));
        }
        if !table.present {
            line.push_str(" no file (empty)");
            out.push_str(&line);
            out.push('\n');
            continue;
        }
        let mut fed = Vec::new();
        let mut missing = Vec::new();
        for c in schema.columns {
            let cm = m.and_then(|m| m.columns.get(c.name));
            let source = match cm {
                Some(cm) if cm.met.is_some() => format!(
                    "flag {} with {}",
                    cm.met.as_deref().unwrap_or(""),
                    cm.reached.as_deref().unwrap_or("")
                ),
                Some(cm) if !cm.join.is_empty() => cm.join.join(" + "),
                Some(cm) if !cm.from.is_empty() => cm.from.join(" | "),
                Some(cm) if cm.default.is_some() => {
                    format!("default {}", cm.default.as_deref().unwrap_or(""))
                }
                _ => c.name.to_string(),
            };
            let empty = table.loaded(c.name).is_none_or(|col| table.len > 0 && col.null_count() == table.len);
            if empty && c.default.is_none() {
                missing.push(c.name);
            } else if source != c.name {
                fed.push(format!("{} <- {source}", c.name));
            }
        }
        if !fed.is_empty() {
            line.push_str(&format!(" {}", fed.join(", ")));
        }
        if !missing.is_empty() {
            line.push_str(&format!("; no values: {} (KPIs reading them have no data)", missing.join(", ")));
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// Why a column a KPI reads has no data in `dataset` (whose table has a file): the file has no
/// source for the column (it holds the contract's default, or nothing), or every row is null.
/// `None` when some row has a value (a `resources.hours_per_day` or `cost_per_hour` left null
/// falls back to a param, so it is not listed either).
fn no_data_reason(
    table: &str,
    column: &str,
    profile: Option<&Profile>,
    dataset: &kpi_data::Dataset,
) -> Option<String> {
    let schema = kpi_schema::table(table)?;
    let t = dataset.table_named(table).ok()?;
    if matches!((table, column), ("resources", "hours_per_day") | ("resources", "cost_per_hour")) {
        return None;
    }
    let file = dataset.file_of(schema.id).unwrap_or(table);
    let default = schema.column(column).and_then(|c| c.default);
    let all_null = match t.loaded(column) {
        Some(c) => t.len > 0 && c.null_count() == t.len,
        None => true,
    };
    let absent = match schema.column(column) {
        Some(_) => dataset.absent_columns.get(table).is_some_and(|a| a.iter().any(|c| c == column)),
        // A custom column (`custom("name")`): absent when the file has no such header.
        None => t.loaded(column).is_none(),
    };
    let outcome = match default {
        Some(d) => format!("every row reads the default {}: the KPI will be 0/no_data", default_text(d)),
        None => "every row reads null: the KPI will be no_data, or take every row as having none".to_string(),
    };
    if absent && (all_null || default.is_some()) {
        let not_mapped = match profile {
            Some(p) if schema.column(column).is_some() => {
                let name = if p.name.is_empty() { &p.origin } else { &p.name };
                match p.table(table).and_then(|m| m.columns.get(column)) {
                    Some(m) if !m.from.is_empty() || !m.join.is_empty() => {
                        let sources = if m.join.is_empty() { &m.from } else { &m.join };
                        let sources: Vec<String> = sources.iter().map(|s| format!("`{s}`")).collect();
                        format!("which the {name} profile maps from {}, not in {file}", sources.join(" or "))
                    }
                    _ => {
                        format!("which the {name} profile does not map (and {file} has no `{column}` column)")
                    }
                }
            }
            _ => format!("which {file} does not have"),
        };
        return Some(format!("{not_mapped}: {outcome}"));
    }
    if all_null && t.len > 0 {
        return Some(format!("which is null in every row of {file}: {outcome}"));
    }
    None
}

fn default_text(d: kpi_schema::ColumnDefault) -> String {
    use kpi_schema::ColumnDefault as D;
    match d {
        D::Number(n) => n.to_string(),
        D::Int(n) => n.to_string(),
        D::Bool(b) => b.to_string(),
    }
}

/// For each KPI of the root scorecards of `program`, the columns it reads that the export does
/// not give ([`no_data_reason`]), one line each.
fn kpis_without_data(
    program: &kpi_hir::Program,
    profile: Option<&Profile>,
    dataset: &kpi_data::Dataset,
) -> String {
    let mut lines = Vec::new();
    for card in program.scorecards.iter().filter(|s| s.root) {
        for kpi in &card.kpis {
            for (table, columns) in kpi_eval::kpi_columns_read(kpi) {
                if dataset.table_named(&table).is_ok_and(|t| !t.present) {
                    lines.push(format!(
                        "  {}.{} reads {table}, but the export has no {table} file: no_data",
                        card.id, kpi.id
                    ));
                    continue;
                }
                for column in columns {
                    if let Some(why) = no_data_reason(&table, &column, profile, dataset) {
                        lines.push(format!("  {}.{} reads {table}.{column}, {why}", card.id, kpi.id));
                    }
                }
            }
        }
    }
    if lines.is_empty() {
        return "KPIs without data: none (every column the scorecards read has values)\n".to_string();
    }
    format!("KPIs without data ({}):\n{}\n", lines.len(), lines.join("\n"))
}

/// `n` and `what`, with an `s` unless `n` is 1.
pub fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// The `kpi data check` command that loads `dir` as a run did: same profile, time zone and
/// `--skip-bad-rows`, so that what it lists is what the run saw.
pub fn check_command(
    dir: &std::path::Path,
    profile: Option<&str>,
    timezone: kpi_data::Tz,
    skip_bad_rows: bool,
) -> String {
    let quote = |s: &str| {
        if s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:+".contains(c)) {
            s.to_string()
        } else {
            format!("'{}'", s.replace('\'', "'\\''"))
        }
    };
    let mut cmd = format!("kpi data check --data {}", quote(&dir.display().to_string()));
    if let Some(p) = profile.filter(|p| !p.is_empty()) {
        cmd.push_str(&format!(" --profile {}", quote(p)));
    }
    if timezone != chrono_tz::UTC {
        cmd.push_str(&format!(" --timezone {}", timezone.name()));
    }
    if skip_bad_rows {
        cmd.push_str(" --skip-bad-rows");
    }
    cmd
}

/// ` hint` when every load error concerns one row (so `--skip-bad-rows` would leave the rows
/// out) and the flag was not given; nothing when it cannot help.
pub fn skip_hint(errors: &kpi_data::LoadErrors, skip_bad_rows: bool, hint: &str) -> String {
    if errors.row_level() && !skip_bad_rows {
        format!(" {hint}")
    } else {
        String::new()
    }
}
