//! `bcs template <dossier>`: bcs's report template and stylesheet written
//! out, for a team to give the report its own look.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};

use crate::render::report::{DEFAULT_STYLE, DEFAULT_TEMPLATE};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Dossier où écrire rapport.html (modèle, syntaxe Jinja2) et rapport.css (feuille de style) ; créé s'il n'existe pas. Un fichier déjà présent n'est jamais remplacé.
    pub dir: PathBuf,
}

pub fn run(args: &Args) -> Result<()> {
    let files = [("rapport.html", DEFAULT_TEMPLATE), ("rapport.css", DEFAULT_STYLE)];
    let paths: Vec<PathBuf> = files.iter().map(|(name, _)| args.dir.join(name)).collect();
    // Both checked before either is written: nothing half done.
    for p in &paths {
        if p.symlink_metadata().is_ok() {
            bail!("{} existe déjà : bcs ne le remplace pas (choisissez un autre dossier)", p.display());
        }
    }
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("impossible de créer le dossier {}", args.dir.display()))?;
    for (p, (_, text)) in paths.iter().zip(files) {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(p)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .with_context(|| format!("écriture impossible de {}", p.display()))?;
    }
    println!(
        "Modèle du rapport écrit : {} et {}.\nÀ adapter, puis dans dataset.toml :\n  [report]\n  template = \"{}\"\n  style = \"{}\"\nou : bcs report --template {} --style {}",
        paths[0].display(),
        paths[1].display(),
        paths[0].display(),
        paths[1].display(),
        paths[0].display(),
        paths[1].display()
    );
    Ok(())
}
