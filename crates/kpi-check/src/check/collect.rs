//! Declarations: params, top-level KPIs and rhai functions, with duplicates and unused params.
use super::{Checker, KpiSource, Scope, FUNCTIONS};
use crate::diagnostics as diag;
use crate::load::Rules;
use crate::lower::{origin, site};
use kpi_hir::{self as hir, FunctionDef, Origin, ParamDef, TExpr, TKind, Type, Value};
use kpi_syntax::ast::{self, Ident, Item, Span};
use kpi_syntax::FileId;
use std::collections::HashMap;

impl<'a> Checker<'a> {
    /// Gather params and top-level KPIs, reporting duplicates.
    pub(super) fn collect(&mut self, rules: &'a Rules) {
        let mut param_sites: HashMap<String, Origin> = HashMap::new();
        for m in &rules.modules {
            for item in &m.module.items {
                match item {
                    Item::Param(p) => self.collect_param(m.file, p, &mut param_sites),
                    Item::Kpi(k) => {
                        if let Some(first) = self.kpis.get(&k.id.name) {
                            let first = origin(first.file, first.kpi.id.span);
                            self.duplicate("KPI", &k.id, m.file, first);
                            continue;
                        }
                        self.kpis.insert(k.id.name.clone(), KpiSource { file: m.file, kpi: k });
                    }
                    Item::Use(u) => self.error(diag::use_outside_scorecard(m.file, &u.id)),
                    Item::Function(func) => self.collect_function(rules, m.file, func),
                    Item::Import(_) | Item::Scorecard(_) => {}
                }
            }
        }
    }

