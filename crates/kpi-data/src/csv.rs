//! A byte-level RFC 4180 record reader over text already checked as UTF-8, plus chunking for parallel parses.
use memchr::{memchr, memchr2};

/// Where a field's text is: a slice of the input, or of the reader's scratch (unescaped `""`).
#[derive(Clone, Copy, Debug)]
enum FieldRef {
    Input(usize, usize),
    Scratch(usize, usize),
}

/// A malformed record; reading stops there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CsvError {
    pub line: usize,
    /// 1-based field position.
    pub column: usize,
    pub message: String,
}

pub(crate) struct CsvReader<'a> {
    src: &'a str,
    pos: usize,
    /// 1-based line of `pos`.
    line: usize,
    scratch: String,
    fields: Vec<FieldRef>,
}

impl<'a> CsvReader<'a> {
    /// A reader of `src`, whose first byte is on line `line`.
    pub fn new(src: &'a str, line: usize) -> CsvReader<'a> {
        CsvReader { src, pos: 0, line, scratch: String::new(), fields: Vec::new() }
    }

    /// Reads the next record and returns the line it starts on; `None` at the end.
    /// Blank lines are skipped.
    pub fn next_record(&mut self) -> Option<Result<usize, CsvError>> {
        let bytes = self.src.as_bytes();
        // Skip blank lines (a trailing newline, Excel's empty rows).
        loop {
            if self.pos >= bytes.len() {
                return None;
            }
            match bytes[self.pos] {
                b'\n' => {
                    self.pos += 1;
                    self.line += 1;
                }
                b'\r' if bytes.get(self.pos + 1) == Some(&b'\n') => {
                    self.pos += 2;
                    self.line += 1;
                }
                _ => break,
            }
        }
        self.fields.clear();
        self.scratch.clear();
        let start_line = self.line;
        loop {
            let column = self.fields.len() + 1;
            if bytes.get(self.pos) == Some(&b'"') {
                let quote_line = self.line;
                let mut p = self.pos + 1;
                let mut seg_start = p;
                let mut escaped = false;
                let scratch_start = self.scratch.len();
                loop {
                    let Some(off) = memchr2(b'"', b'\n', &bytes[p..]) else {
                        return Some(Err(CsvError {
                            line: quote_line,
                            column,
                            message:
                                "unterminated quoted field: the file ends inside quotes (truncated export?)"
                                    .into(),
                        }));
                    };
                    p += off;
                    if bytes[p] == b'\n' {
                        self.line += 1;
                        p += 1;
                        continue;
                    }
                    // A quote: either `""` (an escaped quote) or the closing quote.
                    if bytes.get(p + 1) == Some(&b'"') {
                        self.scratch.push_str(&self.src[seg_start..=p]);
                        escaped = true;
                        p += 2;
                        seg_start = p;
                        continue;
                    }
                    break;
                }
                if escaped {
                    self.scratch.push_str(&self.src[seg_start..p]);
                    self.fields.push(FieldRef::Scratch(scratch_start, self.scratch.len()));
                } else {
                    self.fields.push(FieldRef::Input(self.pos + 1, p));
                }
                p += 1;
                match bytes.get(p) {
                    None => {
                        self.pos = p;
                        return Some(Ok(start_line));
                    }
                    Some(b',') => self.pos = p + 1,
                    Some(b'\n') => {
                        self.pos = p + 1;
                        self.line += 1;
                        return Some(Ok(start_line));
                    }
                    Some(b'\r') if bytes.get(p + 1) == Some(&b'\n') => {
                        self.pos = p + 2;
                        self.line += 1;
                        return Some(Ok(start_line));
                    }
                    Some(_) => {
                        return Some(Err(CsvError {
                            line: self.line,
                            column,
                            message: "unexpected text after a closing quote (a quote inside a quoted value must be doubled: \"\")".into(),
                        }));
                    }
                }
            } else {
                let rest = &bytes[self.pos..];
                let end = find_comma_or_newline(rest);
                let mut field_end = self.pos + end;
                match rest.get(end) {
                    Some(b',') => {
                        self.fields.push(FieldRef::Input(self.pos, field_end));
                        self.pos = field_end + 1;
                    }
                    other => {
                        let newline = other.is_some();
                        if field_end > self.pos && bytes[field_end - 1] == b'\r' {
                            field_end -= 1;
                        }
                        self.fields.push(FieldRef::Input(self.pos, field_end));
                        self.pos = self.pos + end + usize::from(newline);
                        if newline {
                            self.line += 1;
                        }
                        return Some(Ok(start_line));
                    }
                }
            }
        }
    }

    /// Fields of the record just read.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn field(&self, i: usize) -> &str {
        match self.fields[i] {
            FieldRef::Input(a, b) => &self.src[a..b],
            FieldRef::Scratch(a, b) => &self.scratch[a..b],
        }
    }

