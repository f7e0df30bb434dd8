//! Composite indices computed from indicator values: IDH-4 (min-max over a
//! universe of communes), IDT-BCS (relative gaps to a reference), and the
//! priority classification (standardised, polarity-aligned, weighted score,
//! quintile classes, main drivers, sensitivity to each indicator).

use std::sync::Arc;
use crate::schema;

use anyhow::Result;
use polars::prelude::*;

use crate::catalog::composites::{
    self, Composites, Universe, IDH4, IDH4_PARTS, IDT_BCS, PRIORITY_CLASS, PRIORITY_SCORE,
};
use crate::catalog::{Catalog, Polarity};
use super::detail::{self, Why, Wording};
use crate::geo::{Geography, Level, FRANCE_METRO};
use crate::status::Status;

/// (value, status) of one indicator for one territory and vintage.
type Cell = (Option<f64>, Status);

/// The values of the indicators the composites read, in one dense table
/// indexed by territory, indicator and vintage numbers: borrowed codes, no
/// per-row allocation.
struct Values<'a> {
    territory: PlHashMap<&'a str, usize>,
    indicator: PlHashMap<&'a str, usize>,
    /// The vintages present, ascending.
    vintages: Vec<i32>,
    /// ((territory × indicators) + indicator) × vintages + vintage.
    cells: Vec<Option<Cell>>,
}

impl<'a> Values<'a> {
    /// The values of the indicators the composites read (`inputs`): `df`
    /// holds those rows only (see `compute`).
    fn from_frame(df: &'a DataFrame, inputs: &[&'a str]) -> Result<Values<'a>> {
        let vintages = crate::ingest::vintages_of(df)?;
        let mut values = Values {
            territory: PlHashMap::new(),
            indicator: inputs.iter().enumerate().map(|(n, i)| (*i, n)).collect(),
            vintages,
            cells: vec![],
        };
        let stride = inputs.len() * values.vintages.len();
        for (t, i, y, v, s) in super::long_rows(df, schema::INDICATOR)? {
            let (Some(t), Some(i), Some(y)) = (t, i, y) else {
                continue;
            };
            let (Some(&k), Ok(slot)) = (values.indicator.get(i), values.vintages.binary_search(&y))
            else {
                continue;
            };
            let next = values.territory.len();
            let n = *values.territory.entry(t).or_insert(next);
            if n == next {
                values.cells.resize((n + 1) * stride, None);
            }
            // A later row for the same vintage replaces the earlier one.
            values.cells[n * stride + k * values.vintages.len() + slot] =
                Some((v, Status::from_code(s.unwrap_or(Status::Missing.code()))?));
        }
        Ok(values)
    }

    /// One cell per vintage of `self.vintages`; None if the territory has
    /// no value of the indicator at all.
    fn series(&self, territory: &str, indicator: &str) -> Option<&[Option<Cell>]> {
        let n = *self.territory.get(territory)?;
        let k = *self.indicator.get(indicator)?;
        let width = self.vintages.len();
        let start = (n * self.indicator.len() + k) * width;
        let s = &self.cells[start..start + width];
        s.iter().any(Option::is_some).then_some(s)
    }

    /// The known cells of a series, in vintage order.
    fn known(&self, territory: &str, indicator: &str) -> impl Iterator<Item = Cell> + '_ {
        self.series(territory, indicator)
            .into_iter()
            .flat_map(|s| s.iter().flatten().copied())
    }

    /// The latest known vintage of a series and its cell.
    fn latest(&self, territory: &str, indicator: &str) -> Option<(i32, Cell)> {
        let s = self.series(territory, indicator)?;
        let slot = s.iter().rposition(Option::is_some)?;
        Some((self.vintages[slot], s[slot]?))
    }

    fn get(&self, territory: &str, indicator: &str, vintage: i32) -> Option<Cell> {
        let slot = self.vintages.binary_search(&vintage).ok()?;
        self.series(territory, indicator)?[slot]
    }

    /// Vintages at which a territory has any of the indicators, ascending.
    fn vintages(&self, territory: &str, indicators: &[&str]) -> Vec<i32> {
        let series: Vec<&[Option<Cell>]> = indicators
            .iter()
            .filter_map(|i| self.series(territory, i))
            .collect();
        self.vintages
            .iter()
            .enumerate()
            .filter(|(slot, _)| series.iter().any(|s| s[*slot].is_some()))
            .map(|(_, y)| *y)
            .collect()
    }

    /// Territories with any of the indicators, by code.
    fn territories_with(&self, indicators: &[&str]) -> Vec<&'a str> {
        let mut v: Vec<&'a str> = self
            .territory
            .keys()
            .filter(|t| indicators.iter().any(|i| self.series(t, i).is_some()))
            .copied()
            .collect();
        v.sort_unstable();
        v
    }
}

