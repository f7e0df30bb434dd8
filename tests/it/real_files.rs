//! The producers' real files, unedited (`datasets/public/`), load through
//! their profiles alone: a file published in the geography of an earlier
//! year, a re-export writing secrets as blanks, the national QPV list.

use std::path::{Path, PathBuf};
use std::process::Command;

use bcs::engine::{self, Results};
use bcs::ingest;
use bcs::status::Status;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn filosofi(name: &str) -> String {
    root()
        .join("datasets/public/filosofi")
        .join(name)
        .display()
        .to_string()
}

/// A dataset folder: `[dataset]` lines, then the national reference (no
/// local territories file), then `sources`.
fn dataset(dir: &Path, dataset: &str, sources: &str) -> PathBuf {
    let ds = dir.join("ds");
    std::fs::create_dir_all(&ds).unwrap();
    let toml = format!(
        "[dataset]\nid = \"reel\"\ntitle = \"Fichiers réels\"\n{dataset}\n[geography]\nnational = \"{}\"\n\n{sources}",
        root().join("datasets/geo/national").display()
    );
    std::fs::write(ds.join("dataset.toml"), toml).unwrap();
    ds
}

const NATIONAL: &str =
    "territory = \"59\"\nreference = \"59\"\nreferences = [\"59\", \"reg32\"]";

fn filosofi_2021() -> String {
    format!(
        "[[source]]\nid = \"filosofi2021\"\nfile = \"{}\"\ntitle = \"FiLoSoFi 2021\"\nproducer = \"Insee\"\nprofile = \"insee_filosofi_communes\"\n",
        filosofi("cc_filosofi_2021_COM.csv")
    )
}

fn filosofi_2019() -> String {
    format!(
        "[[source]]\nid = \"filosofi2019\"\nfile = \"{}\"\ntitle = \"FiLoSoFi 2019 (réexport)\"\nproducer = \"Insee\"\nprofile = \"insee_filosofi_communes\"\ndecimal = \".\"\nsecret = [\"\"]\n",
        filosofi("cc_filosofi_2019_COM.CSV")
    )
}

fn compute(ds: &Path) -> (Results, Vec<ingest::SourceReport>) {
    let (manifest, catalog, geo) = ingest::open_dataset(ds, &root().join("indicators")).unwrap();
    let loaded = ingest::load_cached(&manifest, &catalog, &geo, ingest::CacheMode::Off).unwrap();
    let opts = bcs::app::options(&manifest, manifest.dataset.reference.clone()).unwrap();
    let results = engine::compute(loaded.observations, &catalog, &geo, &opts).unwrap();
    (results, loaded.reports)
}

/// What loading a dataset that must fail says.
fn load_error(ds: &Path) -> String {
    let (manifest, catalog, geo) = ingest::open_dataset(ds, &root().join("indicators")).unwrap();
    format!("{:#}", ingest::load(&manifest, &catalog, &geo).unwrap_err())
}

fn row(r: &Results, t: &str, ind: &str, y: i32) -> bcs::engine::ResultRow {
    r.get(t, ind, y)
        .unwrap()
        .unwrap_or_else(|| panic!("no row {t} {ind} {y}"))
}

fn ok_value(r: &Results, t: &str, ind: &str, y: i32) -> f64 {
    let row = row(r, t, ind, y);
    assert_eq!(row.status, Status::Ok, "{t} {ind} {y}: {row:?}");
    row.value.unwrap()
}

