//! Territory model: levels, codes, names, parents, group members, and the
//! QPV lineage across the 2024 perimeter change.
//!
//! The national reference (communes, EPCI, départements, régions) comes from
//! `datasets/geo/national`; datasets add their own local territories (QPV,
//! local perimeters, groups, published reference aggregates) from CSV files.

pub mod contours;
mod resolve;

use polars::prelude::PlHashMap as HashMap;
use crate::schema;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use polars::prelude::*;

pub use contours::{read_geojson, Shape};
pub use resolve::{normalize, Resolution};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Deserialize, serde::Serialize)]
#[serde(try_from = "String", into = "&'static str")]
pub enum Level {
    Qpv,
    Quartier,
    /// Arrondissement municipal of Paris, Lyon or Marseille, inside its commune.
    Arrondissement,
    Commune,
    Group,
    Epci,
    Departement,
    Region,
    France,
}

/// A level is written as its identifier (`commune`), as in the results.
impl From<Level> for &'static str {
    fn from(l: Level) -> &'static str {
        l.as_str()
    }
}

impl Level {
    pub const ALL: [Level; 9] = [
        Level::Qpv,
        Level::Quartier,
        Level::Arrondissement,
        Level::Commune,
        Level::Group,
        Level::Epci,
        Level::Departement,
        Level::Region,
        Level::France,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Qpv => "qpv",
            Level::Quartier => "quartier",
            Level::Arrondissement => "arrondissement",
            Level::Commune => "commune",
            Level::Group => "group",
            Level::Epci => "epci",
            Level::Departement => "departement",
            Level::Region => "region",
            Level::France => "france",
        }
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            Level::Qpv => "Quartier prioritaire",
            Level::Quartier => "Quartier (périmètre local)",
            Level::Arrondissement => "Arrondissement municipal",
            Level::Commune => "Commune",
            Level::Group => "Regroupement",
            Level::Epci => "EPCI",
            Level::Departement => "Département",
            Level::Region => "Région",
            Level::France => "France",
        }
    }

    /// The territories of this level, in a sentence (« 6 quartiers
    /// prioritaires sur 13 »); capitalised, a chart's axis.
    pub fn plural_fr(self) -> &'static str {
        match self {
            Level::Qpv => "quartiers prioritaires",
            Level::Quartier => "quartiers (périmètres locaux)",
            Level::Arrondissement => "arrondissements municipaux",
            Level::Commune => "communes",
            Level::Group => "regroupements",
            Level::Epci => "EPCI",
            Level::Departement => "départements",
            Level::Region => "régions",
            Level::France => "France",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// Levels whose territories are ranked against each other ("tri décroissant").
    /// Position in `Level::ALL`.
    pub fn number(self) -> u32 {
        Level::ALL.iter().position(|l| *l == self).unwrap_or(0) as u32
    }

    pub fn is_ranked(self) -> bool {
        !matches!(self, Level::Group | Level::France)
    }
}

impl TryFrom<String> for Level {
    type Error = String;
    fn try_from(s: String) -> std::result::Result<Level, String> {
        Level::parse(&s).ok_or_else(|| {
            format!(
                "niveau « {s} » inconnu (possibles : {})",
                Level::ALL.map(|l| l.as_str()).join(", ")
            )
        })
    }
}

#[derive(Debug, Clone)]
pub struct Territory {
    pub code: String,
    pub name: String,
    pub short_name: Option<String>,
    pub level: Level,
    /// Containing territories, for display (a QPV's communes, a commune's EPCI).
    pub parents: Vec<String>,
    /// Explicit members of a group; aggregation sums count variables over them.
    pub members: Vec<String>,
    /// Territories that replace this one after a perimeter change (QP → QN).
    pub successors: Vec<String>,
    pub note: Option<String>,
    /// Population municipale of the national reference (communes,
    /// arrondissements municipaux); None elsewhere.
    pub population: Option<f64>,
}

impl Territory {
    /// A territory with no parent, member, successor or note.
    pub fn new(code: &str, name: &str, level: Level) -> Territory {
        Territory {
            code: code.to_string(),
            name: clean(name),
            short_name: None,
            level,
            parents: vec![],
            members: vec![],
            successors: vec![],
            note: None,
            population: None,
        }
    }
}

