//! KPI clauses: the layer in effect for each, then from, where, value, unit, target, weight, scoring.
use super::{Checker, Layered, Scope, INSTANTS};
use crate::diagnostics as diag;
use crate::lower::{origin, Lower};
use kpi_hir::{
    Grain, Instant, KpiDef, KpiOverrides, Origin, Placement, Population, Scoring, TExpr, Target, Type, Unit,
};
use kpi_schema::{self as schema, ColumnType, Grouping, TableSchema};
use kpi_syntax::ast::{self, ClauseKind, Ident, Span};
use kpi_syntax::{codes, FileId};
use std::collections::HashMap;

/// A clause in effect and the file it was written in.
type Effective<'a> = Option<(FileId, &'a ast::Clause)>;

impl<'a> Checker<'a> {
    /// Check one KPI built from clause layers: the definition, then a `use` block's overrides.
    pub(super) fn check_kpi(
        &mut self,
        layered: &Layered<'a>,
        grain: Grain,
        group: Option<Grouping>,
    ) -> Option<KpiDef> {
        let effective = self.effective_clauses(layered);
        let find = |keyword: &str| effective.iter().find(|(_, c)| c.kind.keyword() == keyword).copied();
        self.report_missing(layered, &effective);
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
        let value = table.and_then(|t| self.check_value(find("value"), t, group));
        let unit = self.check_unit(find("unit"), value.as_ref());
        let target = self.check_target(find("target"), unit);
        let weight = self.check_weight(find("weight"));
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

        let id = layered.id;
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
            origin: origin(layered.site_file, id.span),
            target_origin,
            weight_origin,
            overrides: KpiOverrides::default(),
        })
    }

    /// The effective clause of each kind: the last layer that gives it wins.
    fn effective_clauses(&mut self, layered: &Layered<'a>) -> Vec<(FileId, &'a ast::Clause)> {
        let mut effective: Vec<(FileId, &'a ast::Clause)> = Vec::new();
        for (file, clauses, _) in &layered.layers {
            let mut seen_here: HashMap<&'static str, Span> = HashMap::new();
            for clause in clauses.iter() {
                let keyword = clause.kind.keyword();
                if let Some(first) = seen_here.get(keyword) {
                    self.error(diag::duplicate_clause(keyword, clause.span, *file, *first));
                    continue;
                }
                seen_here.insert(keyword, clause.span);
                effective.retain(|(_, c)| c.kind.keyword() != keyword);
                effective.push((*file, clause));
            }
        }
        effective
    }

    fn report_missing(&mut self, layered: &Layered<'a>, effective: &[(FileId, &'a ast::Clause)]) {
        let missing: Vec<&str> = ["from", "value", "target", "weight"]
            .into_iter()
            .filter(|keyword| !effective.iter().any(|(_, c)| c.kind.keyword() == *keyword))
            .collect();
        // A clause lost to a syntax error is already reported; "missing" would blame the wrong line.
        let syntax_error_inside = layered.layers.iter().any(|(file, _, span)| {
            let from = self.syntax_errors.partition_point(|&at| at < (*file, span.start));
            self.syntax_errors.get(from).is_some_and(|&(f, at)| f == *file && at < span.end)
        });
        if !missing.is_empty() && !syntax_error_inside {
            let list = missing.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ");
            self.error(diag::missing_clauses(layered.site_file, layered.id.span, &layered.id.name, &list));
        }
    }

    fn check_value(
        &mut self,
        clause: Effective<'a>,
        table: &'static TableSchema,
        group: Option<Grouping>,
    ) -> Option<TExpr> {
        let Some((file, ast::Clause { kind: ClauseKind::Value(e), .. })) = clause else { return None };
        let v = self.check_expr(e, Scope::Value { table, group }, file);
        if !v.ty.is_numeric() {
            self.error(diag::value_not_number(file, e.span, &v.ty));
        }
        Some(v)
    }

    /// The KPI's unit: inferred from its value, or declared when the two agree.
    fn check_unit(&mut self, clause: Effective<'a>, value: Option<&TExpr>) -> Unit {
        let inferred = match value.map(|v| &v.ty) {
            Some(Type::Number(u)) => *u,
            _ => Unit::Number,
        };
        let mut unit = if inferred == Unit::Plain { Unit::Number } else { inferred };
        if let Some((file, ast::Clause { kind: ClauseKind::Unit(u), .. })) = clause {
            match Unit::from_name(&u.name) {
                Some(declared) if declared == inferred || matches!(inferred, Unit::Plain | Unit::Number) => {
                    unit = declared
                }
                Some(declared) => self.error(diag::declared_unit(file, u.span, declared, inferred)),
                None => self.error(diag::unknown_keyword(
                    "unit",
                    u,
                    file,
                    &["ratio", "hours", "count", "number", "currency"],
                    "units are ratio, hours, count, number and currency",
                )),
            }
        }
        unit
    }

    fn check_target(&mut self, clause: Effective<'a>, unit: Unit) -> Option<(Target, Origin)> {
        let Some((file, ast::Clause { kind: ClauseKind::Target { op, value: e }, span })) = clause else {
            return None;
        };
        let t = self.check_expr(e, Scope::Const, file);
        self.expect_unit(&t, unit, file, e.span, "target", codes::TARGET_UNIT);
        self.expect_fraction(&t, unit, file, e.span, "target");
        Some((Target { op: op.lower(), value: t }, origin(file, *span)))
    }

    fn check_weight(&mut self, clause: Effective<'a>) -> Option<(TExpr, Origin)> {
        let Some((file, ast::Clause { kind: ClauseKind::Weight(e), span })) = clause else { return None };
        let w = self.check_expr(e, Scope::Const, file);
        self.expect_number(&w, file, e.span, "a weight");
        if self.const_number(&w).is_some_and(|x| x < 0.0) {
            self.error(diag::negative_weight(file, e.span));
        }
        Some((w, origin(file, *span)))
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
            self.error(diag::unknown_table(file, table));
            return None;
        };
        if let Some(g) = group {
            if t.group_path(g).is_none() {
                self.error(diag::not_grouped(file, table.span, t.name, g, false));
            }
        }
        let placement = match placement {
            None => Placement::All,
            Some(ast::Placement::By(col)) => self.check_by(file, t, col, grain),
            Some(ast::Placement::OpenAt(instant)) => self.check_open_at(file, t, instant),
        };
        Some((t, placement))
    }

    /// `by column`: a timestamp of the table, in a periodic scorecard.
    fn check_by(&mut self, file: FileId, t: &'static TableSchema, col: &Ident, grain: Grain) -> Placement {
        if grain == Grain::Snapshot {
            self.error(diag::by_in_snapshot(file, col.span));
        }
        match t.column(&col.name) {
            Some(c) if matches!(c.ty, ColumnType::Timestamp | ColumnType::Date) => {}
            Some(c) => self.error(diag::by_not_timestamp(file, col.span, t, c.name, c.ty)),
            None => self.error(diag::unknown_by_column(file, col, t)),
        }
        Placement::By(col.name.clone())
    }

    /// `open at instant`: a table whose rows open and close.
    fn check_open_at(&mut self, file: FileId, t: &'static TableSchema, instant: &Ident) -> Placement {
        if t.lifetime.is_none() {
            self.error(diag::never_open(file, instant.span, t.name));
        }
        match INSTANTS.into_iter().find(|i| i.name() == instant.name) {
            Some(i) => Placement::OpenAt(i),
            None => {
                self.error(diag::unknown_instant(file, instant, &INSTANTS.map(Instant::name)));
                Placement::OpenAt(Instant::AsOf)
            }
        }
    }

    fn check_scoring(&mut self, file: FileId, s: &ast::Scoring, unit: Unit) -> Scoring {
        match s {
            ast::Scoring::Named(name) => match name.name.as_str() {
                "attainment" => Scoring::Attainment,
                "pass_fail" => Scoring::PassFail,
                _ => {
                    self.error(diag::unknown_scoring(file, name));
                    Scoring::Attainment
                }
            },
            ast::Scoring::Bands { points, span } => self.check_bands(file, points, *span, unit),
        }
    }

    /// `bands [value => attainment, ...]`: increasing values in the KPI's unit, attainment 0 to 1.
    fn check_bands(
        &mut self,
        file: FileId,
        points: &[(ast::Expr, ast::Expr)],
        span: Span,
        unit: Unit,
    ) -> Scoring {
        let mut checked = Vec::new();
        let mut previous: Option<f64> = None;
        for (value, attainment) in points {
            let v = self.check_expr(value, Scope::Const, file);
            self.expect_unit(&v, unit, file, value.span, "band", codes::TARGET_UNIT);
            let typo = self.expect_fraction(&v, unit, file, value.span, "band");
            let a = self.check_expr(attainment, Scope::Const, file);
            self.expect_number(&a, file, attainment.span, "an attainment");
            if let Some(x) = self.const_number(&a) {
                if !(0.0..=1.0).contains(&x) {
                    self.error(diag::attainment_out_of_range(file, attainment.span, x));
                }
            }
            match self.const_number(&v) {
                // `80` for `80%`: already reported, and no guide to the order of the next band.
                _ if typo => previous = None,
                Some(x) => {
                    if previous.is_some_and(|p| x <= p) {
                        self.error(diag::bands_not_increasing(file, value.span));
                    }
                    previous = Some(x);
                }
                None => {}
            }
            checked.push((v, a));
        }
        if checked.len() < 2 {
            self.error(diag::too_few_bands(file, span));
        }
        Scoring::Bands(checked)
    }
}
