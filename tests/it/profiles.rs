//! Producer files in their real shapes load through their profiles with no
//! mapping work, and give the same indicator values as the embedded dataset
//! where they overlap.

use std::path::{Path, PathBuf};

use bcs::engine::{self, Results};
use bcs::ingest;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A dataset with the given sources: (file name, bytes, TOML source options).
fn dataset(dir: &Path, sources: &[(&str, &[u8], &str)]) -> PathBuf {
    let ds = dir.join("ds");
    std::fs::create_dir_all(ds.join("sources")).unwrap();
    let mut toml = format!(
        "[dataset]\nid = \"p\"\ntitle = \"Profils\"\nterritory = \"200042190\"\nreference = \"200042190\"\nreferences = [\"200042190\"]\n[geography]\nnational = \"{}\"\nlocal = [\"{}\"]\n",
        root().join("datasets/geo/national").display(),
        root().join("datasets/geo/caph/territories.csv").display()
    );
    for (i, (name, bytes, options)) in sources.iter().enumerate() {
        std::fs::write(ds.join("sources").join(name), bytes).unwrap();
        toml.push_str(&format!(
            "[[source]]\nid = \"s{i}\"\nfile = \"sources/{name}\"\ntitle = \"{name}\"\nproducer = \"Insee\"\n{options}\n"
        ));
    }
    std::fs::write(ds.join("dataset.toml"), toml).unwrap();
    ds
}

fn compute(ds: &Path) -> anyhow::Result<Results> {
    let (manifest, catalog, geo) = ingest::open_dataset(ds, &root().join("indicators"))?;
    let obs = ingest::load(&manifest, &catalog, &geo)?;
    let opts = crate::common::options(&manifest.dataset.reference, None);
    engine::compute(obs, &catalog, &geo, &opts)
}

/// The results of a dataset made of these sources (see [`dataset`]).
fn compute_sources(sources: &[(&str, &[u8], &str)]) -> anyhow::Result<Results> {
    let tmp = tempfile::tempdir().unwrap();
    compute(&dataset(tmp.path(), sources))
}

fn embedded() -> Results {
    compute(&root().join("datasets/caph")).unwrap()
}

fn value(r: &Results, t: &str, ind: &str, y: i32) -> Option<f64> {
    r.get(t, ind, y).unwrap().and_then(|r| r.value)
}

fn status(r: &Results, t: &str, ind: &str, y: i32) -> Option<bcs::status::Status> {
    r.get(t, ind, y).unwrap().map(|r| r.status)
}

#[test]
fn census_base_at_epci_and_departement_level_matches_the_annex() {
    // base-cc shape (CODGEO, P19_…, several vintages side by side), with the
    // annex's 2019 counts for the CA and the Nord. The 75-89 / 90+ split is
    // for the test only; the annex gives their sum (12 416 and 197 603).
    let file =
        "CODGEO;LIBGEO;P19_POP6074;P19_POP7589;P19_POP90P;P13_POP6074;P13_POP7589;P13_POP90P\n\
                200042190;CA de la Porte du Hainaut;24576;11000;1416;22000;10000;1000\n\
                59;Nord;392831;170000;27603;350000;160000;20000\n";
    let sources = &[(
        "base-cc-evol-struct-pop-2019.csv",
        file.as_bytes(),
        "profile = \"insee_base_cc\"",
    )];
    let r = compute_sources(sources).unwrap();
    let e = embedded();
    for t in ["200042190", "59"] {
        let mine = value(&r, t, "indice_vieillissement", 2019).unwrap();
        let annex = value(&e, t, "indice_vieillissement", 2019).unwrap();
        assert!((mine - annex).abs() < 1e-12, "{t}: {mine} vs {annex}");
    }
    // Both vintages found in the header, with the change between them.
    let ca = r
        .get("200042190", "indice_vieillissement", 2019)
        .unwrap()
        .unwrap();
    assert_eq!(ca.prev_vintage, Some(2013));
}

