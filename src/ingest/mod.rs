//! Readers and source adapters: source files → long typed observations
//! `(territory_code, variable, vintage, value, status, source)`.
//!
//! Every problem found in the sources is collected and reported at once, in
//! French, with file, line, column, the offending value and what was expected.

pub mod cache;
pub mod manifest;
pub mod read;

use polars::prelude::PlHashMap as HashMap;
use crate::schema;
use std::path::Path;

use anyhow::{bail, Result};
use polars::prelude::*;

pub use cache::CacheMode;
pub use manifest::{Manifest, SourceConf};

use crate::catalog::{Catalog, VariableKind};
use crate::fr::shorten;
use crate::geo::Geography;
use crate::status::{evaluate, status_column, Status};

/// A problem in the user's data: where it is and what was expected.
#[derive(Debug, Clone)]
pub struct DataProblem {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<String>,
    pub message: String,
}

impl std::fmt::Display for DataProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(l) = self.line {
            write!(f, ", ligne {l}")?;
        }
        if let Some(c) = &self.column {
            write!(f, ", colonne « {c} »")?;
        }
        if self.message.is_empty() {
            return Ok(());
        }
        write!(f, " : {}", self.message)
    }
}

/// Problems listed per file and column; the others of the same file and
/// column are counted (two million bad rows give a few lines, not 300 MB).
pub const PROBLEMS_SHOWN: usize = 10;

/// Fails with the problems listed, one per line: the first
/// [`PROBLEMS_SHOWN`] of each file and column, then how many more.
pub fn fail_with(problems: &[DataProblem]) -> Result<()> {
    if problems.is_empty() {
        return Ok(());
    }
    let mut shown: HashMap<(&str, Option<&str>), usize> = HashMap::new();
    let mut list: Vec<String> = vec![];
    for p in problems {
        let n = shown.entry((p.file.as_str(), p.column.as_deref())).or_default();
        *n += 1;
        if *n <= PROBLEMS_SHOWN {
            list.push(format!("  - {p}"));
        }
    }
    let mut more: Vec<(&(&str, Option<&str>), &usize)> =
        shown.iter().filter(|(_, n)| **n > PROBLEMS_SHOWN).collect();
    more.sort();
    for ((file, column), n) in more {
        let column = column.map(|c| format!(", colonne « {c} »")).unwrap_or_default();
        list.push(format!(
            "  - {file}{column} : … et {} autre(s) problème(s) du même fichier et de la même colonne",
            crate::fr::number((n - PROBLEMS_SHOWN) as f64, 0)
        ));
    }
    bail!(
        "{} problème(s) dans les données ; rien n'a été écrit :\n{}",
        crate::fr::number(problems.len() as f64, 0),
        list.join("\n")
    )
}

/// Reads every source of the manifest and maps its columns to canonical
/// variables: the long observations table.
pub fn load(manifest: &Manifest, catalog: &Catalog, geo: &Geography) -> Result<DataFrame> {
    Ok(load_cached(manifest, catalog, geo, CacheMode::Off)?.observations)
}

/// What [`load_cached`] gives.
pub struct Loaded {
    pub observations: DataFrame,
    /// Per source (id): whether the cache served it.
    pub served: Vec<(String, bool)>,
    /// What reading did to the rows of the sources concerned, in the
    /// manifest's order.
    pub reports: Vec<SourceReport>,
    /// The cache entries to write for the others.
    pub pending: PendingCache,
}

/// Like [`load`], reading fresh cache entries; the entries of the other
/// sources are to be written after a successful load only (see
/// [`PendingCache`]).
pub fn load_cached(
    manifest: &Manifest,
    catalog: &Catalog,
    geo: &Geography,
    mode: CacheMode,
) -> Result<Loaded> {
    if manifest.sources.is_empty() {
        fail_with(&[DataProblem {
            file: manifest.dir.join("dataset.toml").display().to_string(),
            line: None,
            column: None,
            message: "aucune source déclarée ([[source]] : un fichier et ses colonnes)".into(),
        }])?;
    }
    let cache = match mode {
        CacheMode::Use => Some(cache::Cache::new(manifest, catalog)?),
        CacheMode::Off => None,
    };
    let mut problems = vec![];
    let mut frames = vec![];
    let mut to_store = vec![];
    let mut served = vec![];
    let mut reports = vec![];
    // Sources are read in parallel; results and problems keep the manifest's
    // order.
    use rayon::prelude::*;
    // Per source: observations, cache key to write, served by the cache,
    // problems.
    type OneSource = (
        Option<(DataFrame, SourceReport)>,
        Option<String>,
        bool,
        Vec<DataProblem>,
    );
    let loaded: Vec<Result<OneSource>> = manifest
        .sources
        .par_iter()
        .map(|src| -> Result<OneSource> {
            let cached = match &cache {
                Some(c) => Some(c.get(manifest, src)?),
                None => None,
            };
            let key = match cached {
                Some((Some(entry), _)) => return Ok((Some(entry), None, true, vec![])),
                Some((None, key)) => Some(key),
                None => None,
            };
            let _t = crate::timing::stage("  une source");
            let mut problems = vec![];
            let df = match read_source(manifest, src, catalog, geo, &mut problems) {
                Ok(df) => df,
                Err(e) => {
                    let file = manifest.path(&src.file).display().to_string();
                    let message = format!("{e:#}");
                    // A reader's error that already names the file (and its
                    // sheet, line) is said as it is, the path once.
                    problems.push(match message.starts_with(&file) {
                        true => DataProblem {
                            file: message,
                            line: None,
                            column: None,
                            message: String::new(),
                        },
                        false => DataProblem {
                            file,
                            line: None,
                            column: None,
                            message,
                        },
                    });
                    None
                }
            };
            Ok((df, key, false, problems))
        })
        .collect();
    for (src, l) in manifest.sources.iter().zip(loaded) {
        let (df, key, from_cache, found) = l?;
        served.push((src.id.clone(), from_cache));
        problems.extend(found);
        if let Some((df, report)) = df {
            if let Some(key) = key {
                to_store.push((src.clone(), key, df.clone(), report.clone()));
            }
            frames.push(df.lazy());
            if !report.is_empty() {
                reports.push(report);
            }
        }
    }
    fail_with(&problems)?;
    let frame = if frames.is_empty() {
        empty_observations()
    } else {
        concat(frames, UnionArgs::default())?.collect()?
    };
    // The two cross-source checks are independent: in parallel, their
    // problems listed in this order.
    let t = crate::timing::stage("  doublons, parties et touts");
    let (mut duplicates, mut shares) = (vec![], vec![]);
    let (a, b) = rayon::join(
        || check_duplicates(&frame, &mut duplicates),
        || check_shares(&frame, catalog, geo, &mut shares),
    );
    a?;
    b?;
    problems.extend(duplicates);
    problems.extend(shares);
    drop(t);
    fail_with(&problems)?;
    Ok(Loaded {
        observations: frame,
        served,
        reports,
        pending: PendingCache {
            cache,
            entries: to_store,
        },
    })
}

/// Cache entries of the sources just read, to be written: at once by `bcs
/// import`, in the background of the computation by the other commands.
pub struct PendingCache {
    cache: Option<cache::Cache>,
    entries: Vec<(SourceConf, String, DataFrame, SourceReport)>,
}

impl PendingCache {
    /// Writes the entries (in parallel, each atomically).
    pub fn write(self) -> Result<()> {
        use rayon::prelude::*;
        let _t = crate::timing::stage("  cache des sources");
        if let Some(c) = &self.cache {
            self.entries
                .par_iter()
                .try_for_each(|(src, key, df, report)| c.put(src, key, df, report))?;
        }
        Ok(())
    }
}

