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
