//! Column builders of the loader, in plain vectors reused from block to block: a chunk parses into
//! them, then a table's builders take each chunk's rows in file order.
use crate::intern::{hash_bytes, hash_str, NULL_CODE};
use crate::{ColumnData, Dict, TextColumn};
use hashbrown::HashTable;
use kpi_schema::{ColumnDefault, ColumnType};

/// Interned text: codes in order of first appearance, values back to back, a hash index.
#[derive(Default)]
pub(crate) struct Interner {
    pub codes: Vec<u32>,
    bytes: String,
    /// `ends[i]`: end of value `i` in `bytes` (as in [`Dict`]).
    ends: Vec<u64>,
    /// The hash of each value, for the merge and for regrowing the index (not kept for ids,
    /// whose index is sized up front).
    hashes: Vec<u64>,
    keep_hashes: bool,
    index: HashTable<u32>,
    /// The code of the last non-null cell: runs of one value (time entries of one ticket) skip the
    /// hash.
    last: u32,
}

impl Interner {
    fn new(keep_hashes: bool) -> Interner {
        Interner { keep_hashes, last: NULL_CODE, ..Interner::default() }
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn get(&self, code: u32) -> &str {
        let i = code as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.bytes[start..self.ends[i] as usize]
    }

    /// Appends a cell.
    #[inline]
    pub fn push(&mut self, text: &str) {
        if self.last != NULL_CODE && value(self.bytes.as_bytes(), &self.ends, self.last) == text.as_bytes() {
            self.codes.push(self.last);
            return;
        }
        let (code, _) = self.insert(text, hash_str(text));
        self.last = code;
        self.codes.push(code);
    }

    /// The code of `text` (whose hash is `hash`) and whether it is new. Does not push a cell.
    pub fn insert(&mut self, text: &str, hash: u64) -> (u32, bool) {
        let (bytes, ends, hashes) = (self.bytes.as_bytes(), &self.ends, &self.hashes);
        let rehash =
            |&c: &u32| hashes.get(c as usize).copied().unwrap_or_else(|| hash_bytes(value(bytes, ends, c)));
        let entry = self.index.entry(hash, |&c| value(bytes, ends, c) == text.as_bytes(), rehash);
        match entry {
            hashbrown::hash_table::Entry::Occupied(o) => (*o.get(), false),
            hashbrown::hash_table::Entry::Vacant(v) => {
                let code = self.ends.len() as u32;
                v.insert(code);
                self.bytes.push_str(text);
                self.ends.push(self.bytes.len() as u64);
                if self.keep_hashes {
                    self.hashes.push(hash);
                }
                (code, true)
            }
        }
    }

    /// Interns a chunk's ids as the next codes, in row order. `firsts[row]` becomes the code of
    /// an earlier equal id (the row is a duplicate, left out) or [`NULL_CODE`]. The ids go into the
    /// index in the order of its buckets (a counting sort on the hash bits it uses), so the probes
    /// sweep it instead of missing the cache at every id.
    pub fn insert_ids(&mut self, ids: &Ids, firsts: &mut Vec<u32>, order: &mut Vec<u32>) {
        const GROUP_BITS: u32 = 12;
        let (base, n) = (self.len() as u32, ids.ends.len());
        for r in 0..n {
            self.bytes.push_str(ids.get(r));
            self.ends.push(self.bytes.len() as u64);
        }
        let table_bits = (self.index.capacity() * 8 / 7).max(8).next_power_of_two().trailing_zeros();
        let group = |h: u64| ((h << (64 - table_bits)) >> (64 - GROUP_BITS)) as usize;
        let mut starts = vec![0u32; (1 << GROUP_BITS) + 1];
        ids.hashes.iter().for_each(|&h| starts[group(h) + 1] += 1);
        for g in 1..starts.len() {
            starts[g] += starts[g - 1];
        }
        order.clear();
        order.resize(n, 0);
        for (r, &h) in ids.hashes.iter().enumerate() {
            let slot = &mut starts[group(h)];
            order[*slot as usize] = r as u32;
            *slot += 1;
        }
        firsts.clear();
        firsts.resize(n, NULL_CODE);
        let (bytes, ends) = (self.bytes.as_bytes(), &self.ends);
        for &r in order.iter() {
            let code = base + r;
            let text = value(bytes, ends, code);
            let entry = self.index.entry(
                ids.hashes[r as usize],
                |&c| value(bytes, ends, c) == text,
                |&c| hash_bytes(value(bytes, ends, c)),
            );
            match entry {
                hashbrown::hash_table::Entry::Occupied(o) => firsts[r as usize] = *o.get(),
                hashbrown::hash_table::Entry::Vacant(v) => {
                    v.insert(code);
                }
            }
        }
        if firsts.iter().all(|&f| f == NULL_CODE) {
            self.codes.extend(base..base + n as u32);
            return;
        }
        // Duplicates (rare): the rows after one move down a code; the values are stored again.
        let mut code = base;
        let mut moved = vec![NULL_CODE; n];
        for r in 0..n {
            if firsts[r] != NULL_CODE {
                continue;
            }
            moved[r] = code;
            if code != base + r as u32 {
                let old = base + r as u32;
                if let Some(c) = self.index.find_mut(ids.hashes[r], |&c| c == old) {
                    *c = code;
                }
            }
            code += 1;
        }
        self.bytes.truncate(if base == 0 { 0 } else { self.ends[base as usize - 1] as usize });
        self.ends.truncate(base as usize);
        for r in (0..n).filter(|&r| firsts[r] == NULL_CODE) {
            self.bytes.push_str(ids.get(r));
            self.ends.push(self.bytes.len() as u64);
        }
        self.codes.extend(base..code);
        for f in firsts.iter_mut().filter(|f| **f != NULL_CODE && **f >= base) {
            *f = moved[(*f - base) as usize];
        }
    }

    /// Room for `cells` more cells and `values` more distinct values of `bytes` in all.
    pub fn reserve(&mut self, cells: usize, values: usize, bytes: usize) {
        self.codes.reserve(cells);
        self.ends.reserve(values);
        self.bytes.reserve(bytes);
        let (b, e) = (self.bytes.as_bytes(), &self.ends);
        self.index.reserve(values, |&c| hash_bytes(value(b, e, c)));
    }

    fn clear(&mut self) {
        self.codes.clear();
        self.bytes.clear();
        self.ends.clear();
        self.hashes.clear();
        self.index.clear();
        self.last = NULL_CODE;
    }

    pub fn into_column(mut self) -> TextColumn {
        self.codes.shrink_to_fit();
        let dict = Dict::from_parts(self.bytes.into_bytes().into(), self.ends.into())
            .expect("the loader's offsets are in order");
        TextColumn::with_index(self.codes, dict, self.index)
    }
}

/// The bytes of value `code` of a dictionary's parts (bytes, not `str`: no boundary checks).
#[inline]
fn value<'a>(bytes: &'a [u8], ends: &[u64], code: u32) -> &'a [u8] {
    let i = code as usize;
    &bytes[if i == 0 { 0 } else { ends[i - 1] as usize }..ends[i] as usize]
}

