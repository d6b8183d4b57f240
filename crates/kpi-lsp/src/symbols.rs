//! Document symbols (the outline): scorecards with their KPIs, KPIs, params, functions.
use crate::text::Lines;
use kpi_syntax::ast::{Ident, Item, Member, Module, Span};
use lsp_types::{DocumentSymbol, SymbolKind};

/// The outline of a parsed file.
pub fn outline(module: &Module, text: &str) -> Vec<DocumentSymbol> {
    let lines = Lines::new(text);
    module
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Scorecard(s) => {
                let children = s
                    .members
                    .iter()
                    .filter_map(|m| match m {
                        Member::Kpi(k) => Some(symbol(&lines, &k.id, k.span, SymbolKind::CLASS, "kpi", None)),
                        Member::Use(u) => Some(symbol(&lines, &u.id, u.span, SymbolKind::CLASS, "use", None)),
                        _ => None,
                    })
                    .collect();
                Some(symbol(&lines, &s.id, s.span, SymbolKind::MODULE, "scorecard", Some(children)))
            }
            Item::Kpi(k) => Some(symbol(&lines, &k.id, k.span, SymbolKind::CLASS, "kpi", None)),
            Item::Use(u) => Some(symbol(&lines, &u.id, u.span, SymbolKind::CLASS, "use", None)),
            Item::Param(p) => Some(symbol(&lines, &p.name, p.span, SymbolKind::CONSTANT, "param", None)),
            Item::Function(f) => Some(symbol(&lines, &f.name, f.span, SymbolKind::FUNCTION, "fn", None)),
            Item::Import(_) => None,
        })
        .collect()
}

#[allow(deprecated)] // `DocumentSymbol::deprecated` must be given, as `None`.
fn symbol(
    lines: &Lines,
    name: &Ident,
    span: Span,
    kind: SymbolKind,
    detail: &str,
    children: Option<Vec<DocumentSymbol>>,
) -> DocumentSymbol {
    let range = lines.range(span.start as usize, span.end as usize);
    let mut selection_range = lines.range(name.span.start as usize, name.span.end as usize);
    if selection_range.start < range.start || selection_range.end > range.end {
        selection_range = range; // the protocol wants the name inside the whole
    }
    DocumentSymbol {
        name: if name.name.is_empty() { "?".into() } else { name.name.clone() },
        detail: Some(detail.into()),
        kind,
        tags: None,
        deprecated: None,
        range,
        selection_range,
        children,
    }
}
