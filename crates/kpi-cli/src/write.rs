//! Writing output files without damaging what is at the path: a device or FIFO is written in
//! place, a symbolic link is followed and kept, a file keeps its mode and owner, and a reader
//! never sees half a file.
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A write that failed, naming the path.
#[derive(Debug)]
pub struct WriteError(String);

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for WriteError {}

fn failed(path: &Path, e: std::io::Error) -> WriteError {
    let hint = match e.raw_os_error() {
        Some(28) => " (the disk is full; free some space or write elsewhere)",
        _ => "",
    };
    WriteError(format!("cannot write `{}`: {e}{hint}", path.display()))
}

/// Write `bytes` to `path`: a regular file (or a new one) is replaced through a temporary file
/// beside it and a rename; anything else at the path (a device such as `/dev/null`, a FIFO) is
/// written in place. A symbolic link is followed, so the link stays and its target changes.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    write_file_with(path, &mut |out| out.write_all(bytes))
}

/// [`write_file`] of what `write` writes, as it writes it (buffered).
pub fn write_file_with(
    path: &Path,
    write: &mut dyn FnMut(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), WriteError> {
    let target = resolve_links(path).map_err(|e| failed(path, e))?;
    match fs::metadata(&target) {
        Ok(meta) if !meta.is_file() && !meta.is_dir() => {
            let file = fs::OpenOptions::new().write(true).open(&target).map_err(|e| failed(path, e))?;
            let mut out = std::io::BufWriter::new(file);
            write(&mut out).and_then(|_| out.flush()).map_err(|e| failed(path, e))
        }
        Ok(meta) if meta.is_dir() => {
            Err(WriteError(format!("cannot write `{}`: it is a directory; name a file", path.display())))
        }
        Ok(meta) => replace(&target, write, Some(&meta)).map_err(|e| failed(path, e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            replace(&target, write, None).map_err(|e| failed(path, e))
        }
        Err(e) => Err(failed(path, e)),
    }
}

/// The path a chain of symbolic links leads to (which need not exist yet).
fn resolve_links(path: &Path) -> std::io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = fs::read_link(&current)?;
                current = match current.parent() {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(std::io::Error::other("too many levels of symbolic links"))
}

/// Write a temporary file beside `path` and rename it over `path`, keeping the old file's
/// permissions and owner; the temporary file is removed when anything fails.
fn replace(
    path: &Path,
    write: &mut dyn FnMut(&mut dyn Write) -> std::io::Result<()>,
    old: Option<&fs::Metadata>,
) -> std::io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "output".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let file = fs::OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        let mut out = std::io::BufWriter::with_capacity(1 << 16, file);
        write(&mut out)?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        if let Some(old) = old {
            file.set_permissions(old.permissions())?;
            keep_owner(&tmp, old);
        }
        drop(file);
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(unix)]
fn keep_owner(tmp: &Path, old: &fs::Metadata) {
    use std::os::unix::fs::MetadataExt;
    // Only root may give a file away; for anyone else the new file is theirs, as it would be
    // after any editor's save.
    let _ = std::os::unix::fs::chown(tmp, Some(old.uid()), Some(old.gid()));
}

#[cfg(not(unix))]
fn keep_owner(_: &Path, _: &fs::Metadata) {}
