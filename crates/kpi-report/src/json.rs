//! `--format json`: v2 of the documented shape (one object: version, as_of, scorecards), plus
//! KPI definitions; described by `docs/output.schema.json`.
//!
//! Written by hand into one `String`: the same bytes as `serde_json::to_string_pretty` of the
//! documented shape (two-space indent, `[]`/`{}` when empty, serde_json's escapes and floats),
//! about three times faster on large reports. `json/tests.rs` holds the serde version and checks
//! that both agree.
use crate::Context;
use crate::Trend;
use kpi_eval::{KpiInfo, KpiResult, ScorecardResult};
use kpi_hir::Unit;
use std::fmt::Write as _;

#[cfg(test)]
mod tests;

pub fn json(results: &[ScorecardResult], context: &Context) -> String {
    let mut w =
        Writer { out: String::with_capacity(estimated_len(results)), depth: 0, empty: false, sink: None };
    write_report(&mut w, results, context);
    w.out
}

/// [`json`] into `sink` as it is made, a megabyte at a time: the report is never whole in memory
/// (91 MB for 24 months of a 300-technician MSP, 917 MB for 3,000 technicians).
pub fn json_to(
    results: &[ScorecardResult],
    context: &Context,
    sink: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let mut w = Writer {
        out: String::with_capacity(2 * FLUSH_AT),
        depth: 0,
        empty: false,
        sink: Some(Sink { to: sink, error: None }),
    };
    write_report(&mut w, results, context);
    w.flush(0);
    match w.sink.and_then(|s| s.error) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// How much [`json_to`] gathers before it writes.
const FLUSH_AT: usize = 1 << 20;

fn write_report(w: &mut Writer, results: &[ScorecardResult], context: &Context) {
    // v2: one object whatever the number of scorecards.
    w.open('{');
    w.number("version", Some(2.0), true);
    w.key("as_of");
    match results.first() {
        Some(r) => write_str(&mut w.out, &kpi_data::format_timestamp(r.as_of)),
        None => w.out.push_str("null"),
    }
    w.key("scorecards");
    w.open('[');
    for r in results {
        w.element();
        write_scorecard(w, r, context);
    }
    w.close(']');
    w.close('}');
    w.out.push('\n');
}

/// Roughly the output's size, so that the string is allocated once.
fn estimated_len(results: &[ScorecardResult]) -> usize {
    results.iter().map(|r| 1024 + r.kpis.len() * 512 + r.rows.len() * (384 + r.kpis.len() * 448)).sum()
}

/// Pretty JSON as serde_json's `PrettyFormatter` writes it.
struct Writer<'s> {
    out: String,
    depth: usize,
    /// Nothing written yet in the innermost open array or object.
    empty: bool,
    /// Where `out` goes once it holds a megabyte, if anywhere.
    sink: Option<Sink<'s>>,
}

struct Sink<'s> {
    to: &'s mut dyn std::io::Write,
    /// The first write that failed; nothing is written after it.
    error: Option<std::io::Error>,
}

