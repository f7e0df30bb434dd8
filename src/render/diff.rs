//! « Ce qui a changé depuis l'édition précédente »: a comparison of two
//! editions (`engine::diff`) as French tables — one per kind of change for
//! the terminal and the page, one flat table for CSV.

use crate::catalog::Catalog;
use crate::engine::diff::{Diff, Revision};
use crate::render::fr;
use crate::render::table::{escape, Cell, Table};

/// Rows shown per section in the terminal and on the page; the CSV and
/// JSON give every one.
pub const SHOWN: usize = 25;

struct Labels<'a>(&'a Catalog);

impl Labels<'_> {
    fn indicator(&self, id: &str) -> String {
        self.0.indicator(id).map_or_else(|| id.to_string(), |i| i.label.clone())
    }
    fn decimals(&self, id: &str) -> u8 {
        self.0.indicator(id).map_or(1, |i| i.decimals)
    }
}

fn level_fr(level: &str) -> String {
    crate::geo::Level::parse(level).map_or_else(|| level.to_string(), |l| l.label_fr().to_string())
}

fn value_cell(v: Option<f64>, st: crate::status::Status, d: u8) -> Cell {
    Cell::value(v, st, d)
}

fn revision_table(title: &str, rows: &[Revision], labels: &Labels) -> Table {
    let mut t = Table::new(
        title,
        ["Territoire", "Niveau", "Indicateur", "Millésime", "Avant", "Après", "Révision"].map(String::from).to_vec(),
    );
    t.numeric = vec![false, false, false, true, true, true, true];
    for r in rows {
        let d = labels.decimals(&r.indicator);
        t.rows.push(vec![
            Cell::text(r.territory_name.clone()),
            Cell::text(level_fr(&r.level)),
            Cell::text(labels.indicator(&r.indicator)),
            Cell::text(r.vintage.to_string()),
            value_cell(r.before, r.status_before, d),
            value_cell(r.after, r.status_after, d),
            r.delta().map_or(Cell::text("changement de statut"), |x| Cell::Signed(x, d)),
        ]);
        t.keys.push((r.territory_code.clone(), level_static(&r.level)));
    }
    t
}

fn level_static(level: &str) -> &'static str {
    crate::geo::Level::parse(level).map_or("", |l| l.as_str())
}

/// The sections of a comparison, each a table (possibly empty).
pub fn sections(diff: &Diff, catalog: &Catalog) -> Vec<Table> {
    let labels = Labels(catalog);
    let mut out = vec![];
    out.push(revision_table("Valeurs révisées (même millésime)", &diff.revised, &labels));

    let mut v = Table::new(
        "Millésimes nouveaux et retirés",
        ["Indicateur", "Millésime", "Changement", "Territoires avec une valeur"].map(String::from).to_vec(),
    );
    v.numeric = vec![false, true, false, true];
    for (list, what) in [(&diff.new_vintages, "nouveau"), (&diff.dropped_vintages, "retiré")] {
        for c in list.iter() {
            v.rows.push(vec![
                Cell::text(labels.indicator(&c.indicator)),
                Cell::text(c.vintage.to_string()),
                Cell::text(what),
                Cell::Number(c.territories as f64, 0),
            ]);
        }
    }
    out.push(v);

    let mut r = Table::new(
        "Rangs qui changent (dernier millésime de chaque édition)",
        ["Territoire", "Niveau", "Indicateur", "Rang avant", "Millésime avant", "Rang après", "Millésime après", "Places gagnées"]
            .map(String::from)
            .to_vec(),
    );
    r.numeric = vec![false, false, false, true, true, true, true, true];
    for m in &diff.rank_moves {
        let of = |rank: u32, total: Option<u32>| match total {
            Some(t) => Cell::text(format!("{rank} / {t}")),
            None => Cell::Number(f64::from(rank), 0),
        };
        r.rows.push(vec![
            Cell::text(m.territory_name.clone()),
            Cell::text(level_fr(&m.level)),
            Cell::text(labels.indicator(&m.indicator)),
            of(m.rank_before, m.total_before),
            Cell::text(m.vintage_before.to_string()),
            of(m.rank_after, m.total_after),
            Cell::text(m.vintage_after.to_string()),
            // Rank 1 = highest value: climbing in rank is a smaller number.
            Cell::Signed(f64::from(m.rank_before) - f64::from(m.rank_after), 0),
        ]);
        r.keys.push((m.territory_code.clone(), level_static(&m.level)));
    }
    r.notes.push("Rang 1 : valeur la plus élevée du niveau (tri décroissant). Places gagnées : positif quand le territoire remonte dans le classement.".into());
    out.push(r);

    let mut c = revision_table("Classes de priorité qui changent", &diff.class_changes, &labels);
    c.notes.push("Classe 5 : le cinquième des territoires aux besoins les plus marqués.".into());
    out.push(c);

    let mut i = Table::new("Indicateurs ajoutés et retirés", ["Indicateur", "Identifiant", "Changement"].map(String::from).to_vec());
    for (list, what) in [(&diff.indicators_added, "ajouté"), (&diff.indicators_removed, "retiré")] {
        for id in list.iter() {
            i.rows.push(vec![Cell::text(labels.indicator(id)), Cell::text(id.clone()), Cell::text(what)]);
        }
    }
    out.push(i);

    let mut t = Table::new(
        "Territoires ajoutés et retirés",
        ["Territoire", "Code", "Niveau", "Changement", "Périmètre lié (autre édition)"].map(String::from).to_vec(),
    );
    for (list, what) in [(&diff.territories_added, "ajouté"), (&diff.territories_removed, "retiré")] {
        for x in list.iter() {
            t.rows.push(vec![
                Cell::text(x.name.clone()),
                Cell::text(x.code.clone()),
                Cell::text(level_fr(&x.level)),
                Cell::text(what),
                Cell::text(x.lineage.join(", ")),
            ]);
            t.keys.push((x.code.clone(), level_static(&x.level)));
        }
    }
    t.notes.push("Périmètre lié : un quartier redessiné (QP 2015-2023 → QPV 2024) et son successeur ; les valeurs de l'un et de l'autre ne se comparent pas directement.".into());
    out.push(t);
    out
}