#[test]
fn filosofi_2021_in_the_2024_geography_loads_unedited() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = dataset(tmp.path(), NATIONAL, &filosofi_2021());
    let (r, reports) = compute(&ds);

    // Denain, as the file gives it.
    assert_eq!(ok_value(&r, "59172", "revenu_median_uc", 2021), 14890.0);
    assert_eq!(ok_value(&r, "59172", "taux_pauvrete", 2021), 43.0);
    assert_eq!(ok_value(&r, "59172", "menages_fiscaux", 2021), 7470.0);
    assert_eq!(ok_value(&r, "59172", "revenu_d1", 2021), 9000.0);
    assert_eq!(ok_value(&r, "59172", "part_minima_sociaux_revenu", 2021), 11.7);
    assert_eq!(ok_value(&r, "59172", "part_revenus_activite", 2021), 57.9);
    assert_eq!(ok_value(&r, "59172", "taux_pauvrete_locataires", 2021), 57.0);
    // Computed D9/D1 where the file also publishes it (2,8).
    assert!((ok_value(&r, "59172", "rapport_interdecile", 2021) - 25370.0 / 9000.0).abs() < 1e-9);
    // A secret stays secret, never 0: Denain's under-30 rate is given, the
    // 01001 rates are « s ».
    assert_eq!(row(&r, "01001", "taux_pauvrete", 2021).status, Status::Secret);
    assert_eq!(ok_value(&r, "01001", "menages_fiscaux", 2021), 346.0);

    // Arrondissements municipaux: territories of their own, beside Marseille
    // as the file gives it.
    let arr = row(&r, "13201", "revenu_median_uc", 2021);
    assert_eq!(arr.level, bcs::geo::Level::Arrondissement);
    assert_eq!(arr.status, Status::Ok);
    let marseille = row(&r, "13055", "revenu_median_uc", 2021);
    assert_eq!(marseille.level, bcs::geo::Level::Commune);
    assert_ne!(marseille.value, arr.value);

    // A commune nouvelle rebuilt from its pieces in the file (01187 and
    // 01330, a commune déléguée since): counts summed, a median never.
    assert_eq!(ok_value(&r, "01187", "menages_fiscaux", 2021), 322.0 + 78.0);
    assert_eq!(
        row(&r, "01187", "revenu_median_uc", 2021).status,
        Status::NotAggregable
    );
    // A code that changed (Conques-en-Rouergue, 12076 in 2024, 12218 now):
    // the one piece is the whole commune, its median carried.
    assert_eq!(ok_value(&r, "12218", "revenu_median_uc", 2021), 21460.0);

    // The EPCI La Porte du Hainaut: the sum of its 47 communes.
    assert_eq!(ok_value(&r, "200042190", "menages_fiscaux", 2021), 63580.0);
    assert_eq!(
        row(&r, "200042190", "revenu_median_uc", 2021).status,
        Status::NotAggregable
    );

    // What was carried, said once.
    assert_eq!(reports.len(), 1);
    let rep = &reports[0];
    let kind = |k| rep.carried.iter().filter(|c| c.kind == k).count();
    assert_eq!(kind(bcs::geo::FormerKind::Deleguee), 60);
    assert_eq!(kind(bcs::geo::FormerKind::OldCode), 8);
    assert_eq!(rep.arrondissements.len(), 45);
    assert_eq!(rep.rebuilt, 50);
    assert!(
        rep.summary().contains(
            "60 codes de communes déléguées et 8 anciens codes de communes rattachés à leur commune actuelle (50 commune(s) reconstituée(s)"
        ),
        "{}",
        rep.summary()
    );
}

#[test]
fn filosofi_2019_reexport_reads_blanks_as_secret() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = dataset(tmp.path(), NATIONAL, &filosofi_2019());
    let (r, _) = compute(&ds);
    // 01001;322;819;23970;;;… : the blanks are secrets.
    assert_eq!(ok_value(&r, "01001", "menages_fiscaux", 2019), 322.0);
    assert_eq!(ok_value(&r, "01001", "revenu_median_uc", 2019), 23970.0);
    let rate = row(&r, "01001", "taux_pauvrete", 2019);
    assert_eq!((rate.status, rate.value), (Status::Secret, None));
    // Decimal point read as such.
    let denain = ok_value(&r, "59172", "taux_pauvrete", 2019);
    assert!(denain > 30.0 && denain < 50.0, "{denain}");
}