/// A chunk's ids, one per row with its hash; a table interns them as it takes the chunk, which
/// finds duplicates across chunks too.
#[derive(Default)]
pub(crate) struct Ids {
    bytes: String,
    ends: Vec<usize>,
    pub hashes: Vec<u64>,
}

impl Ids {
    pub fn get(&self, row: usize) -> &str {
        let start = if row == 0 { 0 } else { self.ends[row - 1] };
        &self.bytes[start..self.ends[row]]
    }

    /// Average bytes of an id.
    pub fn bytes_per_value(&self) -> usize {
        self.bytes.len() / self.ends.len().max(1)
    }

    fn push(&mut self, id: &str) {
        self.bytes.push_str(id);
        self.ends.push(self.bytes.len());
        self.hashes.push(hash_str(id));
    }
}

pub(crate) enum Values {
    Text(Interner),
    Ids(Ids),
    Int(Vec<i64>),
    Number(Vec<f64>),
    Bool(Vec<bool>),
    Timestamp(Vec<i64>),
}

/// One parsed cell before the row is committed.
#[derive(Clone, Copy)]
pub(crate) enum Staged<'a> {
    Null,
    Text(&'a str),
    Int(i64),
    Number(f64),
    Bool(bool),
    Timestamp(i64),
}

/// A column being built.
pub(crate) struct ColBuf {
    pub values: Values,
    /// Empty until the first null, then one entry per cell.
    pub valid: Vec<bool>,
    pub nulls: usize,
    default: Option<ColumnDefault>,
}

