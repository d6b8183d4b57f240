//! Every named thing of a scope and where it is written: definitions from the syntax trees,
//! references from the syntax trees (`use`, `remove`, `extends`) and from the checked program
//! (params, columns and rhai functions as the checker resolved them).
use crate::project::Analysis;
use crate::text::normalize;
use kpi_hir::{KpiDef, Scoring, TExpr, TKind};
use kpi_syntax::ast::{Clause, ClauseKind, Item, Member, Placement, ScriptSource, Span};
use kpi_syntax::FileId;
use std::path::{Path, PathBuf};

/// A named thing of the rules.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Symbol {
    Kpi(String),
    Param(String),
    Scorecard(String),
    Function(String),
    /// A canonical table (`from tickets`).
    Table(&'static str),
    /// A column of a canonical table, through links or not.
    Column {
        table: &'static str,
        column: &'static str,
    },
    /// An imported rule file.
    Import(PathBuf),
    /// A rhai script file of a function.
    Script(PathBuf),
}

/// One place a symbol is written.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Occurrence {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
    pub symbol: Symbol,
    /// The definition (`kpi x`, `param x`, `scorecard x`, `fn x`), not a use.
    pub definition: bool,
}

impl Occurrence {
    fn new(file: FileId, span: Span, symbol: Symbol, definition: bool) -> Occurrence {
        Occurrence { file, start: span.start, end: span.end, symbol, definition }
    }
}

/// Every occurrence of every symbol of the scope, sorted, each once.
pub fn occurrences(analysis: &Analysis) -> Vec<Occurrence> {
    let mut out = Vec::new();
    for loaded in &analysis.rules.modules {
        let base = analysis.path(loaded.file).parent().map(Path::to_path_buf).unwrap_or_default();
        for item in &loaded.module.items {
            syntax_item(loaded.file, &base, item, &mut out);
        }
    }
    let program = &analysis.checked;
    for card in &program.scorecards {
        for kpi in &card.kpis {
            kpi_exprs(kpi, &mut |e| checked_expr(program, e, &mut out));
        }
    }
    out.sort();
    out.dedup();
    out
}

fn syntax_item(file: FileId, base: &Path, item: &Item, out: &mut Vec<Occurrence>) {
    match item {
        Item::Import(import) => {
            let target = normalize(&base.join(&import.path.value));
            out.push(Occurrence::new(file, import.path.span, Symbol::Import(target), false));
        }
        Item::Param(p) => {
            out.push(Occurrence::new(file, p.name.span, Symbol::Param(p.name.name.clone()), true))
        }
        Item::Kpi(k) => {
            out.push(Occurrence::new(file, k.id.span, Symbol::Kpi(k.id.name.clone()), true));
            clauses(file, &k.clauses, out);
        }
        Item::Use(u) => out.push(Occurrence::new(file, u.id.span, Symbol::Kpi(u.id.name.clone()), false)),
        Item::Function(f) => {
            out.push(Occurrence::new(file, f.name.span, Symbol::Function(f.name.name.clone()), true));
            if let ScriptSource::File(path) = &f.body {
                let target = normalize(&base.join(&path.value));
                out.push(Occurrence::new(file, path.span, Symbol::Script(target), false));
            }
        }
        Item::Scorecard(s) => {
            out.push(Occurrence::new(file, s.id.span, Symbol::Scorecard(s.id.name.clone()), true));
            if let Some(parent) = &s.extends {
                out.push(Occurrence::new(file, parent.span, Symbol::Scorecard(parent.name.clone()), false));
            }
            for member in &s.members {
                let (ident, definition) = match member {
                    Member::Kpi(k) => {
                        clauses(file, &k.clauses, out);
                        (&k.id, true)
                    }
                    Member::Use(u) => (&u.id, false),
                    Member::Remove(id) => (id, false),
                    Member::Period(_) | Member::Per(_) => continue,
                };
                out.push(Occurrence::new(file, ident.span, Symbol::Kpi(ident.name.clone()), definition));
            }
        }
    }
}