/// What a commune code of an earlier geography is today.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum FormerKind {
    /// A commune déléguée of a commune nouvelle.
    Deleguee,
    /// A commune associée (fusion-association).
    Associee,
    /// Any other former code of a current commune (fusion, code change).
    OldCode,
}

impl FormerKind {
    /// French label, plural (« codes de communes déléguées »).
    pub fn label_fr(self, n: usize) -> &'static str {
        match (self, n > 1) {
            (FormerKind::Deleguee, false) => "code de commune déléguée",
            (FormerKind::Deleguee, true) => "codes de communes déléguées",
            (FormerKind::Associee, false) => "code de commune associée",
            (FormerKind::Associee, true) => "codes de communes associées",
            (FormerKind::OldCode, false) => "ancien code de commune",
            (FormerKind::OldCode, true) => "anciens codes de communes",
        }
    }
}

/// A code of an earlier geography: a commune déléguée or associée, or an
/// old code, with the current commune it belongs to.
#[derive(Debug, Clone)]
pub struct Former {
    pub code: String,
    /// Empty for an old code the reference gives no name for.
    pub name: String,
    pub kind: FormerKind,
    pub commune: String,
}

#[derive(Debug, Default)]
pub struct Geography {
    territories: Vec<Territory>,
    index: HashMap<String, usize>,
    /// Codes of earlier geographies, by code.
    former: HashMap<String, Former>,
    /// Territories of the national QPV list, which a local file may redefine.
    national_qpv: polars::prelude::PlHashSet<String>,
    /// Territories defined by the dataset's own files.
    local: polars::prelude::PlHashSet<String>,
}

/// File of the national reference listing the codes of earlier geographies.
pub const HISTORY_FILE: &str = "communes_historiques.csv";
/// File of the national reference listing the 2024 QPV by commune (ANCT).
pub const QPV_FILE: &str = "anct_qpv2024_par_commune_centroides.geojson";
/// What every national QPV says of the list it comes from.
pub const QPV_NOTE: &str = "QPV du décret n° 2023-1314 (géographie 2024), liste nationale de l'ANCT : partielle (1 493 codes sur environ 1 609)";

/// Columns every local territory file must have.
pub const LOCAL_COLUMNS: [&str; 8] = [
    "code",
    "name",
    "short_name",
    "level",
    "parents",
    "members",
    "successors",
    "note",
];

impl Geography {
    /// Loads the national reference from `national_dir` and the local files.
    pub fn load(national_dir: &Path, local_files: &[PathBuf]) -> Result<Geography> {
        let mut geo = Geography::default();
        geo.load_national(national_dir)?;
        geo.add_departement_populations();
        let history = national_dir.join(HISTORY_FILE);
        if history.exists() {
            geo.load_history(&history)?;
        }
        let qpv = national_dir.join(QPV_FILE);
        if qpv.exists() {
            geo.load_national_qpv(&qpv)?;
        }
        for f in local_files {
            geo.load_local(f)?;
        }
        geo.attach_metro_communes();
        Ok(geo)
    }

    /// A geography from territories built in code (tests, generators).
    pub fn from_territories(territories: Vec<Territory>) -> Result<Geography> {
        let mut geo = Geography::default();
        for t in territories {
            geo.push(t, "géographie")?;
        }
        Ok(geo)
    }

    pub fn territories(&self) -> &[Territory] {
        &self.territories
    }

    /// The territory's position in [`Geography::territories`].
    pub fn position(&self, code: &str) -> Option<usize> {
        self.index.get(code).copied()
    }

    pub fn get(&self, code: &str) -> Option<&Territory> {
        self.index.get(code).map(|&i| &self.territories[i])
    }

    /// Contours keyed by the codes of an older commune list (IGN's COG
    /// 2018 contours): a former code's polygons join its current commune's,
    /// a commune in several pieces gets all of them; other codes are kept.
    pub fn current_shapes(&self, shapes: Vec<Shape>) -> Vec<Shape> {
        let mut out: Vec<Shape> = Vec::with_capacity(shapes.len());
        let mut at: HashMap<String, usize> = HashMap::new();
        for shape in shapes {
            let code = self.current_code(&shape.code).unwrap_or(&shape.code).to_string();
            match at.get(&code) {
                Some(&i) => out[i].polygons.extend(shape.polygons),
                None => {
                    at.insert(code.clone(), out.len());
                    out.push(Shape { code, ..shape });
                }
            }
        }
        out
    }

