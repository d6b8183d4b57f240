//! The columns an evaluation reads, so that the loader parses only those ([`Projection`]).
//!
//! Every column a rule names, through links and related rows, plus the columns the engine reads
//! on its own (listed in [`ENGINE_READS`], next to nothing else). A column missed here would be
//! absent at evaluation; the equivalence test over every rule file in the repository
//! (`tests/projection.rs`) evaluates with and without the projection and compares.
use kpi_data::Projection;
use kpi_hir::{
    AggSource, KpiDef, Placement, Population, Program, RowFunc, ScorecardDef, Scoring, TExpr, TKind,
};
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
                    if let Some(links) = path.otherwise {
                        add(&mut p, follow(table, links.iter().copied()).name, path.column);
                    }
                }
            }
        }
        for kpi in &card.kpis {
            kpi_columns(&mut p, kpi);
        }
    }
    p
}

/// The columns one KPI reads: its population's (placement and filter), and those of its value,
/// target, weight, minimum rows and bands, through links and related rows (what
/// `kpi data check RULES` compares with the export). The engine's own reads and the scorecard's
/// grouping are not included.
pub fn kpi_columns_read(kpi: &KpiDef) -> Projection {
    let mut p = Projection::new();
    kpi_columns(&mut p, kpi);
    p
}

fn kpi_columns(p: &mut Projection, kpi: &KpiDef) {
    let table = kpi.population.table;
    population(p, &kpi.population);
    let mut exprs = vec![&kpi.value, &kpi.target.value, &kpi.weight];
    exprs.extend(&kpi.min_rows);
    if let Scoring::Bands(bands) = &kpi.scoring {
        exprs.extend(bands.iter().flat_map(|(v, a)| [v, a]));
    }
    for e in exprs {
        walk(p, table, e);
    }
}

/// The tables a KPI reads rows of (its population, other tables, related rows, links, the
/// populations of the KPIs its value names), for the error of a rule that reads an absent table.
pub fn tables_read(kpi: &KpiDef) -> Vec<&'static str> {
    let mut p = Projection::new();
    population(&mut p, &kpi.population);
    walk(&mut p, kpi.population.table, &kpi.value);
    add(&mut p, kpi.population.table.name, "id");
    kpi_schema::TABLES.iter().map(|t| t.name).filter(|name| p.contains_key(*name)).collect()
}

/// The columns a population reads: its placement's and its filter's.
fn population(p: &mut Projection, population: &Population) {
    let table = population.table;
    match &population.placement {
        Placement::All => {}
        Placement::By(column) => add(p, table.name, column),
        Placement::OpenAt(_) => lifetime(p, table),
    }
    if let Some(filter) = &population.filter {
        walk(p, table, filter);
    }
}

/// The columns of a table's lifetime (`open at`, `open_at(...)`).
fn lifetime(p: &mut Projection, table: &'static TableSchema) {
    if let Some(life) = table.lifetime {
        add(p, table.name, life.start);
        add(p, table.name, life.end);
    }
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
            // Every table on the way is read (its link keys come with the projection).
            for n in 0..links.len() {
                add(p, follow(table, links[..n].iter().map(|l| l.name)).name, "id");
            }
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
        TKind::Call(func, args) => {
            if *func == RowFunc::OpenAt {
                lifetime(p, table);
            }
            args.iter().for_each(|x| walk(p, table, x));
        }
        TKind::Script { args, .. } => args.iter().for_each(|x| walk(p, table, x)),
        TKind::KpiValue { population: pop, value, .. } => {
            population(p, pop);
            walk(p, pop.table, value);
        }
        TKind::Related { relation, args, filter, .. } => {
            let child = relation.child.schema();
            add(p, child.name, "id");
            args.iter().chain(filter.as_deref()).for_each(|x| walk(p, child, x));
        }
        TKind::Aggregate { source, args, filter, .. } => {
            let rows = match source {
                AggSource::Population => table,
                AggSource::Table(t) => {
                    add(p, t.name, "id");
                    t
                }
            };
            args.iter().chain(filter.as_deref()).for_each(|x| walk(p, rows, x));
        }
    }
}
