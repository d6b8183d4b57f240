//! The typed syntax tree of a `.kpi` file; every node carries its byte span.
use crate::keywords::Keyword;
use serde::Serialize;

/// A byte range in one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start: start as u32, end: end as u32 }
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    pub fn to(self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }
}

/// A name as written, with where it was written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A string literal's value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Text {
    pub value: String,
    pub span: Span,
}

/// A parsed rule file.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Module {
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Item {
    Import(Import),
    Param(Param),
    Scorecard(Scorecard),
    Kpi(Kpi),
    /// A top-level `use id { ... }` (a scorecard member written outside any scorecard).
    Use(UseKpi),
    Function(Function),
}

/// `fn name(params) -> type = rhai ...`: a function written in rhai.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Function {
    pub doc: Vec<String>,
    pub name: Ident,
    pub params: Vec<(Ident, Ident)>,
    pub returns: Ident,
    pub body: ScriptSource,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ScriptSource {
    /// The body between `"""`, with its span in the rule file.
    Inline { code: String, span: Span },
    /// `file "x.rhai"`, relative to the rule file.
    File(Text),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Import {
    pub doc: Vec<String>,
    pub path: Text,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Param {
    pub doc: Vec<String>,
    pub name: Ident,
    pub default: Expr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scorecard {
    pub doc: Vec<String>,
    pub id: Ident,
    /// The scorecard this one extends.
    pub extends: Option<Ident>,
    pub title: Option<Text>,
    pub members: Vec<Member>,
    pub span: Span,
}

/// What a scorecard body holds, in source order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Member {
    Period(Ident),
    Per(Ident),
    Kpi(Kpi),
    Use(UseKpi),
    /// `remove id`: a KPI of the extended scorecard left out.
    Remove(Ident),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Kpi {
    pub doc: Vec<String>,
    pub id: Ident,
    pub title: Option<Text>,
    pub clauses: Vec<Clause>,
    pub span: Span,
}

/// `use id "Title" { clauses }`: a KPI defined elsewhere, with some clauses overridden.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UseKpi {
    pub doc: Vec<String>,
    pub id: Ident,
    pub title: Option<Text>,
    pub clauses: Vec<Clause>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Clause {
    pub kind: ClauseKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ClauseKind {
    From { table: Ident, placement: Option<Placement> },
    Where(Expr),
    Value(Expr),
    Unit(Ident),
    Target { op: CmpOp, value: Expr },
    Weight(Expr),
    Scoring(Scoring),
    MinRows(Expr),
}

impl ClauseKind {
    /// The keyword that starts the clause.
    pub fn keyword(&self) -> &'static str {
        match self {
            ClauseKind::From { .. } => Keyword::From,
            ClauseKind::Where(_) => Keyword::Where,
            ClauseKind::Value(_) => Keyword::Value,
            ClauseKind::Unit(_) => Keyword::Unit,
            ClauseKind::Target { .. } => Keyword::Target,
            ClauseKind::Weight(_) => Keyword::Weight,
            ClauseKind::Scoring(_) => Keyword::Scoring,
            ClauseKind::MinRows(_) => Keyword::MinRows,
        }
        .as_str()
    }
}

/// Which timestamp places a row in a period, or which instant a row must be open at.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Placement {
    By(Ident),
    OpenAt(Ident),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Scoring {
    Named(Ident),
    Bands { points: Vec<(Expr, Expr)>, span: Span },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum CmpOp {
    Ge,
    Gt,
    Le,
    Lt,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Ge => ">=",
            CmpOp::Gt => ">",
            CmpOp::Le => "<=",
            CmpOp::Lt => "<",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ExprKind {
    Number(f64),
    /// `80%`, stored as the fraction 0.8.
    Percent(f64),
    /// `30m`, stored in hours.
    Duration(f64),
    String(String),
    Bool(bool),
    /// `2026-01-01`, as written.
    Date(String),
    Null,
    List(Vec<Expr>),
    /// `name` or `link.name`.
    Path(Vec<Ident>),
    Call {
        name: Ident,
        args: Vec<Arg>,
    },
    Unary {
        op: UnaryOp,
        expr: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    IsNull {
        expr: Box<Expr>,
        negated: bool,
    },
    /// Stands in for an expression that could not be parsed (already reported).
    Invalid,
}

/// A call argument with its optional `where` filter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Arg {
    pub value: Expr,
    pub filter: Option<Expr>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
    StartsWith,
    EndsWith,
    Contains,
    Add,
    Sub,
    Mul,
    Div,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "=",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::In => "in",
            BinaryOp::NotIn => "not in",
            BinaryOp::StartsWith => "starts_with",
            BinaryOp::EndsWith => "ends_with",
            BinaryOp::Contains => "contains",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
        }
    }
}
