//! KPIs and `use` blocks, and their clauses.
use super::recovery::Context;
use super::{build_ident, last_inner, span, span_of, Builder, Docs, IntoChildren, Rule};
use crate::ast::*;
use pest::iterators::Pair;

impl Builder<'_> {
    pub(super) fn build_kpi(&mut self, docs: Docs, pair: Pair<Rule>) -> Kpi {
        let (doc, id, title, clauses, span) = self.build_kpi_parts(docs, pair, Context::Kpi);
        Kpi { doc, id, title, clauses, span }
    }

    pub(super) fn build_use(&mut self, docs: Docs, pair: Pair<Rule>) -> UseKpi {
        let (doc, id, title, clauses, span) = self.build_kpi_parts(docs, pair, Context::Use);
        UseKpi { doc, id, title, clauses, span }
    }

    #[allow(clippy::type_complexity)]
    fn build_kpi_parts(
        &mut self,
        docs: Docs,
        pair: Pair<Rule>,
        context: Context,
    ) -> (Vec<String>, Ident, Option<Text>, Vec<Clause>, Span) {
        let span = docs.span_with(&pair);
        let doc = docs.lines;
        let mut inner = pair.into_children();
        let id = build_ident(inner.next().expect("kpi id"));
        let mut title = None;
        let mut clauses = Vec::new();
        for p in inner {
            match p.as_rule() {
                Rule::string => title = Some(self.build_string(p)),
                Rule::bad_line => self.bad_line(p, context),
                _ => clauses.push(self.build_clause(p)),
            }
        }
        (doc, id, title, clauses, span)
    }

    fn build_clause(&mut self, pair: Pair<Rule>) -> Clause {
        let span = span(&pair);
        let rule = pair.as_rule();
        let mut inner = pair.into_children();
        let kind = match rule {
            Rule::from_clause => {
                let table = build_ident(inner.next().expect("from table"));
                let placement = inner.next().map(|p| match p.as_rule() {
                    Rule::by_placement => Placement::By(build_ident(last_inner(p))),
                    Rule::open_placement => Placement::OpenAt(build_ident(last_inner(p))),
                    r => unreachable!("{r:?} in build_clause placement"),
                });
                ClauseKind::From { table, placement }
            }
            Rule::where_clause => ClauseKind::Where(self.build_expr(inner.next().expect("where expr"))),
            Rule::value_clause => ClauseKind::Value(self.build_expr(inner.next().expect("value expr"))),
            Rule::unit_clause => ClauseKind::Unit(build_ident(inner.next().expect("unit"))),
            Rule::target_clause => {
                let op = match inner.next().expect("cmp op").as_str() {
                    ">=" => CmpOp::Ge,
                    ">" => CmpOp::Gt,
                    "<=" => CmpOp::Le,
                    "<" => CmpOp::Lt,
                    s => unreachable!("{s:?} in build_clause cmp_op"),
                };
                ClauseKind::Target { op, value: self.build_expr(inner.next().expect("target value")) }
            }
            Rule::weight_clause => ClauseKind::Weight(self.build_expr(inner.next().expect("weight"))),
            Rule::min_rows_clause => ClauseKind::MinRows(self.build_expr(inner.next().expect("min_rows"))),
            Rule::scoring_clause => {
                let p = inner.next().expect("scoring method");
                ClauseKind::Scoring(match p.as_rule() {
                    Rule::ident => Scoring::Named(build_ident(p)),
                    Rule::bands => {
                        let bands_span = span_of(&p);
                        let points = p
                            .into_children()
                            .map(|band| {
                                let mut b = band.into_children();
                                let value = self.build_expr(b.next().expect("band value"));
                                let score = self.build_expr(b.next().expect("band attainment"));
                                (value, score)
                            })
                            .collect();
                        Scoring::Bands { points, span: bands_span }
                    }
                    r => unreachable!("{r:?} in build_clause scoring"),
                })
            }
            r => unreachable!("{r:?} in build_clause"),
        };
        Clause { kind, span }
    }
}
