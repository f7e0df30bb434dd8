//! Points de vigilance and targets, evaluated on a results table: what the
//! rules of `catalog::steering` find in the data, as typed findings (render
//! words them in French).

use std::collections::BTreeMap;

use anyhow::Result;
use polars::prelude::PlHashSet;

use super::results::{select, Results};
use crate::catalog::steering::{AlertKind, AlertRule, GapReference, Target};
use crate::catalog::{Catalog, Polarity};
use crate::geo::Level;
use crate::status::Status;

/// A value of a territory at a vintage.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Dated {
    pub vintage: i32,
    pub value: f64,
}

/// What a rule found for one territory.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Finding {
    pub territory_code: String,
    pub territory_name: String,
    /// The territory's value at the vintage the finding is about.
    pub now: Dated,
    /// Its value at the vintage compared with (`ecart`, `seuil`).
    pub before: Option<Dated>,
    /// The reference's values at the same vintages (`ecart`): (before, now).
    pub reference: Option<(Dated, Dated)>,
}

impl Finding {
    /// The gap to the reference at each vintage, signed so that a positive
    /// gap is unfavourable to the territory (`ecart`): (before, now).
    pub fn deficits(&self, polarity: Polarity) -> Option<(f64, f64)> {
        let (rb, rn) = self.reference?;
        let before = self.before?;
        Some((deficit(polarity, before.value, rb.value), deficit(polarity, self.now.value, rn.value)))
    }
}

/// How many territories are beyond a threshold (`compte`).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Count {
    pub vintage: i32,
    /// Territories beyond the threshold.
    pub beyond: usize,
    /// Territories of the level with a value at that vintage.
    pub among: usize,
}

/// A raised alert: its rule and what it found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Alert {
    #[serde(skip)]
    pub rule: AlertRule,
    pub id: String,
    /// The territories concerned (`compte`: those beyond the threshold),
    /// largest concern first.
    pub findings: Vec<Finding>,
    pub count: Option<Count>,
    /// The reference of an `ecart` rule: (code, name).
    pub reference: Option<(String, String)>,
}

/// Where the rules look: the dataset's territory (the EPCI) and scope.
pub struct Frame<'a> {
    pub territory: &'a str,
    pub scope: Option<&'a PlHashSet<String>>,
}

/// The gap of `x` to `reference`, positive when unfavourable.
fn deficit(polarity: Polarity, x: f64, reference: f64) -> f64 {
    match polarity {
        Polarity::HigherBetter => reference - x,
        Polarity::LowerBetter => x - reference,
        Polarity::Neutral => (x - reference).abs(),
    }
}

/// Comparisons of values carried in floating point: a widening of exactly
/// the threshold (0,1 pts computed as 0,0999…) is not beyond it.
const EPSILON: f64 = 1e-9;

/// One territory's `ok` values of an indicator, by vintage.
struct Series {
    name: String,
    level: Level,
    values: BTreeMap<i32, f64>,
}

fn series(results: &Results, indicator: &str) -> Result<BTreeMap<String, Series>> {
    let mut by_code: BTreeMap<String, Series> = BTreeMap::new();
    for r in results.rows(select::indicator(indicator).and(select::status(Status::Ok)).and(select::dated()))? {
        let (Some(v), Some(x)) = (r.vintage, r.value) else { continue };
        by_code
            .entry(r.territory_code)
            .or_insert_with(|| Series { name: r.territory_name, level: r.level, values: BTreeMap::new() })
            .values
            .insert(v, x);
    }
    Ok(by_code)
}

