//! Calendar periods in the dataset's time zone, and which period a timestamp falls in.
use chrono::{Datelike, Duration, NaiveDate, TimeZone, Weekday};
use chrono_tz::Tz;
use kpi_hir::Grain;
use std::collections::BTreeSet;

/// One period [start, end): local midnight to local midnight.
#[derive(Debug, Clone, PartialEq)]
pub struct Period {
    pub label: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    /// Microseconds since the epoch, UTC.
    pub start: i64,
    pub end: i64,
}

impl Period {
    /// The period has not ended at `as_of`: its values cover it only to date.
    pub fn is_partial(&self, as_of: i64) -> bool {
        self.end > as_of
    }
}

/// The first day of the period of `grain` that holds `date`.
fn grain_start(grain: Grain, date: NaiveDate) -> NaiveDate {
    let ymd = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("a valid calendar date");
    match grain {
        Grain::Week => date - Duration::days(date.weekday().num_days_from_monday() as i64),
        Grain::Month => ymd(date.year(), date.month(), 1),
        Grain::Quarter => ymd(date.year(), (date.month() - 1) / 3 * 3 + 1, 1),
        Grain::Year | Grain::Snapshot => ymd(date.year(), 1, 1),
    }
}

fn next_start(grain: Grain, start: NaiveDate) -> NaiveDate {
    let months =
        |n: u32| start.checked_add_months(chrono::Months::new(n)).expect("a date within chrono's range");
    match grain {
        Grain::Week => start + Duration::days(7),
        Grain::Month => months(1),
        Grain::Quarter => months(3),
        Grain::Year | Grain::Snapshot => months(12),
    }
}

fn label(grain: Grain, start: NaiveDate) -> String {
    match grain {
        Grain::Week => {
            let w = start.iso_week();
            format!("{}-W{:02}", w.year(), w.week())
        }
        Grain::Month => format!("{}-{:02}", start.year(), start.month()),
        Grain::Quarter => format!("{}-Q{}", start.year(), (start.month() - 1) / 3 + 1),
        Grain::Year | Grain::Snapshot => format!("{}", start.year()),
    }
}

/// Local midnight of `date` in `tz`, in microseconds UTC. Where midnight does not exist (a DST
/// change at midnight) the day starts at the first instant that does.
pub fn local_midnight(date: NaiveDate, tz: Tz) -> i64 {
    let midnight = date.and_hms_opt(0, 0, 0).expect("midnight");
    for minutes in (0..=180).step_by(30) {
        if let Some(t) = tz.from_local_datetime(&(midnight + Duration::minutes(minutes))).earliest() {
            return t.timestamp_micros();
        }
    }
    tz.from_utc_datetime(&midnight).timestamp_micros()
}

/// The local calendar date of a UTC instant.
pub fn local_date(micros: i64, tz: Tz) -> NaiveDate {
    let utc = chrono::DateTime::from_timestamp_micros(micros).unwrap_or_default();
    utc.with_timezone(&tz).date_naive()
}

/// The periods of `grain` that start in [from, to).
pub fn periods_between(grain: Grain, tz: Tz, from: NaiveDate, to: NaiveDate) -> Vec<Period> {
    let mut start = grain_start(grain, from);
    if start < from {
        start = next_start(grain, start);
    }
    let mut out = Vec::new();
    while start < to {
        let end = next_start(grain, start);
        out.push(Period {
            label: label(grain, start),
            start_date: start,
            end_date: end,
            start: local_midnight(start, tz),
            end: local_midnight(end, tz),
        });
        start = end;
    }
    out
}

/// The periods of `grain` that hold any instant in [first, last].
pub fn periods_covering(grain: Grain, tz: Tz, first: i64, last: i64) -> Vec<Period> {
    let from = grain_start(grain, local_date(first, tz));
    let to = local_date(last, tz) + Duration::days(1);
    periods_between(grain, tz, from, to)
}

