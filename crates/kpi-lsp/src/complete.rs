//! Completion: what may be written at the cursor, from the schema (tables, fields, links), the
//! keyword table, the checker's built-in functions and the names the rules declare.
use crate::project::Analysis;
use kpi_syntax::ast::{ClauseKind, Item, Kpi, Member, Module, UseKpi};
use kpi_syntax::keywords::{Keyword, CLAUSE_WORDS, DECLARATION_WORDS, KEYWORDS, SCORECARD_WORDS};
use lsp_types::{CompletionItem, CompletionItemKind};
use std::collections::BTreeSet;

/// The completions at byte `offset` of `text`, the current text of a file of `analysis`
/// (`module`: its syntax tree, if it was loaded).
pub fn complete(
    analysis: &Analysis,
    module: Option<&Module>,
    text: &str,
    offset: usize,
) -> Vec<CompletionItem> {
    let offset = floor_boundary(text, offset);
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let prefix = &text[line_start..offset];
    let before = prefix.trim_end_matches(is_word_char);
    let mut items = Items::default();
    if let Some(path) = before.strip_suffix('.') {
        let path: String = path.chars().rev().take_while(|&c| is_word_char(c) || c == '.').collect();
        let path: String = path.chars().rev().collect();
        if let Some(table) = enclosing_table(analysis, module, text, offset) {
            if let Some(table) = follow(table, &path) {
                items.table(table);
            }
        }
        return items.0;
    }
    let previous = before.split_whitespace().last().unwrap_or("");
    match Keyword::from_word(previous) {
        Some(Keyword::From) => {
            kpi_schema::TABLES.iter().for_each(|t| items.push(t.name, CompletionItemKind::STRUCT, t.doc))
        }
        Some(Keyword::Use | Keyword::Remove) => items.kpis(analysis),
        Some(Keyword::Extends) => {
            for loaded in &analysis.rules.modules {
                for item in &loaded.module.items {
                    if let Item::Scorecard(s) = item {
                        let title = s.title.as_ref().map_or("scorecard", |t| t.value.as_str());
                        items.push(&s.id.name, CompletionItemKind::MODULE, title);
                    }
                }
            }
        }
        Some(Keyword::Period) => kpi_hir::Grain::ALL
            .iter()
            .for_each(|g| items.push(g.name(), CompletionItemKind::ENUM_MEMBER, "period")),
        Some(Keyword::Per) => kpi_schema::Grouping::ALL
            .iter()
            .for_each(|g| items.push(g.name(), CompletionItemKind::ENUM_MEMBER, "grouping")),
        Some(Keyword::At) => instants(&mut items),
        Some(Keyword::By) => {
            let table =
                before.split_whitespace().skip_while(|w| *w != "from").nth(1).and_then(kpi_schema::table);
            for c in table.into_iter().flat_map(|t| t.columns) {
                if c.ty == kpi_schema::ColumnType::Timestamp {
                    items.push(c.name, CompletionItemKind::FIELD, c.doc);
                }
            }
        }
        _ => general(analysis, module, text, offset, &mut items),
    }
    items.0
}

/// Completions where an expression, a clause or a declaration may start.
fn general(analysis: &Analysis, module: Option<&Module>, text: &str, offset: usize, items: &mut Items) {
    match context(module, offset) {
        Context::Kpi => {}
        Context::Scorecard => {
            SCORECARD_WORDS.iter().for_each(|w| items.keyword(w));
            return;
        }
        Context::TopLevel if enclosing_table(analysis, None, text, offset).is_none() => {
            DECLARATION_WORDS.iter().for_each(|w| items.keyword(w));
            return;
        }
        Context::TopLevel => {}
    }
    if let Some(table) = enclosing_table(analysis, module, text, offset) {
        items.table(table);
        for relation in kpi_schema::relations(table.name) {
            let child = relation.child.name();
            items.push(
                child,
                CompletionItemKind::REFERENCE,
                &format!("the {child} of each row (aggregate them)"),
            );
        }
    }
    for p in &analysis.checked.params {
        items.push(&p.name, CompletionItemKind::VARIABLE, &format!("param: {}", p.ty.describe()));
    }
    for f in kpi_check::FUNCTIONS {
        items.push(f, CompletionItemKind::FUNCTION, "built-in function");
    }
    for f in &analysis.checked.functions {
        items.push(&f.name, CompletionItemKind::FUNCTION, "rhai function");
    }
    instants(items);
    CLAUSE_WORDS.iter().for_each(|w| items.keyword(w));
    for k in KEYWORDS.iter().filter(|k| k.is_operator() || k.starts_value()) {
        items.keyword(k.as_str());
    }
}

fn instants(items: &mut Items) {
    for i in kpi_check::INSTANTS {
        items.push(i.name(), CompletionItemKind::CONSTANT, "instant of the period");
    }
}

#[derive(Default)]
struct Items(Vec<CompletionItem>);

impl Items {
    fn push(&mut self, label: &str, kind: CompletionItemKind, detail: &str) {
        if self.0.iter().any(|i| i.label == label && i.kind == Some(kind)) {
            return;
        }
        self.0.push(CompletionItem {
            label: label.to_string(),
            kind: Some(kind),
            detail: Some(detail.to_string()),
            ..CompletionItem::default()
        });
    }

