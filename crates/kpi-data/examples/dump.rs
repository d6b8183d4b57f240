//! Prints a loaded dataset in a canonical text form (every cell of every column, text cells with
//! their interned code), or the load errors; for checking that loader changes keep the data.
//!
//! `cargo run --release -p kpi-data --example dump -- DIR [--profile NAME|FILE] [--timezone TZ] [--skip-bad-rows]`
use kpi_data::{ColumnData, LoadOptions, Profile};
use std::io::Write;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut options = LoadOptions::default();
    let mut dir = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--profile" => options.profile = Some(Profile::from_name_or_file(it.next().unwrap()).unwrap()),
            "--timezone" => options.timezone = it.next().unwrap().parse().unwrap(),
            "--skip-bad-rows" => options.skip_bad_rows = true,
            d => dir = Some(d.to_string()),
        }
    }
    let dir = dir.expect("usage: dump DIR [--profile P] [--timezone TZ] [--skip-bad-rows]");
    let out = std::io::stdout();
    let mut out = std::io::BufWriter::new(out.lock());
    let d = match kpi_data::load(std::path::Path::new(&dir), &options) {
        Ok(d) => d,
        Err(e) => {
            writeln!(out, "ERRORS ({})\n{e}", e.count()).unwrap();
            return;
        }
    };
    for w in &d.warnings {
        writeln!(out, "warning [{}] {w}", w.count).unwrap();
    }
    writeln!(out, "skipped {:?}\nother files {:?}", d.skipped_rows, d.other_files).unwrap();
    for t in &d.tables {
        writeln!(
            out,
            "table {} present {} len {} file {:?}",
            t.name,
            t.present,
            t.len,
            kpi_schema::TableId::from_name(&t.name).and_then(|id| d.file_of(id))
        )
        .unwrap();
        for c in &t.columns {
            writeln!(
                out,
                "  column {} custom {} {:?} nulls {}",
                c.name,
                c.custom,
                c.data.ty(),
                c.null_count()
            )
            .unwrap();
        }
        if let Some(schema) = kpi_schema::table(&t.name) {
            for l in schema.links {
                let rows =
                    d.link_rows(kpi_schema::TableId::from_name(&t.name).expect("a canonical table"), l.name);
                writeln!(out, "  link {} {:?}", l.name, rows).unwrap();
            }
        }
        for row in 0..t.len {
            let mut line = String::new();
            for c in &t.columns {
                if !c.is_valid(row) {
                    line.push_str("|-");
                    continue;
                }
                let cell = match &c.data {
                    ColumnData::Text(x) => format!("{}:{}", x.codes[row], x.get(row).unwrap_or("?")),
                    ColumnData::Int(v) => v[row].to_string(),
                    ColumnData::Number(v) => format!("{:?}", v[row]),
                    ColumnData::Bool(v) => v[row].to_string(),
                    ColumnData::Timestamp(v) => v[row].to_string(),
                };
                line.push('|');
                line.push_str(&cell);
            }
            writeln!(out, "{line}").unwrap();
        }
        for c in &t.columns {
            if let ColumnData::Text(x) = &c.data {
                writeln!(out, "  dict {} {}", c.name, x.dict.len()).unwrap();
            }
        }
    }
}
