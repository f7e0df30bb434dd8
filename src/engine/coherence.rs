//! Published figures the recomputation contradicts (« à vérifier »): a
//! change a file publishes that its own values do not give, and a count of
//! quartiers that exceeds the count of the territory they lie in. Typed;
//! `validate` and the report word them.

use std::collections::BTreeMap;

use anyhow::Result;

use super::results::{select, Results};
use crate::catalog::{Catalog, Unit};
use crate::geo::{Geography, Level};
use crate::ingest::PublishedChange;
use crate::status::Status;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Check {
    /// A published change that the values of its own row contradict.
    PublishedChange {
        /// The source file.
        file: String,
        change: PublishedChange,
    },
    /// Quartiers lying in a territory count more than the territory.
    PartsExceedWhole {
        indicator: String,
        vintage: i32,
        whole: String,
        whole_value: f64,
        /// The quartiers summed (one generation of perimeters: 2015-2023
        /// or current).
        parts: Vec<String>,
        parts_value: f64,
    },
}

/// The published changes the sources' reading found contradicted.
pub fn published(reports: &[crate::ingest::SourceReport]) -> Vec<Check> {
    reports
        .iter()
        .flat_map(|r| r.published.iter().map(|c| Check::PublishedChange { file: r.file.clone(), change: c.clone() }))
        .collect()
}

/// The territories (communes, EPCI, départements) a quartier lies in
/// entirely: those holding every one of its communes.
fn containers(geo: &Geography, quartier: &crate::geo::Territory) -> Vec<String> {
    let communes: Vec<&crate::geo::Territory> = quartier.parents.iter().filter_map(|c| geo.get(c)).filter(|c| c.level == Level::Commune).collect();
    let Some(first) = communes.first() else {
        return vec![];
    };
    let mut out = vec![];
    if communes.len() == 1 {
        out.push(first.code.clone());
    }
    // A commune's parents: its EPCI, département, région, France; keep the
    // EPCI and the département, when every commune shares them.
    for p in &first.parents {
        let shared = communes.iter().all(|c| c.parents.contains(p));
        let level = geo.get(p).map(|t| t.level);
        if shared && matches!(level, Some(Level::Epci | Level::Departement)) {
            out.push(p.clone());
        }
    }
    out
}

/// Counts of quartiers that exceed the count of a territory they lie in,
/// for every count indicator and vintage: the quartiers of one generation
/// (2015-2023 perimeters, or the current ones) are summed, never both.
pub fn parts_exceeding_wholes(results: &Results, catalog: &Catalog, geo: &Geography) -> Result<Vec<Check>> {
    let counts: Vec<&str> = catalog.indicators.iter().filter(|i| i.unit == Unit::Count).map(|i| i.id.as_str()).collect();
    let counted = || select::indicators(&counts).and(select::status(Status::Ok)).and(select::dated());
    // The quartiers' rows first, then only the rows of the territories
    // they lie in (a national table holds millions of others).
    let quartiers = results.rows(counted().and(select::level(Level::Qpv)))?;
    let mut inside: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for r in &quartiers {
        if let (false, Some(q)) = (inside.contains_key(r.territory_code.as_str()), geo.get(&r.territory_code)) {
            inside.insert(r.territory_code.as_str(), containers(geo, q));
        }
    }
    let wholes: Vec<&str> = {
        let mut w: Vec<&str> = inside.values().flatten().map(String::as_str).collect();
        w.sort_unstable();
        w.dedup();
        w
    };
    let whole_rows = results.rows(counted().and(select::territories(&wholes)))?;
    // (indicator, vintage, territory) → value.
    let mut value: BTreeMap<(&str, i32, &str), f64> = BTreeMap::new();
    for r in &whole_rows {
        if let (Some(v), Some(x)) = (r.vintage, r.value) {
            value.insert((r.indicator.as_str(), v, r.territory_code.as_str()), x);
        }
    }
    // (indicator, vintage, whole, former generation) → (sum, parts).
    type Whole<'a> = (&'a str, i32, String, bool);
    let mut sums: BTreeMap<Whole, (f64, Vec<String>)> = BTreeMap::new();
    for r in &quartiers {
        let (Some(v), Some(x), Some(q)) = (r.vintage, r.value, geo.get(&r.territory_code)) else { continue };
        let former = !q.successors.is_empty();
        for whole in inside.get(r.territory_code.as_str()).into_iter().flatten().cloned() {
            let e = sums.entry((r.indicator.as_str(), v, whole, former)).or_default();
            e.0 += x;
            e.1.push(r.territory_code.clone());
        }
    }
    let mut out = vec![];
    for ((indicator, vintage, whole, _), (parts_value, parts)) in sums {
        let Some(&whole_value) = value.get(&(indicator, vintage, whole.as_str())) else { continue };
        // Counts are published to the unit.
        if parts_value > whole_value + 0.5 {
            out.push(Check::PartsExceedWhole { indicator: indicator.to_string(), vintage, whole, whole_value, parts, parts_value });
        }
    }
    Ok(out)
}
