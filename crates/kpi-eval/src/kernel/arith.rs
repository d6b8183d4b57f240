//! Arithmetic on numbers and timestamps (durations in hours), and the row functions.
use super::{Env, Node, Values, MICROS_PER_HOUR, NULL_TIME};
use kpi_hir::RowFunc;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Arith {
    Add,
    Sub,
    Mul,
    Div,
}

impl Arith {
    #[inline]
    pub fn apply(self, a: f64, b: f64) -> f64 {
        match self {
            Arith::Add => a + b,
            Arith::Sub => a - b,
            Arith::Mul => a * b,
            // x / 0 is undefined: null, never infinity.
            Arith::Div if b == 0.0 => f64::NAN,
            Arith::Div => a / b,
        }
    }
}

impl<'d> Node<'d> {
    /// `-x`, `+ - * /` on numbers, timestamp - timestamp, timestamp +- hours.
    pub(super) fn eval_arith(&self, sel: &[u32], env: &Env) -> Values<'d> {
        match self {
            Node::Neg(e) => Values::Num(e.eval(sel, env).num().into_iter().map(|x| -x).collect()),
            Node::NumArith(op, a, b) => {
                let mut l = a.eval(sel, env).num();
                let r = b.eval(sel, env).num();
                l.iter_mut().zip(r).for_each(|(x, y)| *x = op.apply(*x, y));
                Values::Num(l)
            }
            Node::TimeDiff(a, b) => {
                let l = a.eval(sel, env).time();
                let r = b.eval(sel, env).time();
                Values::Num(
                    l.into_iter()
                        .zip(r)
                        .map(|(x, y)| {
                            if x == NULL_TIME || y == NULL_TIME {
                                f64::NAN
                            } else {
                                (x - y) as f64 / MICROS_PER_HOUR
                            }
                        })
                        .collect(),
                )
            }
            Node::TimeShift { time, hours, sign } => {
                let t = time.eval(sel, env).time();
                let h = hours.eval(sel, env).num();
                Values::Time(
                    t.into_iter()
                        .zip(h)
                        .map(|(t, h)| {
                            if t == NULL_TIME || h.is_nan() {
                                NULL_TIME
                            } else {
                                t + (sign * h * MICROS_PER_HOUR).round() as i64
                            }
                        })
                        .collect(),
                )
            }
            Node::DateShift { date, hours, sign } => {
                let t = date.eval(sel, env).time();
                let h = hours.eval(sel, env).num();
                Values::Time(t.into_iter().zip(h).map(|(t, h)| shift_date(t, sign * h, env.tz)).collect())
            }
            _ => unreachable!("not an arithmetic node"),
        }
    }
}

/// `t` (a date's local midnight) plus `hours`: whole days as calendar days in `tz`.
fn shift_date(t: i64, hours: f64, tz: chrono_tz::Tz) -> i64 {
    if t == NULL_TIME || hours.is_nan() {
        return NULL_TIME;
    }
    if hours % 24.0 == 0.0 && hours.abs() < 24.0 * 365.0 * 10_000.0 {
        let date = chrono::DateTime::from_timestamp_micros(t).map(|d| d.with_timezone(&tz).date_naive());
        let shifted = date.and_then(|d| d.checked_add_signed(chrono::TimeDelta::days((hours / 24.0) as i64)));
        if let Some(day) = shifted {
            return crate::periods::local_midnight(day, tz);
        }
    }
    t + (hours * MICROS_PER_HOUR).round() as i64
}

/// `abs`, `round`, and the local `hour` and ISO `weekday` of a timestamp.
pub(super) fn eval_func<'d>(func: RowFunc, e: &Node<'d>, sel: &[u32], env: &Env) -> Values<'d> {
    let v = e.eval(sel, env);
    match func {
        RowFunc::Abs => Values::Num(v.num().into_iter().map(f64::abs).collect()),
        RowFunc::Round => Values::Num(v.num().into_iter().map(f64::round).collect()),
        RowFunc::Hour | RowFunc::Weekday => {
            use chrono::{Datelike, Timelike};
            let tz = env.tz;
            Values::Num(
                v.time()
                    .into_iter()
                    .map(|t| {
                        if t == NULL_TIME {
                            return f64::NAN;
                        }
                        let Some(utc) = chrono::DateTime::from_timestamp_micros(t) else {
                            return f64::NAN;
                        };
                        let local = utc.with_timezone(&tz);
                        if func == RowFunc::Hour {
                            local.hour() as f64
                        } else {
                            local.weekday().number_from_monday() as f64
                        }
                    })
                    .collect(),
            )
        }
        RowFunc::Coalesce => v,
        RowFunc::OpenAt => unreachable!("open_at is compiled into comparisons of the lifetime columns"),
    }
}
