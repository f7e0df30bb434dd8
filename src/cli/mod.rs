//! Command-line interface: one file per subcommand; `main.rs` stays thin.

mod cache;
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

use crate::catalog::Catalog;
use crate::engine::{self, Results};
use crate::geo::{Geography, Level};
use crate::ingest::{self, Manifest};

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

/// A dataset loaded and computed: what every subcommand works from.
pub struct Session {
    pub manifest: Manifest,
    pub catalog: Catalog,
    pub geo: Geography,
    pub results: Results,
    /// What reading did to the sources' rows (sources read in this
    /// session only: none when the results came from the cache).
    pub reports: Vec<ingest::SourceReport>,
    /// The territories of the dataset's scope, when it declares one.
    pub scope: Option<polars::prelude::PlHashSet<String>>,
    origin: Origin,
    /// The source cache being written meanwhile (sources read in this
    /// session); joined when the session ends.
    source_cache: Option<std::thread::JoinHandle<Result<()>>>,
}

/// Where a session's results come from, with respect to the results cache.
enum Origin {
    /// Computed in this session, not yet cached: stored when the session
    /// ends, unless a run stored its own output file first.
    Computed(cache::ResultsCache),
    /// Read whole from this cache file.
    CachedWhole(PathBuf),
    /// Read from the cache, some rows only; or already stored.
    Settled,
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
        let t = crate::timing::stage("manifeste, géographie");
        let (manifest, catalog, geo) =
            ingest::open_dataset(&self.dataset_dir()?, &self.catalog_dir()?)?;
        drop(t);
        let reference = match reference {
            Some(q) => geo.resolve(q, None)?.codes().remove(0),
            None => manifest.dataset.reference.clone(),
        };
        let opts = options(&manifest, reference)?;
        Ok(Opened {
            manifest,
            catalog,
            geo,
            opts,
            catalog_dir: self.catalog_dir()?,
        })
    }
}

/// The engine's options for a dataset, compared with `reference`.
fn options(manifest: &Manifest, reference: String) -> Result<engine::Options> {
    let mut focus = vec![manifest.dataset.territory.clone()];
    focus.extend(manifest.dataset.references.iter().cloned());
    Ok(engine::Options {
        reference,
        territory: Some(manifest.dataset.territory.clone()),
        focus,
        min_coverage: manifest.dataset.min_coverage()?,
    })
}

/// A dataset opened, its results not yet computed.
pub struct Opened {
    pub manifest: Manifest,
    pub catalog: Catalog,
    pub geo: Geography,
    opts: engine::Options,
    catalog_dir: PathBuf,
}

impl Opened {
    /// The results: from the results cache when fresh (only the rows
    /// matching `rows`, if given), else computed and cached whole.
    pub fn results(self, rows: Option<polars::prelude::Expr>) -> Result<Session> {
        let Opened {
            manifest,
            catalog,
            geo,
            opts,
            catalog_dir,
        } = self;
        let cache =
            cache::ResultsCache::new(&manifest, &catalog, &catalog_dir, &format!("{opts:?}"))?;
        let t = crate::timing::stage("cache de résultats");
        let whole = rows.is_none();
        let cached = cache.get(rows)?;
        drop(t);
        let mut source_cache = None;
        let mut reports = vec![];
        let (results, origin) = match cached {
            Some((frame, extra)) => {
                let mut r = Results::new(frame, opts.reference.clone());
                r.composite = extra.composite;
                r.checks = extra.checks;
                (
                    r,
                    if whole {
                        Origin::CachedWhole(cache.file())
                    } else {
                        Origin::Settled
                    },
                )
            }
            None => {
                let t = crate::timing::stage("lecture des sources");
                let ingest::Loaded {
                    observations: obs,
                    pending,
                    reports: read,
                    ..
                } = ingest::load_cached(&manifest, &catalog, &geo, ingest::CacheMode::Use)?;
                reports = read;
                drop(t);
                // Written while the engine computes: about 0,2 s of a
                // national run otherwise spent before it.
                let writing = std::thread::spawn(move || pending.write());
                match engine::compute(obs, &catalog, &geo, &opts).and_then(|mut results| {
                    let _t = crate::timing::stage("chiffres publiés à vérifier");
                    results.checks = engine::coherence::published(&reports);
                    results.checks.extend(engine::coherence::parts_exceeding_wholes(&results, &catalog, &geo)?);
                    Ok(results)
                }) {
                    Ok(results) => {
                        source_cache = Some(writing);
                        (results, Origin::Computed(cache))
                    }
                    Err(e) => {
                        // Not left half-written when the command stops.
                        let _ = writing.join();
                        return Err(e);
                    }
                }
            }
        };
        let scope = (!manifest.dataset.scope.is_empty()).then(|| geo.scope(&manifest.dataset.scope));
        Ok(Session {
            manifest,
            catalog,
            geo,
            scope,
            results,
            reports,
            origin,
            source_cache,
        })
    }
}

