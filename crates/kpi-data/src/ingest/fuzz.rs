//! Property tests: the CSV reader reads what the `csv` crate reads, on generated files with
//! quotes, doubled quotes, embedded commas and newlines, CRLF, a BOM, blank lines, empty and huge
//! fields, and records that straddle chunk and block boundaries (small [`Sizes`]).
//!
//! The suite tries a few thousand cases; more with
//! `KPI_FUZZ_CASES=200000 cargo test --release -p kpi-data fuzz` (`KPI_FUZZ_SEED=N` replays
//! another stream). A failure prints the case's seed and file.
use super::blocks::{BLOCK_BYTES, CHUNK_BYTES};
use super::*;
use crate::ColumnData;

/// A tiny xorshift64* generator: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The number of cases to try: `KPI_FUZZ_CASES`, else `default`.
fn cases(default: u64) -> u64 {
    env_number("KPI_FUZZ_CASES", default)
}

/// The generator of case `case`, its stream fixed by `KPI_FUZZ_SEED`.
fn rng_of(case: u64) -> Rng {
    let seed = env_number("KPI_FUZZ_SEED", 0x9E37_79B9_7F4A_7C15);
    Rng((seed ^ case.wrapping_mul(0xD1B5_4A32_D192_ED03)) | 1)
}

/// A field's text: empty (unless `required`), short, or huge; with commas, quotes, newlines and
/// non-ASCII sometimes.
fn field_text(rng: &mut Rng, required: bool) -> String {
    const PLAIN: &[&str] = &["a", "b", "Z", "0", "7", " ", "-", ".", "é", "日本", "x y"];
    const SPECIAL: &[&str] = &[",", "\"", "\n", "\r\n", "\"\"", ",\"", "\r"];
    let len = match rng.below(60) {
        0..=8 if !required => 0,
        9 => 200 + rng.below(3000), // huge next to the small chunks
        _ => 1 + rng.below(12),
    };
    let special = rng.chance(30);
    let mut s = String::new();
    while s.len() < len {
        if special && rng.chance(15) {
            s.push_str(SPECIAL[rng.below(SPECIAL.len())]);
        } else {
            s.push_str(PLAIN[rng.below(PLAIN.len())]);
        }
    }
    s
}

/// A field as written: quoted (quotes doubled) when it must be, and sometimes when it need not;
/// now and then a quote inside an unquoted field (`ab"c`: not RFC 4180, read literally).
fn written(rng: &mut Rng, text: &str, stray: bool) -> String {
    let must = text.contains([',', '"', '\n', '\r']);
    if stray && !must && !text.is_empty() && rng.chance(3) {
        let at = text.char_indices().nth(1 + rng.below(text.chars().count())).map_or(text.len(), |(i, _)| i);
        return format!("{}\"{}", &text[..at], &text[at..]);
    }
    if must || rng.chance(10) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// A generated CSV file: a header `id,name,c3..`, then rows with unique ids; `\n` or `\r\n`
/// endings, blank lines, a BOM and a final newline each sometimes.
fn generate(rng: &mut Rng) -> String {
    let columns = 2 + rng.below(6);
    let mut out = String::new();
    if rng.chance(20) {
        out.push('\u{feff}');
    }
    let crlf_file = rng.chance(50);
    let end = |rng: &mut Rng, out: &mut String| {
        let crlf = if rng.chance(10) { !crlf_file } else { crlf_file };
        out.push_str(if crlf { "\r\n" } else { "\n" });
        if rng.chance(5) {
            out.push_str(if rng.chance(50) { "\n" } else { "\r\n" });
        }
    };
    let header: Vec<String> = (0..columns)
        .map(|c| match c {
            0 => "id".to_string(),
            1 => "name".to_string(),
            _ => format!("c{}", c + 1),
        })
        .collect();
    let header: Vec<String> = header.iter().map(|h| written(rng, h, false)).collect();
    out.push_str(&header.join(","));
    let most = if rng.chance(4) { 400 } else { 30 };
    let rows = rng.below(most);
    for r in 0..rows {
        end(rng, &mut out);
        let fields: Vec<String> = (0..columns)
            .map(|c| {
                // Ids are unique; names are required.
                let text = match c {
                    0 => format!("r{r}-{}", field_text(rng, true)),
                    _ => field_text(rng, c == 1),
                };
                written(rng, &text, true)
            })
            .collect();
        out.push_str(&fields.join(","));
    }
    if rng.chance(70) {
        end(rng, &mut out);
    }
    out
}

/// What the `csv` crate reads: each record's line and fields. It keeps a BOM, which kpi drops
/// (documented), so it gets the text without one.
fn csv_crate_records(text: &str) -> Vec<(u64, Vec<String>)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader =
        ::csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut out = Vec::new();
    let mut record = ::csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {
                // The crate ends a record at the `\r` of a CRLF, so its line (and byte) of the
                // next record can be one short: the record starts at its first byte that ends no
                // line (records never start with `\r` or `\n`: blank lines are skipped).
                let mut at = record.position().expect("a position").byte() as usize;
                while matches!(text.as_bytes().get(at), Some(b'\r' | b'\n')) {
                    at += 1;
                }
                let line = 1 + memchr::memchr_iter(b'\n', &text.as_bytes()[..at]).count() as u64;
                out.push((line, record.iter().map(str::to_string).collect()));
            }
            Ok(false) => return out,
            Err(e) => panic!("the csv crate fails on a generated file: {e}"),
        }
    }
}

