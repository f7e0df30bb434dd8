//! Figure specifications built from the results: ranked bars, evolutions,
//! theme panels and maps, with stable, explicit file names.

use std::collections::{BTreeMap, HashMap};

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, DrawingBackend};

use crate::catalog::{Indicator, Unit};
use crate::engine::{select, ResultRow};
use crate::geo::{Level, Shape};
use crate::render::barometer::View;
use crate::render::charts::{LABEL_CHARS, PANEL_LABEL_CHARS};
use crate::render::charts::{
    quantile_breaks, Bar, Change, Choropleth, Evolution, Figure, MonthlyLine, MonthlyLines, Panel, RankedBars,
    ThemePanel,
    TargetTracks,
};
use crate::monthly::MonthlySeries;
use crate::render::lecture;
use crate::status::Status;

/// Any of the chart kinds.
#[derive(Debug, Clone)]
pub enum Chart {
    Bars(RankedBars),
    Evolution(Evolution),
    Panel(ThemePanel),
    Map(Choropleth),
    Monthly(MonthlyLines),
    Targets(TargetTracks),
}

impl Chart {
    /// The chart's title, as drawn at its top.
    pub fn title(&self) -> &str {
        match self {
            Chart::Bars(c) => &c.title,
            Chart::Evolution(c) => &c.title,
            Chart::Panel(c) => &c.title,
            Chart::Map(c) => &c.title,
            Chart::Monthly(c) => &c.title,
            Chart::Targets(c) => &c.title,
        }
    }
}

impl Figure for Chart {
    fn size(&self) -> (u32, u32) {
        match self {
            Chart::Bars(c) => c.size(),
            Chart::Evolution(c) => c.size(),
            Chart::Panel(c) => c.size(),
            Chart::Map(c) => c.size(),
            Chart::Monthly(c) => c.size(),
            Chart::Targets(c) => c.size(),
        }
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()> {
        match self {
            Chart::Bars(c) => c.draw(area),
            Chart::Evolution(c) => c.draw(area),
            Chart::Panel(c) => c.draw(area),
            Chart::Map(c) => c.draw(area),
            Chart::Monthly(c) => c.draw(area),
            Chart::Targets(c) => c.draw(area),
        }
    }
}

/// A chart with its file stem (`fig_<theme>_<indicator>_<vintage>…`).
#[derive(Debug, Clone)]
pub struct NamedChart {
    pub stem: String,
    pub theme: String,
    pub indicator: Option<String>,
    pub chart: Chart,
}

/// Most territories drawn in one chart: beyond it, the first and last
/// `MAX_BARS / 2` are drawn and the subtitle says so.
pub const MAX_BARS: usize = 40;

/// Keeps the first and last `MAX_BARS / 2` items; returns how many were left out.
fn ends<T>(v: &mut Vec<T>) -> usize {
    if v.len() <= MAX_BARS {
        return 0;
    }
    let dropped = v.len() - MAX_BARS;
    v.drain(MAX_BARS / 2..v.len() - MAX_BARS / 2);
    dropped
}

fn dropped_note(dropped: usize, total: usize) -> String {
    if dropped == 0 {
        String::new()
    } else {
        format!(
            " ; les {} premiers et les {} derniers sur {}",
            MAX_BARS / 2,
            MAX_BARS / 2,
            crate::fr::number(total as f64, 0)
        )
    }
}

/// « Quartiers prioritaires », « Communes »… at the head of a subtitle.
fn plural(level: Level) -> String {
    let words = level.plural_fr();
    let mut chars = words.chars();
    chars.next().map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

impl View<'_> {
    /// Whether a chart of these rows names its territories by their short
    /// names: when one full name is longer than its labels hold, all of
    /// them, so that the bars read alike.
    fn short_labels<'r>(rows: impl IntoIterator<Item = &'r ResultRow>, max: usize) -> bool {
        rows.into_iter().any(|r| r.territory_name.chars().count() > max)
    }

