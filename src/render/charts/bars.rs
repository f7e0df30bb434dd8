//! Ranked bars: one indicator, one bar per territory.

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::*;

/// Ranked horizontal bars: territories sorted in decreasing order, then the
/// reference territories after a gap, in another colour.
#[derive(Debug, Clone)]
pub struct RankedBars {
    pub title: String,
    pub subtitle: String,
    pub unit: String,
    pub decimals: u8,
    pub bars: Vec<Bar>,
    pub footer: Vec<String>,
}

impl RankedBars {
    fn body_height(&self) -> i32 {
        let refs = self.bars.iter().any(|b| b.reference) as i32;
        self.bars.len() as i32 * ROW + refs * 16 + 24
    }
}

impl Figure for RankedBars {
    fn size(&self) -> (u32, u32) {
        figure_size(&self.title, &self.subtitle, self.body_height(), &self.footer)
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()> {
        let top = header(area, &self.title, &self.subtitle)?;
        let style = BarStyle {
            label_w: LABEL_W,
            label_chars: LABEL_CHARS,
            decimals: self.decimals,
            unit: &self.unit,
            signed: false,
        };
        let y = draw_bars(area, &self.bars, top, (24, WIDTH as i32 - 24), &style)?;
        footer(area, y + 16, &self.footer)
    }
}
