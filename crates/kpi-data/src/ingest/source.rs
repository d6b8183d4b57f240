//! The general reader: text in any encoding and delimiter, JSON documents, workbooks, read as rows of text cells.
use crate::error::DataError;

/// A source table as rows of text cells, each row with where it came from.
#[derive(Debug, Default, Clone)]
pub(super) struct Raw {
    pub(super) header: Vec<String>,
    pub(super) rows: Vec<Vec<String>>,
    /// Each row's file (index into `files`) and its line, or its row in a sheet.
    pub(super) origin: Vec<(u16, u32)>,
    pub(super) files: Vec<SourceFile>,
    /// Rows a profile's filter left out.
    pub(super) filtered: usize,
    /// Rows merged into others by collapsing.
    pub(super) collapsed: usize,
}

/// One file read into a [`Raw`].
#[derive(Debug, Clone)]
pub(super) struct SourceFile {
    pub(super) name: String,
    /// For a workbook: the sheet and its first column (0-based), for cell names like `Sheet1!D17`.
    pub(super) sheet: Option<(String, u32)>,
    /// The line (or sheet row) of the header.
    pub(super) header_line: u32,
}

/// Text encodings a profile can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Utf8,
    Utf16,
    Windows1252,
    Cp850,
}

/// The encoding a profile names.
pub(crate) fn encoding_named(name: &str) -> Option<Encoding> {
    match name.to_ascii_lowercase().replace('_', "-").as_str() {
        "utf-8" | "utf8" => Some(Encoding::Utf8),
        "utf-16" | "utf16" | "unicode" => Some(Encoding::Utf16),
        "windows-1252" | "cp1252" | "latin1" | "iso-8859-1" => Some(Encoding::Windows1252),
        "cp850" | "ibm850" | "850" | "dos-850" => Some(Encoding::Cp850),
        _ => None,
    }
}

/// The delimiter a profile names.
pub(crate) fn delimiter_named(name: &str) -> Option<u8> {
    match name {
        "\t" | "tab" | "\\t" => Some(b'\t'),
        d if d.len() == 1 && d.is_ascii() && d != "\"" && d != "\n" => Some(d.as_bytes()[0]),
        _ => None,
    }
}

/// Whether `file` is a workbook read through calamine.
pub(super) fn is_workbook(file: &str) -> bool {
    let lower = file.to_ascii_lowercase();
    [".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"].iter().any(|e| lower.ends_with(e))
}

/// Whether `file` is one JSON document (an array of objects, or an object wrapping one).
pub(super) fn is_json_document(file: &str) -> bool {
    file.to_ascii_lowercase().ends_with(".json")
}

