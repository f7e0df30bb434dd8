//! Small multiples: one territory against its references, one panel per
//! indicator of a theme.

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::*;

/// Small multiples: one territory against its references, one panel per
/// indicator of a theme.
#[derive(Debug, Clone)]
pub struct Panel {
    pub title: String,
    pub unit: String,
    pub decimals: u8,
    pub bars: Vec<Bar>,
}

#[derive(Debug, Clone)]
pub struct ThemePanel {
    pub title: String,
    pub subtitle: String,
    pub panels: Vec<Panel>,
    pub footer: Vec<String>,
}

pub(super) const PANEL_COLUMNS: usize = 2;

impl ThemePanel {
    fn panel_height(&self) -> i32 {
        let bars = self.panels.iter().map(|p| p.bars.len()).max().unwrap_or(0) as i32;
        56 + bars * ROW + 16 + 24
    }
}

impl Figure for ThemePanel {
    fn size(&self) -> (u32, u32) {
        let rows = self.panels.len().div_ceil(PANEL_COLUMNS) as i32;
        figure_size(&self.title, &self.subtitle, rows * self.panel_height(), &self.footer)
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()> {
        let top = header(area, &self.title, &self.subtitle)?;
        let w = (WIDTH as i32 - 48) / PANEL_COLUMNS as i32;
        let h = self.panel_height();
        for (i, p) in self.panels.iter().enumerate() {
            let (col, row) = ((i % PANEL_COLUMNS) as i32, (i / PANEL_COLUMNS) as i32);
            let (x, y) = (24 + col * w, top + row * h);
            for (k, line) in wrap(&format!("{} ({})", p.title, p.unit), 60)
                .iter()
                .take(2)
                .enumerate()
            {
                area.draw_text(line, &bold(14), (x, y + k as i32 * 18))
                    .map_err(err)?;
            }
            let style = BarStyle {
                label_w: 200,
                label_chars: PANEL_LABEL_CHARS,
                decimals: p.decimals,
                unit: &p.unit,
                signed: false,
            };
            draw_bars(area, &p.bars, y + 44, (x, x + w - 12), &style)?;
        }
        let rows = self.panels.len().div_ceil(PANEL_COLUMNS) as i32;
        footer(area, top + rows * h, &self.footer)
    }
}
