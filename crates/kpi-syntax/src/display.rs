//! A compact, fully bracketed text form of the AST: for explanations, and for snapshot tests
//! where the grouping the parser chose must be visible (`((a + b) * c)`).
use crate::ast::*;
use std::fmt::{self, Display, Formatter, Write as _};

impl Display for Expr {
    /// Every operation in brackets; literals show the value they were parsed to (`hours(1.5)`).
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Number(x) => write!(f, "{x}"),
            ExprKind::Percent(x) => write!(f, "ratio({x})"),
            ExprKind::Duration(x) => write!(f, "hours({x})"),
            ExprKind::String(s) => write!(f, "{s:?}"),
            ExprKind::Bool(b) => write!(f, "{b}"),
            ExprKind::Date(d) => write!(f, "date({d})"),
            ExprKind::Null => f.write_str("null"),
            ExprKind::List(items) => {
                f.write_char('[')?;
                comma_separated(f, items)?;
                f.write_char(']')
            }
            ExprKind::Path(parts) => {
                let names: Vec<&str> = parts.iter().map(|p| p.name.as_str()).collect();
                f.write_str(&names.join("."))
            }
            ExprKind::Call { name, args } => {
                write!(f, "{}(", name.name)?;
                for (i, arg) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}", arg.value)?;
                    if let Some(filter) = &arg.filter {
                        write!(f, " where {filter}")?;
                    }
                }
                f.write_char(')')
            }
            ExprKind::Unary { op: UnaryOp::Not, expr } => write!(f, "(not {expr})"),
            ExprKind::Unary { op: UnaryOp::Neg, expr } => write!(f, "(-{expr})"),
            ExprKind::Binary { op, left, right } => write!(f, "({left} {} {right})", op.symbol()),
            ExprKind::IsNull { expr, negated: false } => write!(f, "({expr} is null)"),
            ExprKind::IsNull { expr, negated: true } => write!(f, "({expr} is not null)"),
            ExprKind::Invalid => f.write_str("<invalid>"),
        }
    }
}

fn comma_separated(f: &mut Formatter<'_>, items: &[Expr]) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

impl Display for Clause {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ClauseKind::From { table, placement: None } => write!(f, "from {}", table.name),
            ClauseKind::From { table, placement: Some(Placement::By(c)) } => {
                write!(f, "from {} by {}", table.name, c.name)
            }
            ClauseKind::From { table, placement: Some(Placement::OpenAt(i)) } => {
                write!(f, "from {} open at {}", table.name, i.name)
            }
            ClauseKind::Where(e) => write!(f, "where {e}"),
            ClauseKind::Value(e) => write!(f, "value {e}"),
            ClauseKind::Unit(u) => write!(f, "unit {}", u.name),
            ClauseKind::Target { op, value } => write!(f, "target {} {value}", op.symbol()),
            ClauseKind::Weight(e) => write!(f, "weight {e}"),
            ClauseKind::Scoring(Scoring::Named(name)) => write!(f, "scoring {}", name.name),
            ClauseKind::Scoring(Scoring::Bands { points, .. }) => {
                f.write_str("scoring bands [")?;
                for (i, (value, attainment)) in points.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{value} => {attainment}")?;
                }
                f.write_char(']')
            }
            ClauseKind::MinRows(e) => write!(f, "min_rows {e}"),
        }
    }
}

impl Display for Module {
    /// One line per declaration and clause, indented by nesting; doc comments as `/// ...`.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for item in &self.items {
            match item {
                Item::Import(i) => {
                    docs(f, &i.doc, 0)?;
                    writeln!(f, "import {:?}", i.path.value)?;
                }
                Item::Param(p) => {
                    docs(f, &p.doc, 0)?;
                    writeln!(f, "param {} = {}", p.name.name, p.default)?;
                }
                Item::Function(func) => {
                    docs(f, &func.doc, 0)?;
                    let params: Vec<String> =
                        func.params.iter().map(|(n, t)| format!("{}: {}", n.name, t.name)).collect();
                    let body = match &func.body {
                        ScriptSource::Inline { code, .. } => format!("rhai {code:?}"),
                        ScriptSource::File(path) => format!("file {:?}", path.value),
                    };
                    writeln!(
                        f,
                        "fn {}({}) -> {} = {body}",
                        func.name.name,
                        params.join(", "),
                        func.returns.name
                    )?;
                }
                Item::Kpi(k) => kpi(f, "kpi", &k.doc, &k.id, k.title.as_ref(), &k.clauses, 0)?,
                Item::Use(u) => kpi(f, "use", &u.doc, &u.id, u.title.as_ref(), &u.clauses, 0)?,
                Item::Scorecard(s) => {
                    docs(f, &s.doc, 0)?;
                    let extends =
                        s.extends.as_ref().map_or_else(String::new, |b| format!(" extends {}", b.name));
                    writeln!(f, "scorecard {}{extends}{}", s.id.name, title(s.title.as_ref()))?;
                    for member in &s.members {
                        match member {
                            Member::Period(g) => writeln!(f, "  period {}", g.name)?,
                            Member::Per(g) => writeln!(f, "  per {}", g.name)?,
                            Member::Remove(id) => writeln!(f, "  remove {}", id.name)?,
                            Member::Kpi(k) => kpi(f, "kpi", &k.doc, &k.id, k.title.as_ref(), &k.clauses, 1)?,
                            Member::Use(u) => kpi(f, "use", &u.doc, &u.id, u.title.as_ref(), &u.clauses, 1)?,
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

fn title(title: Option<&Text>) -> String {
    title.map_or_else(String::new, |t| format!(" {:?}", t.value))
}

fn docs(f: &mut Formatter<'_>, doc: &[String], depth: usize) -> fmt::Result {
    for line in doc {
        writeln!(f, "{:indent$}/// {line}", "", indent = depth * 2)?;
    }
    Ok(())
}

fn kpi(
    f: &mut Formatter<'_>,
    keyword: &str,
    doc: &[String],
    id: &Ident,
    name: Option<&Text>,
    clauses: &[Clause],
    depth: usize,
) -> fmt::Result {
    docs(f, doc, depth)?;
    writeln!(f, "{:indent$}{keyword} {}{}", "", id.name, title(name), indent = depth * 2)?;
    for clause in clauses {
        writeln!(f, "{:indent$}{clause}", "", indent = depth * 2 + 2)?;
    }
    Ok(())
}
