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

/// Contour files larger than this are refused: a map is drawn at the
/// pixel, so contours simplified for the scale of the map (mapshaper
/// `-simplify`, QGIS « Simplifier ») lose nothing, and reading is bounded.
pub const MAX_CONTOURS_BYTES: u64 = 512 * 1024 * 1024;

pub fn read_geojson(path: &Path, code_property: &str) -> Result<Vec<Shape>> {
    crate::files::ensure_regular(path)?;
    let file = path.display().to_string();
    let size = std::fs::metadata(path)
        .with_context(|| format!("lecture impossible de {file}"))?
        .len();
    if size > MAX_CONTOURS_BYTES {
        bail!(
            "{file} : contours de {} Mo, au-delà de {} Mo ; une carte est dessinée au pixel : simplifiez les \
             contours à l'échelle de la carte (mapshaper -simplify, QGIS « Simplifier ») et donnez ce fichier",
            crate::fr::number((size / (1024 * 1024)) as f64, 0),
            MAX_CONTOURS_BYTES / (1024 * 1024)
        );
    }
    let bytes = std::fs::read(path).with_context(|| format!("lecture impossible de {file}"))?;
    parse_geojson(&bytes, &file, code_property)
}

/// Parses a GeoJSON FeatureCollection (`file` names it in errors). The
/// document is read into typed features, not a JSON tree: a position costs
/// its two numbers, whatever the file's size.
pub fn parse_geojson(bytes: &[u8], file: &str, code_property: &str) -> Result<Vec<Shape>> {
    let doc: Collection = serde_json::from_slice(bytes).map_err(|e| {
        anyhow::anyhow!(
            "{file}, ligne {}, colonne {} : GeoJSON illisible ({})",
            e.line(),
            e.column(),
            french_json_error(&e)
        )
    })?;
    let Some(features) = doc.features else {
        bail!("{file} : une FeatureCollection GeoJSON est attendue (tableau « features » absent)");
    };
    let crs = declared_crs(doc.crs.as_ref()).with_context(|| file.to_string())?;
    let mut shapes = Vec::with_capacity(features.len());
    for (i, f) in features.into_iter().enumerate() {
        let n = i + 1;
        let code = match f.properties.as_ref().and_then(|p| p.get(code_property)) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(x)) => x.to_string(),
            _ => bail!("{file}, entité n° {n} : propriété « {code_property} » (code du territoire) absente"),
        };
        let at = || format!("{file}, entité n° {n} ({code})");
        let Some(geom) = f.geometry else {
            bail!("{} : géométrie absente", at());
        };
        let mut polygons = match (geom.kind.as_deref(), geom.coordinates) {
            (Some("Polygon"), Some(c)) => vec![polygon(c).with_context(at)?],
            (Some("MultiPolygon"), Some(Coords::List(ps))) => {
                ps.into_iter().map(polygon).collect::<Result<Vec<_>>>().with_context(at)?
            }
            (Some(t @ ("Polygon" | "MultiPolygon")), _) => {
                bail!("{} : coordonnées absentes ou illisibles pour la géométrie {t}", at())
            }
            (t, _) => bail!(
                "{} : géométrie {} non prise en charge (Polygon ou MultiPolygon attendu)",
                at(),
                t.unwrap_or("sans type")
            ),
        };
        for p in polygons.iter_mut().flatten().flatten() {
            *p = crs.to_lon_lat(*p).with_context(at)?;
        }
        shapes.push(Shape { code, polygons });
    }
    Ok(shapes)
}

/// serde_json's message without its own « at line … column … » (the error
/// already says where).
fn french_json_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// The members of a FeatureCollection bcs reads; others are ignored.
#[derive(serde::Deserialize)]
struct Collection {
    features: Option<Vec<Feature>>,
    crs: Option<Value>,
}

#[derive(serde::Deserialize)]
struct Feature {
    properties: Option<serde_json::Map<String, Value>>,
    geometry: Option<Geometry>,
}

#[derive(serde::Deserialize)]
struct Geometry {
    #[serde(rename = "type")]
    kind: Option<String>,
    coordinates: Option<Coords>,
}

/// GeoJSON `coordinates`, whatever their nesting: a position is kept as its
/// first two numbers (an altitude is dropped), not as a JSON array.
enum Coords {
    Number(f64),
    Position(f64, f64),
    List(Vec<Coords>),
    /// Anything else (text, true, null, an object, a position of one
    /// number): an error where a position or a list is expected.
    Other(&'static str),
}

impl<'de> serde::Deserialize<'de> for Coords {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Coords;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("des coordonnées GeoJSON")
            }
            fn visit_f64<E>(self, v: f64) -> std::result::Result<Coords, E> {
                Ok(Coords::Number(v))
            }
            fn visit_i64<E>(self, v: i64) -> std::result::Result<Coords, E> {
                Ok(Coords::Number(v as f64))
            }
            fn visit_u64<E>(self, v: u64) -> std::result::Result<Coords, E> {
                Ok(Coords::Number(v as f64))
            }
            fn visit_str<E>(self, _: &str) -> std::result::Result<Coords, E> {
                Ok(Coords::Other("un texte"))
            }
            fn visit_bool<E>(self, _: bool) -> std::result::Result<Coords, E> {
                Ok(Coords::Other("un booléen"))
            }
            fn visit_unit<E>(self) -> std::result::Result<Coords, E> {
                Ok(Coords::Other("null"))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> std::result::Result<Coords, A::Error> {
                while m.next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?.is_some() {}
                Ok(Coords::Other("un objet"))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut s: A) -> std::result::Result<Coords, A::Error> {
                let mut items = Vec::with_capacity(s.size_hint().unwrap_or(0).min(4096));
                while let Some(c) = s.next_element::<Coords>()? {
                    items.push(c);
                }
                Ok(match items.as_slice() {
                    [Coords::Number(x), Coords::Number(y), rest @ ..]
                        if rest.iter().all(|c| matches!(c, Coords::Number(_))) =>
                    {
                        Coords::Position(*x, *y)
                    }
                    [Coords::Number(_), ..] => Coords::Other("une position incomplète"),
                    _ => Coords::List(items),
                })
            }
        }
        d.deserialize_any(Visit)
    }
}

