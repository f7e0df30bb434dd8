//! bcs never destroys what it did not write: output folders it did not make
//! are refused, each command replaces only its own files in bcs's folder,
//! ids that become file names are checked, the staging folder of a killed
//! run is removed by the next one.

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

/// Every file under `dir`, relative, sorted, with its bytes.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().to_string();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = vec![];
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn each_command_replaces_its_own_files_and_no_other() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sortie");
    let ok = |o: std::process::Output| assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    ok(bcs().args(["run", "--out"]).arg(&out).output().unwrap());
    let after_run = tree(&out);
    let names_of = |t: &[(String, Vec<u8>)]| t.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    let run_files = names_of(&after_run);
    assert!(run_files.contains(&"results.csv".to_string()), "{run_files:?}");
    assert!(run_files.contains(&"report.html".to_string()));
    assert!(run_files.iter().any(|n| n.starts_with("figures/")));

    // A file of the user's in bcs's folder, and a chart beside the figures.
    std::fs::write(out.join("mes_notes.txt"), "à garder").unwrap();
    ok(bcs()
        .args(["chart", "part_etrangers", "--kind", "map", "--contours"])
        .arg(root().join("tests/fixtures/qp15_carres_test.geojson"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap());
    let chart = "figures/fig_contexte_part_etrangers_2019_carte.png";
    // The report rewrites its own files only: every file of the run is
    // still there, the results byte for byte.
    ok(bcs().args(["report", "--out"]).arg(&out).output().unwrap());
    let after_report = tree(&out);
    let report_files = names_of(&after_report);
    for f in &run_files {
        assert!(report_files.contains(f), "{f} removed by bcs report");
    }
    for f in ["results.csv", "results.parquet", "barometre.xlsx", "README.md", "theme_03_revenus.csv"] {
        let before = after_run.iter().find(|(n, _)| n == f).unwrap();
        let now = after_report.iter().find(|(n, _)| n == f).unwrap();
        assert!(before == now, "{f} changed by bcs report");
    }
    assert!(report_files.contains(&"mes_notes.txt".to_string()));
    assert!(report_files.iter().any(|n| n == chart), "{report_files:?}");
    let marker = std::fs::read_to_string(out.join(".bcs-sortie")).unwrap();
    assert!(marker.contains("run\tresults.csv\n") && marker.contains("report\treport.html\n"), "{marker}");

    // A results-only run removes its own tables of before (they would no
    // longer match the results) and leaves the user's file and the chart.
    ok(bcs().args(["run", "--results-only", "--out"]).arg(&out).output().unwrap());
    let left = names(&out);
    assert!(left.contains(&"results.csv".to_string()) && left.contains(&"mes_notes.txt".to_string()), "{left:?}");
    assert!(!left.iter().any(|n| n.starts_with("theme_") || n == "report.html"), "{left:?}");
    assert!(!out.join("fiches").exists(), "an emptied folder of bcs's is removed");
    assert_eq!(names(&out.join("figures")), ["fig_contexte_part_etrangers_2019_carte.png", "fig_contexte_part_etrangers_2019_carte.svg"]);
    assert_eq!(std::fs::read_to_string(out.join("mes_notes.txt")).unwrap(), "à garder");
    assert_eq!(names(tmp.path()), ["sortie"]);
}

#[test]
fn a_marker_naming_a_path_outside_its_folder_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sortie");
    assert!(run(None, &out).status.success());
    std::fs::write(tmp.path().join("precieux.txt"), "à garder").unwrap();
    let marker = out.join(".bcs-sortie");
    let text = std::fs::read_to_string(&marker).unwrap();
    std::fs::write(&marker, format!("{text}run\t../precieux.txt\n")).unwrap();
    let o = run(None, &out);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("../precieux.txt") && err.contains("chemin relatif"), "{err}");
    assert_eq!(std::fs::read_to_string(tmp.path().join("precieux.txt")).unwrap(), "à garder");
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
    // Killed before it wrote a file: the process id is in its name.
    std::fs::create_dir(tmp.path().join(".bcs-en-cours-2147483000-XyZ789")).unwrap();
    // One of a live run (this test's own process) is left alone.
    let live = tmp.path().join(".bcs-en-cours-LiVe01");
    std::fs::create_dir(&live).unwrap();
    std::fs::write(live.join(".bcs-processus"), std::process::id().to_string()).unwrap();
    assert!(run(None, &tmp.path().join("sortie")).status.success());
    assert_eq!(names(tmp.path()), [".bcs-en-cours-LiVe01", "sortie"]);
}

#[test]
fn a_run_killed_by_sigkill_leaves_the_previous_output_and_the_next_run_cleans_up() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sortie");
    assert!(run(None, &out).status.success());
    let staging = |dir: &Path| names(dir).into_iter().filter(|n| n.starts_with(".bcs-en-cours-")).count();
    // A whole run (report, figures) writes long enough to be caught; a run
    // that ends before it is killed is tried again.
    for _ in 0..10 {
        let before = (std::fs::read(out.join("results.csv")).unwrap(), names(&out));
        let mut child = bcs()
            .args(["run", "--out"])
            .arg(&out)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        while staging(tmp.path()) == 0 && child.try_wait().unwrap().is_none() {
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        child.kill().unwrap(); // SIGKILL
        if child.wait().unwrap().success() {
            continue;
        }
        assert_eq!((std::fs::read(out.join("results.csv")).unwrap(), names(&out)), before);
        assert_eq!(staging(tmp.path()), 1, "{:?}", names(tmp.path()));
        assert!(run(None, &out).status.success());
        assert_eq!(names(tmp.path()), ["sortie"]);
        return;
    }
    panic!("no run could be killed while it wrote");
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
    assert!(err.contains("3 réglage(s) refusé(s)"), "{err}");
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
