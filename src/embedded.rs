//! The project's data files carried in the binary (catalogue, profiles,
//! national geography, the embedded dataset; see build.rs), written out
//! once per version into the user's data folder, so that `bcs` works from
//! any folder, installed or copied, without its source tree.
//!
//! `BCS_HOME` names another folder holding `indicators/` and `datasets/`
//! (e.g. a clone being edited, without rebuilding).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{Context, Result};

mod files {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// File marking a folder of extracted files as complete.
const COMPLETE: &str = ".bcs-fichiers-complets";

/// The folder holding the project's `indicators/` and `datasets/`.
pub fn project_dir() -> Result<&'static Path> {
    static DIR: OnceLock<std::result::Result<PathBuf, String>> = OnceLock::new();
    DIR.get_or_init(|| resolve().map_err(|e| format!("{e:#}")))
        .as_deref()
        .map_err(|e| anyhow::anyhow!("{e}"))
}

fn resolve() -> Result<PathBuf> {
    if let Some(home) = std::env::var_os("BCS_HOME").filter(|h| !h.is_empty()) {
        let home = PathBuf::from(home);
        if !home.join("indicators").is_dir() || !home.join("datasets").is_dir() {
            anyhow::bail!(
                "BCS_HOME = {} : ce dossier doit contenir indicators/ et datasets/",
                home.display()
            );
        }
        return Ok(home);
    }
    let dir = data_home().join("bcs").join(format!(
        "{}-{:016x}",
        env!("CARGO_PKG_VERSION"),
        files::HASH
    ));
    if dir.join(COMPLETE).is_file() {
        return Ok(dir);
    }
    extract(&dir)
        .with_context(|| format!("impossible d'écrire les fichiers de bcs dans {}", dir.display()))?;
    Ok(dir)
}

/// `$XDG_DATA_HOME`, else `~/.local/share`, else the temporary folder.
fn data_home() -> PathBuf {
    let var = |name| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    var("XDG_DATA_HOME")
        .filter(|p| p.is_absolute())
        .or_else(|| var("HOME").map(|h| h.join(".local").join("share")))
        .unwrap_or_else(std::env::temp_dir)
}

/// Writes every file into a staging folder beside `dir`, then renames it:
/// two processes starting at once both end with the same complete folder.
fn extract(dir: &Path) -> Result<()> {
    let parent = dir.parent().context("dossier sans parent")?;
    std::fs::create_dir_all(parent)?;
    let staging = tempfile::Builder::new().prefix(".bcs-extraction-").tempdir_in(parent)?;
    for (name, bytes) in files::FILES {
        let path = staging.path().join(name);
        if let Some(d) = path.parent() {
            std::fs::create_dir_all(d)?;
        }
        std::fs::write(&path, bytes)?;
    }
    std::fs::write(staging.path().join(COMPLETE), "")?;
    match std::fs::rename(staging.path(), dir) {
        Ok(()) => {
            // Renamed away: nothing left for the TempDir to remove.
            let _ = staging.keep();
            Ok(())
        }
        // Another process finished first.
        Err(_) if dir.join(COMPLETE).is_file() => Ok(()),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::files::FILES;

    #[test]
    fn the_catalogue_profiles_geography_and_dataset_are_embedded() {
        let names: Vec<&str> = FILES.iter().map(|(n, _)| *n).collect();
        for f in [
            "indicators/variables.toml",
            "datasets/profiles/insee_filosofi_communes.toml",
            "datasets/geo/national/communes.csv",
            "datasets/caph/dataset.toml",
            "datasets/public/filosofi/cc_filosofi_2021_COM.csv",
        ] {
            assert!(names.contains(&f), "{f} not embedded");
        }
        assert!(!names.iter().any(|n| n.split('/').any(|c| c.starts_with('.'))));
        let toml = FILES.iter().find(|(n, _)| *n == "datasets/caph/dataset.toml").map(|(_, b)| *b);
        assert_eq!(toml, Some(&include_bytes!("../datasets/caph/dataset.toml")[..]));
    }
}