    /// Whether the territory is defined by the dataset's own files.
    pub fn is_local(&self, code: &str) -> bool {
        self.local.contains(code)
    }

    /// What a code that is not a current territory stands for, if it is a
    /// commune code of an earlier geography.
    pub fn former(&self, code: &str) -> Option<&Former> {
        self.former.get(code)
    }

    /// The current territory a code designates: itself, or the commune a
    /// former code belongs to.
    pub fn current_code<'a>(&'a self, code: &'a str) -> Option<&'a str> {
        match self.get(code) {
            Some(t) => Some(t.code.as_str()),
            None => self.former(code).map(|f| f.commune.as_str()),
        }
    }

    pub fn name(&self, code: &str) -> String {
        self.get(code)
            .map(|t| t.name.clone())
            .unwrap_or_else(|| code.to_string())
    }

    fn push(&mut self, t: Territory, origin: &str) -> Result<()> {
        if self.index.contains_key(&t.code) {
            bail!(
                "{origin} : le code territoire « {} » est déjà défini",
                t.code
            );
        }
        self.index.insert(t.code.clone(), self.territories.len());
        self.territories.push(t);
        Ok(())
    }

    fn load_national(&mut self, dir: &Path) -> Result<()> {
        let regions = read_text_csv(&dir.join("regions.csv"), b',')?;
        for row in rows(&regions, &["code", "nom"])? {
            self.push(
                national(&region_code(&row[0]), &row[1], Level::Region, vec![]),
                "regions.csv",
            )?;
        }
        let deps = read_text_csv(&dir.join("departements.csv"), b',')?;
        for row in rows(&deps, &["code", "nom", "region"])? {
            self.push(
                national(
                    &row[0],
                    &row[1],
                    Level::Departement,
                    vec![region_code(&row[2])],
                ),
                "departements.csv",
            )?;
        }
        let epci = read_text_csv(&dir.join("epci.csv"), b',')?;
        for row in rows(&epci, &["code", "nom"])? {
            self.push(national(&row[0], &row[1], Level::Epci, vec![]), "epci.csv")?;
        }
        let communes = read_text_csv(&dir.join("communes.csv"), b',')?;
        // 35 000 rows: read straight from the columns, no row copies.
        let column = |n: &str| -> Result<StringChunked> {
            Ok(communes
                .column(n)
                .map_err(|_| anyhow::anyhow!("communes.csv : colonne « {n} » attendue, absente"))?
                .str()?
                .clone())
        };
        let (code, nom, dep, reg, epci, zone) = (
            column("code")?,
            column("nom")?,
            column("departement")?,
            column("region")?,
            column("epci")?,
            column("zone")?,
        );
        let population = column("population_municipale")?;
        let mut population = population.iter();
        self.territories.reserve(code.len());
        self.index.reserve(code.len());
        for (((((c, n), d), r), e), z) in code
            .iter()
            .zip(nom.iter())
            .zip(dep.iter())
            .zip(reg.iter())
            .zip(epci.iter())
            .zip(zone.iter())
        {
            let mut parents = Vec::with_capacity(4);
            if !text(e).is_empty() {
                parents.push(text(e).to_string());
            }
            parents.push(text(d).to_string());
            parents.push(region_code(text(r)));
            if text(z) == "metro" {
                parents.push(FRANCE_METRO.to_string());
            }
            let mut t = national(text(c), text(n), Level::Commune, parents);
            t.population = population.next().flatten().and_then(|p| p.trim().parse().ok());
            self.push(t, "communes.csv")?;
        }
        Ok(())
    }

    /// A département's population: its communes' (the coverage of a région
    /// summed from its départements needs it); None if one is unknown.
    fn add_departement_populations(&mut self) {
        let mut sums: HashMap<String, Option<f64>> = HashMap::new();
        for t in self.territories.iter().filter(|t| t.level == Level::Commune) {
            for p in &t.parents {
                if self.get(p).is_some_and(|d| d.level == Level::Departement) {
                    let sum = sums.entry(p.clone()).or_insert(Some(0.0));
                    *sum = sum.zip(t.population).map(|(a, b)| a + b);
                }
            }
        }
        for (code, population) in sums {
            if let Some(&i) = self.index.get(&code) {
                self.territories[i].population = population;
            }
        }
    }

