//! Reading one source, in the order of its steps: the file opened with its
//! dialect; the columns the mappings need; the rows selected and their
//! vintages; each row's current territory; the mappings checked; the cells
//! parsed; the mapped variables as long observations.
//!
//! Each step adds the problems it finds to those of the file and the reading
//! stops at the end of the first step that found any, so that every problem
//! of one kind is listed at once.

use anyhow::Result;
use polars::prelude::PlHashMap as HashMap;
use polars::prelude::*;

use super::cells::{parse_column, Parsed};
use super::checks::{check_range, published_changes};
use super::manifest::{self, Manifest, Resolved, ResolvedDialect, ResolvedLayout, SourceConf};
use super::problems::{DataProblem, FileProblems};
use super::read;
use super::report::{Carried, SourceReport};
use super::rows::{
    month_of, rebuild_communes, retain_flagged, row_vintages, same_name, same_row, select_rows,
    PIECE, ROW_VINTAGE,
};
use crate::catalog::{Catalog, VariableKind};
use crate::fr::shorten;
use crate::geo::Geography;
use crate::schema;
use crate::status::evaluate;

/// How a source's rows of a monthly file are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Months {
    /// The month standing for the year (`vintage_month`): vintages are years.
    OnePerYear,
    /// Every month: vintages are `yyyymm` (a monthly series).
    All,
}

/// A source read: its long observations and what reading did to its rows.
pub(super) type SourceRead = Option<(DataFrame, SourceReport)>;

/// Reads one source; every problem of the file is listed, those of lines
/// that could not be read as rows (ragged) after the others.
pub(super) fn read_source(
    manifest: &Manifest,
    src: &SourceConf,
    catalog: &Catalog,
    geo: &Geography,
    problems: &mut Vec<DataProblem>,
    months: Months,
) -> Result<SourceRead> {
    let mut bad_lines = vec![];
    let profile = src.profile.as_deref().map(|p| manifest.profile(p)).transpose()?;
    let source = Source {
        manifest,
        src,
        catalog,
        geo,
        profile: profile.as_ref(),
        dialect: manifest.dialect(src, profile.as_ref()),
        layout: manifest.layout(src, profile.as_ref()),
    };
    let path = manifest.path(&src.file);
    let mut found = FileProblems::new(path.display().to_string(), problems);
    let read = source.read(&path, &mut found, &mut bad_lines, months)?;
    if bad_lines.is_empty() {
        return Ok(read);
    }
    problems.append(&mut bad_lines);
    Ok(None)
}

/// One source and what its reading is declared with.
struct Source<'a> {
    manifest: &'a Manifest,
    src: &'a SourceConf,
    catalog: &'a Catalog,
    geo: &'a Geography,
    profile: Option<&'a manifest::Profile>,
    dialect: ResolvedDialect,
    layout: ResolvedLayout<'a>,
}

/// The columns of a file that reading needs.
struct Columns {
    /// The territory codes.
    key: String,
    /// Each row's vintage, when the file stacks vintages in rows.
    vintage: Option<String>,
    /// The profile's variables found in the file; an error in the profile
    /// is reported with the other mapping problems.
    from_profile: Result<Option<Vec<Resolved>>>,
    /// Every column read (the others are never parsed).
    read: Vec<String>,
}

/// The rows kept, with their lines in the file and vintages.
struct Rows {
    raw: DataFrame,
    lines: Vec<usize>,
    /// Each row's vintage, when read in rows.
    vintages: Option<Vec<Option<i32>>>,
}

/// Each row's current territory, and the rows to leave out or combine.
struct Territories<'k> {
    code: Vec<&'k str>,
    /// Identical to an earlier row (`duplicates = "identical"`).
    repeated: Vec<bool>,
    /// Outside the dataset's extent.
    outside: Vec<bool>,
    /// Added to the other rows of the same territory (`duplicates = "sum"`).
    summed: Vec<bool>,
}

/// The texts of the columns parsed, by name (the published changes' rounding
/// is read from them).
type Texts = Vec<(String, StringChunked)>;

