//! Real source formats and malformed inputs, through `bcs run` as a user runs
//! it: each malformed case gives a precise French error and writes nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A dataset with one source file `name` (raw bytes), extra source options
/// (TOML lines) and mappings of column `pop` → population 2021 and column
/// `part` → tx_etrangers 2021.
fn dataset(dir: &Path, name: &str, bytes: &[u8], options: &str) -> PathBuf {
    let ds = dir.join("ds");
    std::fs::create_dir_all(ds.join("sources")).unwrap();
    std::fs::write(ds.join("sources").join(name), bytes).unwrap();
    std::fs::write(
        ds.join("dataset.toml"),
        format!(
            r#"[dataset]
id = "essai"
title = "Essai"
territory = "200042190"
reference = "200042190"
references = ["200042190"]
[geography]
national = "{national}"
local = ["{local}"]
[defaults]
secret = ["s", "nd", "n.d.", "secret", "c"]
[[source]]
id = "essai"
file = "sources/{name}"
title = "essai"
producer = "essai"
key = "code"
{options}
[[source.variable]]
variable = "population"
vintage = 2021
expr = "pop"
[[source.variable]]
variable = "tx_etrangers"
vintage = 2021
expr = "part"
"#,
            national = root().join("datasets/geo/national").display(),
            local = root().join("datasets/geo/caph/territories.csv").display(),
        ),
    )
    .unwrap();
    ds
}

fn bcs_run(ds: &Path, out: &Path) -> Output {
    bcs_at(ds, &["run", "--out", out.to_str().unwrap()])
}

/// `bcs --dataset <ds> <args>`.
fn bcs_at(ds: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bcs"))
        .arg("--dataset")
        .arg(ds)
        .args(args)
        .output()
        .unwrap()
}

/// Runs the dataset into `out`, which must succeed; its results.csv.
fn results_csv(ds: &Path, out: &Path) -> String {
    let o = bcs_run(ds, out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    std::fs::read_to_string(out.join("results.csv")).unwrap()
}

/// Runs and returns the results rows `(code, indicator, value, status)` for
/// population and part_etrangers.
fn values(name: &str, bytes: &[u8], options: &str) -> Vec<(String, String, String, String)> {
    let tmp = tempfile::tempdir().unwrap();
    let ds = dataset(tmp.path(), name, bytes, options);
    let csv = results_csv(&ds, &tmp.path().join("out"));
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    let h = r.headers().unwrap().clone();
    let idx = |n: &str| h.iter().position(|x| x == n).unwrap();
    let (c, i, v, s, y) = (
        idx("territory_code"),
        idx("indicator"),
        idx("value"),
        idx("status"),
        idx("vintage"),
    );
    let mut rows: Vec<_> = r
        .records()
        .map(|x| x.unwrap())
        .filter(|x| ["population", "part_etrangers"].contains(&&x[i]) && &x[y] == "2021")
        .filter(|x| ["QN05953M", "QN05954M"].contains(&&x[c]))
        .map(|x| {
            (
                x[c].to_string(),
                x[i].to_string(),
                x[v].to_string(),
                x[s].to_string(),
            )
        })
        .collect();
    rows.sort();
    rows
}

fn expected() -> Vec<(String, String, String, String)> {
    let r = |c: &str, i: &str, v: &str, s: &str| {
        (c.to_string(), i.to_string(), v.to_string(), s.to_string())
    };
    vec![
        r("QN05953M", "part_etrangers", "", "secret"),
        r("QN05953M", "population", "1134.0", "ok"),
        r("QN05954M", "part_etrangers", "5.3", "ok"),
        r("QN05954M", "population", "1851.0", "ok"),
    ]
}

/// Fails, says all of `needles`, and writes nothing.
fn fails(name: &str, bytes: &[u8], options: &str, needles: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let ds = dataset(tmp.path(), name, bytes, options);
    refused(tmp.path(), &ds, name, needles);
}

/// The run of `ds` (in `tmp`) fails, says all of `needles`, and writes
/// nothing; returns what it said.
fn refused(tmp: &Path, ds: &Path, name: &str, needles: &[&str]) -> String {
    let out = tmp.join("out");
    let o = bcs_run(ds, &out);
    let msg = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(!o.status.success(), "{name} should fail");
    for n in needles {
        assert!(msg.contains(n), "{name}: « {n} » not in:\n{msg}");
    }
    assert!(!out.exists(), "{name}: output written");
    let left: Vec<_> = std::fs::read_dir(tmp)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        left,
        vec![std::ffi::OsString::from("ds")],
        "{name}: leftovers"
    );
    msg
}