/// Whether a file name matches a pattern with `*` (any run) and `?` (one character).
pub(super) fn matches_pattern(pattern: &str, name: &str) -> bool {
    fn go(p: &[char], n: &[char]) -> bool {
        match p.split_first() {
            None => n.is_empty(),
            Some(('*', rest)) => (0..=n.len()).any(|i| go(rest, &n[i..])),
            Some(('?', rest)) => !n.is_empty() && go(rest, &n[1..]),
            Some((c, rest)) => n.first() == Some(c) && go(rest, &n[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    go(&p, &n)
}

/// Code page 850 (DOS Latin-1), bytes 0x80..=0xFF.
const CP850: [char; 128] = [
    'Ç', 'ü', 'é', 'â', 'ä', 'à', 'å', 'ç', 'ê', 'ë', 'è', 'ï', 'î', 'ì', 'Ä', 'Å', //
    'É', 'æ', 'Æ', 'ô', 'ö', 'ò', 'û', 'ù', 'ÿ', 'Ö', 'Ü', 'ø', '£', 'Ø', '×', 'ƒ', //
    'á', 'í', 'ó', 'ú', 'ñ', 'Ñ', 'ª', 'º', '¿', '®', '¬', '½', '¼', '¡', '«', '»', //
    '░', '▒', '▓', '│', '┤', 'Á', 'Â', 'À', '©', '╣', '║', '╗', '╝', '¢', '¥', '┐', //
    '└', '┴', '┬', '├', '─', '┼', 'ã', 'Ã', '╚', '╔', '╩', '╦', '╠', '═', '╬', '¤', //
    'ð', 'Ð', 'Ê', 'Ë', 'È', 'ı', 'Í', 'Î', 'Ï', '┘', '┌', '█', '▄', '¦', 'Ì', '▀', //
    'Ó', 'ß', 'Ô', 'Ò', 'õ', 'Õ', 'µ', 'þ', 'Þ', 'Ú', 'Û', 'Ù', 'ý', 'Ý', '¯', '´', //
    '\u{AD}', '±', '‗', '¾', '¶', '§', '÷', '¸', '°', '¨', '·', '¹', '³', '²', '■', '\u{A0}',
];

/// The text of a file's bytes in `encoding`; unset: UTF-8 (or UTF-16 when a BOM says so).
pub(super) fn decode(file: &str, bytes: &[u8], encoding: Option<Encoding>) -> Result<String, DataError> {
    let utf16_bom = bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]);
    match encoding {
        Some(Encoding::Utf16) | None if utf16_bom => {
            let (text, _, bad) = encoding_rs::UTF_16LE.decode(bytes);
            if bad {
                return Err(DataError::file(
                    file,
                    "invalid UTF-16: the file's bytes do not match its byte-order mark",
                ));
            }
            Ok(text.into_owned())
        }
        Some(Encoding::Utf16) => {
            let (text, bad) = encoding_rs::UTF_16LE.decode_without_bom_handling(bytes);
            if bad {
                return Err(DataError::file(file, "invalid UTF-16 (little-endian, no byte-order mark)"));
            }
            Ok(text.into_owned())
        }
        Some(Encoding::Windows1252) => {
            Ok(encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0.into_owned())
        }
        Some(Encoding::Cp850) => {
            Ok(bytes.iter().map(|&b| if b < 0x80 { b as char } else { CP850[(b - 0x80) as usize] }).collect())
        }
        Some(Encoding::Utf8) | None => {
            let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(bytes);
            match std::str::from_utf8(body) {
                Ok(t) => Ok(t.to_string()),
                Err(e) => {
                    let mut err = super::read::utf8_error(file, body, e.valid_up_to(), 1);
                    err.message.push_str(", or name its encoding in the profile (`encoding = \"windows-1252\"` or `\"cp850\"`)");
                    Err(err)
                }
            }
        }
    }
}

/// The delimiter of a text's header line: the most frequent of `,` `;` tab `|` outside quotes.
pub(super) fn detect_delimiter(text: &str) -> u8 {
    let mut counts = [0usize; 4];
    let mut quoted = false;
    for b in text.bytes() {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            b'|' if !quoted => counts[3] += 1,
            _ => {}
        }
    }
    let best = (0..4).max_by_key(|&i| (counts[i], 4 - i)).unwrap_or(0);
    if counts[best] == 0 {
        b','
    } else {
        [b',', b';', b'\t', b'|'][best]
    }
}

/// Delimited text into a header and rows (RFC 4180 quoting, blank lines skipped).
pub(super) fn parse_delimited(
    file: &str,
    text: &str,
    delimiter: u8,
    file_ix: u16,
    raw: &mut Raw,
) -> Result<(), DataError> {
    let b = text.as_bytes();
    let (mut pos, mut line) = (0usize, 1u32);
    let mut first = true;
    while pos < b.len() {
        if b[pos] == b'\n' || (b[pos] == b'\r' && b.get(pos + 1) == Some(&b'\n')) {
            pos += if b[pos] == b'\r' { 2 } else { 1 };
            line += 1;
            continue;
        }
        let start_line = line;
        let mut fields = Vec::new();
        let mut field = String::new();
        loop {
            if pos < b.len() && b[pos] == b'"' {
                pos += 1;
                let mut closed = false;
                while pos < b.len() {
                    match b[pos] {
                        b'"' if b.get(pos + 1) == Some(&b'"') => {
                            field.push('"');
                            pos += 2;
                        }
                        b'"' => {
                            pos += 1;
                            closed = true;
                            break;
                        }
                        c => {
                            if c == b'\n' {
                                line += 1;
                            }
                            let end = pos + text[pos..].chars().next().map_or(1, char::len_utf8);
                            field.push_str(&text[pos..end]);
                            pos = end;
                            let _ = c;
                        }
                    }
                }
                if !closed {
                    return Err(DataError::at(file, start_line as usize, "a quoted value is never closed"));
                }
            }
            while pos < b.len()
                && b[pos] != delimiter
                && b[pos] != b'\n'
                && !(b[pos] == b'\r' && b.get(pos + 1) == Some(&b'\n'))
            {
                let end = pos + text[pos..].chars().next().map_or(1, char::len_utf8);
                field.push_str(&text[pos..end]);
                pos = end;
            }
            fields.push(std::mem::take(&mut field));
            if pos < b.len() && b[pos] == delimiter {
                pos += 1;
                continue;
            }
            break;
        }
        if first {
            first = false;
            let header: Vec<String> = fields.iter().map(|f| f.trim().to_string()).collect();
            if raw.files.len() > 1 && header != raw.header {
                return Err(DataError::at(
                    file,
                    start_line as usize,
                    format!(
                        "the header differs from {}'s: files read as one table need the same columns",
                        raw.files[0].name
                    ),
                ));
            }
            raw.header = header;
            raw.files[file_ix as usize].header_line = start_line;
        } else {
            raw.rows.push(fields);
            raw.origin.push((file_ix, start_line));
        }
    }
    Ok(())
}

/// A JSON document (an array of objects, or an object whose `items` or `result` is one) or JSON
/// Lines, objects flattened to dotted paths (`owner.identifier`, `_info.dateEntered`). A
/// reference object `{link, value}` (ServiceNow) also gives its `value` under its own name.
pub(super) fn parse_json(
    file: &str,
    text: &str,
    lines: bool,
    file_ix: u16,
    raw: &mut Raw,
) -> Result<(), DataError> {
    let mut objects: Vec<(u32, serde_json::Map<String, serde_json::Value>)> = Vec::new();
    if lines {
        for (i, l) in text.lines().enumerate() {
            if l.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<serde_json::Value>(l) {
                Ok(serde_json::Value::Object(m)) => objects.push((i as u32 + 1, m)),
                Ok(_) => return Err(DataError::at(file, i + 1, "expected a JSON object on this line")),
                Err(e) => return Err(DataError::at(file, i + 1, format!("invalid JSON: {e}"))),
            }
        }
    } else {
        let doc: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| DataError::at(file, e.line(), format!("invalid JSON: {e}")))?;
        let list = match doc {
            serde_json::Value::Array(a) => a,
            serde_json::Value::Object(mut m) => {
                // A wrapper: `items`, `result` (ServiceNow), else its only array (HaloPSA's `tickets`).
                let arrays: Vec<String> =
                    m.iter().filter(|(_, v)| v.is_array()).map(|(k, _)| k.clone()).collect();
                let key = ["items", "result"].iter().map(|k| k.to_string()).find(|k| arrays.contains(k));
                match key
                    .or_else(|| (arrays.len() == 1).then(|| arrays[0].clone()))
                    .and_then(|k| m.remove(&k))
                {
                    Some(serde_json::Value::Array(a)) => a,
                    _ => vec![serde_json::Value::Object(m)],
                }
            }
            _ => {
                return Err(DataError::file(
                    file,
                    "expected a JSON array of objects, or an object with an `items` array",
                ))
            }
        };
        for (i, v) in list.into_iter().enumerate() {
            match v {
                // A document has no useful lines: rows are numbered from 1 in the array.
                serde_json::Value::Object(m) => objects.push((i as u32 + 1, m)),
                _ => {
                    return Err(DataError::file(
                        file,
                        format!("item {} of the array is not a JSON object", i + 1),
                    ))
                }
            }
        }
    }
    let mut position: std::collections::HashMap<String, usize> =
        raw.header.iter().enumerate().map(|(i, h)| (h.clone(), i)).collect();
    let mut flat = Vec::new();
    for (n, obj) in objects {
        flat.clear();
        flatten("", &serde_json::Value::Object(obj), &mut flat);
        let mut row = vec![String::new(); raw.header.len()];
        for (k, v) in flat.drain(..) {
            let i = *position.entry(k.clone()).or_insert_with(|| {
                raw.header.push(k);
                raw.header.len() - 1
            });
            if row.len() <= i {
                row.resize(i + 1, String::new());
            }
            row[i] = v;
        }
        raw.rows.push(row);
        raw.origin.push((file_ix, n));
    }
    let width = raw.header.len();
    raw.rows.iter_mut().for_each(|r| r.resize(width, String::new()));
    Ok(())
}

