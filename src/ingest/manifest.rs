//! Dataset manifests (`datasets/<name>/dataset.toml`): where the geography
//! is, which source files to read, their dialect, and how their columns map
//! to canonical variables and vintages.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub dataset: DatasetInfo,
    pub geography: GeographyConf,
    #[serde(default)]
    pub defaults: Dialect,
    #[serde(rename = "source", default)]
    pub sources: Vec<SourceConf>,
    /// The catalogue's texts worded for this dataset (`[indicator.<id>]`):
    /// a source or definition that names the dataset's own estimations or
    /// perimeters belongs to it, not to the catalogue every dataset shares.
    #[serde(rename = "indicator", default)]
    pub indicator_texts: std::collections::BTreeMap<String, IndicatorText>,
    /// The dataset's own alert rules (« points de vigilance »), beside the
    /// catalogue's.
    #[serde(rename = "alert", default)]
    pub alerts: Vec<crate::catalog::steering::AlertRule>,
    /// The contract's quantified targets.
    #[serde(rename = "target", default)]
    pub targets: Vec<crate::catalog::steering::Target>,
    /// The report's look: a template and a stylesheet of the team's own.
    #[serde(default)]
    pub report: ReportConf,
    /// Directory of the manifest; relative paths are resolved against it.
    #[serde(skip)]
    pub dir: PathBuf,
}

/// `[report]`: the team's own template (Jinja2 syntax) and stylesheet for
/// report.html, relative to the manifest; bcs's own when absent (`bcs
/// template DOSSIER` writes them out to start from).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportConf {
    pub template: Option<PathBuf>,
    pub style: Option<PathBuf>,
}

/// An indicator's texts as a dataset words them (each replaces the
/// catalogue's).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorText {
    pub source: Option<String>,
    pub definition: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetInfo {
    pub id: String,
    pub title: String,
    /// Territory the barometer is about (an EPCI code).
    pub territory: String,
    /// Territory every value is compared with (gap column).
    pub reference: String,
    /// Reference territories shown beside a territory and under rankings.
    pub references: Vec<String>,
    #[serde(default)]
    pub description: String,
    /// Text shown under the IDH-4 heading of the report (e.g. published figures).
    #[serde(default)]
    pub introduction: Option<String>,
    /// Territory of the theme panels (default: the first reference).
    #[serde(default)]
    pub panel: Option<String>,
    /// Territories the tables, charts and report cover (an EPCI, a
    /// département…: with their communes and the quartiers in them), beside
    /// the references and the dataset's own territories; the results table
    /// keeps every territory computed. Default: every territory with data.
    #[serde(default)]
    pub scope: Vec<String>,
    /// Territories the dataset reads (a région…): rows of communes, their
    /// arrondissements and quartiers, and EPCI lying elsewhere are left out
    /// of every source (and said in its reading report); départements,
    /// régions and France are always read. Default: everything.
    #[serde(default)]
    pub extent: Vec<String>,
    /// Share of a group's population (in %) its members with data must hold
    /// for its total of a count to be computed, the coverage then stated;
    /// default 99.
    #[serde(default)]
    pub min_coverage: Option<f64>,
    /// Indicators of the report's first page (« L'essentiel »), for the
    /// panel territory, the dataset's territory and its comparison
    /// territory; default: those of the priority classification.
    #[serde(default)]
    pub key_figures: Vec<String>,
}

impl DatasetInfo {
    /// The territory of the theme panels and of the report's key figures:
    /// `panel`, else the first reference.
    pub fn panel_territory(&self) -> Option<&str> {
        self.panel.as_deref().or_else(|| self.references.first().map(String::as_str))
    }