/// Records read by kpi's reader over the pieces `split_chunks` makes of `text` (BOM dropped), each
/// piece read on its own and its lines added up as the loader does.
fn kpi_records(text: &str, target: usize) -> Vec<(u64, Vec<String>)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (pieces, covered) = crate::csv::split_chunks(text.as_bytes(), target, true);
    assert_eq!(covered, text.len());
    let mut out = Vec::new();
    let mut line = 1;
    for (a, b) in pieces {
        let mut reader = crate::csv::CsvReader::new(&text[a..b], 0);
        while let Some(record) = reader.next_record() {
            let start = record.unwrap_or_else(|e| panic!("kpi's reader fails: {e:?}"));
            out.push((
                (line + start) as u64,
                (0..reader.len()).map(|i| reader.field(i).to_string()).collect(),
            ));
        }
        line += reader.line();
    }
    out
}

fn report(case: u64, text: &str, what: &str) -> String {
    let shown: String = text.chars().take(2000).collect();
    format!("case {case} (KPI_FUZZ_SEED unset or as given): {what}\nfile ({} bytes): {shown:?}", text.len())
}

/// The record reader over chunks of every size reads what the `csv` crate reads: the same
/// records, fields and start lines.
#[test]
fn fuzz_the_csv_reader_equals_the_csv_crate() {
    for case in 0..cases(3000) {
        let mut rng = rng_of(case);
        let text = generate(&mut rng);
        let want = csv_crate_records(&text);
        let target = [1, 7, 64, 1 + rng.below(4096), usize::MAX / 2][rng.below(5)];
        let got = kpi_records(&text, target);
        if got != want {
            let at = got.iter().zip(&want).position(|(g, w)| g != w).unwrap_or(got.len().min(want.len()));
            panic!(
                "{}",
                report(
                    case,
                    &text,
                    &format!(
                        "chunk target {target}: record {at} is {:?}, the csv crate reads {:?}",
                        got.get(at),
                        want.get(at)
                    )
                )
            );
        }
    }
}

/// The whole loader (blocks, chunks, parallel parse, merge) over files whose records straddle
/// block and chunk boundaries, read from memory and from mapped files: every row's fields as the
/// `csv` crate reads them (an empty field is null), and every row's line.
#[test]
fn fuzz_the_loader_reads_what_the_csv_crate_reads() {
    let tickets = "id,created_at\n";
    let entries = "id,resource_id,started_at,ended_at,hours,billable\n";
    for case in 0..cases(600) {
        let mut rng = rng_of(case ^ 0xA5A5);
        let text = generate(&mut rng);
        let records = csv_crate_records(&text);
        let (header, rows) = records.split_first().expect("a header");
        // Blocks of a byte or two re-read a huge field byte by byte (quadratic): rarely.
        let block = match rng.below(20) {
            0 => 1 + rng.below(2),
            1..=5 => 16 + rng.below(48),
            6..=12 => 64 + rng.below(1000),
            13..=16 => 4096,
            _ => BLOCK_BYTES,
        };
        let chunk = [1, 3, 32, 1 + rng.below(512), CHUNK_BYTES][rng.below(5)];
        let sizes = Sizes { block, chunk };
        let files =
            [("resources.csv", text.as_str()), ("tickets.csv", tickets), ("time_entries.csv", entries)];
        // Mapping a window per byte is slow: files on disk only with blocks of 16 bytes or more.
        let mapped = block >= 16 && rng.chance(15);
        let loaded = if mapped {
            let dir = tempfile::tempdir().expect("temp dir");
            for (name, contents) in files {
                std::fs::write(dir.path().join(name), contents).expect("write");
            }
            load_dir(dir.path(), &LoadOptions::default(), sizes)
        } else {
            from_memory(&files, &LoadOptions::default(), sizes)
        };
        let what = format!("block {block}, chunk {chunk}, mapped {mapped}");
        let d = loaded.unwrap_or_else(|e| panic!("{}", report(case, &text, &format!("{what}: {e}"))));
        let table = d.table(kpi_schema::TableId::Resources);
        assert_eq!(table.len, rows.len(), "{}", report(case, &text, &what));
        for (r, (line, _)) in rows.iter().enumerate() {
            let got = d.line_of("resources", r);
            assert_eq!(
                got,
                Some(*line as usize),
                "{}",
                report(case, &text, &format!("{what}: line of row {r}"))
            );
        }
        for (c, name) in header.1.iter().enumerate() {
            let column = table.loaded(name.trim()).unwrap_or_else(|| panic!("column {name}"));
            let ColumnData::Text(t) = &column.data else { panic!("text") };
            for (r, (line, fields)) in rows.iter().enumerate() {
                let want = Some(fields[c].as_str()).filter(|f| !f.is_empty());
                if t.get(r) != want {
                    panic!(
                        "{}",
                        report(case, &text, &format!("{what}: row {r} (line {line}) column {name}: {:?}, the csv crate reads {want:?}", t.get(r)))
                    );
                }
            }
        }
    }
}