    /// A territory's name on a chart: its short name (« Gambetta » for « QP
    /// Lourches, Denain, Escaudain - Gambetta ») when `short` or when the
    /// full one is longer than `max`; charts cut what still is too long.
    fn chart_label(&self, r: &ResultRow, max: usize, short: bool) -> String {
        if !short && r.territory_name.chars().count() <= max {
            return r.territory_name.clone();
        }
        self.geo
            .get(&r.territory_code)
            .and_then(|t| t.short_name.clone())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| r.territory_name.clone())
    }

    fn indicator_rows(&self, ind: &Indicator) -> Result<Vec<ResultRow>> {
        self.scoped_rows(
            select::indicator(&ind.id).and(select::dated()),
        )
    }

    /// The level and vintage a ranking of `ind` is best drawn at: the level
    /// with the most ranked territories, at its latest vintage.
    pub fn ranking_scope(
        &self,
        ind: &Indicator,
        level: Option<Level>,
        vintage: Option<i32>,
    ) -> Result<Option<(Level, i32)>> {
        let rows = self.indicator_rows(ind)?;
        let mut counts: BTreeMap<Level, usize> = BTreeMap::new();
        for r in rows.iter().filter(|r| r.rank.is_some()) {
            *counts.entry(r.level).or_default() += 1;
        }
        let level = match level.or_else(|| counts.iter().max_by_key(|(_, n)| **n).map(|(l, _)| *l))
        {
            Some(l) => l,
            None => return Ok(None),
        };
        let vintage = vintage.or_else(|| {
            rows.iter()
                .filter(|r| r.level == level && r.rank.is_some())
                .filter_map(|r| r.vintage)
                .max()
        });
        Ok(vintage.map(|v| (level, v)))
    }

    fn footer(&self, ind: &Indicator, lecture_row: Option<&ResultRow>) -> Vec<String> {
        let mut f = vec![format!("Source : {}.", ind.source)];
        if let Some(r) = lecture_row {
            if let (Some(v), Some(y)) = (r.value, r.vintage) {
                f.push(lecture::sentence(ind, &r.territory_name, v, y));
            }
        }
        f
    }

    fn reference_rows<'r>(
        &self,
        rows: &'r [ResultRow],
        vintage: i32,
        exclude: &[String],
    ) -> Vec<&'r ResultRow> {
        self.references
            .iter()
            .filter(|c| !exclude.contains(c))
            .filter_map(|c| {
                rows.iter()
                    .find(|r| &r.territory_code == c && r.vintage == Some(vintage))
            })
            .collect()
    }

    /// Ranked bars of one indicator. `only` restricts the ranked territories.
    pub fn ranked_bars(
        &self,
        ind: &Indicator,
        level: Option<Level>,
        vintage: Option<i32>,
        only: Option<&[String]>,
    ) -> Result<Option<(RankedBars, Level, i32)>> {
        let Some((level, vintage)) = self.ranking_scope(ind, level, vintage)? else {
            return Ok(None);
        };
        let rows = self.indicator_rows(ind)?;
        let mut main: Vec<&ResultRow> = rows
            .iter()
            .filter(|r| r.level == level && r.vintage == Some(vintage))
            .filter(|r| only.is_none_or(|o| o.contains(&r.territory_code)))
            .filter(|r| !self.references.contains(&r.territory_code))
            .collect();
        if main.is_empty() {
            return Ok(None);
        }
        main.sort_by(|a, b| crate::render::barometer::rank_order(a, b));
        // Communes within a scope: those holding a quartier prioritaire in
        // the main colour, the others lighter (the contract's « situation
        // comparée des communes en géographie prioritaire »).
        let prioritaires = match (level, self.scope) {
            (Level::Commune, Some(_)) => self.communes_with_qpv(false),
            _ => vec![],
        };
        let two_groups = main.iter().any(|r| prioritaires.contains(&r.territory_code))
            && main.iter().any(|r| !prioritaires.contains(&r.territory_code));
        let short = Self::short_labels(main.iter().copied(), LABEL_CHARS);
        let bar = |r: &ResultRow, reference: bool| Bar {
            label: self.chart_label(r, LABEL_CHARS, short && !reference),
            value: r.value,
            status: r.status,
            reference,
            muted: two_groups && !reference && !prioritaires.contains(&r.territory_code),
        };
        let groups = if two_groups {
            " ; en bleu foncé, les communes où se trouve un QPV de 2024, en bleu clair les autres"
        } else {
            ""
        };
        let total = main.len();
        let first = main.iter().copied().find(|r| r.status == Status::Ok);
        let dropped = ends(&mut main);
        let mut bars: Vec<Bar> = main.iter().map(|r| bar(r, false)).collect();
        // Counts of much larger territories would flatten every bar.
        let references = if ind.unit == Unit::Count {
            vec![]
        } else {
            self.reference_rows(&rows, vintage, &[])
        };
        let with_refs = !references.is_empty();
        bars.extend(references.into_iter().map(|r| bar(r, true)));
        Ok(Some((
            RankedBars {
                title: format!("{} — {vintage}", ind.label),
                subtitle: if with_refs {
                    format!(
                        "{}, tri décroissant{}{groups} ; en orange, les territoires de référence ({})",
                        plural(level),
                        dropped_note(dropped, total),
                        ind.unit.as_str()
                    )
                } else {
                    format!(
                        "{}, tri décroissant{}{groups} ({})",
                        plural(level),
                        dropped_note(dropped, total),
                        ind.unit.as_str()
                    )
                },
                unit: ind.unit.as_str().to_string(),
                decimals: ind.decimals,
                bars,
                footer: self.footer(ind, first),
            },
            level,
            vintage,
        )))
    }

    /// Change between the two latest vintages of one indicator, per territory.
    pub fn evolution(
        &self,
        ind: &Indicator,
        level: Option<Level>,
        only: Option<&[String]>,
    ) -> Result<Option<Evolution>> {
        let rows = self.indicator_rows(ind)?;
        let changed: Vec<&ResultRow> = rows
            .iter()
            .filter(|r| r.evol_status == Some(Status::Ok) && r.evol_abs.is_some())
            .filter(|r| level.is_none_or(|l| r.level == l))
            .collect();
        let Some((lvl, from, to)) = self.common_change(&changed) else {
            return Ok(None);
        };
        let in_pair = |r: &&&ResultRow| r.prev_vintage == Some(from) && r.vintage == Some(to);
        let mut main: Vec<&ResultRow> = changed
            .iter()
            .filter(in_pair)
            .filter(|r| r.level == lvl && !self.references.contains(&r.territory_code))
            .filter(|r| only.is_none_or(|o| o.contains(&r.territory_code)))
            .copied()
            .collect();
        // By change, the largest rise first: what the chart is about.
        let relative = ind.unit.has_relative_evolution();
        let size = |r: &ResultRow| if relative { r.evol_pct } else { r.evol_abs };
        main.sort_by(|a, b| {
            size(b)
                .partial_cmp(&size(a))
                .unwrap_or(std::cmp::Ordering::Equal)
                .then_with(|| crate::fr::collate(&a.territory_name, &b.territory_name))
        });
        let short = Self::short_labels(main.iter().copied(), LABEL_CHARS);
        let change = |r: &ResultRow, reference: bool| -> Option<Change> {
            let to_v = r.value?;
            Some(Change {
                label: self.chart_label(r, LABEL_CHARS, short && !reference),
                from: to_v - r.evol_abs?,
                to: to_v,
                reference,
                secret: false,
            })
        };
        let mut out: Vec<Change> = main.iter().filter_map(|r| change(r, false)).collect();
        if out.is_empty() {
            return Ok(None);
        }
        let total = out.len();
        let dropped = ends(&mut out);
        // Territories of the level whose change is secret: « nd » rows
        // after the others (the first MAX_BARS / 2 by name), the rest
        // counted in the subtitle: never silently left out.
        let unshown = self.secret_changes(&rows, (lvl, to), only, short, &mut out);
        for code in self.references {
            if let Some(r) = changed
                .iter()
                .filter(in_pair)
                .find(|r| &r.territory_code == code)
            {
                out.extend(change(r, true));
            }
        }
        let level = lvl;
        let mut footer = self.footer(ind, None);
        if let Some(r) = main.first() {
            if let Some(s) = lecture::change_sentence(ind, r, relative) {
                footer.push(s);
            }
        }
        Ok(Some(Evolution {
            title: format!("{} — évolution {from}-{to}", ind.label),
            subtitle: format!(
                "{}{} ; évolution en {}",
                plural(level),
                dropped_note(dropped, total)
                    + &match unshown {
                        0 => String::new(),
                        n => format!(" ; {} autres au changement secret (nd)", crate::fr::number(n as f64, 0)),
                    },
                if relative {
                    "%".to_string()
                } else if ind.unit == Unit::Index {
                    "écart d'indice".to_string()
                } else {
                    ind.unit.evolution_unit().replace("pts", "points")
                }
            ),
            from_vintage: from,
            to_vintage: to,
            unit: ind.unit.as_str().to_string(),
            change_unit: ind.unit.evolution_unit().to_string(),
            decimals: ind.decimals,
            relative,
            rows: out,
            footer,
        }))
    }

    /// The most frequent (level, from, to) change among the territories
    /// (references aside): the level with the most changes, its most
    /// common pair of vintages. Ties: the first by level identifier, then
    /// vintages.
    fn common_change(&self, changed: &[&ResultRow]) -> Option<(Level, i32, i32)> {
        let mut pairs: HashMap<(Level, i32, i32), usize> = HashMap::new();
        for r in changed
            .iter()
            .filter(|r| !self.references.contains(&r.territory_code))
        {
            if let (Some(a), Some(b)) = (r.prev_vintage, r.vintage) {
                *pairs.entry((r.level, a, b)).or_default() += 1;
            }
        }
        pairs
            .into_iter()
            .max_by(|x, y| {
                let key = |k: &(Level, i32, i32)| (k.0.as_str(), k.1, k.2);
                x.1.cmp(&y.1).then(key(&y.0).cmp(&key(&x.0)))
            })
            .map(|(k, _)| k)
    }

    /// Adds the first MAX_BARS / 2 territories of `level` (by name) whose
    /// change to `to` is secret, as « nd » rows; how many more there are.
    fn secret_changes(
        &self,
        rows: &[ResultRow],
        (level, to): (Level, i32),
        only: Option<&[String]>,
        short: bool,
        out: &mut Vec<Change>,
    ) -> usize {
        let mut secret: Vec<&ResultRow> = rows
            .iter()
            .filter(|r| r.level == level && r.vintage == Some(to) && r.evol_status == Some(Status::Secret))
            .filter(|r| !self.references.contains(&r.territory_code))
            .filter(|r| only.is_none_or(|o| o.contains(&r.territory_code)))
            .collect();
        secret.sort_by(|a, b| crate::fr::collate(&a.territory_name, &b.territory_name));
        out.extend(secret.iter().take(MAX_BARS / 2).map(|r| Change {
            label: self.chart_label(r, LABEL_CHARS, short),
            from: 0.0,
            to: 0.0,
            reference: false,
            secret: true,
        }));
        secret.len().saturating_sub(MAX_BARS / 2)
    }

    /// Small multiples of a theme for one territory against the references.
    pub fn theme_panel(&self, theme: &str, territory: &str) -> Result<Option<ThemePanel>> {
        let mut panels = vec![];
        let mut sources = vec![];
        // Counts are not compared across territories of different sizes.
        for ind in self
            .catalog
            .indicators
            .iter()
            .filter(|i| i.theme == theme && i.unit != Unit::Count)
        {
            let rows = self.indicator_rows(ind)?;
            let Some(latest) = rows
                .iter()
                .filter(|r| r.territory_code == territory && r.status == Status::Ok)
                .filter_map(|r| r.vintage)
                .max()
            else {
                continue;
            };
            let Some(me) = rows
                .iter()
                .find(|r| r.territory_code == territory && r.vintage == Some(latest))
            else {
                continue;
            };
            let mut bars = vec![Bar {
                label: self.chart_label(me, PANEL_LABEL_CHARS, false),
                value: me.value,
                status: me.status,
                reference: false,
                muted: false,
            }];
            for r in self.reference_rows(&rows, latest, &[territory.to_string()]) {
                bars.push(Bar {
                    label: self.chart_label(r, PANEL_LABEL_CHARS, false),
                    value: r.value,
                    status: r.status,
                    reference: true,
                    muted: false,
                });
            }
            panels.push(Panel {
                title: format!("{} ({latest})", ind.label),
                unit: ind.unit.as_str().to_string(),
                decimals: ind.decimals,
                bars,
            });
            if !sources.contains(&ind.source) {
                sources.push(ind.source.clone());
            }
        }
        if panels.is_empty() {
            return Ok(None);
        }
        let label = self
            .catalog
            .theme(theme)
            .map(|t| t.label.clone())
            .unwrap_or_default();
        Ok(Some(ThemePanel {
            title: format!("{label} — {}", self.geo.name(territory)),
            subtitle: "Le territoire (en bleu) et ses territoires de référence (en orange), au dernier millésime disponible".into(),
            panels,
            footer: vec![format!("Sources : {}.", sources.join(" ; "))],
        }))
    }

    /// Choropleth of one indicator over contours; quantile classes unless
    /// `breaks` are given. The map shows the territories of `only` (and
    /// what lies in them) or, without it, of the dataset's scope, at
    /// `level` or the finest level the contours have values at; every
    /// other contour is background, and the extent is the selection's.
    pub fn choropleth(
        &self,
        ind: &Indicator,
        vintage: Option<i32>,
        shapes: &[Shape],
        breaks: Option<Vec<f64>>,
        only: Option<&[String]>,
        level: Option<Level>,
    ) -> Result<Option<(Choropleth, i32)>> {
        let selection = only.map(|codes| self.geo.scope(codes));
        let selection = selection.as_ref().or(self.scope);
        let selected = |s: &Shape| selection.is_none_or(|sc| sc.contains(&s.code));
        let level_of = |s: &Shape| self.geo.get(&s.code).map(|t| t.level);
        let rows = self.indicator_rows(ind)?;
        let with_rows: std::collections::HashSet<&str> =
            rows.iter().map(|r| r.territory_code.as_str()).collect();
        // The map's level: the one asked, or the finest with values
        // (quartiers over a background of communes).
        let Some(level) = level.or_else(|| {
            shapes
                .iter()
                .filter(|s| selected(s) && with_rows.contains(s.code.as_str()))
                .filter_map(level_of)
                .min()
        }) else {
            return Ok(None);
        };
        let (shown, background): (Vec<Shape>, Vec<Shape>) = shapes
            .iter()
            .cloned()
            .partition(|s| selected(s) && level_of(s) == Some(level));
        // The extent: every selected contour (an EPCI's communes around its
        // quartiers), or the shown ones when nothing is selected.
        let framed: Vec<&Shape> = match selection {
            Some(_) => shapes.iter().filter(|s| selected(s)).collect(),
            None => shown.iter().collect(),
        };
        let Some(extent) = crate::geo::contours::bbox(framed.iter().copied()) else {
            return Ok(None);
        };
        // Within a selection, the outline of its communes.
        let communes: Vec<Shape> = match selection {
            Some(_) => framed
                .iter()
                .filter(|s| level_of(s) == Some(Level::Commune))
                .map(|s| (*s).clone())
                .collect(),
            None => vec![],
        };
        let outline = if communes.len() > 1 {
            crate::geo::contours::outline(&communes)
        } else {
            vec![]
        };
        // On a map of communes, those holding a quartier prioritaire.
        let marked: std::collections::BTreeSet<String> = match level {
            Level::Commune => self
                .communes_with_qpv(false)
                .into_iter()
                .filter(|c| shown.iter().any(|s| s.code == *c))
                .collect(),
            _ => Default::default(),
        };
        let shapes = &shown[..];
        let on_map = |r: &&ResultRow| shapes.iter().any(|s| s.code == r.territory_code);
        let Some(vintage) = vintage.or_else(|| {
            rows.iter()
                .filter(on_map)
                .filter(|r| r.status == Status::Ok)
                .filter_map(|r| r.vintage)
                .max()
        }) else {
            return Ok(None);
        };
        let values: HashMap<String, (Option<f64>, Status)> = rows
            .iter()
            .filter(on_map)
            .filter(|r| r.vintage == Some(vintage))
            .map(|r| (r.territory_code.clone(), (r.value, r.status)))
            .collect();
        let ok: Vec<f64> = values
            .values()
            .filter(|(_, s)| *s == Status::Ok)
            .filter_map(|(v, _)| *v)
            .collect();
        let breaks = breaks.unwrap_or_else(|| quantile_breaks(&ok, 5));
        if breaks.len() < 2 {
            return Ok(None);
        }
        let first = rows
            .iter()
            .filter(on_map)
            .filter(|r| r.vintage == Some(vintage))
            .min_by_key(|r| r.rank.unwrap_or(u32::MAX));
        Ok(Some((
            Choropleth {
                title: format!("{} — {vintage}", ind.label),
                subtitle: format!("Classes par quantiles ({})", ind.unit.as_str()),
                unit: ind.unit.as_str().to_string(),
                decimals: ind.decimals,
                shapes: shapes.to_vec(),
                values,
                breaks,
                footer: self.footer(ind, first),
                outline,
                marked,
                marked_label: "commune où se trouve un QPV (géographie prioritaire 2024)".into(),
                background,
                extent,
            },
            vintage,
        )))
    }

    /// A chart per monthly series whose variable an indicator reads alone
    /// (C2S beneficiaries): the départements among the references and their
    /// régions, month by month.
    pub fn monthly_charts(&self, series: &[MonthlySeries]) -> Vec<NamedChart> {
        const MONTHS: [&str; 12] = [
            "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
            "septembre", "octobre", "novembre", "décembre",
        ];
        let month_fr = |m: i32| format!("{} {}", MONTHS[((m % 100 - 1).clamp(0, 11)) as usize], m / 100);
        let mut territories: Vec<String> = vec![];
        for r in self.references {
            if let Some(t) = self.geo.get(r).filter(|t| t.level == Level::Departement) {
                territories.push(r.clone());
                territories.extend(
                    t.parents
                        .iter()
                        .filter(|p| self.geo.get(p).is_some_and(|p| p.level == Level::Region))
                        .cloned(),
                );
            }
        }
        territories.dedup();
        let mut out = vec![];
        for s in series {
            let Some(ind) = self.catalog.indicators.iter().find(|i| i.formulas.iter().any(|f| f.trim() == s.variable)) else {
                continue;
            };
            let lines: Vec<MonthlyLine> = territories
                .iter()
                .enumerate()
                .filter_map(|(k, code)| {
                    let points = s.points.get(code)?;
                    Some(MonthlyLine {
                        label: self.geo.name(code),
                        reference: k > 0,
                        points: points.iter().map(|&(m, v, st)| (m, v.filter(|_| st == Status::Ok))).collect(),
                    })
                })
                .collect();
            let Some(first) = lines.first() else {
                continue;
            };
            let first_name = first.label.clone();
            let known: Vec<(i32, f64)> = first.points.iter().filter_map(|&(m, v)| Some((m, v?))).collect();
            let (Some(&(m0, _)), Some(&(m1, v1))) = (known.first(), known.last()) else {
                continue;
            };
            let names: Vec<String> = lines.iter().map(|l| l.label.clone()).collect();
            out.push(NamedChart {
                stem: format!("fig_{}_{}_mensuel", ind.theme, ind.id),
                theme: ind.theme.clone(),
                indicator: Some(ind.id.clone()),
                chart: Chart::Monthly(MonthlyLines {
                    title: format!("{}, mois par mois", ind.label),
                    subtitle: format!(
                        "{}, de {} à {} ({})",
                        names.join(" et "),
                        month_fr(m0),
                        month_fr(m1),
                        ind.unit.as_str()
                    ),
                    unit: ind.unit.as_str().to_string(),
                    lines,
                    footer: vec![
                        format!("Source : {}, fichier mensuel (source « {} »).", ind.source, s.source),
                        format!(
                            "Lecture : en {}, {first_name} : {} ({}).",
                            month_fr(m1),
                            crate::fr::number(v1, 0),
                            crate::fr::lowercase_first(&ind.label),
                        ),
                    ],
                }),
            });
        }
        out
    }

    /// Every figure of the barometer, in report order.
    pub fn report_charts(
        &self,
        contours: Option<&[Shape]>,
        panel_territory: Option<&str>,
    ) -> Result<Vec<NamedChart>> {
        let mut out = vec![];
        for theme in &self.catalog.themes {
            for ind in self
                .catalog
                .indicators
                .iter()
                .filter(|i| i.theme == theme.id)
            {
                if let Some((c, _, v)) = self.ranked_bars(ind, None, None, None)? {
                    out.push(NamedChart {
                        stem: format!("fig_{}_{}_{v}", theme.id, ind.id),
                        theme: theme.id.clone(),
                        indicator: Some(ind.id.clone()),
                        chart: Chart::Bars(c),
                    });
                }
                if let Some(c) = self.evolution(ind, None, None)? {
                    out.push(NamedChart {
                        stem: format!(
                            "fig_{}_{}_{}-{}_evolution",
                            theme.id, ind.id, c.from_vintage, c.to_vintage
                        ),
                        theme: theme.id.clone(),
                        indicator: Some(ind.id.clone()),
                        chart: Chart::Evolution(c),
                    });
                }
                if let Some(shapes) = contours {
                    if let Some((c, v)) = self.choropleth(ind, None, shapes, None, None, None)? {
                        out.push(NamedChart {
                            stem: format!("fig_{}_{}_{v}_carte", theme.id, ind.id),
                            theme: theme.id.clone(),
                            indicator: Some(ind.id.clone()),
                            chart: Chart::Map(c),
                        });
                    }
                }
            }
            if let Some(t) = panel_territory {
                if let Some(c) = self.theme_panel(&theme.id, t)? {
                    out.push(NamedChart {
                        stem: format!("fig_{}_panneau_{t}", theme.id),
                        theme: theme.id.clone(),
                        indicator: None,
                        chart: Chart::Panel(c),
                    });
                }
            }
        }
        Ok(out)
    }
}

