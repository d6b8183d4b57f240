//! The columnar cache: a binary snapshot of a loaded dataset, so repeat loads of unchanged files skip parsing.
//!
//! One file per (dataset directory, load options): `<cache dir>/<key>.kpicache`. Layout, all
//! little-endian:
//!
//! ```text
//! header (40 bytes): magic "KPICACHE", format version u32, 0u32, meta offset u64, meta length u64,
//!                    xxh3 of the meta u64
//! blobs:             raw column arrays (u32 codes, i64, f64, u8 bools, dictionary bytes and u64
//!                    ends, u32 link rows), each starting on an 8-byte boundary
//! meta:              `Meta` in postcard (serde): the load key, the directory listing, a stamp
//!                    per file read (size, mtime, inode, ctime, xxh3 of its bytes), the columns
//!                    loaded (all, or a projection), the dataset's tables, columns, warnings,
//!                    links and row lines, and (offset, length, xxh3) of every blob
//! ```
//!
//! Reading maps the file into memory and hands the columns out as views of it ([`Buf`]): nothing
//! is copied or decoded, and only the columns asked for are touched. Each of those is checked
//! against its xxh3 first (about 0.1 ms per MB).
//!
//! The stamps describe what was parsed, not what is at the path when the cache is written: the
//! metadata comes from the handle each file was read through (taken when it was opened, and
//! checked again once it was read: a file written to meanwhile is not cached), the hash from the
//! bytes parsed, the listing from the one the load worked from. A file replaced while it was
//! loaded thus never gets a cache answering for it with the old file's data.
//!
//! A cache is used only when the magic, version, key and every checksum agree, the directory
//! lists the same files and the cache holds every column asked for; a file whose size changed
//! is stale, a file whose modification time, inode or change time changed is hashed again and
//! the cache is kept only when its bytes are the same. Anything else rebuilds it from the files
//! (loading the columns asked for and those the old cache held, so runs of different rules do
//! not evict each other). Writes go to a temporary file renamed into place, so a mapped cache
//! file never changes under a reader; temporary files of runs killed while writing are removed
//! by the next write (their process is gone, or they were untouched for 10 minutes).
use crate::buf::{Buf, Plain};
use crate::error::DataWarning;
use crate::intern::Dict;
use crate::{Column, ColumnData, Dataset, LoadOptions, Projection, Table, TextColumn};
use memmap2::Mmap;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use xxhash_rust::xxh3::{xxh3_64, Xxh3};

const MAGIC: &[u8; 8] = b"KPICACHE";
/// Bump on any change to the layout or to what a loaded dataset holds.
pub const FORMAT_VERSION: u32 = 8;
const HEADER_LEN: u64 = 40;

/// Where and when to cache loaded datasets (see the module docs for the format).
#[derive(Debug, Clone)]
pub struct CacheOptions {
    /// The directory holding cache files; created when needed.
    pub dir: PathBuf,
    /// Datasets whose files are smaller than this in all are not cached (parsing them is as
    /// fast as reading a snapshot).
    pub min_bytes: u64,
}

impl CacheOptions {
    /// The default place: `$KPI_CACHE_DIR`, else `$XDG_CACHE_HOME/kpi`, else `~/.cache/kpi`;
    /// `None` when none of them is set.
    pub fn default_dir() -> Option<PathBuf> {
        let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
        env("KPI_CACHE_DIR")
            .or_else(|| env("XDG_CACHE_HOME").map(|d| d.join("kpi")))
            .or_else(|| env("HOME").map(|d| d.join(".cache").join("kpi")))
    }
}

/// What the cache did for one load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheOutcome {
    /// The dataset came from the cache.
    Hit,
    /// The files were parsed and the cache (re)written; the reason it could not be used.
    Rebuilt(String),
    /// The files were parsed and not cached (too small, or the cache could not be written).
    NotCached(String),
}

/// What the file system says of a file: size, modification time, and (on Unix) inode and
/// change time, which no program can set back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FileMeta {
    pub(crate) size: u64,
    mtime_ns: i128,
    ino: u64,
    ctime_ns: i128,
}

impl FileMeta {
    pub(crate) fn of(meta: &std::fs::Metadata) -> FileMeta {
        #[cfg(unix)]
        let (ino, ctime_ns) = {
            use std::os::unix::fs::MetadataExt;
            (meta.ino(), i128::from(meta.ctime()) * 1_000_000_000 + i128::from(meta.ctime_nsec()))
        };
        #[cfg(not(unix))]
        let (ino, ctime_ns) = (0, 0);
        FileMeta { size: meta.len(), mtime_ns: mtime_ns(meta), ino, ctime_ns }
    }
}