#[test]
fn a_caph_barometer_fed_by_national_files_with_two_vintages_and_a_scope() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = dataset(
        tmp.path(),
        "territory = \"200042190\"\nreference = \"59\"\nreferences = [\"200042190\", \"59\", \"reg32\"]\nscope = [\"200042190\"]",
        // The CAPH's own territories file beside the national reference.
        &format!(
            "local = [\"{}\"]\n\n{}\n{}",
            root().join("datasets/geo/caph/territories.csv").display(),
            filosofi_2021(),
            filosofi_2019()
        ),
    );
    let (r, _) = compute(&ds);
    // The results keep every territory; Denain has both vintages and its
    // change.
    let denain = row(&r, "59172", "revenu_median_uc", 2021);
    assert_eq!(denain.prev_vintage, Some(2019));
    assert!(denain.evol_abs.is_some());
    assert!(r.get("13201", "revenu_median_uc", 2021).unwrap().is_some());
    // The tables cover the scope: the EPCI's communes, its QPV and the
    // references, not Marseille.
    let out = Command::new(env!("CARGO_BIN_EXE_bcs"))
        .args(["--dataset", ds.to_str().unwrap(), "rank", "menages_fiscaux", "--level", "commune", "--format", "csv"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Denain"), "{text}");
    assert!(!text.contains("Marseille"), "{text}");
    let communes = text.lines().filter(|l| l.contains(",commune,")).count();
    assert_eq!(communes, 47, "{text}");
}

#[test]
fn show_a_qpv_of_the_national_list_without_a_local_file() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = dataset(tmp.path(), NATIONAL, &filosofi_2021());
    let out = Command::new(env!("CARGO_BIN_EXE_bcs"))
        .args(["--dataset", ds.to_str().unwrap(), "show", "QN05954M"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("Gambetta"), "{text}");
    // Its communes are in the national list: Denain, Escaudain, Lourches.
    let (_, _, geo) = ingest::open_dataset(&ds, &root().join("indicators")).unwrap();
    let gambetta = geo.get("QN05954M").unwrap();
    assert_eq!(gambetta.parents, ["59172", "59205", "59361"]);
    assert!(gambetta.note.as_deref().unwrap().contains("partielle"));
    assert_eq!(
        geo.territories()
            .iter()
            .filter(|t| t.level == bcs::geo::Level::Qpv)
            .count(),
        1493
    );
}

#[test]
fn validate_says_what_was_carried_and_what_is_not_covered() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = dataset(
        tmp.path(),
        "territory = \"200042190\"\nreference = \"59\"\nreferences = [\"59\"]\nscope = [\"200042190\"]",
        &filosofi_2021(),
    );
    let out = Command::new(env!("CARGO_BIN_EXE_bcs"))
        .args(["--dataset", ds.to_str().unwrap(), "validate", "--detail"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("aucun problème"), "{text}");
    assert!(text.contains("45 arrondissement(s) municipal(aux) gardé(s) comme territoires"), "{text}");
    // Line by line on request: 01330 is line … of the file, carried to 01187.
    assert!(
        text.lines().any(|l| l.contains("ligne 279 : code de commune déléguée « 01330 » (Ruffieu) → Haut Valromey (01187)")),
        "{text}"
    );
    // The 13 QPV of the EPCI have no value in a commune file: listed.
    assert!(text.contains("Quartier prioritaire"), "{text}");
}

#[test]
fn contours_of_an_older_commune_list_join_as_the_data_do() {
    let contours = root().join("datasets/public/contours/communes-59-nord.geojson");
    let (_, _, geo) = {
        let tmp = tempfile::tempdir().unwrap();
        let ds = dataset(tmp.path(), NATIONAL, "");
        ingest::open_dataset(&ds, &root().join("indicators")).unwrap()
    };
    let shapes = bcs::geo::read_geojson(&contours, "code").unwrap();
    assert_eq!(shapes.len(), 648);
    let own = shapes.iter().find(|s| s.code == "59006").unwrap().polygons.len();
    let current = geo.current_shapes(shapes);
    // Bermeries (59070 in 2018) is drawn with its commune, 59006, today.
    assert_eq!(current.len(), 647);
    assert!(current.iter().all(|s| s.code != "59070"));
    assert_eq!(
        current.iter().find(|s| s.code == "59006").unwrap().polygons.len(),
        own + 1
    );

    // A map of the real medians on those contours.
    let tmp = tempfile::tempdir().unwrap();
    let ds = dataset(tmp.path(), NATIONAL, &filosofi_2021());
    let out = Command::new(env!("CARGO_BIN_EXE_bcs"))
        .args(["--dataset", ds.to_str().unwrap(), "chart", "revenu_median_uc", "--kind", "map"])
        .arg("--contours")
        .arg(&contours)
        .arg("--out")
        .arg(tmp.path().join("fig"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let svg = std::fs::read_to_string(
        tmp.path().join("fig/figures/fig_revenus_revenu_median_uc_2021_carte.svg"),
    )
    .unwrap();
    assert!(svg.contains("<path") || svg.contains("<polygon"), "no shape drawn");
}

fn cnam() -> String {
    format!(
        "[[source]]\nid = \"c2s\"\nfile = \"{}\"\ntitle = \"Effectifs C2S\"\nproducer = \"Cnam\"\nprofile = \"cnam_c2s_departements_mensuel\"\n",
        root()
            .join("datasets/public/cnam/cnam_effectifs_c2s_departement_mensuel.xlsx")
            .display()
    )
}

#[test]
fn cnam_monthly_workbook_loads_through_its_profile() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = dataset(tmp.path(), NATIONAL, &cnam());
    let (r, reports) = compute(&ds);
    // December stock, the four rows (C2SG/C2SP × RO/OC) added up.
    let nord = ok_value(&r, "59", "nb_beneficiaires_c2s", 2023);
    assert!((nord - 414_452.103_7).abs() < 1e-6, "{nord}");
    let nord_2019 = row(&r, "59", "nb_beneficiaires_c2s", 2024);
    assert_eq!(nord_2019.prev_vintage, Some(2023));
    // « 201 » is Corse-du-Sud.
    let corse = ok_value(&r, "2A", "nb_beneficiaires_c2s", 2023);
    assert!((corse - 8_189.608_5).abs() < 1e-6, "{corse}");
    // The région: the sum of its five départements.
    let hdf: f64 = ["02", "59", "60", "62", "80"]
        .iter()
        .map(|d| ok_value(&r, d, "nb_beneficiaires_c2s", 2023))
        .sum();
    assert!((ok_value(&r, "reg32", "nb_beneficiaires_c2s", 2023) - hdf).abs() < 1e-6);
    let rep = &reports[0];
    assert_eq!(rep.vintage_month, Some(12));
    // 25 376 rows of 63 months: 2 416 of December, 4 per département and
    // year (Mayotte 2 until 2023) in 606 (département, year) pairs, the
    // other rows added to the first.
    assert_eq!(rep.other_months, 25_376 - 2_416);
    assert_eq!(rep.summed, 2_416 - 606);
}

#[test]
fn a_workbook_column_named_twice_is_refused_only_when_read() {
    let tmp = tempfile::tempdir().unwrap();
    let mut source = cnam();
    // « Prestation » heads column F and the side table of column J.
    source.push_str("keep_rows = { Prestation = \"C2SG\" }\n");
    let ds = dataset(tmp.path(), NATIONAL, &source);
    let err = load_error(&ds);
    assert!(
        err.contains("colonne « Prestation » en double dans l'en-tête") && err.contains("colonnes F et J"),
        "{err}"
    );
}

#[test]
fn an_insee_publication_workbook_loads_with_its_notes_left_out() {
    // Figure 2 of Insee's 2021 poverty publication: title rows, the table,
    // then notes under it (rows 105-108) that are not rows of data.
    let source = format!(
        "[[source]]\nid = \"pauvrete\"\nfile = \"{}\"\ntitle = \"Taux de pauvreté par département\"\nproducer = \"Insee\"\nsheet = \"Figure 2\"\nheader_row = 3\nlast_row = 104\nkey = \"Code département\"\ndecimal = \".\"\n[[source.variable]]\nvariable = \"tx_pauvrete\"\nvintage = 2021\nexpr = '\"Taux de pauvreté (en\u{a0}%)\"'\n",
        root()
            .join("datasets/public/insee/insee_taux_pauvrete_region_dep_2021.xlsx")
            .display()
    );
    let tmp = tempfile::tempdir().unwrap();
    let ds = dataset(tmp.path(), NATIONAL, &source);
    let (r, reports) = compute(&ds);
    assert_eq!(ok_value(&r, "59", "taux_pauvrete", 2021), 19.5);
    assert_eq!(reports[0].rows_left_out, 4);
    // Without last_row, the notes are said as unknown codes, shortened.
    let ds = dataset(tmp.path(), NATIONAL, &source.replace("last_row = 104\n", ""));
    let err = load_error(&ds);
    assert!(err.contains("ligne 106, colonne « Code département » : code territoire « Lecture"), "{err}");
    assert!(err.lines().all(|l| l.chars().count() < 400), "{err}");
}

fn public(path: &str) -> String {
    root().join("datasets/public").join(path).display().to_string()
}

#[test]
fn insee_local_statistics_exports_load_through_their_profile() {
    // Two title lines, the header on line 3, a byte order mark, decimal
    // point, the year in each column name (« … 2023 »); the région file's
    // codes read as régions.
    let sources = format!(
        "[[source]]\nid = \"dep\"\nfile = \"{}\"\ntitle = \"Espérance de vie\"\nproducer = \"Insee\"\nprofile = \"insee_esperance_vie\"\n\n[[source]]\nid = \"reg\"\nfile = \"{}\"\ntitle = \"Espérance de vie\"\nproducer = \"Insee\"\nprofile = \"insee_esperance_vie\"\nkey_level = \"region\"\n",
        public("insee/insee_esperance_vie_departement_2023.csv"),
        public("insee/insee_esperance_vie_region_2023.csv")
    );
    let tmp = tempfile::tempdir().unwrap();
    let ds = dataset(tmp.path(), NATIONAL, &sources);
    let (r, _) = compute(&ds);
    assert_eq!(ok_value(&r, "59", "esperance_vie_femmes", 2023), 84.4);
    assert_eq!(ok_value(&r, "59", "esperance_vie_hommes", 2023), 78.2);
    assert_eq!(ok_value(&r, "59", "taux_mortalite_standardise_65_plus", 2023), 39.9);
    assert_eq!(ok_value(&r, "976", "esperance_vie_hommes", 2023), 73.9);
    // « 32 » in the région file is Hauts-de-France, « 93 » PACA (not the
    // Seine-Saint-Denis of the other file).
    assert_eq!(ok_value(&r, "reg32", "esperance_vie_femmes", 2023), 84.2);
    assert_eq!(ok_value(&r, "reg93", "taux_brut_mortalite", 2023), 10.2);
    assert_eq!(ok_value(&r, "93", "taux_brut_mortalite", 2023), 5.4);
}

#[test]
fn a_publication_heading_on_two_rows_names_each_column() {
    // Figure 1: « Niveau de vie annuel (en euros) » merged over « 1er
    // décile (D1) », « Médian », « 9e décile (D9) »; « Taux de pauvreté »
    // merged down over both rows; régions by name, given their codes.
    let source = format!(
        "[[source]]\nid = \"fig1\"\nfile = \"{}\"\ntitle = \"Niveau de vie par région\"\nproducer = \"Insee\"\nsheet = \"Figure 1\"\nheader_row = 3\nheader_rows = 2\nlast_row = 23\nkey = \"Région\"\ndecimal = \".\"\nmissing = [\"ns\"]\ncodes = {{ \"Hauts-de-France\" = \"reg32\", \"Bretagne\" = \"reg53\" }}\nkeep_rows = {{ \"Région\" = [\"Hauts-de-France\", \"Bretagne\"] }}\n[[source.variable]]\nvariable = \"revenu_median_uc\"\nvintage = 2021\nexpr = '\"Niveau de vie annuel (en euros) — Médian\"'\n[[source.variable]]\nvariable = \"tx_pauvrete\"\nvintage = 2021\nexpr = '\"Taux de pauvreté1 (en %)\"'\n",
        public("insee/insee_taux_pauvrete_region_dep_2021.xlsx")
    );
    let tmp = tempfile::tempdir().unwrap();
    let ds = dataset(tmp.path(), NATIONAL, &source);
    let (r, reports) = compute(&ds);
    assert_eq!(ok_value(&r, "reg32", "revenu_median_uc", 2021), 21420.0);
    assert_eq!(ok_value(&r, "reg32", "taux_pauvrete", 2021), 18.0);
    assert_eq!(ok_value(&r, "reg53", "revenu_median_uc", 2021), 23240.0);
    // 17 other rows of régions, and the notes after row 23.
    assert_eq!(reports[0].rows_left_out, 17 + 6);
    // The same heading read on one row misses the names below it.
    let ds = dataset(tmp.path(), NATIONAL, &source.replace("header_rows = 2\n", ""));
    let err = load_error(&ds);
    assert!(err.contains("colonne absente du fichier"), "{err}");
}

#[test]
fn a_code_paired_with_another_territorys_name_is_a_problem() {
    // Figure 2 of Insee's 2021 poverty publication, to its last row of
    // data: its 2017 rows pair 976 with « Guyane » and 973 with « Mayotte ».
    let source = format!(
        "[[source]]\nid = \"pauvrete\"\nfile = \"{}\"\ntitle = \"Taux de pauvreté par département\"\nproducer = \"Insee\"\nsheet = \"Figure 2\"\nheader_row = 3\nlast_row = 104\nkey = \"Code département\"\nname_column = \"Département\"\ndecimal = \".\"\n[[source.variable]]\nvariable = \"tx_pauvrete\"\nvintage = 2021\nexpr = '\"Taux de pauvreté (en\u{a0}%)\"'\n",
        public("insee/insee_taux_pauvrete_region_dep_2021.xlsx")
    );
    let tmp = tempfile::tempdir().unwrap();
    let ds = dataset(tmp.path(), NATIONAL, &source);
    let err = load_error(&ds);
    assert!(err.contains("2 problème(s)"), "{err}");
    assert!(err.contains("ligne 103, colonne « Département » : le nom « Guyane (données 2017) » ne correspond pas au code « 976 », qui désigne Mayotte"), "{err}");
    assert!(err.contains("ligne 104") && err.contains("« 973 », qui désigne Guyane"), "{err}");
    // « Guadeloupe (données 2017) » is 971's name with a note: accepted;
    // the table without those two rows loads.
    let ds = dataset(tmp.path(), NATIONAL, &source.replace("last_row = 104", "last_row = 102"));
    let (r, _) = compute(&ds);
    assert_eq!(ok_value(&r, "971", "taux_pauvrete", 2021), 34.5);
    assert_eq!(ok_value(&r, "2A", "taux_pauvrete", 2021), 15.8);
}

#[test]
fn a_monthly_file_keeps_every_month_as_a_series() {
    let mut source = cnam();
    source.push_str("monthly_series = true\n");
    let tmp = tempfile::tempdir().unwrap();
    let ds = dataset(tmp.path(), NATIONAL, &source);
    let (manifest, catalog, geo) = ingest::open_dataset(&ds, &root().join("indicators")).unwrap();
    let monthly = ingest::monthly_observations(&manifest, &catalog, &geo).unwrap();
    assert_eq!(monthly.len(), 1);
    let (source, obs) = &monthly[0];
    let series = engine::monthly_series(source, obs, &catalog, &geo).unwrap();
    assert_eq!(series.len(), 1);
    let s = &series[0];
    assert_eq!(s.variable, "beneficiaires_c2s");
    // November 2019 to January 2025: 63 months; December 2023 is the
    // yearly value (the four rows of the month added up).
    let nord = &s.points["59"];
    assert_eq!(nord.len(), 63);
    assert_eq!((nord[0].0, nord[62].0), (201911, 202501));
    let dec = nord.iter().find(|p| p.0 == 202312).unwrap();
    assert!((dec.1.unwrap() - 414_452.103_7).abs() < 1e-6, "{dec:?}");
    // The région: its five départements, month by month.
    let hdf = s.points["reg32"].iter().find(|p| p.0 == 202312).unwrap().1.unwrap();
    let sum: f64 = ["02", "59", "60", "62", "80"]
        .iter()
        .map(|d| s.points[*d].iter().find(|p| p.0 == 202312).unwrap().1.unwrap())
        .sum();
    assert!((hdf - sum).abs() < 1e-6);
    // The yearly reading is unchanged beside it.
    let (r, _) = compute(&ds);
    assert!((ok_value(&r, "59", "nb_beneficiaires_c2s", 2023) - 414_452.103_7).abs() < 1e-6);
}

/// Every position `[x, y]` of a GeoJSON value, changed by `f`.
fn map_positions(v: &mut serde_json::Value, f: &dyn Fn(f64, f64) -> (f64, f64)) {
    if let Some(a) = v.as_array_mut() {
        if a.len() == 2 && a.iter().all(serde_json::Value::is_number) {
            let (x, y) = f(a[0].as_f64().unwrap(), a[1].as_f64().unwrap());
            *v = serde_json::json!([x, y]);
        } else {
            a.iter_mut().for_each(|x| map_positions(x, f));
        }
    } else if let Some(o) = v.as_object_mut() {
        o.values_mut().for_each(|x| map_positions(x, f));
    }
}

/// The numbers of a text, in order.
fn numbers(text: &str) -> Vec<f64> {
    text.split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
        .filter_map(|t| t.parse().ok())
        .collect()
}

#[test]
fn a_lambert_93_copy_of_the_contours_draws_the_same_map() {
    use proj4rs::{transform::transform, Proj};
    let contours = root().join("datasets/public/contours/communes-59-nord.geojson");
    let (wgs84, l93) = (Proj::from_epsg_code(4326).unwrap(), Proj::from_epsg_code(2154).unwrap());
    let to_l93 = |lon: f64, lat: f64| {
        let mut p = (lon.to_radians(), lat.to_radians(), 0.0);
        transform(&wgs84, &l93, &mut p).unwrap();
        ((p.0 * 100.0).round() / 100.0, (p.1 * 100.0).round() / 100.0)
    };
    // Lambert-93 as IGN defines it: its origin 3° E, 46,5° N is at
    // (700 000 m, 6 600 000 m); Lille (3,0635° E, 50,6292° N) near
    // (704 000, 7 059 000).
    assert_eq!(to_l93(3.0, 46.5), (700_000.0, 6_600_000.0));
    let lille = to_l93(3.0635, 50.6292);
    assert!((lille.0 - 704_000.0).abs() < 1_000.0 && (lille.1 - 7_059_000.0).abs() < 1_000.0, "{lille:?}");

    // The copy QGIS would export: positions in metres, to the centimetre,
    // and the crs member naming EPSG:2154.
    let tmp = tempfile::tempdir().unwrap();
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&contours).unwrap()).unwrap();
    map_positions(&mut doc["features"], &to_l93);
    doc["crs"] = serde_json::json!({"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2154"}});
    let copy = tmp.path().join("communes-59-lambert93.geojson");
    std::fs::write(&copy, doc.to_string()).unwrap();

    // Read back in longitude/latitude, to 1e-6 degree (10 cm).
    let (a, b) = (
        bcs::geo::read_geojson(&contours, "code").unwrap(),
        bcs::geo::read_geojson(&copy, "code").unwrap(),
    );
    assert_eq!(a.len(), b.len());
    let points = |s: &[bcs::geo::Shape]| -> Vec<(f64, f64)> {
        s.iter().flat_map(|s| s.polygons.iter().flatten().flatten().copied()).collect()
    };
    let (pa, pb) = (points(&a), points(&b));
    assert_eq!(pa.len(), pb.len());
    let worst = pa.iter().zip(&pb).map(|(p, q)| (p.0 - q.0).abs().max((p.1 - q.1).abs())).fold(0.0, f64::max);
    assert!(worst < 1e-6, "écart maximal {worst}°");

    // The same map from both: every coordinate of the SVG within a pixel.
    let ds = dataset(tmp.path(), NATIONAL, &filosofi_2021());
    let svg = |file: &Path, out: &str| -> String {
        let o = Command::new(env!("CARGO_BIN_EXE_bcs"))
            .args(["--dataset", ds.to_str().unwrap(), "chart", "revenu_median_uc", "--kind", "map"])
            .arg("--contours")
            .arg(file)
            .arg("--out")
            .arg(tmp.path().join(out))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        std::fs::read_to_string(tmp.path().join(out).join("figures/fig_revenus_revenu_median_uc_2021_carte.svg")).unwrap()
    };
    let (na, nb) = (numbers(&svg(&contours, "wgs84")), numbers(&svg(&copy, "l93")));
    assert_eq!(na.len(), nb.len());
    assert!(na.len() > 10_000, "{}", na.len());
    let off = na.iter().zip(&nb).filter(|(x, y)| (*x - *y).abs() > 1.0).count();
    assert_eq!(off, 0);

    // Without its crs member, metres are not taken for degrees.
    doc.as_object_mut().unwrap().remove("crs");
    std::fs::write(&copy, doc.to_string()).unwrap();
    let err = format!("{:#}", bcs::geo::read_geojson(&copy, "code").unwrap_err());
    assert!(err.contains("hors des longitudes et latitudes") && err.contains("EPSG:2154"), "{err}");
    // A system it cannot read is said, not guessed.
    doc["crs"] = serde_json::json!({"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::9"}});
    std::fs::write(&copy, doc.to_string()).unwrap();
    let err = format!("{:#}", bcs::geo::read_geojson(&copy, "code").unwrap_err());
    assert!(err.contains("EPSG:9 inconnu"), "{err}");
}
