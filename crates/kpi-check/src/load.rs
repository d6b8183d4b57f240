//! Reading rule files from disk: directories, imports relative to the importing file, cycles.
//!
//! What rule files may read: rule files are `.kpi` files, named on the command line, found in a
//! directory named there, or imported; `rhai file` reads `.rhai` files. Only regular files are
//! read (not devices, FIFOs, sockets or directories), their size is checked before reading and
//! the read is bounded. Imports may leave the directory of the importing file (`../shared.kpi`,
//! an absolute path), but only to `.kpi` files. A file that is not text is said to be so, and
//! never quoted.
use crate::diagnostics as diag;
use kpi_syntax::ast::{Item, Module, Span};
use kpi_syntax::{decode, parse, Diagnostic, FileId, SourceMap};
use std::collections::{HashMap, HashSet};
use std::io::Read as _;
use std::path::{Path, PathBuf};

/// Rule files larger than this are refused before parsing (real rule files are a few kilobytes).
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;
/// `rhai file` scripts larger than this are refused.
pub const MAX_SCRIPT_BYTES: u64 = 1024 * 1024;

/// Why a file was not read.
#[derive(Debug)]
pub enum ReadError {
    /// Not a regular file: "a directory", "a character device", "a FIFO", ...
    NotAFile(&'static str),
    /// Larger than the limit: its size (or the limit plus one, for a file that grew while read).
    TooLarge(u64),
    Io(std::io::Error),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::NotAFile(kind) => write!(f, "it is {kind}, not a file"),
            ReadError::TooLarge(bytes) => write!(f, "it is {bytes} bytes"),
            ReadError::Io(err) => write!(f, "{err}"),
        }
    }
}

/// The bytes of the regular file `path` (symbolic links followed), at most `limit` of them.
/// Devices, FIFOs, sockets and directories are refused from their metadata, before they are
/// opened (reading `/dev/zero` never ends; opening a FIFO waits for a writer); the size is
/// checked before reading, and the read stops at `limit` + 1 bytes, so a file that grows while
/// it is read (or a `/proc` file, whose size reads 0) cannot exhaust memory.
pub fn read_regular(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let meta = std::fs::metadata(path).map_err(ReadError::Io)?;
    if !meta.is_file() {
        return Err(ReadError::NotAFile(file_kind(&meta)));
    }
    if meta.len() > limit {
        return Err(ReadError::TooLarge(meta.len()));
    }
    let file = std::fs::File::open(path).map_err(ReadError::Io)?;
    // The path may have changed between the two looks: judge what was opened.
    let opened = file.metadata().map_err(ReadError::Io)?;
    if !opened.is_file() {
        return Err(ReadError::NotAFile(file_kind(&opened)));
    }
    let mut bytes = Vec::with_capacity(opened.len().min(limit) as usize);
    file.take(limit + 1).read_to_end(&mut bytes).map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge(bytes.len() as u64));
    }
    Ok(bytes)
}

/// What a file that is not a regular file is, in words.
fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    let ty = meta.file_type();
    if ty.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ty.is_char_device() {
            return "a character device";
        }
        if ty.is_block_device() {
            return "a block device";
        }
        if ty.is_fifo() {
            return "a FIFO";
        }
        if ty.is_socket() {
            return "a socket";
        }
    }
    "not a regular file"
}

/// Text holds no NUL byte: a file that does is binary (or a `/proc` file such as `environ`), and
/// is reported without being quoted.
pub fn is_text(bytes: &[u8]) -> bool {
    !bytes.contains(&0)
}

/// Does `path` name a file of extension `ext`?
fn has_extension(path: &Path, ext: &str) -> bool {
    path.extension().is_some_and(|e| e == ext)
}
/// Longest chain of imports followed: loading recurses once per import, and so does the stack.
pub const MAX_IMPORT_DEPTH: usize = 64;

