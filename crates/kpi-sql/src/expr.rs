//! Row expressions of the checked program as SQL over one FROM clause, with the evaluator's null
//! rules: predicates are two-valued (a comparison with a null is false), x / 0 is null, numbers
//! are doubles, timestamps epoch microseconds (BIGINT), text compared byte for byte.
use crate::{Gen, Reason};
use kpi_hir::{AggFunc, BinaryOp, Instant, RowFunc, TExpr, TKind, Type, UnaryOp, Value};
use kpi_schema::{ColumnDefault, ColumnSchema, ColumnType, Link, TableSchema};

/// What an SQL fragment holds, as the evaluator's `Values`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Num,
    Time,
    Bool,
    Text,
}

/// An SQL fragment and what it holds. `Bool` fragments are never null.
#[derive(Debug, Clone)]
pub(crate) struct Sql {
    pub text: String,
    pub kind: Kind,
}

impl Sql {
    fn new(text: impl Into<String>, kind: Kind) -> Sql {
        Sql { text: text.into(), kind }
    }
}

const MICROS_PER_HOUR: f64 = 3_600_000_000.0;

/// One FROM clause being built: a table, the many-to-one links and related aggregates its
/// expressions reach (LEFT JOINs, in the order found), and whether a period row `p` is in scope.
pub(crate) struct Scope {
    pub table: &'static TableSchema,
    pub alias: String,
    pub joins: Vec<String>,
    joined: Vec<String>,
    pub period: bool,
}

impl Scope {
    pub fn new(table: &'static TableSchema, alias: &str, period: bool) -> Scope {
        Scope { table, alias: alias.into(), joins: Vec::new(), joined: Vec::new(), period }
    }

