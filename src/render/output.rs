//! Output folders written atomically: everything goes to a temporary folder
//! beside the target, which replaces the target only once complete. A failed
//! run leaves the previous output untouched and no partial files.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use polars::prelude::*;

use crate::catalog::Catalog;

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
/// pandas and tools) and Parquet, and beside it the indicator dictionary
/// (`indicators.csv`: what is constant per indicator, joined on `indicator`).
/// Returns the Parquet file's path. Both tables are written in parallel; the
/// Parquet one is copied from `parquet_of_frame` when given (a file holding
/// exactly `frame`, e.g. the results cache).
pub fn write_results(
    out: &OutputDir,
    frame: &DataFrame,
    parquet_of_frame: Option<&Path>,
    catalog: &Catalog,
) -> Result<PathBuf> {
    write_csv(
        &out.file("indicators.csv")?,
        &mut indicator_dictionary(catalog)?,
    )?;
    let (csv, parquet) = (out.file("results.csv")?, out.file("results.parquet")?);
    let (a, b) = rayon::join(
        || {
            let _t = crate::timing::stage("  csv");
            write_csv(&csv, &mut frame.clone())
        },
        || match parquet_of_frame {
            Some(from) => crate::files::copy(from, &parquet),
            None => {
                let _t = crate::timing::stage("  parquet");
                crate::engine::write_parquet(&parquet, frame)
            }
        },
    );
    a?;
    b?;
    Ok(parquet)
}

fn write_csv(path: &Path, frame: &mut DataFrame) -> Result<()> {
    let file = crate::files::OutFile::create(path)?;
    CsvWriter::new(&mut std::io::BufWriter::new(file))
        .include_header(true)
        .finish(frame)?;
    Ok(())
}

/// One row per catalogue indicator: label, theme, units, source, definition.
pub fn indicator_dictionary(catalog: &Catalog) -> Result<DataFrame> {
    let inds = &catalog.indicators;
    let theme_label = |id: &str| {
        catalog
            .theme(id)
            .map_or(id.to_string(), |t| t.label.clone())
    };
    Ok(df!(
        "indicator" => inds.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
        "indicator_label" => inds.iter().map(|i| i.label.as_str()).collect::<Vec<_>>(),
        "theme" => inds.iter().map(|i| i.theme.as_str()).collect::<Vec<_>>(),
        "theme_label" => inds.iter().map(|i| theme_label(&i.theme)).collect::<Vec<_>>(),
        "unit" => inds.iter().map(|i| i.unit.as_str()).collect::<Vec<_>>(),
        "evol_unit" => inds.iter().map(|i| i.unit.evolution_unit()).collect::<Vec<_>>(),
        "decimals" => inds.iter().map(|i| i.decimals as u32).collect::<Vec<_>>(),
        "source" => inds.iter().map(|i| i.source.as_str()).collect::<Vec<_>>(),
        "definition" => inds.iter().map(|i| i.definition.as_str()).collect::<Vec<_>>(),
    )?)
}
