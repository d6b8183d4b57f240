//! Cell parsers (bool, int, number, timestamp) working on bytes, and time-zone resolution of naive times.
use chrono::{NaiveDate, NaiveDateTime, Offset, TimeZone};
use chrono_tz::Tz;

/// `s.trim()`, without the Unicode tables when both ends are visible ASCII (nearly every cell).
pub(crate) fn trim(s: &str) -> &str {
    let b = s.as_bytes();
    let visible = |c: u8| c > b' ' && c < 0x80;
    match (b.first(), b.last()) {
        (Some(&f), Some(&l)) if visible(f) && visible(l) => s,
        _ => s.trim(),
    }
}

pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    let s = trim(s);
    let b = s.as_bytes();
    match b.len() {
        1 => match b[0] {
            b'1' => Some(true),
            b'0' => Some(false),
            _ => None,
        },
        2 if s.eq_ignore_ascii_case("no") => Some(false),
        3 if s.eq_ignore_ascii_case("yes") => Some(true),
        4 if s.eq_ignore_ascii_case("true") => Some(true),
        5 if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// An integer: optional `-`, digits, within ±`i64::MAX` (`i64::MIN` stands for null downstream).
pub(crate) fn parse_int(s: &str) -> Option<i64> {
    let b = trim(s).as_bytes();
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        _ => (false, b),
    };
    // 19 digits fit in a u64.
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u64::from(d - b'0');
    }
    let v = i64::try_from(v).ok()?;
    Some(if neg { -v } else { v })
}

/// Whether `s` is written as an integer (optional `-`, digits), whatever its size.
pub(crate) fn looks_like_int(s: &str) -> bool {
    let b = trim(s).as_bytes();
    let digits = b.strip_prefix(b"-").unwrap_or(b);
    !digits.is_empty() && digits.iter().all(u8::is_ascii_digit)
}

/// A number as the contract allows: optional `-`, digits, optional `.` and digits, optional
/// exponent (`e` or `E`, optional sign, digits). Never `NaN`; infinite when the magnitude is
/// beyond `f64::MAX` (the caller reports it as out of range). `f64::MAX` itself is read.
pub(crate) fn parse_number(s: &str) -> Option<f64> {
    let s = trim(s);
    let b = s.as_bytes();
    let digits = match b.first() {
        Some(b'-') => &b[1..],
        _ => b,
    };
    let mut seen_digit = false;
    let mut seen_dot = false;
    // Up to 15 digits: the digits as an integer over a power of ten, both exact, so the one
    // rounding of the division gives the same value as `parse` (Clinger's fast path).
    let (mut mantissa, mut count, mut decimals) = (0u64, 0usize, 0usize);
    for (i, &c) in digits.iter().enumerate() {
        match c {
            b'0'..=b'9' => {
                seen_digit = true;
                mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(c - b'0'));
                count += 1;
                decimals += usize::from(seen_dot);
            }
            b'.' if !seen_dot => seen_dot = true,
            b'e' | b'E' if seen_digit => {
                let exp = &digits[i + 1..];
                let exp = match exp.first() {
                    Some(b'+' | b'-') => &exp[1..],
                    _ => exp,
                };
                if exp.is_empty() || !exp.iter().all(u8::is_ascii_digit) {
                    return None;
                }
                // Only digits, a dot and an exponent get here: `parse` reads no `inf` or `NaN`.
                return s.parse().ok();
            }
            _ => return None,
        }
    }
    if !seen_digit {
        return None;
    }
    if count <= 15 {
        const POW10: [f64; 16] =
            [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];
        let v = mantissa as f64 / POW10[decimals];
        return Some(if b[0] == b'-' { -v } else { v });
    }
    s.parse().ok()
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number (inverse of [`days_from_civil`]).
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let s = b.get(at..at + n)?;
    let mut v = 0u32;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

