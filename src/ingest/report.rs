//! What reading a source did to its rows besides mapping values, said once
//! per source by `validate` and `run` (and kept in the source cache).

use crate::geo::Geography;

/// A change a file publishes that the change recomputed from the values of
/// the same row contradicts (« à vérifier »).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PublishedChange {
    pub line: usize,
    pub column: String,
    pub territory_code: String,
    pub variable: String,
    pub from: i32,
    pub to: i32,
    pub value_from: f64,
    pub value_to: f64,
    pub published: f64,
    /// The cell as written (its rounding).
    pub published_text: String,
    pub recomputed: f64,
    /// A change in %.
    pub relative: bool,
}

/// A row whose code was carried to its current commune.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Carried {
    pub line: usize,
    pub code: String,
    pub kind: crate::geo::FormerKind,
    pub commune: String,
}

/// What reading a source did besides mapping values: rows left out, rows
/// counted once, codes of an older geography carried, arrondissements
/// kept. Said once per source by `validate` and `run`.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct SourceReport {
    pub source: String,
    pub file: String,
    /// Rows left out by `keep_rows`.
    pub rows_left_out: usize,
    /// Rows of other months than `vintage_month`, left out.
    pub other_months: usize,
    pub vintage_month: Option<u32>,
    /// Rows added to an earlier row of the same territory and year
    /// (`duplicates = "sum"`).
    pub summed: usize,
    /// Rows identical to an earlier one: (line, line of the first).
    pub identical: Vec<(usize, usize)>,
    /// Rows whose code is a commune déléguée or associée or an old code.
    pub carried: Vec<Carried>,
    /// Current communes rebuilt from several rows of the file.
    pub rebuilt: usize,
    /// Rows of arrondissements municipaux: (line, code).
    pub arrondissements: Vec<(usize, String)>,
    /// Rows of territories outside the dataset's extent, left out.
    #[serde(default)]
    pub outside_extent: usize,
    /// Published changes the values of their row contradict.
    #[serde(default)]
    pub published: Vec<PublishedChange>,
}

impl SourceReport {
    pub fn is_empty(&self) -> bool {
        self.rows_left_out == 0
            && self.other_months == 0
            && self.summed == 0
            && self.identical.is_empty()
            && self.carried.is_empty()
            && self.arrondissements.is_empty()
            && self.outside_extent == 0
            && self.published.is_empty()
    }

    /// One French sentence: what was done to the file's rows.
    pub fn summary(&self) -> String {
        let n = |x: usize| crate::fr::number(x as f64, 0);
        let mut parts = vec![];
        if self.rows_left_out > 0 {
            parts.push(format!(
                "{} ligne(s) écartée(s) par la sélection des lignes (keep_rows, last_row)",
                n(self.rows_left_out)
            ));
        }
        if self.outside_extent > 0 {
            parts.push(format!(
                "{} ligne(s) de territoires hors de l'étendue du jeu de données écartée(s) (extent)",
                n(self.outside_extent)
            ));
        }
        if let (true, Some(m)) = (self.other_months > 0, self.vintage_month) {
            parts.push(format!(
                "{} ligne(s) d'autres mois que le mois {m} écartée(s) (vintage_month = {m})",
                n(self.other_months)
            ));
        }
        if !self.identical.is_empty() {
            parts.push(format!(
                "{} ligne(s) identique(s) à une ligne précédente comptée(s) une fois",
                n(self.identical.len())
            ));
        }
        if self.summed > 0 {
            parts.push(format!(
                "{} ligne(s) additionnée(s) à une ligne du même territoire et millésime (duplicates = \"sum\")",
                n(self.summed)
            ));
        }
        if !self.carried.is_empty() {
            let mut kinds: std::collections::BTreeMap<crate::geo::FormerKind, usize> =
                Default::default();
            for c in &self.carried {
                *kinds.entry(c.kind).or_default() += 1;
            }
            let mut list: Vec<String> = kinds
                .iter()
                .map(|(k, c)| format!("{} {}", n(*c), k.label_fr(*c)))
                .collect();
            let last = list.pop().unwrap_or_default();
            let list = if list.is_empty() {
                last
            } else {
                format!("{} et {last}", list.join(", "))
            };
            let carried = if self.carried.len() > 1 { "rattachés" } else { "rattaché" };
            parts.push(format!(
                "{list} {carried} à leur commune actuelle ({} commune(s) reconstituée(s) : effectifs additionnés, taux, médianes et montants non agrégeables sauf pièce unique)",
                n(self.rebuilt)
            ));
        }
        if !self.arrondissements.is_empty() {
            parts.push(format!(
                "{} arrondissement(s) municipal(aux) gardé(s) comme territoires",
                n(self.arrondissements.len())
            ));
        }
        if !self.published.is_empty() {
            parts.push(format!(
                "{} évolution(s) publiée(s) que les valeurs de leur ligne ne donnent pas, à vérifier (listées à la fin de bcs validate)",
                n(self.published.len())
            ));
        }
        format!("{} : {}", self.source, parts.join(" ; "))
    }

    /// One line per row concerned, for `validate --detail`.
    pub fn details(&self, geo: &Geography) -> Vec<String> {
        let mut out = vec![];
        for (line, first) in &self.identical {
            out.push(format!("{}, ligne {line} : identique à la ligne {first}, comptée une fois", self.file));
        }
        for c in &self.carried {
            let former = geo.former(&c.code).map(|f| f.name.as_str()).unwrap_or("");
            let former = if former.is_empty() { String::new() } else { format!(" ({former})") };
            out.push(format!(
                "{}, ligne {} : {} « {} »{former} → {} ({})",
                self.file,
                c.line,
                c.kind.label_fr(1),
                c.code,
                geo.name(&c.commune),
                c.commune
            ));
        }
        for (line, code) in &self.arrondissements {
            out.push(format!(
                "{}, ligne {line} : arrondissement municipal {} ({code})",
                self.file,
                geo.name(code)
            ));
        }
        out
    }
}
