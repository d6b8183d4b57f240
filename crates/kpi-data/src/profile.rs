//! Column-mapping profiles (TOML): how a PSA export's files and columns feed the canonical tables.
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// A mapping profile: per canonical table, the source file and column mappings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// A short name shown in reports.
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// chrono format strings tried for every timestamp column before the contract's own forms.
    #[serde(default, deserialize_with = "one_or_many")]
    pub timestamp_formats: Vec<String>,
    /// Cells meaning "no value" in every column (`?`, `N/A`, `(none)`), besides the empty cell.
    #[serde(default, deserialize_with = "one_or_many")]
    pub null: Vec<String>,
    /// The zone the export's naive timestamps are written in (IANA name); default: the run's.
    pub timezone: Option<String>,
    /// How numeric dates with `/`, `.` or `-` between day and month (`28/02/2023 04:03 PM`) are
    /// read: `day-first` or `month-first`. Unset, such dates are refused: their order is a guess.
    pub date_order: Option<DateOrder>,
    pub resources: Option<TableMapping>,
    pub clients: Option<TableMapping>,
    pub tickets: Option<TableMapping>,
    pub time_entries: Option<TableMapping>,
    pub surveys: Option<TableMapping>,
    pub contracts: Option<TableMapping>,
    pub devices: Option<TableMapping>,
    pub billing_items: Option<TableMapping>,
    pub projects: Option<TableMapping>,
    pub opportunities: Option<TableMapping>,
    /// How the profile was named when read: a built-in name or the file's path (to repeat it in
    /// a command line).
    #[serde(skip)]
    pub origin: String,
}

/// How one canonical table is read.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableMapping {
    /// Source file name(s) in the dataset directory; the first that exists is read.
    #[serde(default, deserialize_with = "one_or_many")]
    pub file: Vec<String>,
    /// Canonical column -> mapping. Unmapped canonical columns are read from a header of their own
    /// name; source columns that feed nothing are kept as custom columns.
    #[serde(default)]
    pub columns: BTreeMap<String, ColumnMapping>,
    /// The file's text encoding: `utf-8` (default; a BOM is skipped), `windows-1252`, `cp850`,
    /// `utf-16` (Excel's "Unicode text": a BOM says the byte order).
    pub encoding: Option<String>,
    /// The field delimiter of a text file: `,`, `;`, `\t` (or `tab`), `|`; detected from the
    /// header line when unset.
    pub delimiter: Option<String>,
    /// The sheet of a workbook (`.xlsx`, `.xls`, `.ods`) to read; default the first.
    pub sheet: Option<String>,
    /// Rows kept: every condition must hold (others are left out, counted, not errors).
    #[serde(default)]
    pub filter: Vec<Condition>,
    /// Many rows per id (an event log) collapsed into one row per id.
    pub collapse: Option<Collapse>,
    /// A table made of the distinct ids another table uses, when the export has no file for it.
    pub derive: Option<Derive>,
    /// A required table may have no file: it is then empty (its KPIs have no data).
    #[serde(default)]
    pub optional: bool,
    /// Extra columns typed for rules: name -> source, type and value map. A rule reads one with
    /// `custom("made_sla", bool)`; without an entry here an extra column is text.
    #[serde(default)]
    pub extra: BTreeMap<String, ExtraColumn>,
}

/// An extra (non-canonical) column read with a type: `made_sla = { type = "bool" }`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtraColumn {
    /// Alternative source columns; the first present in the header is read (default: the
    /// column's own name).
    #[serde(default, deserialize_with = "one_or_many")]
    pub from: Vec<String>,
    /// `bool`, `number`, `text` or `timestamp`.
    #[serde(rename = "type")]
    pub ty: ExtraType,
    /// Source value -> value, compared without regard to case, applied before typing.
    #[serde(default)]
    pub values: BTreeMap<String, String>,
    /// Cells of this column meaning "no value", besides the profile's `null`.
    #[serde(default, deserialize_with = "one_or_many")]
    pub null: Vec<String>,
    /// chrono format strings for a timestamp, tried before the profile's and the contract's.
    #[serde(default, deserialize_with = "one_or_many")]
    pub format: Vec<String>,
}

/// The type of an extra column.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExtraType {
    Bool,
    Number,
    #[default]
    Text,
    Timestamp,
}

impl ExtraType {
    pub fn name(self) -> &'static str {
        match self {
            ExtraType::Bool => "bool",
            ExtraType::Number => "number",
            ExtraType::Text => "text",
            ExtraType::Timestamp => "timestamp",
        }
    }
}

/// How numeric day/month dates are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DateOrder {
    DayFirst,
    MonthFirst,
}