/// The distinct vintages of a long frame (observations or indicator values),
/// ascending.
pub fn vintages_of(frame: &DataFrame) -> Result<Vec<i32>> {
    let mut vintages: Vec<i32> = frame
        .column(schema::VINTAGE)?
        .i32()?
        .unique()?
        .iter()
        .flatten()
        .collect();
    vintages.sort_unstable();
    Ok(vintages)
}

pub fn empty_observations() -> DataFrame {
    DataFrame::new_infer_height(vec![
        Column::new_empty(schema::TERRITORY_CODE.into(), &DataType::String),
        Column::new_empty(schema::VARIABLE.into(), &DataType::String),
        Column::new_empty(schema::VINTAGE.into(), &DataType::Int32),
        Column::new_empty(schema::VALUE.into(), &DataType::Float64),
        Column::new_empty(schema::STATUS.into(), &DataType::UInt32),
        Column::new_empty("source".into(), &DataType::String),
    ])
    .expect("static schema")
}

/// The observations of every month of the sources that keep a monthly
/// series (`monthly_series = true`): vintages `yyyymm`, by source id. Read
/// from their files at each call (not cached: a monthly file is small).
pub fn monthly_observations(
    manifest: &Manifest,
    catalog: &Catalog,
    geo: &Geography,
) -> Result<Vec<(String, DataFrame)>> {
    let mut problems = vec![];
    let mut out = vec![];
    for src in manifest.sources.iter().filter(|s| s.monthly_series) {
        if let Some((df, _)) = read_source_months(manifest, src, catalog, geo, &mut problems, Months::All)? {
            out.push((src.id.clone(), df));
        }
    }
    fail_with(&problems)?;
    Ok(out)
}

/// How a source's rows of a monthly file are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Months {
    /// The month standing for the year (`vintage_month`): vintages are years.
    OnePerYear,
    /// Every month: vintages are `yyyymm` (a monthly series).
    All,
}

/// Reads one source; every problem of the file is listed, those of lines
/// that could not be read as rows (ragged) after the others.
fn read_source(
    manifest: &Manifest,
    src: &SourceConf,
    catalog: &Catalog,
    geo: &Geography,
    problems: &mut Vec<DataProblem>,
) -> Result<Option<(DataFrame, SourceReport)>> {
    read_source_months(manifest, src, catalog, geo, problems, Months::OnePerYear)
}

fn read_source_months(
    manifest: &Manifest,
    src: &SourceConf,
    catalog: &Catalog,
    geo: &Geography,
    problems: &mut Vec<DataProblem>,
    months: Months,
) -> Result<Option<(DataFrame, SourceReport)>> {
    let mut bad_lines = vec![];
    let read = read_source_rows(manifest, src, catalog, geo, problems, &mut bad_lines, months)?;
    if bad_lines.is_empty() {
        return Ok(read);
    }
    problems.append(&mut bad_lines);
    Ok(None)
}

