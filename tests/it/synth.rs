//! `bcs synth`: a deterministic synthetic dataset in the producers' formats
//! that the whole pipeline runs on.

use std::path::Path;
use std::process::Command;

fn bcs(args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_bcs"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "bcs {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn synth(dir: &Path) {
    let out = bcs(&[
        "synth",
        "--out",
        dir.to_str().unwrap(),
        "--departements",
        "59",
        "--qpv",
        "20",
    ]);
    assert!(
        out.contains("647 communes, 20 QPV, millésimes 2015, 2021"),
        "{out}"
    );
}

#[test]
fn synthetic_dataset_is_deterministic_labelled_and_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    synth(&a);
    synth(&b);
    for f in [
        "dataset.toml",
        "sources/base-cc-synthetique-2021.csv",
        "sources/FILO2015_COM_synthetique.csv",
        "sources/qpv_synthetique_2021.csv",
    ] {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f}"
        );
    }
    let manifest = std::fs::read_to_string(a.join("dataset.toml")).unwrap();
    assert!(manifest.contains("SYNTHÉTIQUE") && manifest.contains("aucune valeur n'est réelle"));
    // Real formats: Insee header, decimal comma, FiLoSoFi secrets for small communes.
    let rp = std::fs::read_to_string(a.join("sources/base-cc-synthetique-2021.csv")).unwrap();
    assert!(rp.starts_with("CODGEO;LIBGEO;P21_POP;P21_POP6074;"));
    let filo = std::fs::read_to_string(a.join("sources/FILO2021_COM_synthetique.csv")).unwrap();
    let secret = filo
        .lines()
        .filter(|l| l.split(';').nth(3) == Some("s"))
        .count();
    assert!(
        secret > 100 && secret < 647,
        "{secret} secret poverty rates"
    );

    let ds = a.to_str().unwrap();
    assert!(bcs(&["--dataset", ds, "validate"]).contains("aucun problème"));
    let csv = bcs(&[
        "--dataset",
        ds,
        "rank",
        "idh4",
        "--level",
        "commune",
        "--format",
        "csv",
    ]);
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    let h = r.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let (v, d, st, lvl) = (col("value"), col("detail"), col("status"), col("level"));
    let all: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    // Communes with a secret median income have a secret IDH-4.
    assert!(all
        .iter()
        .any(|x| &x[lvl] == "commune" && &x[st] == "secret"));
    let rows: Vec<&csv::StringRecord> = all
        .iter()
        .filter(|x| &x[lvl] == "commune" && &x[st] == "ok")
        .collect();
    assert!(rows.len() >= 400, "{} communes with an IDH-4", rows.len());
    for row in &rows {
        let x: f64 = row[v].parse().unwrap();
        assert!((0.0..=1.0).contains(&x), "{x}");
    }
    assert!(
        rows[0][d].contains("communes de la région Hauts-de-France (647 communes avec données)"),
        "{}",
        &rows[0][d]
    );
}

#[test]
fn results_cache_serves_terminal_queries_and_follows_source_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    synth(&a);
    let ds = a.to_str().unwrap();
    let cached = || -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(a.join(".bcs-cache"))
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().to_string())
                    .filter(|n| n.starts_with("resultats-"))
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    };
    assert!(cached().is_empty());
    let show_denain = || {
        bcs(&[
            "--dataset",
            ds,
            "show",
            "Denain",
            "--level",
            "commune",
            "--format",
            "csv",
        ])
    };
    let first = show_denain();
    let entries = cached();
    assert_eq!(entries.len(), 2, "{entries:?}");
    // Served from the cache: same rows, Denain's and the reference's only.
    let second = show_denain();
    assert_eq!(first, second);
    assert!(
        second
            .lines()
            .skip(1)
            .all(|l| l.starts_with("59172,") || l.starts_with("loc_france_metro,")),
        "{second}"
    );
    assert!(second
        .lines()
        .any(|l| l.starts_with("59172,Denain,commune,population,2021,")));
    // The CAF file's Denain rows: secret counts stay secret through the cache.
    let caf = std::fs::read_to_string(a.join("sources/caf_allocataires_synthetique.csv")).unwrap();
    assert!(caf
        .lines()
        .any(|l| l.starts_with("59172;Denain;31/12/2021;")));
    // A changed source: a new entry replaces the old one, with the new value.
    let path = a.join("sources/base-cc-synthetique-2021.csv");
    let rp = std::fs::read_to_string(&path).unwrap();
    let line = rp
        .lines()
        .find(|l| l.starts_with("59172;"))
        .unwrap()
        .to_string();
    let mut fields: Vec<&str> = line.split(';').collect();
    fields[2] = "12345,0";
    std::fs::write(&path, rp.replace(&line, &fields.join(";"))).unwrap();
    let third = show_denain();
    assert!(
        third
            .lines()
            .any(|l| l.starts_with("59172,Denain,commune,population,2021,12345.0,")),
        "{third}"
    );
    let after = cached();
    assert_eq!(after.len(), 2);
    assert_ne!(after, entries);
}

#[test]
fn a_national_run_writes_the_parquet_and_no_csv_that_excel_would_cut() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = tmp.path().join("national");
    bcs(&["synth", "--out", ds.to_str().unwrap()]);
    let out = tmp.path().join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_bcs"))
        .args(["--dataset", ds.to_str().unwrap(), "run", "--results-only", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("results.csv non écrit : ses 2\u{202f}613\u{202f}479 lignes dépassent une feuille Excel (1\u{202f}048\u{202f}576) ; results.parquet les contient toutes (--csv pour l'écrire quand même)."),
        "{err}"
    );
    assert!(!out.join("results.csv").exists());
    assert!(out.join("results.parquet").is_file() && out.join("indicators.csv").is_file());
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains(": 2\u{202f}613\u{202f}479 lignes."), "{stdout}");
}
