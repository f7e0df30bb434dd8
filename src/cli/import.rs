//! `bcs import`: parse, check and cache every source as Parquet.

use anyhow::Result;

use super::Cli;
use crate::ingest;

#[derive(clap::Args, Debug)]
pub struct Args {}

pub fn run(cli: &Cli, _args: &Args) -> Result<()> {
    let (manifest, catalog, geo) = ingest::open_dataset(&cli.dataset_dir()?, &cli.catalog_dir()?)?;
    let ingest::Loaded {
        observations: obs,
        served,
        pending,
        reports,
    } = ingest::load_cached(&manifest, &catalog, &geo, ingest::CacheMode::Use)?;
    for r in &reports {
        eprintln!("Lecture de la source {}", r.summary());
    }
    pending.write()?;
    for (id, hit) in &served {
        println!(
            "  {id} : {}",
            if *hit {
                "déjà en cache, inchangé"
            } else {
                "lu, vérifié et mis en cache"
            }
        );
    }
    println!(
        "{} source(s), {} valeurs, cache : {}",
        served.len(),
        crate::fr::number(obs.height() as f64, 0),
        manifest.dir.join(crate::ingest::cache::CACHE_DIR).display()
    );
    drop(obs);
    // The results cache a changed source invalidated is computed again now,
    // so that the next show or rank answers at once.
    let session = cli.open(None)?.results(None)?;
    println!(
        "  résultats : {}",
        if session.cached_results_file().is_some() {
            "déjà en cache, inchangés"
        } else {
            "calculés et mis en cache"
        }
    );
    session.finish();
    Ok(())
}
