//! Scorecard groups (resources, clients, teams, queues) and the group of every row of a table.
use kpi_data::{ColumnData, Dataset, NULL_CODE};
use kpi_schema::{self as schema, Grouping};
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

fn text_values<'d>(dataset: &'d Dataset, table: &str, column: &str) -> Vec<Option<&'d str>> {
    let t = dataset.table(table);
    match t.column(column).map(|c| &c.data) {
        Some(ColumnData::Text(text)) => text.codes.iter().map(|&c| text.text(c)).collect(),
        _ => vec![None; t.len],
    }
}

fn bool_values(dataset: &Dataset, table: &str, column: &str) -> Vec<bool> {
    let t = dataset.table(table);
    match t.column(column) {
        Some(c) => match &c.data {
            ColumnData::Bool(v) => (0..t.len).map(|r| c.is_valid(r) && v[r]).collect(),
            _ => vec![true; t.len],
        },
        None => vec![true; t.len],
    }
}

/// The groups of `grouping` as the catalogue defines them: active resources, all clients,
/// teams of active resources, queues of tickets; each in key order. No grouping: one group.
pub fn groups(dataset: &Dataset, grouping: Option<Grouping>) -> Groups {
    let Some(g) = grouping else {
        return Groups { grouping: None, keys: vec![String::new()], names: vec![None] };
    };
    let mut pairs: Vec<(String, Option<String>)> = match g {
        Grouping::Resource | Grouping::Client => {
            let table = if g == Grouping::Resource { "resources" } else { "clients" };
            let ids = text_values(dataset, table, "id");
            let names = text_values(dataset, table, "name");
            let active = if g == Grouping::Resource {
                bool_values(dataset, table, "active")
            } else {
                vec![true; ids.len()]
            };
            (0..ids.len())
                .filter(|&r| active[r])
                .filter_map(|r| Some((ids[r]?.to_string(), names[r].map(str::to_string))))
                .collect()
        }
        Grouping::Team => {
            let teams = text_values(dataset, "resources", "team");
            let active = bool_values(dataset, "resources", "active");
            let mut v: Vec<(String, Option<String>)> = (0..teams.len())
                .filter(|&r| active[r])
                .filter_map(|r| Some((teams[r]?.to_string(), None)))
                .collect();
            v.sort();
            v.dedup();
            v
        }
        Grouping::Queue => {
            let mut v: Vec<(String, Option<String>)> = text_values(dataset, "tickets", "queue")
                .into_iter()
                .flatten()
                .map(|q| (q.to_string(), None))
                .collect();
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
pub fn row_groups(dataset: &Dataset, table: &str, groups: &Groups) -> Vec<u32> {
    let len = dataset.table(table).len;
    let Some(g) = groups.grouping else { return vec![0; len] };
    let Some(path) = schema::table(table).and_then(|t| t.group_path(g)) else { return vec![NO_GROUP; len] };
    // The links of the path lead to the table that holds the group column.
    let mut links: Vec<&[u32]> = Vec::new();
    let mut here = schema::table(table).expect("a canonical table");
    for link_name in path.links {
        let link = here.link(link_name).expect("group path links exist");
        links.push(dataset.link_rows(here.name, link_name));
        here = schema::table(link.table).expect("link target");
    }
    let target = dataset.table(here.name);
    let Some(ColumnData::Text(text)) = target.column(path.column).map(|c| &c.data) else {
        return vec![NO_GROUP; len];
    };
    // Map each distinct text of the column to its group once; rows then look up by code.
    let index: HashMap<&str, u32> =
        groups.keys.iter().enumerate().map(|(i, k)| (k.as_str(), i as u32)).collect();
    let by_code: Vec<u32> = text.dict.iter().map(|s| index.get(s).copied().unwrap_or(NO_GROUP)).collect();
    let group_of = |row: usize| {
        let mut r = row as u32;
        for link in &links {
            if r == u32::MAX {
                return NO_GROUP;
            }
            r = link[r as usize];
        }
        match text.codes.get(r as usize) {
            Some(&code) if code != NULL_CODE => by_code[code as usize],
            _ => NO_GROUP,
        }
    };
    let mut out = vec![NO_GROUP; len];
    out.par_chunks_mut(1 << 16).enumerate().for_each(|(block, slots)| {
        let base = block << 16;
        slots.iter_mut().enumerate().for_each(|(i, slot)| *slot = group_of(base + i));
    });
    out
}
