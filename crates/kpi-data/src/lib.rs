//! The data layer: canonical MSP tables loaded from CSV or JSON Lines into typed columns.
//!
//! [`load`] reads a dataset directory (data contract v1) into a [`Dataset`]: one [`Table`] per
//! canonical table of [`kpi_schema::TABLES`], each a list of typed [`Column`]s with a null mask.
//! Text is interned per column ([`TextColumn`]), so ids and labels compare as `u32` codes.
//! [`Profile`] maps PSA exports. (Synthetic datasets are written by the `kpi-generate` crate.)
// `unsafe` only in `buf`: views of a memory-mapped cache file.
#![deny(unsafe_code)]

mod buf;
mod build;
mod cache;
mod csv;
mod error;
mod ingest;
mod intern;
mod profile;
mod summary;
mod value;

pub use buf::Buf;
pub use cache::{
    cache_path, load_cached, load_cached_later, CacheOptions, CacheOutcome, Cached, PendingWrite,
    FORMAT_VERSION as CACHE_FORMAT_VERSION,
};
pub use chrono_tz::Tz;
pub use error::{DataError, DataWarning, LoadErrors};
pub use ingest::implausible_timestamps;
pub use ingest::{load, load_from_memory};
pub use intern::NULL_CODE;
pub use kpi_schema::TableId;
pub use profile::{
    Collapse, ColumnMapping, Condition, DateOrder, Derive, ExtraColumn, ExtraType, Profile, ProfileError,
    TableMapping,
};
pub use summary::{summarize, TableSummary};
pub use value::{format_timestamp, parse_timestamp};

use std::collections::BTreeMap;

/// A table name that no canonical table has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownTable(pub String);

impl std::fmt::Display for UnknownTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = kpi_schema::TABLES.iter().map(|t| t.name).collect();
        write!(f, "no table `{}`; the tables are {}", self.0, names.join(", "))
    }
}

impl std::error::Error for UnknownTable {}

/// Columns to load: table name -> column names (canonical or custom). See [`LoadOptions::columns`].
pub type Projection = BTreeMap<String, std::collections::BTreeSet<String>>;

/// How [`load`] reads a dataset directory.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// The zone naive timestamps are read in; also the zone of calendar months.
    pub timezone: chrono_tz::Tz,
    /// Leave rows with errors out (counted in [`Dataset::skipped_rows`]) instead of failing.
    pub skip_bad_rows: bool,
    /// A column-mapping profile for a PSA export; `None` reads canonical file and column names.
    pub profile: Option<Profile>,
    /// Load only some columns; `None` loads every column. With `Some(p)`, each present table
    /// loads the columns `p` lists for it plus the key columns links need (its `id` when a link
    /// targets the table, and each link's foreign-key column); a table absent from `p` loads only
    /// those keys. Unknown names are ignored. Columns not loaded are absent from
    /// [`Table::columns`]. Row structure (field counts, quoting, the header and its required
    /// columns) is still checked on every row; cell values and data warnings only for loaded
    /// columns.
    pub columns: Option<Projection>,
    /// Counts the bytes of data files taken in so far, for a progress bar; `None`: not counted.
    pub progress: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            timezone: chrono_tz::UTC,
            skip_bad_rows: false,
            profile: None,
            columns: None,
            progress: None,
        }
    }
}

/// The span of time a dataset's timestamps can plausibly fall in, from local midnight of `from`
/// to local midnight of `to` (excluded), in the dataset's zone. Timestamps outside it (a
/// `created_at` of 0001-01-01, a `completed_at` of 9999-12-31) are kept but warned of
/// ([`implausible_timestamps`]), and the evaluator's default period range ignores them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plausible {
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    /// Microseconds UTC of `from` and `to`.
    start: i64,
    end: i64,
}

impl Plausible {
    /// Every instant.
    pub const ANY: Plausible = Plausible {
        from: chrono::NaiveDate::MIN,
        to: chrono::NaiveDate::MAX,
        start: i64::MIN,
        end: i64::MAX,
    };

    /// The default start: 1990-01-01, before any PSA export a scorecard reads.
    pub const DEFAULT_FROM: chrono::NaiveDate = match chrono::NaiveDate::from_ymd_opt(1990, 1, 1) {
        Some(d) => d,
        None => panic!("a valid date"),
    };

    /// How many years past the evaluation instant the default span ends (due dates lie ahead).
    pub const DEFAULT_YEARS_AHEAD: u32 = 2;

    /// The span from `from` to `to` (local midnights in `tz`).
    pub fn new(from: chrono::NaiveDate, to: chrono::NaiveDate, tz: chrono_tz::Tz) -> Plausible {
        let midnight = |d: chrono::NaiveDate| {
            use chrono::TimeZone;
            let t = d.and_time(chrono::NaiveTime::MIN);
            tz.from_local_datetime(&t)
                .earliest()
                .map_or_else(|| t.and_utc().timestamp_micros(), |x| x.timestamp_micros())
        };
        Plausible { from, to, start: midnight(from), end: midnight(to) }
    }

