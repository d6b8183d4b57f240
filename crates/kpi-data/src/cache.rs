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
//! meta:              the load key, the directory listing, a stamp per file read (size, mtime,
//!                    xxh3 of its bytes), the columns loaded (all, or a projection), the
//!                    dataset's tables, columns, warnings and links, and (offset, length, xxh3)
//!                    of every blob
//! ```
//!
//! Reading maps the file into memory and hands the columns out as views of it ([`Buf`]): nothing
//! is copied or decoded, and only the columns asked for are touched. Each of those is checked
//! against its xxh3 first (about 0.1 ms per MB).
//!
//! A cache is used only when the magic, version, key and every checksum agree, the directory
//! lists the same files and the cache holds every column asked for; a file whose size changed
//! is stale, a file whose mtime changed is hashed again and the cache is kept only when its
//! bytes are the same. Anything else rebuilds it from the files (loading the columns asked for
//! and those the old cache held, so runs of different rules do not evict each other). Writes go
//! to a temporary file renamed into place, so a mapped cache file never changes under a reader.
use crate::buf::{Buf, Plain};
use crate::error::DataWarning;
use crate::intern::Dict;
use crate::{Column, ColumnData, Dataset, LoadOptions, Projection, Table, TextColumn};
use memmap2::Mmap;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use xxhash_rust::xxh3::{xxh3_64, Xxh3};

const MAGIC: &[u8; 8] = b"KPICACHE";
/// Bump on any change to the layout or to what a loaded dataset holds.
pub const FORMAT_VERSION: u32 = 2;
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

/// Size, modification time and content hash of one file read.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    name: String,
    size: u64,
    mtime_ns: i128,
    hash: u64,
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

