//! The commune sheet (« fiche communale »): a commune, the quartiers lying
//! in it (2024 QPV, 2015-2023 QP, local perimeters), their indicators side by
//! side with the commune, and the commune's beside its EPCI, département,
//! région and France — the contract's « diagnostic local partagé à l'échelle
//! de la commune et du/des QPV ».

use anyhow::{bail, Result};

use crate::geo::{Geography, Level, FRANCE_METRO};
use crate::render::barometer::View;
use crate::catalog::Unit;
use crate::render::table::{escape, Cell, Table};
use crate::status::{Status, LEGEND_FR};

/// One commune's sheet, ready for the terminal or HTML.
pub struct Fiche {
    pub code: String,
    pub title: String,
    /// The quartiers of the commune, by kind: (heading, « name (code) »…).
    pub perimeters: Vec<(String, Vec<String>)>,
    /// The commune beside its larger territories, then its quartiers beside
    /// the commune.
    pub tables: Vec<Table>,
}

/// The kinds of quartiers a sheet lists, in order.
fn kind(view: &View, code: &str) -> Option<usize> {
    let t = view.geo.get(code)?;
    match t.level {
        // A 2015-2023 QP has the 2024 QPV that replaced it as successor.
        Level::Qpv if t.successors.is_empty() => Some(0),
        Level::Qpv => Some(1),
        Level::Quartier => Some(2),
        _ => None,
    }
}

const KINDS: [&str; 3] = [
    "Quartiers prioritaires (géographie 2024)",
    "Quartiers prioritaires du contrat de ville 2015-2023",
    "Autres périmètres (poches de pauvreté, veille active…)",
];

/// Each quartier's gap to its commune englobante, indicator by indicator
/// and vintage by vintage where both have a value (not for counts: a
/// quartier's households are not compared with its commune's). None when no
/// pair exists.
fn gaps_to_commune(view: &View, commune: &str, name: &str, quartiers: &[String]) -> Result<Option<Table>> {
    use crate::engine::select;
    let mut codes = quartiers.to_vec();
    codes.push(commune.to_string());
    let rows = view.results.rows(
        select::territories(&codes).and(select::status(Status::Ok)),
    )?;
    let of_commune: std::collections::HashMap<(&str, i32), f64> = rows
        .iter()
        .filter(|r| r.territory_code == commune)
        .filter_map(|r| Some(((r.indicator.as_str(), r.vintage?), r.value?)))
        .collect();
    let mut table = Table::new(
        format!("Écarts des quartiers à {name}, leur commune englobante"),
        ["Quartier", "Indicateur", "Millésime", "Valeur du quartier", "Valeur de la commune", "Écart"]
            .map(String::from)
            .to_vec(),
    );
    for j in 2..6 {
        table.numeric[j] = true;
    }
    let position = |id: &str| view.catalog.indicators.iter().position(|i| i.id == id);
    let mut found: Vec<(usize, usize, i32, Vec<Cell>)> = vec![];
    for r in rows.iter().filter(|r| r.territory_code != commune) {
        let (Some(v), Some(y), Some(p)) = (r.value, r.vintage, position(&r.indicator)) else {
            continue;
        };
        let ind = &view.catalog.indicators[p];
        let Some(&c) = of_commune.get(&(r.indicator.as_str(), y)) else {
            continue;
        };
        if ind.unit == Unit::Count {
            continue;
        }
        let q = quartiers.iter().position(|q| *q == r.territory_code).unwrap_or(usize::MAX);
        found.push((
            q,
            p,
            y,
            vec![
                Cell::text(format!("{} ({})", view.geo.name(&r.territory_code), r.territory_code)),
                Cell::text(format!("{} ({})", ind.label, ind.unit.evolution_unit())),
                Cell::text(y.to_string()),
                Cell::value(Some(v), Status::Ok, ind.decimals),
                Cell::value(Some(c), Status::Ok, ind.decimals),
                Cell::change(Some(v - c), Some(Status::Ok), ind.decimals),
            ],
        ));
    }
    if found.is_empty() {
        return Ok(None);
    }
    found.sort_by_key(|f| (f.0, f.1, f.2));
    table.rows = found.into_iter().map(|f| f.3).collect();
    table.notes.push(format!(
        "Écart = valeur du quartier − valeur de {name}, au même millésime (en points pour les taux). Un quartier qui s'étend sur plusieurs communes est comparé ici à {name} ; sa fiche dans chacune de ses communes le compare à chacune."
    ));
    table.notes.push(format!("Légende : {LEGEND_FR}."));
    Ok(Some(table))
}

