//! The columnar cache: a binary snapshot of a loaded dataset, so repeat loads of unchanged files skip parsing.
//!
//! One file per (dataset directory, load options): `<cache dir>/<key>.kpicache`. Layout, all
//! little-endian:
//!
//! ```text
//! header (40 bytes): magic "KPICACHE", format version u32, 0u32, meta offset u64, meta length u64,
//!                    xxh3 of the meta u64
//! blobs:             raw column arrays (u32 codes, i64, f64, u8 bools, dictionary bytes and u64
//!                    ends, u32 link rows), one after another
//! meta:              the load key, the directory listing, a stamp per file read (size, mtime,
//!                    xxh3 of its bytes), the dataset's tables, columns, warnings and links, and
//!                    (offset, length, xxh3) of every blob
//! ```
//!
//! A cache is used only when the magic, version, key and every checksum agree and the directory
//! lists the same files; a file whose size changed is stale, a file whose mtime changed is
//! hashed again and the cache is kept only when its bytes are the same. Anything else rebuilds
//! it from the files. Writes go to a temporary file renamed into place.
use crate::error::DataWarning;
use crate::intern::Dict;
use crate::{Column, ColumnData, Dataset, LoadOptions, Table, TextColumn};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use xxhash_rust::xxh3::{xxh3_64, Xxh3};

const MAGIC: &[u8; 8] = b"KPICACHE";
/// Bump on any change to the layout or to what a loaded dataset holds.
pub const FORMAT_VERSION: u32 = 1;
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
    let mut names = crate::load::list_dir(dir)?;
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
    let path = cache_path(dir, options, cache);
    let reason = match read_cache(&path, dir, options) {
        Ok(dataset) => return Ok((dataset, CacheOutcome::Hit)),
        Err(reason) => reason,
    };
    let dataset = crate::load(dir, options)?;
    let outcome = write_for(&dataset, dir, options, cache, &path, reason);
    Ok((dataset, outcome))
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
                        let text = w.bytes(text.as_bytes())?;
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
        file.sync_data()?;
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

type Bad = String;

impl<'a> Dec<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Bad> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len()).ok_or("meta cut short")?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, Bad> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, Bad> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes")))
    }
    fn u64(&mut self) -> Result<u64, Bad> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes")))
    }
    fn usize(&mut self) -> Result<usize, Bad> {
        usize::try_from(self.u64()?).map_err(|_| "a count out of range".to_string())
    }
    /// A count of items that each take at least `min_bytes`, checked against what is left.
    fn count(&mut self, min_bytes: usize) -> Result<usize, Bad> {
        let n = self.usize()?;
        if n.saturating_mul(min_bytes) > self.bytes.len() - self.pos {
            return Err("a count larger than the meta".into());
        }
        Ok(n)
    }
    fn i128(&mut self) -> Result<i128, Bad> {
        Ok(i128::from_le_bytes(self.take(16)?.try_into().expect("16 bytes")))
    }
    fn str(&mut self) -> Result<String, Bad> {
        let n = self.usize()?;
        let b = self.take(n)?;
        String::from_utf8(b.to_vec()).map_err(|_| "invalid UTF-8 in the meta".to_string())
    }
}

fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        file.read_exact_at(buf, offset)
    }
    #[cfg(not(unix))]
    {
        let mut f = file.try_clone()?;
        f.seek(SeekFrom::Start(offset))?;
        f.read_exact(buf)
    }
}

/// A column as described by the meta, before its blobs are read.
enum ColSpec {
    Text { codes: u32, text: u32, ends: u32 },
    Int(u32),
    Number(u32),
    Bool(u32),
    Timestamp(u32),
}

/// A blob decoded into its typed vector.
enum Decoded {
    Bytes(Vec<u8>),
    U32(Vec<u32>),
    U64(Vec<u64>),
    I64(Vec<i64>),
    F64(Vec<f64>),
}

#[derive(Clone, Copy)]
enum Kind {
    Bytes,
    U32,
    U64,
    I64,
    F64,
}

