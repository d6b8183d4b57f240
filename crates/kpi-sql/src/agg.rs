//! Aggregates as SQL: the parts an engine sums per group (rows, hits, sums) and the value the
//! evaluator's accumulator finishes them into (`kernel/acc.rs`): a sum of nothing is 0, a mean
//! of nothing or a share of no rows is null, a ratio over a zero denominator is null.
use crate::expr::{joins_text, Scope};
use crate::{Gen, Reason};
use kpi_hir::{AggFunc, TExpr};

/// The columns an aggregate adds to a grouped SELECT, named `{prefix}n`, `{prefix}h`, ...
pub(crate) struct AggParts {
    pub select: Vec<String>,
    agg: AggFunc,
    prefix: String,
}

impl AggParts {
    /// The aggregate's value from its parts in the row `alias` (absent when no row was grouped).
    pub fn finish(&self, gen: &Gen, alias: &str) -> String {
        let d = gen.d;
        let col = |name: &str| format!("{alias}.{}{name}", self.prefix);
        let zero = d.num(0.0);
        match self.agg {
            AggFunc::Count => d.cast_double(&format!("COALESCE({}, 0)", col("n"))),
            AggFunc::Sum => format!("COALESCE({}, {zero})", col("v")),
            AggFunc::Avg | AggFunc::Min | AggFunc::Max => col("v"),
            AggFunc::Share => {
                format!("({} / NULLIF({}, 0))", d.cast_double(&col("h")), d.cast_double(&col("n")))
            }
            AggFunc::Ratio => {
                format!("(COALESCE({}, {zero}) / NULLIF(COALESCE({}, {zero}), 0))", col("x"), col("y"))
            }
        }
    }
}

impl Gen<'_> {
    /// The parts of `agg(args where filter)` over `scope`'s rows.
    pub(crate) fn agg_parts(
        &mut self,
        scope: &mut Scope,
        agg: AggFunc,
        args: &[TExpr],
        filter: Option<&TExpr>,
        prefix: &str,
    ) -> Result<AggParts, Reason> {
        let filter = match filter {
            Some(f) => {
                let f = self.row(scope, f)?;
                Some(self.as_bool(&f))
            }
            None => None,
        };
        let args = args.iter().map(|a| self.row(scope, a)).collect::<Result<Vec<_>, _>>()?;
        let when = |cond: Option<String>| match (&filter, cond) {
            (Some(f), Some(c)) => Some(format!("{f} AND {c}")),
            (Some(f), None) => Some(f.clone()),
            (None, c) => c,
        };
        let count = |cond: Option<String>| match when(cond) {
            Some(c) => format!("SUM(CASE WHEN {c} THEN 1 ELSE 0 END)"),
            None => "COUNT(*)".to_string(),
        };
        let over = |func: &str, value: String| match &filter {
            Some(f) => format!("{func}(CASE WHEN {f} THEN {value} END)"),
            None => format!("{func}({value})"),
        };
        let name = |part: &str| format!("{prefix}{part}");
        let first = args.first();
        let number = |i: usize| args.get(i).map_or_else(|| self.d.num(f64::NAN), |a| self.as_num(a));
        let select = match agg {
            AggFunc::Count => {
                vec![format!("{} AS {}", count(first.map(|a| self.truthy(a))), name("n"))]
            }
            AggFunc::Share => {
                let hits = match first {
                    Some(a) => count(Some(self.truthy(a))),
                    None => "0".to_string(),
                };
                vec![format!("{} AS {}", count(None), name("n")), format!("{hits} AS {}", name("h"))]
            }
            AggFunc::Sum | AggFunc::Avg | AggFunc::Min | AggFunc::Max => {
                let func = match agg {
                    AggFunc::Sum => "SUM",
                    AggFunc::Avg => "AVG",
                    AggFunc::Min => "MIN",
                    _ => "MAX",
                };
                vec![format!("{} AS {}", over(func, number(0)), name("v"))]
            }
            AggFunc::Ratio => vec![
                format!("{} AS {}", over("SUM", number(0)), name("x")),
                format!("{} AS {}", over("SUM", number(1)), name("y")),
            ],
        };
        Ok(AggParts { select, agg, prefix: prefix.to_string() })
    }

    /// A CTE of `agg` over every row of `scope`'s table in each group (and period, when the
    /// aggregate reads the period's instants), named `name`; returns its parts.
    pub(crate) fn table_aggregate(
        &mut self,
        name: &str,
        mut scope: Scope,
        (agg, args, filter): (AggFunc, &[TExpr], Option<&TExpr>),
    ) -> Result<AggParts, Reason> {
        let parts = self.agg_parts(&mut scope, agg, args, filter, "")?;
        let key = self.group_key(&mut scope)?;
        let mut select = vec![format!("{} AS g_key", key.select)];
        let mut group_by = key.group_by.clone();
        let mut from = format!("{} AS t{}", self.table(scope.table), joins_text(&scope.joins));
        if scope.period {
            select.insert(0, "p.p AS p".into());
            group_by.insert(0, "p.p".into());
            from.push_str("\n  CROSS JOIN q_periods AS p");
        }
        select.extend(parts.select.iter().cloned());
        let group_by =
            if group_by.is_empty() { String::new() } else { format!("\n  GROUP BY {}", group_by.join(", ")) };
        self.ctes.push(format!("{name} AS (\n  SELECT {}\n  FROM {from}{group_by}\n)", select.join(", ")));
        Ok(parts)
    }
}
