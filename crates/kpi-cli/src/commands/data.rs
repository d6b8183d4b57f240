//! `kpi data check`: load a dataset export and summarise it, so a consultant can trust it before evaluating.
use crate::Outcome;
use kpi_data::{load, summarize, LoadOptions, Profile};

#[derive(clap::Subcommand)]
pub enum DataCommand {
    /// Load a dataset and print a summary table: rows, date range, nulls in key columns, warnings.
    Check {
        /// The dataset directory (one file per table).
        #[arg(long)]
        data: std::path::PathBuf,
        /// A mapping profile: a built-in name (autotask, connectwise) or a TOML file.
        #[arg(long)]
        profile: Option<String>,
        /// Time zone of naive timestamps and of calendar months (IANA name).
        #[arg(long, default_value = "UTC")]
        timezone: String,
        /// Leave rows with errors out (and report how many) instead of failing.
        #[arg(long)]
        skip_bad_rows: bool,
    },
}

pub fn run(cmd: DataCommand) -> Result<Outcome, Box<dyn std::error::Error>> {
    let DataCommand::Check { data, profile, timezone, skip_bad_rows } = cmd;
    let timezone: kpi_data::Tz = timezone
        .parse()
        .map_err(|_| format!("unknown time zone `{timezone}` (use an IANA name like America/New_York)"))?;
    let profile = profile.map(|p| Profile::from_name_or_file(&p)).transpose()?;
    let options = LoadOptions { timezone, skip_bad_rows, profile };
    let started = std::time::Instant::now();
    let dataset = match load(&data, &options) {
        Ok(d) => d,
        Err(errors) => {
            eprintln!("{errors}");
            eprintln!(
                "{}: {} errors; nothing loaded (use --skip-bad-rows to leave bad rows out)",
                data.display(),
                errors.count()
            );
            return Ok(Outcome::Failed);
        }
    };
    let elapsed = started.elapsed();
    for w in &dataset.warnings {
        eprintln!("{w}");
    }
    println!("{}", render(&dataset));
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
    out.push_str(&format!("{warnings} warnings"));
    out
}
