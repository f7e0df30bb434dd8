//! The `bcs` binary as a user runs it.

use std::path::{Path, PathBuf};
use std::process::Command;

fn bcs() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bcs"));
    c.env_remove("BCS_DATASET")
        .env_remove("BCS_CATALOGUE")
        .env("COLUMNS", "320");
    c
}

fn stdout_of(args: &[&str]) -> String {
    let out = bcs().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "bcs {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn show_gambetta_gives_the_youth_index_of_2019() {
    let out = stdout_of(&["show", "Gambetta"]);
    let line = out
        .lines()
        .find(|l| l.contains("Indice de jeunesse") && l.contains("2019"))
        .unwrap_or_else(|| panic!("no youth index row in:\n{out}"));
    assert!(line.contains("2,2"), "{line}");
    // Its communes englobantes are named.
    assert!(out.contains("Gambetta — commune(s) englobante(s) : Lourches (59361), Denain (59172), Escaudain (59205)"), "{out}");
    // Both perimeters of the quartier are shown, with the warning.
    assert!(
        out.contains("QN05954M") && out.contains("loc_qp15_gambetta"),
        "{out}"
    );
    assert!(out.contains("périmètres différents"), "{out}");
    // References beside it: QP du Nord 2,0; France métropolitaine 0,9.
    assert!(line.contains("2,0") && line.contains("0,9"), "{line}");
}

#[test]
fn rank_c2s_reproduces_the_annex_order_and_values() {
    let out = stdout_of(&["rank", "couverture_c2s"]);
    let expected = [
        ("Boulevard De La Liberté", "40,1"),
        ("Haulchin", "40,0"),
        ("Dutemple", "39,0"),
        ("Schneider", "38,7"),
        ("Cité Thiers", "38,5"),
        ("Collinière", "37,5"),
        ("Bruay-sur-l'Escaut, B...", "36,6"),
        ("Gambetta", "35,9"),
        ("Rives De L'Escaut", "35,0"),
        ("Sabatier", "32,8"),
        ("Arenberg", "26,2"),
        ("Couture Savonnerie", "23,8"),
        ("Elnon", "22,1"),
    ];
    let lines: Vec<&str> = out.lines().collect();
    let mut at = 0;
    for (rank, (name, value)) in expected.iter().enumerate() {
        let i = lines[at..]
            .iter()
            .position(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name} missing or out of order in:\n{out}"))
            + at;
        let l = lines[i];
        assert!(l.contains(value), "{l}");
        assert!(
            l.trim_start_matches(['│', ' '])
                .starts_with(&(rank + 1).to_string()),
            "{l}"
        );
        at = i + 1;
    }
    // Reference rows under the ranking, as in the annex.
    for (name, value) in [
        ("QP de la CA de la Porte du Hainaut", "36,7"),
        ("QP de France métropolitaine", "32,0"),
    ] {
        let l = lines[at..]
            .iter()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name}"));
        assert!(l.contains(value), "{l}");
    }
}

#[test]
fn rank_as_csv_and_json() {
    let csv = stdout_of(&["rank", "couverture_c2s", "--format", "csv"]);
    assert!(
        csv.starts_with("territory_code,territory_name,level,indicator,vintage,value,unit,status")
    );
    assert!(csv.contains("loc_qp15_liberte,QP Douchy-les-Mines - Boulevard De La Liberté,qpv,couverture_c2s,2022,40.1,%,ok"));
    let json: serde_json::Value =
        serde_json::from_str(&stdout_of(&["rank", "c2s assures", "--format", "json"])).unwrap();
    // In rank order, as the table, with every column of the CSV.
    let rows = json.as_array().unwrap();
    let first = &rows[0];
    assert_eq!((first["territory_code"].as_str(), first["rank"].as_u64()), (Some("loc_qp15_liberte"), Some(1)));
    let columns: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    assert_eq!(first.as_object().unwrap().len(), columns.len());
    assert_eq!(first["reference_code"], "loc_france_metro");
    let ranks: Vec<u32> = csv
        .lines()
        .skip(1)
        .map(|l| csv::ReaderBuilder::new().has_headers(false).from_reader(l.as_bytes()).records().next().unwrap().unwrap()[14].to_string())
        .take_while(|r| !r.is_empty())
        .map(|r| r.parse().unwrap())
        .collect();
    assert_eq!(ranks, (1..=13).collect::<Vec<u32>>());
}

