//! IDH-4, IDT-BCS and the priority classification, checked against values
//! computed by hand.

use bcs::catalog::Catalog;
use bcs::engine::composite::{subindex, Bounds, Scaling};
use bcs::engine::{self, Results};
use bcs::geo::{Geography, Level, Territory};
use bcs::status::Status;
use polars::prelude::*;

use crate::common;
use common::{observations, Obs};

fn territory(code: &str, level: Level, parents: &[&str]) -> Territory {
    common::territory(code, level, parents, &[])
}

fn catalog() -> (tempfile::TempDir, Catalog) {
    let dir = tempfile::tempdir().unwrap();
    let var = |id: &str, kind: &str| {
        format!("[[variable]]\nid = \"{id}\"\nlabel = \"{id}\"\nkind = \"{kind}\"\n")
    };
    std::fs::write(
        dir.path().join("variables.toml"),
        [
            var("icm", "index"),
            var("dipl", "rate"),
            var("rev", "amount"),
            var("e2554", "rate"),
            var("dsup", "rate"),
        ]
        .concat(),
    )
    .unwrap();
    let ind = |id: &str, unit: &str, pol: &str| {
        format!(
            "[[indicator]]\nid = \"{id}\"\nlabel = \"{id}\"\nformula = \"{id}\"\nunit = \"{unit}\"\npolarity = \"{pol}\"\nsource = \"s\"\ndefinition = \"d\"\nlecture = \"l\"\n"
        )
    };
    std::fs::write(
        dir.path().join("t.toml"),
        [
            "[theme]\nid = \"t\"\nlabel = \"T\"\norder = 1\n".to_string(),
            ind("icm", "indice", "lower_better"),
            ind("dipl", "%", "higher_better"),
            ind("rev", "€", "higher_better"),
            ind("e2554", "%", "higher_better"),
            ind("dsup", "%", "higher_better"),
        ]
        .concat(),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("composites.toml"),
        r#"
[theme]
id = "indices"
label = "Indices"
order = 0
[idh4]
label = "IDH-4"
universe = "region"
sante = "icm"
education = "dipl"
niveau_vie = "rev"
source = "s"
[idt_bcs]
label = "IDT-BCS"
source = "s"
[[idt_bcs.component]]
indicator = "e2554"
weight = 1.0
[[idt_bcs.component]]
indicator = "dsup"
weight = 1.0
[[idt_bcs.component]]
indicator = "rev"
weight = 1.0
"#,
    )
    .unwrap();
    let c = Catalog::load(dir.path()).unwrap();
    (dir, c)
}

fn geography(communes: &[&str]) -> Geography {
    let mut t = vec![
        territory("reg99", Level::Region, &[]),
        territory("D", Level::Departement, &["reg99"]),
        territory("E", Level::Epci, &[]),
        territory("REF", Level::France, &[]),
        territory("OUT", Level::Commune, &["reg11"]),
        territory("reg11", Level::Region, &[]),
    ];
    for c in communes {
        t.push(territory(c, Level::Commune, &["E", "D", "reg99"]));
    }
    Geography::from_territories(t).unwrap()
}

fn run(geo: &Geography, rows: &[Obs]) -> Results {
    let df = observations(rows);
    let (_dir, cat) = catalog();
    engine::compute(
        df,
        &cat,
        geo,
        &crate::common::options("REF", Some("E")),
    )
    .unwrap()
}

const OK: Status = Status::Ok;

fn idh_inputs<'a>(code: &'a str, y: i32, icm: f64, dipl: f64, rev: f64) -> Vec<Obs<'a>> {
    vec![
        (code, "icm", y, Some(icm), OK),
        (code, "dipl", y, Some(dipl), OK),
        (code, "rev", y, Some(rev), OK),
    ]
}

fn value(r: &Results, t: &str, ind: &str, y: i32) -> Option<f64> {
    r.get(t, ind, y).unwrap().and_then(|r| r.value)
}