/// Appends TOML to the dataset's manifest (more variables or sources).
fn append_manifest(ds: &Path, toml: &str) {
    let manifest = std::fs::read_to_string(ds.join("dataset.toml")).unwrap() + toml;
    std::fs::write(ds.join("dataset.toml"), manifest).unwrap();
}

#[test]
fn latin1_with_decimal_commas_and_thousands_spaces() {
    // Windows-1252 bytes (é = 0xE9), CRLF, narrow no-break spaces cannot
    // exist in Latin-1: plain and no-break (0xA0) spaces as thousands.
    let bytes = b"code;libell\xe9;pop;part\r\nQN05953M;Couture;1\xa0134;s\r\nQN05954M;Gambetta;1 851;5,3\r\n";
    assert_eq!(values("latin1.csv", bytes, ""), expected());
}

#[test]
fn utf8_bom_semicolons_crlf_and_quoted_fields() {
    let bytes = "\u{FEFF}code;libellé;pop;part\r\nQN05953M;\"Couture; Savonnerie\";1\u{202F}134;nd\r\nQN05954M;Gambetta;1851;5,3\r\n";
    assert_eq!(values("bom.csv", bytes.as_bytes(), ""), expected());
}

#[test]
fn comma_separated_with_decimal_points_is_detected() {
    let bytes =
        b"code,libelle,pop,part\nQN05953M,Couture,1134,secret\nQN05954M,Gambetta,1851,5.3\n";
    assert_eq!(values("comma.csv", bytes, "decimal = \".\""), expected());
}

#[test]
fn tab_separated_with_secret_markers() {
    let bytes =
        b"code\tlibelle\tpop\tpart\nQN05953M\tCouture\t1134\tn.d.\nQN05954M\tGambetta\t1851\t5,3\n";
    assert_eq!(values("tab.tsv", bytes, ""), expected());
}