    /// The minimum coverage of a total, as a share (0-1).
    pub fn min_coverage(&self) -> Result<f64> {
        match self.min_coverage {
            None => Ok(crate::engine::DEFAULT_MIN_COVERAGE),
            Some(p) if (0.0..=100.0).contains(&p) => Ok(p / 100.0),
            Some(p) => anyhow::bail!(
                "dataset.toml, [dataset] min_coverage = {p} : un pourcentage entre 0 et 100 est attendu"
            ),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeographyConf {
    /// The national reference (communes, EPCI, départements, régions);
    /// by default the one bcs carries.
    #[serde(default)]
    pub national: Option<PathBuf>,
    #[serde(default)]
    pub local: Vec<PathBuf>,
    /// GeoJSON contours for maps.
    #[serde(default)]
    pub contours: Vec<Contours>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contours {
    pub file: PathBuf,
    /// Feature property holding the territory code.
    #[serde(default = "default_code_property")]
    pub code_property: String,
}

fn default_code_property() -> String {
    "code".into()
}

/// How values are written in a source file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dialect {
    pub delimiter: Option<char>,
    pub decimal: Option<char>,
    /// Markers of statistical secrecy ("nd", "s", "secret"…); "" makes an
    /// empty cell secret (files that write a secret as a blank).
    pub secret: Option<Vec<String>>,
    /// Markers of an absent value ("-", "???"…); empty cells are absent
    /// unless "" is a secrecy marker.
    pub missing: Option<Vec<String>>,
}

/// What to do with rows that give a territory (and year) already given.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Duplicates {
    /// Every repeated row is a problem.
    #[default]
    Error,
    /// A row identical to an earlier one on every column read counts once
    /// (re-exports that repeat a commune per postal code); a repeated row
    /// with other values is still a problem.
    Identical,
    /// The rows of a territory (and year) are added up: files with a row per
    /// part (per scheme, per benefit) of a count; only counts may be mapped.
    Sum,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConf {
    pub id: String,
    pub file: PathBuf,
    pub title: String,
    /// Producer and vintages as the publication states them.
    pub producer: String,
    /// Where the figures were taken from.
    #[serde(default)]
    pub origin: String,
    /// Column holding territory codes (default: the profile's key).
    #[serde(default)]
    pub key: Option<String>,
    /// Source profile (`insee_base_cc`, `insee_filosofi_communes`,
    /// `insee_qpv`, or a path to a profile file): maps the producer's columns
    /// to canonical variables with no mapping work.
    #[serde(default)]
    pub profile: Option<String>,
    /// Vintage of a file whose column names carry none (QPV files); for a
    /// file with year-coded columns or a vintage column, the one vintage to
    /// keep (it must be in the file).
    #[serde(default)]
    pub vintage: Option<i32>,
    /// Column holding each row's year or reference date ("2021",
    /// "31/12/2021"), for files that stack vintages in rows (CAF `DTREF`).
    #[serde(default)]
    pub vintage_column: Option<String>,
    /// Field separator; detected from the header line when absent.
    #[serde(default)]
    pub delimiter: Option<char>,
    /// "utf-8", "windows-1252", "latin-1"; default: UTF-8, or Windows-1252
    /// when the file is not valid UTF-8.
    #[serde(default)]
    pub encoding: Option<String>,
    /// Workbook sheet name (XLSX/ODS); default: the first sheet.
    #[serde(default)]
    pub sheet: Option<String>,
    /// 1-based row of the header line, for files that start with title rows.
    #[serde(default)]
    pub header_row: Option<usize>,
    /// Rows the header spans from `header_row` (a workbook's grouped
    /// headings): each column named by its header cells joined with « — ».
    #[serde(default)]
    pub header_rows: Option<usize>,
    #[serde(default)]
    pub decimal: Option<char>,
    #[serde(default)]
    pub secret: Option<Vec<String>>,
    #[serde(default)]
    pub missing: Option<Vec<String>>,
    /// Text cells that stand for a number (e.g. "Référence" = 0).
    #[serde(default)]
    pub values: BTreeMap<String, f64>,
    /// Rows to read: column → accepted value(s), every condition must hold
    /// (`keep_rows = { NIVGEO = "COM" }`); the other rows are left out and
    /// counted.
    #[serde(default)]
    pub keep_rows: BTreeMap<String, crate::catalog::OneOrMany>,
    /// Column of the territories' names, checked against the reference: a
    /// row whose name is not its code's (accents, case, punctuation and a
    /// final note in brackets aside) is a problem — a code paired with
    /// another territory's name.
    #[serde(default)]
    pub name_column: Option<String>,
    /// Last line (or sheet row) of the table: the notes a publication puts
    /// under it are left out and counted.
    #[serde(default)]
    pub last_row: Option<usize>,
    /// Rows repeating a territory: `"error"` (default), `"identical"` or
    /// `"sum"`; default: the profile's, else `"error"`.
    #[serde(default)]
    pub duplicates: Option<Duplicates>,
    /// For files with a row per month: the month whose rows stand for the
    /// year (12: the stock at 31 December); rows of other months are left
    /// out. Default: the profile's.
    #[serde(default)]
    pub vintage_month: Option<u32>,
    /// Monthly file (`vintage_month`): besides the month standing for the
    /// year, every month of its counts is kept as a monthly series, charted
    /// month by month in the report.
    #[serde(default)]
    pub monthly_series: bool,
    /// Territory codes written as numbers (« 1 » for the Ain): left-padded
    /// with zeros to this width. Default: the profile's.
    #[serde(default)]
    pub key_width: Option<usize>,
    /// `"region"`: the codes are région codes of the COG (« 32 »), read as
    /// bcs's région codes (« reg32 »), which cannot be mistaken for a
    /// département's. Default: the profile's.
    #[serde(default)]
    pub key_level: Option<KeyLevel>,
    /// Territory codes the file writes its own way, replaced before look-up
    /// (`codes = { "201" = "2A", "202" = "2B" }`). Default: the profile's.
    #[serde(default)]
    pub codes: BTreeMap<String, String>,
    #[serde(rename = "variable", default)]
    pub variables: Vec<Mapping>,
    /// Changes the file publishes beside the values they join: each is
    /// recomputed from the variable's two vintages on the same row and a
    /// disagreement beyond the published rounding is said « à vérifier ».
    #[serde(rename = "change", default)]
    pub changes: Vec<PublishedChangeConf>,
}

/// A column of published changes of a variable read from the same source.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishedChangeConf {
    pub variable: String,
    pub from: i32,
    pub to: i32,
    /// The column of the published change.
    pub column: String,
    /// A change in % (100 × (to − from) / from) rather than in the
    /// variable's unit.
    #[serde(default)]
    pub relative: bool,
}

/// One canonical variable at one vintage, computed from source columns.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    pub variable: String,
    pub vintage: i32,
    /// Expression over the source's columns (a column name, or e.g.
    /// `nb_2019 - evol_2011_2019` to recover an earlier count).
    pub expr: String,
    #[serde(default)]
    pub note: Option<String>,
}

/// A source profile (`datasets/profiles/*.toml`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub profile: ProfileInfo,
    #[serde(default)]
    pub variable: Vec<ProfileVariable>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileInfo {
    pub id: String,
    pub title: String,
    /// Candidate names of the code column, in order of preference.
    pub key: Vec<String>,
    /// Candidate names of a column holding each row's year or reference
    /// date, for files that stack vintages in rows.
    #[serde(default)]
    pub vintage_column: Vec<String>,
    /// The producer's secrecy markers (Insee: "s"): they replace the
    /// dataset's defaults for the sources read with this profile, and a
    /// source's own `secret` replaces them.
    #[serde(default)]
    pub secret: Option<Vec<String>>,
    /// The producer's markers of an absent value (Insee: "nd", not
    /// available), likewise.
    #[serde(default)]
    pub missing: Option<Vec<String>>,
    /// The producer's layout, each replaced by the source's own setting:
    /// the workbook sheet holding the data, the month standing for the year,
    /// repeated rows, numeric codes and codes of its own (see SourceConf).
    #[serde(default)]
    pub sheet: Option<String>,
    /// The line of the header below the producer's title lines, and the
    /// decimal separator of its exports.
    #[serde(default)]
    pub header_row: Option<usize>,
    #[serde(default)]
    pub decimal: Option<char>,
    #[serde(default)]
    pub vintage_month: Option<u32>,
    #[serde(default)]
    pub duplicates: Option<Duplicates>,
    #[serde(default)]
    pub key_width: Option<usize>,
    #[serde(default)]
    pub key_level: Option<KeyLevel>,
    #[serde(default)]
    pub codes: BTreeMap<String, String>,
}

/// What the codes of a file's key column are, when they need reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyLevel {
    /// Région codes of the COG: « 32 » is Hauts-de-France.
    Region,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileVariable {
    pub variable: String,
    /// Expression over the file's columns; `{yy}` stands for the two last
    /// digits of the vintage in column names (P21_POP). A list gives the
    /// spellings producers have used, in order: the first one whose columns
    /// are all in the file is read.
    pub expr: crate::catalog::OneOrMany,
}

/// A profile variable resolved against a file's columns: the spelling read
/// and its vintage, None when each row's vintage comes from the file's
/// vintage column.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub variable: String,
    pub vintage: Option<i32>,
    pub expr: String,
}

