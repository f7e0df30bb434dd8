//! A count month by month, one line per territory.

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::*;
use crate::render::fr;

/// A count month by month: one line per territory (the first in the main
/// colour, the others as references), a vertical axis from zero, years
/// marked under their January.
#[derive(Debug, Clone)]
pub struct MonthlyLines {
    pub title: String,
    pub subtitle: String,
    pub unit: String,
    pub lines: Vec<MonthlyLine>,
    pub footer: Vec<String>,
}

/// One territory's line: its months (yyyymm, value), a month without a
/// value leaving a gap.
#[derive(Debug, Clone)]
pub struct MonthlyLine {
    pub label: String,
    pub reference: bool,
    pub points: Vec<(i32, Option<f64>)>,
}

pub(super) const LINES_H: i32 = 420;

/// Months since year 0 of a `yyyymm` (consecutive months differ by one).
pub(super) fn month_index(yyyymm: i32) -> i32 {
    (yyyymm / 100) * 12 + (yyyymm % 100 - 1)
}

impl Figure for MonthlyLines {
    fn size(&self) -> (u32, u32) {
        figure_size(&self.title, &self.subtitle, LINES_H + 60, &self.footer)
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()> {
        let top = header(area, &self.title, &self.subtitle)?;
        let months: Vec<i32> = self.lines.iter().flat_map(|l| l.points.iter().map(|p| month_index(p.0))).collect();
        let (Some(&m0), Some(&m1)) = (months.iter().min(), months.iter().max()) else {
            return Err(anyhow!("aucune valeur mensuelle à tracer"));
        };
        let max = self
            .lines
            .iter()
            .flat_map(|l| l.points.iter().filter_map(|p| p.1))
            .fold(0.0_f64, f64::max);
        let step = nice_step(max / 5.0);
        let top_value = (max / step).ceil().max(1.0) * step;
        let (left, right) = (130, WIDTH as i32 - 260);
        let (y0, y1) = (top + LINES_H, top + 10);
        let x = |m: i32| left + ((m - m0) as f64 / (m1 - m0).max(1) as f64 * (right - left) as f64).round() as i32;
        let y = |v: f64| y0 - (v / top_value * (y0 - y1) as f64).round() as i32;
        // Grid and vertical axis labels.
        let mut v = 0.0;
        while v <= top_value + step / 2.0 {
            area.draw(&PathElement::new(vec![(left, y(v)), (right, y(v))], RULE.stroke_width(1)))
                .map_err(err)?;
            area.draw_text(
                &fr::number(v, 0),
                &font(13).color(&GREY).pos(Pos::new(HPos::Right, VPos::Center)),
                (left - 8, y(v)),
            )
            .map_err(err)?;
            v += step;
        }
        // Years under their January.
        for year in (m0 / 12)..=(m1 / 12) {
            let m = year * 12;
            if m < m0 || m > m1 {
                continue;
            }
            area.draw(&PathElement::new(vec![(x(m), y0), (x(m), y0 + 6)], INK.stroke_width(1)))
                .map_err(err)?;
            area.draw_text(
                &year.to_string(),
                &font(13).pos(Pos::new(HPos::Center, VPos::Top)),
                (x(m), y0 + 10),
            )
            .map_err(err)?;
        }
        area.draw(&PathElement::new(vec![(left, y0), (right, y0)], INK.stroke_width(1)))
            .map_err(err)?;
        // Lines, broken where a month has no value; each named at its end.
        for MonthlyLine { label, reference, points } in &self.lines {
            let colour = if *reference { REFERENCE } else { MAIN };
            let mut run: Vec<(i32, i32)> = vec![];
            let mut last = None;
            for &(m, value) in points {
                match value {
                    Some(v) => {
                        run.push((x(month_index(m)), y(v)));
                        last = Some((m, v));
                    }
                    None => {
                        if run.len() > 1 {
                            area.draw(&PathElement::new(std::mem::take(&mut run), colour.stroke_width(3)))
                                .map_err(err)?;
                        }
                        run.clear();
                    }
                }
            }
            if run.len() > 1 {
                area.draw(&PathElement::new(run, colour.stroke_width(3))).map_err(err)?;
            }
            if let Some((m, v)) = last {
                let style = if *reference { font(14).color(&GREY) } else { bold(14) };
                area.draw_text(
                    &format!("{} : {}{}", shorten(label, 22), fr::number(v, 0), fr::unit_suffix(&self.unit)),
                    &style.pos(Pos::new(HPos::Left, VPos::Center)),
                    (x(month_index(m)) + 10, y(v)),
                )
                .map_err(err)?;
            }
        }
        footer(area, top + LINES_H + 60, &self.footer)
    }
}

/// A round step (1, 2 or 5 times a power of ten) at least `raw`.
pub(super) fn nice_step(raw: f64) -> f64 {
    if raw <= 0.0 || !raw.is_finite() {
        return 1.0;
    }
    let p = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|k| k * p)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * p)
}
