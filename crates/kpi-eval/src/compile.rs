//! Compiles checked KPIs into plans over the dataset's typed columns: names become column slices,
//! text constants become per-dictionary answers, params become constants. Done once per run.
use crate::kernel::{Arith, Children, Cmp, Node, NumSource, ScriptCall, Via};
use crate::params::Params;
use crate::periods::{local_midnight, period_of, Period, PeriodIndex};
use crate::EvalError;
use kpi_data::{ColumnData, Dataset, TextColumn};
use kpi_hir::{
    AggFunc, AggSource, BinaryOp, Builtin, Grain, Instant, KpiDef, Placement, Population, RowFunc, TExpr,
    TKind, Type, UnaryOp, Value,
};
use kpi_schema::{self as schema, ColumnType, Grouping, TableId, TableSchema};
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Rows of a table bucketed by the period their timestamp falls in.
pub struct Buckets {
    pub offsets: Vec<u32>,
    pub rows: Vec<u32>,
}

impl Buckets {
    /// Rows per period, in row order within each: one parallel pass counts each block's rows per
    /// period, a second writes every block's rows into its own slice of each period.
    fn build(times: &[i64], valid: Option<&[bool]>, periods: &[Period]) -> Buckets {
        const BLOCK: usize = 1 << 16;
        let n = periods.len();
        let index = PeriodIndex::new(periods);
        let blocks = times.len().div_ceil(BLOCK);
        // The rows of block `b` that fall in a period, with the period.
        let in_periods = |b: usize| {
            (b * BLOCK..((b + 1) * BLOCK).min(times.len()))
                .filter(move |&r| valid.is_none_or(|v| v[r]))
                .filter_map(|r| Some((r as u32, index.find(times[r])?)))
        };
        let counts: Vec<Vec<u32>> = (0..blocks)
            .into_par_iter()
            .map(|b| {
                let mut count = vec![0u32; n];
                in_periods(b).for_each(|(_, p)| count[p] += 1);
                count
            })
            .collect();
        let mut offsets = vec![0u32; n + 1];
        for p in 0..n {
            offsets[p + 1] = offsets[p] + counts.iter().map(|c| c[p]).sum::<u32>();
        }
        let mut rows = vec![0u32; offsets[n] as usize];
        // Period-major, block-minor: each block owns one slice of every period.
        let mut slices: Vec<Vec<&mut [u32]>> = (0..blocks).map(|_| Vec::with_capacity(n)).collect();
        let mut rest = rows.as_mut_slice();
        for p in 0..n {
            for (b, count) in counts.iter().enumerate() {
                let (head, tail) = std::mem::take(&mut rest).split_at_mut(count[p] as usize);
                slices[b].push(head);
                rest = tail;
            }
        }
        slices.into_par_iter().enumerate().for_each(|(b, mut slots)| {
            let mut filled = vec![0usize; n];
            for (r, p) in in_periods(b) {
                slots[p][filled[p]] = r;
                filled[p] += 1;
            }
        });
        debug_assert!((0..n).all(|p| rows[offsets[p] as usize..offsets[p + 1] as usize]
            .iter()
            .all(|&r| period_of(periods, times[r as usize]) == Some(p))));
        Buckets { offsets, rows }
    }
}

/// Which rows of the population table a period looks at.
pub enum Rows {
    /// Rows whose timestamp is in the period.
    Bucketed(Arc<Buckets>),
    /// Every row (the filter decides, e.g. with `period_end`).
    All,
    /// Rows open at the instant: `created_at` <= t and (`completed_at` null or > t).
    OpenAt(Instant),
}

pub enum VNode {
    Num(f64),
    Instant(Instant),
    Agg(usize),
    Builtin(Builtin),
    Neg(Box<VNode>),
    Arith(Arith, Box<VNode>, Box<VNode>),
    /// timestamp - timestamp in hours (timestamps are carried as microseconds).
    TimeDiff(Box<VNode>, Box<VNode>),
    Coalesce(Vec<VNode>),
    Func(RowFunc, Box<VNode>),
    /// A rhai function over aggregate values, called once per group.
    Script(Arc<ScriptCall>, Vec<VNode>),
}