impl ColBuf {
    /// A column of a chunk (`chunk`: ids kept as text for the table to intern) or of a table.
    pub fn new(ty: ColumnType, default: Option<ColumnDefault>, id: bool, chunk: bool) -> ColBuf {
        let values = match ty {
            ColumnType::Text if id && chunk => Values::Ids(Ids::default()),
            ColumnType::Text => Values::Text(Interner::new(!id)),
            ColumnType::Int => Values::Int(Vec::new()),
            ColumnType::Number => Values::Number(Vec::new()),
            ColumnType::Bool => Values::Bool(Vec::new()),
            ColumnType::Timestamp | ColumnType::Date => Values::Timestamp(Vec::new()),
        };
        ColBuf { values, valid: Vec::new(), nulls: 0, default }
    }

    pub fn len(&self) -> usize {
        match &self.values {
            Values::Text(t) => t.codes.len(),
            Values::Ids(ids) => ids.ends.len(),
            Values::Int(v) | Values::Timestamp(v) => v.len(),
            Values::Number(v) => v.len(),
            Values::Bool(v) => v.len(),
        }
    }

    #[inline]
    pub fn push(&mut self, v: Staged) {
        match (&mut self.values, v) {
            (Values::Text(t), Staged::Text(s)) => t.push(s),
            (Values::Ids(ids), Staged::Text(s)) => ids.push(s),
            (Values::Int(c), Staged::Int(i)) => c.push(i),
            (Values::Number(c), Staged::Number(n)) => c.push(n),
            (Values::Bool(c), Staged::Bool(b)) => c.push(b),
            (Values::Timestamp(c), Staged::Timestamp(t)) => c.push(t),
            (_, v) => return self.push_null(v),
        }
        if self.nulls > 0 {
            self.valid.push(true);
        }
    }

    /// Pushes a null cell, or the column's default in its place.
    #[cold]
    fn push_null(&mut self, v: Staged) {
        let v = match (v, self.default) {
            (Staged::Null, Some(ColumnDefault::Int(i))) => Staged::Int(i),
            (Staged::Null, Some(ColumnDefault::Number(n))) => Staged::Number(n),
            (Staged::Null, Some(ColumnDefault::Bool(b))) => Staged::Bool(b),
            (v, _) => v,
        };
        let is_null = matches!(v, Staged::Null);
        match (&mut self.values, v) {
            (Values::Text(t), Staged::Text(s)) => t.push(s),
            (Values::Text(t), _) => t.codes.push(NULL_CODE),
            (Values::Ids(ids), Staged::Text(s)) => ids.push(s),
            (Values::Ids(ids), _) => ids.push(""),
            (Values::Int(c), Staged::Int(i)) => c.push(i),
            (Values::Int(c), _) => c.push(0),
            (Values::Number(c), Staged::Number(n)) => c.push(n),
            (Values::Number(c), _) => c.push(f64::NAN),
            (Values::Bool(c), Staged::Bool(b)) => c.push(b),
            (Values::Bool(c), _) => c.push(false),
            (Values::Timestamp(c), Staged::Timestamp(t)) => c.push(t),
            (Values::Timestamp(c), _) => c.push(0),
        }
        if is_null {
            if self.nulls == 0 {
                self.valid.resize(self.len() - 1, true);
            }
            self.nulls += 1;
            self.valid.push(false);
        } else if self.nulls > 0 {
            self.valid.push(true);
        }
    }