/// One file a load read: its metadata taken from the handle it was read through (not from the
/// path, where another file may be by now), and the hash of the bytes parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Stamp {
    pub(crate) name: String,
    pub(crate) meta: FileMeta,
    pub(crate) hash: u64,
}

/// The cache file of `dir` under `options`.
pub fn cache_path(dir: &Path, options: &LoadOptions, cache: &CacheOptions) -> PathBuf {
    let abs = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let key = load_key(options);
    let dir_hash = xxh3_64(abs.to_string_lossy().as_bytes());
    cache.dir.join(format!("{dir_hash:016x}-{:016x}.kpicache", xxh3_64(key.as_bytes())))
}

/// Everything in the load options that changes what is loaded.
fn load_key(options: &LoadOptions) -> String {
    format!(
        "kpi-data {} format {FORMAT_VERSION}; timezone {}; skip_bad_rows {}; profile {:?}",
        env!("CARGO_PKG_VERSION"),
        options.timezone.name(),
        options.skip_bad_rows,
        options.profile
    )
}

/// The directory listing a cache compares: without cache files and their temporary files (a
/// cache directory may be the dataset's).
fn listing(dir: &Path) -> std::io::Result<Vec<String>> {
    crate::ingest::list_dir(dir).map(without_cache_files)
}

pub(crate) fn without_cache_files(mut names: Vec<String>) -> Vec<String> {
    let temporary = |n: &str| n.contains(".kpicache.") && n.ends_with(".tmp");
    names.retain(|n| !n.ends_with(".kpicache") && !temporary(n));
    names
}

fn mtime_ns(meta: &std::fs::Metadata) -> i128 {
    match meta.modified() {
        Ok(t) => match t.duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => d.as_nanos() as i128,
            Err(e) => -(e.duration().as_nanos() as i128),
        },
        Err(_) => 0,
    }
}

fn hash_file(path: &Path) -> Result<u64, String> {
    hash_file_io(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn hash_file_io(path: &Path) -> std::io::Result<u64> {
    let mut file = File::open(path)?;
    let mut hasher = Xxh3::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(hasher.digest());
        }
        hasher.update(&buf[..n]);
    }
}

/// Loads `dir` from the cache when it is valid, else from its files (then caches it).
pub fn load_cached(
    dir: &Path,
    options: &LoadOptions,
    cache: &CacheOptions,
) -> Result<(Dataset, CacheOutcome), crate::LoadErrors> {
    let (dataset, cached) = load_cached_later(dir, options, cache)?;
    let outcome = match cached {
        Cached::Done(outcome) => outcome,
        Cached::Pending(write) => write.write(&dataset),
    };
    Ok((dataset, outcome))
}

/// What [`load_cached_later`] left to do about the cache.
pub enum Cached {
    /// The dataset came from the cache.
    Done(CacheOutcome),
    /// The dataset was parsed: the cache is still to be written, by [`PendingWrite::write`].
    Pending(Box<PendingWrite>),
}

/// A cache to write for a dataset just parsed; [`PendingWrite::write`] can run on another thread
/// while the dataset is used.
pub struct PendingWrite {
    dir: PathBuf,
    options: LoadOptions,
    cache: CacheOptions,
    path: PathBuf,
    reason: String,
}

impl PendingWrite {
    /// Writes the cache of `dataset` (the one [`load_cached_later`] returned with this).
    pub fn write(self, dataset: &Dataset) -> CacheOutcome {
        write_for(dataset, &self.dir, &self.options, &self.cache, &self.path, self.reason)
    }

