//! `kpi init DIR`: a new client folder that checks, formats and tests cleanly at once: a commented
//! `client.toml`, `client.kpi` extending the standard scorecards, a copy of the standard library
//! in `standard/` (so nothing outside the folder is needed), a `kpi test` case with its accepted
//! snapshot, and CI files for GitHub Actions and GitLab CI.
use crate::Outcome;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct InitArgs {
    /// The folder to create (it must be empty or not exist, unless --force).
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// The client's name, for titles and the scorecard id (default: the folder's name).
    #[arg(long)]
    name: Option<String>,
    /// Write into a folder that is not empty, replacing the files `kpi init` writes (and no other).
    #[arg(long)]
    force: bool,
}

/// The standard library, as this build of `kpi` ships it.
pub const STANDARD: &[(&str, &str)] = &[
    ("client_health.kpi", include_str!("../../../../rules/client_health.kpi")),
    ("client_profitability.kpi", include_str!("../../../../rules/client_profitability.kpi")),
    ("common.kpi", include_str!("../../../../rules/common.kpi")),
    ("contracts_devices.kpi", include_str!("../../../../rules/contracts_devices.kpi")),
    ("intake.kpi", include_str!("../../../../rules/intake.kpi")),
    ("projects.kpi", include_str!("../../../../rules/projects.kpi")),
    ("sales.kpi", include_str!("../../../../rules/sales.kpi")),
    ("service_delivery.kpi", include_str!("../../../../rules/service_delivery.kpi")),
    ("tech_balanced.kpi", include_str!("../../../../rules/tech_balanced.kpi")),
    ("tech_time.kpi", include_str!("../../../../rules/tech_time.kpi")),
];

/// The files of the template (path in the folder, text with `@NAME@`, `@ID@`, `@VERSION@` and
/// `@REPOSITORY@` to fill in).
const TEMPLATE: &[(&str, &str)] = &[
    ("client.toml", include_str!("init/client.toml")),
    ("client.kpi", include_str!("init/client.kpi")),
    ("tests/example.toml", include_str!("init/example.toml")),
    (".github/workflows/kpi.yml", include_str!("init/github.yml")),
    (".gitlab-ci.yml", include_str!("init/gitlab.yml")),
    (".gitignore", "# pending snapshots of `kpi test`: review them, then `kpi test --accept`\n*.snap.new\n"),
    ("README.md", include_str!("init/README.md")),
];

pub fn run(args: InitArgs) -> Result<Outcome, Box<dyn std::error::Error>> {
    if let Some(problem) = refuse(&args.dir, args.force) {
        eprintln!("error: {problem}");
        return Ok(Outcome::Usage);
    }
    let name = args.name.clone().unwrap_or_else(|| folder_name(&args.dir));
    // The name goes into rule-file strings and TOML comments.
    let name: String = name.chars().filter(|c| !matches!(c, '"' | '\\') && !c.is_control()).collect();
    let id = identifier(&name);
    let fill = |text: &str| {
        text.replace("@NAME@", &name)
            .replace("@ID@", &id)
            .replace("@VERSION@", env!("CARGO_PKG_VERSION"))
            .replace("@REPOSITORY@", env!("CARGO_PKG_REPOSITORY"))
    };
    let mut written = Vec::new();
    for (path, text) in TEMPLATE {
        written.push(write(&args.dir, path, &fill(text))?);
    }
    for (file, text) in STANDARD {
        written.push(write(&args.dir, &format!("standard/{file}"), text)?);
    }
    // The case's snapshot is the rules' own results, accepted now: `kpi test` (and CI) pass at once.
    let case = args.dir.join("tests/example.toml");
    super::test::accept(&case).map_err(|e| format!("{}: {e}", case.display()))?;
    written.push(args.dir.join("tests/snapshots/example.snap"));
    for path in &written {
        println!("created {}", path.display());
    }
    let dir = args.dir.display();
    println!(
        "\nnext: cd {dir}, edit client.toml and client.kpi, then\n  kpi check --config client.toml\n  \
         kpi list --config client.toml\n  kpi test            (kpi test --accept after an intended change)\n  \
         kpi evaluate --config client.toml --data EXPORT_DIR"
    );
    Ok(Outcome::Ok)
}

/// Why `dir` cannot take a new client folder, if it cannot.
fn refuse(dir: &Path, force: bool) -> Option<String> {
    match std::fs::read_dir(dir).map(|mut entries| entries.next().is_some()) {
        Ok(true) if !force => Some(format!(
            "{} is not empty; name a new folder, or pass --force to write the template's files into it \
             (replacing those of the same name)",
            dir.display()
        )),
        Ok(_) => None,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(_) if dir.exists() => Some(format!("{} is not a folder", dir.display())),
        Err(e) => Some(format!("cannot read {}: {e}", dir.display())),
    }
}

fn write(dir: &Path, path: &str, text: &str) -> Result<PathBuf, String> {
    let target = dir.join(path);
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("cannot create `{}`: {e}", parent.display()))?;
    }
    crate::write_file(&target, text.as_bytes()).map_err(|e| e.to_string())?;
    Ok(target)
}

/// The folder's own name (`clients/acme` -> `acme`; `.` -> the current folder's name).
fn folder_name(dir: &Path) -> String {
    let absolute = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    absolute
        .components()
        .rev()
        .find_map(|c| match c {
            std::path::Component::Normal(n) => Some(n.to_string_lossy().into_owned()),
            _ => None,
        })
        .unwrap_or_else(|| "client".into())
}

/// A rule-language identifier from a client's name: `Acme Dental` -> `acme_dental`.
fn identifier(name: &str) -> String {
    let mut id = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            id.push(c.to_ascii_lowercase());
        } else if !id.is_empty() && !id.ends_with('_') {
            id.push('_');
        }
    }
    let id = id.trim_end_matches('_').to_string();
    match id.chars().next() {
        None => "client".into(),
        Some(c) if c.is_ascii_digit() => format!("client_{id}"),
        Some(_) => id,
    }
}

#[cfg(test)]
mod tests {
    use super::identifier;

    #[test]
    fn identifiers_from_names() {
        assert_eq!(identifier("Acme Dental Group"), "acme_dental_group");
        assert_eq!(identifier("acme-rules"), "acme_rules");
        assert_eq!(identifier("3M"), "client_3m");
        assert_eq!(identifier("---"), "client");
        assert_eq!(identifier("Café Zürich"), "caf_z_rich");
    }
}
