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

/// Whether loading reads and refreshes the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheMode {
    Off,
    Use,
}

/// What is stored beside a source's cached observations: the hash of the
/// Parquet file as written, and the reading report.
#[derive(serde::Serialize, serde::Deserialize)]
struct Entry {
    blake3: String,
    report: SourceReport,
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
        let national = manifest.path(&manifest.geography.national);
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
        Ok(Cache {
            dir: manifest.dir.join(".bcs-cache"),
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
        let entry = std::fs::read(self.report_path(src, &key))
            .map_err(anyhow::Error::from)
            .and_then(|b| serde_json::from_slice::<Entry>(&b).map_err(anyhow::Error::from));
        let Ok(entry) = entry else {
            // An unreadable entry is simply rebuilt.
            return Ok((None, key));
        };
        // The observations must be the bytes written: a flipped bit means
        // reading the source again, never another value.
        let bytes = std::fs::read(&path)?;
        if blake3::hash(&bytes).to_hex().as_str() != entry.blake3 {
            eprintln!(
                "Avertissement : l'entrée de cache {} ne correspond plus à ce qui a été écrit : source relue.",
                path.display()
            );
            return Ok((None, key));
        }
        let df = ParquetReader::new(std::io::Cursor::new(bytes)).finish().ok();
        Ok((df.map(|df| (df, entry.report)), key))
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
        write_atomically(&target, |tmp| {
            // Snappy rather than zstd: cheaper to encode, and the cache is
            // written on every first run.
            ParquetWriter::new(crate::files::OutFile::create(tmp)?)
                .with_compression(ParquetCompression::Snappy)
                .finish(&mut frame.clone())?;
            Ok(())
        })?;
        // Then its description: an entry is served only with both files,
        // and only if the Parquet file still has the hash recorded here.
        let entry = Entry {
            blake3: crate::files::content_hash(&target)?,
            report: report.clone(),
        };
        write_atomically(&self.report_path(src, key), |tmp| {
            std::fs::write(tmp, serde_json::to_vec(&entry)?)?;
            Ok(())
        })?;
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
