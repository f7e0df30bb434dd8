//! The barometer as one self-contained HTML file: styles inline, charts as
//! inline SVG, no network needed to read it. The page is well-formed XML
//! (polyglot XHTML), so it can be checked by any XML parser.

use std::path::Path;
use crate::schema;

use anyhow::{Context, Result};

use crate::render::barometer::{ThemeTables, View};
use crate::render::fiche::Fiche;
use crate::render::figures::NamedChart;
use crate::render::table::{escape, Cell, Table};
use crate::engine::select;
use crate::engine::vigilance::Steering;
use crate::status::LEGEND_FR;

/// bcs's report template (Jinja2 syntax, rendered by minijinja) and
/// stylesheet; a team replaces either without Rust (`bcs template`).
pub const DEFAULT_TEMPLATE: &str = include_str!("../../templates/rapport.html");
pub const DEFAULT_STYLE: &str = include_str!("../../templates/rapport.css");

/// The report's look: its page template and stylesheet, bcs's own unless a
/// dataset (`[report]`) or the command line names others.
#[derive(Debug, Clone)]
pub struct Look {
    /// Where the template comes from, as errors name it.
    pub template_name: String,
    pub template: String,
    pub style: String,
}

impl Default for Look {
    fn default() -> Look {
        Look {
            template_name: "rapport.html (modèle de bcs)".into(),
            template: DEFAULT_TEMPLATE.into(),
            style: DEFAULT_STYLE.into(),
        }
    }
}

impl Look {
    /// bcs's look with the template and stylesheet given replaced; the
    /// template's syntax is checked at once, before a command writes
    /// anything.
    pub fn load(template: Option<&Path>, style: Option<&Path>) -> Result<Look> {
        let read = |p: &Path| -> Result<String> {
            crate::files::ensure_regular(p)?;
            std::fs::read_to_string(p).with_context(|| format!("lecture impossible de {} (texte UTF-8 attendu)", p.display()))
        };
        let mut look = Look::default();
        if let Some(p) = template {
            look.template = read(p)?;
            look.template_name = p.display().to_string();
        }
        if let Some(p) = style {
            look.style = read(p)?;
        }
        environment().template_from_named_str(&look.template_name, &look.template).map_err(|e| template_error(&look, e))?;
        Ok(look)
    }
}

/// What the report says of its dataset (built from the dataset's manifest
/// by the application layer).
#[derive(Debug, Clone, Default)]
pub struct Description {
    pub title: String,
    pub description: String,
    /// The dataset's own words opening the IDH-4 section.
    pub introduction: Option<String>,
    /// The dataset's territory (the EPCI).
    pub territory: String,
    /// The territory of the quartiers, first column of the key figures.
    pub panel: Option<String>,
    /// The indicators of the key figures; empty: those of the priority
    /// classification.
    pub key_figures: Vec<String>,
    pub sources: Vec<SourceLine>,
}

/// One source as the methodology lists it.
#[derive(Debug, Clone, Default)]
pub struct SourceLine {
    pub title: String,
    pub producer: String,
    pub origin: String,
}

/// The template engine as the report uses it: HTML escaping whatever the
/// template's file name, an undefined variable an error (a misspelt name
/// must not print as nothing).
fn environment<'a>() -> minijinja::Environment<'a> {
    let mut env = minijinja::Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env
}

fn template_error(look: &Look, e: minijinja::Error) -> anyhow::Error {
    let line = e.line().map(|l| format!(", ligne {l}")).unwrap_or_default();
    // The engine's own words (English), kept as they name the token.
    let detail = e.detail().map(|d| format!(" (message du moteur de modèles : {d})")).unwrap_or_default();
    anyhow::anyhow!(
        "modèle de rapport {}{line} : {}{detail}",
        look.template_name,
        template_error_kind(e.kind())
    )
}

