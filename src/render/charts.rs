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

static FONT_REGULAR: &[u8] = include_bytes!("fonts/DejaVuSans.ttf");
static FONT_BOLD: &[u8] = include_bytes!("fonts/DejaVuSans-Bold.ttf");
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

const ROW: i32 = 26;
/// Characters of a territory's name the bar and evolution charts hold.
pub const LABEL_CHARS: usize = 60;
/// The same in the small multiples of a theme panel.
pub const PANEL_LABEL_CHARS: usize = 26;
const LABEL_W: i32 = 430;
const WIDTH: u32 = 1200;

impl RankedBars {
    fn body_height(&self) -> i32 {
        let refs = self.bars.iter().any(|b| b.reference) as i32;
        self.bars.len() as i32 * ROW + refs * 16 + 24
    }
}

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

const PANEL_COLUMNS: usize = 2;

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

/// Choropleth map: classes from breaks, secret and missing shown as such,
/// north up, legend and source.
#[derive(Debug, Clone)]
pub struct Choropleth {
    pub title: String,
    pub subtitle: String,
    pub unit: String,
    pub decimals: u8,
    pub shapes: Vec<Shape>,
    /// Value and status by territory code.
    pub values: std::collections::HashMap<String, (Option<f64>, Status)>,
    /// Class limits, ascending, n+1 values for n classes (n ≤ 5).
    pub breaks: Vec<f64>,
    pub footer: Vec<String>,
    /// The studied territory's outline (an EPCI around its communes),
    /// drawn thick; empty: none.
    pub outline: Vec<Vec<(f64, f64)>>,
    /// Territories drawn with a thick border, and what the legend calls
    /// them (the communes holding a quartier prioritaire).
    pub marked: std::collections::BTreeSet<String>,
    pub marked_label: String,
    /// Contours around the shown ones (the surrounding communes, the
    /// département), drawn in a light grey where the extent reaches them.
    pub background: Vec<Shape>,
    /// What the map frames: (west, east, south, north).
    pub extent: [f64; 4],
}

const MAP_H: i32 = 640;
/// The map's box, in pixels from its top left corner.
const MAP_W: f64 = 760.0;
/// A shown territory narrower and lower than this many pixels is drawn as
/// a symbol at its place: a quartier over a région stays visible.
const SYMBOL_BELOW_PX: f64 = 6.0;
const SYMBOL_RADIUS: i32 = 6;
/// Background contours: a light warm grey, apart from the secret's grey
/// and the absent's white.
const BACKGROUND_FILL: RGBColor = RGBColor(234, 231, 224);
const BACKGROUND_EDGE: RGBColor = RGBColor(255, 255, 255);

/// Clips a ring to the box [x0, x1] × [y0, y1] (Sutherland–Hodgman: one
/// pass per side; the box is convex, so the result is the exact part of
/// the ring inside it, possibly with edges along the box).
fn clip_ring(ring: &[(f64, f64)], (x0, y0, x1, y1): (f64, f64, f64, f64)) -> Vec<(f64, f64)> {
    type Side = (fn((f64, f64), f64) -> bool, fn((f64, f64), (f64, f64), f64) -> (f64, f64), f64);
    let cut_x = |a: (f64, f64), b: (f64, f64), x: f64| (x, a.1 + (b.1 - a.1) * (x - a.0) / (b.0 - a.0));
    let cut_y = |a: (f64, f64), b: (f64, f64), y: f64| (a.0 + (b.0 - a.0) * (y - a.1) / (b.1 - a.1), y);
    let sides: [Side; 4] = [
        (|p, x| p.0 >= x, cut_x, x0),
        (|p, x| p.0 <= x, cut_x, x1),
        (|p, y| p.1 >= y, cut_y, y0),
        (|p, y| p.1 <= y, cut_y, y1),
    ];
    let mut out = ring.to_vec();
    for (inside, cut, at) in sides {
        let input = std::mem::take(&mut out);
        let Some(&last) = input.last() else { break };
        let mut prev = last;
        for &p in &input {
            match (inside(p, at), inside(prev, at)) {
                (true, true) => out.push(p),
                (true, false) => out.extend([cut(prev, p, at), p]),
                (false, true) => out.push(cut(prev, p, at)),
                (false, false) => {}
            }
            prev = p;
        }
    }
    out
}