/// Monday-to-Friday dates in [start, end) that are not holidays.
pub fn workdays(start: NaiveDate, end: NaiveDate, holidays: &BTreeSet<NaiveDate>) -> u32 {
    let mut n = 0;
    let mut d = start;
    while d < end {
        if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !holidays.contains(&d) {
            n += 1;
        }
        d += Duration::days(1);
    }
    n
}

/// The working days of a period counted to date: its Monday-to-Friday dates, less holidays,
/// whose start (local midnight) is before `cutoff` (the period's end, or `as_of` in a period in
/// progress). A closed period counts all of them.
pub fn workdays_to(period: &Period, cutoff: i64, tz: Tz, holidays: &BTreeSet<NaiveDate>) -> u32 {
    let day = local_date(cutoff, tz);
    let first_not_started = if local_midnight(day, tz) < cutoff { day + Duration::days(1) } else { day };
    workdays(period.start_date, period.end_date.min(first_not_started), holidays)
}

/// The index of the period holding `t`, by binary search over contiguous periods.
pub fn period_of(periods: &[Period], t: i64) -> Option<usize> {
    let first = periods.first()?;
    if t < first.start || t >= periods.last()?.end {
        return None;
    }
    Some(periods.partition_point(|p| p.end <= t))
}

/// [`period_of`] in constant time, for bucketing millions of rows: the period at the start of
/// every slot of `2^shift` microseconds, slots being no longer than the shortest period, so at
/// most one period boundary falls inside a slot.
pub struct PeriodIndex {
    first: i64,
    last: i64,
    shift: u32,
    slots: Vec<u32>,
    ends: Vec<i64>,
}

impl PeriodIndex {
    /// Slots beyond this many (years of tiny periods) fall back to binary search.
    const MAX_SLOTS: i64 = 1 << 22;

    pub fn new(periods: &[Period]) -> PeriodIndex {
        let ends: Vec<i64> = periods.iter().map(|p| p.end).collect();
        let (first, last) = match (periods.first(), periods.last()) {
            (Some(a), Some(b)) => (a.start, b.end.max(a.start)),
            _ => (0, 0),
        };
        let shortest = periods.iter().map(|p| p.end - p.start).min().unwrap_or(1).max(1);
        let shift = 63 - shortest.leading_zeros();
        let count = ((last - first) >> shift) + 1;
        let slots = if count <= Self::MAX_SLOTS {
            (0..count).map(|k| ends.partition_point(|&e| e <= first + (k << shift)) as u32).collect()
        } else {
            Vec::new()
        };
        PeriodIndex { first, last, shift, slots, ends }
    }