fn flatten(prefix: &str, v: &serde_json::Value, out: &mut Vec<(String, String)>) {
    use serde_json::Value as V;
    match v {
        V::Object(m) => {
            if !prefix.is_empty() {
                if let Some(value) = m.get("value").filter(|_| m.contains_key("link")) {
                    flatten(prefix, value, out);
                }
            }
            for (k, x) in m {
                let path = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                flatten(&path, x, out);
            }
        }
        V::Null => out.push((prefix.to_string(), String::new())),
        V::String(s) => out.push((prefix.to_string(), s.clone())),
        V::Array(_) | V::Bool(_) | V::Number(_) => out.push((prefix.to_string(), v.to_string())),
    }
}

/// A workbook's sheet (the named one, else the first): the first non-empty row is the header.
/// Dates become `YYYY-MM-DD HH:MM:SS` (naive, read in the export's zone), whole numbers lose
/// their `.0`, error cells read as their text (`#N/A`), which a typed column then reports.
pub(super) fn parse_workbook(
    file: &str,
    bytes: Vec<u8>,
    sheet: Option<&str>,
    file_ix: u16,
    raw: &mut Raw,
) -> Result<(), DataError> {
    use calamine::{Data, Reader};
    let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes))
        .map_err(|e| DataError::file(file, format!("cannot read the workbook: {e}")))?;
    let names = book.sheet_names();
    let name = match sheet {
        Some(s) => names.iter().find(|n| n.as_str() == s).cloned().ok_or_else(|| {
            DataError::file(file, format!("no sheet `{s}`; the sheets are {}", names.join(", ")))
        })?,
        None => names.first().cloned().ok_or_else(|| DataError::file(file, "the workbook has no sheet"))?,
    };
    let range = book
        .worksheet_range(&name)
        .map_err(|e| DataError::file(file, format!("cannot read sheet `{name}`: {e}")))?;
    let (row0, col0) = range.start().unwrap_or((0, 0));
    raw.files[file_ix as usize].sheet = Some((name, col0));
    let cell = |d: &Data| -> String {
        match d {
            Data::Empty => String::new(),
            Data::String(s) => s.clone(),
            Data::Int(i) => i.to_string(),
            Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
            Data::Float(f) => f.to_string(),
            Data::Bool(b) => b.to_string(),
            Data::DateTime(d) => match d.as_datetime() {
                Some(_) if d.is_duration() => format!("{}", d.as_f64()),
                Some(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
                None => d.as_f64().to_string(),
            },
            Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
            Data::Error(e) => format!("{e}"),
        }
    };
    let mut header_seen = false;
    for (r, row) in range.rows().enumerate() {
        let cells: Vec<String> = row.iter().map(cell).collect();
        let sheet_row = row0 + r as u32 + 1;
        if !header_seen {
            if cells.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            header_seen = true;
            let header: Vec<String> = cells.iter().map(|c| c.trim().to_string()).collect();
            if raw.files.len() > 1 && header != raw.header {
                return Err(DataError::at(
                    file,
                    sheet_row as usize,
                    "the header differs from the first file's",
                ));
            }
            raw.header = header;
            raw.files[file_ix as usize].header_line = sheet_row;
            continue;
        }
        if cells.iter().all(|c| c.is_empty()) {
            continue;
        }
        raw.rows.push(cells);
        raw.origin.push((file_ix, sheet_row));
    }
    Ok(())
}

