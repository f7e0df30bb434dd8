//! `bcs rank <indicateur>`.

use anyhow::Result;
use crate::schema;
use crate::engine::select;

use super::{print_rows, Cli, Format};
use crate::geo::Level;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Identifiant ou partie du libellé de l'indicateur.
    pub indicator: String,
    /// Niveau des territoires classés.
    #[arg(long, default_value = "qpv", value_parser = super::parse_level)]
    pub level: Level,
    /// Millésime. Par défaut : le plus récent disponible pour ce niveau.
    #[arg(long)]
    pub vintage: Option<i32>,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

pub fn run(cli: &Cli, args: &Args) -> Result<()> {
    let opened = cli.open(None)?;
    let id = opened.catalog.find_indicator(&args.indicator)?.id.clone();
    // Only this indicator's rows are read from the results cache.
    let s = opened.results(Some(select::indicator(&id)))?;
    let ind = s.catalog.find_indicator(&id)?;
    let level = args.level;
    let (table, vintage) = s.view().rank_table(ind, level, args.vintage)?;
    match args.format {
        Format::Table => print!("{}", table.terminal()),
        f => {
            let mut ranked = select::level(level);
            if let Some(scope) = &s.scope {
                // The dataset's territories only, as in the table.
                let scope: Vec<String> = scope.iter().cloned().collect();
                ranked = ranked.and(select::territories(&scope));
            }
            let filter = select::indicator(&ind.id)
                .and(select::vintage(vintage))
                .and(ranked.clone().or(select::territories(&s.manifest.dataset.references)));
            // As the table: the ranked territories in rank order, then the
            // references.
            let order = vec![ranked.not(), polars::prelude::col(schema::RANK)];
            print_rows(&s.results, filter, order, f)?;
        }
    }
    s.finish();
    Ok(())
}