/// One output row. The indicator and the detail are shared by many rows.
#[derive(Debug, Clone, PartialEq)]
struct Row<'a> {
    territory: &'a str,
    indicator: Arc<str>,
    vintage: i32,
    value: Option<f64>,
    status: Status,
    detail: Arc<str>,
}

fn row<'a>(
    territory: &'a str,
    indicator: &Arc<str>,
    vintage: i32,
    cell: Cell,
    detail: &Arc<str>,
) -> Row<'a> {
    let (value, status) = match cell {
        (Some(v), Status::Ok) if v.is_finite() => (Some(v), Status::Ok),
        (_, Status::Ok) => (None, Status::Missing),
        (_, st) => (None, st),
    };
    Row {
        territory,
        indicator: indicator.clone(),
        vintage,
        value,
        status,
        detail: detail.clone(),
    }
}

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

fn idh4<'a>(
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

fn idt_bcs<'a>(
    conf: &composites::IdtBcs,
    values: &Values<'a>,
    geo: &Geography,
    catalog: &Catalog,
    reference: &str,
    words: &dyn Wording,
) -> (Vec<Row<'a>>, CompositeInfo) {
    let reference = conf.reference.as_deref().unwrap_or(reference);
    let detail: Arc<str> = words.idt_setting(&geo.name(reference)).into();
    let component_ids: Vec<Arc<str>> = conf
        .component
        .iter()
        .map(|c| format!("idt_bcs_{}", c.indicator).into())
        .collect();
    let mut info = CompositeInfo::default();
    for id in std::iter::once(IDT_BCS).chain(component_ids.iter().map(|c| &**c)) {
        info.settings.insert(id.to_string(), detail.to_string());
    }
    let idt_id: Arc<str> = IDT_BCS.into();
    let ids: Vec<&str> = conf
        .component
        .iter()
        .map(|c| c.indicator.as_str())
        .collect();
    let mut out = vec![];
    for t in values.territories_with(&ids) {
        for y in values.vintages(t, &ids) {
            let mut total = 0.0;
            let mut worst = Status::Ok;
            let mut lacking = vec![];
            for (c, id) in conf.component.iter().zip(&component_ids) {
                let label = catalog.indicator(&c.indicator).map_or(c.indicator.as_str(), |i| i.label.as_str());
                let lack = |why| words.lack(&detail::Lack::Idt { label, why });
                let cell = match (
                    values.get(t, &c.indicator, y),
                    values.get(reference, &c.indicator, y),
                ) {
                    (Some((Some(x), Status::Ok)), Some((Some(r), Status::Ok))) if r != 0.0 => {
                        (Some(100.0 * (x - r) / r), Status::Ok)
                    }
                    (Some((_, st)), _) if st != Status::Ok => {
                        lacking.push(lack(Why::Status(st)));
                        (None, st)
                    }
                    (Some(_), _) => {
                        lacking.push(lack(Why::ReferenceUnavailable(y)));
                        (None, Status::Missing)
                    }
                    (None, _) => {
                        lacking.push(lack(Why::NoData(y)));
                        (None, Status::Missing)
                    }
                };
                match cell {
                    (Some(v), Status::Ok) => total += c.weight * v,
                    (_, st) => worst = worst.max(st),
                }
                if cell.1 != Status::Missing {
                    out.push(row(t, id, y, cell, &detail));
                }
            }
            if worst == Status::Ok {
                out.push(row(t, &idt_id, y, (Some(total), Status::Ok), &detail));
            } else {
                let why: Arc<str> = words.not_computed(&lacking, &detail).into();
                out.push(row(t, &idt_id, y, (None, worst), &why));
            }
        }
    }
    (out, info)
}

