//! The IDH-4: three sub-indices normalised min-max over a universe of
//! communes (bounds common to every vintage), their mean.

use std::sync::Arc;

use super::{row, Cell, CompositeInfo, Row, Values};
use crate::catalog::composites::{self, Universe, IDH4, IDH4_PARTS};
use crate::catalog::Catalog;
use crate::engine::detail::{self, Why, Wording};
use crate::geo::{Geography, Level, FRANCE_METRO};
use crate::status::Status;

/// Min-max bounds of a universe.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub min: f64,
    pub max: f64,
    pub n: usize,
}

impl Bounds {
    pub fn of(values: impl Iterator<Item = f64>) -> Option<Bounds> {
        let mut b: Option<Bounds> = None;
        for v in values.filter(|v| v.is_finite()) {
            b = Some(match b {
                None => Bounds {
                    min: v,
                    max: v,
                    n: 1,
                },
                Some(b) => Bounds {
                    min: b.min.min(v),
                    max: b.max.max(v),
                    n: b.n + 1,
                },
            });
        }
        b
    }
}

/// Which way a sub-index runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scaling {
    /// (x − min) / (max − min)
    Linear,
    /// 1 − (x − min) / (max − min): a high comparative mortality is worse.
    Inverted,
    /// (ln x − ln min) / (ln max − ln min): income.
    Log,
}

/// A sub-index in [0, 1] (clamped for territories outside the universe), or
/// None when the universe cannot normalise (fewer than two territories,
/// equal bounds, non-positive values on a log scale).
pub fn subindex(x: f64, b: Bounds, scaling: Scaling) -> Option<f64> {
    if b.n < 2 || b.max <= b.min || !x.is_finite() {
        return None;
    }
    let r = match scaling {
        Scaling::Linear => (x - b.min) / (b.max - b.min),
        Scaling::Inverted => 1.0 - (x - b.min) / (b.max - b.min),
        Scaling::Log => {
            if x <= 0.0 || b.min <= 0.0 {
                return None;
            }
            (x.ln() - b.min.ln()) / (b.max.ln() - b.min.ln())
        }
    };
    Some(r.clamp(0.0, 1.0))
}

/// Communes of the normalisation universe and a French description of it.
fn universe(geo: &Geography, u: Universe, territory: Option<&str>) -> (Vec<String>, detail::Universe) {
    let communes_of = |parent: &str| -> Vec<String> {
        geo.territories()
            .iter()
            .filter(|t| t.level == Level::Commune && t.parents.iter().any(|p| p == parent))
            .map(|t| t.code.clone())
            .collect()
    };
    // The commune parents of the studied territory (itself if a commune).
    let anchor = territory.and_then(|code| {
        geo.get(code).and_then(|t| {
            if t.level == Level::Commune {
                Some(t.clone())
            } else {
                geo.territories()
                    .iter()
                    .find(|c| c.level == Level::Commune && c.parents.iter().any(|p| p == code))
                    .cloned()
            }
        })
    });
    let parent = |pred: fn(&str, &Geography) -> bool| {
        anchor
            .as_ref()
            .and_then(|c| c.parents.iter().find(|p| pred(p, geo)).cloned())
    };
    match u {
        Universe::France => (communes_of(FRANCE_METRO), detail::Universe::France),
        Universe::Region => match parent(|p, g| g.get(p).is_some_and(|t| t.level == Level::Region))
        {
            Some(r) => (communes_of(&r), detail::Universe::Region(geo.name(&r))),
            None => (vec![], detail::Universe::RegionNotFound),
        },
        Universe::Departement => {
            match parent(|p, g| g.get(p).is_some_and(|t| t.level == Level::Departement)) {
                Some(d) => (communes_of(&d), detail::Universe::Departement(geo.name(&d))),
                None => (vec![], detail::Universe::DepartementNotFound),
            }
        }
    }
}

