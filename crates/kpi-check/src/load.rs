//! Reading rule files from disk: directories, imports relative to the importing file, cycles.
use crate::diagnostics as diag;
use kpi_syntax::ast::{Item, Module, Span};
use kpi_syntax::{decode, parse, Diagnostic, FileId, SourceMap};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Rule files larger than this are refused before parsing (real rule files are a few kilobytes).
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;
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
        if !loader.overlay.contains_key(&normalize(path)) && path.is_dir() {
            let mut files = Vec::new();
            collect_kpi_files(path, &mut files, &mut loader.rules.diagnostics);
            if files.is_empty() {
                loader.rules.diagnostics.push(diag::no_kpi_files(path));
            }
            for file in files {
                loader.load_file(&file, true, &mut Vec::new());
            }
        } else {
            loader.load_file(path, true, &mut Vec::new());
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

fn collect_kpi_files(dir: &Path, out: &mut Vec<PathBuf>, diags: &mut Vec<Diagnostic>) {
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
            collect_kpi_files(&path, out, diags);
        } else if path.extension().is_some_and(|e| e == "kpi") {
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

    /// The bytes of a rule file, from the overlay or the disk (refusing huge files).
    fn read(&self, path: &Path) -> Result<Vec<u8>, Box<Diagnostic>> {
        if let Some(text) = self.overlay.get(&normalize(path)) {
            return Ok(text.as_bytes().to_vec());
        }
        let shown = path.display();
        let bytes = match std::fs::metadata(path) {
            Ok(meta) if meta.len() > MAX_FILE_BYTES => {
                return Err(Box::new(diag::file_too_large(&shown.to_string(), meta.len())));
            }
            Ok(_) => std::fs::read(path),
            Err(err) => Err(err),
        };
        bytes.map_err(|err| Box::new(diag::unreadable_file(&shown.to_string(), &err)))
    }

    /// Load one file and, depth first, what it imports. `stack` is the import chain that led here.
    fn load_file(&mut self, path: &Path, root: bool, stack: &mut Vec<PathBuf>) -> Option<FileId> {
        let canonical = self.canonical(path);
        if let Some(&index) = self.loaded.get(&canonical) {
            let module = &mut self.rules.modules[index];
            module.root |= root;
            return Some(module.file);
        }
        let shown = path.display().to_string();
        let bytes = match self.read(path) {
            Ok(bytes) => bytes,
            Err(diag) => {
                self.rules.diagnostics.push(*diag);
                return None;
            }
        };
        let next_id = FileId(self.rules.sources.files().count() as u32);
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
            if !self.overlay.contains_key(&target) && !target.is_file() {
                self.rules.diagnostics.push(diag::import_not_found(file, span, &target));
                continue;
            }
            self.load_file(&target, false, stack);
        }
        stack.pop();
        Some(file)
    }
}