/// A test on one source column of a row.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// The source column (header name or JSON path).
    pub column: String,
    /// The cell is one of these (compared without regard to case).
    #[serde(default, deserialize_with = "one_or_many")]
    pub equals: Vec<String>,
    /// The cell is none of these (compared without regard to case).
    #[serde(default, deserialize_with = "one_or_many")]
    pub not_equals: Vec<String>,
    /// `true`: the cell has a value (not empty, not a null token); `false`: it has none.
    pub present: Option<bool>,
}

/// One row per id out of many: the row kept, and columns taken over all of an id's rows.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Collapse {
    /// `first` or `last` row of each id, by `order` (default `last`).
    pub keep: Option<String>,
    /// The source column that orders an id's rows (`sys_mod_count`, `sys_updated_at`): numbers
    /// or timestamps compare as such; default the file's order.
    pub order: Option<String>,
    /// Canonical column -> `max`, `min`, `first` or `last` (non-null values, by `order`), or
    /// `count_changes` (how many times the value changed between consecutive rows).
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
}

/// A table built from the distinct ids of another table's column.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Derive {
    /// The canonical table read (`tickets`).
    pub from: String,
    /// Its source column holding the ids (first present).
    #[serde(deserialize_with = "one_or_many")]
    pub id: Vec<String>,
    /// Its source column holding a display name; default the id.
    #[serde(default, deserialize_with = "one_or_many")]
    pub name: Vec<String>,
}

/// Where one canonical column comes from. In TOML either `"sourceColumn"`, a list of alternative
/// source columns, or a table with the fields below.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ColumnMapping {
    /// Alternative source columns; the first present in the header is read.
    pub from: Vec<String>,
    /// Source columns joined with a space (skipping empty ones), e.g. first and last name.
    pub join: Vec<String>,
    /// Source value -> canonical value, applied before typing (unlisted values pass through).
    pub values: BTreeMap<String, String>,
    /// For a bool column: the source says the opposite (`isNonBillable` -> `billable`).
    pub invert: bool,
    /// chrono format strings for a timestamp column, tried before the contract's own forms.
    pub format: Vec<String>,
    /// Value used when the source column is absent or the cell is empty.
    pub default: Option<String>,
    /// Cells of this column meaning "no value" (HaloPSA's `1899-12-30`), besides the profile's.
    pub null: Vec<String>,
    /// The value is read only when the condition holds, else it is null (ConnectWise
    /// `chargeToId` is a ticket only when `chargeToType` is `ServiceTicket`).
    pub when: Option<Condition>,
    /// For an SLA due column: the source column of a met/missed flag, read instead of a due time.
    pub met: Option<String>,
    /// With `met`: the canonical column of the milestone reached (`resolved_at`).
    pub reached: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ColumnMappingSpec {
    #[serde(default, deserialize_with = "one_or_many")]
    from: Vec<String>,
    #[serde(default)]
    join: Vec<String>,
    #[serde(default)]
    values: BTreeMap<String, String>,
    #[serde(default)]
    invert: bool,
    #[serde(default, deserialize_with = "one_or_many")]
    format: Vec<String>,
    default: Option<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    null: Vec<String>,
    when: Option<Condition>,
    met: Option<String>,
    reached: Option<String>,
}

impl<'de> Deserialize<'de> for ColumnMapping {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ColumnMapping;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a source column name, a list of them, or a table { from, join, values, invert, format, default, null, when, met, reached }")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ColumnMapping, E> {
                Ok(ColumnMapping { from: vec![v.to_string()], ..ColumnMapping::default() })
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ColumnMapping, A::Error> {
                let mut from = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    from.push(s);
                }
                Ok(ColumnMapping { from, ..ColumnMapping::default() })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ColumnMapping, A::Error> {
                let s = ColumnMappingSpec::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(ColumnMapping {
                    from: s.from,
                    join: s.join,
                    values: s.values,
                    invert: s.invert,
                    format: s.format,
                    default: s.default,
                    null: s.null,
                    when: s.when,
                    met: s.met,
                    reached: s.reached,
                })
            }
        }
        d.deserialize_any(V)
    }
}

fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a string or a list of strings")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<String>, E> {
            Ok(vec![v.to_string()])
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
            let mut out = Vec::new();
            while let Some(s) = seq.next_element::<String>()? {
                out.push(s);
            }
            Ok(out)
        }
    }
    d.deserialize_any(V)
}

/// A profile that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("cannot read profile {path}: {source}")]
    Io { path: String, source: std::io::Error },
    /// TOML syntax or an unknown key; the message carries line and column.
    #[error("profile {path}: {message}")]
    Parse { path: String, message: String },
    #[error("profile {path}: {message}")]
    Invalid { path: String, message: String },
    #[error("no built-in profile `{0}` (built-in profiles: autotask, autotask-ui, connectwise, halopsa, servicenow, servicenow-events)")]
    UnknownBuiltin(String),
}