pub struct AggPlan<'d> {
    /// `None`: the KPI's population; `Some`: all rows of another table, grouped (or the rows of
    /// `placed`, another KPI's population, when set).
    pub table: Option<(&'static TableSchema, Arc<Vec<u32>>)>,
    /// The population of another KPI whose value this KPI names, in the period.
    pub placed: Option<Arc<Placed<'d>>>,
    pub agg: AggFunc,
    pub args: Vec<Node<'d>>,
    pub filter: Option<Node<'d>>,
}

pub struct KpiPlan<'d> {
    pub table_len: usize,
    pub rows: Rows,
    pub filter: Option<Node<'d>>,
    pub groups: Arc<Vec<u32>>,
    pub aggs: Vec<AggPlan<'d>>,
    pub value: VNode,
    pub min_rows: Option<f64>,
    /// The rhai functions the KPI calls, to collect their errors after the run.
    pub scripts: Vec<Arc<ScriptCall>>,
    /// Columns for `open at`: created, completed.
    pub open_columns: Option<(TimeColumn<'d>, TimeColumn<'d>)>,
}

/// Another KPI's population, for the aggregates of its value named in this KPI's value.
pub struct Placed<'d> {
    pub rows: Rows,
    pub open_columns: Option<(TimeColumn<'d>, TimeColumn<'d>)>,
    pub filter: Option<Node<'d>>,
}

/// A timestamp column's values and null mask.
pub type TimeColumn<'d> = (&'d [i64], Option<&'d [bool]>);

/// Indexes over the dataset that plans share: built once per evaluation, whichever scorecards
/// and KPIs need them (the monthly scorecards bucket the same tables by the same columns).
#[derive(Default)]
pub struct Indexes {
    children: HashMap<(TableId, TableId), Arc<Children>>,
    group_rows: HashMap<(Option<Grouping>, &'static str), Arc<Vec<u32>>>,
    buckets: HashMap<(&'static str, String, Grain), Arc<Buckets>>,
}

/// Compiles one scorecard's KPIs; its periods and groups are the scorecard's.
pub struct Compiler<'d> {
    pub dataset: &'d Dataset,
    pub params: &'d Params,
    pub tz: chrono_tz::Tz,
    grain: Grain,
    pub periods: &'d [Period],
    pub groups: &'d crate::groups::Groups,
    indexes: Indexes,
    /// The KPI being compiled, for error messages.
    kpi: String,
    functions: &'d [kpi_hir::FunctionDef],
    /// The rhai functions the KPI being compiled calls, one call site state per function.
    scripts: Vec<(usize, Arc<ScriptCall>)>,
    /// The script time each KPI may spend in the run, and the budget of the KPI being compiled.
    script_budget: Duration,
    budget: Arc<kpi_script::Budget>,
    /// While compiling the value of a KPI named in another's value: that KPI's population.
    pub(crate) placed: Option<Arc<Placed<'d>>>,
}

impl<'d> Compiler<'d> {
    /// A compiler for a scorecard of `grain` over `periods` and `groups`, reusing `indexes`
    /// (given back by [`Compiler::into_indexes`]).
    pub fn new(
        dataset: &'d Dataset,
        params: &'d Params,
        (grain, periods): (Grain, &'d [Period]),
        groups: &'d crate::groups::Groups,
        functions: &'d [kpi_hir::FunctionDef],
        indexes: Indexes,
        script_budget: Duration,
    ) -> Compiler<'d> {
        Compiler {
            dataset,
            params,
            tz: dataset.timezone,
            grain,
            periods,
            groups,
            indexes,
            kpi: String::new(),
            functions,
            scripts: Vec::new(),
            script_budget,
            budget: Arc::new(kpi_script::Budget::new(script_budget)),
            placed: None,
        }
    }