fn listing(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut names = crate::ingest::list_dir(dir)?;
    names.retain(|n| !n.ends_with(".kpicache"));
    Ok(names)
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

fn hash_file(path: &Path) -> std::io::Result<u64> {
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
    let dataset = crate::load(dir, &wider)?;
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
    let files: Vec<&str> = dataset.files.iter().filter(|f| !f.is_empty()).map(|s| s.as_str()).collect();
    let mut stamps = Vec::new();
    let mut total = 0;
    for name in files {
        let file = dir.join(name);
        let (meta, hash) = match std::fs::metadata(&file).and_then(|m| Ok((m, hash_file(&file)?))) {
            Ok(x) => x,
            Err(e) => return CacheOutcome::NotCached(format!("cannot stamp {name}: {e}")),
        };
        total += meta.len();
        stamps.push(Stamp { name: name.to_string(), size: meta.len(), mtime_ns: mtime_ns(&meta), hash });
    }
    if total < cache.min_bytes {
        return CacheOutcome::NotCached(format!("{total} bytes of files: below the cache's minimum"));
    }
    let names = match listing(dir) {
        Ok(n) => n,
        Err(e) => return CacheOutcome::NotCached(format!("cannot list {}: {e}", dir.display())),
    };
    match write_cache(path, dataset, options, &names, &stamps) {
        Ok(()) => CacheOutcome::Rebuilt(reason),
        Err(e) => CacheOutcome::NotCached(format!("cannot write {}: {e}", path.display())),
    }
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
}

/// The meta section's encoder.
#[derive(Default)]
struct Enc(Vec<u8>);

impl Enc {
    fn u8(&mut self, x: u8) {
        self.0.push(x);
    }
    fn u32(&mut self, x: u32) {
        self.0.extend_from_slice(&x.to_le_bytes());
    }
    fn u64(&mut self, x: u64) {
        self.0.extend_from_slice(&x.to_le_bytes());
    }
    fn i128(&mut self, x: i128) {
        self.0.extend_from_slice(&x.to_le_bytes());
    }
    fn str(&mut self, s: &str) {
        self.u64(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }
}

const NO_BLOB: u32 = u32::MAX;

fn type_tag(data: &ColumnData) -> u8 {
    match data {
        ColumnData::Text(_) => 0,
        ColumnData::Int(_) => 1,
        ColumnData::Number(_) => 2,
        ColumnData::Bool(_) => 3,
        ColumnData::Timestamp(_) => 4,
    }
}

fn write_cache(
    path: &Path,
    dataset: &Dataset,
    options: &LoadOptions,
    names: &[String],
    stamps: &[Stamp],
) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        std::process::id()
    ));
    let result = (|| {
        let mut file = File::create(&tmp)?;
        file.write_all(&[0u8; HEADER_LEN as usize])?;
        let mut w = BlobWriter {
            out: BufWriter::with_capacity(1 << 20, &mut file),
            pos: HEADER_LEN,
            blobs: Vec::new(),
            buf: Vec::new(),
        };
        let mut m = Enc::default();
        m.str(&load_key(options));
        m.u64(names.len() as u64);
        names.iter().for_each(|n| m.str(n));
        m.u64(stamps.len() as u64);
        for s in stamps {
            m.str(&s.name);
            m.u64(s.size);
            m.i128(s.mtime_ns);
            m.u64(s.hash);
        }
        match &options.columns {
            None => m.u8(0),
            Some(p) => {
                m.u8(1);
                m.u64(p.len() as u64);
                for (table, columns) in p {
                    m.str(table);
                    m.u64(columns.len() as u64);
                    columns.iter().for_each(|c| m.str(c));
                }
            }
        }
        m.str(dataset.timezone.name());
        m.u64(dataset.skipped_rows.len() as u64);
        for (t, n) in &dataset.skipped_rows {
            m.str(t);
            m.u64(*n as u64);
        }
        m.u64(dataset.warnings.len() as u64);
        for wn in &dataset.warnings {
            m.str(&wn.file);
            m.u64(wn.line as u64);
            m.str(&wn.message);
            m.u64(wn.count as u64);
        }
        m.u64(dataset.other_files.len() as u64);
        dataset.other_files.iter().for_each(|f| m.str(f));
        m.u64(dataset.files.len() as u64);
        dataset.files.iter().for_each(|f| m.str(f));
        m.u64(dataset.tables.len() as u64);
        for table in &dataset.tables {
            m.str(&table.name);
            m.u8(table.present as u8);
            m.u64(table.len as u64);
            m.u64(table.columns.len() as u64);
            for col in &table.columns {
                m.str(&col.name);
                m.u8(col.custom as u8);
                m.u8(type_tag(&col.data));
                let valid = match &col.valid {
                    Some(v) => w.blob(v, |b, x| b.push(x as u8))?,
                    None => NO_BLOB,
                };
                m.u32(valid);
                match &col.data {
                    ColumnData::Text(t) => {
                        let codes = w.blob(&t.codes, |b, x| b.extend_from_slice(&x.to_le_bytes()))?;
                        let (text, ends) = t.dict.parts();
                        let text = w.bytes(text)?;
                        let ends = w.blob(ends, |b, x| b.extend_from_slice(&x.to_le_bytes()))?;
                        m.u32(codes);
                        m.u32(text);
                        m.u32(ends);
                    }
                    ColumnData::Int(v) | ColumnData::Timestamp(v) => {
                        m.u32(w.blob(v, |b, x| b.extend_from_slice(&x.to_le_bytes()))?)
                    }
                    ColumnData::Number(v) => m.u32(w.blob(v, |b, x| b.extend_from_slice(&x.to_le_bytes()))?),
                    ColumnData::Bool(v) => m.u32(w.blob(v, |b, x| b.push(x as u8))?),
                }
            }
        }
        m.u64(dataset.links.len() as u64);
        for per_table in &dataset.links {
            m.u64(per_table.len() as u64);
            for link in per_table {
                m.u32(w.blob(link, |b, x| b.extend_from_slice(&x.to_le_bytes()))?);
            }
        }
        m.u64(w.blobs.len() as u64);
        for &(offset, len, hash) in &w.blobs {
            m.u64(offset);
            m.u64(len);
            m.u64(hash);
        }
        let meta_offset = w.pos;
        w.out.write_all(&m.0)?;
        w.out.flush()?;
        drop(w);
        let mut header = Vec::with_capacity(HEADER_LEN as usize);
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        header.extend_from_slice(&0u32.to_le_bytes());
        header.extend_from_slice(&meta_offset.to_le_bytes());
        header.extend_from_slice(&(m.0.len() as u64).to_le_bytes());
        header.extend_from_slice(&xxh3_64(&m.0).to_le_bytes());
        file.seek(SeekFrom::Start(0))?;
        file.write_all(&header)?;
        // No fsync: a cache cut short by a crash fails its checksums and is rebuilt.
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

// ---------------------------------------------------------------------------------------------
// Reading

/// The meta section's decoder; every read is bounds-checked.
struct Dec<'a> {
    bytes: &'a [u8],
    pos: usize,
}

/// Why a cache was not used, and the columns it held when its meta could be read
/// (`Some(None)`: every column).
type Miss = (String, Option<Option<Projection>>);

impl<'a> Dec<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len()).ok_or("meta cut short")?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes")))
    }
    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes")))
    }
    fn usize(&mut self) -> Result<usize, String> {
        usize::try_from(self.u64()?).map_err(|_| "a count out of range".to_string())
    }
    /// A count of items that each take at least `min_bytes`, checked against what is left.
    fn count(&mut self, min_bytes: usize) -> Result<usize, String> {
        let n = self.usize()?;
        if n.saturating_mul(min_bytes) > self.bytes.len() - self.pos {
            return Err("a count larger than the meta".into());
        }
        Ok(n)
    }
    fn i128(&mut self) -> Result<i128, String> {
        Ok(i128::from_le_bytes(self.take(16)?.try_into().expect("16 bytes")))
    }
    fn str(&mut self) -> Result<String, String> {
        let n = self.usize()?;
        let b = self.take(n)?;
        String::from_utf8(b.to_vec()).map_err(|_| "invalid UTF-8 in the meta".to_string())
    }
    fn projection(&mut self) -> Result<Option<Projection>, String> {
        if self.u8()? == 0 {
            return Ok(None);
        }
        let mut p = Projection::new();
        for _ in 0..self.count(16)? {
            let table = self.str()?;
            let columns = (0..self.count(8)?).map(|_| self.str()).collect::<Result<BTreeSet<_>, _>>()?;
            p.insert(table, columns);
        }
        Ok(Some(p))
    }
}

