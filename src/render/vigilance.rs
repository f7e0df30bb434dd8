//! Points de vigilance and the contract's targets in French: sentences,
//! tables (report, terminal, CSV/XLSX) from the typed findings of
//! `engine::vigilance`.

use crate::catalog::steering::AlertKind;
use crate::catalog::{Catalog, Indicator, Polarity};
use crate::engine::vigilance::{Alert, Dated, Finding, Standing, TargetProgress};
use crate::render::fr;
use crate::render::table::{Cell, Table};

/// An alert worded: its title, one line per territory concerned, and the
/// lecture of the first one.
pub struct Worded {
    pub title: String,
    /// The alert in one sentence (what is raised, how many).
    pub summary: String,
    pub lines: Vec<String>,
    pub lecture: String,
    pub origin: Option<String>,
}

fn with_unit(ind: &Indicator, v: f64) -> String {
    format!("{}{}", fr::number(v, ind.decimals), fr::unit_suffix(ind.unit.as_str()))
}

fn gap_with_unit(ind: &Indicator, v: f64) -> String {
    format!("{}{}", fr::number(v, ind.decimals), fr::unit_suffix(ind.unit.evolution_unit()))
}

fn signed_gap(ind: &Indicator, v: f64) -> String {
    format!("{}{}", fr::signed(v, ind.decimals), fr::unit_suffix(ind.unit.evolution_unit()))
}

fn at(ind: &Indicator, d: Dated) -> String {
    format!("{} en {}", with_unit(ind, d.value), d.vintage)
}

/// « inférieur à 50 % » / « supérieur à 40 % ».
fn bound_words(ind: &Indicator, bound: f64, below: bool) -> String {
    format!("{} à {}", if below { "inférieur" } else { "supérieur" }, with_unit(ind, bound))
}

/// Words an alert; `None` when its indicator is not in the catalogue.
pub fn word(alert: &Alert, catalog: &Catalog) -> Option<Worded> {
    let rule = &alert.rule;
    let ind = catalog.indicator(&rule.indicator)?;
    let label = fr::lowercase_first(&ind.label);
    let first = alert.findings.first()?;
    let (summary, lines, lecture) = match rule.kind {
        AlertKind::Ecart => {
            let (_, ref_name) = alert.reference.clone().unwrap_or_default();
            // A gap in the unfavourable direction is a « retard », the other
            // way an « avance »; without a favourable direction, an « écart ».
            let gap = |d: f64| match ind.polarity {
                Polarity::Neutral => format!("écart de {}", gap_with_unit(ind, d)),
                _ if d < 0.0 => format!("avance de {}", gap_with_unit(ind, -d)),
                _ => format!("retard de {}", gap_with_unit(ind, d)),
            };
            let line = |f: &Finding| {
                let (d0, d1) = f.deficits(ind.polarity).unwrap_or_default();
                let (b, n) = (f.before.map_or(0, |d| d.vintage), f.now.vintage);
                format!("{} : {} en {b}, {} en {n} ({})", f.territory_name, gap(d0), gap(d1), signed_gap(ind, d1 - d0))
            };
            let lecture = {
                let (rb, rn) = first.reference.unwrap_or((first.now, first.now));
                let diff = first.now.value - rn.value;
                let before = first.before.unwrap_or(first.now);
                let comparative = if diff < 0.0 { "inférieur" } else { "supérieur" };
                format!(
                    "Lecture : en {}, {label} de {} ({}) est {comparative} de {} à celui de {ref_name} ({}) ; l'écart était de {} en {}{}.",
                    first.now.vintage,
                    first.territory_name,
                    with_unit(ind, first.now.value),
                    gap_with_unit(ind, diff.abs()),
                    with_unit(ind, rn.value),
                    gap_with_unit(ind, (before.value - rb.value).abs()),
                    before.vintage,
                    match ind.polarity {
                        Polarity::Neutral => String::new(),
                        p => format!(" ({})", p.label_fr()),
                    }
                )
            };
            let threshold = rule.threshold.filter(|t| *t > 0.0).map_or(String::new(), |t| {
                format!(" de plus de {}", gap_with_unit(ind, t))
            });
            (
                format!(
                    "L'écart à {ref_name} en {label} se creuse{threshold} pour {} entre leurs deux derniers millésimes communs.",
                    count_phrase(alert.findings.len(), rule.level)
                ),
                alert.findings.iter().map(line).collect(),
                lecture,
            )
        }
        AlertKind::Seuil => {
            let (bound, below) = rule.bound()?;
            let line = |f: &Finding| {
                format!("{} : {}, contre {}", f.territory_name, at(ind, f.now), f.before.map_or(String::new(), |d| at(ind, d)))
            };
            let before = first.before.unwrap_or(first.now);
            let crossing = if below { "passe sous" } else { "dépasse" };
            let n = alert.findings.len();
            (
                format!(
                    "{} {} le seuil de {} en {label} entre leurs deux derniers millésimes.",
                    count_phrase(n, rule.level),
                    match (below, n) {
                        (true, 1) => "passe sous",
                        (true, _) => "passent sous",
                        (false, 1) => "dépasse",
                        (false, _) => "dépassent",
                    },
                    with_unit(ind, bound)
                ),
                alert.findings.iter().map(line).collect(),
                format!(
                    "Lecture : {label} de {} {crossing} {} entre {} ({}) et {} ({}).",
                    first.territory_name,
                    with_unit(ind, bound),
                    before.vintage,
                    with_unit(ind, before.value),
                    first.now.vintage,
                    with_unit(ind, first.now.value)
                ),
            )
        }
        AlertKind::Compte => {
            let (bound, below) = rule.bound()?;
            let count = alert.count?;
            let line = |f: &Finding| format!("{} ({})", f.territory_name, with_unit(ind, f.now.value));
            let summary = format!(
                "{} {} sur {} ont un {label} {} en {}.",
                fr::number(count.beyond as f64, 0),
                rule.level.plural_fr(),
                fr::number(count.among as f64, 0),
                bound_words(ind, bound, below),
                count.vintage
            );
            (
                summary,
                alert.findings.iter().map(line).collect(),
                format!(
                    "Lecture : en {}, {} des {} {} qui ont une valeur ont un {label} {}.",
                    count.vintage,
                    fr::number(count.beyond as f64, 0),
                    fr::number(count.among as f64, 0),
                    rule.level.plural_fr(),
                    bound_words(ind, bound, below)
                ),
            )
        }
    };
    Some(Worded { title: rule.label.clone(), summary, lines, lecture, origin: rule.origin.clone() })
}