/// One line per kind of change: what the two editions differ by.
pub fn summary(diff: &Diff) -> Vec<String> {
    let n = |x: usize| fr::number(x as f64, 0);
    vec![
        format!("{} valeur(s) révisée(s) pour un même millésime", n(diff.revised.len())),
        format!(
            "{} millésime(s) d'indicateur nouveau(x), {} retiré(s)",
            n(diff.new_vintages.len()),
            n(diff.dropped_vintages.len())
        ),
        format!("{} changement(s) de rang", n(diff.rank_moves.len())),
        format!("{} changement(s) de classe de priorité", n(diff.class_changes.len())),
        format!("{} indicateur(s) ajouté(s), {} retiré(s)", n(diff.indicators_added.len()), n(diff.indicators_removed.len())),
        format!(
            "{} territoire(s) ajouté(s), {} retiré(s)",
            n(diff.territories_added.len()),
            n(diff.territories_removed.len())
        ),
    ]
}

/// A section cut to its first `SHOWN` rows, saying how many are left.
fn shown(mut t: Table) -> Table {
    let total = t.rows.len();
    if total > SHOWN {
        t.rows.truncate(SHOWN);
        t.keys.truncate(SHOWN);
        t.notes.insert(
            0,
            format!(
                "{} premières lignes sur {} ; --format csv ou json les donne toutes.",
                SHOWN,
                fr::number(total as f64, 0)
            ),
        );
    }
    t
}

/// The comparison for the terminal.
pub fn terminal(diff: &Diff, catalog: &Catalog) -> String {
    let mut out = format!("Comparaison de deux éditions\n  avant : {}\n  après : {}\n\n", diff.before, diff.after);
    if diff.is_empty() {
        out.push_str("Aucune différence : les deux tables de résultats sont identiques.\n");
        return out;
    }
    for line in summary(diff) {
        out.push_str(&format!("- {line}\n"));
    }
    for t in sections(diff, catalog).into_iter().filter(|t| !t.rows.is_empty()) {
        out.push('\n');
        out.push_str(&shown(t).terminal());
    }
    out
}

/// One row of the flat table: what changed, where, and the two sides.
#[derive(Default)]
struct Change {
    what: &'static str,
    code: String,
    level: &'static str,
    territory: String,
    indicator: Option<String>,
    before: Option<(i32, Cell)>,
    after: Option<(i32, Cell)>,
    gap: Option<Cell>,
    detail: String,
}

