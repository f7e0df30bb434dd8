//! `bcs run`: the whole barometer into an output folder.

use std::path::PathBuf;

use anyhow::Result;

use super::Cli;
use crate::catalog::Catalog;
use crate::engine::vigilance::Steering;
use crate::outdir::{OutputDir, Writer};
use crate::render::barometer::{ThemeTables, View};
use crate::render::output::{results_csv_wanted, write_results, EXCEL_ROWS};
use crate::render::{report, xlsx, Table};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Dossier de sortie. Par défaut : reports/<identifiant du jeu de données>.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Territoire de comparaison (colonne gap_reference). Par défaut : celui du jeu de données.
    #[arg(long)]
    pub reference: Option<String>,
    /// N'écrire que la table de résultats (results.parquet, et results.csv s'il tient dans une feuille Excel) : ni tableaux, ni classeur, ni figures.
    #[arg(long)]
    pub results_only: bool,
    /// Écrire results.csv même au-delà de la limite d'une feuille Excel
    /// (1 048 576 lignes) ; results.parquet est toujours écrit.
    #[arg(long)]
    pub csv: bool,
    #[command(flatten)]
    pub contours: super::report::ContourArgs,
    #[command(flatten)]
    pub look: super::report::LookArgs,
}

pub fn run(cli: &Cli, args: &Args) -> Result<()> {
    let mut s = cli.session(args.reference.as_deref())?;
    for r in &s.reports {
        eprintln!("Lecture de la source {}", r.summary());
    }
    let shapes = args.contours.load(&s)?;
    let look = args.look.load(&s.manifest)?;
    let out = OutputDir::create(&s.output_dir(args.out.as_deref()), Writer::Run)?;
    let rows = s.results.frame.height();
    let csv = results_csv_wanted(rows, args.csv);
    if !csv {
        eprintln!(
            "results.csv non écrit : ses {} lignes dépassent une feuille Excel ({}) ; results.parquet les contient toutes (--csv pour l'écrire quand même).",
            crate::fr::number(rows as f64, 0),
            crate::fr::number(EXCEL_ROWS as f64, 0)
        );
    }
    let t = crate::timing::stage("écriture des résultats");
    let parquet = write_results(&out, &s.results.frame, s.cached_results_file(), &s.catalog, csv)?;
    drop(t);
    s.cache_results_file(&parquet);
    if args.results_only {
        let path = out.commit()?;
        println!(
            "Table de résultats « {} » écrite dans {} : {} lignes.",
            s.manifest.dataset.title,
            path.display(),
            crate::fr::number(rows as f64, 0)
        );
        s.finish();
        return Ok(());
    }
    let view = s.view();
    let mut index = format!(
        "# {}\n\n{}\n\n",
        s.manifest.dataset.title, s.manifest.dataset.description
    );
    index.push_str("- [Rapport complet (HTML)](report.html) — figures dans [figures/](figures/)\n");
    index.push_str(
        "- [Classeur Excel](barometre.xlsx) : une feuille par thème et la méthodologie\n",
    );
    let tables = view.theme_tables()?;
    let mut sheets = write_theme_files(&out, &view, &tables, &mut index)?;
    let written = sheets.len();
    let steering = s.steering()?;
    write_steering_files(&out, &s.catalog, &steering, &mut sheets, &mut index)?;
    xlsx::write_workbook(
        &out.file("barometre.xlsx")?,
        &sheets,
        &report::methodology_table(&view, &s.description()),
    )?;
    let figures = super::report::write_report(&s, &out, &shapes, &steering, &look, &tables)?;
    if !shapes.is_empty() {
        out.write(
            "results.geojson",
            crate::render::geojson::results_geojson(&s.results, &s.geo, &shapes)?,
        )?;
        index.push_str("- [results.geojson](results.geojson) : les contours et leurs valeurs, pour QGIS\n");
    }
    let tables = if csv {
        "[results.csv](results.csv), [results.parquet](results.parquet)"
    } else {
        "[results.parquet](results.parquet) (trop de lignes pour une feuille Excel : pas de CSV)"
    };
    index.push_str(&format!(
        "\nTable de résultats : {tables} — {} lignes, comparaison à {}.\n",
        crate::fr::number(rows as f64, 0),
        s.geo.name(&s.results.reference)
    ));
    out.write("README.md", index)?;
    let path = out.commit()?;
    println!(
        "Baromètre « {} » écrit dans {} : {} lignes de résultats, {written} tableaux thématiques, {figures} figures, rapport {}.",
        s.manifest.dataset.title,
        path.display(),
        crate::fr::number(s.results.frame.height() as f64, 0),
        path.join("report.html").display()
    );
    s.finish();
    Ok(())
}

/// One file per theme (Markdown and CSV; Markdown only for a theme without
/// data) and the priority sensitivity, listed in the index; the sheets of
/// the workbook.
fn write_theme_files(out: &OutputDir, view: &View, tables: &ThemeTables, index: &mut String) -> Result<Vec<(String, Table)>> {
    let mut sheets = vec![];
    for (theme, table) in tables {
        let stem = format!("theme_{:02}_{}", theme.order, theme.id);
        match table {
            Some(table) => {
                out.write(&format!("{stem}.md"), table.markdown())?;
                out.write(&format!("{stem}.csv"), table.csv()?)?;
                index.push_str(&format!(
                    "- [{}]({stem}.md) ([CSV]({stem}.csv))\n",
                    theme.label
                ));
                sheets.push((theme.label.clone(), table.clone()));
            }
            None => {
                out.write(
                    &format!("{stem}.md"),
                    view.empty_theme(&theme.id).markdown(),
                )?;
                index.push_str(&format!(
                    "- [{}]({stem}.md) — aucune donnée dans ce jeu de données\n",
                    theme.label
                ));
            }
        }
    }
    if let Some(t) = view.sensitivity_table() {
        out.write("priorite_sensibilite.md", t.markdown())?;
        out.write("priorite_sensibilite.csv", t.csv()?)?;
        index.push_str("- [Classement de priorité : sensibilité](priorite_sensibilite.md)\n");
    }
    Ok(sheets)
}

/// The points de vigilance and the targets (Markdown, CSV, a sheet each),
/// listed in the index.
fn write_steering_files(
    out: &OutputDir,
    catalog: &Catalog,
    steering: &Steering,
    sheets: &mut Vec<(String, Table)>,
    index: &mut String,
) -> Result<()> {
    let alerts = crate::render::vigilance::alerts_table(&steering.alerts, catalog);
    out.write("points_de_vigilance.md", alerts.markdown())?;
    out.write("points_de_vigilance.csv", alerts.csv()?)?;
    index.push_str(&format!(
        "- [Points de vigilance](points_de_vigilance.md) ([CSV](points_de_vigilance.csv)) : {} alerte(s)\n",
        steering.alerts.len()
    ));
    if !steering.targets.is_empty() {
        let t = crate::render::vigilance::targets_table(&steering.targets, catalog);
        out.write("objectifs.md", t.markdown())?;
        out.write("objectifs.csv", t.csv()?)?;
        index.push_str("- [Objectifs chiffrés du contrat](objectifs.md) ([CSV](objectifs.csv))\n");
        sheets.push(("Objectifs".to_string(), t));
    }
    sheets.insert(0, ("Points de vigilance".to_string(), alerts));
    Ok(())
}
