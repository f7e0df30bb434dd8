//! `bcs fiche <commune>`: the commune sheet.

use anyhow::Result;
use crate::engine::select;

use super::Cli;
use crate::geo::Level;
use crate::render::fiche::Fiche;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Code ou partie du nom de la commune (accents et casse indifférents).
    pub commune: String,
    /// Page HTML autonome au lieu du tableau du terminal.
    #[arg(long)]
    pub html: bool,
}

pub fn run(cli: &Cli, args: &Args) -> Result<()> {
    let opened = cli.open(None)?;
    let found = opened.geo.resolve(&args.commune, Some(Level::Commune))?;
    let codes = found.codes();
    let commune = codes.first().cloned().unwrap_or_default();
    let wanted = Fiche::territories(&opened.geo, &commune);
    let s = opened.results(Some(select::territories(&wanted)))?;
    let fiche = Fiche::of(&s.view(), &commune)?;
    if args.html {
        let look = super::report::dataset_look(&s.manifest, None, None)?;
        print!("{}", crate::render::report::page(&fiche.title, &fiche.html(1), &look.style));
    } else {
        print!("{}", fiche.terminal());
    }
    s.finish();
    Ok(())
}