#[test]
fn xlsx_with_title_rows_and_a_chosen_sheet() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("wb.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    wb.add_worksheet()
        .set_name("Notes")
        .unwrap()
        .write_string(0, 0, "À lire")
        .unwrap();
    let ws = wb.add_worksheet().set_name("QPV").unwrap();
    ws.write_string(0, 0, "Population des quartiers prioritaires")
        .unwrap();
    ws.write_string(1, 0, "Source : Insee, 2021").unwrap();
    for (j, h) in ["code", "libellé", "pop", "part"].iter().enumerate() {
        ws.write_string(3, j as u16, *h).unwrap();
    }
    ws.write_string(4, 0, "QN05953M").unwrap();
    ws.write_string(4, 1, "Couture").unwrap();
    ws.write_number(4, 2, 1134.0).unwrap();
    ws.write_string(4, 3, "c").unwrap();
    ws.write_string(5, 0, "QN05954M").unwrap();
    ws.write_string(5, 1, "Gambetta").unwrap();
    ws.write_number(5, 2, 1851.0).unwrap();
    ws.write_number(5, 3, 5.3).unwrap();
    wb.save(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(
        values("wb.xlsx", &bytes, "sheet = \"QPV\"\nheader_row = 4"),
        expected()
    );
    // A wrong sheet name is refused with the list of sheets.
    fails(
        "wb.xlsx",
        &bytes,
        "sheet = \"Données\"\nheader_row = 4",
        &["feuille « Données » absente (feuilles : Notes, QPV)"],
    );
    // The path is said once.
    let tmp = tempfile::tempdir().unwrap();
    let ds = dataset(tmp.path(), "wb.xlsx", &bytes, "sheet = \"Données\"\nheader_row = 4");
    let msg = refused(tmp.path(), &ds, "wb.xlsx", &["absente"]);
    assert_eq!(msg.matches("wb.xlsx").count(), 1, "{msg}");
}

#[test]
fn parquet_source() {
    use polars::prelude::*;
    let mut df = df!(
        "code" => ["QN05953M", "QN05954M"],
        "pop" => [1134i64, 1851],
        "part" => [None, Some(5.3f64)],
    )
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("s.parquet");
    ParquetWriter::new(std::fs::File::create(&path).unwrap())
        .finish(&mut df)
        .unwrap();
    let got = values(
        "s.parquet",
        &std::fs::read(&path).unwrap(),
        "decimal = \".\"",
    );
    // A null in Parquet is absent (no 2021 value), not secret.
    assert_eq!(got, expected()[1..].to_vec());
}

#[test]
fn malformed_inputs_are_refused_precisely() {
    fails(
        "ragged.csv",
        b"code;libelle;pop;part\nQN05953M;Couture;1134\nQN05954M;Gambetta;1851;5,3\n",
        "",
        &[
            "ragged.csv, ligne 2 : 3 champ(s) au lieu des 4 de l'en-tête",
            "rien n'a été écrit",
        ],
    );
    fails(
        "truncated.csv",
        b"code;libelle;pop;part\nQN05953M;Couture;1134;1,0\nQN05954M;\"Gambetta;1851",
        "",
        &["truncated.csv, ligne 3"],
    );
    fails(
        "text.csv",
        b"code;libelle;pop;part\nQN05953M;Couture;mille;1,0\nQN05954M;Gambetta;1851;5,3\n",
        "",
        &["text.csv, ligne 2, colonne « pop » : valeur « mille » illisible : nombre attendu"],
    );
    fails(
        "unknown.csv",
        b"code;libelle;pop;part\nQN05953M;Couture;1134;1,0\nQN99999M;Inconnu;12;1,0\n",
        "",
        &["unknown.csv, ligne 3, colonne « code » : code territoire « QN99999M » inconnu de la géographie du jeu de données"],
    );
    fails(
        "dup.csv",
        b"code;libelle;pop;part\nQN05953M;Couture;1134;1,0\nQN05953M;Couture;1134;1,0\n",
        "",
        &["dup.csv, ligne 3, colonne « code » : code territoire « QN05953M » en double (déjà ligne 2)"],
    );
    fails(
        "enc.csv",
        b"code;libell\xe9;pop;part\nQN05953M;Couture;1134;1,0\n",
        "encoding = \"utf-8\"",
        &[
            "enc.csv, ligne 1 : octet 0xE9 invalide en UTF-8",
            "windows-1252",
        ],
    );
    fails("empty.csv", b"", "", &["empty.csv : fichier vide"]);
    fails(
        "range.csv",
        b"code;libelle;pop;part\nQN05953M;Couture;-5;140,0\n",
        "",
        &[
            "range.csv, ligne 2, colonne « pop » : valeur -5,00 pour « population » (2021) : un effectif positif ou nul est attendu",
            "range.csv, ligne 2, colonne « part » : valeur 140,00 pour « tx_etrangers » (2021) : un taux entre 0 et 100 est attendu",
        ],
    );
    fails(
        "missingcol.csv",
        b"code;libelle;population;part\nQN05953M;Couture;1134;1,0\n",
        "",
        &["missingcol.csv, colonne « pop » : colonne absente du fichier (attendue pour la variable « population »)"],
    );
    // A huge field is reported without flooding the terminal.
    let mut huge = b"code;libelle;pop;part\nQN05953M;Couture;".to_vec();
    huge.extend(std::iter::repeat_n(b'9', 200_000));
    huge.extend(b"x;1,0\n");
    fails(
        "huge.csv",
        &huge,
        "",
        &[
            "huge.csv, ligne 2, colonne « pop » : valeur « 9999",
            "(200001 caractères)",
        ],
    );
}

#[test]
fn import_caches_sources_and_a_changed_source_is_reread() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = dataset(
        tmp.path(),
        "s.csv",
        b"code;libelle;pop;part\nQN05953M;Couture;1134;2,0\n",
        "",
    );
    let bcs = |args: &[&str]| {
        let o = bcs_at(&ds, args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    };
    let first = bcs(&["import"]);
    assert!(first.contains("essai : lu, vérifié et mis en cache"));
    // The results are computed and cached too, for the next show.
    assert!(first.contains("résultats : calculés et mis en cache"), "{first}");
    let second = bcs(&["import"]);
    assert!(second.contains("essai : déjà en cache, inchangé"));
    assert!(second.contains("résultats : déjà en cache, inchangés"), "{second}");
    let entries = || -> Vec<String> {
        // The source entries (the results cache sits beside them).
        let mut v: Vec<String> = std::fs::read_dir(ds.join(".bcs-cache"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .filter(|n| !n.starts_with("resultats-"))
            .collect();
        v.sort();
        v
    };
    // One entry: the observations and the reading report, same key.
    let first = entries();
    assert_eq!(first.len(), 2, "{first:?}");
    assert!(first[0].starts_with("essai-") && first[0].ends_with(".json"));
    assert_eq!(first[1], first[0].replace(".json", ".parquet"));
    // The source changes: the next command reads the new value and replaces
    // the entry.
    std::fs::write(
        ds.join("sources/s.csv"),
        "code;libelle;pop;part\nQN05953M;Couture;1200;2,0\n",
    )
    .unwrap();
    let csv = bcs(&["show", "QN05953M", "--format", "csv"]);
    assert!(
        csv.contains("QN05953M,Couture Savonnerie,qpv,population,2021,1200.0"),
        "{csv}"
    );
    let second = entries();
    assert_eq!(second.len(), 2, "{second:?}");
    assert_ne!(first, second);
    // Written by `show` while it computed, whole: import finds it fresh.
    assert!(bcs(&["import"]).contains("essai : déjà en cache, inchangé"));
}

#[test]
fn a_part_greater_than_its_whole_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = dataset(
        tmp.path(),
        "s.csv",
        b"code;libelle;pop;part;etr\nQN05953M;Couture;1134;2,0;1500\n",
        "",
    );
    // Map foreign nationals too: 1 500 of 1 134 inhabitants.
    append_manifest(
        &ds,
        "[[source.variable]]\nvariable = \"pop_etrangers\"\nvintage = 2021\nexpr = \"etr\"\n",
    );
    refused(
        tmp.path(),
        &ds,
        "part > tout",
        &["Couture Savonnerie (QN05953M), 2021 : « pop_etrangers » = 1\u{202F}500 dépasse « population » = 1\u{202F}134"],
    );
}

#[test]
fn a_variable_given_by_two_sources_for_one_territory_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = dataset(
        tmp.path(),
        "s.csv",
        b"code;libelle;pop;part\nQN05953M;Couture;1134;2,0\nQN05954M;Faubourg;900;1,0\n",
        "",
    );
    // A second source gives the 2021 population again: for QN05954M (a
    // duplicate) and for QN05955M (not in the first source: no duplicate).
    std::fs::write(
        ds.join("sources/autre.csv"),
        "code;pop\nQN05954M;901\nQN05955M;700\n",
    )
    .unwrap();
    append_manifest(
        &ds,
        "[[source]]\nid = \"autre\"\nfile = \"sources/autre.csv\"\ntitle = \"autre\"\nproducer = \"essai\"\nkey = \"code\"\n\
         [[source.variable]]\nvariable = \"population\"\nvintage = 2021\nexpr = \"pop\"\n",
    );
    let msg = refused(
        tmp.path(),
        &ds,
        "doublon entre sources",
        &["la variable « population » (2021) du territoire « QN05954M » est fournie plusieurs fois"],
    );
    assert!(!msg.contains("QN05955M"), "{msg}");
    assert!(!msg.contains("« QN05953M » est fournie"), "{msg}");
}

/// Values bcs cannot read with certainty are problems with their line,
/// never `missing` nor another number.
#[test]
fn doubtful_values_are_problems_never_missing_or_another_number() {
    let head = "code;libelle;pop;part\n";
    for (cell, says) in [
        ("NaN", "un nombre fini est attendu"),
        ("inf", "un nombre fini est attendu"),
        ("1e309", "un nombre fini est attendu"),
        ("15.760 €", "ambiguë : la décimale déclarée est « , »"),
    ] {
        let file = format!("{head}QN05953M;Couture;{cell};2,0\n");
        fails(
            "s.csv",
            file.as_bytes(),
            "decimal = \",\"",
            &["ligne 2", "colonne « pop »", &format!("valeur « {cell} »"), says],
        );
    }
    // Ten megabytes of digits: beyond the reals, said with a short quote.
    let digits = "9".repeat(10_000_000);
    let file = format!("{head}QN05953M;Couture;{digits};2,0\n");
    let msg = {
        let tmp = tempfile::tempdir().unwrap();
        let ds = dataset(tmp.path(), "s.csv", file.as_bytes(), "");
        refused(tmp.path(), &ds, "digits", &["un nombre fini est attendu"])
    };
    assert!(msg.len() < 2_000, "{} bytes of message", msg.len());
}

#[test]
fn a_header_only_file_and_a_variable_read_twice_are_refused() {
    fails(
        "s.csv",
        b"code;libelle;pop;part\n",
        "",
        &["aucune ligne de données sous l'en-tête"],
    );
    fails(
        "s.csv",
        b"code;libelle;pop;part;pop2\nQN05953M;Couture;1134;2,0;1200\n",
        "[[source.variable]]\nvariable = \"population\"\nvintage = 2021\nexpr = \"pop2\"",
        &["la variable « population » (2021) est lue deux fois dans cette source (« pop2 » et « pop »)"],
    );
}

#[cfg(unix)]
#[test]
fn a_fifo_given_as_a_source_is_refused_not_waited_for() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = dataset(tmp.path(), "s.csv", b"", "");
    let fifo = ds.join("sources/s.csv");
    std::fs::remove_file(&fifo).unwrap();
    let status = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(status.success());
    refused(tmp.path(), &ds, "fifo", &["n'est pas un fichier ordinaire"]);
}