/// The kind of a template error, in French.
fn template_error_kind(kind: minijinja::ErrorKind) -> &'static str {
    use minijinja::ErrorKind as K;
    match kind {
        K::SyntaxError => "erreur de syntaxe",
        K::UndefinedError => "variable inconnue (voir la liste en tête du modèle de bcs)",
        K::UnknownFilter => "filtre inconnu",
        K::UnknownFunction => "fonction inconnue",
        K::UnknownTest => "test inconnu",
        K::TemplateNotFound => "modèle inclus introuvable",
        K::InvalidOperation => "opération impossible",
        K::MissingArgument | K::TooManyArguments => "nombre d'arguments incorrect",
        _ => "erreur du modèle",
    }
}

/// The methodology annex as a table (also the XLSX methodology sheet).
pub fn methodology_table(view: &View, about: &Description) -> Table {
    let mut t = Table::new(
        format!("Méthodologie — {}", about.title),
        [
            "Identifiant",
            "Thème",
            "Indicateur",
            "Unité",
            "Définition",
            "Formule(s)",
            "Source",
        ]
        .map(String::from)
        .to_vec(),
    );
    for i in &view.catalog.indicators {
        let theme = view
            .catalog
            .theme(&i.theme)
            .map(|t| t.label.clone())
            .unwrap_or_default();
        t.rows.push(
            [
                &i.id,
                &theme,
                &i.label,
                &i.unit.as_str().to_string(),
                &i.definition,
                &i.formulas.join(" ; sinon "),
                &i.source,
            ]
            .into_iter()
            .map(|s| Cell::text(s.clone()))
            .collect(),
        );
    }
    t.notes.push(format!("Légende : {LEGEND_FR}."));
    t.notes.extend(method_notes(view));
    t
}

fn method_notes(view: &View) -> Vec<String> {
    let priority = view
        .results
        .composite
        .settings
        .get(crate::catalog::composites::PRIORITY_SCORE)
        .map(|setting| format!(
            "Classement de priorité d'action : chaque indicateur, à son dernier millésime, est ramené à l'écart à la moyenne des territoires classés (en écarts types), orienté par son sens favorable (un score plus élevé signale un besoin plus grand), pondéré et moyenné ; le score est découpé en quintiles (classe 5 : besoins les plus marqués). Sensibilité : le classement est refait sans chaque indicateur tour à tour ; une classe qui change alors dépend de cet indicateur. Réglages : {setting}."
        ));
    let mut notes = vec![
        "Secret statistique : une valeur calculée à partir d'une donnée secrète est secrète (« nd »), jamais 0.".into(),
        "Regroupements (ensemble des QPV, poches de pauvreté…) : les effectifs des membres sont additionnés ; un membre secret rend le total secret, un membre sans donnée le rend absent ; un taux publié seulement en taux n'est pas agrégeable (« n.c. »). Un total publié par la source est conservé tel quel.".into(),
        "Évolutions : entre deux millésimes successifs d'un même territoire, en points pour les taux, en nombre et en % pour les effectifs.".into(),
        "Rangs : tri décroissant parmi les territoires de même niveau ayant une valeur, rang 1 = valeur la plus élevée.".into(),
        format!(
            "Écart à la référence : différence avec {} pour le même indicateur et le même millésime.",
            view.geo.name(&view.results.reference)
        ),
    ];
    notes.extend(priority);
    notes
}

fn sources_table(about: &Description) -> Table {
    let mut t = Table::new(
        "Sources du jeu de données",
        ["Tableau", "Producteur et millésimes", "Origine"]
            .map(String::from)
            .to_vec(),
    );
    for s in &about.sources {
        t.rows.push(vec![
            Cell::text(s.title.clone()),
            Cell::text(s.producer.clone()),
            Cell::text(s.origin.clone()),
        ]);
    }
    t
}

fn strip_xml_declaration(svg: &str) -> &str {
    match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => svg,
    }
}