/// A column as described by the meta: its blob ids.
enum ColSpec {
    Text { codes: u32, text: u32, ends: u32 },
    Int(u32),
    Number(u32),
    Bool(u32),
    Timestamp(u32),
}

struct ColMeta {
    name: String,
    custom: bool,
    valid: u32,
    spec: ColSpec,
}

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
        let valid = if c.valid == NO_BLOB { None } else { Some(self.get::<bool>(c.valid)?) };
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
    let file = File::open(path).map_err(|e| miss(format!("no cache ({e})")))?;
    if cfg!(target_endian = "big") {
        return Err(miss("the cache is little-endian; this machine is not".into()));
    }
    // SAFETY: cache files are only ever replaced by a rename, never written in place, so the
    // mapped file does not change while it is mapped (see the module docs).
    #[allow(unsafe_code)]
    let map = Arc::new(unsafe { Mmap::map(&file) }.map_err(|e| miss(format!("cannot map the cache: {e}")))?);
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
    let mut d = Dec { bytes: meta, pos: 0 };
    let mut held = None;
    let result = read_meta(&mut d, &map, meta_offset, dir, options, &mut held);
    result.map_err(|reason| (reason, held))
}

/// Reads the meta after the header; sets `held` as soon as the columns the cache holds are known.
fn read_meta(
    d: &mut Dec,
    map: &Arc<Mmap>,
    meta_offset: u64,
    dir: &Path,
    options: &LoadOptions,
    held: &mut Option<Option<Projection>>,
) -> Result<Dataset, String> {
    if d.str()? != load_key(options) {
        return Err("made with other load options".into());
    }
    let n = d.count(8)?;
    let names = (0..n).map(|_| d.str()).collect::<Result<Vec<_>, _>>()?;
    let n = d.count(8)?;
    let mut stamps = Vec::with_capacity(n);
    for _ in 0..n {
        stamps.push((d.str()?, d.u64()?, d.i128()?, d.u64()?));
    }
    let loaded = d.projection()?;
    *held = Some(loaded.clone());
    if names != listing(dir).map_err(|e| e.to_string())? {
        return Err("the directory's files changed".into());
    }
    for (name, size, mtime, hash) in stamps {
        let file = dir.join(&name);
        let meta = std::fs::metadata(&file).map_err(|e| format!("{name}: {e}"))?;
        if meta.len() != size {
            return Err(format!("{name} changed size"));
        }
        if mtime_ns(&meta) != mtime && hash_file(&file).map_err(|e| e.to_string())? != hash {
            return Err(format!("{name} changed"));
        }
    }
    if !covers(&loaded, &options.columns) {
        return Err("the cache lacks columns these rules read".into());
    }
    let timezone: chrono_tz::Tz = d.str()?.parse().map_err(|_| "an unknown time zone".to_string())?;
    let mut skipped_rows = BTreeMap::new();
    for _ in 0..d.count(16)? {
        let t = d.str()?;
        skipped_rows.insert(t, d.usize()?);
    }
    let mut warnings = Vec::new();
    for _ in 0..d.count(32)? {
        warnings.push(DataWarning { file: d.str()?, line: d.usize()?, message: d.str()?, count: d.usize()? });
    }
    let other_files = (0..d.count(8)?).map(|_| d.str()).collect::<Result<Vec<_>, _>>()?;
    let files = (0..d.count(8)?).map(|_| d.str()).collect::<Result<Vec<_>, _>>()?;
    let mut tables = Vec::new();
    for _ in 0..d.count(8)? {
        let name = d.str()?;
        let present = d.u8()? != 0;
        let len = d.usize()?;
        let mut cols = Vec::new();
        for _ in 0..d.count(8)? {
            let name = d.str()?;
            let custom = d.u8()? != 0;
            let tag = d.u8()?;
            let valid = d.u32()?;
            let spec = match tag {
                0 => ColSpec::Text { codes: d.u32()?, text: d.u32()?, ends: d.u32()? },
                1 => ColSpec::Int(d.u32()?),
                2 => ColSpec::Number(d.u32()?),
                3 => ColSpec::Bool(d.u32()?),
                4 => ColSpec::Timestamp(d.u32()?),
                _ => return Err("an unknown column type".into()),
            };
            cols.push(ColMeta { name, custom, valid, spec });
        }
        tables.push((name, present, len, cols));
    }
    let mut link_ids = Vec::new();
    for _ in 0..d.count(8)? {
        link_ids.push((0..d.count(4)?).map(|_| d.u32()).collect::<Result<Vec<_>, _>>()?);
    }
    let n = d.count(24)?;
    let mut list = Vec::with_capacity(n);
    for _ in 0..n {
        let (offset, len, hash) = (d.u64()?, d.u64()?, d.u64()?);
        if offset < HEADER_LEN || offset.checked_add(len).is_none_or(|end| end > meta_offset) {
            return Err("a blob out of bounds".into());
        }
        list.push((offset, len, hash));
    }
    if d.pos != d.bytes.len() {
        return Err("bytes left over in the meta".into());
    }
    let blobs = Blobs { map: Arc::clone(map), list };

    // The columns asked for, checked and viewed in parallel (largest tables first).
    let mut jobs = Vec::new();
    for (ti, (table, _, len, cols)) in tables.iter_mut().enumerate() {
        for (ci, c) in std::mem::take(cols).into_iter().enumerate() {
            if wanted(&options.columns, table, &c.name) {
                jobs.push((ti, ci, *len, c));
            }
        }
    }
    jobs.sort_by_key(|j| std::cmp::Reverse(j.2));
    let mut columns: Vec<(usize, usize, Column)> = jobs
        .into_par_iter()
        .map(|(ti, ci, len, c)| blobs.column(c, len).map(|col| (ti, ci, col)))
        .collect::<Result<_, String>>()?;
    columns.sort_by_key(|c| (c.0, c.1));
    let mut out_tables: Vec<Table> = tables
        .into_iter()
        .map(|(name, present, len, _)| Table { name, present, len, columns: Vec::new() })
        .collect();
    for (ti, _, col) in columns {
        out_tables[ti].columns.push(col);
    }
    let mut links = Vec::with_capacity(link_ids.len());
    for (ti, per_table) in link_ids.into_iter().enumerate() {
        let len = out_tables.get(ti).map_or(0, |t| t.len);
        let mut table_links = Vec::new();
        for l in per_table {
            match blobs.get::<u32>(l)? {
                v if v.len() == len => table_links.push(v),
                _ => return Err("a link of the wrong length".into()),
            }
        }
        links.push(table_links);
    }
    // The shape must be what the evaluator expects of a loaded dataset.
    let shape_ok = out_tables.len() == kpi_schema::TABLES.len()
        && links.len() == kpi_schema::TABLES.len()
        && files.len() == kpi_schema::TABLES.len()
        && kpi_schema::TABLES
            .iter()
            .zip(&out_tables)
            .zip(&links)
            .all(|((s, t), l)| s.name == t.name && l.len() == s.links.len());
    if !shape_ok {
        return Err("tables that do not match the schema".into());
    }
    Ok(Dataset { timezone, tables: out_tables, skipped_rows, warnings, other_files, links, files })
}