fn read_source_rows(
    manifest: &Manifest,
    src: &SourceConf,
    catalog: &Catalog,
    geo: &Geography,
    problems: &mut Vec<DataProblem>,
    bad_lines: &mut Vec<DataProblem>,
    months: Months,
) -> Result<Option<(DataFrame, SourceReport)>> {
    let path = manifest.path(&src.file);
    let file = path.display().to_string();
    let profile = src
        .profile
        .as_deref()
        .map(|p| manifest.profile(p))
        .transpose()?;
    let dialect = manifest.dialect(src, profile.as_ref());
    let rows_layout = manifest.layout(src, profile.as_ref());
    let duplicates = rows_layout.duplicates;
    let layout = read::Layout {
        delimiter: dialect.delimiter,
        encoding: src.encoding.clone(),
        sheet: rows_layout.sheet.clone(),
        header_row: rows_layout.header_row,
        header_rows: src.header_rows,
        decimal: dialect.decimal,
    };
    let t = crate::timing::stage("    ouverture");
    let opened = read::open(&path, &layout)?;
    drop(t);
    let columns = opened.columns.clone();
    let before = problems.len();
    let problem = |line: Option<usize>, column: Option<&str>, message: String| DataProblem {
        file: file.clone(),
        line,
        column: column.map(String::from),
        message,
    };
    // Key column: declared, or the first of the profile's candidates.
    let key = match (&src.key, &profile) {
        (Some(k), _) => k.clone(),
        (None, Some(p)) => match p.profile.key.iter().find(|k| columns.contains(k)) {
            Some(k) => k.clone(),
            None => {
                problems.push(problem(
                    None,
                    None,
                    format!(
                        "aucune colonne de codes territoire parmi {} (profil « {} »)",
                        p.profile.key.join(", "),
                        p.profile.id
                    ),
                ));
                return Ok(None);
            }
        },
        (None, None) => {
            problems.push(problem(
                None,
                None,
                "indiquez la colonne des codes territoire (key = …) ou un profil".into(),
            ));
            return Ok(None);
        }
    };
    if !columns.contains(&key) {
        problems.push(problem(
            None,
            Some(&key),
            "colonne des codes territoire absente du fichier".into(),
        ));
        return Ok(None);
    }
    // Vintage column: declared, or the first of the profile's candidates.
    let vintage_column = match (&src.vintage_column, &profile) {
        (Some(c), _) => Some(c.clone()),
        (None, Some(p)) => p
            .profile
            .vintage_column
            .iter()
            .find(|c| columns.contains(c))
            .cloned(),
        (None, None) => None,
    };
    // The profile's spellings and vintages; an error in them is reported
    // below, with the other mapping problems.
    let from_profile = profile
        .as_ref()
        .map(|p| p.resolve(&columns, src.vintage, vintage_column.is_some()))
        .transpose();
    // Only the columns the mappings read are parsed.
    let mut keep = vec![key.clone()];
    keep.extend(
        vintage_column
            .iter()
            .filter(|c| columns.contains(c))
            .cloned(),
    );
    let exprs = from_profile
        .iter()
        .flatten()
        .flatten()
        .map(|r| &r.expr)
        .chain(src.variables.iter().map(|m| &m.expr));
    for expr in exprs {
        if let Ok(ops) = crate::catalog::formula_operands(expr) {
            keep.extend(ops.into_iter().filter(|o| columns.contains(o)));
        }
    }
    // The columns of published changes, checked against the values.
    keep.extend(src.changes.iter().map(|c| &c.column).filter(|c| columns.contains(c)).cloned());
    // The columns of names to check and of rows to select.
    let named = src
        .name_column
        .iter()
        .map(|c| (c, "colonne des noms de territoires (name_column) absente du fichier"));
    let selecting = src
        .keep_rows
        .keys()
        .map(|c| (c, "colonne de sélection des lignes (keep_rows) absente du fichier"));
    for (column, absent) in named.chain(selecting) {
        if columns.contains(column) {
            keep.push(column.clone());
        } else {
            problems.push(problem(None, Some(column), absent.into()));
        }
    }
    if problems.len() > before {
        return Ok(None);
    }
    let mut unique = std::collections::HashSet::new();
    keep.retain(|c| unique.insert(c.clone()));
    let t = crate::timing::stage("    lecture CSV");
    let mut table = opened.read(&keep)?;
    drop(t);
    bad_lines.extend(
        table
            .bad_lines
            .iter()
            .map(|(line, message)| problem(Some(*line), None, message.clone())),
    );
    if table.frame.height() == 0 && table.bad_lines.is_empty() {
        problems.push(problem(
            None,
            None,
            "aucune ligne de données sous l'en-tête : le fichier est-il complet ?".into(),
        ));
        return Ok(None);
    }
    let mut report = SourceReport {
        source: src.id.clone(),
        file: file.clone(),
        ..Default::default()
    };
    // Each row's line in the file, through the row selection: rows after
    // the declared end of the table (notes under a published table), and
    // rows the selection does not keep, are left out.
    let mut lines = std::mem::take(&mut table.lines);
    let mut selected: Vec<bool> = lines
        .iter()
        .map(|&l| src.last_row.is_none_or(|last| l <= last))
        .collect();
    select_rows(&table.frame, &src.keep_rows, &mut selected)?;
    report.rows_left_out = selected.iter().filter(|k| !**k).count();
    let raw = retain_flagged(table.frame, &mut lines, &selected)?;
    let mut row_years = match &vintage_column {
        Some(vc) => match row_vintages(&raw, vc, &lines, &problem, problems)? {
            Some(y) => Some(y),
            None => return Ok(None),
        },
        None => None,
    };
    // Monthly rows: those of the month standing for the year.
    let raw = match (rows_layout.vintage_month, &vintage_column, &mut row_years) {
        (Some(month), Some(vc), Some(years)) => {
            let cells = raw.column(vc)?.str()?.clone();
            let mut keep = Vec::with_capacity(cells.len());
            for (cell, line) in cells.iter().zip(&lines) {
                let text = cell.unwrap_or("").trim();
                match month_of(text) {
                    Some(m) => keep.push(m == month),
                    None => {
                        problems.push(problem(
                            Some(*line),
                            Some(vc),
                            format!("mois de « {} » illisible : une date (2021-12-31, 31/12/2021) est attendue (vintage_month = {month})", shorten(text, 40)),
                        ));
                        keep.push(false);
                    }
                }
            }
            if problems.len() > before {
                return Ok(None);
            }
            if months == Months::All {
                // Every row, its vintage the year and month (yyyymm).
                for (y, cell) in years.iter_mut().zip(cells.iter()) {
                    let m = month_of(cell.unwrap_or("").trim()).unwrap_or(0) as i32;
                    *y = y.map(|y| y * 100 + m);
                }
                raw
            } else {
                let mut k = keep.iter();
                years.retain(|_| *k.next().unwrap_or(&false));
                report.other_months = keep.iter().filter(|k| !**k).count();
                report.vintage_month = Some(month);
                retain_flagged(raw, &mut lines, &keep)?
            }
        }
        (Some(_), _, _) => {
            problems.push(problem(
                None,
                None,
                "vintage_month demande une colonne de dates (vintage_column)".into(),
            ));
            return Ok(None);
        }
        _ => raw,
    };
    let keys = raw.column(&key)?.str()?.clone();
    // Codes written the file's own way: replaced, numbers padded.
    let normalized: Option<Vec<String>> = rows_layout.recodes().then(|| {
        keys.iter()
            .map(|k| rows_layout.code(k.unwrap_or("").trim()))
            .collect()
    });
    let mut kept_years: Option<Vec<i32>> = row_years.as_ref().map(|y| {
        let mut v: Vec<i32> = y.iter().flatten().copied().collect();
        v.sort();
        v.dedup();
        v
    });
    if let (Some(years), Some(d), Some(vc)) = (&mut kept_years, src.vintage, &vintage_column) {
        if !years.contains(&d) {
            let found: Vec<String> = years.iter().map(|y| y.to_string()).collect();
            problems.push(problem(
                None,
                Some(vc),
                format!(
                    "millésime déclaré {d} absent de la colonne (millésimes présents : {})",
                    found.join(", ")
                ),
            ));
            return Ok(None);
        }
        *years = vec![d];
    }
    // Each row's current territory: its own code, or the commune an older
    // geography's code belongs to; repeated rows found.
    let mut seen: HashMap<(&str, Option<i32>), usize> = HashMap::new();
    let mut territory: Vec<&str> = Vec::with_capacity(keys.len());
    let mut repeated = vec![false; keys.len()];
    let mut outside = vec![false; keys.len()];
    let extent = geo.extent(&manifest.dataset.extent);
    let names = match &src.name_column {
        Some(c) => Some(raw.column(c)?.str()?.clone()),
        None => None,
    };
    let mut summed = vec![false; keys.len()];
    for (i, k) in keys.iter().enumerate() {
        let line = lines[i];
        let k = match &normalized {
            Some(codes) => codes[i].as_str(),
            None => k.unwrap_or("").trim(),
        };
        let year = row_years.as_ref().and_then(|y| y.get(i).copied().flatten());
        territory.push(k);
        if k.is_empty() {
            problems.push(problem(
                Some(line),
                Some(&key),
                "code territoire vide".into(),
            ));
            continue;
        }
        // Outside the dataset's extent: left out, counted.
        let current = match (geo.get(k), geo.former(k)) {
            (Some(_), _) => Some(k),
            (None, Some(f)) => Some(f.commune.as_str()),
            (None, None) => None,
        };
        if let (Some(ext), Some(c)) = (&extent, current) {
            if !ext.contains(c) {
                outside[i] = true;
                report.outside_extent += 1;
                continue;
            }
        }
        if let (Some(names), Some(c)) = (&names, current) {
            let given = names.get(i).unwrap_or("");
            let expected = geo.former(k).map(|f| f.name.as_str()).filter(|n| !n.is_empty() && geo.get(k).is_none());
            let expected = expected.map(String::from).unwrap_or_else(|| geo.name(c));
            if !same_name(given, &expected) {
                problems.push(problem(
                    Some(line),
                    src.name_column.as_deref(),
                    format!(
                        "le nom « {} » ne correspond pas au code « {k} », qui désigne {expected} dans la géographie : code et nom de deux territoires différents ?",
                        shorten(given, 60)
                    ),
                ));
                continue;
            }
        }
        match (geo.get(k), geo.former(k)) {
            (Some(t), _) => {
                if t.level == crate::geo::Level::Arrondissement {
                    report.arrondissements.push((line, k.to_string()));
                }
            }
            (None, Some(f)) => {
                report.carried.push(Carried {
                    line,
                    code: k.to_string(),
                    kind: f.kind,
                    commune: f.commune.clone(),
                });
                territory[i] = f.commune.as_str();
            }
            (None, None) => {
                problems.push(problem(
                    Some(line),
                    Some(&key),
                    format!(
                        "code territoire « {} » inconnu de la géographie du jeu de données (ni commune actuelle, ni commune déléguée ou associée, ni ancien code, ni arrondissement municipal)",
                        shorten(&k.replace(['\n', '\r'], " "), 60)
                    ),
                ));
                continue;
            }
        }
        if let Some(first) = seen.insert((k, year), i) {
            let when = year.map(|y| format!(" pour {y}")).unwrap_or_default();
            let identical = duplicates == manifest::Duplicates::Identical;
            if duplicates == manifest::Duplicates::Sum {
                summed[first] = true;
                summed[i] = true;
                report.summed += 1;
            } else if identical && same_row(&raw, first, i)? {
                repeated[i] = true;
                report.identical.push((line, lines[first]));
            } else {
                let hint = if identical {
                    " avec d'autres valeurs"
                } else {
                    " (si le fichier répète des lignes identiques, déclarez duplicates = \"identical\")"
                };
                problems.push(problem(
                    Some(line),
                    Some(&key),
                    format!(
                        "code territoire « {k} » en double{when} (déjà ligne {}){hint}",
                        lines[first]
                    ),
                ));
            }
        }
    }
    // A current commune whose file rows include a former code is rebuilt
    // from all of its rows (its own code then stands for one piece only).
    let rebuilt: std::collections::BTreeSet<&str> =
        report.carried.iter().map(|c| c.commune.as_str()).collect();
    report.rebuilt = rebuilt.len();
    let combine = !rebuilt.is_empty() || report.summed > 0;

    // Mapped variables must be declared; their columns must exist.
    let mut needed: Vec<String> = vec![];
    let mut mappings = vec![];
    // A vintage read in rows gives one mapping per vintage kept.
    let from_profile: Vec<manifest::Mapping> = from_profile?
        .unwrap_or_default()
        .into_iter()
        .flat_map(|r| {
            let vintages = match r.vintage {
                Some(v) => vec![v],
                None => kept_years.clone().unwrap_or_default(),
            };
            vintages.into_iter().map(move |vintage| manifest::Mapping {
                variable: r.variable.clone(),
                vintage,
                expr: r.expr.clone(),
                note: None,
            })
        })
        .collect();
    if profile.is_some() && from_profile.is_empty() && src.variables.is_empty() {
        problems.push(problem(
            None,
            None,
            "aucune colonne du fichier ne correspond au profil".into(),
        ));
    }
    let mut mapped_once: HashMap<(&str, i32), &str> = HashMap::new();
    for m in from_profile.iter().chain(&src.variables) {
        if let Some(first) = mapped_once.insert((m.variable.as_str(), m.vintage), m.expr.as_str()) {
            problems.push(problem(
                None,
                None,
                format!(
                    "la variable « {} » ({}) est lue deux fois dans cette source (« {first} » et « {} ») : laquelle garder ?",
                    m.variable, m.vintage, m.expr
                ),
            ));
            continue;
        }
        if catalog.variable(&m.variable).is_none() {
            problems.push(problem(
                None,
                None,
                format!(
                    "la variable « {} » n'est pas déclarée dans indicators/variables.toml",
                    m.variable
                ),
            ));
            continue;
        }
        let is_count = catalog
            .variable(&m.variable)
            .is_some_and(|v| v.kind == VariableKind::Count);
        if duplicates == manifest::Duplicates::Sum && !is_count {
            problems.push(problem(
                None,
                None,
                format!(
                    "duplicates = \"sum\" additionne les lignes d'un territoire : seuls des effectifs peuvent être lus, or « {} » n'en est pas un",
                    m.variable
                ),
            ));
            continue;
        }
        let ops = match crate::catalog::formula_operands(&m.expr) {
            Ok(ops) => ops,
            Err(e) => {
                problems.push(problem(
                    None,
                    None,
                    format!("expression « {} » illisible : {e}", m.expr),
                ));
                continue;
            }
        };
        for op in &ops {
            if !columns.contains(op) {
                problems.push(problem(
                    None,
                    Some(op),
                    format!(
                        "colonne absente du fichier (attendue pour la variable « {} »)",
                        m.variable
                    ),
                ));
            } else if !needed.contains(op) {
                needed.push(op.clone());
            }
        }
        mappings.push((m, ops, is_count));
    }
    for c in &src.changes {
        for vintage in [c.from, c.to] {
            if !mapped_once.contains_key(&(c.variable.as_str(), vintage)) {
                problems.push(problem(
                    None,
                    Some(&c.column),
                    format!(
                        "[[source.change]] : la variable « {} » n'est pas lue pour {vintage} dans cette source ; l'évolution publiée se vérifie sur les deux millésimes d'une même ligne",
                        c.variable
                    ),
                ));
            }
        }
        if row_years.is_some() {
            problems.push(problem(None, Some(&c.column), "[[source.change]] : les millésimes doivent être des colonnes d'une même ligne, non des lignes (vintage_column)".into()));
        }
        if !columns.contains(&c.column) {
            problems.push(problem(None, Some(&c.column), "colonne absente du fichier (attendue pour une évolution publiée, [[source.change]])".into()));
        } else if !needed.contains(&c.column) {
            needed.push(c.column.clone());
        }
    }
    if problems.len() > before {
        return Ok(None);
    }

    // Typed value and status columns for every column read; rows repeating
    // an earlier one identically left out.
    let piece = territory
        .iter()
        .zip(&summed)
        .map(|(t, s)| *s || rebuilt.contains(t));
    let piece = Column::new(PIECE.into(), piece.collect::<Vec<bool>>());
    let territory = Column::new(schema::TERRITORY_CODE.into(), &territory);
    let mut frame = raw;
    frame.with_column(territory)?;
    frame.with_column(piece)?;
    if let Some(years) = &row_years {
        frame.with_column(Column::new(ROW_VINTAGE.into(), years))?;
    }
    let unique: Vec<bool> = repeated
        .iter()
        .zip(&outside)
        .map(|(r, o)| !r && !o)
        .collect();
    let mut frame = retain_flagged(frame, &mut lines, &unique)?;
    frame.with_column(Column::new(
        "line".into(),
        lines.iter().map(|&l| l as IdxSize).collect::<Vec<_>>(),
    ))?;
    let t = crate::timing::stage("    nombres");
    let columns: Vec<(&String, StringChunked)> = needed
        .iter()
        .map(|c| Ok((c, frame.column(c)?.str()?.clone())))
        .collect::<Result<_>>()?;
    use rayon::prelude::*;
    let typed: Vec<Parsed> = columns
        .par_iter()
        .map(|(c, texts)| parse_column(c, texts, &dialect, &src.values))
        .collect();
    let mut parsed = frame;
    for p in &typed {
        parsed.with_column(p.value.clone().into_column())?;
        parsed.with_column(p.status.clone().into_column())?;
    }
    drop(t);
    let lines = parsed.column("line")?.idx()?.clone();
    for ((c, texts), p) in columns.iter().zip(&typed) {
        // Sequential iterators (row indexing searches the chunk each time).
        for ((bad, line), text) in p.bad.iter().zip(lines.iter()).zip(texts.iter()) {
            if let Some(why) = bad {
                problems.push(problem(
                    line.map(|l| l as usize),
                    Some(c),
                    why.message(text.unwrap_or(""), &dialect),
                ));
            }
        }
    }
    if problems.len() > before {
        return Ok(None);
    }
    let lf = parsed.lazy();

    let mut outputs = vec![];
    // The mapped values with their lines, for the published changes.
    let mut by_vintage: HashMap<(&str, i32), DataFrame> = HashMap::new();
    for (m, ops, is_count) in &mappings {
        let (value, status) = evaluate(&m.expr, ops)?;
        let rows = match &row_years {
            Some(_) => lf.clone().filter(col(ROW_VINTAGE).eq(lit(m.vintage))),
            None => lf.clone(),
        };
        let mapped = rows
            .select([
                col(schema::TERRITORY_CODE),
                lit(m.variable.as_str()).alias(schema::VARIABLE),
                lit(m.vintage).alias(schema::VINTAGE),
                value.alias(schema::VALUE),
                status.cast(DataType::UInt32).alias(schema::STATUS),
                lit(src.id.as_str()).alias("source"),
                col("line"),
                col(PIECE),
            ])
            .collect()?;
        check_range(&mapped, m, catalog, &file, problems)?;
        if src.changes.iter().any(|c| c.variable == m.variable && (c.from == m.vintage || c.to == m.vintage)) {
            by_vintage.insert((m.variable.as_str(), m.vintage), mapped.clone());
        }
        let mapped = mapped.drop("line")?;
        outputs.push(if !combine {
            mapped.drop(PIECE)?.lazy()
        } else {
            rebuild_communes(mapped, *is_count)?
        });
    }
    if problems.len() > before || outputs.is_empty() {
        return Ok(None);
    }
    for c in &src.changes {
        let (Some(a), Some(b)) = (by_vintage.get(&(c.variable.as_str(), c.from)), by_vintage.get(&(c.variable.as_str(), c.to)))
        else {
            continue;
        };
        let (value, status) = evaluate(&format!("\"{}\"", c.column.replace('"', "\"\"")), std::slice::from_ref(&c.column))?;
        let published = lf.clone().select([value.alias(schema::VALUE), status.alias(schema::STATUS)]).collect()?;
        let texts = columns.iter().find(|(n, _)| **n == c.column).map(|(_, t)| t.clone());
        report.published.extend(published_changes(c, a, b, &published, texts.as_ref())?);
    }
    Ok(Some((concat(outputs, UnionArgs::default())?.collect()?, report)))
}

