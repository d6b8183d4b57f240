//! Scorecard groups (resources, clients, teams, queues) and the group of every row of a table.
use kpi_data::{ColumnData, Dataset, NULL_CODE};
use kpi_schema::columns as col;
use kpi_schema::{ColumnId, Grouping, TableId};
use rayon::prelude::*;
use std::collections::HashMap;

/// A row that belongs to no group of the scorecard.
pub const NO_GROUP: u32 = u32::MAX;

/// The groups of a scorecard, in output order.
#[derive(Debug, Clone)]
pub struct Groups {
    pub grouping: Option<Grouping>,
    /// The group's key: a resource or client id, a team or queue label; "" for the one company row.
    pub keys: Vec<String>,
    /// A display name where the key is an id (resource and client names).
    pub names: Vec<Option<String>>,
}

impl Groups {
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

fn text_values(dataset: &Dataset, column: ColumnId) -> Vec<Option<&str>> {
    let t = dataset.table(column.table);
    match t.column(column.name).map(|c| &c.data) {
        Some(ColumnData::Text(text)) => text.codes.iter().map(|&c| text.text(c)).collect(),
        _ => vec![None; t.len],
    }
}

fn bool_values(dataset: &Dataset, column: ColumnId) -> Vec<bool> {
    let t = dataset.table(column.table);
    match t.column(column.name) {
        Some(c) => match &c.data {
            ColumnData::Bool(v) => (0..t.len).map(|r| c.is_valid(r) && v[r]).collect(),
            _ => vec![true; t.len],
        },
        None => vec![true; t.len],
    }
}

/// The groups of `grouping` as the catalogue defines them: active resources, all clients,
/// teams of active resources, the labels found in the data (queues of tickets, contract types of
/// contracts, device types of devices, categories and reasons of opportunities); each in key order. No grouping: one group.
pub fn groups(dataset: &Dataset, grouping: Option<Grouping>) -> Groups {
    let Some(g) = grouping else {
        return Groups { grouping: None, keys: vec![String::new()], names: vec![None] };
    };
    let mut pairs: Vec<(String, Option<String>)> = match g {
        Grouping::Resource | Grouping::Client => {
            let table = if g == Grouping::Resource { TableId::Resources } else { TableId::Clients };
            let ids = text_values(dataset, table.column(col::ID));
            let names = text_values(dataset, table.column("name"));
            let active = if g == Grouping::Resource {
                bool_values(dataset, col::RESOURCE_ACTIVE)
            } else {
                vec![true; ids.len()]
            };
            (0..ids.len())
                .filter(|&r| active[r])
                .filter_map(|r| Some((ids[r]?.to_string(), names[r].map(str::to_string))))
                .collect()
        }
        Grouping::Team => {
            let teams = text_values(dataset, col::RESOURCE_TEAM);
            let active = bool_values(dataset, col::RESOURCE_ACTIVE);
            let mut v: Vec<(String, Option<String>)> = (0..teams.len())
                .filter(|&r| active[r])
                .filter_map(|r| Some((teams[r]?.to_string(), None)))
                .collect();
            v.sort();
            v.dedup();
            v
        }
        // Groups by a label: its distinct values (queues of tickets, contract types, ...).
        _ => {
            let column = g.label_column().expect("the other groupings are by a label");
            let mut v: Vec<(String, Option<String>)> =
                text_values(dataset, column).into_iter().flatten().map(|q| (q.to_string(), None)).collect();
            v.sort();
            v.dedup();
            v
        }
    };
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    Groups {
        grouping,
        keys: pairs.iter().map(|p| p.0.clone()).collect(),
        names: pairs.into_iter().map(|p| p.1).collect(),
    }
}

/// For every row of `table`, the index of its group in `groups`, or [`NO_GROUP`].
pub fn row_groups(dataset: &Dataset, table: TableId, groups: &Groups) -> Vec<u32> {
    let len = dataset.table(table).len;
    let Some(g) = groups.grouping else { return vec![0; len] };
    let Some(path) = table.schema().group_path(g) else { return vec![NO_GROUP; len] };
    let first = follow(dataset, table, path.links, path.column, groups);
    // A time entry's client: its ticket's, else its project's.
    let second = path.otherwise.and_then(|links| follow(dataset, table, links, path.column, groups));
    if first.is_none() && second.is_none() {
        return vec![NO_GROUP; len];
    }
    let group_of = |row: usize| match first.as_ref().map_or(NO_GROUP, |f| f(row)) {
        NO_GROUP => second.as_ref().map_or(NO_GROUP, |s| s(row)),
        g => g,
    };
    let mut out = vec![NO_GROUP; len];
    out.par_chunks_mut(1 << 16).enumerate().for_each(|(block, slots)| {
        let base = block << 16;
        slots.iter_mut().enumerate().for_each(|(i, slot)| *slot = group_of(base + i));
    });
    out
}

/// The group of each row of `table` through `links` then `column`, as a function of the row
/// ([`NO_GROUP`] for a dangling link or a null); `None` when the column is not loaded as text.
fn follow<'a>(
    dataset: &'a Dataset,
    table: TableId,
    links: &[&str],
    column: &str,
    groups: &Groups,
) -> Option<impl Fn(usize) -> u32 + Sync + 'a> {
    let mut steps: Vec<&'a [u32]> = Vec::new();
    let mut here = table.schema();
    for link_name in links {
        let link = here.link(link_name).expect("group path links exist");
        steps.push(dataset.link_rows(here.id, link_name));
        here = kpi_schema::table(link.table).expect("link target");
    }
    let target = dataset.table(here.id);
    let Some(ColumnData::Text(text)) = target.column(column).map(|c| &c.data) else {
        return None;
    };
    // Map each distinct text of the column to its group once; rows then look up by code.
    let index: HashMap<&str, u32> =
        groups.keys.iter().enumerate().map(|(i, k)| (k.as_str(), i as u32)).collect();
    let by_code: Vec<u32> = text.dict.iter().map(|s| index.get(s).copied().unwrap_or(NO_GROUP)).collect();
    Some(move |row: usize| {
        let mut r = row as u32;
        for link in &steps {
            if r == u32::MAX {
                return NO_GROUP;
            }
            r = link[r as usize];
        }
        match text.codes.get(r as usize) {
            Some(&code) if code != NULL_CODE => by_code[code as usize],
            _ => NO_GROUP,
        }
    })
}