    pub fn into_indexes(self) -> Indexes {
        self.indexes
    }

    fn script(&mut self, function: usize) -> Arc<ScriptCall> {
        if let Some((_, call)) = self.scripts.iter().find(|(f, _)| *f == function) {
            return call.clone();
        }
        let script = self.functions[function].script.clone();
        let call = Arc::new(ScriptCall {
            declared_at: script.declared_at(),
            script,
            error: Default::default(),
            budget: self.budget.clone(),
        });
        self.scripts.push((function, call.clone()));
        call
    }

    fn error(&self, message: impl Into<String>) -> EvalError {
        EvalError::Plan { kpi: self.kpi.clone(), message: message.into() }
    }

    fn group_rows(&mut self, table: &'static TableSchema) -> Arc<Vec<u32>> {
        let (dataset, groups) = (self.dataset, self.groups);
        self.indexes
            .group_rows
            .entry((groups.grouping, table.name))
            .or_insert_with(|| Arc::new(crate::groups::row_groups(dataset, table.id, groups)))
            .clone()
    }

    fn buckets(&mut self, table: &'static TableSchema, column: &str) -> Result<Arc<Buckets>, EvalError> {
        let key = (table.name, column.to_string(), self.grain);
        if let Some(b) = self.indexes.buckets.get(&key) {
            return Ok(b.clone());
        }
        let col = self
            .dataset
            .table(table.id)
            .column(column)
            .ok_or_else(|| self.error(format!("{} has no column `{column}`", table.name)))?;
        let ColumnData::Timestamp(values) = &col.data else {
            return Err(self.error(format!("`{}.{column}` is not a timestamp column", table.name)));
        };
        let b = Arc::new(Buckets::build(values, col.valid.as_deref(), self.periods));
        self.indexes.buckets.insert(key, b.clone());
        Ok(b)
    }

    fn children(&mut self, parent: TableId, child: TableId, link: &'static str) -> Arc<Children> {
        let dataset = self.dataset;
        self.indexes
            .children
            .entry((parent, child))
            .or_insert_with(|| {
                Arc::new(Children::build(dataset.table(parent).len, dataset.link_rows(child, link)))
            })
            .clone()
    }

    pub fn kpi(&mut self, kpi: &KpiDef) -> Result<KpiPlan<'d>, EvalError> {
        self.kpi = kpi.id.clone();
        self.scripts.clear();
        // One budget per KPI per run, shared by all its functions, periods and threads.
        self.budget = Arc::new(kpi_script::Budget::new(self.script_budget));
        let table = kpi.population.table;
        let data = self.dataset.table(table.id);
        let Placed { rows, open_columns, filter } = self.population(&kpi.population)?;
        let mut aggs = Vec::new();
        let value = self.value(&kpi.value, table, &mut aggs)?;
        let min_rows = match &kpi.min_rows {
            Some(e) => Some(self.const_number(e)?),
            None => None,
        };
        Ok(KpiPlan {
            table_len: data.len,
            rows,
            filter,
            groups: self.group_rows(table),
            aggs,
            value,
            min_rows,
            scripts: self.scripts.drain(..).map(|(_, call)| call).collect(),
            open_columns,
        })
    }

