//! The columns an evaluation reads, so that the loader parses only those ([`Projection`]).
//!
//! Every column a rule names, through links and related rows, plus the columns the engine reads
//! on its own (listed in [`ENGINE_READS`], next to nothing else). A column missed here would be
//! absent at evaluation; the equivalence test over every rule file in the repository
//! (`tests/projection.rs`) evaluates with and without the projection and compares.
use kpi_data::Projection;
use kpi_hir::{AggSource, Placement, Program, ScorecardDef, Scoring, TExpr, TKind};
use kpi_schema::TableSchema;

/// Columns the engine reads whatever the rules say: periods inferred from tickets and time
/// entries, groups (ids, names, active resources, teams, queues), available hours.
const ENGINE_READS: &[(&str, &str)] = &[
    ("tickets", "created_at"),
    ("time_entries", "started_at"),
    ("resources", "id"),
    ("resources", "name"),
    ("resources", "active"),
    ("resources", "team"),
    ("resources", "hours_per_day"),
    ("clients", "id"),
    ("clients", "name"),
    ("tickets", "queue"),
];

/// The columns evaluating `scorecards` of `program` reads (all root scorecards when empty, as
/// [`crate::evaluate`] does; unknown ids are left to it to report).
pub fn columns_read(program: &Program, scorecards: &[String]) -> Projection {
    let mut p = Projection::new();
    for &(table, column) in ENGINE_READS {
        add(&mut p, table, column);
    }
    let cards: Vec<&ScorecardDef> = if scorecards.is_empty() {
        program.scorecards.iter().filter(|s| s.root).collect()
    } else {
        scorecards.iter().filter_map(|id| program.scorecard(id)).collect()
    };
    for card in cards {
        if let Some(grouping) = card.group_by {
            for table in kpi_schema::TABLES {
                if let Some(path) = table.group_path(grouping) {
                    add(&mut p, follow(table, path.links.iter().copied()).name, path.column);
                }
            }
        }
        for kpi in &card.kpis {
            let table = kpi.population.table;
            match &kpi.population.placement {
                Placement::All => {}
                Placement::By(column) => add(&mut p, table.name, column),
                Placement::OpenAt(_) => {
                    add(&mut p, table.name, "created_at");
                    add(&mut p, table.name, "completed_at");
                }
            }
            let mut exprs = vec![&kpi.value, &kpi.target.value, &kpi.weight];
            exprs.extend(&kpi.population.filter);
            exprs.extend(&kpi.min_rows);
            if let Scoring::Bands(bands) = &kpi.scoring {
                exprs.extend(bands.iter().flat_map(|(v, a)| [v, a]));
            }
            for e in exprs {
                walk(&mut p, table, e);
            }
        }
    }
    p
}

fn add(p: &mut Projection, table: &str, column: &str) {
    p.entry(table.to_string()).or_default().insert(column.to_string());
}

/// The table reached from `table` through the links named `links`.
fn follow<'a>(table: &'static TableSchema, links: impl IntoIterator<Item = &'a str>) -> &'static TableSchema {
    links.into_iter().fold(table, |here, name| {
        here.link(name).and_then(|l| kpi_schema::table(l.table)).expect("schema links name canonical tables")
    })
}

/// Adds the columns `e` reads, `table` being the table of its rows.
fn walk(p: &mut Projection, table: &'static TableSchema, e: &TExpr) {
    match &e.kind {
        TKind::Const(_) | TKind::Param(_) | TKind::Instant(_) | TKind::Builtin(_) => {}
        TKind::Column { links, column } => {
            add(p, follow(table, links.iter().map(|l| l.name)).name, column.name);
        }
        TKind::Custom(name) => add(p, table.name, name),
        TKind::List(items) => items.iter().for_each(|x| walk(p, table, x)),
        TKind::Unary(_, x) => walk(p, table, x),
        TKind::Binary(_, a, b) => {
            walk(p, table, a);
            walk(p, table, b);
        }
        TKind::IsNull { expr, .. } => walk(p, table, expr),
        TKind::Call(_, args) | TKind::Script { args, .. } => args.iter().for_each(|x| walk(p, table, x)),
        TKind::Related { relation, args, filter, .. } => {
            let child = relation.child.schema();
            args.iter().chain(filter.as_deref()).for_each(|x| walk(p, child, x));
        }
        TKind::Aggregate { source, args, filter, .. } => {
            let rows = match source {
                AggSource::Population => table,
                AggSource::Table(t) => t,
            };
            args.iter().chain(filter.as_deref()).for_each(|x| walk(p, rows, x));
        }
    }
}
