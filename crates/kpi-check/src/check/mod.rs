//! Semantic checks over all loaded modules: names, types, units, row vs aggregate level, duplicates.
mod calls;
mod collect;
mod exprs;
mod kpis;
mod scorecards;

use crate::load::Rules;
use crate::lower::Lower;
use kpi_hir::{Grain, Instant, Program, TExpr, TKind, Type, Value};
use kpi_schema::{Grouping, TableSchema};
use kpi_syntax::ast::{self, Ident, Span};
use kpi_syntax::{codes, Diagnostic, FileId};
use std::collections::{BTreeSet, HashMap};

/// The checked program and every diagnostic of the run (parse, load and check), sorted.
#[derive(Debug)]
pub struct Checked {
    pub program: Program,
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    /// Any error (not only warnings)?
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

const INSTANTS: [Instant; 3] = [Instant::AsOf, Instant::PeriodStart, Instant::PeriodEnd];
const FUNCTIONS: [&str; 15] = [
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "share",
    "ratio",
    "coalesce",
    "abs",
    "round",
    "hour",
    "weekday",
    "custom",
    "workdays",
    "available_hours",
];

/// Check every loaded module. Parse and load diagnostics are carried over.
pub fn check(rules: &Rules) -> Checked {
    let mut checker = Checker { diags: rules.diagnostics.clone(), ..Checker::default() };
    checker.collect(rules);
    checker.check_scorecards(rules);
    checker.check_unused_kpis(rules);
    checker.warn_unused_params();
    let mut diagnostics = suppress_cascades(&rules.sources, checker.diags);
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()).then_with(|| a.message.cmp(&b.message)));
    diagnostics.dedup();
    Checked { program: checker.program, diagnostics }
}

/// A KPI definition and where it came from, before checking.
#[derive(Clone, Copy)]
struct KpiSource<'a> {
    file: FileId,
    kpi: &'a ast::Kpi,
}

/// A KPI of a scorecard before checking: its clause layers, oldest first (a definition, then the
/// `use` blocks that override it, then those of scorecards that extend it).
#[derive(Clone)]
struct Layered<'a> {
    id: &'a Ident,
    site_file: FileId,
    layers: Vec<(FileId, &'a Vec<ast::Clause>, Span)>,
    title: Option<&'a ast::Text>,
    doc: &'a [String],
}

/// A scorecard's period, grouping and KPIs after `extends`.
#[derive(Clone, Default)]
struct Resolved<'a> {
    grain: Option<(Grain, Span)>,
    group: Option<(Option<Grouping>, Span)>,
    kpis: Vec<Layered<'a>>,
}

#[derive(Default)]
struct Checker<'a> {
    scorecard_asts: HashMap<String, (FileId, &'a ast::Scorecard)>,
    resolved: HashMap<String, Option<Resolved<'a>>>,
    diags: Vec<Diagnostic>,
    program: Program,
    kpis: HashMap<String, KpiSource<'a>>,
    used_params: BTreeSet<String>,
    used_kpis: BTreeSet<String>,
    /// rhai functions declared but not compiled (already reported): calls to them are not
    /// "unknown functions".
    failed_functions: BTreeSet<String>,
}

/// Where an expression stands, which decides what its names mean.
#[derive(Clone, Copy)]
enum Scope {
    /// A value of one row of `table` (a `where`, an aggregate's argument).
    Row(&'static TableSchema),
    /// The KPI's value: aggregates over the population of `table`, grouped by `group`.
    Value { table: &'static TableSchema, group: Option<Grouping> },
    /// Known before any data is read: literals and params.
    Const,
}

impl Checker<'_> {
    fn error(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn texpr(kind: TKind, ty: Type, span: Span, file: FileId) -> TExpr {
        TExpr { kind, ty, span: span.lower(), file: file.lower() }
    }

    /// An expression that failed to check (already reported): accepted everywhere.
    fn invalid(span: Span, file: FileId) -> TExpr {
        Self::texpr(TKind::Const(Value::Null), Type::Error, span, file)
    }
}

/// Does the expression read a row value (outside related aggregates) or an aggregate?
fn levels(e: &TExpr) -> (bool, bool) {
    match &e.kind {
        TKind::Const(_) | TKind::Param(_) | TKind::Instant(_) => (false, false),
        TKind::Column { .. } | TKind::Custom(_) | TKind::Related { .. } => (true, false),
        TKind::Aggregate { .. } | TKind::Builtin(_) => (false, true),
        TKind::List(items) | TKind::Call(_, items) | TKind::Script { args: items, .. } => {
            items.iter().map(levels).fold((false, false), |(r, a), (r2, a2)| (r || r2, a || a2))
        }
        TKind::Unary(_, inner) | TKind::IsNull { expr: inner, .. } => levels(inner),
        TKind::Binary(_, l, r) => {
            let (lr, la) = levels(l);
            let (rr, ra) = levels(r);
            (lr || rr, la || ra)
        }
    }
}

/// Drop the errors that a syntax error on the same line caused: the syntax error explains them.
fn suppress_cascades(sources: &kpi_syntax::SourceMap, diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
    // Line starts per file, computed once: a huge file can have as many diagnostics as lines.
    let line_starts: Vec<Vec<u32>> = sources
        .files()
        .map(|(_, f)| {
            let newlines = f.text.bytes().enumerate().filter(|&(_, b)| b == b'\n').map(|(i, _)| i as u32 + 1);
            std::iter::once(0).chain(newlines).collect()
        })
        .collect();
    let line_of = |d: &Diagnostic| {
        d.primary
            .as_ref()
            .map(|p| (p.file, line_starts[p.file.0 as usize].partition_point(|&s| s <= p.span.start)))
    };
    let syntax_lines: BTreeSet<(FileId, usize)> =
        diags.iter().filter(|d| d.code == codes::SYNTAX).filter_map(line_of).collect();
    diags
        .into_iter()
        .filter(|d| d.code == codes::SYNTAX || line_of(d).is_none_or(|l| !syntax_lines.contains(&l)))
        .collect()
}