/// Score and class of one territory in a priority classification.
#[derive(Debug, Clone, PartialEq)]
pub struct Classified {
    pub territory: String,
    pub score: f64,
    /// Quintile of the score: 5 = the fifth with the greatest need, 1 = the
    /// fifth with the least (so that decreasing order lists priorities first).
    pub class: u32,
    /// (indicator, weighted contribution to the score), largest in absolute
    /// value first.
    pub contributions: Vec<(String, f64)>,
}

/// Standardises each indicator over the territories (z-scores), aligns it on
/// its polarity (a higher score = greater need), averages with the weights
/// and cuts into quintiles. `inputs`: territory → one value per indicator.
pub fn classify<T: AsRef<str>>(
    inputs: &[(T, Vec<f64>)],
    indicators: &[(String, f64, Polarity)],
) -> Option<Vec<Classified>> {
    let n = inputs.len();
    if n < 2 {
        return None;
    }
    let k = indicators.len();
    let mut stats = vec![];
    for j in 0..k {
        let mean = inputs.iter().map(|(_, v)| v[j]).sum::<f64>() / n as f64;
        let var = inputs
            .iter()
            .map(|(_, v)| (v[j] - mean).powi(2))
            .sum::<f64>()
            / n as f64;
        let sd = var.sqrt();
        if sd.is_nan() || sd <= 0.0 {
            return None;
        }
        stats.push((mean, sd));
    }
    let total_weight: f64 = indicators.iter().map(|i| i.1).sum();
    let mut out: Vec<Classified> = inputs
        .iter()
        .map(|(t, v)| {
            let mut contributions: Vec<(String, f64)> = indicators
                .iter()
                .enumerate()
                .map(|(j, (id, w, pol))| {
                    let z = (v[j] - stats[j].0) / stats[j].1;
                    let need = if *pol == Polarity::HigherBetter {
                        -z
                    } else {
                        z
                    };
                    (id.clone(), w * need / total_weight)
                })
                .collect();
            let score = contributions.iter().map(|c| c.1).sum();
            contributions.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(&b.0)));
            Classified {
                territory: t.as_ref().to_string(),
                score,
                class: 0,
                contributions,
            }
        })
        .collect();
    // Quintiles of the score, greatest need first; ties share a class.
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| {
        out[b]
            .score
            .total_cmp(&out[a].score)
            .then(out[a].territory.cmp(&out[b].territory))
    });
    let mut rank_of = vec![0usize; n];
    for (pos, &i) in order.iter().enumerate() {
        let tied = pos > 0 && out[order[pos - 1]].score == out[i].score;
        rank_of[i] = if tied { rank_of[order[pos - 1]] } else { pos };
    }
    for i in 0..n {
        out[i].class = 5 - (5 * rank_of[i] / n) as u32;
    }
    Some(out)
}

struct PriorityInputs<'a> {
    complete: Vec<(&'a str, Vec<f64>)>,
    incomplete: Vec<(&'a str, Status, String)>,
    /// Earliest and latest vintage of the inputs used.
    first_vintage: i32,
    vintage: i32,
}

fn priority_inputs<'a>(
    conf: &composites::Priority,
    values: &Values<'a>,
    geo: &Geography,
    catalog: &Catalog,
) -> PriorityInputs<'a> {
    let ids: Vec<&str> = conf
        .indicator
        .iter()
        .map(|w| w.indicator.as_str())
        .collect();
    let mut complete = vec![];
    let mut incomplete = vec![];
    let mut vintage = i32::MIN;
    let mut first_vintage = i32::MAX;
    for t in values.territories_with(&ids) {
        if geo.get(t).map(|g| g.level.as_str()) != Some(conf.level.as_str()) {
            continue;
        }
        let mut xs = vec![];
        let mut problem: Option<(Status, String)> = None;
        for id in &ids {
            // Latest vintage of the indicator for this territory.
            match values.latest(t, id) {
                Some((y, (Some(x), Status::Ok))) => {
                    xs.push(x);
                    vintage = vintage.max(y);
                }
                Some((_, (_, st))) => {
                    let label = catalog
                        .indicator(id)
                        .map(|i| i.label.clone())
                        .unwrap_or_default();
                    let st = if st == Status::Ok {
                        Status::Missing
                    } else {
                        st
                    };
                    if problem.as_ref().is_none_or(|p| st > p.0) {
                        problem = Some((st, label));
                    }
                }
                None => {
                    let label = catalog
                        .indicator(id)
                        .map(|i| i.label.clone())
                        .unwrap_or_default();
                    problem.get_or_insert((Status::Missing, label));
                }
            }
        }
        match problem {
            None => {
                for id in &ids {
                    if let Some((y, _)) = values.latest(t, id) {
                        first_vintage = first_vintage.min(y);
                    }
                }
                complete.push((t, xs))
            }
            Some((st, label)) => incomplete.push((t, st, label)),
        }
    }
    PriorityInputs {
        complete,
        incomplete,
        first_vintage,
        vintage,
    }
}

