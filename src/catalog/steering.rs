//! What the contract steers by, as data: alert rules (« points de
//! vigilance », `indicators/vigilance.toml` for every dataset, `[[alert]]`
//! in a dataset for its own) and quantified targets (`[[target]]` in a
//! dataset). Adding one needs no Rust change.

use std::collections::HashSet;

use serde::Deserialize;

use super::Catalog;
use crate::geo::Level;

/// What an alert rule watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// The gap of a territory to a reference widens, in the unfavourable
    /// direction, between its two latest vintages by more than `threshold`.
    Ecart,
    /// A territory crosses a threshold (`below` or `above`) between its two
    /// latest vintages.
    Seuil,
    /// How many territories of a level are beyond a threshold at the latest
    /// vintage (« 6 QPV sur 13 »); raised from `at_least` territories.
    Compte,
}

/// Where the reference of a gap is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GapReference {
    /// The dataset's own territory (the EPCI of the contract).
    Territory,
    /// The dataset's comparison territory.
    Reference,
    /// A territory code.
    Code(String),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertRule {
    /// Slug: names the alert in outputs.
    pub id: String,
    /// Title, in French (« L'écart de revenu avec l'agglomération se creuse »).
    pub label: String,
    pub kind: AlertKind,
    pub indicator: String,
    /// Level of the territories watched (within the dataset's scope).
    pub level: Level,
    /// For `ecart`: `territory` (default), `reference` or a territory code.
    #[serde(default)]
    pub reference: Option<String>,
    /// For `ecart`: widening beyond which the alert is raised, in the
    /// indicator's unit (points for a rate); default 0.
    #[serde(default)]
    pub threshold: Option<f64>,
    /// For `seuil` and `compte`: the threshold, one of the two.
    #[serde(default)]
    pub below: Option<f64>,
    #[serde(default)]
    pub above: Option<f64>,
    /// For `compte`: the least count that raises the alert (default 1).
    #[serde(default)]
    pub at_least: Option<usize>,
    /// Where the rule comes from (the contract's words).
    #[serde(default)]
    pub origin: Option<String>,
}

impl AlertRule {
    pub fn gap_reference(&self) -> GapReference {
        match self.reference.as_deref() {
            None | Some("territory") => GapReference::Territory,
            Some("reference") => GapReference::Reference,
            Some(code) => GapReference::Code(code.to_string()),
        }
    }

    /// The threshold of a `seuil` or `compte` rule: (value, true when the
    /// alert is about values below it).
    pub fn bound(&self) -> Option<(f64, bool)> {
        match (self.below, self.above) {
            (Some(b), None) => Some((b, true)),
            (None, Some(a)) => Some((a, false)),
            _ => None,
        }
    }

    /// Checks a rule against the catalogue: what is wrong, in French.
    fn problems(&self, catalog: &Catalog) -> Vec<String> {
        let mut p = vec![];
        if !crate::files::is_slug(&self.id) {
            p.push("id : lettres, chiffres, « - » et « _ » seulement".to_string());
        }
        if catalog.indicator(&self.indicator).is_none() {
            p.push(format!("indicateur « {} » absent du catalogue", self.indicator));
        }
        let finite = |name: &str, v: Option<f64>, p: &mut Vec<String>| {
            if v.is_some_and(|x| !x.is_finite()) {
                p.push(format!("{name} : un nombre fini est attendu"));
            }
        };
        finite("threshold", self.threshold, &mut p);
        finite("below", self.below, &mut p);
        finite("above", self.above, &mut p);
        match self.kind {
            AlertKind::Ecart => {
                if self.below.is_some() || self.above.is_some() || self.at_least.is_some() {
                    p.push("kind = \"ecart\" : below, above et at_least ne s'appliquent pas (threshold : creusement minimal)".into());
                }
                if self.threshold.is_some_and(|t| t < 0.0) {
                    p.push("threshold : un creusement positif ou nul est attendu".into());
                }
            }
            AlertKind::Seuil | AlertKind::Compte => {
                if self.bound().is_none() {
                    p.push(format!(
                        "kind = \"{}\" : un seuil est attendu, below ou above (un seul)",
                        if self.kind == AlertKind::Seuil { "seuil" } else { "compte" }
                    ));
                }
                if self.threshold.is_some() || self.reference.is_some() {
                    p.push("threshold et reference ne s'appliquent qu'à kind = \"ecart\"".into());
                }
                if self.kind == AlertKind::Seuil && self.at_least.is_some() {
                    p.push("at_least ne s'applique qu'à kind = \"compte\"".into());
                }
            }
        }
        p
    }
}

/// A quantified commitment of the contract: an indicator of a territory
/// from a baseline to a target value by a year.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// Slug: names the target in outputs.
    pub id: String,
    /// The commitment in the contract's words.
    pub label: String,
    pub indicator: String,
    /// Territory the commitment is about (code).
    pub territory: String,
    pub baseline: f64,
    pub baseline_year: i32,
    pub target: f64,
    /// Year by which the target is to be reached.
    pub year: i32,
    /// Who carries it (« DDETS », « CAF »…).
    #[serde(default)]
    pub owner: Option<String>,
    /// Where the commitment is written.
    #[serde(default)]
    pub origin: Option<String>,
}

impl Target {
    fn problems(&self, catalog: &Catalog) -> Vec<String> {
        let mut p = vec![];
        if !crate::files::is_slug(&self.id) {
            p.push("id : lettres, chiffres, « - » et « _ » seulement".to_string());
        }
        if catalog.indicator(&self.indicator).is_none() {
            p.push(format!("indicateur « {} » absent du catalogue", self.indicator));
        }
        if !self.baseline.is_finite() || !self.target.is_finite() {
            p.push("baseline et target : des nombres finis sont attendus".into());
        }
        if self.year <= self.baseline_year {
            p.push(format!(
                "year = {} : l'échéance doit suivre l'année de départ ({})",
                self.year, self.baseline_year
            ));
        }
        if self.baseline == self.target {
            p.push("target : la cible est égale à la valeur de départ".into());
        }
        p
    }
}

/// What is wrong with alert rules and targets, checked against the
/// catalogue: every problem at once, in French.
pub fn problems(alerts: &[AlertRule], targets: &[Target], catalog: &Catalog) -> Vec<String> {
    let mut problems = vec![];
    let mut ids = HashSet::new();
    for a in alerts {
        if !ids.insert(("alert", a.id.as_str())) {
            problems.push(format!("[[alert]] « {} » : identifiant donné deux fois", a.id));
        }
        problems.extend(a.problems(catalog).into_iter().map(|m| format!("[[alert]] « {} » : {m}", a.id)));
    }
    for t in targets {
        if !ids.insert(("target", t.id.as_str())) {
            problems.push(format!("[[target]] « {} » : identifiant donné deux fois", t.id));
        }
        problems.extend(t.problems(catalog).into_iter().map(|m| format!("[[target]] « {} » : {m}", t.id)));
    }
    problems
}

/// Territory codes the rules and targets name (to be found in the geography).
pub fn named_territories<'a>(
    alerts: impl IntoIterator<Item = &'a AlertRule>,
    targets: &'a [Target],
) -> Vec<String> {
    alerts
        .into_iter()
        .filter_map(|a| match a.gap_reference() {
            GapReference::Code(c) => Some(c),
            _ => None,
        })
        .chain(targets.iter().map(|t| t.territory.clone()))
        .collect()
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct VigilanceFile {
    #[serde(default)]
    pub alert: Vec<AlertRule>,
}
