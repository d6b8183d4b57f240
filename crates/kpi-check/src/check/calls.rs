//! Calls: aggregates (of the population, another table, related rows), built-ins, rhai functions.
use super::{levels, Checker, Scope, FUNCTIONS};
use crate::diagnostics as diag;
use kpi_hir::{AggFunc, AggSource, BinaryOp, Builtin, RowFunc, TExpr, TKind, Type, Unit};
use kpi_schema::{self as schema, Grouping, TableSchema};
use kpi_syntax::ast::{self, ExprKind, Ident, Span};
use kpi_syntax::FileId;

/// The rows an aggregate reads.
enum Rows {
    Population,
    Table(&'static TableSchema),
    Related(kpi_schema::Relation),
}

impl Checker<'_> {
    pub(super) fn check_call(
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
        if let Some(agg) = AggFunc::from_name(&name.name) {
            return self.check_aggregate(agg, name, args, span, scope, file);
        }
        if let Some(index) = self.program.functions.iter().position(|f| f.name == name.name) {
            return self.check_script_call(index, name, args, span, scope, file);
        }
        if let Some(f) = args.iter().find_map(|a| a.filter.as_ref()) {
            self.error(diag::filter_in_row_function(file, f.span, &name.name));
        }
        match name.name.as_str() {
            "workdays" | "available_hours" => self.check_builtin(name, args, span, scope, file),
            "custom" => self.check_custom(name, args, span, scope, file),
            "open_at" => self.check_open_at_call(name, args, span, scope, file),
            "coalesce" | "abs" | "round" | "hour" | "weekday" => {
                self.check_row_function(name, args, span, scope, file)
            }
            _ if self.failed_functions.contains(&name.name) => Self::invalid(span, file),
            _ => {
                self.error(diag::unknown_function(file, name, &FUNCTIONS));
                Self::invalid(span, file)
            }
        }
    }

    /// Report a call with the wrong number of arguments.
    fn arity(&mut self, name: &Ident, expected: &str, given: usize, span: Span, file: FileId) -> TExpr {
        self.error(diag::argument_count(file, span, &name.name, expected, given));
        Self::invalid(span, file)
    }

    /// `workdays()`, `available_hours()`: values per period and group, so aggregate level.
    fn check_builtin(
        &mut self,
        name: &Ident,
        args: &[ast::Arg],
        span: Span,
        scope: Scope,
        file: FileId,
    ) -> TExpr {
        if !args.is_empty() {
            return self.arity(name, "no arguments", args.len(), span, file);
        }
        if let Scope::Row(_) = scope {
            let e = Self::texpr(TKind::Builtin(Builtin::Workdays), Type::Error, span, file);
            self.error(diag::aggregate_in_row(&e));
            return Self::invalid(span, file);
        }
        if name.name == "workdays" {
            Self::texpr(TKind::Builtin(Builtin::Workdays), Type::Number(Unit::Count), span, file)
        } else {
            self.used_params.insert("hours_per_day".into());
            Self::texpr(TKind::Builtin(Builtin::AvailableHours), Type::Number(Unit::Hours), span, file)
        }
    }

    /// `custom("header")`: an extra column of the export, a row value, as text; or
    /// `custom("name", bool)` (`number`, `text`, `timestamp`): of that type, which the profile's
    /// `[table.extra]` declares at load (the evaluator refuses a column of another type).
    fn check_custom(
        &mut self,
        name: &Ident,
        args: &[ast::Arg],
        span: Span,
        scope: Scope,
        file: FileId,
    ) -> TExpr {
        let (arg, ty) = match args {
            [arg] => (arg, Type::Text),
            [arg, ty] => {
                let named = match &ty.value.kind {
                    ExprKind::Path(path) if path.len() == 1 => match path[0].name.as_str() {
                        "bool" => Some(Type::Bool),
                        "number" => Some(Type::Number(Unit::Number)),
                        "text" => Some(Type::Text),
                        "timestamp" => Some(Type::Timestamp),
                        _ => None,
                    },
                    _ => None,
                };
                let Some(named) = named else {
                    self.error(diag::custom_type(file, ty.value.span));
                    return Self::invalid(span, file);
                };
                (arg, named)
            }
            _ => {
                return self.arity(
                    name,
                    "the column name, and optionally its type (bool, number, text, timestamp)",
                    args.len(),
                    span,
                    file,
                )
            }
        };
        let ExprKind::String(column) = &arg.value.kind else {
            self.error(diag::custom_not_text(file, arg.value.span));
            return Self::invalid(span, file);
        };
        let e = Self::texpr(TKind::Custom(column.clone()), ty, span, file);
        if let Scope::Value { .. } = scope {
            self.error(diag::row_in_aggregate(&e));
            return Self::invalid(span, file);
        }
        e
    }

