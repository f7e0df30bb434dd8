//! Command-line interface: one file per subcommand; `main.rs` stays thin.

mod chart;
mod diff;
mod fiche;
mod import;
mod indicators;
mod rank;
mod report;
mod run;
mod shell;
mod show;
mod synth;
mod template;
mod validate;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand, ValueEnum};

use crate::app::{self, Opened, Session};
use crate::engine::Results;
use crate::geo::Level;

#[derive(Parser, Debug)]
#[command(
    name = "bcs",
    version,
    about = "Baromètre de la Cohésion Sociale : indicateurs des quartiers prioritaires et des communes",
    long_about = None
)]
pub struct Cli {
    /// Dossier du jeu de données (contenant dataset.toml). Par défaut : le jeu embarqué de La Porte du Hainaut.
    #[arg(long, global = true, env = "BCS_DATASET")]
    pub dataset: Option<PathBuf>,
    /// Dossier du catalogue d'indicateurs. Par défaut : le catalogue fourni avec bcs.
    #[arg(long, global = true, env = "BCS_CATALOGUE")]
    pub catalogue: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Construit le baromètre : table de résultats (CSV, Parquet) et tableaux par thème.
    Run(run::Args),
    /// Affiche les indicateurs d'un territoire à côté de ses territoires de référence.
    Show(show::Args),
    /// Fiche communale : la commune et ses quartiers côte à côte, face à l'EPCI, au département, à la région et à la France.
    Fiche(fiche::Args),
    /// Classe les territoires d'un niveau sur un indicateur (tri décroissant).
    Rank(rank::Args),
    /// Liste le catalogue des indicateurs.
    Indicators(indicators::Args),
    /// Écrit le rapport HTML autonome et le dossier des figures.
    Report(report::Args),
    /// Écrit une figure (PNG et SVG) : barres triées, évolution ou carte.
    Chart(chart::Args),
    /// Compare deux éditions du baromètre : valeurs révisées, millésimes nouveaux, rangs, classes de priorité, indicateurs et territoires.
    Diff(diff::Args),
    /// Vérifie les sources du jeu de données (codes, types, bornes, doublons) sans rien écrire.
    Validate(validate::Args),
    /// Met les sources en cache (Parquet) : les commandes suivantes les relisent sans les analyser.
    Import(import::Args),
    /// Génère un jeu SYNTHÉTIQUE national aux formats des producteurs (tests, mesures de performance).
    Synth(synth::Args),
    /// Écrit le modèle du rapport (HTML, syntaxe Jinja2) et sa feuille de style, pour leur donner l'allure de votre équipe.
    Template(template::Args),
    /// Écrit le script de complétion des commandes pour un interpréteur (bash, zsh, fish…).
    Completions(shell::CompletionArgs),
    /// Écrit la page de manuel (man bcs).
    Man(shell::ManArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Table,
    Csv,
    Json,
}

/// Parses a territory level typed on the command line.
fn parse_level(s: &str) -> Result<Level, String> {
    Level::parse(s).ok_or_else(|| {
        format!(
            "niveau inconnu (possibles : {})",
            Level::ALL.map(|l| l.as_str()).join(", ")
        )
    })
}

impl Cli {
    pub(crate) fn dataset_dir(&self) -> Result<PathBuf> {
        match &self.dataset {
            Some(d) => Ok(d.clone()),
            None => Ok(crate::project_dir()?.join("datasets").join("caph")),
        }
    }

    pub(crate) fn catalog_dir(&self) -> Result<PathBuf> {
        match &self.catalogue {
            Some(d) => Ok(d.clone()),
            None => Ok(crate::project_dir()?.join("indicators")),
        }
    }

    /// Loads the dataset and computes the results (or reads them from the
    /// results cache).
    pub fn session(&self, reference: Option<&str>) -> Result<Session> {
        self.open(reference)?.results(None)
    }

    /// Loads the manifest, catalogue and geography; the results come next.
    pub fn open(&self, reference: Option<&str>) -> Result<Opened> {
        app::open(&self.dataset_dir()?, &self.catalog_dir()?, reference)
    }
}


/// Writes the rows of the results table matching `filter` to stdout, in
/// `order` (see `Results::frame_of`), as CSV or JSON (one object per row),
/// both with every column of the table.
fn print_rows(
    results: &Results,
    filter: polars::prelude::Expr,
    order: Vec<polars::prelude::Expr>,
    format: Format,
) -> Result<()> {
    use polars::prelude::*;
    use std::io::Write;
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    match format {
        Format::Csv => {
            let mut df = results.frame_of(filter, order)?;
            CsvWriter::new(&mut lock)
                .include_header(true)
                .finish(&mut df)?;
        }
        Format::Json => {
            serde_json::to_writer_pretty(&mut lock, &results.rows_ordered(filter, order)?)?;
            writeln!(lock)?;
        }
        Format::Table => anyhow::bail!("format tableau : affiché par chaque commande"),
    }
    Ok(())
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match &cli.command {
        Command::Run(a) => run::run(&cli, a),
        Command::Show(a) => show::run(&cli, a),
        Command::Fiche(a) => fiche::run(&cli, a),
        Command::Rank(a) => rank::run(&cli, a),
        Command::Indicators(a) => indicators::run(&cli, a),
        Command::Report(a) => report::run(&cli, a),
        Command::Chart(a) => chart::run(&cli, a),
        Command::Diff(a) => diff::run(&cli, a),
        Command::Validate(a) => validate::run(&cli, a),
        Command::Import(a) => import::run(&cli, a),
        Command::Synth(a) => synth::run(a),
        Command::Template(a) => template::run(a),
        Command::Completions(a) => shell::completions(a),
        Command::Man(a) => shell::man(a),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Erreur : {e:#}");
            ExitCode::FAILURE
        }
    }
}
