//! The barometer's French tables, built from the results: one table per
//! theme, a territory beside its references, a ranking, the catalogue.

use std::collections::{BTreeSet, HashMap};

use anyhow::Result;
use polars::prelude::*;

use crate::catalog::{Catalog, Indicator, Unit};
use crate::engine::composite::CompositeInfo;
use crate::engine::{select, ResultRow, Results};
use crate::geo::{Geography, Level};
use crate::render::table::Cell;
use crate::render::{fr, lecture, Table};
use crate::status::{Status, LEGEND_FR};

/// Each theme with its table (None: no data for it).
pub type ThemeTables<'a> = Vec<(&'a crate::catalog::Theme, Option<Table>)>;

/// What every table is built from.
pub struct View<'a> {
    pub catalog: &'a Catalog,
    pub geo: &'a Geography,
    pub results: &'a Results,
    /// Reference territories, in display order.
    pub references: &'a [String],
    /// Territories the tables and charts cover (the references always);
    /// None: every territory of the results.
    pub scope: Option<&'a polars::prelude::PlHashSet<String>>,
}

/// Rank order of result rows: the ranked ones by rank, then the unranked;
/// ties by name in French alphabetical order.
pub(crate) fn rank_order(a: &ResultRow, b: &ResultRow) -> std::cmp::Ordering {
    (a.rank.is_none(), a.rank)
        .cmp(&(b.rank.is_none(), b.rank))
        .then_with(|| crate::fr::collate(&a.territory_name, &b.territory_name))
}

fn evolution_header(ind: &Indicator, from: i32, to: i32, relative: bool) -> String {
    let unit = if relative {
        "%"
    } else if ind.unit == Unit::Index {
        "écart"
    } else {
        ind.unit.evolution_unit()
    };
    format!("Évol. {from}-{to} ({unit})")
}

/// The settings of composite indices found in `rows` (universe, reference,
/// weights), one line per index, as the composite stage gives them (a
/// territory's own drivers or missing inputs are not settings); for other
/// rows with a detail (a group total's coverage), the detail.
fn composite_notes(catalog: &Catalog, info: &CompositeInfo, rows: &[ResultRow]) -> Vec<String> {
    let mut out: Vec<String> = vec![];
    for r in rows {
        let Some(d) = &r.detail else { continue };
        let setting = info.settings.get(&r.indicator).map(String::as_str).unwrap_or(d);
        let label = catalog
            .indicator(&r.indicator)
            .map(|i| i.label.as_str())
            .unwrap_or(&r.indicator);
        let line = format!("{label} : {setting}.");
        // One line per index family (sub-indices share their index's setting).
        if !out.iter().any(|l| l.ends_with(&format!(": {setting}."))) {
            out.push(line);
        }
    }
    out
}

/// What a column of a theme table shows.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Value,
    EvolAbs,
    EvolPct,
}

/// The columns of a theme table: (indicator's position in `inds`, kind,
/// from, to) — each indicator's vintages, then its changes.
fn theme_columns(inds: &[&Indicator], rows: &[ResultRow]) -> Vec<(usize, Kind, i32, i32)> {
    let mut columns = vec![];
    for (k, ind) in inds.iter().enumerate() {
        let mine: Vec<&ResultRow> = rows.iter().filter(|r| r.indicator == ind.id).collect();
        let vintages: BTreeSet<i32> = mine.iter().filter_map(|r| r.vintage).collect();
        for v in vintages {
            columns.push((k, Kind::Value, v, v));
        }
        let pairs: BTreeSet<(i32, i32)> = mine
            .iter()
            .filter(|r| r.evol_status.is_some())
            .filter_map(|r| Some((r.prev_vintage?, r.vintage?)))
            .collect();
        for (a, b) in pairs {
            columns.push((k, Kind::EvolAbs, a, b));
            if ind.unit.has_relative_evolution() {
                columns.push((k, Kind::EvolPct, a, b));
            }
        }
    }
    columns
}

/// A territory's cell of a theme table column (None: no row for it).
fn theme_cell(ind: &Indicator, kind: Kind, a: i32, b: i32, mine: &[&ResultRow]) -> Option<Cell> {
    if kind == Kind::Value {
        let r = mine.iter().find(|r| r.indicator == ind.id && r.vintage == Some(b))?;
        return Some(Cell::value(r.value, r.status, ind.decimals));
    }
    let r = mine
        .iter()
        .find(|r| r.indicator == ind.id && r.vintage == Some(b) && r.prev_vintage == Some(a))?;
    Some(match kind {
        Kind::EvolPct => Cell::change(r.evol_pct, r.evol_status, 1),
        _ => Cell::change(r.evol_abs, r.evol_status, ind.decimals),
    })
}

