//! `bcs synth`: a SYNTHETIC national dataset (`crate::synth`).

use std::path::PathBuf;

use anyhow::Result;

use crate::synth::{generate, Spec};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Dossier où écrire le jeu synthétique (dataset.toml et sources/).
    #[arg(long)]
    pub out: PathBuf,
    /// Millésimes du recensement et de FiLoSoFi (années sur quatre chiffres).
    #[arg(long, value_delimiter = ',', default_value = "2015,2021")]
    pub vintages: Vec<i32>,
    /// Ne garder que ces départements (codes), pour un petit jeu.
    #[arg(long, value_delimiter = ',')]
    pub departements: Vec<String>,
    /// Nombre de QPV synthétiques, répartis sur les communes de plus de 10 000 habitants.
    #[arg(long, default_value_t = 1600)]
    pub qpv: usize,
    /// Graine du générateur : la même graine donne les mêmes fichiers.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

pub fn run(args: &Args) -> Result<()> {
    let spec = Spec {
        out: args.out.clone(),
        vintages: args.vintages.clone(),
        departements: args.departements.clone(),
        qpv: args.qpv,
        seed: args.seed,
    };
    let done = generate(&spec)?;
    println!(
        "Jeu SYNTHÉTIQUE écrit dans {} : {} communes, {} QPV, millésimes {}.",
        spec.out.display(),
        crate::fr::number(done.communes as f64, 0),
        crate::fr::number(done.qpv as f64, 0),
        spec.vintages.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(", ")
    );
    Ok(())
}
