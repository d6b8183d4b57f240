//! A scorecard as one query: its periods (literals from the evaluator's period code), its groups,
//! every KPI's CTEs, and the final SELECT with status, attainment and the weighted row score.
use crate::expr::{joins_text, Scope};
use crate::kpi::KpiSql;
use crate::{CompiledScorecard, Gen, Reason, SqlError};
use kpi_eval::periods::{periods_between, workdays_to};
use kpi_eval::{KpiInfo, Period, Scoring};
use kpi_hir::{CmpOp, Grain, ScorecardDef};
use kpi_schema::{columns as col, Grouping, TableId};

/// How a scope's rows find their group: what to SELECT as `g_key` and GROUP BY. Rows are
/// grouped by their key as it is, not joined to `q_groups` first: keys of no group (inactive
/// resources, nulls) make rows the frame never joins, and engines aggregate millions of rows
/// faster than they join them.
pub(crate) struct GroupKey {
    pub select: String,
    pub group_by: Vec<String>,
}

impl Gen<'_> {
    pub(crate) fn group_key(&self, scope: &mut Scope) -> Result<GroupKey, Reason> {
        let Some(grouping) = self.grouping else {
            return Ok(GroupKey { select: "''".into(), group_by: Vec::new() });
        };
        // A table with no path to the grouping has no rows in any group (as the evaluator's).
        let key = match scope.table.group_path(grouping) {
            Some(path) => {
                let (alias, _) = scope.follow(self, path.links)?;
                format!("{alias}.{}", path.column)
            }
            None => format!("CAST(NULL AS {})", self.d.text_type()),
        };
        Ok(GroupKey { select: key.clone(), group_by: vec![key] })
    }

    /// The scorecard's groups, as `kpi_eval::groups` finds them: active resources, all clients,
    /// teams of active resources, queues of tickets; one unnamed group without a grouping.
    fn groups_sql(&self, card: &str) -> Result<String, SqlError> {
        let text = self.d.text_type();
        let active = format!("COALESCE({}, TRUE)", col::RESOURCE_ACTIVE.name);
        let resources = self.table(TableId::Resources.schema());
        Ok(match self.grouping {
            None => format!("SELECT '' AS g_key, CAST(NULL AS {text}) AS g_name"),
            Some(Grouping::Resource) => format!(
                "SELECT id AS g_key, {} AS g_name FROM {resources} WHERE {active} AND id IS NOT NULL",
                col::RESOURCE_NAME.name
            ),
            Some(Grouping::Client) => format!(
                "SELECT id AS g_key, {} AS g_name FROM {} WHERE id IS NOT NULL",
                col::CLIENT_NAME.name,
                self.table(TableId::Clients.schema())
            ),
            Some(Grouping::Team) => format!(
                "SELECT DISTINCT {team} AS g_key, CAST(NULL AS {text}) AS g_name FROM {resources} WHERE {active} AND {team} IS NOT NULL",
                team = col::RESOURCE_TEAM.name
            ),
            Some(Grouping::Queue) => format!(
                "SELECT DISTINCT {queue} AS g_key, CAST(NULL AS {text}) AS g_name FROM {} WHERE {queue} IS NOT NULL",
                self.table(TableId::Tickets.schema()),
                queue = col::TICKET_QUEUE.name
            ),
            Some(other) => {
                return Err(SqlError::Input(format!(
                    "scorecard `{}` is grouped per {}, which cannot compile to SQL yet",
                    card,
                    other.name()
                )))
            }
        })
    }

    /// Hours per working day of each group's active resources (`available_hours()`).
    fn available_sql(&self) -> Result<String, Reason> {
        let hpd = match self.opts.params.value("hours_per_day") {
            Some(kpi_hir::Value::Number(x)) => x,
            _ => 8.0,
        };
        let mut scope = Scope::new(TableId::Resources.schema(), "t", false);
        let key = self.group_key(&mut scope)?;
        let group_by = if key.group_by.is_empty() {
            String::new()
        } else {
            format!("\n  GROUP BY {}", key.group_by.join(", "))
        };
        Ok(format!(
            "q_avail AS (\n  SELECT {} AS g_key, SUM(COALESCE({}, {})) AS hpd\n  FROM {} AS t{}\n  WHERE COALESCE(t.{}, TRUE){group_by}\n)",
            key.select,
            self.d.cast_double(&format!("t.{}", col::RESOURCE_HOURS_PER_DAY.name)),
            self.d.num(hpd),
            self.table(scope.table),
            joins_text(&scope.joins),
            col::RESOURCE_ACTIVE.name
        ))
    }

    /// The scorecard's periods as the evaluator makes them, with their instants and workdays.
    fn periods(&self, grain: Grain) -> Result<Vec<(Period, i64, f64)>, String> {
        let o = self.opts;
        if grain == Grain::Snapshot {
            let date = kpi_eval::periods::local_date(o.as_of, o.timezone);
            let p = Period {
                label: String::new(),
                start_date: date,
                end_date: date,
                start: o.as_of,
                end: o.as_of,
            };
            return Ok(vec![(p, o.as_of, f64::NAN)]);
        }
        let (Some(from), Some(to)) = (o.from, o.to) else {
            return Err(
                "name the periods to compile with --from and --to (the SQL does not read the data's span)"
                    .into(),
            );
        };
        Ok(periods_between(grain, o.timezone, from, to)
            .into_iter()
            .map(|p| {
                let cut = p.end.min(o.as_of);
                let workdays = workdays_to(&p, cut, o.timezone, &o.holidays) as f64;
                (p, cut, workdays)
            })
            .collect())
    }

    fn periods_sql(&self, periods: &[(Period, i64, f64)]) -> String {
        let (d, big, dbl, text) = (self.d, "BIGINT", self.d.double(), self.d.text_type());
        let columns = [
            ("p", "INT"),
            ("label", text),
            ("p_start", big),
            ("p_end", big),
            ("p_cut", big),
            ("workdays", dbl),
        ];
        let rows: Vec<Vec<String>> = periods
            .iter()
            .enumerate()
            .map(|(i, (p, cut, workdays))| {
                vec![
                    i.to_string(),
                    d.text(&p.label),
                    p.start.to_string(),
                    p.end.to_string(),
                    cut.to_string(),
                    d.num(*workdays),
                ]
            })
            .collect();
        d.rows(&columns, &rows)
    }

    pub(crate) fn scorecard(
        &mut self,
        card: &ScorecardDef,
        infos: &[KpiInfo],
    ) -> Result<CompiledScorecard, SqlError> {
        let periods =
            self.periods(card.grain).map_err(|m| SqlError::Input(format!("scorecard `{}`: {m}", card.id)))?;
        let snapshot = card.grain == Grain::Snapshot;
        // Contiguous periods: every start, then the last end.
        self.bounds =
            periods.iter().map(|(p, _, _)| p.start).chain(periods.last().map(|(p, _, _)| p.end)).collect();
        let mut compiled: Vec<(&KpiInfo, KpiSql)> = Vec::new();
        let mut warnings = Vec::new();
        for (k, (kpi, info)) in card.kpis.iter().zip(infos).enumerate() {
            let ctes = self.ctes.len();
            match self.kpi(k, kpi, snapshot) {
                Ok(sql) => compiled.push((info, sql)),
                Err(Reason(reason)) if self.opts.skip_uncompilable => {
                    self.ctes.truncate(ctes);
                    warnings.push(format!("KPI `{}` of scorecard `{}` left out: {reason}", kpi.id, card.id));
                }
                Err(Reason(reason)) => {
                    return Err(SqlError::Uncompilable {
                        scorecard: card.id.clone(),
                        kpi: kpi.id.clone(),
                        reason,
                    })
                }
            }
        }
        let mut ctes = vec![
            format!("q_periods AS (\n  {}\n)", self.periods_sql(&periods)),
            format!("q_groups AS (\n  {}\n)", self.groups_sql(&card.id)?),
        ];
        if self.d.joins_periods_by_day() {
            // Each period with every UTC day it overlaps (a day across a boundary is in two).
            let day = |us: &str| self.d.int_div(us, crate::kpi::DAY_MICROS);
            ctes.push(format!(
                "q_period_days AS (\n  SELECT p.*, {}\n  FROM q_periods AS p\n)",
                self.d.each_integer(&day("p.p_start"), &day("(p.p_end - 1)"))
            ));
        }
        if self.available_hours {
            let avail = self.available_sql().map_err(|Reason(reason)| SqlError::Input(reason))?;
            ctes.push(avail);
        }
        ctes.append(&mut self.ctes);
        ctes.push("q_frame AS (\n  SELECT p.p, p.label, p.p_start, p.p_cut, p.workdays, g.g_key, g.g_name\n  FROM q_periods AS p CROSS JOIN q_groups AS g\n)".into());
        ctes.push(self.values_sql(&compiled));
        ctes.push(self.scored_sql(&compiled));
        let sql = format!(
            "-- Scorecard `{}` ({}): one row per period and group. Compiled by kpi for {}.\nWITH {}\n{}",
            card.id,
            card.title.replace('\n', " "),
            self.d.name(),
            ctes.join(",\n"),
            self.final_sql(&compiled)
        );
        Ok(CompiledScorecard {
            id: card.id.clone(),
            sql,
            periods: periods.into_iter().map(|(p, _, _)| p).collect(),
            kpis: compiled.iter().map(|(info, _)| info.id.clone()).collect(),
            warnings,
        })
    }

    fn values_sql(&self, compiled: &[(&KpiInfo, KpiSql)]) -> String {
        let mut select = vec!["f.p".to_string(), "f.label".into(), "f.g_key".into(), "f.g_name".into()];
        let mut joins = Vec::new();
        for (info, sql) in compiled {
            select.push(format!("{} AS {}__value", sql.value, info.id));
            select.push(format!("{} AS {}__rows", sql.rows, info.id));
            joins.extend(sql.joins.iter().cloned());
        }
        if self.available_hours {
            joins.push("LEFT JOIN q_avail ON q_avail.g_key = f.g_key".into());
        }
        format!(
            "q_values AS (\n  SELECT {}\n  FROM q_frame AS f{}\n)",
            select.join(",\n    "),
            joins_text(&joins)
        )
    }

    fn scored_sql(&self, compiled: &[(&KpiInfo, KpiSql)]) -> String {
        let mut select = vec!["v.*".to_string()];
        for (info, _) in compiled {
            let v = format!("v.{}__value", info.id);
            select.push(format!(
                "CASE WHEN {v} IS NULL THEN 'no_data' WHEN {} THEN 'met' ELSE 'missed' END AS {}__status",
                self.meets(&v, info.op, info.target),
                info.id
            ));
            select.push(format!("{} AS {}__attainment", self.attainment(&v, info), info.id));
        }
        format!("q_scored AS (\n  SELECT {}\n  FROM q_values AS v\n)", select.join(",\n    "))
    }

    /// `kpi_eval::score::status` as SQL: a value within rounding of the target is on it.
    fn meets(&self, v: &str, op: CmpOp, target: f64) -> String {
        let on = self.on_target(v, target);
        let cmp = format!("{v} {} {}", op.symbol(), self.d.num(target));
        match op {
            CmpOp::Ge | CmpOp::Le => format!("({cmp} OR {on})"),
            CmpOp::Gt | CmpOp::Lt => format!("({cmp} AND NOT {on})"),
        }
    }

    /// `kpi_eval::score::at_target` (the tolerance taken from the target alone: the two differ
    /// only for values 1e-24 apart).
    fn on_target(&self, v: &str, target: f64) -> String {
        let d = self.d;
        format!("ABS({v} - {}) <= {}", d.num(target), d.num(1e-12 * target.abs().max(1.0)))
    }

    /// `kpi_eval::score::attainment` as SQL: the target and weights are constants here.
    fn attainment(&self, v: &str, info: &KpiInfo) -> String {
        let d = self.d;
        let (one, zero) = (d.num(1.0), d.num(0.0));
        let (t, target) = (d.num(info.target), info.target);
        let pass_fail = format!("CASE WHEN {} THEN {one} ELSE {zero} END", self.meets(v, info.op, target));
        let a = match &info.scoring {
            Scoring::PassFail => pass_fail,
            Scoring::Attainment if target <= 0.0 => pass_fail,
            Scoring::Attainment => {
                let ratio = match info.op {
                    CmpOp::Ge | CmpOp::Gt => format!("LEAST({one}, {v} / {t})"),
                    CmpOp::Le | CmpOp::Lt => format!("CASE WHEN {v} <= {t} THEN {one} ELSE {t} / {v} END"),
                };
                format!("CASE WHEN {} THEN ({pass_fail}) ELSE {ratio} END", self.on_target(v, target))
            }
            Scoring::Bands(points) => bands(d, v, points),
        };
        format!("CASE WHEN {v} IS NULL THEN NULL ELSE GREATEST({zero}, LEAST({one}, {a})) END")
    }

    fn final_sql(&self, compiled: &[(&KpiInfo, KpiSql)]) -> String {
        let d = self.d;
        let mut select = vec![
            "s.p AS period_index".to_string(),
            "s.label AS period".into(),
            "s.g_key AS group_key".into(),
            "s.g_name AS group_name".into(),
            format!("{} AS score", self.score(compiled)),
        ];
        for (info, _) in compiled {
            for column in ["value", "status", "attainment", "rows"] {
                select.push(format!("s.{id}__{column} AS {id}__{column}", id = info.id));
            }
        }
        format!(
            "SELECT {}\nFROM q_scored AS s\nORDER BY s.p, {}",
            select.join(",\n  "),
            d.bytewise("s.g_key")
        )
    }

    /// 100 x (sum of w a) / (sum of w) over the KPIs with an attainment, in KPI order.
    fn score(&self, compiled: &[(&KpiInfo, KpiSql)]) -> String {
        let d = self.d;
        if compiled.is_empty() {
            return d.num(f64::NAN);
        }
        let a = |info: &KpiInfo| format!("s.{}__attainment", info.id);
        let none: Vec<String> = compiled.iter().map(|(i, _)| format!("{} IS NULL", a(i))).collect();
        let weighted = compiled.iter().fold(d.num(0.0), |acc, (i, _)| {
            format!("({acc} + COALESCE({} * {}, {}))", d.num(i.weight), a(i), d.num(0.0))
        });
        let weights = compiled.iter().fold(d.num(0.0), |acc, (i, _)| {
            format!("({acc} + CASE WHEN {} IS NULL THEN {} ELSE {} END)", a(i), d.num(0.0), d.num(i.weight))
        });
        format!(
            "CASE WHEN {} THEN NULL ELSE {} * {weighted} / NULLIF({weights}, 0) END",
            none.join(" AND "),
            d.num(100.0)
        )
    }
}

/// Linear between (value, attainment) points, flat outside (`score::interpolate`).
fn bands(d: crate::Dialect, v: &str, points: &[(f64, f64)]) -> String {
    let (Some(first), Some(last)) = (points.first(), points.last()) else { return d.num(0.0) };
    let mut cases = vec![
        format!("WHEN {v} <= {} THEN {}", d.num(first.0), d.num(first.1)),
        format!("WHEN {v} >= {} THEN {}", d.num(last.0), d.num(last.1)),
    ];
    for pair in points.windows(2) {
        let ((x0, y0), (x1, y1)) = (pair[0], pair[1]);
        cases.push(format!(
            "WHEN {v} <= {} THEN {} + {} * ({v} - {}) / {}",
            d.num(x1),
            d.num(y0),
            d.num(y1 - y0),
            d.num(x0),
            d.num(x1 - x0)
        ));
    }
    format!("CASE {} ELSE {} END", cases.join(" "), d.num(last.1))
}
