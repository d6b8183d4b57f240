//! Column storage: an owned vector, or a read-only view into a memory-mapped cache file; and
//! windows of mapped input files.
//!
//! A warm load maps the cache file and hands out views into it, so a column costs nothing until
//! it is read and is never copied (see `cache.rs`). Code reading columns sees a `&[T]` either way.
//! A cold load parses CSV straight from a mapped window of the file instead of reading a copy
//! (see `ingest/blocks.rs`).
#![allow(unsafe_code)]

use memmap2::{Mmap, MmapOptions};
use std::ops::Deref;
use std::sync::Arc;

/// Element types a cache blob can be viewed as.
///
/// # Safety
/// A byte slice for which [`Plain::valid_bytes`] returns true, correctly aligned and a whole
/// number of elements long, must hold valid values of `Self` (in the machine's byte order).
pub unsafe trait Plain: Copy + Send + Sync + 'static {
    fn valid_bytes(_bytes: &[u8]) -> bool {
        true
    }
}

// SAFETY: every bit pattern is a valid integer or float.
unsafe impl Plain for u8 {}
unsafe impl Plain for u32 {}
unsafe impl Plain for u64 {}
unsafe impl Plain for i64 {}
unsafe impl Plain for f64 {}

// SAFETY: `bool` is one byte, 0 or 1, which is what is checked.
unsafe impl Plain for bool {
    fn valid_bytes(bytes: &[u8]) -> bool {
        bytes.iter().all(|&b| b <= 1)
    }
}

/// The values of a column: owned, or borrowed from a mapped file kept alive by an `Arc`.
pub struct Buf<T: Plain> {
    repr: Repr<T>,
}

enum Repr<T> {
    Owned(Vec<T>),
    /// `len` values starting `offset` bytes into `map`; checked by [`Buf::mapped`].
    Mapped {
        map: Arc<Mmap>,
        offset: usize,
        len: usize,
    },
}

impl<T: Plain> Buf<T> {
    /// A view of `map[offset..offset + len * size_of::<T>()]`; `None` unless that range is in
    /// bounds, aligned for `T` and holds valid values. Only in little-endian order, the cache's.
    pub(crate) fn mapped(map: &Arc<Mmap>, offset: usize, len: usize) -> Option<Buf<T>> {
        let size = len.checked_mul(std::mem::size_of::<T>())?;
        let bytes = map.get(offset..offset.checked_add(size)?)?;
        let aligned = bytes.as_ptr().cast::<T>().is_aligned();
        if !cfg!(target_endian = "little") || !aligned || !T::valid_bytes(bytes) {
            return None;
        }
        Some(Buf { repr: Repr::Mapped { map: Arc::clone(map), offset, len } })
    }

    pub fn as_slice(&self) -> &[T] {
        match &self.repr {
            Repr::Owned(v) => v,
            Repr::Mapped { map, offset, len } => {
                // SAFETY: `mapped` checked that the range is in bounds, aligned and holds valid
                // values; the map is read-only and lives as long as `self` holds the `Arc`.
                unsafe { std::slice::from_raw_parts(map.as_ptr().add(*offset).cast::<T>(), *len) }
            }
        }
    }

    /// The values as an owned vector to change; a mapped view is copied first.
    pub fn to_mut(&mut self) -> &mut Vec<T> {
        if let Repr::Mapped { .. } = self.repr {
            self.repr = Repr::Owned(self.as_slice().to_vec());
        }
        match &mut self.repr {
            Repr::Owned(v) => v,
            Repr::Mapped { .. } => unreachable!("made owned above"),
        }
    }
}

impl<T: Plain> Deref for Buf<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<'a, T: Plain> IntoIterator for &'a Buf<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter()
    }
}

impl<T: Plain> From<Vec<T>> for Buf<T> {
    fn from(v: Vec<T>) -> Buf<T> {
        Buf { repr: Repr::Owned(v) }
    }
}