/// A workbook built for these tests: a header row (code, libellé, pop,
/// part) on row 1 and what `fill` writes below.
fn workbook(fill: impl FnOnce(&mut rust_xlsxwriter::Worksheet)) -> Vec<u8> {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("wb.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (j, h) in ["code", "libellé", "pop", "part"].iter().enumerate() {
        ws.write_string(0, j as u16, *h).unwrap();
    }
    ws.write_string(1, 0, "QN05953M").unwrap();
    ws.write_string(1, 1, "Couture").unwrap();
    ws.write_number(1, 3, 2.0).unwrap();
    fill(ws);
    wb.save(&path).unwrap();
    std::fs::read(&path).unwrap()
}

#[test]
fn workbook_cells_that_are_not_values_are_problems() {
    // A date typed in a count.
    let date = workbook(|ws| {
        let d = rust_xlsxwriter::ExcelDateTime::from_ymd(2021, 1, 1).unwrap();
        let f = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
        ws.write_datetime_with_format(1, 2, &d, &f).unwrap();
    });
    fails("wb.xlsx", &date, "", &["ligne 2", "colonne « pop »", "valeur « 2021-01-01 » illisible"]);
    // A formula whose result was never saved.
    let formula = workbook(|ws| {
        // As a program writes it, never opened in a spreadsheet: no result.
        ws.set_formula_result_default("");
        ws.write_formula(1, 2, "=1000+134").unwrap();
    });
    fails("wb.xlsx", &formula, "", &["ligne 2", "colonne « pop »", "valeur « =1000+134 » illisible"]);
    // A code merged over two rows: the second row does not silently lose it.
    let merged = workbook(|ws| {
        ws.merge_range(1, 0, 2, 0, "QN05953M", &rust_xlsxwriter::Format::new())
            .unwrap();
        ws.write_number(1, 2, 1134.0).unwrap();
        ws.write_string(2, 1, "Couture bis").unwrap();
        ws.write_number(2, 2, 10.0).unwrap();
    });
    fails(
        "wb.xlsx",
        &merged,
        "",
        &["ligne 3", "colonne « code »", "« (cellule fusionnée avec A2) »"],
    );
}