    fn collect_param(&mut self, file: FileId, p: &ast::Param, sites: &mut HashMap<String, Origin>) {
        if let Some(first) = sites.get(&p.name.name) {
            self.duplicate("param", &p.name, file, *first);
            return;
        }
        let origin = origin(file, p.name.span);
        sites.insert(p.name.name.clone(), origin);
        let default = self.check_expr(&p.default, Scope::Const, file);
        let value = match literal_value(&default) {
            Some(v) => v,
            None => {
                if default.ty != Type::Error {
                    self.error(diag::default_not_literal(file, p.default.span));
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

    /// Check a rhai function's declaration and compile it, mapping script errors to the file.
    fn collect_function(&mut self, rules: &Rules, file: FileId, func: &ast::Function) {
        if let Some(first) = self.program.functions.iter().find(|f| f.name == func.name.name) {
            let first = first.origin;
            self.duplicate("function", &func.name, file, first);
            return;
        }
        if FUNCTIONS.contains(&func.name.name.as_str()) {
            self.error(diag::builtin_function_name(file, &func.name));
            return;
        }
        let script = self
            .script_signature(file, func)
            .and_then(|(params, returns)| self.compile_script(rules, file, func, &params, returns));
        match script {
            Some(script) => self.program.functions.push(FunctionDef {
                name: func.name.name.clone(),
                doc: func.doc.join("\n"),
                script,
                origin: origin(file, func.name.span),
            }),
            None => {
                self.failed_functions.insert(func.name.name.clone());
            }
        }
    }

    /// The parameter and result types of a rhai function, when they are all script types.
    fn script_signature(
        &mut self,
        file: FileId,
        func: &ast::Function,
    ) -> Option<(Vec<(String, kpi_script::ScriptType)>, kpi_script::ScriptType)> {
        let type_of = |this: &mut Self, ty: &Ident| {
            kpi_script::ScriptType::from_name(&ty.name).or_else(|| {
                this.error(diag::unknown_script_type(file, ty));
                None
            })
        };
        let mut params = Vec::new();
        for (name, ty) in &func.params {
            params.push((name.name.clone(), type_of(self, ty)));
        }
        let returns = type_of(self, &func.returns);
        if returns == Some(kpi_script::ScriptType::Text) {
            self.error(diag::text_result(file, func.returns.span));
            return None;
        }
        let params = params.into_iter().map(|(n, t)| t.map(|t| (n, t))).collect::<Option<Vec<_>>>()?;
        Some((params, returns?))
    }

    /// Compile a rhai function's body (inline, or a file beside the rule file).
    fn compile_script(
        &mut self,
        rules: &Rules,
        file: FileId,
        func: &ast::Function,
        params: &[(String, kpi_script::ScriptType)],
        returns: kpi_script::ScriptType,
    ) -> Option<kpi_script::Script> {
        let source = rules.sources.get(file);
        let compiled = match &func.body {
            ast::ScriptSource::Inline { code, span } => {
                let (line, column) = rules.sources.line_col(file, span.start);
                let placement = kpi_script::Placement { file: source.path.clone(), line, column };
                kpi_script::Script::inline(&func.name.name, params, returns, code, placement).map_err(|e| {
                    // The body is wrapped in `fn name(...) { ... }` to compile it: an error past the
                    // body's end (a body that ends too early) is at its last character instead.
                    let end = span.start as usize + code.trim_end().len();
                    let place = match offset_of(&source.text, e.line, e.column).filter(|&o| o < end) {
                        Some(at) => (Span::new(at, at + 1), "here"),
                        None => {
                            let at = end.saturating_sub(1).max(span.start as usize);
                            (Span::new(at, at + 1), "the body ends here, before the code is complete")
                        }
                    };
                    (e, Some(place))
                })
            }
            ast::ScriptSource::File(path) => {
                let full = std::path::Path::new(&source.path)
                    .parent()
                    .unwrap_or(std::path::Path::new(""))
                    .join(&path.value);
                if full.extension().is_none_or(|e| e != "rhai") {
                    self.error(diag::script_not_rhai(file, path.span, &full));
                    return None;
                }
                let bytes = match crate::load::read_regular(&full, crate::load::MAX_SCRIPT_BYTES) {
                    Ok(bytes) => bytes,
                    Err(err) => {
                        self.error(diag::unreadable_script(file, path.span, &full, &err));
                        return None;
                    }
                };
                let code = match String::from_utf8(bytes) {
                    Ok(code) if crate::load::is_text(code.as_bytes()) => code,
                    _ => {
                        self.error(diag::script_not_text(file, path.span, &full));
                        return None;
                    }
                };
                let placement =
                    kpi_script::Placement { file: full.display().to_string(), line: 1, column: 1 };
                kpi_script::Script::file(&func.name.name, params, returns, &code, placement)
                    .map_err(|e| (e, None))
            }
        };
        compiled
            .map_err(|(err, span)| {
                let (span, label) = match span {
                    Some((span, label)) => (span, label.to_string()),
                    None => (func.name.span, format!("at {}:{}:{}", err.file, err.line, err.column)),
                };
                self.error(diag::script_error(file, span, label, &err.message));
            })
            .ok()
    }

    pub(super) fn duplicate(&mut self, what: &str, id: &Ident, file: FileId, first: Origin) {
        self.error(diag::duplicate(what, id, file, site(first.file, first.span)));
    }

    pub(super) fn warn_unused_params(&mut self) {
        let unused: Vec<(String, Origin)> = self
            .program
            .params
            .iter()
            .filter(|p| !self.used_params.contains(&p.name))
            .map(|p| (p.name.clone(), p.origin))
            .collect();
        for (name, origin) in unused {
            let (file, span) = site(origin.file, origin.span);
            self.error(diag::unused_param(file, span, &name));
        }
    }
}

/// The byte offset of a 1-based line and column (in characters) of `text`.
fn offset_of(text: &str, line: usize, column: usize) -> Option<usize> {
    let start = if line <= 1 { 0 } else { text.match_indices('\n').nth(line - 2)?.0 + 1 };
    let rest = &text[start..];
    Some(start + rest.char_indices().nth(column.saturating_sub(1)).map_or(rest.len(), |(i, _)| i))
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
