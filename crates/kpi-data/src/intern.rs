//! Interned text columns: one `u32` code per cell and a dictionary of distinct values.
use hashbrown::HashTable;

/// The code of a null text cell.
pub const NULL_CODE: u32 = u32::MAX;

/// A text column: `codes[row]` indexes `dict`, or is [`NULL_CODE`] for a null cell.
/// Codes are given in order of first appearance, so an id column's code is its row.
#[derive(Clone, Default)]
pub struct TextColumn {
    pub codes: Vec<u32>,
    pub dict: Vec<Box<str>>,
    /// Hash index over `dict` (entries are codes), so the text is stored once.
    index: HashTable<u32>,
}

impl std::fmt::Debug for TextColumn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextColumn").field("codes", &self.codes).field("dict", &self.dict).finish()
    }
}

/// A fixed, fast string hash (FxHash-style over 8-byte words with a final mix); fixed so that
/// loads are reproducible and no random state is needed.
pub(crate) fn hash_str(s: &str) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let bytes = s.as_bytes();
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
                    col.codes.push(code);
                }
                None => col.codes.push(NULL_CODE),
            }
        }
        col
    }

    /// The code of `text`, if any cell holds it.
    pub fn code_of(&self, text: &str) -> Option<u32> {
        let dict = &self.dict;
        self.index.find(hash_str(text), |&c| &*dict[c as usize] == text).copied()
    }

    /// The code of `text`, adding it to the dictionary when new. Does not push a cell.
    pub fn intern(&mut self, text: &str) -> u32 {
        self.insert(text).0
    }

    /// Like [`TextColumn::intern`] but moves an owned value in when it is new.
    pub(crate) fn intern_owned(&mut self, text: Box<str>) -> u32 {
        self.insert_owned(text).0
    }

    /// The code of `text` and whether it was new, with a single hash lookup.
    pub(crate) fn insert_owned(&mut self, text: Box<str>) -> (u32, bool) {
        let hash = hash_str(&text);
        let next = self.dict.len() as u32;
        let dict = &self.dict;
        let entry = self.index.entry(hash, |&c| *dict[c as usize] == *text, |&c| hash_str(&dict[c as usize]));
        match entry {
            hashbrown::hash_table::Entry::Occupied(o) => (*o.get(), false),
            hashbrown::hash_table::Entry::Vacant(v) => {
                v.insert(next);
                self.dict.push(text);
                (next, true)
            }
        }
    }

    /// Like [`TextColumn::insert_owned`] for borrowed text.
    pub(crate) fn insert(&mut self, text: &str) -> (u32, bool) {
        let hash = hash_str(text);
        let next = self.dict.len() as u32;
        let dict = &self.dict;
        let entry = self.index.entry(hash, |&c| &*dict[c as usize] == text, |&c| hash_str(&dict[c as usize]));
        match entry {
            hashbrown::hash_table::Entry::Occupied(o) => (*o.get(), false),
            hashbrown::hash_table::Entry::Vacant(v) => {
                v.insert(next);
                self.dict.push(text.into());
                (next, true)
            }
        }
    }

    /// Room for `cells` more cells and `values` more distinct values.
    pub(crate) fn reserve(&mut self, cells: usize, values: usize) {
        self.codes.reserve(cells);
        self.dict.reserve(values);
        let dict = &self.dict;
        self.index.reserve(values, |&c| hash_str(&dict[c as usize]));
    }

    /// Appends a cell.
    pub fn push(&mut self, text: Option<&str>) {
        let code = match text {
            Some(t) => self.intern(t),
            None => NULL_CODE,
        };
        self.codes.push(code);
    }

    /// The text of `row`, `None` when null.
    pub fn get(&self, row: usize) -> Option<&str> {
        let code = *self.codes.get(row)?;
        self.dict.get(code as usize).map(|s| &**s)
    }

    /// The text of a code.
    pub fn text(&self, code: u32) -> Option<&str> {
        self.dict.get(code as usize).map(|s| &**s)
    }

    pub fn len(&self) -> usize {
        self.codes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_in_order_of_first_appearance() {
        let col = TextColumn::from_values([Some("b"), None, Some("a"), Some("b")]);
        assert_eq!(col.codes, vec![0, NULL_CODE, 1, 0]);
        assert_eq!(col.code_of("a"), Some(1));
        assert_eq!(col.code_of("c"), None);
        assert_eq!(col.get(1), None);
        assert_eq!(col.get(3), Some("b"));
    }
}