impl Profile {
    /// The variables this profile reads in a file with these columns.
    /// `declared`: the vintage the manifest states for the source;
    /// `vintage_in_rows`: whether the file has a vintage column.
    pub fn resolve(
        &self,
        columns: &[String],
        declared: Option<i32>,
        vintage_in_rows: bool,
    ) -> Result<Vec<Resolved>> {
        let present = |expr: &str| -> Result<bool> {
            Ok(crate::catalog::formula_operands(expr)?
                .iter()
                .all(|o| columns.contains(o)))
        };
        let mut out = vec![];
        let mut coded_vintages = std::collections::BTreeSet::new();
        for v in &self.variable {
            let exprs = v.expr.as_slice();
            let resolved = |expr: String, vintage: Option<i32>| Resolved {
                variable: v.variable.clone(),
                vintage,
                expr,
            };
            if exprs.iter().any(|e| e.contains("{yy}") || e.contains("{yyyy}")) {
                // Operands are parsed once per spelling, with a placeholder
                // for the year, then looked up at each year: {yy} two digits
                // (2000-2099), {yyyy} four (1950-2099).
                const YY: &str = "yy__yy";
                const YYYY: &str = "yyyy__yyyy";
                let templates: Vec<(&String, Vec<String>)> = exprs
                    .iter()
                    .map(|e| {
                        let e2 = e.replace("{yyyy}", YYYY).replace("{yy}", YY);
                        Ok((e, crate::catalog::formula_operands(&e2)?))
                    })
                    .collect::<Result<_>>()?;
                let spelled = |text: &str, year: i32| {
                    text.replace(YYYY, &year.to_string())
                        .replace(YY, &format!("{:02}", year % 100))
                };
                for year in 1950..2100 {
                    let found = templates.iter().find(|(e, ops)| {
                        (year >= 2000 || !e.contains("{yy}"))
                            && ops.iter().all(|o| columns.contains(&spelled(o, year)))
                    });
                    if let Some((expr, _)) = found {
                        coded_vintages.insert(year);
                        if declared.is_none_or(|d| d == year) {
                            let expr = expr
                                .replace("{yyyy}", &year.to_string())
                                .replace("{yy}", &format!("{:02}", year % 100));
                            out.push(resolved(expr, Some(year)));
                        }
                    }
                }
            } else {
                let mut first = None;
                for e in exprs {
                    if present(e)? {
                        first = Some(e.clone());
                        break;
                    }
                }
                if let Some(expr) = first {
                    match (vintage_in_rows, declared) {
                        (true, _) => out.push(resolved(expr, None)),
                        (false, Some(vintage)) => out.push(resolved(expr, Some(vintage))),
                        (false, None) => anyhow::bail!(
                            "le profil « {} » ne lit pas le millésime dans les noms de colonnes : indiquez vintage = … pour cette source",
                            self.profile.id
                        ),
                    }
                }
            }
        }
        if let Some(d) = declared {
            if !coded_vintages.is_empty() && !coded_vintages.contains(&d) {
                let found: Vec<String> = coded_vintages.iter().map(|y| y.to_string()).collect();
                anyhow::bail!(
                    "millésime déclaré {d} (vintage = {d}) mais les colonnes du fichier portent le(s) millésime(s) {} : corrigez vintage ou le fichier",
                    found.join(", ")
                );
            }
        }
        Ok(out)
    }
}