impl Writer<'_> {
    /// Hands `out` to the sink once it holds `at` bytes or more.
    fn flush(&mut self, at: usize) {
        if let Some(sink) = &mut self.sink {
            if self.out.len() >= at {
                if sink.error.is_none() {
                    if let Err(e) = sink.to.write_all(self.out.as_bytes()) {
                        sink.error = Some(e);
                    }
                }
                self.out.clear();
            }
        }
    }

    fn open(&mut self, bracket: char) {
        self.out.push(bracket);
        self.depth += 1;
        self.empty = true;
    }

    /// Empty containers close on the same line: `[]`, `{}`.
    fn close(&mut self, bracket: char) {
        self.depth -= 1;
        if !self.empty {
            self.out.push_str(self.line_break(false));
        }
        self.out.push(bracket);
        self.empty = false;
    }

    /// Starts the next array element.
    fn element(&mut self) {
        let comma = !self.empty;
        self.out.push_str(self.line_break(comma));
        self.empty = false;
    }

    /// Starts the next object member: `"key": `.
    fn key(&mut self, key: &str) {
        self.element();
        write_str(&mut self.out, key);
        self.out.push_str(": ");
    }

    /// A line break and the current indentation, after a comma if `comma`.
    fn line_break(&self, comma: bool) -> &'static str {
        // Enough for 16 levels; the report has 7.
        const BREAK: &str = ",\n                                ";
        &BREAK[usize::from(!comma)..2 + 2 * self.depth]
    }

    fn str(&mut self, key: &str, value: &str) {
        self.key(key);
        write_str(&mut self.out, value);
    }

    fn f64(&mut self, key: &str, value: Option<f64>) {
        self.key(key);
        write_f64(&mut self.out, value);
    }

    fn u64(&mut self, key: &str, value: u64) {
        self.key(key);
        self.out.push_str(itoa::Buffer::new().format(value));
    }

    fn number(&mut self, key: &str, value: Option<f64>, integral: bool) {
        self.key(key);
        write_number(&mut self.out, value, integral);
    }
}

/// A JSON string with serde_json's escapes: `\"`, `\\`, `\b \f \n \r \t`, other control
/// characters as `\u00XX`; everything else, non-ASCII included, as is.
fn write_str(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    let mut start = 0;
    for (i, &b) in s.as_bytes().iter().enumerate() {
        if b >= 0x20 && b != b'"' && b != b'\\' {
            continue;
        }
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\x08' => "\\b",
            b'\x0c' => "\\f",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            _ => "",
        };
        // `i` is an ASCII byte, so a character boundary.
        out.push_str(&s[start..i]);
        if escape.is_empty() {
            out.push_str("\\u00");
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 0xf) as usize] as char);
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Integral counts and weights print as integers (`20`, not `20.0`).
fn write_number(out: &mut String, value: Option<f64>, integral: bool) {
    match value {
        Some(x) if integral && x.fract() == 0.0 && x.abs() < 9e15 => {
            out.push_str(itoa::Buffer::new().format(x as i64))
        }
        _ => write_f64(out, value),
    }
}

/// A float as serde_json writes it (shortest round trip by `zmij`, its formatter); `None`, NaN
/// and infinities as `null`.
fn write_f64(out: &mut String, value: Option<f64>) {
    match value {
        Some(x) if x.is_finite() => out.push_str(zmij::Buffer::new().format_finite(x)),
        _ => out.push_str("null"),
    }
}

fn write_scorecard(w: &mut Writer, r: &ScorecardResult, context: &Context) {
    let group_name = r.group_by.map(|g| g.name());
    w.open('{');
    w.str("scorecard", &r.id);
    w.str("title", &r.title);
    w.str("grain", r.grain.name());
    w.key("group_by");
    w.open('[');
    if let Some(name) = group_name {
        w.element();
        write_str(&mut w.out, name);
    }
    w.close(']');
    w.str("as_of", &kpi_data::format_timestamp(r.as_of));
    w.key("skipped_rows");
    w.open('{');
    for (table, n) in &context.skipped_rows {
        w.u64(table, *n as u64);
    }
    w.close('}');
    w.key("rows");
    w.open('[');
    // Inside the rows array, a row object and its kpis array.
    let templates: Vec<KpiTemplate> = r.kpis.iter().map(|info| KpiTemplate::new(info, w.depth + 2)).collect();
    let trend = Trend::new(r);
    for i in 0..r.rows.len() {
        w.element();
        write_row(w, r, i, &trend, &templates, group_name);
        w.flush(FLUSH_AT);
    }
    w.close(']');
    w.key("kpi_definitions");
    w.open('[');
    for info in &r.kpis {
        w.element();
        w.open('{');
        w.str("id", &info.id);
        w.str("title", &info.title);
        w.str("description", &info.description);
        w.str("unit", info.unit.name());
        write_target(w, info);
        w.number("weight", Some(info.weight), true);
        w.close('}');
    }
    w.close(']');
    w.close('}');
}

