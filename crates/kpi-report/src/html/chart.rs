//! Trend charts as inline SVG: one small chart per KPI over the periods, a line per group, the
//! target dashed, partial periods shaded and their points hollow.
use super::{escape, target_text};
use crate::display_value;
use crate::present::{self, Grid};
use kpi_eval::ScorecardResult;
use kpi_hir::Unit;
use std::fmt::Write as _;

const WIDTH: f64 = 360.0;
const HEIGHT: f64 = 200.0;
const LEFT: f64 = 50.0;
const RIGHT: f64 = 14.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 32.0;

/// Ten colours apart in hue and lightness; past ten groups the lines are dashed too.
const PALETTE: [&str; 10] = [
    "#1d4e89", "#d1495b", "#2a9d8f", "#e09f3e", "#6a4c93", "#8c6d31", "#4ea5d9", "#b5578c", "#4f772d",
    "#6c757d",
];
const DASHES: [&str; 3] = ["", " stroke-dasharray=\"6 3\"", " stroke-dasharray=\"2 2\""];

fn stroke(group: usize) -> (&'static str, &'static str) {
    (PALETTE[group % PALETTE.len()], DASHES[(group / PALETTE.len()) % DASHES.len()])
}

pub(super) fn trends(out: &mut String, r: &ScorecardResult, grid: &Grid) {
    out.push_str("<h3>Trends</h3>\n");
    if r.kpis.is_empty() {
        return;
    }
    if r.group_by.is_some() {
        out.push_str("<div class=\"legend\">");
        for (g, row) in grid.groups.iter().enumerate() {
            let (colour, _) = stroke(g);
            let style = match g / PALETTE.len() {
                0 => format!("background:{colour}"),
                1 => {
                    format!("background:repeating-linear-gradient(90deg,{colour} 0 6px,transparent 6px 9px)")
                }
                _ => {
                    format!("background:repeating-linear-gradient(90deg,{colour} 0 2px,transparent 2px 4px)")
                }
            };
            let _ =
                write!(out, "<span><i style=\"{style}\"></i>{}</span>", escape(&present::group_label(row)));
        }
        out.push_str("</div>\n");
    }
    out.push_str("<div class=\"charts\">\n");
    for kpi in 0..r.kpis.len() {
        let info = &r.kpis[kpi];
        let _ = writeln!(
            out,
            "<figure><figcaption><b>{}</b> · target {} (dashed)</figcaption>",
            escape(&info.title),
            escape(&target_text(info.op, info.target, info.unit))
        );
        chart(out, r, grid, kpi);
        out.push_str("</figure>\n");
    }
    out.push_str("</div>\n");
}

/// A value axis: its bounds and tick step.
struct Scale {
    low: f64,
    high: f64,
    step: f64,
}

impl Scale {
    /// Round bounds around the values and the target; starts at zero when that costs little.
    fn new(values: impl Iterator<Item = f64>) -> Option<Scale> {
        let (mut low, mut high) = (f64::INFINITY, f64::NEG_INFINITY);
        for v in values {
            low = low.min(v);
            high = high.max(v);
        }
        if !low.is_finite()
            || !high.is_finite()
            || !(high - low).is_finite()
            || high.abs() > 1e12
            || low.abs() > 1e12
        {
            return None;
        }
        if low >= 0.0 && low < high - low {
            low = 0.0;
        }
        if high - low < 1e-9 {
            let pad = (high.abs() * 0.1).max(1e-3);
            (low, high) = (low - pad, high + pad);
        }
        let raw = (high - low) / 4.0;
        let magnitude = 10f64.powf(raw.log10().floor());
        let step = [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * magnitude).find(|s| *s >= raw)?;
        Some(Scale { low: (low / step).floor() * step, high: (high / step).ceil() * step, step })
    }

    fn y(&self, v: f64) -> f64 {
        TOP + (HEIGHT - TOP - BOTTOM) * (1.0 - (v - self.low) / (self.high - self.low))
    }

    fn ticks(&self) -> Vec<f64> {
        let n = ((self.high - self.low) / self.step).round().clamp(1.0, 12.0) as usize;
        (0..=n).map(|i| self.low + i as f64 * self.step).collect()
    }

    /// A tick label in the KPI's unit, with the decimals the step needs.
    fn label(&self, v: f64, unit: Unit) -> String {
        let scaled = if unit == Unit::Ratio { 100.0 } else { 1.0 };
        let decimals = (-(self.step * scaled).log10().floor()).clamp(0.0, 4.0) as usize;
        let number = format!("{:.*}", decimals, v * scaled + 0.0);
        match unit {
            Unit::Ratio => format!("{number}%"),
            Unit::Hours => format!("{number} h"),
            _ => number,
        }
    }
}

fn x_of(period: usize, periods: usize) -> f64 {
    LEFT + (WIDTH - LEFT - RIGHT) * (period as f64 + 0.5) / periods.max(1) as f64
}

