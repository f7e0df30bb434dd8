//! The README's worked examples run as written: the manifest of « Files as
//! their producers publish them » and the territories file example.

use std::path::{Path, PathBuf};
use std::process::Command;

use polars::prelude::*;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The fenced block of `lang` that follows the marker line in the README.
fn block_after(marker: &str, lang: &str) -> String {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let after = readme
        .split_once(marker)
        .unwrap_or_else(|| panic!("marker {marker} absent from README.md"))
        .1;
    let start = after
        .split_once(&format!("```{lang}\n"))
        .unwrap_or_else(|| panic!("no {lang} block after {marker}"))
        .1;
    start.split_once("```").unwrap().0.to_string()
}

/// The README's layout: `bcs/` (this repository) beside the dataset folder,
/// whose `sources/` holds the files named by the example.
fn lay_out(dir: &Path, manifest: &str) -> PathBuf {
    std::os::unix::fs::symlink(root(), dir.join("bcs")).unwrap();
    let ds = dir.join("barometre");
    std::fs::create_dir_all(ds.join("sources")).unwrap();
    for (name, from) in [
        (
            "cc_filosofi_2021_COM.csv",
            "datasets/public/filosofi/cc_filosofi_2021_COM.csv",
        ),
        (
            "cc_filosofi_2019_COM.CSV",
            "datasets/public/filosofi/cc_filosofi_2019_COM.CSV",
        ),
        (
            "menages_par_code_postal.csv",
            "tests/fixtures/menages_par_code_postal.csv",
        ),
    ] {
        std::fs::copy(root().join(from), ds.join("sources").join(name)).unwrap();
    }
    std::fs::write(ds.join("dataset.toml"), manifest).unwrap();
    ds
}

