//! Status, attainment and the weighted score, exactly as the catalogue's "Common terms" define them.
use kpi_hir::CmpOp;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Met,
    Missed,
    NoData,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Met => "met",
            Status::Missed => "missed",
            Status::NoData => "no_data",
        }
    }
}

/// How a value's attainment is scored.
#[derive(Debug, Clone, PartialEq)]
pub enum Scoring {
    Attainment,
    PassFail,
    /// (value, attainment) points in increasing value order.
    Bands(Vec<(f64, f64)>),
}

/// Whether `v` equals `target` but for floating-point rounding: within 1e-12 of it, relative
/// (absolute below 1). A mean of 4/5, 5/5, 4/5, 5/5 is 0.9 or 0.8999999999999999 depending on the
/// order the rows are added in; on a target of 0.9 both must score the same.
pub fn at_target(v: f64, target: f64) -> bool {
    (v - target).abs() <= 1e-12 * v.abs().max(target.abs()).max(1.0)
}

pub fn status(value: Option<f64>, op: CmpOp, target: f64) -> Status {
    let Some(v) = value else { return Status::NoData };
    let on = at_target(v, target);
    let met = match op {
        CmpOp::Ge => on || v >= target,
        CmpOp::Gt => !on && v > target,
        CmpOp::Le => on || v <= target,
        CmpOp::Lt => !on && v < target,
    };
    if met {
        Status::Met
    } else {
        Status::Missed
    }
}

/// Attainment in [0, 1]; `None` for `no_data`.
pub fn attainment(value: Option<f64>, op: CmpOp, target: f64, scoring: &Scoring) -> Option<f64> {
    let v = value?;
    let a = match scoring {
        Scoring::PassFail => {
            if status(Some(v), op, target) == Status::Met {
                1.0
            } else {
                0.0
            }
        }
        Scoring::Bands(points) => interpolate(points, v),
        // A target of zero or below has no meaningful ratio, and neither has a value exactly on a
        // strict target: such a KPI scores pass/fail, so a missed KPI never gets full attainment.
        Scoring::Attainment if target <= 0.0 || at_target(v, target) => {
            f64::from(u8::from(status(Some(v), op, target) == Status::Met))
        }
        Scoring::Attainment => match op {
            // a = min(1, v / T).
            CmpOp::Ge | CmpOp::Gt => (v / target).min(1.0),
            // a = 1 when v <= T, else T / v.
            CmpOp::Le | CmpOp::Lt if v <= target => 1.0,
            CmpOp::Le | CmpOp::Lt => target / v,
        },
    };
    Some(if a.is_finite() { a.clamp(0.0, 1.0) } else { 0.0 })
}

fn interpolate(points: &[(f64, f64)], v: f64) -> f64 {
    let (Some(first), Some(last)) = (points.first(), points.last()) else { return 0.0 };
    if v <= first.0 {
        return first.1;
    }
    if v >= last.0 {
        return last.1;
    }
    for pair in points.windows(2) {
        let ((x0, y0), (x1, y1)) = (pair[0], pair[1]);
        if v <= x1 {
            return y0 + (y1 - y0) * (v - x0) / (x1 - x0);
        }
    }
    last.1
}

/// 100 x (sum of w a) / (sum of w) over the KPIs with data; `None` when none has data.
pub fn score(kpis: impl IntoIterator<Item = (f64, Option<f64>)>) -> Option<f64> {
    let (mut weighted, mut weights, mut any) = (0.0, 0.0, false);
    for (w, a) in kpis {
        if let Some(a) = a {
            weighted += w * a;
            weights += w;
            any = true;
        }
    }
    if !any || weights == 0.0 {
        return None;
    }
    Some(100.0 * weighted / weights)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_at_its_target_but_for_rounding_scores_as_at_it() {
        let below = 0.8999999999999999;
        assert_eq!(status(Some(below), CmpOp::Ge, 0.9), Status::Met);
        assert_eq!(status(Some(below), CmpOp::Gt, 0.9), Status::Missed);
        assert_eq!(status(Some(0.9000000000000001), CmpOp::Le, 0.9), Status::Met);
        assert_eq!(status(Some(0.9000000000000001), CmpOp::Lt, 0.9), Status::Missed);
        assert_eq!(attainment(Some(below), CmpOp::Ge, 0.9, &Scoring::Attainment), Some(1.0));
        // A real difference still counts.
        assert_eq!(status(Some(0.8999999), CmpOp::Ge, 0.9), Status::Missed);
        assert_eq!(status(Some(1e-13), CmpOp::Le, 0.0), Status::Met);
        assert_eq!(status(Some(1e-9), CmpOp::Le, 0.0), Status::Missed);
    }

    #[test]
    fn attainment_follows_the_catalogue() {
        let a = |v, op, t| attainment(Some(v), op, t, &Scoring::Attainment).unwrap();
        // 0.6 / 0.8 is 0.7499999999999999 in binary floating point.
        assert!((a(0.6, CmpOp::Ge, 0.8) - 0.75).abs() < 1e-12);
        assert_eq!(a(0.9, CmpOp::Ge, 0.8), 1.0);
        assert_eq!(a(30.0, CmpOp::Le, 24.0), 0.8);
        assert_eq!(a(3.0, CmpOp::Le, 0.0), 0.0);
        assert_eq!(a(0.0, CmpOp::Le, 0.0), 1.0);
        assert_eq!(attainment(None, CmpOp::Ge, 0.8, &Scoring::Attainment), None);
    }

    #[test]
    fn a_missed_kpi_never_gets_full_attainment() {
        let a = |v, op, t| attainment(Some(v), op, t, &Scoring::Attainment).unwrap();
        for (v, op, t) in [
            (-507.0, CmpOp::Ge, -5.0),
            (-3.0, CmpOp::Le, -5.0),
            (0.8, CmpOp::Gt, 0.8),
            (24.0, CmpOp::Lt, 24.0),
            (0.0, CmpOp::Lt, 0.0),
            (-1.0, CmpOp::Ge, 0.0),
            (-2.0, CmpOp::Gt, -2.0),
        ] {
            assert_eq!(status(Some(v), op, t), Status::Missed, "{v} {op:?} {t}");
            assert_eq!(a(v, op, t), 0.0, "{v} {op:?} {t}");
        }
        // Met against a target of zero or below: full attainment.
        assert_eq!(a(-2.0, CmpOp::Ge, -5.0), 1.0);
        assert_eq!(a(0.0, CmpOp::Ge, 0.0), 1.0);
        assert_eq!(a(-6.0, CmpOp::Lt, -5.0), 1.0);
    }

    #[test]
    fn bands_interpolate_linearly() {
        let bands = Scoring::Bands(vec![(0.5, 0.0), (0.8, 0.5), (0.9, 1.0)]);
        let a = |v| attainment(Some(v), CmpOp::Ge, 0.9, &bands).unwrap();
        assert_eq!(a(0.4), 0.0);
        assert!((a(0.65) - 0.25).abs() < 1e-12);
        assert!((a(0.85) - 0.75).abs() < 1e-12);
        assert_eq!(a(0.95), 1.0);
    }

    #[test]
    fn score_skips_no_data() {
        assert_eq!(score([(20.0, Some(1.0)), (10.0, Some(0.5)), (10.0, None)]), Some(100.0 * 25.0 / 30.0));
        assert_eq!(score([(20.0, None)]), None);
    }
}