impl<T: Plain> Default for Buf<T> {
    fn default() -> Buf<T> {
        Vec::new().into()
    }
}

impl<T: Plain> Clone for Buf<T> {
    fn clone(&self) -> Buf<T> {
        match &self.repr {
            Repr::Owned(v) => v.clone().into(),
            Repr::Mapped { map, offset, len } => {
                Buf { repr: Repr::Mapped { map: Arc::clone(map), offset: *offset, len: *len } }
            }
        }
    }
}

impl<T: Plain + std::fmt::Debug> std::fmt::Debug for Buf<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_slice().fmt(f)
    }
}

impl<T: Plain + PartialEq> PartialEq for Buf<T> {
    fn eq(&self, other: &Buf<T>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: Plain + Eq> Eq for Buf<T> {}

impl<T: Plain + PartialEq> PartialEq<[T]> for Buf<T> {
    fn eq(&self, other: &[T]) -> bool {
        self.as_slice() == other
    }
}

impl<T: Plain + PartialEq, const N: usize> PartialEq<[T; N]> for Buf<T> {
    fn eq(&self, other: &[T; N]) -> bool {
        self.as_slice() == other
    }
}

impl<T: Plain + PartialEq> PartialEq<Vec<T>> for Buf<T> {
    fn eq(&self, other: &Vec<T>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

/// `len` bytes of a file from byte `offset` (any offset), mapped read-only with the pages
/// present: the loader parses a window, then drops it, so only about two windows are resident.
pub(crate) struct FileWindow {
    map: Mmap,
    offset: u64,
}

impl FileWindow {
    pub(crate) fn map(file: &std::fs::File, offset: u64, len: usize) -> std::io::Result<FileWindow> {
        // SAFETY: a read-only mapping of a file the loader opened read-only, within the size it
        // had when opened. As with any mapping, a file changed or truncated while it is read
        // could change the bytes seen (or fault): inputs are exports that nothing writes during
        // a load, as the cache's files are.
        let map = unsafe { MmapOptions::new().offset(offset).len(len).populate().map(file) }?;
        Ok(FileWindow { map, offset })
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.map
    }

    /// Where the window starts in the file.
    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map_of(bytes: &[u8]) -> Arc<Mmap> {
        let mut file = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut file, bytes).unwrap();
        // SAFETY: a private temporary file nobody else changes.
        Arc::new(unsafe { Mmap::map(&file) }.unwrap())
    }

    #[test]
    fn views_check_bounds_alignment_and_values() {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&7i64.to_le_bytes());
        bytes.extend_from_slice(&(-2i64).to_le_bytes());
        bytes.extend_from_slice(&[1, 0, 2, 0, 0, 0, 0, 0]);
        let map = map_of(&bytes);
        assert_eq!(Buf::<i64>::mapped(&map, 0, 2).unwrap(), [7, -2]);
        assert!(Buf::<i64>::mapped(&map, 0, 4).is_none(), "out of bounds");
        assert!(Buf::<i64>::mapped(&map, 4, 1).is_none(), "misaligned");
        assert_eq!(Buf::<bool>::mapped(&map, 16, 2).unwrap(), [true, false]);
        assert!(Buf::<bool>::mapped(&map, 16, 3).is_none(), "2 is not a bool");
        let mut b = Buf::<i64>::mapped(&map, 8, 1).unwrap();
        b.to_mut().push(5);
        assert_eq!(b, [-2, 5]);
    }

    #[test]
    fn windows_start_at_any_offset() {
        let bytes: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
        let mut file = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut file, &bytes).unwrap();
        for (offset, len) in [(0, 20_000), (1, 10), (4095, 2), (4096, 5000), (12_345, 7655)] {
            let w = FileWindow::map(&file, offset as u64, len).unwrap();
            assert_eq!((w.bytes(), w.offset()), (&bytes[offset..offset + len], offset as u64));
        }
    }
}
