//! What differs between the SQL engines: type names, literals, timestamps as epoch microseconds,
//! string tests and local time in a time zone.

/// An SQL engine the compiler writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    DuckDb,
    Postgres,
    Spark,
}

impl Dialect {
    pub const ALL: [Dialect; 3] = [Dialect::DuckDb, Dialect::Postgres, Dialect::Spark];

    /// The dialect as named on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::DuckDb => "duckdb",
            Dialect::Postgres => "postgres",
            Dialect::Spark => "spark",
        }
    }

    pub fn from_name(name: &str) -> Option<Dialect> {
        Dialect::ALL.into_iter().find(|d| d.name() == name)
    }

    pub(crate) fn double(self) -> &'static str {
        match self {
            Dialect::Postgres => "DOUBLE PRECISION",
            Dialect::DuckDb | Dialect::Spark => "DOUBLE",
        }
    }

    pub(crate) fn text_type(self) -> &'static str {
        match self {
            Dialect::DuckDb => "VARCHAR",
            Dialect::Postgres => "TEXT",
            Dialect::Spark => "STRING",
        }
    }

    /// A number as a double literal; NaN and infinities are null (as the evaluator's values).
    pub(crate) fn num(self, x: f64) -> String {
        if x.is_finite() {
            format!("CAST({x:?} AS {})", self.double())
        } else {
            format!("CAST(NULL AS {})", self.double())
        }
    }

    pub(crate) fn cast_double(self, sql: &str) -> String {
        format!("CAST({sql} AS {})", self.double())
    }

    /// A text literal. Spark reads backslash escapes in string literals; the others do not.
    pub(crate) fn text(self, s: &str) -> String {
        match self {
            Dialect::Spark => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
            Dialect::DuckDb | Dialect::Postgres => format!("'{}'", s.replace('\'', "''")),
        }
    }

    /// A quoted identifier (for `custom("...")` columns, whose names come from data headers).
    pub(crate) fn ident(self, name: &str) -> String {
        match self {
            Dialect::Spark => format!("`{}`", name.replace('`', "``")),
            Dialect::DuckDb | Dialect::Postgres => format!("\"{}\"", name.replace('"', "\"\"")),
        }
    }

    /// A timestamp column as microseconds since the Unix epoch (BIGINT), as the evaluator holds it.
    pub(crate) fn epoch_us(self, column: &str) -> String {
        match self {
            Dialect::DuckDb => format!("epoch_us({column})"),
            Dialect::Postgres => format!("CAST(EXTRACT(EPOCH FROM {column}) * 1000000 AS BIGINT)"),
            Dialect::Spark => format!("unix_micros({column})"),
        }
    }

    /// Spark's optimizer expands a nested CASE compared with a join key into every branch
    /// (exponential code size, out of memory on a hundred periods): there, a row's period is
    /// found by an equi-join on its UTC day instead of a search over the bounds.
    pub(crate) fn joins_periods_by_day(self) -> bool {
        self == Dialect::Spark
    }

    /// BIGINT division truncated toward zero.
    pub(crate) fn int_div(self, a: &str, b: &str) -> String {
        match self {
            Dialect::DuckDb => format!("({a} // {b})"),
            Dialect::Postgres => format!("({a} / {b})"),
            Dialect::Spark => format!("({a} DIV {b})"),
        }
    }

    /// One row per value of the integer range [`from`, `to`] as column `d`, beside the other
    /// columns of the row (`SELECT p.*, <this> FROM ...`).
    pub(crate) fn each_integer(self, from: &str, to: &str) -> String {
        match self {
            Dialect::DuckDb => format!("unnest(range({from}, {to} + 1)) AS d"),
            Dialect::Postgres => format!("generate_series({from}, {to}) AS d"),
            Dialect::Spark => format!("explode(sequence({from}, {to})) AS d"),
        }
    }

    /// A double truncated toward zero to BIGINT (Rust's `as i64`).
    pub(crate) fn trunc_bigint(self, sql: &str) -> String {
        match self {
            Dialect::Spark => format!("CAST({sql} AS BIGINT)"),
            Dialect::DuckDb | Dialect::Postgres => format!("CAST(TRUNC({sql}) AS BIGINT)"),
        }
    }

    /// Rounds half away from zero (Rust's `f64::round`; SQL `ROUND` on doubles differs by engine).
    pub(crate) fn round(self, sql: &str) -> String {
        format!("(SIGN({sql}) * FLOOR(ABS({sql}) + {}))", self.num(0.5))
    }

    /// `haystack` contains `needle` (both text).
    pub(crate) fn contains(self, haystack: &str, needle: &str) -> String {
        match self {
            Dialect::Spark => format!("(instr({haystack}, {needle}) > 0)"),
            Dialect::DuckDb | Dialect::Postgres => format!("(strpos({haystack}, {needle}) > 0)"),
        }
    }

    /// Text order as Rust's (bytes): Postgres's default collation may follow the locale.
    pub(crate) fn bytewise(self, sql: &str) -> String {
        match self {
            Dialect::Postgres => format!("{sql} COLLATE \"C\""),
            Dialect::DuckDb | Dialect::Spark => sql.to_string(),
        }
    }

    /// The local hour (0-23) or ISO weekday (1 = Monday) of epoch microseconds `us` in `tz`, as
    /// a double, through the engine's own time zone functions. Spark's `from_utc_timestamp`
    /// renders in the session time zone, which must be UTC (`spark.sql.session.timeZone`).
    pub(crate) fn local_part(self, us: &str, tz: &str, hour: bool) -> String {
        let tz_lit = self.text(tz);
        let part = match self {
            Dialect::DuckDb => {
                let local = format!("timezone({tz_lit}, to_timestamp(0) + to_microseconds({us}))");
                if hour {
                    format!("hour({local})")
                } else {
                    format!("isodow({local})")
                }
            }
            Dialect::Postgres => {
                let local =
                    format!("(TIMESTAMPTZ 'epoch' + {us} * INTERVAL '1 microsecond') AT TIME ZONE {tz_lit}");
                format!("EXTRACT({} FROM {local})", if hour { "HOUR" } else { "ISODOW" })
            }
            Dialect::Spark => {
                let local = format!("from_utc_timestamp(timestamp_micros({us}), {tz_lit})");
                if hour {
                    format!("hour({local})")
                } else {
                    format!("((dayofweek({local}) + 5) % 7 + 1)")
                }
            }
        };
        self.cast_double(&part)
    }

    /// `SELECT ... WHERE` rows of a VALUES-like list: one `SELECT` per row, `UNION ALL`ed (the
    /// one form all three engines accept, empty lists included).
    pub(crate) fn rows(self, columns: &[(&str, &str)], rows: &[Vec<String>]) -> String {
        if rows.is_empty() {
            let nulls: Vec<String> =
                columns.iter().map(|(name, ty)| format!("CAST(NULL AS {ty}) AS {name}")).collect();
            return format!("SELECT {} WHERE 1 = 0", nulls.join(", "));
        }
        rows.iter()
            .map(|row| {
                let cells: Vec<String> = row
                    .iter()
                    .zip(columns)
                    .map(|(value, (name, ty))| format!("CAST({value} AS {ty}) AS {name}"))
                    .collect();
                format!("SELECT {}", cells.join(", "))
            })
            .collect::<Vec<_>>()
            .join("\n  UNION ALL ")
    }
}
