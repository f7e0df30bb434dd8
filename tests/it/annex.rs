//! Golden checks against the « Chiffres clés des QPV » annex (seed 001).
//!
//! Every derived figure the annex publishes (indices, shares, evolutions in %
//! and in points, totals of the QP of the EPCI) is recomputed by the engine
//! from the published counts and compared at the published rounding. The few
//! published figures that are inconsistent with the published counts are
//! listed explicitly: the test fails if one of them starts matching or if any
//! other figure stops matching.

use std::collections::BTreeSet;
use std::path::PathBuf;

use bcs::engine::{self, Results};
use bcs::ingest;

struct Annex {
    results: Results,
    references: Vec<String>,
    obs: polars::prelude::DataFrame,
    catalog: bcs::catalog::Catalog,
    geo: bcs::geo::Geography,
}

fn annex() -> Annex {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let (manifest, catalog, geo) =
        ingest::open_dataset(&root.join("datasets/caph"), &root.join("indicators"))
            .expect("dataset opens");
    let obs = ingest::load(&manifest, &catalog, &geo).expect("sources load");
    // The options every command uses for this dataset.
    let opts = bcs::app::options(&manifest, manifest.dataset.reference.clone()).expect("options");
    let results = engine::compute(obs.clone(), &catalog, &geo, &opts).expect("engine runs");
    Annex {
        results,
        references: manifest.dataset.references.clone(),
        obs,
        catalog,
        geo,
    }
}