#[test]
fn a_workbook_with_a_cell_at_xfd1048576_is_read_without_a_dense_sheet() {
    let far = workbook(|ws| {
        ws.write_number(1, 2, 1134.0).unwrap();
        ws.write_string(1_048_575, 16_383, "loin").unwrap();
    });
    assert!(far.len() < 10_000);
    // The far cell lies outside the header's columns: ignored like a side
    // table, the data read (it allocated 512 GiB before).
    let rows = values("wb.xlsx", &far, "");
    assert!(
        rows.contains(&(
            "QN05953M".to_string(),
            "population".to_string(),
            "1134.0".to_string(),
            "ok".to_string()
        )),
        "{rows:?}"
    );
}

/// Peak resident memory (KiB) of `bcs --dataset <ds> validate`, measured
/// on that child alone (wait4), and whether it succeeded.
fn validate_peak_kib(ds: &Path) -> (bool, i64) {
    #[allow(clippy::zombie_processes)] // waited for below, with wait4
    let child = Command::new(env!("CARGO_BIN_EXE_bcs"))
        .arg("--dataset")
        .arg(ds)
        .arg("validate")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut status = 0;
    // SAFETY: wait4 on our own child's pid, with valid pointers; the Child
    // handle is not waited on afterwards.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        assert_eq!(libc::wait4(child.id() as i32, &mut status, 0, &mut usage), child.id() as i32);
        usage
    };
    (libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, usage.ru_maxrss)
}

