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
    let opts = engine::Options { reference: manifest.dataset.reference.clone(), territory: None, focus: vec![] };
    engine::compute(&obs, &catalog, &geo, &opts)
}

fn embedded() -> Results {
    compute(&root().join("datasets/caph")).unwrap()
}

fn value(r: &Results, t: &str, ind: &str, y: i32) -> Option<f64> {
    r.get(t, ind, y).unwrap().and_then(|r| r.value)
}

#[test]
fn census_base_at_epci_and_departement_level_matches_the_annex() {
    // base-cc shape (CODGEO, P19_…, several vintages side by side), with the
    // annex's 2019 counts for the CA and the Nord. The 75-89 / 90+ split is
    // for the test only; the annex gives their sum (12 416 and 197 603).
    let file = "CODGEO;LIBGEO;P19_POP6074;P19_POP7589;P19_POP90P;P13_POP6074;P13_POP7589;P13_POP90P\n\
                200042190;CA de la Porte du Hainaut;24576;11000;1416;22000;10000;1000\n\
                59;Nord;392831;170000;27603;350000;160000;20000\n";
    let tmp = tempfile::tempdir().unwrap();
    let ds = dataset(tmp.path(), &[("base-cc-evol-struct-pop-2019.csv", file.as_bytes(), "profile = \"insee_base_cc\"")]);
    let r = compute(&ds).unwrap();
    let e = embedded();
    for t in ["200042190", "59"] {
        let mine = value(&r, t, "indice_vieillissement", 2019).unwrap();
        let annex = value(&e, t, "indice_vieillissement", 2019).unwrap();
        assert!((mine - annex).abs() < 1e-12, "{t}: {mine} vs {annex}");
    }
    // Both vintages found in the header, with the change between them.
    let ca = r.get("200042190", "indice_vieillissement", 2019).unwrap().unwrap();
    assert_eq!(ca.prev_vintage, Some(2013));
}

#[test]
fn qpv_file_matches_the_contract_where_they_overlap() {
    // QPV shape: code column, lower-case names, vintage declared.
    let file = "CODGEO;libelle;disp_q2;tp60\nQN05953M;Couture Savonnerie;15760;s\nQN05954M;Gambetta;14670;41,2\n";
    let tmp = tempfile::tempdir().unwrap();
    let ds = dataset(tmp.path(), &[("qpv.csv", file.as_bytes(), "profile = \"insee_qpv\"\nvintage = 2019")]);
    let r = compute(&ds).unwrap();
    let e = embedded();
    for t in ["QN05953M", "QN05954M"] {
        assert_eq!(value(&r, t, "revenu_median_uc", 2019), value(&e, t, "revenu_median_uc", 2019), "{t}");
    }
    assert_eq!(value(&r, "QN05954M", "taux_pauvrete", 2019), Some(41.2));
    let secret = r.get("QN05953M", "taux_pauvrete", 2019).unwrap().unwrap();
    assert_eq!(secret.status, bcs::status::Status::Secret);
}

#[test]
fn filosofi_and_census_communes_together() {
    let filo = "CODGEO;LIBGEO;MED21;TP6021;D121;D921\n59172;Denain;15120;s;9800;27440\n59526;Saint-Amand-les-Eaux;21460;14;11200;38100\n";
    let rp = "CODGEO,P21_POP,C21_MEN,C21_MENPSEUL\n59172,20665,9000,3600\n59526,15974,7000,2450\n";
    let tmp = tempfile::tempdir().unwrap();
    let ds = dataset(
        tmp.path(),
        &[
            ("FILO2021_DEC_COM.csv", filo.as_bytes(), "profile = \"insee_filosofi_communes\""),
            ("base-cc-couples-familles-menages-2021.csv", rp.as_bytes(), "profile = \"insee_base_cc\"\ndecimal = \".\""),
        ],
    );
    let r = compute(&ds).unwrap();
    assert_eq!(value(&r, "59526", "revenu_median_uc", 2021), Some(21460.0));
    assert!((value(&r, "59172", "rapport_interdecile", 2021).unwrap() - 2.8).abs() < 1e-12);
    assert_eq!(r.get("59172", "taux_pauvrete", 2021).unwrap().unwrap().status, bcs::status::Status::Secret);
    assert!((value(&r, "59172", "part_menages_1_personne", 2021).unwrap() - 40.0).abs() < 1e-12);
    // Two of the 47 communes: the EPCI total would be incomplete, so none.
    assert!(r.get("200042190", "population", 2021).unwrap().is_none());
}

#[test]
fn a_profile_file_without_vintage_is_refused() {
    let file = "CODGEO;tp60\nQN05953M;30\n";
    let tmp = tempfile::tempdir().unwrap();
    let ds = dataset(tmp.path(), &[("qpv.csv", file.as_bytes(), "profile = \"insee_qpv\"")]);
    let err = format!("{:#}", compute(&ds).err().unwrap());
    assert!(err.contains("indiquez vintage = … pour cette source"), "{err}");
}