/// Why a cell shaped like the contract's timestamps (`YYYY-MM-DD...`) is not one, when its date
/// or time of day does not exist (`2026-06-31`, month 13, `24:30`); `None` for anything else.
pub(crate) fn impossible_timestamp(s: &str) -> Option<String> {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let b = trim(s).as_bytes();
    let year = digits(b, 0, 4)?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let (month, day) = (digits(b, 5, 2)?, digits(b, 8, 2)?);
    if b.get(10).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    if !(1..=12).contains(&month) {
        return Some(format!("month {month:02} does not exist"));
    }
    let days = days_in_month(i64::from(year), month);
    if day == 0 || day > days {
        return Some(format!(
            "{year:04}-{month:02}-{day:02} is a day that does not exist ({} {year} has {days} days)",
            MONTHS[month as usize - 1]
        ));
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) || b.get(13) != Some(&b':') {
        return None;
    }
    let (hour, minute) = (digits(b, 11, 2)?, digits(b, 14, 2)?);
    let second = if b.get(16) == Some(&b':') { digits(b, 17, 2) } else { None };
    let shown = match second {
        Some(sec) => format!("{hour:02}:{minute:02}:{sec:02}"),
        None => format!("{hour:02}:{minute:02}"),
    };
    let why = if hour > 23 {
        "hours run 00 to 23"
    } else if minute > 59 {
        "minutes run 00 to 59"
    } else if second.is_some_and(|s| s > 60) {
        "seconds run 00 to 59"
    } else {
        return None;
    };
    Some(format!("{shown} is not a time of day ({why})"))
}

/// Resolves naive local times of one zone to UTC, caching per 15-minute block (zone transitions
/// fall on quarter hours).
///
/// A local time in a spring-forward gap is read with the offset before the gap, which moves it
/// forward by the gap length (02:30 in New York on the change day is 03:30 EDT). An ambiguous
/// fall-back time is the earlier instant (the first 01:30, still on daylight time).
pub(crate) struct ZoneResolver {
    tz: Tz,
    utc: bool,
    cache: Vec<(i64, i32)>,
    /// The last month parsed (`year * 16 + month`) and the day number of its first day.
    month: (u32, i64),
}

const CACHE_SLOTS: usize = 1024;
const BLOCK_SECS: i64 = 900;

impl ZoneResolver {
    pub fn new(tz: Tz) -> ZoneResolver {
        ZoneResolver { tz, utc: tz == chrono_tz::UTC, cache: vec![(i64::MIN, 0); CACHE_SLOTS], month: (0, 0) }
    }

    /// UTC seconds of local seconds (seconds since the epoch as if the zone were UTC).
    pub fn utc_of_local(&mut self, local_secs: i64) -> i64 {
        if self.utc {
            return local_secs;
        }
        let block = local_secs.div_euclid(BLOCK_SECS);
        let slot = (block as usize) % CACHE_SLOTS;
        let (key, offset) = self.cache[slot];
        if key == block {
            return local_secs - i64::from(offset);
        }
        let offset = self.offset_at(block * BLOCK_SECS);
        self.cache[slot] = (block, offset);
        local_secs - i64::from(offset)
    }

    /// The offset (local minus UTC, seconds) that applies to a naive local time.
    fn offset_at(&self, local_secs: i64) -> i32 {
        let Some(naive) = chrono::DateTime::from_timestamp(local_secs, 0).map(|d| d.naive_utc()) else {
            return 0;
        };
        match self.tz.offset_from_local_datetime(&naive) {
            chrono::LocalResult::Single(o) => o.fix().local_minus_utc(),
            // The earlier instant has the larger offset.
            chrono::LocalResult::Ambiguous(a, b) => a.fix().local_minus_utc().max(b.fix().local_minus_utc()),
            chrono::LocalResult::None => {
                // The offset in force just before the gap (gaps are an hour or less).
                let before = naive - chrono::Duration::hours(3);
                match self.tz.offset_from_local_datetime(&before).earliest() {
                    Some(o) => o.fix().local_minus_utc(),
                    None => 0,
                }
            }
        }
    }

    pub fn naive_to_utc(&mut self, dt: NaiveDateTime) -> i64 {
        self.utc_of_local(dt.and_utc().timestamp()) * 1_000_000
            + i64::from(dt.and_utc().timestamp_subsec_micros())
    }
}

/// Parses a timestamp of the contract: RFC 3339 with `Z` or an offset, naive
/// `YYYY-MM-DD[T ]HH:MM[:SS[.fff]]` in the zone, or a date `YYYY-MM-DD` (local midnight).
/// Returns microseconds since the epoch, UTC.
pub(crate) fn parse_timestamp_with(s: &str, zone: &mut ZoneResolver) -> Option<i64> {
    let b = trim(s).as_bytes();
    if let Some(t) = parse_utc_seconds(b, zone) {
        return Some(t);
    }
    parse_general(b, zone)
}

/// Parses a date `YYYY-MM-DD` (a date-time such as `2026-03-01T00:00:00` or
/// `2026-03-01 00:00:00Z`, as PSA APIs write dates, is read as its date part): the local midnight
/// that starts it in the zone, microseconds UTC.
pub(crate) fn parse_date_with(s: &str, zone: &mut ZoneResolver) -> Option<i64> {
    let s = trim(s);
    let (day, rest) = s.split_at_checked(10)?;
    if !(rest.is_empty() || rest.starts_with(['T', ' '])) {
        return None;
    }
    let date = NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?;
    Some(zone.naive_to_utc(date.and_time(chrono::NaiveTime::MIN)))
}