    /// Where the cache goes.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// As [`load_cached`], but a cache to (re)write is returned as work still to do, so that the
/// caller can write it while it evaluates.
pub fn load_cached_later(
    dir: &Path,
    options: &LoadOptions,
    cache: &CacheOptions,
) -> Result<(Dataset, Cached), crate::LoadErrors> {
    let path = cache_path(dir, options, cache);
    let (reason, held) = match read_cache(&path, dir, options) {
        Ok(dataset) => return Ok((dataset, Cached::Done(CacheOutcome::Hit))),
        Err(miss) => miss,
    };
    // Load what was asked for and what the old cache held, so that runs needing different
    // columns do not take turns rebuilding it.
    let mut wider = options.clone();
    wider.columns = match (&options.columns, held) {
        (Some(asked), Some(Some(held))) => Some(union(asked, &held)),
        (Some(_), Some(None)) | (None, _) => None,
        (Some(asked), None) => Some(asked.clone()),
    };
    let dataset = crate::ingest::load_stamped(dir, &wider)?;
    let pending = PendingWrite { dir: dir.to_path_buf(), options: wider, cache: cache.clone(), path, reason };
    Ok((dataset, Cached::Pending(Box::new(pending))))
}

fn union(a: &Projection, b: &Projection) -> Projection {
    let mut out = a.clone();
    for (table, columns) in b {
        out.entry(table.clone()).or_default().extend(columns.iter().cloned());
    }
    out
}

/// Whether a cache holding `held` (`None`: every column) has every column `asked` for.
fn covers(held: &Option<Projection>, asked: &Option<Projection>) -> bool {
    match (held, asked) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(held), Some(asked)) => asked.iter().all(|(table, columns)| {
            columns.is_empty() || held.get(table).is_some_and(|h| columns.is_subset(h))
        }),
    }
}

/// Whether a load with projection `asked` returns column `column` of `table`.
fn wanted(asked: &Option<Projection>, table: &str, column: &str) -> bool {
    match asked {
        None => true,
        Some(p) => crate::is_key_column(table, column) || p.get(table).is_some_and(|c| c.contains(column)),
    }
}

fn write_for(
    dataset: &Dataset,
    dir: &Path,
    options: &LoadOptions,
    cache: &CacheOptions,
    path: &Path,
    reason: String,
) -> CacheOutcome {
    // The stamps of what was parsed, taken while it was read: the files at the paths now may
    // be others.
    let Some(read) = &dataset.read else {
        return CacheOutcome::NotCached("the dataset was not loaded for the cache".into());
    };
    if let Some(why) = read.unstamped.first() {
        return CacheOutcome::NotCached(format!("{}: not cached", dir.join(why).display()));
    }
    let total: u64 = read.stamps.iter().map(|s| s.meta.size).sum();
    if total < cache.min_bytes {
        return CacheOutcome::NotCached(format!("{total} bytes of files: below the cache's minimum"));
    }
    match write_cache(path, dataset, options, &read.names, &read.stamps) {
        Ok(()) => CacheOutcome::Rebuilt(reason),
        Err(e) => CacheOutcome::NotCached(e),
    }
}

// ---------------------------------------------------------------------------------------------
// The meta section: everything but the column data, encoded with postcard (serde).

/// The meta section of a cache file.
#[derive(Serialize, Deserialize)]
struct Meta {
    /// [`load_key`] of the options the cache was made with.
    key: String,
    /// The directory listing when the cache was written.
    names: Vec<String>,
    /// Each file read.
    stamps: Vec<Stamp>,
    /// The columns held: `None` for every column.
    columns: Option<Projection>,
    timezone: String,
    skipped_rows: BTreeMap<String, usize>,
    warnings: Vec<WarningMeta>,
    other_files: Vec<String>,
    absent_columns: BTreeMap<String, Vec<String>>,
    files: Vec<String>,
    tables: Vec<TableMeta>,
    /// Per table, the blob of each link's rows.
    links: Vec<Vec<u32>>,
    /// Per table, the line of each row: the first, the count, and a blob of every row's line
    /// when they do not follow one another.
    lines: Vec<(u32, u64, Option<u32>)>,
    /// `(offset, length, xxh3)` of every blob.
    blobs: Vec<(u64, u64, u64)>,
}

/// A [`DataWarning`], kept apart so the public type needs no serde.
#[derive(Serialize, Deserialize)]
struct WarningMeta {
    file: String,
    line: usize,
    message: String,
    count: usize,
}

#[derive(Serialize, Deserialize)]
struct TableMeta {
    name: String,
    present: bool,
    len: usize,
    columns: Vec<ColMeta>,
}

#[derive(Serialize, Deserialize)]
struct ColMeta {
    name: String,
    custom: bool,
    /// The null mask's blob.
    valid: Option<u32>,
    spec: ColSpec,
}

/// A column's type and blob ids.
#[derive(Serialize, Deserialize)]
enum ColSpec {
    Text { codes: u32, text: u32, ends: u32 },
    Int(u32),
    Number(u32),
    Bool(u32),
    Timestamp(u32),
}