impl Session {
    /// The output folder: `out` when given, else `reports/<dataset id>`.
    pub fn output_dir(&self, out: Option<&std::path::Path>) -> PathBuf {
        out.map_or_else(
            || PathBuf::from("reports").join(&self.manifest.dataset.id),
            PathBuf::from,
        )
    }

    /// The Parquet file holding exactly these results, when they were read
    /// whole from the results cache (a run copies it instead of re-encoding).
    pub fn cached_results_file(&self) -> Option<&std::path::Path> {
        match &self.origin {
            Origin::CachedWhole(file) => Some(file),
            _ => None,
        }
    }

    /// Puts the results file a run wrote into the results cache (a copy). A
    /// cache that cannot be written (read-only dataset folder) is only
    /// reported: the run's output is complete without it.
    pub fn cache_results_file(&mut self, parquet: &std::path::Path) {
        if let Origin::Computed(cache) = &self.origin {
            warn_if_unwritten(
                "de résultats",
                cache.put_file(parquet, &self.results),
            );
            self.origin = Origin::Settled;
        }
    }

    /// The alerts of the catalogue and of the dataset, evaluated on the
    /// results, and the progress of the dataset's targets.
    pub fn steering(&self) -> Result<engine::vigilance::Steering> {
        let rules: Vec<_> = self.catalog.alerts.iter().chain(&self.manifest.alerts).cloned().collect();
        let frame = engine::vigilance::Frame { territory: &self.manifest.dataset.territory, scope: self.scope.as_ref() };
        Ok(engine::vigilance::Steering {
            alerts: engine::vigilance::evaluate(&self.results, &self.catalog, &rules, &frame)?,
            targets: engine::vigilance::progress(&self.results, &self.manifest.targets, |c| self.geo.name(c))?,
        })
    }

    pub fn view(&self) -> crate::render::barometer::View<'_> {
        crate::render::barometer::View {
            catalog: &self.catalog,
            geo: &self.geo,
            results: &self.results,
            references: &self.manifest.dataset.references,
            scope: self.scope.as_ref(),
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Origin::Computed(cache) = &self.origin {
            let _t = crate::timing::stage("écriture du cache");
            warn_if_unwritten(
                "de résultats",
                cache.put(&self.results),
            );
        }
        if let Some(writing) = self.source_cache.take() {
            let _t = crate::timing::stage("fin du cache des sources");
            let written = writing
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("écriture interrompue")));
            warn_if_unwritten("des sources", written);
        }
    }
}

/// A cache that could not be written (read-only dataset folder) is
/// reported, not fatal: the command's output is complete without it.
fn warn_if_unwritten(which: &str, written: Result<()>) {
    if let Err(e) = written {
        eprintln!("Avertissement : cache {which} non écrit ({e:#}).");
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
        Command::Synth(a) => synth::run(&cli, a),
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
