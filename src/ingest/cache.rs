//! Parquet cache of parsed sources, keyed by a content hash of everything
//! that shapes their observations: the source file, its manifest entry and
//! profile, the geography, the variable declarations and the program itself.
//! A changed source misses the cache and its entry is rebuilt; entries are
//! written only after a whole load succeeded, atomically.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use polars::prelude::*;

use super::manifest::{Manifest, SourceConf};
use super::SourceReport;
use crate::catalog::Catalog;

/// The dataset's cache folder (sources and results), inside its folder.
pub const CACHE_DIR: &str = ".bcs-cache";

/// Whether loading reads and refreshes the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheMode {
    Off,
    Use,
}

/// What is stored beside a cached Parquet file: the hash of its bytes as
/// written, and what the cache keeps with it (a source's reading report,
/// the results' sensitivity table).
#[derive(serde::Serialize, serde::Deserialize)]
struct Entry<T> {
    blake3: String,
    extra: T,
}

/// A cached Parquet file, checked against the entry written beside it.
pub(crate) enum Verified<T> {
    /// The file is the one written; what was kept with it.
    Fresh(T),
    /// No entry, or an unreadable one: simply rebuilt.
    Absent,
    /// The file's bytes are not those written (a flipped bit): rebuilt, and
    /// said.
    Altered,
}

/// Writes a cache file with `write`, then beside it, in `entry`, the hash of
/// its bytes and `extra`: each atomically, the entry last, so that the file
/// is served only with an entry that vouches for it.
pub(crate) fn store_verified<T: serde::Serialize>(
    parquet: &Path,
    entry: &Path,
    write: impl FnOnce(&Path) -> Result<()>,
    extra: &T,
) -> Result<()> {
    write_atomically(parquet, write)?;
    let entry_bytes = serde_json::to_vec(&Entry {
        blake3: crate::files::content_hash(parquet)?,
        extra,
    })?;
    write_atomically(entry, |tmp| {
        std::fs::write(tmp, entry_bytes)?;
        Ok(())
    })
}

/// Reads the entry of a cache file and checks the file against its hash.
pub(crate) fn read_verified<T: serde::de::DeserializeOwned>(parquet: &Path, entry: &Path) -> Verified<T> {
    let read = std::fs::read(entry)
        .map_err(anyhow::Error::from)
        .and_then(|b| Ok(serde_json::from_slice::<Entry<T>>(&b)?));
    match read {
        Err(_) => Verified::Absent,
        Ok(e) if crate::files::content_hash(parquet).ok().as_deref() == Some(e.blake3.as_str()) => {
            Verified::Fresh(e.extra)
        }
        Ok(_) => Verified::Altered,
    }
}

pub struct Cache {
    dir: PathBuf,
    /// Hash of the inputs shared by every source (geography, variables, program).
    common: blake3::Hash,
}

/// Writes `target` whole or not at all: `write` fills a temporary file in
/// the same folder (created if needed), renamed to `target` once complete.
pub(crate) fn write_atomically(
    target: &Path,
    write: impl FnOnce(&Path) -> Result<()>,
) -> Result<()> {
    let dir = target.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = tempfile::Builder::new().prefix(".tmp-").tempfile_in(dir)?;
    write(tmp.path())?;
    tmp.persist(target)
        .map_err(|e| anyhow::anyhow!("cache : {e}"))?;
    Ok(())
}

pub(crate) fn hash_file(h: &mut blake3::Hasher, path: &Path) -> Result<()> {
    crate::files::ensure_regular(path)?;
    let bytes =
        std::fs::read(path).with_context(|| format!("lecture impossible de {}", path.display()))?;
    h.update(path.to_string_lossy().as_bytes());
    h.update(&(bytes.len() as u64).to_le_bytes());
    h.update(&bytes);
    Ok(())
}

