//! Semantic checks over all loaded modules: names, types, units, row vs aggregate level, duplicates.
use crate::load::Rules;
use crate::lower::{ast_span, origin, site, Lower};
use kpi_hir::{
    self as hir, AggFunc, AggSource, BinaryOp, Builtin, FunctionDef, Grain, Instant, KpiDef, KpiOverrides,
    Origin, ParamDef, Placement, Population, Program, RowFunc, ScorecardDef, Scoring, TExpr, TKind, Target,
    Type, Unit, Value,
};
use kpi_schema::{self as schema, ColumnType, ColumnUnit, Grouping, TableSchema};
use kpi_syntax::ast::{self, ClauseKind, Expr, ExprKind, Ident, Item, Member, Span, UnaryOp};
use kpi_syntax::{codes, Diagnostic, FileId};
use std::collections::{BTreeSet, HashMap};

/// The checked program and every diagnostic of the run (parse, load and check), sorted.
#[derive(Debug)]
pub struct Checked {
    pub program: Program,
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
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

fn suggest<'s>(name: &str, candidates: impl IntoIterator<Item = &'s str>) -> Option<&'s str> {
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = strsim::levenshtein(name, c);
        let limit = (name.len().max(c.len()) / 3).max(2);
        let better = best.is_none_or(|(bd, bc)| d < bd || (d == bd && c < bc));
        if d <= limit && better {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

fn did_you_mean(name: &str, candidates: impl IntoIterator<Item = impl AsRef<str>>, fallback: &str) -> String {
    let owned: Vec<String> = candidates.into_iter().map(|c| c.as_ref().to_string()).collect();
    match suggest(name, owned.iter().map(String::as_str)) {
        Some(s) => format!("did you mean `{s}`?"),
        None => fallback.to_string(),
    }
}

fn column_type(c: &schema::ColumnSchema) -> Type {
    match c.ty {
        ColumnType::Text => Type::Text,
        ColumnType::Bool => Type::Bool,
        ColumnType::Timestamp => Type::Timestamp,
        ColumnType::Int | ColumnType::Number => Type::Number(match c.unit {
            Some(ColumnUnit::Hours) => Unit::Hours,
            Some(ColumnUnit::Count) => Unit::Count,
            Some(ColumnUnit::Number) | None => Unit::Number,
        }),
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

impl<'a> Checker<'a> {
    fn error(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// Gather params and top-level KPIs, reporting duplicates.
    fn collect(&mut self, rules: &'a Rules) {
        let mut param_sites: HashMap<String, Origin> = HashMap::new();
        for m in &rules.modules {
            for item in &m.module.items {
                match item {
                    Item::Param(p) => {
                        if let Some(first) = param_sites.get(&p.name.name) {
                            self.duplicate("param", &p.name, m.file, *first);
                            continue;
                        }
                        let origin = origin(m.file, p.name.span);
                        param_sites.insert(p.name.name.clone(), origin);
                        let default = self.check_expr(&p.default, Scope::Const, m.file);
                        let value = match literal_value(&default) {
                            Some(v) => v,
                            None => {
                                if default.ty != Type::Error {
                                    self.error(
                                        Diagnostic::error(
                                            codes::NOT_CONSTANT,
                                            "a param's default must be a literal",
                                        )
                                        .at(m.file, p.default.span, "not a literal")
                                        .help("write a number, percentage, duration, text, date or list"),
                                    );
                                }
                                Value::Null
                            }
                        };
                        self.program.params.push(ParamDef {
                            name: p.name.name.clone(),
                            ty: default.ty,
                            default: value,
                            doc: p.doc.join("\n"),
                            origin,
                        });
                    }
                    Item::Kpi(k) => {
                        if let Some(first) = self.kpis.get(&k.id.name) {
                            let first = origin(first.file, first.kpi.id.span);
                            self.duplicate("KPI", &k.id, m.file, first);
                            continue;
                        }
                        self.kpis.insert(k.id.name.clone(), KpiSource { file: m.file, kpi: k });
                    }
                    Item::Use(u) => self.error(
                        Diagnostic::error(codes::SYNTAX, "`use` belongs inside a scorecard")
                            .at(m.file, u.id.span, "outside any scorecard")
                            .help("move it into `scorecard ... { }`"),
                    ),
                    Item::Function(func) => self.collect_function(rules, m.file, func),
                    Item::Import(_) | Item::Scorecard(_) => {}
                }
            }
        }
    }

    /// Check a rhai function's declaration and compile it, mapping script errors to the file.
    fn collect_function(&mut self, rules: &Rules, file: FileId, func: &ast::Function) {
        if let Some(first) = self.program.functions.iter().find(|f| f.name == func.name.name) {
            let first = first.origin;
            self.duplicate("function", &func.name, file, first);
            return;
        }
        if FUNCTIONS.contains(&func.name.name.as_str()) {
            self.error(
                Diagnostic::error(
                    codes::DUPLICATE_ID,
                    format!("`{}` is a built-in function", func.name.name),
                )
                .at(file, func.name.span, "already defined")
                .help("give the rhai function another name"),
            );
            return;
        }
        let type_of = |this: &mut Self, ty: &Ident| {
            kpi_script::ScriptType::from_name(&ty.name).or_else(|| {
                this.error(
                    Diagnostic::error(codes::UNKNOWN_KEYWORD, format!("unknown type `{}`", ty.name))
                        .at(file, ty.span, "not a script type")
                        .help(did_you_mean(
                            &ty.name,
                            ["number", "bool", "text"],
                            "script types are number, bool and text",
                        )),
                );
                None
            })
        };
        let mut params = Vec::new();
        for (name, ty) in &func.params {
            params.push((name.name.clone(), type_of(self, ty)));
        }
        let returns = type_of(self, &func.returns);
        if returns == Some(kpi_script::ScriptType::Text) {
            self.error(
                Diagnostic::error(codes::SCRIPT, "a rhai function returns a number or a bool")
                    .at(file, func.returns.span, "text results are not supported")
                    .help("return a number or a bool; compare text inside the script"),
            );
            return;
        }
        let (Some(params), Some(returns)) =
            (params.into_iter().map(|(n, t)| t.map(|t| (n, t))).collect::<Option<Vec<_>>>(), returns)
        else {
            return;
        };
        let source = rules.sources.get(file);
        let compiled = match &func.body {
            ast::ScriptSource::Inline { code, span } => {
                let (line, column) = rules.sources.line_col(file, span.start);
                let placement = kpi_script::Placement { file: source.path.clone(), line, column };
                kpi_script::Script::inline(&func.name.name, &params, returns, code, placement).map_err(|e| {
                    (e.clone(), offset_of(&source.text, e.line, e.column).map(|o| Span::new(o, o + 1)))
                })
            }
            ast::ScriptSource::File(path) => {
                let full = std::path::Path::new(&source.path)
                    .parent()
                    .unwrap_or(std::path::Path::new(""))
                    .join(&path.value);
                let code = match std::fs::read_to_string(&full) {
                    Ok(code) => code,
                    Err(err) => {
                        self.error(
                            Diagnostic::error(
                                codes::SCRIPT,
                                format!("cannot read `{}`: {err}", full.display()),
                            )
                            .at(file, path.span, "script file")
                            .help("script files are relative to the rule file that names them"),
                        );
                        return;
                    }
                };
                let placement =
                    kpi_script::Placement { file: full.display().to_string(), line: 1, column: 1 };
                kpi_script::Script::file(&func.name.name, &params, returns, &code, placement)
                    .map_err(|e| (e, None))
            }
        };
        match compiled {
            Ok(script) => self.program.functions.push(FunctionDef {
                name: func.name.name.clone(),
                doc: func.doc.join("\n"),
                script,
                origin: origin(file, func.name.span),
            }),
            Err((err, span)) => {
                let (span, label) = match span {
                    Some(span) => (span, "here".to_string()),
                    None => (func.name.span, format!("at {}:{}:{}", err.file, err.line, err.column)),
                };
                self.error(
                    Diagnostic::error(codes::SCRIPT, format!("rhai: {}", err.message))
                        .at(file, span, label)
                        .help("see the rhai book (rhai.rs/book); the function's params are in scope by name"),
                );
            }
        }
    }

    fn duplicate(&mut self, what: &str, id: &Ident, file: FileId, first: Origin) {
        let (first_file, first_span) = site(first.file, first.span);
        self.error(
            Diagnostic::error(codes::DUPLICATE_ID, format!("{what} `{}` is defined twice", id.name))
                .at(file, id.span, "defined again here")
                .also(first_file, first_span, "first defined here")
                .help(format!("rename one of them; ids of a {what} must be unique")),
        );
    }

    fn check_scorecards(&mut self, rules: &'a Rules) {
        for m in &rules.modules {
            for item in &m.module.items {
                let Item::Scorecard(s) = item else { continue };
                if let Some((first_file, first)) = self.scorecard_asts.get(&s.id.name) {
                    let first = origin(*first_file, first.id.span);
                    self.duplicate("scorecard", &s.id, m.file, first);
                    continue;
                }
                self.scorecard_asts.insert(s.id.name.clone(), (m.file, s));
            }
        }
        for m in &rules.modules {
            for item in &m.module.items {
                let Item::Scorecard(s) = item else { continue };
                if !self.scorecard_asts.get(&s.id.name).is_some_and(|(_, first)| std::ptr::eq(*first, s)) {
                    continue;
                }
                if let Some(card) = self.check_scorecard(m.file, s, m.root) {
                    self.program.scorecards.push(card);
                }
            }
        }
    }

    /// The period, grouping and KPI layers of a scorecard, following `extends` (memoised).
    fn resolve_scorecard(
        &mut self,
        file: FileId,
        s: &'a ast::Scorecard,
        stack: &mut Vec<String>,
    ) -> Option<Resolved<'a>> {
        if let Some(r) = self.resolved.get(&s.id.name) {
            return r.clone();
        }
        stack.push(s.id.name.clone());
        let mut resolved = match &s.extends {
            None => Resolved::default(),
            Some(base) => {
                let base_ast = self.scorecard_asts.get(&base.name).copied();
                match base_ast {
                    _ if stack.contains(&base.name) => {
                        let chain =
                            stack.iter().chain(std::iter::once(&base.name)).cloned().collect::<Vec<_>>();
                        self.error(
                            Diagnostic::error(
                                codes::IMPORT_CYCLE,
                                format!("scorecards extend each other: {}", chain.join(" -> ")),
                            )
                            .at(file, base.span, "this closes the cycle")
                            .help("a scorecard can extend another only if that one does not extend it back"),
                        );
                        Resolved::default()
                    }
                    Some((base_file, base_ast)) => {
                        self.resolve_scorecard(base_file, base_ast, stack).unwrap_or_default()
                    }
                    None => {
                        let mut names: Vec<String> = self.scorecard_asts.keys().cloned().collect();
                        names.sort();
                        self.error(
                            Diagnostic::error(
                                codes::UNKNOWN_KPI,
                                format!("no scorecard `{}` to extend", base.name),
                            )
                            .at(file, base.span, "not defined in any loaded file")
                            .help(did_you_mean(
                                &base.name,
                                &names,
                                "import the file that defines it",
                            )),
                        );
                        Resolved::default()
                    }
                }
            }
        };
        let base_name = s.extends.as_ref().map(|b| b.name.as_str());
        let mut own_grain = false;
        let mut own_group = false;
        let mut ids: HashMap<String, Span> = HashMap::new();
        for member in &s.members {
            match member {
                Member::Period(g) => {
                    if own_grain {
                        self.duplicate_clause(
                            "period",
                            g.span,
                            file,
                            resolved.grain.map_or(g.span, |(_, s)| s),
                        );
                        continue;
                    }
                    own_grain = true;
                    match Grain::ALL.into_iter().find(|x| x.name() == g.name) {
                        Some(x) => resolved.grain = Some((x, g.span)),
                        None => self.unknown_keyword(
                            "period",
                            g,
                            file,
                            &Grain::ALL.map(Grain::name),
                            "periods are week, month, quarter, year and snapshot",
                        ),
                    }
                }
                Member::Per(g) => {
                    if own_group {
                        self.duplicate_clause("per", g.span, file, resolved.group.map_or(g.span, |(_, s)| s));
                        continue;
                    }
                    own_group = true;
                    match Grouping::from_name(&g.name) {
                        Some(x) => resolved.group = Some((Some(x), g.span)),
                        None => {
                            resolved.group = Some((None, g.span));
                            self.unknown_keyword(
                                "grouping",
                                g,
                                file,
                                &Grouping::ALL.map(Grouping::name),
                                "scorecards group per resource, client, team or queue",
                            )
                        }
                    }
                }
                Member::Kpi(k) => {
                    if self.repeated_id(&mut ids, &k.id, file) {
                        continue;
                    }
                    let layered = Layered {
                        id: &k.id,
                        site_file: file,
                        layers: vec![(file, &k.clauses, k.span)],
                        title: k.title.as_ref(),
                        doc: &k.doc,
                    };
                    // A KPI with the id of an inherited one replaces it.
                    match resolved.kpis.iter_mut().find(|l| l.id.name == k.id.name) {
                        Some(slot) => *slot = layered,
                        None => resolved.kpis.push(layered),
                    }
                }
                Member::Use(u) => {
                    if self.repeated_id(&mut ids, &u.id, file) {
                        continue;
                    }
                    // `use` of an inherited KPI overrides some of its clauses.
                    if let Some(slot) = resolved.kpis.iter_mut().find(|l| l.id.name == u.id.name) {
                        slot.layers.push((file, &u.clauses, u.span));
                        slot.id = &u.id;
                        slot.site_file = file;
                        slot.title = u.title.as_ref().or(slot.title);
                        if !u.doc.is_empty() {
                            slot.doc = &u.doc;
                        }
                        continue;
                    }
                    self.used_kpis.insert(u.id.name.clone());
                    let Some(base) = self.kpis.get(&u.id.name).copied() else {
                        let mut names: Vec<String> = self.kpis.keys().cloned().collect();
                        names.extend(resolved.kpis.iter().map(|l| l.id.name.clone()));
                        names.sort();
                        self.error(
                            Diagnostic::error(codes::UNKNOWN_KPI, format!("no KPI `{}` to use", u.id.name))
                                .at(file, u.id.span, "not defined in any loaded file")
                                .help(did_you_mean(
                                    &u.id.name,
                                    &names,
                                    "define it with `kpi ... { }` at the top level of a loaded or imported file",
                                )),
                        );
                        continue;
                    };
                    resolved.kpis.push(Layered {
                        id: &u.id,
                        site_file: file,
                        layers: vec![
                            (base.file, &base.kpi.clauses, base.kpi.span),
                            (file, &u.clauses, u.span),
                        ],
                        title: u.title.as_ref().or(base.kpi.title.as_ref()),
                        doc: if u.doc.is_empty() { &base.kpi.doc } else { &u.doc },
                    });
                }
                Member::Remove(id) => {
                    let Some(pos) = resolved.kpis.iter().position(|l| l.id.name == id.name) else {
                        let names: Vec<String> = resolved.kpis.iter().map(|l| l.id.name.clone()).collect();
                        let what = match base_name {
                            Some(b) => format!("`{b}` has no KPI `{}` to remove", id.name),
                            None => format!("`remove {}` needs a scorecard that `extends` another", id.name),
                        };
                        self.error(
                            Diagnostic::error(codes::UNKNOWN_KPI, what)
                                .at(file, id.span, "nothing to remove")
                                .help(did_you_mean(
                                    &id.name,
                                    &names,
                                    &format!("the inherited KPIs: {}", names.join(", ")),
                                )),
                        );
                        continue;
                    };
                    resolved.kpis.remove(pos);
                }
            }
        }
        stack.pop();
        self.resolved.insert(s.id.name.clone(), Some(resolved.clone()));
        Some(resolved)
    }

    /// `unknown WHAT `name``, labelled "not a WHAT", with the closest candidate or `fallback`.
    fn unknown_keyword(
        &mut self,
        what: &str,
        name: &Ident,
        file: FileId,
        candidates: &[&str],
        fallback: &str,
    ) {
        self.error(
            Diagnostic::error(codes::UNKNOWN_KEYWORD, format!("unknown {what} `{}`", name.name))
                .at(file, name.span, format!("not a {what}"))
                .help(did_you_mean(&name.name, candidates.iter().copied(), fallback)),
        );
    }

    fn repeated_id(&mut self, ids: &mut HashMap<String, Span>, id: &Ident, file: FileId) -> bool {
        if let Some(first) = ids.get(&id.name) {
            self.duplicate("KPI", id, file, origin(file, *first));
            return true;
        }
        ids.insert(id.name.clone(), id.span);
        false
    }

    fn check_scorecard(&mut self, file: FileId, s: &'a ast::Scorecard, root: bool) -> Option<ScorecardDef> {
        let resolved = self.resolve_scorecard(file, s, &mut Vec::new())?;
        let grain = resolved.grain.map_or(Grain::Month, |(g, _)| g);
        let group = resolved.group.and_then(|(g, _)| g);
        let mut kpis: Vec<KpiDef> = Vec::new();
        for layered in &resolved.kpis {
            if let Some(def) = self.check_kpi(layered, grain, group) {
                kpis.push(def);
            }
        }
        let total: f64 = kpis.iter().filter_map(|k| self.const_number(&k.weight)).sum();
        // With a broken KPI the sum would mislead; the broken KPI's own error says enough.
        if !kpis.is_empty() && kpis.len() == resolved.kpis.len() && (total - 100.0).abs() > 1e-9 {
            self.error(
                Diagnostic::warning(
                    codes::WEIGHTS_SUM,
                    format!("the weights of `{}` sum to {}", s.id.name, total),
                )
                .at(file, s.id.span, "weights do not sum to 100")
                .help("scores are normalised by the weights present, but a sum of 100 reads as percentages"),
            );
        }
        let base = s.extends.as_ref().and_then(|b| self.program.scorecard(&b.name));
        Some(ScorecardDef {
            id: s.id.name.clone(),
            title: s
                .title
                .as_ref()
                .map(|t| t.value.clone())
                .or_else(|| base.map(|b| b.title.clone()))
                .unwrap_or_else(|| s.id.name.clone()),
            doc: if s.doc.is_empty() {
                base.map(|b| b.doc.clone()).unwrap_or_default()
            } else {
                s.doc.join("\n")
            },
            grain,
            group_by: group,
            kpis,
            root,
            origin: origin(file, s.id.span),
        })
    }

    /// KPIs defined at the top level but used by no scorecard are still checked, per month and ungrouped.
    fn check_unused_kpis(&mut self, rules: &'a Rules) {
        for m in &rules.modules {
            for item in &m.module.items {
                if let Item::Kpi(k) = item {
                    if !self.used_kpis.contains(&k.id.name) {
                        let layered = Layered {
                            id: &k.id,
                            site_file: m.file,
                            layers: vec![(m.file, &k.clauses, k.span)],
                            title: k.title.as_ref(),
                            doc: &k.doc,
                        };
                        self.check_kpi(&layered, Grain::Month, None);
                    }
                }
            }
        }
    }

    fn warn_unused_params(&mut self) {
        let unused: Vec<(String, Origin)> = self
            .program
            .params
            .iter()
            .filter(|p| !self.used_params.contains(&p.name))
            .map(|p| (p.name.clone(), p.origin))
            .collect();
        for (name, origin) in unused {
            let (file, span) = site(origin.file, origin.span);
            self.error(
                Diagnostic::warning(codes::UNUSED_PARAM, format!("param `{name}` is never used"))
                    .at(file, span, "declared here")
                    .help("use it in a KPI, or remove it"),
            );
        }
    }

    fn duplicate_clause(&mut self, keyword: &str, span: Span, file: FileId, first: Span) {
        self.error(
            Diagnostic::error(codes::DUPLICATE_CLAUSE, format!("`{keyword}` is given twice"))
                .at(file, span, "given again here")
                .also(file, first, "first given here")
                .help("keep one of them"),
        );
    }

    /// Check one KPI built from clause layers: the definition, then a `use` block's overrides.
    fn check_kpi(&mut self, layered: &Layered<'a>, grain: Grain, group: Option<Grouping>) -> Option<KpiDef> {
        // The effective clause of each kind: the last layer that gives it wins.
        let mut effective: Vec<(FileId, &'a ast::Clause)> = Vec::new();
        for (file, clauses, _) in &layered.layers {
            let mut seen_here: HashMap<&'static str, Span> = HashMap::new();
            for clause in clauses.iter() {
                let keyword = clause.kind.keyword();
                if let Some(first) = seen_here.get(keyword) {
                    self.duplicate_clause(keyword, clause.span, *file, *first);
                    continue;
                }
                seen_here.insert(keyword, clause.span);
                effective.retain(|(_, c)| c.kind.keyword() != keyword);
                effective.push((*file, clause));
            }
        }
        let (site_file, site_span, id) = (layered.site_file, layered.id.span, layered.id);
        let find = |keyword: &str| effective.iter().find(|(_, c)| c.kind.keyword() == keyword).copied();
        let mut missing = Vec::new();
        for keyword in ["from", "value", "target", "weight"] {
            if find(keyword).is_none() {
                missing.push(keyword);
            }
        }
        // A clause lost to a syntax error is already reported; "missing" would blame the wrong line.
        let syntax_error_inside = |diags: &[Diagnostic]| {
            diags.iter().filter(|d| d.code == codes::SYNTAX).filter_map(|d| d.primary.as_ref()).any(|p| {
                layered.layers.iter().any(|(file, _, span)| {
                    p.file == *file && span.start <= p.span.start && p.span.start < span.end
                })
            })
        };
        if !missing.is_empty() && !syntax_error_inside(&self.diags) {
            let list = missing.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ");
            self.error(
                Diagnostic::error(codes::MISSING_CLAUSE, format!("KPI `{}` has no {list}", id.name))
                    .at(site_file, site_span, format!("needs {list}"))
                    .help("every KPI needs `from`, `value`, `target` and `weight`; see docs/language.md"),
            );
        }

        let population = match find("from") {
            Some((file, ast::Clause { kind: ClauseKind::From { table, placement }, .. })) => {
                self.check_from(file, table, placement.as_ref(), grain, group)
            }
            _ => None,
        };
        let table = population.as_ref().map(|(t, _)| *t);
        let filter = match (find("where"), table) {
            (Some((file, ast::Clause { kind: ClauseKind::Where(e), .. })), Some(t)) => {
                let f = self.check_expr(e, Scope::Row(t), file);
                self.expect_bool(&f, "a `where` condition");
                Some(f)
            }
            _ => None,
        };
        let value = match (find("value"), table) {
            (Some((file, ast::Clause { kind: ClauseKind::Value(e), .. })), Some(t)) => {
                let v = self.check_expr(e, Scope::Value { table: t, group }, file);
                if !v.ty.is_numeric() {
                    self.error(
                        Diagnostic::error(
                            codes::TYPE_MISMATCH,
                            format!("a KPI's value must be a number, not {}", v.ty.describe()),
                        )
                        .at(file, e.span, format!("this is {}", v.ty.describe()))
                        .help(
                            "to count rows where something holds, write count(condition) or share(condition)",
                        ),
                    );
                }
                Some(v)
            }
            _ => None,
        };
        let inferred = match value.as_ref().map(|v| &v.ty) {
            Some(Type::Number(u)) => *u,
            _ => Unit::Number,
        };
        let mut unit = if inferred == Unit::Plain { Unit::Number } else { inferred };
        if let Some((file, ast::Clause { kind: ClauseKind::Unit(u), .. })) = find("unit") {
            match Unit::from_name(&u.name) {
                Some(declared) if declared == inferred || matches!(inferred, Unit::Plain | Unit::Number) => {
                    unit = declared
                }
                Some(declared) => self.error(
                    Diagnostic::error(
                        codes::DECLARED_UNIT,
                        format!(
                            "declared unit `{}` but the value is in {}",
                            declared.name(),
                            inferred.name()
                        ),
                    )
                    .at(file, u.span, "declared here")
                    .help(format!("remove the `unit` line, or write `unit {}`", inferred.name())),
                ),
                None => self.unknown_keyword(
                    "unit",
                    u,
                    file,
                    &["ratio", "hours", "count", "number", "currency"],
                    "units are ratio, hours, count, number and currency",
                ),
            }
        }
        let target = match find("target") {
            Some((file, ast::Clause { kind: ClauseKind::Target { op, value: e }, span })) => {
                let t = self.check_expr(e, Scope::Const, file);
                self.expect_unit(&t, unit, file, e.span, "target", codes::TARGET_UNIT);
                Some((Target { op: op.lower(), value: t }, origin(file, *span)))
            }
            _ => None,
        };
        let weight = match find("weight") {
            Some((file, ast::Clause { kind: ClauseKind::Weight(e), span })) => {
                let w = self.check_expr(e, Scope::Const, file);
                self.expect_number(&w, file, e.span, "a weight");
                if self.const_number(&w).is_some_and(|x| x < 0.0) {
                    self.error(
                        Diagnostic::error(codes::TYPE_MISMATCH, "a weight cannot be negative")
                            .at(file, e.span, "negative")
                            .help("use 0 to keep a KPI visible without counting it in the score"),
                    );
                }
                Some((w, origin(file, *span)))
            }
            _ => None,
        };
        let min_rows = match find("min_rows") {
            Some((file, ast::Clause { kind: ClauseKind::MinRows(e), .. })) => {
                let m = self.check_expr(e, Scope::Const, file);
                self.expect_number(&m, file, e.span, "`min_rows`");
                Some(m)
            }
            _ => None,
        };
        let scoring = match find("scoring") {
            Some((file, ast::Clause { kind: ClauseKind::Scoring(s), .. })) => {
                self.check_scoring(file, s, unit)
            }
            _ => Scoring::Attainment,
        };

        let title = layered.title.map_or_else(|| id.name.clone(), |t| t.value.clone());
        let description = layered.doc.join("\n");
        let ((table, placement), value, (target, target_origin), (weight, weight_origin)) =
            (population?, value?, target?, weight?);
        Some(KpiDef {
            id: id.name.clone(),
            title,
            description,
            population: Population { table, placement, filter },
            value,
            unit,
            target,
            weight,
            scoring,
            min_rows,
            origin: origin(site_file, site_span),
            target_origin,
            weight_origin,
            overrides: KpiOverrides::default(),
        })
    }

    fn check_from(
        &mut self,
        file: FileId,
        table: &Ident,
        placement: Option<&ast::Placement>,
        grain: Grain,
        group: Option<Grouping>,
    ) -> Option<(&'static TableSchema, Placement)> {
        let Some(t) = schema::table(&table.name) else {
            self.error(
                Diagnostic::error(codes::UNKNOWN_TABLE, format!("unknown table `{}`", table.name))
                    .at(file, table.span, "no such table")
                    .help(did_you_mean(
                        &table.name,
                        schema::TABLES.iter().map(|t| t.name),
                        "the tables are resources, clients, tickets, time_entries and surveys",
                    )),
            );
            return None;
        };
        if let Some(g) = group {
            if t.group_path(g).is_none() {
                self.error(
                    Diagnostic::error(
                        codes::BAD_PLACEMENT,
                        format!("`{}` rows have no {}", t.name, g.name()),
                    )
                    .at(file, table.span, format!("cannot be grouped per {}", g.name()))
                    .help("use a table that links to the scorecard's grouping"),
                );
            }
        }
        let placement = match placement {
            None => Placement::All,
            Some(ast::Placement::By(col)) => {
                if grain == Grain::Snapshot {
                    self.error(
                        Diagnostic::error(
                            codes::BAD_PLACEMENT,
                            "a snapshot scorecard has no periods to place rows in",
                        )
                        .at(file, col.span, "`by` needs a periodic scorecard")
                        .help("use `open at as_of`, or a `where` on the timestamp"),
                    );
                }
                match t.column(&col.name) {
                    Some(c) if c.ty == ColumnType::Timestamp => {}
                    Some(c) => self.error(
                        Diagnostic::error(
                            codes::BAD_PLACEMENT,
                            format!("`{}` is {}, not a timestamp", c.name, c.ty),
                        )
                        .at(file, col.span, "rows are placed in periods by a timestamp")
                        .help(self.timestamp_help(t)),
                    ),
                    None => self.error(
                        Diagnostic::error(
                            codes::UNKNOWN_FIELD,
                            format!("`{}` has no field `{}`", t.name, col.name),
                        )
                        .at(file, col.span, "no such field")
                        .help(did_you_mean(
                            &col.name,
                            t.columns.iter().filter(|c| c.ty == ColumnType::Timestamp).map(|c| c.name),
                            &self.timestamp_help(t),
                        )),
                    ),
                }
                Placement::By(col.name.clone())
            }
            Some(ast::Placement::OpenAt(instant)) => {
                if t.column("completed_at").is_none() {
                    self.error(
                        Diagnostic::error(
                            codes::BAD_PLACEMENT,
                            format!("`{}` rows are never open or closed", t.name),
                        )
                        .at(file, instant.span, "`open at` needs `created_at` and `completed_at`")
                        .help("`open at` applies to tickets"),
                    );
                }
                match INSTANTS.into_iter().find(|i| i.name() == instant.name) {
                    Some(i) => Placement::OpenAt(i),
                    None => {
                        self.error(
                            Diagnostic::error(
                                codes::UNKNOWN_NAME,
                                format!("unknown instant `{}`", instant.name),
                            )
                            .at(file, instant.span, "not an instant")
                            .help(did_you_mean(
                                &instant.name,
                                INSTANTS.map(Instant::name),
                                "the instants are as_of, period_start and period_end",
                            )),
                        );
                        Placement::OpenAt(Instant::AsOf)
                    }
                }
            }
        };
        Some((t, placement))
    }

    fn timestamp_help(&self, t: &TableSchema) -> String {
        let names: Vec<&str> =
            t.columns.iter().filter(|c| c.ty == ColumnType::Timestamp).map(|c| c.name).collect();
        format!("timestamps of {}: {}", t.name, names.join(", "))
    }

    fn check_scoring(&mut self, file: FileId, s: &ast::Scoring, unit: Unit) -> Scoring {
        match s {
            ast::Scoring::Named(name) => match name.name.as_str() {
                "attainment" => Scoring::Attainment,
                "pass_fail" => Scoring::PassFail,
                other => {
                    self.error(
                        Diagnostic::error(codes::UNKNOWN_KEYWORD, format!("unknown scoring `{other}`"))
                            .at(file, name.span, "not a scoring method")
                            .help(did_you_mean(
                                other,
                                ["attainment", "pass_fail", "bands"],
                                "scoring is attainment, pass_fail or bands [...]",
                            )),
                    );
                    Scoring::Attainment
                }
            },
            ast::Scoring::Bands { points, span } => {
                let mut checked = Vec::new();
                let mut previous: Option<f64> = None;
                for (value, attainment) in points {
                    let v = self.check_expr(value, Scope::Const, file);
                    self.expect_unit(&v, unit, file, value.span, "band", codes::TARGET_UNIT);
                    let a = self.check_expr(attainment, Scope::Const, file);
                    self.expect_number(&a, file, attainment.span, "an attainment");
                    if let Some(x) = self.const_number(&a) {
                        if !(0.0..=1.0).contains(&x) {
                            self.error(
                                Diagnostic::error(
                                    codes::BAD_BANDS,
                                    format!("attainment {x} is outside 0 to 1"),
                                )
                                .at(file, attainment.span, "out of range")
                                .help("attainment is a fraction: 0 is nothing, 1 is the full weight"),
                            );
                        }
                    }
                    if let Some(x) = self.const_number(&v) {
                        if previous.is_some_and(|p| x <= p) {
                            self.error(
                                Diagnostic::error(codes::BAD_BANDS, "band values must increase")
                                    .at(file, value.span, "not above the band before it")
                                    .help("list bands from the lowest value to the highest"),
                            );
                        }
                        previous = Some(x);
                    }
                    checked.push((v, a));
                }
                if checked.len() < 2 {
                    self.error(
                        Diagnostic::error(codes::BAD_BANDS, "bands need at least two points")
                            .at(file, *span, "one point")
                            .help("e.g. bands [50% => 0, 90% => 1]"),
                    );
                }
                Scoring::Bands(checked)
            }
        }
    }

    /// The number a constant expression has with the params' defaults, if it is one.
    fn const_number(&self, e: &TExpr) -> Option<f64> {
        match kpi_hir::eval_const(e, &|name| self.program.param(name).map(|p| p.default.clone())) {
            Some(Value::Number(x)) => Some(x),
            _ => None,
        }
    }

    fn expect_bool(&mut self, e: &TExpr, what: &str) {
        if !matches!(e.ty, Type::Bool | Type::Error) {
            let (file, span) = site(e.file, e.span);
            self.error(
                Diagnostic::error(
                    codes::TYPE_MISMATCH,
                    format!("{what} must be true or false, not {}", e.ty.describe()),
                )
                .at(file, span, format!("this is {}", e.ty.describe()))
                .help("compare it with something, e.g. `hours > 0` or `queue = \"Triage\"`"),
            );
        }
    }

    fn expect_number(&mut self, e: &TExpr, file: FileId, span: Span, what: &str) {
        if !e.ty.is_numeric() {
            self.error(
                Diagnostic::error(
                    codes::TYPE_MISMATCH,
                    format!("{what} must be a number, not {}", e.ty.describe()),
                )
                .at(file, span, format!("this is {}", e.ty.describe()))
                .help("write a number such as 20"),
            );
        }
    }

    fn expect_unit(
        &mut self,
        e: &TExpr,
        unit: Unit,
        file: FileId,
        span: Span,
        what: &str,
        code: &'static str,
    ) {
        match &e.ty {
            Type::Number(u) if u.compatible(unit) => {}
            Type::Error => {}
            Type::Number(u) => self.error(
                Diagnostic::error(
                    code,
                    format!("the {what} is {} but the value is {}", u_desc(*u), u_desc(unit)),
                )
                .at(file, span, format!("{} here", u_desc(*u)))
                .help(match unit {
                    Unit::Ratio => "write a ratio target as a percentage, e.g. `>= 80%`",
                    Unit::Hours => "write a duration target with a unit, e.g. `<= 24h` or `<= 30m`",
                    _ => "write a plain number, e.g. `<= 5`",
                }),
            ),
            other => self.error(
                Diagnostic::error(
                    codes::TYPE_MISMATCH,
                    format!("the {what} must be a number, not {}", other.describe()),
                )
                .at(file, span, format!("this is {}", other.describe()))
                .help("write a number, percentage or duration"),
            ),
        }
    }

    fn texpr(kind: TKind, ty: Type, span: Span, file: FileId) -> TExpr {
        TExpr { kind, ty, span: span.lower(), file: file.lower() }
    }

    fn invalid(span: Span, file: FileId) -> TExpr {
        Self::texpr(TKind::Const(Value::Null), Type::Error, span, file)
    }

    fn check_expr(&mut self, e: &Expr, scope: Scope, file: FileId) -> TExpr {
        let span = e.span;
        let lit = |v: Value, ty: Type| Self::texpr(TKind::Const(v), ty, span, file);
        match &e.kind {
            ExprKind::Number(x) => lit(Value::Number(*x), Type::Number(Unit::Plain)),
            ExprKind::Percent(x) => lit(Value::Number(*x), Type::Number(Unit::Ratio)),
            ExprKind::Duration(x) => lit(Value::Number(*x), Type::Number(Unit::Hours)),
            ExprKind::String(s) => lit(Value::Text(s.clone()), Type::Text),
            ExprKind::Bool(b) => lit(Value::Bool(*b), Type::Bool),
            ExprKind::Date(d) => lit(Value::Date(d.clone()), Type::Date),
            ExprKind::Null => lit(Value::Null, Type::Null),
            ExprKind::Invalid => Self::invalid(span, file),
            ExprKind::List(items) => {
                let items: Vec<TExpr> = items.iter().map(|i| self.check_expr(i, scope, file)).collect();
                let mut elem = Type::Null;
                for item in &items {
                    match (&elem, &item.ty) {
                        (_, Type::Error) => {}
                        (Type::Null, t) => elem = t.clone(),
                        (a, b) if a == b => {}
                        (Type::Number(a), Type::Number(b)) if a.compatible(*b) => {}
                        (a, b) => {
                            let msg = format!("a list mixes {} and {}", a.describe(), b.describe());
                            self.error(
                                Diagnostic::error(codes::TYPE_MISMATCH, msg)
                                    .at(file, ast_span(item.span), format!("this is {}", b.describe()))
                                    .help("every item of a list has the same type"),
                            );
                        }
                    }
                }
                Self::texpr(TKind::List(items), Type::List(Box::new(elem)), span, file)
            }
            ExprKind::Path(parts) => self.check_path(parts, span, scope, file),
            ExprKind::Call { name, args } => self.check_call(name, args, span, scope, file),
            ExprKind::Unary { op, expr } => {
                let inner = self.check_expr(expr, scope, file);
                let ty = match (op, &inner.ty) {
                    (_, Type::Error) => Type::Error,
                    (UnaryOp::Not, Type::Bool) => Type::Bool,
                    (UnaryOp::Neg, Type::Number(u)) => Type::Number(*u),
                    (UnaryOp::Not, t) => {
                        self.expect_bool(&inner, "the operand of `not`");
                        let _ = t;
                        Type::Error
                    }
                    (UnaryOp::Neg, t) => {
                        let msg = format!("cannot negate {}", t.describe());
                        self.error(
                            Diagnostic::error(codes::TYPE_MISMATCH, msg)
                                .at(file, expr.span, format!("this is {}", t.describe()))
                                .help("`-` applies to numbers and durations"),
                        );
                        Type::Error
                    }
                };
                Self::texpr(TKind::Unary(op.lower(), Box::new(inner)), ty, span, file)
            }
            ExprKind::IsNull { expr, negated } => {
                let inner = self.check_expr(expr, scope, file);
                Self::texpr(
                    TKind::IsNull { expr: Box::new(inner), negated: *negated },
                    Type::Bool,
                    span,
                    file,
                )
            }
            ExprKind::Binary { op, left, right } => {
                let l = self.check_expr(left, scope, file);
                let r = self.check_expr(right, scope, file);
                self.check_levels(&l, &r, scope);
                let ty = self.binary_type(op.lower(), &l, &r, span, file);
                Self::texpr(TKind::Binary(op.lower(), Box::new(l), Box::new(r)), ty, span, file)
            }
        }
    }

    /// A row value and an aggregate cannot meet in one operation.
    fn check_levels(&mut self, l: &TExpr, r: &TExpr, scope: Scope) {
        let (lr, la) = levels(l);
        let (rr, ra) = levels(r);
        if !((lr && ra) || (la && rr)) {
            return;
        }
        let (row, agg) = if lr { (l, r) } else { (r, l) };
        match scope {
            Scope::Value { .. } => self.row_in_aggregate(row),
            _ => self.aggregate_in_row(agg),
        }
    }

    fn row_in_aggregate(&mut self, e: &TExpr) {
        let (file, span) = site(e.file, e.span);
        self.error(
            Diagnostic::error(
                codes::ROW_IN_AGGREGATE,
                "a value of each row where the KPI needs one value for all rows",
            )
            .at(file, span, "a row value")
            .help(
                "wrap it in an aggregate: sum(...), avg(...), min(...), max(...), count(...) or share(...)",
            ),
        );
    }

    fn aggregate_in_row(&mut self, e: &TExpr) {
        let (file, span) = site(e.file, e.span);
        self.error(
            Diagnostic::error(codes::AGGREGATE_IN_ROW, "an aggregate where a value of one row is expected")
                .at(file, span, "aggregates many rows")
                .help("conditions look at one row; to aggregate a row's related rows name them, e.g. count(time_entries)"),
        );
    }

    fn binary_type(&mut self, op: BinaryOp, l: &TExpr, r: &TExpr, span: Span, file: FileId) -> Type {
        use BinaryOp::*;
        use Type as T;
        if l.ty == T::Error || r.ty == T::Error {
            return if matches!(op, Add | Sub | Mul | Div) { T::Error } else { T::Bool };
        }
        let mismatch = |this: &mut Self, help: &str| {
            let msg = format!("`{}` cannot combine {} and {}", op.symbol(), l.ty.describe(), r.ty.describe());
            this.error(
                Diagnostic::error(codes::TYPE_MISMATCH, msg)
                    .at(file, span, "here")
                    .also(file, ast_span(l.span), l.ty.describe())
                    .also(file, ast_span(r.span), r.ty.describe())
                    .help(help.to_string()),
            );
            if matches!(op, Add | Sub | Mul | Div) {
                T::Error
            } else {
                T::Bool
            }
        };
        let unit_mismatch = |this: &mut Self, a: Unit, b: Unit| {
            let msg = format!("`{}` cannot combine {} and {}", op.symbol(), u_desc(a), u_desc(b));
            this.error(
                Diagnostic::error(codes::UNIT_MISMATCH, msg)
                    .at(file, span, "units differ")
                    .also(file, ast_span(l.span), u_desc(a))
                    .also(file, ast_span(r.span), u_desc(b))
                    .help("only values in the same unit can be added, subtracted or compared"),
            );
        };
        match op {
            And | Or => {
                for side in [l, r] {
                    self.expect_bool(side, &format!("each side of `{}`", op.symbol()));
                }
                T::Bool
            }
            Eq | Ne | Lt | Le | Gt | Ge => {
                let ordered = !matches!(op, Eq | Ne);
                match (&l.ty, &r.ty) {
                    (T::Null, _) | (_, T::Null) => {
                        // `!=` is the negation of `=`, so against null it is always true.
                        let (message, help) = if op == Ne {
                            ("`!= null` is always true", "test for a present value with `is not null`")
                        } else {
                            ("a comparison with null is never true", "test for a missing value with `is null`")
                        };
                        self.error(
                            Diagnostic::error(codes::TYPE_MISMATCH, message)
                                .at(file, span, "compares with null")
                                .help(help),
                        );
                        T::Bool
                    }
                    (T::Number(a), T::Number(b)) => {
                        if !a.compatible(*b) {
                            unit_mismatch(self, *a, *b);
                        }
                        T::Bool
                    }
                    (T::Timestamp | T::Date, T::Timestamp | T::Date) => T::Bool,
                    (T::Text, T::Text) | (T::Bool, T::Bool) if !ordered => T::Bool,
                    (T::Text, T::Text) => T::Bool,
                    (T::Timestamp, T::Number(_)) | (T::Number(_), T::Timestamp) => mismatch(
                        self,
                        "a timestamp compares with a timestamp; for an age, subtract: `as_of - created_at > 2d`",
                    ),
                    _ => mismatch(self, "compare values of the same kind"),
                }
            }
            In | NotIn => match (&l.ty, &r.ty) {
                (_, T::List(elem)) => {
                    match (&l.ty, elem.as_ref()) {
                        (_, T::Null | T::Error) => {}
                        (a, b) if a == b => {}
                        (T::Number(a), T::Number(b)) if a.compatible(*b) => {}
                        (a, b) => {
                            let msg =
                                format!("`in` looks for {} in a list of {}", a.describe(), b.describe());
                            self.error(
                                Diagnostic::error(codes::TYPE_MISMATCH, msg)
                                    .at(file, span, "types differ")
                                    .help("the list's items must be of the same kind as the value"),
                            );
                        }
                    }
                    T::Bool
                }
                _ => mismatch(
                    self,
                    "`in` needs a list on its right, e.g. `ticket_type in [\"incident\", \"problem\"]`",
                ),
            },
            StartsWith | EndsWith | Contains => match (&l.ty, &r.ty) {
                (T::Text, T::Text) => T::Bool,
                _ => mismatch(
                    self,
                    "string tests take text on both sides, e.g. `status starts_with \"Waiting\"`",
                ),
            },
            Add | Sub => match (&l.ty, &r.ty) {
                (T::Number(a), T::Number(b)) => {
                    if !a.compatible(*b) {
                        unit_mismatch(self, *a, *b);
                        return T::Error;
                    }
                    T::Number(if matches!(a, Unit::Plain) { *b } else { *a })
                }
                (T::Timestamp, T::Timestamp) if op == Sub => T::Number(Unit::Hours),
                (T::Timestamp, T::Number(Unit::Hours)) => T::Timestamp,
                (T::Number(Unit::Hours), T::Timestamp) if op == Add => T::Timestamp,
                (T::Timestamp, T::Number(_)) => {
                    mismatch(self, "add or subtract a duration with a unit, e.g. `as_of - 2d`")
                }
                _ => mismatch(self, "`+` and `-` take numbers, durations and timestamps"),
            },
            Mul | Div => match (&l.ty, &r.ty) {
                (T::Number(a), T::Number(b)) => T::Number(if op == Mul {
                    match (a, b) {
                        (Unit::Plain | Unit::Number | Unit::Ratio, u) => *u,
                        (u, Unit::Plain | Unit::Number | Unit::Ratio) => *u,
                        _ => Unit::Number,
                    }
                } else {
                    match (a, b) {
                        (a, b) if a == b && *a != Unit::Plain => Unit::Ratio,
                        (u, Unit::Plain | Unit::Number) => *u,
                        (u, Unit::Ratio | Unit::Count) => *u,
                        _ => Unit::Number,
                    }
                }),
                _ => mismatch(self, "`*` and `/` take numbers"),
            },
        }
    }

    fn check_path(&mut self, parts: &[Ident], span: Span, scope: Scope, file: FileId) -> TExpr {
        let first = &parts[0];
        let table = match scope {
            Scope::Row(t) | Scope::Value { table: t, .. } => Some(t),
            Scope::Const => None,
        };
        // A param or instant: one name, not a field of the row.
        if parts.len() == 1 && table.is_none_or(|t| t.column(&first.name).is_none()) {
            if let Some(p) = self.program.param(&first.name) {
                let ty = p.ty.clone();
                self.used_params.insert(first.name.clone());
                return Self::texpr(TKind::Param(first.name.clone()), ty, span, file);
            }
            if let Some(i) = INSTANTS.into_iter().find(|i| i.name() == first.name) {
                if matches!(scope, Scope::Const) {
                    return self.not_constant(span, file, &first.name);
                }
                return Self::texpr(TKind::Instant(i), Type::Timestamp, span, file);
            }
        }
        let Some(table) = table else {
            self.error(
                Diagnostic::error(codes::UNKNOWN_NAME, format!("unknown param `{}`", first.name))
                    .at(file, first.span, "not a param")
                    .help(did_you_mean(
                        &first.name,
                        self.program.params.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
                        "declare it with `param NAME = VALUE`, or write a literal",
                    )),
            );
            return Self::invalid(span, file);
        };
        let mut here = table;
        let mut links = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            let last = i + 1 == parts.len();
            if let Some(c) = here.column(&part.name) {
                if !last {
                    self.error(
                        Diagnostic::error(
                            codes::UNKNOWN_FIELD,
                            format!("`{}` is a field, not a link", part.name),
                        )
                        .at(file, parts[i + 1].span, "a field has no fields")
                        .help(format!(
                            "links of {}: {}",
                            here.name,
                            link_names(here)
                        )),
                    );
                    return Self::invalid(span, file);
                }
                let ty = column_type(c);
                if matches!(scope, Scope::Value { .. }) {
                    let e = Self::texpr(TKind::Column { links, column: c }, ty, span, file);
                    self.row_in_aggregate(&e);
                    return Self::invalid(span, file);
                }
                return Self::texpr(TKind::Column { links, column: c }, ty, span, file);
            }
            if let Some(link) = here.link(&part.name) {
                if last {
                    let target = schema::table(link.table).expect("link target");
                    self.error(
                        Diagnostic::error(
                            codes::UNKNOWN_FIELD,
                            format!("`{}` is a link to {}", part.name, link.table),
                        )
                        .at(file, part.span, "a link, not a value")
                        .help(format!(
                            "name one of its fields, e.g. `{}.{}`",
                            part.name,
                            target.columns.get(1).map_or("id", |c| c.name)
                        )),
                    );
                    return Self::invalid(span, file);
                }
                links.push(link);
                here = schema::table(link.table).expect("link target");
                continue;
            }
            // Not found: explain with what is there.
            let mut candidates: Vec<String> = here.columns.iter().map(|c| c.name.to_string()).collect();
            candidates.extend(here.links.iter().map(|l| l.name.to_string()));
            if i == 0 {
                candidates.extend(self.program.params.iter().map(|p| p.name.clone()));
                candidates.extend(INSTANTS.map(|i| i.name().to_string()));
            }
            let is_relation = schema::relation(here.name, &part.name).is_some();
            let is_table = schema::table(&part.name).is_some();
            let help = if is_relation {
                format!(
                    "`{}` are many rows per {}; aggregate them, e.g. count({})",
                    part.name,
                    singular(here.name),
                    part.name
                )
            } else if is_table {
                format!(
                    "`{}` is a table; a KPI reads another table inside an aggregate, e.g. sum({}.FIELD)",
                    part.name, part.name
                )
            } else {
                did_you_mean(
                    &part.name,
                    &candidates,
                    &format!("fields of {}: {}", here.name, field_names(here)),
                )
            };
            let what = if i == 0 { "field or param" } else { "field" };
            self.error(
                Diagnostic::error(
                    codes::UNKNOWN_FIELD,
                    format!("`{}` has no {what} `{}`", here.name, part.name),
                )
                .at(file, part.span, format!("not a field of {}", here.name))
                .help(help),
            );
            return Self::invalid(span, file);
        }
        unreachable!("a path has at least one part, in check_path")
    }

    fn not_constant(&mut self, span: Span, file: FileId, what: &str) -> TExpr {
        self.error(
            Diagnostic::error(codes::NOT_CONSTANT, format!("`{what}` is not known before the data is read"))
                .at(file, span, "needs a fixed value here")
                .help("targets, weights, bands, min_rows and param defaults take literals and params"),
        );
        Self::invalid(span, file)
    }

    fn check_call(
        &mut self,
        name: &Ident,
        args: &[ast::Arg],
        span: Span,
        scope: Scope,
        file: FileId,
    ) -> TExpr {
        if matches!(scope, Scope::Const) {
            return self.not_constant(span, file, &format!("{}(...)", name.name));
        }
        let arity = |this: &mut Self, expected: &str| {
            this.error(
                Diagnostic::error(codes::ARGUMENT_COUNT, format!("`{}` takes {expected}", name.name))
                    .at(file, span, format!("{} given", args.len()))
                    .help(format!("see `{}` in docs/language.md", name.name)),
            );
            Self::invalid(span, file)
        };
        if let Some(agg) = AggFunc::from_name(&name.name) {
            return self.check_aggregate(agg, name, args, span, scope, file);
        }
        if let Some(index) = self.program.functions.iter().position(|f| f.name == name.name) {
            return self.check_script_call(index, name, args, span, scope, file);
        }
        let row_table = match scope {
            Scope::Row(t) | Scope::Value { table: t, .. } => t,
            Scope::Const => unreachable!("const scope returned above, in check_call"),
        };
        if args.iter().any(|a| a.filter.is_some()) {
            let f = args.iter().find_map(|a| a.filter.as_ref()).expect("a filter");
            self.error(
                Diagnostic::error(codes::TYPE_MISMATCH, format!("`{}` takes no `where`", name.name))
                    .at(file, f.span, "only aggregates filter rows")
                    .help("move the condition into the KPI's `where`, or into an aggregate"),
            );
        }
        match name.name.as_str() {
            "workdays" | "available_hours" => {
                if !args.is_empty() {
                    return arity(self, "no arguments");
                }
                if let Scope::Row(_) = scope {
                    let e = Self::texpr(TKind::Builtin(Builtin::Workdays), Type::Error, span, file);
                    self.aggregate_in_row(&e);
                    return Self::invalid(span, file);
                }
                if name.name == "workdays" {
                    Self::texpr(TKind::Builtin(Builtin::Workdays), Type::Number(Unit::Count), span, file)
                } else {
                    self.used_params.insert("hours_per_day".into());
                    Self::texpr(
                        TKind::Builtin(Builtin::AvailableHours),
                        Type::Number(Unit::Hours),
                        span,
                        file,
                    )
                }
            }
            "custom" => {
                let [arg] = args else { return arity(self, "one argument, the column name") };
                let ExprKind::String(column) = &arg.value.kind else {
                    self.error(
                        Diagnostic::error(codes::TYPE_MISMATCH, "`custom` takes the column's header as text")
                            .at(file, arg.value.span, "not a string")
                            .help("e.g. custom(\"contract_type\")"),
                    );
                    return Self::invalid(span, file);
                };
                let e = Self::texpr(TKind::Custom(column.clone()), Type::Text, span, file);
                if let Scope::Value { .. } = scope {
                    self.row_in_aggregate(&e);
                    return Self::invalid(span, file);
                }
                let _ = row_table;
                e
            }
            "coalesce" | "abs" | "round" | "hour" | "weekday" => {
                let checked: Vec<TExpr> =
                    args.iter().map(|a| self.check_expr(&a.value, scope, file)).collect();
                for pair in checked.windows(2) {
                    self.check_levels(&pair[0], &pair[1], scope);
                }
                let (func, ty) = match name.name.as_str() {
                    "coalesce" => {
                        if checked.len() < 2 {
                            return arity(self, "two or more arguments");
                        }
                        let ty = checked
                            .iter()
                            .map(|a| a.ty.clone())
                            .find(|t| !matches!(t, Type::Null | Type::Error));
                        let ty = ty.unwrap_or(Type::Error);
                        for a in &checked {
                            let fits = match (&a.ty, &ty) {
                                (Type::Null | Type::Error, _) | (_, Type::Error) => true,
                                (Type::Number(x), Type::Number(y)) => x.compatible(*y),
                                (x, y) => x == y,
                            };
                            if !fits {
                                let msg =
                                    format!("`coalesce` mixes {} and {}", ty.describe(), a.ty.describe());
                                self.error(
                                    Diagnostic::error(codes::TYPE_MISMATCH, msg)
                                        .at(file, ast_span(a.span), "different kind")
                                        .help("every argument of coalesce has the same type"),
                                );
                            }
                        }
                        (RowFunc::Coalesce, ty)
                    }
                    "abs" | "round" => {
                        let [a] = checked.as_slice() else { return arity(self, "one argument") };
                        self.expect_number(
                            a,
                            file,
                            ast_span(a.span),
                            &format!("the argument of `{}`", name.name),
                        );
                        let func = if name.name == "abs" { RowFunc::Abs } else { RowFunc::Round };
                        (func, a.ty.clone())
                    }
                    _ => {
                        let [a] = checked.as_slice() else { return arity(self, "one argument, a timestamp") };
                        if !matches!(a.ty, Type::Timestamp | Type::Error) {
                            let msg = format!("`{}` takes a timestamp, not {}", name.name, a.ty.describe());
                            self.error(
                                Diagnostic::error(codes::TYPE_MISMATCH, msg)
                                    .at(file, ast_span(a.span), "not a timestamp")
                                    .help("e.g. hour(created_at)"),
                            );
                        }
                        let func = if name.name == "hour" { RowFunc::Hour } else { RowFunc::Weekday };
                        (func, Type::Number(Unit::Number))
                    }
                };
                Self::texpr(TKind::Call(func, checked), ty, span, file)
            }
            other => {
                self.error(
                    Diagnostic::error(codes::UNKNOWN_FUNCTION, format!("unknown function `{other}`"))
                        .at(file, name.span, "no such function")
                        .help(did_you_mean(other, FUNCTIONS, "see the functions in docs/language.md")),
                );
                Self::invalid(span, file)
            }
        }
    }

    /// A rhai function: arguments of the declared types; row level or aggregate level as they are.
    fn check_script_call(
        &mut self,
        index: usize,
        name: &Ident,
        args: &[ast::Arg],
        span: Span,
        scope: Scope,
        file: FileId,
    ) -> TExpr {
        let params = self.program.functions[index].script.params.clone();
        let returns = self.program.functions[index].script.returns;
        if args.len() != params.len() {
            self.error(
                Diagnostic::error(
                    codes::ARGUMENT_COUNT,
                    format!("`{}` takes {} arguments", name.name, params.len()),
                )
                .at(file, span, format!("{} given", args.len()))
                .help("match the parameters of the `fn` declaration"),
            );
            return Self::invalid(span, file);
        }
        let mut checked = Vec::new();
        for (arg, ty) in args.iter().zip(&params) {
            let a = self.check_expr(&arg.value, scope, file);
            let fits = matches!(
                (ty, &a.ty),
                (_, Type::Error | Type::Null)
                    | (kpi_script::ScriptType::Number, Type::Number(_))
                    | (kpi_script::ScriptType::Bool, Type::Bool)
                    | (kpi_script::ScriptType::Text, Type::Text)
            );
            if !fits {
                self.error(
                    Diagnostic::error(
                        codes::TYPE_MISMATCH,
                        format!("`{}` takes {} here, not {}", name.name, ty.name(), a.ty.describe()),
                    )
                    .at(file, ast_span(a.span), format!("this is {}", a.ty.describe()))
                    .help("convert first: hour(ts) and weekday(ts) turn timestamps into numbers"),
                );
            }
            checked.push(a);
        }
        for pair in checked.windows(2) {
            self.check_levels(&pair[0], &pair[1], scope);
        }
        let ty = match returns {
            kpi_script::ScriptType::Number => Type::Number(Unit::Number),
            kpi_script::ScriptType::Bool => Type::Bool,
            kpi_script::ScriptType::Text => Type::Text,
        };
        Self::texpr(TKind::Script { function: index, args: checked }, ty, span, file)
    }

    fn check_aggregate(
        &mut self,
        agg: AggFunc,
        name: &Ident,
        args: &[ast::Arg],
        span: Span,
        scope: Scope,
        file: FileId,
    ) -> TExpr {
        let (current, group) = match scope {
            Scope::Row(t) => (t, None),
            Scope::Value { table, group } => (table, group),
            Scope::Const => unreachable!("const scope is rejected by check_call"),
        };
        // Which rows: a relation of the row (row scope), another table (value scope), or the population.
        let head = args.first().and_then(|a| match &a.value.kind {
            ExprKind::Path(parts)
                if current.column(&parts[0].name).is_none() && current.link(&parts[0].name).is_none() =>
            {
                Some(parts.as_slice())
            }
            _ => None,
        });
        let mut rest: Option<Vec<Ident>> = None;
        enum Rows {
            Population,
            Table(&'static TableSchema),
            Related(kpi_schema::Relation),
        }
        let mut rows = Rows::Population;
        if let Some(parts) = head {
            let head_name = &parts[0].name;
            match scope {
                Scope::Row(t) => {
                    if let Some(rel) = schema::relation(t.name, head_name) {
                        rows = Rows::Related(rel);
                        rest = Some(parts[1..].to_vec());
                    }
                }
                _ => {
                    if let Some(other) = schema::table(head_name) {
                        rows = Rows::Table(other);
                        rest = Some(parts[1..].to_vec());
                        if let Some(g) = group {
                            if other.group_path(g).is_none() {
                                self.error(
                                    Diagnostic::error(
                                        codes::BAD_PLACEMENT,
                                        format!("`{}` rows have no {}", other.name, g.name()),
                                    )
                                    .at(file, parts[0].span, format!("cannot be grouped per {}", g.name()))
                                    .help("aggregate a table that links to the scorecard's grouping"),
                                );
                            }
                        }
                    }
                }
            }
        }
        let row_table = match rows {
            Rows::Population => current,
            Rows::Table(t) => t,
            Rows::Related(rel) => schema::table(rel.child).expect("relation child"),
        };
        if let (Rows::Population, Scope::Row(_)) = (&rows, scope) {
            let e = Self::texpr(TKind::Builtin(Builtin::Workdays), Type::Error, span, file);
            self.aggregate_in_row(&e);
            return Self::invalid(span, file);
        }
        let row_scope = Scope::Row(row_table);
        let mut checked = Vec::new();
        for (i, arg) in args.iter().enumerate() {
            if let Some(f) = arg.filter.as_ref().filter(|_| i + 1 != args.len()) {
                self.error(
                    Diagnostic::error(codes::TYPE_MISMATCH, "`where` goes after the last argument")
                        .at(file, f.span, "filters the whole aggregate")
                        .help(format!("e.g. {}(a, b where condition)", name.name)),
                );
            }
            let value = match (&rest, i) {
                (Some(rest), 0) if rest.is_empty() => None,
                (Some(rest), 0) => Some(self.check_path(rest, arg.value.span, row_scope, file)),
                _ => Some(self.check_expr(&arg.value, row_scope, file)),
            };
            if let Some(v) = value {
                if levels(&v).1 {
                    self.aggregate_in_row(&v);
                }
                checked.push(v);
            }
        }
        let filter = args.last().and_then(|a| a.filter.as_ref()).map(|f| {
            let f = self.check_expr(f, row_scope, file);
            self.expect_bool(&f, "an aggregate's `where`");
            if levels(&f).1 {
                self.aggregate_in_row(&f);
            }
            Box::new(f)
        });
        let arity = |this: &mut Self, expected: &str| {
            this.error(
                Diagnostic::error(codes::ARGUMENT_COUNT, format!("`{}` takes {expected}", name.name))
                    .at(file, span, format!("{} given", checked.len()))
                    .help(format!("see `{}` in docs/language.md", name.name)),
            );
            Self::invalid(span, file)
        };
        let ty = match agg {
            AggFunc::Count => {
                if checked.len() > 1 {
                    return arity(self, "no argument, or one condition");
                }
                if let Some(c) = checked.first() {
                    self.expect_bool(c, "the argument of `count`");
                }
                Type::Number(Unit::Count)
            }
            AggFunc::Share => {
                let [c] = checked.as_slice() else { return arity(self, "one condition") };
                self.expect_bool(c, "the argument of `share`");
                Type::Number(Unit::Ratio)
            }
            AggFunc::Sum | AggFunc::Avg => {
                let [v] = checked.as_slice() else { return arity(self, "one numeric value") };
                self.expect_number(v, file, ast_span(v.span), &format!("the argument of `{}`", name.name));
                v.ty.clone()
            }
            AggFunc::Min | AggFunc::Max => {
                let [v] = checked.as_slice() else { return arity(self, "one value") };
                if !matches!(v.ty, Type::Number(_) | Type::Timestamp | Type::Error) {
                    self.expect_number(
                        v,
                        file,
                        ast_span(v.span),
                        &format!("the argument of `{}`", name.name),
                    );
                }
                v.ty.clone()
            }
            AggFunc::Ratio => {
                let [a, b] = checked.as_slice() else { return arity(self, "two numeric values") };
                self.expect_number(a, file, ast_span(a.span), "the numerator of `ratio`");
                self.expect_number(b, file, ast_span(b.span), "the denominator of `ratio`");
                self.binary_type(BinaryOp::Div, a, b, span, file)
            }
        };
        let filter_kind = filter;
        let kind = match rows {
            Rows::Related(relation) => TKind::Related { relation, agg, args: checked, filter: filter_kind },
            Rows::Table(t) => {
                TKind::Aggregate { source: AggSource::Table(t), agg, args: checked, filter: filter_kind }
            }
            Rows::Population => {
                TKind::Aggregate { source: AggSource::Population, agg, args: checked, filter: filter_kind }
            }
        };
        Self::texpr(kind, ty, span, file)
    }
}

/// The byte offset of a 1-based line and column (in characters) of `text`.
fn offset_of(text: &str, line: usize, column: usize) -> Option<usize> {
    let start = if line <= 1 { 0 } else { text.match_indices('\n').nth(line - 2)?.0 + 1 };
    let rest = &text[start..];
    Some(start + rest.char_indices().nth(column.saturating_sub(1)).map_or(rest.len(), |(i, _)| i))
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

fn u_desc(u: Unit) -> String {
    Type::Number(u).describe()
}

fn singular(table: &str) -> &str {
    match table {
        "tickets" => "ticket",
        "resources" => "resource",
        "clients" => "client",
        "time_entries" => "time entry",
        "surveys" => "survey",
        other => other,
    }
}

fn field_names(t: &TableSchema) -> String {
    t.columns.iter().map(|c| c.name).collect::<Vec<_>>().join(", ")
}

fn link_names(t: &TableSchema) -> String {
    if t.links.is_empty() {
        return "none".into();
    }
    t.links.iter().map(|l| l.name).collect::<Vec<_>>().join(", ")
}

/// The value of a literal expression (a param default), if it is one.
fn literal_value(e: &TExpr) -> Option<Value> {
    match &e.kind {
        TKind::Const(v) if e.ty != Type::Error => Some(v.clone()),
        TKind::Unary(hir::UnaryOp::Neg, inner) => match literal_value(inner)? {
            Value::Number(x) => Some(Value::Number(-x)),
            _ => None,
        },
        TKind::List(items) => items.iter().map(literal_value).collect::<Option<Vec<_>>>().map(Value::List),
        _ => None,
    }
}