    fn keyword(&mut self, word: &str) {
        self.push(word, CompletionItemKind::KEYWORD, "keyword");
    }

    /// The fields and links of a table.
    fn table(&mut self, table: &'static kpi_schema::TableSchema) {
        for c in table.columns {
            self.push(c.name, CompletionItemKind::FIELD, &format!("{}: {}", c.ty.name(), c.doc));
        }
        for l in table.links {
            self.push(l.name, CompletionItemKind::REFERENCE, &format!("link to {}", l.table));
        }
    }

    /// Every KPI id the rules define.
    fn kpis(&mut self, analysis: &Analysis) {
        let mut seen = BTreeSet::new();
        for card in &analysis.checked.scorecards {
            for k in &card.kpis {
                if seen.insert(k.id.clone()) {
                    self.push(&k.id, CompletionItemKind::CLASS, &k.title);
                }
            }
        }
        for loaded in &analysis.rules.modules {
            for item in &loaded.module.items {
                let defined: Vec<&Kpi> = match item {
                    Item::Kpi(k) => vec![k],
                    Item::Scorecard(s) => s
                        .members
                        .iter()
                        .filter_map(|m| match m {
                            Member::Kpi(k) => Some(k),
                            _ => None,
                        })
                        .collect(),
                    _ => continue,
                };
                for k in defined {
                    if seen.insert(k.id.name.clone()) {
                        let title = k.title.as_ref().map_or("kpi", |t| t.value.as_str());
                        self.push(&k.id.name, CompletionItemKind::CLASS, title);
                    }
                }
            }
        }
    }
}

enum Context {
    TopLevel,
    Scorecard,
    Kpi,
}

/// Where `offset` is in the syntax tree.
fn context(module: Option<&Module>, offset: usize) -> Context {
    let Some(module) = module else { return Context::TopLevel };
    let inside = |span: kpi_syntax::ast::Span| span.start as usize <= offset && offset <= span.end as usize;
    for item in &module.items {
        match item {
            Item::Kpi(k) if inside(k.span) => return Context::Kpi,
            Item::Use(u) if inside(u.span) => return Context::Kpi,
            Item::Scorecard(s) if inside(s.span) => {
                let in_kpi = s.members.iter().any(|m| match m {
                    Member::Kpi(k) => inside(k.span),
                    Member::Use(u) => inside(u.span) && !u.clauses.is_empty(),
                    _ => false,
                });
                return if in_kpi { Context::Kpi } else { Context::Scorecard };
            }
            _ => {}
        }
    }
    Context::TopLevel
}

/// The table of the KPI around `offset`: from the syntax tree, else (a line being typed may not
/// parse) from the nearest `from` or `use` line above it.
fn enclosing_table(
    analysis: &Analysis,
    module: Option<&Module>,
    text: &str,
    offset: usize,
) -> Option<&'static kpi_schema::TableSchema> {
    let inside = |span: kpi_syntax::ast::Span| span.start as usize <= offset && offset <= span.end as usize;
    let mut kpis: Vec<Result<&Kpi, &UseKpi>> = Vec::new();
    for item in module.map(|m| m.items.as_slice()).unwrap_or_default() {
        match item {
            Item::Kpi(k) => kpis.push(Ok(k)),
            Item::Use(u) => kpis.push(Err(u)),
            Item::Scorecard(s) => kpis.extend(s.members.iter().filter_map(|m| match m {
                Member::Kpi(k) => Some(Ok(k)),
                Member::Use(u) => Some(Err(u)),
                _ => None,
            })),
            _ => {}
        }
    }
    let found = kpis.into_iter().find(|k| inside(k.map_or_else(|u| u.span, |k| k.span)));
    match found {
        Some(Ok(kpi)) => kpi.clauses.iter().find_map(|c| match &c.kind {
            ClauseKind::From { table, .. } => kpi_schema::table(&table.name),
            _ => None,
        }),
        Some(Err(used)) => table_of_kpi(analysis, &used.id.name),
        None => table_above(analysis, &text[..offset]),
    }
}

/// The table named by the nearest `from` line above, or the table of the KPI of the nearest `use`
/// line, stopping at the start of a block.
fn table_above(analysis: &Analysis, before: &str) -> Option<&'static kpi_schema::TableSchema> {
    for line in before.lines().rev() {
        let mut words = line.split_whitespace();
        match words.next().and_then(Keyword::from_word) {
            Some(Keyword::From) => return kpi_schema::table(words.next()?),
            Some(Keyword::Use) => return table_of_kpi(analysis, words.next()?),
            Some(Keyword::Kpi | Keyword::Scorecard | Keyword::Param | Keyword::Import | Keyword::Fn) => {
                return None
            }
            _ => {}
        }
    }
    None
}

fn table_of_kpi(analysis: &Analysis, id: &str) -> Option<&'static kpi_schema::TableSchema> {
    analysis.checked.scorecards.iter().flat_map(|s| &s.kpis).find(|k| k.id == id).map(|k| k.population.table)
}

/// The table reached from `table` through the links of `path` (`resource`, `ticket.client`).
fn follow(
    mut table: &'static kpi_schema::TableSchema,
    path: &str,
) -> Option<&'static kpi_schema::TableSchema> {
    for link in path.split('.').filter(|s| !s.is_empty()) {
        table = kpi_schema::table(table.link(link)?.table)?;
    }
    Some(table)
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn floor_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}