    /// The alias of the row reached from the scope's row through `links` (by link name), joined.
    pub fn follow(
        &mut self,
        gen: &Gen,
        links: &[&'static str],
    ) -> Result<(String, &'static TableSchema), Reason> {
        let (mut alias, mut here) = (self.alias.clone(), self.table);
        for name in links {
            let link =
                here.link(name).ok_or_else(|| Reason::new(format!("{} has no link `{name}`", here.name)))?;
            let next = format!("{alias}_{name}");
            let target = kpi_schema::table(link.table).expect("links name tables");
            if !self.joined.contains(&next) {
                self.joins.push(format!(
                    "LEFT JOIN {} AS {next} ON {next}.id = {alias}.{}",
                    gen.table(target),
                    link.column
                ));
                self.joined.push(next.clone());
            }
            (alias, here) = (next, target);
        }
        Ok((alias, here))
    }

    fn follow_links(
        &mut self,
        gen: &Gen,
        links: &[&'static Link],
    ) -> Result<(String, &'static TableSchema), Reason> {
        let names: Vec<&'static str> = links.iter().map(|l| l.name).collect();
        self.follow(gen, &names)
    }

    pub fn add_join(&mut self, join: String) {
        self.joins.push(join);
    }
}

impl Gen<'_> {
    /// A column read through `links`, typed as the evaluator holds it: defaults in place of nulls
    /// (as the loader fills them), numbers as doubles, timestamps as epoch microseconds.
    fn column(
        &self,
        scope: &mut Scope,
        links: &[&'static Link],
        column: &ColumnSchema,
    ) -> Result<Sql, Reason> {
        let (alias, _) = scope.follow_links(self, links)?;
        let raw = format!("{alias}.{}", column.name);
        let filled = match column.default {
            None => raw.clone(),
            Some(default) => {
                let value = match default {
                    ColumnDefault::Int(i) => i.to_string(),
                    ColumnDefault::Number(x) => self.d.num(x),
                    ColumnDefault::Bool(b) => bool_lit(b).into(),
                };
                let filled = format!("COALESCE({raw}, {value})");
                if links.is_empty() {
                    filled
                } else {
                    // A missing linked row is null, whatever the column's default.
                    format!("(CASE WHEN {alias}.id IS NULL THEN NULL ELSE {filled} END)")
                }
            }
        };
        // Wildcard for column types added to the schema later: they fail clearly.
        #[allow(unreachable_patterns)]
        Ok(match column.ty {
            ColumnType::Text => Sql::new(filled, Kind::Text),
            ColumnType::Int | ColumnType::Number => Sql::new(self.d.cast_double(&filled), Kind::Num),
            ColumnType::Bool => Sql::new(format!("COALESCE({filled}, FALSE)"), Kind::Bool),
            ColumnType::Timestamp => Sql::new(self.d.epoch_us(&filled), Kind::Time),
            other => return Err(Reason::not_yet(format!("a column of type {other}"))),
        })
    }

    fn constant(&self, v: &Value, ty: &Type) -> Result<Sql, Reason> {
        Ok(match v {
            Value::Number(x) => Sql::new(self.d.num(*x), Kind::Num),
            Value::Bool(b) => Sql::new(bool_lit(*b), Kind::Bool),
            Value::Text(s) => Sql::new(self.d.text(s), Kind::Text),
            Value::Date(d) => {
                let date: chrono::NaiveDate =
                    d.parse().map_err(|_| Reason::new(format!("`{d}` is not a date")))?;
                Sql::new(kpi_eval::periods::local_midnight(date, self.opts.timezone).to_string(), Kind::Time)
            }
            Value::Null => match ty {
                Type::Timestamp | Type::Date => Sql::new("CAST(NULL AS BIGINT)", Kind::Time),
                Type::Text => Sql::new(format!("CAST(NULL AS {})", self.d.text_type()), Kind::Text),
                _ => Sql::new(self.d.num(f64::NAN), Kind::Num),
            },
            Value::List(_) => return Err(Reason::new("a list outside `in`")),
        })
    }

    /// A constant's value (literal or param), for `in` lists and text tests.
    pub(crate) fn const_value(&self, e: &TExpr) -> Option<Value> {
        match &e.kind {
            TKind::Const(v) => Some(v.clone()),
            TKind::Param(name) => self.opts.params.value(name),
            TKind::List(items) => {
                items.iter().map(|i| self.const_value(i)).collect::<Option<Vec<_>>>().map(Value::List)
            }
            _ => None,
        }
    }

    /// An instant of the period being evaluated, as epoch microseconds.
    pub(crate) fn instant(&self, i: Instant, period: bool) -> Result<String, Reason> {
        match i {
            Instant::AsOf => Ok(self.opts.as_of.to_string()),
            _ if !period => Err(Reason::not_yet(format!(
                "`{}` in an aggregate that is not per period (over related rows or another table)",
                i.name()
            ))),
            Instant::PeriodStart => Ok("p.p_start".into()),
            Instant::PeriodEnd => Ok("p.p_cut".into()),
        }
    }

    /// A row expression over `scope`'s row.
    pub(crate) fn row(&mut self, scope: &mut Scope, e: &TExpr) -> Result<Sql, Reason> {
        // Wildcard for expression kinds added to the language later: they fail clearly.
        #[allow(unreachable_patterns)]
        Ok(match &e.kind {
            TKind::Const(v) => self.constant(v, &e.ty)?,
            TKind::Param(name) => {
                let v =
                    self.opts.params.value(name).ok_or_else(|| Reason::new(format!("no param `{name}`")))?;
                self.constant(&v, &e.ty)?
            }
            TKind::Instant(i) => Sql::new(self.instant(*i, scope.period)?, Kind::Time),
            TKind::Column { links, column } => self.column(scope, links, column)?,
            TKind::Custom(name) => {
                let raw = format!("{}.{}", scope.alias, self.d.ident(name));
                match e.ty {
                    Type::Text => Sql::new(raw, Kind::Text),
                    Type::Bool => Sql::new(format!("COALESCE({raw}, FALSE)"), Kind::Bool),
                    Type::Timestamp => Sql::new(self.d.epoch_us(&raw), Kind::Time),
                    _ => Sql::new(self.d.cast_double(&raw), Kind::Num),
                }
            }
            TKind::List(_) => return Err(Reason::new("a list outside `in`")),
            TKind::Unary(UnaryOp::Not, inner) => {
                let b = self.row(scope, inner)?;
                Sql::new(format!("(NOT {})", self.as_bool(&b)), Kind::Bool)
            }
            TKind::Unary(UnaryOp::Neg, inner) => {
                let n = self.row(scope, inner)?;
                Sql::new(format!("(-{})", self.as_num(&n)), Kind::Num)
            }
            TKind::IsNull { expr, negated } => {
                let test = self.is_null(scope, expr)?;
                Sql::new(if *negated { format!("(NOT {test})") } else { test }, Kind::Bool)
            }
            TKind::Binary(op, l, r) => self.binary(scope, *op, l, r)?,
            TKind::Call(RowFunc::Coalesce, items) => {
                let parts = items.iter().map(|i| self.row(scope, i)).collect::<Result<Vec<_>, _>>()?;
                self.coalesce(parts)
            }
            TKind::Call(func, items) => {
                let arg = self.row(scope, &items[0])?;
                self.func(*func, &arg)?
            }
            TKind::Related { relation, agg, args, filter } => {
                self.related(scope, relation, *agg, args, filter.as_deref())?
            }
            TKind::Script { function, .. } => return Err(self.script(*function)),
            TKind::Aggregate { .. } | TKind::Builtin(_) => {
                return Err(Reason::new("an aggregate where a row value is needed"))
            }
            _ => return Err(Reason::not_yet("this kind of expression")),
        })
    }

    pub(crate) fn script(&self, function: usize) -> Reason {
        let name = self.functions.get(function).map_or("?", |f| f.name.as_str());
        Reason::new(format!(
            "it calls the rhai function `{name}`, which SQL engines cannot run (evaluate it with the native engine, or leave it out with --skip-uncompilable)"
        ))
    }

    fn is_null(&mut self, scope: &mut Scope, e: &TExpr) -> Result<String, Reason> {
        // A boolean column is null where its cell is (computed booleans never are).
        if let TKind::Column { links, column } = &e.kind {
            if column.ty == ColumnType::Bool {
                if column.default.is_some() && links.is_empty() {
                    return Ok(bool_lit(false).into());
                }
                let (alias, _) = scope.follow_links(self, links)?;
                return Ok(format!("({alias}.{} IS NULL)", column.name));
            }
        }
        let v = self.row(scope, e)?;
        Ok(match v.kind {
            Kind::Bool => bool_lit(false).into(),
            _ => format!("({} IS NULL)", v.text),
        })
    }

    pub(crate) fn as_num(&self, s: &Sql) -> String {
        match s.kind {
            Kind::Num => s.text.clone(),
            Kind::Time => self.d.cast_double(&s.text),
            Kind::Bool => {
                format!("(CASE WHEN {} THEN {} ELSE {} END)", s.text, self.d.num(1.0), self.d.num(0.0))
            }
            Kind::Text => self.d.num(f64::NAN),
        }
    }

    /// As a filter reads a value: a number is true when neither zero nor null; a timestamp or
    /// a text never is.
    pub(crate) fn as_bool(&self, s: &Sql) -> String {
        match s.kind {
            Kind::Bool => s.text.clone(),
            Kind::Num => format!("COALESCE({} <> 0, FALSE)", s.text),
            Kind::Time | Kind::Text => bool_lit(false).into(),
        }
    }

    /// As a counted condition reads a value (`count(x)`, `share(x)`): true when its number is
    /// neither zero nor null (a timestamp counts as its microseconds).
    pub(crate) fn truthy(&self, s: &Sql) -> String {
        match s.kind {
            Kind::Bool => s.text.clone(),
            _ => format!("COALESCE({} <> 0, FALSE)", self.as_num(s)),
        }
    }

    fn as_time(&self, s: &Sql) -> String {
        match s.kind {
            Kind::Time => s.text.clone(),
            Kind::Num => self.d.trunc_bigint(&s.text),
            Kind::Bool | Kind::Text => "CAST(NULL AS BIGINT)".into(),
        }
    }

    fn coalesce(&self, parts: Vec<Sql>) -> Sql {
        let kind = parts[0].kind;
        if kind == Kind::Bool {
            // Computed booleans are never null: the first wins.
            return parts.into_iter().next().expect("coalesce has arguments");
        }
        let items: Vec<String> = parts
            .iter()
            .map(|p| match kind {
                Kind::Num => self.as_num(p),
                Kind::Time => self.as_time(p),
                _ if p.kind == Kind::Text => p.text.clone(),
                _ => format!("CAST(NULL AS {})", self.d.text_type()),
            })
            .collect();
        Sql::new(format!("COALESCE({})", items.join(", ")), kind)
    }

    pub(crate) fn func(&self, func: RowFunc, arg: &Sql) -> Result<Sql, Reason> {
        Ok(match func {
            RowFunc::Abs => Sql::new(format!("ABS({})", self.as_num(arg)), Kind::Num),
            RowFunc::Round => Sql::new(self.d.round(&self.as_num(arg)), Kind::Num),
            RowFunc::Hour | RowFunc::Weekday => {
                let tz = self.opts.timezone.name();
                Sql::new(self.d.local_part(&self.as_time(arg), tz, func == RowFunc::Hour), Kind::Num)
            }
            RowFunc::Coalesce => arg.clone(),
            RowFunc::OpenAt => return Err(Reason::not_yet("`open_at()`")),
        })
    }

    fn binary(&mut self, scope: &mut Scope, op: BinaryOp, l: &TExpr, r: &TExpr) -> Result<Sql, Reason> {
        use BinaryOp as B;
        let is_time = |t: &Type| matches!(t, Type::Timestamp | Type::Date);
        let bool_sql = |text: String| Sql::new(text, Kind::Bool);
        Ok(match op {
            B::And | B::Or => {
                let (a, b) = (self.row(scope, l)?, self.row(scope, r)?);
                let word = if op == B::And { "AND" } else { "OR" };
                bool_sql(format!("({} {word} {})", self.as_bool(&a), self.as_bool(&b)))
            }
            B::Ne => bool_sql(format!("(NOT {})", self.binary(scope, B::Eq, l, r)?.text)),
            B::NotIn => bool_sql(format!("(NOT {})", self.binary(scope, B::In, l, r)?.text)),
            B::Eq | B::Lt | B::Le | B::Gt | B::Ge | B::StartsWith | B::EndsWith | B::Contains
                if l.ty == Type::Text || r.ty == Type::Text =>
            {
                bool_sql(self.text_test(scope, op, l, r)?)
            }
            B::Eq | B::Lt | B::Le | B::Gt | B::Ge => {
                let (a, b) = (self.row(scope, l)?, self.row(scope, r)?);
                let sym = cmp_symbol(op);
                if is_time(&l.ty) || is_time(&r.ty) {
                    bool_sql(format!("COALESCE({} {sym} {}, FALSE)", self.as_time(&a), self.as_time(&b)))
                } else if l.ty == Type::Bool {
                    bool_sql(format!("({} = {})", self.as_bool(&a), self.as_bool(&b)))
                } else {
                    bool_sql(format!("COALESCE({} {sym} {}, FALSE)", self.as_num(&a), self.as_num(&b)))
                }
            }
            B::In => bool_sql(self.in_list(scope, l, r)?),
            B::Add | B::Sub | B::Mul | B::Div => self.arith(scope, op, l, r)?,
            B::StartsWith | B::EndsWith | B::Contains => {
                return Err(Reason::new("a string test on a value that is not text"))
            }
        })
    }

    fn arith(&mut self, scope: &mut Scope, op: BinaryOp, l: &TExpr, r: &TExpr) -> Result<Sql, Reason> {
        let (a, b) = (self.row(scope, l)?, self.row(scope, r)?);
        Ok(match (&l.ty, &r.ty) {
            (Type::Timestamp, Type::Timestamp) => self.time_diff(&self.as_time(&a), &self.as_time(&b)),
            (Type::Timestamp, _) => self.time_shift(&a, &b, if op == BinaryOp::Sub { -1.0 } else { 1.0 }),
            (_, Type::Timestamp) => self.time_shift(&b, &a, 1.0),
            _ => Sql::new(self.arith_sql(op, &self.as_num(&a), &self.as_num(&b)), Kind::Num),
        })
    }

    /// `a op b` on doubles; x / 0 is null.
    pub(crate) fn arith_sql(&self, op: BinaryOp, a: &str, b: &str) -> String {
        match op {
            BinaryOp::Add => format!("({a} + {b})"),
            BinaryOp::Sub => format!("({a} - {b})"),
            BinaryOp::Mul => format!("({a} * {b})"),
            _ => format!("({a} / NULLIF({b}, 0))"),
        }
    }

    /// timestamp - timestamp, in hours.
    pub(crate) fn time_diff(&self, a: &str, b: &str) -> Sql {
        let diff = self.d.cast_double(&format!("({a} - {b})"));
        Sql::new(format!("({diff} / {})", self.d.num(MICROS_PER_HOUR)), Kind::Num)
    }

    /// timestamp + sign x hours, rounded to the microsecond.
    fn time_shift(&self, time: &Sql, hours: &Sql, sign: f64) -> Sql {
        let micros =
            format!("({} * {} * {})", self.d.num(sign), self.as_num(hours), self.d.num(MICROS_PER_HOUR));
        let rounded = format!("CAST({} AS BIGINT)", self.d.round(&micros));
        Sql::new(format!("({} + {rounded})", self.as_time(time)), Kind::Time)
    }

    fn in_list(&mut self, scope: &mut Scope, l: &TExpr, r: &TExpr) -> Result<String, Reason> {
        let Some(Value::List(items)) = self.const_value(r) else {
            return Err(Reason::new("`in` needs a constant list on its right"));
        };
        let left = self.row(scope, l)?;
        let (value, literals): (String, Vec<String>) = if l.ty == Type::Text {
            let texts =
                items.iter().filter_map(|v| if let Value::Text(s) = v { Some(self.d.text(s)) } else { None });
            (left.text.clone(), texts.collect())
        } else {
            let numbers =
                items
                    .iter()
                    .filter_map(|v| if let Value::Number(x) = v { Some(self.d.num(*x)) } else { None });
            (self.as_num(&left), numbers.collect())
        };
        if literals.is_empty() {
            return Ok(bool_lit(false).into());
        }
        Ok(format!("COALESCE({value} IN ({}), FALSE)", literals.join(", ")))
    }

    /// A text test; against a constant, on either side.
    fn text_test(&mut self, scope: &mut Scope, op: BinaryOp, l: &TExpr, r: &TExpr) -> Result<String, Reason> {
        use BinaryOp as B;
        let (side, constant, flipped) = match (self.const_value(l), self.const_value(r)) {
            (Some(Value::Text(a)), Some(Value::Text(b))) => {
                return Ok(bool_lit(text_holds(op, &a, &b)).into());
            }
            (_, Some(Value::Text(s))) => (l, s, false),
            (Some(Value::Text(s)), _) => (r, s, true),
            _ => {
                let (a, b) = (self.row(scope, l)?, self.row(scope, r)?);
                return match op {
                    B::Eq | B::Lt | B::Le | B::Gt | B::Ge => Ok(format!(
                        "COALESCE({} {} {}, FALSE)",
                        self.d.bytewise(&a.text),
                        cmp_symbol(op),
                        self.d.bytewise(&b.text)
                    )),
                    _ => Err(Reason::new("string tests need a constant text on the right")),
                };
            }
        };
        let op = match (flipped, op) {
            (false, op) => op,
            (true, B::Lt) => B::Gt,
            (true, B::Le) => B::Ge,
            (true, B::Gt) => B::Lt,
            (true, B::Ge) => B::Le,
            (true, B::StartsWith | B::EndsWith | B::Contains) => {
                return Err(Reason::new("a string test needs the constant on its right"))
            }
            (true, op) => op,
        };
        let text = self.row(scope, side)?;
        if text.kind != Kind::Text {
            return Ok(bool_lit(false).into());
        }
        let (s, lit, n) = (&text.text, self.d.text(&constant), constant.chars().count());
        let test = match op {
            B::Eq => format!("{s} = {lit}"),
            B::Lt | B::Le | B::Gt | B::Ge => {
                format!("{} {} {}", self.d.bytewise(s), cmp_symbol(op), self.d.bytewise(&lit))
            }
            B::StartsWith | B::EndsWith if n == 0 => format!("{s} IS NOT NULL"),
            B::StartsWith => format!("SUBSTR({s}, 1, {n}) = {lit}"),
            B::EndsWith => format!("RIGHT({s}, {n}) = {lit}"),
            B::Contains => self.d.contains(s, &lit),
            _ => return Err(Reason::new("an operator that does not test text")),
        };
        Ok(format!("COALESCE({test}, FALSE)"))
    }

    /// An aggregate over the current row's related rows (a ticket's time entries): a CTE of the
    /// child table grouped by its link, joined to the row by id.
    fn related(
        &mut self,
        scope: &mut Scope,
        relation: &kpi_schema::Relation,
        agg: AggFunc,
        args: &[TExpr],
        filter: Option<&TExpr>,
    ) -> Result<Sql, Reason> {
        let child = relation.child.schema();
        let mut inner = Scope::new(child, "c", false);
        let key = format!("c.{}", relation.link.column);
        let parts = self.agg_parts(&mut inner, agg, args, filter, "")?;
        let name = format!("q_rel{}", self.ctes.len());
        let body = format!(
            "SELECT {key} AS parent_id, {}\n  FROM {} AS c{}\n  WHERE {key} IS NOT NULL\n  GROUP BY {key}",
            parts.select.join(", "),
            self.table(child),
            joins_text(&inner.joins)
        );
        self.ctes.push(format!("{name} AS (\n  {body}\n)"));
        let alias = format!("{name}_j");
        scope.add_join(format!("LEFT JOIN {name} AS {alias} ON {alias}.parent_id = {}.id", scope.alias));
        Ok(Sql::new(parts.finish(self, &alias), Kind::Num))
    }
}

/// LEFT JOIN lines of a scope, each on its own line.
pub(crate) fn joins_text(joins: &[String]) -> String {
    joins.iter().map(|j| format!("\n  {j}")).collect()
}

pub(crate) fn bool_lit(b: bool) -> &'static str {
    if b {
        "TRUE"
    } else {
        "FALSE"
    }
}

fn cmp_symbol(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::Lt => "<",
        BinaryOp::Le => "<=",
        BinaryOp::Gt => ">",
        BinaryOp::Ge => ">=",
        _ => "=",
    }
}

fn text_holds(op: BinaryOp, s: &str, c: &str) -> bool {
    match op {
        BinaryOp::Eq => s == c,
        BinaryOp::Lt => s < c,
        BinaryOp::Le => s <= c,
        BinaryOp::Gt => s > c,
        BinaryOp::Ge => s >= c,
        BinaryOp::StartsWith => s.starts_with(c),
        BinaryOp::EndsWith => s.ends_with(c),
        BinaryOp::Contains => s.contains(c),
        _ => false,
    }
}