/// The rows whose published change (`published`, row by row with the
/// mapped frames `a` at `from` and `b` at `to`) disagrees with the change
/// recomputed from the two values, at the published rounding.
fn published_changes(
    c: &manifest::PublishedChangeConf,
    a: &DataFrame,
    b: &DataFrame,
    published: &DataFrame,
    texts: Option<&StringChunked>,
) -> Result<Vec<PublishedChange>> {
    let f = |df: &DataFrame, n: &str| -> Result<Float64Chunked> { Ok(df.column(n)?.f64()?.clone()) };
    let st = |df: &DataFrame| -> Result<UInt32Chunked> { Ok(df.column(schema::STATUS)?.cast(&DataType::UInt32)?.u32()?.clone()) };
    let (va, vb, vp) = (f(a, schema::VALUE)?, f(b, schema::VALUE)?, f(published, schema::VALUE)?);
    let (sa, sb, sp) = (st(a)?, st(b)?, st(published)?);
    let codes = a.column(schema::TERRITORY_CODE)?.str()?.clone();
    let lines = a.column("line")?.idx()?.clone();
    let ok = Some(Status::Ok.code());
    let mut out = vec![];
    for i in 0..a.height() {
        let (Some(x), Some(y), Some(p)) = (va.get(i), vb.get(i), vp.get(i)) else { continue };
        if sa.get(i) != ok || sb.get(i) != ok || sp.get(i) != ok {
            continue;
        }
        let recomputed = if c.relative {
            if x == 0.0 {
                continue;
            }
            100.0 * (y - x) / x
        } else {
            y - x
        };
        // The published rounding: the decimals the cell is written with.
        let text = texts.and_then(|t| t.get(i)).unwrap_or("");
        let half = 0.5 * 10f64.powi(-i32::from(written_decimals(text)));
        if (recomputed - p).abs() > half + 1e-9 {
            out.push(PublishedChange {
                line: lines.get(i).unwrap_or(0) as usize,
                column: c.column.clone(),
                territory_code: codes.get(i).unwrap_or("").to_string(),
                variable: c.variable.clone(),
                from: c.from,
                to: c.to,
                value_from: x,
                value_to: y,
                published: p,
                published_text: text.trim().to_string(),
                recomputed,
                relative: c.relative,
            });
        }
    }
    Ok(out)
}

