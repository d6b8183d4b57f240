//! Rows in the order of time, whatever order the export wrote them in.
//!
//! A PSA writes its export by ticket number, by client, or in the order of a join. The evaluator
//! reads each period's rows of a table together, and rows of one period that lie scattered across
//! the whole table make every column read a cache miss (a random-order export evaluated 2-3x
//! slower than a time-ordered one). So once a table is read and checked, its rows are put in order
//! of the UTC day of their placement column (stable: rows of one day keep the file's order), and
//! the links are renumbered to match. A table already in day order is left as it is. The cache
//! stores the ordered tables, so a warm run never pays for this. Tables under 65,536 rows are left
//! in file order.
use crate::intern::{Dict, TextColumn};
use crate::{Buf, Column, ColumnData, Table};
use kpi_schema::TABLES;
use rayon::prelude::*;

use super::Lines;

/// The big tables and the instant that places a row in time.
const PLACED: [(&str, &str); 3] =
    [("tickets", "created_at"), ("time_entries", "started_at"), ("surveys", "responded_at")];

const DAY_MICROS: i64 = 86_400_000_000;

/// Smaller tables stay in file order: their columns sit in the CPU's caches whatever the order.
const MIN_ROWS: usize = 1 << 16;

/// Puts the rows of each table of [`PLACED`] in day order, with their lines, and renumbers
/// `links` (`links[t][l][row]`, the target row or `u32::MAX`).
///
/// Rows move by scatter (`new[dest[row]] = old[row]`): the old rows are read in order and the
/// writes go to one running position per day, a few hundred streams the cache holds, where a
/// gather in the new order would read the old rows at random.
pub(super) fn place_rows(tables: &mut [Table], lines: &mut [Lines], links: &mut [Vec<Vec<u32>>]) {
    let dests: Vec<Option<Vec<u32>>> = tables
        .par_iter()
        .map(|t| {
            let (_, column) =
                PLACED.iter().find(|(name, _)| *name == t.name).filter(|_| t.len >= MIN_ROWS)?;
            let c = t.loaded(column)?;
            let ColumnData::Timestamp(at) = &c.data else { return None };
            day_dest(at, c.valid.as_deref())
        })
        .collect();
    if dests.iter().all(Option::is_none) {
        return;
    }

    for (ti, dest) in dests.iter().enumerate() {
        if let Some(dest) = dest {
            tables[ti].columns.par_iter_mut().for_each(|c| move_column(c, dest));
            lines[ti] = move_lines(&lines[ti], dest);
        }
    }
    links.par_iter_mut().enumerate().for_each(|(ti, table_links)| {
        for (li, rows) in table_links.iter_mut().enumerate() {
            let target = TABLES.iter().position(|t| t.name == TABLES[ti].links[li].table);
            if let Some(to) = target.and_then(|u| dests[u].as_ref()) {
                for r in rows.iter_mut().filter(|r| **r != u32::MAX) {
                    *r = to[*r as usize];
                }
            }
            if let Some(dest) = &dests[ti] {
                *rows = scatter(rows, dest);
            }
        }
    });
}

/// For each row, its row in the order of UTC days, nulls last, stable; `None` when the rows are
/// already close enough to that order ([`in_time_order`]).
fn day_dest(at: &[i64], valid: Option<&[bool]>) -> Option<Vec<u32>> {
    let day = |r: usize| -> Option<i64> { valid.is_none_or(|v| v[r]).then(|| at[r].div_euclid(DAY_MICROS)) };
    // Nulls compare after every day.
    let key = |r: usize| day(r).map_or((1, 0), |d| (0, d));
    if in_time_order((0..at.len()).map(day)) {
        return None;
    }
    let (lo, hi) =
        (0..at.len()).filter_map(day).fold((i64::MAX, i64::MIN), |(lo, hi), d| (lo.min(d), hi.max(d)));
    let mut dest = vec![0u32; at.len()];
    // A counting sort over the days (one more bucket for nulls) when the span is sane; a timestamp
    // in year 1 or 9999 makes it a comparison sort.
    if hi >= lo && hi - lo < 1 << 20 {
        let buckets = (hi - lo + 2) as usize;
        let bucket = |r: usize| day(r).map_or(buckets - 1, |d| (d - lo) as usize);
        let mut next = vec![0u32; buckets + 1];
        for r in 0..at.len() {
            next[bucket(r) + 1] += 1;
        }
        for b in 1..=buckets {
            next[b] += next[b - 1];
        }
        for (r, d) in dest.iter_mut().enumerate() {
            let b = bucket(r);
            *d = next[b];
            next[b] += 1;
        }
    } else {
        let mut order: Vec<u32> = (0..at.len() as u32).collect();
        order.sort_by_key(|&r| key(r as usize));
        for (new, &old) in order.iter().enumerate() {
            dest[old as usize] = new as u32;
        }
    }
    Some(dest)
}

