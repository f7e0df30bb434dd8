//! The priority classification: indicators standardised over the
//! territories of a level, oriented by polarity, weighted into a score cut
//! in quintiles; each territory's main drivers; the classes' sensitivity to
//! each indicator.

use std::sync::Arc;

use super::{row, CompositeInfo, Row, Values};
use crate::catalog::composites::{self, PRIORITY_CLASS, PRIORITY_SCORE};
use crate::catalog::{Catalog, Polarity};
use crate::engine::detail::{self, Wording};
use crate::geo::{Geography, Level};
use crate::status::Status;

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

pub(super) fn priority<'a>(
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
pub(super) fn priority_sensitivity(
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

#[cfg(test)]
mod tests {
    use super::*;

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
