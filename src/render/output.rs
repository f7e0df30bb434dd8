//! Output folders written atomically: everything goes to a temporary folder
//! beside the target, which replaces the target only once complete. A failed
//! run leaves the previous output untouched and no partial files.
//!
//! bcs never destroys what it did not write: it replaces a folder only if
//! it made it (a marker file, [`MARKER`], that every output folder holds) or
//! fills an empty one; anything else is refused before a byte is written.
//! The staging folders of a run that died (`kill -9`) are removed by the
//! next run.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use polars::prelude::*;

use crate::catalog::Catalog;

/// File that marks a folder as bcs's own output.
pub const MARKER: &str = ".bcs-sortie";
/// Prefix of a run's staging folder, beside its target.
const STAGING: &str = ".bcs-en-cours-";
/// Prefix of the previous output while it is being replaced.
const PREVIOUS: &str = ".bcs-ancien-";
/// File of a staging folder holding the process id of its run.
const OWNER: &str = ".bcs-processus";

pub struct OutputDir {
    target: PathBuf,
    staging: tempfile::TempDir,
}

impl OutputDir {
    /// A staging folder for `target`, which must be absent, empty or an
    /// earlier output of bcs.
    pub fn create(target: &Path) -> Result<OutputDir> {
        check_target(target)?;
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent)
            .with_context(|| format!("impossible de créer le dossier {}", parent.display()))?;
        remove_dead_runs(&parent);
        let staging = tempfile::Builder::new()
            .prefix(STAGING)
            .tempdir_in(&parent)
            .with_context(|| format!("impossible d'écrire dans {}", parent.display()))?;
        std::fs::write(staging.path().join(OWNER), std::process::id().to_string())?;
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
        std::fs::write(
            self.staging.path().join(MARKER),
            "Dossier de sortie de bcs (Baromètre de la Cohésion Sociale) : bcs le remplace à chaque exécution.\n",
        )?;
        // Checked again: the target may have changed while the run computed.
        check_target(&self.target)?;
        let staged = self.staging.keep();
        if self.target.exists() {
            let old = staged.with_file_name(format!(
                "{PREVIOUS}{}",
                staged
                    .file_name()
                    .and_then(|n| n.to_str())
                    .and_then(|n| n.strip_prefix(STAGING))
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
        // Kept until now: a run killed before the rename leaves a staging
        // folder that names its (dead) process, for the next run to remove.
        std::fs::remove_file(self.target.join(OWNER))?;
        Ok(self.target)
    }
}

/// A target bcs may write: absent, an empty folder, or a folder holding
/// its marker.
fn check_target(target: &Path) -> Result<()> {
    let meta = match std::fs::symlink_metadata(target) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => bail!("dossier de sortie {} illisible : {e}", target.display()),
    };
    if !meta.is_dir() {
        bail!(
            "{} existe et n'est pas un dossier : bcs écrit ses sorties dans un dossier nouveau, vide ou créé par lui ; rien n'a été écrit",
            target.display()
        );
    }
    if target.join(MARKER).is_file() {
        return Ok(());
    }
    let empty = std::fs::read_dir(target)
        .with_context(|| format!("dossier de sortie {} illisible", target.display()))?
        .next()
        .is_none();
    if !empty {
        bail!(
            "le dossier {} n'est pas vide et n'a pas été créé par bcs (il n'a pas de fichier {MARKER}) : bcs ne remplace que ses propres dossiers de sortie ; choisissez un dossier nouveau ou vide (--out) ; rien n'a été écrit",
            target.display()
        );
    }
    Ok(())
}

/// Removes the staging folders that runs killed before their end left in
/// `parent`: those whose process is gone. (A previous output being replaced,
/// `.bcs-ancien-…`, exists only between two renames; if a run dies there,
/// it is the user's last complete output and is left alone.)
fn remove_dead_runs(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        let path = e.path();
        if !name.starts_with(STAGING) || !path.is_dir() {
            continue;
        }
        let dead = std::fs::read_to_string(path.join(OWNER))
            .is_ok_and(|pid| pid.trim().parse::<u32>().is_ok_and(|p| !process_alive(p)));
        if dead {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

/// Whether a process with this id runs on this machine.
#[cfg(unix)]
fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // Signal 0: no signal sent, only the existence checked.
    // SAFETY: kill(2) with signal 0 has no effect on the process.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

#[cfg(not(unix))]
fn process_alive(_pid: u32) -> bool {
    true
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
