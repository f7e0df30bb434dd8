//! Territory contours read from a user-supplied GeoJSON FeatureCollection
//! (Polygon and MultiPolygon geometries), joined to territories through a
//! property holding their code. Coordinates are WGS 84 longitude/latitude
//! (RFC 7946) unless the file declares another system in its `crs` member
//! (Lambert-93 `urn:ogc:def:crs:EPSG::2154`, as QGIS writes it), in which
//! case they are reprojected (proj4rs, EPSG definitions).

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
    let crs = declared_crs(&doc).with_context(|| file.clone())?;
    for (n, shape) in shapes.iter_mut().enumerate() {
        let at = || format!("{file}, entité n° {} ({})", n + 1, shape.code);
        for p in shape.polygons.iter_mut().flatten().flatten() {
            *p = match &crs {
                Crs::Wgs84 => {
                    if !(-180.0..=180.0).contains(&p.0) || !(-90.0..=90.0).contains(&p.1) {
                        bail!(
                            "{} : position [{}, {}] hors des longitudes et latitudes ; le fichier ne déclare pas \
                             de système de coordonnées (membre « crs ») et semble projeté : exportez-le en WGS 84 \
                             (EPSG:4326) ou déclarez son système (Lambert-93 : EPSG:2154)",
                            at(),
                            p.0,
                            p.1
                        );
                    }
                    *p
                }
                Crs::Projected { proj, wgs84, name } => {
                    let mut q = if proj.is_latlong() {
                        (p.0.to_radians(), p.1.to_radians(), 0.0)
                    } else {
                        (p.0, p.1, 0.0)
                    };
                    proj4rs::transform::transform(proj, wgs84, &mut q).map_err(|e| {
                        anyhow::anyhow!("{} : position [{}, {}] hors du domaine de {name} ({e})", at(), p.0, p.1)
                    })?;
                    (q.0.to_degrees(), q.1.to_degrees())
                }
            };
        }
    }
    Ok(shapes)
}

/// The coordinate system of a file's positions.
enum Crs {
    Wgs84,
    Projected {
        proj: Box<proj4rs::Proj>,
        wgs84: Box<proj4rs::Proj>,
        name: String,
    },
}

/// The system a GeoJSON declares in its `crs` member (the 2008 GeoJSON
/// form, still written by QGIS and GDAL): absent, CRS84 or EPSG:4326 is
/// WGS 84; any other EPSG code is looked up in the EPSG definitions.
fn declared_crs(doc: &Value) -> Result<Crs> {
    let Some(crs) = doc.get("crs").filter(|c| !c.is_null()) else {
        return Ok(Crs::Wgs84);
    };
    let Some(name) = crs.pointer("/properties/name").and_then(Value::as_str) else {
        bail!("système de coordonnées « crs » illisible : {crs} (attendu : {{\"type\": \"name\", \"properties\": {{\"name\": \"urn:ogc:def:crs:EPSG::2154\"}}}})");
    };
    let lower = name.to_ascii_lowercase();
    if lower.ends_with("crs84") || lower.ends_with("crs:84") {
        return Ok(Crs::Wgs84);
    }
    let code = lower
        .contains("epsg")
        .then(|| lower.rsplit([':', '/']).next())
        .flatten()
        .and_then(|c| c.parse::<u16>().ok());
    let Some(code) = code else {
        bail!("système de coordonnées « {name} » non reconnu (attendu : un code EPSG, ex. urn:ogc:def:crs:EPSG::2154)");
    };
    if code == 4326 {
        return Ok(Crs::Wgs84);
    }
    let proj = proj4rs::Proj::from_epsg_code(code)
        .map_err(|e| anyhow::anyhow!("système de coordonnées EPSG:{code} inconnu ou non pris en charge ({e})"))?;
    let wgs84 = proj4rs::Proj::from_epsg_code(4326)
        .map_err(|e| anyhow::anyhow!("définition de WGS 84 introuvable ({e})"))?;
    Ok(Crs::Projected { proj: Box::new(proj), wgs84: Box::new(wgs84), name: format!("EPSG:{code}") })
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
