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