/// The table of a `from` clause, and the column of its `by`.
fn clauses(file: FileId, clauses: &[Clause], out: &mut Vec<Occurrence>) {
    for clause in clauses {
        let ClauseKind::From { table, placement } = &clause.kind else { continue };
        let Some(schema) = kpi_schema::table(&table.name) else { continue };
        out.push(Occurrence::new(file, table.span, Symbol::Table(schema.name), false));
        if let Some(Placement::By(column)) = placement {
            if let Some(c) = schema.column(&column.name) {
                out.push(Occurrence::new(
                    file,
                    column.span,
                    Symbol::Column { table: schema.name, column: c.name },
                    false,
                ));
            }
        }
    }
}

/// Every checked expression of a KPI: filter, value, target, weight, bands, minimum sample.
fn kpi_exprs(kpi: &KpiDef, visit: &mut dyn FnMut(&TExpr)) {
    let mut roots: Vec<&TExpr> = vec![&kpi.value, &kpi.target.value, &kpi.weight];
    roots.extend(kpi.population.filter.as_ref());
    roots.extend(kpi.min_rows.as_ref());
    if let Scoring::Bands(points) = &kpi.scoring {
        roots.extend(points.iter().flat_map(|(v, a)| [v, a]));
    }
    for root in roots {
        walk(root, visit);
    }
}

/// `e` and every expression inside it, outermost first.
fn walk(e: &TExpr, visit: &mut dyn FnMut(&TExpr)) {
    visit(e);
    match &e.kind {
        TKind::List(items) | TKind::Call(_, items) | TKind::Script { args: items, .. } => {
            items.iter().for_each(|i| walk(i, visit))
        }
        TKind::Unary(_, inner) | TKind::IsNull { expr: inner, .. } => walk(inner, visit),
        TKind::Binary(_, l, r) => {
            walk(l, visit);
            walk(r, visit);
        }
        TKind::Related { args, filter, .. } | TKind::Aggregate { args, filter, .. } => {
            args.iter().for_each(|a| walk(a, visit));
            if let Some(f) = filter {
                walk(f, visit);
            }
        }
        // A named KPI's value: its expressions are indexed where that KPI is defined.
        TKind::KpiValue { .. }
        | TKind::Const(_)
        | TKind::Param(_)
        | TKind::Instant(_)
        | TKind::Column { .. }
        | TKind::Custom(_)
        | TKind::Builtin(_) => {}
    }
}

fn checked_expr(program: &kpi_hir::Program, e: &TExpr, out: &mut Vec<Occurrence>) {
    let file = FileId(e.file.0);
    let span = Span { start: e.span.start, end: e.span.end };
    match &e.kind {
        TKind::Param(name) => out.push(Occurrence::new(file, span, Symbol::Param(name.clone()), false)),
        TKind::KpiValue { id, .. } => out.push(Occurrence::new(file, span, Symbol::Kpi(id.clone()), false)),
        TKind::Column { links, column } => {
            let table = links.last().map_or_else(|| table_of_column(column), |l| l.table);
            let symbol = Symbol::Column { table, column: column.name };
            out.push(Occurrence::new(file, span, symbol, false));
        }
        TKind::Script { function, .. } => {
            if let Some(f) = program.functions.get(*function) {
                // The name at the start of the call.
                let name = Span { start: span.start, end: span.start + f.name.len() as u32 };
                out.push(Occurrence::new(file, name, Symbol::Function(f.name.clone()), false));
            }
        }
        _ => {}
    }
}

/// The table a column schema belongs to: the one with a column of that name, type and doc.
fn table_of_column(column: &'static kpi_schema::ColumnSchema) -> &'static str {
    kpi_schema::TABLES
        .iter()
        .find(|t| t.columns.iter().any(|c| c.name == column.name && c.ty == column.ty && c.doc == column.doc))
        .map_or("", |t| t.name)
}

/// The occurrence at byte `offset` of `file` (the innermost, when they nest).
pub fn at(occurrences: &[Occurrence], file: FileId, offset: usize) -> Option<&Occurrence> {
    let offset = offset as u32;
    occurrences
        .iter()
        .filter(|o| o.file == file && o.start <= offset && offset <= o.end)
        .min_by_key(|o| o.end - o.start)
}