impl Figure for Choropleth {
    fn size(&self) -> (u32, u32) {
        figure_size(&self.title, &self.subtitle, MAP_H + 24, &self.footer)
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()> {
        let top = header(area, &self.title, &self.subtitle)?;
        if self.shapes.is_empty() {
            return Err(anyhow!("aucun contour à cartographier"));
        }
        let with_symbols = self.draw_map(area, top)?;
        self.draw_legend(area, top, with_symbols)?;
        footer(area, top + MAP_H + 24, &self.footer)
    }
}

impl Choropleth {
    pub fn class_of(&self, v: f64) -> usize {
        let n = self.breaks.len().saturating_sub(1).max(1);
        (1..n).filter(|&i| v >= self.breaks[i]).count()
    }

    /// The map in its box: the background, the territories in their
    /// classes' colours (symbols for those too small), the marked ones and
    /// the outline. Whether any territory is a symbol.
    fn draw_map<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, top: i32) -> Result<bool> {
        // Equirectangular projection at the mean latitude, north up, the
        // extent centred in the map's box with a margin of 2 %.
        let [lon0, lon1, lat0, lat1] = self.extent;
        let k = ((lat0 + lat1) / 2.0).to_radians().cos();
        let (map_w, map_h) = (MAP_W, (MAP_H - 20) as f64);
        let s = 0.96 * (map_w / ((lon1 - lon0) * k).max(1e-9)).min(map_h / (lat1 - lat0).max(1e-9));
        let (left, up) = (24.0, (top + 10) as f64);
        let (ox, oy) = (
            left + (map_w - (lon1 - lon0) * k * s) / 2.0,
            up + (map_h - (lat1 - lat0) * s) / 2.0,
        );
        let project = |&(lon, lat): &(f64, f64)| (ox + (lon - lon0) * k * s, oy + (lat1 - lat) * s);
        let frame = (left, up, left + map_w, up + map_h);
        // Points at the pixel: successive points on the same pixel are one
        // (a contour of 100 000 points costs its perimeter in pixels, not
        // megabytes of SVG).
        let at_pixels = |points: Vec<(f64, f64)>| -> Vec<(i32, i32)> {
            let mut pts: Vec<(i32, i32)> = points.into_iter().map(|(x, y)| (x.round() as i32, y.round() as i32)).collect();
            pts.dedup();
            pts
        };
        // A ring in pixels, clipped to the box.
        let pixels = |ring: &[(f64, f64)]| -> Vec<(i32, i32)> {
            let projected: Vec<(f64, f64)> = ring.iter().map(project).collect();
            at_pixels(clip_ring(&projected, frame))
        };
        let fill_ring = |pts: Vec<(i32, i32)>, fill: RGBColor, edge: RGBColor| -> Result<()> {
            // A polygon smaller than a pixel is not drawn.
            if pts.len() < 3 {
                return Ok(());
            }
            area.draw(&Polygon::new(pts.clone(), fill.filled())).map_err(err)?;
            let mut closed = pts;
            closed.push(closed[0]);
            area.draw(&PathElement::new(closed, edge.stroke_width(1))).map_err(err)
        };
        // Whether a bounding box reaches into the box (north up: the
        // north-west corner is the top left).
        let in_frame = |[w, e, so, n]: [f64; 4]| {
            let ((x0, y0), (x1, y1)) = (project(&(w, n)), project(&(e, so)));
            x0 <= frame.2 && x1 >= frame.0 && y0 <= frame.3 && y1 >= frame.1
        };
        for shape in &self.background {
            if !crate::geo::contours::bbox([shape]).is_some_and(in_frame) {
                continue;
            }
            for outer in shape.polygons.iter().filter_map(|p| p.first()) {
                fill_ring(pixels(outer), BACKGROUND_FILL, BACKGROUND_EDGE)?;
            }
        }
        let mut symbols = vec![];
        for shape in &self.shapes {
            let (v, st) = self
                .values
                .get(&shape.code)
                .cloned()
                .unwrap_or((None, Status::Missing));
            let fill = match (st, v) {
                (Status::Ok, Some(v)) => CLASSES[self.class_of(v).min(CLASSES.len() - 1)],
                (Status::Secret, _) => SECRET_FILL,
                _ => WHITE,
            };
            let Some([w, e, so, n]) = crate::geo::contours::bbox([shape]) else {
                continue;
            };
            let ((x0, y0), (x1, y1)) = (project(&(w, n)), project(&(e, so)));
            if x1 - x0 < SYMBOL_BELOW_PX && y1 - y0 < SYMBOL_BELOW_PX {
                symbols.push((((x0 + x1) / 2.0).round() as i32, ((y0 + y1) / 2.0).round() as i32, fill));
                continue;
            }
            for outer in shape.polygons.iter().filter_map(|p| p.first()) {
                fill_ring(pixels(outer), fill, GREY)?;
            }
        }
        // Territories marked, then the outline, over the fills.
        let ring = pixels;
        for shape in self.shapes.iter().filter(|s| self.marked.contains(&s.code)) {
            for outer in shape.polygons.iter().filter_map(|p| p.first()) {
                let pts = ring(outer);
                if pts.len() >= 3 {
                    area.draw(&PathElement::new(pts, MARKED.stroke_width(3)))
                        .map_err(err)?;
                }
            }
        }
        for line in &self.outline {
            // An open line, inside the extent: projected, not clipped.
            let pts = at_pixels(line.iter().map(project).collect());
            if pts.len() >= 2 {
                area.draw(&PathElement::new(pts, INK.stroke_width(3)))
                    .map_err(err)?;
            }
        }
        for &(x, y, fill) in &symbols {
            area.draw(&Circle::new((x, y), SYMBOL_RADIUS, fill.filled())).map_err(err)?;
            area.draw(&Circle::new((x, y), SYMBOL_RADIUS, INK.stroke_width(1))).map_err(err)?;
        }
        area.draw(&Rectangle::new(
            [(frame.0 as i32, frame.1 as i32), (frame.2 as i32, frame.3 as i32)],
            RULE.stroke_width(1),
        ))
        .map_err(err)?;
        Ok(!symbols.is_empty())
    }