    /// Byte offset of the next record in the input.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Line of the next record.
    pub fn line(&self) -> usize {
        self.line
    }
}

/// The first `,` or `\n` in `b` (or `b.len()`), 8 bytes at a time: fields are short, so this
/// beats a call to `memchr2` per field.
fn find_comma_or_newline(b: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    while i + 8 <= b.len() {
        let mut word = [0u8; 8];
        word.copy_from_slice(&b[i..i + 8]);
        let w = u64::from_le_bytes(word);
        let (x, y) = (w ^ (ONES * u64::from(b',')), w ^ (ONES * u64::from(b'\n')));
        // The lowest flagged byte of each is exact (false flags only sit above a true zero).
        let found = ((x.wrapping_sub(ONES) & !x) | (y.wrapping_sub(ONES) & !y)) & HIGH;
        if found != 0 {
            return i + (found.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + b[i..].iter().position(|&c| c == b',' || c == b'\n').unwrap_or(b.len() - i)
}

/// Pieces of `src` (records) of about `target` bytes that end at record boundaries. A newline
/// inside a quoted value is never a boundary: quotes are followed as [`CsvReader`] reads them (a
/// quote opens a quoted value only at the start of a field, `""` inside one is a quote, and a
/// quote inside an unquoted value such as `5" monitor` is text), not by parity, which a stray
/// quote would flip. Unless `last` (the end of `src` is the end of the file), the records after
/// the last piece may be incomplete and are left for the next block: returns the pieces and the
/// bytes they cover.
pub(crate) fn split_chunks(src: &[u8], target: usize, last: bool) -> (Vec<(usize, usize)>, usize) {
    let mut chunks = Vec::new();
    let mut start = 0;
    while start < src.len() {
        let mut end = start.saturating_add(target);
        if end >= src.len() {
            if !last {
                break;
            }
            end = src.len();
        } else {
            // Pieces start at record boundaries, outside quotes. Most files have no quotes:
            // finding none is cheaper than following them.
            let mut quotes = Quotes { inside: false, start };
            let mut p = start;
            while let Some(off) = src.get(p..end).and_then(|piece| memchr(b'"', piece)) {
                p = quotes.take(src, p + off);
            }
            // An escaped `""` may straddle `end`.
            p = p.max(end);
            loop {
                match memchr2(b'\n', b'"', &src[p..]) {
                    None if last => {
                        end = src.len();
                        break;
                    }
                    None => return (chunks, start),
                    Some(off) if src[p + off] == b'"' => p = quotes.take(src, p + off),
                    Some(off) => {
                        p += off + 1;
                        if !quotes.inside {
                            end = p;
                            break;
                        }
                    }
                }
            }
        }
        chunks.push((start, end));
        start = end;
    }
    (chunks, start)
}

/// Whether a scan over records is inside a quoted value, as [`CsvReader`] reads quotes.
struct Quotes {
    inside: bool,
    /// Where the scan started: a record boundary.
    start: usize,
}

impl Quotes {
    /// Takes the quote at `at`; returns where to scan on (past `""` inside a quoted value).
    #[inline]
    fn take(&mut self, src: &[u8], at: usize) -> usize {
        if self.inside {
            if src.get(at + 1) == Some(&b'"') {
                return at + 2;
            }
            self.inside = false;
        } else if at == self.start || matches!(src[at - 1], b',' | b'\n') {
            self.inside = true;
        }
        at + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(src: &str) -> Vec<Result<(usize, Vec<String>), CsvError>> {
        let mut r = CsvReader::new(src, 1);
        let mut out = Vec::new();
        while let Some(rec) = r.next_record() {
            match rec {
                Ok(line) => out.push(Ok((line, (0..r.len()).map(|i| r.field(i).to_string()).collect()))),
                Err(e) => {
                    out.push(Err(e));
                    break;
                }
            }
        }
        out
    }

    #[test]
    fn rfc4180_quoting() {
        let got = records("a,b,c\r\n\"x,1\",\"say \"\"hi\"\"\",\"multi\nline\"\n\nlast,,\n");
        assert_eq!(
            got,
            vec![
                Ok((1, vec!["a".into(), "b".into(), "c".into()])),
                Ok((2, vec!["x,1".into(), "say \"hi\"".into(), "multi\nline".into()])),
                Ok((5, vec!["last".into(), "".into(), "".into()])),
            ]
        );
    }

    #[test]
    fn unterminated_quote() {
        let got = records("a,b\n1,\"open\n");
        assert_eq!(
            got[1],
            Err(CsvError { line: 2, column: 2, message: got[1].clone().unwrap_err().message })
        );
    }

    #[test]
    fn chunks_respect_quotes() {
        let src = "1,\"a\nb\"\n2,x\n3,\"\n\n\"\n4,y\n";
        for target in 1..src.len() + 2 {
            let (chunks, covered) = split_chunks(src.as_bytes(), target, true);
            assert_eq!(covered, src.len());
            let mut all = Vec::new();
            for (a, b) in chunks {
                let line = 2 + src[..a].matches('\n').count();
                for rec in records(&src[a..b]) {
                    let (l, f) = rec.unwrap();
                    all.push((l + line - 1, f[0].clone()));
                }
            }
            let ids: Vec<_> = all.iter().map(|(l, f)| (*l, f.as_str())).collect();
            assert_eq!(ids, vec![(2, "1"), (4, "2"), (5, "3"), (8, "4")], "target {target}");
        }
    }

    #[test]
    fn a_stray_quote_does_not_flip_the_chunks() {
        // `5" x` is text; the newline inside the quoted value on the next record is no boundary.
        let src = "1,5\" x\n2,\"a\nb\"\n3,\"\"\"\"\n4,y\n";
        for target in 1..src.len() + 2 {
            let (chunks, covered) = split_chunks(src.as_bytes(), target, true);
            assert_eq!(covered, src.len());
            let starts: Vec<usize> = chunks.iter().map(|c| c.0).collect();
            assert!(starts.iter().all(|&a| [0, 7, 15, 22].contains(&a)), "target {target}: {chunks:?}");
        }
    }

    #[test]
    fn chunks_of_a_block_stop_before_an_incomplete_record() {
        let src = b"1,a\n2,\"b\nc\"\n3,d";
        let (chunks, covered) = split_chunks(src, 1, false);
        assert_eq!(chunks, vec![(0, 4), (4, 12)]);
        assert_eq!(covered, 12);
    }

    #[test]
    fn comma_or_newline() {
        for s in ["", "abc", "abcdefghijk", "abcdefgh,", "a\nb,", "abcdefghijklmno\n"] {
            let want = s.bytes().position(|c| c == b',' || c == b'\n').unwrap_or(s.len());
            assert_eq!(find_comma_or_newline(s.as_bytes()), want, "{s:?}");
        }
    }
}