#[test]
fn the_xfd1048576_workbook_costs_no_more_memory_than_an_ordinary_one() {
    let tmp = tempfile::tempdir().unwrap();
    let (near, far) = (tmp.path().join("near"), tmp.path().join("far"));
    std::fs::create_dir_all(&near).unwrap();
    std::fs::create_dir_all(&far).unwrap();
    let plain = dataset(&near, "wb.xlsx", &workbook(|ws| {
        ws.write_number(1, 2, 1134.0).unwrap();
    }), "");
    let xfd = dataset(&far, "wb.xlsx", &workbook(|ws| {
        ws.write_number(1, 2, 1134.0).unwrap();
        ws.write_string(1_048_575, 16_383, "loin").unwrap();
    }), "");
    let (ok_plain, base) = validate_peak_kib(&plain);
    let (ok_far, peak) = validate_peak_kib(&xfd);
    assert!(ok_plain && ok_far);
    eprintln!("bcs validate, peak resident memory: {base} KiB, with the far cell {peak} KiB");
    // The process's own baseline (geography, catalogue) is ~120 MB; the
    // far cell may add no more than 100 MB to it (a dense sheet is 512 GiB).
    assert!(peak - base < 100 * 1024, "peak {peak} KiB against {base} KiB");
}

#[test]
fn many_problems_are_listed_per_file_and_column_then_counted() {
    // 30 000 communes whose population reads « mille », and whose share
    // « x ».
    let communes = std::fs::read_to_string(root().join("datasets/geo/national/communes.csv")).unwrap();
    let mut file = String::from("code;libelle;pop;part\n");
    for line in communes.lines().skip(1).take(30_000) {
        let code = line.split(',').next().unwrap();
        file.push_str(&format!("{code};commune;mille;x\n"));
    }
    let tmp = tempfile::tempdir().unwrap();
    let ds = dataset(tmp.path(), "s.csv", file.as_bytes(), "");
    let msg = refused(
        tmp.path(),
        &ds,
        "many",
        &[
            "60\u{202F}000 problème(s) dans les données",
            "colonne « part » : … et 29\u{202F}990 autre(s) problème(s) du même fichier et de la même colonne",
            "colonne « pop » : … et 29\u{202F}990 autre(s) problème(s) du même fichier et de la même colonne",
        ],
    );
    // 10 shown per column, two columns, and their counts: a few kilobytes.
    assert!(msg.len() < 10_000, "{} bytes", msg.len());
}

