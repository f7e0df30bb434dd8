//! Readers and source adapters: source files → long typed observations
//! `(territory_code, variable, vintage, value, status, source)`.
//!
//! Every problem found in the sources is collected and reported at once, in
//! French, with file, line, column, the offending value and what was expected.

pub mod cache;
mod cells;
mod checks;
pub mod manifest;
mod problems;
pub mod read;
mod report;
mod rows;
mod source;

use std::path::Path;

use anyhow::Result;
use polars::prelude::*;

pub use cache::CacheMode;
pub use cells::written_decimals;
pub use manifest::{Manifest, SourceConf};
pub use problems::{fail_with, DataProblem, PROBLEMS_SHOWN};
pub use report::{Carried, PublishedChange, SourceReport};

use crate::catalog::Catalog;
use crate::geo::Geography;
use crate::schema;
use checks::{check_duplicates, check_shares};
use source::{read_source, Months, SourceRead};

/// Reads every source of the manifest and maps its columns to canonical
/// variables: the long observations table.
pub fn load(manifest: &Manifest, catalog: &Catalog, geo: &Geography) -> Result<DataFrame> {
    Ok(load_cached(manifest, catalog, geo, CacheMode::Off)?.observations)
}

/// What [`load_cached`] gives.
pub struct Loaded {
    pub observations: DataFrame,
    /// Per source (id): whether the cache served it.
    pub served: Vec<(String, bool)>,
    /// What reading did to the rows of the sources concerned, in the
    /// manifest's order.
    pub reports: Vec<SourceReport>,
    /// The cache entries to write for the others.
    pub pending: PendingCache,
}

/// Like [`load`], reading fresh cache entries; the entries of the other
/// sources are to be written after a successful load only (see
/// [`PendingCache`]).
pub fn load_cached(
    manifest: &Manifest,
    catalog: &Catalog,
    geo: &Geography,
    mode: CacheMode,
) -> Result<Loaded> {
    if manifest.sources.is_empty() {
        fail_with(&[DataProblem {
            file: manifest.dir.join("dataset.toml").display().to_string(),
            line: None,
            column: None,
            message: "aucune source déclarée ([[source]] : un fichier et ses colonnes)".into(),
        }])?;
    }
    let cache = match mode {
        CacheMode::Use => Some(cache::Cache::new(manifest, catalog)?),
        CacheMode::Off => None,
    };
    let mut problems = vec![];
    let mut frames = vec![];
    let mut to_store = vec![];
    let mut served = vec![];
    let mut reports = vec![];
    // Sources are read in parallel; results and problems keep the manifest's
    // order.
    use rayon::prelude::*;
    // Per source: observations, cache key to write, served by the cache,
    // problems.
    type OneSource = (SourceRead, Option<String>, bool, Vec<DataProblem>);
    let loaded: Vec<Result<OneSource>> = manifest
        .sources
        .par_iter()
        .map(|src| -> Result<OneSource> {
            let cached = match &cache {
                Some(c) => Some(c.get(manifest, src)?),
                None => None,
            };
            let key = match cached {
                Some((Some(entry), _)) => return Ok((Some(entry), None, true, vec![])),
                Some((None, key)) => Some(key),
                None => None,
            };
            let _t = crate::timing::stage("  une source");
            let mut problems = vec![];
            let df = match read_source(manifest, src, catalog, geo, &mut problems, Months::OnePerYear) {
                Ok(df) => df,
                Err(e) => {
                    let file = manifest.path(&src.file).display().to_string();
                    let message = format!("{e:#}");
                    // A reader's error that already names the file (and its
                    // sheet, line) is said as it is, the path once.
                    problems.push(match message.starts_with(&file) {
                        true => DataProblem {
                            file: message,
                            line: None,
                            column: None,
                            message: String::new(),
                        },
                        false => DataProblem {
                            file,
                            line: None,
                            column: None,
                            message,
                        },
                    });
                    None
                }
            };
            Ok((df, key, false, problems))
        })
        .collect();
    for (src, l) in manifest.sources.iter().zip(loaded) {
        let (df, key, from_cache, found) = l?;
        served.push((src.id.clone(), from_cache));
        problems.extend(found);
        if let Some((df, report)) = df {
            if let Some(key) = key {
                to_store.push((src.clone(), key, df.clone(), report.clone()));
            }
            frames.push(df.lazy());
            if !report.is_empty() {
                reports.push(report);
            }
        }
    }
    fail_with(&problems)?;
    let frame = if frames.is_empty() {
        empty_observations()
    } else {
        concat(frames, UnionArgs::default())?.collect()?
    };
    // The two cross-source checks are independent: in parallel, their
    // problems listed in this order.
    let t = crate::timing::stage("  doublons, parties et touts");
    let (mut duplicates, mut shares) = (vec![], vec![]);
    let (a, b) = rayon::join(
        || check_duplicates(&frame, &mut duplicates),
        || check_shares(&frame, catalog, geo, &mut shares),
    );
    a?;
    b?;
    problems.extend(duplicates);
    problems.extend(shares);
    drop(t);
    fail_with(&problems)?;
    Ok(Loaded {
        observations: frame,
        served,
        reports,
        pending: PendingCache {
            cache,
            entries: to_store,
        },
    })
}