    /// Room for `more` cells (and as many distinct values of `bytes_per_value` for ids).
    pub fn reserve(&mut self, more: usize, id: bool, bytes_per_value: usize) {
        match &mut self.values {
            Values::Text(t) if id => t.reserve(more, more, more * bytes_per_value),
            Values::Text(t) => t.reserve(more, 0, 0),
            Values::Ids(_) => {}
            Values::Int(v) | Values::Timestamp(v) => v.reserve(more),
            Values::Number(v) => v.reserve(more),
            Values::Bool(v) => v.reserve(more),
        }
    }

    /// Empties the column, keeping its allocations.
    pub fn clear(&mut self) {
        match &mut self.values {
            Values::Text(t) => t.clear(),
            Values::Ids(ids) => {
                ids.bytes.clear();
                ids.ends.clear();
                ids.hashes.clear();
            }
            Values::Int(v) | Values::Timestamp(v) => v.clear(),
            Values::Number(v) => v.clear(),
            Values::Bool(v) => v.clear(),
        }
        self.valid.clear();
        self.nulls = 0;
    }

    /// Appends the rows of a chunk's column `src` (all, or those `keep` marks); `remap` is scratch.
    pub fn append(&mut self, src: &ColBuf, keep: Option<&[bool]>, remap: &mut Vec<u32>) {
        let before = self.len();
        let kept = |r: usize| match keep {
            None => true,
            Some(k) => k[r],
        };
        match (&mut self.values, &src.values) {
            (Values::Text(d), Values::Text(s)) => {
                // Each chunk value is looked up once; codes stay in order of first appearance.
                remap.clear();
                remap.resize(s.len(), NULL_CODE);
                for (r, &c) in s.codes.iter().enumerate() {
                    if !kept(r) {
                        continue;
                    }
                    if c == NULL_CODE {
                        d.codes.push(NULL_CODE);
                        continue;
                    }
                    let slot = &mut remap[c as usize];
                    if *slot == NULL_CODE {
                        *slot = d.insert(s.get(c), s.hashes[c as usize]).0;
                    }
                    d.codes.push(*slot);
                }
            }
            (Values::Int(d), Values::Int(s)) | (Values::Timestamp(d), Values::Timestamp(s)) => {
                extend_kept(d, s, keep)
            }
            (Values::Number(d), Values::Number(s)) => extend_kept(d, s, keep),
            (Values::Bool(d), Values::Bool(s)) => extend_kept(d, s, keep),
            _ => unreachable!("a table column and its chunk column have the same type"),
        }
        if src.nulls == 0 {
            if self.nulls > 0 {
                self.valid.resize(self.len(), true);
            }
            return;
        }
        if self.nulls == 0 {
            self.valid.resize(before, true);
        }
        for (r, &v) in src.valid.iter().enumerate() {
            if kept(r) {
                self.valid.push(v);
                self.nulls += usize::from(!v);
            }
        }
        if self.nulls == 0 {
            self.valid.clear();
        }
    }

    /// The finished column data and null mask.
    pub fn finish(self) -> (ColumnData, Option<Vec<bool>>) {
        let data = match self.values {
            Values::Text(t) => ColumnData::Text(t.into_column()),
            Values::Ids(_) => unreachable!("tables intern their ids"),
            Values::Int(mut v) => {
                v.shrink_to_fit();
                ColumnData::Int(v.into())
            }
            Values::Number(mut v) => {
                v.shrink_to_fit();
                ColumnData::Number(v.into())
            }
            Values::Bool(mut v) => {
                v.shrink_to_fit();
                ColumnData::Bool(v.into())
            }
            Values::Timestamp(mut v) => {
                v.shrink_to_fit();
                ColumnData::Timestamp(v.into())
            }
        };
        (data, (self.nulls > 0).then_some(self.valid))
    }
}

fn extend_kept<T: Copy>(dst: &mut Vec<T>, src: &[T], keep: Option<&[bool]>) {
    match keep {
        None => dst.extend_from_slice(src),
        Some(k) => dst.extend(src.iter().zip(k).filter(|(_, k)| **k).map(|(v, _)| *v)),
    }
}