/// A mapping checked: its variable declared, its columns present.
struct Mapped {
    mapping: manifest::Mapping,
    operands: Vec<String>,
    is_count: bool,
}

impl Source<'_> {
    fn read(
        &self,
        path: &std::path::Path,
        found: &mut FileProblems,
        bad_lines: &mut Vec<DataProblem>,
        months: Months,
    ) -> Result<SourceRead> {
        let src = self.src;
        let layout = read::Layout {
            delimiter: self.dialect.delimiter,
            encoding: src.encoding.clone(),
            sheet: self.layout.sheet.clone(),
            header_row: self.layout.header_row,
            header_rows: src.header_rows,
            decimal: self.dialect.decimal,
        };
        let t = crate::timing::stage("    ouverture");
        let opened = read::open(path, &layout)?;
        drop(t);
        let all = opened.columns.clone();
        let Some(columns) = self.columns(&all, found) else {
            return Ok(None);
        };
        let t = crate::timing::stage("    lecture CSV");
        let mut table = opened.read(&columns.read)?;
        drop(t);
        bad_lines.extend(
            table
                .bad_lines
                .iter()
                .map(|(line, message)| found.problem(Some(*line), None, message.clone())),
        );
        if table.frame.height() == 0 && table.bad_lines.is_empty() {
            found.push(None, None, "aucune ligne de données sous l'en-tête : le fichier est-il complet ?".into());
            return Ok(None);
        }
        let mut report = SourceReport {
            source: src.id.clone(),
            file: found.file().to_string(),
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
        let Some(rows) = self.vintages(raw, lines, columns.vintage.as_deref(), months, &mut report, found)? else {
            return Ok(None);
        };
        let Some(kept_vintages) = self.kept_vintages(&rows, columns.vintage.as_deref(), found) else {
            return Ok(None);
        };
        let keys = rows.raw.column(&columns.key)?.str()?.clone();
        // Codes written the file's own way: replaced, numbers padded.
        let normalized: Option<Vec<String>> = self.layout.recodes().then(|| {
            keys.iter()
                .map(|k| self.layout.code(k.unwrap_or("").trim()))
                .collect()
        });
        let territories = self.territories(&rows, &keys, normalized.as_deref(), &columns.key, &mut report, found)?;
        // A current commune whose file rows include a former code is rebuilt
        // from all of its rows (its own code then stands for one piece only).
        let rebuilt: std::collections::BTreeSet<&str> =
            report.carried.iter().map(|c| c.commune.as_str()).collect();
        report.rebuilt = rebuilt.len();
        let combine = !rebuilt.is_empty() || report.summed > 0;
        let Some((mappings, needed)) =
            self.mappings(columns.from_profile?, kept_vintages.as_deref(), &all, rows.vintages.is_some(), found)
        else {
            return Ok(None);
        };

        // Rows repeating an earlier one identically, or outside the extent,
        // left out; the others with their territory and line.
        let Rows { raw, mut lines, vintages } = rows;
        let piece = territories
            .code
            .iter()
            .zip(&territories.summed)
            .map(|(t, s)| *s || rebuilt.contains(t));
        let piece = Column::new(PIECE.into(), piece.collect::<Vec<bool>>());
        let mut frame = raw;
        frame.with_column(Column::new(schema::TERRITORY_CODE.into(), &territories.code))?;
        frame.with_column(piece)?;
        if let Some(years) = &vintages {
            frame.with_column(Column::new(ROW_VINTAGE.into(), years))?;
        }
        let unique: Vec<bool> = territories
            .repeated
            .iter()
            .zip(&territories.outside)
            .map(|(r, o)| !r && !o)
            .collect();
        let mut frame = retain_flagged(frame, &mut lines, &unique)?;
        frame.with_column(Column::new(
            "line".into(),
            lines.iter().map(|&l| l as IdxSize).collect::<Vec<_>>(),
        ))?;
        let Some((parsed, texts)) = self.parse(frame, &needed, found)? else {
            return Ok(None);
        };
        let by_rows = vintages.is_some();
        let Some(observations) = self.observations(parsed, &mappings, by_rows, combine, &texts, &mut report, found)? else {
            return Ok(None);
        };
        Ok(Some((observations, report)))
    }

    /// The key column, the vintage column and every column the mappings,
    /// published changes, names and row selection read.
    fn columns(&self, columns: &[String], found: &mut FileProblems) -> Option<Columns> {
        let src = self.src;
        // Key column: declared, or the first of the profile's candidates.
        let key = match (&src.key, &self.profile) {
            (Some(k), _) => k.clone(),
            (None, Some(p)) => match p.profile.key.iter().find(|k| columns.contains(k)) {
                Some(k) => k.clone(),
                None => {
                    found.push(
                        None,
                        None,
                        format!(
                            "aucune colonne de codes territoire parmi {} (profil « {} »)",
                            p.profile.key.join(", "),
                            p.profile.id
                        ),
                    );
                    return None;
                }
            },
            (None, None) => {
                found.push(None, None, "indiquez la colonne des codes territoire (key = …) ou un profil".into());
                return None;
            }
        };
        if !columns.contains(&key) {
            found.push(None, Some(&key), "colonne des codes territoire absente du fichier".into());
            return None;
        }
        // Vintage column: declared, or the first of the profile's candidates.
        let vintage = match (&src.vintage_column, &self.profile) {
            (Some(c), _) => Some(c.clone()),
            (None, Some(p)) => p.profile.vintage_column.iter().find(|c| columns.contains(c)).cloned(),
            (None, None) => None,
        };
        // The profile's spellings and vintages.
        let from_profile = self
            .profile
            .map(|p| p.resolve(columns, src.vintage, vintage.is_some()))
            .transpose();
        // Only the columns the mappings read are parsed.
        let mut read = vec![key.clone()];
        read.extend(vintage.iter().filter(|c| columns.contains(c)).cloned());
        let exprs = from_profile
            .iter()
            .flatten()
            .flatten()
            .map(|r| &r.expr)
            .chain(src.variables.iter().map(|m| &m.expr));
        for expr in exprs {
            if let Ok(ops) = crate::catalog::formula_operands(expr) {
                read.extend(ops.into_iter().filter(|o| columns.contains(o)));
            }
        }
        // The columns of published changes, checked against the values.
        read.extend(src.changes.iter().map(|c| &c.column).filter(|c| columns.contains(c)).cloned());
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
                read.push(column.clone());
            } else {
                found.push(None, Some(column), absent.into());
            }
        }
        if found.any() {
            return None;
        }
        let mut unique = std::collections::HashSet::new();
        read.retain(|c| unique.insert(c.clone()));
        Some(Columns { key, vintage, from_profile, read })
    }

    /// Each row's vintage when the file stacks them in rows; of a monthly
    /// file, the rows of the month standing for the year (or every month,
    /// their vintage `yyyymm`).
    fn vintages(
        &self,
        raw: DataFrame,
        mut lines: Vec<usize>,
        column: Option<&str>,
        months: Months,
        report: &mut SourceReport,
        found: &mut FileProblems,
    ) -> Result<Option<Rows>> {
        let mut years = match column {
            Some(vc) => match row_vintages(&raw, vc, &lines, found)? {
                Some(y) => Some(y),
                None => return Ok(None),
            },
            None => None,
        };
        let raw = match (self.layout.vintage_month, column, &mut years) {
            (Some(month), Some(vc), Some(years)) => {
                let cells = raw.column(vc)?.str()?.clone();
                let mut keep = Vec::with_capacity(cells.len());
                for (cell, line) in cells.iter().zip(&lines) {
                    let text = cell.unwrap_or("").trim();
                    match month_of(text) {
                        Some(m) => keep.push(m == month),
                        None => {
                            found.push(
                                Some(*line),
                                Some(vc),
                                format!("mois de « {} » illisible : une date (2021-12-31, 31/12/2021) est attendue (vintage_month = {month})", shorten(text, 40)),
                            );
                            keep.push(false);
                        }
                    }
                }
                if found.any() {
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
                found.push(None, None, "vintage_month demande une colonne de dates (vintage_column)".into());
                return Ok(None);
            }
            _ => raw,
        };
        Ok(Some(Rows { raw, lines, vintages: years }))
    }

    /// The vintages the rows give, ascending (None when the vintage is not
    /// read in rows); only the declared one when the source declares one,
    /// which must be among them.
    fn kept_vintages(&self, rows: &Rows, column: Option<&str>, found: &mut FileProblems) -> Option<Option<Vec<i32>>> {
        let Some(years) = &rows.vintages else {
            return Some(None);
        };
        let mut years: Vec<i32> = years.iter().flatten().copied().collect();
        years.sort();
        years.dedup();
        if let (Some(d), Some(vc)) = (self.src.vintage, column) {
            if !years.contains(&d) {
                let present: Vec<String> = years.iter().map(|y| y.to_string()).collect();
                found.push(
                    None,
                    Some(vc),
                    format!("millésime déclaré {d} absent de la colonne (millésimes présents : {})", present.join(", ")),
                );
                return None;
            }
            years = vec![d];
        }
        Some(Some(years))
    }

    /// Each row's current territory: its own code, or the commune an older
    /// geography's code belongs to; rows outside the extent, names that do
    /// not match their code and repeated rows found.
    fn territories<'k>(
        &'k self,
        rows: &Rows,
        keys: &'k StringChunked,
        normalized: Option<&'k [String]>,
        key: &str,
        report: &mut SourceReport,
        found: &mut FileProblems,
    ) -> Result<Territories<'k>> {
        let (geo, src, lines) = (self.geo, self.src, &rows.lines);
        let duplicates = self.layout.duplicates;
        let n = keys.len();
        let mut seen: HashMap<(&str, Option<i32>), usize> = HashMap::new();
        let mut out = Territories {
            code: Vec::with_capacity(n),
            repeated: vec![false; n],
            outside: vec![false; n],
            summed: vec![false; n],
        };
        let extent = geo.extent(&self.manifest.dataset.extent);
        let names = match &src.name_column {
            Some(c) => Some(rows.raw.column(c)?.str()?.clone()),
            None => None,
        };
        for (i, k) in keys.iter().enumerate() {
            let line = lines[i];
            let k = match normalized {
                Some(codes) => codes[i].as_str(),
                None => k.unwrap_or("").trim(),
            };
            let year = rows.vintages.as_ref().and_then(|y| y.get(i).copied().flatten());
            out.code.push(k);
            if k.is_empty() {
                found.push(Some(line), Some(key), "code territoire vide".into());
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
                    out.outside[i] = true;
                    report.outside_extent += 1;
                    continue;
                }
            }
            if let (Some(names), Some(c)) = (&names, current) {
                let given = names.get(i).unwrap_or("");
                let expected = geo.former(k).map(|f| f.name.as_str()).filter(|n| !n.is_empty() && geo.get(k).is_none());
                let expected = expected.map(String::from).unwrap_or_else(|| geo.name(c));
                if !same_name(given, &expected) {
                    found.push(
                        Some(line),
                        src.name_column.as_deref(),
                        format!(
                            "le nom « {} » ne correspond pas au code « {k} », qui désigne {expected} dans la géographie : code et nom de deux territoires différents ?",
                            shorten(given, 60)
                        ),
                    );
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
                    out.code[i] = f.commune.as_str();
                }
                (None, None) => {
                    found.push(
                        Some(line),
                        Some(key),
                        format!(
                            "code territoire « {} » inconnu de la géographie du jeu de données (ni commune actuelle, ni commune déléguée ou associée, ni ancien code, ni arrondissement municipal)",
                            shorten(&k.replace(['\n', '\r'], " "), 60)
                        ),
                    );
                    continue;
                }
            }
            let Some(first) = seen.insert((k, year), i) else {
                continue;
            };
            let identical = duplicates == manifest::Duplicates::Identical;
            if duplicates == manifest::Duplicates::Sum {
                out.summed[first] = true;
                out.summed[i] = true;
                report.summed += 1;
            } else if identical && same_row(&rows.raw, first, i)? {
                out.repeated[i] = true;
                report.identical.push((line, lines[first]));
            } else {
                let when = year.map(|y| format!(" pour {y}")).unwrap_or_default();
                let hint = if identical {
                    " avec d'autres valeurs"
                } else {
                    " (si le fichier répète des lignes identiques, déclarez duplicates = \"identical\")"
                };
                found.push(
                    Some(line),
                    Some(key),
                    format!("code territoire « {k} » en double{when} (déjà ligne {}){hint}", lines[first]),
                );
            }
        }
        Ok(out)
    }

    /// The mappings of the source (its own and its profile's, one per
    /// vintage kept when read in rows), checked: each variable read once,
    /// declared, its columns present; with every column to parse.
    fn mappings(
        &self,
        from_profile: Option<Vec<Resolved>>,
        kept_vintages: Option<&[i32]>,
        columns: &[String],
        vintages_in_rows: bool,
        found: &mut FileProblems,
    ) -> Option<(Vec<Mapped>, Vec<String>)> {
        let src = self.src;
        let from_profile: Vec<manifest::Mapping> = from_profile
            .unwrap_or_default()
            .into_iter()
            .flat_map(|r| {
                let vintages = match r.vintage {
                    Some(v) => vec![v],
                    None => kept_vintages.map(<[i32]>::to_vec).unwrap_or_default(),
                };
                vintages.into_iter().map(move |vintage| manifest::Mapping {
                    variable: r.variable.clone(),
                    vintage,
                    expr: r.expr.clone(),
                    note: None,
                })
            })
            .collect();
        if self.profile.is_some() && from_profile.is_empty() && src.variables.is_empty() {
            found.push(None, None, "aucune colonne du fichier ne correspond au profil".into());
        }
        let mut needed: Vec<String> = vec![];
        let mut mappings = vec![];
        let mut mapped_once: HashMap<(&str, i32), &str> = HashMap::new();
        for m in from_profile.iter().chain(&src.variables) {
            if let Some(first) = mapped_once.insert((m.variable.as_str(), m.vintage), m.expr.as_str()) {
                found.push(
                    None,
                    None,
                    format!(
                        "la variable « {} » ({}) est lue deux fois dans cette source (« {first} » et « {} ») : laquelle garder ?",
                        m.variable, m.vintage, m.expr
                    ),
                );
                continue;
            }
            let Some(variable) = self.catalog.variable(&m.variable) else {
                found.push(
                    None,
                    None,
                    format!("la variable « {} » n'est pas déclarée dans indicators/variables.toml", m.variable),
                );
                continue;
            };
            let is_count = variable.kind == VariableKind::Count;
            if self.layout.duplicates == manifest::Duplicates::Sum && !is_count {
                found.push(
                    None,
                    None,
                    format!(
                        "duplicates = \"sum\" additionne les lignes d'un territoire : seuls des effectifs peuvent être lus, or « {} » n'en est pas un",
                        m.variable
                    ),
                );
                continue;
            }
            let operands = match crate::catalog::formula_operands(&m.expr) {
                Ok(ops) => ops,
                Err(e) => {
                    found.push(None, None, format!("expression « {} » illisible : {e}", m.expr));
                    continue;
                }
            };
            for op in &operands {
                if !columns.contains(op) {
                    found.push(
                        None,
                        Some(op),
                        format!("colonne absente du fichier (attendue pour la variable « {} »)", m.variable),
                    );
                } else if !needed.contains(op) {
                    needed.push(op.clone());
                }
            }
            mappings.push(Mapped { mapping: m.clone(), operands, is_count });
        }
        for c in &src.changes {
            for vintage in [c.from, c.to] {
                if !mapped_once.contains_key(&(c.variable.as_str(), vintage)) {
                    found.push(
                        None,
                        Some(&c.column),
                        format!(
                            "[[source.change]] : la variable « {} » n'est pas lue pour {vintage} dans cette source ; l'évolution publiée se vérifie sur les deux millésimes d'une même ligne",
                            c.variable
                        ),
                    );
                }
            }
            if vintages_in_rows {
                found.push(None, Some(&c.column), "[[source.change]] : les millésimes doivent être des colonnes d'une même ligne, non des lignes (vintage_column)".into());
            }
            if !columns.contains(&c.column) {
                found.push(None, Some(&c.column), "colonne absente du fichier (attendue pour une évolution publiée, [[source.change]])".into());
            } else if !needed.contains(&c.column) {
                needed.push(c.column.clone());
            }
        }
        (!found.any()).then_some((mappings, needed))
    }

    /// Typed value and status columns for every column to parse, in
    /// parallel; with the texts of those columns.
    fn parse(
        &self,
        mut frame: DataFrame,
        needed: &[String],
        found: &mut FileProblems,
    ) -> Result<Option<(DataFrame, Texts)>> {
        let t = crate::timing::stage("    nombres");
        let texts: Texts = needed
            .iter()
            .map(|c| Ok((c.clone(), frame.column(c)?.str()?.clone())))
            .collect::<Result<_>>()?;
        use rayon::prelude::*;
        let typed: Vec<Parsed> = texts
            .par_iter()
            .map(|(c, texts)| parse_column(c, texts, &self.dialect, &self.src.values))
            .collect();
        for p in &typed {
            frame.with_column(p.value.clone().into_column())?;
            frame.with_column(p.status.clone().into_column())?;
        }
        drop(t);
        let lines = frame.column("line")?.idx()?.clone();
        for ((c, texts), p) in texts.iter().zip(&typed) {
            // Sequential iterators (row indexing searches the chunk each time).
            for ((bad, line), text) in p.bad.iter().zip(lines.iter()).zip(texts.iter()) {
                if let Some(why) = bad {
                    found.push(line.map(|l| l as usize), Some(c), why.message(text.unwrap_or(""), &self.dialect));
                }
            }
        }
        Ok((!found.any()).then_some((frame, texts)))
    }

    /// The long observations of every mapping; the published changes the
    /// values contradict, into the report.
    #[allow(clippy::too_many_arguments)]
    fn observations(
        &self,
        parsed: DataFrame,
        mappings: &[Mapped],
        vintages_in_rows: bool,
        combine: bool,
        texts: &[(String, StringChunked)],
        report: &mut SourceReport,
        found: &mut FileProblems,
    ) -> Result<Option<DataFrame>> {
        let src = self.src;
        let lf = parsed.lazy();
        let mut outputs = vec![];
        // The mapped values with their lines, for the published changes.
        let mut by_vintage: HashMap<(&str, i32), DataFrame> = HashMap::new();
        for Mapped { mapping: m, operands, is_count } in mappings {
            let (value, status) = evaluate(&m.expr, operands)?;
            let rows = match vintages_in_rows {
                true => lf.clone().filter(col(ROW_VINTAGE).eq(lit(m.vintage))),
                false => lf.clone(),
            };
            let mapped = rows
                .select([
                    col(schema::TERRITORY_CODE),
                    lit(m.variable.as_str()).alias(schema::VARIABLE),
                    lit(m.vintage).alias(schema::VINTAGE),
                    value.alias(schema::VALUE),
                    status.cast(DataType::UInt32).alias(schema::STATUS),
                    lit(src.id.as_str()).alias(schema::SOURCE),
                    col("line"),
                    col(PIECE),
                ])
                .collect()?;
            check_range(&mapped, m, self.catalog, found)?;
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
        if found.any() || outputs.is_empty() {
            return Ok(None);
        }
        for c in &src.changes {
            let (Some(a), Some(b)) = (by_vintage.get(&(c.variable.as_str(), c.from)), by_vintage.get(&(c.variable.as_str(), c.to)))
            else {
                continue;
            };
            let (value, status) = evaluate(&format!("\"{}\"", c.column.replace('"', "\"\"")), std::slice::from_ref(&c.column))?;
            let published = lf.clone().select([value.alias(schema::VALUE), status.alias(schema::STATUS)]).collect()?;
            let column = texts.iter().find(|(n, _)| *n == c.column).map(|(_, t)| t);
            report.published.extend(published_changes(c, a, b, &published, column)?);
        }
        Ok(Some(concat(outputs, UnionArgs::default())?.collect()?))
    }
}
