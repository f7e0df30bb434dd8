//! `bcs chart <indicateur>`: one figure, PNG and SVG.

use std::path::PathBuf;

use anyhow::{bail, Result};

use super::Cli;
use crate::geo::Level;
use crate::render::charts::write_figure;
use crate::render::figures::Chart;
use crate::outdir::{OutputDir, Writer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// Barres horizontales triées, territoires de référence à part.
    Bars,
    /// Évolution entre deux millésimes (haltères).
    Evolution,
    /// Carte choroplèthe (avec --contours).
    Map,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Identifiant ou partie du libellé de l'indicateur.
    pub indicator: String,
    #[arg(long, value_enum, default_value = "bars")]
    pub kind: Kind,
    /// Territoires à représenter (codes ou noms, séparés par des virgules) ; une carte est cadrée sur eux et ce qu'ils contiennent. Par défaut : tous ceux du niveau.
    #[arg(long, value_delimiter = ',')]
    pub territories: Vec<String>,
    #[arg(long, value_parser = super::parse_level)]
    pub level: Option<Level>,
    #[arg(long)]
    pub vintage: Option<i32>,
    #[command(flatten)]
    pub contours: super::report::ContourArgs,
    /// Bornes de classes de la carte, croissantes (ex. 20,30,40,50). Par défaut : quantiles.
    #[arg(long, value_delimiter = ',')]
    pub breaks: Vec<f64>,
    /// Dossier de sortie (la figure va dans son sous-dossier figures/). Par défaut : reports/<jeu de données>.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run(cli: &Cli, args: &Args) -> Result<()> {
    let s = cli.session(None)?;
    let ind = s.catalog.find_indicator(&args.indicator)?;
    let theme = ind.theme.clone();
    let only: Vec<String> = args
        .territories
        .iter()
        .map(|q| s.geo.resolve(q, args.level).map(|r| r.codes()))
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect();
    let only = (!only.is_empty()).then_some(only.as_slice());
    let view = s.view();
    let (chart, stem) = match args.kind {
        Kind::Bars => match view.ranked_bars(ind, args.level, args.vintage, only)? {
            Some((c, _, v)) => (Chart::Bars(c), format!("fig_{theme}_{}_{v}", ind.id)),
            None => bail!("aucune valeur de « {} » à représenter", ind.label),
        },
        Kind::Evolution => match view.evolution(ind, args.level, only)? {
            Some(c) => {
                let stem = format!(
                    "fig_{theme}_{}_{}-{}_evolution",
                    ind.id, c.from_vintage, c.to_vintage
                );
                (Chart::Evolution(c), stem)
            }
            None => bail!(
                "« {} » n'a pas deux millésimes comparables dans ce jeu de données",
                ind.label
            ),
        },
        Kind::Map => {
            let shapes = args.contours.load(&s)?;
            if shapes.is_empty() {
                bail!("une carte demande des contours : --contours FICHIER.geojson (ou [[geography.contours]] dans dataset.toml)");
            }
            let breaks = if args.breaks.is_empty() {
                None
            } else {
                Some(args.breaks.clone())
            };
            if let Some(b) = &breaks {
                if b.len() < 2 || b.windows(2).any(|w| w[0] >= w[1]) {
                    bail!("--breaks : au moins deux bornes strictement croissantes attendues");
                }
            }
            match view.choropleth(ind, args.vintage, &shapes, breaks, only, args.level)? {
                Some((c, v)) => (Chart::Map(c), format!("fig_{theme}_{}_{v}_carte", ind.id)),
                None => bail!(
                    "aucun territoire des contours n'a de valeur pour « {} »",
                    ind.label
                ),
            }
        }
    };
    // Into the figures folder of the output folder, beside what `run` and
    // `report` wrote there, which it leaves in place.
    let out = OutputDir::create(&s.output_dir(args.out.as_deref()), Writer::Chart)?;
    write_figure(&chart, &out.dir("figures")?.join(&stem))?;
    let dir = out.commit()?.join("figures");
    for ext in ["png", "svg"] {
        println!("{}", dir.join(format!("{stem}.{ext}")).display());
    }
    s.finish();
    Ok(())
}
