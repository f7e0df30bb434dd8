//! `bcs validate`: every check of a run, without writing anything.

use anyhow::Result;
use crate::schema;
use polars::prelude::*;

use super::Cli;
use crate::catalog::Catalog;
use crate::geo::{Geography, Level};
use crate::ingest::{self, Manifest};
use crate::status::Status;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Lister chaque ligne concernée : codes rattachés à leur commune actuelle, arrondissements
    /// municipaux, lignes répétées comptées une fois.
    #[arg(long)]
    pub detail: bool,
}

/// Names quoted per level in the coverage summary.
const NAMES_SHOWN: usize = 5;

pub fn run(cli: &Cli, args: &Args) -> Result<()> {
    let (manifest, catalog, geo) = ingest::open_dataset(&cli.dataset_dir()?, &cli.catalog_dir()?)?;
    // Every problem of every source is listed at once by the loader.
    let loaded = ingest::load_cached(&manifest, &catalog, &geo, ingest::CacheMode::Off)?;
    let obs = loaded.observations;
    println!(
        "Jeu de données « {} » : aucun problème.",
        manifest.dataset.title
    );
    print_sources(&obs)?;
    if !loaded.reports.is_empty() {
        println!("Lecture des sources :");
        for r in &loaded.reports {
            println!("  {}", r.summary());
            if args.detail {
                for line in r.details(&geo) {
                    println!("    {line}");
                }
            }
        }
        if !args.detail {
            println!("  (bcs validate --detail liste chaque ligne concernée)");
        }
    }
    print_coverage(&manifest, &catalog, &geo, &obs)?;
    // Published figures the recomputation contradicts: said, not refused
    // (the values are the producers').
    let opts = crate::app::options(&manifest, manifest.dataset.reference.clone())?;
    let results = crate::engine::compute(obs, &catalog, &geo, &opts)?;
    let mut checks = crate::engine::coherence::published(&loaded.reports);
    checks.extend(crate::engine::coherence::parts_exceeding_wholes(&results, &catalog, &geo)?);
    if !checks.is_empty() {
        println!("{} chiffre(s) publié(s) à vérifier :", crate::fr::number(checks.len() as f64, 0));
        for c in &checks {
            println!("  {}", crate::render::vigilance::check_sentence(c, &catalog, &geo));
        }
    }
    Ok(())
}

/// Per source: values, territories, secret values.
fn print_sources(obs: &DataFrame) -> Result<()> {
    let per_source = obs
        .clone()
        .lazy()
        .group_by([col(schema::SOURCE)])
        .agg([
            len().alias("n"),
            col(schema::TERRITORY_CODE).n_unique().alias("territories"),
            col(schema::STATUS)
                .eq(Status::Secret.lit())
                .sum()
                .alias("secret"),
        ])
        .sort([schema::SOURCE], Default::default())
        .collect()?;
    let (s, n, t, sec) = (
        per_source.column(schema::SOURCE)?.str()?.clone(),
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

/// The territories of the scope (by default the dataset's territory, its
/// communes and quartiers) and the references that get no value at all,
/// even through their members.
fn print_coverage(manifest: &Manifest, catalog: &Catalog, geo: &Geography, obs: &DataFrame) -> Result<()> {
    let min_coverage = manifest.dataset.min_coverage()?;
    let (all, _) = crate::engine::aggregate_with_coverage(obs, catalog, geo, min_coverage)?;
    let valued: polars::prelude::PlHashSet<&str> = {
        let codes = all.column(schema::TERRITORY_CODE)?.str()?;
        let statuses = all.column(schema::STATUS)?.u32()?;
        codes
            .iter()
            .zip(statuses.iter())
            .filter(|(_, s)| *s != Some(Status::Missing.code()))
            .filter_map(|(c, _)| c)
            .collect()
    };
    let scope_codes = if manifest.dataset.scope.is_empty() {
        vec![manifest.dataset.territory.clone()]
    } else {
        manifest.dataset.scope.clone()
    };
    let mut scope = geo.scope(&scope_codes);
    scope.extend(manifest.dataset.references.iter().cloned());
    let mut without: std::collections::BTreeMap<Level, Vec<(String, String)>> = Default::default();
    for code in &scope {
        if let (false, Some(t)) = (valued.contains(code.as_str()), geo.get(code)) {
            without
                .entry(t.level)
                .or_default()
                .push((t.name.clone(), t.code.clone()));
        }
    }
    let total: usize = without.values().map(Vec::len).sum();
    if total == 0 {
        println!(
            "Couverture : chacun des {} territoires du périmètre a au moins une valeur.",
            crate::fr::number(scope.len() as f64, 0)
        );
    } else {
        println!(
            "Couverture : {} territoire(s) du périmètre ({} au total) sans aucune valeur :",
            crate::fr::number(total as f64, 0),
            crate::fr::number(scope.len() as f64, 0)
        );
        for (level, mut list) in without {
            list.sort_by_cached_key(|(name, code)| (crate::geo::normalize(name), code.clone()));
            let shown: Vec<String> = list
                .iter()
                .take(NAMES_SHOWN)
                .map(|(name, code)| format!("{name} ({code})"))
                .collect();
            let more = if list.len() > NAMES_SHOWN {
                format!(", … et {} autre(s)", list.len() - NAMES_SHOWN)
            } else {
                String::new()
            };
            println!(
                "  {} × {} : {}{more}",
                crate::fr::number(list.len() as f64, 0),
                level.label_fr(),
                shown.join(", ")
            );
        }
    }
    Ok(())
}