/// What of the IDH-4 is computed: if the index itself is computed nowhere,
/// which sub-indices are (for how many territories of the report) and
/// which input each missing one lacks.
fn idh4_status(view: &View) -> Result<String> {
    use crate::catalog::composites::{IDH4, IDH4_PARTS};
    let Some(conf) = view.catalog.composites.as_ref().and_then(|c| c.idh4.as_ref()) else {
        return Ok(String::new());
    };
    let in_scope = |code: &str| view.scope.is_none_or(|s| s.contains(code));
    let computed = |id: &str| -> Result<usize> {
        let rows = view
            .results
            .rows(select::indicator(id).and(select::status(crate::status::Status::Ok)))?;
        let mut codes: Vec<&str> = rows
            .iter()
            .map(|r| r.territory_code.as_str())
            .filter(|c| in_scope(c))
            .collect();
        codes.sort_unstable();
        codes.dedup();
        Ok(codes.len())
    };
    if computed(IDH4)? > 0 {
        return Ok(String::new());
    }
    let inputs = [&conf.sante, &conf.education, &conf.niveau_vie];
    let (mut done, mut lacking) = (vec![], vec![]);
    for ((id, dimension), input) in IDH4_PARTS.iter().zip(inputs) {
        let label = view
            .catalog
            .indicator(input)
            .map(|i| crate::fr::lowercase_first(&i.label))
            .unwrap_or_else(|| input.clone());
        match computed(id)? {
            0 => lacking.push(format!("{dimension} ({label} : aucune valeur dans les sources)")),
            n => done.push(format!(
                "{dimension} ({} territoire(s) du baromètre, à partir de : {label})",
                crate::fr::number(n as f64, 0)
            )),
        }
    }
    let done = if done.is_empty() {
        "aucun".to_string()
    } else {
        done.join(" ; ")
    };
    Ok(format!(
        "<p class=\"box\">L'IDH-4 n'est calculé pour aucun territoire : il demande ses trois dimensions. Sous-indice(s) calculé(s) : {} ; manquant(s) : {}. Le tableau ci-dessous donne les sous-indices calculés ; la colonne detail de la table de résultats nomme, pour chaque territoire, la donnée qui manque.</p>\n",
        escape(&done),
        escape(&lacking.join(" ; "))
    ))
}

