//! `bcs report`: the HTML report and its figures folder.

use std::path::{Path, PathBuf};

use anyhow::Result;

use super::{Cli, Session};
use crate::engine::vigilance::Steering;
use crate::geo::{read_geojson, Shape};
use crate::render::figures::write_charts;
use crate::render::fiche::Fiche;
use crate::outdir::{OutputDir, Writer};
use crate::ingest::Manifest;
use crate::render::barometer::ThemeTables;
use crate::render::report::{self, Look};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Dossier de sortie. Par défaut : reports/<identifiant du jeu de données>.
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub contours: ContourArgs,
    #[command(flatten)]
    pub look: LookArgs,
}

/// The report's look given on the command line.
#[derive(clap::Args, Debug)]
pub struct LookArgs {
    /// Modèle du rapport (syntaxe Jinja2), à la place de celui du jeu de données ([report] template) ou de bcs (bcs template DOSSIER l'écrit pour partir de lui).
    #[arg(long, value_name = "FICHIER")]
    pub template: Option<PathBuf>,
    /// Feuille de style du rapport et des fiches (CSS), à la place de celle du jeu de données ([report] style) ou de bcs.
    #[arg(long, value_name = "FICHIER")]
    pub style: Option<PathBuf>,
}

impl LookArgs {
    pub fn load(&self, manifest: &Manifest) -> Result<Look> {
        dataset_look(manifest, self.template.as_deref(), self.style.as_deref())
    }
}

/// The report's look: the files given, else the dataset's `[report]`
/// ones (relative to its manifest), else bcs's.
pub fn dataset_look(manifest: &Manifest, template: Option<&Path>, style: Option<&Path>) -> Result<Look> {
    let conf = &manifest.report;
    let template = template.map(Path::to_path_buf).or_else(|| conf.template.as_deref().map(|p| manifest.path(p)));
    let style = style.map(Path::to_path_buf).or_else(|| conf.style.as_deref().map(|p| manifest.path(p)));
    Look::load(template.as_deref(), style.as_deref())
}

/// Map contours given on the command line.
#[derive(clap::Args, Debug)]
pub struct ContourArgs {
    /// Contours GeoJSON pour les cartes (en plus de ceux du jeu de données).
    #[arg(long)]
    pub contours: Option<PathBuf>,
    /// Propriété GeoJSON portant le code du territoire.
    #[arg(long, default_value = "code")]
    pub code_property: String,
}

impl ContourArgs {
    /// Contours of the dataset plus those given on the command line.
    pub fn load(&self, s: &Session) -> Result<Vec<Shape>> {
        let mut shapes = vec![];
        for c in &s.manifest.geography.contours {
            shapes.extend(read_geojson(&s.manifest.path(&c.file), &c.code_property)?);
        }
        if let Some(p) = &self.contours {
            shapes.extend(read_geojson(p, &self.code_property)?);
        }
        // Contours drawn on an older commune list join as the data do.
        Ok(s.geo.current_shapes(shapes))
    }
}

/// Writes `report.html` and `figures/` into the output folder.
pub fn write_report(s: &Session, out: &OutputDir, shapes: &[Shape], steering: &Steering, look: &Look, tables: &ThemeTables) -> Result<usize> {
    let view = s.view();
    let panel = s.manifest.dataset.panel_territory();
    let mut charts = view.report_charts((!shapes.is_empty()).then_some(shapes), panel)?;
    let mut monthly = vec![];
    for (source, obs) in crate::ingest::monthly_observations(&s.manifest, &s.catalog, &s.geo)? {
        monthly.extend(crate::engine::monthly_series(&source, &obs, &s.catalog, &s.geo)?);
    }
    charts.extend(view.monthly_charts(&monthly));
    charts.extend(crate::render::vigilance::targets_chart(&steering.targets, &s.catalog));
    let svgs = write_charts(&out.dir("figures")?, &charts)?;
    // One sheet per commune of the scope holding a quartier prioritaire,
    // in the report and on its own page; a dataset without a scope (every
    // commune of France) gets them on demand (bcs fiche), not 1 000 pages.
    let mut fiches = vec![];
    let sheet_communes = match s.scope {
        Some(_) => view.communes_with_qpv(true),
        None => vec![],
    };
    for code in sheet_communes {
        let fiche = Fiche::of(&view, &code)?;
        if !crate::files::is_slug(&code) {
            anyhow::bail!("code de commune « {code} » inutilisable comme nom de fichier");
        }
        out.write(
            &format!("fiches/fiche_{code}.html"),
            report::page(&fiche.title, &fiche.html(1), &look.style),
        )?;
        fiches.push(fiche);
    }
    out.write(
        "report.html",
        report::html(&view, &s.description(), tables, &charts, &svgs, &fiches, steering, look)?,
    )?;
    Ok(charts.len())
}

pub fn run(cli: &Cli, args: &Args) -> Result<()> {
    let s = cli.session(None)?;
    let look = args.look.load(&s.manifest)?;
    let shapes = args.contours.load(&s)?;
    let out = OutputDir::create(&s.output_dir(args.out.as_deref()), Writer::Report)?;
    let tables = s.view().theme_tables()?;
    let n = write_report(&s, &out, &shapes, &s.steering()?, &look, &tables)?;
    let path = out.commit()?;
    println!(
        "Rapport écrit : {} ({n} figures dans {})",
        path.join("report.html").display(),
        path.join("figures").display()
    );
    s.finish();
    Ok(())
}
