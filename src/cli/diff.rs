//! `bcs diff <avant> <après>`: what changed between two editions.

use std::path::PathBuf;

use anyhow::Result;

use super::{Cli, Format};
use crate::engine::diff::{compare, Edition};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Édition précédente : dossier de sortie de `bcs run`, ou son results.parquet / results.csv.
    pub before: PathBuf,
    /// Nouvelle édition : idem.
    pub after: PathBuf,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// Page HTML autonome « Ce qui a changé depuis l'édition précédente » au lieu du tableau du terminal.
    #[arg(long, conflicts_with = "format")]
    pub html: bool,
}

pub fn run(cli: &Cli, args: &Args) -> Result<()> {
    let (before, after) = rayon::join(|| Edition::read(&args.before), || Edition::read(&args.after));
    let (before, after) = (before?, after?);
    // Labels, decimals and the lineage of redrawn quartiers come from the
    // dataset's catalogue and geography.
    let opened = cli.open(None)?;
    let class = crate::catalog::composites::PRIORITY_CLASS;
    let diff = compare(&before, &after, |code| opened.geo.lineage(code), class);
    let catalog = &opened.catalog;
    if args.html {
        print!("{}", crate::render::diff::html(&diff, catalog));
        return Ok(());
    }
    match args.format {
        Format::Table => print!("{}", crate::render::diff::terminal(&diff, catalog)),
        Format::Csv => {
            use std::io::Write;
            std::io::stdout().write_all(&crate::render::diff::flat(&diff, catalog).csv()?)?;
        }
        Format::Json => println!("{}", serde_json::to_string_pretty(&diff)?),
    }
    Ok(())
}