#[test]
fn names_are_matched_loosely_and_ambiguity_is_explained() {
    let out = stdout_of(&["show", "colliniere", "--level", "qpv", "--format", "json"]);
    assert!(out.contains("loc_qp15_colliniere"));
    let err = bcs().args(["show", "Denain"]).output().unwrap();
    assert!(!err.status.success());
    let msg = String::from_utf8(err.stderr).unwrap();
    assert!(
        msg.contains("plusieurs territoires") && msg.contains("59172") && msg.contains("QN05950M"),
        "{msg}"
    );
    let err = bcs().args(["show", "Atlantis"]).output().unwrap();
    assert!(String::from_utf8(err.stderr)
        .unwrap()
        .contains("aucun territoire ne correspond à « Atlantis »"));
}

#[test]
fn indicators_lists_the_catalogue() {
    let out = stdout_of(&["indicators", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let ids: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    for id in [
        "population",
        "indice_jeunesse",
        "indice_vieillissement",
        "part_etrangers",
        "part_familles_monoparentales_menages",
        "part_familles_monoparentales_familles",
        "couverture_minima_sociaux",
        "couverture_c2s",
        "taux_scolarisation_15_24",
        "taux_emploi_15_64",
        "taux_emploi_femmes_15_64",
        "ecart_emploi_femmes_hommes",
        "defm_abc",
        "defm_a",
        "taux_creation_etablissements",
        "idt",
    ] {
        assert!(ids.contains(&id), "{id}");
    }
    assert!(ids.len() >= 30);
    let themes: std::collections::BTreeSet<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["theme"].as_str().unwrap())
        .collect();
    assert_eq!(
        themes.len(),
        11,
        "9 barometer themes, contexte and the composite indices: {themes:?}"
    );
    for id in [
        "idh4",
        "idh4_sante",
        "idh4_education",
        "idh4_niveau_vie",
        "idt_bcs",
        "priorite_score",
        "priorite_classe",
    ] {
        assert!(ids.contains(&id), "{id}");
    }
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn run_writes_the_barometer_and_replaces_it_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let out: PathBuf = dir.path().join("caph");
    stdout_of(&["run", "--out", out.to_str().unwrap()]);
    let csv = read(&out.join("results.csv"));
    assert!(
        csv.starts_with("territory_code,territory_name,level,indicator,vintage,value,unit,status,")
    );
    assert!(csv.contains("loc_qp15_gambetta,\"QP Lourches, Denain, Escaudain - Gambetta\",qpv,indice_jeunesse,2019,2.19"));
    assert!(out.join("results.parquet").metadata().unwrap().len() > 1000);
    // What is constant per indicator is in the dictionary, once.
    let dict = read(&out.join("indicators.csv"));
    assert!(dict.starts_with(
        "indicator,indicator_label,theme,theme_label,unit,evol_unit,decimals,source,definition\n"
    ));
    assert!(
        dict.contains("\nindice_jeunesse,Indice de jeunesse,famille,"),
        "{dict}"
    );
    assert_eq!(
        dict.lines()
            .filter(|l| l.starts_with("indice_jeunesse,"))
            .count(),
        1
    );
    let famille = read(&out.join("theme_02_famille.md"));
    assert!(famille.contains("| QP Lourches, Denain, Escaudain - Gambetta |"));
    assert!(famille.contains("2,2"));
    assert!(famille.contains("Lecture :") && famille.contains("Source :"));
    let csv_fr = std::fs::read(out.join("theme_02_famille.csv")).unwrap();
    assert_eq!(&csv_fr[..3], b"\xEF\xBB\xBF", "BOM for Excel");
    let csv_fr = String::from_utf8_lossy(&csv_fr);
    assert!(csv_fr.starts_with("\u{FEFF}Code;Niveau;Territoire;"), "{csv_fr}");
    assert!(
        csv_fr.lines().any(|l| l.starts_with("loc_qp15_gambetta;Quartier prioritaire;QP Lourches, Denain, Escaudain - Gambetta;")),
        "{csv_fr}"
    );
    // A second run replaces the folder; nothing is left beside it.
    stdout_of(&["run", "--out", out.to_str().unwrap()]);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, vec![std::ffi::OsString::from("caph")]);
}