/// Whether a file's name of a territory is the reference's: accents, case
/// and punctuation aside, and a final note in brackets (« Guadeloupe
/// (données 2017) ») left out.
fn same_name(given: &str, expected: &str) -> bool {
    let given = given.trim();
    let given = match given.strip_suffix(')').and_then(|g| g.rfind('(').map(|i| &g[..i])) {
        Some(before) if !before.trim().is_empty() => before,
        _ => given,
    };
    crate::geo::normalize(given) == crate::geo::normalize(expected)
}

/// Internal column: the row is one piece of a current commune rebuilt from
/// the codes of an older geography.
const PIECE: &str = "#piece";

/// The rows of one variable and vintage, each rebuilt commune's pieces made
/// into one row: a count is their sum when every piece has a value (else
/// the worst status: secret, missing); any other kind is carried only from
/// a single piece (a code that changed), never summed: `not_aggregable`.
fn rebuild_communes(mapped: DataFrame, is_count: bool) -> Result<LazyFrame> {
    let whole = mapped.clone().lazy().filter(col(PIECE).not());
    let ok = Status::Ok.lit();
    let status = if is_count {
        col("worst")
    } else {
        when(col("n").eq(lit(1)))
            .then(col("worst"))
            .otherwise(Status::NotAggregable.lit())
    };
    let value = if is_count { col("sum") } else { col("first") };
    let rebuilt = mapped
        .lazy()
        .filter(col(PIECE))
        .group_by_stable([col(schema::TERRITORY_CODE), col(schema::VARIABLE), col(schema::VINTAGE), col("source")])
        .agg([
            col(schema::VALUE).sum().alias("sum"),
            col(schema::VALUE).first().alias("first"),
            col(schema::STATUS).max().alias("worst"),
            len().alias("n"),
        ])
        .with_column(status.alias(schema::STATUS))
        .select([
            col(schema::TERRITORY_CODE),
            col(schema::VARIABLE),
            col(schema::VINTAGE),
            when(col(schema::STATUS).eq(ok))
                .then(value)
                .otherwise(lit(NULL).cast(DataType::Float64))
                .alias(schema::VALUE),
            col(schema::STATUS),
            col("source"),
        ]);
    Ok(concat(
        [whole.drop(by_name([PIECE], true, false)), rebuilt],
        UnionArgs::default(),
    )?)
}

/// The month of a date cell: « 2021-12-31 » (as workbook dates read),
/// « 31/12/2021 », « 12/2021 ».
fn month_of(text: &str) -> Option<u32> {
    let text = text.split([' ', 'T']).next()?;
    let parts: Vec<&str> = text.split(['-', '/']).collect();
    let month = match parts.as_slice() {
        [y, m, _] if y.len() == 4 => m,
        [_, m, y] if y.len() == 4 => m,
        [m, y] if y.len() == 4 => m,
        _ => return None,
    };
    month.parse().ok().filter(|m| (1..=12).contains(m))
}

