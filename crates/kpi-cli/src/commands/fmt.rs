//! `kpi fmt`: rewrite `.kpi` files in the canonical layout (see `kpi_syntax::format`), or with
//! `--check` list the files that are not in it.
use crate::Outcome;
use kpi_syntax::format::{format, FormatError};
use std::collections::HashSet;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct FmtArgs {
    /// `.kpi` files, or directories to search for them (recursively).
    #[arg(required = true, value_name = "RULES")]
    paths: Vec<PathBuf>,
    /// Change nothing: list the files that would change, and exit 1 if there are any.
    #[arg(long)]
    check: bool,
}

pub fn run(args: FmtArgs) -> Result<Outcome, Box<dyn std::error::Error>> {
    let mut files = Vec::new();
    let mut visited = HashSet::new();
    for path in &args.paths {
        if path.is_dir() {
            collect(path, &mut files, &mut visited)?;
        } else if !path.exists() {
            return Err(format!("{}: no such file or directory", path.display()).into());
        } else if path.extension().is_none_or(|e| e != "kpi") {
            return Err(
                format!("{}: not a .kpi rule file; kpi fmt formats .kpi files", path.display()).into()
            );
        } else {
            files.push(path.clone());
        }
    }
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let (mut changed, mut failed) = (0usize, 0usize);
    for path in &files {
        let mut sources = kpi_syntax::SourceMap::default();
        let shown = path.display().to_string();
        // Only regular files, of bounded size (a `.kpi` link to /dev/zero is not read).
        let bytes = match kpi_check::load::read_regular(path, kpi_check::load::MAX_FILE_BYTES) {
            Ok(bytes) if kpi_check::load::is_text(&bytes) => bytes,
            Ok(_) => {
                eprintln!("{shown}: not a text file (it holds NUL bytes); left as it is");
                failed += 1;
                continue;
            }
            Err(e) => {
                eprintln!("{shown}: cannot read it: {e}");
                failed += 1;
                continue;
            }
        };
        // `decode` drops a byte order mark; the canonical layout has none.
        let had_bom = bytes.starts_with(b"\xEF\xBB\xBF");
        let text = match kpi_syntax::decode(kpi_syntax::FileId(0), bytes) {
            Ok(text) => text,
            Err((lossy, diagnostic)) => {
                sources.add(shown, lossy);
                eprint!("{}", diagnostic.render(&sources, color));
                failed += 1;
                continue;
            }
        };
        let file = sources.add(shown.clone(), text.clone());
        match format(file, &text) {
            Ok(formatted) if formatted == text && !had_bom => {}
            Ok(formatted) => {
                changed += 1;
                if args.check {
                    println!("{shown}");
                } else {
                    crate::write_file(path, formatted.as_bytes())?;
                    eprintln!("formatted {shown}");
                }
            }
            Err(FormatError::Syntax(diagnostics)) => {
                for d in &diagnostics {
                    eprint!("{}", d.render(&sources, color));
                }
                eprintln!("{shown}: not formatted, it has syntax errors");
                failed += 1;
            }
            Err(e @ FormatError::Changed) => {
                eprintln!("{shown}: {e}");
                failed += 1;
            }
        }
    }
    let s = |n: usize| if n == 1 { "" } else { "s" };
    if args.check && changed > 0 {
        eprintln!("{changed} of {} file{} not formatted; run `kpi fmt` on them", files.len(), s(files.len()));
    } else if !args.check {
        let unchanged = files.len() - changed - failed;
        let refused =
            if failed > 0 { format!(", {failed} with errors left as they are") } else { String::new() };
        eprintln!(
            "{} file{}: {changed} formatted, {unchanged} unchanged{refused}",
            files.len(),
            s(files.len())
        );
    }
    Ok(if failed > 0 || args.check && changed > 0 { Outcome::Failed } else { Outcome::Ok })
}

/// The `.kpi` files under `dir`, sorted; hidden directories and `target/` are skipped, and each
/// directory is walked once (`visited` holds their real paths: a symbolic link back up the tree
/// does not loop).
fn collect(dir: &Path, files: &mut Vec<PathBuf>, visited: &mut HashSet<PathBuf>) -> std::io::Result<()> {
    if !visited.insert(dir.canonicalize()?) {
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if path.is_dir() {
            if !name.starts_with('.') && name != "target" {
                collect(&path, files, visited)?;
            }
        } else if path.extension().is_some_and(|e| e == "kpi") && path.is_file() {
            // A file reached twice through links is formatted once.
            if visited.insert(path.canonicalize()?) {
                files.push(path);
            }
        }
    }
    Ok(())
}