#[test]
fn expressions_are_arithmetic_over_columns_and_bounded() {
    let file = b"code;libelle;pop;part\nQN05953M;Couture;1134;2,0\n";
    // ~500 terms aborted the process (stack overflow in the parser).
    let long = vec!["pop"; 500].join(" + ");
    fails(
        "s.csv",
        file,
        &format!("[[source.variable]]\nvariable = \"pop_etrangers\"\nvintage = 2021\nexpr = \"{long}\""),
        &["plus de 200 opérateurs"],
    );
    fails(
        "s.csv",
        file,
        "[[source.variable]]\nvariable = \"pop_etrangers\"\nvintage = 2021\nexpr = \"pg_sleep(10)\"",
        &["les fonctions ne sont pas admises"],
    );
    fails(
        "s.csv",
        file,
        "[[source.variable]]\nvariable = \"pop_etrangers\"\nvintage = 2021\nexpr = \"(SELECT 1)\"",
        &["deux termes sans opérateur entre eux"],
    );
}

#[test]
fn a_manifest_without_sources_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = tmp.path().join("ds");
    std::fs::create_dir_all(&ds).unwrap();
    std::fs::write(
        ds.join("dataset.toml"),
        format!(
            "[dataset]\nid = \"v\"\ntitle = \"v\"\nterritory = \"59172\"\nreference = \"59172\"\nreferences = [\"59172\"]\n[geography]\nnational = \"{}\"\n",
            root().join("datasets/geo/national").display()
        ),
    )
    .unwrap();
    let o = bcs_at(&ds, &["validate"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("aucune source déclarée"), "{err}");
}

/// Flips one bit in the middle of a file.
fn flip_a_bit(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x10;
    std::fs::write(path, bytes).unwrap();
}

fn cache_file(ds: &Path, prefix: &str) -> PathBuf {
    std::fs::read_dir(ds.join(".bcs-cache"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let n = p.file_name().unwrap().to_string_lossy().to_string();
            n.starts_with(prefix) && n.ends_with(".parquet")
        })
        .unwrap_or_else(|| panic!("no cache file {prefix}"))
}

#[test]
fn caches_are_verified_a_flipped_bit_is_recomputed_never_served() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = dataset(
        tmp.path(),
        "s.csv",
        b"code;libelle;pop;part\nQN05953M;Couture;1134;2,0\nQN05954M;Gambetta;1851;5,3\n",
        "",
    );
    let bcs = |args: &[&str]| bcs_at(&ds, args);
    let show = ["show", "QN05953M", "--format", "csv"];
    let first = bcs(&show);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    // The results cache, damaged: recomputed, same answer, said.
    flip_a_bit(&cache_file(&ds, "resultats-"));
    let again = bcs(&show);
    assert!(again.status.success());
    assert_eq!(again.stdout, first.stdout);
    assert!(String::from_utf8_lossy(&again.stderr).contains("cache de résultats"));
    // The source cache, damaged: the source is read again.
    flip_a_bit(&cache_file(&ds, "essai-"));
    let import = bcs(&["import"]);
    let said = String::from_utf8_lossy(&import.stdout).to_string()
        + &String::from_utf8_lossy(&import.stderr);
    assert!(said.contains("essai : lu, vérifié et mis en cache"), "{said}");
    assert!(said.contains("ne correspond plus à ce qui a été écrit : source relue"), "{said}");
    assert_eq!(bcs(&show).stdout, first.stdout);
}

#[test]
fn a_source_edited_with_its_size_and_time_kept_is_read_again() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = dataset(
        tmp.path(),
        "s.csv",
        b"code;libelle;pop;part\nQN05953M;Couture;1134;2,0\n",
        "",
    );
    let show = || {
        String::from_utf8(bcs_at(&ds, &["show", "QN05953M", "--format", "csv"]).stdout).unwrap()
    };
    assert!(show().contains(",population,2021,1134.0,"));
    let path = ds.join("sources/s.csv");
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    // Same length, same modification time.
    std::fs::write(&path, b"code;libelle;pop;part\nQN05953M;Couture;1200;2,0\n").unwrap();
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(modified)
        .unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), modified);
    assert!(show().contains(",population,2021,1200.0,"));
}

