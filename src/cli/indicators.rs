//! `bcs indicators`: the catalogue.

use anyhow::Result;

use super::{Cli, Format};
use crate::catalog::Catalog;
use crate::render::barometer::catalog_table;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Ne lister que les indicateurs de ce thème (identifiant, ex. « sante »).
    #[arg(long)]
    pub theme: Option<String>,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

pub fn run(cli: &Cli, args: &Args) -> Result<()> {
    let catalog = Catalog::load(&cli.catalog_dir()?)?;
    if let Some(t) = &args.theme {
        if catalog.theme(t).is_none() {
            anyhow::bail!(
                "thème « {t} » inconnu (thèmes : {})",
                catalog
                    .themes
                    .iter()
                    .map(|t| t.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    let table = catalog_table(&catalog, args.theme.as_deref());
    match args.format {
        Format::Table => print!("{}", table.terminal()),
        Format::Csv => {
            use std::io::Write;
            let bytes = table.csv()?;
            std::io::stdout().write_all(&bytes[3..])?; // no BOM on a terminal
        }
        Format::Json => {
            let rows: Vec<serde_json::Value> = catalog
                .indicators
                .iter()
                .filter(|i| args.theme.as_deref().is_none_or(|t| i.theme == t))
                .map(|i| {
                    serde_json::json!({
                        "id": i.id, "theme": i.theme, "label": i.label, "unit": i.unit.as_str(),
                        "decimals": i.decimals, "polarity": i.polarity, "formulas": i.formulas,
                        "aggregable": i.operands.iter().map(|o| catalog.formula_is_aggregable(o)).collect::<Vec<_>>(),
                        "source": i.source, "definition": i.definition, "lecture": i.lecture,
                    })
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&rows)?);
        }
    }
    Ok(())
}