/// Whether rows `a` and `b` hold the same text in every column read.
fn same_row(raw: &DataFrame, a: usize, b: usize) -> Result<bool> {
    for c in raw.columns() {
        let c = c.str()?;
        if c.get(a).map(str::trim) != c.get(b).map(str::trim) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Unsets the flag of the rows whose `keep_rows` columns do not all hold
/// one of their accepted values (cells trimmed).
fn select_rows(
    raw: &DataFrame,
    keep: &std::collections::BTreeMap<String, crate::catalog::OneOrMany>,
    mask: &mut [bool],
) -> Result<()> {
    for (column, accepted) in keep {
        let accepted = accepted.as_slice();
        for (m, cell) in mask.iter_mut().zip(raw.column(column)?.str()?.iter()) {
            let cell = cell.unwrap_or("").trim();
            *m &= accepted.iter().any(|a| a.trim() == cell);
        }
    }
    Ok(())
}

/// The rows of `frame` whose flag is set, and their lines (unchanged, no
/// copy, when every flag is).
fn retain_flagged(frame: DataFrame, lines: &mut Vec<usize>, keep: &[bool]) -> Result<DataFrame> {
    if keep.iter().all(|k| *k) {
        return Ok(frame);
    }
    let mut k = keep.iter();
    lines.retain(|_| *k.next().unwrap_or(&false));
    Ok(frame.filter(&BooleanChunked::from_iter_values("".into(), keep.iter().copied()))?)
}

/// The decimals a number is written with (« -6,8 » → 1, « -15 » → 0).
pub fn written_decimals(text: &str) -> u8 {
    text.trim().rsplit_once([',', '.']).map_or(0, |(_, d)| d.chars().take_while(char::is_ascii_digit).count() as u8)
}

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

/// Builds a problem of the current file at a line and column.
type ProblemAt<'a> = dyn Fn(Option<usize>, Option<&str>, String) -> DataProblem + 'a;

/// Internal column of each row's vintage, read from the vintage column.
const ROW_VINTAGE: &str = "#vintage";

/// The year of every row of a file that stacks vintages in rows: the first
/// four-digit year (19xx, 20xx) of the cell, so that "2021", "31/12/2021" and
/// "2021-12-31" all read 2021. Unreadable cells are problems; None if any.
fn row_vintages(
    raw: &DataFrame,
    column: &str,
    lines: &[usize],
    problem: &ProblemAt,
    problems: &mut Vec<DataProblem>,
) -> Result<Option<Vec<Option<i32>>>> {
    let Ok(cells) = raw.column(column) else {
        problems.push(problem(
            None,
            Some(column),
            "colonne des millésimes absente du fichier".into(),
        ));
        return Ok(None);
    };
    let cells = cells.str()?.clone();
    let mut years = Vec::with_capacity(cells.len());
    let before = problems.len();
    for (i, cell) in cells.iter().enumerate() {
        let text = cell.unwrap_or("").trim();
        let year = text
            .as_bytes()
            .windows(4)
            .enumerate()
            .find(|(at, w)| {
                w.iter().all(u8::is_ascii_digit)
                    && (w.starts_with(b"19") || w.starts_with(b"20"))
                    && !text.as_bytes().get(at + 4).is_some_and(u8::is_ascii_digit)
                    && !(*at > 0 && text.as_bytes()[at - 1].is_ascii_digit())
            })
            .and_then(|(at, _)| text[at..at + 4].parse::<i32>().ok());
        if year.is_none() {
            problems.push(problem(
                lines.get(i).copied(),
                Some(column),
                format!("millésime « {} » illisible : une année (2021) ou une date (31/12/2021) est attendue", shorten(text, 40)),
            ));
        }
        years.push(year);
    }
    Ok((problems.len() == before).then_some(years))
}

/// Plausibility of mapped values: rates and shares within 0-100, counts not
/// negative.
fn check_range(
    mapped: &DataFrame,
    m: &manifest::Mapping,
    catalog: &Catalog,
    file: &str,
    problems: &mut Vec<DataProblem>,
) -> Result<()> {
    let Some(kind) = catalog.variable(&m.variable).map(|v| v.kind) else {
        return Ok(());
    };
    let (lo, hi, expected) = match kind {
        VariableKind::Rate => (0.0, 100.0, "un taux entre 0 et 100"),
        VariableKind::Count => (0.0, f64::INFINITY, "un effectif positif ou nul"),
        _ => return Ok(()),
    };
    let values = mapped.column(schema::VALUE)?.f64()?.clone();
    let lines = mapped.column("line")?.idx()?.clone();
    for (v, line) in values.iter().zip(lines.iter()) {
        if let Some(v) = v {
            if v < lo || v > hi {
                problems.push(DataProblem {
                    file: file.to_string(),
                    line: line.map(|l| l as usize),
                    column: Some(m.expr.clone()),
                    message: format!(
                        "valeur {} pour « {} » ({}) : {expected} est attendu",
                        crate::fr::number(v, 2),
                        m.variable,
                        m.vintage
                    ),
                });
            }
        }
    }
    Ok(())
}


/// A text column parsed: values (null unless ok), statuses, and why cells
/// are unreadable.
struct Parsed {
    value: Float64Chunked,
    status: UInt32Chunked,
    bad: Vec<Option<Unreadable>>,
}

/// Why a cell is not read as a value: never silently absent or another
/// number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unreadable {
    /// Not a number, nor a marker.
    NotANumber,
    /// NaN, an infinity, or beyond the range of reals (1e309).
    NotFinite,
    /// « 15.760 » in a file with a decimal comma: thousands or decimals?
    Ambiguous,
}

impl Unreadable {
    fn message(self, text: &str, d: &manifest::ResolvedDialect) -> String {
        let text = shorten(text, 60);
        match self {
            Unreadable::NotANumber => format!(
                "valeur « {text} » illisible : nombre attendu (décimale « {} »), ou marqueur de secret ({}) ou d'absence ({})",
                d.decimal,
                d.secret.join(", "),
                d.missing.join(", ")
            ),
            Unreadable::NotFinite => format!(
                "valeur « {text} » : un nombre fini est attendu (NaN, l'infini et les nombres au-delà de 1,8 × 10^308 ne sont pas des valeurs)"
            ),
            Unreadable::Ambiguous => format!(
                "valeur « {text} » ambiguë : la décimale déclarée est « {} », le point y sépare-t-il les milliers ou les décimales ? Si le fichier écrit ses décimales avec un point, déclarez decimal = \".\" pour cette source",
                d.decimal
            ),
        }
    }
}

/// « 15.760 », « 1.234.567 »: digits grouped by three after points, read
/// with a decimal comma.
fn thousands_with_points(cleaned: &str) -> bool {
    let digits = cleaned.strip_prefix('-').unwrap_or(cleaned);
    let mut groups = digits.split('.');
    let first = groups.next().unwrap_or("");
    let rest: Vec<&str> = groups.collect();
    !rest.is_empty()
        && (1..=3).contains(&first.len())
        && first.bytes().all(|b| b.is_ascii_digit())
        && rest.iter().all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()))
}

/// Parses one text column: trimmed cells; secrecy and absence markers;
/// thousands separators (space, no-break, narrow no-break), `€`, `%` and `+`
/// removed; the dialect's decimal separator; explicit `values` for given
/// texts; numbers read as polars reads them (fast_float2).
fn parse_column(
    name: &str,
    texts: &StringChunked,
    d: &manifest::ResolvedDialect,
    values: &std::collections::BTreeMap<String, f64>,
) -> Parsed {
    let n = texts.len();
    let mut value = PrimitiveChunkedBuilder::<Float64Type>::new(name.into(), n);
    let mut status = Vec::with_capacity(n);
    let mut bad = Vec::with_capacity(n);
    let mut cleaned = String::new();
    let blank_is_secret = d.secret.iter().any(|m| m.trim().is_empty());
    for cell in texts.iter() {
        let text = cell.map(str::trim);
        let (x, st, unreadable) = match text {
            Some(t) if d.secret.iter().any(|m| m == t) => (None, Status::Secret, None),
            None if blank_is_secret => (None, Status::Secret, None),
            None => (None, Status::Missing, None),
            Some(t) if t.is_empty() || d.missing.iter().any(|m| m == t) => {
                (None, Status::Missing, None)
            }
            Some(t) => match values.get(t) {
                Some(v) => (Some(*v), Status::Ok, None),
                None => {
                    cleaned.clear();
                    let mut decimal_seen = false;
                    for ch in t.chars() {
                        match ch {
                            ' ' | '\u{202F}' | '\u{A0}' | '€' | '%' | '+' => {}
                            c if c == d.decimal => {
                                decimal_seen = true;
                                cleaned.push('.');
                            }
                            c => cleaned.push(c),
                        }
                    }
                    let read = fast_float2::parse::<f64, _>(cleaned.as_bytes()).ok();
                    // Points in a decimal-comma number, grouping digits by
                    // three: thousands (15 760) or decimals (15,76)?
                    let ambiguous =
                        d.decimal != '.' && !decimal_seen && thousands_with_points(&cleaned);
                    let why = match read {
                        _ if ambiguous => Some(Unreadable::Ambiguous),
                        None => Some(Unreadable::NotANumber),
                        Some(x) if !x.is_finite() => Some(Unreadable::NotFinite),
                        Some(_) => None,
                    };
                    (read.filter(|_| why.is_none()), Status::Ok, why)
                }
            },
        };
        value.append_option(x);
        status.push(st.code());
        bad.push(unreadable);
    }
    Parsed {
        value: value.finish(),
        status: UInt32Chunked::from_vec(status_column(name).into(), status),
        bad,
    }
}

