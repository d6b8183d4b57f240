//! Taking a file in blocks: memory-mapped windows of a regular file, or buffers read from any other source.
use super::discover::{Input, Opened};
use crate::buf::FileWindow;
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use xxhash_rust::xxh3::Xxh3;

/// Bytes read from a CSV file at a time; a record straddling a block's end moves to the next.
pub(super) const BLOCK_BYTES: usize = 16 << 20;
/// Bytes per parallel parse job.
pub(super) const CHUNK_BYTES: usize = 512 << 10;

/// Block and chunk sizes (small in tests, to cross many boundaries).
#[derive(Clone, Copy)]
pub(super) struct Sizes {
    pub(super) block: usize,
    pub(super) chunk: usize,
}

pub(super) const SIZES: Sizes = Sizes { block: BLOCK_BYTES, chunk: CHUNK_BYTES };

/// Bytes of a file not parsed yet: read into a buffer, or a mapped window of the file.
pub(super) enum Window {
    Read(Vec<u8>),
    Mapped(FileWindow),
}

impl Window {
    pub(super) fn bytes(&self) -> &[u8] {
        match self {
            Window::Read(v) => v,
            Window::Mapped(w) => w.bytes(),
        }
    }
}

/// A file read a block at a time: a regular file is mapped a window at a time (no copy), any
/// other source (or a file that cannot be mapped) is read into buffers.
pub(super) struct Blocks<'a> {
    src: Feed<'a>,
    pub(super) eof: bool,
    size: usize,
    /// A buffer to read into, kept from a window done with.
    spare: Vec<u8>,
    /// Bytes taken in so far, across files (a progress bar reads it).
    progress: Option<Arc<AtomicU64>>,
    /// The hash of every byte taken in, in order, when the file is stamped for the cache.
    hasher: Option<Box<Xxh3>>,
    /// Bytes taken in.
    read: u64,
}

enum Feed<'a> {
    Map { file: std::fs::File, len: u64 },
    Read(Box<dyn Read + Send + 'a>),
}

impl<'a> Blocks<'a> {
    pub(super) fn new((src, len): Opened<'a>, size: usize, progress: Option<Arc<AtomicU64>>) -> Blocks<'a> {
        let src = match src {
            Input::File(file) => Feed::Map { file, len },
            Input::Reader(r) => Feed::Read(r),
        };
        Blocks { src, eof: false, size, spare: Vec::new(), progress, hasher: None, read: 0 }
    }

    /// Hash every byte taken in from now on (call before [`Blocks::first`]).
    pub(super) fn hash(&mut self) {
        self.hasher = Some(Box::new(Xxh3::new()));
    }

    /// The hash of the bytes taken in and how many there were, when hashed.
    pub(super) fn digest(&self) -> Option<(u64, u64)> {
        self.hasher.as_ref().map(|h| (h.digest(), self.read))
    }

    /// New bytes taken in: counted for the progress bar, hashed for the cache's stamp.
    fn taken(&mut self, bytes: &[u8]) {
        if let Some(p) = &self.progress {
            p.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        }
        if let Some(h) = &mut self.hasher {
            h.update(bytes);
        }
        self.read += bytes.len() as u64;
    }

    /// The first window of the file.
    pub(super) fn first(&mut self) -> std::io::Result<Window> {
        if let Feed::Map { file, len } = &self.src {
            let (n, len) = ((*len).min(self.size as u64) as usize, *len);
            if n == 0 {
                self.eof = true;
                return Ok(Window::Read(Vec::new()));
            }
            match FileWindow::map(file, 0, n) {
                Ok(w) => {
                    self.eof = n as u64 == len;
                    self.taken(w.bytes());
                    return Ok(Window::Mapped(w));
                }
                // Read it instead (the file is still at its start).
                Err(_) => {
                    let empty = Feed::Read(Box::new(std::io::empty()));
                    if let Feed::Map { file, .. } = std::mem::replace(&mut self.src, empty) {
                        self.src = Feed::Read(Box::new(file));
                    }
                }
            }
        }
        self.next(&Window::Read(Vec::new()), 0)
    }

    /// The window after `cur`: its bytes from `from` on, then up to a block more.
    pub(super) fn next(&mut self, cur: &Window, from: usize) -> std::io::Result<Window> {
        let rest = &cur.bytes()[from..];
        let window = match (&mut self.src, cur) {
            (Feed::Map { file, len }, Window::Mapped(w)) => {
                let offset = w.offset() + from as u64;
                let n = (*len - offset).min((rest.len() + self.size) as u64) as usize;
                self.eof = offset + n as u64 == *len;
                if n == 0 {
                    return Ok(Window::Read(Vec::new()));
                }
                Window::Mapped(FileWindow::map(file, offset, n)?)
            }
            (Feed::Read(src), _) => {
                let mut buf = std::mem::take(&mut self.spare);
                buf.clear();
                buf.reserve(rest.len() + self.size);
                buf.extend_from_slice(rest);
                if !self.eof {
                    let n = src.take(self.size as u64).read_to_end(&mut buf)?;
                    self.eof = n < self.size;
                }
                Window::Read(buf)
            }
            (Feed::Map { .. }, Window::Read(v)) => {
                // Only the empty first window of an empty file.
                debug_assert!(v.is_empty() && self.eof);
                return Ok(Window::Read(Vec::new()));
            }
        };
        self.taken(&window.bytes()[rest.len()..]);
        Ok(window)
    }

    /// Takes back a window done with, to reuse its buffer.
    pub(super) fn recycle(&mut self, w: Window) {
        if let Window::Read(v) = w {
            if v.capacity() > self.spare.capacity() {
                self.spare = v;
            }
        }
    }
}