    /// The north arrow and the legend: classes, markers, borders, symbols.
    fn draw_legend<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, top: i32, with_symbols: bool) -> Result<()> {
        // North arrow.
        let (nx, ny) = (24 + MAP_W as i32 + 40, top + 30);
        area.draw(&Polygon::new(
            vec![(nx, ny - 18), (nx - 8, ny + 6), (nx + 8, ny + 6)],
            INK.filled(),
        ))
        .map_err(err)?;
        area.draw_text(
            "N",
            &bold(16).pos(Pos::new(HPos::Center, VPos::Top)),
            (nx, ny + 10),
        )
        .map_err(err)?;
        // Legend.
        let lx = nx + 40;
        let mut ly = top + 20;
        area.draw_text(&format!("Classes ({})", self.unit), &bold(14), (lx, ly))
            .map_err(err)?;
        ly += 28;
        let n = self.breaks.len().saturating_sub(1);
        let mut entries: Vec<(RGBColor, String)> = (0..n)
            .map(|i| {
                (
                    CLASSES[i.min(CLASSES.len() - 1)],
                    format!(
                        "{} à {}",
                        fr::number(self.breaks[i], self.decimals),
                        fr::number(self.breaks[i + 1], self.decimals)
                    ),
                )
            })
            .collect();
        entries.push((SECRET_FILL, "nd (secret statistique)".into()));
        entries.push((WHITE, "donnée absente".into()));
        if !self.background.is_empty() {
            entries.push((BACKGROUND_FILL, "autre territoire (fond de carte)".into()));
        }
        for (colour, text) in entries {
            area.draw(&Rectangle::new(
                [(lx, ly), (lx + 26, ly + 18)],
                colour.filled(),
            ))
            .map_err(err)?;
            area.draw(&Rectangle::new(
                [(lx, ly), (lx + 26, ly + 18)],
                GREY.stroke_width(1),
            ))
            .map_err(err)?;
            area.draw_text(
                &text,
                &font(14).pos(Pos::new(HPos::Left, VPos::Center)),
                (lx + 36, ly + 9),
            )
            .map_err(err)?;
            ly += 28;
        }
        // Borders: the marked territories', the outline's.
        let mut borders = vec![];
        if !self.marked.is_empty() {
            borders.push((MARKED, self.marked_label.as_str()));
        }
        if !self.outline.is_empty() {
            borders.push((INK, "limite du territoire étudié"));
        }
        for (colour, text) in borders {
            area.draw(&PathElement::new(vec![(lx, ly + 9), (lx + 26, ly + 9)], colour.stroke_width(3)))
                .map_err(err)?;
            let mut y = ly + 9;
            for l in wrap(text, 30) {
                area.draw_text(&l, &font(14).pos(Pos::new(HPos::Left, VPos::Center)), (lx + 36, y))
                    .map_err(err)?;
                y += 18;
            }
            ly = y + 10;
        }
        if with_symbols {
            area.draw(&Circle::new((lx + 13, ly + 9), SYMBOL_RADIUS, INK.stroke_width(1)))
                .map_err(err)?;
            let mut y = ly + 9;
            for l in wrap("territoire trop petit à cette échelle : un cercle à sa place, de la couleur de sa classe", 30) {
                area.draw_text(&l, &font(14).pos(Pos::new(HPos::Left, VPos::Center)), (lx + 36, y))
                    .map_err(err)?;
                y += 18;
            }
        }
        Ok(())
    }
}

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