// ---------------------------------------------------------------------------------------------
// Writing

/// Streams blobs into the file, hashing each, and remembers where they are.
struct BlobWriter<W: Write> {
    out: W,
    pos: u64,
    blobs: Vec<(u64, u64, u64)>,
    buf: Vec<u8>,
}

impl<W: Write> BlobWriter<W> {
    /// Writes one blob made of `items` encoded by `put`; returns its id.
    fn blob<T: Copy>(&mut self, items: &[T], put: impl Fn(&mut Vec<u8>, T)) -> std::io::Result<u32> {
        // Every blob starts 8-byte aligned, so that it can be viewed in place as `[i64]` etc.
        let pad = (8 - self.pos % 8) % 8;
        self.out.write_all(&[0u8; 8][..pad as usize])?;
        self.pos += pad;
        let start = self.pos;
        let mut hasher = Xxh3::new();
        for chunk in items.chunks(1 << 16) {
            self.buf.clear();
            for &x in chunk {
                put(&mut self.buf, x);
            }
            hasher.update(&self.buf);
            self.out.write_all(&self.buf)?;
            self.pos += self.buf.len() as u64;
        }
        self.blobs.push((start, self.pos - start, hasher.digest()));
        Ok(self.blobs.len() as u32 - 1)
    }

    fn bytes(&mut self, bytes: &[u8]) -> std::io::Result<u32> {
        self.blob(bytes, |b, x| b.push(x))
    }

    fn u32s(&mut self, v: &[u32]) -> std::io::Result<u32> {
        self.blob(v, |b, x| b.extend_from_slice(&x.to_le_bytes()))
    }

    fn i64s(&mut self, v: &[i64]) -> std::io::Result<u32> {
        self.blob(v, |b, x| b.extend_from_slice(&x.to_le_bytes()))
    }

    fn bools(&mut self, v: &[bool]) -> std::io::Result<u32> {
        self.blob(v, |b, x| b.push(x as u8))
    }

    /// Writes a column's blobs; returns what the meta says of it.
    fn column(&mut self, col: &Column) -> std::io::Result<ColMeta> {
        let valid = col.valid.as_ref().map(|v| self.bools(v)).transpose()?;
        let spec = match &col.data {
            ColumnData::Text(t) => {
                let codes = self.u32s(&t.codes)?;
                let (text, ends) = t.dict.parts();
                let text = self.bytes(text)?;
                let ends = self.blob(ends, |b, x| b.extend_from_slice(&x.to_le_bytes()))?;
                ColSpec::Text { codes, text, ends }
            }
            ColumnData::Int(v) => ColSpec::Int(self.i64s(v)?),
            ColumnData::Timestamp(v) => ColSpec::Timestamp(self.i64s(v)?),
            ColumnData::Number(v) => {
                ColSpec::Number(self.blob(v, |b, x| b.extend_from_slice(&x.to_le_bytes()))?)
            }
            ColumnData::Bool(v) => ColSpec::Bool(self.bools(v)?),
        };
        Ok(ColMeta { name: col.name.clone(), custom: col.custom, valid, spec })
    }
}

/// Writes the cache at `path` through a temporary file renamed into place; the error names the
/// path it concerns.
fn write_cache(
    path: &Path,
    dataset: &Dataset,
    options: &LoadOptions,
    names: &[String],
    stamps: &[Stamp],
) -> Result<(), String> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    remove_abandoned(dir);
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        std::process::id()
    ));
    // No fsync: a cache cut short by a crash fails its checksums and is rebuilt.
    let result = write_file(&tmp, dataset, options, names, stamps)
        .map_err(|e| format!("cannot write {}: {e}", tmp.display()))
        .and_then(|()| {
            std::fs::rename(&tmp, path)
                .map_err(|e| format!("cannot rename {} to {}: {e}", tmp.display(), path.display()))
        });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// A temporary file untouched this long belongs to no write still going on.