/// « L'essentiel », the first page: the key figures of the panel territory
/// (the quartiers), the dataset's territory and its comparison territory
/// at their latest vintage, and what the barometer asks attention for.
fn essentials(view: &View, about: &Description, steering: &Steering) -> Result<String> {
    use crate::status::Status;
    let d = about;
    let mut columns: Vec<String> = d.panel.iter().cloned().collect();
    for c in [&d.territory, &view.results.reference] {
        if !columns.contains(c) {
            columns.push(c.clone());
        }
    }
    let ids: Vec<String> = if d.key_figures.is_empty() {
        view.catalog.composites.iter().flat_map(|c| c.priorite.iter()).flat_map(|p| p.indicator.iter()).map(|w| w.indicator.clone()).collect()
    } else {
        d.key_figures.clone()
    };
    let mut header = vec!["Indicateur".to_string()];
    header.extend(columns.iter().map(|c| view.geo.name(c)));
    header.push("Millésime".into());
    let mut t = Table::new("Chiffres clés", header);
    t.numeric = std::iter::once(false).chain(columns.iter().map(|_| true)).chain([false]).collect();
    for id in &ids {
        let Some(ind) = view.catalog.indicator(id) else { continue };
        let rows = view.results.rows(select::indicator(id).and(select::territories(&columns)).and(select::dated()))?;
        // The latest vintage at which one of the territories has a value.
        let Some(vintage) = rows.iter().filter(|r| r.status == Status::Ok).filter_map(|r| r.vintage).max() else { continue };
        let mut cells = vec![Cell::text(format!("{} ({})", ind.label, ind.unit.as_str()))];
        for c in &columns {
            let row = rows.iter().find(|r| &r.territory_code == c && r.vintage == Some(vintage));
            cells.push(row.map_or(Cell::Marker(Status::Missing), |r| Cell::value(r.value, r.status, ind.decimals)));
        }
        cells.push(Cell::text(vintage.to_string()));
        t.rows.push(cells);
    }
    t.notes.push(format!("Chaque indicateur à son dernier millésime disponible pour ces territoires. Légende : {LEGEND_FR}."));
    let mut h = String::from("<section id=\"essentiel\" class=\"essentiel\"><h2>L'essentiel</h2>\n");
    let mut points = vec![];
    let n = |x: usize| crate::fr::number(x as f64, 0);
    if !steering.alerts.is_empty() {
        points.push(format!(
            "{} point(s) de vigilance : {}.",
            n(steering.alerts.len()),
            steering.alerts.iter().map(|a| a.rule.label.as_str()).collect::<Vec<_>>().join(" ; ")
        ));
    }
    if !view.results.checks.is_empty() {
        points.push(format!("{} chiffre(s) publié(s) que le recalcul contredit, à vérifier auprès des producteurs.", n(view.results.checks.len())));
    }
    if !steering.targets.is_empty() {
        use crate::engine::vigilance::Standing;
        let count = |s: Standing| steering.targets.iter().filter(|t| t.standing == s).count();
        points.push(format!(
            "{} objectif(s) chiffré(s) du contrat : {} atteint(s), {} en bonne voie, {} en retard, {} en recul, {} non mesuré(s) faute de donnée.",
            n(steering.targets.len()),
            n(count(Standing::Reached)),
            n(count(Standing::OnTrack)),
            n(count(Standing::Behind)),
            n(count(Standing::Backwards)),
            n(count(Standing::NotMeasured))
        ));
    }
    if !points.is_empty() {
        h.push_str("<ul>\n");
        for p in points {
            h.push_str(&format!("<li>{}</li>\n", escape(&p)));
        }
        h.push_str("</ul>\n");
    }
    if !t.rows.is_empty() {
        h.push_str(&t.html("h3"));
    }
    h.push_str("</section>\n");
    Ok(h)
}

/// « Points de vigilance » and, when the dataset declares targets,
/// « Objectifs chiffrés du contrat ».
fn vigilance_section(view: &View, steering: &Steering, target_figures: &str) -> (String, Option<String>) {
    use crate::render::vigilance::{shown_lines, targets_table, word};
    let mut h = String::from("<section id=\"vigilance\"><h2>Points de vigilance</h2>\n<p>Calculés à partir des données de ce baromètre selon les règles d'alerte déclarées (catalogue et jeu de données) : un écart à une référence qui se creuse entre deux millésimes, un seuil franchi, un nombre de quartiers au-delà d'un seuil.</p>\n");
    let worded: Vec<_> = steering.alerts.iter().filter_map(|a| word(a, view.catalog)).collect();
    if worded.is_empty() {
        h.push_str("<p>Aucune règle d'alerte n'est déclenchée par les données de ce baromètre.</p>\n");
    }
    for w in &worded {
        h.push_str(&format!(
            "<div class=\"box\"><h3>{}</h3>\n<p><strong>{}</strong></p>\n<ul>\n",
            escape(&w.title),
            escape(&w.summary)
        ));
        for line in shown_lines(w) {
            h.push_str(&format!("<li>{}</li>\n", escape(&line)));
        }
        h.push_str(&format!("</ul>\n<p class=\"note\">{}</p>\n", escape(&w.lecture)));
        if let Some(o) = &w.origin {
            h.push_str(&format!("<p class=\"note\">Origine de la règle : {}</p>\n", escape(o)));
        }
        h.push_str("</div>\n");
    }
    if !view.results.checks.is_empty() {
        h.push_str(&format!(
            "<div class=\"box\"><h3>Chiffres publiés à vérifier</h3>\n<p>{} chiffre(s) des sources que le recalcul contredit : une évolution publiée que les valeurs de la même ligne ne donnent pas, ou des quartiers qui comptent plus que le territoire où ils se trouvent. Les valeurs du baromètre restent celles des sources ; ces chiffres sont à confirmer auprès de leur producteur.</p>\n<ul>\n",
            crate::fr::number(view.results.checks.len() as f64, 0)
        ));
        for c in &view.results.checks {
            h.push_str(&format!(
                "<li>{}</li>\n",
                escape(&crate::render::vigilance::check_sentence(c, view.catalog, view.geo))
            ));
        }
        h.push_str("</ul></div>\n");
    }
    h.push_str("</section>\n");
    let targets = (!steering.targets.is_empty()).then(|| {
        let mut t = String::from("<section id=\"objectifs\"><h2>Objectifs chiffrés du contrat</h2>\n<p>Chaque engagement chiffré : sa valeur de départ, sa cible et son échéance, et la dernière valeur que les sources du baromètre donnent pour le suivre.</p>\n");
        t.push_str(&targets_table(&steering.targets, view.catalog).html("h3"));
        t.push_str(target_figures);
        t.push_str("</section>\n");
        t
    });
    (h, targets)
}

