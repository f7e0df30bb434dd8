//! Cache of computed results (`.bcs-cache/resultats-<clé>.parquet`): the
//! glue between the source cache (ingest) and the engine's results, used by
//! every command that computes a session.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use polars::prelude::*;

use crate::catalog::Catalog;
use crate::engine::composite::CompositeInfo;
use crate::engine::Results;

/// What the results cache keeps beside the table: what the composite stage
/// says, and the published figures to check.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Extra {
    pub composite: CompositeInfo,
    pub checks: Vec<crate::engine::coherence::Check>,
}

impl Extra {
    fn of(results: &Results) -> Extra {
        Extra { composite: results.composite.clone(), checks: results.checks.clone() }
    }
}
use crate::engine::write_parquet;
use crate::ingest::cache::{hash_file, read_verified, store_verified, Cache, Verified};
use crate::ingest::Manifest;

/// Cache of computed results, so that terminal queries (`bcs show`, `bcs
/// rank`) on a large dataset answer without recomputing. Keyed by the
/// program, the manifest, the geography, the catalogue files, the options and
/// each source file's path, size and modification time (a source rewritten
/// in place gets a new time; its contents are hashed by the source cache).
pub struct ResultsCache {
    dir: PathBuf,
    key: String,
}

impl ResultsCache {
    pub fn new(
        manifest: &Manifest,
        catalog: &Catalog,
        catalog_dir: &Path,
        options: &str,
    ) -> Result<ResultsCache> {
        let common = Cache::new(manifest, catalog)?.common();
        let mut h = blake3::Hasher::new();
        h.update(common.as_bytes());
        h.update(format!("{:?}{:?}{options}", manifest.dataset, manifest.sources).as_bytes());
        let mut files: Vec<PathBuf> = std::fs::read_dir(catalog_dir)
            .with_context(|| format!("catalogue illisible : {}", catalog_dir.display()))?
            .flatten()
            .map(|e| e.path())
            .collect();
        files.sort();
        for f in files
            .iter()
            .filter(|f| f.extension().is_some_and(|e| e == "toml"))
        {
            hash_file(&mut h, f)?;
        }
        for src in &manifest.sources {
            let path = manifest.path(&src.file);
            let meta = std::fs::metadata(&path)
                .with_context(|| format!("source introuvable : {}", path.display()))?;
            h.update(path.to_string_lossy().as_bytes());
            h.update(&meta.len().to_le_bytes());
            h.update(format!("{:?}", meta.modified().ok()).as_bytes());
            // The change time and inode too: an edit that keeps the size
            // and resets the modification time (touch -d) still changes
            // them, and no user can set them back.
            #[cfg(unix)]
            {
                use std::os::unix::fs::MetadataExt;
                h.update(&meta.ctime().to_le_bytes());
                h.update(&meta.ctime_nsec().to_le_bytes());
                h.update(&meta.ino().to_le_bytes());
            }
            if let Some(p) = &src.profile {
                h.update(format!("{:?}", manifest.profile(p)?).as_bytes());
            }
        }
        Ok(ResultsCache {
            dir: manifest.dir.join(crate::ingest::cache::CACHE_DIR),
            key: h.finalize().to_hex()[..24].to_string(),
        })
    }

    /// The cached results file (whether or not it exists yet).
    pub fn file(&self) -> PathBuf {
        self.path("resultats", "parquet")
    }

    fn path(&self, what: &str, ext: &str) -> PathBuf {
        self.dir.join(format!("{what}-{}.{ext}", self.key))
    }

    /// The cached results, restricted to the rows matching `rows` (read with
    /// predicate pushdown: only the row groups that may match are decoded).
    pub fn get(&self, rows: Option<Expr>) -> Result<Option<(DataFrame, Extra)>> {
        let (frame, extra) = (self.file(), self.path("resultats", "json"));
        if !frame.exists() || !extra.exists() {
            return Ok(None);
        }
        // The file must be the one written: a flipped bit is recomputed,
        // never read.
        let info = match read_verified::<Extra>(&frame, &extra) {
            Verified::Fresh(s) => s,
            Verified::Absent => return Ok(None),
            Verified::Altered => {
                eprintln!(
                    "Avertissement : le cache de résultats {} ne correspond plus à ce qui a été écrit : résultats recalculés.",
                    frame.display()
                );
                return Ok(None);
            }
        };
        let mut lf = LazyFrame::scan_parquet(
            PlRefPath::try_from_path(&frame)?,
            ScanArgsParquet::default(),
        )?;
        if let Some(f) = rows {
            lf = lf.filter(f);
        }
        let Ok(df) = lf.collect() else {
            return Ok(None);
        };
        Ok(Some((df, info)))
    }

    /// Stores the results (atomically) and removes the stale entries.
    pub fn put(&self, results: &Results) -> Result<()> {
        self.store(|tmp| write_parquet(tmp, &results.frame), &Extra::of(results))
    }

    /// Stores results already written as Parquet by [`write_parquet`] (the
    /// output of a run): a copy, not a second encoding.
    pub fn put_file(&self, parquet: &Path, results: &Results) -> Result<()> {
        self.store(|tmp| crate::files::copy(parquet, tmp), &Extra::of(results))
    }

    /// Replaces the cached results by what `write` writes to a temporary
    /// file, renamed into place once complete.
    fn store(
        &self,
        write: impl FnOnce(&Path) -> Result<()>,
        info: &Extra,
    ) -> Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        self.clear()?;
        store_verified(&self.file(), &self.path("resultats", "json"), write, info)
    }

    fn clear(&self) -> Result<()> {
        for e in std::fs::read_dir(&self.dir)?.flatten() {
            if e.file_name().to_string_lossy().starts_with("resultats-") {
                let _ = std::fs::remove_file(e.path());
            }
        }
        Ok(())
    }
}