const LINES_H: i32 = 420;

/// Months since year 0 of a `yyyymm` (consecutive months differ by one).
fn month_index(yyyymm: i32) -> i32 {
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
fn nice_step(raw: f64) -> f64 {
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

/// Quantile class limits (n classes) of the values.
pub fn quantile_breaks(values: &[f64], n: usize) -> Vec<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        return vec![];
    }
    let n = n.clamp(1, CLASSES.len()).min(v.len());
    let mut out: Vec<f64> = (0..=n).map(|i| v[((v.len() - 1) * i) / n]).collect();
    out.dedup();
    if out.len() == 1 {
        out.push(out[0]);
    }
    out
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

    #[test]
    fn quantile_breaks_and_classes() {
        let b = quantile_breaks(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], 5);
        assert_eq!(b, vec![1.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        let map = Choropleth {
            title: String::new(),
            subtitle: String::new(),
            unit: "%".into(),
            decimals: 1,
            shapes: vec![],
            values: Default::default(),
            breaks: b,
            footer: vec![],
            outline: vec![],
            marked: Default::default(),
            marked_label: String::new(),
            background: vec![],
            extent: [0.0, 1.0, 0.0, 1.0],
        };
        assert_eq!(map.class_of(1.0), 0);
        assert_eq!(map.class_of(3.9), 1);
        assert_eq!(map.class_of(10.0), 4);
    }

    #[test]
    fn a_ring_is_clipped_to_the_box() {
        let square = [(-5.0, -5.0), (5.0, -5.0), (5.0, 5.0), (-5.0, 5.0)];
        let clipped = clip_ring(&square, (0.0, 0.0, 10.0, 10.0));
        let mut pts: Vec<(i64, i64)> = clipped.iter().map(|p| (p.0 as i64, p.1 as i64)).collect();
        pts.sort();
        pts.dedup();
        assert_eq!(pts, [(0, 0), (0, 5), (5, 0), (5, 5)]);
        // Inside: unchanged; outside: nothing.
        assert_eq!(clip_ring(&square, (-9.0, -9.0, 9.0, 9.0)), square);
        assert!(clip_ring(&square, (20.0, 20.0, 30.0, 30.0)).is_empty());
    }

    fn square(code: &str, (x, y): (f64, f64), side: f64) -> Shape {
        let ring = vec![(x, y), (x + side, y), (x + side, y + side), (x, y + side), (x, y)];
        Shape { code: code.into(), polygons: vec![vec![ring]] }
    }

    #[test]
    fn a_quartier_too_small_for_the_scale_is_a_symbol_and_the_background_is_clipped() {
        // A région of 200 km with a quartier of 500 m: 2 px wide.
        let shapes = vec![square("big", (2.0, 50.0), 1.5), square("small", (3.0, 51.5), 0.005)];
        let map = Choropleth {
            title: "Carte".into(),
            subtitle: String::new(),
            unit: "%".into(),
            decimals: 1,
            extent: crate::geo::contours::bbox(&shapes).unwrap(),
            values: [("big".to_string(), (Some(1.0), Status::Ok)), ("small".to_string(), (Some(9.0), Status::Ok))]
                .into_iter()
                .collect(),
            shapes,
            breaks: vec![0.0, 5.0, 10.0],
            footer: vec![],
            outline: vec![],
            marked: Default::default(),
            marked_label: String::new(),
            // A neighbour reaching far outside the extent.
            background: vec![square("voisin", (-10.0, 40.0), 30.0)],
        };
        let svg = svg_string(&map).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let circles: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("circle")).collect();
        // The quartier's symbol (fill, then ring) and the legend's ring.
        assert_eq!(circles.len(), 3, "{svg}");
        assert!(svg.contains("territoire trop petit"), "{svg}");
        assert!(svg.contains("autre territoire (fond de carte)"));
        // Every point drawn lies in the figure.
        let (w, h) = map.size();
        for n in doc.descendants().filter(|n| n.has_tag_name("polygon")) {
            for xy in n.attribute("points").unwrap().split_whitespace() {
                let (x, y) = xy.split_once(',').unwrap();
                let (x, y): (f64, f64) = (x.parse().unwrap(), y.parse().unwrap());
                assert!((0.0..=w as f64).contains(&x) && (0.0..=h as f64).contains(&y), "{xy}");
            }
        }
    }
}

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

const TRACK_H: i32 = 78;

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