/// A self-contained page around an HTML fragment (a commune sheet, two
/// editions compared), with the report's stylesheet.
pub fn page(title: &str, body: &str, style: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"fr\" xml:lang=\"fr\">\n<head>\n<meta charset=\"utf-8\"/>\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n<title>{}</title>\n<style>{style}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(title)
    )
}

/// « Édition du 4 décembre 2026 · bcs 0.1.0 · données des millésimes 2011
/// à 2024 » — the day of the run (or of `SOURCE_DATE_EPOCH`, for
/// reproducible outputs), the program and the vintages of the results.
fn edition_line(view: &View) -> Result<String> {
    use chrono::Datelike;
    let seconds = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        });
    let day = chrono::DateTime::from_timestamp(seconds, 0)
        .map(|t| t.date_naive())
        .ok_or_else(|| anyhow::anyhow!("SOURCE_DATE_EPOCH : date hors limites"))?;
    const MONTHS: [&str; 12] = [
        "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
        "octobre", "novembre", "décembre",
    ];
    let d = match day.day() {
        1 => "1er".to_string(),
        n => n.to_string(),
    };
    let vintages = view.results.frame.column(schema::VINTAGE)?.i32()?.clone();
    let (first, last) = (vintages.iter().flatten().min(), vintages.iter().flatten().max());
    let span = match (first, last) {
        (Some(a), Some(b)) if a < b => format!(" · données des millésimes {a} à {b}"),
        (Some(a), _) => format!(" · données du millésime {a}"),
        _ => String::new(),
    };
    Ok(format!(
        "Édition du {d} {} {} · bcs {}{span}",
        MONTHS[day.month0() as usize],
        day.year(),
        env!("CARGO_PKG_VERSION")
    ))
}

/// One section of the report: its anchor, its title in the contents, its
/// HTML.
struct Section {
    anchor: String,
    title: String,
    html: String,
}

impl Section {
    fn new(anchor: impl Into<String>, title: impl Into<String>, html: String) -> Section {
        Section { anchor: anchor.into(), title: title.into(), html }
    }
}

/// The figures of the report, numbered in their order on the page.
struct Figures<'a> {
    list: Vec<(&'a NamedChart, &'a str)>,
    number: std::cell::Cell<usize>,
}

