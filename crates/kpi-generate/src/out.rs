//! The CSV output buffer, with the number and timestamp formatting the files need.
/// A growing output buffer with cheap formatting.
pub(crate) struct Out(pub(crate) Vec<u8>);

impl Out {
    pub(crate) fn s(&mut self, s: &str) -> &mut Self {
        self.0.extend_from_slice(s.as_bytes());
        self
    }
    pub(crate) fn c(&mut self) -> &mut Self {
        self.0.push(b',');
        self
    }
    pub(crate) fn n(&mut self, mut v: u64) -> &mut Self {
        let mut buf = [0u8; 20];
        let mut i = buf.len();
        loop {
            i -= 1;
            buf[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        self.0.extend_from_slice(&buf[i..]);
        self
    }
    /// A non-negative multiple of 0.25.
    pub(crate) fn quarter(&mut self, v: f64) -> &mut Self {
        let q = (v * 4.0).round().max(0.0) as u64;
        self.n(q / 4);
        match q % 4 {
            1 => self.s(".25"),
            2 => self.s(".5"),
            3 => self.s(".75"),
            _ => self,
        }
    }
    pub(crate) fn t(&mut self, secs: i64) -> &mut Self {
        write_timestamp(&mut self.0, secs);
        self
    }
    pub(crate) fn opt_t(&mut self, secs: Option<i64>) -> &mut Self {
        if let Some(s) = secs {
            self.t(s);
        }
        self
    }
    pub(crate) fn nl(&mut self) {
        self.0.push(b'\n');
    }
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

/// Appends `secs` (UTC) as `YYYY-MM-DDTHH:MM:SSZ`.
fn write_timestamp(out: &mut Vec<u8>, secs: i64) {
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
        let mut out = Vec::new();
        write_timestamp(&mut out, 20_514 * 86_400 + 14 * 3600 + 30 * 60 + 5);
        assert_eq!(out, b"2026-03-02T14:30:05Z");
    }
}