/// Every rule file of a run, parsed, with the diagnostics found so far.
#[derive(Debug, Default)]
pub struct Rules {
    pub sources: SourceMap,
    pub modules: Vec<LoadedModule>,
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Debug)]
pub struct LoadedModule {
    pub file: FileId,
    pub module: Module,
    /// Named on the command line (or found in a directory named there), not only imported.
    pub root: bool,
}

/// Rule files held in memory, by path: read instead of the disk (an editor's unsaved buffers,
/// rules built by a program). A path here need not exist on disk; imports resolve against it too.
pub type Overlay = std::collections::BTreeMap<PathBuf, String>;

/// Load `.kpi` files and directories of them (recursively, in name order), following imports.
pub fn load(paths: &[PathBuf]) -> Rules {
    load_with(paths, &Overlay::new())
}

/// As [`load`], reading the files of `overlay` from memory instead of the disk.
pub fn load_with(paths: &[PathBuf], overlay: &Overlay) -> Rules {
    let overlay: HashMap<PathBuf, &str> = overlay.iter().map(|(p, t)| (normalize(p), t.as_str())).collect();
    let mut loader = Loader { overlay, ..Loader::default() };
    for path in paths {
        let in_memory = loader.overlay.contains_key(&normalize(path));
        if !in_memory && path.is_dir() {
            let mut files = Vec::new();
            collect_kpi_files(path, &mut files, &mut loader.rules.diagnostics, &mut HashSet::new());
            if files.is_empty() {
                loader.rules.diagnostics.push(diag::no_kpi_files(path));
            }
            for file in files {
                loader.load_file(&file, None, &mut Vec::new());
            }
        } else if !in_memory && !has_extension(path, "kpi") {
            let diag = match std::fs::metadata(path) {
                Ok(meta) if !meta.is_file() => {
                    diag::not_a_file(&path.display().to_string(), file_kind(&meta))
                }
                _ => diag::not_a_rule_file(path),
            };
            loader.rules.diagnostics.push(diag);
        } else {
            loader.load_file(path, None, &mut Vec::new());
        }
    }
    loader.rules
}

/// Parse rule text that is not on disk (tests, `kpi test` inline rules).
pub fn load_text(path: &str, text: &str) -> Rules {
    let text = kpi_syntax::strip_bom(text);
    let mut rules = Rules::default();
    let file = rules.sources.add(path, text);
    let (module, diags) = parse(file, text);
    rules.diagnostics.extend(diags);
    rules.modules.push(LoadedModule { file, module, root: true });
    rules
}

/// `a/b/../c` -> `a/c`, without touching the file system, so that paths in messages stay short.
fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out: Vec<Component> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out.iter().collect()
}

/// The `.kpi` files under `dir`, in name order, each directory walked once: `visited` holds the
/// real paths of the directories seen, so that a symbolic link back up the tree ends the walk
/// there instead of looping.
fn collect_kpi_files(
    dir: &Path,
    out: &mut Vec<PathBuf>,
    diags: &mut Vec<Diagnostic>,
    visited: &mut HashSet<PathBuf>,
) {
    if !visited.insert(dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf())) {
        return;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) => {
            diags.push(diag::unreadable_dir(dir, &err));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            collect_kpi_files(&path, out, diags, visited);
        } else if has_extension(&path, "kpi") && path.is_file() {
            out.push(path);
        }
    }
}

#[derive(Default)]
struct Loader<'o> {
    rules: Rules,
    overlay: HashMap<PathBuf, &'o str>,
    /// Canonical path -> index into `rules.modules`.
    loaded: HashMap<PathBuf, usize>,
}