    /// `coalesce`, `abs`, `round`, `hour`, `weekday`: functions of values at one level.
    fn check_row_function(
        &mut self,
        name: &Ident,
        args: &[ast::Arg],
        span: Span,
        scope: Scope,
        file: FileId,
    ) -> TExpr {
        let checked: Vec<TExpr> = args.iter().map(|a| self.check_expr(&a.value, scope, file)).collect();
        for pair in checked.windows(2) {
            self.check_levels(&pair[0], &pair[1], scope);
        }
        let (func, ty) = match name.name.as_str() {
            "coalesce" => {
                if checked.len() < 2 {
                    return self.arity(name, "two or more arguments", args.len(), span, file);
                }
                (RowFunc::Coalesce, self.coalesce_type(&checked, file))
            }
            "abs" | "round" => {
                let [a] = checked.as_slice() else {
                    return self.arity(name, "one argument", args.len(), span, file);
                };
                self.expect_number_arg(a, file, &format!("the argument of `{}`", name.name));
                let func = if name.name == "abs" { RowFunc::Abs } else { RowFunc::Round };
                (func, a.ty.clone())
            }
            _ => {
                let [a] = checked.as_slice() else {
                    return self.arity(name, "one argument, a timestamp", args.len(), span, file);
                };
                if !matches!(a.ty, Type::Timestamp | Type::Error) {
                    self.error(diag::not_timestamp(file, &name.name, a));
                }
                let func = if name.name == "hour" { RowFunc::Hour } else { RowFunc::Weekday };
                (func, Type::Number(Unit::Number))
            }
        };
        Self::texpr(TKind::Call(func, checked), ty, span, file)
    }

    /// `open_at(instant)`: a row of a table with a lifetime is open at the instant.
    fn check_open_at_call(
        &mut self,
        name: &Ident,
        args: &[ast::Arg],
        span: Span,
        scope: Scope,
        file: FileId,
    ) -> TExpr {
        let [arg] = args else {
            return self.arity(name, "one argument, an instant such as `as_of`", args.len(), span, file);
        };
        let instant = self.check_expr(&arg.value, scope, file);
        if !matches!(instant.ty, Type::Timestamp | Type::Date | Type::Error) {
            self.error(diag::not_timestamp(file, &name.name, &instant));
        }
        let table = match scope {
            Scope::Row(t) | Scope::Value { table: t, .. } => t,
            Scope::Const => unreachable!("const scope is rejected by check_call"),
        };
        if table.lifetime.is_none() {
            self.error(diag::never_open(file, name.span, table.name));
            return Self::invalid(span, file);
        }
        let e = Self::texpr(TKind::Call(RowFunc::OpenAt, vec![instant]), Type::Bool, span, file);
        if let Scope::Value { .. } = scope {
            self.error(diag::row_in_aggregate(&e));
            return Self::invalid(span, file);
        }
        e
    }

    /// The type of the first argument that has one; every other must be of the same kind.
    fn coalesce_type(&mut self, checked: &[TExpr], file: FileId) -> Type {
        let ty = checked.iter().map(|a| a.ty.clone()).find(|t| !matches!(t, Type::Null | Type::Error));
        let ty = ty.unwrap_or(Type::Error);
        for a in checked {
            let fits = match (&a.ty, &ty) {
                (Type::Null | Type::Error, _) | (_, Type::Error) => true,
                (Type::Number(x), Type::Number(y)) => x.compatible(*y),
                (x, y) => x == y,
            };
            if !fits {
                self.error(diag::coalesce_mixes(file, a, &ty));
            }
        }
        ty
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
            self.error(diag::script_argument_count(file, span, &name.name, params.len(), args.len()));
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
                self.error(diag::script_argument_type(file, &name.name, ty.name(), &a));
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
        let (rows, rest) = self.aggregate_rows(args, scope, current, group, file);
        let row_table = match rows {
            Rows::Population => current,
            Rows::Table(t) => t,
            Rows::Related(rel) => rel.child.schema(),
        };
        if let (Rows::Population, Scope::Row(_)) = (&rows, scope) {
            let e = Self::texpr(TKind::Builtin(Builtin::Workdays), Type::Error, span, file);
            self.error(diag::aggregate_in_row(&e));
            return Self::invalid(span, file);
        }
        let (checked, filter) = self.aggregate_args(name, args, rest.as_deref(), Scope::Row(row_table), file);
        let Some(ty) = self.aggregate_type(agg, name, &checked, span, file) else {
            return Self::invalid(span, file);
        };
        let kind = match rows {
            Rows::Related(relation) => TKind::Related { relation, agg, args: checked, filter },
            Rows::Table(t) => TKind::Aggregate { source: AggSource::Table(t), agg, args: checked, filter },
            Rows::Population => {
                TKind::Aggregate { source: AggSource::Population, agg, args: checked, filter }
            }
        };
        Self::texpr(kind, ty, span, file)
    }