fn weights(conf: &composites::Priority, catalog: &Catalog) -> Vec<(String, f64, Polarity)> {
    conf.indicator
        .iter()
        .map(|w| {
            (
                w.indicator.clone(),
                w.weight,
                catalog
                    .indicator(&w.indicator)
                    .map(|i| i.polarity)
                    .unwrap_or(Polarity::Neutral),
            )
        })
        .collect()
}

fn priority<'a>(
    conf: &composites::Priority,
    values: &Values<'a>,
    geo: &Geography,
    catalog: &Catalog,
    words: &dyn Wording,
) -> (Vec<Row<'a>>, CompositeInfo) {
    let p = priority_inputs(conf, values, geo, catalog);
    let w = weights(conf, catalog);
    let setting = words.priority_setting(&detail::PrioritySetting {
        classified: p.complete.len(),
        level: Level::parse(&conf.level),
        weights: w.iter().map(|(i, wt, _)| (i.as_str(), *wt)).collect(),
        first_vintage: p.first_vintage,
        last_vintage: p.vintage,
    });
    let mut out = vec![];
    let mut info = CompositeInfo::default();
    let Some(classes) = classify(&p.complete, &w) else {
        return (out, info);
    };
    for id in [PRIORITY_SCORE, PRIORITY_CLASS] {
        info.settings.insert(id.to_string(), setting.clone());
    }
    info.priority = Some(PriorityInfo {
        first_vintage: p.first_vintage,
        last_vintage: p.vintage,
        classified: p.complete.len(),
        unclassified: p.incomplete.iter().map(|(t, _, label)| (t.to_string(), label.clone())).collect(),
    });
    let (score_id, class_id): (Arc<str>, Arc<str>) = (PRIORITY_SCORE.into(), PRIORITY_CLASS.into());
    // classify keeps the order of its inputs.
    for ((t, _), c) in p.complete.iter().zip(classes) {
        let drivers: Vec<(&str, f64)> = c
            .contributions
            .iter()
            .take(3)
            .map(|(id, v)| (catalog.indicator(id).map_or(id.as_str(), |i| i.label.as_str()), *v))
            .collect();
        info.drivers.insert(
            t.to_string(),
            c.contributions.iter().take(3).cloned().collect(),
        );
        let detail: Arc<str> = words.priority_drivers(&drivers, &setting).into();
        out.push(row(
            t,
            &score_id,
            p.vintage,
            (Some(c.score), Status::Ok),
            &detail,
        ));
        out.push(row(
            t,
            &class_id,
            p.vintage,
            (Some(c.class as f64), Status::Ok),
            &detail,
        ));
    }
    for (t, st, label) in p.incomplete {
        let detail: Arc<str> = words.unclassified(&label, &setting).into();
        out.push(row(t, &score_id, p.vintage, (None, st), &detail));
        out.push(row(t, &class_id, p.vintage, (None, st), &detail));
    }
    (out, info)
}

