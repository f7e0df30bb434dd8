//! bcs never destroys what it did not write: output folders it did not make
//! are refused, ids that become file names are checked, the staging folder
//! of a killed run is removed by the next one.

use std::path::{Path, PathBuf};
use std::process::Command;

fn bcs() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bcs"));
    c.env_remove("BCS_DATASET").env_remove("BCS_CATALOGUE");
    c
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `bcs run --results-only --out <out>` on the embedded dataset (or `dataset`).
fn run(dataset: Option<&Path>, out: &Path) -> std::process::Output {
    let mut c = bcs();
    if let Some(d) = dataset {
        c.arg("--dataset").arg(d);
    }
    c.args(["run", "--results-only", "--out"]).arg(out).output().unwrap()
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    v.sort();
    v
}

#[test]
fn a_folder_bcs_did_not_make_is_refused_and_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let mine = tmp.path().join("mes_donnees");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(mine.join("notes.txt"), "à garder").unwrap();
    let out = run(None, &mine);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("n'a pas été créé par bcs") && err.contains("rien n'a été écrit"), "{err}");
    assert_eq!(names(&mine), ["notes.txt"]);
    assert_eq!(std::fs::read_to_string(mine.join("notes.txt")).unwrap(), "à garder");
    // Nothing left beside it either.
    assert_eq!(names(tmp.path()), ["mes_donnees"]);

    // The dataset folder itself (the data loss the issue found).
    let copy = tmp.path().join("jeu");
    std::fs::create_dir(&copy).unwrap();
    std::fs::copy(root().join("datasets/caph/dataset.toml"), copy.join("dataset.toml")).unwrap();
    assert!(!run(None, &copy).status.success());
    assert!(copy.join("dataset.toml").is_file());
}

#[test]
fn a_file_given_as_output_is_refused_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("rapport.pdf");
    std::fs::write(&file, "%PDF").unwrap();
    let out = run(None, &file);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("n'est pas un dossier"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "%PDF");
    assert_eq!(names(tmp.path()), ["rapport.pdf"]);
}

#[test]
fn an_empty_folder_is_filled_and_bcs_own_folder_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sortie");
    std::fs::create_dir(&out).unwrap();
    assert!(run(None, &out).status.success());
    assert!(out.join(".bcs-sortie").is_file());
    assert!(out.join("results.csv").is_file());
    // Its own folder: replaced, nothing left beside it.
    assert!(run(None, &out).status.success());
    assert_eq!(names(tmp.path()), ["sortie"]);
    assert!(!names(&out).iter().any(|n| n.starts_with(".bcs-processus")));
}

#[test]
fn the_staging_folder_of_a_killed_run_is_removed_by_the_next_run() {
    let tmp = tempfile::tempdir().unwrap();
    // What `kill -9` leaves: a staging folder naming a process that is gone.
    let dead = tmp.path().join(".bcs-en-cours-AbC123");
    std::fs::create_dir(&dead).unwrap();
    std::fs::write(dead.join("results.csv"), "territory_code\n").unwrap();
    // A process id that cannot exist (above Linux's pid_max).
    std::fs::write(dead.join(".bcs-processus"), "2147483000").unwrap();
    // One of a live run (this test's own process) is left alone.
    let live = tmp.path().join(".bcs-en-cours-LiVe01");
    std::fs::create_dir(&live).unwrap();
    std::fs::write(live.join(".bcs-processus"), std::process::id().to_string()).unwrap();
    assert!(run(None, &tmp.path().join("sortie")).status.success());
    assert_eq!(names(tmp.path()), [".bcs-en-cours-LiVe01", "sortie"]);
}

#[test]
fn ids_that_become_file_names_are_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = tmp.path().join("ds");
    std::fs::create_dir(&ds).unwrap();
    let manifest = std::fs::read_to_string(root().join("datasets/caph/dataset.toml"))
        .unwrap()
        .replace("id = \"caph\"", "id = \"../../x\"")
        .replace("id = \"t12_idt\"", "id = \"/etc\"")
        .replace("id = \"t11_etablissements\"", "id = \"t10_demandeurs_emploi_evolution\"")
        .replace("\"sources/", &format!("\"{}/", root().join("datasets/caph/sources").display()))
        .replace("\"../geo/", &format!("\"{}/", root().join("datasets/geo").display()));
    std::fs::write(ds.join("dataset.toml"), manifest).unwrap();
    let out = bcs().arg("--dataset").arg(&ds).arg("run").output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("3 identifiant(s) refusé(s)"), "{err}");
    assert!(err.contains("[dataset] id « ../../x »"), "{err}");
    assert!(err.contains("[[source]] id « /etc »"), "{err}");
    assert!(err.contains("« t10_demandeurs_emploi_evolution » donné à deux sources"), "{err}");
    assert_eq!(names(&ds), ["dataset.toml"]);
}

#[test]
fn names_that_would_run_in_excel_or_break_a_page_are_neutral() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = tmp.path().join("ds");
    std::fs::create_dir_all(ds.join("sources")).unwrap();
    // A local territories file with a hostile name and a name with a line
    // break, and a source giving them values.
    std::fs::write(
        ds.join("territoires.csv"),
        "code,name,short_name,level,parents,members,successors,note\n\
         loc_a,=cmd|' /C calc'!A0,,quartier,59172,,,\n\
         loc_b,\"Deux\nlignes <script>\",,quartier,59172,,,\n",
    )
    .unwrap();
    std::fs::write(ds.join("sources/s.csv"), "code;pop\nloc_a;100\nloc_b;200\n").unwrap();
    std::fs::write(
        ds.join("dataset.toml"),
        format!(
            "[dataset]\nid = \"t\"\ntitle = \"t\"\nterritory = \"59172\"\nreference = \"59172\"\nreferences = [\"59172\"]\n\
             [geography]\nnational = \"{}\"\nlocal = [\"territoires.csv\"]\n\
             [[source]]\nid = \"s\"\nfile = \"sources/s.csv\"\ntitle = \"s\"\nproducer = \"p\"\nkey = \"code\"\n\
             [[source.variable]]\nvariable = \"population\"\nvintage = 2021\nexpr = \"pop\"\n",
            root().join("datasets/geo/national").display()
        ),
    )
    .unwrap();
    let out = tmp.path().join("sortie");
    let o = bcs().arg("--dataset").arg(&ds).args(["run", "--out"]).arg(&out).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(out.join("theme_01_contexte.csv")).unwrap();
    assert!(csv.contains("'=cmd|' /C calc'!A0"), "{csv}");
    assert!(!csv.lines().any(|l| l.starts_with("=cmd")), "{csv}");
    assert!(csv.contains("Deux lignes <script>"), "{csv}");
    let md = std::fs::read_to_string(out.join("theme_01_contexte.md")).unwrap();
    assert!(md.contains("Deux lignes &lt;script&gt;"), "{md}");
    assert!(!md.contains("<script>"), "{md}");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(!html.contains("<script>"), "raw script in the report");
}