    /// The rows of a population: bucketed by a timestamp, open at an instant, or all; its filter.
    pub(crate) fn population(&mut self, population: &Population) -> Result<Placed<'d>, EvalError> {
        let table = population.table;
        let data = self.dataset.table(table.id);
        let mut open_columns = None;
        let mut open_filter = None;
        let rows = match &population.placement {
            Placement::All => Rows::All,
            Placement::By(column) => Rows::Bucketed(self.buckets(table, column)?),
            Placement::OpenAt(instant) => {
                let life =
                    table.lifetime.ok_or_else(|| self.error(format!("{} rows never open", table.name)))?;
                let times = |name: &str| match data.column(name) {
                    Some(c) => match &c.data {
                        ColumnData::Timestamp(v) => Some((v.as_slice(), c.valid.as_deref())),
                        _ => None,
                    },
                    None => None,
                };
                let inclusive_end = table.column(life.end).is_some_and(|c| c.ty == ColumnType::Date);
                match (times(life.start), times(life.end)) {
                    (Some(start), Some(end)) if !inclusive_end => {
                        open_columns = Some((start, end));
                        Rows::OpenAt(*instant)
                    }
                    // An inclusive end date: a filter over every row (the engine still narrows
                    // the rows of each period by its bounds).
                    (Some(_), Some(_)) => {
                        open_filter = Some(self.open_node(table, || Node::Instant(*instant))?);
                        Rows::All
                    }
                    _ => {
                        return Err(
                            self.error(format!("{} has no {} and {}", table.name, life.start, life.end))
                        )
                    }
                }
            }
        };
        let filter = population.filter.as_ref().map(|f| self.row(f, table)).transpose()?;
        let filter = match (open_filter, filter) {
            (Some(open), Some(f)) => Some(Node::And(Box::new(open), Box::new(f))),
            (open, f) => open.or(f),
        };
        Ok(Placed { rows, open_columns, filter })
    }

    pub fn const_number(&self, e: &TExpr) -> Result<f64, EvalError> {
        match kpi_hir::eval_const(e, &|name| self.params.value(name)) {
            Some(Value::Number(x)) => Ok(x),
            _ => Err(self.error("a target, weight or min_rows that is not a number")),
        }
    }

    fn value(
        &mut self,
        e: &TExpr,
        table: &'static TableSchema,
        aggs: &mut Vec<AggPlan<'d>>,
    ) -> Result<VNode, EvalError> {
        Ok(match &e.kind {
            TKind::Const(Value::Number(x)) => VNode::Num(*x),
            TKind::Const(_) => VNode::Num(f64::NAN),
            TKind::Param(name) => match self.params.value(name) {
                Some(Value::Number(x)) => VNode::Num(x),
                _ => return Err(self.error(format!("param `{name}` is not a number"))),
            },
            TKind::Instant(i) => VNode::Instant(*i),
            TKind::Builtin(b) => VNode::Builtin(*b),
            TKind::Unary(UnaryOp::Neg, inner) => VNode::Neg(Box::new(self.value(inner, table, aggs)?)),
            TKind::Binary(op, l, r) => {
                let is_time = |t: &Type| matches!(t, Type::Timestamp | Type::Date);
                let times = is_time(&l.ty) && is_time(&r.ty);
                let (lv, rv) = (self.value(l, table, aggs)?, self.value(r, table, aggs)?);
                match (op, times) {
                    (BinaryOp::Sub, true) => VNode::TimeDiff(Box::new(lv), Box::new(rv)),
                    _ => VNode::Arith(
                        arith(*op).ok_or_else(|| self.error("a comparison in a KPI value"))?,
                        Box::new(lv),
                        Box::new(rv),
                    ),
                }
            }
            TKind::Call(RowFunc::Coalesce, items) => {
                VNode::Coalesce(items.iter().map(|i| self.value(i, table, aggs)).collect::<Result<_, _>>()?)
            }
            TKind::Call(func, items) => VNode::Func(*func, Box::new(self.value(&items[0], table, aggs)?)),
            TKind::Aggregate { source, agg, args, filter } => {
                let (row_table, grouped, placed) = match (source, self.placed.clone()) {
                    (AggSource::Population, None) => (table, None, None),
                    (AggSource::Population, Some(p)) => {
                        (table, Some((table, self.group_rows(table))), Some(p))
                    }
                    (AggSource::Table(t), _) => (*t, Some((*t, self.group_rows(t))), None),
                };
                let plan = AggPlan {
                    table: grouped,
                    placed,
                    agg: *agg,
                    args: args.iter().map(|a| self.row(a, row_table)).collect::<Result<_, _>>()?,
                    filter: filter.as_ref().map(|f| self.row(f, row_table)).transpose()?,
                };
                aggs.push(plan);
                VNode::Agg(aggs.len() - 1)
            }
            TKind::Script { function, args } => {
                let call = self.script(*function);
                VNode::Script(
                    call,
                    args.iter().map(|a| self.value(a, table, aggs)).collect::<Result<_, _>>()?,
                )
            }
            TKind::KpiValue { population, value, .. } => {
                let placed = Arc::new(self.population(population)?);
                let outer = self.placed.replace(placed);
                let v = self.value(value, population.table, aggs);
                self.placed = outer;
                v?
            }
            _ => return Err(self.error("a row value where the KPI value needs an aggregate")),
        })
    }

    /// A constant (literal or param) as a row node.
    fn constant(&self, v: &Value, ty: &Type) -> Result<Node<'d>, EvalError> {
        Ok(match v {
            Value::Number(x) => Node::Num(*x),
            Value::Bool(b) => Node::Bool(*b),
            Value::Text(s) => Node::Text(s.clone()),
            Value::Date(d) => {
                let date = d.parse().map_err(|_| self.error(format!("`{d}` is not a date")))?;
                Node::Time(local_midnight(date, self.tz))
            }
            Value::Null => match ty {
                Type::Timestamp | Type::Date => Node::Time(crate::kernel::NULL_TIME),
                _ => Node::Num(f64::NAN),
            },
            Value::List(_) => return Err(self.error("a list outside `in`")),
        })
    }

    /// A constant's value, for `in` lists and text tests.
    fn const_value(&self, e: &TExpr) -> Option<Value> {
        match &e.kind {
            TKind::Const(v) => Some(v.clone()),
            TKind::Param(name) => self.params.value(name),
            TKind::List(items) => {
                items.iter().map(|i| self.const_value(i)).collect::<Option<Vec<_>>>().map(Value::List)
            }
            _ => None,
        }
    }

    pub fn row(&mut self, e: &TExpr, table: &'static TableSchema) -> Result<Node<'d>, EvalError> {
        Ok(match &e.kind {
            TKind::Const(v) => self.constant(v, &e.ty)?,
            TKind::Param(name) => {
                let v = self.params.value(name).ok_or_else(|| self.error(format!("no param `{name}`")))?;
                self.constant(&v, &e.ty)?
            }
            TKind::Instant(i) => Node::Instant(*i),
            TKind::Column { links, column } => {
                let mut via = Via { links: Vec::new() };
                let mut here = table;
                for link in links {
                    via.links.push(self.dataset.link_rows(here.id, link.name));
                    here = schema::table(link.table).expect("link target");
                }
                let col =
                    self.dataset.table(here.id).column(column.name).ok_or_else(|| {
                        self.error(format!("{} has no column `{}`", here.name, column.name))
                    })?;
                let node = column_node(&col.data, col.valid.as_deref(), via);
                if here.id == schema::columns::RESOURCE_COST_PER_HOUR.table
                    && column.name == schema::columns::RESOURCE_COST_PER_HOUR.name
                {
                    // A resource without a cost takes the param (0 when no rule declares it).
                    let default = match self.params.value(kpi_hir::DEFAULT_COST_PER_HOUR) {
                        Some(Value::Number(x)) => x,
                        _ => 0.0,
                    };
                    Node::Coalesce(vec![node, Node::Num(default)])
                } else {
                    node
                }
            }
            TKind::Custom(name) => {
                let data = self.dataset.table(table.id);
                let col = data.column(name).filter(|c| c.custom).ok_or_else(|| {
                    let customs: Vec<&str> =
                        data.columns.iter().filter(|c| c.custom).map(|c| c.name.as_str()).collect();
                    self.error(format!(
                        "custom(\"{name}\"): {} has no extra column `{name}` (its extra columns: {})",
                        table.name,
                        if customs.is_empty() { "none".to_string() } else { customs.join(", ") }
                    ))
                })?;
                let fits = matches!(
                    (&e.ty, col.data.ty()),
                    (Type::Bool, ColumnType::Bool)
                        | (Type::Text, ColumnType::Text)
                        | (Type::Number(_), ColumnType::Number | ColumnType::Int)
                        | (Type::Timestamp, ColumnType::Timestamp)
                );
                if !fits {
                    let wanted = match &e.ty {
                        Type::Bool => "bool",
                        Type::Number(_) => "number",
                        Type::Timestamp => "timestamp",
                        _ => "text",
                    };
                    return Err(self.error(format!(
                        "custom(\"{name}\", {wanted}): {}.{name} is loaded as {}; declare it in the profile: [{}.extra] {name} = {{ type = \"{wanted}\" }}",
                        table.name,
                        col.data.ty(),
                        table.name
                    )));
                }
                column_node(&col.data, col.valid.as_deref(), Via { links: Vec::new() })
            }
            TKind::List(_) => return Err(self.error("a list outside `in`")),
            TKind::Unary(UnaryOp::Not, inner) => Node::Not(Box::new(self.row(inner, table)?)),
            TKind::Unary(UnaryOp::Neg, inner) => Node::Neg(Box::new(self.row(inner, table)?)),
            TKind::IsNull { expr, negated } => {
                let node = Node::IsNull(Box::new(self.row(expr, table)?));
                if *negated {
                    Node::Not(Box::new(node))
                } else {
                    node
                }
            }
            TKind::Binary(op, l, r) => self.binary(*op, l, r, table)?,
            TKind::Call(RowFunc::Coalesce, items) => {
                Node::Coalesce(items.iter().map(|i| self.row(i, table)).collect::<Result<_, _>>()?)
            }
            TKind::Call(RowFunc::OpenAt, items) => {
                let at = &items[0];
                let mut compile_at = || self.row(at, table);
                let (a, b) = (compile_at()?, compile_at()?);
                let mut instants = [Some(a), Some(b)].into_iter();
                self.open_node(table, || instants.next().flatten().expect("two instants"))?
            }
            TKind::Call(func, items) => Node::Func(*func, Box::new(self.row(&items[0], table)?)),
            TKind::Related { relation, agg, args, filter } => {
                let child = relation.child.schema();
                Node::Related {
                    children: self.children(relation.parent, relation.child, relation.link.name),
                    agg: *agg,
                    args: args.iter().map(|a| self.row(a, child)).collect::<Result<_, _>>()?,
                    filter: filter.as_ref().map(|f| self.row(f, child).map(Box::new)).transpose()?,
                }
            }
            TKind::Script { function, args } => {
                let call = self.script(*function);
                Node::Script(call, args.iter().map(|a| self.row(a, table)).collect::<Result<_, _>>()?)
            }
            TKind::Aggregate { .. } | TKind::Builtin(_) | TKind::KpiValue { .. } => {
                return Err(self.error("an aggregate where a row value is needed"))
            }
        })
    }

    fn binary(
        &mut self,
        op: BinaryOp,
        l: &TExpr,
        r: &TExpr,
        table: &'static TableSchema,
    ) -> Result<Node<'d>, EvalError> {
        use BinaryOp as B;
        let not = |n: Node<'d>| Node::Not(Box::new(n));
        let is_time = |t: &Type| matches!(t, Type::Timestamp | Type::Date);
        Ok(match op {
            B::And => Node::And(Box::new(self.row(l, table)?), Box::new(self.row(r, table)?)),
            B::Or => Node::Or(Box::new(self.row(l, table)?), Box::new(self.row(r, table)?)),
            B::Ne => not(self.binary(B::Eq, l, r, table)?),
            B::NotIn => not(self.binary(B::In, l, r, table)?),
            B::Eq | B::Lt | B::Le | B::Gt | B::Ge | B::StartsWith | B::EndsWith | B::Contains
                if l.ty == Type::Text || r.ty == Type::Text =>
            {
                self.text_test(op, l, r, table)?
            }
            B::Eq | B::Lt | B::Le | B::Gt | B::Ge => {
                let cmp = cmp(op);
                let (a, b) = (Box::new(self.row(l, table)?), Box::new(self.row(r, table)?));
                if is_time(&l.ty) || is_time(&r.ty) {
                    Node::TimeCmp(cmp, a, b)
                } else if l.ty == Type::Bool {
                    Node::BoolEq(a, b)
                } else {
                    Node::NumCmp(cmp, a, b)
                }
            }
            B::In => match self.const_value(r) {
                Some(Value::List(items)) if l.ty == Type::Text => {
                    let wanted: Vec<String> = items
                        .into_iter()
                        .filter_map(|v| if let Value::Text(s) = v { Some(s) } else { None })
                        .collect();
                    let text = self.row(l, table)?;
                    self.text_match(text, |s| wanted.iter().any(|w| w == s))?
                }
                Some(Value::List(items)) => {
                    let numbers = items
                        .into_iter()
                        .filter_map(|v| if let Value::Number(x) = v { Some(x) } else { None })
                        .collect();
                    Node::NumIn(Box::new(self.row(l, table)?), numbers)
                }
                _ => return Err(self.error("`in` needs a constant list on its right")),
            },
            B::Add | B::Sub | B::Mul | B::Div => {
                let (a, b) = (self.row(l, table)?, self.row(r, table)?);
                let sign = if op == B::Sub { -1.0 } else { 1.0 };
                match (&l.ty, &r.ty) {
                    // Whole calendar days between two dates, whatever the clocks did in between.
                    (Type::Date, Type::Date) => {
                        let days = Node::NumArith(
                            Arith::Div,
                            Box::new(Node::TimeDiff(Box::new(a), Box::new(b))),
                            Box::new(Node::Num(24.0)),
                        );
                        let days = Node::Func(RowFunc::Round, Box::new(days));
                        Node::NumArith(Arith::Mul, Box::new(days), Box::new(Node::Num(24.0)))
                    }
                    (Type::Date, Type::Number(_)) => {
                        Node::DateShift { date: Box::new(a), hours: Box::new(b), sign }
                    }
                    (Type::Number(_), Type::Date) => {
                        Node::DateShift { date: Box::new(b), hours: Box::new(a), sign: 1.0 }
                    }
                    (Type::Timestamp | Type::Date, Type::Timestamp | Type::Date) => {
                        Node::TimeDiff(Box::new(a), Box::new(b))
                    }
                    (Type::Timestamp, _) => Node::TimeShift {
                        time: Box::new(a),
                        hours: Box::new(b),
                        sign: if op == B::Sub { -1.0 } else { 1.0 },
                    },
                    (_, Type::Timestamp) => {
                        Node::TimeShift { time: Box::new(b), hours: Box::new(a), sign: 1.0 }
                    }
                    _ => Node::NumArith(arith(op).expect("arithmetic operator"), Box::new(a), Box::new(b)),
                }
            }
            B::StartsWith | B::EndsWith | B::Contains => {
                return Err(self.error("a string test on a value that is not text"))
            }
        })
    }

    /// A text test: against a constant it becomes one answer per dictionary code.
    fn text_test(
        &mut self,
        op: BinaryOp,
        l: &TExpr,
        r: &TExpr,
        table: &'static TableSchema,
    ) -> Result<Node<'d>, EvalError> {
        use BinaryOp as B;
        let (column_side, constant, flipped) = match (self.const_value(l), self.const_value(r)) {
            (_, Some(Value::Text(s))) => (l, s, false),
            (Some(Value::Text(s)), _) => (r, s, true),
            _ => {
                // Both sides vary per row: compare the strings.
                let (a, b) = (Box::new(self.row(l, table)?), Box::new(self.row(r, table)?));
                return match op {
                    B::Eq | B::Lt | B::Le | B::Gt | B::Ge => Ok(Node::TextCmp(cmp(op), a, b)),
                    _ => Err(self.error("string tests need a constant text on the right")),
                };
            }
        };
        let text = self.row(column_side, table)?;
        let op = if flipped {
            match op {
                B::Lt => B::Gt,
                B::Le => B::Ge,
                B::Gt => B::Lt,
                B::Ge => B::Le,
                B::StartsWith | B::EndsWith | B::Contains => {
                    return Err(self.error("a string test needs the constant on its right"))
                }
                other => other,
            }
        } else {
            op
        };
        let c = constant.as_str();
        self.text_match(text, |s: &str| match op {
            B::Eq => s == c,
            B::Lt => s < c,
            B::Le => s <= c,
            B::Gt => s > c,
            B::Ge => s >= c,
            B::StartsWith => s.starts_with(c),
            B::EndsWith => s.ends_with(c),
            B::Contains => s.contains(c),
            _ => false,
        })
    }

    fn text_match(&self, text: Node<'d>, test: impl Fn(&str) -> bool) -> Result<Node<'d>, EvalError> {
        let dict: &TextColumn = match &text {
            Node::TextCol { column, .. } => column,
            Node::Text(s) => return Ok(Node::Bool(test(s))),
            _ => return Err(self.error("a text test on a computed text; test a text field directly")),
        };
        let answers = dict.dict.iter().map(test).collect();
        Ok(Node::TextMatch { text: Box::new(text), answers })
    }
}