#[test]
fn the_published_files_example_runs_as_written() {
    let manifest = block_after("<!-- exemple testé : fichiers-publies -->", "toml");
    let tmp = tempfile::tempdir().unwrap();
    let ds = lay_out(tmp.path(), &manifest);
    let out = Command::new(env!("CARGO_BIN_EXE_bcs"))
        .args(["--dataset", ds.to_str().unwrap(), "validate"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // The lines the README quotes.
    assert!(
        text.contains("menages : 2 ligne(s) écartée(s) par la sélection des lignes (keep_rows, last_row) ; 1 ligne(s) identique(s) à une ligne précédente comptée(s) une fois"),
        "{text}"
    );
    assert!(
        text.contains("filosofi2021 : 60 codes de communes déléguées et 8 anciens codes de communes rattachés à leur commune actuelle (50 commune(s) reconstituée(s)"),
        "{text}"
    );

    // The values: the re-export's selected rows, once each.
    let (manifest, catalog, geo) =
        bcs::ingest::open_dataset(&ds, &root().join("indicators")).unwrap();
    let obs = bcs::ingest::load(&manifest, &catalog, &geo).unwrap();
    let menages = obs
        .lazy()
        .filter(col("source").eq(lit("menages")))
        .sort(["territory_code"], Default::default())
        .collect()
        .unwrap();
    let codes: Vec<&str> = menages
        .column("territory_code")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .flatten()
        .collect();
    assert_eq!(codes, ["59172", "59205", "59361", "59526"]);
    let values: Vec<f64> = menages
        .column("value")
        .unwrap()
        .f64()
        .unwrap()
        .into_no_null_iter()
        .collect();
    assert_eq!(values, [8712.0, 3988.0, 1664.0, 7025.0]);

    // A run writes the barometer of the scope.
    let out = Command::new(env!("CARGO_BIN_EXE_bcs"))
        .args([
            "--dataset",
            ds.to_str().unwrap(),
            "run",
            "--out",
            tmp.path().join("sortie").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("45 arrondissement(s) municipal(aux)"), "{stderr}");
    let table = std::fs::read_to_string(
        tmp.path().join("sortie").join("theme_03_revenus.md"),
    )
    .unwrap();
    assert!(table.contains("Denain"), "{table}");
    assert!(!table.contains("Marseille"), "{table}");
}

#[test]
fn the_territories_file_example_loads() {
    let csv = block_after("For example, a 2015-2023 QP, its 2024 successor", "csv");
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("territories.csv");
    std::fs::write(&file, csv).unwrap();
    let geo = bcs::geo::Geography::load(&root().join("datasets/geo/national"), &[file]).unwrap();
    let qp = geo.get("QP059012").unwrap();
    assert_eq!(qp.successors, ["QN05950M"]);
    assert_eq!(geo.lineage("QN05950M"), ["QN05950M", "QP059012"]);
    // The local row replaces the national list's (two communes there).
    assert_eq!(geo.get("QN05920M").unwrap().parents, ["59491"]);
    assert_eq!(
        geo.get("loc_qpv_caph").unwrap().members,
        ["QN05950M", "QN05954M", "QN05920M"]
    );
}

/// A command line of the README split as the shell would: words, double
/// quotes, and a `> file` redirection.
fn shell_words(line: &str) -> (Vec<String>, Option<String>) {
    let (mut words, mut word, mut quoted, mut any) = (vec![], String::new(), false, false);
    for ch in line.chars() {
        match ch {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            ' ' if !quoted => {
                if any {
                    words.push(std::mem::take(&mut word));
                    any = false;
                }
            }
            c => {
                word.push(c);
                any = true;
            }
        }
    }
    if any {
        words.push(word);
    }
    let redirect = words.iter().position(|w| w == ">").map(|i| {
        let file = words[i + 1].clone();
        words.truncate(i);
        file
    });
    (words, redirect)
}

#[test]
fn the_commands_of_using_it_run_as_written() {
    let block = block_after("## Using it", "sh");
    let tmp = tempfile::tempdir().unwrap();
    let mut ran = 0;
    for line in block.lines() {
        let command = line.split(" #").next().unwrap().trim();
        let Some(args) = command.strip_prefix("cargo run -- ") else {
            panic!("not a bcs command: {line}");
        };
        // The national synthetic dataset is the benchmarks' (tests/it/synth.rs
        // checks a département of it).
        if args.contains("synth") {
            continue;
        }
        let (words, redirect) = shell_words(args);
        // Paths of the clone stay the clone's, /tmp becomes this test's.
        let words: Vec<String> = words
            .into_iter()
            .map(|w| match w.strip_prefix("/tmp/") {
                Some(rest) => tmp.path().join(rest).display().to_string(),
                None if root().join(&w).is_file() => root().join(&w).display().to_string(),
                None => w,
            })
            .collect();
        let out = Command::new(env!("CARGO_BIN_EXE_bcs"))
            .args(&words)
            .current_dir(tmp.path())
            .env_remove("BCS_DATASET")
            .env_remove("BCS_CATALOGUE")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "`{command}` failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.stdout.is_empty(), "`{command}` printed nothing");
        if let Some(file) = redirect {
            std::fs::write(tmp.path().join(file), &out.stdout).unwrap();
        }
        ran += 1;
    }
    assert_eq!(ran, 19);
    // What they wrote, where the README says.
    assert!(tmp.path().join("reports/caph/results.csv").is_file());
    assert!(tmp.path().join("barometre/results.parquet").is_file());
    assert!(tmp.path().join("reports/caph/figures/fig_contexte_part_etrangers_2019_carte.svg").is_file());
    assert!(std::fs::read_to_string(tmp.path().join("denain.html")).unwrap().contains("QN05950M"));
    assert!(tmp.path().join("reports/caph/figures/fig_revenus_revenu_median_uc_2021_carte.svg").is_file());
    assert!(tmp.path().join("charte/rapport.css").is_file());
}

#[test]
fn a_copied_binary_works_from_any_folder_without_the_source_tree() {
    // The binary alone, in a folder of its own, run from `/` with a home of
    // its own: it reads nothing of this clone.
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin/bcs");
    std::fs::create_dir_all(bin.parent().unwrap()).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_bcs"), &bin).unwrap();
    let home = tmp.path().join("home");
    let bcs = |args: &[&str]| {
        let out = Command::new(&bin)
            .args(args)
            .current_dir("/")
            .env("HOME", &home)
            .env_remove("XDG_DATA_HOME")
            .env_remove("BCS_HOME")
            .env_remove("BCS_DATASET")
            .env_remove("BCS_CATALOGUE")
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let y = tmp.path().join("y");
    bcs(&["run", "--out", y.to_str().unwrap()]);
    let csv = std::fs::read_to_string(y.join("results.csv")).unwrap();
    assert!(csv.lines().any(|l| l.starts_with("59172,Denain,commune,revenu_median_uc,2021,14890")), "Denain's 2021 median");
    // The files it carries, written once under the home's data folder.
    let data = std::fs::read_dir(home.join(".local/share/bcs")).unwrap().count();
    assert_eq!(data, 1);
    assert!(bcs(&["--version"]).starts_with("bcs "));
    assert!(bcs(&["completions", "bash"]).contains("complete -F"));
    assert!(bcs(&["man"]).contains(".TH bcs"));
}