/// « 1 commune » / « 3 communes ».
fn count_phrase(n: usize, level: crate::geo::Level) -> String {
    if n == 1 {
        format!("1 {}", fr::lowercase_first(level.label_fr()))
    } else {
        format!("{} {}", fr::number(n as f64, 0), level.plural_fr())
    }
}

/// Lines shown per alert before « … et N autres ».
pub const SHOWN: usize = 12;

/// The lines of an alert, the first `SHOWN`, then how many more.
pub fn shown_lines(w: &Worded) -> Vec<String> {
    let mut lines: Vec<String> = w.lines.iter().take(SHOWN).cloned().collect();
    if w.lines.len() > SHOWN {
        lines.push(format!("… et {} autre(s)", fr::number((w.lines.len() - SHOWN) as f64, 0)));
    }
    lines
}

/// Every alert and territory concerned in one table (CSV, XLSX, terminal).
pub fn alerts_table(alerts: &[Alert], catalog: &Catalog) -> Table {
    let mut t = Table::new(
        "Points de vigilance",
        ["Alerte", "Indicateur", "Territoire", "Millésime", "Valeur", "Millésime comparé", "Valeur comparée", "Référence", "Écart", "Écart comparé"]
            .map(String::from)
            .to_vec(),
    );
    t.numeric = vec![false, false, false, true, true, true, true, false, true, true];
    for a in alerts {
        let Some(ind) = catalog.indicator(&a.rule.indicator) else { continue };
        let d = ind.decimals;
        for f in &a.findings {
            let num = |v: Option<f64>| v.map_or(Cell::text(""), |v| Cell::Number(v, d));
            let year = |v: Option<i32>| Cell::text(v.map_or(String::new(), |y| y.to_string()));
            let deficits = f.deficits(ind.polarity);
            t.rows.push(vec![
                Cell::text(a.rule.label.clone()),
                Cell::text(ind.label.clone()),
                Cell::text(f.territory_name.clone()),
                year(Some(f.now.vintage)),
                num(Some(f.now.value)),
                year(f.before.map(|b| b.vintage)),
                num(f.before.map(|b| b.value)),
                Cell::text(a.reference.as_ref().map_or(String::new(), |r| r.1.clone())),
                num(deficits.map(|d| d.1)),
                num(deficits.map(|d| d.0)),
            ]);
            t.keys.push((f.territory_code.clone(), a.rule.level.as_str()));
        }
    }
    t.notes.push("Écart : écart défavorable au territoire (positif quand le territoire est en retrait de la référence, dans le sens défavorable de l'indicateur).".into());
    t
}

