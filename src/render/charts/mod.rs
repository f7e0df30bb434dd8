//! Charts (plotters), drawn once as SVG; the PNG is that SVG rendered by
//! resvg (shaped text: kerning, bold titles), 16 cm wide at 300 dpi.
//!
//! Text uses the DejaVu Sans fonts bundled in `src/render/fonts/` (registered
//! with plotters' ab_glyph backend for layout, loaded into resvg's font
//! database for the PNG), so a PNG is identical on a machine without any
//! system font. Colours come from a palette that stays legible in
//! grayscale and for colour-blind readers (dark blue vs. light orange differ
//! in lightness, not only in hue; map classes are a monotone light-to-dark
//! sequence).

use std::path::Path;
use std::sync::Once;

use anyhow::{anyhow, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontStyle;

use crate::geo::Shape;
use crate::render::fr;
use crate::status::Status;

mod bars;
mod evolution;
mod map;
mod monthly;
mod panel;
mod targets;

pub use bars::RankedBars;
pub use evolution::{Change, Evolution};
pub use map::{quantile_breaks, Choropleth};
pub use monthly::{MonthlyLine, MonthlyLines};
pub use panel::{Panel, ThemePanel};
pub use targets::{TargetTracks, Track};

static FONT_REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
static FONT_BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");
static FONTS: Once = Once::new();

/// Font family name under which the bundled font is registered.
pub const FAMILY: &str = "sans-serif";

fn register_fonts() {
    FONTS.call_once(|| {
        // The bytes are the bundled font files: registration cannot fail for
        // them, and a failure would only leave text undrawn.
        let _ = plotters::style::register_font(FAMILY, FontStyle::Normal, FONT_REGULAR);
        let _ = plotters::style::register_font(FAMILY, FontStyle::Bold, FONT_BOLD);
    });
}

pub const INK: RGBColor = RGBColor(33, 33, 33);
pub const GREY: RGBColor = RGBColor(110, 110, 110);
pub const RULE: RGBColor = RGBColor(200, 200, 200);
/// Territories of interest: dark blue (Okabe-Ito "blue", darkened).
pub const MAIN: RGBColor = RGBColor(0, 84, 147);
/// Reference territories: light orange (Okabe-Ito "orange").
pub const REFERENCE: RGBColor = RGBColor(230, 159, 0);
/// Earlier vintage in evolution charts.
pub const EARLIER: RGBColor = RGBColor(150, 190, 220);
pub const SECRET_FILL: RGBColor = RGBColor(189, 189, 189);
/// Borders of marked territories on maps (Okabe-Ito vermillion: stands out
/// from the blue-green classes).
pub const MARKED: RGBColor = RGBColor(213, 94, 0);
/// Sequential classes, light to dark (ColorBrewer YlGnBu, colour-blind safe).
pub const CLASSES: [RGBColor; 5] = [
    RGBColor(255, 255, 204),
    RGBColor(161, 218, 180),
    RGBColor(65, 182, 196),
    RGBColor(44, 127, 184),
    RGBColor(37, 52, 148),
];

fn font(size: u32) -> TextStyle<'static> {
    (FAMILY, size).into_font().color(&INK)
}

fn bold(size: u32) -> TextStyle<'static> {
    (FAMILY, size)
        .into_font()
        .style(FontStyle::Bold)
        .color(&INK)
}

fn err<E: std::fmt::Display>(e: E) -> anyhow::Error {
    anyhow!("dessin du graphique : {e}")
}

/// Something drawable on any plotters backend.
pub trait Figure: Sync {
    fn size(&self) -> (u32, u32);
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()>;
}

/// Width of a PNG figure: 16 cm at 300 dpi (16 / 2,54 × 300 pixels).
pub const PNG_WIDTH: u32 = 1890;
/// 300 dpi in pixels per metre, written in the PNG so that a word processor
/// places the figure 16 cm wide.
const PNG_PIXELS_PER_METRE: u32 = 11_811;

/// Writes `<stem>.svg` and `<stem>.png` (the SVG rendered by resvg: shaped
/// text with the bundled fonts, 16 cm at 300 dpi); returns the SVG, for
/// embedding.
pub fn write_figure(fig: &impl Figure, stem: &Path) -> Result<String> {
    let svg = svg_string(fig)?;
    write_png(&svg, &stem.with_extension("png"))?;
    std::fs::write(stem.with_extension("svg"), &svg)?;
    Ok(svg)
}