/// Dialect of one source after applying the dataset defaults.
#[derive(Debug, Clone)]
pub struct ResolvedDialect {
    /// None: detected from the header line.
    pub delimiter: Option<u8>,
    pub decimal: char,
    pub secret: Vec<String>,
    pub missing: Vec<String>,
}

pub use crate::files::is_slug;

/// Row layout of one source after applying its profile's (see SourceConf).
#[derive(Debug, Clone)]
pub struct ResolvedLayout<'a> {
    pub sheet: Option<String>,
    pub header_row: Option<usize>,
    pub vintage_month: Option<u32>,
    pub duplicates: Duplicates,
    pub key_width: Option<usize>,
    pub key_level: Option<KeyLevel>,
    pub codes: &'a BTreeMap<String, String>,
}

impl ResolvedLayout<'_> {
    /// Whether the file writes its territory codes its own way.
    pub fn recodes(&self) -> bool {
        self.key_width.is_some() || self.key_level.is_some() || !self.codes.is_empty()
    }

    /// A territory code as the file writes it, made into the reference's: a
    /// code of the source's own table replaced, a number padded with zeros,
    /// a région code of the COG keyed as bcs keys régions.
    pub fn code(&self, code: &str) -> String {
        let code = match (self.codes.get(code), self.key_width) {
            (Some(c), _) => c.clone(),
            (None, Some(w))
                if code.len() < w && !code.is_empty() && code.bytes().all(|b| b.is_ascii_digit()) =>
            {
                format!("{code:0>w$}")
            }
            _ => code.to_string(),
        };
        match self.key_level {
            Some(KeyLevel::Region) if !code.is_empty() => crate::geo::region_code(&code),
            _ => code,
        }
    }
}