impl<'a> Figures<'a> {
    fn new(charts: &'a [NamedChart], svgs: &'a [String]) -> Figures<'a> {
        let list = charts.iter().zip(svgs).map(|(c, s)| (c, strip_xml_declaration(s))).collect();
        Figures { list, number: 0.into() }
    }

    /// The figures matching `keep`, in order.
    fn of(&self, keep: impl Fn(&NamedChart) -> bool) -> impl Iterator<Item = &(&'a NamedChart, &'a str)> {
        self.list.iter().filter(move |(c, _)| keep(c))
    }

    /// A figure with its caption and the next number.
    fn html(&self, c: &NamedChart, svg: &str) -> String {
        self.number.set(self.number.get() + 1);
        format!(
            "<figure>{svg}<figcaption>Figure {} — {} (figures/{}.png et .svg)</figcaption></figure>\n",
            self.number.get(),
            escape(c.chart.title()),
            escape(&c.stem)
        )
    }

    /// Every figure matching `keep`, in order.
    fn all(&self, keep: impl Fn(&NamedChart) -> bool) -> String {
        self.of(keep).map(|(c, svg)| self.html(c, svg)).collect()
    }
}

/// Builds the HTML page through the look's template; `svgs[i]` is the SVG
/// already rendered for `charts[i]`.
#[allow(clippy::too_many_arguments)]
pub fn html(
    view: &View,
    about: &Description,
    tables: &ThemeTables,
    charts: &[NamedChart],
    svgs: &[String],
    fiches: &[Fiche],
    steering: &Steering,
    look: &Look,
) -> Result<String> {
    let figures = Figures::new(charts, svgs);
    // The composite indices open the report, in the IDH-4 section.
    let composite_theme = view
        .catalog
        .composites
        .as_ref()
        .map(|c| c.theme.id.clone())
        .unwrap_or_default();
    // Every theme but the composite indices' (they have the IDH-4 section).
    // A theme without data is named in one line, not given a section.
    let (mut shown, mut empty) = (vec![], vec![]);
    for (t, table) in tables.iter().filter(|(t, _)| t.id != composite_theme) {
        if table.is_none() && figures.of(|c| c.theme == t.id).next().is_none() {
            empty.push(t.label.clone());
        } else {
            shown.push((t, table));
        }
    }
    let composite_table = tables.iter().find(|(t, _)| t.id == composite_theme).and_then(|(_, t)| t.as_ref());

    // What needs attention first, then the targets, then the IDH-4 as the
    // barometer presents it.
    let target_figures = figures.all(|c| c.theme == crate::render::vigilance::TARGETS_THEME);
    let mut sections = vec![];
    let (alerts, targets) = vigilance_section(view, steering, &target_figures);
    sections.push(Section::new("vigilance", "Points de vigilance", alerts));
    if let Some(t) = targets {
        sections.push(Section::new("objectifs", "Objectifs chiffrés du contrat", t));
    }
    sections.push(idh_section(view, about, (&composite_theme, composite_table), &figures)?);
    let priority = view.priority_section()?;
    if !priority.is_empty() {
        sections.push(Section::new("priorite", "Classement de priorité d'action", priority));
    }
    for (theme, table) in &shown {
        sections.push(theme_section(view, theme, table.as_ref(), &figures));
    }
    if !fiches.is_empty() {
        let mut h = String::from("<section id=\"fiches\"><h2>Fiches communales</h2>\n<p>Chaque commune où se trouve un quartier prioritaire : ses quartiers (QPV de 2024, QP de 2015-2023, autres périmètres) à côté de la commune englobante, et la commune face à son EPCI, son département, sa région et la France. Chaque fiche existe aussi en page seule (dossier fiches/).</p>\n");
        for f in fiches {
            h.push_str(&f.html(3));
        }
        h.push_str("</section>\n");
        sections.push(Section::new("fiches", "Fiches communales", h));
    }
    sections.push(method_section(view, about));
    page_of_sections(view, about, steering, look, sections, empty)
}