#[test]
fn show_names_the_settings_and_drivers_of_composite_indices() {
    let out = stdout_of(&["show", "loc_qp15_liberte"]);
    // First composite row of the quartier: the priority score (labels wrap).
    let score = out
        .lines()
        .find(|l| l.contains("Classement de priorité") && l.contains("2022"))
        .unwrap();
    assert!(score.contains("0,78"), "{score}");
    assert!(
        out.contains("univers : 13 territoires de niveau « quartier prioritaire »"),
        "{out}"
    );
    assert!(out.contains("Boulevard De La Liberté — priorité, facteurs principaux : Part des inscrits depuis plus de 2 ans"), "{out}");
}

#[test]
fn fiche_puts_the_quartiers_of_denain_beside_their_commune() {
    let out = stdout_of(&["fiche", "Denain"]);
    let first: Vec<&str> = out.lines().take(4).collect();
    assert_eq!(first[0], "Fiche communale — Denain (59172)");
    assert!(first[1].starts_with("Quartiers prioritaires (géographie 2024) : Denain (QN05950M) ; Gambetta (QN05954M"), "{out}");
    assert!(first[2].contains("(loc_qp15_denain_centre") && first[2].contains("(loc_qp15_gambetta"), "{out}");
    assert!(first[3].contains("loc_veille_denain"), "{out}");
    // The commune beside its EPCI, département, région and France; its
    // median of 2021 as the file gives it, the région's as Insee publishes it.
    let median = out
        .lines()
        .find(|l| l.contains("Revenu médian par unité de consommation") && l.contains("2021"))
        .unwrap();
    assert!(median.contains("14\u{202f}890") && median.contains("21\u{202f}420"), "{median}");
    // Quartiers beside the commune: the QPV « Denain » and the commune told
    // apart by their codes.
    assert!(out.contains("Denain (QN05950M)") && out.contains("Denain (59172)"), "{out}");
    // Each quartier's gap to its commune: the 2024 QPV Denain's 2019 median
    // (13 490 €, contract II.A) against the commune's (14 320 €, FiLoSoFi).
    let gap = out
        .lines()
        .find(|l| l.contains("Denain (QN05950M)") && l.contains("Revenu médian"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(gap.contains("13\u{202f}490") && gap.contains("14\u{202f}320") && gap.contains("-830"), "{gap}");
    // Not a commune: said so.
    let err = bcs().args(["fiche", "QN05950M"]).output().unwrap();
    assert!(!err.status.success());
}

#[test]
fn man_pages_go_beside_other_pages_without_replacing_them() {
    let tmp = tempfile::tempdir().unwrap();
    let man1 = tmp.path().join("man1");
    std::fs::create_dir_all(&man1).unwrap();
    std::fs::write(man1.join("ls.1"), ".TH LS 1\n").unwrap();
    let o = bcs().args(["man", "--out"]).arg(&man1).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let page = std::fs::read_to_string(man1.join("bcs-run.1")).unwrap();
    assert!(page.contains(".TH bcs-run 1"), "{page}");
    assert_eq!(std::fs::read_to_string(man1.join("ls.1")).unwrap(), ".TH LS 1\n");
    // Again: its own pages are replaced.
    assert!(bcs().args(["man", "--out"]).arg(&man1).status().unwrap().success());
    // A file of the same name that is not a bcs page is refused, and
    // nothing is written.
    std::fs::write(man1.join("bcs.1"), "mes notes").unwrap();
    std::fs::remove_file(man1.join("bcs-run.1")).unwrap();
    let o = bcs().args(["man", "--out"]).arg(&man1).output().unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("n'est pas une page de manuel de bcs"));
    assert_eq!(std::fs::read_to_string(man1.join("bcs.1")).unwrap(), "mes notes");
    assert!(!man1.join("bcs-run.1").exists());
    let names: Vec<_> = std::fs::read_dir(&man1).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(!names.iter().any(|n| n.to_string_lossy().starts_with('.')), "{names:?}");
}