/// A date from a profile's format (a date, or a date-time read as its local date).
pub(crate) fn parse_date_format(s: &str, format: &str, zone: &mut ZoneResolver) -> Option<i64> {
    let s = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, format) {
        return Some(zone.naive_to_utc(d.and_time(chrono::NaiveTime::MIN)));
    }
    if let Ok(dt) = NaiveDateTime::parse_from_str(s, format) {
        return Some(zone.naive_to_utc(dt.date().and_time(chrono::NaiveTime::MIN)));
    }
    None
}

/// Every form the loader reads (see the crate docs); [`parse_utc_seconds`] is its fast path.
fn parse_general(b: &[u8], zone: &mut ZoneResolver) -> Option<i64> {
    let year = digits(b, 0, 4)?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let month = digits(b, 5, 2)?;
    let day = digits(b, 8, 2)?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(i64::from(year), month) {
        return None;
    }
    // Timestamps of a file cluster in time: one month's start is reused.
    let key = year * 16 + month;
    if zone.month.0 != key {
        zone.month = (key, days_from_civil(i64::from(year), month, 1));
    }
    let days = zone.month.1 + i64::from(day) - 1;
    if b.len() == 10 {
        return Some(zone.utc_of_local(days * 86_400) * 1_000_000);
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) || b.get(13) != Some(&b':') {
        return None;
    }
    let hour = digits(b, 11, 2)?;
    let minute = digits(b, 14, 2)?;
    let mut p = 16;
    let mut second = 0;
    if b.get(p) == Some(&b':') {
        second = digits(b, 17, 2)?;
        p = 19;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut micros: i64 = 0;
    if b.get(p) == Some(&b'.') {
        p += 1;
        let start = p;
        while p < b.len() && b[p].is_ascii_digit() {
            if p - start < 6 {
                micros = micros * 10 + i64::from(b[p] - b'0');
            }
            p += 1;
        }
        let n = p - start;
        if n == 0 {
            return None;
        }
        for _ in n..6 {
            micros *= 10;
        }
    }
    let local = days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second);
    let utc = match b.get(p) {
        None => zone.utc_of_local(local),
        Some(b'Z' | b'z') if p + 1 == b.len() => local,
        Some(&sign @ (b'+' | b'-')) => {
            let oh = digits(b, p + 1, 2)?;
            let (om, end) = if b.get(p + 3) == Some(&b':') {
                (digits(b, p + 4, 2)?, p + 6)
            } else {
                (digits(b, p + 3, 2)?, p + 5)
            };
            if end != b.len() || oh > 23 || om > 59 {
                return None;
            }
            let off = i64::from(oh * 3600 + om * 60);
            if sign == b'+' {
                local - off
            } else {
                local + off
            }
        }
        _ => return None,
    };
    Some(utc * 1_000_000 + micros)
}

/// The common form `YYYY-MM-DDTHH:MM:SSZ` in one pass; `None` for anything else (the general
/// parser then decides).
fn parse_utc_seconds(b: &[u8], zone: &mut ZoneResolver) -> Option<i64> {
    let b: &[u8; 20] = b.try_into().ok()?;
    // Three words XORed with the shape: digits become their values (0..=9 only for `0`..=`9`),
    // separators 0. Adding 0x76 to a byte over 9 (or 0x7F to a nonzero one) sets its high bit;
    // the low seven bits are added alone, so no carry crosses bytes.
    const H: u64 = 0x8080_8080_8080_8080;
    let word = |i: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[i..i + 8]);
        u64::from_le_bytes(w)
    };
    let (w0, w1, w2) = (word(0), word(8), word(12));
    let x0 = w0 ^ u64::from_le_bytes(*b"0000-00-");
    let x1 = w1 ^ u64::from_le_bytes(*b"00T00:00");
    let x2 = w2 ^ u64::from_le_bytes(*b"0:00:00Z");
    const A0: u64 = u64::from_le_bytes([0x76, 0x76, 0x76, 0x76, 0x7F, 0x76, 0x76, 0x7F]);
    const A1: u64 = u64::from_le_bytes([0x76, 0x76, 0x7F, 0x76, 0x76, 0x7F, 0x76, 0x76]);
    const A2: u64 = u64::from_le_bytes([0x76, 0x7F, 0x76, 0x76, 0x7F, 0x76, 0x76, 0x7F]);
    let bad = ((((x0 & !H) + A0) | x0) | (((x1 & !H) + A1) | x1) | (((x2 & !H) + A2) | x2)) & H;
    if bad != 0 {
        return None;
    }
    let d = |x: u64, i: u32| ((x >> (8 * i)) & 0xFF) as u32;
    let two = |x: u64, i: u32| d(x, i) * 10 + d(x, i + 1);
    let (year, month, day) = (two(x0, 0) * 100 + two(x0, 2), two(x0, 5), two(x1, 0));
    let (hour, minute, second) = (two(x1, 3), two(x1, 6), two(x2, 5));
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(i64::from(year), month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let key = year * 16 + month;
    if zone.month.0 != key {
        zone.month = (key, days_from_civil(i64::from(year), month, 1));
    }
    let days = zone.month.1 + i64::from(day) - 1;
    let secs = days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second);
    Some(secs * 1_000_000)
}