/// The IDH-4 and the other composite indices: what they are, their table
/// and figures.
fn idh_section(view: &View, about: &Description, (theme, table): (&str, Option<&Table>), figures: &Figures) -> Result<Section> {
    let idh_title = "Indice de développement humain (IDH-4) et indices composites";
    let mut h = format!("<section id=\"idh\"><h2>{idh_title}</h2>\n");
    h.push_str("<p>L'IDH-4 synthétise trois dimensions — santé (indice comparatif de mortalité), éducation (part des diplômés parmi les 15 ans ou plus non scolarisés) et niveau de vie (revenu médian par unité de consommation) — normalisées entre les communes de la région.</p>\n");
    h.push_str(&idh4_status(view)?);
    if let Some(intro) = &about.introduction {
        h.push_str(&format!("<p>{}</p>\n", escape(intro)));
    }
    if let Some(t) = table {
        h.push_str(&t.html("h3"));
    }
    h.push_str(&figures.all(|c| c.theme == theme));
    h.push_str("</section>\n");
    Ok(Section::new("idh", idh_title, h))
}

/// A theme: its table, then each indicator's figures under its definition,
/// then the theme's other figures.
fn theme_section(view: &View, theme: &crate::catalog::Theme, table: Option<&Table>, figures: &Figures) -> Section {
    let mut h = format!("<section id=\"theme-{}\"><h2>{}</h2>\n", theme.id, escape(&theme.label));
    if let Some(t) = table {
        h.push_str(&t.html("h3"));
    }
    for ind in view.catalog.indicators.iter().filter(|i| i.theme == theme.id) {
        let mine = |c: &NamedChart| c.indicator.as_deref() == Some(ind.id.as_str());
        if figures.of(mine).next().is_none() {
            continue;
        }
        h.push_str(&format!("<h3>{}</h3>\n", escape(&ind.label)));
        h.push_str(&format!(
            "<p class=\"note\">Définition : {} Source : {}.</p>\n",
            escape(&ind.definition),
            escape(&ind.source)
        ));
        h.push_str(&figures.all(mine));
    }
    h.push_str(&figures.all(|c| c.theme == theme.id && c.indicator.is_none()));
    h.push_str("</section>\n");
    Section::new(format!("theme-{}", theme.id), theme.label.clone(), h)
}

/// The methodology: notes, legend, sources and definitions.
fn method_section(view: &View, about: &Description) -> Section {
    let mut h = String::from("<section id=\"methodologie\"><h2>Méthodologie</h2>\n");
    for n in method_notes(view) {
        h.push_str(&format!("<p>{}</p>\n", escape(&n)));
    }
    h.push_str(&format!("<p>Légende des tableaux : {}.</p>\n", escape(LEGEND_FR)));
    h.push_str(&sources_table(about).html("h3"));
    let mut m = methodology_table(view, about);
    m.title = "Définitions des indicateurs".into();
    m.notes.clear();
    h.push_str(&m.html("h3"));
    h.push_str("</section>\n");
    Section::new("methodologie", "Méthodologie", h)
}

/// The page: the sections and what surrounds them through the look's
/// template.
fn page_of_sections(
    view: &View,
    about: &Description,
    steering: &Steering,
    look: &Look,
    sections: Vec<Section>,
    empty: Vec<String>,
) -> Result<String> {
    use minijinja::Value;
    let safe = |html: String| Value::from_safe_string(html);
    let sections: Vec<Value> = sections
        .into_iter()
        .map(|s| minijinja::context! { ancre => s.anchor, titre => s.title, html => safe(s.html) })
        .collect();
    let references: Vec<String> = view.references.iter().map(|c| view.geo.name(c)).collect();
    let context = minijinja::context! {
        titre => about.title.clone(),
        description => about.description.clone(),
        edition => edition_line(view)?,
        territoire => view.geo.name(&about.territory),
        comparaison => view.geo.name(&view.results.reference),
        references => references,
        style => safe(look.style.clone()),
        essentiel => safe(essentials(view, about, steering)?),
        sections => sections,
        sans_donnee => empty,
        version => env!("CARGO_PKG_VERSION"),
    };
    let env = environment();
    let template = env
        .template_from_named_str(&look.template_name, &look.template)
        .map_err(|e| template_error(look, e))?;
    let mut page = template.render(context).map_err(|e| template_error(look, e))?;
    if !page.ends_with('\n') {
        page.push('\n');
    }
    Ok(page)
}
