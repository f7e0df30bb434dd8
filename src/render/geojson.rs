//! `results.geojson`: the contours given to a run joined to its results, to
//! open in QGIS (or any GIS) without a join of one's own.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;
use serde_json::{json, Map, Value};

use crate::engine::{select, Results};
use crate::geo::{Geography, Shape};
use crate::status::Status;

/// A FeatureCollection (RFC 7946: WGS 84 longitude/latitude) with one
/// feature per contour that has results: its `code`, `nom` and `niveau`,
/// then one property per indicator and vintage, `<indicator>_<vintage>`,
/// holding the value when its status is `ok` and null otherwise (a secret
/// or a missing value is never a number here; results.csv says which).
/// Every feature has every property (sorted by name), so that a GIS reads
/// one attribute table. An indicator and vintage without a single value
/// on these contours has no property: a column of nulls only would be read
/// as text by GDAL (hence QGIS), not as a number to map.
pub fn results_geojson(results: &Results, geo: &Geography, shapes: &[Shape]) -> Result<Vec<u8>> {
    let codes: Vec<&str> = shapes.iter().map(|s| s.code.as_str()).collect();
    let rows = results.rows(select::territories(&codes).and(select::dated()))?;
    let mut columns: BTreeSet<String> = BTreeSet::new();
    let mut values: BTreeMap<&str, BTreeMap<String, Option<f64>>> = BTreeMap::new();
    for r in &rows {
        let Some(v) = r.vintage else { continue };
        let key = format!("{}_{v}", r.indicator);
        let value = (r.status == Status::Ok).then_some(r.value).flatten();
        if value.is_some() {
            columns.insert(key.clone());
        }
        values.entry(r.territory_code.as_str()).or_default().insert(key, value);
    }
    let mut features = vec![];
    for shape in shapes {
        let Some(mine) = values.get(shape.code.as_str()) else {
            continue;
        };
        let level = geo.get(&shape.code).map(|t| t.level.label_fr()).unwrap_or("");
        let mut props = Map::new();
        props.insert("code".into(), json!(shape.code));
        props.insert("nom".into(), json!(geo.name(&shape.code)));
        props.insert("niveau".into(), json!(level));
        for key in &columns {
            let v = mine.get(key).copied().flatten();
            props.insert(key.clone(), v.map_or(Value::Null, |x| json!(x)));
        }
        let polygons: Vec<Value> = shape
            .polygons
            .iter()
            .map(|rings| {
                json!(rings
                    .iter()
                    .map(|ring| ring.iter().map(|&(x, y)| json!([x, y])).collect::<Vec<_>>())
                    .collect::<Vec<_>>())
            })
            .collect();
        features.push(json!({
            "type": "Feature",
            "properties": props,
            "geometry": {"type": "MultiPolygon", "coordinates": polygons},
        }));
    }
    let doc = json!({"type": "FeatureCollection", "features": features});
    Ok(serde_json::to_vec(&doc)?)
}
