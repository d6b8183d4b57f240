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

/// Most diagnostics shown per file; the rest are counted in one W0003 per file.
pub const MAX_DIAGNOSTICS_PER_FILE: usize = 50;
/// Most diagnostics shown per run (files past it are counted in one W0003).
pub const MAX_DIAGNOSTICS_PER_RUN: usize = 200;

/// The checked program and the diagnostics of the run (parse, load and check), sorted, at most
/// [`MAX_DIAGNOSTICS_PER_FILE`] per file and [`MAX_DIAGNOSTICS_PER_RUN`] in all (errors first):
/// the others are counted, in a W0003 saying "... and N more", and in `hidden_*`.
#[derive(Debug)]
pub struct Checked {
    pub program: Program,
    pub diagnostics: Vec<Diagnostic>,
    /// Errors found but not in `diagnostics`.
    pub hidden_errors: usize,
    /// Warnings found but not in `diagnostics`.
    pub hidden_warnings: usize,
}

impl Checked {
    /// Any error (not only warnings)?
    pub fn has_errors(&self) -> bool {
        self.hidden_errors > 0 || self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// Errors and warnings found, shown or not (the W0003 counts are not counted).
    pub fn counts(&self) -> (usize, usize) {
        let errors = self.diagnostics.iter().filter(|d| d.is_error()).count();
        let warnings = self.diagnostics.iter().filter(|d| !d.is_error() && !is_summary(d)).count();
        (errors + self.hidden_errors, warnings + self.hidden_warnings)
    }
}

/// A W0003 that counts diagnostics not shown (it has no place in a file).
fn is_summary(d: &Diagnostic) -> bool {
    d.code == codes::TOO_MANY && d.primary.is_none()
}

/// The built-in instants a rule may name (`as_of`, `period_start`, `period_end`).
pub const INSTANTS: [Instant; 3] = [Instant::AsOf, Instant::PeriodStart, Instant::PeriodEnd];
/// The built-in functions a rule may call: aggregates, row functions, `custom`, per-period values.
pub const FUNCTIONS: [&str; 16] = [
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
    "open_at",
    "custom",
    "workdays",
    "available_hours",
];

/// Check every loaded module. Parse and load diagnostics are carried over.
pub fn check(rules: &Rules) -> Checked {
    let mut syntax_errors: Vec<(FileId, u32)> = rules
        .diagnostics
        .iter()
        .filter(|d| d.code == codes::SYNTAX)
        .filter_map(|d| d.primary.as_ref().map(|p| (p.file, p.span.start)))
        .collect();
    syntax_errors.sort_unstable();
    let mut checker = Checker { diags: rules.diagnostics.clone(), syntax_errors, ..Checker::default() };
    checker.collect(rules);
    checker.check_scorecards(rules);
    checker.check_unused_kpis(rules);
    checker.warn_unused_params();
    let mut diagnostics = suppress_cascades(&rules.sources, checker.diags);
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()).then_with(|| a.message.cmp(&b.message)));
    diagnostics.dedup();
    let (diagnostics, hidden_errors, hidden_warnings) = cap(&rules.sources, diagnostics);
    Checked { program: checker.program, diagnostics, hidden_errors, hidden_warnings }
}

/// Keep at most [`MAX_DIAGNOSTICS_PER_FILE`] diagnostics of each file and
/// [`MAX_DIAGNOSTICS_PER_RUN`] in all, errors before warnings, in their sorted order; count the
/// rest in a W0003 per file ("... and N more"). Diagnostics with no place count as a file.
fn cap(sources: &kpi_syntax::SourceMap, sorted: Vec<Diagnostic>) -> (Vec<Diagnostic>, usize, usize) {
    let file_of = |d: &Diagnostic| d.primary.as_ref().map(|p| p.file);
    // Which diagnostics are kept: per file, errors first, then warnings, in order.
    let mut keep = vec![false; sorted.len()];
    let mut shown_in_run = 0;
    for errors_pass in [true, false] {
        let mut shown_in_file: HashMap<Option<FileId>, usize> = HashMap::new();
        for (i, d) in sorted.iter().enumerate() {
            if keep[i] {
                *shown_in_file.entry(file_of(d)).or_default() += 1;
            }
        }
        for (i, d) in sorted.iter().enumerate() {
            if keep[i] || d.is_error() != errors_pass || is_summary(d) {
                continue;
            }
            let in_file = shown_in_file.entry(file_of(d)).or_default();
            if *in_file < MAX_DIAGNOSTICS_PER_FILE && shown_in_run < MAX_DIAGNOSTICS_PER_RUN {
                keep[i] = true;
                *in_file += 1;
                shown_in_run += 1;
            }
        }
    }
    let mut hidden: Vec<(Option<FileId>, usize, usize)> = Vec::new();
    let (mut hidden_errors, mut hidden_warnings) = (0, 0);
    let mut kept = Vec::new();
    for (d, keep) in sorted.into_iter().zip(keep) {
        if keep || is_summary(&d) {
            kept.push(d);
            continue;
        }
        let file = file_of(&d);
        let slot = match hidden.iter().position(|(f, _, _)| *f == file) {
            Some(i) => i,
            None => {
                hidden.push((file, 0, 0));
                hidden.len() - 1
            }
        };
        if d.is_error() {
            hidden[slot].1 += 1;
            hidden_errors += 1;
        } else {
            hidden[slot].2 += 1;
            hidden_warnings += 1;
        }
    }
    for (file, errors, warnings) in hidden {
        let path = file.map(|f| sources.get(f).path.as_str());
        kept.push(crate::diagnostics::more_not_shown(path, errors, warnings));
    }
    (kept, hidden_errors, hidden_warnings)
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
    /// Where the syntax errors of the run are, sorted (all come from parsing, before checking).
    syntax_errors: Vec<(FileId, u32)>,
    /// The scorecard being checked, for KPI values named in other KPIs' values.
    card: Option<CardKpis>,
}

/// The KPIs of the scorecard being checked, around the one being checked.
#[derive(Default)]
struct CardKpis {
    /// Checked, above the current one: their values may be named.
    earlier: Vec<kpi_hir::KpiDef>,
    current: String,
    /// Below the current one (named too early: an error that says so).
    later: Vec<String>,
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
        TKind::Aggregate { .. } | TKind::Builtin(_) | TKind::KpiValue { .. } => (false, true),
        // Reads the row's lifetime columns.
        TKind::Call(kpi_hir::RowFunc::OpenAt, _) => (true, false),
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
    let line_of = |d: &Diagnostic| {
        d.primary.as_ref().map(|p| (p.file, sources.get(p.file).line_index(p.span.start as usize)))
    };
    let syntax_lines: BTreeSet<(FileId, usize)> =
        diags.iter().filter(|d| d.code == codes::SYNTAX).filter_map(line_of).collect();
    diags
        .into_iter()
        .filter(|d| d.code == codes::SYNTAX || line_of(d).is_none_or(|l| !syntax_lines.contains(&l)))
        .collect()
}
