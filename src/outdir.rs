//! Output folders: each command writes its files into a staging folder
//! beside the target, and only once every file is complete moves them into
//! the target. A failed run leaves the previous output untouched and no
//! partial files.
//!
//! bcs never destroys what it did not write: it writes only into a folder
//! it made (a marker file, [`MARKER`], that every output folder holds) or
//! an empty one; anything else is refused before a byte is written. Inside
//! its folder, each command owns the files it wrote, listed in the marker:
//! a command replaces its own files (and removes those it no longer
//! writes), never another command's — `bcs report` after `bcs run` leaves
//! the results and tables in place, a figure made by `bcs chart` survives
//! the next `bcs run`, and a file the user put there is never touched.
//! The staging folders of a run that died (`kill -9`) are removed by the
//! next run.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use anyhow::{bail, Context, Result};

/// File that marks a folder as bcs's own output, and lists who wrote what.
pub const MARKER: &str = ".bcs-sortie";
/// Prefix of a run's staging folder, beside its target.
const STAGING: &str = ".bcs-en-cours-";
/// File of a staging folder holding the process id of its run.
const OWNER: &str = ".bcs-processus";

/// The command that writes a set of files into an output folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Writer {
    /// `bcs run`: the results, tables, workbook and the report.
    Run,
    /// `bcs report`: the report, its figures and commune sheets.
    Report,
    /// `bcs chart`: one figure at a time, kept until replaced by name.
    Chart,
    /// `bcs synth`: a synthetic dataset.
    Synth,
}

impl Writer {
    const ALL: [Writer; 4] = [Writer::Run, Writer::Report, Writer::Chart, Writer::Synth];

    fn id(self) -> &'static str {
        match self {
            Writer::Run => "run",
            Writer::Report => "report",
            Writer::Chart => "chart",
            Writer::Synth => "synth",
        }
    }

    /// Whether this command's output supersedes the files `other` wrote
    /// (so that those it no longer writes are removed): a run writes the
    /// report too, so a run removes an earlier report's left-over figures.
    fn supersedes(self, other: Writer) -> bool {
        self == other || (self == Writer::Run && other == Writer::Report)
    }

    /// Whether it removes its earlier files that it does not write again
    /// (a chart adds one figure; it does not remove the others).
    fn replaces_its_set(self) -> bool {
        self != Writer::Chart
    }
}

pub struct OutputDir {
    target: PathBuf,
    staging: tempfile::TempDir,
    writer: Writer,
}