fn standing_fr(s: Standing) -> &'static str {
    match s {
        Standing::NotMeasured => "non mesurée : aucune valeur depuis l'année de départ",
        Standing::Reached => "cible atteinte",
        Standing::OnTrack => "en bonne voie",
        Standing::Behind => "en retard sur la trajectoire",
        Standing::Backwards => "en recul",
    }
}

/// The contract's targets with their progress.
pub fn targets_table(targets: &[TargetProgress], catalog: &Catalog) -> Table {
    let mut t = Table::new(
        "Objectifs chiffrés du contrat",
        ["Objectif", "Territoire", "Départ", "Année de départ", "Cible", "Échéance", "Dernière valeur", "Millésime", "Chemin parcouru (%)", "Situation", "Porteur"]
            .map(String::from)
            .to_vec(),
    );
    t.numeric = vec![false, false, true, true, true, true, true, true, true, false, false];
    let mut origins = vec![];
    for p in targets {
        let g = &p.target;
        let d = catalog.indicator(&g.indicator).map_or(1, |i| i.decimals);
        let year = |y: i32| Cell::text(y.to_string());
        t.rows.push(vec![
            Cell::text(g.label.clone()),
            Cell::text(p.territory_name.clone()),
            Cell::Number(g.baseline, d),
            year(g.baseline_year),
            Cell::Number(g.target, d),
            year(g.year),
            p.latest.map_or(Cell::Marker(crate::status::Status::Missing), |l| Cell::Number(l.value, d)),
            p.latest.map_or(Cell::text(""), |l| year(l.vintage)),
            p.progress.map_or(Cell::text(""), |v| Cell::Number(v, 0)),
            Cell::text(standing_fr(p.standing)),
            Cell::text(g.owner.clone().unwrap_or_default()),
        ]);
        if let Some(o) = &g.origin {
            if !origins.contains(o) {
                origins.push(o.clone());
            }
        }
    }
    t.notes.push("Chemin parcouru : part de l'écart entre la valeur de départ et la cible comblée à la dernière valeur (100 % : cible atteinte, négatif : éloignement). En bonne voie : au moins la part du délai écoulée à ce millésime.".into());
    if !origins.is_empty() {
        t.notes.push(format!("Source des objectifs : {}.", origins.join(" ; ")));
    }
    if let Some(p) = targets.first() {
        t.notes.push(target_lecture(p, catalog));
    }
    t
}

/// « Lecture : … » of one target.
pub fn target_lecture(p: &TargetProgress, catalog: &Catalog) -> String {
    let g = &p.target;
    let (d, unit) = catalog.indicator(&g.indicator).map_or((1, ""), |i| (i.decimals, fr::unit_suffix(i.unit.as_str())));
    let v = |x: f64| format!("{}{unit}", fr::number(x, d));
    let head = format!(
        "Lecture : pour {}, l'objectif « {} » part de {} en {} pour atteindre {} en {}",
        p.territory_name,
        g.label,
        v(g.baseline),
        g.baseline_year,
        v(g.target),
        g.year
    );
    match (p.latest, p.progress) {
        (Some(l), Some(pr)) => format!(
            "{head} ; en {}, la valeur est de {}, soit {} % du chemin ({}).",
            l.vintage,
            v(l.value),
            fr::number(pr, 0),
            standing_fr(p.standing)
        ),
        _ => format!("{head} ; aucune valeur n'est encore disponible dans les sources du baromètre pour en suivre la progression."),
    }
}

/// The alerts and targets of a territory, as text under its table
/// (`bcs show`); empty when there are none.
pub fn terminal(steering: &crate::engine::vigilance::Steering, catalog: &Catalog) -> String {
    let mut out = String::new();
    let worded: Vec<Worded> = steering.alerts.iter().filter_map(|a| word(a, catalog)).collect();
    if !worded.is_empty() {
        out.push_str("\nPoints de vigilance :\n");
        for w in &worded {
            out.push_str(&format!("- {} — {}\n", w.title, w.summary));
            for line in shown_lines(w) {
                out.push_str(&format!("    {line}\n"));
            }
            out.push_str(&format!("    {}\n", w.lecture));
        }
    }
    if !steering.targets.is_empty() {
        out.push_str("\nObjectifs chiffrés du contrat :\n");
        for p in &steering.targets {
            out.push_str(&format!("- {}\n", target_lecture(p, catalog).trim_start_matches("Lecture : ")));
        }
    }
    out
}

