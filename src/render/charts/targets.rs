//! The contract's targets: each one's track from its baseline to its target.

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::*;
use crate::render::fr;

/// One target of [`TargetTracks`]: where it starts and ends, where it is.
#[derive(Debug, Clone)]
pub struct Track {
    pub label: String,
    /// « 11,0 % en 2023 », « 15,0 % en 2027 ».
    pub start: String,
    pub end: String,
    /// Share of the way covered (%), when measured; « 13,0 % en 2025 ».
    pub done: Option<(f64, String)>,
    /// Share of the time from start to end elapsed at that measure (%).
    pub elapsed: Option<f64>,
    /// « en bonne voie », « non mesurée »…
    pub standing: String,
}

/// The contract's targets as tracks from their baseline (left) to their
/// target (right): how much of the way is covered, against how much of the
/// time has elapsed.
#[derive(Debug, Clone)]
pub struct TargetTracks {
    pub title: String,
    pub subtitle: String,
    pub tracks: Vec<Track>,
    pub footer: Vec<String>,
}

pub(super) const TRACK_H: i32 = 78;

impl Figure for TargetTracks {
    fn size(&self) -> (u32, u32) {
        figure_size(&self.title, &self.subtitle, self.tracks.len() as i32 * TRACK_H + 12, &self.footer)
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()> {
        let top = header(area, &self.title, &self.subtitle)?;
        let (x0, x1) = (300, WIDTH as i32 - 220);
        // A share of the way (%) as an abscissa; the track is 0-100, a
        // share beyond it is drawn at its end, a negative one at its start.
        let x = |p: f64| x0 + ((x1 - x0) as f64 * p.clamp(0.0, 100.0) / 100.0).round() as i32;
        for (i, t) in self.tracks.iter().enumerate() {
            let y = top + i as i32 * TRACK_H;
            for (k, line) in wrap(&t.label, 34).iter().take(3).enumerate() {
                area.draw_text(line, &font(13), (24, y + k as i32 * 17)).map_err(err)?;
            }
            let bar = y + 8;
            area.draw(&Rectangle::new([(x0, bar), (x1, bar + 16)], RULE.filled())).map_err(err)?;
            if let Some((p, _)) = &t.done {
                if *p > 0.0 {
                    area.draw(&Rectangle::new([(x0, bar), (x(*p), bar + 16)], MAIN.filled())).map_err(err)?;
                }
            }
            // Where the way should be by now, at a steady pace.
            if let Some(e) = t.elapsed {
                let ex = x(e);
                area.draw(&PathElement::new(vec![(ex, bar - 5), (ex, bar + 21)], REFERENCE.stroke_width(3))).map_err(err)?;
            }
            let small = font(12).color(&GREY);
            area.draw_text(&t.start, &small, (x0, bar + 22)).map_err(err)?;
            area.draw_text(&t.end, &small.pos(Pos::new(HPos::Right, VPos::Top)), (x1, bar + 22)).map_err(err)?;
            let status = match &t.done {
                Some((p, now)) => format!("{now} : {} % du chemin", fr::number(*p, 0)),
                None => "aucune valeur depuis le départ".to_string(),
            };
            area.draw_text(&status, &bold(12), (x1 + 12, bar)).map_err(err)?;
            area.draw_text(&t.standing, &font(12).color(&GREY), (x1 + 12, bar + 17)).map_err(err)?;
        }
        footer(area, top + self.tracks.len() as i32 * TRACK_H + 12, &self.footer)
    }
}