/// The fonts of the PNG renderer: the bundled ones only, under the generic
/// family the SVG names.
fn svg_options() -> &'static resvg::usvg::Options<'static> {
    static OPTIONS: std::sync::OnceLock<resvg::usvg::Options<'static>> = std::sync::OnceLock::new();
    OPTIONS.get_or_init(|| {
        let mut opt = resvg::usvg::Options::default();
        let db = opt.fontdb_mut();
        db.load_font_data(FONT_REGULAR.to_vec());
        db.load_font_data(FONT_BOLD.to_vec());
        db.set_sans_serif_family("DejaVu Sans");
        opt.font_family = "DejaVu Sans".into();
        opt
    })
}

/// Renders an SVG figure to an opaque RGB PNG, [`PNG_WIDTH`] pixels wide.
fn write_png(svg: &str, path: &Path) -> Result<()> {
    use resvg::tiny_skia;
    let tree = resvg::usvg::Tree::from_str(svg, svg_options()).map_err(err)?;
    let size = tree.size();
    let scale = PNG_WIDTH as f32 / size.width();
    let height = (size.height() * scale).round().max(1.0) as u32;
    let mut pixmap = tiny_skia::Pixmap::new(PNG_WIDTH, height)
        .ok_or_else(|| anyhow!("figure vide ({PNG_WIDTH} × {height} pixels)"))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(&tree, tiny_skia::Transform::from_scale(scale, scale), &mut pixmap.as_mut());
    // Opaque on white: the premultiplied RGBA is the RGB.
    let rgb: Vec<u8> = pixmap
        .data()
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    let file = std::io::BufWriter::new(crate::files::OutFile::create(path)?);
    let mut png = png::Encoder::new(file, PNG_WIDTH, height);
    png.set_color(png::ColorType::Rgb);
    png.set_depth(png::BitDepth::Eight);
    png.set_pixel_dims(Some(png::PixelDimensions {
        xppu: PNG_PIXELS_PER_METRE,
        yppu: PNG_PIXELS_PER_METRE,
        unit: png::Unit::Meter,
    }));
    png.write_header()
        .and_then(|mut w| w.write_image_data(&rgb))
        .map_err(err)?;
    Ok(())
}

/// Renders a figure to an SVG string.
pub fn svg_string(fig: &impl Figure) -> Result<String> {
    register_fonts();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, fig.size()).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        fig.draw(&root)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// Greedy word wrap at `width` characters.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![];
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(max - 1).collect::<String>())
    }
}

/// Title block at the top; returns the y where the chart body starts.
fn header<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
) -> Result<i32> {
    let mut y = 18;
    for line in wrap(title, 80) {
        area.draw_text(&line, &bold(22), (24, y)).map_err(err)?;
        y += 28;
    }
    for line in wrap(subtitle, SUBTITLE_CHARS) {
        area.draw_text(&line, &font(15).color(&GREY), (24, y + 2))
            .map_err(err)?;
        y += 20;
    }
    Ok(y + 16)
}

/// Characters of a subtitle line (15 px text across the 1 200 px figure).
const SUBTITLE_CHARS: usize = 140;

/// Source and lecture lines at the bottom, starting at `y`.
fn footer<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    y: i32,
    lines: &[String],
) -> Result<()> {
    let mut y = y;
    for l in lines {
        for part in wrap(l, 130) {
            area.draw_text(&part, &font(13).color(&GREY), (24, y))
                .map_err(err)?;
            y += 18;
        }
    }
    Ok(())
}

fn footer_height(lines: &[String]) -> i32 {
    lines
        .iter()
        .map(|l| wrap(l, 130).len() as i32 * 18)
        .sum::<i32>()
        + 16
}

/// A figure's size: its header, a body `body` pixels high, its footer.
fn figure_size(title: &str, subtitle: &str, body: i32, footer: &[String]) -> (u32, u32) {
    (WIDTH, (header_height(title, subtitle) + body + footer_height(footer)) as u32)
}

fn header_height(title: &str, subtitle: &str) -> i32 {
    wrap(title, 80).len() as i32 * 28 + wrap(subtitle, SUBTITLE_CHARS).len().max(1) as i32 * 20 + 34
}

/// One bar of a ranked chart.
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub value: Option<f64>,
    pub status: Status,
    pub reference: bool,
    /// A territory of the other group, in a lighter colour (the communes
    /// without a quartier prioritaire beside those with one).
    pub muted: bool,
}

const ROW: i32 = 26;
/// Characters of a territory's name the bar and evolution charts hold.
pub const LABEL_CHARS: usize = 60;
/// The same in the small multiples of a theme panel.
pub const PANEL_LABEL_CHARS: usize = 26;
const LABEL_W: i32 = 430;
const WIDTH: u32 = 1200;

/// Horizontal scale from values to pixels, with a zero baseline.
struct Scale {
    min: f64,
    max: f64,
    x0: i32,
    x1: i32,
}

