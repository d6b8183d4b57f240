//! Expressions: literals, names and paths, operators; their types, units and row or aggregate level.
use super::{levels, Checker, Scope, INSTANTS};
use crate::diagnostics as diag;
use crate::lower::{ast_span, Lower};
use kpi_hir::{BinaryOp, TExpr, TKind, Type, Unit, Value};
use kpi_schema::{self as schema, ColumnType, ColumnUnit};
use kpi_syntax::ast::{Expr, ExprKind, Ident, Span, UnaryOp};
use kpi_syntax::FileId;

/// The param whose value a null `resources.cost_per_hour` takes.
pub(crate) const DEFAULT_COST_PER_HOUR: &str = kpi_hir::DEFAULT_COST_PER_HOUR;

fn column_type(c: &schema::ColumnSchema) -> Type {
    match c.ty {
        ColumnType::Text => Type::Text,
        ColumnType::Bool => Type::Bool,
        ColumnType::Timestamp => Type::Timestamp,
        ColumnType::Date => Type::Date,
        ColumnType::Int | ColumnType::Number => Type::Number(match c.unit {
            Some(ColumnUnit::Hours) => Unit::Hours,
            Some(ColumnUnit::Count) => Unit::Count,
            Some(ColumnUnit::Currency) => Unit::Currency,
            Some(ColumnUnit::Number) | None => Unit::Number,
        }),
    }
}

/// Arithmetic gives no value when its operands fail; a test still gives a truth value.
fn failed(op: BinaryOp) -> Type {
    if matches!(op, BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div) {
        Type::Error
    } else {
        Type::Bool
    }
}