#[test]
fn qpv_file_matches_the_contract_where_they_overlap() {
    // QPV shape: code column, lower-case names, vintage declared.
    let file = "CODGEO;libelle;disp_q2;tp60\nQN05953M;Couture Savonnerie;15760;s\nQN05954M;Gambetta;14670;41,2\n";
    let sources = &[(
        "qpv.csv",
        file.as_bytes(),
        "profile = \"insee_qpv\"\nvintage = 2019",
    )];
    let r = compute_sources(sources).unwrap();
    let e = embedded();
    for t in ["QN05953M", "QN05954M"] {
        assert_eq!(
            value(&r, t, "revenu_median_uc", 2019),
            value(&e, t, "revenu_median_uc", 2019),
            "{t}"
        );
    }
    assert_eq!(value(&r, "QN05954M", "taux_pauvrete", 2019), Some(41.2));
    let secret = r.get("QN05953M", "taux_pauvrete", 2019).unwrap().unwrap();
    assert_eq!(secret.status, bcs::status::Status::Secret);
}

#[test]
fn filosofi_and_census_communes_together() {
    let filo = "CODGEO;LIBGEO;MED21;TP6021;D121;D921\n59172;Denain;15120;s;9800;27440\n59526;Saint-Amand-les-Eaux;21460;14;11200;38100\n";
    let rp = "CODGEO,P21_POP,C21_MEN,C21_MENPSEUL\n59172,20665,9000,3600\n59526,15974,7000,2450\n";
    let sources = &[
        (
            "FILO2021_DEC_COM.csv",
            filo.as_bytes(),
            "profile = \"insee_filosofi_communes\"",
        ),
        (
            "base-cc-couples-familles-menages-2021.csv",
            rp.as_bytes(),
            "profile = \"insee_base_cc\"\ndecimal = \".\"",
        ),
    ];
    let r = compute_sources(sources).unwrap();
    assert_eq!(value(&r, "59526", "revenu_median_uc", 2021), Some(21460.0));
    assert!((value(&r, "59172", "rapport_interdecile", 2021).unwrap() - 2.8).abs() < 1e-12);
    assert_eq!(
        status(&r, "59172", "taux_pauvrete", 2021),
        Some(bcs::status::Status::Secret)
    );
    assert!((value(&r, "59172", "part_menages_1_personne", 2021).unwrap() - 40.0).abs() < 1e-12);
    // Two of the 47 communes: the EPCI total would be incomplete, so it is
    // missing, and its detail says why.
    let epci = r.get("200042190", "population", 2021).unwrap().unwrap();
    assert_eq!((epci.status, epci.value), (bcs::status::Status::Missing, None));
    let detail = epci.detail.unwrap();
    assert!(
        detail.starts_with("non calculé : les membres avec données couvrent 23,13 % de la population, sous le seuil de 99 % ; sans donnée : "),
        "{detail}"
    );
    assert!(detail.ends_with("et 40 autre(s)"), "{detail}");
}

#[test]
fn a_profile_file_without_vintage_is_refused() {
    let file = "CODGEO;tp60\nQN05953M;30\n";
    let sources = &[("qpv.csv", file.as_bytes(), "profile = \"insee_qpv\"")];
    let err = format!("{:#}", compute_sources(sources).err().unwrap());
    assert!(
        err.contains("indiquez vintage = … pour cette source"),
        "{err}"
    );
}

#[test]
fn cnam_file_with_stacked_years_matches_the_annex_c2s_counts() {
    // Cnam shape: code, year column, counts; 2020 and 2022 stacked in rows.
    // 2022 counts are the annex's; 2020 = 2022 minus the published change.
    let file = "codgeo;annee;nb_beneficiaires_c2s;tx_c2s\n\
                loc_qp15_liberte;2022;1193;40,1\n\
                loc_qp15_liberte;2020;1061;s\n\
                loc_qp15_denain_centre;2022;5343;40,0\n\
                loc_qp15_denain_centre;2020;4606;s\n";
    let sources = &[("c2s_qp.csv", file.as_bytes(), "profile = \"cnam_c2s\"")];
    let r = compute_sources(sources).unwrap();
    let e = embedded();
    for t in ["loc_qp15_liberte", "loc_qp15_denain_centre"] {
        for y in [2020, 2022] {
            let mine = value(&r, t, "nb_beneficiaires_c2s", y);
            assert!(mine.is_some(), "{t} {y}");
            assert_eq!(mine, value(&e, t, "nb_beneficiaires_c2s", y), "{t} {y}");
        }
    }
    assert_eq!(
        value(&r, "loc_qp15_liberte", "couverture_c2s", 2022),
        Some(40.1)
    );
    assert_eq!(
        status(&r, "loc_qp15_liberte", "couverture_c2s", 2020),
        Some(bcs::status::Status::Secret)
    );
    let c2s = r
        .get("loc_qp15_liberte", "nb_beneficiaires_c2s", 2022)
        .unwrap()
        .unwrap();
    assert_eq!((c2s.prev_vintage, c2s.evol_abs), (Some(2020), Some(132.0)));
}