/// Whether rows with these days (`None`: null) are close enough to day order to be left as they
/// are: at most one row in 64 lies more than a week before the row above it. An export by ticket
/// number, each ticket followed by its time, is (a ticket's time spans days, not months); one in
/// random order is not. Nulls are skipped.
fn in_time_order(days: impl Iterator<Item = Option<i64>>) -> bool {
    const SLACK_DAYS: i64 = 7;
    let (mut previous, mut late, mut n) = (i64::MIN, 0usize, 0usize);
    for d in days {
        n += 1;
        if let Some(d) = d {
            if d < previous.saturating_sub(SLACK_DAYS) {
                late += 1;
            }
            previous = d;
        }
    }
    late * 64 <= n
}

/// `values` with row `r` moved to `dest[r]`.
fn scatter<T: Copy>(values: &[T], dest: &[u32]) -> Vec<T> {
    let mut out = values.to_vec();
    for (&v, &d) in values.iter().zip(dest) {
        out[d as usize] = v;
    }
    out
}

fn move_column(column: &mut Column, dest: &[u32]) {
    column.valid = column.valid.as_ref().map(|v| Buf::from(scatter(v, dest)));
    column.data = match &column.data {
        ColumnData::Int(v) => ColumnData::Int(Buf::from(scatter(v, dest))),
        ColumnData::Number(v) => ColumnData::Number(Buf::from(scatter(v, dest))),
        ColumnData::Bool(v) => ColumnData::Bool(Buf::from(scatter(v, dest))),
        ColumnData::Timestamp(v) => ColumnData::Timestamp(Buf::from(scatter(v, dest))),
        ColumnData::Text(t) => ColumnData::Text(move_text(t, dest)),
    };
}

/// An id column keeps its code equal to its row (what `Table::row_of_id` counts on): its
/// dictionary moves with the rows. Other text columns keep their dictionary.
fn move_text(text: &TextColumn, dest: &[u32]) -> TextColumn {
    let identity =
        text.dict.len() == text.codes.len() && text.codes.iter().enumerate().all(|(r, &c)| c == r as u32);
    if !identity {
        return TextColumn::from_parts(Buf::from(scatter(&text.codes, dest)), text.dict.clone());
    }
    let (bytes, ends) = text.dict.parts();
    let start = |i: usize| if i == 0 { 0 } else { ends[i - 1] as usize };
    let lens: Vec<u64> = (0..ends.len()).map(|i| ends[i] - start(i) as u64).collect();
    let mut new_ends = scatter(&lens, dest);
    let mut end = 0u64;
    for e in &mut new_ends {
        end += *e;
        *e = end;
    }
    let mut new_bytes = vec![0u8; bytes.len()];
    for (i, &d) in dest.iter().enumerate() {
        let d = d as usize;
        let to = if d == 0 { 0 } else { new_ends[d - 1] as usize };
        new_bytes[to..new_ends[d] as usize].copy_from_slice(&bytes[start(i)..ends[i] as usize]);
    }
    let dict = Dict::from_parts(Buf::from(new_bytes), Buf::from(new_ends))
        .expect("whole values moved keep the dictionary UTF-8");
    TextColumn::from_parts(Buf::from((0..dest.len() as u32).collect::<Vec<u32>>()), dict)
}

fn move_lines(lines: &Lines, dest: &[u32]) -> Lines {
    if lines.len == 0 {
        return lines.clone();
    }
    let old: Vec<u32> = (0..lines.len).map(|r| lines.get(r)).collect();
    let list = scatter(&old, dest);
    Lines { first: list.first().copied().unwrap_or(0), len: list.len(), list: Buf::from(list) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_order_is_stable_puts_nulls_last_and_leaves_ordered_rows_alone() {
        let d = DAY_MICROS;
        assert_eq!(day_dest(&[0, 5, d, 2 * d + 3], None), None);
        // A day back within the week's slack: in order.
        assert_eq!(day_dest(&[3 * d, d, 4 * d], None), None);
        let at = [20 * d, 5, d + 1, 7, 0];
        let valid = [true, true, true, true, false];
        assert_eq!(day_dest(&at, Some(&valid)), Some(vec![3, 0, 2, 1, 4]));
        // One row in 64 more than a week late is let pass; more are not.
        let mut days: Vec<Option<i64>> = (0..128).map(Some).collect();
        days[100] = Some(10);
        days[110] = Some(11);
        assert!(in_time_order(days.iter().copied()));
        days[120] = Some(12);
        assert!(!in_time_order(days.iter().copied()));
        // Year 1 next to 2026: the comparison sort, same order.
        let far = [20_000 * d, -700_000 * d, 20_000 * d + 1, 0];
        assert_eq!(day_dest(&far, None), Some(vec![2, 0, 3, 1]));
    }
}