fn chart(out: &mut String, r: &ScorecardResult, grid: &Grid, kpi: usize) {
    let info = &r.kpis[kpi];
    let n = grid.periods.len();
    let series: Vec<Vec<Option<f64>>> = (0..grid.groups.len())
        .map(|g| {
            (0..n)
                .map(|p| grid.row(p, g).and_then(|i| r.rows[i].kpis[kpi].value).filter(|v| v.is_finite()))
                .collect()
        })
        .collect();
    let values = series.iter().flatten().flatten().copied();
    let target = Some(info.target).filter(|t| t.is_finite());
    let any = series.iter().flatten().any(Option::is_some);
    let scale = if any { Scale::new(values.chain(target)) } else { None };
    let _ = write!(
        out,
        "<svg class=\"trend\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-label=\"{} by period\" \
         xmlns=\"http://www.w3.org/2000/svg\">",
        escape(&info.title)
    );
    let Some(scale) = scale else {
        let message = if any { "values out of the chart's range" } else { "no data in any period" };
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"12\" fill=\"#5f6b7a\">{message}</text></svg>",
            WIDTH / 2.0,
            HEIGHT / 2.0
        );
        return;
    };
    axes(out, r, grid, &scale, info.unit);
    if let Some(t) = target {
        let y = scale.y(t);
        let _ = write!(
            out,
            "<line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#222\" stroke-width=\"1.2\" \
             stroke-dasharray=\"5 4\"><title>target {}</title></line>",
            WIDTH - RIGHT,
            escape(&target_text(info.op, t, info.unit))
        );
    }
    for (g, values) in series.iter().enumerate() {
        line(out, r, grid, &scale, g, values, info.unit);
    }
    out.push_str("</svg>\n");
}

/// Gridlines, value labels, period labels and the shading of partial periods.
fn axes(out: &mut String, r: &ScorecardResult, grid: &Grid, scale: &Scale, unit: Unit) {
    let n = grid.periods.len();
    let band = (WIDTH - LEFT - RIGHT) / n.max(1) as f64;
    for (p, period) in grid.periods.iter().enumerate() {
        if present::is_partial(*period, r.as_of) {
            let x = x_of(p, n) - band / 2.0;
            let _ = write!(
                out,
                "<rect x=\"{x:.1}\" y=\"{TOP}\" width=\"{band:.1}\" height=\"{:.1}\" fill=\"#fff6db\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"9\" fill=\"#8a6d00\">partial</text>",
                HEIGHT - TOP - BOTTOM,
                x + band / 2.0,
                TOP + 9.0
            );
        }
    }
    for tick in scale.ticks() {
        let y = scale.y(tick);
        let _ = write!(
            out,
            "<line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#e3e7ec\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"10\" fill=\"#5f6b7a\">{}</text>",
            WIDTH - RIGHT,
            LEFT - 5.0,
            y + 3.5,
            escape(&scale.label(tick, unit))
        );
    }
    // At most eight period labels fit under a small chart.
    let every = n.div_ceil(8).max(1);
    for (p, period) in grid.periods.iter().enumerate() {
        if p % every != 0 && p + 1 != n {
            continue;
        }
        let label = period.map_or("now", |p| p.label.as_str());
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"10\" fill=\"#5f6b7a\">{}</text>",
            x_of(p, n),
            HEIGHT - BOTTOM + 14.0,
            escape(label)
        );
    }
    let _ = write!(
        out,
        "<line x1=\"{LEFT}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#9aa5b1\"/>",
        HEIGHT - BOTTOM,
        WIDTH - RIGHT,
        HEIGHT - BOTTOM
    );
}

/// One group's line, broken where it has no data; a point per period with a value (hollow in a
/// partial period), its value in a tooltip.
fn line(
    out: &mut String,
    r: &ScorecardResult,
    grid: &Grid,
    scale: &Scale,
    group: usize,
    values: &[Option<f64>],
    unit: Unit,
) {
    if values.iter().all(Option::is_none) {
        return;
    }
    let (colour, dash) = stroke(group);
    let n = grid.periods.len();
    let label = present::group_label(grid.groups[group]);
    let _ = write!(out, "<g><title>{}</title>", escape(&label));
    let mut path = String::new();
    let mut pen_down = false;
    for (p, v) in values.iter().enumerate() {
        match v {
            Some(v) => {
                let pen = if pen_down { 'L' } else { 'M' };
                let _ = write!(path, "{pen}{:.1},{:.1} ", x_of(p, n), scale.y(*v));
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    let _ = write!(
        out,
        "<path d=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.6\"{dash}/>",
        path.trim_end()
    );
    for (p, v) in values.iter().enumerate() {
        let Some(v) = v else { continue };
        let fill = if present::is_partial(grid.periods[p], r.as_of) { "#fff" } else { colour };
        let period = present::period_label(grid.periods[p], r.as_of);
        let _ = write!(
            out,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.6\" fill=\"{fill}\" stroke=\"{colour}\" \
             stroke-width=\"1.2\"><title>{}, {}: {}</title></circle>",
            x_of(p, n),
            scale.y(*v),
            escape(&label),
            escape(&period),
            escape(&display_value(Some(*v), unit))
        );
    }
    out.push_str("</g>");
}
