//! The `detail` column in French: the words of what the engine found
//! (`engine::detail`), given to the engine through its options.

use crate::engine::detail::{CoverageNote, Lack, PrioritySetting, Universe, Why, Wording};
use crate::fr;

/// bcs's French wording of the `detail` column.
pub struct French;

impl Wording for French {
    fn coverage(&self, note: &CoverageNote, min_coverage: f64) -> String {
        let pct = |x: f64| fr::number(100.0 * x, 2);
        let mut named: Vec<String> = note
            .without
            .iter()
            .map(|(code, name)| format!("{name} ({code})"))
            .collect();
        if note.n_without > named.len() {
            named.push(format!("et {} autre(s)", note.n_without - named.len()));
        }
        if note.computed {
            format!(
                "total partiel : les membres avec données couvrent {} % de la population ; sans donnée : {}",
                pct(note.coverage),
                named.join(", ")
            )
        } else {
            let threshold = 100.0 * min_coverage;
            format!(
                "non calculé : les membres avec données couvrent {} % de la population, sous le seuil de {} % ; sans donnée : {}",
                pct(note.coverage),
                fr::number(threshold, if threshold.fract() == 0.0 { 0 } else { 2 }),
                named.join(", ")
            )
        }
    }

    fn idh4_setting(&self, universe: &Universe, communes_with_data: usize) -> String {
        let described = match universe {
            Universe::France => "communes de France métropolitaine".to_string(),
            Universe::Region(name) => format!("communes de la région {name}"),
            Universe::Departement(name) => format!("communes du département {name}"),
            Universe::RegionNotFound => "région du territoire étudié introuvable".to_string(),
            Universe::DepartementNotFound => "département du territoire étudié introuvable".to_string(),
        };
        format!(
            "univers de normalisation : {described} ({} communes avec données), bornes communes à tous les millésimes",
            fr::number(communes_with_data as f64, 0)
        )
    }

    fn idt_setting(&self, reference: &str) -> String {
        format!("référence : {reference} (= 0)")
    }

    fn lack(&self, lack: &Lack) -> String {
        let (prefix, label, why) = match *lack {
            Lack::Idh4 { dimension, label, why } => (format!("{dimension} : "), label, why),
            Lack::Idt { label, why } => (String::new(), label, why),
        };
        let label = fr::lowercase_first(label);
        let what = match (lack, why) {
            (_, Why::Status(st)) => st.label_fr().to_string(),
            (_, Why::NotNormalisable) => "non normalisable sur cet univers (moins de deux valeurs distinctes ou valeur non positive)".to_string(),
            (Lack::Idh4 { .. }, Why::NoData(y)) => format!("sans donnée pour ce territoire en {y}"),
            (Lack::Idt { .. }, Why::NoData(y)) => format!("sans donnée en {y}"),
            (_, Why::ReferenceUnavailable(y)) => format!("de la référence indisponible en {y}"),
        };
        format!("{prefix}{label} {what}")
    }

    fn not_computed(&self, lacking: &[String], setting: &str) -> String {
        format!("non calculé : {} ; {setting}", lacking.join(" ; "))
    }

    fn priority_setting(&self, s: &PrioritySetting) -> String {
        let level = s.level.map(|l| l.label_fr().to_lowercase()).unwrap_or_default();
        let span = match (s.first_vintage, s.last_vintage) {
            (a, b) if a < b => format!("de {a} à {b}"),
            (_, b) => b.to_string(),
        };
        let weights: Vec<String> = s.weights.iter().map(|(i, w)| format!("{i} ({})", fr::number(*w, 1))).collect();
        format!(
            "univers : {} territoires de niveau « {level} » ayant tous les indicateurs ; indicateurs (poids) : {} ; chacun à son dernier millésime, {span}",
            fr::number(s.classified as f64, 0),
            weights.join(", ")
        )
    }

    fn priority_drivers(&self, drivers: &[(&str, f64)], setting: &str) -> String {
        let drivers: Vec<String> = drivers.iter().map(|(label, v)| format!("{label} ({})", fr::signed(*v, 2))).collect();
        format!("facteurs principaux : {} ; {setting}", drivers.join(", "))
    }

    fn unclassified(&self, label: &str, setting: &str) -> String {
        format!("non classé : « {label} » indisponible ; {setting}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::Status;

    #[test]
    fn what_a_composite_lacks_is_said_per_index() {
        let w = French;
        let idh4 = |why| w.lack(&Lack::Idh4 { dimension: "santé", label: "Indice comparatif de mortalité", why });
        assert_eq!(idh4(Why::NoData(2019)), "santé : indice comparatif de mortalité sans donnée pour ce territoire en 2019");
        assert_eq!(idh4(Why::Status(Status::Secret)), format!("santé : indice comparatif de mortalité {}", Status::Secret.label_fr()));
        let idt = |why| w.lack(&Lack::Idt { label: "Taux de chômage", why });
        assert_eq!(idt(Why::NoData(2019)), "taux de chômage sans donnée en 2019");
        assert_eq!(idt(Why::ReferenceUnavailable(2019)), "taux de chômage de la référence indisponible en 2019");
        assert_eq!(
            w.priority_drivers(&[("Taux de pauvreté", 0.5), ("Revenu", -0.25)], "réglage"),
            "facteurs principaux : Taux de pauvreté (+0,50), Revenu (-0,25) ; réglage"
        );
        let setting = w.priority_setting(&PrioritySetting {
            classified: 1600,
            level: Some(crate::geo::Level::Qpv),
            weights: vec![("taux_pauvrete", 2.0)],
            first_vintage: 2019,
            last_vintage: 2021,
        });
        assert!(setting.starts_with("univers : 1\u{202F}600 territoires de niveau"), "{setting}");
        assert!(setting.ends_with("taux_pauvrete (2,0) ; chacun à son dernier millésime, de 2019 à 2021"), "{setting}");
    }
}
