//! Interned text columns: one `u32` code per cell and a dictionary of distinct values.
use crate::buf::Buf;
use hashbrown::HashTable;
use std::sync::OnceLock;

/// The code of a null text cell.
pub const NULL_CODE: u32 = u32::MAX;

/// The distinct values of a text column, stored back to back in one arena (one allocation for
/// all of them, instead of one per value: a large id column has millions).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Dict {
    /// UTF-8, every value starting and ending on a character boundary (checked when built).
    bytes: Buf<u8>,
    /// `ends[i]` is the end of value `i` in `bytes`; it starts where value `i - 1` ends.
    ends: Buf<u64>,
}

impl Dict {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The value of code `i`.
    pub fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)? as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        // Valid by construction; checking again costs a few nanoseconds on short values.
        std::str::from_utf8(&self.bytes[start..end]).ok()
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.len()).map(|i| &self[i])
    }

    pub(crate) fn push(&mut self, text: &str) {
        let bytes = self.bytes.to_mut();
        bytes.extend_from_slice(text.as_bytes());
        let end = bytes.len() as u64;
        self.ends.to_mut().push(end);
    }

    /// The arena and the end offsets, for the cache.
    pub(crate) fn parts(&self) -> (&[u8], &[u64]) {
        (&self.bytes, &self.ends)
    }

    /// A dictionary from its parts; `None` unless the bytes are UTF-8 and the offsets are in
    /// order, in bounds and on character boundaries.
    pub(crate) fn from_parts(bytes: Buf<u8>, ends: Buf<u64>) -> Option<Dict> {
        let text = std::str::from_utf8(&bytes).ok()?;
        let mut last = 0u64;
        for &e in ends.iter() {
            if e < last || e as usize > text.len() || !text.is_char_boundary(e as usize) {
                return None;
            }
            last = e;
        }
        if last as usize != text.len() {
            return None;
        }
        Some(Dict { bytes, ends })
    }
}

impl std::ops::Index<usize> for Dict {
    type Output = str;

    fn index(&self, i: usize) -> &str {
        match self.get(i) {
            Some(s) => s,
            None => panic!("dictionary code {i} out of range ({} values)", self.len()),
        }
    }
}

impl std::fmt::Debug for Dict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// A text column: `codes[row]` indexes `dict`, or is [`NULL_CODE`] for a null cell.
/// Codes are given in order of first appearance, so an id column's code is its row.
#[derive(Clone, Default)]
pub struct TextColumn {
    pub codes: Buf<u32>,
    pub dict: Dict,
    /// Hash index over `dict` (entries are codes), so the text is stored once. Built on first use
    /// for a column read from the cache, which most columns never need.
    index: OnceLock<HashTable<u32>>,
}

impl std::fmt::Debug for TextColumn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextColumn").field("codes", &self.codes).field("dict", &self.dict).finish()
    }
}

/// A fixed, fast string hash (FxHash-style over 8-byte words with a final mix); fixed so that
/// loads are reproducible and no random state is needed.
pub(crate) fn hash_str(s: &str) -> u64 {
    hash_bytes(s.as_bytes())
}

/// [`hash_str`] of the bytes of a string.
pub(crate) fn hash_bytes(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(K);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut word = [0u8; 8];
        word[..rest.len()].copy_from_slice(rest);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(K);
    }
    h ^= h >> 32;
    h = h.wrapping_mul(K);
    h ^ (h >> 29)
}

impl TextColumn {
    pub fn new() -> TextColumn {
        TextColumn::default()
    }

    /// A column from cell values (`None` is null).
    pub fn from_values<'a>(values: impl IntoIterator<Item = Option<&'a str>>) -> TextColumn {
        let mut col = TextColumn::new();
        for v in values {
            match v {
                Some(s) => {
                    let code = col.intern(s);
                    col.codes.to_mut().push(code);
                }
                None => col.codes.to_mut().push(NULL_CODE),
            }
        }
        col
    }

    /// A column from codes and a dictionary (the cache); the hash index is built when needed.
    pub(crate) fn from_parts(codes: Buf<u32>, dict: Dict) -> TextColumn {
        TextColumn { codes, dict, index: OnceLock::new() }
    }

    /// A column from the loader's parts, with its hash index over `dict` (entries are codes,
    /// hashed with [`hash_str`]).
    pub(crate) fn with_index(codes: Vec<u32>, dict: Dict, index: HashTable<u32>) -> TextColumn {
        TextColumn { codes: codes.into(), dict, index: OnceLock::from(index) }
    }

    fn index(&self) -> &HashTable<u32> {
        self.index.get_or_init(|| build_index(&self.dict))
    }

    fn index_mut(&mut self) -> &mut HashTable<u32> {
        if self.index.get().is_none() {
            let _ = self.index.set(build_index(&self.dict));
        }
        self.index.get_mut().expect("the index was just built")
    }

    /// The code of `text`, if any cell holds it.
    pub fn code_of(&self, text: &str) -> Option<u32> {
        let dict = &self.dict;
        self.index().find(hash_str(text), |&c| &dict[c as usize] == text).copied()
    }

    /// The code of `text`, adding it to the dictionary when new. Does not push a cell.
    pub fn intern(&mut self, text: &str) -> u32 {
        self.insert(text).0
    }

    /// The code of `text` and whether it was new, with a single hash lookup.
    pub(crate) fn insert(&mut self, text: &str) -> (u32, bool) {
        self.insert_hashed(text, hash_str(text))
    }

    /// [`TextColumn::insert`] with the hash of `text` already known.
    pub(crate) fn insert_hashed(&mut self, text: &str, hash: u64) -> (u32, bool) {
        let next = self.dict.len() as u32;
        self.index_mut();
        let dict = &mut self.dict;
        let index = self.index.get_mut().expect("built above");
        let entry = index.entry(hash, |&c| &dict[c as usize] == text, |&c| hash_str(&dict[c as usize]));
        match entry {
            hashbrown::hash_table::Entry::Occupied(o) => (*o.get(), false),
            hashbrown::hash_table::Entry::Vacant(v) => {
                v.insert(next);
                dict.push(text);
                (next, true)
            }
        }
    }

    /// Appends a cell.
    pub fn push(&mut self, text: Option<&str>) {
        let code = match text {
            Some(t) => self.intern(t),
            None => NULL_CODE,
        };
        self.codes.to_mut().push(code);
    }

    /// The text of `row`, `None` when null.
    pub fn get(&self, row: usize) -> Option<&str> {
        let code = *self.codes.get(row)?;
        self.dict.get(code as usize)
    }

    /// The text of a code.
    pub fn text(&self, code: u32) -> Option<&str> {
        self.dict.get(code as usize)
    }

    pub fn len(&self) -> usize {
        self.codes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }
}

fn build_index(dict: &Dict) -> HashTable<u32> {
    let mut index = HashTable::with_capacity(dict.len());
    for (code, text) in dict.iter().enumerate() {
        index.insert_unique(hash_str(text), code as u32, |&c| hash_str(&dict[c as usize]));
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_in_order_of_first_appearance() {
        let col = TextColumn::from_values([Some("b"), None, Some("a"), Some("b")]);
        assert_eq!(col.codes, [0, NULL_CODE, 1, 0]);
        assert_eq!(col.code_of("a"), Some(1));
        assert_eq!(col.code_of("c"), None);
        assert_eq!(col.get(1), None);
        assert_eq!(col.get(3), Some("b"));
    }
}