/// Reads, checks and decodes one blob. Typed blobs go through a small buffer, block by block, so
/// each byte is read once while in the CPU cache (no blob-sized byte copy to fault in and decode).
fn read_blob(file: &File, offset: u64, len: u64, hash: u64, kind: Kind) -> Result<Decoded, Bad> {
    const BLOCK: usize = 1 << 20;
    let corrupt = || "a column's checksum does not match (corrupt)".to_string();
    let len = usize::try_from(len).map_err(|_| "a blob too large".to_string())?;
    if let Kind::Bytes = kind {
        let mut bytes = vec![0u8; len];
        read_exact_at(file, &mut bytes, offset).map_err(|e| e.to_string())?;
        return if xxh3_64(&bytes) == hash { Ok(Decoded::Bytes(bytes)) } else { Err(corrupt()) };
    }
    let width = if let Kind::U32 = kind { 4 } else { 8 };
    if len % width != 0 {
        return Err("a blob of the wrong length".into());
    }
    let mut out = match kind {
        Kind::U32 => Decoded::U32(Vec::with_capacity(len / 4)),
        Kind::U64 => Decoded::U64(Vec::with_capacity(len / 8)),
        Kind::I64 => Decoded::I64(Vec::with_capacity(len / 8)),
        Kind::F64 => Decoded::F64(Vec::with_capacity(len / 8)),
        Kind::Bytes => unreachable!("handled above"),
    };
    let mut hasher = Xxh3::new();
    let mut buf = vec![0u8; BLOCK.min(len)];
    let mut done = 0;
    while done < len {
        let block = &mut buf[..BLOCK.min(len - done)];
        read_exact_at(file, block, offset + done as u64).map_err(|e| e.to_string())?;
        hasher.update(block);
        match &mut out {
            Decoded::U32(v) => {
                v.extend(block.chunks_exact(4).map(|c| u32::from_le_bytes(c.try_into().expect("4"))))
            }
            Decoded::U64(v) => {
                v.extend(block.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().expect("8"))))
            }
            Decoded::I64(v) => {
                v.extend(block.chunks_exact(8).map(|c| i64::from_le_bytes(c.try_into().expect("8"))))
            }
            Decoded::F64(v) => {
                v.extend(block.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().expect("8"))))
            }
            Decoded::Bytes(_) => unreachable!("handled above"),
        }
        done += block.len();
    }
    if hasher.digest() != hash {
        return Err(corrupt());
    }
    Ok(out)
}

