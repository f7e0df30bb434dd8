//! The application layer: a dataset opened (manifest, catalogue,
//! geography), its results computed or read from the results cache, and
//! what ends a session (the caches written). The CLI is a thin layer over
//! it; tests and benchmarks open datasets the same way.

pub mod cache;

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::catalog::Catalog;
use crate::engine::{self, Results};
use crate::geo::Geography;
use crate::ingest::{self, Manifest};

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
    /// session); joined when the session finishes or is dropped.
    source_cache: Option<std::thread::JoinHandle<Result<()>>>,
}

/// Where a session's results come from, with respect to the results cache.
enum Origin {
    /// Computed in this session, not yet cached: stored by
    /// `Session::finish`, unless a run stored its own output file first.
    Computed(cache::ResultsCache),
    /// Read whole from this cache file.
    CachedWhole(PathBuf),
    /// Read from the cache, some rows only; or already stored.
    Settled,
}

/// Loads the manifest, catalogue and geography of the dataset in
/// `dataset_dir`; its results compared with `reference` (a code or a name;
/// default: the dataset's) come next.
pub fn open(dataset_dir: &Path, catalog_dir: &Path, reference: Option<&str>) -> Result<Opened> {
    let t = crate::timing::stage("manifeste, géographie");
    let (manifest, catalog, geo) = ingest::open_dataset(dataset_dir, catalog_dir)?;
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
        catalog_dir: catalog_dir.to_path_buf(),
    })
}

/// The engine's options for a dataset, compared with `reference`.
pub fn options(manifest: &Manifest, reference: String) -> Result<engine::Options> {
    let mut focus = vec![manifest.dataset.territory.clone()];
    focus.extend(manifest.dataset.references.iter().cloned());
    Ok(engine::Options {
        reference,
        territory: Some(manifest.dataset.territory.clone()),
        focus,
        min_coverage: manifest.dataset.min_coverage()?,
        wording: &crate::render::detail::French,
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

    /// What the report says of the dataset.
    pub fn description(&self) -> crate::render::report::Description {
        use crate::render::report::{Description, SourceLine};
        let d = &self.manifest.dataset;
        Description {
            title: d.title.clone(),
            description: d.description.clone(),
            introduction: d.introduction.clone(),
            territory: d.territory.clone(),
            panel: d.panel_territory().map(String::from),
            key_figures: d.key_figures.clone(),
            sources: self
                .manifest
                .sources
                .iter()
                .map(|s| SourceLine { title: s.title.clone(), producer: s.producer.clone(), origin: s.origin.clone() })
                .collect(),
        }
    }
}

impl Session {
    /// Ends a session whose command succeeded: the results computed in it
    /// go into the results cache (unless a run stored its own file), and
    /// the source cache written meanwhile is waited for. Either failing is
    /// reported, not fatal.
    pub fn finish(mut self) {
        if let Origin::Computed(cache) = &self.origin {
            let _t = crate::timing::stage("écriture du cache");
            warn_if_unwritten("de résultats", cache.put(&self.results));
            self.origin = Origin::Settled;
        }
        self.join_source_cache();
    }

    fn join_source_cache(&mut self) {
        if let Some(writing) = self.source_cache.take() {
            let _t = crate::timing::stage("fin du cache des sources");
            let written = writing
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("écriture interrompue")));
            warn_if_unwritten("des sources", written);
        }
    }
}

/// A session dropped without `finish` (its command failed) writes nothing
/// more; it only waits for the source cache being written, so that the
/// process does not end in the middle of it.
impl Drop for Session {
    fn drop(&mut self) {
        self.join_source_cache();
    }
}

/// A cache that could not be written (read-only dataset folder) is
/// reported, not fatal: the command's output is complete without it.
fn warn_if_unwritten(which: &str, written: Result<()>) {
    if let Err(e) = written {
        eprintln!("Avertissement : cache {which} non écrit ({e:#}).");
    }
}
