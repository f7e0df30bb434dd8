//! The indicator catalogue: `indicators/variables.toml` declares the
//! canonical variables, every other `indicators/<theme>.toml` declares a
//! theme and its indicators. Nothing here is specific to one territory.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

pub mod composites;
pub mod steering;

/// The catalogue's alert rules, beside the themes.
pub const VIGILANCE_FILE: &str = "vigilance.toml";
pub use composites::Composites;

/// How a canonical variable behaves when territories are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VariableKind {
    /// A count of people, households, jobs…: summed over group members.
    Count,
    /// A published rate or share, in % (0 to 100): cannot be summed.
    Rate,
    /// A difference of rates, in points (may be negative): cannot be summed.
    Points,
    /// A component of a total in %, which may fall outside 0-100 (taxes are
    /// negative, activity income may exceed disposable income): not summed,
    /// not range-checked.
    SignedShare,
    /// A median, mean or other amount: cannot be summed.
    Amount,
    /// An index published as such: cannot be summed.
    Index,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variable {
    pub id: String,
    pub label: String,
    pub kind: VariableKind,
    #[serde(default)]
    pub source: Option<String>,
    /// The counts this count is a part of (people in employment of the
    /// population aged 15-64): a value above its whole is a data problem.
    #[serde(default)]
    pub part_of: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Unit {
    #[serde(rename = "%")]
    Percent,
    #[serde(rename = "pts")]
    Points,
    #[serde(rename = "nb")]
    Count,
    #[serde(rename = "€")]
    Euro,
    #[serde(rename = "indice")]
    Index,
    /// Years (life expectancy).
    #[serde(rename = "ans")]
    Years,
    /// Per 1 000 (mortality rates).
    #[serde(rename = "‰")]
    PerThousand,
}

impl Unit {
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Percent => "%",
            Unit::Points => "pts",
            Unit::Count => "nb",
            Unit::Euro => "€",
            Unit::Index => "indice",
            Unit::Years => "ans",
            Unit::PerThousand => "‰",
        }
    }

    /// Unit of the absolute change between two vintages: points for rates.
    pub fn evolution_unit(self) -> &'static str {
        match self {
            Unit::Percent | Unit::Points => "pts",
            other => other.as_str(),
        }
    }

    /// Whether a relative change (%) is meaningful: counts and amounts only.
    pub fn has_relative_evolution(self) -> bool {
        matches!(self, Unit::Count | Unit::Euro)
    }

    fn default_decimals(self) -> u8 {
        match self {
            Unit::Count | Unit::Euro => 0,
            _ => 1,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Polarity {
    HigherBetter,
    LowerBetter,
    Neutral,
}

impl Polarity {
    pub fn label_fr(self) -> &'static str {
        match self {
            Polarity::HigherBetter => "une hausse est favorable",
            Polarity::LowerBetter => "une baisse est favorable",
            Polarity::Neutral => "sans sens favorable",
        }
    }
}

/// A TOML value written as one string or a list of alternatives (formulas,
/// column spellings), first preferred.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn as_slice(&self) -> &[String] {
        match self {
            OneOrMany::One(s) => std::slice::from_ref(s),
            OneOrMany::Many(v) => v,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicator {
    id: String,
    label: String,
    formula: OneOrMany,
    unit: Unit,
    #[serde(default)]
    decimals: Option<u8>,
    polarity: Polarity,
    source: String,
    definition: String,
    lecture: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Theme {
    pub id: String,
    pub label: String,
    pub order: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    theme: Theme,
    #[serde(default)]
    indicator: Vec<RawIndicator>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VariableFile {
    variable: Vec<Variable>,
}

#[derive(Debug, Clone)]
pub struct Indicator {
    pub id: String,
    pub label: String,
    pub theme: String,
    /// Alternative formulas over canonical variables, in order of preference:
    /// the first one whose operands are all available is used (counts before
    /// published rates).
    pub formulas: Vec<String>,
    /// Canonical variables each formula reads.
    pub operands: Vec<Vec<String>>,
    pub unit: Unit,
    pub decimals: u8,
    pub polarity: Polarity,
    pub source: String,
    pub definition: String,
    pub lecture: String,
}

#[derive(Debug, Clone)]
pub struct Catalog {
    pub themes: Vec<Theme>,
    /// Every indicator, the composite outputs included (with no formula:
    /// the engine's composite stage computes them).
    pub indicators: Vec<Indicator>,
    pub variables: Vec<Variable>,
    pub composites: Option<Composites>,
    /// Alert rules every dataset gets (`vigilance.toml`); a dataset adds
    /// its own.
    pub alerts: Vec<steering::AlertRule>,
    /// Position of each variable in `variables` (polars' hasher: the engine
    /// looks variables up row by row over millions of observations).
    variable_index: polars::prelude::PlHashMap<String, usize>,
}

/// Variables by position and their index by id; each declared once, a part
/// and its whole both counts.
fn load_variables(path: &Path) -> Result<(Vec<Variable>, polars::prelude::PlHashMap<String, usize>)> {
    let vf: VariableFile = parse_toml(path)?;
    let mut index = polars::prelude::PlHashMap::default();
    for (i, v) in vf.variable.iter().enumerate() {
        if index.insert(v.id.clone(), i).is_some() {
            bail!("{} : variable « {} » déclarée deux fois", path.display(), v.id);
        }
    }
    for v in &vf.variable {
        for whole in &v.part_of {
            let whole_kind = index.get(whole).map(|&i| vf.variable[i].kind);
            if v.kind != VariableKind::Count || whole_kind != Some(VariableKind::Count) {
                bail!(
                    "{} : variable « {} », part_of = « {whole} » : une partie et son tout sont deux effectifs (kind = \"count\") déclarés",
                    path.display(),
                    v.id
                );
            }
        }
    }
    Ok((vf.variable, index))
}

/// One indicator of the theme file `where_`, checked: its formulas
/// readable over declared variables, its lecture template's placeholders
/// known.
fn indicator(
    raw: RawIndicator,
    theme: &str,
    where_: &str,
    variables: &polars::prelude::PlHashMap<String, usize>,
) -> Result<Indicator> {
    let formulas = raw.formula.as_slice().to_vec();
    if formulas.is_empty() {
        bail!("{where_} : l'indicateur « {} » n'a pas de formule", raw.id);
    }
    let mut operands = vec![];
    for f in &formulas {
        let ops = formula_operands(f).with_context(|| {
            format!("{where_} : formule « {f} » de l'indicateur « {} » illisible", raw.id)
        })?;
        for op in &ops {
            if !variables.contains_key(op) {
                bail!(
                    "{where_} : l'indicateur « {} » utilise la variable « {op} », absente de variables.toml",
                    raw.id
                );
            }
        }
        operands.push(ops);
    }
    check_lecture(&raw.lecture).with_context(|| format!("{where_} : indicateur « {} »", raw.id))?;
    Ok(Indicator {
        decimals: raw.decimals.unwrap_or(raw.unit.default_decimals()),
        id: raw.id,
        label: raw.label,
        theme: theme.to_string(),
        formulas,
        operands,
        unit: raw.unit,
        polarity: raw.polarity,
        source: raw.source,
        definition: raw.definition,
        lecture: raw.lecture,
    })
}

/// The composite indices of `composites.toml` when present: checked against
/// the indicators, their outputs added as indicators of their theme.
fn load_composites(
    path: &Path,
    themes: &mut Vec<Theme>,
    indicators: &mut Vec<Indicator>,
    seen: &mut HashSet<String>,
) -> Result<Option<Composites>> {
    if !path.exists() {
        return Ok(None);
    }
    let c: Composites = parse_toml(path)?;
    let known: HashMap<&str, &Indicator> = indicators.iter().map(|i| (i.id.as_str(), i)).collect();
    c.validate(&known).with_context(|| path.display().to_string())?;
    let outputs = c.outputs(&known);
    for out in outputs {
        if !seen.insert(out.id.clone()) {
            bail!("{} : indicateur « {} » déjà défini", path.display(), out.id);
        }
        indicators.push(out);
    }
    if themes.iter().any(|t: &Theme| t.id == c.theme.id) {
        bail!("{} : thème « {} » défini deux fois", path.display(), c.theme.id);
    }
    themes.push(c.theme.clone());
    Ok(Some(c))
}

/// Placeholders a lecture template may use.
pub const LECTURE_PLACEHOLDERS: [&str; 4] = ["{territoire}", "{valeur}", "{millesime}", "{unite}"];

impl Catalog {
    pub fn load(dir: &Path) -> Result<Catalog> {
        let (variables, variable_index) = load_variables(&dir.join("variables.toml"))?;
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .with_context(|| format!("catalogue introuvable : {}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .filter(|p| {
                !matches!(
                    p.file_name().and_then(|n| n.to_str()),
                    Some("variables.toml" | "composites.toml" | VIGILANCE_FILE)
                )
            })
            .collect();
        files.sort();
        let mut themes = vec![];
        let mut indicators = vec![];
        let mut seen = HashSet::new();
        for path in files {
            let tf: ThemeFile = parse_toml(&path)?;
            let where_ = path.display().to_string();
            // Theme and indicator ids name files (theme_03_revenus.md,
            // fig_revenus_<id>_2021.png).
            if !crate::files::is_slug(&tf.theme.id) {
                bail!("{where_} : thème « {} » : lettres, chiffres, « - » et « _ » seulement (il sert de nom de fichier)", tf.theme.id);
            }
            for raw in tf.indicator {
                if !crate::files::is_slug(&raw.id) {
                    bail!("{where_} : indicateur « {} » : lettres, chiffres, « - » et « _ » seulement (il sert de nom de fichier)", raw.id);
                }
                if !seen.insert(raw.id.clone()) {
                    bail!("{where_} : indicateur « {} » déjà défini", raw.id);
                }
                indicators.push(indicator(raw, &tf.theme.id, &where_, &variable_index)?);
            }
            if themes.iter().any(|t: &Theme| t.id == tf.theme.id) {
                bail!("{where_} : thème « {} » défini deux fois", tf.theme.id);
            }
            themes.push(tf.theme);
        }
        let composites = load_composites(&dir.join("composites.toml"), &mut themes, &mut indicators, &mut seen)?;
        themes.sort_by_key(|t| t.order);
        let order: HashMap<&str, u32> = themes.iter().map(|t| (t.id.as_str(), t.order)).collect();
        indicators.sort_by_key(|i| order[i.theme.as_str()]);
        let mut catalog = Catalog {
            themes,
            indicators,
            variables,
            composites,
            alerts: vec![],
            variable_index,
        };
        let vigilance = dir.join(VIGILANCE_FILE);
        if vigilance.exists() {
            let file: steering::VigilanceFile = parse_toml(&vigilance)?;
            let problems = steering::problems(&file.alert, &[], &catalog);
            if !problems.is_empty() {
                bail!("{} : {} règle(s) refusée(s) :\n  - {}", vigilance.display(), problems.len(), problems.join("\n  - "));
            }
            catalog.alerts = file.alert;
        }
        Ok(catalog)
    }

    pub fn variable(&self, id: &str) -> Option<&Variable> {
        self.variable_position(id).map(|i| &self.variables[i])
    }

    /// Position of a variable in [`Catalog::variables`].
    pub fn variable_position(&self, id: &str) -> Option<usize> {
        self.variable_index.get(id).copied()
    }

    pub fn indicator(&self, id: &str) -> Option<&Indicator> {
        self.indicators.iter().find(|i| i.id == id)
    }

    pub fn theme(&self, id: &str) -> Option<&Theme> {
        self.themes.iter().find(|t| t.id == id)
    }

    /// Finds an indicator by id, or by an unambiguous part of its id or label.
    pub fn find_indicator(&self, query: &str) -> Result<&Indicator> {
        if let Some(i) = self.indicator(query.trim()) {
            return Ok(i);
        }
        let q = crate::geo::normalize(query);
        let found: Vec<&Indicator> = self
            .indicators
            .iter()
            .filter(|i| {
                let hay = format!(
                    "{} {}",
                    crate::geo::normalize(&i.id),
                    crate::geo::normalize(&i.label)
                );
                q.split(' ').all(|w| hay.contains(w))
            })
            .collect();
        match found.len() {
            1 => Ok(found[0]),
            0 => bail!("aucun indicateur ne correspond à « {query} » (voir `bcs indicators`)"),
            _ => bail!(
                "« {query} » désigne plusieurs indicateurs : {}",
                found
                    .iter()
                    .map(|i| i.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// A formula is aggregable when every operand is a count.
    pub fn formula_is_aggregable(&self, operands: &[String]) -> bool {
        operands.iter().all(|v| {
            self.variable(v)
                .is_some_and(|v| v.kind == VariableKind::Count)
        })
    }
}

/// Column names a formula reads, parsed by polars' SQL expression parser.
pub fn formula_operands(formula: &str) -> Result<Vec<String>> {
    let expr = parse_formula(formula)?;
    let mut names: Vec<String> = expr
        .meta()
        .root_names()
        .into_iter()
        .map(|n| n.to_string())
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}

/// Operators a formula may hold at most, and parentheses it may nest: far
/// beyond any indicator, far below what overflows the parser's stack (a sum
/// of ~500 terms aborted the process).
const MAX_OPERATORS: usize = 200;
const MAX_DEPTH: usize = 32;

/// Parses a formula or source expression, after checking that it is
/// arithmetic over columns: names (plain or "double-quoted"), numbers,
/// `+ - * /` and parentheses, nothing else — no function, no subquery, no
/// text literal — and of bounded size.
pub fn parse_formula(formula: &str) -> Result<polars::prelude::Expr> {
    use crate::fr::shorten;
    let mut operators = 0;
    let mut depth = 0usize;
    let mut chars = formula.chars().peekable();
    let mut after_name = false;
    while let Some(c) = chars.next() {
        let mut name = false;
        match c {
            c if c.is_whitespace() => continue,
            '+' | '-' | '*' | '/' => operators += 1,
            '(' => {
                if after_name {
                    bail!("expression « {} » : les fonctions ne sont pas admises (des noms de colonnes, des nombres, + - * / et des parenthèses)", shorten(formula, 80));
                }
                depth += 1;
                if depth > MAX_DEPTH {
                    bail!("expression « {} » : plus de {MAX_DEPTH} parenthèses imbriquées", shorten(formula, 80));
                }
            }
            ')' => depth = depth.saturating_sub(1),
            '"' => {
                // A quoted column name, up to the closing quote.
                if !chars.by_ref().any(|c| c == '"') {
                    bail!("expression « {} » : guillemet non fermé", shorten(formula, 80));
                }
                name = true;
            }
            c if c.is_alphanumeric() || c == '_' || c == '.' => {
                while chars.next_if(|c| c.is_alphanumeric() || *c == '_' || *c == '.').is_some() {}
                name = true;
            }
            c => bail!(
                "expression « {} » : caractère « {c} » non admis (des noms de colonnes, des nombres, + - * / et des parenthèses)",
                shorten(formula, 80)
            ),
        }
        if name && after_name {
            bail!(
                "expression « {} » : deux termes sans opérateur entre eux (des noms de colonnes, des nombres, + - * / et des parenthèses ; un nom avec des espaces s'écrit entre guillemets)",
                shorten(formula, 80)
            );
        }
        after_name = name;
        if operators > MAX_OPERATORS {
            bail!("expression « {} » : plus de {MAX_OPERATORS} opérateurs", shorten(formula, 80));
        }
    }
    Ok(polars::sql::sql_expr(formula)?)
}

fn check_lecture(template: &str) -> Result<()> {
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let end = rest[start..].find('}').map(|e| start + e + 1);
        let Some(end) = end else {
            bail!("accolade non fermée dans la phrase de lecture")
        };
        let ph = &rest[start..end];
        if !LECTURE_PLACEHOLDERS.contains(&ph) {
            bail!(
                "phrase de lecture : « {ph} » inconnu (possibles : {})",
                LECTURE_PLACEHOLDERS.join(", ")
            );
        }
        rest = &rest[end..];
    }
    Ok(())
}

pub fn parse_toml<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    crate::files::ensure_regular(path)?;
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("lecture impossible de {}", path.display()))?;
    toml::from_str(&text).map_err(|e| anyhow::anyhow!("{} : {e}", path.display()))
}

pub use parse_toml as read_toml;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operands_come_from_the_formula() {
        assert_eq!(
            formula_operands("100 * pop_etrangers / population").unwrap(),
            vec!["pop_etrangers".to_string(), "population".to_string()]
        );
        assert_eq!(
            formula_operands("pop_moins_20 / (pop_60_74 + pop_75_plus)").unwrap(),
            vec!["pop_60_74", "pop_75_plus", "pop_moins_20"]
        );
    }

    #[test]
    fn a_part_and_its_whole_are_declared_counts() {
        let dir = tempfile::tempdir().unwrap();
        let write = |text: &str| std::fs::write(dir.path().join("variables.toml"), text).unwrap();
        write("[[variable]]\nid = \"a\"\nlabel = \"A\"\nkind = \"count\"\npart_of = [\"b\"]\n[[variable]]\nid = \"b\"\nlabel = \"B\"\nkind = \"count\"\n");
        let c = Catalog::load(dir.path()).unwrap();
        assert_eq!(c.variable("a").unwrap().part_of, ["b"]);
        // A whole that is a rate, or not declared: refused.
        write("[[variable]]\nid = \"a\"\nlabel = \"A\"\nkind = \"count\"\npart_of = [\"b\"]\n[[variable]]\nid = \"b\"\nlabel = \"B\"\nkind = \"rate\"\n");
        let err = format!("{:#}", Catalog::load(dir.path()).unwrap_err());
        assert!(err.contains("variable « a », part_of = « b »"), "{err}");
        write("[[variable]]\nid = \"a\"\nlabel = \"A\"\nkind = \"count\"\npart_of = [\"z\"]\n");
        assert!(Catalog::load(dir.path()).is_err());
    }

    #[test]
    fn lecture_placeholders_are_checked() {
        assert!(check_lecture("En {millesime}, {territoire} : {valeur} {unite}.").is_ok());
        assert!(check_lecture("En {annee}").is_err());
        assert!(check_lecture("En {millesime").is_err());
    }
}