const ABANDONED_AFTER: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// Removes the temporary files of writes that never finished (a run killed while writing):
/// `.<name>.kpicache.<pid>.tmp` of a process that is gone (Linux) or untouched for 10 minutes.
/// A write in progress touches its file all along; its process is alive.
fn remove_abandoned(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix('.')
            .and_then(|n| n.strip_suffix(".tmp"))
            .and_then(|n| n.rsplit_once(".kpicache."))
            .and_then(|(_, pid)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == std::process::id() {
            continue;
        }
        let gone = cfg!(target_os = "linux") && !Path::new(&format!("/proc/{pid}")).exists();
        let idle = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t.elapsed().is_ok_and(|age| age > ABANDONED_AFTER));
        if gone || idle {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Writes the cache file at `tmp`: a blank header, the blobs, the meta, then the header.
fn write_file(
    tmp: &Path,
    dataset: &Dataset,
    options: &LoadOptions,
    names: &[String],
    stamps: &[Stamp],
) -> std::io::Result<()> {
    let mut file = File::create(tmp)?;
    file.write_all(&[0u8; HEADER_LEN as usize])?;
    let mut w = BlobWriter {
        out: BufWriter::with_capacity(1 << 20, &mut file),
        pos: HEADER_LEN,
        blobs: Vec::new(),
        buf: Vec::new(),
    };
    let mut tables = Vec::with_capacity(dataset.tables.len());
    for t in &dataset.tables {
        let columns = t.columns.iter().map(|c| w.column(c)).collect::<std::io::Result<_>>()?;
        tables.push(TableMeta { name: t.name.clone(), present: t.present, len: t.len, columns });
    }
    let links = (dataset.links.iter())
        .map(|per_table| per_table.iter().map(|l| w.u32s(l)).collect())
        .collect::<std::io::Result<_>>()?;
    let lines = (dataset.lines.iter())
        .map(|l| {
            let list = if l.list.is_empty() { None } else { Some(w.u32s(&l.list)?) };
            Ok((l.first, l.len as u64, list))
        })
        .collect::<std::io::Result<_>>()?;
    let warnings = (dataset.warnings.iter())
        .map(|w| WarningMeta {
            file: w.file.clone(),
            line: w.line,
            message: w.message.clone(),
            count: w.count,
        })
        .collect();
    let meta = Meta {
        key: load_key(options),
        names: names.to_vec(),
        stamps: stamps.to_vec(),
        columns: options.columns.clone(),
        timezone: dataset.timezone.name().to_string(),
        skipped_rows: dataset.skipped_rows.clone(),
        warnings,
        other_files: dataset.other_files.clone(),
        absent_columns: dataset.absent_columns.clone(),
        files: dataset.files.clone(),
        tables,
        links,
        lines,
        blobs: std::mem::take(&mut w.blobs),
    };
    let meta = postcard::to_stdvec(&meta).map_err(std::io::Error::other)?;
    let meta_offset = w.pos;
    w.out.write_all(&meta)?;
    w.out.flush()?;
    drop(w);
    let mut header = Vec::with_capacity(HEADER_LEN as usize);
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    header.extend_from_slice(&0u32.to_le_bytes());
    header.extend_from_slice(&meta_offset.to_le_bytes());
    header.extend_from_slice(&(meta.len() as u64).to_le_bytes());
    header.extend_from_slice(&xxh3_64(&meta).to_le_bytes());
    file.seek(SeekFrom::Start(0))?;
    file.write_all(&header)
}

// ---------------------------------------------------------------------------------------------
// Reading

/// Why a cache was not used, and the columns it held when its meta could be read
/// (`Some(None)`: every column).
type Miss = (String, Option<Option<Projection>>);

/// The blobs of a mapped cache file: `(offset, length, xxh3)`.
struct Blobs {
    map: Arc<Mmap>,
    list: Vec<(u64, u64, u64)>,
}

impl Blobs {
    /// Blob `id` viewed as `[T]`, after checking its checksum.
    fn get<T: Plain>(&self, id: u32) -> Result<Buf<T>, String> {
        let &(offset, len, hash) = self.list.get(id as usize).ok_or("a blob id out of range")?;
        let (offset, len) = (offset as usize, len as usize);
        let bytes = &self.map[offset..offset + len];
        if xxh3_64(bytes) != hash {
            return Err("a column's checksum does not match (corrupt)".into());
        }
        let size = std::mem::size_of::<T>();
        if len % size != 0 {
            return Err("a blob of the wrong length".into());
        }
        Buf::mapped(&self.map, offset, len / size)
            .ok_or_else(|| "a blob misaligned or with bad values".into())
    }

    fn column(&self, c: ColMeta, len: usize) -> Result<Column, String> {
        let valid = c.valid.map(|v| self.get::<bool>(v)).transpose()?;
        let data = match c.spec {
            ColSpec::Text { codes, text, ends } => {
                let codes = self.get::<u32>(codes)?;
                let dict =
                    Dict::from_parts(self.get(text)?, self.get(ends)?).ok_or("a dictionary out of bounds")?;
                let n = dict.len() as u32;
                if codes.iter().any(|&c| c != crate::NULL_CODE && c >= n) {
                    return Err("a text code out of range".into());
                }
                ColumnData::Text(TextColumn::from_parts(codes, dict))
            }
            ColSpec::Int(b) => ColumnData::Int(self.get(b)?),
            ColSpec::Timestamp(b) => ColumnData::Timestamp(self.get(b)?),
            ColSpec::Number(b) => ColumnData::Number(self.get(b)?),
            ColSpec::Bool(b) => ColumnData::Bool(self.get(b)?),
        };
        if data.len() != len || valid.as_ref().is_some_and(|v| v.len() != len) {
            return Err("a column of the wrong length".into());
        }
        Ok(Column { name: c.name, custom: c.custom, data, valid })
    }
}

/// Reads the cache at `path` for `dir`, mapping it; `Err` says why it cannot be used.
fn read_cache(path: &Path, dir: &Path, options: &LoadOptions) -> Result<Dataset, Miss> {
    let miss = |reason: String| (reason, None);
    let file = File::open(path).map_err(|e| miss(format!("no cache at {} ({e})", path.display())))?;
    if cfg!(target_endian = "big") {
        return Err(miss("the cache is little-endian; this machine is not".into()));
    }
    // SAFETY: cache files are only ever replaced by a rename, never written in place, so the
    // mapped file does not change while it is mapped (see the module docs).
    #[allow(unsafe_code)]
    let map = Arc::new(
        unsafe { Mmap::map(&file) }.map_err(|e| miss(format!("cannot map {}: {e}", path.display())))?,
    );
    let file_len = map.len() as u64;
    let header = map.get(..HEADER_LEN as usize).ok_or_else(|| miss("the cache file is cut short".into()))?;
    if &header[..8] != MAGIC {
        return Err(miss("not a kpi cache file".into()));
    }
    let word = |i: usize| u64::from_le_bytes(header[i..i + 8].try_into().expect("8 bytes"));
    let version = u32::from_le_bytes(header[8..12].try_into().expect("4 bytes"));
    if header[12..16] != [0; 4] {
        return Err(miss("not a kpi cache file (reserved bytes set)".into()));
    }
    if version != FORMAT_VERSION {
        return Err(miss(format!("cache format {version}, this kpi reads {FORMAT_VERSION}")));
    }
    let (meta_offset, meta_len, meta_hash) = (word(16), word(24), word(32));
    if meta_offset < HEADER_LEN || meta_offset.checked_add(meta_len) != Some(file_len) {
        return Err(miss("the cache file is cut short or has bytes past its end".into()));
    }
    let meta = &map[meta_offset as usize..];
    if xxh3_64(meta) != meta_hash {
        return Err(miss("the cache's checksum does not match (corrupt)".into()));
    }
    let meta = match postcard::take_from_bytes::<Meta>(meta) {
        Ok((meta, [])) => meta,
        Ok(_) => return Err(miss("bytes left over in the meta".into())),
        Err(e) => return Err(miss(format!("the cache's meta does not decode ({e})"))),
    };
    if meta.key != load_key(options) {
        return Err(miss("made with other load options".into()));
    }
    let held = Some(meta.columns.clone());
    read_meta(meta, &map, meta_offset, dir, options).map_err(|reason| (reason, held))
}

/// The dataset the meta describes, when the files are unchanged and the cache holds every column
/// asked for; the columns are views of `map`.
fn read_meta(
    meta: Meta,
    map: &Arc<Mmap>,
    meta_offset: u64,
    dir: &Path,
    options: &LoadOptions,
) -> Result<Dataset, String> {
    if meta.names != listing(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))? {
        return Err("the directory's files changed".into());
    }
    for s in &meta.stamps {
        let file = dir.join(&s.name);
        let m = std::fs::metadata(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let now = FileMeta::of(&m);
        if now.size != s.meta.size {
            return Err(format!("{} changed size", s.name));
        }
        // Another modification time, inode or change time: the bytes decide.
        if now != s.meta && hash_file(&file)? != s.hash {
            return Err(format!("{} changed", s.name));
        }
    }
    if !covers(&meta.columns, &options.columns) {
        return Err("the cache lacks columns these rules read".into());
    }
    let timezone: chrono_tz::Tz = meta.timezone.parse().map_err(|_| "an unknown time zone".to_string())?;
    // Blobs lie in order, each after at most 7 bytes of zeros (alignment): no byte of the file
    // goes unchecked.
    let mut end = HEADER_LEN;
    for &(offset, len, _) in &meta.blobs {
        if offset < end || offset - end > 7 || offset.checked_add(len).is_none_or(|e| e > meta_offset) {
            return Err("a blob out of bounds".into());
        }
        if map[end as usize..offset as usize].iter().any(|&b| b != 0) {
            return Err("padding that is not zero (corrupt)".into());
        }
        end = offset + len;
    }
    if meta_offset - end > 7 || map[end as usize..meta_offset as usize].iter().any(|&b| b != 0) {
        return Err("padding that is not zero (corrupt)".into());
    }
    let blobs = Blobs { map: Arc::clone(map), list: meta.blobs };
    let tables = view_tables(&blobs, meta.tables, &options.columns)?;
    let mut links = Vec::with_capacity(meta.links.len());
    for (ti, per_table) in meta.links.into_iter().enumerate() {
        let len = tables.get(ti).map_or(0, |t| t.len);
        let mut table_links = Vec::new();
        for l in per_table {
            match blobs.get::<u32>(l)? {
                v if v.len() == len => table_links.push(v),
                _ => return Err("a link of the wrong length".into()),
            }
        }
        links.push(table_links);
    }
    let mut lines = Vec::with_capacity(meta.lines.len());
    for (ti, (first, len, list)) in meta.lines.into_iter().enumerate() {
        let rows = tables.get(ti).map_or(0, |t| t.len);
        let list = list.map(|l| blobs.get::<u32>(l)).transpose()?.unwrap_or_default();
        if len != rows as u64 || !(list.is_empty() || list.len() == rows) {
            return Err("row lines of the wrong length".into());
        }
        lines.push(crate::ingest::Lines { first, len: rows, list });
    }
    // The shape must be what the evaluator expects of a loaded dataset.
    let shape_ok = tables.len() == kpi_schema::TABLES.len()
        && lines.len() == kpi_schema::TABLES.len()
        && links.len() == kpi_schema::TABLES.len()
        && meta.files.len() == kpi_schema::TABLES.len()
        && kpi_schema::TABLES
            .iter()
            .zip(&tables)
            .zip(&links)
            .all(|((s, t), l)| s.name == t.name && l.len() == s.links.len());
    if !shape_ok {
        return Err("tables that do not match the schema".into());
    }
    let warnings = (meta.warnings.into_iter())
        .map(|w| DataWarning { file: w.file, line: w.line, message: w.message, count: w.count })
        .collect();
    Ok(Dataset {
        timezone,
        tables,
        skipped_rows: meta.skipped_rows,
        warnings,
        other_files: meta.other_files,
        reshaped: BTreeMap::new(),
        absent_columns: meta.absent_columns,
        links,
        files: meta.files,
        lines,
        read: None,
    })
}

/// The tables with the columns `asked` for, each checked and viewed in parallel (largest tables
/// first).
fn view_tables(
    blobs: &Blobs,
    tables: Vec<TableMeta>,
    asked: &Option<Projection>,
) -> Result<Vec<Table>, String> {
    let mut jobs = Vec::new();
    let mut out: Vec<Table> = Vec::with_capacity(tables.len());
    for (ti, t) in tables.into_iter().enumerate() {
        for (ci, c) in t.columns.into_iter().enumerate() {
            if wanted(asked, &t.name, &c.name) {
                jobs.push((ti, ci, t.len, c));
            }
        }
        out.push(Table { name: t.name, present: t.present, len: t.len, columns: Vec::new() });
    }
    jobs.sort_by_key(|j| std::cmp::Reverse(j.2));
    let mut columns: Vec<(usize, usize, Column)> = jobs
        .into_par_iter()
        .map(|(ti, ci, len, c)| blobs.column(c, len).map(|col| (ti, ci, col)))
        .collect::<Result<_, String>>()?;
    columns.sort_by_key(|c| (c.0, c.1));
    for (ti, _, col) in columns {
        out[ti].columns.push(col);
    }
    Ok(out)
}