pub(super) fn idh4<'a>(
    conf: &composites::Idh4,
    values: &Values<'a>,
    geo: &Geography,
    catalog: &Catalog,
    territory: Option<&str>,
    words: &dyn Wording,
) -> (Vec<Row<'a>>, CompositeInfo) {
    let (members, described) = universe(geo, conf.universe, territory);
    let inputs = [
        (&conf.sante, Scaling::Inverted),
        (&conf.education, Scaling::Linear),
        (&conf.niveau_vie, Scaling::Log),
    ];
    // Bounds over every vintage of the universe: fixed goalposts.
    let bounds: Vec<Option<Bounds>> = inputs
        .iter()
        .map(|(ind, _)| {
            Bounds::of(
                members
                    .iter()
                    .flat_map(|m| values.known(m, ind))
                    .filter_map(|(v, st)| if st == Status::Ok { v } else { None }),
            )
        })
        .collect();
    // Communes of the universe with at least one usable input.
    let n = members
        .iter()
        .filter(|m| {
            inputs.iter().any(|(ind, _)| {
                values
                    .known(m, ind)
                    .any(|(v, st)| st == Status::Ok && v.is_some())
            })
        })
        .count();
    let detail: Arc<str> = words.idh4_setting(&described, n).into();
    let mut info = CompositeInfo::default();
    for id in std::iter::once(IDH4).chain(IDH4_PARTS.iter().map(|(id, _)| *id)) {
        info.settings.insert(id.to_string(), detail.to_string());
    }
    let ids: Vec<&str> = inputs.iter().map(|(i, _)| i.as_str()).collect();
    let part_ids: Vec<Arc<str>> = IDH4_PARTS.iter().map(|(id, _)| Arc::from(*id)).collect();
    let idh4_id: Arc<str> = IDH4.into();
    let mut out = vec![];
    for t in values.territories_with(&ids) {
        for y in values.vintages(t, &ids) {
            let mut parts = vec![];
            // Why each sub-index lacking is lacking, in French.
            let mut lacking = vec![];
            for ((((ind, scaling), b), id), (_, dimension)) in
                inputs.iter().zip(&bounds).zip(&part_ids).zip(IDH4_PARTS)
            {
                let label = catalog.indicator(ind).map_or(ind.as_str(), |i| i.label.as_str());
                let lack = |why| words.lack(&detail::Lack::Idh4 { dimension, label, why });
                let cell = match values.get(t, ind, y) {
                    Some((Some(x), Status::Ok)) => match b.and_then(|b| subindex(x, b, *scaling)) {
                        Some(s) => (Some(s), Status::Ok),
                        None => {
                            lacking.push(lack(Why::NotNormalisable));
                            (None, Status::Missing)
                        }
                    },
                    Some((_, st)) if st != Status::Ok => {
                        lacking.push(lack(Why::Status(st)));
                        (None, st)
                    }
                    _ => {
                        lacking.push(lack(Why::NoData(y)));
                        (None, Status::Missing)
                    }
                };
                parts.push((id, cell));
            }
            // Nothing known at this vintage: nothing to say.
            if parts.iter().all(|(_, c)| c.1 == Status::Missing) {
                continue;
            }
            for (id, cell) in &parts {
                if cell.1 != Status::Missing {
                    out.push(row(t, id, y, *cell, &detail));
                }
            }
            let parts: Vec<Cell> = parts.into_iter().map(|(_, c)| c).collect();
            if parts.iter().all(|(v, s)| *s == Status::Ok && v.is_some()) {
                let cell = (
                    Some(parts.iter().filter_map(|p| p.0).sum::<f64>() / 3.0),
                    Status::Ok,
                );
                out.push(row(t, &idh4_id, y, cell, &detail));
            } else {
                let status = parts
                    .iter()
                    .map(|p| p.1)
                    .max()
                    .unwrap_or(Status::Missing)
                    .max(Status::Missing);
                let why: Arc<str> = words.not_computed(&lacking, &detail).into();
                out.push(row(t, &idh4_id, y, (None, status), &why));
            }
        }
    }
    (out, info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subindex_edge_cases() {
        let b = Bounds {
            min: 10.0,
            max: 20.0,
            n: 5,
        };
        assert_eq!(subindex(15.0, b, Scaling::Linear), Some(0.5));
        assert_eq!(subindex(15.0, b, Scaling::Inverted), Some(0.5));
        assert_eq!(subindex(25.0, b, Scaling::Linear), Some(1.0), "clamped");
        assert_eq!(
            subindex(
                15.0,
                Bounds {
                    min: 10.0,
                    max: 10.0,
                    n: 5
                },
                Scaling::Linear
            ),
            None,
            "equal bounds"
        );
        assert_eq!(
            subindex(
                15.0,
                Bounds {
                    min: 15.0,
                    max: 15.0,
                    n: 1
                },
                Scaling::Linear
            ),
            None,
            "single territory"
        );
        // ln: (ln 20000 − ln 10000) / (ln 40000 − ln 10000) = ln 2 / ln 4 = 0,5
        let inc = Bounds {
            min: 10000.0,
            max: 40000.0,
            n: 3,
        };
        assert!((subindex(20000.0, inc, Scaling::Log).unwrap() - 0.5).abs() < 1e-12);
        assert_eq!(
            subindex(5000.0, inc, Scaling::Log),
            Some(0.0),
            "clamped below the universe"
        );
        assert_eq!(
            subindex(-1.0, inc, Scaling::Log),
            None,
            "no logarithm of a non-positive income"
        );
        assert_eq!(
            subindex(
                20000.0,
                Bounds {
                    min: 0.0,
                    max: 1.0,
                    n: 3
                },
                Scaling::Log
            ),
            None
        );
    }
}