impl OutputDir {
    /// A staging folder for `target`, which must be absent, empty or an
    /// earlier output of bcs.
    pub fn create(target: &Path, writer: Writer) -> Result<OutputDir> {
        check_target(target)?;
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent)
            .with_context(|| format!("impossible de créer le dossier {}", parent.display()))?;
        remove_dead_runs(&parent);
        // The process id is in the folder's name, so that a run killed at
        // any instant, even before it wrote a file, leaves a folder the next
        // run knows to be dead.
        let staging = tempfile::Builder::new()
            .prefix(&format!("{STAGING}{}-", std::process::id()))
            .tempdir_in(&parent)
            .with_context(|| format!("impossible d'écrire dans {}", parent.display()))?;
        std::fs::write(staging.path().join(OWNER), std::process::id().to_string())?;
        Ok(OutputDir {
            target: target.to_path_buf(),
            staging,
            writer,
        })
    }

    /// Path of a file inside the staging folder (sub-folders are created).
    pub fn file(&self, name: &str) -> Result<PathBuf> {
        let p = self.staging.path().join(name);
        if let Some(dir) = p.parent() {
            std::fs::create_dir_all(dir)?;
        }
        Ok(p)
    }

    /// Path of a sub-folder of the staging folder, created.
    pub fn dir(&self, name: &str) -> Result<PathBuf> {
        let p = self.staging.path().join(name);
        std::fs::create_dir_all(&p)?;
        Ok(p)
    }

    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> Result<()> {
        let p = self.file(name)?;
        std::fs::write(&p, bytes).with_context(|| format!("écriture impossible : {}", p.display()))
    }

    /// Moves the completed files into the target folder: the command's
    /// earlier files it did not write again are removed, the files of other
    /// commands and of the user are left as they are.
    pub fn commit(self) -> Result<PathBuf> {
        let staged = self.staging.path().to_path_buf();
        let mut written = vec![];
        list_files(&staged, Path::new(""), &mut written)?;
        written.retain(|p| p != Path::new(OWNER));
        // Checked again: the target may have changed while the run computed.
        check_target(&self.target)?;
        if !self.target.exists() {
            let owners = written.iter().map(|p| (p.clone(), self.writer)).collect();
            std::fs::write(staged.join(MARKER), marker_text(&owners))?;
            let staged = self.staging.keep();
            std::fs::rename(&staged, &self.target)
                .with_context(|| format!("impossible de créer {}", self.target.display()))?;
            // Kept until now: a run killed before the rename leaves a
            // staging folder that names its (dead) process, for the next
            // run to remove.
            std::fs::remove_file(self.target.join(OWNER))?;
            return Ok(self.target);
        }
        let mut owners = read_owners(&self.target)?;
        if self.writer.replaces_its_set() {
            let stale: Vec<PathBuf> = owners
                .iter()
                .filter(|(p, w)| self.writer.supersedes(**w) && !written.contains(p))
                .map(|(p, _)| p.clone())
                .collect();
            for p in stale {
                let path = self.target.join(&p);
                match std::fs::remove_file(&path) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        return Err(e).with_context(|| {
                            format!("impossible de supprimer l'ancien fichier {}", path.display())
                        })
                    }
                    _ => {}
                }
                remove_empty_parents(&self.target, &p);
                owners.remove(&p);
            }
        }
        for p in &written {
            let to = self.target.join(p);
            if let Some(dir) = to.parent() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("impossible de créer le dossier {}", dir.display()))?;
            }
            std::fs::rename(staged.join(p), &to)
                .with_context(|| format!("impossible d'écrire {}", to.display()))?;
            owners.insert(p.clone(), self.writer);
        }
        // The list last, by rename: it never names a file half there.
        let list = staged.join(MARKER);
        std::fs::write(&list, marker_text(&owners))?;
        std::fs::rename(&list, self.target.join(MARKER))
            .with_context(|| format!("impossible d'écrire {}", self.target.join(MARKER).display()))?;
        Ok(self.target)
    }
}

/// The files under `dir` (relative to the folder being listed), sorted.
fn list_files(dir: &Path, rel: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir.join(rel))
        .with_context(|| format!("lecture impossible du dossier {}", dir.join(rel).display()))?
        .collect::<std::io::Result<_>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = rel.join(e.file_name());
        if e.file_type()?.is_dir() {
            list_files(dir, &p, out)?;
        } else {
            out.push(p);
        }
    }
    Ok(())
}

/// Removes the folders of `rel` inside `root` that its removal left empty.
fn remove_empty_parents(root: &Path, rel: &Path) {
    let mut dir = rel.parent();
    while let Some(d) = dir.filter(|d| !d.as_os_str().is_empty()) {
        // Fails (and stops) at the first folder that still holds something.
        if std::fs::remove_dir(root.join(d)).is_err() {
            break;
        }
        dir = d.parent();
    }
}

const MARKER_HEAD: &str = "# Dossier de sortie de bcs (Baromètre de la Cohésion Sociale).\n\
# Chaque ligne : la commande qui a écrit le fichier, une tabulation, le fichier.\n\
# Chaque commande remplace ses propres fichiers ; bcs ne touche à aucun autre.\n";

