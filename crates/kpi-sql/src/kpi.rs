//! One KPI as SQL: a CTE of its population grouped by (period, group) with the parts of every
//! aggregate over it, CTEs for aggregates over other tables, and its value over those parts.
use crate::agg::AggParts;
use crate::expr::{joins_text, Scope};
use crate::{Gen, Reason};
use kpi_hir::{
    AggSource, BinaryOp, Builtin, Instant, KpiDef, Placement, RowFunc, TExpr, TKind, Type, UnaryOp, Value,
};

/// Microseconds in a UTC day, the key of `q_period_days`.
pub(crate) const DAY_MICROS: &str = "86400000000";

/// What the final SELECT needs of a KPI.
pub(crate) struct KpiSql {
    /// The value (null when undefined or under `min_rows`), over the frame row `f` and the joins.
    pub value: String,
    /// Population rows behind the value.
    pub rows: String,
    /// LEFT JOINs of the KPI's CTEs to the frame row `f`.
    pub joins: Vec<String>,
}

/// The population CTE being built: its FROM scope and the parts of its aggregates.
struct Population {
    scope: Scope,
    select: Vec<String>,
    alias: String,
    joins: Vec<String>,
}

impl Gen<'_> {
    /// KPI number `k` of the scorecard.
    pub(crate) fn kpi(&mut self, k: usize, kpi: &KpiDef, snapshot: bool) -> Result<KpiSql, Reason> {
        // The business tables bring constructs (lifetimes, dates, open rows) not compiled yet.
        let v1_1 = kpi_eval::tables_read(kpi)
            .into_iter()
            .find(|name| kpi_schema::table(name).is_some_and(|t| t.needs_file_when_read));
        if let Some(name) = v1_1 {
            return Err(Reason::not_yet(format!("reading `{name}` (a table of data contract v1.1)")));
        }
        let table = kpi.population.table;
        let alias = format!("q_k{k}");
        let mut pop = Population {
            scope: Scope::new(table, "t", true),
            select: Vec::new(),
            alias: alias.clone(),
            joins: Vec::new(),
        };
        let mut conditions = Vec::new();
        let mut period = "p.p".to_string();
        let mut day_join: Option<String> = None;
        // Wildcard for placements added to the language later: they fail clearly.
        #[allow(unreachable_patterns)]
        let period_join = match &kpi.population.placement {
            Placement::By(column) => {
                let col = table
                    .column(column)
                    .ok_or_else(|| Reason::new(format!("{} has no column `{column}`", table.name)))?;
                // The period of each row by a search over the literal bounds (null outside the
                // range: a group the frame never joins), not a join on the bounds, which engines
                // run as a range join, several times slower; the period's row is joined only
                // when the KPI reads its instants.
                let us = self.d.epoch_us(&format!("t.{}", col.name));
                if self.d.joins_periods_by_day() {
                    let day = self.d.int_div(&us, DAY_MICROS);
                    day_join = Some(format!(
                        "\n  JOIN q_period_days AS p ON p.d = {day} AND {us} >= p.p_start AND {us} < p.p_end"
                    ));
                }
                let which = self.period_of(&us);
                let reads_period =
                    kpi.population.filter.as_ref().is_some_and(uses_period) || uses_period(&kpi.value);
                if let Some(join) = day_join.take() {
                    join
                } else if reads_period {
                    format!("\n  JOIN q_periods AS p ON p.p = {which}")
                } else {
                    period = which;
                    String::new()
                }
            }
            Placement::All => "\n  CROSS JOIN q_periods AS p".to_string(),
            Placement::OpenAt(instant) => {
                let at = if snapshot { self.opts.as_of.to_string() } else { self.instant(*instant, true)? };
                let (created, completed) =
                    (self.d.epoch_us("t.created_at"), self.d.epoch_us("t.completed_at"));
                conditions
                    .push(format!("{created} <= {at} AND (t.completed_at IS NULL OR {completed} > {at})"));
                "\n  CROSS JOIN q_periods AS p".to_string()
            }
            _ => return Err(Reason::not_yet("this placement of rows in periods")),
        };
        if let Some(filter) = &kpi.population.filter {
            let f = self.row(&mut pop.scope, filter)?;
            conditions.push(self.as_bool(&f));
        }
        let value = self.value(&mut pop, &kpi.value)?;
        let key = self.group_key(&mut pop.scope)?;
        let mut group_by = vec![period.clone()];
        group_by.extend(key.group_by.iter().cloned());
        let mut select =
            vec![format!("{period} AS p"), format!("{} AS g_key", key.select), "COUNT(*) AS n".into()];
        select.extend(pop.select.iter().cloned());
        let where_ = if conditions.is_empty() {
            String::new()
        } else {
            format!("\n  WHERE {}", conditions.join("\n    AND "))
        };
        self.ctes.push(format!(
            "{alias} AS (\n  SELECT {}\n  FROM {} AS t{}\n  {period_join}{where_}\n  GROUP BY {}\n)",
            select.join(", "),
            self.table(table),
            joins_text(&pop.scope.joins),
            group_by.join(", ")
        ));
        let rows = format!("COALESCE({alias}.n, 0)");
        let value = match &kpi.min_rows {
            Some(e) => {
                let min =
                    self.const_number(e).ok_or_else(|| Reason::new("a min_rows that is not a number"))?;
                format!("(CASE WHEN {rows} < {} THEN NULL ELSE {value} END)", self.d.num(min))
            }
            None => value,
        };
        let mut joins = vec![format!("LEFT JOIN {alias} ON {alias}.p = f.p AND {alias}.g_key = f.g_key")];
        joins.append(&mut pop.joins);
        Ok(KpiSql { value, rows, joins })
    }

    /// The index of the period holding epoch microseconds `us` (null outside every period): a
    /// binary search over the periods' bounds written as nested CASEs (periods are contiguous).
    fn period_of(&self, us: &str) -> String {
        fn search(us: &str, bounds: &[i64], lo: usize, hi: usize) -> String {
            if hi - lo == 1 {
                return lo.to_string();
            }
            let mid = (lo + hi) / 2;
            format!(
                "CASE WHEN {us} < {} THEN {} ELSE {} END",
                bounds[mid],
                search(us, bounds, lo, mid),
                search(us, bounds, mid, hi)
            )
        }
        let bounds = &self.bounds;
        match (bounds.first(), bounds.last()) {
            (Some(first), Some(last)) if bounds.len() > 1 => format!(
                "(CASE WHEN {us} >= {first} AND {us} < {last} THEN {} END)",
                search(us, bounds, 0, bounds.len() - 1)
            ),
            _ => "CAST(NULL AS INT)".into(),
        }
    }

    pub(crate) fn const_number(&self, e: &TExpr) -> Option<f64> {
        match kpi_hir::eval_const(e, &|name| self.opts.params.value(name)) {
            Some(Value::Number(x)) => Some(x),
            _ => None,
        }
    }

    /// The KPI's value over its aggregates, as a double in the final SELECT (frame row `f`).
    fn value(&mut self, pop: &mut Population, e: &TExpr) -> Result<String, Reason> {
        let d = self.d;
        // Wildcard for expression kinds added to the language later: they fail clearly.
        #[allow(unreachable_patterns)]
        Ok(match &e.kind {
            TKind::Const(Value::Number(x)) => d.num(*x),
            TKind::Const(_) => d.num(f64::NAN),
            TKind::Param(name) => match self.opts.params.value(name) {
                Some(Value::Number(x)) => d.num(x),
                _ => return Err(Reason::new(format!("param `{name}` is not a number"))),
            },
            TKind::Instant(i) => d.cast_double(&match i {
                Instant::AsOf => self.opts.as_of.to_string(),
                Instant::PeriodStart => "f.p_start".into(),
                Instant::PeriodEnd => "f.p_cut".into(),
            }),
            TKind::Builtin(Builtin::Workdays) => "f.workdays".into(),
            TKind::Builtin(Builtin::AvailableHours) => {
                self.available_hours = true;
                format!("(COALESCE(q_avail.hpd, {}) * f.workdays)", d.num(0.0))
            }
            TKind::Unary(UnaryOp::Neg, inner) => format!("(-{})", self.value(pop, inner)?),
            TKind::Binary(op, l, r) => {
                let times = l.ty == Type::Timestamp && r.ty == Type::Timestamp;
                let (a, b) = (self.value(pop, l)?, self.value(pop, r)?);
                match op {
                    BinaryOp::Sub if times => self.time_diff(&a, &b).text,
                    BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div => {
                        self.arith_sql(*op, &a, &b)
                    }
                    _ => return Err(Reason::new("a comparison in a KPI value")),
                }
            }
            TKind::Call(RowFunc::Coalesce, items) => {
                let items = items.iter().map(|i| self.value(pop, i)).collect::<Result<Vec<_>, _>>()?;
                format!("COALESCE({})", items.join(", "))
            }
            TKind::Call(func @ (RowFunc::Abs | RowFunc::Round), items) => {
                let x = self.value(pop, &items[0])?;
                self.func(*func, &crate::expr::Sql { text: x, kind: crate::expr::Kind::Num })?.text
            }
            TKind::Call(func, items) => {
                // The evaluator reads the hour or weekday of an aggregate value in UTC.
                let x = self.value(pop, &items[0])?;
                let us = d.trunc_bigint(&x);
                d.local_part(&us, "UTC", *func == RowFunc::Hour)
            }
            TKind::Aggregate { source, agg, args, filter } => {
                let parts: AggParts;
                match source {
                    AggSource::Population => {
                        let prefix = format!("a{}_", pop.select.len());
                        parts = self.agg_parts(&mut pop.scope, *agg, args, filter.as_deref(), &prefix)?;
                        pop.select.extend(parts.select.iter().cloned());
                        parts.finish(self, &pop.alias)
                    }
                    AggSource::Table(t) => {
                        let per_period = args.iter().chain(filter.as_deref()).any(uses_period);
                        let name = format!("{}_t{}", pop.alias, pop.joins.len());
                        let scope = Scope::new(t, "t", per_period);
                        parts = self.table_aggregate(&name, scope, (*agg, args, filter.as_deref()))?;
                        let on_period =
                            if per_period { format!(" AND {name}.p = f.p") } else { String::new() };
                        pop.joins.push(format!("LEFT JOIN {name} ON {name}.g_key = f.g_key{on_period}"));
                        parts.finish(self, &name)
                    }
                }
            }
            TKind::Script { function, .. } => return Err(self.script(*function)),
            _ => return Err(Reason::new("a row value where the KPI value needs an aggregate")),
        })
    }
}

/// The expression reads `period_start` or `period_end`.
fn uses_period(e: &TExpr) -> bool {
    // Wildcard for expression kinds added to the language later: assumed to read the period.
    #[allow(unreachable_patterns)]
    match &e.kind {
        TKind::Instant(i) => *i != Instant::AsOf,
        TKind::Const(_) | TKind::Param(_) | TKind::Column { .. } | TKind::Custom(_) | TKind::Builtin(_) => {
            false
        }
        TKind::List(items) | TKind::Call(_, items) | TKind::Script { args: items, .. } => {
            items.iter().any(uses_period)
        }
        TKind::Unary(_, inner) | TKind::IsNull { expr: inner, .. } => uses_period(inner),
        TKind::Binary(_, l, r) => uses_period(l) || uses_period(r),
        TKind::Related { args, filter, .. } | TKind::Aggregate { args, filter, .. } => {
            args.iter().any(uses_period) || filter.as_deref().is_some_and(uses_period)
        }
        _ => true,
    }
}
