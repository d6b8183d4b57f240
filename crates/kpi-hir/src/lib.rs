//! The checked program: every name resolved, every expression typed and placed at row or aggregate level.
#![forbid(unsafe_code)]
// The evaluator and the reports compile against this crate alone; they never see syntax, so it
// has its own spans and operators (kpi-check converts the syntax tree's at the boundary).

mod source;

pub use source::{BinaryOp, CmpOp, FileId, Span, UnaryOp};

use kpi_schema::{ColumnSchema, Grouping, Link, Relation, TableSchema};
use serde::Serialize;

/// The param whose value a null `resources.cost_per_hour` takes (0 when no rule declares it).
pub const DEFAULT_COST_PER_HOUR: &str = "default_cost_per_hour";

/// Where a definition was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Origin {
    pub file: FileId,
    pub span: Span,
}

/// The checked rules: params, rhai functions and scorecards, ready to evaluate.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Program {
    pub params: Vec<ParamDef>,
    /// Functions written in rhai, compiled.
    pub functions: Vec<FunctionDef>,
    /// In the order the rule files declare them.
    pub scorecards: Vec<ScorecardDef>,
}

impl Program {
    /// The param called `name`.
    pub fn param(&self, name: &str) -> Option<&ParamDef> {
        self.params.iter().find(|p| p.name == name)
    }

    /// The scorecard with id `id`.
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

/// `param name = default`, typed by its default.
#[derive(Debug, Clone, Serialize)]
pub struct ParamDef {
    pub name: String,
    pub ty: Type,
    pub default: Value,
    pub doc: String,
    pub origin: Origin,
}

/// A scorecard after `extends`, `use` and `remove`: its period, grouping and checked KPIs.
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

/// A scorecard's period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Grain {
    Week,
    Month,
    Quarter,
    Year,
    Snapshot,
}

impl Grain {
    /// Every grain, in the order the docs list them.
    pub const ALL: [Grain; 5] = [Grain::Week, Grain::Month, Grain::Quarter, Grain::Year, Grain::Snapshot];

    /// The grain as written after `period`.
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

/// A checked KPI, with every clause in effect for its scorecard.
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

/// How the population's rows fall into periods.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Placement {
    /// Every row, whatever the period.
    All,
    /// Rows whose timestamp column falls in the period.
    By(String),
    /// Rows open at the instant: created at or before it, not completed by it.
    OpenAt(Instant),
}

/// A built-in instant of the period being evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Instant {
    AsOf,
    PeriodStart,
    /// The end of the period, or `as_of` when that comes first.
    PeriodEnd,
}

impl Instant {
    /// The instant as written in rules.
    pub fn name(self) -> &'static str {
        match self {
            Instant::AsOf => "as_of",
            Instant::PeriodStart => "period_start",
            Instant::PeriodEnd => "period_end",
        }
    }
}

/// `target OP value`.
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    pub op: CmpOp,
    pub value: TExpr,
}

/// How a KPI's value becomes attainment.
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
    /// The unit as written after `unit` (a plain number is `number`).
    pub fn name(self) -> &'static str {
        match self {
            Unit::Plain | Unit::Number => "number",
            Unit::Ratio => "ratio",
            Unit::Hours => "hours",
            Unit::Count => "count",
            Unit::Currency => "currency",
        }
    }

    /// The unit written `name`.
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

/// The type of a checked expression.
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
    /// The type in words, for messages ("a duration in hours").
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

    /// A number of any unit (or an already reported error).
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

/// What a checked expression is.
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
    /// The value of another KPI of the scorecard, named by its id in a value (`revenue` in
    /// `(revenue - labour_cost) / revenue`): `value` aggregates over that KPI's own `population`,
    /// in the same period and group.
    KpiValue {
        id: String,
        population: Box<Population>,
        value: Box<TExpr>,
    },
}

/// The rows an aggregate reads.
#[derive(Debug, Clone, Copy, Serialize)]
pub enum AggSource {
    Population,
    /// All rows of the table in the group, whatever the period.
    Table(#[serde(serialize_with = "ser_table")] &'static TableSchema),
}

/// An aggregate function.
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
    /// The aggregate called `name`.
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

/// A built-in function of row values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RowFunc {
    Coalesce,
    Abs,
    Round,
    /// Hour of day (0-23) in the dataset time zone.
    Hour,
    /// ISO weekday (1 = Monday ... 7 = Sunday) in the dataset time zone.
    Weekday,
    /// `open_at(t)`: the row is open at the instant `t` by its table's lifetime
    /// ([`kpi_schema::Lifetime`]): started at or before `t`, and not ended by it (an end date is
    /// inclusive).
    OpenAt,
}

/// A built-in value per (period, group).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Builtin {
    /// Monday-Friday dates of the period that are not holidays (up to `period_end`).
    Workdays,
    /// Workdays times hours per day, summed over the group's active resources.
    AvailableHours,
}

/// Evaluate a constant expression (literals, params, arithmetic) with `param` giving param values.
pub fn eval_const(e: &TExpr, param: &dyn Fn(&str) -> Option<Value>) -> Option<Value> {
    Some(match &e.kind {
        TKind::Const(v) => v.clone(),
        TKind::Param(name) => param(name)?,
        TKind::List(items) => Value::List(items.iter().map(|i| eval_const(i, param)).collect::<Option<_>>()?),
        TKind::Unary(UnaryOp::Neg, inner) => match eval_const(inner, param)? {
            Value::Number(x) => Value::Number(-x),
            _ => return None,
        },
        TKind::Binary(op, l, r) => match (eval_const(l, param)?, eval_const(r, param)?) {
            (Value::Number(a), Value::Number(b)) => Value::Number(match op {
                BinaryOp::Add => a + b,
                BinaryOp::Sub => a - b,
                BinaryOp::Mul => a * b,
                BinaryOp::Div if b != 0.0 => a / b,
                _ => return None,
            }),
            _ => return None,
        },
        _ => return None,
    })
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
    s.serialize_str(r.child.name())
}

fn ser_grouping<S: serde::Serializer>(g: &Option<Grouping>, s: S) -> Result<S::Ok, S::Error> {
    match g {
        Some(g) => s.serialize_some(g.name()),
        None => s.serialize_none(),
    }
}
