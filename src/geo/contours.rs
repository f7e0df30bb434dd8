//! Territory contours read from a user-supplied GeoJSON FeatureCollection
//! (Polygon and MultiPolygon geometries, WGS 84 longitude/latitude), joined
//! to territories through a property holding their code.

use std::path::Path;

use anyhow::{bail, Context, Result};
use serde_json::Value;

/// A territory's contour: polygons, each a list of rings (outer ring first),
/// each ring a list of (longitude, latitude).
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    pub code: String,
    pub polygons: Vec<Vec<Vec<(f64, f64)>>>,
}

pub fn read_geojson(path: &Path, code_property: &str) -> Result<Vec<Shape>> {
    crate::files::ensure_regular(path)?;
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("lecture impossible de {}", path.display()))?;
    let file = path.display().to_string();
    let doc: Value = serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "{file}, ligne {}, colonne {} : GeoJSON illisible ({e})",
            e.line(),
            e.column()
        )
    })?;
    let Some(features) = doc.get("features").and_then(Value::as_array) else {
        bail!("{file} : une FeatureCollection GeoJSON est attendue (tableau « features » absent)");
    };
    let mut shapes = vec![];
    for (i, f) in features.iter().enumerate() {
        let n = i + 1;
        let code = match f.get("properties").and_then(|p| p.get(code_property)) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(x)) => x.to_string(),
            _ => bail!("{file}, entité n° {n} : propriété « {code_property} » (code du territoire) absente"),
        };
        let geom = f
            .get("geometry")
            .with_context(|| format!("{file}, entité n° {n} ({code}) : géométrie absente"))?;
        let coords = geom.get("coordinates");
        let polygons = match (geom.get("type").and_then(Value::as_str), coords) {
            (Some("Polygon"), Some(c)) => vec![polygon(c).with_context(|| format!("{file}, entité n° {n} ({code})"))?],
            (Some("MultiPolygon"), Some(Value::Array(ps))) => ps
                .iter()
                .map(polygon)
                .collect::<Result<Vec<_>>>()
                .with_context(|| format!("{file}, entité n° {n} ({code})"))?,
            (t, _) => bail!(
                "{file}, entité n° {n} ({code}) : géométrie {} non prise en charge (Polygon ou MultiPolygon attendu)",
                t.unwrap_or("sans type")
            ),
        };
        shapes.push(Shape { code, polygons });
    }
    Ok(shapes)
}

fn polygon(v: &Value) -> Result<Vec<Vec<(f64, f64)>>> {
    let rings = v.as_array().context("anneaux de coordonnées attendus")?;
    rings
        .iter()
        .map(|ring| {
            ring.as_array()
                .context("liste de positions attendue")?
                .iter()
                .map(|p| {
                    match p.as_array().map(|a| {
                        (
                            a.first().and_then(Value::as_f64),
                            a.get(1).and_then(Value::as_f64),
                        )
                    }) {
                        Some((Some(x), Some(y))) => Ok((x, y)),
                        _ => bail!("position [longitude, latitude] attendue, trouvé {p}"),
                    }
                })
                .collect()
        })
        .collect()
}

/// The outline of a set of shapes (an EPCI from its communes): the ring
/// edges only one of them has — a border two neighbours share cancels —
/// chained into lines. Contours simplified with their topology kept (as
/// mapshaper does) share their borders point for point; points are matched
/// to 1e-7 degree (about a centimetre).
pub fn outline(shapes: &[Shape]) -> Vec<Vec<(f64, f64)>> {
    use std::collections::{BTreeMap, HashMap};
    type Key = (i64, i64);
    let key = |p: (f64, f64)| -> Key { ((p.0 * 1e7).round() as i64, (p.1 * 1e7).round() as i64) };
    let mut count: HashMap<(Key, Key), usize> = HashMap::new();
    let mut point: HashMap<Key, (f64, f64)> = HashMap::new();
    for ring in shapes.iter().flat_map(|s| s.polygons.iter().flatten()) {
        for w in ring.windows(2) {
            let (a, b) = (key(w[0]), key(w[1]));
            if a == b {
                continue;
            }
            point.insert(a, w[0]);
            point.insert(b, w[1]);
            *count.entry((a.min(b), a.max(b))).or_default() += 1;
        }
    }
    // Each point's neighbours along the edges kept, in a stable order.
    let mut next: BTreeMap<Key, Vec<Key>> = BTreeMap::new();
    for (&(a, b), &n) in &count {
        if n == 1 {
            next.entry(a).or_default().push(b);
            next.entry(b).or_default().push(a);
        }
    }
    for v in next.values_mut() {
        v.sort_unstable();
    }
    let mut lines = vec![];
    while let Some((&start, _)) = next.iter().find(|(_, v)| !v.is_empty()) {
        let mut line = vec![point[&start]];
        let mut at = start;
        while let Some(to) = next.get_mut(&at).and_then(|v| v.pop()) {
            if let Some(back) = next.get_mut(&to) {
                if let Some(i) = back.iter().position(|k| *k == at) {
                    back.remove(i);
                }
            }
            line.push(point[&to]);
            at = to;
        }
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(code: &str, x: f64) -> Shape {
        Shape {
            code: code.into(),
            polygons: vec![vec![vec![(x, 0.0), (x + 1.0, 0.0), (x + 1.0, 1.0), (x, 1.0), (x, 0.0)]]],
        }
    }

    #[test]
    fn the_outline_of_two_neighbours_leaves_out_their_shared_border() {
        let lines = outline(&[square("A", 0.0), square("B", 1.0)]);
        let edges: usize = lines.iter().map(|l| l.len() - 1).sum();
        // 8 edges in all, the shared one (x = 1) twice: 6 remain, one ring.
        assert_eq!(edges, 6);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].first(), lines[0].last());
        let inner = lines[0].windows(2).any(|w| w[0].0 == 1.0 && w[1].0 == 1.0);
        assert!(!inner, "{lines:?}");
    }
}
