//! `bcs show <territoire>`.

use anyhow::Result;
use crate::engine::select;
use crate::status::Status;

use super::{print_rows, Cli, Format};
use crate::geo::{Level, Resolution};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Code ou partie du nom du territoire (accents et casse indifférents).
    pub territory: String,
    /// Ne chercher que parmi les territoires de ce niveau.
    #[arg(long, value_parser = super::parse_level)]
    pub level: Option<Level>,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

pub fn run(cli: &Cli, args: &Args) -> Result<()> {
    let opened = cli.open(None)?;
    let found = opened.geo.resolve(&args.territory, args.level)?;
    let main = found.codes();
    // Only these territories' rows are read from the results cache.
    let mut wanted = main.clone();
    wanted.extend(opened.manifest.dataset.references.iter().cloned());
    let s = opened.results(Some(select::territories(&wanted)))?;
    match args.format {
        Format::Table => {
            let view = s.view();
            let mut table = view.territory_table(&main)?;
            let at = table.notes.len().saturating_sub(1);
            for (k, note) in view.englobing_notes(&main).into_iter().enumerate() {
                table.notes.insert(at + k, note);
            }
            if let Resolution::Lineage(_) = found {
                eprintln!("« {} » désigne un quartier dont le périmètre a changé en 2024 : les deux périmètres sont affichés.", args.territory);
            }
            print!("{}", table.terminal());
        }
        f => {
            let mut codes = main.clone();
            codes.extend(s.manifest.dataset.references.iter().cloned());
            let filter = select::territories(&codes)
                .and(select::status_not(Status::Missing).or(select::territories(&main)));
            print_rows(&s.results, filter, vec![], f)?;
        }
    }
    Ok(())
}
