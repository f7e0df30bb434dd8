//! `bcs validate`: every check of a run, without writing anything.

use anyhow::Result;
use polars::prelude::*;

use super::Cli;
use crate::ingest;

#[derive(clap::Args, Debug)]
pub struct Args {}

pub fn run(cli: &Cli, _args: &Args) -> Result<()> {
    let (manifest, catalog, geo) = ingest::open_dataset(&cli.dataset_dir(), &cli.catalog_dir())?;
    // Every problem of every source is listed at once by the loader.
    let obs = ingest::load(&manifest, &catalog, &geo)?;
    let per_source = obs
        .clone()
        .lazy()
        .group_by([col("source")])
        .agg([
            len().alias("n"),
            col("territory_code").n_unique().alias("territories"),
            col("status")
                .eq(crate::status::Status::Secret.lit())
                .sum()
                .alias("secret"),
        ])
        .sort(["source"], Default::default())
        .collect()?;
    println!(
        "Jeu de données « {} » : aucun problème.",
        manifest.dataset.title
    );
    let (s, n, t, sec) = (
        per_source.column("source")?.str()?.clone(),
        per_source.column("n")?.idx()?.clone(),
        per_source.column("territories")?.idx()?.clone(),
        per_source.column("secret")?.idx()?.clone(),
    );
    for i in 0..per_source.height() {
        println!(
            "  {} : {} valeurs, {} territoires, {} secrètes",
            s.get(i).unwrap_or(""),
            crate::fr::number(n.get(i).unwrap_or(0) as f64, 0),
            crate::fr::number(t.get(i).unwrap_or(0) as f64, 0),
            crate::fr::number(sec.get(i).unwrap_or(0) as f64, 0)
        );
    }
    Ok(())
}