fn check_duplicates(frame: &DataFrame, problems: &mut Vec<DataProblem>) -> Result<()> {
    // Each source gives a territory once per variable and vintage (checked
    // when read): only a (variable, vintage) given by two sources can hold
    // duplicates. The rows come in runs of one source, variable and vintage:
    // the runs are found in one pass, then only the codes of the runs of
    // such pairs are compared.
    let (sources, variables, vintages) = (
        frame.column("source")?.str()?,
        frame.column(schema::VARIABLE)?.str()?,
        frame.column(schema::VINTAGE)?.i32()?,
    );
    type Pair<'a> = (&'a str, Option<i32>);
    let mut runs: Vec<(usize, Pair, &str)> = vec![];
    let mut run = None;
    for (row, ((s, v), y)) in sources
        .iter()
        .zip(variables.iter())
        .zip(vintages.iter())
        .enumerate()
    {
        let key = (s.unwrap_or(""), v.unwrap_or(""), y);
        if run != Some(key) {
            run = Some(key);
            runs.push((row, (key.1, key.2), key.0));
        }
    }
    let mut first_source: HashMap<Pair, &str> = HashMap::new();
    let mut suspect: Vec<Pair> = vec![];
    for &(_, pair, source) in &runs {
        if *first_source.entry(pair).or_insert(source) != source {
            suspect.push(pair);
        }
    }
    suspect.sort_unstable();
    suspect.dedup();
    let codes = frame.column(schema::TERRITORY_CODE)?.str()?;
    // (code, variable, vintage) → the sources giving it, for suspect pairs.
    let mut given: std::collections::BTreeMap<(&str, &str, Option<i32>), Vec<&str>> =
        Default::default();
    let in_suspect: Vec<bool> = runs
        .iter()
        .map(|r| suspect.binary_search(&r.1).is_ok())
        .collect();
    let mut k = 0;
    for (row, code) in codes.iter().enumerate() {
        while k + 1 < runs.len() && runs[k + 1].0 <= row {
            k += 1;
        }
        if let (true, Some(code)) = (in_suspect[k], code) {
            let (_, (variable, vintage), source) = runs[k];
            given
                .entry((code, variable, vintage))
                .or_default()
                .push(source);
        }
    }
    for ((code, variable, vintage), mut sources) in given {
        if sources.len() < 2 {
            continue;
        }
        sources.sort_unstable();
        sources.dedup();
        problems.push(DataProblem {
            file: sources.join(", "),
            line: None,
            column: None,
            message: format!(
                "la variable « {variable} » ({}) du territoire « {code} » est fournie plusieurs fois",
                vintage.map(|y| y.to_string()).unwrap_or_default(),
            ),
        });
    }
    Ok(())
}

/// A part cannot exceed its whole: for every count declared `part_of`
/// another (variables.toml), its value must not exceed the whole's.
fn check_shares(
    frame: &DataFrame,
    catalog: &Catalog,
    geo: &Geography,
    problems: &mut Vec<DataProblem>,
) -> Result<()> {
    let mut pairs: Vec<(String, String)> = catalog
        .variables
        .iter()
        .flat_map(|v| v.part_of.iter().map(|w| (v.id.clone(), w.clone())))
        .collect();
    pairs.sort();
    pairs.dedup();
    if pairs.is_empty() {
        return Ok(());
    }
    let mut involved: Vec<&str> = pairs
        .iter()
        .flat_map(|(a, b)| [a.as_str(), b.as_str()])
        .collect();
    involved.sort_unstable();
    involved.dedup();
    let position: HashMap<&str, usize> =
        involved.iter().enumerate().map(|(k, v)| (*v, k)).collect();
    // The runs of rows of each involved variable, found in one pass (the
    // rows come in runs of one variable: one look-up per run).
    let variables = frame.column(schema::VARIABLE)?.str()?;
    let mut runs: Vec<Vec<(usize, usize)>> = vec![vec![]; involved.len()];
    let mut run: (&str, Option<usize>, usize) = ("", None, 0);
    let mut close = |run: (&str, Option<usize>, usize), end: usize| {
        if let Some(k) = run.1 {
            runs[k].push((run.2, end));
        }
    };
    for (row, v) in variables.iter().enumerate() {
        let v = v.unwrap_or("");
        if row == 0 || v != run.0 {
            close(run, row);
            run = (v, position.get(v).copied(), row);
        }
    }
    close(run, frame.height());
    let vintages = vintages_of(frame)?;
    let (nt, ny) = (geo.territories().len(), vintages.len());
    // One dense (territory, vintage) table of published values per involved
    // variable (NaN: none) with each value's row, built in parallel: each
    // pair is then compared cell by cell rather than joined on (code,
    // vintage) strings.
    let ok = Status::Ok.code();
    use rayon::prelude::*;
    let tables: Vec<(Vec<f64>, Vec<u32>)> = runs
        .par_iter()
        .map(|runs| -> Result<(Vec<f64>, Vec<u32>)> {
            let mut values = vec![f64::NAN; nt * ny];
            let mut rows = vec![0u32; nt * ny];
            for &(start, end) in runs {
                let part = frame.slice(start as i64, end - start);
                let cells = part
                    .column(schema::TERRITORY_CODE)?
                    .str()?
                    .iter()
                    .zip(part.column(schema::VINTAGE)?.i32()?.iter())
                    .zip(part.column(schema::VALUE)?.f64()?.iter())
                    .zip(part.column(schema::STATUS)?.u32()?.iter());
                for (row, (((t, y), x), s)) in cells.enumerate() {
                    let (Some(t), Some(y), Some(x), Some(s)) = (t, y, x, s) else {
                        continue;
                    };
                    let (Some(t), Ok(slot)) = (geo.position(t), vintages.binary_search(&y)) else {
                        continue;
                    };
                    if s == ok {
                        values[t * ny + slot] = x;
                        rows[t * ny + slot] = (start + row) as u32;
                    }
                }
            }
            Ok((values, rows))
        })
        .collect::<Result<_>>()?;
    let (sources, territories) = (frame.column("source")?.str()?, geo.territories());
    for (a, b) in &pairs {
        let ((num, rows), (den, _)) =
            (&tables[position[a.as_str()]], &tables[position[b.as_str()]]);
        // Cells in territory order; reported by code, then vintage.
        let mut bad: Vec<(&str, i32, f64, f64, u32)> = num
            .iter()
            .zip(den)
            .enumerate()
            .filter(|(_, (n, d))| n > d)
            .map(|(cell, (n, d))| {
                let code = territories[cell / ny].code.as_str();
                (code, vintages[cell % ny], *n, *d, rows[cell])
            })
            .collect();
        bad.sort_by(|x, y| x.0.cmp(y.0).then(x.1.cmp(&y.1)));
        for (code, vintage, n, d, row) in bad {
            problems.push(DataProblem {
                file: format!("source « {} »", sources.get(row as usize).unwrap_or("")),
                line: None,
                column: None,
                message: format!(
                    "{} ({code}), {vintage} : « {a} » = {} dépasse « {b} » = {} ; une partie ne peut excéder le tout",
                    geo.name(code),
                    crate::fr::number(n, 0),
                    crate::fr::number(d, 0)
                ),
            });
        }
    }
    Ok(())
}

