//! The checked program: every name resolved, every expression typed and placed at row or aggregate
//! level. The evaluator compiles this; it never sees syntax.
use kpi_schema::{ColumnSchema, Grouping, Link, Relation, TableSchema};
use kpi_syntax::ast::{BinaryOp, CmpOp, Span, UnaryOp};
use kpi_syntax::FileId;
use serde::Serialize;

/// Where a definition was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Origin {
    pub file: FileId,
    pub span: Span,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Program {
    pub params: Vec<ParamDef>,
    /// Functions written in rhai, compiled.
    pub functions: Vec<FunctionDef>,
    /// In the order the rule files declare them.
    pub scorecards: Vec<ScorecardDef>,
}

impl Program {
    pub fn param(&self, name: &str) -> Option<&ParamDef> {
        self.params.iter().find(|p| p.name == name)
    }

    pub fn scorecard(&self, id: &str) -> Option<&ScorecardDef> {
        self.scorecards.iter().find(|s| s.id == id)
    }
}

/// `fn name(...) -> type = rhai ...`, compiled once.
#[derive(Debug, Clone, Serialize)]
pub struct FunctionDef {
    pub name: String,
    pub doc: String,
    #[serde(skip)]
    pub script: kpi_script::Script,
    pub origin: Origin,
}