    /// The span for an evaluation at `as_of`: `from` or [`Plausible::DEFAULT_FROM`], to `to` or
    /// [`Plausible::DEFAULT_YEARS_AHEAD`] years after the local date of `as_of`.
    pub fn around(
        as_of: i64,
        from: Option<chrono::NaiveDate>,
        to: Option<chrono::NaiveDate>,
        tz: chrono_tz::Tz,
    ) -> Plausible {
        let to = to.unwrap_or_else(|| {
            let date = chrono::DateTime::from_timestamp_micros(as_of)
                .map_or(chrono::NaiveDate::MAX, |t| t.with_timezone(&tz).date_naive());
            date.checked_add_months(chrono::Months::new(12 * Plausible::DEFAULT_YEARS_AHEAD))
                .unwrap_or(chrono::NaiveDate::MAX)
        });
        Plausible::new(from.unwrap_or(Plausible::DEFAULT_FROM), to, tz)
    }

    /// Whether the instant `t` (microseconds UTC) lies in the span.
    pub fn contains(&self, t: i64) -> bool {
        self.start <= t && t < self.end
    }
}

/// A loaded dataset: every canonical table, typed and columnar.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub timezone: chrono_tz::Tz,
    /// Exactly one per [`kpi_schema::TABLES`], in the same order. An absent optional table is
    /// here with 0 rows and `present == false`.
    pub tables: Vec<Table>,
    /// Table name -> rows left out by `skip_bad_rows` (only tables with more than 0).
    pub skipped_rows: BTreeMap<String, usize>,
    pub warnings: Vec<DataWarning>,
    /// Files in the directory that were not read.
    pub other_files: Vec<String>,
    /// Table name -> what the profile did to its rows beyond mapping columns (files read as
    /// one, rows filtered out, rows collapsed per id, derived from another table).
    pub reshaped: BTreeMap<String, String>,
    /// Table name -> the canonical columns its file has no source for (no header of the column's
    /// name, no mapped source, no profile default): they hold the contract's default in every row
    /// (`tickets.reopen_count` 0) or are null. Only tables read from a file are listed.
    pub absent_columns: BTreeMap<String, Vec<String>>,
    /// `links[t][l]`: for each row of table `t`, the row of link `l`'s target, or `u32::MAX`.
    links: Vec<Vec<Buf<u32>>>,
    /// The file each table was read from ("" when absent).
    files: Vec<String>,
    /// The line of each row of each table (empty when not read from a file).
    lines: Vec<ingest::Lines>,
    /// What the files read were, for the cache: set by a load for the cache only.
    read: Option<Box<ingest::ReadRecord>>,
}

impl Dataset {
    /// A dataset from tables already built (tests, other loaders). `tables` must hold one table per
    /// [`kpi_schema::TABLES`] in order; links are resolved here.
    pub fn new(timezone: chrono_tz::Tz, tables: Vec<Table>) -> Dataset {
        let links = ingest::resolve_links(&tables);
        Dataset {
            timezone,
            tables,
            skipped_rows: BTreeMap::new(),
            warnings: Vec::new(),
            other_files: Vec::new(),
            reshaped: BTreeMap::new(),
            absent_columns: BTreeMap::new(),
            files: vec![String::new(); kpi_schema::TABLES.len()],
            links: links.into_iter().map(|t| t.into_iter().map(Buf::from).collect()).collect(),
            lines: vec![ingest::Lines::default(); kpi_schema::TABLES.len()],
            read: None,
        }
    }

    /// The table `name`. Panics only when `name` is not a canonical table name.
    /// A canonical table: every one is there (an absent file is an empty table).
    pub fn table(&self, id: kpi_schema::TableId) -> &Table {
        &self.tables[id as usize]
    }

    /// The table a name (from a rule file or a profile) stands for.
    pub fn table_named(&self, name: &str) -> Result<&Table, UnknownTable> {
        kpi_schema::TableId::from_name(name)
            .map(|id| self.table(id))
            .ok_or_else(|| UnknownTable(name.to_string()))
    }

    /// For each row of `table`, the row index in the table linked by the schema link `link`
    /// (`("time_entries", "ticket")` gives tickets rows); `u32::MAX` when null or dangling.
    /// Panics only on a non-canonical table or link name.
    /// For each row of `table`, the row its link `link` points at.
    /// `link` is one of the table's schema links, which code takes from the schema itself.
    pub fn link_rows(&self, table: kpi_schema::TableId, link: &str) -> &[u32] {
        let links = table.schema().links;
        let li = links.iter().position(|l| l.name == link);
        &self.links[table as usize][li.expect("a link name taken from the table's schema")]
    }

    /// The file `table` was read from, when present.
    pub fn file_of(&self, table: kpi_schema::TableId) -> Option<&str> {
        self.files.get(table as usize).map(|s| s.as_str()).filter(|s| !s.is_empty())
    }

