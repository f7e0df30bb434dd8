//! Loose territory look-up: a code, an exact name, or an unambiguous part of
//! a name, accents and punctuation ignored.

use anyhow::{bail, Result};

use super::{Geography, Level, Territory};

/// Lower-case ASCII, punctuation folded to single spaces.
pub fn normalize(s: &str) -> String {
    let ascii = deunicode::deunicode(s).to_lowercase();
    let mut out = String::with_capacity(ascii.len());
    for ch in ascii.chars() {
        if ch.is_ascii_alphanumeric() {
            out.push(ch);
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    out.trim().to_string()
}

/// What a query resolved to.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolution {
    One(String),
    /// Several QPV of one lineage (a 2015-2023 QP and the 2024 QPV replacing
    /// it): shown side by side, with a perimeter-change warning.
    Lineage(Vec<String>),
}

impl Resolution {
    pub fn codes(&self) -> Vec<String> {
        match self {
            Resolution::One(c) => vec![c.clone()],
            Resolution::Lineage(v) => v.clone(),
        }
    }
}

impl Geography {
    /// Resolves a user query. Stages, first conclusive one wins: exact code;
    /// exact (short) name; every word of the query inside the name.
    pub fn resolve(&self, query: &str, level: Option<Level>) -> Result<Resolution> {
        let q = query.trim();
        if let Some(t) = self.get(q) {
            return Ok(Resolution::One(t.code.clone()));
        }
        let nq = normalize(q);
        if nq.is_empty() {
            bail!("territoire vide : indiquez un code ou une partie du nom");
        }
        let candidates: Vec<&Territory> = self
            .territories()
            .iter()
            .filter(|t| level.is_none_or(|l| t.level == l))
            .collect();
        let names = |t: &Territory| {
            let mut v = vec![normalize(&t.name)];
            if let Some(s) = &t.short_name {
                v.push(normalize(s));
            }
            v
        };
        let exact: Vec<&Territory> = candidates
            .iter()
            .copied()
            .filter(|t| names(t).contains(&nq))
            .collect();
        let words: Vec<&str> = nq.split(' ').collect();
        let partial: Vec<&Territory> = candidates
            .iter()
            .copied()
            .filter(|t| {
                names(t).iter().any(|n| {
                    let nw: Vec<&str> = n.split(' ').collect();
                    words.iter().all(|w| nw.contains(w))
                })
            })
            .collect();
        for stage in [exact, partial] {
            match stage.len() {
                0 => continue,
                1 => return Ok(Resolution::One(stage[0].code.clone())),
                _ => return self.disambiguate(query, &stage),
            }
        }
        bail!("aucun territoire ne correspond à « {query} » (essayez un code INSEE, un code QPV ou une partie du nom)")
    }

    fn disambiguate(&self, query: &str, found: &[&Territory]) -> Result<Resolution> {
        // Among territories of one level, the dataset's own first:
        // « Liberté » is the CAPH's quartier before the national list's
        // « Quartier Liberté » (a commune and a quartier stay ambiguous).
        let own: Vec<&Territory> = found
            .iter()
            .copied()
            .filter(|t| self.is_local(&t.code))
            .collect();
        let one_level = found.iter().all(|t| t.level == found[0].level);
        if one_level && !own.is_empty() && own.len() < found.len() {
            if let Some(r) = self.one_or_lineage(&own) {
                return Ok(r);
            }
        }
        if let Some(r) = self.one_or_lineage(found) {
            return Ok(r);
        }
        let mut list: Vec<String> = found
            .iter()
            .take(12)
            .map(|t| format!("  {} — {} ({})", t.code, t.name, t.level.label_fr()))
            .collect();
        if found.len() > 12 {
            list.push(format!("  … et {} autres", found.len() - 12));
        }
        bail!(
            "« {query} » désigne plusieurs territoires ; précisez le code ou ajoutez --level (qpv, commune, …) :\n{}",
            list.join("\n")
        )
    }

    /// One territory, or the QPV of one lineage; None if several others.
    fn one_or_lineage(&self, found: &[&Territory]) -> Option<Resolution> {
        if found.len() == 1 {
            return Some(Resolution::One(found[0].code.clone()));
        }
        let lineage = self.lineage(&found[0].code);
        if found
            .iter()
            .all(|t| t.level == Level::Qpv && lineage.contains(&t.code))
        {
            // Current perimeter (no successor) first.
            let mut sorted = found.to_vec();
            sorted.sort_by_key(|t| !t.successors.is_empty());
            return Some(Resolution::Lineage(
                sorted.iter().map(|t| t.code.clone()).collect(),
            ));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_folds_accents_and_punctuation() {
        assert_eq!(
            normalize("Saint-Amand-les-Eaux — Collinière"),
            "saint amand les eaux colliniere"
        );
        assert_eq!(normalize("  Rœulx "), "roeulx");
    }
}