    /// Which rows an aggregate reads: a relation of the row (row scope), another table (value
    /// scope), or the population; with the rest of a first argument that named them.
    fn aggregate_rows(
        &mut self,
        args: &[ast::Arg],
        scope: Scope,
        current: &'static TableSchema,
        group: Option<Grouping>,
        file: FileId,
    ) -> (Rows, Option<Vec<Ident>>) {
        let head = args.first().and_then(|a| match &a.value.kind {
            ExprKind::Path(parts)
                if current.column(&parts[0].name).is_none() && current.link(&parts[0].name).is_none() =>
            {
                Some(parts.as_slice())
            }
            _ => None,
        });
        let Some(parts) = head else { return (Rows::Population, None) };
        let head_name = &parts[0].name;
        match scope {
            Scope::Row(t) => match schema::relation(t.name, head_name) {
                Some(rel) => (Rows::Related(rel), Some(parts[1..].to_vec())),
                None => (Rows::Population, None),
            },
            _ => {
                let Some(other) = schema::table(head_name) else { return (Rows::Population, None) };
                if let Some(g) = group {
                    if other.group_path(g).is_none() {
                        self.error(diag::not_grouped(file, parts[0].span, other.name, g, true));
                    }
                }
                (Rows::Table(other), Some(parts[1..].to_vec()))
            }
        }
    }

    /// An aggregate's arguments and its `where`, at the level of one of its rows.
    fn aggregate_args(
        &mut self,
        name: &Ident,
        args: &[ast::Arg],
        rest: Option<&[Ident]>,
        row_scope: Scope,
        file: FileId,
    ) -> (Vec<TExpr>, Option<Box<TExpr>>) {
        let mut checked = Vec::new();
        for (i, arg) in args.iter().enumerate() {
            if let Some(f) = arg.filter.as_ref().filter(|_| i + 1 != args.len()) {
                self.error(diag::filter_not_last(file, f.span, &name.name));
            }
            let value = match (rest, i) {
                (Some([]), 0) => None,
                (Some(rest), 0) => Some(self.check_path(rest, arg.value.span, row_scope, file)),
                _ => Some(self.check_expr(&arg.value, row_scope, file)),
            };
            if let Some(v) = value {
                if levels(&v).1 {
                    self.error(diag::aggregate_in_row(&v));
                }
                checked.push(v);
            }
        }
        let filter = args.last().and_then(|a| a.filter.as_ref()).map(|f| {
            let f = self.check_expr(f, row_scope, file);
            self.expect_bool(&f, "an aggregate's `where`");
            if levels(&f).1 {
                self.error(diag::aggregate_in_row(&f));
            }
            Box::new(f)
        });
        (checked, filter)
    }

    /// The type of an aggregate of `checked`; `None` after a wrong number of arguments.
    fn aggregate_type(
        &mut self,
        agg: AggFunc,
        name: &Ident,
        checked: &[TExpr],
        span: Span,
        file: FileId,
    ) -> Option<Type> {
        let arity = |this: &mut Self, expected: &str| {
            this.arity(name, expected, checked.len(), span, file);
            None
        };
        let what = format!("the argument of `{}`", name.name);
        Some(match agg {
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
                let [c] = checked else { return arity(self, "one condition") };
                self.expect_bool(c, "the argument of `share`");
                Type::Number(Unit::Ratio)
            }
            AggFunc::Sum | AggFunc::Avg => {
                let [v] = checked else { return arity(self, "one numeric value") };
                self.expect_number_arg(v, file, &what);
                v.ty.clone()
            }
            AggFunc::Min | AggFunc::Max => {
                let [v] = checked else { return arity(self, "one value") };
                if !matches!(v.ty, Type::Number(_) | Type::Timestamp | Type::Date | Type::Error) {
                    self.expect_number_arg(v, file, &what);
                }
                v.ty.clone()
            }
            AggFunc::Ratio => {
                let [a, b] = checked else { return arity(self, "two numeric values") };
                self.expect_number_arg(a, file, "the numerator of `ratio`");
                self.expect_number_arg(b, file, "the denominator of `ratio`");
                self.binary_type(BinaryOp::Div, a, b, span, file)
            }
        })
    }
}