    /// The 1-based line of the file where row `row` of `table` starts; `None` when unknown (a
    /// dataset built by hand, a row out of range).
    pub fn line_of(&self, table: &str, row: usize) -> Option<usize> {
        let i = kpi_schema::TABLES.iter().position(|t| t.name == table)?;
        let line = self.lines.get(i)?.get(row);
        (line > 0).then_some(line as usize)
    }

    /// Rows left out of `table` by `skip_bad_rows`.
    pub fn skipped(&self, table: &str) -> usize {
        self.skipped_rows.get(table).copied().unwrap_or(0)
    }
}

/// One canonical table: canonical columns in schema order, then custom columns.
#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    /// False when an optional table's file is absent.
    pub present: bool,
    pub len: usize,
    pub columns: Vec<Column>,
}

impl Table {
    /// An absent table: every canonical column, 0 rows.
    pub fn absent(schema: &kpi_schema::TableSchema) -> Table {
        let columns = schema
            .columns
            .iter()
            .map(|c| Column {
                name: c.name.to_string(),
                custom: false,
                data: ColumnData::empty(c.ty),
                valid: None,
            })
            .collect();
        Table { name: schema.name.to_string(), present: false, len: 0, columns }
    }

    /// The column `name`; `None` for a custom column the file does not have, or for a column a
    /// [`Projection`] left out (which debug builds refuse: the projection missed a column read).
    pub fn column(&self, name: &str) -> Option<&Column> {
        let found = self.columns.iter().find(|c| c.name == name);
        debug_assert!(
            found.is_some()
                || !kpi_schema::table(&self.name).is_some_and(|t| t.columns.iter().any(|c| c.name == name)),
            "column `{}.{name}` was not loaded: add it to the projection",
            self.name
        );
        found
    }

    /// The column `name` if it was loaded, for code that works with whatever a load holds.
    pub fn loaded(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The row whose `id` is `id`.
    pub fn row_of_id(&self, id: &str) -> Option<u32> {
        let ColumnData::Text(ids) = &self.loaded("id")?.data else { return None };
        let code = ids.code_of(id)?;
        // The loader interns ids in row order, so the code is the row; tables built by hand may not be.
        if ids.codes.get(code as usize) == Some(&code) {
            Some(code)
        } else {
            ids.codes.iter().position(|&c| c == code).map(|r| r as u32)
        }
    }
}

/// One column: typed values plus a null mask.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    /// An extra column of the file, not in the schema (always text).
    pub custom: bool,
    pub data: ColumnData,
    /// `valid[row]` is false for a null cell; `None` when the column has no nulls.
    pub valid: Option<Buf<bool>>,
}

impl Column {
    pub fn is_valid(&self, row: usize) -> bool {
        match &self.valid {
            None => true,
            Some(v) => v.get(row).copied().unwrap_or(false),
        }
    }

    pub fn len(&self) -> usize {
        self.data.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of null cells.
    pub fn null_count(&self) -> usize {
        self.valid.as_ref().map_or(0, |v| v.iter().filter(|&&b| !b).count())
    }
}

/// The values of a column. Null cells hold a placeholder (0, `NaN`, `false`, [`NULL_CODE`]);
/// check [`Column::is_valid`].
#[derive(Debug, Clone)]
pub enum ColumnData {
    Text(TextColumn),
    Int(Buf<i64>),
    Number(Buf<f64>),
    Bool(Buf<bool>),
    /// Microseconds since the Unix epoch, UTC.
    Timestamp(Buf<i64>),
}

impl ColumnData {
    pub fn empty(ty: kpi_schema::ColumnType) -> ColumnData {
        use kpi_schema::ColumnType as T;
        match ty {
            T::Text => ColumnData::Text(TextColumn::new()),
            T::Int => ColumnData::Int(Buf::default()),
            T::Number => ColumnData::Number(Buf::default()),
            T::Bool => ColumnData::Bool(Buf::default()),
            // A date is held as the instant of its local midnight.
            T::Timestamp | T::Date => ColumnData::Timestamp(Buf::default()),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            ColumnData::Text(t) => t.codes.len(),
            ColumnData::Int(v) => v.len(),
            ColumnData::Number(v) => v.len(),
            ColumnData::Bool(v) => v.len(),
            ColumnData::Timestamp(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn ty(&self) -> kpi_schema::ColumnType {
        use kpi_schema::ColumnType as T;
        match self {
            ColumnData::Text(_) => T::Text,
            ColumnData::Int(_) => T::Int,
            ColumnData::Number(_) => T::Number,
            ColumnData::Bool(_) => T::Bool,
            ColumnData::Timestamp(_) => T::Timestamp,
        }
    }
}

pub use intern::{Dict, TextColumn};

/// Whether `column` of `table` is loaded whatever the [`Projection`]: a required column (ids
/// and required values are always validated, so the rows kept never depend on the rules) or a
/// link's foreign key.
pub fn is_key_column(table: &str, column: &str) -> bool {
    kpi_schema::TABLES.iter().filter(|t| t.name == table).any(|t| {
        t.links.iter().any(|l| l.column == column) || t.columns.iter().any(|c| c.required && c.name == column)
    })
}