/// Loads the manifest, catalogue and geography of a dataset directory.
pub fn open_dataset(dataset: &Path, catalog_dir: &Path) -> Result<(Manifest, Catalog, Geography)> {
    let manifest = Manifest::load(dataset)?;
    let local: Vec<_> = manifest
        .geography
        .local
        .iter()
        .map(|p| manifest.path(p))
        .collect();
    // Independent: loaded in parallel (terminal queries wait for both).
    let (catalog, geo) = rayon::join(
        || {
            let _t = crate::timing::stage("  catalogue");
            Catalog::load(catalog_dir)
        },
        || {
            let _t = crate::timing::stage("  géographie");
            Geography::load(&manifest.national_geography()?, &local)
        },
    );
    let (mut catalog, geo) = (catalog?, geo?);
    let mut problems = vec![];
    for (id, text) in &manifest.indicator_texts {
        match catalog.indicators.iter_mut().find(|i| &i.id == id) {
            Some(ind) => {
                if let Some(s) = &text.source {
                    ind.source.clone_from(s);
                }
                if let Some(d) = &text.definition {
                    ind.definition.clone_from(d);
                }
            }
            None => problems.push(DataProblem {
                file: manifest.dir.join("dataset.toml").display().to_string(),
                line: None,
                column: None,
                message: format!("[indicator.{id}] : indicateur absent du catalogue"),
            }),
        }
    }
    let manifest_file = manifest.dir.join("dataset.toml").display().to_string();
    use crate::catalog::steering;
    for id in manifest.dataset.key_figures.iter().filter(|id| catalog.indicator(id).is_none()) {
        problems.push(DataProblem {
            file: manifest_file.clone(),
            line: None,
            column: None,
            message: format!("[dataset] key_figures : indicateur « {id} » absent du catalogue"),
        });
    }
    for message in steering::problems(&manifest.alerts, &manifest.targets, &catalog) {
        problems.push(DataProblem { file: manifest_file.clone(), line: None, column: None, message });
    }
    let named = steering::named_territories(manifest.alerts.iter().chain(&catalog.alerts), &manifest.targets);
    for code in std::iter::once(&manifest.dataset.territory)
        .chain(std::iter::once(&manifest.dataset.reference))
        .chain(&manifest.dataset.references)
        .chain(&manifest.dataset.scope)
        .chain(&named)
    {
        if geo.get(code).is_none() {
            problems.push(DataProblem {
                file: manifest.dir.join("dataset.toml").display().to_string(),
                line: None,
                column: None,
                message: format!("territoire de référence « {code} » absent de la géographie"),
            });
        }
    }
    fail_with(&problems)?;
    Ok((manifest, catalog, geo))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_parse_with_the_dialect() {
        let dialect = manifest::ResolvedDialect {
            delimiter: None,
            decimal: ',',
            secret: vec!["s".into(), "nd".into()],
            missing: vec!["-".into()],
        };
        let values = [("moins de 5".to_string(), 2.5)].into_iter().collect();
        let texts = StringChunked::from_iter_options(
            "x".into(),
            [
                Some(" 1 234,5 "),
                Some("12\u{202F}000\u{A0}€"),
                Some("+3,5 %"),
                Some("nd"),
                Some("-"),
                Some(""),
                None,
                Some("moins de 5"),
                Some("mille"),
                Some("1.5"),
                Some("NaN"),
                Some("1e309"),
                Some("-inf"),
                Some("15.760 €"),
                Some("1.234.567"),
                Some("1.2345"),
                Some("145,415"),
            ]
            .into_iter(),
        );
        let p = parse_column("x", &texts, &dialect, &values);
        let (ok, missing, secret) = (
            Status::Ok.code(),
            Status::Missing.code(),
            Status::Secret.code(),
        );
        assert_eq!(
            p.value.iter().collect::<Vec<_>>(),
            [
                Some(1234.5),
                Some(12000.0),
                Some(3.5),
                None,
                None,
                None,
                None,
                Some(2.5),
                None,
                // "." is not the decimal separator here, but a number all the
                // same: read as polars reads it.
                Some(1.5),
                // Never a value: not finite, or thousands or decimals?
                None,
                None,
                None,
                None,
                None,
                // Four decimals: no thousands grouping, read as written.
                Some(1.2345),
                // The declared decimal comma: three decimals, no doubt.
                Some(145.415),
            ]
        );
        assert_eq!(
            p.status.into_no_null_iter().collect::<Vec<_>>(),
            [ok, ok, ok, secret, missing, missing, missing, ok, ok, ok, ok, ok, ok, ok, ok, ok, ok]
        );
        use Unreadable::*;
        assert_eq!(
            p.bad,
            [
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                Some(NotANumber),
                None,
                Some(NotFinite),
                Some(NotFinite),
                Some(NotFinite),
                Some(Ambiguous),
                Some(Ambiguous),
                None,
                None
            ]
        );
    }
    #[test]
    fn fuzz_cell_parser() {
        // Cells of real files and their edge cases, one per line.
        let seeds = [
            crate::fuzz::seed_head("datasets/caph/sources/t05_minima_sociaux.csv", 2048),
            " 1 234,5 \n12\u{202F}000\u{A0}€\n+3,5 %\nnd\n-\n\ns\n1.5\nNaN\n1e309\n-inf\n15.760 €\n1.234.567\n145,415\n007\n-0\n"
                .as_bytes()
                .to_vec(),
        ];
        let tokens = ["nd", "s", "-", "NaN", "inf", "e308", "e-400", "1.234", ",5", "€", "%", "\u{202F}", "\u{A0}", "+", "000"];
        let values = [("moins de 5".to_string(), 2.5)].into_iter().collect();
        let counts = crate::fuzz::run("cells", &seeds, &tokens, |input| {
            let text = String::from_utf8_lossy(input);
            let cells: Vec<&str> = text.split(['\n', ';']).collect();
            let texts = StringChunked::from_iter_options("x".into(), cells.iter().map(|c| (!c.is_empty()).then_some(*c)));
            for decimal in [',', '.'] {
                let d = manifest::ResolvedDialect {
                    delimiter: None,
                    decimal,
                    secret: manifest::DEFAULT_SECRET.iter().map(|m| m.to_string()).collect(),
                    missing: vec!["-".into()],
                };
                let p = parse_column("x", &texts, &d, &values);
                assert_eq!((p.value.len(), p.status.len(), p.bad.len()), (cells.len(), cells.len(), cells.len()));
                for (i, cell) in cells.iter().enumerate() {
                    let (v, st, bad) = (p.value.get(i), p.status.get(i), p.bad[i]);
                    let t = cell.trim();
                    // A value is finite and read; an unread cell says why,
                    // or is a marker: never silently missing.
                    match (v, bad) {
                        (Some(x), None) => assert!(x.is_finite() && st == Some(Status::Ok.code()), "{cell:?} → {x}"),
                        (Some(x), Some(b)) => panic!("{cell:?} → {x} and {b:?}"),
                        (None, Some(_)) => assert_eq!(st, Some(Status::Ok.code()), "{cell:?}"),
                        (None, None) => assert!(
                            t.is_empty() || d.secret.iter().chain(&d.missing).any(|m| m == t),
                            "{cell:?} silently missing"
                        ),
                    }
                    // Plain digits read as written.
                    if !t.is_empty() && t.len() < 16 && t.bytes().all(|b| b.is_ascii_digit()) {
                        assert_eq!(v, t.parse::<f64>().ok(), "{cell:?}");
                    }
                }
            }
            crate::fuzz::Outcome::Accepted
        });
        assert!(counts.accepted > 0, "{counts:?}");
    }
}