fn marker_text(owners: &BTreeMap<PathBuf, Writer>) -> String {
    let mut s = MARKER_HEAD.to_string();
    for (p, w) in owners {
        let path: Vec<String> = p
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        s.push_str(&format!("{}\t{}\n", w.id(), path.join("/")));
    }
    s
}

/// Who wrote each file of an output folder, from its marker. A marker of
/// an earlier bcs (one sentence, no list) came with a folder that one run
/// wrote whole: its files are the run's. A line that names a path outside
/// the folder is refused, never followed.
fn read_owners(target: &Path) -> Result<BTreeMap<PathBuf, Writer>> {
    let file = target.join(MARKER);
    let text = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        // An empty folder being filled.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(e).with_context(|| format!("lecture impossible de {}", file.display())),
    };
    if !text.starts_with(MARKER_HEAD.lines().next().unwrap_or_default()) {
        let mut files = vec![];
        list_files(target, Path::new(""), &mut files)?;
        return Ok(files
            .into_iter()
            .filter(|p| p != Path::new(MARKER))
            .map(|p| (p, Writer::Run))
            .collect());
    }
    let mut owners = BTreeMap::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.starts_with('#')) {
        let bad = || {
            anyhow::anyhow!(
                "{}, ligne {} : « {} » illisible (attendu : commande, tabulation, chemin relatif dans le dossier) ; rien n'a été écrit",
                file.display(),
                i + 1,
                crate::fr::shorten(line, 80)
            )
        };
        let (id, path) = line.split_once('\t').ok_or_else(bad)?;
        let writer = Writer::ALL.into_iter().find(|w| w.id() == id).ok_or_else(bad)?;
        let path = PathBuf::from(path);
        if path.as_os_str().is_empty() || !path.components().all(|c| matches!(c, Component::Normal(_))) {
            return Err(bad());
        }
        owners.insert(path, writer);
    }
    Ok(owners)
}

/// A target bcs may write: absent, an empty folder, or a folder holding
/// its marker.
fn check_target(target: &Path) -> Result<()> {
    let meta = match std::fs::symlink_metadata(target) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => bail!("dossier de sortie {} illisible : {e}", target.display()),
    };
    if !meta.is_dir() {
        bail!(
            "{} existe et n'est pas un dossier : bcs écrit ses sorties dans un dossier nouveau, vide ou créé par lui ; rien n'a été écrit",
            target.display()
        );
    }
    if target.join(MARKER).is_file() {
        return Ok(());
    }
    let empty = std::fs::read_dir(target)
        .with_context(|| format!("dossier de sortie {} illisible", target.display()))?
        .next()
        .is_none();
    if !empty {
        bail!(
            "le dossier {} n'est pas vide et n'a pas été créé par bcs (il n'a pas de fichier {MARKER}) : bcs ne remplace que ses propres dossiers de sortie ; choisissez un dossier nouveau ou vide (--out) ; rien n'a été écrit",
            target.display()
        );
    }
    Ok(())
}

/// Removes the staging folders that runs killed before their end left in
/// `parent`: those whose process is gone.
fn remove_dead_runs(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        let path = e.path();
        if !name.starts_with(STAGING) || !path.is_dir() {
            continue;
        }
        // The run's process id: in the name (`.bcs-en-cours-<pid>-…`), or
        // in the owner file of an earlier bcs's staging folder.
        let pid = name[STAGING.len()..]
            .split_once('-')
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
            .or_else(|| {
                std::fs::read_to_string(path.join(OWNER))
                    .ok()
                    .and_then(|pid| pid.trim().parse::<u32>().ok())
            });
        let dead = pid.is_some_and(|p| !process_alive(p));
        if dead {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

/// Whether a process with this id runs on this machine.
#[cfg(unix)]
fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // Signal 0: no signal sent, only the existence checked.
    // SAFETY: kill(2) with signal 0 has no effect on the process.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

#[cfg(not(unix))]
fn process_alive(_pid: u32) -> bool {
    true
}