/// A value as a source writes it: no decimals for a whole number.
fn plain(v: f64) -> String {
    fr::number(v, if v.fract() == 0.0 { 0 } else { 1 })
}

/// A published figure the recomputation contradicts, in one sentence
/// (« À vérifier : … »).
pub fn check_sentence(check: &crate::engine::coherence::Check, catalog: &Catalog, geo: &crate::geo::Geography) -> String {
    use crate::engine::coherence::Check;
    match check {
        Check::PublishedChange { file, change: c } => {
            let file = std::path::Path::new(file).file_name().map_or(file.clone(), |f| f.to_string_lossy().into_owned());
            let label = catalog.variable(&c.variable).map_or_else(|| c.variable.clone(), |v| fr::lowercase_first(&v.label));
            let decimals = crate::ingest::written_decimals(&c.published_text);
            let unit = if c.relative { " %" } else { "" };
            format!(
                "À vérifier : {file}, ligne {}, colonne « {} » : pour {}, l'évolution publiée de « {label} » entre {} et {} est de {}{unit}, mais ses valeurs de la même ligne donnent {}{unit} ({} en {}, {} en {}).",
                c.line,
                c.column,
                geo.name(&c.territory_code),
                c.from,
                c.to,
                fr::signed(c.published, decimals),
                fr::signed(c.recomputed, decimals),
                plain(c.value_from),
                c.from,
                plain(c.value_to),
                c.to
            )
        }
        Check::PartsExceedWhole { indicator, vintage, whole, whole_value, parts, parts_value } => {
            let label = catalog.indicator(indicator).map_or_else(|| indicator.clone(), |i| fr::lowercase_first(&i.label));
            format!(
                "À vérifier : en {vintage}, « {label} » : les {} quartiers prioritaires situés dans {} en comptent {} ensemble, plus que le chiffre publié pour {} ({}) : l'un des deux chiffres est faux, ou ils ne portent pas sur le même champ.",
                parts.len(),
                geo.name(whole),
                fr::number(*parts_value, 0),
                geo.name(whole),
                fr::number(*whole_value, 0)
            )
        }
    }
}

/// The theme (placement in the report) of the targets' figure.
pub const TARGETS_THEME: &str = "objectifs";

/// The targets as tracks from baseline to target (`fig_objectifs_progression`);
/// None without targets.
pub fn targets_chart(targets: &[TargetProgress], catalog: &Catalog) -> Option<crate::render::figures::NamedChart> {
    use crate::render::charts::{TargetTracks, Track};
    if targets.is_empty() {
        return None;
    }
    let tracks = targets
        .iter()
        .map(|p| {
            let g = &p.target;
            let (d, unit) = catalog.indicator(&g.indicator).map_or((1, ""), |i| (i.decimals, fr::unit_suffix(i.unit.as_str())));
            let v = |x: f64, y: i32| format!("{}{unit} en {y}", fr::number(x, d));
            Track {
                label: format!("{} — {}", g.label, p.territory_name),
                start: v(g.baseline, g.baseline_year),
                end: v(g.target, g.year),
                done: p.latest.zip(p.progress).map(|(l, pr)| (pr, v(l.value, l.vintage))),
                elapsed: p.elapsed,
                standing: standing_fr(p.standing).split(':').next().unwrap_or("").trim().to_string(),
            }
        })
        .collect();
    let origins: Vec<&str> = {
        let mut o: Vec<&str> = targets.iter().filter_map(|p| p.target.origin.as_deref()).collect();
        o.dedup();
        o
    };
    let mut footer = vec![];
    if !origins.is_empty() {
        footer.push(format!("Source des objectifs : {}.", origins.join(" ; ")));
    }
    footer.push(target_lecture(&targets[0], catalog));
    Some(crate::render::figures::NamedChart {
        stem: "fig_objectifs_progression".into(),
        theme: TARGETS_THEME.into(),
        indicator: None,
        chart: crate::render::figures::Chart::Targets(TargetTracks {
            title: "Objectifs chiffrés du contrat : chemin parcouru".into(),
            subtitle: "De la valeur de départ (à gauche) à la cible (à droite) ; en bleu, le chemin parcouru à la dernière valeur ; trait orange : la part du délai écoulée à ce millésime".into(),
            tracks,
            footer,
        }),
    })
}