/// A row's change since its previous vintage, as the territory tables
/// write it (« +1,2 pt depuis 2015 »); None without a previous vintage.
fn change_since(ind: &Indicator, r: &ResultRow) -> Option<String> {
    let relative = ind.unit.has_relative_evolution();
    let (val, unit, decimals) = if relative {
        (r.evol_pct, " %", 1)
    } else {
        (r.evol_abs, fr::unit_suffix(ind.unit.evolution_unit()), ind.decimals)
    };
    let pv = r.prev_vintage?;
    let s = Cell::change(val, r.evol_status, decimals).display();
    Some(if r.evol_status == Some(Status::Ok) {
        format!("{s}{unit} depuis {pv}")
    } else {
        format!("{s} depuis {pv}")
    })
}

/// A territory's main drivers of its priority score, in French: « label
/// (+0,24), … ».
fn drivers_fr(catalog: &Catalog, drivers: &[(String, f64)]) -> String {
    drivers
        .iter()
        .map(|(id, v)| {
            format!(
                "{} ({})",
                catalog.indicator(id).map(|i| i.label.as_str()).unwrap_or(id),
                fr::signed(*v, 2)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl<'a> View<'a> {
    fn not_missing(&self) -> Expr {
        select::status_not(Status::Missing)
    }

    /// The result rows matching `filter`, within the dataset's scope.
    pub(crate) fn scoped_rows(&self, filter: Expr) -> Result<Vec<ResultRow>> {
        let mut rows = self.results.rows(filter)?;
        if let Some(scope) = self.scope {
            rows.retain(|r| {
                scope.contains(&r.territory_code) || self.references.contains(&r.territory_code)
            });
        }
        Ok(rows)
    }

    fn sources_note(&self, indicators: &[&Indicator]) -> String {
        let mut seen = vec![];
        for i in indicators {
            if !seen.contains(&i.source.as_str()) {
                seen.push(i.source.as_str());
            }
        }
        format!("Source : {}", seen.join(" ; "))
    }

    /// Lecture sentence, as the annex writes it: about the territory ranked
    /// first at the latest vintage.
    fn lecture_for(&self, ind: &Indicator, rows: &[ResultRow]) -> Option<String> {
        let ok: Vec<&ResultRow> = rows
            .iter()
            .filter(|r| {
                r.indicator == ind.id
                    && r.status == Status::Ok
                    && !self.references.contains(&r.territory_code)
            })
            .collect();
        let latest = ok.iter().filter_map(|r| r.vintage).max()?;
        let r = ok
            .iter()
            .filter(|r| r.vintage == Some(latest))
            .min_by_key(|r| {
                (
                    r.rank.unwrap_or(u32::MAX),
                    r.level as usize,
                    r.territory_name.clone(),
                )
            })?;
        Some(lecture::sentence(ind, &r.territory_name, r.value?, latest))
    }

    /// Page of a theme with no data in the dataset: what would be there.
    pub fn empty_theme(&self, theme: &str) -> Table {
        let label = self
            .catalog
            .theme(theme)
            .map(|t| t.label.clone())
            .unwrap_or_else(|| theme.to_string());
        let mut t = Table::new(
            label,
            ["Indicateur", "Unité", "Source attendue", "Définition"]
                .map(String::from)
                .to_vec(),
        );
        for i in self.catalog.indicators.iter().filter(|i| i.theme == theme) {
            t.rows.push(vec![
                i.label.clone().into(),
                i.unit.as_str().into(),
                i.source.clone().into(),
                i.definition.clone().into(),
            ]);
        }
        t.notes.push(
            "Aucune donnée pour ce thème dans ce baromètre : ces indicateurs ne sont pas calculés (« donnée absente » dans la table de résultats). Pour les calculer, ajoutez leur source au fichier dataset.toml du jeu de données."
                .to_string(),
        );
        t
    }

    /// Every theme's table, in the catalogue's order, built once for all
    /// that show them (files, workbook, report).
    pub fn theme_tables(&self) -> Result<ThemeTables<'a>> {
        self.catalog.themes.iter().map(|t| Ok((t, self.theme_table(&t.id)?))).collect()
    }

    /// One table per theme: territories in rows, each indicator × vintage in
    /// columns, then its changes between vintages.
    pub fn theme_table(&self, theme: &str) -> Result<Option<Table>> {
        let ids: Vec<&str> = self
            .catalog
            .indicators
            .iter()
            .filter(|i| i.theme == theme)
            .map(|i| i.id.as_str())
            .collect();
        let of_theme = select::indicators(&ids);
        let rows = self.scoped_rows(of_theme.and(self.not_missing()))?;
        if rows.is_empty() {
            return Ok(None);
        }
        let label = self
            .catalog
            .theme(theme)
            .map(|t| t.label.clone())
            .unwrap_or_else(|| theme.to_string());
        let inds: Vec<&Indicator> = self
            .catalog
            .indicators
            .iter()
            .filter(|i| i.theme == theme && rows.iter().any(|r| r.indicator == i.id))
            .collect();
        let columns = theme_columns(&inds, &rows);
        let mut header = vec!["Territoire".to_string()];
        for &(k, kind, a, b) in &columns {
            let ind = inds[k];
            header.push(match kind {
                Kind::Value => format!("{} ({b}, {})", ind.label, ind.unit.as_str()),
                Kind::EvolAbs => format!("{} — {}", ind.label, evolution_header(ind, a, b, false)),
                Kind::EvolPct => format!("{} — {}", ind.label, evolution_header(ind, a, b, true)),
            });
        }
        let mut table = Table::new(label, header);
        for j in 1..table.numeric.len() {
            table.numeric[j] = true;
        }
        // Row order: territories by level then name; references last.
        let mut by_territory: HashMap<&str, Vec<&ResultRow>> = HashMap::new();
        for r in &rows {
            by_territory
                .entry(r.territory_code.as_str())
                .or_default()
                .push(r);
        }
        let mut codes: Vec<&str> = by_territory
            .keys()
            .copied()
            .filter(|c| !self.references.iter().any(|r| r == c))
            .collect();
        codes.sort_by(|a, b| {
            let (a, b) = (by_territory[a][0], by_territory[b][0]);
            (a.level as usize)
                .cmp(&(b.level as usize))
                .then_with(|| crate::fr::collate(&a.territory_name, &b.territory_name))
                .then_with(|| a.territory_code.cmp(&b.territory_code))
        });
        let n_main = codes.len();
        codes.extend(
            self.references
                .iter()
                .map(String::as_str)
                .filter(|c| by_territory.contains_key(c)),
        );
        let names = self.display_names(&codes);
        for (code, name) in codes.iter().zip(names) {
            let mine = &by_territory[code];
            let level = mine[0].level.label_fr();
            table.keys.push((code.to_string(), level));
            let mut line = vec![Cell::text(name)];
            for &(k, kind, a, b) in &columns {
                line.push(theme_cell(inds[k], kind, a, b, mine).unwrap_or(Cell::Marker(Status::Missing)));
            }
            table.rows.push(line);
        }
        table.references_from = (n_main < codes.len()).then_some(n_main);
        table.drop_empty_columns();
        table.notes.push(self.sources_note(&inds));
        table.notes.extend(composite_notes(self.catalog, &self.results.composite, &rows));
        if let Some(l) = inds.iter().find_map(|i| self.lecture_for(i, &rows)) {
            table.notes.push(l);
        }
        table.notes.push(format!("Légende : {LEGEND_FR}."));
        Ok(Some(table))
    }

    /// A territory (or a QPV lineage) beside its references: one row per
    /// indicator and vintage with a value for one of the main territories.
    pub fn territory_table(&self, main: &[String]) -> Result<Table> {
        let mut shown: Vec<String> = main.to_vec();
        shown.extend(
            self.references
                .iter()
                .filter(|r| !main.contains(r))
                .cloned(),
        );
        let rows = self
            .results
            .rows(select::territories(&shown).and(self.not_missing()))?;
        let mut header = vec![
            "Thème".to_string(),
            "Indicateur".to_string(),
            "Millésime".to_string(),
        ];
        for (c, name) in shown.iter().zip(self.display_names(&shown)) {
            header.push(name);
            if main.contains(c) {
                header.push("Évol.".to_string());
            }
        }
        let title = main
            .iter()
            .map(|c| {
                let t = self.geo.get(c);
                format!(
                    "{} ({c}, {})",
                    self.geo.name(c),
                    t.map(|t| t.level.label_fr()).unwrap_or("")
                )
            })
            .collect::<Vec<_>>()
            .join(" ; ");
        let mut table = Table::new(title, header);
        for (j, h) in table.header.iter().enumerate() {
            table.numeric[j] = j >= 2 && !h.is_empty();
        }
        let mut keys: BTreeSet<(usize, i32)> = BTreeSet::new();
        let position: HashMap<&str, usize> = self
            .catalog
            .indicators
            .iter()
            .enumerate()
            .map(|(i, ind)| (ind.id.as_str(), i))
            .collect();
        for r in rows.iter().filter(|r| main.contains(&r.territory_code)) {
            if let (Some(&p), Some(v)) = (position.get(r.indicator.as_str()), r.vintage) {
                keys.insert((p, v));
            }
        }
        let find = |code: &str, ind: &str, v: i32| {
            rows.iter()
                .find(|r| r.territory_code == code && r.indicator == ind && r.vintage == Some(v))
        };
        let mut first_ok: Option<&ResultRow> = None;
        for (p, v) in keys {
            let ind = &self.catalog.indicators[p];
            let theme = self
                .catalog
                .theme(&ind.theme)
                .map(|t| t.label.as_str())
                .unwrap_or("");
            let mut line: Vec<Cell> = vec![
                theme.into(),
                format!("{} ({})", ind.label, ind.unit.as_str()).into(),
                v.to_string().into(),
            ];
            for c in &shown {
                let r = find(c, &ind.id, v);
                line.push(
                    r.map(|r| Cell::value(r.value, r.status, ind.decimals))
                        .unwrap_or(Cell::Marker(Status::Missing)),
                );
                if main.contains(c) {
                    line.push(r.and_then(|r| change_since(ind, r)).unwrap_or_default().into());
                }
                if first_ok.is_none() && main.contains(c) {
                    first_ok = r.filter(|r| r.status == Status::Ok);
                }
            }
            table.rows.push(line);
        }
        // A reference without a number in any row says nothing here (the
        // région beside a quartier's indicators): its column is left out.
        let mut j = 3;
        let mut keep = vec![true; 3];
        for c in &shown {
            let has_number = |j: usize| {
                table
                    .rows
                    .iter()
                    .any(|r| matches!(r.get(j), Some(Cell::Number(..) | Cell::Signed(..))))
            };
            if main.contains(c) {
                keep.extend([true, true]);
                j += 2;
            } else {
                keep.push(has_number(j));
                j += 1;
            }
        }
        table.retain_columns(&keep);
        self.territory_notes(&mut table, main, &rows, first_ok);
        Ok(table)
    }

    /// The notes under a territory's table: composite settings, its
    /// priority drivers, a warning between perimeters, a lecture sentence,
    /// the indicators without data, the legend.
    fn territory_notes(&self, table: &mut Table, main: &[String], rows: &[ResultRow], first_ok: Option<&ResultRow>) {
        let missing = self
            .catalog
            .indicators
            .iter()
            .filter(|i| {
                !rows
                    .iter()
                    .any(|r| main.contains(&r.territory_code) && r.indicator == i.id)
            })
            .count();
        let shown_rows: Vec<ResultRow> = rows
            .iter()
            .filter(|r| main.contains(&r.territory_code))
            .cloned()
            .collect();
        table
            .notes
            .extend(composite_notes(self.catalog, &self.results.composite, &shown_rows));
        // The territory's own drivers of its priority score.
        for r in &shown_rows {
            if r.indicator != crate::catalog::composites::PRIORITY_SCORE || r.status != Status::Ok {
                continue;
            }
            if let Some(drivers) = self.results.composite.drivers.get(&r.territory_code) {
                table.notes.push(format!(
                    "{} — priorité, facteurs principaux : {}.",
                    r.territory_name,
                    drivers_fr(self.catalog, drivers)
                ));
            }
        }
        if main.len() > 1 {
            table.notes.push(
                "Attention : périmètres différents. Les QP du contrat de ville 2015-2023 ont été remplacés au 1er janvier 2024 par les QPV du décret n° 2023-1314 ; les valeurs d'un périmètre ne se comparent pas à celles de l'autre."
                    .to_string(),
            );
        }
        if let Some(r) = first_ok {
            if let Some(ind) = self.catalog.indicator(&r.indicator) {
                if let (Some(v), Some(y)) = (r.value, r.vintage) {
                    table
                        .notes
                        .push(lecture::sentence(ind, &r.territory_name, v, y));
                }
            }
        }
        table.notes.push(format!(
            "{missing} indicateur(s) du catalogue sans donnée pour ce territoire (la méthodologie les définit tous)."
        ));
        table.notes.push(format!("Légende : {LEGEND_FR}."));
    }

    /// The territories' names as tables show them: homonyms (the QPV
    /// « Denain » and the commune) told apart by their codes.
    pub fn display_names<S: AsRef<str>>(&self, codes: &[S]) -> Vec<String> {
        let names: Vec<String> = codes.iter().map(|c| self.geo.name(c.as_ref())).collect();
        codes
            .iter()
            .zip(&names)
            .map(|(c, name)| {
                if names.iter().filter(|n| *n == name).count() > 1 {
                    format!("{name} ({})", c.as_ref())
                } else {
                    name.clone()
                }
            })
            .collect()
    }

    /// For each quartier among `main`, its commune(s) englobante(s), and
    /// the command that puts them side by side.
    pub fn englobing_notes(&self, main: &[String]) -> Vec<String> {
        let mut notes = vec![];
        for code in main {
            let Some(t) = self.geo.get(code) else { continue };
            if !matches!(t.level, Level::Qpv | Level::Quartier) {
                continue;
            }
            let communes: Vec<String> = t
                .parents
                .iter()
                .filter(|p| self.geo.get(p).is_some_and(|c| c.level == Level::Commune))
                .map(|p| format!("{} ({p})", self.geo.name(p)))
                .collect();
            if !communes.is_empty() {
                notes.push(format!(
                    "{} — commune(s) englobante(s) : {} ; « bcs fiche <commune> » met le quartier à côté de sa commune.",
                    self.geo.name(code),
                    communes.join(", ")
                ));
            }
        }
        notes
    }

    /// The communes of the scope in which a quartier prioritaire lies, by
    /// code: a 2024 QPV (the current priority geography), or with
    /// `with_2015` a 2015-2023 QP too (a QP has its successor QPV).
    pub fn communes_with_qpv(&self, with_2015: bool) -> Vec<String> {
        let mut codes: Vec<String> = self
            .geo
            .territories()
            .iter()
            .filter(|t| t.level == Level::Qpv && (with_2015 || t.successors.is_empty()))
            .filter(|t| self.scope.is_none_or(|s| s.contains(&t.code)))
            .flat_map(|t| t.parents.iter())
            .filter(|p| self.geo.get(p).is_some_and(|c| c.level == Level::Commune))
            .filter(|p| self.scope.is_none_or(|s| s.contains(*p)))
            .cloned()
            .collect();
        codes.sort();
        codes.dedup();
        codes
    }

    /// Territories of one level ranked on one indicator (descending, as the
    /// annex does), secret values listed after them, references below.
    pub fn rank_table(
        &self,
        ind: &Indicator,
        level: Level,
        vintage: Option<i32>,
    ) -> Result<(Table, i32)> {
        let of_level = select::indicator(&ind.id).and(select::level(level));
        let candidates = self
            .results
            .rows(of_level.clone().and(select::ranked()))?;
        let vintage = match vintage.or_else(|| candidates.iter().filter_map(|r| r.vintage).max()) {
            Some(v) => v,
            None => anyhow::bail!(
                "aucune valeur classable de « {} » au niveau {} dans ce jeu de données",
                ind.label,
                level.label_fr().to_lowercase()
            ),
        };
        let mut ranked = self.scoped_rows(
            of_level
                .and(select::vintage(vintage))
                .and(self.not_missing()),
        )?;
        ranked.sort_by(rank_order);
        let refs = self.results.rows(
            select::indicator(&ind.id)
                .and(select::vintage(vintage))
                .and(select::territories(self.references)),
        )?;
        let has_evol = ranked.iter().chain(&refs).any(|r| r.prev_vintage.is_some());
        let mut header = vec![
            "Rang".to_string(),
            "Territoire".to_string(),
            format!("{} ({})", ind.label, ind.unit.as_str()),
        ];
        let evol_from = ranked
            .iter()
            .chain(&refs)
            .filter_map(|r| r.prev_vintage)
            .min();
        if has_evol {
            if let Some(a) = evol_from {
                header.push(evolution_header(ind, a, vintage, false));
                if ind.unit.has_relative_evolution() {
                    header.push(evolution_header(ind, a, vintage, true));
                }
            }
        }
        let mut table = Table::new(
            format!(
                "{} — {vintage} — {} (tri décroissant)",
                ind.label,
                level.label_fr()
            ),
            header,
        );
        for j in 2..table.numeric.len() {
            table.numeric[j] = true;
        }
        table.numeric[0] = true;
        let line = |r: &ResultRow, rank: String| {
            let mut l = vec![
                Cell::text(rank),
                Cell::text(r.territory_name.clone()),
                Cell::value(r.value, r.status, ind.decimals),
            ];
            if has_evol {
                l.push(Cell::change(r.evol_abs, r.evol_status, ind.decimals));
                if ind.unit.has_relative_evolution() {
                    l.push(Cell::change(r.evol_pct, r.evol_status, 1));
                }
            }
            l
        };
        // Composite indices carry their drivers (before the first « ; ») and
        // their common setting (after it).
        let with_detail = ranked.iter().any(|r| r.detail.is_some());
        if with_detail {
            table.header.push("Détail".into());
            table.numeric.push(false);
        }
        for r in &ranked {
            let mut l = line(r, r.rank.map(|k| k.to_string()).unwrap_or_default());
            if with_detail {
                let d = r.detail.as_deref().unwrap_or("");
                l.push(Cell::text(d.split(" ; ").next().unwrap_or("")));
            }
            table.rows.push(l);
        }
        if let Some(d) = ranked.iter().find_map(|r| r.detail.as_deref()) {
            let rest: Vec<&str> = d.split(" ; ").skip(1).collect();
            if !rest.is_empty() {
                table
                    .notes
                    .push(format!("Paramètres : {}.", rest.join(" ; ")));
            }
        }
        table.references_from = Some(table.rows.len());
        for code in self.references {
            if let Some(r) = refs.iter().find(|r| &r.territory_code == code) {
                let mut l = line(r, String::new());
                if with_detail {
                    l.push(Cell::text(""));
                }
                table.rows.push(l);
            }
        }
        table.notes.push(self.sources_note(&[ind]));
        if let Some(r) = ranked.iter().find(|r| r.status == Status::Ok) {
            if let Some(v) = r.value {
                table
                    .notes
                    .push(lecture::sentence(ind, &r.territory_name, v, vintage));
            }
        }
        table.notes.push(format!("Légende : {LEGEND_FR}."));
        Ok((table, vintage))
    }
}

impl View<'_> {
    /// Sensitivity of the priority classification to each indicator.
    pub fn sensitivity_table(&self) -> Option<Table> {
        if self.results.composite.sensitivity.is_empty() {
            return None;
        }
        let mut t = Table::new(
            "Classement de priorité : sensibilité à chaque indicateur",
            [
                "Indicateur retiré",
                "Territoires changeant de classe",
                "Territoires classés",
            ]
            .map(String::from)
            .to_vec(),
        );
        t.numeric = vec![false, true, true];
        for row in &self.results.composite.sensitivity {
            let label = self
                .catalog
                .indicator(&row.indicator)
                .map(|i| i.label.clone())
                .unwrap_or_else(|| row.indicator.clone());
            t.rows.push(vec![
                Cell::text(label),
                Cell::Number(row.changed.len() as f64, 0),
                Cell::Number(row.total as f64, 0),
            ]);
        }
        t.notes.push(
            "Lecture : nombre de territoires dont la classe de priorité change quand on retire cet indicateur du score, les autres restant pondérés de même."
                .into(),
        );
        Some(t)
    }
}

/// The catalogue as a table.
pub fn catalog_table(catalog: &Catalog, theme: Option<&str>) -> Table {
    let mut t = Table::new(
        "Catalogue des indicateurs",
        [
            "Identifiant",
            "Thème",
            "Libellé",
            "Unité",
            "Polarité",
            "Formule(s)",
            "Source",
        ]
        .map(String::from)
        .to_vec(),
    );
    for i in catalog
        .indicators
        .iter()
        .filter(|i| theme.is_none_or(|th| i.theme == th))
    {
        let theme = catalog
            .theme(&i.theme)
            .map(|t| t.label.clone())
            .unwrap_or_default();
        t.rows.push(
            [
                i.id.clone(),
                theme,
                i.label.clone(),
                i.unit.as_str().to_string(),
                i.polarity.label_fr().to_string(),
                i.formulas.join(" ; sinon "),
                i.source.clone(),
            ]
            .into_iter()
            .map(Cell::Text)
            .collect(),
        );
    }
    t.notes.push(format!("{} indicateurs.", t.rows.len()));
    t
}