/// Renders charts as PNG and SVG into `dir`, in parallel, with a progress bar
/// on a terminal (silent when piped); returns their SVG, in chart order.
pub fn write_charts(dir: &std::path::Path, charts: &[NamedChart]) -> Result<Vec<String>> {
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    use rayon::prelude::*;
    std::fs::create_dir_all(dir)?;
    let bar =
        ProgressBar::with_draw_target(Some(charts.len() as u64), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} figures") {
        bar.set_style(style);
    }
    bar.set_message("Figures");
    let svgs = charts
        .par_iter()
        .map(|c| -> Result<String> {
            let svg = crate::render::charts::write_figure(&c.chart, &dir.join(&c.stem))?;
            bar.inc(1);
            Ok(svg)
        })
        .collect::<Result<Vec<_>>>()?;
    bar.finish_and_clear();
    Ok(svgs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_rankings_keep_both_ends() {
        let mut v: Vec<u32> = (1..=100).collect();
        assert_eq!(ends(&mut v), 60);
        assert_eq!(v.len(), MAX_BARS);
        assert_eq!((v[0], v[19], v[20], v[39]), (1, 20, 81, 100));
        let mut short: Vec<u32> = (1..=13).collect();
        assert_eq!(ends(&mut short), 0);
        assert_eq!(short.len(), 13);
    }
}