    /// Codes of earlier geographies (communes déléguées and associées, old
    /// codes) and the arrondissements municipaux, which become territories
    /// of their own inside their commune.
    fn load_history(&mut self, path: &Path) -> Result<()> {
        let df = read_text_csv(path, b',')?;
        let file = path.display().to_string();
        for (i, row) in rows(&df, &["code", "nom", "type", "commune", "population_municipale"])
            .with_context(|| format!("fichier {file}"))?
            .into_iter()
            .enumerate()
        {
            let line = i + 2;
            if self.get(&row[3]).is_none_or(|t| t.level != Level::Commune) {
                bail!("{file}, ligne {line} : commune « {} » absente de la géographie", row[3]);
            }
            let kind = match row[2].as_str() {
                "arrondissement_municipal" => {
                    let mut t = national(&row[0], &row[1], Level::Arrondissement, vec![row[3].clone()]);
                    t.population = row[4].parse().ok();
                    self.push(t, &format!("{file}, ligne {line}"))?;
                    continue;
                }
                "commune_deleguee" => FormerKind::Deleguee,
                "commune_associee" => FormerKind::Associee,
                "ancien_code" => FormerKind::OldCode,
                other => bail!("{file}, ligne {line}, colonne « type » : « {other} » inconnu"),
            };
            if self.index.contains_key(&row[0]) {
                bail!("{file}, ligne {line} : « {} » est aussi un code actuel", row[0]);
            }
            let former = Former {
                code: row[0].clone(),
                name: clean(&row[1]),
                kind,
                commune: row[3].clone(),
            };
            self.former.insert(row[0].clone(), former);
        }
        Ok(())
    }

