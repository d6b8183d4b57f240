//! Top-level declarations and scorecards: imports, params, rhai functions, scorecards, KPIs.
use super::recovery::Context;
use super::{build_ident, last_inner, span_of, Builder, Docs, IntoChildren, Rule};
use crate::ast::*;
use pest::iterators::Pair;

impl Builder<'_> {
    pub(super) fn build_file(&mut self, pair: Pair<Rule>) -> Module {
        let mut items = Vec::new();
        let mut inner = pair.into_children();
        while let Some(p) = inner.next() {
            match p.as_rule() {
                Rule::docs => {
                    let docs = Docs::new(p);
                    let p = inner.next().expect("a declaration after its docs");
                    items.push(match p.as_rule() {
                        Rule::import_decl => Item::Import(self.build_import(docs, p)),
                        Rule::param_decl => Item::Param(self.build_param(docs, p)),
                        Rule::fn_decl => Item::Function(self.build_function(docs, p)),
                        Rule::scorecard => Item::Scorecard(self.build_scorecard(docs, p)),
                        Rule::kpi => Item::Kpi(self.build_kpi(docs, p)),
                        Rule::use_kpi => Item::Use(self.build_use(docs, p)),
                        r => unreachable!("{r:?} after docs in build_file"),
                    });
                }
                Rule::stray_line => self.bad_line(p, Context::TopLevel),
                Rule::EOI => {}
                r => unreachable!("{r:?} in build_file"),
            }
        }
        Module { items }
    }

    fn build_import(&mut self, docs: Docs, pair: Pair<Rule>) -> Import {
        let span = docs.span_with(&pair);
        let doc = docs.lines;
        let mut inner = pair.into_children();
        let path = self.build_string(inner.next().expect("import path"));
        Import { doc, path, span }
    }

    fn build_param(&mut self, docs: Docs, pair: Pair<Rule>) -> Param {
        let span = docs.span_with(&pair);
        let doc = docs.lines;
        let mut inner = pair.into_children();
        let name = build_ident(inner.next().expect("param name"));
        let default = self.build_expr(inner.next().expect("param value"));
        Param { doc, name, default, span }
    }

    fn build_function(&mut self, docs: Docs, pair: Pair<Rule>) -> Function {
        let span = docs.span_with(&pair);
        let doc = docs.lines;
        let mut inner = pair.into_children();
        let name = build_ident(inner.next().expect("function name"));
        let mut params = Vec::new();
        let mut returns = None;
        let mut body = None;
        for p in inner {
            match p.as_rule() {
                Rule::fn_param => {
                    let mut parts = p.into_children();
                    let param = build_ident(parts.next().expect("param name"));
                    let ty = build_ident(parts.next().expect("param type"));
                    params.push((param, ty));
                }
                Rule::ident => returns = Some(build_ident(p)),
                Rule::script_file => body = Some(ScriptSource::File(self.build_string(last_inner(p)))),
                Rule::script_body => {
                    let text = last_inner(p);
                    body =
                        Some(ScriptSource::Inline { code: text.as_str().to_string(), span: span_of(&text) });
                }
                r => unreachable!("{r:?} in build_function"),
            }
        }
        Function {
            doc,
            name,
            params,
            returns: returns.expect("return type"),
            body: body.expect("function body"),
            span,
        }
    }

    fn build_scorecard(&mut self, docs: Docs, pair: Pair<Rule>) -> Scorecard {
        let span = docs.span_with(&pair);
        let doc = docs.lines;
        let mut inner = pair.into_children();
        let id = build_ident(inner.next().expect("scorecard id"));
        let mut title = None;
        let mut extends = None;
        let mut members = Vec::new();
        while let Some(p) = inner.next() {
            match p.as_rule() {
                Rule::extends_clause => extends = Some(build_ident(last_inner(p))),
                Rule::remove_kpi => members.push(Member::Remove(build_ident(last_inner(p)))),
                Rule::string => title = Some(self.build_string(p)),
                Rule::period_clause => members.push(Member::Period(build_ident(last_inner(p)))),
                Rule::per_clause => members.push(Member::Per(build_ident(last_inner(p)))),
                Rule::docs => {
                    let docs = Docs::new(p);
                    let p = inner.next().expect("a KPI after its docs");
                    members.push(match p.as_rule() {
                        Rule::kpi => Member::Kpi(self.build_kpi(docs, p)),
                        Rule::use_kpi => Member::Use(self.build_use(docs, p)),
                        r => unreachable!("{r:?} after docs in build_scorecard"),
                    });
                }
                Rule::bad_line => self.bad_line(p, Context::Scorecard),
                r => unreachable!("{r:?} in build_scorecard"),
            }
        }
        Scorecard { doc, id, extends, title, members, span }
    }
}