impl Checker<'_> {
    pub(super) fn check_expr(&mut self, e: &Expr, scope: Scope, file: FileId) -> TExpr {
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
            ExprKind::List(items) => self.check_list(items, span, scope, file),
            ExprKind::Path(parts) => self.check_path(parts, span, scope, file),
            ExprKind::Call { name, args } => self.check_call(name, args, span, scope, file),
            ExprKind::Unary { op, expr } => self.check_unary(*op, expr, span, scope, file),
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

    /// `[a, b, c]`: items of one type (numbers of compatible units).
    fn check_list(&mut self, items: &[Expr], span: Span, scope: Scope, file: FileId) -> TExpr {
        let items: Vec<TExpr> = items.iter().map(|i| self.check_expr(i, scope, file)).collect();
        let mut elem = Type::Null;
        for item in &items {
            match (&elem, &item.ty) {
                (_, Type::Error) => {}
                (Type::Null, t) => elem = t.clone(),
                (a, b) if a == b => {}
                (Type::Number(a), Type::Number(b)) if a.compatible(*b) => {}
                (a, b) => self.error(diag::list_mixes(file, item, a, b)),
            }
        }
        Self::texpr(TKind::List(items), Type::List(Box::new(elem)), span, file)
    }

    fn check_unary(&mut self, op: UnaryOp, expr: &Expr, span: Span, scope: Scope, file: FileId) -> TExpr {
        let inner = self.check_expr(expr, scope, file);
        let ty = match (op, &inner.ty) {
            (_, Type::Error) => Type::Error,
            (UnaryOp::Not, Type::Bool) => Type::Bool,
            (UnaryOp::Neg, Type::Number(u)) => Type::Number(*u),
            (UnaryOp::Not, _) => {
                self.expect_bool(&inner, "the operand of `not`");
                Type::Error
            }
            (UnaryOp::Neg, t) => {
                self.error(diag::cannot_negate(file, expr.span, t));
                Type::Error
            }
        };
        Self::texpr(TKind::Unary(op.lower(), Box::new(inner)), ty, span, file)
    }

    /// A row value and an aggregate cannot meet in one operation.
    pub(super) fn check_levels(&mut self, l: &TExpr, r: &TExpr, scope: Scope) {
        let (lr, la) = levels(l);
        let (rr, ra) = levels(r);
        if !((lr && ra) || (la && rr)) {
            return;
        }
        let (row, agg) = if lr { (l, r) } else { (r, l) };
        match scope {
            Scope::Value { .. } => self.error(diag::row_in_aggregate(row)),
            _ => self.error(diag::aggregate_in_row(agg)),
        }
    }

    pub(super) fn binary_type(
        &mut self,
        op: BinaryOp,
        l: &TExpr,
        r: &TExpr,
        span: Span,
        file: FileId,
    ) -> Type {
        use BinaryOp::*;
        if l.ty == Type::Error || r.ty == Type::Error {
            return failed(op);
        }
        match op {
            And | Or => {
                for side in [l, r] {
                    self.expect_bool(side, &format!("each side of `{}`", op.symbol()));
                }
                Type::Bool
            }
            Eq | Ne | Lt | Le | Gt | Ge => self.comparison_type(op, l, r, span, file),
            In | NotIn => self.membership_type(op, l, r, span, file),
            StartsWith | EndsWith | Contains => match (&l.ty, &r.ty) {
                (Type::Text, Type::Text) => Type::Bool,
                _ => self.mismatch(
                    op,
                    l,
                    r,
                    span,
                    file,
                    "string tests take text on both sides, e.g. `status starts_with \"Waiting\"`",
                ),
            },
            Add | Sub => self.additive_type(op, l, r, span, file),
            Mul | Div => self.multiplicative_type(op, l, r, span, file),
        }
    }

    /// Report operands of the wrong types; the type of the failed operation.
    fn mismatch(&mut self, op: BinaryOp, l: &TExpr, r: &TExpr, span: Span, file: FileId, help: &str) -> Type {
        self.error(diag::operand_types(op, l, r, file, span, help));
        failed(op)
    }

    fn comparison_type(&mut self, op: BinaryOp, l: &TExpr, r: &TExpr, span: Span, file: FileId) -> Type {
        use Type as T;
        let ordered = !matches!(op, BinaryOp::Eq | BinaryOp::Ne);
        match (&l.ty, &r.ty) {
            (T::Null, _) | (_, T::Null) => {
                self.error(diag::null_comparison(file, span, op == BinaryOp::Ne));
                T::Bool
            }
            (T::Number(a), T::Number(b)) => {
                if !a.compatible(*b) {
                    self.error(diag::operand_units(op, (l, *a), (r, *b), file, span));
                }
                T::Bool
            }
            (T::Timestamp | T::Date, T::Timestamp | T::Date) => T::Bool,
            (T::Text, T::Text) | (T::Bool, T::Bool) if !ordered => T::Bool,
            (T::Text, T::Text) => T::Bool,
            (T::Timestamp, T::Number(_)) | (T::Number(_), T::Timestamp) => self.mismatch(
                op,
                l,
                r,
                span,
                file,
                "a timestamp compares with a timestamp; for an age, subtract: `as_of - created_at > 2d`",
            ),
            _ => self.mismatch(op, l, r, span, file, "compare values of the same kind"),
        }
    }

    fn membership_type(&mut self, op: BinaryOp, l: &TExpr, r: &TExpr, span: Span, file: FileId) -> Type {
        let Type::List(elem) = &r.ty else {
            return self.mismatch(
                op,
                l,
                r,
                span,
                file,
                "`in` needs a list on its right, e.g. `ticket_type in [\"incident\", \"problem\"]`",
            );
        };
        match (&l.ty, elem.as_ref()) {
            (_, Type::Null | Type::Error) => {}
            (a, b) if a == b => {}
            (Type::Number(a), Type::Number(b)) if a.compatible(*b) => {}
            (a, b) => self.error(diag::in_list_types(file, span, a, b)),
        }
        Type::Bool
    }

    fn additive_type(&mut self, op: BinaryOp, l: &TExpr, r: &TExpr, span: Span, file: FileId) -> Type {
        use Type as T;
        match (&l.ty, &r.ty) {
            (T::Number(a), T::Number(b)) => {
                if !a.compatible(*b) {
                    self.error(diag::operand_units(op, (l, *a), (r, *b), file, span));
                    return T::Error;
                }
                T::Number(if matches!(a, Unit::Plain) { *b } else { *a })
            }
            // Dates are instants too (their local midnight); `date + 1d` is the next midnight.
            (T::Timestamp | T::Date, T::Timestamp | T::Date) if op == BinaryOp::Sub => T::Number(Unit::Hours),
            (T::Timestamp | T::Date, T::Number(Unit::Hours)) => T::Timestamp,
            (T::Number(Unit::Hours), T::Timestamp | T::Date) if op == BinaryOp::Add => T::Timestamp,
            (T::Timestamp | T::Date, T::Number(_)) => self.mismatch(
                op,
                l,
                r,
                span,
                file,
                "add or subtract a duration with a unit, e.g. `as_of - 2d`",
            ),
            _ => self.mismatch(op, l, r, span, file, "`+` and `-` take numbers, durations and timestamps"),
        }
    }

    fn multiplicative_type(&mut self, op: BinaryOp, l: &TExpr, r: &TExpr, span: Span, file: FileId) -> Type {
        let (Type::Number(a), Type::Number(b)) = (&l.ty, &r.ty) else {
            return self.mismatch(op, l, r, span, file, "`*` and `/` take numbers");
        };
        Type::Number(if op == BinaryOp::Mul {
            match (a, b) {
                (Unit::Plain | Unit::Number | Unit::Ratio, u) => *u,
                (u, Unit::Plain | Unit::Number | Unit::Ratio) => *u,
                // A currency column met by hours is a rate (`hours * resource.cost_per_hour`).
                (Unit::Hours, Unit::Currency) | (Unit::Currency, Unit::Hours) => Unit::Currency,
                _ => Unit::Number,
            }
        } else {
            // A param with a plain default that divides a quantity is a quantity of the same
            // unit, so the result is a ratio: `sum(amount) / monthly_sales_target` is 4.0 (400 %)
            // for a pipeline four times the target. A literal divisor scales: `sum(hours) / 2`.
            let plain_param = matches!(r.kind, TKind::Param(_)) && *b == Unit::Plain;
            match (a, b) {
                (Unit::Hours | Unit::Count | Unit::Currency, _) if plain_param => Unit::Ratio,
                (a, b) if a == b && *a != Unit::Plain => Unit::Ratio,
                (u, Unit::Plain | Unit::Number) => *u,
                (u, Unit::Ratio | Unit::Count) => *u,
                _ => Unit::Number,
            }
        })
    }

    /// A name (`x`) or path (`link.field`): a param, an instant, or a column of the row.
    pub(super) fn check_path(&mut self, parts: &[Ident], span: Span, scope: Scope, file: FileId) -> TExpr {
        let first = &parts[0];
        let table = match scope {
            Scope::Row(t) | Scope::Value { table: t, .. } => Some(t),
            Scope::Const => None,
        };
        // A param or instant: one name, not a field of the row.
        if parts.len() == 1 && table.is_none_or(|t| t.column(&first.name).is_none()) {
            if let Some(e) = self.check_name(first, span, scope, file) {
                return e;
            }
        }
        let Some(table) = table else {
            let params: Vec<&str> = self.program.params.iter().map(|p| p.name.as_str()).collect();
            self.error(diag::unknown_param(file, first, &params));
            return Self::invalid(span, file);
        };
        let mut here = table;
        let mut links = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            let last = i + 1 == parts.len();
            if let Some(c) = here.column(&part.name) {
                if !last {
                    self.error(diag::field_not_link(file, part, &parts[i + 1], here));
                    return Self::invalid(span, file);
                }
                if here.id == schema::columns::RESOURCE_COST_PER_HOUR.table
                    && c.name == schema::columns::RESOURCE_COST_PER_HOUR.name
                {
                    // A null cost takes this param's value (see kpi-eval's compile).
                    self.used_params.insert(DEFAULT_COST_PER_HOUR.into());
                }
                let e = Self::texpr(TKind::Column { links, column: c }, column_type(c), span, file);
                if matches!(scope, Scope::Value { .. }) {
                    self.error(diag::row_in_aggregate(&e));
                    return Self::invalid(span, file);
                }
                return e;
            }
            if let Some(link) = here.link(&part.name) {
                let target = schema::table(link.table).expect("link target");
                if last {
                    self.error(diag::link_as_value(file, part, target));
                    return Self::invalid(span, file);
                }
                links.push(link);
                here = target;
                continue;
            }
            // Not found: explain with what is there.
            let mut candidates: Vec<String> = here.columns.iter().map(|c| c.name.to_string()).collect();
            candidates.extend(here.links.iter().map(|l| l.name.to_string()));
            if i == 0 {
                candidates.extend(self.program.params.iter().map(|p| p.name.clone()));
                candidates.extend(INSTANTS.map(|i| i.name().to_string()));
            }
            self.error(diag::unknown_field(file, part, here, i == 0, &candidates));
            return Self::invalid(span, file);
        }
        unreachable!("a path has at least one part, in check_path")
    }

    /// A param or an instant called `name`, if there is one.
    fn check_name(&mut self, name: &Ident, span: Span, scope: Scope, file: FileId) -> Option<TExpr> {
        if let Some(p) = self.program.param(&name.name) {
            let ty = p.ty.clone();
            self.used_params.insert(name.name.clone());
            return Some(Self::texpr(TKind::Param(name.name.clone()), ty, span, file));
        }
        if let Some(i) = INSTANTS.into_iter().find(|i| i.name() == name.name) {
            if matches!(scope, Scope::Const) {
                return Some(self.not_constant(span, file, &name.name));
            }
            return Some(Self::texpr(TKind::Instant(i), Type::Timestamp, span, file));
        }
        self.check_kpi_reference(name, span, scope, file)
    }

    /// The value of a KPI listed above the current one in its scorecard, in a `value`.
    fn check_kpi_reference(&mut self, name: &Ident, span: Span, scope: Scope, file: FileId) -> Option<TExpr> {
        let Some(card) = &self.card else { return None };
        let earlier = card.earlier.iter().find(|k| k.id == name.name).cloned();
        let later = card.later.contains(&name.name);
        let itself = card.current == name.name;
        match (earlier, scope) {
            (Some(kpi), Scope::Value { .. }) => Some(Self::texpr(
                TKind::KpiValue {
                    id: kpi.id.clone(),
                    population: Box::new(kpi.population),
                    value: Box::new(kpi.value),
                },
                Type::Number(kpi.unit),
                span,
                file,
            )),
            (Some(_), _) => {
                self.error(diag::kpi_in_row(file, name));
                Some(Self::invalid(span, file))
            }
            (None, _) if later || itself => {
                self.error(diag::kpi_not_yet(file, name, itself));
                Some(Self::invalid(span, file))
            }
            (None, _) => None,
        }
    }

    pub(super) fn not_constant(&mut self, span: Span, file: FileId, what: &str) -> TExpr {
        self.error(diag::not_constant(file, span, what));
        Self::invalid(span, file)
    }

    /// The number a constant expression has with the params' defaults, if it is one.
    pub(super) fn const_number(&self, e: &TExpr) -> Option<f64> {
        match kpi_hir::eval_const(e, &|name| self.program.param(name).map(|p| p.default.clone())) {
            Some(Value::Number(x)) => Some(x),
            _ => None,
        }
    }

    pub(super) fn expect_bool(&mut self, e: &TExpr, what: &str) {
        if !matches!(e.ty, Type::Bool | Type::Error) {
            self.error(diag::not_bool(e, what));
        }
    }

    /// `e`, written at `span`, must be a number.
    pub(super) fn expect_number(&mut self, e: &TExpr, file: FileId, span: Span, what: &str) {
        if !e.ty.is_numeric() {
            self.error(diag::not_number(file, span, what, &e.ty));
        }
    }

    /// A checked argument must be a number.
    pub(super) fn expect_number_arg(&mut self, e: &TExpr, file: FileId, what: &str) {
        self.expect_number(e, file, ast_span(e.span), what);
    }

    /// A plain number where a ratio is meant must be a fraction, from 0 to 1: `target >= 80` on a
    /// share is a typo for `80%` that every row would miss.
    /// Whether it was reported.
    pub(super) fn expect_fraction(
        &mut self,
        e: &TExpr,
        unit: Unit,
        file: FileId,
        span: Span,
        what: &str,
    ) -> bool {
        if unit != Unit::Ratio || !matches!(e.ty, Type::Number(Unit::Plain | Unit::Number)) {
            return false;
        }
        let Some(x) = self.const_number(e) else { return false };
        if crate::params::is_fraction(x) {
            return false;
        }
        let param = match &e.kind {
            TKind::Param(name) => Some(name.as_str()),
            _ => None,
        };
        self.error(diag::plain_ratio(file, span, what, x, param));
        true
    }

    /// A target or band must be a number in a unit compatible with the KPI's value.
    pub(super) fn expect_unit(
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
            Type::Number(u) => self.error(diag::wrong_unit(code, file, span, what, *u, unit)),
            other => self.error(diag::constant_not_number(file, span, what, other)),
        }
    }
}
