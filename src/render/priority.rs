//! The priority classification for a decision maker: each territory's class
//! with what pushes it toward priority and what eases it, whether its class
//! holds when any one indicator is dropped, and sentences that say what the
//! classification can and cannot decide.

use crate::render::barometer::View;
use crate::render::fr;
use crate::render::table::{escape, Cell, Table};

/// Territories of the scope the classification covers, with the
/// indicators whose removal changes their class.
struct Classified {
    code: String,
    score: f64,
    class: f64,
    /// Labels of the indicators without which its class changes.
    fragile: Vec<String>,
}

impl View<'_> {
    fn indicator_label(&self, id: &str) -> String {
        self.catalog.indicator(id).map_or_else(|| id.to_string(), |i| i.label.clone())
    }

    fn classified(&self) -> anyhow::Result<Vec<Classified>> {
        use crate::catalog::composites::{PRIORITY_CLASS, PRIORITY_SCORE};
        use crate::engine::select;
        use crate::status::Status;
        let rows = |id: &str| self.results.rows(select::indicator(id).and(select::status(Status::Ok)));
        let classes: std::collections::BTreeMap<String, f64> =
            rows(PRIORITY_CLASS)?.into_iter().filter_map(|r| Some((r.territory_code, r.value?))).collect();
        let mut out: Vec<Classified> = rows(PRIORITY_SCORE)?
            .into_iter()
            .filter(|r| self.scope.is_none_or(|s| s.contains(&r.territory_code)))
            .filter_map(|r| {
                let class = *classes.get(&r.territory_code)?;
                let fragile = self
                    .results
                    .composite
                    .sensitivity
                    .iter()
                    .filter(|s| s.changed.contains(&r.territory_code))
                    .map(|s| self.indicator_label(&s.indicator))
                    .collect();
                Some(Classified { score: r.value?, class, fragile, code: r.territory_code })
            })
            .collect();
        out.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.code.cmp(&b.code)));
        Ok(out)
    }

    /// The classified territories of the scope: class, score, drivers by
    /// direction, stability.
    pub fn priority_table(&self) -> anyhow::Result<Option<Table>> {
        let classified = self.classified()?;
        if classified.is_empty() {
            return Ok(None);
        }
        let mut t = Table::new(
            "Classement de priorité d'action : classes, facteurs et stabilité",
            ["Territoire", "Classe", "Score", "Pèse vers la priorité", "Atténue", "Stabilité de la classe"]
                .map(String::from)
                .to_vec(),
        );
        t.numeric = vec![false, true, true, false, false, false];
        for c in &classified {
            let drivers = self.results.composite.drivers.get(&c.code).cloned().unwrap_or_default();
            let side = |up: bool| {
                drivers
                    .iter()
                    .filter(|(_, v)| (*v > 0.0) == up && *v != 0.0)
                    .map(|(id, v)| format!("{} ({})", self.indicator_label(id), fr::signed(*v, 2)))
                    .collect::<Vec<_>>()
                    .join(" ; ")
            };
            t.rows.push(vec![
                Cell::text(self.geo.name(&c.code)),
                Cell::Number(c.class, 0),
                Cell::Signed(c.score, 2),
                Cell::text(side(true)),
                Cell::text(side(false)),
                Cell::text(if c.fragile.is_empty() {
                    "stable : aucun indicateur retiré seul ne la change".to_string()
                } else {
                    format!("change si l'on retire : {}", c.fragile.join(" ; "))
                }),
            ]);
            t.keys.push((c.code.clone(), self.geo.get(&c.code).map_or("", |g| g.level.as_str())));
        }
        t.notes.push("Classe 5 : le cinquième des territoires aux besoins les plus marqués ; classe 1 : le cinquième aux besoins les moins marqués. Score : moyenne pondérée des écarts à la moyenne (en écarts types), orientés pour qu'un score plus élevé signale un besoin plus grand. Facteurs : les trois contributions les plus fortes au score, en points de score.".into());
        Ok(Some(t))
    }

    /// What the classification covers and how far its classes can be
    /// trusted, in sentences (HTML paragraphs).
    pub fn priority_sentences(&self) -> anyhow::Result<Vec<String>> {
        let Some(info) = self.results.composite.priority.as_ref() else {
            return Ok(vec![]);
        };
        let classified = self.classified()?;
        if classified.is_empty() {
            return Ok(vec![]);
        }
        let n = classified.len();
        let mut out = vec![];
        let span = if info.first_vintage < info.last_vintage {
            format!("des millésimes {} à {}", info.first_vintage, info.last_vintage)
        } else {
            format!("du millésime {}", info.last_vintage)
        };
        out.push(format!(
            "Le classement porte sur {} territoire(s) de ce baromètre ayant tous ses indicateurs, chacun pris à son dernier millésime : les données datent {span}.",
            fr::number(n as f64, 0)
        ));
        // Perimeters: classified quartiers that were redrawn in 2024, and
        // the current ones of the scope (same level, not redrawn) left out
        // for want of data.
        let level = self.catalog.composites.as_ref().and_then(|c| c.priorite.as_ref()).and_then(|p| crate::geo::Level::parse(&p.level));
        let former = classified.iter().filter(|c| self.geo.get(&c.code).is_some_and(|t| !t.successors.is_empty())).count();
        let left: Vec<&crate::geo::Territory> = self
            .geo
            .territories()
            .iter()
            .filter(|t| Some(t.level) == level && t.successors.is_empty())
            .filter(|t| self.scope.is_none_or(|s| s.contains(&t.code)))
            .filter(|t| !classified.iter().any(|c| c.code == t.code))
            .collect();
        if former > 0 && !left.is_empty() {
            let mut lacking: Vec<&str> = info
                .unclassified
                .iter()
                .filter(|(code, _)| left.iter().any(|t| &t.code == code))
                .map(|(_, l)| l.as_str())
                .collect();
            lacking.sort_unstable();
            lacking.dedup();
            let lacking = if lacking.is_empty() {
                "aucun des indicateurs du classement n'est disponible pour eux".to_string()
            } else {
                format!(
                    "il leur manque notamment {}",
                    lacking.iter().take(3).map(|l| format!("« {} »", fr::lowercase_first(l))).collect::<Vec<_>>().join(", ")
                )
            };
            let which = if former == n {
                format!("Les {} territoires classés sont tous", fr::number(n as f64, 0))
            } else {
                format!("{} des {} territoires classés sont", fr::number(former as f64, 0), fr::number(n as f64, 0))
            };
            out.push(format!(
                "{which} des périmètres redessinés en 2024 (quartiers de 2015-2023). Les {} quartiers de la géographie en vigueur ne sont pas classés : {lacking}. Le classement éclaire donc les anciens périmètres ; il est à refaire pour les QPV de 2024 dès que les sources donnent ces indicateurs à leur échelle.",
                fr::number(left.len() as f64, 0),
            ));
        }
        let stable = classified.iter().filter(|c| c.fragile.is_empty()).count();
        let mut fragile_by: Vec<(usize, String)> = self
            .results
            .composite
            .sensitivity
            .iter()
            .map(|s| {
                let in_scope = classified.iter().filter(|c| s.changed.contains(&c.code)).count();
                (in_scope, self.indicator_label(&s.indicator))
            })
            .filter(|(k, _)| *k > 0)
            .collect();
        fragile_by.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        let mut lecture = format!(
            "Lecture : {} des {} territoires classés gardent leur classe quel que soit l'indicateur retiré : leur rang de priorité ne tient à aucun indicateur isolé et peut fonder un arbitrage.",
            fr::number(stable as f64, 0),
            fr::number(n as f64, 0)
        );
        if stable < n {
            lecture.push_str(&format!(
                " Les {} autres changent de classe si l'on retire un seul indicateur (le plus souvent : « {} », {} territoire(s)) : leur classe est à confirmer avec les acteurs de terrain avant de décider.",
                fr::number((n - stable) as f64, 0),
                fr::lowercase_first(&fragile_by[0].1),
                fr::number(fragile_by[0].0 as f64, 0)
            ));
        }
        out.push(lecture);
        Ok(out)
    }

    /// The report's section on the priority classification; empty when
    /// nothing is classified in the scope.
    pub fn priority_section(&self) -> anyhow::Result<String> {
        let Some(table) = self.priority_table()? else {
            return Ok(String::new());
        };
        let mut h = String::from("<section id=\"priorite\"><h2>Classement de priorité d'action</h2>\n<p>Pour « établir un ordre de priorité d'action », les indicateurs retenus sont ramenés à une même échelle entre les territoires classés, orientés selon leur sens favorable, pondérés et moyennés ; le score est découpé en cinq classes. Pour chaque territoire, le tableau dit ce qui pèse vers la priorité, ce qui l'atténue, et si sa classe tient quand on retire un indicateur.</p>\n");
        for s in self.priority_sentences()? {
            h.push_str(&format!("<p>{}</p>\n", escape(&s)));
        }
        h.push_str(&table.html("h3"));
        if let Some(t) = self.sensitivity_table() {
            h.push_str(&t.html("h3"));
        }
        h.push_str("</section>\n");
        Ok(h)
    }
}