/// The shipped profiles: name and TOML source.
const SHIPPED: &[(&str, &str)] = &[
    ("autotask", include_str!("../../../profiles/autotask.toml")),
    ("autotask-ui", include_str!("../../../profiles/autotask-ui.toml")),
    ("connectwise", include_str!("../../../profiles/connectwise.toml")),
    ("halopsa", include_str!("../../../profiles/halopsa.toml")),
    ("servicenow", include_str!("../../../profiles/servicenow.toml")),
    ("servicenow-events", include_str!("../../../profiles/servicenow-events.toml")),
];

impl Profile {
    /// The names of the shipped profiles.
    pub const BUILTIN: &'static [&'static str] =
        &["autotask", "autotask-ui", "connectwise", "halopsa", "servicenow", "servicenow-events"];

    /// A shipped profile (see [`Profile::BUILTIN`]).
    pub fn builtin(name: &str) -> Result<Profile, ProfileError> {
        let text =
            Profile::builtin_source(name).ok_or_else(|| ProfileError::UnknownBuiltin(name.to_string()))?;
        Profile::from_toml(text, &format!("profiles/{name}.toml"))
    }

    /// The TOML source of a shipped profile, for copying and editing.
    pub fn builtin_source(name: &str) -> Option<&'static str> {
        SHIPPED.iter().find(|(n, _)| *n == name).map(|(_, text)| *text)
    }

    pub fn from_file(path: &Path) -> Result<Profile, ProfileError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|source| ProfileError::Io { path: shown.clone(), source })?;
        Profile::from_toml(&text, &shown)
    }

    /// A built-in name, or else a file path.
    pub fn from_name_or_file(spec: &str) -> Result<Profile, ProfileError> {
        let mut profile = if Profile::BUILTIN.contains(&spec) {
            Profile::builtin(spec)
        } else {
            Profile::from_file(Path::new(spec))
        }?;
        profile.origin = spec.to_string();
        Ok(profile)
    }

    /// Parses and validates a profile; `origin` names it in messages.
    pub fn from_toml(text: &str, origin: &str) -> Result<Profile, ProfileError> {
        let profile: Profile = toml::from_str(text)
            .map_err(|e| ProfileError::Parse { path: origin.to_string(), message: e.to_string() })?;
        profile.validate().map_err(|message| ProfileError::Invalid { path: origin.to_string(), message })?;
        Ok(profile)
    }

    /// The mapping of canonical table `name`.
    pub fn table(&self, name: &str) -> Option<&TableMapping> {
        match name {
            "resources" => self.resources.as_ref(),
            "clients" => self.clients.as_ref(),
            "tickets" => self.tickets.as_ref(),
            "time_entries" => self.time_entries.as_ref(),
            "surveys" => self.surveys.as_ref(),
            "contracts" => self.contracts.as_ref(),
            "devices" => self.devices.as_ref(),
            "billing_items" => self.billing_items.as_ref(),
            "projects" => self.projects.as_ref(),
            "opportunities" => self.opportunities.as_ref(),
            _ => None,
        }
    }

    /// The zone of the export's naive timestamps, when the profile names one.
    pub fn zone(&self) -> Option<chrono_tz::Tz> {
        self.timezone.as_deref().and_then(|z| z.parse().ok())
    }

    /// Whether reading `table` needs the general reader (any encoding, delimiter, workbook or
    /// JSON document, several files, filters, collapsing, or a table derived from it) rather
    /// than the fast CSV and JSON Lines path.
    pub(crate) fn reshapes(&self, table: &str) -> bool {
        let derived_from = kpi_schema::TABLES
            .iter()
            .any(|t| self.table(t.name).and_then(|m| m.derive.as_ref()).is_some_and(|d| d.from == table));
        derived_from
            || self.table(table).is_some_and(|m| {
                m.encoding.as_deref().is_some_and(|e| !e.eq_ignore_ascii_case("utf-8"))
                    || m.delimiter.as_deref().is_some_and(|d| d != ",")
                    || m.sheet.is_some()
                    || !m.filter.is_empty()
                    || m.collapse.is_some()
                    || m.derive.is_some()
                    || m.file.iter().any(|f| f.contains(['*', '?']))
            })
    }

    fn validate_tables(&self) -> Result<(), String> {
        if let Some(z) = &self.timezone {
            if z.parse::<chrono_tz::Tz>().is_err() {
                return Err(format!("timezone `{z}` is not an IANA zone name (e.g. Europe/London)"));
            }
        }
        for schema in kpi_schema::TABLES {
            let Some(m) = self.table(schema.name) else { continue };
            let at = schema.name;
            if let Some(e) = &m.encoding {
                if crate::ingest::encoding_named(e).is_none() {
                    return Err(format!("[{at}] encoding `{e}`: use utf-8, windows-1252, cp850 or utf-16"));
                }
            }
            if let Some(d) = &m.delimiter {
                if crate::ingest::delimiter_named(d).is_none() {
                    return Err(format!(
                        "[{at}] delimiter `{d}`: use one character, e.g. \";\", \"\\t\" or \"tab\""
                    ));
                }
            }
            if let Some(c) = &m.collapse {
                if let Some(k) = c.keep.as_deref().filter(|k| !matches!(*k, "first" | "last")) {
                    return Err(format!("[{at}.collapse] keep = \"{k}\": use \"first\" or \"last\""));
                }
                for (col, how) in &c.columns {
                    if schema.column(col).is_none() {
                        return Err(format!("[{at}.collapse.columns] `{col}` is not a column of `{at}`"));
                    }
                    if !matches!(how.as_str(), "max" | "min" | "first" | "last" | "count_changes") {
                        return Err(format!(
                            "[{at}.collapse.columns] {col} = \"{how}\": use max, min, first, last or count_changes"
                        ));
                    }
                }
            }
            for (name, x) in &m.extra {
                if schema.column(name).is_some() {
                    return Err(format!(
                        "[{at}.extra] `{name}` is a canonical column of `{at}`: map it in [{at}.columns]"
                    ));
                }
                if !x.format.is_empty() && x.ty != ExtraType::Timestamp {
                    return Err(format!("[{at}.extra] `{name}`: `format` needs type = \"timestamp\""));
                }
            }
            if let Some(d) = &m.derive {
                if self.table(&d.from).is_none() && kpi_schema::table(&d.from).is_none() {
                    return Err(format!("[{at}.derive] from = \"{}\" is not a table", d.from));
                }
                if d.from == schema.name || self.table(&d.from).is_some_and(|f| f.derive.is_some()) {
                    return Err(format!(
                        "[{at}.derive] from = \"{}\": derive from a table read from a file",
                        d.from
                    ));
                }
            }
        }
        Ok(())
    }

    fn validate(&self) -> Result<(), String> {
        use kpi_schema::ColumnType;
        self.validate_tables()?;
        for schema in kpi_schema::TABLES {
            let Some(mapping) = self.table(schema.name) else { continue };
            for (name, m) in &mapping.columns {
                let Some(col) = schema.column(name) else {
                    let known: Vec<_> = schema.columns.iter().map(|c| c.name).collect();
                    return Err(format!(
                        "[{}.columns] maps `{name}`, which is not a column of `{}` (columns: {})",
                        schema.name,
                        schema.name,
                        known.join(", ")
                    ));
                };
                if m.met.is_some() != m.reached.is_some()
                    || (m.met.is_some() && col.ty != ColumnType::Timestamp)
                {
                    return Err(format!(
                        "[{}.columns] `{name}`: an SLA flag needs both `met` (the flag's source column) and `reached` (the milestone's canonical column), on a timestamp column",
                        schema.name
                    ));
                }
                if let Some(r) = &m.reached {
                    if schema.column(r).map(|c| c.ty) != Some(ColumnType::Timestamp) {
                        return Err(format!(
                            "[{}.columns] `{name}`: `reached = \"{r}\"` is not a timestamp column of `{}`",
                            schema.name, schema.name
                        ));
                    }
                }
                if m.from.is_empty() && m.join.is_empty() && m.default.is_none() && m.met.is_none() {
                    return Err(format!(
                        "[{}.columns] `{name}` has no `from`, `join` or `default`",
                        schema.name
                    ));
                }
                if m.invert && col.ty != ColumnType::Bool {
                    return Err(format!(
                        "[{}.columns] `{name}`: `invert` needs a bool column, not {}",
                        schema.name, col.ty
                    ));
                }
                if !m.format.is_empty() && !matches!(col.ty, ColumnType::Timestamp | ColumnType::Date) {
                    return Err(format!(
                        "[{}.columns] `{name}`: `format` needs a timestamp column, not {}",
                        schema.name, col.ty
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_parse() {
        for name in Profile::BUILTIN {
            Profile::builtin(name).unwrap();
        }
    }

    #[test]
    fn unknown_field_has_location() {
        let err =
            Profile::from_toml("[tickets.columns]\ncreated_at = { form = \"x\" }\n", "p.toml").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("line 2"), "{msg}");
        assert!(msg.contains("unknown field `form`"), "{msg}");
        let err = Profile::from_toml("[ticket]\n", "p.toml").unwrap_err().to_string();
        assert!(err.contains("unknown field `ticket`") && err.contains("line 1"), "{err}");
        let err =
            Profile::from_toml("[tickets.columns]\ncreated = \"x\"\n", "p.toml").unwrap_err().to_string();
        assert!(err.contains("not a column of `tickets`"), "{err}");
    }
}