/// Every change in one table (CSV).
pub fn flat(diff: &Diff, catalog: &Catalog) -> Table {
    let labels = Labels(catalog);
    let mut t = Table::new(
        "Ce qui a changé depuis l'édition précédente",
        ["Changement", "Territoire", "Indicateur", "Identifiant", "Millésime avant", "Avant", "Millésime après", "Après", "Écart", "Détail"]
            .map(String::from)
            .to_vec(),
    );
    t.numeric = vec![false, false, false, false, true, true, true, true, true, false];
    let mut changes: Vec<Change> = vec![];
    for (list, what) in [(&diff.revised, "valeur révisée"), (&diff.class_changes, "classe de priorité")] {
        for r in list.iter() {
            let d = labels.decimals(&r.indicator);
            changes.push(Change {
                what,
                code: r.territory_code.clone(),
                level: level_static(&r.level),
                territory: r.territory_name.clone(),
                indicator: Some(r.indicator.clone()),
                before: Some((r.vintage, value_cell(r.before, r.status_before, d))),
                after: Some((r.vintage, value_cell(r.after, r.status_after, d))),
                gap: r.delta().map(|x| Cell::Number(x, d)),
                detail: if r.delta().is_none() { "changement de statut".into() } else { String::new() },
            });
        }
    }
    for (list, new) in [(&diff.new_vintages, true), (&diff.dropped_vintages, false)] {
        for c in list.iter() {
            let side = Some((c.vintage, Cell::text("")));
            changes.push(Change {
                what: if new { "nouveau millésime" } else { "millésime retiré" },
                indicator: Some(c.indicator.clone()),
                before: if new { None } else { side.clone() },
                after: if new { side } else { None },
                detail: format!("{} territoire(s) avec une valeur", fr::number(c.territories as f64, 0)),
                ..Default::default()
            });
        }
    }
    for m in &diff.rank_moves {
        let total = |x: Option<u32>| x.map_or("?".into(), |x| x.to_string());
        changes.push(Change {
            what: "rang",
            code: m.territory_code.clone(),
            level: level_static(&m.level),
            territory: m.territory_name.clone(),
            indicator: Some(m.indicator.clone()),
            before: Some((m.vintage_before, Cell::Number(f64::from(m.rank_before), 0))),
            after: Some((m.vintage_after, Cell::Number(f64::from(m.rank_after), 0))),
            gap: Some(Cell::Number(f64::from(m.rank_after) - f64::from(m.rank_before), 0)),
            detail: format!("sur {} puis {}", total(m.total_before), total(m.total_after)),
        });
    }
    for (list, what) in [(&diff.indicators_added, "indicateur ajouté"), (&diff.indicators_removed, "indicateur retiré")] {
        changes.extend(list.iter().map(|id| Change { what, indicator: Some(id.clone()), ..Default::default() }));
    }
    for (list, what) in [(&diff.territories_added, "territoire ajouté"), (&diff.territories_removed, "territoire retiré")] {
        changes.extend(list.iter().map(|x| Change {
            what,
            code: x.code.clone(),
            level: level_static(&x.level),
            territory: x.name.clone(),
            detail: if x.lineage.is_empty() { String::new() } else { format!("périmètre lié : {}", x.lineage.join(", ")) },
            ..Default::default()
        }));
    }
    let side = |s: Option<(i32, Cell)>| s.map_or((Cell::text(""), Cell::text("")), |(y, c)| (Cell::text(y.to_string()), c));
    for c in changes {
        let ((yb, b), (ya, a)) = (side(c.before), side(c.after));
        t.rows.push(vec![
            Cell::text(c.what),
            Cell::text(c.territory),
            Cell::text(c.indicator.as_deref().map_or(String::new(), |i| labels.indicator(i))),
            Cell::text(c.indicator.unwrap_or_default()),
            yb,
            b,
            ya,
            a,
            c.gap.unwrap_or_else(|| Cell::text("")),
            Cell::text(c.detail),
        ]);
        t.keys.push((c.code, c.level));
    }
    t
}

/// The comparison as a self-contained page.
pub fn html(diff: &Diff, catalog: &Catalog) -> String {
    let title = "Ce qui a changé depuis l'édition précédente";
    let mut body = format!(
        "<h1>{title}</h1>\n<p class=\"note\">Édition précédente : {}<br/>Nouvelle édition : {}</p>\n",
        escape(&diff.before),
        escape(&diff.after)
    );
    if diff.is_empty() {
        body.push_str("<p>Aucune différence : les deux tables de résultats sont identiques.</p>\n");
    } else {
        body.push_str("<ul>\n");
        for line in summary(diff) {
            body.push_str(&format!("<li>{}</li>\n", escape(&line)));
        }
        body.push_str("</ul>\n");
        for t in sections(diff, catalog).into_iter().filter(|t| !t.rows.is_empty()) {
            body.push_str(&shown(t).html("h2"));
        }
    }
    crate::render::report::page(title, &body, crate::render::report::DEFAULT_STYLE)
}