    #[inline]
    pub fn find(&self, t: i64) -> Option<usize> {
        if t < self.first || t >= self.last {
            return None;
        }
        let Some(&slot) = self.slots.get(((t - self.first) >> self.shift) as usize) else {
            return Some(self.ends.partition_point(|&e| e <= t));
        };
        let p = slot as usize;
        Some(p + (t >= self.ends[p]) as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn months_start_at_local_midnight() {
        let ps = periods_between(Grain::Month, chrono_tz::America::Chicago, d("2026-01-01"), d("2026-04-01"));
        let labels: Vec<&str> = ps.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(labels, ["2026-01", "2026-02", "2026-03"]);
        // Chicago is UTC-6 in January.
        assert_eq!(
            ps[0].start,
            chrono::DateTime::parse_from_rfc3339("2026-01-01T06:00:00Z").unwrap().timestamp_micros()
        );
        // March 2026 holds the spring-forward day: 31 days minus one hour.
        assert_eq!(ps[2].end - ps[2].start, (31 * 24 - 1) * 3_600_000_000);
    }

    #[test]
    fn period_index_agrees_with_binary_search() {
        let tz = chrono_tz::America::Chicago;
        for grain in [Grain::Week, Grain::Month, Grain::Quarter, Grain::Year] {
            let ps = periods_between(grain, tz, d("2024-01-01"), d("2027-01-01"));
            let index = PeriodIndex::new(&ps);
            let (first, last) = (ps[0].start, ps.last().unwrap().end);
            // Every boundary and its neighbours, and a walk in odd steps across the range.
            let mut times: Vec<i64> = ps.iter().flat_map(|p| [p.start - 1, p.start, p.start + 1]).collect();
            times.extend([first - 1, last - 1, last, last + 1, i64::MIN, i64::MAX]);
            times.extend((first..last).step_by(1_234_567_891));
            for t in times {
                assert_eq!(index.find(t), period_of(&ps, t), "{grain:?} at {t}");
            }
        }
        assert_eq!(PeriodIndex::new(&[]).find(0), None);
    }

    #[test]
    fn from_inside_a_month_skips_it() {
        let ps = periods_between(Grain::Month, chrono_tz::UTC, d("2026-01-15"), d("2026-03-01"));
        assert_eq!(ps.len(), 1);
        assert_eq!(ps[0].label, "2026-02");
    }

    #[test]
    fn weeks_quarters_years() {
        // Weeks starting in [Thu 2026-01-01, Tue 2026-01-20): Mondays Jan 5, 12 and 19.
        let ps = periods_between(Grain::Week, chrono_tz::UTC, d("2026-01-01"), d("2026-01-20"));
        assert_eq!(
            ps.iter().map(|p| p.label.clone()).collect::<Vec<_>>(),
            ["2026-W02", "2026-W03", "2026-W04"]
        );
        let ps = periods_between(Grain::Quarter, chrono_tz::UTC, d("2026-01-01"), d("2027-01-01"));
        assert_eq!(ps.len(), 4);
        assert_eq!(ps[3].label, "2026-Q4");
        let ps = periods_between(Grain::Year, chrono_tz::UTC, d("2025-01-01"), d("2027-01-01"));
        assert_eq!(ps[1].label, "2026");
    }

    #[test]
    fn workdays_count_to_date_in_a_period_in_progress() {
        let tz: Tz = "America/Chicago".parse().unwrap();
        let march = &periods_between(Grain::Month, tz, d("2026-03-01"), d("2026-04-01"))[0];
        let at = |date: &str, hour: u32| local_midnight(d(date), tz) + i64::from(hour) * 3_600_000_000;
        let none = BTreeSet::new();
        // 22 workdays in March 2026; Friday the 20th is the 15th of them.
        assert_eq!(workdays_to(march, march.end, tz, &none), 22);
        assert_eq!(workdays_to(march, at("2027-01-01", 0), tz, &none), 22);
        assert_eq!(workdays_to(march, at("2026-03-20", 0), tz, &none), 14, "the 20th has not started");
        assert_eq!(workdays_to(march, at("2026-03-20", 1), tz, &none), 15, "the 20th has started");
        assert_eq!(workdays_to(march, at("2026-03-21", 12), tz, &none), 15, "a Saturday adds none");
        assert_eq!(workdays_to(march, march.start, tz, &none), 0);
    }

    #[test]
    fn workdays_skip_weekends_and_holidays() {
        let holidays: BTreeSet<NaiveDate> = [d("2026-01-01")].into();
        assert_eq!(workdays(d("2026-01-01"), d("2026-02-01"), &BTreeSet::new()), 22);
        assert_eq!(workdays(d("2026-01-01"), d("2026-02-01"), &holidays), 21);
    }

    #[test]
    fn period_lookup() {
        let ps = periods_between(Grain::Month, chrono_tz::UTC, d("2026-01-01"), d("2026-03-01"));
        assert_eq!(period_of(&ps, ps[0].start), Some(0));
        assert_eq!(period_of(&ps, ps[1].start - 1), Some(0));
        assert_eq!(period_of(&ps, ps[1].start), Some(1));
        assert_eq!(period_of(&ps, ps[1].end), None);
        assert_eq!(period_of(&ps, ps[0].start - 1), None);
    }
}