impl Coords {
    fn describe(&self) -> &'static str {
        match self {
            Coords::Number(_) => "un nombre",
            Coords::Position(..) => "une position",
            Coords::List(_) => "une liste",
            Coords::Other(what) => what,
        }
    }
}

fn polygon(c: Coords) -> Result<Vec<Vec<(f64, f64)>>> {
    let Coords::List(rings) = c else {
        bail!("anneaux de coordonnées attendus, trouvé {}", c.describe());
    };
    rings
        .into_iter()
        .map(|ring| {
            let Coords::List(points) = ring else {
                bail!("liste de positions attendue, trouvé {}", ring.describe());
            };
            points
                .into_iter()
                .map(|p| match p {
                    Coords::Position(x, y) => Ok((x, y)),
                    other => bail!("position [longitude, latitude] attendue, trouvé {}", other.describe()),
                })
                .collect()
        })
        .collect()
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

impl Crs {
    /// A position of the file in degrees of longitude and latitude.
    fn to_lon_lat(&self, p: (f64, f64)) -> Result<(f64, f64)> {
        match self {
            Crs::Wgs84 => {
                if !(-180.0..=180.0).contains(&p.0) || !(-90.0..=90.0).contains(&p.1) {
                    bail!(
                        "position [{}, {}] hors des longitudes et latitudes ; le fichier ne déclare pas \
                         de système de coordonnées (membre « crs ») et semble projeté : exportez-le en WGS 84 \
                         (EPSG:4326) ou déclarez son système (Lambert-93 : EPSG:2154)",
                        p.0,
                        p.1
                    );
                }
                Ok(p)
            }
            Crs::Projected { proj, wgs84, name } => {
                let mut q = if proj.is_latlong() {
                    (p.0.to_radians(), p.1.to_radians(), 0.0)
                } else {
                    (p.0, p.1, 0.0)
                };
                proj4rs::transform::transform(proj, wgs84, &mut q)
                    .map_err(|e| anyhow::anyhow!("position [{}, {}] hors du domaine de {name} ({e})", p.0, p.1))?;
                let out = (q.0.to_degrees(), q.1.to_degrees());
                if !out.0.is_finite() || !out.1.is_finite() {
                    bail!("position [{}, {}] hors du domaine de {name}", p.0, p.1);
                }
                Ok(out)
            }
        }
    }
}

/// The system a GeoJSON declares in its `crs` member (the 2008 GeoJSON
/// form, still written by QGIS and GDAL): absent, CRS84 or EPSG:4326 is
/// WGS 84; any other EPSG code is looked up in the EPSG definitions.
fn declared_crs(crs: Option<&Value>) -> Result<Crs> {
    let Some(crs) = crs.filter(|c| !c.is_null()) else {
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

/// The bounding box of shapes' outer rings: (west, east, south, north);
/// None without any point.
pub fn bbox<'a>(shapes: impl IntoIterator<Item = &'a Shape>) -> Option<[f64; 4]> {
    let mut b = [f64::MAX, f64::MIN, f64::MAX, f64::MIN];
    for &(x, y) in shapes.into_iter().flat_map(|s| s.polygons.iter().filter_map(|p| p.first()).flatten()) {
        b = [b[0].min(x), b[1].max(x), b[2].min(y), b[3].max(y)];
    }
    (b[0] <= b[1]).then_some(b)
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
    #[test]
    fn fuzz_geojson() {
        use crate::fuzz::{run, seed, seed_head, Outcome};
        // The test squares, a Lambert-93 one and the head of the real
        // contours of the Nord (cut: mutations reach its tail by splicing).
        let lambert = br#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::2154"}},
            "features":[{"type":"Feature","properties":{"code":59172},"geometry":{"type":"MultiPolygon",
            "coordinates":[[[[720000,7030000],[721000,7030000,12.5],[721000,7031000],[720000,7030000]]]]}}]}"#;
        let seeds = [
            seed("tests/fixtures/qp15_carres_test.geojson"),
            lambert.to_vec(),
            seed_head("datasets/public/contours/communes-59-nord.geojson", 8192),
        ];
        let tokens = [
            "[", "]", "{", "}", ",", "null", "1e309", "-1e308", "[3.38,50.3]", "\"MultiPolygon\"", "\"Point\"",
            "\"crs\":{\"type\":\"name\",\"properties\":{\"name\":\"EPSG:3857\"}},", "\"code\":", "\"\\u0000\"",
        ];
        let counts = run("geojson", &seeds, &tokens, |input| match parse_geojson(input, "contours.geojson", "code") {
            Ok(shapes) => {
                // Every position read is a longitude and a latitude.
                for (x, y) in shapes.iter().flat_map(|s| s.polygons.iter().flatten().flatten()) {
                    assert!((-180.0..=180.0).contains(x) && (-90.0..=90.0).contains(y), "[{x}, {y}]");
                }
                Outcome::Accepted
            }
            Err(e) => {
                assert!(format!("{e:#}").starts_with("contours.geojson"), "{e:#}");
                Outcome::Refused
            }
        });
        assert!(counts.accepted > 0 && counts.refused > 0, "{counts:?}");
    }
}
