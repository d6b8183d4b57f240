//! stub
use crate::Context;
use kpi_eval::ScorecardResult;
pub fn xlsx(_results: &[ScorecardResult], _context: &Context) -> Vec<u8> {
    Vec::new()
}