pub const DEFAULT_SECRET: [&str; 5] = ["nd", "n.d.", "s", "secret", "c"];

impl Manifest {
    pub fn load(path: &Path) -> Result<Manifest> {
        let file = if path.is_dir() {
            path.join("dataset.toml")
        } else {
            path.to_path_buf()
        };
        let mut m: Manifest = crate::catalog::read_toml(&file)?;
        m.dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
        m.check_settings(&file)?;
        Ok(m)
    }

    /// Identifiers that become file names (the output folder
    /// `reports/<id>`, cache entries `<source id>-…`) are slugs, a source
    /// id is given once, and separators are ASCII characters.
    fn check_settings(&self, file: &Path) -> Result<()> {
        let not_slug = |what: &str, id: &str| {
            (!is_slug(id)).then(|| {
                format!("{what} « {id} » : lettres, chiffres, « - » et « _ » seulement (il sert de nom de fichier)")
            })
        };
        let mut problems: Vec<String> = not_slug("[dataset] id", &self.dataset.id).into_iter().collect();
        // A separator is one ASCII character other than a quote or a line
        // end: « é » would otherwise be cut to a byte and split the file
        // elsewhere than the user said.
        let bad_delimiter = |what: String, c: Option<char>| {
            c.filter(|c| !c.is_ascii() || matches!(c, '"' | '\n' | '\r'))
                .map(|c| format!("{what} delimiter « {} » : un caractère ASCII attendu (; , tabulation |), ni guillemet ni fin de ligne", c.escape_debug()))
        };
        problems.extend(bad_delimiter("[defaults]".into(), self.defaults.delimiter));
        let mut seen = std::collections::HashSet::new();
        for s in &self.sources {
            problems.extend(bad_delimiter(format!("[[source]] « {} »", s.id), s.delimiter));
            problems.extend(not_slug("[[source]] id", &s.id));
            if !seen.insert(s.id.as_str()) {
                problems.push(format!("[[source]] id « {} » donné à deux sources", s.id));
            }
        }
        if problems.is_empty() {
            return Ok(());
        }
        anyhow::bail!(
            "{} : {} réglage(s) refusé(s) ; rien n'a été écrit :\n  - {}",
            file.display(),
            problems.len(),
            problems.join("\n  - ")
        )
    }

    /// The national reference's folder: the manifest's, else bcs's own.
    pub fn national_geography(&self) -> Result<PathBuf> {
        match &self.geography.national {
            Some(p) => Ok(self.path(p)),
            None => Ok(crate::project_dir()?.join("datasets/geo/national")),
        }
    }

    pub fn path(&self, p: &Path) -> PathBuf {
        self.dir.join(p)
    }

    /// Loads a profile: a bundled one by name, or a file relative to the
    /// manifest.
    pub fn profile(&self, name: &str) -> Result<Profile> {
        let path = if name.ends_with(".toml") {
            self.dir.join(name)
        } else {
            crate::project_dir()?
                .join("datasets")
                .join("profiles")
                .join(format!("{name}.toml"))
        };
        if !path.exists() {
            anyhow::bail!(
                "profil de source « {name} » introuvable ({})",
                path.display()
            );
        }
        crate::catalog::read_toml(&path)
    }