impl Loader<'_> {
    /// The path files are known by: the overlay's own, or the disk's canonical one.
    fn canonical(&self, path: &Path) -> PathBuf {
        let normal = normalize(path);
        if self.overlay.contains_key(&normal) {
            return normal;
        }
        path.canonicalize().unwrap_or(normal)
    }

    /// The bytes of a rule file, from the overlay or the disk (regular files of at most
    /// [`MAX_FILE_BYTES`]); `import` is where it was imported, for the error.
    fn read(&self, path: &Path, import: Option<(FileId, Span)>) -> Result<Vec<u8>, Box<Diagnostic>> {
        if let Some(text) = self.overlay.get(&normalize(path)) {
            return Ok(text.as_bytes().to_vec());
        }
        let shown = path.display().to_string();
        read_regular(path, MAX_FILE_BYTES).map_err(|err| {
            Box::new(match (import, err) {
                (Some((file, span)), ReadError::Io(err)) if err.kind() == std::io::ErrorKind::NotFound => {
                    diag::import_not_found(file, span, path)
                }
                (Some((file, span)), err) => diag::import_unreadable(file, span, &shown, &err),
                (None, ReadError::TooLarge(bytes)) => diag::file_too_large(&shown, bytes),
                (None, ReadError::NotAFile(kind)) => diag::not_a_file(&shown, kind),
                (None, ReadError::Io(err)) => diag::unreadable_file(&shown, &err),
            })
        })
    }

    /// Load one file and, depth first, what it imports. `import` is where it was imported from
    /// (`None`: named on the command line); `stack` is the import chain that led here.
    fn load_file(
        &mut self,
        path: &Path,
        import: Option<(FileId, Span)>,
        stack: &mut Vec<PathBuf>,
    ) -> Option<FileId> {
        let root = import.is_none();
        let canonical = self.canonical(path);
        if let Some(&index) = self.loaded.get(&canonical) {
            let module = &mut self.rules.modules[index];
            module.root |= root;
            return Some(module.file);
        }
        let shown = path.display().to_string();
        let bytes = match self.read(path, import) {
            Ok(bytes) => bytes,
            Err(diag) => {
                self.rules.diagnostics.push(*diag);
                return None;
            }
        };
        let next_id = FileId(self.rules.sources.files().count() as u32);
        if !is_text(&bytes) {
            // Binary, or a /proc file through a link: say so, and keep none of it to quote.
            let file = self.rules.sources.add(shown.clone(), "");
            self.rules.diagnostics.push(diag::not_text(&shown));
            self.loaded.insert(canonical, self.rules.modules.len());
            self.rules.modules.push(LoadedModule { file, module: Module::default(), root });
            return Some(file);
        }
        let text = match decode(next_id, bytes) {
            Ok(text) => text,
            Err((lossy, diag)) => {
                let file = self.rules.sources.add(shown, lossy);
                self.rules.diagnostics.push(diag);
                self.loaded.insert(canonical, self.rules.modules.len());
                self.rules.modules.push(LoadedModule { file, module: Module::default(), root });
                return Some(file);
            }
        };
        let file = self.rules.sources.add(shown, text);
        let (module, diags) = parse(file, &self.rules.sources.get(file).text);
        self.rules.diagnostics.extend(diags);
        let imports: Vec<(String, Span)> = module
            .items
            .iter()
            .filter_map(|item| match item {
                Item::Import(import) => Some((import.path.value.clone(), import.path.span)),
                _ => None,
            })
            .collect();
        self.loaded.insert(canonical.clone(), self.rules.modules.len());
        self.rules.modules.push(LoadedModule { file, module, root });
        stack.push(canonical);
        let base = path.parent().unwrap_or(Path::new(""));
        for (import, span) in imports {
            let target = normalize(&base.join(&import));
            let target_canonical = self.canonical(&target);
            if let Some(pos) = stack.iter().position(|p| *p == target_canonical) {
                let chain: Vec<String> = stack[pos..]
                    .iter()
                    .chain(std::iter::once(&target_canonical))
                    .map(|p| {
                        p.file_name().map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into())
                    })
                    .collect();
                self.rules.diagnostics.push(diag::import_cycle(file, span, &chain));
                continue;
            }
            if stack.len() >= MAX_IMPORT_DEPTH {
                self.rules.diagnostics.push(diag::imports_too_deep(file, span));
                continue;
            }
            if !has_extension(&target, "kpi") {
                self.rules.diagnostics.push(diag::import_not_kpi(file, span, &target));
                continue;
            }
            self.load_file(&target, Some((file, span)), stack);
        }
        stack.pop();
        Some(file)
    }
}
