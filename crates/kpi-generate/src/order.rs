//! Row orders for the big tables (`kpi generate --order`): real exports come sorted by time, by
//! ticket number, by client, or in whatever order a join left them.
use crate::rng::Rng;
use std::cmp::Ordering;
use std::collections::HashMap;

/// The order rows of `tickets.csv`, `time_entries.csv` and `surveys.csv` are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// As generated: month by month, tickets by creation (which is also id order), then each
    /// ticket's time entries and survey in ticket order, then the month's internal time.
    Generated,
    /// By each row's own instant: `created_at`, `started_at`, `responded_at`.
    Time,
    /// By id, digit runs compared as numbers (`T100002-2` before `T100002-10`).
    Id,
    /// By client: tickets and surveys by `client_id`, time entries by their ticket's client (time
    /// without a ticket last); by id within a client.
    Client,
    /// A random permutation drawn from the seed.
    Random,
}

impl std::str::FromStr for Order {
    type Err = String;
    fn from_str(s: &str) -> Result<Order, String> {
        match s {
            "generated" => Ok(Order::Generated),
            "time" => Ok(Order::Time),
            "id" => Ok(Order::Id),
            "client" => Ok(Order::Client),
            "random" => Ok(Order::Random),
            _ => Err(format!("`{s}` is not an order: use time, id, client, random or generated")),
        }
    }
}

/// One of the three big files, by the columns its order keys read.
#[derive(Clone, Copy)]
pub(crate) enum Big {
    Tickets,
    Entries,
    Surveys,
}

impl Big {
    /// (instant column, client column) of the file's header; entries have no client column.
    fn columns(self) -> (usize, Option<usize>) {
        match self {
            Big::Tickets => (3, Some(1)),
            Big::Entries => (3, None),
            Big::Surveys => (4, Some(3)),
        }
    }
}

/// The rows of `body` (CSV lines without the header, no quoted fields) in `order`. `tickets` is the
/// tickets body, for the client of a time entry. Stable: ties keep the generated order.
pub(crate) fn reorder(body: &[u8], big: Big, order: Order, seed: u64, tickets: &[u8]) -> Vec<u8> {
    let rows = lines(body);
    let mut idx: Vec<u32> = (0..rows.len() as u32).collect();
    let (at, client) = big.columns();
    match order {
        Order::Generated => return body.to_vec(),
        Order::Time => idx.sort_by(|&a, &b| field(rows[a as usize], at).cmp(field(rows[b as usize], at))),
        Order::Id => idx.sort_by(|&a, &b| natural(field(rows[a as usize], 0), field(rows[b as usize], 0))),
        Order::Client => {
            let client_of_ticket: HashMap<&[u8], &[u8]> =
                lines(tickets).into_iter().map(|t| (field(t, 0), field(t, 1))).collect();
            let keys: Vec<(Option<&[u8]>, &[u8])> = rows
                .iter()
                .map(|&r| {
                    let c = match client {
                        Some(c) => Some(field(r, c)),
                        None => client_of_ticket.get(field(r, 2)).copied(),
                    };
                    (c, field(r, 0))
                })
                .collect();
            idx.sort_by(|&a, &b| {
                let (ca, ia) = keys[a as usize];
                let (cb, ib) = keys[b as usize];
                // Rows without a client go last.
                match (ca, cb) {
                    (Some(x), Some(y)) => natural(x, y),
                    (Some(_), None) => Ordering::Less,
                    (None, Some(_)) => Ordering::Greater,
                    (None, None) => Ordering::Equal,
                }
                .then_with(|| natural(ia, ib))
            });
        }
        Order::Random => {
            let mut rng = Rng::new(seed, 9000 + big as u64);
            for i in (1..idx.len()).rev() {
                idx.swap(i, rng.below(i as u64 + 1) as usize);
            }
        }
    }
    let mut out = Vec::with_capacity(body.len());
    for i in idx {
        out.extend_from_slice(rows[i as usize]);
        out.push(b'\n');
    }
    out
}

/// The lines of `body`, without their newlines.
fn lines(body: &[u8]) -> Vec<&[u8]> {
    body.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect()
}

/// Field `k` of a CSV line without quotes.
fn field(line: &[u8], k: usize) -> &[u8] {
    line.split(|&b| b == b',').nth(k).unwrap_or(b"")
}

/// Natural order: runs of digits compare as numbers, everything else byte by byte.
fn natural(a: &[u8], b: &[u8]) -> Ordering {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i].is_ascii_digit() && b[j].is_ascii_digit() {
            let (si, sj) = (i, j);
            while i < a.len() && a[i].is_ascii_digit() {
                i += 1;
            }
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            let (x, y) = (trim_zeros(&a[si..i]), trim_zeros(&b[sj..j]));
            match x.len().cmp(&y.len()).then_with(|| x.cmp(y)) {
                Ordering::Equal => continue,
                other => return other,
            }
        }
        match a[i].cmp(&b[j]) {
            Ordering::Equal => {
                i += 1;
                j += 1;
            }
            other => return other,
        }
    }
    (a.len() - i).cmp(&(b.len() - j))
}

fn trim_zeros(d: &[u8]) -> &[u8] {
    let k = d.iter().take_while(|&&c| c == b'0').count();
    &d[k.min(d.len().saturating_sub(1))..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order_compares_digit_runs_as_numbers() {
        let mut ids: Vec<&[u8]> = vec![b"T100002-10", b"T100002-2", b"I1-2-1", b"T99999-1", b"T100002-1"];
        ids.sort_by(|a, b| natural(a, b));
        assert_eq!(ids, [&b"I1-2-1"[..], b"T99999-1", b"T100002-1", b"T100002-2", b"T100002-10"]);
    }

    #[test]
    fn each_order_sorts_by_its_key() {
        let tickets =
            b"T2,C2,R1,2026-01-02T00:00:00Z\nT10,C1,R1,2026-01-03T00:00:00Z\nT1,C2,R1,2026-01-01T00:00:00Z\n";
        let text = |o| String::from_utf8(reorder(tickets, Big::Tickets, o, 1, tickets)).unwrap();
        let ids = |o| text(o).lines().map(|l| l.split(',').next().unwrap().to_string()).collect::<Vec<_>>();
        assert_eq!(ids(Order::Time), ["T1", "T2", "T10"]);
        assert_eq!(ids(Order::Id), ["T1", "T2", "T10"]);
        assert_eq!(ids(Order::Client), ["T10", "T1", "T2"]);
        assert_eq!(ids(Order::Generated), ["T2", "T10", "T1"]);
        let mut random = ids(Order::Random);
        random.sort();
        assert_eq!(random, ["T1", "T10", "T2"]);
        let entries =
            b"E1,R1,T1,2026-01-05T00:00:00Z\nE2,R1,,2026-01-04T00:00:00Z\nE3,R1,T10,2026-01-06T00:00:00Z\n";
        let by_client = String::from_utf8(reorder(entries, Big::Entries, Order::Client, 1, tickets)).unwrap();
        let ids: Vec<&str> = by_client.lines().map(|l| l.split(',').next().unwrap()).collect();
        assert_eq!(ids, ["E3", "E1", "E2"]);
    }
}