impl Cache {
    pub fn new(manifest: &Manifest, catalog: &Catalog) -> Result<Cache> {
        let mut h = blake3::Hasher::new();
        h.update(env!("CARGO_PKG_VERSION").as_bytes());
        // The program that parsed the sources: a rebuilt binary invalidates.
        if let Ok(meta) = std::env::current_exe().and_then(std::fs::metadata) {
            h.update(&meta.len().to_le_bytes());
            if let Ok(t) = meta.modified() {
                h.update(format!("{t:?}").as_bytes());
            }
        }
        let national = manifest.national_geography()?;
        for f in [
            "communes.csv",
            "epci.csv",
            "departements.csv",
            "regions.csv",
        ] {
            hash_file(&mut h, &national.join(f))?;
        }
        for f in [crate::geo::HISTORY_FILE, crate::geo::QPV_FILE] {
            let path = national.join(f);
            if path.exists() {
                hash_file(&mut h, &path)?;
            }
        }
        for f in &manifest.geography.local {
            hash_file(&mut h, &manifest.path(f))?;
        }
        h.update(format!("{:?}", catalog.variables).as_bytes());
        h.update(format!("{:?}", manifest.defaults).as_bytes());
        h.update(format!("{:?}", manifest.dataset.extent).as_bytes());
        Ok(Cache {
            dir: manifest.dir.join(CACHE_DIR),
            common: h.finalize(),
        })
    }

    /// Hash of the inputs shared by every source.
    pub(crate) fn common(&self) -> blake3::Hash {
        self.common
    }

    fn key(&self, manifest: &Manifest, src: &SourceConf) -> Result<String> {
        let mut h = blake3::Hasher::new();
        h.update(self.common.as_bytes());
        h.update(format!("{src:?}").as_bytes());
        if let Some(p) = &src.profile {
            h.update(format!("{:?}", manifest.profile(p)?).as_bytes());
        }
        hash_file(&mut h, &manifest.path(&src.file))?;
        Ok(h.finalize().to_hex()[..24].to_string())
    }

    fn path(&self, src: &SourceConf, key: &str) -> PathBuf {
        self.dir.join(format!("{}-{key}.parquet", src.id))
    }

    /// What reading the source reported, beside its observations.
    fn report_path(&self, src: &SourceConf, key: &str) -> PathBuf {
        self.dir.join(format!("{}-{key}.json", src.id))
    }

    /// The cached observations of a source and its reading report, if
    /// fresh; and its key.
    pub fn get(
        &self,
        manifest: &Manifest,
        src: &SourceConf,
    ) -> Result<(Option<(DataFrame, SourceReport)>, String)> {
        let key = self.key(manifest, src)?;
        let path = self.path(src, &key);
        if !path.exists() {
            return Ok((None, key));
        }
        // The observations must be the bytes written: a flipped bit means
        // reading the source again, never another value.
        let report = match read_verified::<SourceReport>(&path, &self.report_path(src, &key)) {
            Verified::Fresh(report) => report,
            Verified::Absent => return Ok((None, key)),
            Verified::Altered => {
                eprintln!(
                    "Avertissement : l'entrée de cache {} ne correspond plus à ce qui a été écrit : source relue.",
                    path.display()
                );
                return Ok((None, key));
            }
        };
        let df = std::fs::File::open(&path)
            .map_err(anyhow::Error::from)
            .and_then(|f| ParquetReader::new(f).finish().map_err(anyhow::Error::from));
        Ok((df.ok().map(|df| (df, report)), key))
    }

    /// Stores a source's observations (atomically) and removes its stale
    /// entries.
    pub fn put(
        &self,
        src: &SourceConf,
        key: &str,
        frame: &DataFrame,
        report: &SourceReport,
    ) -> Result<()> {
        let target = self.path(src, key);
        let write = |tmp: &Path| {
            // Snappy rather than zstd: cheaper to encode, and the cache is
            // written on every first run.
            ParquetWriter::new(crate::files::OutFile::create(tmp)?)
                .with_compression(ParquetCompression::Snappy)
                .finish(&mut frame.clone())?;
            Ok(())
        };
        store_verified(&target, &self.report_path(src, key), write, report)?;
        let prefix = format!("{}-", src.id);
        for e in std::fs::read_dir(&self.dir)?.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            let Some(rest) = name.strip_prefix(&prefix) else {
                continue;
            };
            let Some(entry_key) = rest
                .strip_suffix(".parquet")
                .or_else(|| rest.strip_suffix(".json"))
            else {
                continue;
            };
            // The source id must match exactly: "t1-…" is not "t10-…".
            if entry_key != key
                && entry_key.len() == 24
                && entry_key.bytes().all(|b| b.is_ascii_hexdigit())
            {
                let _ = std::fs::remove_file(e.path());
            }
        }
        Ok(())
    }
}