    /// The source's row layout: its own settings, else its profile's.
    pub fn layout<'a>(&self, s: &'a SourceConf, profile: Option<&'a Profile>) -> ResolvedLayout<'a> {
        let p = profile.map(|p| &p.profile);
        ResolvedLayout {
            sheet: s.sheet.clone().or_else(|| p.and_then(|p| p.sheet.clone())),
            header_row: s.header_row.or_else(|| p.and_then(|p| p.header_row)),
            vintage_month: s.vintage_month.or_else(|| p.and_then(|p| p.vintage_month)),
            duplicates: s
                .duplicates
                .or_else(|| p.and_then(|p| p.duplicates))
                .unwrap_or_default(),
            key_width: s.key_width.or_else(|| p.and_then(|p| p.key_width)),
            key_level: s.key_level.or_else(|| p.and_then(|p| p.key_level)),
            codes: match p {
                Some(p) if s.codes.is_empty() => &p.codes,
                _ => &s.codes,
            },
        }
    }

    /// The source's dialect: its own settings, then its profile's markers,
    /// then the dataset's defaults.
    pub fn dialect(&self, s: &SourceConf, profile: Option<&Profile>) -> ResolvedDialect {
        let d = &self.defaults;
        let p = profile.map(|p| &p.profile);
        ResolvedDialect {
            delimiter: s.delimiter.or(d.delimiter).map(|c| c as u8),
            decimal: s
                .decimal
                .or_else(|| p.and_then(|p| p.decimal))
                .or(d.decimal)
                .unwrap_or(','),
            secret: s
                .secret
                .clone()
                .or_else(|| p.and_then(|p| p.secret.clone()))
                .or_else(|| d.secret.clone())
                .unwrap_or_else(|| DEFAULT_SECRET.map(String::from).to_vec()),
            missing: s
                .missing
                .clone()
                .or_else(|| p.and_then(|p| p.missing.clone()))
                .or_else(|| d.missing.clone())
                .unwrap_or_else(|| vec!["-".into()]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzz_manifest() {
        use crate::fuzz::{run, seed, Outcome};
        let seeds = [seed("datasets/caph/dataset.toml")];
        let tokens = [
            "[[source]]\nid = \"x\"\nfile = \"sources/t01_population.csv\"\n",
            "[[source.variable]]\n",
            "id = \"../x\"\n",
            "delimiter = \"é\"\n",
            "delimiter = \"\\\"\"\n",
            "profile = \"insee_base_cc\"\n",
            "min_coverage = 1e309\n",
            "vintage = -2147483648\n",
            "header_row = 0\n",
            "\"\"\"",
            "'''",
            "= [",
            "{ ",
            "\\u0000",
        ];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dataset.toml");
        let counts = run("manifest", &seeds, &tokens, |input| {
            std::fs::write(&path, input).unwrap();
            let Ok(m) = Manifest::load(dir.path()) else {
                return Outcome::Refused;
            };
            // What load accepts is safe to use: ids fit in file names and
            // are unique, separators are one ASCII character.
            assert!(is_slug(&m.dataset.id), "{:?}", m.dataset.id);
            let ids: std::collections::HashSet<_> = m.sources.iter().map(|s| &s.id).collect();
            assert_eq!(ids.len(), m.sources.len());
            for s in &m.sources {
                assert!(is_slug(&s.id), "{:?}", s.id);
                let profile = s.profile.as_deref().and_then(|p| m.profile(p).ok());
                let _ = m.layout(s, profile.as_ref());
                let d = m.dialect(s, profile.as_ref());
                assert!(d.delimiter.is_none_or(|b| b.is_ascii()));
            }
            let _ = m.dataset.min_coverage();
            Outcome::Accepted
        });
        assert!(counts.accepted > 0 && counts.refused > 0, "{counts:?}");
    }

    #[test]
    fn fuzz_profile() {
        use crate::fuzz::{run, seed, Outcome};
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/profiles");
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        let seeds: Vec<Vec<u8>> = names.iter().map(|n| seed(&format!("datasets/profiles/{n}"))).collect();
        let tokens = ["[[variable]]\n", "key = []\n", "header_row = 18446744073709551615\n", "\"\"", "= ", "\n"];
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("profil.toml");
        let counts = run("profile", &seeds, &tokens, |input| {
            std::fs::write(&path, input).unwrap();
            match crate::catalog::read_toml::<Profile>(&path) {
                Ok(_) => Outcome::Accepted,
                Err(_) => Outcome::Refused,
            }
        });
        assert!(counts.accepted > 0 && counts.refused > 0, "{counts:?}");
    }
}