#[test]
fn france_travail_file_with_dates_gives_the_annex_job_seekers() {
    // France Travail shape: period as a date, counts by category and group.
    let file = "codgeo,libelle,date,defm_a,defm_abc,defm_abc_moins_26\n\
                loc_qp15_dutemple,Dutemple,31/12/2021,,632,145\n\
                loc_qp15_gambetta,Gambetta,31/12/2021,,219,50\n";
    let sources = &[(
        "defm.csv",
        file.as_bytes(),
        "profile = \"france_travail_defm\"",
    )];
    let r = compute_sources(sources).unwrap();
    let e = embedded();
    for t in ["loc_qp15_dutemple", "loc_qp15_gambetta"] {
        assert_eq!(
            value(&r, t, "defm_abc", 2021),
            value(&e, t, "defm_abc", 2021),
            "{t}"
        );
        assert!(value(&r, t, "defm_abc", 2021).is_some());
    }
    // 145 / 632 = 22,9 % as printed in the annex (one decimal).
    let share = value(&r, "loc_qp15_dutemple", "part_defm_moins_26", 2021).unwrap();
    assert_eq!(
        (share * 10.0).round() / 10.0,
        value(&e, "loc_qp15_dutemple", "part_defm_moins_26", 2021).unwrap()
    );
}

#[test]
fn caf_file_reads_dtref_and_keeps_only_the_declared_vintage() {
    let file = "NUMCOM;NOMCOM;DTREF;NB_Allocataires;NB_Familles_Monoparentales\n\
                59172;Denain;31/12/2021;6120;1450\n\
                59172;Denain;31/12/2022;6050;s\n\
                59526;Saint-Amand-les-Eaux;31/12/2022;4300;640\n";
    let sources = &[(
        "caf.csv",
        file.as_bytes(),
        "profile = \"caf_allocataires\"\nvintage = 2022",
    )];
    let r = compute_sources(sources).unwrap();
    let a = r
        .get("59172", "nb_familles_monoparentales", 2022)
        .unwrap()
        .unwrap();
    assert_eq!(a.status, bcs::status::Status::Secret);
    assert!(
        r.get("59172", "nb_familles_monoparentales", 2021)
            .unwrap()
            .is_none(),
        "2021 rows not kept"
    );
}

/// The error of a dataset made of one source, which must be refused.
fn refused(name: &str, file: &str, options: &str) -> String {
    format!(
        "{:#}",
        compute_sources(&[(name, file.as_bytes(), options)])
            .err()
            .expect("the source must be refused")
    )
}

#[test]
fn vintage_mismatches_and_unreadable_years_are_refused() {
    // Declared 2021, but the columns are of 2019.
    let err = refused(
        "rp.csv",
        "CODGEO;P19_POP\n59172;20000\n",
        "profile = \"insee_base_cc\"\nvintage = 2021",
    );
    assert!(err.contains("millésime déclaré 2021 (vintage = 2021) mais les colonnes du fichier portent le(s) millésime(s) 2019"), "{err}");
    // Declared 2023, absent from the year column.
    let err = refused(
        "c2s.csv",
        "codgeo;annee;nb_c2s\n59172;2022;100\n",
        "profile = \"cnam_c2s\"\nvintage = 2023",
    );
    assert!(err.contains("colonne « annee » : millésime déclaré 2023 absent de la colonne (millésimes présents : 2022)"), "{err}");
    // An unreadable year.
    let err = refused(
        "c2s.csv",
        "codgeo;annee;nb_c2s\n59172;2022;100\n59172;déc.;90\n",
        "profile = \"cnam_c2s\"",
    );
    assert!(err.contains("c2s.csv, ligne 3, colonne « annee » : millésime « déc. » illisible : une année (2021) ou une date (31/12/2021) est attendue"), "{err}");
    // A code twice for the same year (once per year is fine).
    let file = "codgeo;annee;nb_c2s\n59172;2022;100\n59172;2021;90\n59526;2022;50\n59526;2022;51\n";
    let err = refused("c2s.csv", file, "profile = \"cnam_c2s\"");
    assert!(err.contains("c2s.csv, ligne 5, colonne « codgeo » : code territoire « 59526 » en double pour 2022 (déjà ligne 4)"), "{err}");
    assert!(!err.contains("« 59172 » en double"), "{err}");
}