/// Rows of a transcribed annex table: (code, name, columns by header).
fn table(file: &str) -> Vec<std::collections::HashMap<String, String>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("datasets/caph/sources")
        .join(file);
    let mut r = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_path(&path)
        .expect("annex file");
    let headers = r.headers().expect("header").clone();
    r.records()
        .map(|rec| {
            let rec = rec.expect("record");
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// A published number, or None for "nd", "-", empty.
fn published(s: &str) -> Option<(f64, u8)> {
    let t: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '+')
        .collect();
    let decimals = t.split_once(',').map(|(_, f)| f.len() as u8).unwrap_or(0);
    t.replace(',', ".")
        .parse::<f64>()
        .ok()
        .map(|v| (v, decimals))
}

/// Whether `computed` rounds to the published figure.
fn matches(computed: f64, published: f64, decimals: u8) -> bool {
    (computed - published).abs() <= 0.5 * 10f64.powi(-(decimals as i32)) + 1e-9
}

struct Tally {
    checked: usize,
    mismatches: BTreeSet<String>,
}

impl Tally {
    fn new() -> Tally {
        Tally {
            checked: 0,
            mismatches: BTreeSet::new(),
        }
    }
    fn check(&mut self, what: &str, code: &str, computed: Option<f64>, published_text: &str) {
        let Some((p, d)) = published(published_text) else {
            return;
        };
        let c = computed.unwrap_or_else(|| {
            panic!("{what} {code}: no computed value, published {published_text}")
        });
        self.checked += 1;
        if !matches(c, p, d) {
            self.mismatches.insert(format!("{what} {code}"));
        }
    }
}

fn value(a: &Annex, code: &str, ind: &str, vintage: i32) -> Option<f64> {
    a.results
        .get(code, ind, vintage)
        .unwrap()
        .and_then(|r| r.value)
}

#[test]
fn youth_and_ageing_indices_reproduce_the_annex() {
    let a = annex();
    let mut t = Tally::new();
    for row in table("t02_jeunesse_vieillissement.csv") {
        let code = &row["code"];
        t.check(
            "indice_jeunesse",
            code,
            value(&a, code, "indice_jeunesse", 2019),
            &row["indice_jeunesse"],
        );
        t.check(
            "indice_vieillissement",
            code,
            value(&a, code, "indice_vieillissement", 2019),
            &row["indice_generations_agees"],
        );
    }
    assert_eq!(t.checked, 38);
    assert!(t.mismatches.is_empty(), "{:?}", t.mismatches);
    // The design's golden values, exactly.
    assert_eq!(
        bcs::render::fr::number(
            value(&a, "loc_qp15_gambetta", "indice_jeunesse", 2019).unwrap(),
            1
        ),
        "2,2"
    );
    assert_eq!(
        bcs::render::fr::number(
            value(&a, "loc_qp15_colliniere", "indice_vieillissement", 2019).unwrap(),
            1
        ),
        "4,0"
    );
}

#[test]
fn population_shares_within_the_qp_of_the_epci() {
    let a = annex();
    let total = value(&a, "loc_qp15_caph", "population", 2018).unwrap();
    assert_eq!(total, 45519.0);
    let mut t = Tally::new();
    for row in table("t01_population.csv")
        .iter()
        .filter(|r| r["code"].starts_with("loc_qp15_"))
    {
        let code = &row["code"];
        let share = value(&a, code, "population", 2018).map(|v| 100.0 * v / total);
        t.check("part", code, share, &row["part_ensemble_qp_pct"]);
    }
    assert_eq!(t.checked, 14);
    assert!(t.mismatches.is_empty(), "{:?}", t.mismatches);
}

/// Evolutions in % of counts, recomputed from the count and the published
/// change in number (which gives the earlier count).
#[test]
fn count_evolutions_in_percent_reproduce_the_annex() {
    let a = annex();
    let mut t = Tally::new();
    let cases = [
        (
            "t03_nationalite.csv",
            "nb_etrangers",
            2019,
            "evol_2011_2019_pct",
        ),
        (
            "t05_minima_sociaux.csv",
            "nb_allocataires_minima_sociaux",
            2021,
            "evol_2016_2021_pct",
        ),
        (
            "t06_c2s.csv",
            "nb_beneficiaires_c2s",
            2022,
            "evol_2020_2022_pct",
        ),
        (
            "t10_demandeurs_emploi_evolution.csv",
            "defm_a",
            2022,
            "evol_a_2016_2022_pct",
        ),
        (
            "t10_demandeurs_emploi_evolution.csv",
            "defm_abc_moins_26",
            2022,
            "evol_moins_26_2016_2022_pct",
        ),
    ];
    for (file, ind, vintage, col) in cases {
        for row in table(file) {
            let code = &row["code"];
            let r = a.results.get(code, ind, vintage).unwrap();
            t.check(ind, code, r.and_then(|r| r.evol_pct), &row[col]);
        }
    }
    assert_eq!(t.checked, 88);
    // Published % changes that do not follow from the published counts: the
    // annex computed them from unrounded estimates, or misprinted them. The
    // computed value is in the comment.
    let expected: BTreeSet<String> = [
        "nb_etrangers loc_qp15_schneider", // +64 on 142: +45,1 % (published +44,8)
        "nb_etrangers loc_qp15_arenberg",  // -50 on 181: -27,6 % (published -37,6)
        "nb_etrangers loc_qp15_liberte",   // +28 on 196: +14,3 % (published +14,1)
        "nb_etrangers loc_qp15_dutemple",  // +128 on 115: +111,3 % (published +111,8)
        "nb_etrangers loc_qp15_rives_escaut", // +119 on 590: +20,2 % (published +20,1)
        "nb_etrangers loc_qp15_couture_savonnerie", // +7 on 53: +13,2 % (published +13,4)
        "nb_etrangers loc_qp15_colliniere", // -12 on 70: -17,1 % (published -6,7)
        "nb_etrangers loc_qp_nord",        // +11 000 on 42 085: +26,1 % (published +26,7)
        "nb_beneficiaires_c2s loc_epci_qp_france_metro", // +874 172 on 3 109 520: +28,1 % (published +28,9)
        "defm_a loc_qp15_arenberg",                      // -7 on 205: -3,4 % (published -4,8)
        "defm_a loc_qp15_caph",                          // -482 on 5 421: -8,9 % (published -9,7)
        "defm_abc_moins_26 loc_qp15_elnon",              // -22 on 47: -46,8 % (published -45,5)
        "defm_abc_moins_26 loc_qp_france_metro", // -15 346 on 113 558: -13,5 % (published -13,6)
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(t.mismatches, expected);
}

#[test]
fn idt_evolution_is_the_difference_of_the_published_indices() {
    let a = annex();
    let mut t = Tally::new();
    for row in table("t12_idt.csv") {
        let code = &row["code"];
        let r = a.results.get(code, "idt", 2019).unwrap();
        t.check(
            "idt",
            code,
            r.and_then(|r| r.evol_abs),
            &row["evol_2011_2019"],
        );
    }
    assert_eq!(t.checked, 16);
    // -222 - (-208) = -14 and -251 - (-215) = -36: the annex prints -15 and
    // -37, computed from unrounded indices.
    let expected: BTreeSet<String> = ["idt loc_qp15_arenberg", "idt loc_qp15_colliniere"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(t.mismatches, expected);
    // France métropolitaine is the reference: « Référence » is 0.
    assert_eq!(value(&a, "loc_france_metro", "idt", 2019), Some(0.0));
}

#[test]
fn totals_of_the_qp_of_the_epci_recomputed_from_the_13_qp() {
    let a = annex();
    let sums = engine::aggregate_members(&a.obs, &a.catalog, &a.geo).unwrap();
    let lookup = |var: &str, vintage: i32| -> (Option<f64>, String) {
        use polars::prelude::*;
        let df = sums
            .clone()
            .lazy()
            .filter(
                col("territory_code")
                    .eq(lit("loc_qp15_caph"))
                    .and(col("variable").eq(lit(var)))
                    .and(col("vintage").eq(lit(vintage))),
            )
            .collect()
            .unwrap();
        assert_eq!(df.height(), 1, "{var} {vintage}");
        let st = df.column("status").unwrap().u32().unwrap().get(0).unwrap();
        (
            df.column("value").unwrap().f64().unwrap().get(0),
            bcs::status::Status::from_code(st).unwrap().as_str().to_string(),
        )
    };
    let published_total = |file: &str, col: &str| {
        let rows = table(file);
        let row = rows.iter().find(|r| r["code"] == "loc_qp15_caph").unwrap();
        published(&row[col]).unwrap().0
    };
    // Sums that equal the published total.
    for (file, col, var, vintage) in [
        ("t01_population.csv", "nb_habitants", "population", 2018),
        (
            "t04_monoparentalite.csv",
            "nb_familles_monoparentales",
            "familles_monoparentales",
            2021,
        ),
        (
            "t05_minima_sociaux.csv",
            "allocataires_minima",
            "allocataires_minima",
            2021,
        ),
        ("t06_c2s.csv", "population_c2s", "beneficiaires_c2s", 2022),
        (
            "t09_demandeurs_emploi_abc.csv",
            "defm_abc",
            "defm_abc",
            2021,
        ),
        (
            "t10_demandeurs_emploi_evolution.csv",
            "defm_abc_moins_26",
            "defm_abc_moins_26",
            2022,
        ),
        (
            "t11_etablissements.csv",
            "etablissements",
            "etablissements",
            2020,
        ),
    ] {
        let (v, st) = lookup(var, vintage);
        assert_eq!(st, "ok", "{var}");
        assert_eq!(v, Some(published_total(file, col)), "{var} {vintage}");
    }
    // Earlier vintages, recovered from the published changes, add up too.
    assert_eq!(lookup("allocataires_minima", 2016).0, Some(6211.0 + 464.0));
    assert_eq!(lookup("beneficiaires_c2s", 2020).0, Some(16076.0 - 1928.0));
    assert_eq!(lookup("defm_a", 2016).0, Some(4899.0 + 482.0));
    // Sums that differ from the published total: census estimates at QP level
    // are rounded independently of the EPCI-wide estimate; DEFM A adds to
    // 4 899 where the annex prints 4 939.
    for (file, col, var, vintage, sum) in [
        (
            "t02_jeunesse_vieillissement.csv",
            "pop_moins_20",
            "pop_moins_20",
            2019,
            14249.0,
        ),
        (
            "t02_jeunesse_vieillissement.csv",
            "pop_60_74",
            "pop_60_74",
            2019,
            6070.0,
        ),
        (
            "t02_jeunesse_vieillissement.csv",
            "pop_75_plus",
            "pop_75_plus",
            2019,
            2956.0,
        ),
        (
            "t07_scolarisation.csv",
            "scolarises_15_24",
            "scolarises_15_24",
            2019,
            3441.0,
        ),
        (
            "t08_emploi.csv",
            "emploi_15_64",
            "emploi_15_64",
            2019,
            10624.0,
        ),
        (
            "t10_demandeurs_emploi_evolution.csv",
            "defm_a",
            "defm_a",
            2022,
            4899.0,
        ),
    ] {
        let (v, _) = lookup(var, vintage);
        assert_eq!(v, Some(sum), "{var}");
        assert_ne!(v, Some(published_total(file, col)), "{var}");
    }
    // Two QP are secret for foreign nationals: the group sum is secret, not a
    // wrong total (the annex's 3 277 includes them).
    assert_eq!(lookup("pop_etrangers", 2019), (None, "secret".to_string()));
    // Published rates are not summed.
    assert_eq!(
        lookup("tx_c2s_total", 2022),
        (None, "not_aggregable".to_string())
    );
}

#[test]
fn published_totals_take_precedence_and_groups_without_them_are_computed() {
    let a = annex();
    // The annex publishes 45 519 for the QP of the EPCI: kept as published.
    assert_eq!(
        value(&a, "loc_qp15_caph", "indice_jeunesse", 2019).map(|v| (v * 10.0).round()),
        Some(16.0)
    );
    // The 2024 QPV have no published total: summed from the 13 rows.
    assert_eq!(
        value(&a, "loc_qpv24_caph", "population", 2024),
        Some(32305.0)
    );
    assert_eq!(
        value(&a, "loc_poches_caph", "population", 2024),
        Some(7000.0)
    );
    // Saint-Amand's veille active population is « ??? »: the total is
    // incomplete, so missing rather than the contract's 50 697.
    let veille = a
        .results
        .get("loc_veille_caph", "population", 2020)
        .unwrap();
    assert!(veille.is_none(), "{veille:?}");
    // A median income cannot be summed.
    let r = a
        .results
        .get("loc_qpv24_caph", "revenu_median_uc", 2019)
        .unwrap()
        .unwrap();
    assert_eq!(r.status, bcs::status::Status::NotAggregable);
}

#[test]
fn secret_operands_give_secret_results() {
    let a = annex();
    // Raismes - Sabatier: foreign nationals « nd », share « - ».
    let r = a
        .results
        .get("loc_qp15_sabatier", "part_etrangers", 2019)
        .unwrap()
        .unwrap();
    assert_eq!((r.status, r.value), (bcs::status::Status::Secret, None));
    // Gambetta: 2011 count unknown (change « nd »), so the change is secret.
    let r = a
        .results
        .get("loc_qp15_gambetta", "nb_etrangers", 2019)
        .unwrap()
        .unwrap();
    assert_eq!(r.value, Some(68.0));
    assert_eq!(r.evol_status, Some(bcs::status::Status::Secret));
    assert_eq!(r.evol_pct, None);
}

/// The annex sorts each table in decreasing order of one column; our ranks
/// must agree wherever the published (rounded) values differ.
#[test]
fn ranks_follow_the_annex_ordering() {
    let a = annex();
    let cases = [
        (
            "t06_c2s.csv",
            "couverture_c2s",
            2022,
            "couverture_total_pct",
        ),
        ("t01_population.csv", "population", 2018, "nb_habitants"),
        (
            "t02_jeunesse_vieillissement.csv",
            "indice_jeunesse",
            2019,
            "indice_jeunesse",
        ),
        (
            "t05_minima_sociaux.csv",
            "couverture_minima_sociaux",
            2021,
            "couverture_menages_pct",
        ),
        (
            "t08_emploi.csv",
            "taux_emploi_15_64",
            2019,
            "taux_emploi_15_64_pct",
        ),
        (
            "t11_etablissements.csv",
            "taux_creation_etablissements",
            2020,
            "taux_creation_pct",
        ),
        ("t12_idt.csv", "idt", 2019, "idt_2019"),
    ];
    for (file, ind, vintage, col) in cases {
        let qp: Vec<_> = table(file)
            .into_iter()
            .filter(|r| r["code"].starts_with("loc_qp15_") && r["code"] != "loc_qp15_caph")
            .collect();
        let mut previous: Option<(u32, f64)> = None;
        for row in &qp {
            let r = a.results.get(&row["code"], ind, vintage).unwrap().unwrap();
            let rank = r
                .rank
                .unwrap_or_else(|| panic!("{ind} {}: no rank", row["code"]));
            assert_eq!(r.rank_total, Some(13), "{ind}");
            let p = published(&row[col]).unwrap().0;
            if let Some((prev_rank, prev_p)) = previous {
                if prev_p != p {
                    assert!(
                        rank > prev_rank,
                        "{ind}: {} ranked {rank} after rank {prev_rank}",
                        row["code"]
                    );
                }
            }
            previous = Some((rank, p));
        }
    }
    // C2S has no ties: the exact annex order, 1 to 13.
    let c2s: Vec<u32> = table("t06_c2s.csv")
        .iter()
        .filter(|r| r["code"].starts_with("loc_qp15_") && r["code"] != "loc_qp15_caph")
        .map(|r| {
            a.results
                .get(&r["code"], "couverture_c2s", 2022)
                .unwrap()
                .unwrap()
                .rank
                .unwrap()
        })
        .collect();
    assert_eq!(c2s, (1..=13).collect::<Vec<u32>>());
}

#[test]
fn gaps_to_france_metropolitaine() {
    let a = annex();
    // Taux d'emploi 15-64 ans 2019: Elnon 48,7 %, France métropolitaine 64,7 %.
    let r = a
        .results
        .get("loc_qp15_elnon", "taux_emploi_15_64", 2019)
        .unwrap()
        .unwrap();
    assert!((r.gap_reference.unwrap() - (48.7 - 64.7)).abs() < 1e-9);
}

#[test]
fn every_indicator_is_reported_where_users_look() {
    let a = annex();
    use polars::prelude::*;
    let pairs = |filter: Expr| -> usize {
        a.results
            .frame
            .clone()
            .lazy()
            .filter(filter)
            .select([col("territory_code"), col("indicator")])
            .unique(None, UniqueKeepStrategy::First)
            .collect()
            .unwrap()
            .height()
    };
    // Every indicator the dataset has for some territory of a level is
    // reported for every territory of that level.
    use std::collections::BTreeMap;
    let all = a.results.rows(lit(true)).unwrap();
    let mut territories: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut with_data: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut reported: BTreeSet<(&str, &str)> = BTreeSet::new();
    for r in &all {
        territories.entry(r.level.as_str()).or_default().insert(&r.territory_code);
        if r.status != bcs::status::Status::Missing {
            with_data.entry(r.level.as_str()).or_default().insert(&r.indicator);
        }
        reported.insert((&r.territory_code, &r.indicator));
    }
    for (level, codes) in &territories {
        for code in codes {
            for ind in with_data.get(level).into_iter().flatten() {
                assert!(reported.contains(&(*code, *ind)), "{level} {code} {ind}");
            }
        }
    }
    // Communes report the FiLoSoFi indicators, not those only quartiers have.
    assert!(reported.contains(&("59014", "revenu_d1")));
    assert!(!reported.contains(&("59014", "taux_scolarisation_15_24")));
    // The studied territory and its references report the whole catalogue.
    assert_eq!(
        pairs(col("territory_code").eq(lit("200042190"))),
        a.catalog.indicators.len()
    );
    assert_eq!(
        pairs(col("territory_code").eq(lit("loc_qp_nord"))),
        a.catalog.indicators.len()
    );
    // Logement has no data: missing, no value, and only for the territory
    // and its references.
    let r = a
        .results
        .rows(col("indicator").eq(lit("taux_suroccupation")))
        .unwrap();
    let mut focus: BTreeSet<&str> = ["200042190"].into();
    focus.extend(a.references.iter().map(String::as_str));
    assert_eq!(r.len(), focus.len());
    assert_eq!(focus.len(), 9);
    assert!(r.iter().all(|r| r.status == bcs::status::Status::Missing
        && r.value.is_none()
        && r.vintage.is_none()));
}

#[test]
fn the_caph_communes_have_the_filosofi_files_values() {
    let a = annex();
    let ok = |t: &str, ind: &str, y: i32| -> f64 {
        let r = a.results.get(t, ind, y).unwrap().unwrap_or_else(|| panic!("{t} {ind} {y}"));
        assert_eq!(r.status, bcs::status::Status::Ok, "{t} {ind} {y}: {r:?}");
        r.value.unwrap()
    };
    // Denain, as cc_filosofi_2021_COM.csv and the 2019 re-export give it.
    assert_eq!(ok("59172", "revenu_median_uc", 2021), 14890.0);
    assert_eq!(ok("59172", "taux_pauvrete", 2021), 43.0);
    assert_eq!(ok("59172", "revenu_median_uc", 2019), 14320.0);
    assert_eq!(ok("59172", "revenu_d1", 2019), 8940.0);
    let denain = a.results.get("59172", "revenu_median_uc", 2021).unwrap().unwrap();
    assert_eq!((denain.prev_vintage, denain.evol_abs), (Some(2019), Some(570.0)));
    // Every commune of the EPCI has its median both years, its change, and
    // its niveau de vie sub-index of the IDH-4; small communes' poverty
    // rates stay secret, never 0.
    let communes: Vec<String> = a
        .geo
        .territories()
        .iter()
        .filter(|t| t.level == bcs::geo::Level::Commune && t.parents.iter().any(|p| p == "200042190"))
        .map(|t| t.code.clone())
        .collect();
    assert_eq!(communes.len(), 47);
    let mut secret_rates = 0;
    for c in &communes {
        assert!(ok(c, "revenu_median_uc", 2019) > 0.0);
        let r = a.results.get(c, "revenu_median_uc", 2021).unwrap().unwrap();
        assert_eq!(r.evol_status, Some(bcs::status::Status::Ok), "{c}");
        let s = ok(c, "idh4_niveau_vie", 2021);
        assert!((0.0..=1.0).contains(&s), "{c} {s}");
        let rate = a.results.get(c, "taux_pauvrete", 2021).unwrap().unwrap();
        if rate.status == bcs::status::Status::Secret {
            assert_eq!(rate.value, None);
            secret_rates += 1;
        }
    }
    assert_eq!(secret_rates, 27);
    // The IDH-4 itself: missing, naming what it lacks, never the contract's
    // 0,39.
    let idh4 = a.results.get("59172", "idh4", 2021).unwrap().unwrap();
    assert_eq!((idh4.status, idh4.value), (bcs::status::Status::Missing, None));
    let detail = idh4.detail.unwrap();
    assert!(detail.contains("santé : indice comparatif de mortalité sans donnée"), "{detail}");
    assert!(detail.contains("communes de la région Hauts-de-France"), "{detail}");
    // The communes of the priority geography (10, holding a 2024 QPV) and
    // the others (37): their households summed, their medians never.
    let prio = a.geo.get("loc_communes_qpv_caph").unwrap();
    let others = a.geo.get("loc_communes_hors_qpv_caph").unwrap();
    assert_eq!((prio.members.len(), others.members.len()), (10, 37));
    let sum: f64 = prio.members.iter().map(|c| ok(c, "menages_fiscaux", 2021)).sum();
    assert_eq!(ok("loc_communes_qpv_caph", "menages_fiscaux", 2021), sum);
    assert_eq!(sum, 35192.0);
    let median = a.results.get("loc_communes_qpv_caph", "revenu_median_uc", 2021).unwrap().unwrap();
    assert_eq!(median.status, bcs::status::Status::NotAggregable);
    // Fewer missing rows than ok rows for the communes.
    let rows = a.results.rows(polars::prelude::col("level").eq(polars::prelude::lit("commune"))).unwrap();
    let caph: BTreeSet<&str> = communes.iter().map(String::as_str).collect();
    let count = |st| rows.iter().filter(|r| caph.contains(r.territory_code.as_str()) && r.status == st).count();
    assert!(count(bcs::status::Status::Missing) < count(bcs::status::Status::Ok));
}