#[test]
fn idh4_by_hand() {
    let geo = geography(&["C1", "C2", "C3", "C4"]);
    let mut obs = vec![];
    obs.extend(idh_inputs("C1", 2019, 80.0, 70.0, 20000.0));
    obs.extend(idh_inputs("C2", 2019, 120.0, 50.0, 10000.0));
    obs.extend(idh_inputs("C3", 2019, 100.0, 60.0, 40000.0));
    obs.extend(idh_inputs("E", 2019, 110.0, 55.0, 20000.0));
    // C4: comparative mortality secret.
    obs.extend([
        ("C4", "icm", 2019, None, Status::Secret),
        ("C4", "dipl", 2019, Some(60.0), OK),
        ("C4", "rev", 2019, Some(20000.0), OK),
    ]);
    // A commune of another region does not move the bounds.
    obs.extend(idh_inputs("OUT", 2019, 10.0, 99.0, 99999.0));
    // C1 in a later vintage: income 40 000.
    obs.extend(idh_inputs("C1", 2021, 80.0, 70.0, 40000.0));
    let r = run(&geo, &obs);
    // Bounds: ICM 80-120, diplomas 50-70 %, income 10 000-40 000 €.
    // C1: santé 1, éducation 1, niveau de vie ln 2 / ln 4 = 0,5.
    assert_eq!(value(&r, "C1", "idh4_sante", 2019), Some(1.0));
    assert_eq!(value(&r, "C1", "idh4_education", 2019), Some(1.0));
    assert!((value(&r, "C1", "idh4_niveau_vie", 2019).unwrap() - 0.5).abs() < 1e-12);
    assert!((value(&r, "C1", "idh4", 2019).unwrap() - 2.5 / 3.0).abs() < 1e-12);
    assert_eq!(value(&r, "C2", "idh4", 2019), Some(0.0));
    assert!((value(&r, "C3", "idh4", 2019).unwrap() - 2.0 / 3.0).abs() < 1e-12);
    // The EPCI from its own inputs (0,25 + 0,25 + 0,5) / 3, not the mean of
    // its communes' indices.
    assert!((value(&r, "E", "idh4", 2019).unwrap() - 1.0 / 3.0).abs() < 1e-12);
    // A secret input: the sub-index and the IDH-4 are secret.
    let c4 = r.get("C4", "idh4", 2019).unwrap().unwrap();
    assert_eq!((c4.status, c4.value), (Status::Secret, None));
    assert_eq!(
        r.get("C4", "idh4_sante", 2019).unwrap().unwrap().status,
        Status::Secret
    );
    assert_eq!(value(&r, "C4", "idh4_education", 2019), Some(0.5));
    // Bounds are shared by both vintages: C1's change is its own change.
    let later = r.get("C1", "idh4", 2021).unwrap().unwrap();
    assert!((later.value.unwrap() - 1.0).abs() < 1e-12);
    assert!((later.evol_abs.unwrap() - (1.0 - 2.5 / 3.0)).abs() < 1e-12);
    // Every row names its universe.
    assert!(later
        .detail
        .unwrap()
        .contains("communes de la région Territoire reg99"));
}

#[test]
fn idh4_needs_a_universe_that_can_normalise() {
    // A single commune in the region: no bounds, no index.
    let geo = geography(&["C1"]);
    let r = run(&geo, &idh_inputs("C1", 2019, 80.0, 70.0, 20000.0));
    assert!(r.get("C1", "idh4", 2019).unwrap().is_none());
    assert_eq!(r.get("C1", "idh4_sante", 2019).unwrap(), None);
    // Equal minimum and maximum: same.
    let geo = geography(&["C1", "C2"]);
    let mut obs = idh_inputs("C1", 2019, 80.0, 70.0, 20000.0);
    obs.extend(idh_inputs("C2", 2019, 80.0, 60.0, 10000.0));
    let r = run(&geo, &obs);
    // The index is missing at its vintage, and says which input it lacks.
    let idh4 = r.get("C1", "idh4", 2019).unwrap().unwrap();
    assert_eq!((idh4.status, idh4.value), (Status::Missing, None));
    let detail = idh4.detail.unwrap();
    assert!(
        detail.starts_with("non calculé : santé : icm non normalisable sur cet univers"),
        "{detail}"
    );
    assert_eq!(common::series(&r, "C1", "idh4").len(), 1);
    assert_eq!(
        value(&r, "C1", "idh4_education", 2019),
        Some(1.0),
        "the other sub-indices still work"
    );
}

/// A tiny deterministic generator, for the property test.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[test]
fn idh4_stays_in_0_1_and_is_monotone_in_each_input() {
    let mut rng = Lcg(42);
    let codes: Vec<String> = (0..40).map(|i| format!("C{i}")).collect();
    let refs: Vec<&str> = codes.iter().map(String::as_str).collect();
    let geo = geography(&refs);
    let mut obs = vec![];
    for c in &refs {
        obs.extend(idh_inputs(
            c,
            2019,
            60.0 + 80.0 * rng.next(),
            40.0 + 50.0 * rng.next(),
            9000.0 + 30000.0 * rng.next(),
        ));
    }
    let r = run(&geo, &obs);
    for c in &refs {
        let v = value(&r, c, "idh4", 2019).unwrap();
        assert!((0.0..=1.0).contains(&v), "{c}: {v}");
    }
    // Monotonicity of each sub-index with fixed bounds.
    let b = Bounds {
        min: 9000.0,
        max: 39000.0,
        n: 40,
    };
    for _ in 0..500 {
        let (a, d) = (5000.0 + 40000.0 * rng.next(), 5000.0 + 40000.0 * rng.next());
        let (lo, hi) = if a < d { (a, d) } else { (d, a) };
        for (scaling, increasing) in [
            (Scaling::Linear, true),
            (Scaling::Log, true),
            (Scaling::Inverted, false),
        ] {
            let (s_lo, s_hi) = (
                subindex(lo, b, scaling).unwrap(),
                subindex(hi, b, scaling).unwrap(),
            );
            assert!((0.0..=1.0).contains(&s_lo) && (0.0..=1.0).contains(&s_hi));
            assert!(
                if increasing {
                    s_lo <= s_hi
                } else {
                    s_lo >= s_hi
                },
                "{scaling:?} {lo} {hi}"
            );
        }
    }
}