/// Reads the cache at `path` for `dir`; `Err` says why it cannot be used.
fn read_cache(path: &Path, dir: &Path, options: &LoadOptions) -> Result<Dataset, Bad> {
    let mut file = File::open(path).map_err(|e| format!("no cache ({e})"))?;
    let file_len = file.metadata().map_err(|e| e.to_string())?.len();
    let mut header = [0u8; HEADER_LEN as usize];
    file.read_exact(&mut header).map_err(|_| "the cache file is cut short".to_string())?;
    if &header[..8] != MAGIC {
        return Err("not a kpi cache file".into());
    }
    let word = |i: usize| u64::from_le_bytes(header[i..i + 8].try_into().expect("8 bytes"));
    let version = u32::from_le_bytes(header[8..12].try_into().expect("4 bytes"));
    if header[12..16] != [0; 4] {
        return Err("not a kpi cache file (reserved bytes set)".into());
    }
    if version != FORMAT_VERSION {
        return Err(format!("cache format {version}, this kpi reads {FORMAT_VERSION}"));
    }
    let (meta_offset, meta_len, meta_hash) = (word(16), word(24), word(32));
    if meta_offset < HEADER_LEN || meta_offset.checked_add(meta_len) != Some(file_len) {
        return Err("the cache file is cut short or has bytes past its end".into());
    }
    let mut meta = vec![0u8; meta_len as usize];
    read_exact_at(&file, &mut meta, meta_offset).map_err(|e| e.to_string())?;
    if xxh3_64(&meta) != meta_hash {
        return Err("the cache's checksum does not match (corrupt)".into());
    }
    let mut d = Dec { bytes: &meta, pos: 0 };
    if d.str()? != load_key(options) {
        return Err("made with other load options".into());
    }
    let n = d.count(8)?;
    let names = (0..n).map(|_| d.str()).collect::<Result<Vec<_>, _>>()?;
    let current = listing(dir).map_err(|e| e.to_string())?;
    if names != current {
        return Err("the directory's files changed".into());
    }
    let n = d.count(8)?;
    for _ in 0..n {
        let name = d.str()?;
        let (size, mtime, hash) = (d.u64()?, d.i128()?, d.u64()?);
        let file = dir.join(&name);
        let meta = std::fs::metadata(&file).map_err(|e| format!("{name}: {e}"))?;
        if meta.len() != size {
            return Err(format!("{name} changed size"));
        }
        if mtime_ns(&meta) != mtime && hash_file(&file).map_err(|e| e.to_string())? != hash {
            return Err(format!("{name} changed"));
        }
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
    // Table shapes first, then every blob at once.
    struct ColMeta {
        name: String,
        custom: bool,
        valid: u32,
        spec: ColSpec,
    }
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
    let mut blobs = Vec::with_capacity(n);
    for _ in 0..n {
        let (offset, len, hash) = (d.u64()?, d.u64()?, d.u64()?);
        if offset < HEADER_LEN || offset.checked_add(len).is_none_or(|end| end > meta_offset) {
            return Err("a blob out of bounds".into());
        }
        blobs.push((offset, len, hash));
    }
    if d.pos != meta.len() {
        return Err("bytes left over in the meta".into());
    }

    // The kind each blob is read as.
    let mut kinds: Vec<Option<Kind>> = vec![None; blobs.len()];
    let mut want = |id: u32, kind: Kind| -> Result<(), Bad> {
        let slot = kinds.get_mut(id as usize).ok_or("a blob id out of range")?;
        if slot.is_some() {
            return Err("a blob used twice".into());
        }
        *slot = Some(kind);
        Ok(())
    };
    for (_, _, _, cols) in &tables {
        for c in cols {
            if c.valid != NO_BLOB {
                want(c.valid, Kind::Bytes)?;
            }
            match c.spec {
                ColSpec::Text { codes, text, ends } => {
                    want(codes, Kind::U32)?;
                    want(text, Kind::Bytes)?;
                    want(ends, Kind::U64)?;
                }
                ColSpec::Int(b) | ColSpec::Timestamp(b) => want(b, Kind::I64)?,
                ColSpec::Number(b) => want(b, Kind::F64)?,
                ColSpec::Bool(b) => want(b, Kind::Bytes)?,
            }
        }
    }
    for per_table in &link_ids {
        for &l in per_table {
            want(l, Kind::U32)?;
        }
    }
    // Largest first, so the two big columns do not end up on one thread.
    let mut order: Vec<usize> = (0..blobs.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(blobs[i].1));
    let read: Vec<(usize, Result<Decoded, Bad>)> = order
        .into_par_iter()
        .map(|i| {
            let (offset, len, hash) = blobs[i];
            let result = kinds[i]
                .ok_or_else(|| "a blob nothing uses".to_string())
                .and_then(|kind| read_blob(&file, offset, len, hash, kind));
            (i, result)
        })
        .collect();
    let mut decoded: Vec<Option<Decoded>> = (0..blobs.len()).map(|_| None).collect();
    for (i, r) in read {
        decoded[i] = Some(r?);
    }
    let mut take = |id: u32| decoded[id as usize].take().ok_or_else(|| "a blob missing".to_string());
    let bools = |b: Vec<u8>| b.into_iter().map(|x| x != 0).collect::<Vec<bool>>();

    let mut out_tables = Vec::with_capacity(tables.len());
    for (name, present, len, cols) in tables {
        let mut columns = Vec::with_capacity(cols.len());
        for c in cols {
            let valid = if c.valid == NO_BLOB {
                None
            } else {
                match take(c.valid)? {
                    Decoded::Bytes(b) => Some(bools(b)),
                    _ => return Err("a blob of the wrong kind".into()),
                }
            };
            let parts = take_spec(&mut take, &c.spec.spec_ids())?;
            let data = match (c.spec, parts) {
                (ColSpec::Text { .. }, mut parts) => {
                    let (Some(Decoded::U32(codes)), Some(Decoded::Bytes(text)), Some(Decoded::U64(ends))) =
                        (parts.pop_front(), parts.pop_front(), parts.pop_front())
                    else {
                        return Err("a blob of the wrong kind".into());
                    };
                    let text =
                        String::from_utf8(text).map_err(|_| "invalid UTF-8 in a dictionary".to_string())?;
                    let dict = Dict::from_parts(text, ends).ok_or("a dictionary out of bounds")?;
                    if codes.iter().any(|&c| c != crate::NULL_CODE && c as usize >= dict.len()) {
                        return Err("a text code out of range".into());
                    }
                    ColumnData::Text(TextColumn::from_parts(codes, dict))
                }
                (ColSpec::Int(_), mut p) => match p.pop_front() {
                    Some(Decoded::I64(v)) => ColumnData::Int(v),
                    _ => return Err("a blob of the wrong kind".into()),
                },
                (ColSpec::Timestamp(_), mut p) => match p.pop_front() {
                    Some(Decoded::I64(v)) => ColumnData::Timestamp(v),
                    _ => return Err("a blob of the wrong kind".into()),
                },
                (ColSpec::Number(_), mut p) => match p.pop_front() {
                    Some(Decoded::F64(v)) => ColumnData::Number(v),
                    _ => return Err("a blob of the wrong kind".into()),
                },
                (ColSpec::Bool(_), mut p) => match p.pop_front() {
                    Some(Decoded::Bytes(v)) => ColumnData::Bool(bools(v)),
                    _ => return Err("a blob of the wrong kind".into()),
                },
            };
            if data.len() != len || valid.as_ref().is_some_and(|v| v.len() != len) {
                return Err("a column of the wrong length".into());
            }
            columns.push(Column { name: c.name, custom: c.custom, data, valid });
        }
        out_tables.push(Table { name, present, len, columns });
    }
    let mut links = Vec::with_capacity(link_ids.len());
    for (ti, per_table) in link_ids.into_iter().enumerate() {
        let len = out_tables.get(ti).map_or(0, |t| t.len);
        let mut table_links = Vec::new();
        for l in per_table {
            match take(l)? {
                Decoded::U32(v) if v.len() == len => table_links.push(v),
                _ => return Err("a link of the wrong kind or length".into()),
            }
        }
        links.push(table_links);
    }
    // The shape must be what the evaluator expects of a loaded dataset.
    let shape_ok = out_tables.len() == kpi_schema::TABLES.len()
        && links.len() == kpi_schema::TABLES.len()
        && files.len() == kpi_schema::TABLES.len()
        && kpi_schema::TABLES.iter().zip(&out_tables).zip(&links).all(|((s, t), l)| {
            s.name == t.name && l.len() == s.links.len() && t.columns.len() >= s.columns.len()
        });
    if !shape_ok {
        return Err("tables that do not match the schema".into());
    }
    Ok(Dataset { timezone, tables: out_tables, skipped_rows, warnings, other_files, links, files })
}

impl ColSpec {
    fn spec_ids(&self) -> Vec<u32> {
        match *self {
            ColSpec::Text { codes, text, ends } => vec![codes, text, ends],
            ColSpec::Int(b) | ColSpec::Number(b) | ColSpec::Bool(b) | ColSpec::Timestamp(b) => vec![b],
        }
    }
}

fn take_spec(
    take: &mut impl FnMut(u32) -> Result<Decoded, Bad>,
    ids: &[u32],
) -> Result<std::collections::VecDeque<Decoded>, Bad> {
    ids.iter().map(|&i| take(i)).collect()
}