#[test]
fn a_ragged_line_does_not_hide_the_other_problems_of_its_file() {
    let file = b"code;libelle;pop;part\nQN05953M;Couture;1134\nQN05954M;Gambetta;mille;5,3\n";
    fails(
        "s.csv",
        file,
        "",
        &[
            "2 problème(s)",
            "ligne 2 : 3 champ(s) au lieu des 4 de l'en-tête",
            "ligne 3, colonne « pop » : valeur « mille » illisible",
        ],
    );
}

#[test]
fn a_file_of_regions_reads_their_cog_codes() {
    // Insee writes a région as its COG code (« 32 »); bcs keys it reg32,
    // since « 01 » is both Guadeloupe and the Ain.
    let tmp = tempfile::tempdir().unwrap();
    let ds = dataset(
        tmp.path(),
        "regions.csv",
        b"code;libelle;pop;part\n32;Hauts-de-France;5983823;6,0\n01;Guadeloupe;378561;1,0\n",
        "key_level = \"region\"",
    );
    let csv = results_csv(&ds, &tmp.path().join("out"));
    assert!(csv.contains("reg32,Hauts-de-France,region,population,2021,5983823.0"), "{csv}");
    assert!(csv.contains("reg01,Guadeloupe,region,population,2021,378561.0"), "{csv}");
}

#[test]
fn a_dataset_words_the_catalogue_texts_for_its_own_estimates() {
    let tmp = tempfile::tempdir().unwrap();
    let bytes = b"code;pop;part\nQN05954M;1851;5,3\n";
    let ds = dataset(tmp.path(), "p.csv", bytes, "");
    append_manifest(
        &ds,
        "[indicator.population]\nsource = \"Insee ; estimation de l'essai\"\n",
    );
    let out = tmp.path().join("out");
    results_csv(&ds, &out);
    let list = std::fs::read_to_string(out.join("indicators.csv")).unwrap();
    let row = list.lines().find(|l| l.starts_with("population,")).unwrap();
    assert!(row.contains("Insee ; estimation de l'essai"), "{row}");
    // The catalogue itself, shared by every dataset, is unchanged.
    let other = tempfile::tempdir().unwrap();
    let plain = dataset(other.path(), "p.csv", bytes, "");
    results_csv(&plain, &other.path().join("out"));
    let list = std::fs::read_to_string(other.path().join("out/indicators.csv")).unwrap();
    let row = list.lines().find(|l| l.starts_with("population,")).unwrap();
    assert!(row.contains(",\"Insee, populations municipales\","), "{row}");

    // A text for an indicator the catalogue does not have is refused.
    append_manifest(&ds, "[indicator.populaton]\nsource = \"x\"\n");
    std::fs::remove_dir_all(&out).unwrap();
    refused(
        tmp.path(),
        &ds,
        "faute de frappe",
        &["dataset.toml", "[indicator.populaton] : indicateur absent du catalogue"],
    );
}

#[test]
fn a_published_change_is_checked_on_the_two_vintages_of_its_row() {
    let file = b"code;libelle;pop;part;evol\nQN05953M;Couture;1134;2,0;+3\n";
    // Both vintages must be read from the same source.
    fails(
        "s.csv",
        file,
        "[[source.change]]\nvariable = \"population\"\nfrom = 2015\nto = 2021\ncolumn = \"evol\"\n",
        &["colonne « evol »", "la variable « population » n'est pas lue pour 2015 dans cette source"],
    );
    fails(
        "s.csv",
        file,
        "[[source.change]]\nvariable = \"population\"\nfrom = 2015\nto = 2021\ncolumn = \"evolution\"\n",
        &["colonne « evolution »", "colonne absente du fichier (attendue pour une évolution publiée"],
    );
}