/// How many territories change class when each indicator is dropped in turn:
/// (indicator, territories changing class, territories classified).
fn priority_sensitivity(
    conf: &composites::Priority,
    values: &Values,
    geo: &Geography,
    catalog: &Catalog,
) -> Sensitivity {
    let p = priority_inputs(conf, values, geo, catalog);
    let w = weights(conf, catalog);
    let Some(base) = classify(&p.complete, &w) else {
        return vec![];
    };
    let mut out = vec![];
    for j in 0..w.len() {
        let inputs: Vec<(&str, Vec<f64>)> = p
            .complete
            .iter()
            .map(|(t, xs)| {
                (
                    *t,
                    xs.iter()
                        .enumerate()
                        .filter(|(k, _)| *k != j)
                        .map(|(_, x)| *x)
                        .collect(),
                )
            })
            .collect();
        let fewer: Vec<_> = w
            .iter()
            .enumerate()
            .filter(|(k, _)| *k != j)
            .map(|(_, x)| x.clone())
            .collect();
        let changed = match classify(&inputs, &fewer) {
            Some(c) => c
                .iter()
                .zip(&base)
                .filter(|(a, b)| a.class != b.class)
                .map(|(_, b)| b.territory.clone())
                .collect(),
            None => base.iter().map(|b| b.territory.clone()).collect(),
        };
        out.push(SensitivityRow { indicator: w[j].0.clone(), changed, total: base.len() });
    }
    out
}

/// Priority classification: for each indicator dropped in turn, the
/// territories whose class changes.
pub type Sensitivity = Vec<SensitivityRow>;

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SensitivityRow {
    /// The indicator dropped.
    pub indicator: String,
    /// Territories whose class changes without it.
    pub changed: Vec<String>,
    /// Territories classified.
    pub total: usize,
}

/// What the priority classification covers.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PriorityInfo {
    /// Earliest and latest vintage of the inputs (each indicator is taken
    /// at its latest vintage for each territory).
    pub first_vintage: i32,
    pub last_vintage: i32,
    pub classified: usize,
    /// Territories of the level left out: (code, the indicator they lack).
    pub unclassified: Vec<(String, String)>,
}

/// What the composite stage says beside its rows, as data, for the
/// renderers (never parsed back from the `detail` text): each output's
/// setting (universe, reference, weights), each classified territory's main
/// drivers, and the priority classification's sensitivity.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CompositeInfo {
    /// Output indicator id → its setting, as said in the `detail` column.
    pub settings: std::collections::BTreeMap<String, String>,
    /// Territory → its three main drivers: (indicator, weighted
    /// contribution to the score, signed: positive raises the need).
    pub drivers: std::collections::BTreeMap<String, Vec<(String, f64)>>,
    pub sensitivity: Sensitivity,
    pub priority: Option<PriorityInfo>,
}

impl CompositeInfo {
    fn merge(&mut self, other: CompositeInfo) {
        self.settings.extend(other.settings);
        self.drivers.extend(other.drivers);
        self.sensitivity.extend(other.sensitivity);
        if other.priority.is_some() {
            self.priority = other.priority;
        }
    }
}

/// The indicators the composite indices read, sorted.
pub fn inputs(catalog: &Catalog) -> Vec<&str> {
    let Some(conf) = catalog.composites.as_ref() else {
        return vec![];
    };
    let mut inputs: Vec<&str> = vec![];
    if let Some(c) = &conf.idh4 {
        inputs.extend([
            c.sante.as_str(),
            c.education.as_str(),
            c.niveau_vie.as_str(),
        ]);
    }
    for w in conf
        .idt_bcs
        .iter()
        .flat_map(|c| &c.component)
        .chain(conf.priorite.iter().flat_map(|c| &c.indicator))
    {
        inputs.push(w.indicator.as_str());
    }
    inputs.sort_unstable();
    inputs.dedup();
    inputs
}