/// Cache entries of the sources just read, to be written: at once by `bcs
/// import`, in the background of the computation by the other commands.
pub struct PendingCache {
    cache: Option<cache::Cache>,
    entries: Vec<(SourceConf, String, DataFrame, SourceReport)>,
}

impl PendingCache {
    /// Writes the entries (in parallel, each atomically).
    pub fn write(self) -> Result<()> {
        use rayon::prelude::*;
        let _t = crate::timing::stage("  cache des sources");
        if let Some(c) = &self.cache {
            self.entries
                .par_iter()
                .try_for_each(|(src, key, df, report)| c.put(src, key, df, report))?;
        }
        Ok(())
    }
}

/// The distinct vintages of a long frame (observations or indicator values),
/// ascending.
pub fn vintages_of(frame: &DataFrame) -> Result<Vec<i32>> {
    let mut vintages: Vec<i32> = frame
        .column(schema::VINTAGE)?
        .i32()?
        .unique()?
        .iter()
        .flatten()
        .collect();
    vintages.sort_unstable();
    Ok(vintages)
}

pub fn empty_observations() -> DataFrame {
    DataFrame::new_infer_height(vec![
        Column::new_empty(schema::TERRITORY_CODE.into(), &DataType::String),
        Column::new_empty(schema::VARIABLE.into(), &DataType::String),
        Column::new_empty(schema::VINTAGE.into(), &DataType::Int32),
        Column::new_empty(schema::VALUE.into(), &DataType::Float64),
        Column::new_empty(schema::STATUS.into(), &DataType::UInt32),
        Column::new_empty(schema::SOURCE.into(), &DataType::String),
    ])
    .expect("static schema")
}

/// The observations of every month of the sources that keep a monthly
/// series (`monthly_series = true`): vintages `yyyymm`, by source id. Read
/// from their files at each call (not cached: a monthly file is small).
pub fn monthly_observations(
    manifest: &Manifest,
    catalog: &Catalog,
    geo: &Geography,
) -> Result<Vec<(String, DataFrame)>> {
    let mut problems = vec![];
    let mut out = vec![];
    for src in manifest.sources.iter().filter(|s| s.monthly_series) {
        if let Some((df, _)) = read_source(manifest, src, catalog, geo, &mut problems, Months::All)? {
            out.push((src.id.clone(), df));
        }
    }
    fail_with(&problems)?;
    Ok(out)
}

/// Loads the manifest, catalogue and geography of a dataset directory.
pub fn open_dataset(dataset: &Path, catalog_dir: &Path) -> Result<(Manifest, Catalog, Geography)> {
    let manifest = Manifest::load(dataset)?;
    let local: Vec<_> = manifest
        .geography
        .local
        .iter()
        .map(|p| manifest.path(p))
        .collect();
    // Independent: loaded in parallel (terminal queries wait for both).
    let (catalog, geo) = rayon::join(
        || {
            let _t = crate::timing::stage("  catalogue");
            Catalog::load(catalog_dir)
        },
        || {
            let _t = crate::timing::stage("  géographie");
            Geography::load(&manifest.national_geography()?, &local)
        },
    );
    let (mut catalog, geo) = (catalog?, geo?);
    let mut problems = vec![];
    for (id, text) in &manifest.indicator_texts {
        match catalog.indicators.iter_mut().find(|i| &i.id == id) {
            Some(ind) => {
                if let Some(s) = &text.source {
                    ind.source.clone_from(s);
                }
                if let Some(d) = &text.definition {
                    ind.definition.clone_from(d);
                }
            }
            None => problems.push(DataProblem {
                file: manifest.dir.join("dataset.toml").display().to_string(),
                line: None,
                column: None,
                message: format!("[indicator.{id}] : indicateur absent du catalogue"),
            }),
        }
    }
    let manifest_file = manifest.dir.join("dataset.toml").display().to_string();
    use crate::catalog::steering;
    for id in manifest.dataset.key_figures.iter().filter(|id| catalog.indicator(id).is_none()) {
        problems.push(DataProblem {
            file: manifest_file.clone(),
            line: None,
            column: None,
            message: format!("[dataset] key_figures : indicateur « {id} » absent du catalogue"),
        });
    }
    for message in steering::problems(&manifest.alerts, &manifest.targets, &catalog) {
        problems.push(DataProblem { file: manifest_file.clone(), line: None, column: None, message });
    }
    let named = steering::named_territories(manifest.alerts.iter().chain(&catalog.alerts), &manifest.targets);
    for code in std::iter::once(&manifest.dataset.territory)
        .chain(std::iter::once(&manifest.dataset.reference))
        .chain(&manifest.dataset.references)
        .chain(&manifest.dataset.scope)
        .chain(&named)
    {
        if geo.get(code).is_none() {
            problems.push(DataProblem {
                file: manifest.dir.join("dataset.toml").display().to_string(),
                line: None,
                column: None,
                message: format!("territoire de référence « {code} » absent de la géographie"),
            });
        }
    }
    fail_with(&problems)?;
    Ok((manifest, catalog, geo))
}
