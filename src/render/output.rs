//! Output folders written atomically: everything goes to a temporary folder
//! beside the target, which replaces the target only once complete. A failed
//! run leaves the previous output untouched and no partial files.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use polars::prelude::*;

pub struct OutputDir {
    target: PathBuf,
    staging: tempfile::TempDir,
}

impl OutputDir {
    pub fn create(target: &Path) -> Result<OutputDir> {
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent)
            .with_context(|| format!("impossible de créer le dossier {}", parent.display()))?;
        let staging = tempfile::Builder::new()
            .prefix(".bcs-en-cours-")
            .tempdir_in(&parent)
            .with_context(|| format!("impossible d'écrire dans {}", parent.display()))?;
        Ok(OutputDir {
            target: target.to_path_buf(),
            staging,
        })
    }

    /// Path of a file inside the staging folder (sub-folders are created).
    pub fn file(&self, name: &str) -> Result<PathBuf> {
        let p = self.staging.path().join(name);
        if let Some(dir) = p.parent() {
            std::fs::create_dir_all(dir)?;
        }
        Ok(p)
    }

    /// Path of a sub-folder of the staging folder, created.
    pub fn dir(&self, name: &str) -> Result<PathBuf> {
        let p = self.staging.path().join(name);
        std::fs::create_dir_all(&p)?;
        Ok(p)
    }

    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> Result<()> {
        let p = self.file(name)?;
        std::fs::write(&p, bytes).with_context(|| format!("écriture impossible : {}", p.display()))
    }

    /// Replaces the target folder by the completed staging folder.
    pub fn commit(self) -> Result<PathBuf> {
        let staged = self.staging.keep();
        if self.target.exists() {
            let old = staged.with_file_name(format!(
                ".bcs-ancien-{}",
                staged
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or("sortie")
            ));
            std::fs::rename(&self.target, &old)
                .with_context(|| format!("impossible de remplacer {}", self.target.display()))?;
            std::fs::rename(&staged, &self.target)?;
            std::fs::remove_dir_all(&old)?;
        } else {
            std::fs::rename(&staged, &self.target)
                .with_context(|| format!("impossible de créer {}", self.target.display()))?;
        }
        Ok(self.target)
    }
}

/// Writes the tidy results table as CSV (comma, decimal point: for R,
/// pandas and tools) and Parquet.
/// Returns the Parquet file's path. Both files are written in parallel; the
/// Parquet one is copied from `parquet_of_frame` when given (a file holding
/// exactly `frame`, e.g. the results cache).
pub fn write_results(
    out: &OutputDir,
    frame: &DataFrame,
    parquet_of_frame: Option<&Path>,
) -> Result<PathBuf> {
    let (csv, parquet) = (out.file("results.csv")?, out.file("results.parquet")?);
    let (a, b) = rayon::join(
        || -> Result<()> {
            let mut f = std::io::BufWriter::new(std::fs::File::create(&csv)?);
            CsvWriter::new(&mut f)
                .include_header(true)
                .finish(&mut frame.clone())?;
            Ok(())
        },
        || match parquet_of_frame {
            Some(from) => std::fs::copy(from, &parquet)
                .map(|_| ())
                .with_context(|| format!("copie impossible de {}", from.display())),
            None => crate::engine::write_parquet(&parquet, frame),
        },
    );
    a?;
    b?;
    Ok(parquet)
}