impl Scale {
    fn new(values: impl Iterator<Item = f64>, x0: i32, x1: i32) -> Scale {
        let (mut min, mut max) = (0f64, 0f64);
        for v in values {
            min = min.min(v);
            max = max.max(v);
        }
        if max == min {
            max = min + 1.0;
        }
        Scale { min, max, x0, x1 }
    }
    /// A scale over the data range only (no zero baseline), with a margin.
    fn span(values: impl Iterator<Item = f64>, x0: i32, x1: i32) -> Scale {
        let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
        for v in values {
            min = min.min(v);
            max = max.max(v);
        }
        if !min.is_finite() {
            return Scale {
                min: 0.0,
                max: 1.0,
                x0,
                x1,
            };
        }
        let pad = ((max - min) * 0.05).max(1e-9);
        Scale {
            min: min - pad,
            max: max + pad,
            x0,
            x1,
        }
    }

    fn x(&self, v: f64) -> i32 {
        self.x0
            + ((v - self.min) / (self.max - self.min) * (self.x1 - self.x0) as f64).round() as i32
    }
}

/// How a block of bars is laid out and labelled.
struct BarStyle<'a> {
    label_w: i32,
    label_chars: usize,
    decimals: u8,
    unit: &'a str,
    /// Values are changes: written with their sign.
    signed: bool,
}

/// A row's label, right-aligned at `at` (its vertical middle), shortened to
/// `chars`; a reference's in grey.
fn row_label<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, label: &str, chars: usize, at: (i32, i32), reference: bool) -> Result<()> {
    let style = if reference { font(14).color(&GREY) } else { font(14) };
    area.draw_text(&shorten(label, chars), &style.pos(Pos::new(HPos::Right, VPos::Center)), at)
        .map_err(err)
}

fn draw_bars<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    bars: &[Bar],
    top: i32,
    (left, right): (i32, i32),
    st: &BarStyle,
) -> Result<i32> {
    let (label_w, label_chars, decimals, unit) = (st.label_w, st.label_chars, st.decimals, st.unit);
    // Room left of the zero line for the labels of negative bars.
    let negative = st.signed || bars.iter().any(|b| b.value.is_some_and(|v| v < 0.0));
    let scale = Scale::new(
        bars.iter().filter_map(|b| b.value),
        left + label_w + 10 + 60 * negative as i32,
        right - 90,
    );
    let zero = scale.x(0.0);
    let mut y = top;
    let mut previous_reference = false;
    for b in bars {
        if b.reference && !previous_reference && y > top {
            y += 16;
            area.draw(&PathElement::new(
                vec![(left, y - 10), (right, y - 10)],
                RULE.stroke_width(1),
            ))
            .map_err(err)?;
        }
        previous_reference = b.reference;
        let mid = y + ROW / 2;
        row_label(area, &b.label, label_chars, (left + label_w, mid), b.reference)?;
        match (b.status, b.value) {
            (Status::Ok, Some(v)) => {
                let x = scale.x(v);
                let colour = match (b.reference, b.muted) {
                    (true, _) => REFERENCE,
                    (false, true) => EARLIER,
                    (false, false) => MAIN,
                };
                let (a, c) = if x >= zero { (zero, x) } else { (x, zero) };
                area.draw(&Rectangle::new(
                    [(a, y + 4), (c.max(a + 1), y + ROW - 4)],
                    colour.filled(),
                ))
                .map_err(err)?;
                let n = if st.signed {
                    fr::signed(v, decimals)
                } else {
                    fr::number(v, decimals)
                };
                let text = format!("{n}{}", fr::unit_suffix(unit));
                let (tx, anchor) = if v >= 0.0 {
                    (c + 6, HPos::Left)
                } else {
                    (a - 6, HPos::Right)
                };
                area.draw_text(
                    &text,
                    &font(14).pos(Pos::new(anchor, VPos::Center)),
                    (tx, mid),
                )
                .map_err(err)?;
            }
            (st, _) => {
                area.draw_text(
                    st.display_fr(),
                    &font(14)
                        .color(&GREY)
                        .pos(Pos::new(HPos::Left, VPos::Center)),
                    (zero + 6, mid),
                )
                .map_err(err)?;
            }
        }
        y += ROW;
    }
    area.draw(&PathElement::new(
        vec![(zero, top), (zero, y)],
        INK.stroke_width(1),
    ))
    .map_err(err)?;
    Ok(y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_respects_the_width() {
        let lines = wrap("Lecture : En 2019, il y a 2,2 fois plus de jeunes de moins de 20 ans que de personnes âgées", 30);
        assert!(lines.iter().all(|l| l.chars().count() <= 30), "{lines:?}");
        assert_eq!(lines.join(" "), "Lecture : En 2019, il y a 2,2 fois plus de jeunes de moins de 20 ans que de personnes âgées");
    }
}
