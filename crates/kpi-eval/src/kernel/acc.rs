//! The running state of an aggregate, per group.
use super::Arith;
use kpi_hir::AggFunc;

/// The running state of one aggregate for one group.
#[derive(Debug, Clone, Copy)]
pub struct Acc {
    /// Rows counted (that passed every filter).
    pub rows: u64,
    /// Rows whose condition held (count(cond), share).
    pub hits: u64,
    /// Non-null values seen (avg).
    pub values: u64,
    pub sum: f64,
    /// The denominator's sum (ratio).
    pub sum2: f64,
    pub min: f64,
    pub max: f64,
}

impl Default for Acc {
    fn default() -> Acc {
        Acc { rows: 0, hits: 0, values: 0, sum: 0.0, sum2: 0.0, min: f64::INFINITY, max: f64::NEG_INFINITY }
    }
}

impl Acc {
    /// Add row `i` of the evaluated arguments.
    #[inline]
    pub fn add(&mut self, agg: AggFunc, args: &[Vec<f64>], i: usize) {
        self.rows += 1;
        let Some(first) = args.first() else { return };
        let x = first[i];
        match agg {
            AggFunc::Count | AggFunc::Share => {
                if x != 0.0 && !x.is_nan() {
                    self.hits += 1;
                }
            }
            AggFunc::Sum | AggFunc::Avg | AggFunc::Min | AggFunc::Max => {
                if !x.is_nan() {
                    self.values += 1;
                    self.sum += x;
                    self.min = self.min.min(x);
                    self.max = self.max.max(x);
                }
            }
            AggFunc::Ratio => {
                let y = args[1][i];
                if !x.is_nan() {
                    self.sum += x;
                }
                if !y.is_nan() {
                    self.sum2 += y;
                }
            }
        }
    }

    /// The aggregate's value; `NaN` when undefined (an empty mean, a zero denominator).
    pub fn finish(&self, agg: AggFunc, has_arg: bool) -> f64 {
        match agg {
            AggFunc::Count if has_arg => self.hits as f64,
            AggFunc::Count => self.rows as f64,
            AggFunc::Sum => self.sum,
            AggFunc::Avg | AggFunc::Min | AggFunc::Max if self.values == 0 => f64::NAN,
            AggFunc::Avg => self.sum / self.values as f64,
            AggFunc::Min => self.min,
            AggFunc::Max => self.max,
            AggFunc::Share if self.rows == 0 => f64::NAN,
            AggFunc::Share => self.hits as f64 / self.rows as f64,
            AggFunc::Ratio => Arith::Div.apply(self.sum, self.sum2),
        }
    }
}