#[derive(Debug, Clone, Serialize)]
pub struct ParamDef {
    pub name: String,
    pub ty: Type,
    pub default: Value,
    pub doc: String,
    pub origin: Origin,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScorecardDef {
    pub id: String,
    pub title: String,
    pub doc: String,
    pub grain: Grain,
    #[serde(serialize_with = "ser_grouping")]
    pub group_by: Option<Grouping>,
    pub kpis: Vec<KpiDef>,
    /// Declared in a file named on the command line (not only imported).
    pub root: bool,
    pub origin: Origin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Grain {
    Week,
    Month,
    Quarter,
    Year,
    Snapshot,
}

impl Grain {
    pub const ALL: [Grain; 5] = [Grain::Week, Grain::Month, Grain::Quarter, Grain::Year, Grain::Snapshot];

    pub fn name(self) -> &'static str {
        match self {
            Grain::Week => "week",
            Grain::Month => "month",
            Grain::Quarter => "quarter",
            Grain::Year => "year",
            Grain::Snapshot => "snapshot",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct KpiDef {
    pub id: String,
    pub title: String,
    /// The doc comment: what the KPI measures and why.
    pub description: String,
    pub population: Population,
    pub value: TExpr,
    pub unit: Unit,
    pub target: Target,
    pub weight: TExpr,
    pub scoring: Scoring,
    pub min_rows: Option<TExpr>,
    pub origin: Origin,
    /// Where each effective clause was written (for provenance in explanations).
    pub target_origin: Origin,
    pub weight_origin: Origin,
    /// Client config overrides applied after checking, with where each was written.
    pub overrides: KpiOverrides,
}

/// Where a client config changed a KPI (e.g. `acme.toml:12:10 scorecards.tech_balanced.mttr.target`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct KpiOverrides {
    pub target: Option<String>,
    pub weight: Option<String>,
}

/// The rows a KPI aggregates: a table, how its rows fall into periods, and which rows count.
#[derive(Debug, Clone, Serialize)]
pub struct Population {
    #[serde(serialize_with = "ser_table")]
    pub table: &'static TableSchema,
    pub placement: Placement,
    pub filter: Option<TExpr>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Placement {
    /// Every row, whatever the period.
    All,
    /// Rows whose timestamp column falls in the period.
    By(String),
    /// Rows open at the instant: created at or before it, not completed by it.
    OpenAt(Instant),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Instant {
    AsOf,
    PeriodStart,
    /// The end of the period, or `as_of` when that comes first.
    PeriodEnd,
}

impl Instant {
    pub fn name(self) -> &'static str {
        match self {
            Instant::AsOf => "as_of",
            Instant::PeriodStart => "period_start",
            Instant::PeriodEnd => "period_end",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Target {
    pub op: CmpOp,
    pub value: TExpr,
}

#[derive(Debug, Clone, Serialize)]
pub enum Scoring {
    Attainment,
    PassFail,
    /// (value, attainment) points in increasing value order; linear in between, flat outside.
    Bands(Vec<(TExpr, TExpr)>),
}

/// The unit of a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Unit {
    /// A bare number literal: takes the unit of what it meets.
    Plain,
    Number,
    Ratio,
    Hours,
    Count,
    Currency,
}

impl Unit {
    pub fn name(self) -> &'static str {
        match self {
            Unit::Plain | Unit::Number => "number",
            Unit::Ratio => "ratio",
            Unit::Hours => "hours",
            Unit::Count => "count",
            Unit::Currency => "currency",
        }
    }

    pub fn from_name(name: &str) -> Option<Unit> {
        Some(match name {
            "number" => Unit::Number,
            "ratio" => Unit::Ratio,
            "hours" => Unit::Hours,
            "count" => Unit::Count,
            "currency" => Unit::Currency,
            _ => return None,
        })
    }

    /// Units that may meet in `+`, `-` and comparisons.
    pub fn compatible(self, other: Unit) -> bool {
        self == other
            || matches!(self, Unit::Plain | Unit::Number)
            || matches!(other, Unit::Plain | Unit::Number)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Type {
    Bool,
    Number(Unit),
    Text,
    Timestamp,
    Date,
    List(Box<Type>),
    Null,
    /// The type of an expression that already failed to check; accepted everywhere.
    Error,
}

impl Type {
    pub fn describe(&self) -> String {
        match self {
            Type::Bool => "a true/false value".into(),
            Type::Number(Unit::Plain | Unit::Number) => "a number".into(),
            Type::Number(Unit::Ratio) => "a ratio".into(),
            Type::Number(Unit::Hours) => "a duration in hours".into(),
            Type::Number(Unit::Count) => "a count".into(),
            Type::Number(Unit::Currency) => "an amount of money".into(),
            Type::Text => "text".into(),
            Type::Timestamp => "a timestamp".into(),
            Type::Date => "a date".into(),
            Type::List(t) => format!("a list of {}", t.describe()),
            Type::Null => "null".into(),
            Type::Error => "an invalid value".into(),
        }
    }

    pub fn is_numeric(&self) -> bool {
        matches!(self, Type::Number(_) | Type::Error)
    }
}

/// A constant value (literal or param default).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Value {
    Null,
    Bool(bool),
    Number(f64),
    Text(String),
    /// `YYYY-MM-DD`.
    Date(String),
    List(Vec<Value>),
}

/// A checked, typed expression.
#[derive(Debug, Clone, Serialize)]
pub struct TExpr {
    pub kind: TKind,
    pub ty: Type,
    pub span: Span,
    pub file: FileId,
}

#[derive(Debug, Clone, Serialize)]
pub enum TKind {
    Const(Value),
    Param(String),
    Instant(Instant),
    /// A column of the current row, or of a row reached through many-to-one links.
    Column {
        #[serde(serialize_with = "ser_links")]
        links: Vec<&'static Link>,
        #[serde(serialize_with = "ser_column")]
        column: &'static ColumnSchema,
    },
    /// An extra column of the export, by header name (`custom("contract")`).
    Custom(String),
    List(Vec<TExpr>),
    Unary(UnaryOp, Box<TExpr>),
    Binary(BinaryOp, Box<TExpr>, Box<TExpr>),
    IsNull {
        expr: Box<TExpr>,
        negated: bool,
    },
    Call(RowFunc, Vec<TExpr>),
    /// A row-level aggregate over the current row's related rows (a ticket's time entries).
    Related {
        #[serde(serialize_with = "ser_relation")]
        relation: Relation,
        agg: AggFunc,
        args: Vec<TExpr>,
        filter: Option<Box<TExpr>>,
    },
    /// An aggregate over the KPI's population, or over another table's rows of the group.
    Aggregate {
        source: AggSource,
        agg: AggFunc,
        args: Vec<TExpr>,
        filter: Option<Box<TExpr>>,
    },
    /// A per-(period, group) built-in value.
    Builtin(Builtin),
    /// A call of a rhai function (index into [`Program::functions`]); row or aggregate level as its arguments.
    Script {
        function: usize,
        args: Vec<TExpr>,
    },
}

#[derive(Debug, Clone, Copy, Serialize)]
pub enum AggSource {
    Population,
    /// All rows of the table in the group, whatever the period.
    Table(#[serde(serialize_with = "ser_table")] &'static TableSchema),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum AggFunc {
    Count,
    Sum,
    Avg,
    Min,
    Max,
    Share,
    Ratio,
}

impl AggFunc {
    pub fn from_name(name: &str) -> Option<AggFunc> {
        Some(match name {
            "count" => AggFunc::Count,
            "sum" => AggFunc::Sum,
            "avg" => AggFunc::Avg,
            "min" => AggFunc::Min,
            "max" => AggFunc::Max,
            "share" => AggFunc::Share,
            "ratio" => AggFunc::Ratio,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RowFunc {
    Coalesce,
    Abs,
    Round,
    /// Hour of day (0-23) in the dataset time zone.
    Hour,
    /// ISO weekday (1 = Monday ... 7 = Sunday) in the dataset time zone.
    Weekday,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Builtin {
    /// Monday-Friday dates of the period that are not holidays (up to `period_end`).
    Workdays,
    /// Workdays times hours per day, summed over the group's active resources.
    AvailableHours,
}

fn ser_table<S: serde::Serializer>(t: &&'static TableSchema, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(t.name)
}

fn ser_column<S: serde::Serializer>(c: &&'static ColumnSchema, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(c.name)
}

fn ser_links<S: serde::Serializer>(links: &[&'static Link], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(links.iter().map(|l| l.name))
}

fn ser_relation<S: serde::Serializer>(r: &Relation, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(r.child)
}

fn ser_grouping<S: serde::Serializer>(g: &Option<Grouping>, s: S) -> Result<S::Ok, S::Error> {
    match g {
        Some(g) => s.serialize_some(g.name()),
        None => s.serialize_none(),
    }
}