/// Every composite row, as a frame shaped like the indicator values plus a
/// `detail` column; and the sensitivity of the priority classification.
/// `values_frame` may hold rows of other indicators: only the inputs are
/// read.
pub fn compute(
    values_frame: &DataFrame,
    catalog: &Catalog,
    geo: &Geography,
    reference: &str,
    territory: Option<&str>,
    words: &dyn Wording,
) -> Result<(DataFrame, CompositeInfo)> {
    let Some(conf): Option<&Composites> = catalog.composites.as_ref() else {
        return Ok((frame(&[])?, CompositeInfo::default()));
    };
    let inputs = inputs(catalog);
    // Selected by polars (in parallel) before the row-by-row indexing: a
    // quarter of the rows.
    let input_rows = values_frame
        .clone()
        .lazy()
        .filter(col(schema::INDICATOR).is_in(lit(Series::new("".into(), &inputs)).implode(false), false))
        .collect()?;
    let values = Values::from_frame(&input_rows, &inputs)?;
    // The four computations are independent: in parallel.
    let ((a, b), (c, sensitivity)) = rayon::join(
        || {
            rayon::join(
                || {
                    conf.idh4
                        .as_ref()
                        .map(|c| idh4(c, &values, geo, catalog, territory, words))
                        .unwrap_or_default()
                },
                || {
                    conf.idt_bcs
                        .as_ref()
                        .map(|c| idt_bcs(c, &values, geo, catalog, reference, words))
                        .unwrap_or_default()
                },
            )
        },
        || {
            rayon::join(
                || {
                    conf.priorite
                        .as_ref()
                        .map(|c| priority(c, &values, geo, catalog, words))
                        .unwrap_or_default()
                },
                || {
                    conf.priorite
                        .as_ref()
                        .map(|c| priority_sensitivity(c, &values, geo, catalog))
                        .unwrap_or_default()
                },
            )
        },
    );
    let mut info = CompositeInfo {
        sensitivity,
        ..Default::default()
    };
    let mut rows: Vec<Row> = vec![];
    for (r, i) in [a, b, c] {
        rows.extend(r);
        info.merge(i);
    }
    Ok((frame(&rows)?, info))
}

fn frame(rows: &[Row]) -> PolarsResult<DataFrame> {
    let mut df = df!(
        schema::TERRITORY_CODE => rows.iter().map(|r| r.territory).collect::<Vec<_>>(),
        schema::VINTAGE => rows.iter().map(|r| r.vintage).collect::<Vec<_>>(),
        schema::VALUE => rows.iter().map(|r| r.value).collect::<Vec<_>>(),
        schema::STATUS => rows.iter().map(|r| r.status.code()).collect::<Vec<_>>(),
    )?;
    df.insert_column(
        2,
        shared_strings(schema::INDICATOR, rows.iter().map(|r| &r.indicator))?,
    )?;
    df.with_column(Column::full_null(
        schema::FORMULA.into(),
        rows.len(),
        &DataType::String,
    ))?;
    df.with_column(shared_strings(schema::DETAIL, rows.iter().map(|r| &r.detail))?)?;
    Ok(df)
}

/// A string column of texts shared by many rows: each distinct text stored
/// once and the rows gathered from it (views into one buffer rather than a
/// copy of the text per row, which for the details was 140 bytes a row).
fn shared_strings<'r>(
    name: &str,
    texts: impl Iterator<Item = &'r Arc<str>>,
) -> PolarsResult<Column> {
    let mut distinct: Vec<&str> = vec![];
    let mut number: PlHashMap<*const u8, IdxSize> = PlHashMap::new();
    let mut rows: Vec<IdxSize> = vec![];
    for text in texts {
        let n = *number.entry(Arc::as_ptr(text).cast()).or_insert_with(|| {
            distinct.push(text);
            (distinct.len() - 1) as IdxSize
        });
        rows.push(n);
    }
    let distinct = StringChunked::from_slice(name.into(), &distinct);
    Ok(distinct
        .take(&IdxCa::from_vec("".into(), rows))?
        .into_series()
        .into())
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

    #[test]
    fn classify_orders_need_and_cuts_quintiles() {
        let inds = vec![
            ("pauvrete".to_string(), 1.0, Polarity::LowerBetter),
            ("emploi".to_string(), 1.0, Polarity::HigherBetter),
        ];
        let inputs: Vec<(String, Vec<f64>)> = (0..10)
            .map(|i| (format!("T{i}"), vec![10.0 + i as f64, 60.0 - i as f64]))
            .collect();
        let c = classify(&inputs, &inds).unwrap();
        // T9: most poverty, least employment: greatest need, class 5.
        assert_eq!(c[9].class, 5);
        assert_eq!(c[8].class, 5);
        assert_eq!(c[0].class, 1);
        assert_eq!(c[5].class, 3);
        assert!(c[9].score > c[0].score);
        assert!(
            (c.iter().map(|x| x.score).sum::<f64>()).abs() < 1e-9,
            "scores are centred"
        );
        // A constant indicator cannot be standardised.
        let flat: Vec<(String, Vec<f64>)> = (0..3)
            .map(|i| (format!("T{i}"), vec![1.0, i as f64]))
            .collect();
        assert!(classify(&flat, &inds).is_none());
    }
}