impl<'d> Compiler<'d> {
    /// A row of `table` is open at an instant (`at()` gives it, twice): started at or before it,
    /// and not ended by it; an end date is inclusive, so it ends at the next local midnight.
    fn open_node(
        &self,
        table: &'static TableSchema,
        mut at: impl FnMut() -> Node<'d>,
    ) -> Result<Node<'d>, EvalError> {
        let life = table.lifetime.ok_or_else(|| self.error(format!("{} rows never open", table.name)))?;
        let data = self.dataset.table(table.id);
        let column = |name: &str| {
            let col = data
                .column(name)
                .ok_or_else(|| self.error(format!("{} has no column `{name}`", table.name)))?;
            Ok::<_, EvalError>(column_node(&col.data, col.valid.as_deref(), Via { links: Vec::new() }))
        };
        let started = Node::TimeCmp(Cmp::Le, Box::new(column(life.start)?), Box::new(at()));
        let mut end = column(life.end)?;
        if table.column(life.end).is_some_and(|c| c.ty == ColumnType::Date) {
            end = Node::DateShift { date: Box::new(end), hours: Box::new(Node::Num(24.0)), sign: 1.0 };
        }
        let not_ended = Node::Or(
            Box::new(Node::IsNull(Box::new(column(life.end)?))),
            Box::new(Node::TimeCmp(Cmp::Gt, Box::new(end), Box::new(at()))),
        );
        Ok(Node::And(Box::new(started), Box::new(not_ended)))
    }
}

fn column_node<'d>(data: &'d ColumnData, valid: Option<&'d [bool]>, via: Via<'d>) -> Node<'d> {
    match data {
        ColumnData::Number(v) => Node::NumCol { via, values: NumSource::F64(v), valid },
        ColumnData::Int(v) => Node::NumCol { via, values: NumSource::I64(v), valid },
        ColumnData::Bool(v) => Node::BoolCol { via, values: v, valid },
        ColumnData::Timestamp(v) => Node::TimeCol { via, values: v, valid },
        ColumnData::Text(t) => Node::TextCol { via, column: t },
    }
}

fn cmp(op: BinaryOp) -> Cmp {
    match op {
        BinaryOp::Lt => Cmp::Lt,
        BinaryOp::Le => Cmp::Le,
        BinaryOp::Gt => Cmp::Gt,
        BinaryOp::Ge => Cmp::Ge,
        _ => Cmp::Eq,
    }
}

fn arith(op: BinaryOp) -> Option<Arith> {
    Some(match op {
        BinaryOp::Add => Arith::Add,
        BinaryOp::Sub => Arith::Sub,
        BinaryOp::Mul => Arith::Mul,
        BinaryOp::Div => Arith::Div,
        _ => return None,
    })
}