/// Evaluates every rule; only the alerts that are raised are returned, in
/// the rules' order.
pub fn evaluate(results: &Results, catalog: &Catalog, rules: &[AlertRule], frame: &Frame) -> Result<Vec<Alert>> {
    let mut alerts = vec![];
    for rule in rules {
        let Some(ind) = catalog.indicator(&rule.indicator) else {
            continue;
        };
        let all = series(results, &rule.indicator)?;
        let watched: Vec<(&String, &Series)> = all
            .iter()
            .filter(|(code, s)| s.level == rule.level && frame.scope.is_none_or(|sc| sc.contains(*code)))
            .collect();
        let finding = |code: &str, s: &Series, now: Dated, before: Option<Dated>| Finding {
            territory_code: code.to_string(),
            territory_name: s.name.clone(),
            now,
            before,
            reference: None,
        };
        let latest_two = |values: &BTreeMap<i32, f64>| -> Option<(Dated, Dated)> {
            let mut it = values.iter().rev().map(|(&vintage, &value)| Dated { vintage, value });
            let now = it.next()?;
            Some((it.next()?, now))
        };
        let mut alert = Alert { rule: rule.clone(), id: rule.id.clone(), findings: vec![], count: None, reference: None };
        match rule.kind {
            AlertKind::Ecart => {
                let code = match rule.gap_reference() {
                    GapReference::Territory => frame.territory.to_string(),
                    GapReference::Reference => results.reference.clone(),
                    GapReference::Code(c) => c,
                };
                let Some(reference) = all.get(&code) else { continue };
                let threshold = rule.threshold.unwrap_or(0.0);
                for (c, s) in &watched {
                    if **c == code {
                        continue;
                    }
                    // The two latest vintages both have.
                    let common: BTreeMap<i32, f64> = s
                        .values
                        .iter()
                        .filter(|(v, _)| reference.values.contains_key(v))
                        .map(|(&v, &x)| (v, x))
                        .collect();
                    let Some((before, now)) = latest_two(&common) else { continue };
                    let r = |d: Dated| Dated { vintage: d.vintage, value: reference.values[&d.vintage] };
                    let mut f = finding(c, s, now, Some(before));
                    f.reference = Some((r(before), r(now)));
                    if let Some((d0, d1)) = f.deficits(ind.polarity) {
                        if d1 > EPSILON && d1 - d0 > threshold + EPSILON {
                            alert.findings.push(f);
                        }
                    }
                }
                alert.findings.sort_by(|a, b| {
                    let widening = |f: &Finding| f.deficits(ind.polarity).map_or(0.0, |(a, b)| b - a);
                    widening(b).total_cmp(&widening(a)).then_with(|| crate::fr::collate(&a.territory_name, &b.territory_name))
                });
                alert.reference = Some((code, reference.name.clone()));
            }
            AlertKind::Seuil => {
                let Some((bound, below)) = rule.bound() else { continue };
                let beyond = |x: f64| if below { x < bound } else { x > bound };
                for (c, s) in &watched {
                    let Some((before, now)) = latest_two(&s.values) else { continue };
                    if beyond(now.value) && !beyond(before.value) {
                        alert.findings.push(finding(c, s, now, Some(before)));
                    }
                }
                alert.findings.sort_by(|a, b| crate::fr::collate(&a.territory_name, &b.territory_name));
            }
            AlertKind::Compte => {
                let Some((bound, below)) = rule.bound() else { continue };
                let Some(vintage) = watched.iter().filter_map(|(_, s)| s.values.keys().next_back()).max().copied() else {
                    continue;
                };
                let mut among = 0;
                for (c, s) in &watched {
                    let Some(&value) = s.values.get(&vintage) else { continue };
                    among += 1;
                    if (below && value < bound) || (!below && value > bound) {
                        alert.findings.push(finding(c, s, Dated { vintage, value }, None));
                    }
                }
                // The farthest beyond first.
                alert.findings.sort_by(|a, b| {
                    let (x, y) = (a.now.value, b.now.value);
                    (if below { x.total_cmp(&y) } else { y.total_cmp(&x) })
                        .then_with(|| crate::fr::collate(&a.territory_name, &b.territory_name))
                });
                let beyond = alert.findings.len();
                alert.count = Some(Count { vintage, beyond, among });
                if beyond < rule.at_least.unwrap_or(1) {
                    continue;
                }
            }
        }
        if !alert.findings.is_empty() {
            alerts.push(alert);
        }
    }
    Ok(alerts)
}

/// Where a target stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// No value of the indicator since the baseline year.
    NotMeasured,
    /// Reached (or passed).
    Reached,
    /// Moving toward the target at least at the pace that reaches it in time.
    OnTrack,
    /// Moving toward it, slower than that pace.
    Behind,
    /// Moving away from it.
    Backwards,
}

/// A target and its progress.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TargetProgress {
    #[serde(skip)]
    pub target: Target,
    pub id: String,
    pub territory_name: String,
    /// The latest value since the baseline year (its vintage after it).
    pub latest: Option<Dated>,
    /// Share of the way from baseline to target covered (%).
    pub progress: Option<f64>,
    /// Share of the time from baseline year to target year elapsed at the
    /// latest value's vintage (%).
    pub elapsed: Option<f64>,
    pub standing: Standing,
}

/// Progress of each target from the results.
pub fn progress(results: &Results, targets: &[Target], name: impl Fn(&str) -> String) -> Result<Vec<TargetProgress>> {
    let mut out = vec![];
    for t in targets {
        let rows = results.rows(
            select::territory(&t.territory)
                .and(select::indicator(&t.indicator))
                .and(select::status(Status::Ok))
                .and(select::dated()),
        )?;
        let latest = rows
            .iter()
            .filter_map(|r| Some(Dated { vintage: r.vintage?, value: r.value? }))
            .filter(|d| d.vintage > t.baseline_year)
            .max_by_key(|d| d.vintage);
        let span = t.target - t.baseline;
        let progress = latest.map(|d| 100.0 * (d.value - t.baseline) / span);
        let elapsed = latest.map(|d| 100.0 * f64::from(d.vintage - t.baseline_year) / f64::from(t.year - t.baseline_year));
        let standing = match (progress, elapsed) {
            (Some(p), _) if p >= 100.0 - EPSILON => Standing::Reached,
            (Some(p), _) if p < -EPSILON => Standing::Backwards,
            (Some(p), Some(e)) if p + EPSILON >= e.min(100.0) => Standing::OnTrack,
            (Some(_), _) => Standing::Behind,
            (None, _) => Standing::NotMeasured,
        };
        out.push(TargetProgress {
            target: t.clone(),
            id: t.id.clone(),
            territory_name: name(&t.territory),
            latest,
            progress,
            elapsed,
            standing,
        });
    }
    Ok(out)
}

/// What the barometer says for steering: the alerts raised and the
/// targets' progress.
#[derive(Debug, Clone, Default)]
pub struct Steering {
    pub alerts: Vec<Alert>,
    pub targets: Vec<TargetProgress>,
}

impl Steering {
    /// The alerts that concern one of these territories, with only their
    /// findings for them.
    pub fn about(&self, codes: &[String]) -> Steering {
        let alerts = self
            .alerts
            .iter()
            .filter_map(|a| {
                let findings: Vec<Finding> =
                    a.findings.iter().filter(|f| codes.contains(&f.territory_code)).cloned().collect();
                (!findings.is_empty()).then(|| Alert { findings, ..a.clone() })
            })
            .collect();
        let targets = self.targets.iter().filter(|t| codes.contains(&t.target.territory)).cloned().collect();
        Steering { alerts, targets }
    }
}