impl Fiche {
    /// The sheet of `commune` (a commune code).
    pub fn of(view: &View, commune: &str) -> Result<Fiche> {
        let Some(t) = view.geo.get(commune) else {
            bail!("territoire « {commune} » inconnu");
        };
        if t.level != Level::Commune {
            bail!(
                "« {} » ({commune}) est un territoire de niveau « {} » : une fiche communale porte sur une commune",
                t.name,
                t.level.label_fr()
            );
        }
        let name = t.name.clone();
        let mut quartiers: Vec<(usize, String)> = view
            .geo
            .territories()
            .iter()
            .filter(|q| q.parents.iter().any(|p| p == commune))
            .filter_map(|q| kind(view, &q.code).map(|k| (k, q.code.clone())))
            .collect();
        quartiers.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| view.geo.name(&a.1).cmp(&view.geo.name(&b.1))));
        let mut perimeters = vec![];
        for (k, heading) in KINDS.iter().enumerate() {
            let listed: Vec<String> = quartiers
                .iter()
                .filter(|(kk, _)| *kk == k)
                .map(|(_, c)| {
                    let q = view.geo.get(c);
                    let others: Vec<String> = q
                        .map(|q| {
                            q.parents
                                .iter()
                                .filter(|p| *p != commune)
                                .filter(|p| view.geo.get(p).is_some_and(|t| t.level == Level::Commune))
                                .map(|p| view.geo.name(p))
                                .collect()
                        })
                        .unwrap_or_default();
                    let also = if others.is_empty() {
                        String::new()
                    } else {
                        format!(", s'étend aussi sur {}", others.join(", "))
                    };
                    format!("{} ({c}{also})", view.geo.name(c))
                })
                .collect();
            if !listed.is_empty() {
                perimeters.push((heading.to_string(), listed));
            }
        }
        // The commune's larger territories, from the EPCI up.
        let mut larger: Vec<String> = t
            .parents
            .iter()
            .filter(|p| {
                view.geo
                    .get(p)
                    .is_some_and(|p| matches!(p.level, Level::Epci | Level::Departement | Level::Region))
            })
            .cloned()
            .collect();
        if view.geo.get(FRANCE_METRO).is_some() && !larger.iter().any(|p| p == FRANCE_METRO) {
            larger.push(FRANCE_METRO.to_string());
        }
        // The dataset's other national references (a publication's « France
        // métropolitaine, Martinique et La Réunion »); a column without a
        // number is left out of the table.
        let national: Vec<String> = view
            .references
            .iter()
            .filter(|r| view.geo.get(r).is_some_and(|t| t.level == Level::France))
            .filter(|r| !larger.contains(r))
            .cloned()
            .collect();
        larger.extend(national);
        let mut tables = vec![];
        let beside_larger = View {
            references: &larger,
            ..*view
        };
        let mut table = beside_larger.territory_table(&[commune.to_string()])?;
        table.title = format!("{name} face à son EPCI, son département, sa région et la France");
        tables.push(table);
        if !quartiers.is_empty() {
            let codes: Vec<String> = quartiers.into_iter().map(|(_, c)| c).collect();
            let own = [commune.to_string()];
            let beside_commune = View {
                references: &own,
                ..*view
            };
            let mut table = beside_commune.territory_table(&codes)?;
            table.title = format!("Les quartiers de {name} à côté de leur commune englobante");
            tables.push(table);
            if let Some(gaps) = gaps_to_commune(view, commune, &name, &codes)? {
                tables.push(gaps);
            }
        }
        Ok(Fiche {
            code: commune.to_string(),
            title: format!("Fiche communale — {name} ({commune})"),
            perimeters,
            tables,
        })
    }

    /// The territories a sheet shows (to read from the results): the
    /// commune, its larger territories, France, its quartiers.
    pub fn territories(geo: &Geography, commune: &str) -> Vec<String> {
        let mut codes = vec![commune.to_string()];
        if let Some(t) = geo.get(commune) {
            codes.extend(t.parents.iter().cloned());
        }
        codes.push(FRANCE_METRO.to_string());
        codes.extend(
            geo.territories()
                .iter()
                .filter(|t| t.level == Level::France)
                .map(|t| t.code.clone()),
        );
        codes.extend(
            geo.territories()
                .iter()
                .filter(|q| q.parents.iter().any(|p| p == commune))
                .map(|q| q.code.clone()),
        );
        codes
    }

    pub fn terminal(&self) -> String {
        let mut out = format!("{}\n", self.title);
        if self.perimeters.is_empty() {
            out.push_str("Aucun quartier prioritaire ni périmètre local connu dans cette commune.\n");
        }
        for (heading, listed) in &self.perimeters {
            out.push_str(&format!("{heading} : {}\n", listed.join(" ; ")));
        }
        for t in &self.tables {
            out.push('\n');
            out.push_str(&t.terminal());
        }
        out
    }

    /// The sheet as an HTML fragment, headings from `h` (2: a page, 3: a
    /// section of the report).
    pub fn html(&self, h: u8) -> String {
        let mut out = format!(
            "<section class=\"fiche\" id=\"fiche-{}\"><h{h}>{}</h{h}>\n",
            escape(&self.code),
            escape(&self.title)
        );
        if self.perimeters.is_empty() {
            out.push_str("<p>Aucun quartier prioritaire ni périmètre local connu dans cette commune.</p>\n");
        } else {
            out.push_str("<ul>\n");
            for (heading, listed) in &self.perimeters {
                out.push_str(&format!(
                    "<li><strong>{}</strong> : {}</li>\n",
                    escape(heading),
                    escape(&listed.join(" ; "))
                ));
            }
            out.push_str("</ul>\n");
        }
        for t in &self.tables {
            out.push_str(&t.html(&format!("h{}", h + 1)));
        }
        out.push_str("</section>\n");
        out
    }
}
