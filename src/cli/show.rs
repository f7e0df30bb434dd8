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
    // The alerts of this territory: a gap needs its reference's rows, a
    // count the rows of its level within the dataset's scope (without a
    // scope, all of France: such counts are left to `bcs run`, not read
    // whole for one territory).
    use crate::catalog::steering::{AlertKind, GapReference};
    let d = &opened.manifest.dataset;
    let scope: Vec<String> = if d.scope.is_empty() { vec![] } else { opened.geo.scope(&d.scope).into_iter().collect() };
    let mut counted: Vec<String> = vec![];
    for rule in opened.catalog.alerts.iter().chain(&opened.manifest.alerts) {
        match (rule.kind, rule.gap_reference()) {
            (AlertKind::Ecart, GapReference::Territory) => wanted.push(d.territory.clone()),
            (AlertKind::Ecart, GapReference::Reference) => wanted.push(d.reference.clone()),
            (AlertKind::Ecart, GapReference::Code(c)) => wanted.push(c),
            (AlertKind::Compte, _) if !scope.is_empty() => counted.push(rule.indicator.clone()),
            _ => {}
        }
    }
    let rows = select::territories(&wanted).or(select::indicators(&counted).and(select::territories(&scope)));
    let s = opened.results(Some(rows))?;
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
            let mut steering = s.steering()?.about(&main);
            // A count needs its level's rows, read within a scope only.
            steering.alerts.retain(|a| a.rule.kind != AlertKind::Compte || s.scope.is_some());
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
    s.finish();
    Ok(())
}