    /// The 2024 QPV of the ANCT file (one point per commune, the codes and
    /// names of its quartiers joined in one text: « QN05950M, QN05954M » and
    /// « Denain, Gambetta »), each with the communes it lies in.
    fn load_national_qpv(&mut self, path: &Path) -> Result<()> {
        let file = path.display().to_string();
        crate::files::ensure_regular(path)?;
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("lecture impossible du fichier {file}"))?;
        let doc: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("{file} : GeoJSON illisible"))?;
        let features = doc["features"]
            .as_array()
            .with_context(|| format!("{file} : « features » attendu"))?;
        let mut qpv: Vec<Territory> = vec![];
        let mut position: HashMap<String, usize> = HashMap::new();
        for (n, f) in features.iter().enumerate() {
            let p = &f["properties"];
            let field = |k: &str| -> Result<&str> {
                p[k].as_str().with_context(|| {
                    format!("{file}, entité {} : propriété « {k} » attendue", n + 1)
                })
            };
            let commune = field("insee_com")?.trim();
            let commune = self.current_code(commune).with_context(|| {
                format!("{file}, entité {} : commune « {commune} » inconnue", n + 1)
            })?;
            let codes: Vec<&str> = field("code_qp")?.split(',').map(str::trim).collect();
            let names: Vec<&str> = field("lib_qp")?.split(", ").map(str::trim).collect();
            if codes.len() != names.len() {
                bail!(
                    "{file}, entité {} : {} codes de quartier pour {} noms",
                    n + 1,
                    codes.len(),
                    names.len()
                );
            }
            for (code, name) in codes.into_iter().zip(names) {
                let at = *position.entry(code.to_string()).or_insert_with(|| {
                    let mut t = Territory::new(code, name, Level::Qpv);
                    t.note = Some(QPV_NOTE.to_string());
                    qpv.push(t);
                    qpv.len() - 1
                });
                if !qpv[at].parents.iter().any(|c| c == commune) {
                    qpv[at].parents.push(commune.to_string());
                }
            }
        }
        for t in qpv {
            self.national_qpv.insert(t.code.clone());
            self.push(t, &file)?;
        }
        Ok(())
    }

    fn load_local(&mut self, path: &Path) -> Result<()> {
        let df = read_text_csv(path, b',')?;
        let file = path.display().to_string();
        for (i, row) in rows(&df, &LOCAL_COLUMNS)
            .with_context(|| format!("fichier de territoires {file}"))?
            .into_iter()
            .enumerate()
        {
            let line = i + 2;
            let level = Level::parse(&row[3]).with_context(|| {
                format!(
                    "{file}, ligne {line}, colonne « level » : niveau « {} » inconnu (attendu : {})",
                    row[3],
                    Level::ALL.map(|l| l.as_str()).join(", ")
                )
            })?;
            if row[0].is_empty() || row[1].is_empty() {
                bail!("{file}, ligne {line} : le code et le nom du territoire sont obligatoires");
            }
            let t = Territory {
                code: row[0].clone(),
                name: clean(&row[1]),
                short_name: non_empty(&row[2]),
                level,
                parents: split_codes(&row[4]),
                members: split_codes(&row[5]),
                successors: split_codes(&row[6]),
                note: non_empty(&row[7]),
                population: None,
            };
            self.local.insert(t.code.clone());
            match self.index.get(&t.code) {
                // A local file redefines a quartier of the national list.
                Some(&at) if self.national_qpv.remove(&t.code) => self.territories[at] = t,
                _ => self.push(t, &format!("{file}, ligne {line}"))?,
            }
        }
        // Every referenced code must exist.
        for t in &self.territories {
            for c in t.parents.iter().chain(&t.members).chain(&t.successors) {
                if c != FRANCE_METRO && !self.index.contains_key(c) {
                    bail!("{file} : le territoire « {} » cite le code « {c} », absent de la géographie", t.code);
                }
            }
        }
        Ok(())
    }

    /// "France métropolitaine" aggregates every commune of zone metro, when a
    /// dataset defines it.
    fn attach_metro_communes(&mut self) {
        if let Some(&i) = self.index.get(FRANCE_METRO) {
            if self.territories[i].members.is_empty() {
                let members: Vec<String> = self
                    .territories
                    .iter()
                    .filter(|t| {
                        t.level == Level::Commune && t.parents.iter().any(|p| p == FRANCE_METRO)
                    })
                    .map(|t| t.code.clone())
                    .collect();
                self.territories[i].members = members;
            }
        }
    }

    /// (parent, member) pairs over which count variables are summed: explicit
    /// group members, and communes into their EPCI, département and région.
    pub fn composition(&self) -> Vec<(String, String)> {
        let mut pairs = vec![];
        for t in &self.territories {
            for m in &t.members {
                pairs.push((t.code.clone(), m.clone()));
            }
            if t.level == Level::Commune {
                for p in &t.parents {
                    if p != FRANCE_METRO && self.get(p).is_some() {
                        pairs.push((p.clone(), t.code.clone()));
                    }
                }
            }
        }
        pairs
    }

    /// The territories a dataset's tables and charts cover, given its scope:
    /// each code listed, the communes of a listed EPCI, département, région
    /// or group, the arrondissements and quartiers lying in those communes,
    /// and every territory of the dataset's own files.
    pub fn scope(&self, codes: &[String]) -> polars::prelude::PlHashSet<String> {
        let mut scope: polars::prelude::PlHashSet<String> = codes.iter().cloned().collect();
        scope.extend(self.local.iter().cloned());
        for code in codes {
            if let Some(t) = self.get(code) {
                scope.extend(t.members.iter().cloned());
            }
        }
        for t in &self.territories {
            if t.level == Level::Commune && t.parents.iter().any(|p| codes.contains(p)) {
                scope.insert(t.code.clone());
            }
        }
        for t in &self.territories {
            let inside = matches!(t.level, Level::Qpv | Level::Quartier | Level::Arrondissement)
                && t.parents.iter().any(|p| scope.contains(p));
            if inside {
                scope.insert(t.code.clone());
            }
        }
        scope
    }

    /// The territories a dataset with this `extent` reads: those of its
    /// [`scope`](Self::scope), the EPCI of its communes, and every
    /// département, région and France. None for an empty extent (everything).
    pub fn extent(&self, codes: &[String]) -> Option<polars::prelude::PlHashSet<String>> {
        if codes.is_empty() {
            return None;
        }
        let mut kept = self.scope(codes);
        for t in &self.territories {
            let coarse = matches!(t.level, Level::Departement | Level::Region | Level::France);
            if coarse || (t.level == Level::Commune && kept.contains(&t.code)) {
                kept.insert(t.code.clone());
                if t.level == Level::Commune {
                    for p in &t.parents {
                        if self.get(p).is_some_and(|e| e.level == Level::Epci) {
                            kept.insert(p.clone());
                        }
                    }
                }
            }
        }
        Some(kept)
    }

    /// (parent, member) pairs of the territories of `level` and their
    /// parents: a commune and its arrondissements municipaux, a région and
    /// its départements (their counts summed when a file gives only those).
    pub fn members_by_parent(&self, level: Level) -> Vec<(String, String)> {
        self.territories
            .iter()
            .filter(|t| t.level == level)
            .flat_map(|t| t.parents.iter().map(|p| (p.clone(), t.code.clone())))
            .collect()
    }

    /// All territories linked to `code` through QPV successions, in both
    /// directions (the 2015-2023 QP and the 2024 QPV that replaced it).
    pub fn lineage(&self, code: &str) -> Vec<String> {
        let mut found = vec![code.to_string()];
        let mut i = 0;
        while i < found.len() {
            let c = found[i].clone();
            if let Some(t) = self.get(&c) {
                for s in &t.successors {
                    if !found.contains(s) {
                        found.push(s.clone());
                    }
                }
            }
            for t in &self.territories {
                if t.successors.contains(&c) && !found.contains(&t.code) {
                    found.push(t.code.clone());
                }
            }
            i += 1;
        }
        found
    }

    /// A (code, name, level) frame for joining onto results.
    /// Code, name, level and level number (position in `Level::ALL`, column
    /// `#level`, for integer comparisons) of the territories `codes`.
    pub fn frame(&self, codes: &[String]) -> Result<DataFrame> {
        let mut c = Vec::with_capacity(codes.len());
        let mut n = Vec::with_capacity(codes.len());
        let mut l = Vec::with_capacity(codes.len());
        let mut ln = Vec::with_capacity(codes.len());
        for code in codes {
            let t = self
                .get(code)
                .with_context(|| format!("territoire inconnu : {code}"))?;
            c.push(t.code.as_str());
            n.push(t.name.as_str());
            l.push(t.level.as_str());
            ln.push(t.level.number());
        }
        Ok(df!(schema::TERRITORY_CODE => c, schema::TERRITORY_NAME => n, schema::LEVEL => l, schema::LEVEL_NUMBER => ln)?)
    }
}

