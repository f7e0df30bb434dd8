//! Changes between two vintages: a dumbbell per territory, or bars of the
//! relative changes.

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::*;
use crate::render::fr;
use crate::status::Status;

/// One territory of an evolution chart.
#[derive(Debug, Clone)]
pub struct Change {
    pub label: String,
    pub from: f64,
    pub to: f64,
    pub reference: bool,
    /// The change is secret (or not computable): drawn as « nd », its
    /// `from` and `to` ignored.
    pub secret: bool,
}

impl Change {
    /// Values drawn on the scale (none for a secret change).
    fn values(&self) -> impl Iterator<Item = f64> {
        (!self.secret).then_some([self.from, self.to]).into_iter().flatten()
    }
}

/// Change between two vintages. Rates and indices: a dumbbell per territory
/// (light hollow dot for the earlier vintage, dark dot for the later one,
/// change in points at the right). Counts: diverging bars of the change in %,
/// since territories of very different sizes share no useful scale.
#[derive(Debug, Clone)]
pub struct Evolution {
    pub title: String,
    pub subtitle: String,
    pub from_vintage: i32,
    pub to_vintage: i32,
    /// Unit of the values (axis).
    pub unit: String,
    /// Unit of the change ("pts" for rates).
    pub change_unit: String,
    pub decimals: u8,
    /// Relative change (%) instead of the difference.
    pub relative: bool,
    pub rows: Vec<Change>,
    pub footer: Vec<String>,
}

impl Figure for Evolution {
    fn size(&self) -> (u32, u32) {
        let refs = self.rows.iter().any(|r| r.reference) as i32;
        let body = (self.rows.len() as i32 + 2) * ROW + refs * 16 + 20;
        figure_size(&self.title, &self.subtitle, body, &self.footer)
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()> {
        let top = header(area, &self.title, &self.subtitle)?;
        let right = WIDTH as i32 - 24;
        if self.relative {
            return self.draw_relative(area, top, right);
        }
        let scale = Scale::span(
            self.rows.iter().flat_map(Change::values),
            24 + LABEL_W + 20,
            right - 150,
        );
        self.draw_legend(area, &scale, top + ROW / 2, right)?;
        let mut y = top + ROW + 6;
        let mut previous_reference = false;
        for r in &self.rows {
            if r.reference && !previous_reference {
                y += 16;
                area.draw(&PathElement::new(
                    vec![(24, y - 10), (right, y - 10)],
                    RULE.stroke_width(1),
                ))
                .map_err(err)?;
            }
            previous_reference = r.reference;
            self.draw_row(area, r, &scale, y + ROW / 2, right)?;
            y += ROW;
        }
        // Axis: min and max values.
        let axis = y + 6;
        area.draw(&PathElement::new(
            vec![(scale.x0, axis), (scale.x1, axis)],
            INK.stroke_width(1),
        ))
        .map_err(err)?;
        let lo = self.rows.iter().flat_map(Change::values).fold(f64::INFINITY, f64::min);
        let hi = self.rows.iter().flat_map(Change::values).fold(f64::NEG_INFINITY, f64::max);
        for v in [lo, hi] {
            if v.is_finite() {
                area.draw_text(
                    &format!(
                        "{}{}",
                        fr::number(v, self.decimals),
                        fr::unit_suffix(&self.unit)
                    ),
                    &font(12).color(&GREY).pos(Pos::new(HPos::Center, VPos::Top)),
                    (scale.x(v), axis + 4),
                )
                .map_err(err)?;
            }
        }
        footer(area, axis + 30, &self.footer)
    }
}

impl Evolution {
    /// A change in %: bars of the relative changes.
    fn draw_relative<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, top: i32, right: i32) -> Result<()> {
        let bars: Vec<Bar> = self
            .rows
            .iter()
            .map(|r| Bar {
                label: r.label.clone(),
                value: (r.from != 0.0 && !r.secret).then(|| 100.0 * (r.to - r.from) / r.from.abs()),
                status: if r.secret {
                    Status::Secret
                } else if r.from != 0.0 {
                    Status::Ok
                } else {
                    Status::Missing
                },
                reference: r.reference,
                muted: false,
            })
            .collect();
        let style = BarStyle {
            label_w: LABEL_W,
            label_chars: LABEL_CHARS,
            decimals: 1,
            unit: "%",
            signed: true,
        };
        let y = draw_bars(area, &bars, top + ROW, (24, right), &style)?;
        footer(area, y + 40, &self.footer)
    }

    /// The two vintages' marks and the title of the changes' column.
    fn draw_legend<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, scale: &Scale, ly: i32, right: i32) -> Result<()> {
        area.draw(&Circle::new((scale.x0, ly), 6, EARLIER.stroke_width(3)))
            .map_err(err)?;
        area.draw_text(
            &self.from_vintage.to_string(),
            &font(14).pos(Pos::new(HPos::Left, VPos::Center)),
            (scale.x0 + 12, ly),
        )
        .map_err(err)?;
        area.draw(&Circle::new((scale.x0 + 90, ly), 6, MAIN.filled()))
            .map_err(err)?;
        area.draw_text(
            &self.to_vintage.to_string(),
            &font(14).pos(Pos::new(HPos::Left, VPos::Center)),
            (scale.x0 + 102, ly),
        )
        .map_err(err)?;
        area.draw_text(
            &format!("Évolution ({})", self.change_unit),
            &bold(14).pos(Pos::new(HPos::Right, VPos::Center)),
            (right, ly),
        )
        .map_err(err)
    }

    /// One territory: its label, the segment from the earlier value to the
    /// later, the change at the right.
    fn draw_row<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, r: &Change, scale: &Scale, mid: i32, right: i32) -> Result<()> {
        row_label(area, &r.label, LABEL_CHARS, (24 + LABEL_W, mid), r.reference)?;
        area.draw(&PathElement::new(
            vec![(scale.x0, mid), (scale.x1, mid)],
            RULE.stroke_width(1),
        ))
        .map_err(err)?;
        if r.secret {
            return area
                .draw_text(
                    Status::Secret.display_fr(),
                    &font(14).color(&GREY).pos(Pos::new(HPos::Right, VPos::Center)),
                    (right, mid),
                )
                .map_err(err);
        }
        let (a, b) = (scale.x(r.from), scale.x(r.to));
        area.draw(&PathElement::new(
            vec![(a, mid), (b, mid)],
            GREY.stroke_width(3),
        ))
        .map_err(err)?;
        area.draw(&Circle::new((a, mid), 6, WHITE.filled()))
            .map_err(err)?;
        area.draw(&Circle::new((a, mid), 6, EARLIER.stroke_width(3)))
            .map_err(err)?;
        area.draw(&Circle::new(
            (b, mid),
            6,
            if r.reference {
                REFERENCE.filled()
            } else {
                MAIN.filled()
            },
        ))
        .map_err(err)?;
        let change = fr::signed(r.to - r.from, self.decimals) + fr::unit_suffix(&self.change_unit);
        area.draw_text(
            &change,
            &font(14).pos(Pos::new(HPos::Right, VPos::Center)),
            (right, mid),
        )
        .map_err(err)
    }
}
