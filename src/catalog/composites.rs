//! Definitions of the composite indices (`indicators/composites.toml`):
//! IDH-4, IDT-BCS and the priority classification. Their inputs are
//! catalogue indicators; their outputs become indicators of their own theme.

use std::collections::HashMap;

use anyhow::{bail, Result};
use serde::Deserialize;

use super::{Indicator, Polarity, Theme, Unit};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Composites {
    pub theme: Theme,
    pub idh4: Option<Idh4>,
    pub idt_bcs: Option<IdtBcs>,
    pub priorite: Option<Priority>,
}

/// Where the IDH-4 bounds come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Universe {
    /// Communes of the region of the dataset's territory.
    Region,
    /// Communes of the département of the dataset's territory.
    Departement,
    /// Communes of France métropolitaine.
    France,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Idh4 {
    pub label: String,
    pub universe: Universe,
    /// Indicator of the comparative mortality index (lower is better).
    pub sante: String,
    /// Indicator of the share of diploma holders among the 15+ out of school.
    pub education: String,
    /// Indicator of the median disposable income per consumption unit.
    pub niveau_vie: String,
    pub source: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdtBcs {
    pub label: String,
    /// Reference territory; default: the dataset's comparison territory.
    #[serde(default)]
    pub reference: Option<String>,
    pub source: String,
    pub component: Vec<Weighted>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weighted {
    #[serde(alias = "id")]
    pub indicator: String,
    pub weight: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Priority {
    pub label: String,
    /// Level of the territories classified (e.g. "qpv", "commune").
    pub level: String,
    pub source: String,
    pub indicator: Vec<Weighted>,
}

pub const IDH4: &str = "idh4";
pub const IDH4_PARTS: [(&str, &str); 3] = [
    ("idh4_sante", "santé"),
    ("idh4_education", "éducation"),
    ("idh4_niveau_vie", "niveau de vie"),
];
pub const IDT_BCS: &str = "idt_bcs";
pub const PRIORITY_SCORE: &str = "priorite_score";
pub const PRIORITY_CLASS: &str = "priorite_classe";

/// An output indicator; `text` is (source, definition, lecture template).
fn output(
    theme: &str,
    id: &str,
    label: String,
    unit: Unit,
    decimals: u8,
    polarity: Polarity,
    text: (&str, String, &str),
) -> Indicator {
    let (source, definition, lecture) = text;
    Indicator {
        id: id.to_string(),
        label,
        theme: theme.to_string(),
        formulas: vec![],
        operands: vec![],
        unit,
        decimals,
        polarity,
        source: source.to_string(),
        definition,
        lecture: lecture.to_string(),
    }
}

impl Composites {
    pub fn validate(&self, known: &HashMap<&str, &Indicator>) -> Result<()> {
        let need = |id: &str, what: &str| -> Result<()> {
            if !known.contains_key(id) {
                bail!("{what} : indicateur « {id} » absent du catalogue");
            }
            Ok(())
        };
        if let Some(i) = &self.idh4 {
            need(&i.sante, "IDH-4, santé")?;
            need(&i.education, "IDH-4, éducation")?;
            need(&i.niveau_vie, "IDH-4, niveau de vie")?;
        }
        if let Some(t) = &self.idt_bcs {
            if t.component.is_empty() {
                bail!("IDT-BCS : aucune composante");
            }
            for c in &t.component {
                need(&c.indicator, "IDT-BCS")?;
            }
        }
        if let Some(p) = &self.priorite {
            if crate::geo::Level::parse(&p.level).is_none() {
                bail!("classement de priorité : niveau « {} » inconnu", p.level);
            }
            if p.indicator.len() < 2 {
                bail!("classement de priorité : au moins deux indicateurs sont nécessaires");
            }
            for w in &p.indicator {
                need(&w.indicator, "classement de priorité")?;
                if known[w.indicator.as_str()].polarity == Polarity::Neutral {
                    bail!(
                        "classement de priorité : l'indicateur « {} » n'a pas de sens favorable (polarité neutre)",
                        w.indicator
                    );
                }
                if w.weight.is_nan() || w.weight <= 0.0 {
                    bail!(
                        "classement de priorité : poids de « {} » non positif",
                        w.indicator
                    );
                }
            }
        }
        Ok(())
    }

    /// The indicators the composites produce.
    pub fn outputs(&self, known: &HashMap<&str, &Indicator>) -> Vec<Indicator> {
        let th = self.theme.id.as_str();
        let mut out = vec![];
        if let Some(i) = &self.idh4 {
            out.push(output(th, IDH4, i.label.clone(), Unit::Index, 2, Polarity::HigherBetter, (&i.source, "Moyenne des indices de santé, d'éducation et de niveau de vie, chacun normalisé entre 0 et 1 (min-max) sur l'univers de normalisation indiqué dans la colonne detail.".into(), "En {millesime}, l'IDH-4 de {territoire} est de {valeur} (entre 0 et 1).")));
            let inputs = [&i.sante, &i.education, &i.niveau_vie];
            for ((id, name), input) in IDH4_PARTS.iter().zip(inputs) {
                let input_label = known
                    .get(input.as_str())
                    .map(|k| k.label.clone())
                    .unwrap_or_default();
                // French elision: « indice d'éducation », « indice de santé ».
                let of = if name.starts_with(['a', 'e', 'é', 'i', 'o', 'u']) {
                    "d'"
                } else {
                    "de "
                };
                out.push(output(
                    th,
                    id,
                    format!("IDH-4, indice {of}{name}"),
                    Unit::Index,
                    2,
                    Polarity::HigherBetter,
                    (
                        &i.source,
                        format!(
                            "Sous-indice {name} de l'IDH-4, de 0 à 1, à partir de : {input_label}."
                        ),
                        "En {millesime}, l'indice de {territoire} vaut {valeur}.",
                    ),
                ));
            }
        }
        if let Some(t) = &self.idt_bcs {
            out.push(output(th, IDT_BCS, t.label.clone(), Unit::Index, 0, Polarity::HigherBetter, (&t.source, "Somme pondérée des écarts relatifs (en %) des composantes à celles du territoire de référence : 0 = situation de la référence, négatif = moins favorable. Indice calculé par bcs, distinct de l'IDT© du Compas.".into(), "En {millesime}, l'IDT-BCS de {territoire} est de {valeur}.")));
            for c in &t.component {
                let label = known
                    .get(c.indicator.as_str())
                    .map(|k| k.label.clone())
                    .unwrap_or_default();
                out.push(output(th, &format!("idt_bcs_{}", c.indicator), format!("IDT-BCS, composante : {label}"), Unit::Index, 1, Polarity::HigherBetter, (&t.source, format!("Écart relatif, en %, de « {label} » à la valeur du territoire de référence."), "En {millesime}, la composante vaut {valeur} pour {territoire}.")));
            }
        }
        if let Some(p) = &self.priorite {
            out.push(output(th, PRIORITY_SCORE, format!("{} — score", p.label), Unit::Index, 2, Polarity::LowerBetter, (&p.source, "Moyenne pondérée des indicateurs listés, centrés-réduits sur les territoires du niveau et orientés pour qu'un score élevé signale un besoin plus fort ; les facteurs principaux figurent dans la colonne detail.".into(), "{territoire} a un score de priorité de {valeur} (0 = moyenne des territoires comparés).")));
            out.push(output(th, PRIORITY_CLASS, format!("{} — classe (5 = besoin le plus fort)", p.label), Unit::Index, 0, Polarity::LowerBetter, (&p.source, "Quintile du score de priorité : classe 5 = le cinquième des territoires au besoin le plus fort, classe 1 = le plus faible.".into(), "{territoire} est en classe de priorité {valeur} (5 = besoin le plus fort).")));
        }
        out
    }
}
