//! `bcs completions <shell>` and `bcs man`: shell completions and the
//! manual page, generated from the command-line definition itself
//! (clap_complete, clap_mangen), so they never drift from it.

use anyhow::{bail, Result};
use clap::CommandFactory;

use super::Cli;

#[derive(clap::Args, Debug)]
pub struct CompletionArgs {
    /// Interpréteur de commandes : bash, zsh, fish, elvish ou powershell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Writes the completion script to standard output.
pub fn completions(args: &CompletionArgs) -> Result<()> {
    let mut cmd = Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "bcs", &mut std::io::stdout());
    Ok(())
}

#[derive(clap::Args, Debug)]
pub struct ManArgs {
    /// Dossier où écrire bcs.1 et une page par sous-commande (bcs-run.1…).
    /// Par défaut : la page principale sur la sortie standard.
    #[arg(long)]
    pub out: Option<std::path::PathBuf>,
}

/// Writes the manual page(s). Into a folder, the pages are made aside
/// first; an existing file of the same name that is not a bcs page (it does
/// not start with `.TH bcs`) is refused before anything is written.
pub fn man(args: &ManArgs) -> Result<()> {
    let cmd = Cli::command();
    let Some(dir) = &args.out else {
        clap_mangen::Man::new(cmd).render(&mut std::io::stdout())?;
        return Ok(());
    };
    std::fs::create_dir_all(dir)?;
    let staging = tempfile::Builder::new().prefix(".bcs-man-").tempdir_in(dir)?;
    clap_mangen::generate_to(cmd, staging.path())?;
    let mut pages = vec![];
    for e in std::fs::read_dir(staging.path())? {
        let name = e?.file_name();
        let target = dir.join(&name);
        if target.exists() {
            let head = std::fs::read(&target).unwrap_or_default();
            if !is_bcs_page(&head) {
                bail!(
                    "{} existe et n'est pas une page de manuel de bcs : rien n'a été écrit",
                    target.display()
                );
            }
        }
        pages.push(name);
    }
    for name in &pages {
        std::fs::rename(staging.path().join(name), dir.join(name))?;
    }
    println!("{} pages de manuel écrites dans {}", pages.len(), dir.display());
    Ok(())
}

/// Whether a file is a manual page clap_mangen wrote for bcs.
fn is_bcs_page(bytes: &[u8]) -> bool {
    String::from_utf8_lossy(bytes).lines().any(|l| l.starts_with(".TH bcs"))
}