/// The column letters of a 0-based column (`0` -> `A`, `27` -> `AB`).
pub(super) fn column_letters(mut col: u32) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_delimiters_letters_and_code_pages() {
        assert!(matches_pattern("tickets_*.csv", "tickets_2024Q1.csv"));
        assert!(!matches_pattern("tickets_*.csv", "tickets.csv"));
        assert!(matches_pattern("t?.csv", "t1.csv"));
        assert_eq!(detect_delimiter("a;b;\"c,d\"\n1;2;3"), b';');
        assert_eq!(detect_delimiter("a\tb\tc"), b'\t');
        assert_eq!(detect_delimiter("a,b"), b',');
        assert_eq!(detect_delimiter("single"), b',');
        assert_eq!(
            (column_letters(0), column_letters(3), column_letters(27)),
            ("A".into(), "D".into(), "AB".into())
        );
        // "Solicitação" in code page 850: ç is 0x87, ã is 0xC6.
        let cp850 = b"Solicita\x87\xC6o";
        assert_eq!(decode("f", cp850, Some(Encoding::Cp850)).unwrap(), "Solicitação");
        assert_eq!(decode("f", b"caf\xE9", Some(Encoding::Windows1252)).unwrap(), "café");
        let utf16: Vec<u8> =
            [0xFF, 0xFE].into_iter().chain("id\u{e9}".encode_utf16().flat_map(|u| u.to_le_bytes())).collect();
        assert_eq!(decode("f", &utf16, None).unwrap(), "idé");
        let e = decode("f.csv", b"caf\xE9", None).unwrap_err().to_string();
        assert!(e.contains("encoding = \"windows-1252\""), "{e}");
    }

    #[test]
    fn json_documents_flatten_nested_objects_and_references() {
        let mut raw = Raw {
            files: vec![SourceFile { name: "t.json".into(), sheet: None, header_line: 0 }],
            ..Raw::default()
        };
        let doc = r#"{"items": [{"id": 1, "owner": {"identifier": "jd"}, "_info": {"dateEntered": "2026-01-02T03:04:05Z"}},
            {"id": 2, "assigned_to": {"link": "https://x/api", "value": "abc"}, "owner": null}]}"#;
        parse_json("t.json", doc, false, 0, &mut raw).unwrap();
        assert_eq!(
            raw.header,
            [
                "_info.dateEntered",
                "id",
                "owner.identifier",
                "assigned_to",
                "assigned_to.link",
                "assigned_to.value",
                "owner"
            ]
        );
        assert_eq!(raw.rows[0][2], "jd");
        assert_eq!(raw.rows[1][3], "abc");
        assert_eq!(raw.origin, [(0, 1), (0, 2)]);
    }
}
