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
    wanted.extend(opened.manifest.targets.iter().map(|t| t.territory.clone()));
    // The alerts compare a territory with others of its level: their
    // indicators are read for every territory.
    let alert_indicators: Vec<String> = opened
        .catalog
        .alerts
        .iter()
        .chain(&opened.manifest.alerts)
        .map(|a| a.indicator.clone())
        .collect();
    let s = opened.results(Some(select::territories(&wanted).or(select::indicators(&alert_indicators))))?;
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
            let steering = s.steering()?.about(&main);
            print!("{}", crate::render::vigilance::terminal(&steering, &s.catalog));
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
