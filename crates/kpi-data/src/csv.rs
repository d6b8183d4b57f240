//! A byte-level RFC 4180 record reader over text already checked as UTF-8, plus chunking for parallel parses.

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
                    let Some(off) = bytes[p..].iter().position(|&b| b == b'"' || b == b'\n') else {
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
                let end = rest.iter().position(|&b| b == b',' || b == b'\n').unwrap_or(rest.len());
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

/// Splits `src` (the records after the header) into pieces of about `target` bytes that end at
/// record boundaries, with the line each piece starts on. Quote parity is tracked so a newline
/// inside a quoted value is never a boundary.
pub(crate) fn split_chunks(src: &str, first_line: usize, target: usize) -> Vec<(usize, usize, usize)> {
    let bytes = src.as_bytes();
    let mut chunks = Vec::new();
    let mut start = 0;
    let mut line = first_line;
    while start < bytes.len() {
        let mut end = (start + target).min(bytes.len());
        // Counting is vectorised by the compiler, far cheaper than the parse itself.
        let mut quotes = bytes[start..end].iter().filter(|&&b| b == b'"').count();
        loop {
            if end >= bytes.len() {
                end = bytes.len();
                break;
            }
            match bytes[end..].iter().position(|&b| b == b'\n' || b == b'"') {
                None => {
                    end = bytes.len();
                    break;
                }
                Some(off) => {
                    let at = end + off;
                    end = at + 1;
                    if bytes[at] == b'"' {
                        quotes += 1;
                    } else if quotes % 2 == 0 {
                        break;
                    }
                }
            }
        }
        chunks.push((start, end, line));
        line += bytes[start..end].iter().filter(|&&b| b == b'\n').count();
        start = end;
    }
    chunks
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
            let chunks = split_chunks(src, 2, target);
            let mut all = Vec::new();
            for (a, b, line) in chunks {
                for rec in records(&src[a..b]) {
                    let (l, f) = rec.unwrap();
                    all.push((l + line - 1, f[0].clone()));
                }
            }
            let ids: Vec<_> = all.iter().map(|(l, f)| (*l, f.as_str())).collect();
            assert_eq!(ids, vec![(2, "1"), (4, "2"), (5, "3"), (8, "4")], "target {target}");
        }
    }
}