fn write_row(
    w: &mut Writer,
    r: &ScorecardResult,
    i: usize,
    trend: &Trend,
    templates: &[KpiTemplate],
    group_name: Option<&str>,
) {
    let (row, as_of) = (&r.rows[i], r.as_of);
    w.open('{');
    w.key("period");
    match &row.period {
        Some(p) => {
            w.open('{');
            w.str("label", &p.label);
            // Dates are ASCII digits and dashes: nothing to escape.
            w.key("start");
            let _ = write!(w.out, "\"{}\"", p.start_date);
            w.key("end");
            let _ = write!(w.out, "\"{}\"", p.end_date);
            if p.is_partial(as_of) {
                w.key("partial");
                w.out.push_str("true");
            }
            w.close('}');
        }
        None => w.out.push_str("null"),
    }
    w.key("group");
    w.open('{');
    if let (Some(name), Some(key)) = (group_name, &row.group) {
        w.str(name, key);
    }
    w.close('}');
    if let Some(name) = &row.group_name {
        w.str("group_name", name);
    }
    w.f64("score", row.score);
    w.f64("score_change", trend.score_change(r, i));
    w.key("kpis");
    w.open('[');
    for (k, (template, result)) in templates.iter().zip(&row.kpis).enumerate() {
        w.element();
        template.write(&mut w.out, result, trend.value_change(r, i, k));
    }
    w.close(']');
    w.close('}');
}

/// Marks where a KPI's row values go in its template; a raw NUL is never written otherwise
/// (strings escape it).
const HOLE: char = '\0';

/// A KPI's object in a row with what every row shares rendered once per scorecard: the parts
/// around the value, its change, status, attainment and sample size. Most of the report is
/// these parts.
struct KpiTemplate {
    /// Before the value, the change, the status, the attainment and the sample size; the end.
    parts: [String; 6],
    integral: bool,
}

impl KpiTemplate {
    /// The object as the writer would print it at `depth`, holes for the row's values.
    fn new(info: &KpiInfo, depth: usize) -> KpiTemplate {
        let mut w = Writer { out: String::new(), depth, empty: false, sink: None };
        w.open('{');
        w.str("id", &info.id);
        w.str("title", &info.title);
        w.key("value");
        w.out.push(HOLE);
        // Against the previous period of the same group, in the KPI's unit.
        w.key("change");
        w.out.push(HOLE);
        w.str("unit", info.unit.name());
        write_target(&mut w, info);
        w.key("status");
        w.out.push(HOLE);
        w.key("attainment");
        w.out.push(HOLE);
        w.number("weight", Some(info.weight), true);
        // Population rows behind the value.
        w.key("sample_size");
        w.out.push(HOLE);
        w.close('}');
        let parts: Vec<String> = w.out.split(HOLE).map(str::to_string).collect();
        let parts = parts.try_into().expect("five holes");
        KpiTemplate { parts, integral: info.unit == Unit::Count }
    }

    fn write(&self, out: &mut String, k: &KpiResult, change: Option<f64>) {
        let [value, change_key, status, attainment, sample_size, end] = &self.parts;
        out.push_str(value);
        write_number(out, k.value, self.integral);
        out.push_str(change_key);
        write_number(out, change, self.integral);
        out.push_str(status);
        write_str(out, k.status.name());
        out.push_str(attainment);
        write_f64(out, k.attainment);
        out.push_str(sample_size);
        out.push_str(itoa::Buffer::new().format(k.rows));
        out.push_str(end);
    }
}

fn write_target(w: &mut Writer, info: &KpiInfo) {
    w.key("target");
    w.open('{');
    w.str("op", info.op.symbol());
    w.number("value", Some(info.target), true);
    w.close('}');
}