/// Parses one timestamp cell as the loader does, in zone `tz` (see the crate docs for the forms).
pub fn parse_timestamp(s: &str, tz: Tz) -> Option<i64> {
    parse_timestamp_with(s, &mut ZoneResolver::new(tz))
}

/// Parses with a chrono format string from a mapping profile: with an offset (`%z`), naive in the
/// zone, or a date only.
pub(crate) fn parse_timestamp_format(s: &str, format: &str, zone: &mut ZoneResolver) -> Option<i64> {
    let s = s.trim();
    if let Ok(dt) = chrono::DateTime::parse_from_str(s, format) {
        return Some(dt.timestamp_micros());
    }
    if let Ok(dt) = NaiveDateTime::parse_from_str(s, format) {
        return Some(zone.naive_to_utc(dt));
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, format) {
        return Some(zone.naive_to_utc(d.and_time(chrono::NaiveTime::MIN)));
    }
    None
}

/// Formats microseconds since the epoch as RFC 3339 in UTC, seconds precision unless fractional
/// (`2026-03-02T14:30:00Z`).
pub fn format_timestamp(micros: i64) -> String {
    let mut out = Vec::with_capacity(24);
    write_timestamp(&mut out, micros.div_euclid(1_000_000));
    let frac = micros.rem_euclid(1_000_000);
    if frac != 0 {
        out.pop();
        out.extend_from_slice(format!(".{frac:06}Z").as_bytes());
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Appends `secs` (UTC) as `YYYY-MM-DDTHH:MM:SSZ`.
pub(crate) fn write_timestamp(out: &mut Vec<u8>, secs: i64) {
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let y = y.clamp(0, 9999) as u32;
    let two = |out: &mut Vec<u8>, v: u32| {
        out.push(b'0' + (v / 10) as u8);
        out.push(b'0' + (v % 10) as u8);
    };
    two(out, y / 100);
    two(out, y % 100);
    out.push(b'-');
    two(out, m);
    out.push(b'-');
    two(out, d);
    out.push(b'T');
    two(out, (sod / 3600) as u32);
    out.push(b':');
    two(out, (sod / 60 % 60) as u32);
    out.push(b':');
    two(out, (sod % 60) as u32);
    out.push(b'Z');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for d in [-800_000i64, -1, 0, 1, 19_000, 20_727, 2_000_000] {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
        assert_eq!(days_from_civil(2026, 3, 2), 20_514);
    }

    #[test]
    fn the_fast_form_reads_as_the_general_one() {
        let mut zone = ZoneResolver::new(chrono_tz::UTC);
        for s in [
            "2026-03-02T14:30:05Z",
            "1999-12-31T23:59:60Z",
            "2024-02-29T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2026-13-02T14:30:05Z",
            "2026-03-02T24:30:05Z",
            "2026-03-0xT14:30:05Z",
            "0000-01-01T00:00:00Z",
        ] {
            let fast = parse_utc_seconds(s.as_bytes(), &mut zone);
            let general = parse_timestamp_with(&s.replace('Z', "+00:00"), &mut zone);
            assert_eq!(fast, general, "{s}");
        }
    }

    /// The fast path reads exactly what the general parser reads over generated timestamps of
    /// its shape (every month and day, leap days, hours to 24, seconds to 61, one byte changed),
    /// and leaves every other shape (fractions, offsets, no zone, lower case, a space) alone.
    #[test]
    fn the_fast_path_agrees_with_the_general_parser() {
        let mut zone = ZoneResolver::new(chrono_tz::America::New_York);
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut fast_hits = 0;
        for i in 0..200_000u64 {
            let r = next();
            let year = [0, 1, 1899, 1900, 1970, 1999, 2000, 2023, 2024, 2026, 2100, 9999][(r % 12) as usize];
            let month = (r >> 8) % 14; // 0 and 13 are invalid
            let day = (r >> 16) % 33; // 0, 30 and 31 in short months, 32 are invalid
            let (hour, minute, second) = ((r >> 24) % 25, (r >> 32) % 61, (r >> 40) % 62);
            let mut s = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z");
            match i % 8 {
                0..=3 => {}
                4 => {
                    // One byte replaced by a digit, a separator or a byte around them.
                    let at = ((r >> 48) % 20) as usize;
                    let set = b"0123456789:-TZtz /+.\x7f/;A";
                    let mut v = s.into_bytes();
                    v[at] = set[(r >> 56) as usize % set.len()];
                    s = String::from_utf8(v).unwrap();
                }
                5 => s = s.replace('Z', &format!(".{}Z", r % 1000)),
                6 => s = s.replace('Z', ["+02:00", "-0530", "", "z"][((r >> 48) % 4) as usize]),
                _ => s = s.replacen('T', " ", 1),
            }
            // The loader trims cells before either parser sees them.
            let (raw, s) = (s.clone(), trim(&s));
            let shaped = s.len() == 20
                && s.bytes().enumerate().all(|(i, c)| match i {
                    4 | 7 => c == b'-',
                    10 => c == b'T',
                    13 | 16 => c == b':',
                    19 => c == b'Z',
                    _ => c.is_ascii_digit(),
                });
            let fast = parse_utc_seconds(s.as_bytes(), &mut zone);
            let general = parse_general(s.as_bytes(), &mut zone);
            if shaped {
                assert_eq!(fast, general, "{s}");
                fast_hits += usize::from(fast.is_some());
            } else {
                assert_eq!(fast, None, "{s} is left to the general parser");
            }
            assert_eq!(parse_timestamp_with(&raw, &mut zone), fast.or(general), "{raw}");
        }
        assert!(fast_hits > 20_000, "{fast_hits}");
        for s in
            ["2024-02-29T00:00:00Z", "2000-02-29T23:59:60Z", "1900-02-29T00:00:00Z", "2023-02-29T00:00:00Z"]
        {
            assert_eq!(
                parse_utc_seconds(s.as_bytes(), &mut zone),
                parse_general(s.as_bytes(), &mut zone),
                "{s}"
            );
        }
        assert!(parse_utc_seconds(b"2024-02-29T00:00:00Z", &mut zone).is_some());
        assert!(parse_utc_seconds(b"1900-02-29T00:00:00Z", &mut zone).is_none());
    }

    #[test]
    fn numbers_read_as_parse_does() {
        for s in [
            "0",
            "-0",
            "1.",
            ".5",
            "-.5",
            "0.1",
            "1.25",
            "123456789012345",
            "0.000000000000001",
            "9.99999999999999",
            "1234567890123456",
            "0.30000000000000004",
            "-17.0625",
            "1e5",
            "1.5E-3",
            "-2.5e+10",
            ".5e1",
            "1.7976931348623157e308",
            "4.9e-324",
        ] {
            assert_eq!(parse_number(s).map(f64::to_bits), s.parse::<f64>().ok().map(f64::to_bits), "{s}");
        }
    }

    #[test]
    fn numbers_never_read_nan_and_overflow_to_infinity() {
        for s in
            ["NaN", "nan", "inf", "-inf", "infinity", "+1", "1e", "1e+", "e1", ".e1", "1.5.2", "1,5", "0x10"]
        {
            assert_eq!(parse_number(s), None, "{s}");
        }
        assert_eq!(parse_number("1e400"), Some(f64::INFINITY));
        assert_eq!(parse_number(&"9".repeat(400)), Some(f64::INFINITY));
        assert_eq!(parse_int("9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_int("-9223372036854775807"), Some(-i64::MAX));
        assert_eq!(parse_int("-9223372036854775808"), None);
        assert_eq!(parse_int("99999999999999999999"), None);
    }

    #[test]
    fn format_round_trip() {
        let t = parse_timestamp("2026-03-02T14:30:05.25Z", chrono_tz::UTC).unwrap();
        assert_eq!(format_timestamp(t), "2026-03-02T14:30:05.250000Z");
        assert_eq!(format_timestamp(t - 250_000), "2026-03-02T14:30:05Z");
    }
}