#[test]
fn idt_bcs_by_hand() {
    let geo = geography(&["C1"]);
    let r = run(
        &geo,
        &[
            ("REF", "e2554", 2019, Some(80.0), OK),
            ("REF", "dsup", 2019, Some(30.0), OK),
            ("REF", "rev", 2019, Some(20000.0), OK),
            ("C1", "e2554", 2019, Some(60.0), OK),
            ("C1", "dsup", 2019, Some(15.0), OK),
            ("C1", "rev", 2019, Some(15000.0), OK),
        ],
    );
    // 100 × (60 − 80) / 80 = −25 ; 100 × (15 − 30) / 30 = −50 ; −25.
    assert_eq!(value(&r, "C1", "idt_bcs_e2554", 2019), Some(-25.0));
    assert_eq!(value(&r, "C1", "idt_bcs_dsup", 2019), Some(-50.0));
    assert_eq!(value(&r, "C1", "idt_bcs", 2019), Some(-100.0));
    assert_eq!(
        value(&r, "REF", "idt_bcs", 2019),
        Some(0.0),
        "the reference is 0"
    );
    assert!(r
        .get("C1", "idt_bcs", 2019)
        .unwrap()
        .unwrap()
        .detail
        .unwrap()
        .contains("référence : Territoire REF"));
}

#[test]
fn priority_classification_of_the_13_qp() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let (manifest, catalog, geo) =
        bcs::ingest::open_dataset(&root.join("datasets/caph"), &root.join("indicators")).unwrap();
    let obs = bcs::ingest::load(&manifest, &catalog, &geo).unwrap();
    let opts = bcs::app::options(&manifest, manifest.dataset.reference.clone()).unwrap();
    let r = engine::compute(obs, &catalog, &geo, &opts).unwrap();
    let rows = r
        .rows(
            col("indicator")
                .eq(lit("priorite_classe"))
                .and(col("status").eq(lit("ok"))),
        )
        .unwrap();
    assert_eq!(rows.len(), 13);
    let mut classes: Vec<u32> = rows.iter().map(|r| r.value.unwrap() as u32).collect();
    classes.sort();
    assert_eq!(
        classes,
        vec![1, 1, 2, 2, 2, 3, 3, 4, 4, 4, 5, 5, 5],
        "quintiles of 13"
    );
    let scores = r
        .rows(
            col("indicator")
                .eq(lit("priorite_score"))
                .and(col("rank").eq(lit(1u32))),
        )
        .unwrap();
    assert_eq!(scores[0].territory_code, "loc_qp15_liberte");
    assert!(scores[0]
        .detail
        .as_deref()
        .unwrap()
        .starts_with("facteurs principaux : "));
    // Scores are centred over the 13 QP.
    let all = r
        .rows(
            col("indicator")
                .eq(lit("priorite_score"))
                .and(col("status").eq(lit("ok"))),
        )
        .unwrap();
    assert!(all.iter().map(|r| r.value.unwrap()).sum::<f64>().abs() < 1e-9);
    // Dropping one indicator at a time: 6 checks over 13 territories.
    assert_eq!(r.composite.sensitivity.len(), 6);
    assert!(r
        .composite
        .sensitivity
        .iter()
        .all(|row| row.total == 13 && row.changed.len() <= 13));
    // The drivers, as data: three per classified quartier, the largest
    // first, as the detail says them.
    assert_eq!(r.composite.drivers.len(), 13);
    let drivers = &r.composite.drivers[&scores[0].territory_code];
    assert_eq!(drivers.len(), 3);
    assert!(drivers.windows(2).all(|w| w[0].1.abs() >= w[1].1.abs()));
    assert!(r.composite.settings["priorite_score"].starts_with("univers : 13 territoires"));
    // The embedded dataset has no commune data: IDH-4 is missing, never made up.
    assert!(r
        .rows(
            col("indicator")
                .eq(lit("idh4"))
                .and(col("status").eq(lit("ok")))
        )
        .unwrap()
        .is_empty());
}
