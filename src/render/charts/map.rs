//! Choropleth maps: classes of one indicator over contours, framed on the
//! territories shown, over a clipped background.

use anyhow::{anyhow, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::*;
use crate::render::fr;
use crate::status::Status;

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

pub(super) const MAP_H: i32 = 640;

/// The map's box, in pixels from its top left corner.
pub(super) const MAP_W: f64 = 760.0;

/// A shown territory narrower and lower than this many pixels is drawn as
/// a symbol at its place: a quartier over a région stays visible.
pub(super) const SYMBOL_BELOW_PX: f64 = 6.0;

pub(super) const SYMBOL_RADIUS: i32 = 6;

/// Background contours: a light warm grey, apart from the secret's grey
/// and the absent's white.
pub(super) const BACKGROUND_FILL: RGBColor = RGBColor(234, 231, 224);

pub(super) const BACKGROUND_EDGE: RGBColor = RGBColor(255, 255, 255);

/// Clips a ring to the box [x0, x1] × [y0, y1] (Sutherland–Hodgman: one
/// pass per side; the box is convex, so the result is the exact part of
/// the ring inside it, possibly with edges along the box).
pub(super) fn clip_ring(ring: &[(f64, f64)], (x0, y0, x1, y1): (f64, f64, f64, f64)) -> Vec<(f64, f64)> {
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
    use crate::geo::Shape;
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