/// Région codes of the COG ("32") collide with département codes ("01" is
/// both Guadeloupe and Ain): régions are keyed `reg<code>` ("reg32").
pub fn region_code(cog: &str) -> String {
    format!("reg{cog}")
}

/// Code of France métropolitaine when a dataset defines it (no official code
/// exists for it in the Code officiel géographique).
pub const FRANCE_METRO: &str = "loc_france_metro";

fn national(code: &str, name: &str, level: Level, parents: Vec<String>) -> Territory {
    Territory {
        parents,
        ..Territory::new(code, name, level)
    }
}

/// A name as users read it everywhere (tables, report, SVG, terminal):
/// control characters (line breaks, escapes) made spaces.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

fn non_empty(s: &str) -> Option<String> {
    let s = clean(s);
    (!s.is_empty()).then_some(s)
}

fn split_codes(s: &str) -> Vec<String> {
    s.split('|')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(String::from)
        .collect()
}

/// Reads a UTF-8 CSV keeping every column as text (codes keep their leading
/// zeros, "2A", "QN…M").
fn read_text_csv(path: &Path, separator: u8) -> Result<DataFrame> {
    crate::files::ensure_regular(path)?;
    CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .map_parse_options(|o| o.with_separator(separator))
        .try_into_reader_with_file_path(Some(path.to_path_buf()))
        .and_then(|r| r.finish())
        .map_err(|e| anyhow::anyhow!("lecture impossible du fichier {} : {e}", path.display()))
}

/// A text cell, trimmed; empty for null.
fn text(v: Option<&str>) -> &str {
    v.unwrap_or("").trim()
}

/// Extracts the named text columns row by row (empty string for nulls).
fn rows(df: &DataFrame, names: &[&str]) -> Result<Vec<Vec<String>>> {
    let mut cols = vec![];
    for n in names {
        let s = df
            .column(n)
            .map_err(|_| anyhow::anyhow!("colonne « {n} » attendue, absente"))?
            .str()?
            .clone();
        cols.push(s);
    }
    // Column by column with iterators (random access by row is slow on
    // chunked columns), then transposed.
    let mut columns: Vec<std::vec::IntoIter<String>> = cols
        .iter()
        .map(|c| {
            c.iter()
                .map(|v| v.unwrap_or("").trim().to_string())
                .collect::<Vec<_>>()
                .into_iter()
        })
        .collect();
    Ok((0..df.height())
        .map(|_| {
            columns
                .iter_mut()
                .map(|c| c.next().unwrap_or_default())
                .collect()
        })
        .collect())
}
